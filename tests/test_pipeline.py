"""Text pipelines: ``make_pipeline(TfidfFeaturizer(), BinaryRelevance(...))`` by hand
(contract, input forms, errors), inside GridSearchCV with multi-label stratified folds,
multi-label scorers and two processes, and inside ThresholdTuner on raw texts."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

import mlkit
from mlkit import BinaryRelevance, TfidfFeaturizer, ThresholdTuner
from mlkit.model_selection import MultilabelStratifiedKFold

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def _pipeline():
    return Pipeline([
        ("tfidf", TfidfFeaturizer()),
        ("clf", BinaryRelevance(LogisticRegression(solver="liblinear", random_state=0))),
    ])


@pytest.fixture(scope="module")
def fitted(goemotions_slice):
    d = goemotions_slice
    return _pipeline().fit(d.X_train, d.Y_train)


# --------------------------------------------------------------------------
# contract
# --------------------------------------------------------------------------


def test_contract(goemotions_slice, fitted):
    d = goemotions_slice
    pipe = _pipeline()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        pipe.predict(d.X_test)
    with pytest.warns(UserWarning, match=r"2 of 28 label\(s\) had a single class"):
        assert pipe.fit(d.X_train[:300], d.Y_train[:300]) is pipe
    pred = fitted.predict(d.X_test)
    assert isinstance(pred, np.ndarray) and pred.dtype == np.int64
    assert pred.shape == (len(d.X_test), 28) and set(np.unique(pred)) == {0, 1}
    proba = fitted.predict_proba(d.X_test)
    assert proba.shape == pred.shape and proba.dtype == np.float64
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(fitted.classes_, np.arange(28))
    assert fitted[:-1].get_feature_names_out()[0].startswith("word__")


def test_single_string_is_rejected(fitted, goemotions_slice):
    d = goemotions_slice
    msg = r"TfidfFeaturizer expects an iterable over raw text documents.*Wrap it in a list"
    with pytest.raises(TypeError, match=msg):
        fitted.predict("I love this")
    with pytest.raises(TypeError, match=msg):
        _pipeline().fit("I love this", d.Y_train[:1])


def test_params_round_trip_and_clone(goemotions_slice, fitted):
    d = goemotions_slice
    pipe = _pipeline()
    params = pipe.get_params()
    assert params["clf__estimator__C"] == 1.0 and params["tfidf__min_df"] == 2
    pipe.set_params(clf__estimator__C=10.0, tfidf__min_df=1)
    assert pipe.named_steps["clf"].estimator.C == 10.0
    assert pipe.named_steps["tfidf"].min_df == 1
    pipe.set_params(**params)
    assert pipe.get_params()["clf__estimator__C"] == 1.0
    copy = clone(fitted)
    assert not hasattr(copy.named_steps["clf"], "estimators_")
    copy.fit(d.X_train, d.Y_train)
    np.testing.assert_array_equal(copy.predict(d.X_test), fitted.predict(d.X_test))
    back = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(back.predict_proba(d.X_test), fitted.predict_proba(d.X_test))


def test_text_containers_give_identical_predictions(goemotions_slice, fitted):
    pd = pytest.importorskip("pandas")
    d = goemotions_slice
    expected = fitted.predict_proba(d.X_test)
    for form in (tuple(d.X_test), np.asarray(d.X_test, dtype=object),
                 pd.Series(d.X_test, index=np.arange(len(d.X_test))[::-1])):
        np.testing.assert_array_equal(fitted.predict_proba(form), expected)


@pytest.mark.parametrize(
    "make_texts, make_labels, error, match",
    [
        (lambda X: X[:-1], lambda Y: Y, ValueError, r"X has 299 samples but Y has 300 rows"),
        (lambda X: [None] + X[1:], lambda Y: Y, ValueError,
         r"1 missing text\(s\) \(None or NaN\) at position\(s\) 0"),
        (lambda X: [float("nan")] + X[1:], lambda Y: Y, ValueError, r"missing text\(s\)"),
        (lambda X: [7] + X[1:], lambda Y: Y, TypeError,
         r"expects every document to be a str; position 0 holds int 7"),
        (lambda X: [], lambda Y: Y[:0], ValueError, r"0 rows|empty list of texts"),
        (lambda X: X, lambda Y: Y * 3, ValueError, r"values other than 0 and 1 \(found 3\)"),
        (lambda X: X, lambda Y: Y[:, 0], ValueError, r"Y is 1-D with 300 values"),
    ],
    ids=["lengths", "None", "NaN", "int", "empty", "label-values", "1-D"],
)
def test_bad_input_is_rejected_clearly(goemotions_slice, make_texts, make_labels, error, match):
    d = goemotions_slice
    with pytest.raises(error, match=match):
        _pipeline().fit(make_texts(d.X_train[:300]), make_labels(d.Y_train[:300]))


def test_non_string_texts_at_predict_time(fitted):
    with pytest.raises(ValueError, match=r"missing text\(s\) \(None or NaN\) at position\(s\) 1"):
        fitted.predict(["fine", None])
    with pytest.raises(TypeError, match=r"position 0 holds bytes"):
        fitted.predict([b"bytes", "fine"])


# --------------------------------------------------------------------------
# label formats with names: Jigsaw's 0/1 columns and label-name lists
# --------------------------------------------------------------------------


def test_jigsaw_dataframe_labels_keep_their_names(jigsaw_sample):
    texts, labels = jigsaw_sample.texts, jigsaw_sample.labels
    assert labels["threat"].sum() <= 3  # rare labels: some folds have none
    pipe = make_pipeline(TfidfFeaturizer(), BinaryRelevance(LinearSVC(random_state=0)))
    pipe.fit(texts, labels)
    np.testing.assert_array_equal(pipe.classes_, jigsaw_sample.label_names)
    pred = pipe.predict(texts)
    assert pred.shape == (len(texts), 6)
    named = mlkit.indicator_to_labels(pred, pipe.classes_)
    for row, names in zip(pred, named, strict=True):
        assert names == tuple(jigsaw_sample.label_names[row.astype(bool)])
    # the same rows as label-name lists: binarized in sorted name order, names kept
    lists = mlkit.indicator_to_labels(labels.to_numpy(), labels.columns)
    pipe_lists = clone(pipe).fit(texts, lists)
    present = sorted({n for row in lists for n in row})
    np.testing.assert_array_equal(pipe_lists.classes_, present)
    cols = [list(labels.columns).index(n) for n in present]
    np.testing.assert_array_equal(pipe_lists.predict(texts), pred[:, cols])


def test_threshold_tuner_over_a_text_pipeline(jigsaw_sample):
    texts, labels = jigsaw_sample.texts, jigsaw_sample.labels
    pipe = make_pipeline(TfidfFeaturizer(), BinaryRelevance(LinearSVC(random_state=0)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rare labels absent from some folds
        tuner = ThresholdTuner(pipe, cv=3, random_state=0).fit(texts, labels)
    np.testing.assert_array_equal(tuner.classes_, jigsaw_sample.label_names)
    assert tuner.oof_scores_.shape == (len(texts), 6)
    pred = tuner.predict(list(texts[:20]))
    assert pred.shape == (20, 6)
    with pytest.raises(TypeError, match="single string was received"):
        tuner.predict("one comment")


# --------------------------------------------------------------------------
# grid search with multi-label folds, scorers and two processes
# --------------------------------------------------------------------------


def test_grid_search_with_stratified_folds_and_multilabel_scorers(goemotions_slice):
    from mlkit import metrics

    d = goemotions_slice
    cv = MultilabelStratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    search = GridSearchCV(
        _pipeline(),
        {"clf__estimator__C": [1.0, 10.0]},
        scoring={"f1_macro": "f1_macro", "precision_at_1": metrics.get_scorer("precision_at_1"),
                 "mlkit_f1_micro": metrics.get_scorer("f1_micro")},
        refit="f1_macro",
        cv=cv,
        n_jobs=2,
        error_score="raise",
    )
    with warnings.catch_warnings():
        # rare labels: absent from some training folds, never predicted in some test folds
        warnings.simplefilter("ignore", UserWarning)
        search.fit(d.X_train, d.Y_train)
    res = search.cv_results_
    for name in ("f1_macro", "precision_at_1", "mlkit_f1_micro"):
        scores = res[f"mean_test_{name}"]
        assert np.all((scores > 0.01) & (scores < 1)), (name, scores)
    # C=10 fits these short texts better than C=1 on macro-F1 (measured 0.10 vs 0.02)
    f1_c1, f1_c10 = res["mean_test_f1_macro"]
    assert f1_c10 > f1_c1 + 0.04
    assert search.best_params_ == {"clf__estimator__C": 10.0}
    best = search.best_estimator_
    assert best.named_steps["clf"].estimator.C == 10.0
    # the refitted model scores the held-out test rows as the scorer says
    scorer = metrics.get_scorer("precision_at_1")
    p_at_1 = scorer(best, d.X_test, d.Y_test)
    assert 0.3 < p_at_1 < 1
    assert p_at_1 == pytest.approx(
        metrics.precision_at_k(d.Y_test, best.predict_proba(d.X_test), k=1))
    # pickle and clone round trips give identical predictions
    pred = best.predict(d.X_test)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(best)).predict(d.X_test), pred)
    np.testing.assert_array_equal(clone(best).fit(d.X_train, d.Y_train).predict(d.X_test), pred)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(search)).predict(d.X_test), pred)
