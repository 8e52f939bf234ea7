"""Edge semantics that plausible one-line bugs would break without any other test failing.

Each section pins down a rule at its edge, where a mutation (``>`` for ``>=``, an
``argmax`` that picks the other end of a tie, a cache key missing a setting) changes the
result:

* decision rules: per-label thresholds combined with ``top_k`` and ``at_least_one``
  (in :func:`~mlkit.thresholds.apply_thresholds` and ``ThresholdTuner.decide``), a score
  exactly equal to its threshold, ties, ``top_k`` larger than the number of labels,
  empty batches, NaN;
* threshold search: a best cut that would fall inside tied scores, equally good cuts;
* the chain ensemble's majority vote with an even number of chains;
* the embedding cache: featurizers with the same settings share entries, featurizers
  with different models or settings (weights, pooling, tokenizer, layers, maximum
  length, disk directory) never do;
* the sigmoid calibrator's monotonicity, labels constant in training, metrics'
  ``zero_division``, stratified splitters with a label that has a single positive.
"""

import json
import os
import shutil
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import RidgeClassifier
from sklearn.metrics import f1_score as sk_f1_score
from sklearn.svm import SVC, LinearSVC

from mlkit import BinaryRelevance, ClassifierChain, ClassifierChainEnsemble, ThresholdTuner, metrics
from mlkit.base import CONSTANT_DECISION
from mlkit.model_selection import MultilabelStratifiedKFold, MultilabelStratifiedShuffleSplit
from mlkit.thresholds import (
    SigmoidCalibrator,
    apply_thresholds,
    f1_optimal_thresholds,
    global_threshold,
    top_k_decisions,
)

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def _realized_f1(y, decisions, average="binary"):
    """F1 of 0/1 decisions (zero_division=0), written out here with numpy: scikit-learn's
    ``f1_score`` gives the same values (checked in the property test) but is 50x slower."""
    y, d = np.asarray(y, dtype=bool), np.asarray(decisions, dtype=bool)
    axis = {"binary": None, "micro": None, "macro": 0, "samples": 1}[average]
    tp = (y & d).sum(axis=axis)
    denom = y.sum(axis=axis) + d.sum(axis=axis)
    f = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return float(np.mean(f))


def _candidate_thresholds(values):
    """Every threshold that gives a different decision set: below, between and above the
    distinct values."""
    u = np.unique(values)
    return np.concatenate([[u[0] - 1.0], (u[:-1] + u[1:]) / 2, [u[-1] + 1.0]])


# --------------------------------------------------------------------------
# apply_thresholds: strict >, per-label thresholds with top_k and at_least_one
# --------------------------------------------------------------------------


def test_a_score_equal_to_its_threshold_is_not_set():
    s = np.array([[0.5, 0.7, 0.2], [0.3, 0.7, 0.2]])
    t = np.array([0.5, 0.7, 0.1])
    np.testing.assert_array_equal(apply_thresholds(s, t), [[0, 0, 1], [0, 0, 1]])
    # at_least_one: a margin of exactly 0 is the best of a row where nothing passes
    np.testing.assert_array_equal(
        apply_thresholds(s[:, :2], t[:2], at_least_one=True), [[1, 0], [0, 1]])


def test_top_k_ranks_by_margin_above_per_label_thresholds_not_by_raw_score():
    # label 0 has the highest raw score, label 1 is furthest above its threshold
    s = np.array([[0.90, 0.60, 0.55],
                  [0.90, 0.60, 0.55]])
    t = np.array([0.85, 0.10, 0.50])
    np.testing.assert_array_equal(apply_thresholds(s, t, top_k=1), [[0, 1, 0], [0, 1, 0]])
    np.testing.assert_array_equal(apply_thresholds(s, t, top_k=2), [[1, 1, 0], [1, 1, 0]])


def test_top_k_keeps_only_labels_that_pass_their_threshold():
    # top_k caps the passing labels; it never adds one that fails
    s = np.array([[0.90, 0.60, 0.10],   # label 0 (highest score) fails, label 1 passes
                  [0.20, 0.30, 0.10]])  # nothing passes
    t = np.array([0.95, 0.50, 0.05])
    np.testing.assert_array_equal(apply_thresholds(s, t, top_k=1), [[0, 1, 0], [0, 0, 1]])
    t = np.array([0.95, 0.50, 0.50])
    np.testing.assert_array_equal(apply_thresholds(s, t, top_k=1), [[0, 1, 0], [0, 0, 0]])
    # at_least_one then fills the empty row with its best margin (label 1: -0.2)
    np.testing.assert_array_equal(apply_thresholds(s, t, top_k=1, at_least_one=True),
                                  [[0, 1, 0], [0, 1, 0]])


def test_at_least_one_uses_the_margin_and_sets_exactly_one_label_on_ties():
    # highest raw score: label 0; highest relative to its threshold: label 2
    s = np.array([[0.40, 0.10, 0.05]])
    t = np.array([0.90, 0.50, 0.10])
    np.testing.assert_array_equal(apply_thresholds(s, t, at_least_one=True), [[0, 0, 1]])
    # tied margins: one label only, the first column
    s = np.array([[0.2, 0.3, 0.3], [0.4, 0.1, 0.4]])
    np.testing.assert_array_equal(apply_thresholds(s, 0.5, at_least_one=True),
                                  [[0, 1, 0], [1, 0, 0]])
    # rows that have a label are left alone
    s = np.array([[0.6, 0.59, 0.58]])
    np.testing.assert_array_equal(apply_thresholds(s, [0.5, 0.5, 0.5], at_least_one=True),
                                  [[1, 1, 1]])


def test_top_k_with_ties_keeps_exactly_k_labels_in_column_order():
    s = np.array([[0.5, 0.5, 0.5, 0.1], [0.2, 0.7, 0.7, 0.7]])
    np.testing.assert_array_equal(top_k_decisions(s, 2), [[1, 1, 0, 0], [0, 1, 1, 0]])
    np.testing.assert_array_equal(apply_thresholds(s, 0.0, top_k=1), [[1, 0, 0, 0], [0, 1, 0, 0]])


def test_top_k_larger_than_the_number_of_labels_changes_nothing():
    rng = np.random.RandomState(0)
    s = rng.rand(20, 3)
    t = np.array([0.3, 0.5, 0.7])
    for at_least_one in (False, True):
        expected = apply_thresholds(s, t, at_least_one=at_least_one)
        for k in (3, 4, 100):
            np.testing.assert_array_equal(
                apply_thresholds(s, t, at_least_one=at_least_one, top_k=k), expected)
    np.testing.assert_array_equal(top_k_decisions(s, 7), np.ones((20, 3), dtype=int))


def test_empty_batches_give_empty_decisions():
    empty = np.empty((0, 4))
    for kwargs in ({}, {"at_least_one": True}, {"top_k": 2}, {"top_k": 9, "at_least_one": True}):
        out = apply_thresholds(empty, [0.1, 0.2, 0.3, 0.4], **kwargs)
        assert out.shape == (0, 4) and out.dtype.kind == "i", kwargs
    assert top_k_decisions(empty, 3).shape == (0, 4)
    cal = SigmoidCalibrator().fit(np.array([[-1.0], [0.0], [1.0], [2.0]]), [[0], [0], [1], [1]])
    assert cal.predict(np.empty((0, 1))).shape == (0, 1)


def test_nan_and_infinite_scores_are_rejected_everywhere():
    bad = np.array([[0.1, np.nan], [0.2, 0.3]])
    y = np.array([[1, 0], [0, 1]])
    for call in (lambda: apply_thresholds(bad, 0.5),
                 lambda: apply_thresholds(np.where(np.isnan(bad), np.inf, bad), 0.5),
                 lambda: top_k_decisions(bad, 1),
                 lambda: f1_optimal_thresholds(y, bad),
                 lambda: global_threshold(y, bad),
                 lambda: SigmoidCalibrator().fit(bad, y)):
        with pytest.raises(ValueError, match="NaN or infinity"):
            call()
    with pytest.raises(ValueError, match="NaN or infinity"):
        f1_optimal_thresholds(np.array([[np.nan, 1.0], [0.0, 1.0]]), [[0.1, 0.2], [0.3, 0.4]])


def test_nan_thresholds_are_rejected():
    with pytest.raises(ValueError, match="NaN"):
        apply_thresholds([[0.2, 0.4]], [np.nan, 0.5], at_least_one=True)


# --------------------------------------------------------------------------
# ThresholdTuner.decide: the same rule with fitted thresholds
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tuner_data(goemotions_tfidf):
    """600 GoEmotions rows (TF-IDF) and their six most frequent labels."""
    d = goemotions_tfidf
    keep = np.argsort(-d.Y_train[:600].sum(axis=0), kind="stable")[:6]
    return d.X_train[:600], d.Y_train[:600][:, keep], d.X_test[:200]


def _fit_tuner(X, Y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # labels constant in some folds
        return ThresholdTuner(BinaryRelevance(LinearSVC(random_state=0)), cv=3, random_state=0,
                              **params).fit(X, Y)


@pytest.mark.parametrize("at_least_one", [False, True])
def test_tuner_decide_applies_top_k_to_the_margins_of_its_per_label_thresholds(
        tuner_data, at_least_one):
    X, Y, X_test = tuner_data
    tuner = _fit_tuner(X, Y, top_k=1, at_least_one=at_least_one)
    t = tuner.thresholds_
    assert tuner.at_least_one_ is at_least_one
    i, j = int(np.argmax(t)), int(np.argmin(t))
    gap = t[i] - t[j]
    assert gap > 0  # the thresholds are per label
    # row 0: both i and j pass; i has the higher raw score, j the larger margin -> j
    # row 1: nothing passes -> empty, or j (the smaller shortfall) with at_least_one
    s = np.tile(t - 2 * gap - 1.0, (2, 1))  # the other labels: far below their thresholds
    s[0, i], s[0, j] = t[i] + gap / 8, t[j] + gap / 4
    s[1, i], s[1, j] = t[i] - gap / 4, t[j] - gap / 8
    assert s[0, i] > s[0, j]
    expected = np.zeros_like(s, dtype=int)
    expected[0, j] = 1
    expected[1, j] = int(at_least_one)
    np.testing.assert_array_equal(tuner.decide(s), expected)
    # predict, decide and the functional rule agree on real scores
    scores = tuner.tuned_scores(X_test)
    decided = tuner.decide(scores)
    np.testing.assert_array_equal(tuner.predict(X_test), decided)
    np.testing.assert_array_equal(
        decided, apply_thresholds(scores, t, at_least_one=at_least_one, top_k=1))
    assert decided.sum(axis=1).max() == 1
    assert decided.sum(axis=1).min() == int(at_least_one)
    assert tuner.decide(np.empty((0, Y.shape[1]))).shape == (0, Y.shape[1])


def test_tuner_cv_score_and_at_least_one_choice_use_the_full_rule_with_top_k(tuner_data):
    X, Y, _ = tuner_data
    for metric, average in (("f1_macro", "macro"), ("f1_samples", "samples")):
        tuner = _fit_tuner(X, Y, top_k=1, metric=metric)
        oof = tuner.oof_scores_
        assert oof.shape == Y.shape  # every row held out once: oof rows are Y's rows
        np.testing.assert_allclose(
            tuner.cv_score_, _realized_f1(Y, tuner.decide(oof), average), rtol=0, atol=1e-12)
        on, off = (_realized_f1(Y, apply_thresholds(oof, tuner.thresholds_, top_k=1,
                                                    at_least_one=flag), average)
                   for flag in (True, False))
        assert tuner.at_least_one_ is bool(on > off), metric
        # the check bites only if top_k changes the held-out decisions
        assert (apply_thresholds(oof, tuner.thresholds_).sum(axis=1) > 1).any()


def test_tuner_top_k_larger_than_the_number_of_labels_is_no_cap(tuner_data):
    X, Y, X_test = tuner_data
    capped = _fit_tuner(X, Y, top_k=Y.shape[1] + 3, at_least_one=False)
    plain = _fit_tuner(X, Y, at_least_one=False)
    np.testing.assert_array_equal(capped.thresholds_, plain.thresholds_)
    np.testing.assert_array_equal(capped.predict(X_test), plain.predict(X_test))
    assert capped.cv_score_ == plain.cv_score_


# --------------------------------------------------------------------------
# threshold search: ties are never split; among equally good cuts the highest
# --------------------------------------------------------------------------


def test_best_cut_skips_a_split_inside_tied_scores_by_hand():
    # sorted .8(+) .5(+) .5(-) .2(-): a cut inside the .5 tie would score F1 1.0 on paper,
    # but the threshold would sit on .5 and decide both rows alike. Allowed cuts:
    # k=1 F1 2/3, k=3 F1 0.8, k=4 F1 2/3 -> halfway between .5 and .2
    y = np.array([[1], [1], [0], [0]])
    s = np.array([[0.8], [0.5], [0.5], [0.2]])
    np.testing.assert_allclose(f1_optimal_thresholds(y, s, min_positives=1), [0.35])
    np.testing.assert_allclose(global_threshold(y, s), 0.35)
    # the same tie straddling two labels, for the global threshold
    y2 = np.array([[1, 0], [1, 0]])
    s2 = np.array([[0.8, 0.2], [0.5, 0.5]])
    np.testing.assert_allclose(global_threshold(y2, s2), 0.35)


def test_equally_good_cuts_resolve_to_the_highest_threshold():
    # sorted .9(+) .7(-) .5(-) .3(+): predicting only the top row and predicting every row
    # both give F1 2/3; the cut predicting fewer labels (higher precision) is chosen
    y = np.array([[1], [0], [0], [1]])
    s = np.array([[0.9], [0.7], [0.5], [0.3]])
    assert _realized_f1(y.ravel(), (s > 0.8).ravel()) == _realized_f1(y.ravel(), s.ravel() > 0)
    np.testing.assert_allclose(f1_optimal_thresholds(y, s, min_positives=1), [0.8])
    np.testing.assert_allclose(global_threshold(y, s, metric="f1_micro"), 0.8)
    np.testing.assert_allclose(global_threshold(y, s, metric="f1_macro"), 0.8)


def test_threshold_search_is_optimal_on_tied_scores_and_never_sits_on_a_score():
    """Property test on random score matrices with many ties (one decimal)."""
    rng = np.random.RandomState(0)
    for trial in range(40):
        n, n_labels = rng.randint(3, 25), rng.randint(2, 5)
        s = np.round(rng.rand(n, n_labels), 1)
        y = (rng.rand(n, n_labels) < 0.5 * s + 0.15).astype(int)
        y[rng.randint(n), :] = 1  # every label has a positive
        per_label = f1_optimal_thresholds(y, s, min_positives=1)
        for j in range(n_labels):
            best = max(_realized_f1(y[:, j], s[:, j] > c) for c in _candidate_thresholds(s[:, j]))
            assert _realized_f1(y[:, j], s[:, j] > per_label[j]) == pytest.approx(best), trial
            assert not (s[:, j] == per_label[j]).any(), trial
        for metric, average in (("f1_micro", "micro"), ("f1_macro", "macro"),
                                ("f1_samples", "samples")):
            if trial < 5:  # the helper is scikit-learn's F1
                d = s > 0.45
                assert _realized_f1(y, d, average) == pytest.approx(
                    sk_f1_score(y, d, average=average, zero_division=0))
            g = global_threshold(y, s, metric=metric)
            best = max(_realized_f1(y, s > c, average) for c in _candidate_thresholds(s))
            assert _realized_f1(y, s > g, average) == pytest.approx(best), (trial, metric)
            assert not (s == g).any(), (trial, metric)


def test_rare_and_constant_labels_get_the_fallback_or_predict_everything():
    y = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 0, 1, 0], [0, 0, 1, 0]])
    s = np.array([[0.9, 0.8, 0.2, 0.9], [0.2, 0.1, 0.6, 0.7], [0.7, 0.3, 0.4, 0.1],
                  [0.1, 0.6, 0.3, 0.2], [0.3, 0.2, 0.9, 0.3]])
    t = f1_optimal_thresholds(y, s, min_positives=2, fallback=0.55)
    # label 1 has no positive, label 3 only one: both get the fallback
    np.testing.assert_allclose(t[[1, 3]], [0.55, 0.55])
    np.testing.assert_allclose(t[0], 0.5)
    # label 2 is positive in every row: its threshold sits below every score
    assert t[2] < s[:, 2].min()
    np.testing.assert_array_equal(apply_thresholds(s, t)[:, 2], 1)


# --------------------------------------------------------------------------
# ClassifierChainEnsemble: majority vote with an even number of chains
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chain_data():
    # synthetic and dense: chains in different orders disagree on many cells within 0.1 s
    X, Y = make_multilabel_classification(n_samples=300, n_features=20, n_classes=5,
                                          random_state=0)
    return X[:200], Y[:200], X[200:]


@pytest.mark.parametrize("n_chains", [2, 3, 4])
def test_chain_ensemble_vote_sets_a_label_when_at_least_half_the_chains_do(chain_data, n_chains):
    X, Y, X_test = chain_data
    ens = ClassifierChainEnsemble(n_chains=n_chains, random_state=0).fit(X, Y)
    votes = np.sum([chain.predict(X_test) for chain in ens.estimators_], axis=0)
    pred = ens.predict(X_test)
    np.testing.assert_array_equal(pred, (2 * votes >= n_chains).astype(int))
    assert pred.dtype.kind == "i"
    if n_chains % 2 == 0:
        half = votes == n_chains // 2
        assert half.sum() >= 5  # the tie case really occurs
        assert (pred[half] == 1).all()
    else:
        assert ((votes > 0) & (votes < n_chains)).any()
    # probabilities are the mean over every chain
    np.testing.assert_allclose(
        ens.predict_proba(X_test),
        np.mean([chain.predict_proba(X_test) for chain in ens.estimators_], axis=0))


def test_chain_ensemble_decision_function_is_the_mean_of_all_chains(chain_data):
    X, Y, X_test = chain_data
    ens = ClassifierChainEnsemble(LinearSVC(random_state=0), n_chains=2, random_state=1).fit(X, Y)
    per_chain = [chain.decision_function(X_test) for chain in ens.estimators_]
    assert not np.allclose(per_chain[0], per_chain[1])
    np.testing.assert_allclose(ens.decision_function(X_test), np.mean(per_chain, axis=0))


# --------------------------------------------------------------------------
# labels constant in training, through the tuner
# --------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: BinaryRelevance(LinearSVC(random_state=0)),  # one stacked linear product
    lambda: BinaryRelevance(RidgeClassifier()),           # one multi-output fit
    lambda: BinaryRelevance(SVC(kernel="rbf")),           # one model per label
    lambda: ClassifierChain(LinearSVC(random_state=0)),
], ids=["stacked", "vectorized", "per_label", "chain"])
def test_labels_constant_in_training_score_the_same_on_every_path(chain_data, make):
    X, Y, X_test = chain_data
    Yc = np.column_stack([Y[:, :2], np.zeros(len(Y), dtype=int), np.ones(len(Y), dtype=int)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "had a single class"
        est = make().fit(X, Yc)
    scores = est.decision_function(X_test)
    np.testing.assert_array_equal(scores[:, 2], -CONSTANT_DECISION)
    np.testing.assert_array_equal(scores[:, 3], CONSTANT_DECISION)
    pred = est.predict(X_test)
    assert (pred[:, 2] == 0).all() and (pred[:, 3] == 1).all()
    np.testing.assert_array_equal(pred[:, :2], (scores[:, :2] > 0).astype(int))


def test_tuner_with_labels_constant_in_training(tuner_data):
    X, Y, X_test = tuner_data
    n = Y.shape[0]
    Yc = np.column_stack([Y[:, :3], np.zeros(n, dtype=int), np.ones(n, dtype=int)])
    tuner = _fit_tuner(X, Yc, at_least_one=True)
    assert list(tuner.tuned_labels_[3:]) == [False, True]  # no positive: the fallback
    assert np.isfinite(tuner.thresholds_).all()
    pred = tuner.predict(X_test)
    assert (pred[:, 3] == 0).all() and (pred[:, 4] == 1).all()
    P = tuner.predict_proba(X_test)
    assert np.isfinite(P).all() and (P[:, 3] < 0.5).all() and (P[:, 4] > 0.5).all()


# --------------------------------------------------------------------------
# SigmoidCalibrator: non-decreasing, flat where the scores carry no signal
# --------------------------------------------------------------------------


def test_calibrator_is_non_decreasing_even_for_anti_correlated_labels():
    rng = np.random.RandomState(0)
    s = rng.randn(300, 3)
    noise = 0.5 * rng.randn(300)
    y = np.column_stack([s[:, 0] + noise > 0,      # informative
                         s[:, 1] + noise < 0,      # anti-correlated
                         rng.rand(300) < 0.1])     # unrelated, rare
    cal = SigmoidCalibrator().fit(s, y.astype(int))
    assert (cal.coef_ >= 0).all()
    grid = np.column_stack([np.linspace(-4, 4, 41)] * 3)
    P = cal.predict(grid)
    assert (np.diff(P, axis=0) >= 0).all()
    assert P[-1, 0] - P[0, 0] > 0.9  # the informative label really is a sigmoid
    # the anti-correlated label is flat at its smoothed base rate
    n_pos = y[:, 1].sum()
    np.testing.assert_allclose(P[:, 1], (n_pos + 1) / (300 + 2), rtol=1e-6)


@pytest.mark.parametrize("value", [0.3, 1000.0])
def test_calibrator_on_constant_scores_predicts_the_base_rate(value):
    s = np.full((50, 1), value)
    y = np.zeros((50, 1), dtype=int)
    y[:5] = 1
    P = SigmoidCalibrator().fit(s, y).predict([[value - 1.0], [value], [value + 0.01],
                                               [value + 1.0]])
    np.testing.assert_allclose(P, np.full((4, 1), 6 / 52), rtol=1e-6)


# --------------------------------------------------------------------------
# metrics: zero_division, and no warning for an undefined label
# --------------------------------------------------------------------------


def test_metrics_zero_division_applies_to_labels_with_nothing_to_divide():
    y_true = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]])
    y_pred = np.array([[1, 0, 0], [0, 0, 0], [1, 1, 0]])  # label 2: no true, no predicted
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(metrics.f1_score(y_true, y_pred, average=None),
                                   [1.0, 2 / 3, 0.0])
        assert metrics.f1_score(y_true, y_pred, average="macro") == pytest.approx(
            (1 + 2 / 3) / 3)
        np.testing.assert_allclose(
            metrics.f1_score(y_true, y_pred, average=None, zero_division=1.0), [1.0, 2 / 3, 1.0])
        np.testing.assert_allclose(metrics.precision_score(y_true, y_pred, average=None),
                                   [1.0, 1.0, 0.0])
        np.testing.assert_allclose(
            metrics.precision_score(y_true, y_pred, average=None, zero_division=1.0),
            [1.0, 1.0, 1.0])
        np.testing.assert_allclose(metrics.recall_score(y_true, y_pred, average=None),
                                   [1.0, 0.5, 0.0])
        # a row with nothing true and nothing predicted, averaged over samples
        rows_true, rows_pred = np.array([[1, 0], [0, 0]]), np.array([[1, 0], [0, 0]])
        assert metrics.f1_score(rows_true, rows_pred, average="samples") == 0.5
        assert metrics.f1_score(rows_true, rows_pred, average="samples",
                                zero_division=1.0) == 1.0
        assert metrics.jaccard_score(rows_true, rows_pred, average="samples") == 0.5


# --------------------------------------------------------------------------
# stratified splitters with a label that has a single positive
# --------------------------------------------------------------------------


def test_splitters_with_a_single_positive_label_partition_without_warning():
    rng = np.random.RandomState(0)
    Y = (rng.rand(30, 3) < 0.3).astype(int)
    Y[:, 1] = 0
    Y[7, 1] = 1
    X = np.zeros((30, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the guarantee does not cover it: nothing to warn
        for cv in (MultilabelStratifiedKFold(3),
                   MultilabelStratifiedKFold(5, shuffle=True, random_state=0)):
            folds = list(cv.split(X, Y))
            tests = np.concatenate([test for _, test in folds])
            np.testing.assert_array_equal(np.sort(tests), np.arange(30))
            assert [Y[test, 1].sum() for _, test in folds].count(1) == 1
            for train, test in folds:
                assert Y[train, 1].sum() + Y[test, 1].sum() == 1
        for train, test in MultilabelStratifiedShuffleSplit(
                3, test_size=0.2, random_state=0).split(X, Y):
            assert len(test) == 6 and np.intersect1d(train, test).size == 0
            assert Y[train, 1].sum() + Y[test, 1].sum() == 1


# --------------------------------------------------------------------------
# the embedding cache: same settings share entries, different ones never do
# --------------------------------------------------------------------------

TEXTS = [
    "I love this, thank you so much!",
    "That is the WORST Idea I Have Ever Heard.",
    "Hmm, not sure how I feel about it",
    "Wow. Just wow. This thread went from a calm discussion of the weather to an argument "
    "about whose grandmother makes the better lasagna, and honestly I am here for it.",
    "ok",
]


@pytest.fixture(scope="module")
def minilm(tmp_path_factory):
    """The local MiniLM directory and variants of it that must get their own cache
    namespace: CLS pooling (a module configuration), perturbed weights, a tokenizer that
    keeps case."""
    pytest.importorskip("sentence_transformers")
    from _neural_fixtures import minilm_dir

    old = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    base = minilm_dir()
    root = tmp_path_factory.mktemp("minilm_variants")

    def variant(name, edit):
        path = root / name
        shutil.copytree(base, path, symlinks=True,
                        ignore=lambda d, names: [n for n in names if n == "model.safetensors"])
        edit(path)
        if not (path / "model.safetensors").exists():
            os.symlink(os.path.join(base, "model.safetensors"), path / "model.safetensors")
        return str(path)

    def cls_pooling(path):
        cfg_path = path / "1_Pooling" / "config.json"
        cfg = json.loads(cfg_path.read_text())
        cfg["pooling_mode_mean_tokens"], cfg["pooling_mode_cls_token"] = False, True
        cfg_path.write_text(json.dumps(cfg))

    def perturbed_weights(path):
        from safetensors.torch import load_file, save_file

        tensors = load_file(os.path.join(base, "model.safetensors"))
        name = next(k for k in sorted(tensors) if k.endswith("LayerNorm.bias"))
        tensors[name] = tensors[name] + 0.05
        save_file(tensors, str(path / "model.safetensors"), metadata={"format": "pt"})

    def cased_tokenizer(path):
        tok_path = path / "tokenizer.json"
        tok = json.loads(tok_path.read_text())
        assert tok["normalizer"]["lowercase"] is True
        tok["normalizer"]["lowercase"] = False
        tok_path.write_text(json.dumps(tok))
        cfg_path = path / "tokenizer_config.json"  # transformers re-applies do_lower_case
        cfg = json.loads(cfg_path.read_text())
        cfg["do_lower_case"] = False
        cfg_path.write_text(json.dumps(cfg))

    yield {"base": base, "cls_pooling": variant("cls", cls_pooling),
           "weights": variant("weights", perturbed_weights),
           "tokenizer": variant("tokenizer", cased_tokenizer)}
    from mlkit.features import clear_embedding_cache

    clear_embedding_cache()
    if old is None:
        os.environ.pop("HF_HUB_OFFLINE", None)
    else:
        os.environ["HF_HUB_OFFLINE"] = old


def _featurizer(model, **params):
    from mlkit.features import SentenceEmbeddingFeaturizer

    return SentenceEmbeddingFeaturizer(model, verbose=False, **params)


def _encoded_total():
    from mlkit.features import embedding_cache_info

    return sum(info["encoded"] for info in embedding_cache_info())


@pytest.mark.parametrize("layers", [None, [-1]], ids=["sentence", "last_layer"])
def test_identical_settings_share_cache_entries(minilm, layers):
    from mlkit.features import clear_embedding_cache, embedding_cache_info

    clear_embedding_cache(encoders=False)
    first = _featurizer(minilm["base"], layers=layers, batch_size=8).fit()
    A = first.transform(TEXTS)
    assert _encoded_total() == len(TEXTS)
    # a separate instance (not a clone) with the model spelled differently, another batch
    # size and normalize=False: the same encoder output, so the same entries
    other_spelling = os.path.join(minilm["base"], ".")
    second = _featurizer(other_spelling, layers=layers, batch_size=2, normalize=False).fit()
    B = second.transform(TEXTS)
    assert _encoded_total() == len(TEXTS)  # nothing encoded again
    [info] = embedding_cache_info()
    assert info["hits"] == len(TEXTS) and info["entries"] == len(TEXTS)
    # the cache holds the raw encoder output; normalization is applied on the way out
    raw = _featurizer(minilm["base"], layers=layers, normalize=False,
                      cache=None).fit().transform(TEXTS)
    np.testing.assert_allclose(B, raw, atol=1e-5)
    np.testing.assert_allclose(A, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(A, axis=1), 1.0, atol=1e-5)
    if layers is not None:  # (MiniLM's sentence embedding is unit-norm by itself)
        assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0, atol=1e-2)


_DIFFERENT = {
    # (base settings, variant settings): the same texts must give different features
    "layers_vs_sentence": ({"normalize": False}, {"layers": [-1], "normalize": False}),
    "layer_indices": ({"layers": [-1], "normalize": False},
                      {"layers": [-2], "normalize": False}),
    "max_length": ({}, {"max_length": 8}),
    "pooling": ({}, {"model": "cls_pooling"}),
    "weights": ({}, {"model": "weights"}),
    "tokenizer": ({}, {"model": "tokenizer"}),
}


@pytest.mark.parametrize("case", list(_DIFFERENT))
def test_different_models_or_settings_never_share_cache_entries(minilm, case):
    from mlkit.features import clear_embedding_cache

    base_params, variant_params = (dict(p) for p in _DIFFERENT[case])
    base_model = minilm[base_params.pop("model", "base")]
    variant_model = minilm[variant_params.pop("model", "base")]
    clear_embedding_cache(encoders=False)
    # the variant's features with no cache at all
    expected = _featurizer(variant_model, cache=None, **variant_params).fit().transform(TEXTS)
    # the base fills the cache, then the variant must not be served from it
    base = _featurizer(base_model, **base_params).fit()
    X_base = base.transform(TEXTS)
    variant = _featurizer(variant_model, **variant_params).fit()
    X_variant = variant.transform(TEXTS)
    assert not np.allclose(X_base, X_variant, atol=1e-3), "the variant does not differ"
    np.testing.assert_allclose(X_variant, expected, atol=1e-5)
    assert (variant._namespace(variant.model_fingerprint_)
            != base._namespace(base.model_fingerprint_))
    assert _encoded_total() == 2 * len(TEXTS)
    # and the other way round, from a warm cache
    np.testing.assert_allclose(_featurizer(base_model, **base_params).fit().transform(TEXTS),
                               X_base, atol=1e-6)


def test_disk_cache_keeps_different_settings_apart(minilm, tmp_path):
    from mlkit.features import clear_embedding_cache

    cache_dir = tmp_path / "emb"
    clear_embedding_cache(encoders=False)
    settings = [{"normalize": False}, {"layers": [-2], "normalize": False}, {"max_length": 8}]
    expected = [_featurizer(minilm["base"], cache=None, **p).fit().transform(TEXTS)
                for p in settings]
    for params in settings:
        _featurizer(minilm["base"], cache=cache_dir, **params).fit().transform(TEXTS)
    assert len([p for p in cache_dir.iterdir() if p.is_dir()]) == len(settings)
    # a new process state: everything comes from disk, each setting from its own directory
    clear_embedding_cache(encoders=False)
    for params, X in zip(settings, expected, strict=True):
        got = _featurizer(minilm["base"], cache=cache_dir, **params).fit().transform(TEXTS)
        np.testing.assert_allclose(got, X, atol=1e-5)
    assert _encoded_total() == 0
