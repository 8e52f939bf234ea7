"""Decision thresholds for multi-label scores.

Thresholding lives here and only here: estimators expose scores
(``predict_proba`` or ``decision_function``), and the functions below or the
:class:`ThresholdTuner` meta-estimator turn them into 0/1 decisions.

The functions work on any ``(n_samples, n_labels)`` score matrix, so they are
usable by anyone holding scores, from mlkit or elsewhere:

* :func:`f1_optimal_thresholds` - the threshold that maximizes each label's
  F-beta on held-out scores, with a fallback for labels too rare to tune and
  shrinkage of the rest toward a shared threshold;
* :func:`global_threshold` - one threshold for all labels, maximizing micro-,
  macro- or samples-F1;
* :func:`apply_thresholds` - scores to decisions, with the optional
  "at least one label per row" and top-k rules;
* :func:`top_k_decisions` - the ``k`` best-scored labels of each row.
"""

from __future__ import annotations

import logging
import numbers
import time
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._labels import check_label_matrix
from ._progress import VERBOSE_CONSTRAINT, progress_bar, show_progress
from .base import (
    HasMethods,
    Interval,
    MultiLabelClassifierMixin,
    StrOptions,
    fit_context,
    has_method,
    label_scores,
    n_samples,
    resolve_response_method,
    route_fit_params,
    single_child_router,
    slice_fit_params,
    take_rows,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray
    from sklearn.model_selection import BaseCrossValidator
    from sklearn.utils.metadata_routing import MetadataRouter

__all__ = [
    "SigmoidCalibrator",
    "ThresholdTuner",
    "apply_thresholds",
    "f1_optimal_thresholds",
    "global_threshold",
    "prevalence_thresholds",
    "top_k_decisions",
]

logger = logging.getLogger(__name__)

_METRICS = ("f1_macro", "f1_micro", "f1_samples")
_STRATEGIES = ("per_label", "global")


def _as_scores(y_score, name="y_score"):
    if sp.issparse(y_score):
        y_score = y_score.toarray()
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_score.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_labels); got an array of shape {y_score.shape}."
        )
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{name} contains NaN or infinity; scores must be finite numbers.")
    return y_score


def _check_scores_and_labels(y_true, y_score):
    Y, _ = check_label_matrix(y_true, accept_sparse=False)
    S = _as_scores(y_score)
    if S.shape != Y.shape:
        raise ValueError(
            f"y_true has shape {Y.shape} but y_score has shape {S.shape}; they need one row "
            "per sample and one column per label, in the same order."
        )
    return Y, S


def _check_weights(sample_weight, n):
    """None, or float row weights of length ``n`` (finite, non-negative, some positive)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"sample_weight has shape {w.shape}; expected ({n},), one weight per "
                         "row of y_true.")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
        raise ValueError("sample_weight must hold finite, non-negative weights with at least "
                         "one positive weight.")
    return w


def _cut_between(s_desc, k):
    """Threshold placing exactly the first ``k`` of the descending scores above it."""
    n = len(s_desc)
    if k <= 0:
        return s_desc[0] + max(1.0, abs(s_desc[0])) * 1e-6 if n else 0.0
    if k >= n:
        return s_desc[-1] - max(1.0, abs(s_desc[-1])) * 1e-6
    return 0.5 * (s_desc[k - 1] + s_desc[k])


def _best_fbeta_cut(y, s, beta, w=None):
    """Best F-beta threshold for one label.

    Returns (threshold, best F-beta, number of positives). Only cuts between
    distinct scores are considered, so tied scores are never split. With row
    weights ``w`` the counts are weighted (an integer weight counts as that
    many copies of the row; rows of weight 0 are left out).
    """
    if w is not None:
        keep = w > 0
        y, s, w = y[keep], s[keep], w[keep]
    order = np.argsort(-s, kind="stable")
    s_desc = s[order]
    y_desc = y[order]
    if w is None:
        n_pos = int(y_desc.sum())
        tp = np.cumsum(y_desc)
        k = np.arange(1, len(s) + 1)
    else:
        w_desc = w[order]
        n_pos = float((w_desc * y_desc).sum())
        tp = np.cumsum(w_desc * y_desc)
        k = np.cumsum(w_desc)
    if n_pos == 0:
        return np.nan, 0.0, 0
    b2 = beta * beta
    f = (1 + b2) * tp / (b2 * n_pos + k)
    # valid cuts: after position k-1 where the next score is strictly smaller
    valid = np.ones(len(s), dtype=bool)
    valid[:-1] = s_desc[:-1] > s_desc[1:]
    f_valid = np.where(valid, f, -1.0)
    best = int(np.argmax(f_valid))
    return _cut_between(s_desc, best + 1), float(f_valid[best]), n_pos


def _prevalence_cut(y, s, w=None):
    """Threshold placing (about) as many scores above it as the label has positives."""
    if w is not None:
        keep = w > 0
        y, s, w = y[keep], s[keep], w[keep]
    order = np.argsort(-s, kind="stable")
    s_desc = s[order]
    if w is None:
        n_pos, cum = float(y.sum()), np.arange(1, len(s) + 1, dtype=np.float64)
    else:
        n_pos, cum = float((w * y).sum()), np.cumsum(w[order])
    if n_pos <= 0:
        return _cut_between(s_desc, 0)
    # cuts between distinct scores only; the one whose count above is nearest n_pos
    valid = np.ones(len(s), dtype=bool)
    valid[:-1] = s_desc[:-1] > s_desc[1:]
    k = np.flatnonzero(valid)
    best = k[int(np.argmin(np.abs(cum[k] - n_pos)))]
    return _cut_between(s_desc, best + 1)


def prevalence_thresholds(
    y_true: ArrayLike | sp.spmatrix,
    y_score: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Per-label thresholds that reproduce each label's prevalence (proportional cut).

    For each label the threshold is placed so that as many of the given
    scores lie above it as the label has positive examples (the "PCut" rule
    of Yang, 2001); tied scores are never split, so the count is the nearest
    one reachable. A label without positives gets a threshold above all its
    scores. Unlike the F1-optimal cut, this threshold does not depend on
    where the few positives of a rare label happen to be ranked, only on
    how many there are. ``ThresholdTuner(fallback="prevalence")`` gives it
    to the labels too rare to tune; :func:`f1_optimal_thresholds` takes it
    as ``fallback="prevalence"``.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
        True labels (0/1), ideally out-of-fold relative to ``y_score``.
    y_score : array-like of shape (n_samples, n_labels)
        Scores; higher means more likely.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights: the positives and the rows above the threshold are
        counted with their weights.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,)

    Examples
    --------
    >>> import numpy as np
    >>> from mlkit.thresholds import prevalence_thresholds
    >>> y = np.array([[1, 0], [0, 0], [0, 1], [0, 0]])
    >>> s = np.array([[0.9, 0.1], [0.6, 0.2], [0.4, 0.7], [0.1, 0.3]])
    >>> prevalence_thresholds(y, s)
    array([0.75, 0.5 ])
    """
    Y, S = _check_scores_and_labels(y_true, y_score)
    w = _check_weights(sample_weight, Y.shape[0])
    return np.array([_prevalence_cut(Y[:, j], S[:, j], w) for j in range(Y.shape[1])],
                    dtype=np.float64)


def f1_optimal_thresholds(
    y_true: ArrayLike | sp.spmatrix,
    y_score: ArrayLike,
    *,
    beta: float = 1.0,
    min_positives: int = 2,
    shrinkage: float = 0.0,
    min_f1: float = 0.0,
    fallback: float | str | ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Per-label thresholds that maximize F-beta on held-out scores.

    For each label the scores are sorted and every cut between two distinct
    scores is evaluated; the threshold is placed halfway between the two
    scores around the best cut. Labels with fewer than ``min_positives``
    positive examples are too rare for a stable estimate, and labels whose
    best held-out F-beta is below ``min_f1`` would need a threshold so low
    that it floods the predictions (a lone positive ranked in the thousands):
    both get ``fallback``. The others are shrunk toward it:
    ``t = (n_pos * t_label + shrinkage * fallback) / (n_pos + shrinkage)``.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
        True labels (0/1), ideally out-of-fold relative to ``y_score``.
    y_score : array-like of shape (n_samples, n_labels)
        Scores; higher means more likely (probabilities or decision values).
    beta : float, default=1.0
        Weight of recall relative to precision.
    min_positives : int, default=2
        Labels with fewer positives use ``fallback``.
    shrinkage : float, default=0.0
        Pseudo-count of positives pulling each label's threshold toward
        ``fallback``; 0 disables shrinkage.
    min_f1 : float, default=0.0
        Labels whose best held-out F-beta is below this use ``fallback``
        (the "SCutFBR" rule of Yang, 2001, with the fallback as the
        conservative threshold).
    fallback : float, array-like of shape (n_labels,), "prevalence" or None, default=None
        Threshold for rare labels and target of the shrinkage: one number
        for every label, one per label, ``"prevalence"`` for
        :func:`prevalence_thresholds` on the same scores (each label's own
        proportional cut), or None for :func:`global_threshold` on the same
        scores (micro-F1).
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights: F-beta and the numbers of positives are weighted, so an
        integer weight counts as that many copies of the row.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,)

    Examples
    --------
    >>> import numpy as np
    >>> from mlkit.thresholds import f1_optimal_thresholds
    >>> y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    >>> s = np.array([[0.9, 0.1], [0.6, 0.2], [0.4, 0.7], [0.1, 0.3]])
    >>> f1_optimal_thresholds(y, s, min_positives=1)
    array([0.5, 0.5])
    """
    return _f1_optimal_thresholds(y_true, y_score, beta=beta, min_positives=min_positives,
                                  shrinkage=shrinkage, min_f1=min_f1, fallback=fallback,
                                  sample_weight=sample_weight)[0]


def _f1_optimal_thresholds(y_true, y_score, *, beta, min_positives, shrinkage, min_f1,
                           fallback, sample_weight=None):
    """:func:`f1_optimal_thresholds` plus the mask of labels that were tuned."""
    Y, S = _check_scores_and_labels(y_true, y_score)
    w = _check_weights(sample_weight, Y.shape[0])
    _check_nonneg(min_positives, "min_positives")
    _check_nonneg(shrinkage, "shrinkage")
    _check_nonneg(min_f1, "min_f1")
    thresholds = _fallback_thresholds(Y, S, fallback, beta, w)
    target = thresholds.copy()
    tuned = np.zeros(Y.shape[1], dtype=bool)
    for j in range(Y.shape[1]):
        t, best, n_pos = _best_fbeta_cut(Y[:, j], S[:, j], beta, w)
        if n_pos == 0 or n_pos < min_positives or best < min_f1 or not np.isfinite(t):
            continue
        thresholds[j] = (n_pos * t + shrinkage * target[j]) / (n_pos + shrinkage)
        tuned[j] = True
    return thresholds, tuned


def _fallback_thresholds(Y, S, fallback, beta, w):
    """The per-label fallback / shrinkage target that ``fallback`` names."""
    if fallback is None or (isinstance(fallback, str) and fallback == "global"):
        return np.full(Y.shape[1], global_threshold(Y, S, metric="f1_micro", beta=beta,
                                                    sample_weight=w))
    if isinstance(fallback, str):
        if fallback != "prevalence":
            raise ValueError(f"fallback={fallback!r} is not supported; give a number, one "
                             "number per label, 'prevalence', 'global' or None.")
        return np.array([_prevalence_cut(Y[:, j], S[:, j], w) for j in range(Y.shape[1])])
    target = np.asarray(fallback, dtype=np.float64)
    if target.ndim == 0:
        target = np.full(Y.shape[1], float(target))
    if target.shape != (Y.shape[1],) or not np.all(np.isfinite(target)):
        raise ValueError(f"fallback must be one finite number or one per label "
                         f"({Y.shape[1]}); got an array of shape {target.shape}.")
    return target.copy()


def _check_nonneg(value, name):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative number; got {value!r}.")


def _fbeta_counts(tp, fp, fn, beta):
    b2 = beta * beta
    denom = (1 + b2) * tp + b2 * fn + fp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (1 + b2) * tp / np.where(denom > 0, denom, 1), 0.0)


def _decisions_metric(Y, D, metric, beta=1.0, w=None):
    """micro-, macro- or samples-F-beta of boolean decisions ``D`` (rows weighted by ``w``)."""
    ww = np.ones(Y.shape[0]) if w is None else w
    TP, FP, FN = Y & D, ~Y & D, Y & ~D
    if metric == "samples":
        metric = "f1_samples"
    if metric == "f1_samples":
        f = _fbeta_counts(TP.sum(axis=1).astype(float), FP.sum(axis=1).astype(float),
                          FN.sum(axis=1).astype(float), beta)
        return float(np.average(f, weights=ww))
    tp, fp, fn = (ww @ M for M in (TP, FP, FN))
    if metric == "f1_micro":
        return float(_fbeta_counts(tp.sum(), fp.sum(), fn.sum(), beta))
    return float(np.mean(_fbeta_counts(tp, fp, fn, beta)))


def _check_metric(metric):
    if metric not in _METRICS:
        raise ValueError(f"metric={metric!r} is not supported; use one of {_METRICS}.")


def global_threshold(
    y_true: ArrayLike | sp.spmatrix,
    y_score: ArrayLike,
    *,
    metric: str = "f1_micro",
    beta: float = 1.0,
    n_candidates: int = 256,
    sample_weight: ArrayLike | None = None,
) -> float:
    """One threshold for every label, chosen to maximize a multi-label F-score.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
    y_score : array-like of shape (n_samples, n_labels)
    metric : {"f1_micro", "f1_macro", "f1_samples"}, default="f1_micro"
    beta : float, default=1.0
    n_candidates : int, default=256
        For ``"f1_macro"`` and ``"f1_samples"``, the number of candidate
        thresholds (score quantiles) tried. ``"f1_micro"`` is solved exactly.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights (an integer weight counts as that many copies of the row).

    Returns
    -------
    threshold : float

    Examples
    --------
    >>> import numpy as np
    >>> from mlkit.thresholds import global_threshold
    >>> y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    >>> s = np.array([[0.9, 0.1], [0.6, 0.2], [0.4, 0.7], [0.1, 0.3]])
    >>> float(global_threshold(y, s))
    0.5
    """
    Y, S = _check_scores_and_labels(y_true, y_score)
    w = _check_weights(sample_weight, Y.shape[0])
    _check_metric(metric)
    if w is not None:
        keep = w > 0
        Y, S, w = Y[keep], S[keep], w[keep]
    if Y.sum() == 0:  # nothing to find: predict nothing
        return float(S.max() + max(1.0, abs(S.max())) * 1e-6)
    if metric == "f1_micro":
        t, _, _ = _best_fbeta_cut(Y.ravel(), S.ravel(), beta,
                                  None if w is None else np.repeat(w, Y.shape[1]))
        return float(t)
    flat = np.unique(S.ravel())
    if flat.size > n_candidates:
        flat = np.unique(np.quantile(flat, np.linspace(0, 1, n_candidates)))
    cands = np.concatenate([
        [flat[0] - 1e-6 * max(1, abs(flat[0]))],
        (flat[:-1] + flat[1:]) / 2,
        [flat[-1] + 1e-6 * max(1, abs(flat[-1]))],
    ])
    Yb = Y.astype(bool)
    best_t, best_v = cands[0], -1.0
    for t in cands:
        v = _decisions_metric(Yb, S > t, metric, beta, w)
        if v >= best_v:  # among equally good cuts the highest, as for f1_micro
            best_t, best_v = t, v
    return float(best_t)


def top_k_decisions(y_score: ArrayLike, k: int) -> NDArray[np.int64]:
    """Set the ``k`` highest-scored labels of every row.

    Parameters
    ----------
    y_score : array-like of shape (n_samples, n_labels)
    k : int
        Number of labels per row (capped at ``n_labels``).

    Returns
    -------
    Y : ndarray of shape (n_samples, n_labels) of int

    Examples
    --------
    >>> from mlkit.thresholds import top_k_decisions
    >>> top_k_decisions([[0.1, 0.7, 0.3], [0.5, 0.2, 0.9]], k=1)
    array([[0, 1, 0],
           [0, 0, 1]])
    """
    S = _as_scores(y_score)
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    k = min(int(k), S.shape[1])
    out = np.zeros(S.shape, dtype=np.int64)
    idx = np.argsort(-S, axis=1, kind="stable")[:, :k]
    np.put_along_axis(out, idx, 1, axis=1)
    return out


def apply_thresholds(y_score: ArrayLike, thresholds: float | ArrayLike, *,
                     at_least_one: bool = False, top_k: int | None = None) -> NDArray[np.int64]:
    """Turn scores into 0/1 decisions.

    Parameters
    ----------
    y_score : array-like of shape (n_samples, n_labels)
    thresholds : float or array-like of shape (n_labels,)
        A label is set when its score is strictly above its threshold.
    at_least_one : bool, default=False
        For rows where no score passes, set the label whose score is highest
        relative to its threshold (``score - threshold``).
    top_k : int or None, default=None
        Keep at most ``top_k`` labels per row (those highest above their
        thresholds).

    Returns
    -------
    Y : ndarray of shape (n_samples, n_labels) of int

    Examples
    --------
    >>> from mlkit.thresholds import apply_thresholds
    >>> apply_thresholds([[0.2, 0.4], [0.7, 0.1]], [0.5, 0.5], at_least_one=True)
    array([[0, 1],
           [1, 0]])
    """
    S = _as_scores(y_score)
    t = np.asarray(thresholds, dtype=np.float64)
    if t.ndim == 0:
        t = np.full(S.shape[1], float(t))
    if t.shape != (S.shape[1],):
        raise ValueError(
            f"thresholds has shape {t.shape} but y_score has {S.shape[1]} label columns; give "
            "one threshold per label or a single number."
        )
    if np.isnan(t).any():
        raise ValueError(
            f"thresholds contains NaN (label columns {np.flatnonzero(np.isnan(t)).tolist()}); "
            "give a number for every label."
        )
    margin = S - t
    D = (margin > 0).astype(np.int64)
    if top_k is not None:
        if not isinstance(top_k, numbers.Integral) or isinstance(top_k, bool) or top_k < 1:
            raise ValueError(f"top_k must be a positive integer or None; got {top_k!r}.")
        D &= top_k_decisions(margin, top_k)
    if at_least_one and S.shape[1]:
        empty = D.sum(axis=1) == 0
        if empty.any():
            D[np.flatnonzero(empty), np.argmax(margin[empty], axis=1)] = 1
    return D


def _platt_fit(Y, S, max_iter=100, w=None):
    """One sigmoid per label, ``P = 1 / (1 + exp(-(a * z + b)))`` on standardized scores.

    Platt (1999) with his smoothed targets, solved for all labels at once by
    Newton's method with step halving. Returns an array of shape (n_labels, 4):
    a, b, and the mean and scale used to standardize the scores. Row weights
    ``w`` weigh the loss, the counts and the standardization (an integer
    weight counts as that many copies of the row).
    """
    Y = np.asarray(Y, dtype=np.float64)
    S = np.asarray(S, dtype=np.float64)
    w = np.ones(S.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    W1 = w[:, None]
    L = S.shape[1]
    n = w.sum()
    mu = w @ S / n
    sd = np.sqrt(w @ (S - mu) ** 2 / n)
    # (numerically) constant scores carry no signal: the label gets its base rate below
    const = sd <= 1e-12 * np.maximum(1.0, np.abs(mu))
    sd[const] = 1.0
    Z = (S - mu) / sd
    n_pos = w @ Y
    T = np.where(Y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n - n_pos + 2))
    a = np.ones(L)
    b = np.log((n_pos + 1) / (n - n_pos + 1))

    def loss(a, b, cols=None):
        Zc, Tc = (Z, T) if cols is None else (Z[:, cols], T[:, cols])
        F = Zc * a + b
        return (W1 * (np.logaddexp(0, F) - Tc * F)).sum(axis=0)

    current = loss(a, b)
    for _ in range(max_iter):
        F = Z * a + b
        P = 0.5 * (1 + np.tanh(0.5 * F))
        G = W1 * (P - T)
        W = W1 * (P * (1 - P) + 1e-12)
        ga, gb = (G * Z).sum(axis=0), G.sum(axis=0)
        haa, hab, hbb = (W * Z * Z).sum(axis=0) + 1e-9, (W * Z).sum(axis=0), W.sum(axis=0) + 1e-9
        det = haa * hbb - hab * hab
        da = -(hbb * ga - hab * gb) / det
        db = -(haa * gb - hab * ga) / det
        step = np.ones(L)
        new = loss(a + da, b + db)
        bad = new > current + 1e-12
        # step halving, re-evaluating only the labels whose loss rose: with thousands of
        # labels, the near-constant ones would otherwise cost a full evaluation each round
        for _ in range(29):
            if not bad.any():
                break
            step[bad] *= 0.5
            idx = np.flatnonzero(bad)
            new[idx] = loss(a[idx] + step[idx] * da[idx], b[idx] + step[idx] * db[idx], idx)
            bad[idx] = new[idx] > current[idx] + 1e-12
        else:
            step[bad] *= 0.5
        a, b = a + step * da, b + step * db
        improvement = current - new
        current = np.minimum(current, new)
        if np.all(np.abs(improvement) < 1e-10 * (1 + np.abs(current))):
            break
    # a decreasing sigmoid means the scores carry no usable signal for that label
    # (e.g. too few positives): predict its smoothed base rate instead
    flat = (a < 0) | const
    a[flat] = 0.0
    b[flat] = np.log((n_pos[flat] + 1) / (n - n_pos[flat] + 1))
    return np.column_stack([a, b, mu, sd])


class SigmoidCalibrator(BaseEstimator):
    """One sigmoid per label mapping scores to probabilities (Platt scaling).

    ``P = 1 / (1 + exp(-(a * z + b)))`` on the standardized scores
    ``z = (s - mean) / scale`` of each label, fitted with Platt's smoothed
    targets. A label whose fitted slope would be negative (its scores carry
    no usable signal, e.g. too few positives) gets its smoothed base rate.
    :class:`ThresholdTuner` fits one on the held-out decision values of an
    estimator without ``predict_proba``; it is an estimator of its own so
    that every client (the command line, the server, the audit) uses the
    same fitted object instead of re-applying its parameters.

    Parameters
    ----------
    max_iter : int, default=100
        Newton iterations.

    Attributes
    ----------
    coef_ : ndarray of shape (n_labels,)
        Slopes ``a`` (on standardized scores).
    intercept_ : ndarray of shape (n_labels,)
        Intercepts ``b``.
    mean_ : ndarray of shape (n_labels,)
    scale_ : ndarray of shape (n_labels,)
        The standardization of each label's scores.

    Examples
    --------
    >>> import numpy as np
    >>> from mlkit.thresholds import SigmoidCalibrator
    >>> s = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> y = np.array([[0], [0], [1], [1]])
    >>> cal = SigmoidCalibrator().fit(s, y)
    >>> bool(cal.predict(s)[0, 0] < 0.5 < cal.predict(s)[3, 0])
    True
    """

    _parameter_constraints = {"max_iter": [Interval(numbers.Integral, 1, None, closed="left")]}

    def __init__(self, max_iter: int = 100) -> None:
        self.max_iter = max_iter

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, S: ArrayLike, Y: ArrayLike | sp.spmatrix,
            sample_weight: ArrayLike | None = None) -> SigmoidCalibrator:
        """Fit one sigmoid per label column.

        Parameters
        ----------
        S : array-like of shape (n_samples, n_labels)
            Held-out scores.
        Y : array-like or sparse matrix of shape (n_samples, n_labels)
            0/1 labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights (an integer weight counts as that many copies).

        Returns
        -------
        self : SigmoidCalibrator
        """
        Y, S = _check_scores_and_labels(Y, S)
        w = _check_weights(sample_weight, Y.shape[0])
        params = _platt_fit(Y, S, max_iter=self.max_iter, w=w)
        self.coef_, self.intercept_, self.mean_, self.scale_ = (
            np.ascontiguousarray(c) for c in params.T)
        return self

    def predict(self, S: ArrayLike) -> NDArray[np.float64]:
        """Probabilities of shape ``(n_samples, n_labels)`` for scores ``S``.

        Parameters
        ----------
        S : array-like of shape (n_samples, n_labels)

        Returns
        -------
        P : ndarray of shape (n_samples, n_labels)
        """
        check_is_fitted(self, "coef_")
        S = _as_scores(S, "S")
        if S.shape[1] != self.coef_.shape[0]:
            raise ValueError(
                f"S has {S.shape[1]} label columns but the calibrator was fitted on "
                f"{self.coef_.shape[0]}."
            )
        F = (S - self.mean_) / self.scale_ * self.coef_ + self.intercept_
        return 0.5 * (1 + np.tanh(0.5 * F))

    @classmethod
    def _from_legacy(cls, calibration):
        """A fitted calibrator from the ``(n_labels, 4)`` array older model files hold."""
        cal = cls()
        cal.coef_, cal.intercept_, cal.mean_, cal.scale_ = (
            np.ascontiguousarray(c, dtype=np.float64) for c in np.asarray(calibration).T)
        return cal


# --------------------------------------------------------------------------
# The meta-estimator
# --------------------------------------------------------------------------


def _response_method(estimator, response_method):
    """The tuner's scoring method: ``"auto"`` prefers decision values (finer than
    probabilities squashed near 0 and 1), through the one resolver of :mod:`mlkit.base`."""
    if response_method == "auto":
        response_method = ["decision_function", "predict_proba"]
    return resolve_response_method(estimator, response_method)


def _scores(estimator, X, method):
    return label_scores(estimator, X, method)[0]


def _fit_fold(estimator, X, Y, train, test, method, fit_params, keep=False):
    """(test rows, their scores, the fitted clone if ``keep``, seconds taken); ``X`` and
    ``Y`` may be handles from :func:`mlkit._engines.share`."""
    from ._engines import fetch

    start = time.perf_counter()
    X, Y = fetch(X), fetch(Y)
    est = clone(estimator)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*single class in the training data.*")
        est.fit(take_rows(X, train), take_rows(Y, train),
                **slice_fit_params(fit_params, train, n_samples(X)))
    scores = _scores(est, take_rows(X, test), method)
    return test, scores, (est if keep else None), time.perf_counter() - start


def _check_score_columns(estimator, scores, n_labels):
    """Refuse held-out scores with another number of columns than there are labels."""
    if scores.shape[1] != n_labels:
        raise ValueError(f"{type(estimator).__name__} returned {scores.shape[1]} score "
                         f"columns for {n_labels} labels.")


def _same_value(a, b):
    """``a == b`` for parameter values, False where the comparison is not a plain bool."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


#: Least number of positive rows of every label for ``cv="auto"`` to use 3 folds and
#: ``refit="auto"`` to average the fold models: each fold's model then sees at least
#: two thirds of them (33 or more), the fold models agree, and their average predicts as
#: well as a refit on all rows, one fit cheaper. GoEmotions (rarest label 77 of 43,410
#: comments) is above it: dev macro-F1 0.5071 against 0.5062 (5 folds and a refit), in
#: 4 fits instead of 7. Reuters-21578 (90 labels, 7 with a single article) is far below:
#: 3 folds and the average would cost 0.012 macro-F1 on folds of its training split.
AUTO_MIN_POSITIVES = 50


def _well_populated(Y):
    """Whether every label has at least :data:`AUTO_MIN_POSITIVES` positive rows."""
    counts = np.asarray((Y != 0).sum(axis=0)).ravel()
    return bool(counts.size) and int(counts.min()) >= AUTO_MIN_POSITIVES


def _indexable(X):
    """Make ``X`` row-indexable without changing its kind (texts stay a list)."""
    if sp.issparse(X):
        return X.tocsr()
    if hasattr(X, "iloc") or isinstance(X, (list, tuple, np.ndarray)):
        return X
    if hasattr(X, "__array__"):
        return np.asarray(X)
    return list(X)


class ThresholdTuner(MultiLabelClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Learn decision thresholds for a multi-label estimator from held-out scores.

    ``fit`` computes out-of-fold scores with multi-label stratified folds,
    chooses thresholds on them, then refits ``estimator`` on all the data
    (unless ``refit=False``). ``predict`` applies the thresholds to the fitted
    estimator's scores.

    Parameters
    ----------
    estimator : estimator object
        A multi-label estimator with ``decision_function`` or
        ``predict_proba`` returning ``(n_samples, n_labels)`` scores
        (sparse outputs and scikit-learn's lists of ``(n, 2)`` arrays are
        accepted too).
    strategy : {"per_label", "global"}, default="per_label"
        ``"per_label"`` tunes one threshold per label
        (:func:`f1_optimal_thresholds`): labels with fewer than
        ``min_positives`` positives (or a best F1 below ``min_f1``) get their
        ``fallback`` threshold, the others are shrunk toward the global
        threshold by ``shrinkage``. ``"global"`` tunes
        one threshold shared by all labels (:func:`global_threshold`).
    metric : {"f1_macro", "f1_micro", "f1_samples"}, default="f1_macro"
        What the global threshold and the ``at_least_one="auto"`` choice
        maximize. Per-label thresholds always maximize each label's F1 (which
        maximizes macro-F1); ``shrinkage`` trades some of it for micro-F1.
    cv : int, float, cross-validation generator, iterable, "prefit" or "auto", default=5
        How held-out scores are obtained. An int is the number of
        :class:`~mlkit.model_selection.MultilabelStratifiedKFold` folds
        (``"auto"``: 3 when every label has at least
        :data:`AUTO_MIN_POSITIVES` positive rows, else 5; the number used is
        ``n_splits_``); a
        float in (0, 1) holds out that fraction once (stratified); a splitter
        or an iterable of (train, test) indices is used as given.
        ``"prefit"``: ``estimator`` is already fitted and the data passed to
        ``fit`` is a validation set used only to choose thresholds (for
        models too expensive to cross-validate).
    min_positives : int, default=2
        Labels with fewer positive examples in the held-out scores use their
        ``fallback`` threshold.
    shrinkage : float, default=1.0
        Pseudo-count pulling the tuned per-label thresholds toward the global
        one, ``global_threshold_`` (regularizes the thresholds of rare labels,
        which otherwise cost micro-F1).
    min_f1 : float, default=0.02
        Labels whose best held-out F1 is below this use their ``fallback``
        threshold.
    fallback : {"global", "prevalence"}, default="global"
        The threshold of the labels too rare to tune (fewer than
        ``min_positives`` held-out positives, or a best held-out F1 below
        ``min_f1``). ``"global"``: the one threshold maximizing micro-F1 over
        all labels (``global_threshold_``); it is set by the frequent labels
        and often sits above the scores of a rare label's positives, so such
        labels are seldom predicted. ``"prevalence"``: each label's own
        proportional cut on the held-out scores, the threshold above which as
        many rows score as the label has positives
        (:func:`prevalence_thresholds`); it follows each label's score scale
        and predicts rare labels about as often as they occur, which raises
        macro-F1 and costs some micro-F1 (on Reuters-21578 nested folds of
        the training split, about +0.01 macro-F1 and -0.006 micro-F1; see
        ``benchmarks/bench_thresholds.py``).
    at_least_one : {"auto", True, False}, default="auto"
        Whether rows where no label passes get their best-scored label.
        ``"auto"`` enables it only when it improves ``metric`` on the
        held-out scores.
    top_k : int or None, default=None
        Keep at most ``top_k`` labels per row.
    response_method : {"auto", "decision_function", "predict_proba"}, default="auto"
        Which scores to threshold. ``"auto"`` prefers ``decision_function``.
    n_jobs : int, default=None
        Folds fitted in parallel. None means 1 unless in a
        :func:`joblib.parallel_config` context; inside
        ``parallel_config(backend="dask")`` (or ``"ray"``, with ``n_jobs=-1``)
        the folds are fitted on the cluster's workers, ``X`` and ``Y`` travel
        to each worker once (not once per fold), and each fold's own loops run
        on its worker.
    random_state : int, RandomState instance or None, default=None
        Seeds the default stratified folds.
    refit : bool, "average" or "auto", default=True
        Refit ``estimator`` on all the data after the thresholds are chosen.
        ``False`` keeps the model fitted on the training part of the single
        held-out split instead (a float ``cv``, or a splitter with one split):
        one fit instead of two, for models that are expensive to train (a
        fine-tuned transformer), at the cost of the held-out rows never
        being trained on. The thresholds then belong to exactly the model
        that predicts. ``"average"``: no refit; the fold models are averaged
        into one (a :class:`BinaryRelevance` of binary linear classifiers such
        as ``LinearSVC``: each label's mean coefficients and intercept, over
        the folds whose training rows had both classes), whose decision values
        are the mean of the fold models' -- the models the thresholds were
        chosen on. ``"auto"``: ``"average"`` when the estimator can be
        averaged, ``cv`` is an int or ``"auto"`` that makes 3 folds or more,
        and every label has at least :data:`AUTO_MIN_POSITIVES` positive rows
        (then the fold models agree and their average predicts as well as a
        refit), else True. The choice made is ``refit_``.
        Ignored with ``cv="prefit"``.
    candidate_params : list of dict or None, default=None
        Alternative settings of ``estimator`` (each a dict for its
        ``set_params``, e.g. ``[{"estimator__C": 0.5}, {"estimator__C": 0.2}]``
        for a :class:`BinaryRelevance` of ``LinearSVC``), compared on the
        first split only: each is fitted on its training rows, its held-out
        scores get thresholds tuned on them, and the one with the best
        ``metric`` there fits the other splits and the refit (ties go to the
        first listed). A hyperparameter chosen for one extra fit per extra
        candidate, not one per split and candidate as in a grid search;
        ``make_classifier("tfidf")`` uses it for ``LinearSVC``'s ``C``. Not
        available with ``cv="prefit"``. A value the estimator holds for one
        of these keys is replaced; ``fit`` warns when it is none of the
        candidates' (most likely set on purpose).
    verbose : bool, int or "auto", default=False
        Show a progress bar of the fits (one per fold, and the refit) on
        standard error. ``"auto"``: only when standard error is a terminal.
        The command line and ``make demo`` turn it on.

    Attributes
    ----------
    estimator_ : estimator
        The fitted estimator: refitted on all data, the average of the fold
        models (``refit="average"``), the model of the held-out split
        (``refit=False``), or the prefit one.
    refit_ : bool or "average"
        How ``estimator_`` was obtained (resolves ``refit="auto"``); not set
        with ``cv="prefit"``.
    n_splits_ : int
        Number of splits the held-out scores came from (resolves
        ``cv="auto"``); not set with ``cv="prefit"``.
    thresholds_ : ndarray of shape (n_labels,)
        Threshold of each label, in the units of ``response_method_``.
    global_threshold_ : float
        The threshold maximizing micro-F1 over all labels (the fallback of
        rare labels with ``fallback="global"``).
    fallback_thresholds_ : ndarray of shape (n_labels,)
        The fallback threshold of each label (see ``fallback``).
    at_least_one_ : bool
        Whether the at-least-one rule is applied.
    tuned_labels_ : ndarray of bool
        Labels whose threshold was tuned; the others (too few positives, or
        best held-out F1 below ``min_f1``) use ``fallback_thresholds_``.
    oof_scores_ : ndarray of shape (n_oof_samples, n_labels)
        The held-out scores thresholds were chosen on.
    oof_rows_ : ndarray of shape (n_oof_samples,)
        The rows of ``X`` that ``oof_scores_`` belong to, in order: every row
        for k-fold ``cv`` and ``"prefit"``; the validation rows for a float
        ``cv`` (a single split).
    calibrator_ : SigmoidCalibrator or None
        Per-label sigmoid (Platt scaling) fitted on the held-out decision
        values, used by ``predict_proba`` and :meth:`calibrate` when the
        estimator has no ``predict_proba`` of its own; None otherwise.
    proba_thresholds_ : ndarray of shape (n_labels,) or None
        ``thresholds_`` in probability units: the same values when the
        scores are probabilities, mapped through ``calibrator_`` (or through
        the sigmoid, for an estimator whose ``predict_proba`` is the sigmoid of
        its ``decision_function``, such as ``TransformerClassifier``) otherwise;
        None when the estimator's own probabilities are not a function of the
        thresholded scores (decision values of an estimator that also has
        ``predict_proba``). For display; decisions always use ``thresholds_``.
    cv_score_ : float
        ``metric`` of the thresholded held-out scores.
    best_params_ : dict
        The entry of ``candidate_params`` that was used (``{}`` without
        ``candidate_params``).
    candidate_scores_ : ndarray of shape (n_candidates,) or None
        ``metric`` of each entry of ``candidate_params`` on the first split's
        held-out rows, with thresholds tuned there; None without
        ``candidate_params``.
    response_method_ : str
    classes_ : ndarray of shape (n_labels,)

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.svm import LinearSVC
    >>> from mlkit import BinaryRelevance, ThresholdTuner
    >>> X, Y = make_multilabel_classification(n_samples=200, n_classes=5, random_state=0)
    >>> clf = ThresholdTuner(BinaryRelevance(LinearSVC()), cv=3, random_state=0).fit(X, Y)
    >>> clf.thresholds_.shape
    (5,)
    >>> clf.predict(X[:2]).shape
    (2, 5)
    >>> Y_pred, P = clf.predict_with_proba(X[:2])
    >>> bool((Y_pred == clf.predict(X[:2])).all())
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"])],
        "strategy": [StrOptions(set(_STRATEGIES))],
        "metric": [StrOptions(set(_METRICS))],
        "cv": ["cv_object", StrOptions({"prefit", "auto"}),
               Interval(numbers.Real, 0, 1, closed="neither")],
        "min_positives": [Interval(numbers.Real, 0, None, closed="left")],
        "shrinkage": [Interval(numbers.Real, 0, None, closed="left")],
        "min_f1": [Interval(numbers.Real, 0, None, closed="left")],
        "fallback": [StrOptions({"prevalence", "global"})],
        "at_least_one": ["boolean", StrOptions({"auto"})],
        "top_k": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "response_method": [StrOptions({"auto", "decision_function", "predict_proba"})],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "refit": ["boolean", StrOptions({"average", "auto"})],
        "candidate_params": [list, None],
        "verbose": VERBOSE_CONSTRAINT,
    }

    def __init__(
        self,
        estimator: Any,
        *,
        strategy: str = "per_label",
        metric: str = "f1_macro",
        cv: int | float | str | BaseCrossValidator | Iterable[Any] = 5,
        min_positives: int = 2,
        shrinkage: float = 1.0,
        min_f1: float = 0.02,
        fallback: str = "global",
        at_least_one: bool | str = "auto",
        top_k: int | None = None,
        response_method: str | Sequence[str] = "auto",
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        refit: bool | str = True,
        candidate_params: list[dict[str, Any]] | None = None,
        verbose: bool | int | str = False,
    ) -> None:
        self.estimator = estimator
        self.strategy = strategy
        self.metric = metric
        self.cv = cv
        self.min_positives = min_positives
        self.shrinkage = shrinkage
        self.min_f1 = min_f1
        self.fallback = fallback
        self.at_least_one = at_least_one
        self.top_k = top_k
        self.response_method = response_method
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.refit = refit
        self.candidate_params = candidate_params
        self.verbose = verbose

    def __setstate__(self, state):
        # model files written before candidate_params existed: its default, so that
        # get_params, repr and clone work on them
        if isinstance(state, dict):
            state.setdefault("candidate_params", None)
        super().__setstate__(state)

    def _n_folds(self, Y):
        """The number of the tuner's own stratified folds (an int ``cv``, or ``"auto"``
        resolved on ``Y``); None for any other ``cv``."""
        if isinstance(self.cv, str):
            return (3 if _well_populated(Y) else 5) if self.cv == "auto" else None
        if isinstance(self.cv, numbers.Integral) and not isinstance(self.cv, bool):
            return int(self.cv)
        return None

    def _splits(self, X, Y):
        from sklearn.model_selection import check_cv

        from .model_selection import MultilabelStratifiedKFold, MultilabelStratifiedShuffleSplit

        cv = self._n_folds(Y) or self.cv
        if isinstance(cv, numbers.Real) and not isinstance(cv, (bool, numbers.Integral)):
            splitter = MultilabelStratifiedShuffleSplit(
                n_splits=1, test_size=cv, random_state=self.random_state)
        elif isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
            if cv < 2:
                raise ValueError(f"cv={cv!r}: need at least 2 folds (or cv='prefit').")
            splitter = MultilabelStratifiedKFold(
                n_splits=int(cv), shuffle=True,
                random_state=check_random_state(self.random_state).randint(2**31 - 1))
        else:
            splitter = check_cv(cv)
        return list(splitter.split(np.zeros((n_samples(X), 1)), Y))

    def get_metadata_routing(self) -> MetadataRouter:
        """Routing of fit parameters: ``fit`` forwards them to ``estimator.fit``.

        Used when scikit-learn's metadata routing is enabled
        (``sklearn.set_config(enable_metadata_routing=True)``); request a
        parameter with ``estimator.set_fit_request(sample_weight=True)``.

        Returns
        -------
        routing : MetadataRouter
        """
        return single_child_router(self, self.estimator)

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: ArrayLike | sp.spmatrix | Sequence[str], Y: ArrayLike | sp.spmatrix,
            **fit_params: Any) -> ThresholdTuner:
        """Choose thresholds on held-out scores and fit the estimator.

        Parameters
        ----------
        X : array-like, sparse matrix or list of str
            Whatever ``estimator`` takes (features, or raw texts for a
            pipeline that starts with a featurizer).
        Y : array-like, sparse matrix, DataFrame or list of label collections
            Labels. With ``cv="prefit"``, the validation labels.
        **fit_params : dict
            Passed to ``estimator.fit`` (e.g. ``sample_weight``); parameters
            with one value per row are sliced to each fold's training rows.
            With metadata routing enabled, only the parameters the estimator
            requested (``set_fit_request``) are passed. The ``sample_weight``
            the estimator receives also weighs the choice of thresholds and
            the calibration on the held-out rows (an integer weight counts as
            that many copies of the row). With ``cv="prefit"`` nothing is
            fitted: only ``sample_weight`` is accepted, for the thresholds.

        Returns
        -------
        self : object
        """
        if isinstance(X, str):
            raise TypeError(
                "ThresholdTuner expects a collection of samples; a single string was received. "
                "Wrap it in a list: [text]."
            )
        X = _indexable(X)
        Y, names = check_label_matrix(Y, n_samples=n_samples(X))
        Yd = Y.toarray() if sp.issparse(Y) else Y
        self.best_params_, self.candidate_scores_ = {}, None
        for stale in ("refit_", "n_splits_"):  # set by a k-fold or float cv fit only
            self.__dict__.pop(stale, None)
        if isinstance(self.cv, str) and self.cv == "prefit":
            if self.candidate_params is not None:
                raise ValueError(
                    "candidate_params compares settings of the estimator by fitting them, but "
                    "cv='prefit' fits nothing; use a k-fold or float cv, or "
                    "candidate_params=None."
                )
            # nothing is fitted: only row weights make sense, and they weigh the thresholds
            unused = sorted(set(fit_params) - {"sample_weight"})
            if unused:
                raise ValueError(
                    f"fit parameters {unused} are not used with cv='prefit' (the estimator is "
                    "not refitted); pass them to the estimator's own fit."
                )
            weights = _check_weights(fit_params.get("sample_weight"), Yd.shape[0])
            method, oof = self._prefit_scores(X)
            oof_rows = np.arange(Yd.shape[0])
        else:
            params = route_fit_params(self, fit_params)
            # the weights the estimator trains with weigh the threshold choice too
            weights = _check_weights(params.get("sample_weight"), Yd.shape[0])
            method, oof, oof_rows = self._held_out_scores(X, Y, Yd, params)
            Yd = Yd[oof_rows]
            weights = None if weights is None else weights[oof_rows]
        if oof.shape != Yd.shape:
            raise ValueError(
                f"The estimator returned scores of shape {oof.shape} for labels of shape "
                f"{Yd.shape}."
            )
        self.response_method_ = method
        self.oof_scores_ = oof
        self.oof_rows_ = oof_rows
        self._tune(Yd, oof, weights)
        self._fit_calibrator(Yd, oof, weights)
        if names is None:
            fitted_names = getattr(self.estimator_, "classes_", None)
            if fitted_names is not None and len(fitted_names) == Yd.shape[1]:
                names = np.asarray(fitted_names)
        self.classes_ = names if names is not None else np.arange(Yd.shape[1])
        self.n_labels_ = Yd.shape[1]
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        logger.debug(
            "ThresholdTuner: %s thresholds on %d held-out rows from %s (at_least_one=%s, "
            "cv %s=%.4f)", self.strategy, Yd.shape[0], method, self.at_least_one_,
            self.metric, self.cv_score_)
        return self

    def _prefit_scores(self, X):
        """(method, scores) of the already fitted estimator on the validation rows."""
        try:
            check_is_fitted(self.estimator)
        except NotFittedError:
            raise NotFittedError(
                "cv='prefit' needs an already fitted estimator; fit it first or use an int cv."
            ) from None
        self.estimator_ = self.estimator
        method = _response_method(self.estimator_, self.response_method)
        return method, _scores(self.estimator_, X, method)

    def _held_out_scores(self, X, Y, Yd, params):
        """(method, held-out scores, their rows): one fit per split (in parallel, with a
        progress bar), then the refit on all rows (or the single split's model kept).
        With ``candidate_params``, the first split is fitted once per candidate first."""
        from sklearn.utils.parallel import delayed

        from ._engines import cluster_engine, parallel, share, supports_generator

        method = _response_method(self.estimator, self.response_method)
        splits = self._splits(X, Yd)
        self.n_splits_ = len(splits)
        refit = self._resolve_refit(Yd)
        if refit is False and len(splits) != 1:
            raise ValueError(
                f"refit=False keeps the model of a single held-out split, but cv={self.cv!r} "
                f"gives {len(splits)} splits; use a float cv (e.g. cv=0.2, the held-out "
                "fraction) or refit=True."
            )
        candidates = self._candidates()
        bar = progress_bar(show_progress(self.verbose),
                           total=len(splits) + max(len(candidates) - 1, 0) + int(refit is True),
                           desc="ThresholdTuner", unit="fit", purpose="ThresholdTuner")
        # on a Dask or Ray cluster, X and Y travel to each worker once, not once per fold
        engine = cluster_engine()
        X_shared, Y_shared = share(X, engine), share(Y, engine)
        return_as = "generator" if supports_generator() else "list"

        def fits(estimators, todo, what):
            """Fit each estimator on its (train, test) split, yielding as they finish."""
            for i, result in enumerate(parallel(self.n_jobs, prefer=None, return_as=return_as)(
                    delayed(_fit_fold)(est, X_shared, Y_shared, train, test, method, params,
                                       keep=refit is not True)
                    for est, (train, test) in zip(estimators, todo, strict=True))):
                logger.debug("ThresholdTuner: %s %d/%d fitted and scored on %d rows in %.2f s",
                             what, i + 1, len(todo), len(result[0]), result[3])
                if bar is not None:
                    bar.update()
                yield result

        try:
            estimator, results = self.estimator, []
            if candidates:  # each one on the first split; the chosen one's fit is fold 1
                first = list(fits(candidates, [splits[0]] * len(candidates), "candidate"))
                best = self._choose_candidate(first, Yd, params)
                estimator, results = candidates[best], [first[best]]
                del first  # the other candidates' models, kept for an average, are not needed
            results.extend(fits([estimator] * (len(splits) - len(results)),
                                splits[len(results):], "fold"))
            if refit == "average":
                self.estimator_ = self._fold_average([r[2] for r in results])
                if self.estimator_ is None:  # "auto": the fold models could not be averaged
                    refit = True
                    if bar is not None:
                        bar.total += 1
            if refit is True:
                if bar is not None:
                    bar.set_postfix_str("refit on all rows")
                start = time.perf_counter()
                self.estimator_ = clone(estimator).fit(X, Y, **params)
                logger.debug("ThresholdTuner: refit on all %d rows in %.2f s", Yd.shape[0],
                             time.perf_counter() - start)
                if bar is not None:
                    bar.update()
            elif refit is False:
                self.estimator_ = results[0][2]
            self.refit_ = refit
        finally:
            if bar is not None:
                bar.close()
        oof = np.full(Yd.shape, np.nan)
        for test, scores, *_ in results:
            _check_score_columns(self.estimator, scores, Yd.shape[1])
            oof[test] = scores
        covered = ~np.isnan(oof).any(axis=1)
        if not covered.any():
            raise ValueError("cv produced no held-out samples; check the splitter.")
        oof_rows = np.flatnonzero(covered)
        return method, oof[oof_rows], oof_rows

    def _resolve_refit(self, Yd):
        """``refit`` as True, False or "average". ``"auto"`` averages only k-fold models
        (an int or ``"auto"`` cv, 3 folds or more) of well-populated labels, where each
        fold's model sees most of the rows."""
        can_average = getattr(type(self.estimator), "_can_average", None)
        averages = callable(can_average) and can_average(self.estimator)
        if isinstance(self.refit, str) and self.refit == "average" and not averages:
            raise ValueError(
                f"refit='average' averages the fold models of a BinaryRelevance of binary "
                f"linear classifiers (LinearSVC, LogisticRegression, ...); this "
                f"{type(self.estimator).__name__} cannot be averaged. Use refit=True.")
        if isinstance(self.refit, str) and self.refit == "auto":
            return ("average" if averages and (self._n_folds(Yd) or 0) >= 3
                    and _well_populated(Yd) else True)
        return self.refit if isinstance(self.refit, str) else bool(self.refit)

    def _fold_average(self, models):
        """The fold models averaged into one (``refit="average"``); None when they cannot
        be averaged and ``refit="auto"`` (then the estimator is refitted)."""
        model = type(models[0])._average_fitted(models)
        if model is None and self.refit == "average":
            raise ValueError(
                f"refit='average' could not average the fold models of "
                f"{type(models[0]).__name__}: every label needs its own binary linear "
                "classifier (LinearSVC, LogisticRegression, SGDClassifier, ...); use "
                "refit=True.")
        if model is not None:
            logger.debug("ThresholdTuner: the %d fold models averaged (no refit)", len(models))
        return model

    def _candidates(self):
        """``estimator`` with each entry of ``candidate_params`` set (unfitted clones)."""
        if self.candidate_params is None:
            return []
        if not self.candidate_params:
            raise ValueError("candidate_params is an empty list; give at least one dict of "
                             "estimator parameters, or None.")
        candidates = []
        for i, entry in enumerate(self.candidate_params):
            if not isinstance(entry, dict):
                raise TypeError(f"candidate_params[{i}] is {type(entry).__name__}, not a dict "
                                "of estimator parameters (e.g. {'estimator__C': 0.5}).")
            try:
                candidates.append(clone(self.estimator).set_params(**entry))
            except ValueError as exc:
                raise ValueError(f"candidate_params[{i}] = {entry!r} does not fit "
                                 f"{type(self.estimator).__name__}: {exc}") from None
        self._warn_overridden()
        return candidates

    def _warn_overridden(self):
        """Warn when the estimator holds a value that ``candidate_params`` will replace and
        that none of the candidates has: most likely set on purpose (``set_params`` or a
        grid search over it), and it would silently have no effect."""
        own = self.estimator.get_params(deep=True)
        for key in dict.fromkeys(k for entry in self.candidate_params for k in entry):
            tried = [entry[key] for entry in self.candidate_params if key in entry]
            if any(_same_value(own.get(key), v) for v in tried):
                continue
            warnings.warn(
                f"The estimator's {key}={own.get(key)!r} is not used: candidate_params "
                f"chooses {key} among {tried}. To fit with {key}={own.get(key)!r}, set "
                "candidate_params=None (or include that value among the candidates).",
                UserWarning, stacklevel=4)

    def _choose_candidate(self, first, Yd, params):
        """Index of the best entry of ``candidate_params`` from its fit on the first split
        (``first``: one :func:`_fit_fold` result per entry); sets ``best_params_`` and,
        when there is a choice, ``candidate_scores_``."""
        best = 0
        if len(first) > 1:
            weights = _check_weights(params.get("sample_weight"), Yd.shape[0])
            self.candidate_scores_ = np.array([
                self._split_score(Yd[test], scores, None if weights is None else weights[test])
                for test, scores, *_ in first])
            best = int(np.argmax(self.candidate_scores_))
            logger.debug("ThresholdTuner: candidate %d of %d chosen on the first split, %s %s",
                         best + 1, len(first), self.metric,
                         np.round(self.candidate_scores_, 4).tolist())
        self.best_params_ = dict(self.candidate_params[best])
        return best

    def _split_score(self, Y, S, w=None):
        """``metric`` of one split's held-out scores with thresholds tuned on them."""
        _check_score_columns(self.estimator, S, Y.shape[1])
        probe = clone(self).set_params(estimator=None, candidate_params=None)
        probe._tune(Y, S, w)
        return probe.cv_score_

    def _tune(self, Y, S, w=None):
        g = global_threshold(Y, S, metric=self.metric if self.strategy == "global" else "f1_micro",
                             sample_weight=w)
        self.global_threshold_ = g
        if self.strategy == "global":
            t = np.full(Y.shape[1], g)
            self.fallback_thresholds_ = t.copy()
            self.tuned_labels_ = np.zeros(Y.shape[1], dtype=bool)
        else:
            # tuned labels shrink toward the global threshold; the others take their fallback
            t, self.tuned_labels_ = _f1_optimal_thresholds(
                Y, S, beta=1.0, min_positives=self.min_positives, shrinkage=self.shrinkage,
                min_f1=self.min_f1, fallback=g, sample_weight=w)
            self.fallback_thresholds_ = _fallback_thresholds(
                Y, S, g if self.fallback == "global" else self.fallback, 1.0, w)
            t[~self.tuned_labels_] = self.fallback_thresholds_[~self.tuned_labels_]
        self.thresholds_ = t
        Yb = Y.astype(bool)
        score_off = _decisions_metric(
            Yb, apply_thresholds(S, t, top_k=self.top_k).astype(bool), self.metric, w=w)
        if self.at_least_one == "auto":
            score_on = _decisions_metric(
                Yb, apply_thresholds(S, t, at_least_one=True, top_k=self.top_k).astype(bool),
                self.metric, w=w)
            self.at_least_one_ = bool(score_on > score_off)
            self.cv_score_ = max(score_on, score_off)
        else:
            self.at_least_one_ = bool(self.at_least_one)
            self.cv_score_ = _decisions_metric(
                Yb, apply_thresholds(S, t, at_least_one=self.at_least_one_,
                                     top_k=self.top_k).astype(bool), self.metric, w=w)

    def _fit_calibrator(self, Y, S, w=None):
        if self.response_method_ == "decision_function" and not has_method(
                self.estimator_, "predict_proba"):
            self.calibrator_ = SigmoidCalibrator().fit(S, Y, sample_weight=w)
        else:
            self.calibrator_ = None
        self.proba_thresholds_ = (
            self.calibrate(self.thresholds_[None, :])[0] if self._scores_map_to_proba() else None)

    def _calibrator(self):
        cal = getattr(self, "calibrator_", None)
        if cal is None and getattr(self, "calibration_", None) is not None:
            cal = SigmoidCalibrator._from_legacy(self.calibration_)  # model files before 0.2
        return cal

    def _scores_map_to_proba(self):
        return (self.response_method_ == "predict_proba" or self._calibrator() is not None
                or self._sigmoid_proba())

    def _sigmoid_proba(self):
        """Whether ``estimator_.predict_proba`` is the logistic sigmoid of the thresholded
        decision values, as its class declares with ``_predict_proba_is_sigmoid = True``."""
        return (self.response_method_ == "decision_function"
                and getattr(self.estimator_, "_predict_proba_is_sigmoid", False) is True)

    def _check_samples(self, X):
        check_is_fitted(self, "thresholds_")
        if isinstance(X, str):
            raise TypeError(
                "ThresholdTuner expects a collection of samples; a single string was received. "
                "Wrap it in a list: [text]."
            )
        return _indexable(X)

    def tuned_scores(self, X: ArrayLike | sp.spmatrix | Sequence[str]) -> NDArray[np.float64]:
        """The scores the thresholds apply to: ``estimator_``'s ``response_method_`` output.

        Parameters
        ----------
        X : array-like, sparse matrix or list of str

        Returns
        -------
        scores : ndarray of shape (n_samples, n_labels)
        """
        X = self._check_samples(X)
        return _scores(self.estimator_, X, self.response_method_)

    def decide(self, scores: ArrayLike) -> NDArray[np.int64]:
        """The tuned decision rule applied to scores from :meth:`tuned_scores`.

        The one implementation of the rule - per-label thresholds, then
        ``top_k``, then the at-least-one rule - that ``predict``, the command
        line, the server and model files all use.

        Parameters
        ----------
        scores : array-like of shape (n_samples, n_labels)
            Scores in the units of ``response_method_``.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels) of int
        """
        check_is_fitted(self, "thresholds_")
        return apply_thresholds(scores, self.thresholds_, at_least_one=self.at_least_one_,
                                top_k=self.top_k)

    def calibrate(self, scores: ArrayLike) -> NDArray[np.float64]:
        """Probabilities for scores from :meth:`tuned_scores`, as ``predict_proba`` gives them.

        The identity when the thresholded scores are probabilities; the fitted
        ``calibrator_`` when they are decision values of an estimator without
        ``predict_proba``; the sigmoid when the estimator's ``predict_proba`` is
        the sigmoid of its ``decision_function``.

        Parameters
        ----------
        scores : array-like of shape (n_samples, n_labels)

        Returns
        -------
        P : ndarray of shape (n_samples, n_labels)

        Raises
        ------
        ValueError
            When the thresholded scores are decision values of an estimator
            with a ``predict_proba`` of its own (its probabilities are not a
            function of the scores; call ``predict_proba`` instead).
        """
        check_is_fitted(self, "thresholds_")
        if self.response_method_ == "predict_proba":
            return _as_scores(scores, "scores")
        if self._sigmoid_proba():
            return expit(_as_scores(scores, "scores"))
        cal = self._calibrator()
        if cal is None:
            raise ValueError(
                "This ThresholdTuner thresholds decision values of an estimator that has its "
                "own predict_proba; its probabilities are not a function of the scores. Call "
                "predict_proba(X) instead."
            )
        return cal.predict(scores)

    def predict_with_proba(
        self, X: ArrayLike | sp.spmatrix | Sequence[str],
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Decisions and probabilities from one scoring pass where possible.

        Equal to ``(predict(X), predict_proba(X))``; the estimator is asked
        once for its scores unless it thresholds decision values and has a
        ``predict_proba`` of its own.

        Parameters
        ----------
        X : array-like, sparse matrix or list of str

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels) of int
        P : ndarray of shape (n_samples, n_labels)
        """
        X = self._check_samples(X)
        S = _scores(self.estimator_, X, self.response_method_)
        D = self.decide(S)
        if self._scores_map_to_proba():
            return D, self.calibrate(S)
        return D, _scores(self.estimator_, X, "predict_proba")

    def predict(self, X: ArrayLike | sp.spmatrix | Sequence[str]) -> NDArray[np.int64]:
        """Predict labels with the tuned thresholds.

        Parameters
        ----------
        X : array-like, sparse matrix or list of str

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels) of int
        """
        return self.decide(self.tuned_scores(X))

    def _estimator_has(method):
        def check(self):
            est = getattr(self, "estimator_", self.estimator)
            getattr(est, method)
            return True

        return check

    def _has_proba(self):
        est = getattr(self, "estimator_", self.estimator)
        return has_method(est, "predict_proba") or has_method(est, "decision_function")

    @available_if(_has_proba)
    def predict_proba(self, X: ArrayLike | sp.spmatrix | Sequence[str]) -> NDArray[np.float64]:
        """Probability of each label.

        The estimator's own ``predict_proba`` when it has one. Otherwise
        (e.g. ``LinearSVC``) the decision values are mapped through
        ``calibrator_``, one sigmoid per label fitted on the held-out scores
        (Platt scaling), so the probabilities are calibrated on data the model
        did not train on. Thresholds do not change them; ``predict`` uses the
        thresholds.

        Parameters
        ----------
        X : array-like, sparse matrix or list of str

        Returns
        -------
        P : ndarray of shape (n_samples, n_labels)
        """
        X = self._check_samples(X)
        if has_method(self.estimator_, "predict_proba"):
            return _scores(self.estimator_, X, "predict_proba")
        return self.calibrate(_scores(self.estimator_, X, "decision_function"))

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: ArrayLike | sp.spmatrix | Sequence[str]) -> NDArray[np.float64]:
        """The estimator's decision values (thresholds do not change them).

        Parameters
        ----------
        X : array-like, sparse matrix or list of str

        Returns
        -------
        scores : ndarray of shape (n_samples, n_labels)
        """
        X = self._check_samples(X)
        return _scores(self.estimator_, X, "decision_function")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = inner.input_tags
        return tags
