"""Fit parameters (``sample_weight``) through every mlkit meta-estimator, on real data.

* A weighted fit equals a fit on the rows repeated by their integer weight (a weight
  of 0 drops the row), for BinaryRelevance (per-label and RidgeClassifier paths),
  ClassifierChain (``cv=None`` and out-of-fold ``cv``), ClassifierChainEnsemble,
  ThresholdTuner (prefit and cv), a Pipeline(TfidfFeaturizer -> BinaryRelevance) and
  GridSearchCV over it, with scikit-learn's metadata routing disabled (classic
  pass-through) and enabled (``set_fit_request``).
* Per-fold slicing: a classifier that checks, in every ``fit``, that each row got its
  own weight, inside ThresholdTuner, ClassifierChain(cv), the chain ensemble and
  GridSearchCV.
* Errors: an unrequested parameter under routing (scikit-learn's error), a parameter
  the base estimator cannot take (named).

Equivalence is exact up to the solver: LogisticRegression with lbfgs and a tight
tolerance, RidgeClassifier with a direct solver. Where folds are involved, a fixed
splitter maps the repeated rows consistently: the copies of a row sit in the same fold
(ClassifierChain's out-of-fold column is then the same for every copy), or, where the
held-out rows are scored (ThresholdTuner, GridSearchCV), only the first copy is held
out and the other copies are left out of that split, because held-out rows are scored
unweighted (see the ThresholdTuner test).
"""

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import f1_score, make_scorer
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils import Bunch

from mlkit import (
    BinaryRelevance,
    ClassifierChain,
    ClassifierChainEnsemble,
    TfidfFeaturizer,
    ThresholdTuner,
)

pytestmark = pytest.mark.usefixtures("single_blas_thread")

N_ROWS = 240
N_LABELS = 4


# --------------------------------------------------------------------------
# data and helpers
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(goemotions_tfidf):
    """240 GoEmotions train rows over their 150 most frequent TF-IDF features (dense
    float64), the 4 labels with the most positives among those rows, and 200 test rows."""
    d = goemotions_tfidf
    X = d.X_train[:N_ROWS]
    top = np.argsort(-np.asarray((X > 0).sum(axis=0)).ravel(), kind="stable")[:150]
    Y = d.Y_train[:N_ROWS]
    labels = np.argsort(-Y.sum(axis=0), kind="stable")[:N_LABELS]
    return Bunch(X=X[:, top].toarray().astype(np.float64), Y=Y[:, labels],
                 X_test=d.X_test[:200][:, top].toarray().astype(np.float64),
                 Y_test=d.Y_test[:200][:, labels])


@pytest.fixture(scope="module")
def weights():
    """Integer weights 0..3 for the 240 rows (about a quarter are 0)."""
    return np.random.RandomState(0).randint(0, 4, size=N_ROWS)


def _repeat(w):
    """Row index of the repeated data set (row i appears w[i] times) and, for each
    original row, the positions of its copies there."""
    idx = np.repeat(np.arange(len(w)), w)
    copies = np.split(np.arange(len(idx)), np.cumsum(w)[:-1])
    return idx, copies


def _lr():
    # lbfgs with a tight tolerance: weighted and repeated rows reach the same optimum
    return LogisticRegression(solver="lbfgs", C=1.0, tol=1e-10, max_iter=10_000)


def _requested(est, routing):
    return est.set_fit_request(sample_weight=True) if routing else est


def _assert_same_model(a, b, X):
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    for method in ("decision_function", "predict_proba"):
        if hasattr(a, method):
            np.testing.assert_allclose(getattr(a, method)(X), getattr(b, method)(X),
                                       rtol=1e-5, atol=1e-6)


@pytest.fixture(params=[False, True], ids=["routing-off", "routing-on"])
def routing(request):
    with sklearn.config_context(enable_metadata_routing=request.param):
        yield request.param


# --------------------------------------------------------------------------
# weighted fit == fit on repeated rows
# --------------------------------------------------------------------------


@pytest.mark.parametrize("base", ["lbfgs", "ridge"])
def test_binary_relevance_weights_equal_repeated_rows(base, routing, small, weights):
    X, Y, X_test = small.X, small.Y, small.X_test
    idx, _ = _repeat(weights)
    # RidgeClassifier solves all labels in one multi-output fit (vectorized_ path)
    est = _lr() if base == "lbfgs" else RidgeClassifier(alpha=1.0, solver="cholesky")
    weighted = BinaryRelevance(_requested(clone(est), routing)).fit(X, Y, sample_weight=weights)
    repeated = BinaryRelevance(clone(est)).fit(X[idx], Y[idx])
    assert weighted.vectorized_ is (base == "ridge")
    _assert_same_model(weighted, repeated, X_test)
    unweighted = BinaryRelevance(clone(est)).fit(X, Y)
    assert not np.allclose(unweighted.decision_function(X_test),
                           weighted.decision_function(X_test))


@pytest.mark.parametrize("chain_method", ["predict", "predict_proba"])
def test_classifier_chain_weights_equal_repeated_rows(chain_method, routing, small, weights):
    X, Y, X_test = small.X, small.Y, small.X_test
    idx, _ = _repeat(weights)
    chain = ClassifierChain(order=[2, 0, 3, 1], chain_method=chain_method)
    weighted = clone(chain).set_params(estimator=_requested(_lr(), routing))
    weighted.fit(X, Y, sample_weight=weights)
    repeated = clone(chain).set_params(estimator=_lr()).fit(X[idx], Y[idx])
    _assert_same_model(weighted, repeated, X_test)


def test_classifier_chain_cv_weights_equal_repeated_rows(routing, small, weights):
    """Out-of-fold chain columns: a fixed splitter puts every copy of a row in that
    row's fold, so each training fold of the repeated data is the weighted fold's rows
    repeated, and every copy gets the same out-of-fold value."""
    X, Y, X_test = small.X, small.Y, small.X_test
    idx, copies = _repeat(weights)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    folds_rep = [(np.concatenate([copies[i] for i in train]),
                  np.concatenate([copies[i] for i in test])) for train, test in folds]
    weighted = ClassifierChain(_requested(_lr(), routing), cv=folds,
                               chain_method="decision_function")
    weighted.fit(X, Y, sample_weight=weights)
    repeated = ClassifierChain(_lr(), cv=folds_rep, chain_method="decision_function")
    repeated.fit(X[idx], Y[idx])
    _assert_same_model(weighted, repeated, X_test)


def test_chain_ensemble_weights_equal_repeated_rows(routing, small, weights):
    X, Y, X_test = small.X, small.Y, small.X_test
    idx, _ = _repeat(weights)
    weighted = ClassifierChainEnsemble(_requested(_lr(), routing), n_chains=3, random_state=0)
    weighted.fit(X, Y, sample_weight=weights)
    repeated = ClassifierChainEnsemble(_lr(), n_chains=3, random_state=0).fit(X[idx], Y[idx])
    _assert_same_model(weighted, repeated, X_test)


def test_zero_weights_equal_dropping_rows_even_for_a_label_they_empty(small):
    """A label whose positives all have weight 0 is constant once they are dropped:
    the weighted fit makes it the same constant predictor, with the same warning."""
    X, Y, X_test = small.X, small.Y, small.X_test
    w = np.ones(N_ROWS)
    w[Y[:, 3] == 1] = 0  # label 3 has no positive with weight left
    w[::7] = 0
    keep = w > 0
    for est in (BinaryRelevance(_lr()), ClassifierChain(_lr(), order=[3, 0, 1, 2], cv=3),
                ClassifierChainEnsemble(_lr(), n_chains=2, random_state=0),
                BinaryRelevance(RidgeClassifier(solver="cholesky"))):
        if isinstance(est, BinaryRelevance):
            with pytest.warns(UserWarning, match=r"1 of 4 label\(s\) had a single class"):
                weighted = clone(est).fit(X, Y, sample_weight=w)
            with pytest.warns(UserWarning, match=r"1 of 4 label\(s\) had a single class"):
                dropped = clone(est).fit(X[keep], Y[keep])
            assert weighted.constant_labels_.tolist() == [False, False, False, True]
        else:
            weighted = clone(est).fit(X, Y, sample_weight=w)
            dropped = clone(est).fit(X[keep], Y[keep])
        if not isinstance(est, ClassifierChain):  # cv=3 folds differ without the rows
            _assert_same_model(weighted, dropped, X_test)
        assert (weighted.predict(X_test)[:, 3] == 0).all()


def test_threshold_tuner_cv_weights_equal_repeated_rows(routing, small):
    """ThresholdTuner(cv): the estimator of every fold and the refitted one get the
    weights, and the same weights weigh the held-out rows when the thresholds (and the
    at-least-one rule) are chosen. So a weighted fit equals a fit on the rows repeated by
    weight, with every copy of a row in that row's fold; a row of weight 0 equals a
    dropped row.
    """
    X, Y, X_test = small.X, small.Y, small.X_test
    w = np.random.RandomState(1).randint(0, 4, size=N_ROWS)
    idx, copies = _repeat(w)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    folds_rep = [(np.concatenate([copies[i] for i in train]),
                  np.concatenate([copies[i] for i in test])) for train, test in folds]
    weighted = ThresholdTuner(BinaryRelevance(_requested(_lr(), routing)), cv=folds)
    weighted.fit(X, Y, sample_weight=w)
    repeated = ThresholdTuner(BinaryRelevance(_lr()), cv=folds_rep).fit(X[idx], Y[idx])
    kept = np.flatnonzero(w > 0)
    first = np.array([copies[i][0] for i in kept])
    np.testing.assert_allclose(weighted.oof_scores_[kept], repeated.oof_scores_[first],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weighted.thresholds_, repeated.thresholds_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weighted.global_threshold_, repeated.global_threshold_,
                               rtol=1e-5, atol=1e-6)
    assert weighted.at_least_one_ == repeated.at_least_one_
    assert weighted.cv_score_ == pytest.approx(repeated.cv_score_)
    _assert_same_model(weighted, repeated, X_test)
    _assert_same_model(weighted.estimator_, repeated.estimator_, X_test)


def test_threshold_tuner_prefit_weighs_the_validation_rows(small):
    """cv='prefit': sample_weight weighs the validation rows the thresholds and the
    calibration are chosen on (nothing is fitted); other fit parameters are refused."""
    from sklearn.svm import LinearSVC

    X, Y, X_test, Y_test = small.X, small.Y, small.X_test, small.Y_test
    est = BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y)
    w = np.random.RandomState(2).randint(0, 4, size=len(Y_test))
    idx, _ = _repeat(w)
    a = ThresholdTuner(est, cv="prefit").fit(X_test, Y_test, sample_weight=w)
    b = ThresholdTuner(est, cv="prefit").fit(X_test[idx], Y_test[idx])
    np.testing.assert_allclose(a.thresholds_, b.thresholds_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.predict_proba(X_test), b.predict_proba(X_test), atol=1e-7)
    np.testing.assert_array_equal(a.predict(X_test), b.predict(X_test))
    unweighted = ThresholdTuner(est, cv="prefit").fit(X_test, Y_test)
    assert not np.allclose(unweighted.thresholds_, a.thresholds_)
    with pytest.raises(ValueError, match=r"fit parameters \['groups'\] are not used with "
                                         r"cv='prefit'"):
        ThresholdTuner(est, cv="prefit").fit(X_test, Y_test, groups=np.zeros(len(Y_test)))


def test_threshold_tuner_prefit_on_weighted_estimator(small, weights):
    """cv='prefit': the weights act on the prefit estimator; the tuner then chooses the
    same thresholds on the same validation rows."""
    X, Y, X_test, Y_test = small.X, small.Y, small.X_test, small.Y_test
    idx, _ = _repeat(weights)
    weighted = BinaryRelevance(_lr()).fit(X, Y, sample_weight=weights)
    repeated = BinaryRelevance(_lr()).fit(X[idx], Y[idx])
    a = ThresholdTuner(weighted, cv="prefit").fit(X_test, Y_test)
    b = ThresholdTuner(repeated, cv="prefit").fit(X_test, Y_test)
    np.testing.assert_allclose(a.thresholds_, b.thresholds_, rtol=1e-5, atol=1e-6)
    _assert_same_model(a, b, X_test)


# --------------------------------------------------------------------------
# texts: Pipeline(TfidfFeaturizer -> BinaryRelevance) and GridSearchCV over it
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def texts(goemotions_slice):
    """300 GoEmotions train texts (distinct), their 4 most frequent labels, 100 test texts."""
    d = goemotions_slice
    first = {}
    for i, t in enumerate(d.X_train):
        first.setdefault(t, i)
    rows = np.array(sorted(first.values()))[:300]
    Y = d.Y_train[rows]
    labels = np.argsort(-Y.sum(axis=0), kind="stable")[:N_LABELS]
    return Bunch(X=[d.X_train[i] for i in rows], Y=Y[:, labels], X_test=d.X_test[:100])


def _text_pipeline(featurizer=None, routing=False, score_weighted=False):
    lr = LogisticRegression(solver="lbfgs", C=1.0, tol=1e-10, max_iter=10_000)
    clf = BinaryRelevance(_requested(lr, routing))
    if routing and score_weighted:
        clf.set_score_request(sample_weight=True)
    return Pipeline([
        ("tfidf", featurizer if featurizer is not None else TfidfFeaturizer(char_ngram_range=None)),
        ("clf", clf),
    ])


class _TfidfOnDistinctTexts(TfidfFeaturizer):
    """TfidfFeaturizer whose vocabulary and idf come from the distinct texts only, so
    that repeating a row does not change the features (the reference side of the
    GridSearchCV equivalence; TfidfFeaturizer itself takes no sample_weight)."""

    def fit(self, X, y=None):
        super().fit_transform(list(dict.fromkeys(X)))
        return self

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)


def test_pipeline_weights_reach_the_classifier(routing, texts):
    """The weights reach BinaryRelevance (``clf__sample_weight`` without routing,
    ``sample_weight`` with it); the featurizer is fitted unweighted on all texts."""
    w = np.random.RandomState(2).randint(0, 4, size=len(texts.X))
    idx, _ = _repeat(w)
    pipe = _text_pipeline(routing=routing)
    if routing:
        pipe.fit(texts.X, texts.Y, sample_weight=w)
    else:
        pipe.fit(texts.X, texts.Y, clf__sample_weight=w)
    feat = TfidfFeaturizer(char_ngram_range=None).fit(texts.X)
    Xf = feat.transform(texts.X)
    repeated = BinaryRelevance(_lr()).fit(Xf[idx], texts.Y[idx])
    np.testing.assert_array_equal(pipe.predict(texts.X_test),
                                  repeated.predict(feat.transform(texts.X_test)))
    np.testing.assert_allclose(pipe.predict_proba(texts.X_test),
                               repeated.predict_proba(feat.transform(texts.X_test)),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("routing, score_weighted", [(False, False), (True, False), (True, True)],
                         ids=["routing-off", "routing-on", "routing-on-weighted-score"])
def test_grid_search_over_text_pipeline_weights_equal_repeated_rows(routing, score_weighted,
                                                                   texts):
    """GridSearchCV(...).fit(texts, Y, sample_weight=w) slices the weights per fold
    and gives the same search as the repeated rows: same held-out scores, same best
    C, same refitted model. Held-out rows are scored unweighted (routing off with
    ``clf__sample_weight``, or ``set_score_request(sample_weight=False)``): only the
    first copy of a held-out row is held out in the repeated data. Scored weighted
    (routing on, ``set_score_request(sample_weight=True)``): all copies are."""
    with sklearn.config_context(enable_metadata_routing=routing):
        _check_grid_search_equivalence(routing, score_weighted, texts)


def _check_grid_search_equivalence(routing, score_weighted, texts):
    w = np.random.RandomState(3).randint(1, 4, size=len(texts.X))
    idx, copies = _repeat(w)
    folds = list(KFold(3, shuffle=True, random_state=0).split(texts.X))
    held_out = (lambda i: copies[i]) if score_weighted else (lambda i: copies[i][:1])
    folds_rep = [(np.concatenate([copies[i] for i in train]),
                  np.concatenate([held_out(i) for i in test])) for train, test in folds]
    grid = {"clf__estimator__C": [1.0, 30.0]}
    # scikit-learn 1.9.1's Pipeline.score fails under routing when the final step
    # declines sample_weight (set_score_request(sample_weight=False)): an explicit
    # scorer that declines it scores unweighted instead
    scoring = None
    if routing and not score_weighted:
        scoring = make_scorer(f1_score, average="micro").set_score_request(sample_weight=False)
    weighted = GridSearchCV(_text_pipeline(routing=routing, score_weighted=score_weighted),
                            grid, cv=folds, scoring=scoring)
    if routing:
        weighted.fit(texts.X, texts.Y, sample_weight=w)
    else:
        weighted.fit(texts.X, texts.Y, clf__sample_weight=w)
    with sklearn.config_context(enable_metadata_routing=False):
        repeated = GridSearchCV(_text_pipeline(_TfidfOnDistinctTexts(char_ngram_range=None)),
                                grid, cv=folds_rep, scoring="f1_micro")
        repeated.fit([texts.X[i] for i in idx], texts.Y[idx])
    scores = weighted.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and scores.min() > 0.2
    np.testing.assert_allclose(scores, repeated.cv_results_["mean_test_score"], rtol=1e-12)
    assert weighted.best_params_ == repeated.best_params_
    np.testing.assert_array_equal(weighted.predict(texts.X_test), repeated.predict(texts.X_test))
    np.testing.assert_allclose(weighted.predict_proba(texts.X_test),
                               repeated.predict_proba(texts.X_test), rtol=1e-5, atol=1e-6)
    # the weights change the search: without them the held-out scores differ
    with sklearn.config_context(enable_metadata_routing=False):
        unweighted = GridSearchCV(_text_pipeline(), grid, cv=folds).fit(texts.X, texts.Y)
    assert not np.allclose(unweighted.cv_results_["mean_test_score"], scores)


def test_pipeline_score_under_routing(texts):
    """Pipeline.score passes sample_weight (None by default) through routing: the
    final BinaryRelevance must declare its score's sample_weight, or scoring fails."""
    w = np.random.RandomState(5).randint(1, 4, size=len(texts.X))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = _text_pipeline(routing=True, score_weighted=True).fit(texts.X, texts.Y)
        unweighted = pipe.score(texts.X, texts.Y)
        weighted = pipe.score(texts.X, texts.Y, sample_weight=w)
    assert 0.1 < unweighted < 1
    assert weighted == pytest.approx(pipe.score(texts.X, texts.Y, sample_weight=w))
    assert weighted != unweighted


# --------------------------------------------------------------------------
# per-fold slicing: every fit sees each row with its own weight
# --------------------------------------------------------------------------


def _weighted_score(est):
    # under routing, a consumer's score must say whether it takes the weights
    if sklearn.get_config()["enable_metadata_routing"]:
        est.set_score_request(sample_weight=True)
    return est


class _RowCheckingLR(LogisticRegression):
    """LogisticRegression whose fit checks that row ``i`` got weight ``X[i, 0]``: the
    first feature carries each row's own weight, so a weight vector that is not sliced
    to the fold, or sliced with other rows, fails here."""

    def fit(self, X, y, sample_weight=None):
        assert sample_weight is not None, "sample_weight did not reach the base fit"
        column = X[:, 0].toarray().ravel() if hasattr(X, "toarray") else X[:, 0]
        np.testing.assert_array_equal(np.asarray(sample_weight), column)
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.fixture(scope="module")
def tagged(small):
    """``small`` with a first column holding each row's weight (distinct values)."""
    w = np.random.RandomState(4).uniform(0.5, 2.0, size=N_ROWS)
    return np.column_stack([w, small.X]), small.Y, w


@pytest.mark.parametrize("make", [
    lambda b: ThresholdTuner(BinaryRelevance(b), cv=3, random_state=0),
    lambda b: ClassifierChain(b, cv=3, chain_method="predict_proba"),
    lambda b: ThresholdTuner(ClassifierChain(b, cv=3), cv=3, random_state=0),
    lambda b: ClassifierChainEnsemble(b, n_chains=2, cv=3, random_state=0),
    lambda b: ThresholdTuner(ClassifierChainEnsemble(b, n_chains=2, cv=3, random_state=0),
                             cv=0.3, random_state=0),
    lambda b: GridSearchCV(_weighted_score(BinaryRelevance(b)), {"estimator__C": [0.1, 1.0]},
                           cv=3),
    lambda b: GridSearchCV(_weighted_score(ThresholdTuner(BinaryRelevance(b), cv=3,
                                                          random_state=0)),
                           {"estimator__estimator__C": [0.1, 1.0]}, cv=3),
], ids=["tuner-br", "chain-cv", "tuner-chain-cv", "ensemble-cv", "tuner-ensemble",
        "grid-br", "grid-tuner"])
def test_weights_are_sliced_to_every_fold(make, routing, tagged):
    """The report's case: ThresholdTuner(BinaryRelevance(...), cv=3).fit(X, Y,
    sample_weight=w) used to raise 'sample_weight.shape == (240,), expected (160,)'."""
    X, Y, w = tagged
    est = make(_requested(_RowCheckingLR(solver="liblinear"), routing))
    est.fit(X, Y, sample_weight=w)
    assert est.predict(X).shape == Y.shape


# --------------------------------------------------------------------------
# routing API and errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    BinaryRelevance,
    ClassifierChain,
    ClassifierChainEnsemble,
    lambda b: ThresholdTuner(BinaryRelevance(b)),
], ids=["BinaryRelevance", "ClassifierChain", "ClassifierChainEnsemble", "ThresholdTuner"])
def test_get_metadata_routing_follows_the_base_request(make):
    with sklearn.config_context(enable_metadata_routing=True):
        asked = make(LogisticRegression().set_fit_request(sample_weight=True))
        assert asked.get_metadata_routing().consumes("fit", ["sample_weight"]) == {
            "sample_weight"}
        declined = make(LogisticRegression().set_fit_request(sample_weight=False))
        assert declined.get_metadata_routing().consumes("fit", ["sample_weight"]) == set()


def test_declined_weights_are_not_passed(small, weights):
    """sample_weight requested by the tuner's search-level scorer only: declined by
    the base estimator, it is not passed to any fit."""
    X, Y, X_test = small.X, small.Y, small.X_test
    with sklearn.config_context(enable_metadata_routing=True):
        declined = BinaryRelevance(_lr().set_fit_request(sample_weight=False))
        declined.set_score_request(sample_weight=True)
        search = GridSearchCV(declined, {"estimator__C": [1.0]}, cv=3)
        search.fit(X, Y, sample_weight=weights)
        # a router whose children all decline it: scikit-learn says nothing consumes it
        with pytest.raises(TypeError, match=r"BinaryRelevance\.fit got unexpected argument"
                           r"\(s\) \{'sample_weight'\}, which are not routed to any object"):
            clone(declined).fit(X, Y, sample_weight=weights)
    _assert_same_model(search.best_estimator_, BinaryRelevance(_lr()).fit(X, Y), X_test)


@pytest.mark.parametrize("make", [
    BinaryRelevance,
    lambda b: ClassifierChain(b, cv=3),
    ClassifierChainEnsemble,
    lambda b: ThresholdTuner(BinaryRelevance(b), cv=3),
    lambda b: _text_pipeline(),
], ids=["BinaryRelevance", "ClassifierChain", "ClassifierChainEnsemble", "ThresholdTuner",
        "Pipeline"])
def test_unrequested_weights_raise_under_routing(make, small, texts):
    X, Y = (small.X, small.Y)
    est = make(LogisticRegression())
    if isinstance(est, Pipeline):
        X, Y = texts.X, texts.Y
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(UnsetMetadataPassedError,
                           match=r"\[sample_weight\] are passed but are not explicitly set "
                           r"as requested or not requested for LogisticRegression\.fit"):
            est.fit(X, Y, sample_weight=np.ones(len(X)))


@pytest.mark.parametrize("make", [
    BinaryRelevance,
    ClassifierChain,
    ClassifierChainEnsemble,
    lambda b: ThresholdTuner(BinaryRelevance(b), cv=3),
], ids=["BinaryRelevance", "ClassifierChain", "ClassifierChainEnsemble", "ThresholdTuner"])
def test_parameter_the_base_cannot_take_is_named(make, small):
    est = make(LinearSVC())
    with pytest.raises(TypeError, match=r"got the fit parameter\(s\) \['groups'\], but "
                       r"LinearSVC\.fit does not accept them \(it takes \['sample_weight'\]\)"):
        est.fit(small.X, small.Y, groups=np.arange(N_ROWS))


def test_unknown_parameter_is_named_even_when_every_label_is_constant(small):
    """No label fit runs (all constant), the bad parameter is still reported."""
    Y = np.zeros_like(small.Y)
    with pytest.raises(TypeError, match=r"\['bogus'\]"):
        BinaryRelevance(LinearSVC()).fit(small.X, Y, bogus=1)
