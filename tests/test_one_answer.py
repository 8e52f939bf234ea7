"""One answer everywhere: for each kind of model, the Python object, the same model
reloaded from its file, ``mlkit predict``, ``mlkit evaluate --report`` (the HTML report)
and the HTTP server give identical decisions and the same probabilities for the same texts.

Every client goes through :class:`mlkit.inference.Predictor` and the ThresholdTuner's public
decision API; this test is what keeps them from drifting apart. Scores are written with 6
decimals by the command line, the server and the report, so probabilities are compared to
that precision (``atol=5e-7``) and decisions exactly. The neural kinds compute in float32 in
another process for the command line: their probabilities agree to 2e-6 (measured: up to 8e-7
beyond the rounding), their decisions exactly.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from _neural_fixtures import hub_offline, minilm_dir  # noqa: F401

import mlkit
from mlkit.persistence import load_model, save_model

pd = pytest.importorskip("pandas")

N_TEXTS = 40
ROUNDING = 5e-7  # 6 decimals in every written output
# float32 encoders in another process (thread count, batch composition) move the last digit
TOLERANCE = {"tfidf": ROUNDING, "embeddings": 2e-6, "transformer": 2e-6}


def _frame(Y, names):
    return pd.DataFrame(Y, columns=[str(n) for n in names])


@pytest.fixture(scope="module")
def texts_and_labels(goemotions_slice):
    d = goemotions_slice
    texts = list(d.X_test[:N_TEXTS])
    texts[3] = "   "  # blank text: every client must answer it the same way
    texts[5] = "ünïcödé, émojis 🙂 and <html> & \"quotes\""
    return texts, d.Y_test[:N_TEXTS]


def _fit_tfidf(d):
    model = mlkit.make_classifier("tfidf")
    return model.fit(d.X_train[:1000], _frame(d.Y_train[:1000], d.label_names)), d.label_names


def _fit_embeddings(d):
    model = mlkit.make_classifier("embeddings", model=minilm_dir())
    return model.fit(d.X_train[:300], _frame(d.Y_train[:300], d.label_names)), d.label_names


def _fit_transformer(d):
    pytest.importorskip("transformers")
    top = np.argsort(-d.Y_train.sum(axis=0))[:6]
    model = mlkit.make_classifier("transformer", model=minilm_dir())
    model.set_params(cv=0.25, estimator__epochs=1, estimator__max_length=48,
                     estimator__batch_size=16, estimator__learning_rate=1e-4,
                     estimator__head_learning_rate=3e-3, estimator__verbose=False)
    names = d.label_names[top]
    return model.fit(d.X_train[:64], _frame(d.Y_train[:64][:, top], names)), names


KINDS = {"tfidf": _fit_tfidf, "embeddings": _fit_embeddings, "transformer": _fit_transformer}


@pytest.fixture(scope="module", params=list(KINDS))
def fitted_file(request, goemotions_slice, tmp_path_factory, hub_offline):  # noqa: F811
    if request.param != "tfidf":
        pytest.importorskip("torch")
    model, names = KINDS[request.param](goemotions_slice)
    path = tmp_path_factory.mktemp(request.param) / "model.mlkit"
    save_model(model, path)
    return request.param, model, [str(n) for n in names], path


def _run_cli(*args, cwd):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "mlkit", *args, "-q"], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_every_client_gives_the_same_answer(fitted_file, texts_and_labels, goemotions_slice,
                                            tmp_path):
    from fastapi.testclient import TestClient

    from mlkit.report import read_report_predictions
    from mlkit.serve import create_app

    kind, model, names, path = fitted_file
    texts, Y_all = texts_and_labels
    columns = [list(goemotions_slice.label_names).index(n) for n in names]
    Y = Y_all[:, columns]

    # 1. the Python object
    D = np.asarray(model.predict(texts))
    P = np.asarray(model.predict_proba(texts))
    assert D.shape == P.shape == (len(texts), len(names))
    assert [str(c) for c in model.classes_] == names

    # 2. the same model reloaded from its file (safe path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(texts), D)
    np.testing.assert_array_equal(loaded.predict_proba(texts), P)

    data = tmp_path / "data.csv"
    frame = pd.DataFrame({"text": texts})
    for j, name in enumerate(names):
        frame[name] = Y[:, j]
    frame.to_csv(data, index=False)

    # 3. mlkit predict
    out = tmp_path / "pred.jsonl"
    _run_cli("predict", str(path), str(data), "--text-col", "text", "-o", str(out),
             cwd=tmp_path)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(texts)
    cli_D = np.array([[int(n in r["labels"]) for n in names] for r in records])
    cli_P = np.array([[r["scores"][n] for n in names] for r in records])
    np.testing.assert_array_equal(cli_D, D)
    np.testing.assert_allclose(cli_P, P, atol=TOLERANCE[kind], rtol=0)

    # 4. the HTTP server
    with TestClient(create_app(path)) as client:
        response = client.post("/predict", json={"texts": texts})
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    srv_D = np.array([[int(n in p["labels"]) for n in names] for p in predictions])
    srv_P = np.array([[p["scores"][n] for n in names] for p in predictions])
    np.testing.assert_array_equal(srv_D, D)
    np.testing.assert_allclose(srv_P, P, atol=TOLERANCE[kind], rtol=0)

    # 5. the HTML report of mlkit evaluate
    report = tmp_path / "report.html"
    _run_cli("evaluate", str(path), str(data), "--text-col", "text", "--label-cols",
             ",".join(names), "--report", str(report), cwd=tmp_path)
    rep_D, rep_P, rep_names = read_report_predictions(report.read_text(encoding="utf-8"))
    assert rep_names == names
    np.testing.assert_array_equal(rep_D, D)
    np.testing.assert_allclose(rep_P, P, atol=TOLERANCE[kind], rtol=0)
