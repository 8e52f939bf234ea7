"""A checkpoint folder works wherever a model file works: ``load_model(DIR)``,
``mlkit predict / evaluate / info / serve DIR``, ``create_app(DIR)``; a hub name is
downloaded only with ``allow_download=True`` / ``--allow-download``.

The fitted model is a real TransformerClassifier (the bundled MiniLM, one epoch on 64
GoEmotions rows, six labels) with per-label thresholds tuned on 40 other rows
(``ThresholdTuner(cv="prefit")``), written with ``mlkit.transformer.save_pretrained``;
its quality is not tested here (test_transformer.py does), only that every client gives
the model's answer.
"""

import csv
import json

import numpy as np
import pytest
from _neural_fixtures import hub_offline, minilm_dir  # noqa: F401

import mlkit
from mlkit.cli import main
from mlkit.persistence import ModelFileError, load_model, read_metadata

pytestmark = pytest.mark.usefixtures("hub_offline", "single_blas_thread")

FAST = dict(max_length=48, batch_size=16, learning_rate=1e-4, head_learning_rate=3e-3,
            verbose=False)


@pytest.fixture(scope="module")
def data(goemotions_slice):
    d = goemotions_slice
    top = np.argsort(-d.Y_train.sum(axis=0))[:6]
    names = [str(n) for n in np.asarray(d.label_names)[top]]
    return (d.X_train[:64], d.Y_train[:64][:, top], d.X_test[:40], d.Y_test[:40][:, top],
            names)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, data, goemotions_slice):
    pytest.importorskip("transformers")
    import pandas as pd

    from mlkit.transformer import TransformerClassifier, save_pretrained

    X, Y, _, _, names = data
    # pooling="cls": a standard Hugging Face checkpoint, as any other tool writes one
    clf = TransformerClassifier(minilm_dir(), pooling="cls", epochs=1, random_state=0, **FAST)
    clf.fit(X, pd.DataFrame(Y, columns=names))
    d = goemotions_slice
    Y_val = d.Y_train[64:104][:, [list(d.label_names).index(n) for n in names]]
    tuner = mlkit.ThresholdTuner(clf, cv="prefit").fit(d.X_train[64:104],
                                                       pd.DataFrame(Y_val, columns=names))
    folder = tmp_path_factory.mktemp("ckpt") / "emotions"
    save_pretrained(tuner, folder)
    return folder, tuner


@pytest.fixture(scope="module")
def test_csv(tmp_path_factory, data):
    _, _, X, Y, names = data
    path = tmp_path_factory.mktemp("data") / "test.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", *names])
        for text, y in zip(X, Y, strict=True):
            writer.writerow([text, *map(int, y)])
    return path


def test_load_model_of_a_folder(checkpoint, data):
    folder, clf = checkpoint
    _, _, X, _, names = data
    estimator, manifest = load_model(folder, with_metadata=True)
    assert manifest["format"] == "checkpoint-folder" and manifest["kind"] == "transformer"
    np.testing.assert_array_equal(estimator.predict(X), clf.predict(X))
    thr = manifest["thresholds"]
    assert thr["units"] == "predict_proba" and len(thr["probability"]) == len(names)
    assert manifest["source"] == str(folder.absolute())
    assert manifest["label_names"] == names
    assert manifest["base_model"]["model_type"] == "bert"
    assert manifest["versions"]["mlkit"] == mlkit.__version__
    np.testing.assert_allclose(estimator.predict_proba(X), clf.predict_proba(X), atol=1e-5)
    assert load_model(str(folder)).predict(X).shape == (len(X), len(names))
    assert read_metadata(folder)["label_names"] == names


def test_cli_predict_evaluate_info_on_a_folder(checkpoint, data, test_csv, tmp_path, capsys):
    folder, clf = checkpoint
    _, _, X, Y, names = data
    out = tmp_path / "pred.jsonl"
    assert main(["predict", str(folder), str(test_csv), "-o", str(out), "-q"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(X)
    expected = clf.predict(X)
    for row, d in zip(rows, expected, strict=True):
        assert sorted(row["labels"]) == sorted(np.asarray(names)[np.flatnonzero(d)])
    capsys.readouterr()

    report = tmp_path / "eval.json"
    assert main(["evaluate", str(folder), str(test_csv), "--json", str(report), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "f1_macro" in printed and "Per-label report" in printed
    metrics = json.loads(report.read_text(encoding="utf-8"))["metrics"]
    want = mlkit.metrics.f1_score(Y, expected, average="macro")
    assert metrics["f1_macro"] == pytest.approx(want)

    assert main(["info", str(folder)]) == 0
    info = capsys.readouterr().out
    assert "checkpoint:" in info and "bert" in info and names[0] in info
    assert "thresholds:   per_label, probability" in info
    assert main(["info", str(folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["label_names"] == names


def test_serve_a_folder(checkpoint, data):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from mlkit.serve import create_app

    folder, clf = checkpoint
    _, _, X, _, names = data
    with TestClient(create_app(folder)) as client:
        labels = client.get("/labels").json()
        assert labels["labels"] == names and labels["score_kind"] == "probability"
        assert labels["threshold_units"] == "probability"
        assert list(labels["thresholds"]) == names
        answer = client.post("/predict", json={"texts": list(X[:5])}).json()
        meta = client.get("/metadata").json()
    assert meta["kind"] == "transformer" and "source" not in meta
    P = np.array([[p["scores"][n] for n in names] for p in answer["predictions"]])
    np.testing.assert_allclose(P, clf.predict_proba(X[:5]), atol=1e-5)
    for p, d in zip(answer["predictions"], clf.predict(X[:5]), strict=True):
        assert sorted(p["labels"]) == sorted(np.asarray(names)[np.flatnonzero(d)])


def test_hub_name_needs_allow_download(capsys):
    name = "nobody-here/not-a-cached-model"
    with pytest.raises(ModelFileError, match=r"allow_download=True \(--allow-download"):
        load_model(name)
    assert main(["info", name]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--allow-download" in err and "hub name" in err
    assert main(["predict", name, "-", "-q"]) == 2
    assert "--allow-download" in capsys.readouterr().err
    with pytest.raises(TypeError, match="allow_download must be True or False"):
        load_model(name, allow_download="yes")


def test_folder_that_is_not_a_checkpoint(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(ModelFileError, match="is a directory, not a model file, nor a "
                                             "checkpoint folder mlkit can load: .*config.json"):
        load_model(tmp_path)
    assert main(["evaluate", str(tmp_path), str(tmp_path / "notes.txt")]) == 2
    err = capsys.readouterr().err
    assert "nor a checkpoint folder" in err and err.count("\n") == 1
