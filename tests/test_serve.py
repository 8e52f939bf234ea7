"""mlkit.serve: the FastAPI app on a model file of the Jigsaw sample, through FastAPI's
TestClient: predictions match the model's, the decision rules, every malformed request
answered with a 4xx JSON error (never a 5xx), limits, and the safe loading path.
The real uvicorn server is exercised end to end in test_cli.py."""

import json

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

import mlkit  # noqa: E402
from mlkit.persistence import UntrustedModelError, save_model  # noqa: E402
from mlkit.serve import Predictor, create_app  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_blas_thread")

TEXTS = ["You are a stupid idiot and I hate you", "Thanks for fixing the citation.",
         "Go away or I will find you", ""]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, jigsaw_sample):
    model = mlkit.make_classifier("tfidf").set_params(classifier__cv=2)
    model.fit(list(jigsaw_sample.texts), jigsaw_sample.labels)
    path = tmp_path_factory.mktemp("serve") / "jigsaw.mlkit"
    save_model(model, path, training_data=(list(jigsaw_sample.texts), jigsaw_sample.labels))
    return path, model


@pytest.fixture(scope="module")
def client(model_path):
    app = create_app(model_path[0], max_batch=8, max_text_length=500)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _post(client, body, content_type="application/json"):
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    return client.post("/predict", content=body, headers={"content-type": content_type})


def test_health_labels_metadata(client, jigsaw_sample):
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    labels = client.get("/labels").json()
    assert labels["labels"] == list(jigsaw_sample.label_names)
    assert labels["score_kind"] == "probability"
    assert set(labels["thresholds"]) == set(jigsaw_sample.label_names)
    assert labels["threshold_units"] == "probability"
    meta = client.get("/metadata").json()
    assert meta["format"] == "mlkit-model" and meta["serializer"] == "safe"
    assert meta["training_data"]["n_rows"] == 267
    assert meta["server"]["max_batch"] == 8


def test_predict_uses_the_models_tuned_rule(client, model_path):
    model = model_path[1]
    r = _post(client, {"texts": TEXTS})
    assert r.status_code == 200
    body = r.json()
    assert body["rule"] == "model" and body["score_kind"] == "probability"
    names = list(model.classes_)
    expected = model.predict(TEXTS)
    proba = model.predict_proba(TEXTS)
    for i, pred in enumerate(body["predictions"]):
        # the predicted labels, best-scored first
        on = np.flatnonzero(expected[i])
        assert pred["labels"] == [names[j] for j in on[np.argsort(-proba[i][on])]]
        assert list(pred["scores"]) == names
        np.testing.assert_allclose(list(pred["scores"].values()), proba[i], atol=1e-6)
    assert body["predictions"][0]["labels"]  # the insult is flagged
    assert body["predictions"][1]["labels"] == []


def test_threshold_and_top_k(client, model_path):
    model = model_path[1]
    proba = model.predict_proba(TEXTS)
    names = list(model.classes_)
    body = _post(client, {"texts": TEXTS, "threshold": 0.05}).json()
    assert body["rule"] == "threshold=0.05"
    for i, pred in enumerate(body["predictions"]):
        assert set(pred["labels"]) == {names[j] for j in np.flatnonzero(proba[i] > 0.05)}
    body = _post(client, {"texts": TEXTS, "top_k": 2}).json()
    assert all(len(p["labels"]) == 2 for p in body["predictions"])
    first = body["predictions"][0]
    assert first["labels"] == [names[j] for j in np.argsort(-proba[0])[:2]]  # ranked
    # both: at most k labels above the threshold; k above the label count is capped
    body = _post(client, {"texts": TEXTS, "threshold": 0.5, "top_k": 100}).json()
    assert body["rule"] == "threshold=0.5,top_k=6"
    assert [len(p["labels"]) for p in body["predictions"]] == list((proba > 0.5).sum(axis=1))


def test_empty_batch(client):
    r = _post(client, {"texts": []})
    assert r.status_code == 200 and r.json()["predictions"] == []


@pytest.mark.parametrize("body,content_type,status,message", [
    (b'{"texts": ["a"', "application/json", 422, "not valid JSON"),
    (b"\xff\xfe\x00garbage", "application/json", 422, "not valid JSON"),
    (b"", "application/json", 422, "empty"),
    (b"[1, 2]", "application/json", 422, "JSON object"),
    (b"null", "application/json", 422, "JSON object"),
    ({"texts": "one string"}, "application/json", 422, "texts: Input should be a valid list"),
    ({"texts": ["ok", 3]}, "application/json", 422, "texts.1: Input should be a valid string"),
    ({"texts": [None]}, "application/json", 422, "texts.0"),
    ({"text": ["a"]}, "application/json", 422, "texts: Field required"),
    ({"texts": ["a"], "treshold": 0.5}, "application/json", 422, "treshold: unknown field"),
    ({"texts": ["a"], "threshold": 1.5}, "application/json", 422, "less than or equal to 1"),
    ({"texts": ["a"], "threshold": "0.5"}, "application/json", 422, "threshold"),
    ({"texts": ["a"], "threshold": True}, "application/json", 422, "threshold"),
    ({"texts": ["a"], "top_k": 0}, "application/json", 422, "greater than or equal to 1"),
    ({"texts": ["a"], "top_k": 1.5}, "application/json", 422, "top_k"),
    (b'{"texts": ["a"], "threshold": NaN}', "application/json", 422, "finite number"),
    ({"texts": ["a"]}, "text/plain", 422, "Content-Type: application/json"),
    ({"texts": ["a"] * 9}, "application/json", 413, "holds 9 texts; this server accepts at "
                                                    "most 8"),
    ({"texts": ["ok", "x" * 501]}, "application/json", 413, "texts[1] has 501 characters"),
])
def test_bad_requests_get_json_errors(client, body, content_type, status, message):
    r = _post(client, body, content_type)
    assert r.status_code == status, r.text
    payload = r.json()
    assert message in payload["message"], payload
    assert payload["error"] in ("invalid_request", "batch_too_large", "text_too_long")
    # the server keeps working
    assert _post(client, {"texts": ["still alive"]}).status_code == 200


def test_body_size_limit(client):
    r = _post(client, b'{"texts": ["' + b"x" * 3_000_000 + b'"]}')
    assert r.status_code == 413
    assert r.json()["error"] == "body_too_large"
    assert "exceeds this server's limit" in r.json()["message"]


def test_unknown_route_and_method(client):
    r = client.get("/nope")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.get("/predict")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_pickled_model_is_refused_unless_trusted(tmp_path, model_path):
    path = tmp_path / "pickled.mlkit"
    save_model(model_path[1], path, serializer="pickle")
    with pytest.raises(UntrustedModelError, match="pickle"):
        create_app(path)
    with TestClient(create_app(path, trusted=True)) as c:
        assert _post(c, {"texts": ["hello"]}).status_code == 200


def test_app_from_estimator(model_path):
    with TestClient(create_app(model_path[1])) as c:
        assert c.get("/labels").json()["labels"][0] == "toxic"
        assert _post(c, {"texts": ["hello"]}).status_code == 200


def test_create_app_checks_its_limits(model_path):
    with pytest.raises(ValueError, match="max_batch must be a positive integer; got 0"):
        create_app(model_path[1], max_batch=0)


def test_predictor_without_classes():
    from sklearn.dummy import DummyClassifier

    est = DummyClassifier().fit([[0], [1]], [0, 1])
    del est.classes_
    with pytest.raises(ValueError, match="has no classes_; pass label_names"):
        Predictor(est)


def test_labels_of_a_transformer_model_file_hold_its_thresholds(tmp_path, goemotions_slice,
                                                                 monkeypatch):
    """The tuner of a TransformerClassifier thresholds its logits (decision values); /labels
    gives them, with their units, instead of null (issue 13)."""
    pytest.importorskip("transformers")
    from _neural_fixtures import minilm_dir

    from mlkit.transformer import TransformerClassifier

    minilm = minilm_dir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    d = goemotions_slice
    top = np.argsort(-d.Y_train.sum(axis=0))[:4]
    names = [str(n) for n in np.asarray(d.label_names)[top]]
    clf = TransformerClassifier(minilm, epochs=1, max_length=32, batch_size=16,
                                random_state=0).fit(d.X_train[:48], d.Y_train[:48][:, top])
    tuner = mlkit.ThresholdTuner(clf, cv="prefit").fit(d.X_train[48:96], d.Y_train[48:96][:, top])
    path = tmp_path / "transformer.mlkit"
    manifest = save_model(tuner, path, label_names=names)
    with TestClient(create_app(path)) as c:
        labels = c.get("/labels").json()
    assert labels["labels"] == names and labels["score_kind"] == "probability"
    stated = manifest["thresholds"]
    if stated.get("probability"):  # the tuner knows their probability equivalents
        assert labels["threshold_units"] == "probability"
        expected = stated["probability"]
    else:
        assert labels["threshold_units"] == stated["units"] == "decision_function"
        expected = stated["values"]
    assert labels["thresholds"] == pytest.approx(dict(zip(names, expected, strict=True)))
