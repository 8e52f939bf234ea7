"""mlkit.evaluate_model: metrics, per-label report and worst-predicted rows in one call,
for every kind of model, on real data slices (GoEmotions, Jigsaw); the figures are those
of mlkit.metrics on the model's own predictions, and ``mlkit evaluate`` prints the same."""

import json

import numpy as np
import pytest

import mlkit
from mlkit.evaluation import ModelEvaluation, evaluate_model, row_errors
from mlkit.metrics import evaluate, per_label_report
from mlkit.thresholds import apply_thresholds, top_k_decisions

pytestmark = pytest.mark.usefixtures("single_blas_thread")


@pytest.fixture(scope="module")
def go(goemotions_slice):
    d = goemotions_slice
    names = [str(n) for n in d.label_names]
    model = mlkit.make_classifier("tfidf").set_params(classifier__cv=3)
    model.fit(d.X_train, mlkit.indicator_to_labels(d.Y_train, names))  # classes_ sorted
    order = [names.index(n) for n in model.classes_]
    return model, d.X_test, d.Y_test[:, order], list(model.classes_)


def _check_against_metrics(result, model, X, Y):
    """The result's figures are mlkit.metrics' on the model's own predict/predict_proba."""
    D, P = model.predict(X), model.predict_proba(X)
    np.testing.assert_array_equal(result.Y_pred, D)
    np.testing.assert_allclose(result.scores, P, rtol=1e-6, atol=1e-9)
    expected = evaluate(Y, D, P)
    assert result.metrics.keys() == expected.keys()
    for key, value in expected.items():
        assert result.metrics[key] == pytest.approx(value, nan_ok=True), key
    report = per_label_report(Y, D, label_names=result.label_names, y_score=P)
    got = result.report.to_dict()
    for name, row in report.to_dict().items():
        for col in ("support", "n_predicted", "precision", "recall", "f1"):
            assert got[name][col] == pytest.approx(row[col]), (name, col)
    # the worst rows: ranked by row_errors, worst first, every row with an error considered
    loss = row_errors(Y, D, P)
    np.testing.assert_allclose(result.row_loss, loss)
    rows = [r["row"] for r in result.worst]
    assert rows == sorted(rows, key=lambda i: -loss[i])
    wrong = np.flatnonzero((Y != D).any(axis=1))
    assert len(rows) == min(len(wrong), 20)
    if rows:
        assert loss[rows[-1]] >= np.max(np.delete(loss, rows)[(Y != D).any(axis=1)[
            np.setdiff1d(np.arange(len(Y)), rows)]], initial=0)


def test_tfidf_on_goemotions(go):
    model, X, Y, names = go
    result = evaluate_model(model, X, Y)
    assert isinstance(result, ModelEvaluation)
    assert result.label_names == names and result.score_kind == "probability"
    _check_against_metrics(result, model, X, Y)
    # a real model on real data gets some rows wrong, and says how
    first = result.worst[0]
    i = first["row"]
    assert first["text"] == X[i]
    assert set(first["true"]) == {names[j] for j in np.flatnonzero(Y[i])}
    assert set(first["missed"]) == set(first["true"]) - set(first["predicted"])
    assert set(first["extra"]) == set(first["predicted"]) - set(first["true"])
    assert set(first["scores"]) == set(first["true"]) | set(first["predicted"])
    assert first["loss"] == pytest.approx(len(first["missed"]) + len(first["extra"]), abs=1)
    # thresholds in probability units, as the tuner holds them
    tuner = model.named_steps["classifier"]
    np.testing.assert_allclose(result.thresholds, tuner.proba_thresholds_)
    assert result.threshold_units == "probability"
    assert result.metrics["f1_micro"] > 0.3  # measured 0.408 on this slice
    text = result.to_string(n_worst=3)
    assert "f1_macro" in text and "Per-label report" in text and "Worst-predicted rows (3" in text
    assert json.loads(json.dumps(result.to_dict()))["worst"][0]["row"] == i
    assert "f1_micro=" in repr(result)


def test_every_label_form_gives_the_same_answer(go):
    pd = pytest.importorskip("pandas")
    model, X, Y, names = go
    X, Y = X[:200], Y[:200]
    base = evaluate_model(model, X, Y, n_worst=5)
    shuffled = pd.DataFrame(Y, columns=names)[names[::-1]]  # columns in another order
    lists = mlkit.indicator_to_labels(Y, names)
    for labels in (shuffled, lists, Y.tolist()):
        other = evaluate_model(model, list(X), labels, n_worst=5)
        assert other.metrics == base.metrics
        assert other.worst == base.worst
    frame = base.per_label_frame()
    assert list(frame.index[:len(names)]) == names
    worst = base.worst_frame()
    assert list(worst.index) == [r["row"] for r in base.worst]
    assert list(worst.columns) == ["text", "true", "predicted", "missed", "extra", "loss",
                                   "scores"]


def test_decision_rules_and_label_subset(go):
    model, X, Y, names = go
    X, Y = X[:150], Y[:150]
    P = model.predict_proba(X)
    result = evaluate_model(model, X, Y, threshold=0.3)
    np.testing.assert_array_equal(result.Y_pred, apply_thresholds(P, 0.3))
    assert result.rule == "labels scored above 0.3"
    np.testing.assert_allclose(result.thresholds, 0.3)
    result = evaluate_model(model, X, Y, top_k=2)
    np.testing.assert_array_equal(result.Y_pred, top_k_decisions(P, 2))
    assert result.thresholds is None
    keep = [names[3], names[0]]
    sub = evaluate_model(model, X, Y, labels=keep)
    assert sub.label_names == keep and sub.Y_true.shape == (150, 2)
    D = model.predict(X)
    idx = [3, 0]
    assert sub.metrics["f1_macro"] == pytest.approx(
        mlkit.metrics.f1_score(Y[:, idx], D[:, idx], average="macro"))


def test_any_sklearn_multilabel_estimator(jigsaw_sample):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    texts, Y = list(jigsaw_sample.texts), jigsaw_sample.labels.to_numpy()
    names = list(jigsaw_sample.label_names)
    proba = make_pipeline(TfidfVectorizer(), OneVsRestClassifier(LogisticRegression()))
    proba.fit(texts[:200], Y[:200])
    result = evaluate_model(proba, texts[200:], Y[200:], label_names=names)
    assert result.label_names == names and result.score_kind == "probability"
    _check_against_metrics(result, proba, texts[200:], Y[200:])
    # no predict_proba: decision values, and the loss is the number of wrong labels
    svm = make_pipeline(TfidfVectorizer(), OneVsRestClassifier(LinearSVC()))
    svm.fit(texts[:200], Y[:200])
    result = evaluate_model(svm, texts[200:], Y[200:], label_names=names)
    assert result.score_kind == "decision"
    np.testing.assert_allclose(result.scores, svm.decision_function(texts[200:]))
    D = svm.predict(texts[200:])
    np.testing.assert_array_equal(result.row_loss, (Y[200:] != D).sum(axis=1))
    assert "probability distance" not in result.worst_to_string()


def test_bad_input_errors(go):
    pd = pytest.importorskip("pandas")
    model, X, Y, names = go
    X, Y = X[:20], Y[:20]
    with pytest.raises(ValueError, match=r"lack the model's label\(s\) " + names[0]):
        evaluate_model(model, X, pd.DataFrame(Y[:, 1:], columns=names[1:]))
    with pytest.raises(ValueError, match="not labels of the model"):
        evaluate_model(model, X, pd.DataFrame(np.c_[Y, Y[:, :1]], columns=[*names, "extra"]))
    with pytest.raises(ValueError, match="does not fit the model's 28 labels"):
        evaluate_model(model, X, [["not-a-label"]] * 20)
    with pytest.raises(ValueError, match="20"):
        evaluate_model(model, X, Y[:10])
    with pytest.raises(ValueError, match="n_worst must be an integer >= 0"):
        evaluate_model(model, X, Y, n_worst=-1)
    with pytest.raises(ValueError, match="labels must name some of the model's labels"):
        evaluate_model(model, X, Y, labels=["nope"])
    with pytest.raises(TypeError, match="list of label names"):
        evaluate_model(model, X, Y, labels=names[0])
    with pytest.raises((TypeError, ValueError), match=r"Pipeline expects .* single str"):
        evaluate_model(model, "one text", Y[:1])
    with pytest.raises(ValueError, match=r"threshold must be a probability in \[0, 1\]; got 1.5"):
        evaluate_model(model, X, Y, threshold=1.5)
    with pytest.raises(ValueError, match="top_k must be an integer >= 1"):
        evaluate_model(model, X, Y, top_k=0)
    X_big, Y_big = go[1][:300], go[2][:300]
    top = np.argsort(-Y_big.sum(axis=0))[:3]
    positional = mlkit.make_classifier("tfidf").set_params(classifier__cv=2).fit(
        X_big, Y_big[:, top])  # fitted on a matrix: classes_ 0, 1, 2
    with pytest.raises(ValueError, match="knows its labels only by position: pass label_names"):
        evaluate_model(positional, X, [[names[top[0]]]] * 20)
    assert evaluate_model(model, X, Y, n_worst=0).worst == []


def test_row_errors_definition():
    Y = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 0]])
    D = np.array([[1, 0, 0], [0, 0, 0], [0, 0, 1]])
    P = np.array([[0.9, 0.1, 0.4], [0.1, 0.2, 0.0], [0.3, 0.4, 0.6]])
    np.testing.assert_allclose(row_errors(Y, D, P), [1 + 0.8 / 4, 0.3 / 4, 3 + 1.9 / 4])
    np.testing.assert_array_equal(row_errors(Y, D, P, score_kind="decision"), [1, 0, 3])
    with pytest.raises(ValueError, match="score_kind"):
        row_errors(Y, D, P, score_kind="logit")
    with pytest.raises(ValueError, match="Y_pred has shape"):
        row_errors(Y, D[:, :2])


def test_progress_bar_only_when_verbose(go, capfd):
    model, X, Y, _ = go
    evaluate_model(model, X[:50], Y[:50])
    assert "Evaluating" not in capfd.readouterr().err
    evaluate_model(model, X[:50], Y[:50], verbose=True)
    assert "Evaluating" in capfd.readouterr().err


def test_cli_evaluate_prints_what_evaluate_model_finds(tmp_path, capsys, jigsaw_sample):
    from conftest import shared_data_dir

    from mlkit.cli import main
    from mlkit.persistence import load_model

    folder = shared_data_dir() / "jigsaw_sample"
    model = tmp_path / "jigsaw.mlkit"
    assert main(["train", str(folder / "train.csv"), "--cv", "2", "-o", str(model), "-q"]) == 0
    out = tmp_path / "eval.json"
    assert main(["evaluate", str(model), str(folder / "valid.csv"), "--json", str(out),
                 "--worst", "3", "-q"]) == 0
    printed = capsys.readouterr().out
    payload = json.loads(out.read_text(encoding="utf-8"))
    import pandas as pd

    valid = pd.read_csv(folder / "valid.csv")
    names = list(jigsaw_sample.label_names)
    result = evaluate_model(load_model(model), valid["comment_text"], valid[names])
    assert payload["metrics"] == pytest.approx(result.metrics, nan_ok=True)
    assert payload["worst"] == json.loads(json.dumps(result.worst))
    assert result.worst_to_string(n_worst=3) in printed


# --------------------------------------------------------------------------
# the neural kinds (the bundled MiniLM; skipped with the reason without it)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(goemotions_slice):
    """300 training and 80 test GoEmotions rows, the 6 most frequent labels."""
    d = goemotions_slice
    top = np.argsort(-d.Y_train.sum(axis=0))[:6]
    return d.X_train[:300], d.Y_train[:300][:, top], d.X_test[:80], d.Y_test[:80][:, top]


def test_embeddings_kind(small, monkeypatch):
    from _neural_fixtures import minilm_dir

    minilm = minilm_dir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    X, Y, X_test, Y_test = small
    model = mlkit.make_classifier("embeddings", model=minilm).set_params(classifier__cv=2)
    model.fit(X, Y)
    result = evaluate_model(model, X_test, Y_test)
    assert result.label_names == [str(j) for j in range(6)]
    _check_against_metrics(result, model, X_test, Y_test)
    assert result.metrics["f1_micro"] > 0.2


def test_transformer_kind(small, monkeypatch):
    pytest.importorskip("transformers")
    from _neural_fixtures import minilm_dir

    minilm = minilm_dir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    X, Y, X_test, Y_test = small
    model = mlkit.make_classifier("transformer", model=minilm).set_params(
        estimator__epochs=1, estimator__max_length=48, estimator__batch_size=16,
        estimator__head_learning_rate=3e-3)
    model.fit(X[:128], Y[:128])
    result = evaluate_model(model, X_test, Y_test, n_worst=5)
    D, P = model.predict(X_test), model.predict_proba(X_test)
    np.testing.assert_array_equal(result.Y_pred, D)
    np.testing.assert_allclose(result.scores, P, atol=1e-5)
    expected = evaluate(Y_test, D, P)
    for key, value in expected.items():
        assert result.metrics[key] == pytest.approx(value, nan_ok=True, abs=1e-6), key
    assert result.thresholds is not None and len(result.thresholds) == 6
    assert result.threshold_units in ("probability", "decision_function")
    assert len(result.worst) == min(5, int((Y_test != D).any(axis=1).sum()))
