"""``mlkit serve``."""

import os
import warnings

from ._console import _LOOPBACK, EXIT_OK
from ._options import _port, _positive_int, _positive_seconds, _trust_option


def add_parser(sub, common):
    """The ``mlkit serve`` sub-command."""
    p = sub.add_parser(
        "serve", parents=[common], help="serve a model over HTTP",
        description="Serve MODEL with FastAPI under uvicorn: POST /predict "
                    "{\"texts\": [...], \"threshold\"?: P, \"top_k\"?: K}; GET /health, "
                    "/labels, /metadata. Stop with Ctrl-C.")
    p.add_argument("model", metavar="MODEL", help="model file or checkpoint folder")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only; set "
                        "MLKIT_API_KEY to require a key)")
    p.add_argument("--port", type=_port, default=8000, help="port (default: 8000)")
    p.add_argument("--max-batch", type=_positive_int, default=256, metavar="N",
                   help="most texts per request (default: 256)")
    p.add_argument("--max-text-length", type=_positive_int, default=20000, metavar="N",
                   help="most characters per text (default: 20000)")
    p.add_argument("--max-concurrency", type=_positive_int, default=None, metavar="N",
                   help="most predictions running at once (default: number of CPUs)")
    p.add_argument("--body-timeout", type=_positive_seconds, default=30.0, metavar="S",
                   help="seconds a client has to send its request body (408 beyond; default: 30)")
    p.add_argument("--request-timeout", type=_positive_seconds, default=60.0, metavar="S",
                   help="seconds to answer /predict, queueing included (503 beyond; default: "
                        "60)")
    p.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                   help="worker processes, each with its own copy of the model (default: 1)")
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"))
    p.add_argument("--no-access-log", action="store_true", help="do not log every request")
    _trust_option(p)
    p.set_defaults(func=run)


def run(args, console):
    from .._optional import import_optional
    from ..serve import create_app

    uvicorn = import_optional("uvicorn", purpose="mlkit serve")
    # the key comes from the environment: a command-line argument is visible in `ps`
    api_key = os.environ.get("MLKIT_API_KEY") or None
    if args.host not in _LOOPBACK and api_key is None:
        console.warn(f"listening on {args.host}: other machines can reach this server, which "
                     "has no authentication (set MLKIT_API_KEY to require a key).")
    host = f"[{args.host}]" if ":" in args.host else args.host
    run = {"host": args.host, "port": args.port, "log_level": args.log_level,
           "access_log": not args.no_access_log, "timeout_graceful_shutdown": 10}
    if args.workers > 1:
        from ..persistence import UntrustedModelError, read_metadata

        # each worker loads the model itself: check what can be checked here first
        manifest = read_metadata(args.model) if os.path.isfile(args.model) else {}
        if manifest.get("serializer") == "pickle" and not args.trust_pickle:
            raise UntrustedModelError(
                f"{args.model!r} stores its estimator with pickle, and loading a pickle runs "
                "code from the file. Pass --trust-pickle if you made it or trust its source.")
        os.environ.update({
            # a hub name stays a name
            "MLKIT_MODEL": (os.path.abspath(args.model) if os.path.exists(args.model)
                            else args.model),
            "MLKIT_MAX_BATCH": str(args.max_batch),
            "MLKIT_MAX_TEXT_LENGTH": str(args.max_text_length),
            "MLKIT_TRUST_PICKLE": "1" if args.trust_pickle else "0",
            "MLKIT_ALLOW_DOWNLOAD": "1" if args.allow_download else "0",
            "MLKIT_BODY_TIMEOUT": str(args.body_timeout),
            "MLKIT_REQUEST_TIMEOUT": str(args.request_timeout),
        })
        if args.max_concurrency:
            os.environ["MLKIT_MAX_CONCURRENCY"] = str(args.max_concurrency)
        console.info(f"serving {args.model} on http://{host}:{args.port} with {args.workers} "
                     "workers (POST /predict, GET /health /labels /metadata; Ctrl-C stops)")
        uvicorn.run("mlkit.serve:app_from_env", factory=True, workers=args.workers, **run)
        return EXIT_OK
    with console.spinner(f"loading {args.model}"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create_app(args.model, max_batch=args.max_batch,
                         max_text_length=args.max_text_length,
                         max_concurrency=args.max_concurrency, trusted=args.trust_pickle,
                         body_timeout=args.body_timeout, request_timeout=args.request_timeout,
                         api_key=api_key, allow_download=args.allow_download)
    for w in caught:
        if w.category.__name__ == "ModelVersionWarning":
            console.warn(str(w.message))
    console.info(f"serving {args.model} on http://{host}:{args.port} (POST /predict, GET "
                 "/health /labels /metadata; Ctrl-C stops)")
    uvicorn.run(app, **run)
    return EXIT_OK
