"""mlkit.serve under hostile and careless clients: the cost of a request is bounded before
its body is parsed (a 2 MB body of a million items is refused in well under a second while
/health keeps answering within 100 ms, on a real uvicorn server on a loopback port), stalled
bodies get 408, slow predictions 503, the optional API key, /metadata without file paths,
/docs without any CDN, every error in the documented JSON shape, and ``create_app`` returning
the FastAPI app itself."""

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

import mlkit  # noqa: E402
from mlkit.persistence import save_model  # noqa: E402
from mlkit.serve import Predictor, create_app  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_blas_thread")

KEY = "s3cret-key"
AUTH = {"authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, jigsaw_sample):
    model = mlkit.make_classifier("tfidf").set_params(classifier__cv=2)
    model.fit(list(jigsaw_sample.texts), jigsaw_sample.labels)
    path = tmp_path_factory.mktemp("serve-hostile") / "secret-dir" / "jigsaw.mlkit"
    path.parent.mkdir()
    save_model(model, path, training_data=(list(jigsaw_sample.texts), jigsaw_sample.labels),
               metadata={"data": "/home/someone/private/train.csv"})
    return path, model


@pytest.fixture(scope="module")
def client(model_path):
    with TestClient(create_app(model_path[0], max_batch=8, max_text_length=500),
                    raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def server(model_path):
    """uvicorn in a subprocess on a free loopback port, through app_from_env, with an API key
    and a 0.5 s body timeout."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, MLKIT_MODEL=str(model_path[0]), MLKIT_API_KEY=KEY,
               MLKIT_BODY_TIMEOUT="0.5", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "mlkit.serve:app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        yield port, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_hostile_body_is_refused_fast_while_health_answers(server):
    _, url = server
    n = 1_000_000  # 2 MB: one million non-string items, 10 s and 1.2 GB before
    body = b'{"texts": [' + b"0," * (n - 1) + b"0]}"
    latencies, done = [], threading.Event()

    def poll():
        with httpx.Client() as c:
            while not done.is_set():
                start = time.perf_counter()
                assert c.get(url + "/health", timeout=5).status_code == 200
                latencies.append(time.perf_counter() - start)
                time.sleep(0.01)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        time.sleep(0.1)
        start = time.perf_counter()
        r = httpx.post(url + "/predict", content=body, timeout=30,
                       headers={**AUTH, "content-type": "application/json"})
        elapsed = time.perf_counter() - start
        time.sleep(0.1)
    finally:
        done.set()
        poller.join()
    assert r.status_code == 413 and r.json()["error"] == "too_many_values", r.text
    assert "at most 256 texts" in r.json()["message"]
    assert elapsed < 2.0
    assert latencies and max(latencies) < 0.1, sorted(latencies)[-3:]
    # and the server still predicts
    r = httpx.post(url + "/predict", json={"texts": ["hello"]}, headers=AUTH, timeout=30)
    assert r.status_code == 200 and len(r.json()["predictions"]) == 1


def test_stalled_body_gets_408(server):
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nhost: localhost\r\n"
                     b"content-type: application/json\r\ncontent-length: 100\r\n"
                     b"authorization: Bearer " + KEY.encode() + b"\r\n\r\n{\"texts\": [")
        start = time.perf_counter()
        reply = b""
        while b"}" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        elapsed = time.perf_counter() - start
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), reply
    payload = json.loads(body)
    assert payload["error"] == "request_timeout"
    assert "not received within 0.5 seconds (11 bytes arrived)" in payload["message"]
    assert 0.4 < elapsed < 5


def test_api_key(server):
    _, url = server
    assert httpx.get(url + "/health").status_code == 200  # liveness needs no key
    for path in ("/labels", "/metadata", "/openapi.json", "/docs"):
        r = httpx.get(url + path)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized", path
        assert r.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer <key>" in r.json()["message"]
        assert httpx.get(url + path, headers={"authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(url + path, headers={"authorization": KEY}).status_code == 401
        assert httpx.get(url + path, headers=AUTH).status_code == 200, path
    r = httpx.post(url + "/predict", json={"texts": ["x"]})
    assert r.status_code == 401
    r = httpx.post(url + "/predict", json={"texts": ["x"]},
                   headers={"authorization": f"bearer {KEY}"})  # the scheme is case-insensitive
    assert r.status_code == 200


def test_create_app_checks_the_new_parameters(model_path):
    with pytest.raises(ValueError, match="api_key must be a non-empty string or None; got ''"):
        create_app(model_path[1], api_key="")
    with pytest.raises(ValueError, match="body_timeout must be a positive number of seconds"):
        create_app(model_path[1], body_timeout=0)
    with pytest.raises(ValueError, match="request_timeout must be a positive number"):
        create_app(model_path[1], request_timeout=float("nan"))


def test_slow_prediction_gets_503(model_path, monkeypatch):
    predict = Predictor.predict

    def slow(self, *args, **kwargs):
        time.sleep(0.6)
        return predict(self, *args, **kwargs)

    monkeypatch.setattr(Predictor, "predict", slow)
    with TestClient(create_app(model_path[1], request_timeout=0.2, max_concurrency=1)) as c:
        start = time.perf_counter()
        r = c.post("/predict", json={"texts": ["hello"]})
        assert time.perf_counter() - start < 0.55
        assert r.status_code == 503 and r.json()["error"] == "timeout", r.text
        assert "within this server's limit of 0.2 seconds" in r.json()["message"]
        assert r.headers["retry-after"] == "1"
        assert c.get("/health").status_code == 200


def test_metadata_has_no_paths(client, model_path):
    r = client.get("/metadata")
    assert r.status_code == 200
    text = r.text
    assert str(model_path[0].parent) not in text and "secret-dir" not in text
    assert "/home/someone" not in text and '"path"' not in text
    meta = r.json()
    assert "metadata" not in meta and "repr" not in meta["estimator"]
    assert meta["training_data"]["n_rows"] == 267
    assert meta["payload"].keys() == {"sha256", "size"}
    assert meta["label_names"][0] == "toxic" and meta["server"]["max_batch"] == 8


def test_no_page_loads_anything_from_another_site(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "POST /predict" in docs.text and "<script" not in docs.text
    for path in ("/docs", "/openapi.json", "/health", "/labels", "/metadata", "/nope"):
        page = client.get(path).text
        assert "://" not in page and "cdn" not in page.lower(), path
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404


def test_create_app_returns_the_fastapi_app(model_path):
    app = create_app(model_path[1])
    assert isinstance(app, FastAPI)
    seen = []

    @app.middleware("http")
    async def count(request, call_next):  # users can add their own middleware
        seen.append(request.url.path)
        return await call_next(request)

    with TestClient(app) as c:
        assert c.post("/predict", json={"texts": ["hello"]}).status_code == 200
    assert seen == ["/predict"]
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    for path, method, name in [("/predict", "post", "PredictResponse"),
                               ("/labels", "get", "LabelsResponse"),
                               ("/health", "get", "HealthResponse"),
                               ("/metadata", "get", "MetadataResponse")]:
        ok = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]
        assert ok["schema"]["$ref"].endswith("/" + name)
        assert name in schemas
    predict = spec["paths"]["/predict"]["post"]
    body = predict["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["texts"] and body["additionalProperties"] is False
    assert {"413", "422", "503"} <= set(predict["responses"])


def _raw(client, body, content_type="application/json", **headers):
    return client.post("/predict", content=body, headers={"content-type": content_type, **headers})


@pytest.mark.parametrize("request_, status, error, message", [
    (("GET", "/nope"), 404, "not_found", "Not Found"),
    (("DELETE", "/predict"), 405, "method_not_allowed", "Method Not Allowed"),
    (("PUT", "/health"), 405, "method_not_allowed", "Method Not Allowed"),
    ((b'{"texts": [' + b"1," * 100 + b"1]}",), 413, "too_many_values", "more than 80 JSON"),
    ((b"[" * 9 + b"]" * 9,), 422, "invalid_request", "more than 8 levels deep"),
    ((b'{"texts": ["\xff"]}',), 422, "invalid_request", "not UTF-8 text: byte 0xff"),
    ((b'{"texts": ["abc', ), 422, "invalid_request", "Unterminated string"),
    ((b'{"texts": ["a"]} x',), 422, "invalid_request", "Extra data"),
    ((b'{"texts": [' + b"1" * 5000 + b"]}",), 422, "invalid_request", "not valid JSON"),
    ((b'{"texts": ["a"]}', "multipart/form-data; boundary=x"), 422, "invalid_request",
     "Content-Type: application/json"),
    ((b"texts=a", "application/x-www-form-urlencoded"), 422, "invalid_request",
     "application/x-www-form-urlencoded"),
    ((b'"texts"',), 422, "invalid_request", "not a string"),
    ((b'{"texts": ["' + b"x" * 2_000_000 + b'"]}',), 413, "body_too_large",
     "exceeds this server's limit"),
])
def test_every_error_has_the_documented_shape(client, request_, status, error, message):
    if isinstance(request_[0], bytes):
        r = _raw(client, *request_)
    else:
        r = client.request(*request_)
    assert r.status_code == status, r.text
    payload = r.json()
    assert set(payload) <= {"error", "message", "detail"}
    assert payload["error"] == error and message in payload["message"], payload
    assert client.post("/predict", json={"texts": ["still alive"]}).status_code == 200


def test_valid_requests_pass_the_scanner(client):
    """Pretty-printed JSON, escapes, unicode and the largest batch are not refused."""
    texts = ['a "quoted" \\ back\\slash', "é ü 😀 \u2028", "[{,:}]", "", "x" * 500] + ["y"] * 3
    for dump in (json.dumps, lambda o: json.dumps(o, indent=4, ensure_ascii=False)):
        r = _raw(client, dump({"texts": texts, "threshold": 0.5, "top_k": 2}).encode())
        assert r.status_code == 200, r.text
        assert len(r.json()["predictions"]) == 8


# --------------------------------------------------------------------------
# request fuzz: mutated bodies, every answer documented
# --------------------------------------------------------------------------


def _mutations(rng, base):
    """Seeded mutations of a valid /predict body: byte edits, type swaps, odd values."""
    raw = json.dumps(base).encode()
    values = [None, True, 0, -1, 1.5, 1e308, "x", "", [], {}, [1], ["a", 1], "\u0000",
              "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
              "é" * 300, ["t"] * 9, [["t"]], {"texts": ["t"]}, "NaN"]
    out = []
    for _ in range(60):  # byte-level edits of the valid body
        b = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b))
            op = rng.randrange(3)
            if op == 0:
                b[i] = rng.randrange(256)
            elif op == 1:
                del b[i]
            else:
                b.insert(i, rng.choice(b'{}[]",:\\0 \xff'))
        out.append(("bytes", bytes(b)))
    for field in ("texts", "threshold", "top_k", "extra"):  # type swaps per field
        for value in values:
            out.append(("field", json.dumps({**base, field: value}).encode()))
    for text in ("", " ", "\n" * 50, "x" * 499, "x" * 501, "🙂" * 200, "<script>", "\u202e"):
        out.append(("text", json.dumps({"texts": [text]}).encode()))
    return out


def test_fuzzed_requests_get_documented_answers(client):
    """Every mutated body gets 200 with one prediction per text, or 413/422 with the error
    JSON shape; never a 5xx, and each is answered quickly."""
    import random

    rng = random.Random(0)
    base = {"texts": ["you are great", "what a stupid idea"], "threshold": 0.5, "top_k": 2}
    outcomes = {}
    for kind, body in _mutations(rng, base):
        t0 = time.perf_counter()
        r = client.post("/predict", content=body, headers={"content-type": "application/json"})
        assert time.perf_counter() - t0 < 5, body[:80]
        assert r.status_code in (200, 413, 422), (r.status_code, body[:80], r.text[:200])
        data = r.json()
        if r.status_code == 200:
            sent = json.loads(body)["texts"]
            assert len(data["predictions"]) == len(sent)
            for p in data["predictions"]:
                assert set(p["labels"]) <= set(p["scores"])
                assert all(0.0 <= v <= 1.0 for v in p["scores"].values())
        else:
            assert set(data) >= {"error", "message"} and data["message"], data
        outcomes.setdefault(kind, []).append(r.status_code)
    assert client.get("/health").status_code == 200
    # the fuzz reached both sides: some mutated bodies are still valid, most are not
    statuses = [s for v in outcomes.values() for s in v]
    assert statuses.count(200) >= 5 and statuses.count(422) >= 20
