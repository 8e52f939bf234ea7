"""mlkit.thresholds: the threshold functions checked by hand on tiny arrays, and
ThresholdTuner on a real GoEmotions slice (gain over the default threshold, prefit and
float cv, global strategy, top-k, at-least-one, rare-label fallback, CV folds with rare
labels, invalid parameters) and with scikit-multilearn estimators."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import cross_val_predict, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from mlkit import BinaryRelevance, ThresholdTuner
from mlkit.model_selection import MultilabelStratifiedKFold
from mlkit.thresholds import (
    AUTO_MIN_POSITIVES,
    apply_thresholds,
    f1_optimal_thresholds,
    global_threshold,
    prevalence_thresholds,
    top_k_decisions,
)

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def _svc():
    return LinearSVC(random_state=0)


class _Scores(BaseEstimator):
    """A fitted 'estimator' whose decision values are its input: held-out scores as X."""

    def fit(self, X, Y):
        self.fitted_ = True
        return self

    def decision_function(self, X):
        return np.asarray(X)


# --------------------------------------------------------------------------
# threshold functions, by hand
# --------------------------------------------------------------------------


def test_f1_optimal_thresholds_by_hand():
    # label 0: sorted scores .9(+) .6(+) .4(-) .1(-): best cut between .6 and .4
    # label 1: sorted scores .7(+) .3(-) .2(-) .1(-): best cut between .7 and .3
    y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    s = np.array([[0.9, 0.1], [0.6, 0.2], [0.4, 0.7], [0.1, 0.3]])
    np.testing.assert_allclose(f1_optimal_thresholds(y, s, min_positives=1), [0.5, 0.5])
    # label 1 has one positive: below min_positives=2 it gets the fallback
    np.testing.assert_allclose(
        f1_optimal_thresholds(y, s, min_positives=2, fallback=0.8), [0.5, 0.8])
    # shrinkage: (n_pos * t + shrinkage * fallback) / (n_pos + shrinkage)
    np.testing.assert_allclose(
        f1_optimal_thresholds(y, s, min_positives=1, shrinkage=2.0, fallback=0.8),
        [(2 * 0.5 + 2 * 0.8) / 4, (1 * 0.5 + 2 * 0.8) / 3])


def test_tied_scores_are_never_split():
    # sorted scores .5(+) .5(-) .3(+) .1(-): the cut after the first .5 would split a tie;
    # the allowed cuts give F1 0.5 (k=2), 0.8 (k=3), 0.667 (k=4): best between .3 and .1
    y = np.array([[1], [0], [1], [0]])
    s = np.array([[0.5], [0.5], [0.3], [0.1]])
    t = f1_optimal_thresholds(y, s, min_positives=1)
    np.testing.assert_allclose(t, [0.2])
    # whatever the threshold, tied rows get the same decision
    for thr in (t, [global_threshold(y, s)]):
        d = apply_thresholds(s, thr)
        assert d[0, 0] == d[1, 0]
    # all scores tied: the only cut is below them all
    t_all = f1_optimal_thresholds(np.array([[1], [0], [1]]), np.full((3, 1), 0.4),
                                  min_positives=1)
    assert t_all[0] < 0.4


def test_empty_label_columns_get_the_fallback():
    y = np.array([[1, 0, 0], [0, 0, 0], [1, 0, 0], [0, 0, 0]])
    s = np.array([[0.9, 0.8, 0.1], [0.2, 0.1, 0.2], [0.7, 0.3, 0.3], [0.1, 0.6, 0.4]])
    t = f1_optimal_thresholds(y, s, min_positives=1, fallback=0.55)
    np.testing.assert_allclose(t[1:], [0.55, 0.55])
    assert 0.2 < t[0] < 0.7
    # default fallback: the micro-F1 global threshold on the same scores
    g = global_threshold(y, s)
    np.testing.assert_allclose(f1_optimal_thresholds(y, s, min_positives=1)[1:], [g, g])
    # no positive at all: the global threshold sits above every score
    assert global_threshold(np.zeros((3, 2), int), s[:3, :2]) > s[:3, :2].max()


def test_prevalence_thresholds_by_hand():
    # label 0: one positive -> one score above (between .9 and .6);
    # label 1: one positive -> between .7 and .3; label 2: no positive -> above every score
    y = np.array([[1, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 0]])
    s = np.array([[0.9, 0.1, 0.5], [0.6, 0.2, 0.1], [0.4, 0.7, 0.2], [0.1, 0.3, 0.4]])
    t = prevalence_thresholds(y, s)
    np.testing.assert_allclose(t[:2], [0.75, 0.5])
    assert t[2] > s[:, 2].max()
    np.testing.assert_array_equal(apply_thresholds(s, t).sum(axis=0), y.sum(axis=0))
    # ties are never split: two positives, scores .8 .5 .5 .1 -> the nearest count is 1 or 3;
    # both are one away from 2, the first (higher threshold) wins
    y2, s2 = np.array([[1], [1], [0], [0]]), np.array([[0.8], [0.5], [0.5], [0.1]])
    np.testing.assert_allclose(prevalence_thresholds(y2, s2), [0.65])
    # weights count rows: 4.5 weighted positives; 0.5 (above .5), 5.5 (above .1) or 6.5 rows
    np.testing.assert_allclose(
        prevalence_thresholds(y2, s2, sample_weight=[0.5, 4, 1, 1]), [0.3])
    # f1_optimal_thresholds takes it as the fallback, and per-label fallbacks as arrays
    np.testing.assert_allclose(
        f1_optimal_thresholds(y, s, min_positives=2, fallback="prevalence"), t)
    np.testing.assert_allclose(
        f1_optimal_thresholds(y, s, min_positives=2, fallback=[0.1, 0.2, 0.3]), [0.1, 0.2, 0.3])
    # shrinkage pulls a tuned label toward its own fallback
    np.testing.assert_allclose(
        f1_optimal_thresholds(y, s, min_positives=1, shrinkage=1.0, fallback=[0.1, 0.2, 0.3])[:2],
        [(0.75 + 0.1) / 2, (0.5 + 0.2) / 2])


def test_global_threshold_by_hand():
    y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    s = np.array([[0.9, 0.1], [0.6, 0.2], [0.4, 0.7], [0.1, 0.3]])
    # every positive scores >= .6 > every negative except .4 (label 0 row 2): t in (.4, .6)
    for metric in ("f1_micro", "f1_macro", "f1_samples"):
        t = global_threshold(y, s, metric=metric)
        assert 0.4 < t < 0.6, metric
        np.testing.assert_array_equal(apply_thresholds(s, t), y)


@pytest.mark.parametrize("metric", ["f1_macro", "f1_samples"])
def test_global_threshold_can_set_every_label(metric):
    y = np.array([[1], [1]])
    s = np.array([[0.2], [0.8]])
    assert global_threshold(y, s, metric="f1_micro") < 0.2
    assert global_threshold(y, s, metric=metric) < 0.2


def test_apply_thresholds_and_top_k_by_hand():
    s = np.array([[0.5, 0.5, 0.1], [0.2, 0.3, 0.3], [0.9, 0.8, 0.7]])
    # strictly above the threshold
    np.testing.assert_array_equal(apply_thresholds(s, 0.5), [[0, 0, 0], [0, 0, 0], [1, 1, 1]])
    # per-label thresholds
    np.testing.assert_array_equal(apply_thresholds(s, [0.4, 0.6, 0.0]),
                                  [[1, 0, 1], [0, 0, 1], [1, 1, 1]])
    # at least one: the label highest above its threshold; ties go to the first column
    np.testing.assert_array_equal(apply_thresholds(s, 0.5, at_least_one=True),
                                  [[1, 0, 0], [0, 1, 0], [1, 1, 1]])
    # top-k keeps the labels highest above their thresholds
    np.testing.assert_array_equal(apply_thresholds(s, 0.5, top_k=2),
                                  [[0, 0, 0], [0, 0, 0], [1, 1, 0]])
    np.testing.assert_array_equal(top_k_decisions(s, 1), [[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(top_k_decisions(s, 5), np.ones((3, 3), int))
    # sparse scores (scikit-multilearn) are accepted
    np.testing.assert_array_equal(apply_thresholds(sp.csr_matrix(s), 0.5),
                                  apply_thresholds(s, 0.5))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: apply_thresholds([[0.1, 0.2]], [0.5, 0.5, 0.5]), ValueError,
         r"thresholds has shape \(3,\) but y_score has 2 label columns"),
        (lambda: apply_thresholds([0.1, 0.2], 0.5), ValueError, r"y_score must be 2-D"),
        (lambda: apply_thresholds([[np.nan, 0.2]], 0.5), ValueError, "NaN or infinity"),
        (lambda: apply_thresholds([[0.1, 0.2]], 0.5, top_k=0), ValueError,
         "top_k must be a positive integer"),
        (lambda: top_k_decisions([[0.1, 0.2]], 0), ValueError, "k must be a positive integer"),
        (lambda: f1_optimal_thresholds([[1, 0]], [[0.1, 0.2], [0.3, 0.4]]), ValueError,
         r"y_true has shape \(1, 2\) but y_score has shape \(2, 2\)"),
        (lambda: f1_optimal_thresholds([[1, 0]], [[0.1, 0.2]], min_positives=-1), ValueError,
         "min_positives must be a non-negative number"),
        (lambda: f1_optimal_thresholds([[1, 2]], [[0.1, 0.2]]), ValueError,
         "values other than 0 and 1"),
        (lambda: global_threshold([[1, 0]], [[0.1, 0.2]], metric="accuracy"), ValueError,
         r"metric='accuracy' is not supported; use one of"),
        (lambda: f1_optimal_thresholds([[1, 0]], [[0.1, 0.2]], fallback="median"), ValueError,
         r"fallback='median' is not supported"),
        (lambda: f1_optimal_thresholds([[1, 0]], [[0.1, 0.2]], fallback=[0.1, 0.2, 0.3]),
         ValueError, r"fallback must be one finite number or one per label \(2\)"),
        (lambda: prevalence_thresholds([[1, 0]], [[0.1, 0.2], [0.3, 0.4]]), ValueError,
         r"y_true has shape \(1, 2\) but y_score has shape \(2, 2\)"),
    ],
)
def test_threshold_functions_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------
# ThresholdTuner on real data
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tuned(goemotions_tfidf):
    d = goemotions_tfidf
    default = BinaryRelevance(_svc()).fit(d.X_train, d.Y_train)
    tuner = ThresholdTuner(BinaryRelevance(_svc()), cv=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # labels constant in some folds
        tuner.fit(d.X_train, d.Y_train)
    return default, tuner


def test_tuned_thresholds_beat_the_default_on_held_out_macro_f1(tuned, goemotions_tfidf):
    d = goemotions_tfidf
    default, tuner = tuned
    f1_default = f1_score(d.Y_test, default.predict(d.X_test), average="macro",
                          zero_division=0)
    f1_tuned = f1_score(d.Y_test, tuner.predict(d.X_test), average="macro", zero_division=0)
    # measured: about 0.18 -> 0.27 on these 1,500 / 500 rows
    assert f1_tuned >= f1_default + 0.05, (f1_default, f1_tuned)
    assert f1_score(d.Y_test, tuner.predict(d.X_test), average="micro") > f1_score(
        d.Y_test, default.predict(d.X_test), average="micro")


def test_tuner_attributes_are_consistent(tuned, goemotions_tfidf):
    d = goemotions_tfidf
    _, tuner = tuned
    n, L = d.Y_train.shape
    assert tuner.response_method_ == "decision_function"
    assert tuner.oof_scores_.shape == (n, L)  # 3 folds cover every row
    assert tuner.thresholds_.shape == (L,)
    np.testing.assert_array_equal(tuner.classes_, np.arange(L))
    # the thresholds are exactly the functions applied to the out-of-fold scores
    g = global_threshold(d.Y_train, tuner.oof_scores_, metric="f1_micro")
    assert tuner.global_threshold_ == pytest.approx(g)
    expected = f1_optimal_thresholds(d.Y_train, tuner.oof_scores_,
                                     min_positives=tuner.min_positives,
                                     shrinkage=tuner.shrinkage, min_f1=tuner.min_f1, fallback=g)
    np.testing.assert_allclose(tuner.thresholds_, expected)
    # rare-label fallback: labels with fewer than min_positives positives use the global one
    rare = d.Y_train.sum(axis=0) < tuner.min_positives
    assert rare.any() and (~rare).any()
    assert not tuner.tuned_labels_[rare].any()
    np.testing.assert_allclose(tuner.thresholds_[~tuner.tuned_labels_], g)
    np.testing.assert_allclose(tuner.thresholds_[rare], g)
    assert not np.allclose(tuner.thresholds_[~rare], g)
    np.testing.assert_allclose(tuner.fallback_thresholds_, g)
    # fallback="prevalence" changes only the untuned labels: their own proportional cut
    prev = clone(tuner).set_params(fallback="prevalence", cv="prefit",
                                   estimator=_Scores().fit(None, None))
    prev.fit(tuner.oof_scores_, d.Y_train)
    fb = prevalence_thresholds(d.Y_train, tuner.oof_scores_)
    np.testing.assert_allclose(prev.fallback_thresholds_, fb)
    np.testing.assert_array_equal(prev.tuned_labels_, tuner.tuned_labels_)
    np.testing.assert_allclose(prev.thresholds_[tuner.tuned_labels_],
                               tuner.thresholds_[tuner.tuned_labels_])
    np.testing.assert_allclose(prev.thresholds_[rare], fb[rare])
    assert (prev.thresholds_[rare] != g).all()
    # predict applies the thresholds to the refitted estimator's scores
    scores = tuner.decision_function(d.X_test)
    np.testing.assert_array_equal(
        tuner.predict(d.X_test),
        apply_thresholds(scores, tuner.thresholds_, at_least_one=tuner.at_least_one_))
    np.testing.assert_allclose(scores, tuner.estimator_.decision_function(d.X_test))


def test_min_positives_and_shrinkage(goemotions_tfidf):
    d = goemotions_tfidf
    X, Y = d.X_train[:800], d.Y_train[:800]
    t = ThresholdTuner(BinaryRelevance(_svc()), cv=3, min_positives=20, shrinkage=0.0,
                       min_f1=0.0, fallback="global", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        t.fit(X, Y)
    n_pos = Y.sum(axis=0)
    np.testing.assert_array_equal(t.tuned_labels_, n_pos >= 20)
    np.testing.assert_allclose(t.thresholds_[n_pos < 20], t.global_threshold_)
    # without shrinkage a tuned label's threshold is its own F1-optimal cut
    j = int(np.argmax(n_pos))
    expected = f1_optimal_thresholds(Y[:, [j]], t.oof_scores_[:, [j]], min_positives=1)
    assert t.thresholds_[j] == pytest.approx(expected[0])


def test_prevalence_fallback_follows_each_label_and_beats_one_global_threshold(
        goemotions_tfidf):
    # every label on its fallback (nothing tuned): one global threshold against each label's
    # own proportional cut, on the 1,500 / 500 rows (28 labels, 1 to 509 positives each);
    # measured: macro-F1 0.25 (global) and 0.32 (prevalence)
    d = goemotions_tfidf
    fits = {}
    for fallback in ("global", "prevalence"):
        t = ThresholdTuner(BinaryRelevance(_svc()), cv=3, min_positives=10**6, fallback=fallback,
                           at_least_one=False, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fits[fallback] = t.fit(d.X_train, d.Y_train)
        assert not t.tuned_labels_.any()
        np.testing.assert_array_equal(t.thresholds_, t.fallback_thresholds_)
    glob, prev = fits["global"], fits["prevalence"]
    np.testing.assert_allclose(glob.thresholds_, glob.global_threshold_)
    # on the held-out scores each label predicts as many rows as it has positives
    n_pos = d.Y_train.sum(axis=0)
    np.testing.assert_array_equal(
        apply_thresholds(prev.oof_scores_, prev.thresholds_).sum(axis=0), n_pos)
    # the global threshold is set by the frequent labels: it sits above the thresholds the
    # rarer labels need, and loses most of them on the test rows
    rare = n_pos < np.median(n_pos)
    assert (prev.thresholds_[rare] < glob.global_threshold_).all()
    f_glob = f1_score(d.Y_test, glob.predict(d.X_test), average="macro", zero_division=0)
    f_prev = f1_score(d.Y_test, prev.predict(d.X_test), average="macro", zero_division=0)
    assert f_prev >= f_glob + 0.05, (f_glob, f_prev)


def test_prefit_uses_the_validation_set_only(goemotions_tfidf):
    pd = pytest.importorskip("pandas")
    d = goemotions_tfidf
    Y = pd.DataFrame(d.Y_train, columns=d.label_names)
    model = BinaryRelevance(_svc()).fit(d.X_train[:1000], Y.iloc[:1000])
    coef_before = model.estimators_[0].coef_.copy()
    tuner = ThresholdTuner(model, cv="prefit").fit(d.X_train[1000:], d.Y_train[1000:])
    assert tuner.estimator_ is model  # not refitted
    np.testing.assert_array_equal(model.estimators_[0].coef_, coef_before)
    assert tuner.oof_scores_.shape == (500, 28)
    np.testing.assert_allclose(tuner.oof_scores_, model.decision_function(d.X_train[1000:]))
    np.testing.assert_array_equal(tuner.classes_, d.label_names)  # from the prefit model
    np.testing.assert_array_equal(
        tuner.predict(d.X_test),
        apply_thresholds(model.decision_function(d.X_test), tuner.thresholds_,
                         at_least_one=tuner.at_least_one_))
    # clone() (GridSearchCV, cross_val_score) would unfit the model; FrozenEstimator keeps it
    frozen = clone(ThresholdTuner(FrozenEstimator(model), cv="prefit"))
    frozen.fit(d.X_train[1000:], d.Y_train[1000:])
    np.testing.assert_array_equal(frozen.thresholds_, tuner.thresholds_)
    with pytest.raises(NotFittedError, match="cv='prefit' needs an already fitted estimator"):
        ThresholdTuner(BinaryRelevance(_svc()), cv="prefit").fit(d.X_train[:50],
                                                                 d.Y_train[:50])


def test_float_cv_holds_out_a_fraction(goemotions_tfidf):
    d = goemotions_tfidf
    X, Y = d.X_train[:1000], d.Y_train[:1000]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        t = ThresholdTuner(BinaryRelevance(_svc()), cv=0.3, random_state=0).fit(X, Y)
    assert t.oof_scores_.shape == (300, 28)
    assert t.predict(d.X_test).shape == (500, 28)


def test_refit_false_keeps_the_held_out_split_model(goemotions_tfidf):
    d = goemotions_tfidf
    X, Y = d.X_train[:1000], d.Y_train[:1000]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        kept = ThresholdTuner(BinaryRelevance(_svc()), cv=0.3, random_state=0,
                              refit=False).fit(X, Y)
        refitted = ThresholdTuner(BinaryRelevance(_svc()), cv=0.3, random_state=0).fit(X, Y)
    # same split, same held-out scores and thresholds; only the final model differs
    np.testing.assert_array_equal(kept.oof_scores_, refitted.oof_scores_)
    np.testing.assert_array_equal(kept.thresholds_, refitted.thresholds_)
    # the kept model is the one that produced the held-out scores: rescoring the held-out
    # rows (recovered from the scores) reproduces them exactly; the refitted one does not
    split = ThresholdTuner(BinaryRelevance(_svc()), cv=0.3, random_state=0)._splits(X, Y)
    test_rows = np.sort(split[0][1])  # oof_scores_ keeps the held-out rows in order
    np.testing.assert_allclose(kept.estimator_.decision_function(X[test_rows]),
                               kept.oof_scores_)
    assert not np.allclose(refitted.estimator_.decision_function(X[test_rows]),
                           kept.oof_scores_)
    assert kept.predict(d.X_test).shape == (500, 28)
    with pytest.raises(ValueError, match="refit=False keeps the model of a single held-out split"):
        ThresholdTuner(BinaryRelevance(_svc()), cv=3, refit=False).fit(X, Y)
    with pytest.raises(ValueError, match="'refit' parameter of ThresholdTuner must be an instance"):
        ThresholdTuner(BinaryRelevance(_svc()), cv=0.3, refit="no").fit(X, Y)


def test_global_strategy_top_k_and_at_least_one(goemotions_tfidf):
    d = goemotions_tfidf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        glob = ThresholdTuner(BinaryRelevance(_svc()), strategy="global", cv=3,
                              random_state=0).fit(d.X_train[:800], d.Y_train[:800])
        model = BinaryRelevance(_svc()).fit(d.X_train[:1000], d.Y_train[:1000])
    np.testing.assert_array_equal(glob.thresholds_, np.full(28, glob.global_threshold_))
    assert not glob.tuned_labels_.any()
    assert glob.global_threshold_ == pytest.approx(
        global_threshold(d.Y_train[:800], glob.oof_scores_, metric="f1_macro"))
    # the decision rules, on one prefit model and a validation set
    X_val, Y_val = d.X_train[1000:], d.Y_train[1000:]
    # (not clone(): cloning would drop the prefit model's fitted state)
    top1 = ThresholdTuner(model, cv="prefit", top_k=1, at_least_one=False).fit(X_val, Y_val)
    one = ThresholdTuner(model, cv="prefit", at_least_one=True).fit(X_val, Y_val)
    none = ThresholdTuner(model, cv="prefit", at_least_one=False).fit(X_val, Y_val)
    assert top1.predict(d.X_test).sum(axis=1).max() == 1
    assert one.at_least_one_ is True and none.at_least_one_ is False
    assert (one.predict(d.X_test).sum(axis=1) >= 1).all()
    assert (none.predict(d.X_test).sum(axis=1) == 0).any()  # so the rule did something
    # at_least_one only adds labels to empty rows
    p_one, p_none = one.predict(d.X_test), none.predict(d.X_test)
    filled = p_none.sum(axis=1) > 0
    np.testing.assert_array_equal(p_one[filled], p_none[filled])


def test_tuner_inside_cross_validation_with_rare_labels(goemotions_tfidf):
    d = goemotions_tfidf
    X, Y = d.X_train[:600], d.Y_train[:600]
    n_pos = Y.sum(axis=0)
    assert (n_pos <= 2).any()  # labels absent from some inner training folds
    tuner = ThresholdTuner(BinaryRelevance(_svc()), cv=3, random_state=0)
    cv = MultilabelStratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pred = cross_val_predict(tuner, X, Y, cv=cv)
    assert pred.shape == Y.shape and set(np.unique(pred)) <= {0, 1}
    assert 0.1 < f1_score(Y, pred, average="micro") < 1


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"strategy": "best"}, ValueError,
         r"The 'strategy' parameter of ThresholdTuner must be a str among .*'per_label'.*Got 'best'"),
        ({"metric": "accuracy"}, ValueError, r"'metric' parameter of ThresholdTuner .*'f1_macro'"),
        ({"at_least_one": "yes"}, ValueError,
         r"'at_least_one' parameter of ThresholdTuner must be .*'auto'.*Got 'yes'"),
        ({"min_positives": -1}, ValueError, r"'min_positives' parameter .* in the range \[0(\.0)?, inf\)"),
        ({"shrinkage": -2.0}, ValueError, r"'shrinkage' parameter .* in the range \[0(\.0)?, inf\)"),
        ({"top_k": 0}, ValueError, r"'top_k' parameter .* in the range \[1, inf\) or None"),
        ({"cv": 1}, ValueError, r"'cv' parameter of ThresholdTuner must be an int in the range \[2, inf\)"),
        ({"cv": 1.5}, ValueError, r"'cv' parameter of ThresholdTuner .* in the range \(0(\.0)?, 1(\.0)?\)"),
        ({"cv": "three"}, ValueError, r"'cv' parameter of ThresholdTuner .*'auto'.*Got 'three'"),
        ({"refit": "mean"}, ValueError, r"'refit' parameter of ThresholdTuner .*'average'.*Got 'mean'"),
        ({"response_method": "predict"}, ValueError,
         r"'response_method' parameter of ThresholdTuner .*Got 'predict'"),
        ({"response_method": "predict_proba"}, TypeError, "has no predict_proba"),
    ],
)
def test_invalid_tuner_parameters(params, error, match):
    rng = np.random.RandomState(0)
    X, Y = rng.rand(30, 4), (rng.rand(30, 2) < 0.5).astype(int)
    tuner = ThresholdTuner(BinaryRelevance(_svc()), **{"cv": 3, **params})
    with pytest.raises(error, match=match):
        tuner.fit(X, Y)


def test_tuner_bad_input():
    rng = np.random.RandomState(0)
    X, Y = rng.rand(30, 4), (rng.rand(30, 2) < 0.5).astype(int)
    tuner = ThresholdTuner(BinaryRelevance(_svc()), cv=3)
    with pytest.raises(TypeError, match=r"single string was received\. Wrap it in a list"):
        tuner.fit("one text", Y)
    with pytest.raises(ValueError, match="X has 30 samples but Y has 29 rows"):
        tuner.fit(X, Y[:-1])
    with pytest.raises(ValueError, match="values other than 0 and 1"):
        tuner.fit(X, Y + 1)
    with pytest.raises(NotFittedError):
        tuner.predict(X)


# --------------------------------------------------------------------------
# scikit-multilearn estimators inside mlkit's tuner, metrics and splitters
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frequent6(goemotions_tfidf):
    """700 rows and the 6 most frequent labels: scikit-multilearn's problem transforms
    crash on a label with no positive example in a training fold (its own limitation)."""
    d = goemotions_tfidf
    top = np.argsort(-d.Y_train[:700].sum(axis=0), kind="stable")[:6]
    return d.X_train[:700], d.Y_train[:700][:, top], d.X_test, d.Y_test[:, top]


@pytest.mark.parametrize("kind", ["BinaryRelevance", "ClassifierChain"])
def test_skmultilearn_estimator_inside_threshold_tuner(kind, frequent6):
    problem_transform = pytest.importorskip("skmultilearn.problem_transform")
    from mlkit import metrics

    X, Y, X_test, Y_test = frequent6
    est = getattr(problem_transform, kind)(LogisticRegression(solver="liblinear"))
    assert not hasattr(est, "decision_function")
    fitted = clone(est).fit(X, Y)
    assert sp.issparse(fitted.predict_proba(X_test))  # what mlkit has to cope with
    tuner = ThresholdTuner(est, cv=3, random_state=0).fit(X, Y)
    assert tuner.response_method_ == "predict_proba"
    assert ((tuner.thresholds_ > 0) & (tuner.thresholds_ < 1)).all()
    pred = tuner.predict(X_test)
    assert isinstance(pred, np.ndarray) and pred.shape == Y_test.shape
    proba = tuner.predict_proba(X_test)
    assert isinstance(proba, np.ndarray)
    np.testing.assert_allclose(proba, fitted.predict_proba(X_test).toarray())
    # tuned thresholds beat scikit-multilearn's own 0.5 cut on held-out macro-F1
    assert metrics.f1_score(Y_test, pred, average="macro") > metrics.f1_score(
        Y_test, fitted.predict(X_test), average="macro") + 0.05


def test_skmultilearn_linear_svc_with_mlkit_metrics_and_splitters(frequent6):
    problem_transform = pytest.importorskip("skmultilearn.problem_transform")
    from mlkit import metrics

    X, Y, X_test, Y_test = frequent6
    est = problem_transform.BinaryRelevance(_svc())
    pred = clone(est).fit(X, Y).predict(X_test)
    assert sp.issparse(pred)
    ours = BinaryRelevance(_svc()).fit(X, Y).predict(X_test)
    np.testing.assert_array_equal(pred.toarray(), ours)  # same per-label models
    assert metrics.f1_score(Y_test, pred, average="micro") == pytest.approx(
        f1_score(Y_test, ours, average="micro"))
    cv = MultilabelStratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(est, X, Y, cv=cv, scoring=metrics.get_scorer("f1_macro"),
                             error_score="raise")
    assert scores.shape == (3,) and np.all((scores > 0) & (scores < 1))
    # LinearSVC has no scores: the tuner cannot threshold it, and says which method is missing
    with pytest.raises(TypeError, match="neither decision_function nor predict_proba"):
        ThresholdTuner(est, cv=3).fit(X, Y)


def test_predict_proba_is_calibrated_on_held_out_scores(tuned, goemotions_tfidf):
    # LinearSVC has no predict_proba: the tuner maps decision values through one sigmoid per
    # label fitted on the out-of-fold scores (Platt scaling)
    d = goemotions_tfidf
    _, tuner = tuned
    assert not hasattr(tuner.estimator_, "predict_proba")
    assert tuner.calibrator_.coef_.shape == (d.Y_train.shape[1],)
    # the public decision API gives exactly what predict / predict_proba give
    S_raw = tuner.tuned_scores(d.X_test)
    np.testing.assert_array_equal(tuner.decide(S_raw), tuner.predict(d.X_test))
    np.testing.assert_array_equal(tuner.calibrate(S_raw), tuner.predict_proba(d.X_test))
    D_both, P_both = tuner.predict_with_proba(d.X_test)
    np.testing.assert_array_equal(D_both, tuner.predict(d.X_test))
    np.testing.assert_array_equal(P_both, tuner.predict_proba(d.X_test))
    # thresholds in probability units separate the same decisions (the sigmoids are monotone)
    assert tuner.proba_thresholds_.shape == tuner.thresholds_.shape
    passes = tuner.predict_proba(d.X_test) > tuner.proba_thresholds_
    np.testing.assert_array_equal(passes, S_raw > tuner.thresholds_)
    P = tuner.predict_proba(d.X_test)
    assert P.shape == d.Y_test.shape and np.all((P >= 0) & (P <= 1))
    # monotone in the decision values, label by label
    S = tuner.decision_function(d.X_test)
    for j in range(S.shape[1]):
        order = np.argsort(S[:, j], kind="stable")
        assert np.all(np.diff(P[order, j]) >= -1e-12)
    # calibrated: predicted probability mass matches the observed positives, and the Brier
    # score beats the constant predictor that knows each label's base rate
    assert abs(P.sum() - d.Y_test.sum()) < 0.35 * d.Y_test.sum()
    base = d.Y_train.mean(axis=0)
    brier = ((P - d.Y_test) ** 2).mean()
    brier_const = ((base - d.Y_test) ** 2).mean()
    assert brier < brier_const


def test_platt_fit_recovers_a_known_sigmoid():
    from mlkit.thresholds import SigmoidCalibrator

    rng = np.random.RandomState(0)
    s = rng.normal(size=(20000, 2)) * [1.0, 3.0]
    true_p = 1 / (1 + np.exp(-(2.0 * s + [-1.0, 0.5])))
    y = (rng.uniform(size=s.shape) < true_p).astype(int)
    p = SigmoidCalibrator().fit(s, y).predict(s)
    assert np.abs(p - true_p).max() < 0.03


def test_refit_average_is_the_mean_of_the_fold_models(goemotions_tfidf):
    d = goemotions_tfidf
    X, Y = d.X_train[:1000], d.Y_train[:1000]
    t = _quiet_fit(ThresholdTuner(BinaryRelevance(_svc()), cv=3, random_state=0,
                                  refit="average"), X, Y)
    assert (t.refit_, t.n_splits_) == ("average", 3)
    folds = [_quiet_fit(BinaryRelevance(_svc()), X[train], Y[train])
             for train, _ in t._splits(X, Y)]
    S = np.stack([f.decision_function(d.X_test) for f in folds])
    fitted = np.stack([~f.constant_labels_ for f in folds])  # (folds, labels)
    # labels constant in some folds' training rows average the other folds only
    partly = (fitted.sum(axis=0) > 0) & (fitted.sum(axis=0) < len(folds))
    assert partly.any(), "the slice should have a label missing from a fold's training rows"
    cols = fitted.any(axis=0)
    expected = (S * fitted[:, None, :]).sum(axis=0)[:, cols] / fitted.sum(axis=0)[cols]
    got = t.estimator_.decision_function(d.X_test)
    np.testing.assert_allclose(got[:, cols], expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(got[:, ~cols], S[0][:, ~cols])  # constant everywhere
    # the held-out scores and thresholds are those of refit=True: only the model differs
    refitted = _quiet_fit(ThresholdTuner(BinaryRelevance(_svc()), cv=3, random_state=0), X, Y)
    assert refitted.refit_ is True
    np.testing.assert_array_equal(t.oof_scores_, refitted.oof_scores_)
    np.testing.assert_array_equal(t.thresholds_, refitted.thresholds_)
    assert not np.allclose(got, refitted.estimator_.decision_function(d.X_test))
    # the averaged model is an ordinary fitted BinaryRelevance: it pickles and predicts
    back = pickle.loads(pickle.dumps(t))
    np.testing.assert_array_equal(back.predict(d.X_test), t.predict(d.X_test))


def test_refit_average_refuses_what_cannot_be_averaged(goemotions_tfidf):
    d = goemotions_tfidf
    X, Y = d.X_train[:400], d.Y_train[:400]
    with pytest.raises(ValueError, match="_Scores cannot be averaged. Use refit=True"):
        ThresholdTuner(_Scores(), cv=3, refit="average").fit(X, Y)
    # RidgeClassifier is solved for all labels in one fit: no per-label models to average;
    # refused before any fit, like a non-linear base estimator
    for base in (RidgeClassifier(), KNeighborsClassifier()):
        with pytest.raises(ValueError, match="BinaryRelevance cannot be averaged"):
            ThresholdTuner(BinaryRelevance(base), cv=3, refit="average").fit(X, Y)
    # models that do not match (another kind, another label count) are not averaged
    svc = _quiet_fit(BinaryRelevance(_svc()), X, Y)
    ridge = _quiet_fit(BinaryRelevance(RidgeClassifier()), X, Y)
    assert BinaryRelevance._average_fitted([svc, ridge]) is None
    assert BinaryRelevance._average_fitted([svc, _quiet_fit(BinaryRelevance(_svc()), X,
                                                            Y[:, :3])]) is None


def test_auto_folds_and_refit_follow_the_rarest_label(goemotions_tfidf):
    d = goemotions_tfidf
    frequent = np.flatnonzero(d.Y_train.sum(axis=0) >= AUTO_MIN_POSITIVES)
    assert 2 <= frequent.size < d.Y_train.shape[1]
    Y = d.Y_train[:, frequent]
    auto = ThresholdTuner(BinaryRelevance(_svc()), cv="auto", refit="auto", random_state=0)
    t = _quiet_fit(clone(auto), d.X_train, Y)
    assert (t.n_splits_, t.refit_) == (3, "average")
    same = _quiet_fit(ThresholdTuner(BinaryRelevance(_svc()), cv=3, refit="average",
                                     random_state=0), d.X_train, Y)
    np.testing.assert_array_equal(t.decision_function(d.X_test),
                                  same.decision_function(d.X_test))
    # one label below the bar: 5 folds and a refit
    t = _quiet_fit(clone(auto), d.X_train, d.Y_train)
    assert (t.n_splits_, t.refit_) == (5, True)
    # an estimator whose fold models cannot be averaged is refitted
    t = _quiet_fit(clone(auto).set_params(estimator=BinaryRelevance(RidgeClassifier())),
                   d.X_train, Y)
    assert (t.n_splits_, t.refit_) == (3, True)
    assert t.estimator_.vectorized_
    # only k-fold models with 3 folds or more are averaged: a single split or 2 folds leave
    # each model too far from all rows, so they are refitted
    for cv in (0.2, 2, MultilabelStratifiedKFold(3, shuffle=True, random_state=0)):
        t = _quiet_fit(clone(auto).set_params(cv=cv), d.X_train, Y)
        assert t.refit_ is True, cv
    # attributes of a k-fold fit do not survive a later cv="prefit" fit
    assert hasattr(t, "refit_") and hasattr(t, "n_splits_")
    t.set_params(estimator=t.estimator_, cv="prefit").fit(d.X_test, d.Y_test[:, frequent])
    assert not hasattr(t, "refit_") and not hasattr(t, "n_splits_")


# --------------------------------------------------------------------------
# candidate_params: a hyperparameter chosen on the first split
# --------------------------------------------------------------------------

def _quiet_fit(tuner, X, Y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # labels constant in some folds
        return tuner.fit(X, Y)


def test_candidate_params_choose_on_the_first_split_and_use_it_everywhere(goemotions_tfidf):
    d = goemotions_tfidf
    X, Y = d.X_train[:1000], d.Y_train[:1000]
    # C=1e-4 leaves LinearSVC almost no weights: far worse held-out macro-F1 than C=0.5
    candidates = [{"estimator__C": 1e-4}, {"estimator__C": 0.5}]
    t = _quiet_fit(ThresholdTuner(BinaryRelevance(_svc()), cv=3, random_state=0,
                                  candidate_params=candidates), X, Y)
    assert t.best_params_ == {"estimator__C": 0.5}
    assert t.candidate_scores_.shape == (2,)
    assert t.candidate_scores_[1] > t.candidate_scores_[0] + 0.05, t.candidate_scores_
    assert t.estimator_.estimator.C == 0.5 and t.estimator.estimator.C == 1.0  # param kept
    # everything after the choice is exactly the tuner of the chosen setting
    plain = _quiet_fit(ThresholdTuner(BinaryRelevance(_svc().set_params(C=0.5)), cv=3,
                                      random_state=0), X, Y)
    np.testing.assert_array_equal(t.oof_scores_, plain.oof_scores_)
    np.testing.assert_array_equal(t.thresholds_, plain.thresholds_)
    np.testing.assert_array_equal(t.predict(d.X_test), plain.predict(d.X_test))
    assert plain.best_params_ == {} and plain.candidate_scores_ is None
    # the first split's score of the chosen candidate is that split's tuned macro-F1
    first_train, first_test = plain._splits(X, Y)[0]
    fold = BinaryRelevance(_svc().set_params(C=0.5)).fit(X[first_train], Y[first_train])
    probe = ThresholdTuner(None)
    probe._tune(Y[first_test], fold.decision_function(X[first_test]))
    assert t.candidate_scores_[1] == pytest.approx(probe.cv_score_)


def test_candidate_params_ties_go_to_the_first_and_one_candidate_is_just_used(
        goemotions_tfidf):
    d = goemotions_tfidf
    X, Y = d.X_train[:600], d.Y_train[:600]
    # the same model twice (verbose changes nothing): equal scores, the first one wins
    same = [{"estimator__C": 0.3}, {"estimator__C": 0.3, "estimator__verbose": 0}]
    t = _quiet_fit(ThresholdTuner(BinaryRelevance(_svc()), cv=2, random_state=0,
                                  candidate_params=same), X, Y)
    assert t.candidate_scores_[0] == t.candidate_scores_[1]
    assert t.best_params_ == same[0]
    t = _quiet_fit(clone(t).set_params(candidate_params=same[::-1]), X, Y)
    assert t.best_params_ == same[1]
    one = _quiet_fit(ThresholdTuner(BinaryRelevance(_svc()), cv=2, random_state=0,
                                    candidate_params=[{"estimator__C": 0.3}]), X, Y)
    assert one.best_params_ == {"estimator__C": 0.3} and one.candidate_scores_ is None
    assert one.estimator_.estimator.C == 0.3


def test_candidate_params_with_a_single_kept_split(goemotions_tfidf):
    d = goemotions_tfidf
    X, Y = d.X_train[:1000], d.Y_train[:1000]
    t = _quiet_fit(ThresholdTuner(BinaryRelevance(_svc()), cv=0.3, random_state=0, refit=False,
                                  candidate_params=[{"estimator__C": 1e-4},
                                                    {"estimator__C": 0.5}]), X, Y)
    assert t.best_params_ == {"estimator__C": 0.5}
    # the kept model is the chosen candidate's, fitted on the split's training rows
    assert t.estimator_.estimator.C == 0.5
    test_rows = np.sort(t._splits(X, Y)[0][1])
    np.testing.assert_allclose(t.estimator_.decision_function(X[test_rows]), t.oof_scores_)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"candidate_params": []}, ValueError, "candidate_params is an empty list"),
        ({"candidate_params": [{"estimator__C": 1.0}, "C=2"]}, TypeError,
         r"candidate_params\[1\] is str, not a dict"),
        ({"candidate_params": [{"estimator__D": 1.0}]}, ValueError,
         r"candidate_params\[0\] = \{'estimator__D': 1.0\} does not fit BinaryRelevance"),
        ({"candidate_params": {"estimator__C": [1.0]}}, ValueError,
         "'candidate_params' parameter of ThresholdTuner must be an instance of 'list'"),
    ],
)
def test_invalid_candidate_params(params, error, match):
    rng = np.random.RandomState(0)
    X, Y = rng.rand(30, 4), (rng.rand(30, 2) < 0.5).astype(int)
    with pytest.raises(error, match=match):
        ThresholdTuner(BinaryRelevance(_svc()), cv=3, **params).fit(X, Y)


def test_candidate_params_need_fits(goemotions_tfidf):
    d = goemotions_tfidf
    fitted = BinaryRelevance(_svc()).fit(d.X_train[:1000], d.Y_train[:1000])
    with pytest.raises(ValueError, match="cv='prefit' fits nothing"):
        ThresholdTuner(fitted, cv="prefit", candidate_params=[{"estimator__C": 1.0}]).fit(
            d.X_test, d.Y_test)


def test_tuner_pickled_before_candidate_params_still_has_its_params(goemotions_tfidf):
    import pickle

    d = goemotions_tfidf
    t = _quiet_fit(ThresholdTuner(BinaryRelevance(_svc()), cv=2, random_state=0),
                   d.X_train[:400], d.Y_train[:400])
    del t.__dict__["candidate_params"]  # as in a file written before the parameter
    old = pickle.loads(pickle.dumps(t))
    assert old.get_params()["candidate_params"] is None
    assert "ThresholdTuner" in repr(old) and clone(old).candidate_params is None
    np.testing.assert_array_equal(old.predict(d.X_test), t.predict(d.X_test))


def test_candidate_params_warn_when_they_override_a_value_set_on_the_estimator():
    rng = np.random.RandomState(0)
    X, Y = rng.rand(60, 4), (rng.rand(60, 2) < 0.5).astype(int)
    candidates = [{"estimator__C": 0.5}, {"estimator__C": 0.2}]
    # the estimator's own C is one of the candidates: nothing to say
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ThresholdTuner(BinaryRelevance(_svc().set_params(C=0.5)), cv=2, random_state=0,
                       candidate_params=candidates).fit(X, Y)
    # C=1.0 set on purpose would silently be replaced by 0.5 or 0.2
    tuner = ThresholdTuner(BinaryRelevance(_svc()), cv=2, random_state=0,
                           candidate_params=candidates)
    with pytest.warns(UserWarning, match=r"estimator__C=1.0 is not used: candidate_params "
                                         r"chooses estimator__C among \[0.5, 0.2\]"):
        tuner.fit(X, Y)
    assert tuner.best_params_["estimator__C"] in (0.5, 0.2)
