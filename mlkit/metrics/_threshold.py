"""Threshold metrics: 0/1 decisions ``y_pred`` compared with ``y_true``.

Thin wrappers of scikit-learn's functions with multi-label defaults
(``average="micro"``, ``zero_division=0``: a label or row with nothing to divide
by scores 0 and never warns), after mlkit's input checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sklearn import metrics as _skm

from ._validation import (
    THRESHOLD_AVERAGES,
    check_average,
    check_pred_pair,
    float_or_array,
    setwise,
)

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse as sp
    from numpy.typing import ArrayLike, NDArray


def _setwise_metric(metric, name, y_true, y_pred, average, sample_weight, zero_division):
    """One of scikit-learn's set-wise metrics on checked labels, one label included."""
    check_average(average, THRESHOLD_AVERAGES, name)
    Y, P, labels = setwise(*check_pred_pair(y_true, y_pred))
    return float_or_array(metric(Y, P, labels=labels, average=average,
                                 sample_weight=sample_weight, zero_division=zero_division))


def precision_score(
    y_true: ArrayLike | sp.spmatrix,
    y_pred: ArrayLike | sp.spmatrix,
    *,
    average: str | None = "micro",
    sample_weight: ArrayLike | None = None,
    zero_division: float = 0.0,
) -> float | NDArray[np.float64]:
    """Precision of multi-label decisions.

    A wrapper of :func:`sklearn.metrics.precision_score` with multi-label
    defaults: labels (or rows, for ``average="samples"``) with no predicted
    positive score ``zero_division`` and never warn.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels, any mlkit label form.
    y_pred : array-like or sparse matrix of shape (n_samples, n_labels)
        0/1 decisions, such as ``estimator.predict(X)``.
    average : {"micro", "macro", "weighted", "samples"} or None, default="micro"
        ``"micro"`` pools all (row, label) decisions; ``"macro"`` is the
        unweighted mean over labels; ``"weighted"`` weights labels by support;
        ``"samples"`` averages over rows; None returns one value per label.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Value used where the denominator is zero.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> from mlkit.metrics import precision_score
    >>> y_true = [[1, 0, 1], [0, 1, 0]]
    >>> y_pred = [[1, 1, 0], [0, 1, 0]]
    >>> precision_score(y_true, y_pred)
    0.6666666666666666
    >>> precision_score(y_true, y_pred, average=None)
    array([1. , 0.5, 0. ])
    """
    return _setwise_metric(_skm.precision_score, "precision_score", y_true, y_pred, average, sample_weight,
                           zero_division)


def recall_score(
    y_true: ArrayLike | sp.spmatrix,
    y_pred: ArrayLike | sp.spmatrix,
    *,
    average: str | None = "micro",
    sample_weight: ArrayLike | None = None,
    zero_division: float = 0.0,
) -> float | NDArray[np.float64]:
    """Recall of multi-label decisions.

    A wrapper of :func:`sklearn.metrics.recall_score`; labels with no positive
    in ``y_true`` score ``zero_division`` and never warn. Parameters as in
    :func:`precision_score`.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_pred : array-like or sparse matrix of shape (n_samples, n_labels)
        0/1 decisions.
    average : {"micro", "macro", "weighted", "samples"} or None, default="micro"
        How to average; None returns one value per label.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Value used where the denominator is zero.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> from mlkit.metrics import recall_score
    >>> recall_score([[1, 0, 1], [0, 1, 0]], [[1, 1, 0], [0, 1, 0]], average="macro")
    0.6666666666666666
    """
    return _setwise_metric(_skm.recall_score, "recall_score", y_true, y_pred, average, sample_weight,
                           zero_division)


def f1_score(
    y_true: ArrayLike | sp.spmatrix,
    y_pred: ArrayLike | sp.spmatrix,
    *,
    average: str | None = "micro",
    sample_weight: ArrayLike | None = None,
    zero_division: float = 0.0,
) -> float | NDArray[np.float64]:
    """F1 score of multi-label decisions.

    A wrapper of :func:`sklearn.metrics.f1_score`; labels with no positive in
    either ``y_true`` or ``y_pred`` score ``zero_division`` and never warn.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_pred : array-like or sparse matrix of shape (n_samples, n_labels)
        0/1 decisions.
    average : {"micro", "macro", "weighted", "samples"} or None, default="micro"
        How to average; None returns one value per label.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Value used where the denominator is zero.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> from mlkit.metrics import f1_score
    >>> y_true = [[1, 0, 1], [0, 1, 0]]
    >>> y_pred = [[1, 1, 0], [0, 1, 0]]
    >>> round(f1_score(y_true, y_pred), 4)
    0.6667
    >>> round(f1_score(y_true, y_pred, average="macro"), 4)
    0.5556
    """
    return _setwise_metric(_skm.f1_score, "f1_score", y_true, y_pred, average, sample_weight,
                           zero_division)


def jaccard_score(
    y_true: ArrayLike | sp.spmatrix,
    y_pred: ArrayLike | sp.spmatrix,
    *,
    average: str | None = "micro",
    sample_weight: ArrayLike | None = None,
    zero_division: float = 0.0,
) -> float | NDArray[np.float64]:
    """Jaccard index (intersection over union) of multi-label decisions.

    A wrapper of :func:`sklearn.metrics.jaccard_score`. ``average="samples"``
    is the per-row |true ∩ pred| / |true ∪ pred| averaged over rows (often
    called multi-label accuracy); a row with no true and no predicted label
    scores ``zero_division``.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_pred : array-like or sparse matrix of shape (n_samples, n_labels)
        0/1 decisions.
    average : {"micro", "macro", "weighted", "samples"} or None, default="micro"
        How to average; None returns one value per label.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Value used where the union is empty.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> from mlkit.metrics import jaccard_score
    >>> jaccard_score([[1, 0, 1], [0, 1, 0]], [[1, 1, 0], [0, 1, 0]], average="samples")
    0.6666666666666666
    """
    return _setwise_metric(_skm.jaccard_score, "jaccard_score", y_true, y_pred, average, sample_weight,
                           zero_division)


def hamming_loss(y_true: ArrayLike | sp.spmatrix, y_pred: ArrayLike | sp.spmatrix, *,
                 sample_weight: ArrayLike | None = None) -> float:
    """Fraction of (row, label) decisions that are wrong (lower is better).

    Wraps :func:`sklearn.metrics.hamming_loss`.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_pred : array-like or sparse matrix of shape (n_samples, n_labels)
        0/1 decisions.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    loss : float

    Examples
    --------
    >>> from mlkit.metrics import hamming_loss
    >>> hamming_loss([[1, 0, 1], [0, 1, 0]], [[1, 1, 0], [0, 1, 0]])
    0.3333333333333333
    """
    Y, P = check_pred_pair(y_true, y_pred)
    return float(_skm.hamming_loss(Y, P, sample_weight=sample_weight))


def subset_accuracy(y_true: ArrayLike | sp.spmatrix, y_pred: ArrayLike | sp.spmatrix, *,
                    sample_weight: ArrayLike | None = None) -> float:
    """Fraction of rows whose predicted label set is exactly right.

    The same as :func:`sklearn.metrics.accuracy_score` (and the ``"accuracy"``
    scorer) on multi-label data; the name says what it measures.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_pred : array-like or sparse matrix of shape (n_samples, n_labels)
        0/1 decisions.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from mlkit.metrics import subset_accuracy
    >>> subset_accuracy([[1, 0, 1], [0, 1, 0]], [[1, 1, 0], [0, 1, 0]])
    0.5
    """
    Y, P = check_pred_pair(y_true, y_pred)
    return float(_skm.accuracy_score(Y, P, sample_weight=sample_weight))
