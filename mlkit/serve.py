"""HTTP serving of a model file: a FastAPI app run by uvicorn (extra ``serve``).

Endpoints:

* ``POST /predict`` with ``{"texts": [...], "threshold": x?, "top_k": k?}``:
  the predicted label names and the score of every label, per text;
* ``GET /health``, ``GET /labels``, ``GET /metadata``.

Without ``threshold`` and ``top_k`` the model decides with its own rule (the
per-label thresholds a :class:`~mlkit.ThresholdTuner` tuned). ``threshold``
replaces it with one probability threshold for every label; ``top_k`` keeps
the ``k`` best-scored labels of each text (above ``threshold`` when both are
given).

Requests are validated before any prediction: a body that is not JSON, a
field of the wrong type, an unknown field, or a value out of range is a 422
JSON error; a batch larger than ``max_batch``, a text longer than
``max_text_length`` characters or a body larger than ``max_body_bytes`` is a
413 JSON error. Errors never stop the worker. Predictions run in worker
threads, at most ``max_concurrency`` at a time, so the event loop keeps
answering (and rejecting bad requests) while the model works.

Model files are loaded through the safe path of
:func:`mlkit.persistence.load_model`; a pickled model is refused unless
``trusted=True`` (``mlkit serve --trust-pickle``).
"""

# no ``from __future__ import annotations`` here: FastAPI reads the annotations of the
# route functions defined below at runtime, and cannot resolve them as strings
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ._optional import import_optional
from .inference import Predictor, find_threshold_tuner, ranked_labels

__all__ = ["Predictor", "app_from_env", "create_app", "ranked_labels", "serve"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_BATCH = 256
DEFAULT_MAX_TEXT_LENGTH = 20_000


def _load(model, trusted):
    from .persistence import _threshold_info, load_model

    if isinstance(model, (str, os.PathLike)):
        estimator, manifest = load_model(model, trusted=trusted, with_metadata=True)
        manifest = dict(manifest)
        manifest["path"] = os.fspath(model)
        return estimator, manifest
    estimator = model
    names = getattr(estimator, "classes_", None)
    return estimator, {
        "label_names": None if names is None else [str(n) for n in names],
        "thresholds": _threshold_info(estimator),
        "estimator": {"class": f"{type(estimator).__module__}.{type(estimator).__qualname__}"},
    }


def _check_positive(value, name):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")


def _error(status, code, message, detail=None):
    from fastapi.responses import JSONResponse

    body = {"error": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(status_code=status, content=body)


def _validation_message(errors, content_type=""):
    """One sentence from pydantic/FastAPI validation errors."""
    if errors and all(tuple(e.get("loc", ())) == ("body",) for e in errors):
        kind = errors[0].get("type")
        if "json" not in content_type.lower():
            return ("Send the request body as JSON with the header Content-Type: "
                    'application/json, e.g. {"texts": ["some text"]}.')
        if kind == "missing":
            return 'The request body is empty; send a JSON object such as {"texts": ["..."]}.'
        if kind in ("model_attributes_type", "dict_type"):
            return ('The request body must be a JSON object such as {"texts": ["..."]}, not a '
                    "list, a string, a number or null.")
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        msg = err.get("msg", "invalid")
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx", {}) or {}
            return f"The request body is not valid JSON ({ctx.get('error', msg)})."
        if err.get("type") == "extra_forbidden":
            msg = "unknown field (accepted fields: texts, threshold, top_k)"
        parts.append(f"{loc or 'body'}: {msg}")
    more = f" ({len(errors)} errors in all)" if len(errors) > 5 else ""
    return "Invalid request: " + "; ".join(parts) + more + "."


class _BodyLimit:
    """ASGI middleware: answer 413 to request bodies larger than ``limit`` bytes."""

    def __init__(self, app, limit):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = None
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        if length is not None and length > self.limit:
            return await self._reject(scope, receive, send, length)
        chunks = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await self._reject(scope, receive, send, size)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _reject(self, scope, receive, send, size):
        response = _error(
            413, "body_too_large",
            f"The request body ({size:,} bytes or more) exceeds this server's limit of "
            f"{self.limit:,} bytes; send fewer or shorter texts per request.")
        await response(scope, receive, send)


def create_app(
    model: str | os.PathLike[str] | Any,
    *,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_text_length: int = DEFAULT_MAX_TEXT_LENGTH,
    max_body_bytes: int | None = None,
    max_concurrency: int | None = None,
    trusted: bool | Sequence[str] = False,
) -> Callable[..., Awaitable[None]]:
    """The FastAPI application serving one model.

    Parameters
    ----------
    model : str, os.PathLike or fitted estimator
        A model file (loaded now, through the safe path unless ``trusted``)
        or a fitted estimator.
    max_batch : int, default=256
        Most texts per request (413 beyond).
    max_text_length : int, default=20000
        Most characters per text (413 beyond).
    max_body_bytes : int, default=None
        Most bytes per request body (413 beyond, checked before parsing);
        ``max_batch * max_text_length * 4 + 65536`` when None (enough for the
        largest valid request in UTF-8 with JSON escapes of typical texts).
    max_concurrency : int, default=None
        Most predictions running at once (others wait); the number of CPUs
        when None.
    trusted : bool or list of str, default=False
        Passed to :func:`mlkit.persistence.load_model`: ``True`` allows pickled
        model files, whose loading runs code from the file.

    Returns
    -------
    app : ASGI application
        The ``fastapi.FastAPI`` app behind a middleware that refuses bodies
        over ``max_body_bytes``; run it with any ASGI server (uvicorn).
    """
    fastapi = import_optional("fastapi", purpose="mlkit serve")
    import mlkit

    limits = _check_limits(max_batch, max_text_length, max_body_bytes, max_concurrency)
    estimator, manifest = _load(model, trusted)
    predictor = Predictor(estimator, manifest.get("label_names"))
    logger.info("Serving %s: %d labels, %s scores; limits %s", type(estimator).__name__,
                len(predictor.label_names), predictor.score_kind, limits)
    app = fastapi.FastAPI(
        title="mlkit model server",
        version=mlkit.__version__,
        description=(f"Multi-label text classification with {len(predictor.label_names)} "
                     "labels. POST /predict with {\"texts\": [...]}.")
    )
    _add_error_handlers(app)
    _add_info_routes(app, predictor, manifest, limits)
    _add_predict_route(app, predictor, limits)
    return _BodyLimit(app, limits["max_body_bytes"])


def _check_limits(max_batch, max_text_length, max_body_bytes, max_concurrency):
    _check_positive(max_batch, "max_batch")
    _check_positive(max_text_length, "max_text_length")
    if max_body_bytes is None:
        max_body_bytes = max_batch * max_text_length * 4 + 65536
    _check_positive(max_body_bytes, "max_body_bytes")
    if max_concurrency is None:
        max_concurrency = os.cpu_count() or 1
    _check_positive(max_concurrency, "max_concurrency")
    return {"max_batch": max_batch, "max_text_length": max_text_length,
            "max_body_bytes": max_body_bytes, "max_concurrency": max_concurrency}


def _add_error_handlers(app):
    """Every error as one JSON shape: ``{"error": code, "message": ..., "detail"?}``."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(RequestValidationError)
    async def _on_validation_error(request, exc):
        errors = exc.errors()
        detail = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in errors[:20]]
        message = _validation_message(errors, request.headers.get("content-type", ""))
        return _error(422, "invalid_request", message, detail)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http_error(request, exc):
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        return _error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(Exception)
    async def _on_error(request, exc):  # pragma: no cover - a bug in the model, not the request
        return _error(500, "internal_error",
                      f"The model failed on this request ({type(exc).__name__}).")


def _label_thresholds(predictor):
    """Each label's decision threshold in the units of the served scores, or None.

    Taken from the model's ThresholdTuner itself (never from the manifest beside it).
    """
    tuner = find_threshold_tuner(predictor.estimator)
    if tuner is None or not hasattr(tuner, "thresholds_"):
        return None
    if predictor.score_kind == "probability":
        values = tuner.proba_thresholds_
    else:
        values = tuner.thresholds_
    if values is None:
        return None
    return dict(zip(predictor.label_names, (float(v) for v in values), strict=True))


def _add_info_routes(app, predictor, manifest, limits):
    import mlkit

    started = time.time()
    n_labels = len(predictor.label_names)
    thresholds = _label_thresholds(predictor)

    @app.get("/health")
    def health():
        """Liveness: the model is loaded and the server answers."""
        return {"status": "ok", "n_labels": n_labels, "uptime_s": round(time.time() - started, 3)}

    @app.get("/labels")
    def labels():
        """The label names, in score order, with their decision thresholds."""
        return {"labels": predictor.label_names, "score_kind": predictor.score_kind,
                "thresholds": thresholds}

    @app.get("/metadata")
    def metadata():
        """The model file's metadata (versions, training data, metrics, thresholds)."""
        out = dict(manifest)
        out["server"] = {**limits, "mlkit_version": mlkit.__version__}
        return out


def _request_model(max_batch, max_text_length, score_kind):
    """The pydantic model of a ``/predict`` request body."""
    from typing import Annotated

    pydantic = import_optional("pydantic", extra="serve", purpose="mlkit serve")
    max_threshold = 1.0 if score_kind == "probability" else None

    class PredictRequest(pydantic.BaseModel):
        """Texts to classify, and optionally a decision rule."""

        model_config = pydantic.ConfigDict(extra="forbid")
        texts: list[pydantic.StrictStr] = pydantic.Field(
            description=f"The texts to classify (at most {max_batch}, each at most "
                        f"{max_text_length} characters).")
        threshold: Annotated[float, pydantic.Field(
            ge=0.0 if max_threshold else None, le=max_threshold, strict=True,
            allow_inf_nan=False,
            description="One probability threshold for every label, instead of the model's "
                        "own (tuned) thresholds.")] | None = None
        top_k: Annotated[int, pydantic.Field(
            ge=1, strict=True, description="Keep the k best-scored labels of each text.")
        ] | None = None

    return PredictRequest


def _oversized(texts, max_batch, max_text_length):
    """The 413 error for a batch or a text over the limits, or None."""
    if len(texts) > max_batch:
        return _error(413, "batch_too_large",
                      f"The request holds {len(texts)} texts; this server accepts at most "
                      f"{max_batch} per request. Split the batch.")
    for i, text in enumerate(texts):
        if len(text) > max_text_length:
            return _error(413, "text_too_long",
                          f"texts[{i}] has {len(text):,} characters; this server accepts at "
                          f"most {max_text_length:,} per text. Shorten or split it.")
    return None


def _add_predict_route(app, predictor, limits):
    anyio = import_optional("anyio", extra="serve", purpose="mlkit serve")
    max_batch, max_text_length = limits["max_batch"], limits["max_text_length"]
    PredictRequest = _request_model(max_batch, max_text_length, predictor.score_kind)
    limiter = anyio.CapacityLimiter(limits["max_concurrency"])
    names = predictor.label_names

    @app.post("/predict")
    async def predict(request: PredictRequest):
        """Labels and scores per text."""
        texts = request.texts
        too_large = _oversized(texts, max_batch, max_text_length)
        if too_large is not None:
            return too_large
        top_k = None if request.top_k is None else min(request.top_k, len(names))
        rule = predictor.describe_rule(request.threshold, top_k)
        if not texts:
            return {"predictions": [], "rule": rule, "score_kind": predictor.score_kind}
        D, S = await anyio.to_thread.run_sync(
            lambda: predictor.predict(texts, threshold=request.threshold, top_k=top_k),
            limiter=limiter,
        )
        predictions = [{
            "labels": [names[j] for j in ranked_labels(d, s)],
            "scores": {name: round(float(v), 6) for name, v in zip(names, s, strict=True)},
        } for d, s in zip(D, S, strict=True)]
        return {"predictions": predictions, "rule": rule, "score_kind": predictor.score_kind}


def app_from_env() -> Callable[..., Awaitable[None]]:
    """App factory for ``uvicorn --factory mlkit.serve:app_from_env`` (several workers).

    Reads ``MLKIT_MODEL`` (the model file), and optionally ``MLKIT_MAX_BATCH``,
    ``MLKIT_MAX_TEXT_LENGTH``, ``MLKIT_MAX_CONCURRENCY`` and ``MLKIT_TRUST_PICKLE=1``.
    ``mlkit serve --workers N`` uses it.

    Returns
    -------
    app : ASGI application
        As :func:`create_app` returns it.
    """
    path = os.environ.get("MLKIT_MODEL")
    if not path:
        raise RuntimeError("Set MLKIT_MODEL to the model file to serve.")
    concurrency = os.environ.get("MLKIT_MAX_CONCURRENCY")
    return create_app(
        path,
        max_batch=int(os.environ.get("MLKIT_MAX_BATCH", DEFAULT_MAX_BATCH)),
        max_text_length=int(os.environ.get("MLKIT_MAX_TEXT_LENGTH", DEFAULT_MAX_TEXT_LENGTH)),
        max_concurrency=int(concurrency) if concurrency else None,
        trusted=os.environ.get("MLKIT_TRUST_PICKLE") == "1",
    )


def serve(
    model: str | os.PathLike[str] | Any,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_text_length: int = DEFAULT_MAX_TEXT_LENGTH,
    max_concurrency: int | None = None,
    trusted: bool | Sequence[str] = False,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Serve a model over HTTP with uvicorn until interrupted.

    Parameters
    ----------
    model : str, os.PathLike or fitted estimator
        A model file or a fitted estimator, as for :func:`create_app`.
    host : str, default="127.0.0.1"
        Loopback only by default; use ``"0.0.0.0"`` to accept connections
        from other machines (the server has no authentication).
    port : int, default=8000
    max_batch, max_text_length, max_concurrency, trusted
        See :func:`create_app`.
    log_level : str, default="info"
        uvicorn's log level.
    access_log : bool, default=True
        Whether uvicorn logs every request.
    """
    uvicorn = import_optional("uvicorn", purpose="mlkit serve")
    app = create_app(model, max_batch=max_batch, max_text_length=max_text_length,
                     max_concurrency=max_concurrency, trusted=trusted)
    logger.info("Starting the mlkit model server on http://%s:%d", host, port)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log,
                timeout_graceful_shutdown=10)
