"""HTTP serving of a model file: a FastAPI app run by uvicorn (extra ``serve``).

Endpoints:

* ``POST /predict`` with ``{"texts": [...], "threshold": x?, "top_k": k?}``:
  the predicted label names and the score of every label, per text;
* ``GET /health``, ``GET /labels``, ``GET /metadata``; ``GET /openapi.json``
  and ``GET /docs`` (a plain HTML page of the endpoints, no scripts, nothing
  loaded from other sites).

Without ``threshold`` and ``top_k`` the model decides with its own rule (the
per-label thresholds a :class:`~mlkit.ThresholdTuner` tuned). ``threshold``
replaces it with one probability threshold for every label; ``top_k`` keeps
the ``k`` best-scored labels of each text (above ``threshold`` when both are
given).

The cost of a request is bounded before its body is parsed: the body is read
with a size limit (``max_body_bytes``, 413) and a time limit (``body_timeout``,
408); its JSON tokens are counted and its nesting depth checked by a scanner
that stops at the first token past the limit (a request holds at most
``max_batch`` texts, so at most about ``2 * max_batch`` tokens), and only then
is it parsed, in a worker thread for large bodies. A body that is not JSON, a
field of the wrong type, an unknown field, or a value out of range is a 422
JSON error; a batch larger than ``max_batch``, a text longer than
``max_text_length`` characters, a body larger than ``max_body_bytes`` or with
too many JSON values is a 413 JSON error. Predictions run in a pool of
``max_concurrency`` threads, so the event loop keeps answering (and rejecting
bad requests) while the model works; a request not answered within
``request_timeout`` seconds (waiting for a thread included) gets a 503 JSON
error. Errors never stop the worker. With ``api_key`` every route but
``/health`` requires ``Authorization: Bearer <key>`` (401 otherwise).

Model files are loaded through the safe path of
:func:`mlkit.persistence.load_model`; a pickled model is refused unless
``trusted=True`` (``mlkit serve --trust-pickle``).
"""

# no ``from __future__ import annotations`` here: FastAPI reads the annotations of the
# route functions defined below at runtime, and cannot resolve them as strings
import asyncio
import hmac
import html
import json
import logging
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ._optional import import_optional
from .inference import Predictor, find_threshold_tuner, ranked_labels

if TYPE_CHECKING:  # pragma: no cover
    import fastapi

__all__ = ["Predictor", "app_from_env", "create_app", "ranked_labels", "serve"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_BATCH = 256
DEFAULT_MAX_TEXT_LENGTH = 20_000
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_REQUEST_TIMEOUT = 60.0
#: deepest JSON nesting accepted (a valid request nests two levels: an object holding a list)
MAX_JSON_DEPTH = 8
#: bodies up to this size are parsed in the event loop, larger ones in a worker thread
_INLINE_PARSE_BYTES = 65536
_PUBLIC_PATHS = frozenset({"/health"})


def _load(model, trusted, allow_download=False):
    from .persistence import _threshold_info, load_model

    if isinstance(model, (str, os.PathLike)):
        estimator, manifest = load_model(model, trusted=trusted, with_metadata=True,
                                         allow_download=allow_download)
        return estimator, dict(manifest)
    estimator = model
    names = getattr(estimator, "classes_", None)
    return estimator, {
        "label_names": None if names is None else [str(n) for n in names],
        "thresholds": _threshold_info(estimator),
        "estimator": {"class": f"{type(estimator).__module__}.{type(estimator).__qualname__}"},
    }


# the manifest fields /metadata shows; anything else (the caller's free-form ``metadata``,
# the estimator's repr, the training data's source) can hold file paths or other secrets
_PUBLIC_MANIFEST = ("format", "format_version", "created_at", "versions", "serializer",
                    "kind", "label_names", "thresholds", "metrics")
_PUBLIC_TRAINING_DATA = ("n_rows", "n_labels", "fingerprint", "label_support", "format",
                         "layout")


def _public_manifest(manifest):
    """The manifest without file paths or free-form fields (what ``/metadata`` shows)."""
    out = {key: manifest[key] for key in _PUBLIC_MANIFEST if key in manifest}
    estimator = manifest.get("estimator")
    if isinstance(estimator, dict):
        out["estimator"] = {key: estimator[key] for key in ("class", "steps") if key in estimator}
    data = manifest.get("training_data")
    if isinstance(data, dict):
        out["training_data"] = {key: data[key] for key in _PUBLIC_TRAINING_DATA if key in data}
    payload = manifest.get("payload")
    if isinstance(payload, dict):
        out["payload"] = {key: payload[key] for key in ("sha256", "size") if key in payload}
    return out


def _check_positive(value, name):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")


def _check_seconds(value, name):
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not 0 < value < float("inf")):
        raise ValueError(f"{name} must be a positive number of seconds; got {value!r}.")
    return float(value)


def _error(status, code, message, detail=None, headers=None):
    from starlette.responses import JSONResponse

    body = {"error": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(status_code=status, content=body, headers=headers)


def _validation_message(errors):
    """One sentence from pydantic validation errors (locations without ``body``)."""
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field (accepted fields: texts, threshold, top_k)"
        parts.append(f"{loc or 'body'}: {msg}")
    more = f" ({len(errors)} errors in all)" if len(errors) > 5 else ""
    return "Invalid request: " + "; ".join(parts) + more + "."


def _error_detail(errors):
    return [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")),
             "type": str(e.get("type", ""))} for e in errors[:20]]


# --- the request guard: authentication, body size and body time, before any route -------

# a refused body is read and discarded up to this many times the body limit (see _drain)
_DRAIN_FACTOR = 4


class _RequestGuard:
    """Pure ASGI middleware: the API key, then the body read with a size and a time limit.

    Answers 401 to a missing or wrong ``Authorization: Bearer`` key (every path but
    ``/health``, before the body is read), 413 to a body over ``max_body_bytes`` (from
    ``Content-Length`` or while reading) and 408 to a body not received within
    ``body_timeout`` seconds; then hands the whole body on to the app.
    """

    def __init__(self, app, *, max_body_bytes, body_timeout, api_key=None):
        self.app = app
        self.limit = max_body_bytes
        self.body_timeout = body_timeout
        self.api_key = None if api_key is None else api_key.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", ()))
        if self.api_key is not None and scope.get("path") not in _PUBLIC_PATHS:
            refusal = self._refuse_key(headers.get(b"authorization"))
            if refusal is not None:
                return await refusal(scope, receive, send)
        try:
            length = int(headers.get(b"content-length", b""))
        except ValueError:
            length = None
        import anyio

        if length is not None and length > self.limit:
            await self._drain(receive, length)
            return await self._too_large(length)(scope, receive, send)

        chunks = []
        size = 0
        try:
            with anyio.fail_after(self.body_timeout):
                more = True
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.limit:
                        if more := message.get("more_body", False):
                            await self._drain(receive, None)
                        return await self._too_large(size)(scope, receive, send)
                    chunks.append(chunk)
                    more = message.get("more_body", False)
        except TimeoutError:
            response = _error(
                408, "request_timeout",
                f"The request body was not received within {self.body_timeout:g} seconds "
                f"({size:,} bytes arrived); send the whole body at once.",
                headers={"connection": "close"})
            return await response(scope, receive, send)
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _drain(self, receive, length):
        """Read and discard the rest of a refused body, so that the client, still sending,
        reads the 413 instead of a reset connection. Bounded: at most ``_DRAIN_FACTOR``
        times the limit and ``body_timeout`` seconds; beyond, the connection is closed."""
        import anyio

        if length is not None and length > _DRAIN_FACTOR * self.limit:
            return
        drained = 0
        with anyio.move_on_after(self.body_timeout):
            while drained <= _DRAIN_FACTOR * self.limit:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                drained += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return

    def _refuse_key(self, value):
        challenge = {"www-authenticate": "Bearer"}
        if not value:
            return _error(401, "unauthorized",
                          "This server requires an API key: send the header "
                          "'Authorization: Bearer <key>'.", headers=challenge)
        scheme, _, token = value.partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(token.strip(), self.api_key):
            return _error(401, "unauthorized",
                          "The Authorization header does not hold this server's API key; send "
                          "'Authorization: Bearer <key>'.", headers=challenge)
        return None

    def _too_large(self, size):
        return _error(
            413, "body_too_large",
            f"The request body ({size:,} bytes or more) exceeds this server's limit of "
            f"{self.limit:,} bytes; send fewer or shorter texts per request.",
            headers={"connection": "close"})


# --- the bounded parser -------------------------------------------------------------------

# one piece of JSON: a run of whitespace (group 1), the quote opening a string (2), an
# opening bracket (3), a closing one (4), a separator (5), or a number or literal (6). Runs are
# matched at most 4,096 characters at a time and strings are skipped with str.find: no single
# call holds the GIL for long, whatever the body holds
_PIECE = re.compile(r'([ \t\n\r]{1,4096}+)|(")|([\[{])|([\]}])|([,:])'
                    r'|([^ \t\n\r"\[\]{},:]{1,4096}+)')


def _scan(text, max_batch, max_depth=MAX_JSON_DEPTH):
    """Count the JSON tokens of ``text``, stopping past those of ``max_batch`` texts (and a
    margin for the other fields): an error response, or None.

    Cost: at most ``2 * max_batch + 64`` tokens (and as many runs of whitespace) are
    looked at, plus two ``str.replace`` and one ``str.find`` per string over ``text``.
    """
    max_tokens = 2 * max_batch + 64
    # without escaped backslashes and quotes, every quote left opens or closes a string
    # (outside strings a backslash is invalid JSON, which json.loads reports)
    text = text.replace("\\\\", "").replace('\\"', "")
    match, find = _PIECE.match, text.find
    pos = n = spaces = depth = 0
    end = len(text)
    while pos < end:
        m = match(text, pos)
        kind = m.lastindex
        if kind == 1:
            spaces += 1
            if spaces > 2 * max_tokens:
                return _too_many(max_tokens, max_batch)
            pos = m.end()
            continue
        n += 1
        if n > max_tokens:
            return _too_many(max_tokens, max_batch)
        if kind == 2:
            close = find('"', pos + 1)
            if close < 0:  # never closed: json.loads says where, after a bounded prefix
                return None
            pos = close + 1
            continue
        if kind == 3:
            depth += 1
            if depth > max_depth:
                return _error(
                    422, "invalid_request",
                    f"The request body nests JSON more than {max_depth} levels deep; send an "
                    'object holding a list of strings, e.g. {"texts": ["some text"]}.')
        elif kind == 4:
            depth -= 1
        pos = m.end()
    return None


def _too_many(max_tokens, max_batch):
    return _error(
        413, "too_many_values",
        f"The request body holds more than {max_tokens:,} JSON values and separators; a "
        f"request of this server holds at most {max_batch:,} texts. Send fewer items per "
        "request.")


def _is_json(content_type):
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media == "application/json" or media.endswith("+json")


def _parse_request(body, content_type, model, limits):
    """The validated request (a ``model`` instance) or the error response, bounded in cost."""
    if not _is_json(content_type):
        return _error(422, "invalid_request",
                      f"The request body was sent as {content_type!r}; send it as JSON with the "
                      'header Content-Type: application/json, e.g. {"texts": ["some text"]}.')
    if not body.strip():
        return _error(422, "invalid_request",
                      'The request body is empty; send a JSON object such as {"texts": ["..."]}.')
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(422, "invalid_request",
                      f"The request body is not valid JSON (not UTF-8 text: byte "
                      f"{exc.object[exc.start]:#04x} at position {exc.start}).")
    refusal = _scan(text, limits["max_batch"])
    if refusal is not None:
        return refusal
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, or an over-long integer
        return _error(422, "invalid_request", f"The request body is not valid JSON ({exc}).")
    if not isinstance(obj, dict):
        kinds = {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
        return _error(422, "invalid_request",
                      'The request body must be a JSON object such as {"texts": ["..."]}, not '
                      f"{kinds.get(type(obj), 'a number')}.")
    pydantic = import_optional("pydantic", extra="serve", purpose="mlkit serve")
    try:
        request = model.model_validate(obj)
    except pydantic.ValidationError as exc:
        errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors(include_url=False)]
        return _error(422, "invalid_request", _validation_message(errors), _error_detail(errors))
    return _oversized(request.texts, limits["max_batch"], limits["max_text_length"]) or request


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


# --- the app ------------------------------------------------------------------------------

def create_app(
    model: str | os.PathLike[str] | Any,
    *,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_text_length: int = DEFAULT_MAX_TEXT_LENGTH,
    max_body_bytes: int | None = None,
    max_concurrency: int | None = None,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    api_key: str | None = None,
    trusted: bool | Sequence[str] = False,
    allow_download: bool = False,
) -> "fastapi.FastAPI":
    """The FastAPI application serving one model.

    Parameters
    ----------
    model : str, os.PathLike or fitted estimator
        A model file (loaded now, through the safe path unless ``trusted``),
        a checkpoint folder or hub name (see
        :func:`mlkit.persistence.load_model`), or a fitted estimator.
    max_batch : int, default=256
        Most texts per request (413 beyond).
    max_text_length : int, default=20000
        Most characters per text (413 beyond).
    max_body_bytes : int, default=None
        Most bytes per request body (413 beyond, checked while the body is
        read, before parsing); ``max_batch * max_text_length * 4 + 65536``
        when None (enough for the largest valid request in UTF-8 with JSON
        escapes of typical texts).
    max_concurrency : int, default=None
        Most predictions running at once (others wait); the number of CPUs
        when None.
    body_timeout : float, default=30.0
        Seconds a client has to send the whole request body once its
        headers arrived (408 beyond).
    request_timeout : float, default=60.0
        Seconds from the body's arrival to the answer of ``/predict``,
        waiting for a prediction thread included (503 beyond). A prediction
        that already started runs to its end in its thread; its answer is
        dropped.
    api_key : str, default=None
        When given, every route except ``/health`` requires the header
        ``Authorization: Bearer <api_key>`` (401 otherwise; compared in
        constant time).
    trusted : bool or list of str, default=False
        Passed to :func:`mlkit.persistence.load_model`: ``True`` allows pickled
        model files, whose loading runs code from the file.
    allow_download : bool, default=False
        Passed to :func:`mlkit.persistence.load_model`: let a hub name that
        is not in the local cache be downloaded.

    Returns
    -------
    app : fastapi.FastAPI
        The application, with the request guard (API key, body size and
        time limits) as its middleware; add your own with
        ``app.add_middleware``, run it with any ASGI server (uvicorn).
    """
    fastapi = import_optional("fastapi", purpose="mlkit serve")
    import mlkit

    limits = _check_limits(max_batch, max_text_length, max_body_bytes, max_concurrency)
    body_timeout = _check_seconds(body_timeout, "body_timeout")
    request_timeout = _check_seconds(request_timeout, "request_timeout")
    if api_key is not None and (not isinstance(api_key, str) or not api_key.strip()):
        raise ValueError(f"api_key must be a non-empty string or None; got {api_key!r}.")
    estimator, manifest = _load(model, trusted, allow_download)
    predictor = Predictor(estimator, manifest.get("label_names"))
    logger.info("Serving %s: %d labels, %s scores; limits %s", type(estimator).__name__,
                len(predictor.label_names), predictor.score_kind, limits)
    pool = _Pool(limits["max_concurrency"])
    app = fastapi.FastAPI(
        title="mlkit model server",
        version=mlkit.__version__,
        description=(f"Multi-label text classification with {len(predictor.label_names)} "
                     "labels. POST /predict with {\"texts\": [...]}."),
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN: see /docs below
        lifespan=pool.lifespan,
    )
    models = _models(limits, predictor.score_kind)
    _add_error_handlers(app)
    _add_info_routes(app, predictor, manifest, limits, models)
    _add_predict_route(app, predictor, limits, request_timeout, pool, models)
    _add_docs_route(app)
    app.add_middleware(_RequestGuard, max_body_bytes=limits["max_body_bytes"],
                       body_timeout=body_timeout, api_key=api_key)
    return app


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


class _Pool:
    """The prediction threads: ``max_concurrency`` of them, made on first use, shut at exit.

    A prediction whose request timed out is dropped if it has not started; one that
    started keeps its thread to its end, so at most ``max_concurrency`` ever run at once.
    """

    def __init__(self, size):
        self.size = size
        self.executor = None

    async def run(self, fn):
        if self.executor is None:
            self.executor = ThreadPoolExecutor(self.size, thread_name_prefix="mlkit-predict")
        return await asyncio.wrap_future(self.executor.submit(fn))

    def lifespan(self, app):
        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def span():
            try:
                yield
            finally:
                if self.executor is not None:
                    self.executor.shutdown(wait=False, cancel_futures=True)
                    self.executor = None

        return span()


def _models(limits, score_kind):
    """The pydantic models of the requests and responses (for validation and OpenAPI)."""
    from typing import Annotated

    pydantic = import_optional("pydantic", extra="serve", purpose="mlkit serve")
    Field = pydantic.Field
    max_batch, max_text_length = limits["max_batch"], limits["max_text_length"]
    max_threshold = 1.0 if score_kind == "probability" else None

    class PredictRequest(pydantic.BaseModel):
        """Texts to classify, and optionally a decision rule."""

        model_config = pydantic.ConfigDict(extra="forbid")
        texts: list[pydantic.StrictStr] = Field(
            description=f"The texts to classify (at most {max_batch}, each at most "
                        f"{max_text_length} characters).")
        threshold: Annotated[float, Field(
            ge=0.0 if max_threshold else None, le=max_threshold, strict=True,
            allow_inf_nan=False,
            description="One probability threshold for every label, instead of the model's "
                        "own (tuned) thresholds.")] | None = None
        top_k: Annotated[int, Field(
            ge=1, strict=True, description="Keep the k best-scored labels of each text.")
        ] | None = None

    class Prediction(pydantic.BaseModel):
        """The predicted labels of one text (best-scored first) and every label's score."""

        labels: list[str]
        scores: dict[str, float] = Field(description="Every label's score, in label order.")

    class PredictResponse(pydantic.BaseModel):
        """One prediction per text, in request order."""

        predictions: list[Prediction]
        rule: str = Field(description='"model" (its own thresholds), or "threshold=x", '
                                      '"top_k=k" or both.')
        score_kind: str = Field(description='"probability" or "decision".')

    class HealthResponse(pydantic.BaseModel):
        """Liveness."""

        status: str
        n_labels: int
        uptime_s: float

    class LabelsResponse(pydantic.BaseModel):
        """The label names in score order, with their decision thresholds."""

        labels: list[str]
        score_kind: str
        thresholds: dict[str, float] | None = Field(
            description="Each label's tuned threshold, in threshold_units, or null.")
        threshold_units: str | None = Field(
            default=None,
            description='"probability" (the units of the scores when score_kind is '
                        '"probability"), "decision_function" when the tuned thresholds have '
                        "no probability equivalent, or null without thresholds.")

    class MetadataResponse(pydantic.BaseModel):
        """The model file's public manifest fields and the server's limits."""

        model_config = pydantic.ConfigDict(extra="allow")
        label_names: list[str] | None = None
        server: dict[str, Any]

    class ErrorResponse(pydantic.BaseModel):
        """Every error: a code, a sentence, and for invalid requests the failed fields."""

        error: str
        message: str
        detail: list[dict[str, Any]] | None = None

    return {model.__name__: model for model in (
        PredictRequest, PredictResponse, HealthResponse, LabelsResponse, MetadataResponse,
        ErrorResponse)}


def _add_error_handlers(app):
    """Every error as one JSON shape: ``{"error": code, "message": ..., "detail"?}``."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(RequestValidationError)
    async def _on_validation_error(request, exc):
        errors = exc.errors()
        return _error(422, "invalid_request", _validation_message(errors), _error_detail(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _on_http_error(request, exc):
        codes = {400: "bad_request", 401: "unauthorized", 404: "not_found",
                 405: "method_not_allowed", 408: "request_timeout", 413: "body_too_large",
                 503: "unavailable"}
        return _error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail),
                      headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _on_error(request, exc):  # pragma: no cover - a bug in the model, not the request
        return _error(500, "internal_error",
                      f"The model failed on this request ({type(exc).__name__}).")


def _error_responses(models, *statuses):
    descriptions = {401: "Missing or wrong API key", 408: "Body not received in time",
                    413: "Too large", 422: "Invalid request", 503: "Not answered in time"}
    return {status: {"model": models["ErrorResponse"], "description": descriptions[status]}
            for status in statuses}


def _label_thresholds(predictor):
    """Each label's decision threshold and their units, or (None, None).

    Taken from the model's ThresholdTuner itself (never from the manifest beside it): in
    probability units when the served scores are probabilities and the tuner knows its
    thresholds' probability equivalents (``proba_thresholds_``), else in the units the
    tuner thresholds (``response_method_``; e.g. the logits of a TransformerClassifier,
    whose tuner thresholds decision values).
    """
    tuner = find_threshold_tuner(predictor.estimator)
    if tuner is None or getattr(tuner, "thresholds_", None) is None:
        return None, None
    proba = getattr(tuner, "proba_thresholds_", None)
    if predictor.score_kind == "probability" and proba is not None:
        values, units = proba, "probability"
    else:
        values, units = tuner.thresholds_, tuner.response_method_
        units = "probability" if units == "predict_proba" else units
    return dict(zip(predictor.label_names, (float(v) for v in values), strict=True)), units


def _add_info_routes(app, predictor, manifest, limits, models):
    import mlkit

    started = time.time()
    n_labels = len(predictor.label_names)
    thresholds, units = _label_thresholds(predictor)
    public = _public_manifest(manifest)
    auth = _error_responses(models, 401)

    @app.get("/health", response_model=models["HealthResponse"])
    def health():
        """Liveness: the model is loaded and the server answers (no API key needed)."""
        return {"status": "ok", "n_labels": n_labels, "uptime_s": round(time.time() - started, 3)}

    @app.get("/labels", response_model=models["LabelsResponse"], responses=auth)
    def labels():
        """The label names, in score order, with their decision thresholds."""
        return {"labels": predictor.label_names, "score_kind": predictor.score_kind,
                "thresholds": thresholds, "threshold_units": units}

    @app.get("/metadata", response_model=models["MetadataResponse"], responses=auth)
    def metadata():
        """The model file's metadata (versions, estimator class, training data summary,
        metrics, thresholds) and the server's limits; no file paths."""
        return {**public, "server": {**limits, "mlkit_version": mlkit.__version__}}


def _add_predict_route(app, predictor, limits, request_timeout, pool, models):
    anyio = import_optional("anyio", extra="serve", purpose="mlkit serve")
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    PredictRequest = models["PredictRequest"]
    names = predictor.label_names
    schema = PredictRequest.model_json_schema()

    def answer(req):
        top_k = None if req.top_k is None else min(req.top_k, len(names))
        rule = predictor.describe_rule(req.threshold, top_k)
        out = {"predictions": [], "rule": rule, "score_kind": predictor.score_kind}
        if req.texts:
            D, S = predictor.predict(req.texts, threshold=req.threshold, top_k=top_k)
            out["predictions"] = [{
                "labels": [names[j] for j in ranked_labels(d, s)],
                "scores": {name: round(float(v), 6) for name, v in zip(names, s, strict=True)},
            } for d, s in zip(D, S, strict=True)]
        return out

    @app.post("/predict", response_model=models["PredictResponse"],
              responses=_error_responses(models, 401, 408, 413, 422, 503),
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": schema}}}})
    async def predict(request: Request):
        """Labels and scores per text."""
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        try:
            with anyio.fail_after(request_timeout):
                if len(body) <= _INLINE_PARSE_BYTES:
                    req = _parse_request(body, content_type, PredictRequest, limits)
                else:  # bounded, but a 20 MB body takes tens of ms: off the event loop
                    req = await anyio.to_thread.run_sync(
                        _parse_request, body, content_type, PredictRequest, limits,
                        abandon_on_cancel=True)
                if not isinstance(req, PredictRequest):
                    return req
                return JSONResponse(await pool.run(lambda: answer(req)))
        except TimeoutError:
            return _error(503, "timeout",
                          f"The prediction was not done within this server's limit of "
                          f"{request_timeout:g} seconds (the server is busy or the batch is "
                          "large); retry later or send fewer texts.",
                          headers={"retry-after": "1"})


def _add_docs_route(app):
    """``GET /docs``: the endpoints as plain HTML built from the OpenAPI schema, with no
    script and no asset from another site (FastAPI's Swagger UI loads both from a CDN)."""
    from starlette.responses import HTMLResponse

    page = None

    @app.get("/docs", include_in_schema=False)
    def docs():
        nonlocal page
        if page is None:
            spec = app.openapi()
            parts = [f"<h1>{html.escape(spec['info']['title'])} "
                     f"{html.escape(spec['info']['version'])}</h1>",
                     f"<p>{html.escape(spec['info'].get('description', ''))}</p>",
                     '<p>The machine-readable schema: <a href="openapi.json">openapi.json</a>.'
                     "</p>"]
            for path, ops in spec.get("paths", {}).items():
                for method, op in ops.items():
                    parts.append(f"<h2>{method.upper()} {html.escape(path)}</h2>"
                                 f"<p>{html.escape(op.get('description', ''))}</p>")
                    body = op.get("requestBody", {}).get("content", {}).get("application/json")
                    if body:
                        parts.append("<h3>Request body</h3><pre>"
                                     + html.escape(json.dumps(body["schema"], indent=1))
                                     + "</pre>")
                    statuses = ", ".join(f"{code} ({html.escape(r.get('description', ''))})"
                                         for code, r in op.get("responses", {}).items())
                    parts.append(f"<p>Responses: {statuses}</p>")
            schemas = spec.get("components", {}).get("schemas", {})
            if schemas:
                parts.append("<h2>Schemas</h2><pre>"
                             + html.escape(json.dumps(schemas, indent=1)) + "</pre>")
            page = ("<!doctype html><html><head><meta charset='utf-8'><title>"
                    f"{html.escape(spec['info']['title'])}</title></head><body>"
                    + "".join(parts) + "</body></html>")
        return HTMLResponse(page)


def app_from_env() -> "fastapi.FastAPI":
    """App factory for ``uvicorn --factory mlkit.serve:app_from_env`` (several workers).

    Reads ``MLKIT_MODEL`` (the model file), and optionally ``MLKIT_MAX_BATCH``,
    ``MLKIT_MAX_TEXT_LENGTH``, ``MLKIT_MAX_BODY_BYTES``, ``MLKIT_MAX_CONCURRENCY``,
    ``MLKIT_BODY_TIMEOUT``, ``MLKIT_REQUEST_TIMEOUT`` (seconds), ``MLKIT_API_KEY``,
    ``MLKIT_TRUST_PICKLE=1`` and ``MLKIT_ALLOW_DOWNLOAD=1``. ``mlkit serve --workers N``
    uses it.

    Returns
    -------
    app : fastapi.FastAPI
        As :func:`create_app` returns it.
    """
    path = os.environ.get("MLKIT_MODEL")
    if not path:
        raise RuntimeError("Set MLKIT_MODEL to the model file to serve.")

    def number(name, kind, default):
        value = os.environ.get(name)
        if not value:
            return default
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"{name} must be a{'n integer' if kind is int else ' number'}; "
                             f"got {value!r}.") from None

    return create_app(
        path,
        max_batch=number("MLKIT_MAX_BATCH", int, DEFAULT_MAX_BATCH),
        max_text_length=number("MLKIT_MAX_TEXT_LENGTH", int, DEFAULT_MAX_TEXT_LENGTH),
        max_body_bytes=number("MLKIT_MAX_BODY_BYTES", int, None),
        max_concurrency=number("MLKIT_MAX_CONCURRENCY", int, None),
        body_timeout=number("MLKIT_BODY_TIMEOUT", float, DEFAULT_BODY_TIMEOUT),
        request_timeout=number("MLKIT_REQUEST_TIMEOUT", float, DEFAULT_REQUEST_TIMEOUT),
        api_key=os.environ.get("MLKIT_API_KEY") or None,
        trusted=os.environ.get("MLKIT_TRUST_PICKLE") == "1",
        allow_download=os.environ.get("MLKIT_ALLOW_DOWNLOAD") == "1",
    )


def serve(
    model: str | os.PathLike[str] | Any,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_text_length: int = DEFAULT_MAX_TEXT_LENGTH,
    max_concurrency: int | None = None,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    api_key: str | None = None,
    trusted: bool | Sequence[str] = False,
    allow_download: bool = False,
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
        from other machines (then set ``api_key``, or put the server behind
        your own gateway).
    port : int, default=8000
    max_batch, max_text_length, max_concurrency, body_timeout, request_timeout, api_key, trusted
        See :func:`create_app`.
    allow_download : bool, default=False
        See :func:`create_app`.
    log_level : str, default="info"
        uvicorn's log level.
    access_log : bool, default=True
        Whether uvicorn logs every request.
    """
    uvicorn = import_optional("uvicorn", purpose="mlkit serve")
    app = create_app(model, max_batch=max_batch, max_text_length=max_text_length,
                     max_concurrency=max_concurrency, body_timeout=body_timeout,
                     request_timeout=request_timeout, api_key=api_key, trusted=trusted,
                     allow_download=allow_download)
    logger.info("Starting the mlkit model server on http://%s:%d", host, port)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log,
                timeout_graceful_shutdown=10)
