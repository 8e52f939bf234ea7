"""Ranking metrics: scores ``y_score`` compared with ``y_true``.

Label ranking average precision, coverage error and ranking loss are
scikit-learn's; average precision and ROC-AUC are scikit-learn's per label,
skipping the labels where they are undefined; precision-recall curves per label.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn import metrics as _skm
from sklearn.exceptions import UndefinedMetricWarning

from ._validation import RANKING_AVERAGES, check_average, check_sample_weight, check_score_pair

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray


def label_ranking_average_precision(y_true: ArrayLike | sp.spmatrix, y_score: ArrayLike, *,
                                    sample_weight: ArrayLike | None = None) -> float:
    """Label ranking average precision (LRAP), scorer name ``"lrap"``.

    Wraps :func:`sklearn.metrics.label_ranking_average_precision_score`: for
    each true label of a row, the fraction of labels ranked at or above it that
    are true, averaged. Following scikit-learn, a row whose labels are all
    positive or all negative scores 1. Ties count pessimistically
    (scikit-learn's rule), so this is the one ranking metric where column order
    does not break ties.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float
        In (0, 1]; 1 is a perfect ranking.

    Examples
    --------
    >>> from mlkit.metrics import label_ranking_average_precision
    >>> label_ranking_average_precision([[1, 0, 0], [0, 0, 1]],
    ...                                 [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]])
    0.41666666666666663
    """
    Y, S = check_score_pair(y_true, y_score)
    return float(_skm.label_ranking_average_precision_score(Y, S, sample_weight=sample_weight))


def coverage_error(y_true: ArrayLike | sp.spmatrix, y_score: ArrayLike, *,
                   sample_weight: ArrayLike | None = None) -> float:
    """How far down the ranking one must go to cover all true labels (lower is better).

    Wraps :func:`sklearn.metrics.coverage_error`. The best value is the mean
    number of true labels per row; a row with no true label contributes 0.
    Scorer name ``"neg_coverage_error"``.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    coverage : float

    Examples
    --------
    >>> from mlkit.metrics import coverage_error
    >>> coverage_error([[1, 0, 0], [0, 0, 1]], [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]])
    2.5
    """
    Y, S = check_score_pair(y_true, y_score)
    return float(_skm.coverage_error(Y, S, sample_weight=sample_weight))


def label_ranking_loss(y_true: ArrayLike | sp.spmatrix, y_score: ArrayLike, *,
                       sample_weight: ArrayLike | None = None) -> float:
    """Fraction of (true, false) label pairs ranked in the wrong order (lower is better).

    Wraps :func:`sklearn.metrics.label_ranking_loss`; rows whose labels are all
    positive or all negative contribute 0. Scorer name
    ``"neg_label_ranking_loss"``.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    loss : float

    Examples
    --------
    >>> from mlkit.metrics import label_ranking_loss
    >>> label_ranking_loss([[1, 0, 0], [0, 0, 1]], [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]])
    0.75
    """
    Y, S = check_score_pair(y_true, y_score)
    return float(_skm.label_ranking_loss(Y, S, sample_weight=sample_weight))


_BLOCK_CELLS = 1 << 20  # (row, label) cells sorted at once by the per-label curve metrics


def _curve_block(Y, S, w, kind):
    """Average precision or ROC-AUC of every column of a block, all columns at once.

    The same step-wise average precision and trapezoidal ROC-AUC as
    scikit-learn's ``average_precision_score`` / ``roc_auc_score`` of each
    column (tied scores form one threshold), from one sort of the block
    instead of one validated call per label.
    """
    n = S.shape[0]
    order = np.argsort(-S, axis=0, kind="stable")
    s = np.take_along_axis(S, order, axis=0)
    y = np.take_along_axis(Y, order, axis=0).astype(np.float64)
    ws = np.ones_like(y) if w is None else w[order]
    tp = np.cumsum(y * ws, axis=0)
    fp = np.cumsum((1.0 - y) * ws, axis=0)
    del y, ws
    end = np.ones(s.shape, dtype=bool)
    end[:-1] = s[1:] != s[:-1]  # the last row of each group of tied scores
    start = np.zeros(s.shape, dtype=np.int64)
    start[1:] = np.where(s[1:] != s[:-1], np.arange(1, n)[:, None], 0)
    del s
    start = np.maximum.accumulate(start, axis=0)
    prev = np.maximum(start - 1, 0)
    has_prev = start > 0
    tp_prev = np.where(has_prev, np.take_along_axis(tp, prev, axis=0), 0.0)
    fp_prev = np.where(has_prev, np.take_along_axis(fp, prev, axis=0), 0.0)
    total_p, total_n = tp[-1], fp[-1]
    if kind == "ap":
        gain = tp - tp_prev  # zero-weight rows (scikit-learn drops them) gain nothing
        step = gain * tp / np.where(gain > 0, tp + fp, 1.0)
        return np.where(end, step, 0.0).sum(axis=0) / total_p
    area = (fp - fp_prev) * (tp + tp_prev) / 2.0
    return np.where(end, area, 0.0).sum(axis=0) / (total_p * total_n)


def _fast_curve_kind(func):
    if func is _skm.average_precision_score:
        return "ap"
    if func is _skm.roc_auc_score:
        return "auc"
    return None


def per_label_curve_metric(func, Y, S, sample_weight, need_negatives):
    """Apply a binary ranking metric per label; nan where it is undefined.

    scikit-learn's average precision and ROC-AUC are computed for blocks of
    labels at once (:func:`_curve_block`, same values): one validated call
    per label costs milliseconds, which is minutes for thousands of labels.
    """
    n_pos = Y.sum(axis=0)
    defined = n_pos > 0
    if need_negatives:
        defined &= n_pos < Y.shape[0]
    values = np.full(Y.shape[1], np.nan)
    kind = _fast_curve_kind(func)
    cols = np.flatnonzero(defined)
    if kind is None:
        for j in cols:
            values[j] = func(Y[:, j], S[:, j], sample_weight=sample_weight)
        return values, defined
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    step = max(1, _BLOCK_CELLS // max(Y.shape[0], 1))
    for a in range(0, len(cols), step):
        blk = cols[a:a + step]
        with np.errstate(invalid="ignore", divide="ignore"):
            values[blk] = _curve_block(Y[:, blk], np.asarray(S[:, blk], dtype=np.float64), w,
                                       kind)
    return values, defined


def average_curve_metric(func, name, Y, S, average, sample_weight, need_negatives):
    """A binary ranking metric averaged over labels, skipping undefined ones.

    ``"micro"`` pools all (row, label) pairs; ``"macro"`` / ``"weighted"`` average
    the labels where ``func`` is defined; None returns one value per label. nan
    with an :class:`~sklearn.exceptions.UndefinedMetricWarning` (stacklevel 3:
    the caller of the public metric) when nothing is defined.
    """
    if average == "micro":
        y, s = Y.ravel(), S.ravel()
        w = None if sample_weight is None else np.repeat(sample_weight, Y.shape[1])
        n_pos = int(y.sum())
        if n_pos == 0 or (need_negatives and n_pos == y.size):
            warnings.warn(
                f"{name} (micro) is undefined: y_true has "
                f"{'no positive' if n_pos == 0 else 'no negative'} entries; returning nan.",
                UndefinedMetricWarning,
                stacklevel=3,
            )
            return float("nan")
        return float(func(y, s, sample_weight=w))
    values, defined = per_label_curve_metric(func, Y, S, sample_weight, need_negatives)
    if average is None:
        return values
    if not defined.any():
        what = "a positive and a negative" if need_negatives else "a positive"
        warnings.warn(
            f"{name} is undefined for every label: no label has {what} example in y_true; "
            "returning nan.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return float("nan")
    if average == "macro":
        return float(np.mean(values[defined]))
    support = Y.sum(axis=0) if sample_weight is None else sample_weight @ Y
    return float(np.average(values[defined], weights=support[defined]))


def average_precision_score(
    y_true: ArrayLike | sp.spmatrix,
    y_score: ArrayLike,
    *,
    average: str | None = "macro",
    sample_weight: ArrayLike | None = None,
) -> float | NDArray[np.float64]:
    """Average precision (area under the precision-recall curve) of the scores.

    Per label this is :func:`sklearn.metrics.average_precision_score`. A label
    with no positive in ``y_true`` has no defined average precision: it is nan
    with ``average=None`` and skipped by ``"macro"`` and ``"weighted"``
    (scikit-learn would count it as 0 with a warning). If no label is defined
    the result is nan with an :class:`~sklearn.exceptions.UndefinedMetricWarning`.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    average : {"macro", "micro", "weighted"} or None, default="macro"
        ``"macro"``: mean over labels with a positive; ``"micro"``: all
        (row, label) pairs pooled; ``"weighted"``: weighted by support; None:
        one value per label.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> from mlkit.metrics import average_precision_score
    >>> y_true = [[1, 0, 0], [0, 0, 0], [1, 1, 0]]
    >>> y_score = [[0.9, 0.1, 0.2], [0.4, 0.5, 0.3], [0.3, 0.6, 0.1]]
    >>> average_precision_score(y_true, y_score, average=None)
    array([0.83333333, 1.        ,        nan])
    >>> round(average_precision_score(y_true, y_score), 4)
    0.9167
    """
    check_average(average, RANKING_AVERAGES, "average_precision_score")
    Y, S = check_score_pair(y_true, y_score)
    w = check_sample_weight(sample_weight, Y.shape[0])
    return average_curve_metric(
        _skm.average_precision_score, "average precision", Y, S, average, w, False
    )


def precision_recall_curve_per_label(
    y_true: ArrayLike | sp.spmatrix, y_score: ArrayLike, *, labels: Sequence[int] | None = None,
) -> dict[int, tuple[NDArray[np.float64], NDArray[np.float64], float]]:
    """Precision-recall curve and average precision of each label.

    Per label this is :func:`sklearn.metrics.precision_recall_curve` and
    :func:`sklearn.metrics.average_precision_score`. Labels with no positive
    in ``y_true`` have no curve and are left out of the result.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    labels : sequence of int, default=None
        Column indices of the labels to compute; all labels when None.

    Returns
    -------
    curves : dict
        ``{label_index: (precision, recall, average_precision)}`` in the
        order of ``labels``; ``precision`` and ``recall`` are arrays as
        scikit-learn returns them (recall decreasing).

    Examples
    --------
    >>> from mlkit.metrics import precision_recall_curve_per_label
    >>> curves = precision_recall_curve_per_label([[1, 0], [0, 0], [1, 1]],
    ...                                           [[0.9, 0.2], [0.4, 0.1], [0.3, 0.6]])
    >>> sorted(curves), round(curves[0][2], 4)
    ([0, 1], 0.8333)
    """
    Y, S = check_score_pair(y_true, y_score)
    Y = Y.toarray() if sp.issparse(Y) else Y
    n_labels = Y.shape[1]
    if labels is None:
        labels = range(n_labels)
    curves = {}
    for j in labels:
        j = int(j)
        if not 0 <= j < n_labels:
            raise ValueError(
                f"labels must be column indices in [0, {n_labels}); got {j}."
            )
        if not Y[:, j].any():
            continue
        precision, recall, _ = _skm.precision_recall_curve(Y[:, j], S[:, j])
        curves[j] = (precision, recall, float(_skm.average_precision_score(Y[:, j], S[:, j])))
    return curves


def roc_auc_score(
    y_true: ArrayLike | sp.spmatrix,
    y_score: ArrayLike,
    *,
    average: str | None = "macro",
    sample_weight: ArrayLike | None = None,
) -> float | NDArray[np.float64]:
    """Area under the ROC curve of the scores, per label or averaged.

    Per label this is :func:`sklearn.metrics.roc_auc_score`. ROC-AUC is
    undefined for a label that has only positives or only negatives in
    ``y_true`` (common for rare labels in a cross-validation fold): such a
    label is nan with ``average=None`` and skipped by ``"macro"`` and
    ``"weighted"``, silently. If no label is defined the result is nan with an
    :class:`~sklearn.exceptions.UndefinedMetricWarning`.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    average : {"macro", "micro", "weighted"} or None, default="macro"
        ``"macro"``: mean over defined labels; ``"micro"``: all (row, label)
        pairs pooled; ``"weighted"``: weighted by support; None: one value per
        label.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> from mlkit.metrics import roc_auc_score
    >>> y_true = [[1, 0, 1], [0, 0, 1], [1, 1, 1]]
    >>> y_score = [[0.9, 0.1, 0.2], [0.4, 0.5, 0.3], [0.3, 0.6, 0.1]]
    >>> roc_auc_score(y_true, y_score, average=None)  # label 2 is always positive
    array([0.5, 1. , nan])
    >>> roc_auc_score(y_true, y_score)
    0.75
    """
    check_average(average, RANKING_AVERAGES, "roc_auc_score")
    Y, S = check_score_pair(y_true, y_score)
    w = check_sample_weight(sample_weight, Y.shape[0])
    return average_curve_metric(_skm.roc_auc_score, "ROC-AUC", Y, S, average, w, True)
