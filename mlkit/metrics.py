"""Multi-label metrics, a per-label report and scorers usable by name.

This is the one metrics module of mlkit: estimators, threshold tuning, the
CLI, the reports and the benchmarks all use it.

* **Threshold metrics** compare 0/1 decisions ``y_pred`` with ``y_true``:
  :func:`precision_score`, :func:`recall_score`, :func:`f1_score`,
  :func:`jaccard_score`, :func:`hamming_loss`, :func:`subset_accuracy`. They are
  thin wrappers of scikit-learn's functions with multi-label defaults
  (``average="micro"``, ``zero_division=0``: a label or row with nothing to
  divide by scores 0 and never warns).
* **Ranking metrics** compare scores ``y_score`` (probabilities or decision
  values) with ``y_true``: :func:`label_ranking_average_precision`,
  :func:`coverage_error`, :func:`label_ranking_loss` (scikit-learn's),
  :func:`average_precision_score` and :func:`roc_auc_score` (scikit-learn's,
  skipping labels where they are undefined), and :func:`precision_at_k`,
  :func:`recall_at_k`, :func:`ndcg_at_k` (written here).
* **Summaries**: :func:`evaluate` (dict of headline metrics),
  :func:`format_metrics` (text table), :func:`per_label_report`
  (:class:`LabelReport`), :func:`label_cardinality`, :func:`label_density`.
* **Scorers** for ``GridSearchCV(scoring=...)`` / ``cross_validate``:
  :func:`get_scorer`, :func:`get_scorer_names`, :func:`make_scorers`,
  :func:`make_combined_scorer` and the opt-in :func:`register_scorers`.

Input conventions, shared by every function:

* ``y_true``: any mlkit label form (0/1 array, scipy sparse matrix, DataFrame
  of 0/1 columns, list of label-name collections); see
  :func:`mlkit._labels.check_label_matrix`.
* ``y_pred``: a dense or sparse 0/1 matrix of shape ``(n_samples, n_labels)``.
* ``y_score``: a dense or sparse float matrix of the same shape (sparse
  scores, as scikit-multilearn returns, are made dense). NaN is rejected.
* Ties in ``y_score`` are broken by column order: among equal scores the label
  with the smaller column index ranks first.
"""

import difflib
import math
import numbers
import re
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn import metrics as _skm
from sklearn.exceptions import UndefinedMetricWarning

from mlkit import _compat
from mlkit._labels import check_label_matrix
from mlkit._outputs import dense_label_scores

__all__ = [
    # threshold metrics
    "precision_score",
    "recall_score",
    "f1_score",
    "jaccard_score",
    "hamming_loss",
    "subset_accuracy",
    # ranking metrics
    "label_ranking_average_precision",
    "coverage_error",
    "label_ranking_loss",
    "average_precision_score",
    "precision_recall_curve_per_label",
    "roc_auc_score",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    # label statistics
    "label_cardinality",
    "label_density",
    # summaries
    "evaluate",
    "format_metrics",
    "per_label_report",
    "LabelReport",
    "get_metric",
    # scorers
    "MultilabelScorer",
    "get_scorer",
    "get_scorer_names",
    "make_scorers",
    "make_combined_scorer",
    "register_scorers",
]

_THRESHOLD_AVERAGES = ("micro", "macro", "weighted", "samples", None)
_RANKING_AVERAGES = ("macro", "micro", "weighted", None)


# --------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------


def _check_y_true(y_true, *, accept_sparse=True, label_names=None):
    """Validate ``y_true`` with :func:`check_label_matrix`, naming the argument in errors."""
    try:
        Y, _ = check_label_matrix(y_true, accept_sparse=accept_sparse, label_names=label_names)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"Invalid y_true: {exc}") from exc
    return Y


def _as_2d_numeric(y, what, expected):
    """Dense or CSR numeric 2-D array from ``y``; raise errors that name ``what``."""
    if hasattr(y, "columns") and hasattr(y, "to_numpy"):  # DataFrame
        y = y.to_numpy()
    if sp.issparse(y):
        y = sp.csr_matrix(y)
        values = y.data
    else:
        if isinstance(y, list) and y and all(isinstance(row, np.ndarray) for row in y):
            if all(row.ndim == 2 for row in y):
                raise TypeError(
                    f"{what} is a list of {len(y)} 2-D arrays (one per label, as some "
                    f"scikit-learn classifiers' predict_proba returns); expected {expected}. "
                    "Stack the positive-class columns: np.column_stack([p[:, 1] for p in proba])."
                )
        try:
            y = np.asarray(y)
        except ValueError:
            raise ValueError(
                f"{what} could not be made into a 2-D array (rows of different lengths); "
                f"expected {expected}."
            ) from None
        values = y
    if values.dtype.kind in "USO":
        if values.dtype.kind == "O":
            try:
                values = values.astype(np.float64)
                y = values
            except (TypeError, ValueError):
                values = None
        if values is None or values.dtype.kind in "US":
            raise TypeError(
                f"{what} holds non-numeric values (such as label names); expected {expected}. "
                "To compare label-name lists, convert them with "
                "mlkit.labels_to_indicator(labels, label_names=...) using the same label_names "
                "as y_true."
            )
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{what} has dtype {values.dtype}; expected {expected}.")
    if y.ndim == 1:
        raise ValueError(
            f"{what} is 1-D with {y.shape[0]} values; expected {expected}. For a single label "
            f"use {what}.reshape(-1, 1)."
        )
    if y.ndim != 2:
        raise ValueError(f"{what} has {y.ndim} dimensions; expected {expected}.")
    return y


def _check_y_pred(y_pred):
    """Validate 0/1 decisions; return an int64 ndarray or CSR matrix."""
    expected = "a 0/1 matrix of shape (n_samples, n_labels)"
    if y_pred is None:
        raise ValueError(f"y_pred is None; expected {expected}, such as estimator.predict(X).")
    y = _as_2d_numeric(y_pred, "y_pred", expected)
    values = y.data if sp.issparse(y) else y
    if values.dtype != bool:
        if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
            raise ValueError("y_pred contains NaN or infinity; expected " + expected + ".")
        bad = values[(values != 0) & (values != 1)]
        if bad.size:
            shown = ", ".join(f"{v:g}" for v in np.unique(bad)[:5])
            raise ValueError(
                f"y_pred contains values other than 0 and 1 (found {shown}); expected "
                f"{expected}. To evaluate probabilities or decision values pass them as "
                "y_score, or turn them into decisions first, e.g. (proba >= 0.5).astype(int)."
            )
    y = y.astype(np.int64)
    if sp.issparse(y):
        y.eliminate_zeros()
    return y


def _check_y_score(y_score):
    """Validate scores; return a dense float64 ndarray (sparse input is made dense)."""
    expected = "a float matrix of shape (n_samples, n_labels), such as predict_proba(X)"
    if y_score is None:
        raise ValueError(f"y_score is None; expected {expected}.")
    y = _as_2d_numeric(y_score, "y_score", expected)
    if sp.issparse(y):
        y = y.toarray()
    y = np.asarray(y, dtype=np.float64)
    if np.isnan(y).any():
        rows = np.flatnonzero(np.isnan(y).any(axis=1))
        raise ValueError(
            f"y_score contains NaN (in {rows.size} row(s), first row {rows[0]}); scores must be "
            "numbers. Check the model's output for those rows."
        )
    return y


def _check_same_shape(Y, other, what):
    if Y.shape[0] != other.shape[0]:
        raise ValueError(
            f"y_true has {Y.shape[0]} rows but {what} has {other.shape[0]}; pass one row of "
            f"{what} per row of y_true, in the same order."
        )
    if Y.shape[1] != other.shape[1]:
        raise ValueError(
            f"y_true has {Y.shape[1]} label columns but {what} has {other.shape[1]}; {what} needs "
            "one column per label, in the same order as y_true (the estimator's classes_). If "
            "y_true is a list of label names, convert it with "
            "mlkit.labels_to_indicator(y_true, label_names=estimator.classes_)."
        )


def _check_pred_pair(y_true, y_pred):
    Y = _check_y_true(y_true)
    P = _check_y_pred(y_pred)
    _check_same_shape(Y, P, "y_pred")
    return Y, P


def _check_score_pair(y_true, y_score):
    Y = _check_y_true(y_true, accept_sparse=False)
    S = _check_y_score(y_score)
    _check_same_shape(Y, S, "y_score")
    return Y, S


def _check_average(average, allowed, func):
    if average not in allowed:
        raise ValueError(
            f"{func} got average={average!r}; expected one of {list(allowed)!r} (None returns "
            "one value per label)."
        )


def _check_k(k, func="k"):
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"{func} expects k to be a positive integer; got k={k!r}.")
    return int(k)


def _check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has shape {w.shape} but y_true has {n_samples} rows; pass one "
            "weight per row."
        )
    return w


def _float_or_array(value):
    if np.ndim(value) == 0:
        return float(value)
    return np.asarray(value, dtype=np.float64)


# --------------------------------------------------------------------------
# threshold metrics (scikit-learn's, with multi-label defaults)
# --------------------------------------------------------------------------


def precision_score(y_true, y_pred, *, average="micro", sample_weight=None, zero_division=0.0):
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
    _check_average(average, _THRESHOLD_AVERAGES, "precision_score")
    Y, P = _check_pred_pair(y_true, y_pred)
    return _float_or_array(
        _skm.precision_score(
            Y, P, average=average, sample_weight=sample_weight, zero_division=zero_division
        )
    )


def recall_score(y_true, y_pred, *, average="micro", sample_weight=None, zero_division=0.0):
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
    _check_average(average, _THRESHOLD_AVERAGES, "recall_score")
    Y, P = _check_pred_pair(y_true, y_pred)
    return _float_or_array(
        _skm.recall_score(
            Y, P, average=average, sample_weight=sample_weight, zero_division=zero_division
        )
    )


def f1_score(y_true, y_pred, *, average="micro", sample_weight=None, zero_division=0.0):
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
    _check_average(average, _THRESHOLD_AVERAGES, "f1_score")
    Y, P = _check_pred_pair(y_true, y_pred)
    return _float_or_array(
        _skm.f1_score(
            Y, P, average=average, sample_weight=sample_weight, zero_division=zero_division
        )
    )


def jaccard_score(y_true, y_pred, *, average="micro", sample_weight=None, zero_division=0.0):
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
    _check_average(average, _THRESHOLD_AVERAGES, "jaccard_score")
    Y, P = _check_pred_pair(y_true, y_pred)
    return _float_or_array(
        _skm.jaccard_score(
            Y, P, average=average, sample_weight=sample_weight, zero_division=zero_division
        )
    )


def hamming_loss(y_true, y_pred, *, sample_weight=None):
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
    Y, P = _check_pred_pair(y_true, y_pred)
    return float(_skm.hamming_loss(Y, P, sample_weight=sample_weight))


def subset_accuracy(y_true, y_pred, *, sample_weight=None):
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
    Y, P = _check_pred_pair(y_true, y_pred)
    return float(_skm.accuracy_score(Y, P, sample_weight=sample_weight))


# --------------------------------------------------------------------------
# ranking metrics from scikit-learn
# --------------------------------------------------------------------------


def label_ranking_average_precision(y_true, y_score, *, sample_weight=None):
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
    Y, S = _check_score_pair(y_true, y_score)
    return float(_skm.label_ranking_average_precision_score(Y, S, sample_weight=sample_weight))


def coverage_error(y_true, y_score, *, sample_weight=None):
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
    Y, S = _check_score_pair(y_true, y_score)
    return float(_skm.coverage_error(Y, S, sample_weight=sample_weight))


def label_ranking_loss(y_true, y_score, *, sample_weight=None):
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
    Y, S = _check_score_pair(y_true, y_score)
    return float(_skm.label_ranking_loss(Y, S, sample_weight=sample_weight))


def _per_label_curve_metric(func, Y, S, sample_weight, need_negatives):
    """Apply a binary ranking metric per label; nan where it is undefined."""
    n_pos = Y.sum(axis=0)
    defined = n_pos > 0
    if need_negatives:
        defined &= n_pos < Y.shape[0]
    values = np.full(Y.shape[1], np.nan)
    for j in np.flatnonzero(defined):
        values[j] = func(Y[:, j], S[:, j], sample_weight=sample_weight)
    return values, defined


def _average_curve_metric(func, name, Y, S, average, sample_weight, need_negatives):
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
    values, defined = _per_label_curve_metric(func, Y, S, sample_weight, need_negatives)
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


def average_precision_score(y_true, y_score, *, average="macro", sample_weight=None):
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
    _check_average(average, _RANKING_AVERAGES, "average_precision_score")
    Y, S = _check_score_pair(y_true, y_score)
    w = _check_sample_weight(sample_weight, Y.shape[0])
    return _average_curve_metric(
        _skm.average_precision_score, "average precision", Y, S, average, w, False
    )


def precision_recall_curve_per_label(y_true, y_score, *, labels=None):
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
    Y, S = _check_score_pair(y_true, y_score)
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


def roc_auc_score(y_true, y_score, *, average="macro", sample_weight=None):
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
    _check_average(average, _RANKING_AVERAGES, "roc_auc_score")
    Y, S = _check_score_pair(y_true, y_score)
    w = _check_sample_weight(sample_weight, Y.shape[0])
    return _average_curve_metric(_skm.roc_auc_score, "ROC-AUC", Y, S, average, w, True)


# --------------------------------------------------------------------------
# ranking metrics at k (written here)
# --------------------------------------------------------------------------

_CHUNK_CELLS = 1 << 22  # rows are ranked in chunks of about this many (row, label) cells


def _top_k_hits(Y, S, k):
    """0/1 relevance of the top-``k`` labels of each row, in rank order.

    Labels are sorted by decreasing score; equal scores keep column order (a
    stable sort), so ties are broken deterministically in favour of the smaller
    column index. ``k`` is clipped to the number of labels.
    """
    n, n_labels = Y.shape
    k = min(k, n_labels)
    hits = np.empty((n, k), dtype=np.int8)
    step = max(1, _CHUNK_CELLS // n_labels)
    for start in range(0, n, step):
        stop = min(n, start + step)
        order = np.argsort(-S[start:stop], axis=1, kind="stable")[:, :k]
        hits[start:stop] = np.take_along_axis(Y[start:stop], order, axis=1)
    return hits


def _at_k_from_hits(kind, hits, n_pos, k):
    """Per-row precision / recall / nDCG at ``k`` for rows with ``n_pos > 0``."""
    k_eff = min(k, hits.shape[1])
    h = hits[:, :k_eff]
    if kind == "precision":
        return h.sum(axis=1) / k_eff
    if kind == "recall":
        return h.sum(axis=1) / n_pos
    discount = 1.0 / np.log2(np.arange(2, k_eff + 2))
    dcg = h @ discount
    ideal = np.cumsum(discount)[np.minimum(n_pos, k_eff) - 1]
    return dcg / ideal


def _mean_over_rows_with_positives(kind, per_row, n_pos, sample_weight, k):
    keep = n_pos > 0
    if not keep.any():
        warnings.warn(
            f"{kind}@{k} is undefined: no row of y_true has a positive label; returning nan.",
            UndefinedMetricWarning,
            stacklevel=4,
        )
        return float("nan")
    w = None if sample_weight is None else sample_weight[keep]
    if w is not None and w.sum() == 0:
        return float("nan")
    return float(np.average(per_row, weights=w))


def _at_k(kind, y_true, y_score, k, sample_weight, func):
    k = _check_k(k, func)
    Y, S = _check_score_pair(y_true, y_score)
    w = _check_sample_weight(sample_weight, Y.shape[0])
    n_pos = Y.sum(axis=1)
    keep = n_pos > 0
    hits = _top_k_hits(Y[keep], S[keep], k)
    per_row = _at_k_from_hits(kind, hits, n_pos[keep], k)
    return _mean_over_rows_with_positives(kind, per_row, n_pos, w, k)


def precision_at_k(y_true, y_score, k=1, *, sample_weight=None):
    """Precision at k: the fraction of each row's k top-scored labels that are true.

    Conventions (shared by :func:`recall_at_k` and :func:`ndcg_at_k`):

    * labels are ranked by decreasing score; ties are broken by column order
      (the smaller column index ranks first), so results are deterministic;
    * ``k`` larger than the number of labels is clipped to it (the ranking has
      only ``n_labels`` entries), so precision@k divides by ``min(k, n_labels)``;
    * rows with no true label have nothing to retrieve and are left out of the
      average; if no row has a true label the result is nan with an
      :class:`~sklearn.exceptions.UndefinedMetricWarning`.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    k : int, default=1
        Number of top-ranked labels to look at.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from mlkit.metrics import precision_at_k
    >>> y_true = [[1, 0, 1, 0], [0, 1, 0, 0]]
    >>> y_score = [[0.9, 0.8, 0.1, 0.0], [0.5, 0.5, 0.2, 0.1]]
    >>> precision_at_k(y_true, y_score, k=2)  # row 0: 1/2; row 1: 1/2
    0.5
    >>> precision_at_k(y_true, y_score, k=1)  # row 1: tie, label 0 ranks first
    0.5
    """
    return _at_k("precision", y_true, y_score, k, sample_weight, "precision_at_k")


def recall_at_k(y_true, y_score, k=1, *, sample_weight=None):
    """Recall at k: the fraction of each row's true labels found in its top k.

    Same conventions as :func:`precision_at_k` (ties by column order, ``k``
    clipped to ``n_labels``, rows with no true label left out).

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    k : int, default=1
        Number of top-ranked labels to look at.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from mlkit.metrics import recall_at_k
    >>> y_true = [[1, 0, 1, 0], [0, 1, 0, 0]]
    >>> y_score = [[0.9, 0.8, 0.1, 0.0], [0.5, 0.5, 0.2, 0.1]]
    >>> recall_at_k(y_true, y_score, k=2)  # row 0: 1/2; row 1: 1/1
    0.75
    """
    return _at_k("recall", y_true, y_score, k, sample_weight, "recall_at_k")


def ndcg_at_k(y_true, y_score, k=1, *, sample_weight=None):
    """Normalized discounted cumulative gain at k, with binary relevance.

    ``DCG@k = sum_{r=1..k} rel_r / log2(r + 1)`` over the k top-ranked labels,
    divided by the DCG of a perfect ranking (``min(k, n_true)`` true labels
    first). Same conventions as :func:`precision_at_k`; because ties are broken
    by column order it matches ``sklearn.metrics.ndcg_score(..., k=k)`` only
    when scores have no ties (scikit-learn averages over tied orderings).

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    k : int, default=1
        Number of top-ranked labels to look at.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from mlkit.metrics import ndcg_at_k
    >>> y_true = [[1, 0, 1, 0]]
    >>> y_score = [[0.9, 0.8, 0.1, 0.0]]
    >>> round(ndcg_at_k(y_true, y_score, k=2), 4)  # 1 / (1 + 1/log2(3))
    0.6131
    """
    return _at_k("ndcg", y_true, y_score, k, sample_weight, "ndcg_at_k")


# --------------------------------------------------------------------------
# label statistics
# --------------------------------------------------------------------------


def label_cardinality(Y):
    """Mean number of labels per row.

    Parameters
    ----------
    Y : array-like, sparse matrix, DataFrame or list of label collections
        Labels, any mlkit label form.

    Returns
    -------
    cardinality : float

    Examples
    --------
    >>> from mlkit.metrics import label_cardinality
    >>> label_cardinality([["crude", "ship"], ["earn"], []])
    1.0
    """
    Y = _check_y_true(Y)
    return float(Y.sum() / Y.shape[0])


def label_density(Y):
    """Label cardinality divided by the number of labels.

    Parameters
    ----------
    Y : array-like, sparse matrix, DataFrame or list of label collections
        Labels, any mlkit label form.

    Returns
    -------
    density : float
        The fraction of (row, label) cells that are 1.

    Examples
    --------
    >>> from mlkit.metrics import label_density
    >>> label_density([[1, 0, 1, 0], [0, 1, 0, 0]])
    0.375
    """
    Y = _check_y_true(Y)
    return float(Y.sum() / (Y.shape[0] * Y.shape[1]))


# --------------------------------------------------------------------------
# evaluate and format
# --------------------------------------------------------------------------


def _check_ks(k):
    if isinstance(k, numbers.Integral) and not isinstance(k, bool):
        k = (k,)
    try:
        ks = tuple(k)
    except TypeError:
        raise ValueError(
            f"evaluate expects k to be a positive integer or a sequence of them; got k={k!r}."
        ) from None
    return tuple(dict.fromkeys(_check_k(v, "evaluate") for v in ks))


def evaluate(y_true, y_pred=None, y_score=None, *, k=(1, 3, 5), label_names=None):
    """Headline multi-label metrics in one dict.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_pred : array-like or sparse matrix of shape (n_samples, n_labels), default=None
        0/1 decisions. Gives the threshold metrics.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels), default=None
        Scores or probabilities. Gives the ranking metrics. At least one of
        ``y_pred`` and ``y_score`` is required.
    k : int or sequence of int, default=(1, 3, 5)
        Cut-offs for precision@k, recall@k and nDCG@k.
    label_names : sequence of str, default=None
        Column order, needed when ``y_true`` is a list of label-name
        collections (pass the estimator's ``classes_``).

    Returns
    -------
    metrics : dict of str to float
        In this order, with ``y_pred``: ``f1_micro``, ``f1_macro``,
        ``precision_micro``, ``precision_macro``, ``recall_micro``,
        ``recall_macro``, ``hamming_loss``, ``subset_accuracy``,
        ``jaccard_samples``; with ``y_score``: ``lrap``, ``coverage_error``,
        ``label_ranking_loss``, ``average_precision_macro``,
        ``roc_auc_macro``, then ``precision_at_{k}``, ``recall_at_{k}``,
        ``ndcg_at_{k}`` for each k. The names are those of
        :func:`get_metric`; losses keep their sign (lower is better).

    See Also
    --------
    format_metrics : Print the result as a table.
    per_label_report : The same figures per label.

    Examples
    --------
    >>> from mlkit.metrics import evaluate
    >>> y_true = [[1, 0, 1], [0, 1, 0], [1, 0, 0]]
    >>> y_pred = [[1, 0, 0], [0, 1, 0], [1, 0, 0]]
    >>> y_score = [[0.9, 0.1, 0.4], [0.2, 0.8, 0.1], [0.7, 0.3, 0.2]]
    >>> m = evaluate(y_true, y_pred, y_score, k=(1, 2))
    >>> round(m["f1_micro"], 4), m["subset_accuracy"], m["precision_at_1"]
    (0.8571, 0.6666666666666666, 1.0)
    """
    if y_pred is None and y_score is None:
        raise ValueError(
            "evaluate needs y_pred (0/1 decisions), y_score (scores) or both; got neither."
        )
    ks = _check_ks(k)
    Y = _check_y_true(y_true, label_names=label_names)
    out = {}
    if y_pred is not None:
        P = _check_y_pred(y_pred)
        _check_same_shape(Y, P, "y_pred")
        prf = {}
        for avg in ("micro", "macro"):
            p, r, f, _ = _skm.precision_recall_fscore_support(Y, P, average=avg, zero_division=0.0)
            prf[avg] = (float(p), float(r), float(f))
        out["f1_micro"] = prf["micro"][2]
        out["f1_macro"] = prf["macro"][2]
        out["precision_micro"] = prf["micro"][0]
        out["precision_macro"] = prf["macro"][0]
        out["recall_micro"] = prf["micro"][1]
        out["recall_macro"] = prf["macro"][1]
        out["hamming_loss"] = float(_skm.hamming_loss(Y, P))
        out["subset_accuracy"] = float(_skm.accuracy_score(Y, P))
        out["jaccard_samples"] = float(
            _skm.jaccard_score(Y, P, average="samples", zero_division=0.0)
        )
    if y_score is not None:
        Yd = Y.toarray() if sp.issparse(Y) else Y
        S = _check_y_score(y_score)
        _check_same_shape(Yd, S, "y_score")
        out["lrap"] = float(_skm.label_ranking_average_precision_score(Yd, S))
        out["coverage_error"] = float(_skm.coverage_error(Yd, S))
        out["label_ranking_loss"] = float(_skm.label_ranking_loss(Yd, S))
        out["average_precision_macro"] = _average_curve_metric(
            _skm.average_precision_score, "average precision", Yd, S, "macro", None, False
        )
        out["roc_auc_macro"] = _average_curve_metric(
            _skm.roc_auc_score, "ROC-AUC", Yd, S, "macro", None, True
        )
        n_pos = Yd.sum(axis=1)
        keep = n_pos > 0
        hits = _top_k_hits(Yd[keep], S[keep], max(ks))
        for kind in ("precision", "recall", "ndcg"):
            for kk in ks:
                per_row = _at_k_from_hits(kind, hits, n_pos[keep], kk)
                out[f"{kind}_at_{kk}"] = _mean_over_rows_with_positives(
                    kind, per_row, n_pos, None, kk
                )
    return out


def _fmt(value, digits):
    if value is None:
        return ""
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return "-"
    return f"{value:.{digits}f}"


def format_metrics(metrics, *, digits=4):
    """Format metrics as an aligned text table.

    Parameters
    ----------
    metrics : dict of str to float, or dict of str to dict
        The output of :func:`evaluate` (one column), or several of them keyed
        by a model name (one column per model, rows in first-seen order).
    digits : int, default=4
        Decimals to show. nan shows as ``-``.

    Returns
    -------
    table : str

    Examples
    --------
    >>> from mlkit.metrics import format_metrics
    >>> print(format_metrics({"f1_micro": 0.51234, "hamming_loss": 0.0371}))
    metric         value
    f1_micro      0.5123
    hamming_loss  0.0371
    >>> print(format_metrics({"tfidf": {"f1_micro": 0.5}, "bert": {"f1_micro": 0.6}}, digits=2))
    metric    tfidf  bert
    f1_micro   0.50  0.60
    """
    if not isinstance(metrics, dict):
        raise TypeError(
            f"format_metrics expects a dict such as evaluate() returns; got "
            f"{type(metrics).__name__}."
        )
    if metrics and all(isinstance(v, dict) for v in metrics.values()):
        columns = {str(name): values for name, values in metrics.items()}
    else:
        columns = {"value": metrics}
    rows = list(dict.fromkeys(key for values in columns.values() for key in values))
    header = ["metric", *columns]
    body = [[str(r), *(_fmt(col.get(r), digits) for col in columns.values())] for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = []
    for line in [header, *body]:
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(w) for cell, w in zip(line[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# --------------------------------------------------------------------------
# per-label report
# --------------------------------------------------------------------------


class LabelReport:
    """Per-label support, precision, recall and F1, with micro and macro rows.

    Made by :func:`per_label_report`; do not build it directly.

    Attributes
    ----------
    label_names : ndarray of object of shape (n_labels,)
        Label names (``"0"``, ``"1"``, ... when none were given).
    support : ndarray of int of shape (n_labels,)
        Number of true positives in ``y_true`` per label.
    n_predicted : ndarray of int of shape (n_labels,)
        Number of predicted positives per label.
    precision, recall, f1 : ndarray of float of shape (n_labels,)
        Per-label scores; 0 where undefined (``zero_division=0``).
    threshold : ndarray of float of shape (n_labels,) or None
        The decision threshold of each label, when given.
    average_precision : ndarray of float of shape (n_labels,) or None
        Per-label average precision when ``y_score`` was given; nan for a
        label with no positive.
    summary : dict of str to dict
        ``"micro avg"`` and ``"macro avg"`` rows, with the same keys as a
        label's row (``threshold`` is None).
    """

    _COLUMNS = ("support", "n_predicted", "precision", "recall", "f1")

    def __init__(
        self, label_names, support, n_predicted, precision, recall, f1, threshold, ap, summary
    ):
        self.label_names = label_names
        self.support = support
        self.n_predicted = n_predicted
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.threshold = threshold
        self.average_precision = ap
        self.summary = summary

    @property
    def columns(self):
        """Names of the report's columns, in display order."""
        cols = list(self._COLUMNS)
        if self.threshold is not None:
            cols.append("threshold")
        if self.average_precision is not None:
            cols.append("average_precision")
        return cols

    def _label_row(self, j):
        row = {
            "support": int(self.support[j]),
            "n_predicted": int(self.n_predicted[j]),
            "precision": float(self.precision[j]),
            "recall": float(self.recall[j]),
            "f1": float(self.f1[j]),
        }
        if self.threshold is not None:
            row["threshold"] = float(self.threshold[j])
        if self.average_precision is not None:
            row["average_precision"] = float(self.average_precision[j])
        return row

    def __len__(self):
        return len(self.label_names)

    def to_dict(self):
        """Plain dict: one entry per label name, then ``"micro avg"`` and ``"macro avg"``.

        Returns
        -------
        report : dict of str to dict of str to (int, float or None)
            Python ints and floats only, ready for ``json.dumps``.
        """
        out = {str(name): self._label_row(j) for j, name in enumerate(self.label_names)}
        for key, row in self.summary.items():
            out[key] = dict(row)
        return out

    def to_frame(self):
        """The report as a pandas DataFrame indexed by label (summary rows last).

        Returns
        -------
        frame : pandas.DataFrame

        Raises
        ------
        ImportError
            If pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "LabelReport.to_frame requires pandas, which is not installed. Install it with "
                '`pip install pandas` (or `pip install "mlkit[pandas]"`), or use to_dict().'
            ) from exc
        frame = pd.DataFrame.from_dict(self.to_dict(), orient="index")
        frame = frame[self.columns]
        frame.index.name = "label"
        return frame

    def to_string(self, *, digits=3, sort_by=None):
        """Aligned text table.

        Parameters
        ----------
        digits : int, default=3
            Decimals for the scores.
        sort_by : str, default=None
            A column name (e.g. ``"f1"`` or ``"support"``) to sort labels by,
            ascending (worst first for scores); None keeps column order.

        Returns
        -------
        table : str
        """
        order = np.arange(len(self))
        if sort_by is not None:
            if sort_by not in self.columns:
                raise ValueError(
                    f"sort_by={sort_by!r} is not a column of this report; choose one of "
                    f"{self.columns!r}."
                )
            values = np.array([self._label_row(j)[sort_by] for j in order], dtype=float)
            order = np.argsort(values, kind="stable")
        cols = self.columns
        header = ["label", *cols]
        body = []
        for j in order:
            row = self._label_row(j)
            body.append([str(self.label_names[j]), *(_fmt(row[c], digits) for c in cols)])
        summary = [
            [key, *(_fmt(row.get(c), digits) for c in cols)] for key, row in self.summary.items()
        ]
        widths = [
            max(len(line[i]) for line in [header, *body, *summary]) for i in range(len(header))
        ]

        def fmt(line):
            cells = [line[0].ljust(widths[0])]
            cells += [cell.rjust(w) for cell, w in zip(line[1:], widths[1:], strict=True)]
            return "  ".join(cells).rstrip()

        return "\n".join([fmt(header), *map(fmt, body), "", *map(fmt, summary)])

    def __str__(self):
        return self.to_string()

    def __repr__(self):
        micro = self.summary["micro avg"]
        macro = self.summary["macro avg"]
        return (
            f"<LabelReport: {len(self)} labels, micro F1={micro['f1']:.3f}, "
            f"macro F1={macro['f1']:.3f}>"
        )


def per_label_report(y_true, y_pred, *, label_names=None, thresholds=None, y_score=None):
    """Per-label support, precision, recall, F1 (and average precision).

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels. A DataFrame's column names (or label lists' names) are
        used as label names unless ``label_names`` is given.
    y_pred : array-like or sparse matrix of shape (n_samples, n_labels)
        0/1 decisions.
    label_names : sequence of str, default=None
        One name per label column (e.g. the estimator's ``classes_``).
    thresholds : float or array-like of shape (n_labels,), default=None
        The decision threshold used for each label (e.g. a ``ThresholdTuner``'s
        ``thresholds_``); shown in the report, not applied.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels), default=None
        Scores; adds an ``average_precision`` column (nan for labels with no
        positive, skipped in the macro row).

    Returns
    -------
    report : LabelReport
        ``str(report)`` is an aligned table; ``report.to_frame()`` a pandas
        DataFrame; ``report.to_dict()`` a plain dict.

    Examples
    --------
    >>> from mlkit.metrics import per_label_report
    >>> y_true = [[1, 0, 1], [0, 1, 0], [1, 0, 0]]
    >>> y_pred = [[1, 0, 0], [0, 1, 0], [1, 1, 0]]
    >>> report = per_label_report(y_true, y_pred, label_names=["joy", "anger", "fear"])
    >>> print(report)
    label      support  n_predicted  precision  recall     f1
    joy              2            2      1.000   1.000  1.000
    anger            1            2      0.500   1.000  0.667
    fear             1            0      0.000   0.000  0.000
    <BLANKLINE>
    micro avg        4            4      0.750   0.750  0.750
    macro avg        4            4      0.500   0.667  0.556
    >>> report.to_dict()["anger"]["precision"]
    0.5
    """
    try:
        Y, names = check_label_matrix(y_true, label_names=label_names)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"Invalid y_true: {exc}") from exc
    P = _check_y_pred(y_pred)
    _check_same_shape(Y, P, "y_pred")
    n_labels = Y.shape[1]
    if names is None:
        names = np.asarray([str(j) for j in range(n_labels)], dtype=object)
    p, r, f, support = _skm.precision_recall_fscore_support(Y, P, average=None, zero_division=0.0)
    n_pred = np.asarray(P.sum(axis=0)).ravel().astype(np.int64)
    support = np.asarray(support, dtype=np.int64)
    mp, mr, mf, _ = _skm.precision_recall_fscore_support(Y, P, average="micro", zero_division=0.0)
    total, total_pred = int(support.sum()), int(n_pred.sum())
    summary = {
        "micro avg": {
            "support": total,
            "n_predicted": total_pred,
            "precision": float(mp),
            "recall": float(mr),
            "f1": float(mf),
        },
        "macro avg": {
            "support": total,
            "n_predicted": total_pred,
            "precision": float(np.mean(p)),
            "recall": float(np.mean(r)),
            "f1": float(np.mean(f)),
        },
    }
    thr = None
    if thresholds is not None:
        thr = np.asarray(thresholds, dtype=np.float64)
        if thr.ndim == 0:
            thr = np.full(n_labels, float(thr))
        if thr.shape != (n_labels,):
            raise ValueError(
                f"thresholds has shape {thr.shape} but y_true has {n_labels} label columns; "
                "give one threshold per label, or a single number."
            )
        for row in summary.values():
            row["threshold"] = None
    ap = None
    if y_score is not None:
        Yd = Y.toarray() if sp.issparse(Y) else Y
        S = _check_y_score(y_score)
        _check_same_shape(Yd, S, "y_score")
        ap, defined = _per_label_curve_metric(_skm.average_precision_score, Yd, S, None, False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            summary["micro avg"]["average_precision"] = _average_curve_metric(
                _skm.average_precision_score, "average precision", Yd, S, "micro", None, False
            )
        summary["macro avg"]["average_precision"] = (
            float(np.mean(ap[defined])) if defined.any() else float("nan")
        )
    return LabelReport(names, support, n_pred, p, r, f, thr, ap, summary)


# --------------------------------------------------------------------------
# metrics and scorers by name
# --------------------------------------------------------------------------


def _estimator_scores(estimator, X):
    """Dense (n_samples, n_labels) scores from predict_proba or decision_function."""
    for method in ("predict_proba", "decision_function"):
        if hasattr(estimator, method):
            out = getattr(estimator, method)(X)
            break
    else:
        raise TypeError(
            f"{type(estimator).__name__} has neither predict_proba nor decision_function, so "
            "ranking metrics cannot score it. Use a threshold metric such as 'f1_micro', or an "
            "estimator that outputs scores."
        )
    return dense_label_scores(out, estimator)


def _estimator_decisions(estimator, X):
    out = estimator.predict(X)
    if sp.issparse(out):
        out = out.toarray()
    return out


class MultilabelScorer:
    """A scorer ``scorer(estimator, X, y_true)`` for a multi-label metric.

    Scorers are what :func:`get_scorer` and :func:`make_scorers` return and
    what ``register_scorers`` adds to scikit-learn. Unlike a
    ``sklearn.metrics.make_scorer`` scorer, they densify sparse ``predict`` /
    ``predict_proba`` output (scikit-multilearn), accept per-label lists of
    ``predict_proba`` arrays, and never mistake a 2-label problem for a binary
    one.

    Parameters
    ----------
    name : str
        Scorer name, e.g. ``"precision_at_3"``.
    metric : callable
        ``metric(y_true, y_out, sample_weight=None, **kwargs)``.
    response : {"predict", "scores"}
        ``"predict"`` calls ``estimator.predict``; ``"scores"`` calls
        ``predict_proba``, or ``decision_function`` when there is no
        ``predict_proba``.
    greater_is_better : bool, default=True
        When False the scorer returns minus the metric (scikit-learn
        convention: ``neg_...`` names).
    kwargs : dict, default=None
        Extra keyword arguments for ``metric``.
    """

    def __init__(self, name, metric, *, response, greater_is_better=True, kwargs=None):
        self.name = name
        self.metric = metric
        self.response = response
        self.greater_is_better = greater_is_better
        self.kwargs = dict(kwargs or {})

    def _response(self, estimator, X, cache):
        if cache is not None and self.response in cache:
            return cache[self.response]
        if self.response == "predict":
            out = _estimator_decisions(estimator, X)
        else:
            out = _estimator_scores(estimator, X)
        if cache is not None:
            cache[self.response] = out
        return out

    def _score(self, estimator, X, y_true, sample_weight=None, cache=None):
        y_out = self._response(estimator, X, cache)
        kwargs = dict(self.kwargs)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        value = self.metric(y_true, y_out, **kwargs)
        return float(value) if self.greater_is_better else -float(value)

    def __call__(self, estimator, X, y_true, sample_weight=None):
        """Score ``estimator`` on ``X`` against ``y_true``.

        Parameters
        ----------
        estimator : estimator
            Fitted multi-label estimator.
        X : array-like
            Input data.
        y_true : array-like, sparse matrix, DataFrame or list of label collections
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            Higher is better.
        """
        return self._score(estimator, X, y_true, sample_weight)

    def __repr__(self):
        return f"mlkit.metrics.get_scorer({self.name!r})"


class _CombinedScorer:
    """Callable returning a dict of scores; each response method is called once."""

    def __init__(self, scorers):
        self.scorers = scorers

    def __call__(self, estimator, X, y_true, sample_weight=None):
        cache = {}
        return {
            name: scorer._score(estimator, X, y_true, sample_weight, cache)
            for name, scorer in self.scorers.items()
        }

    def __repr__(self):
        return f"mlkit.metrics.make_combined_scorer({list(self.scorers)!r})"


# name -> (function, response, greater_is_better, kwargs, metric name)
def _build_table():
    table = {}
    for func, base in (
        (f1_score, "f1"),
        (precision_score, "precision"),
        (recall_score, "recall"),
        (jaccard_score, "jaccard"),
    ):
        for avg in ("micro", "macro", "weighted", "samples"):
            name = f"{base}_{avg}"
            table[name] = (func, "predict", True, {"average": avg}, name)
    table["neg_hamming_loss"] = (hamming_loss, "predict", False, {}, "hamming_loss")
    table["subset_accuracy"] = (subset_accuracy, "predict", True, {}, "subset_accuracy")
    table["lrap"] = (label_ranking_average_precision, "scores", True, {}, "lrap")
    table["neg_coverage_error"] = (coverage_error, "scores", False, {}, "coverage_error")
    table["neg_label_ranking_loss"] = (
        label_ranking_loss,
        "scores",
        False,
        {},
        "label_ranking_loss",
    )
    for func, base in ((average_precision_score, "average_precision"), (roc_auc_score, "roc_auc")):
        for avg in ("macro", "micro", "weighted"):
            name = f"{base}_{avg}"
            table[name] = (func, "scores", True, {"average": avg}, name)
    return table


_TABLE = _build_table()
_AT_K = {"precision": precision_at_k, "recall": recall_at_k, "ndcg": ndcg_at_k}
_AT_K_RE = re.compile(r"^(precision|recall|ndcg)_at_([1-9][0-9]*)$")
_LISTED_KS = (1, 3, 5, 10)


def _lookup(name):
    """(function, response, greater_is_better, kwargs, metric name) for a scorer name."""
    if name in _TABLE:
        return _TABLE[name]
    match = _AT_K_RE.match(name)
    if match:
        kind, k = match.group(1), int(match.group(2))
        return (_AT_K[kind], "scores", True, {"k": k}, name)
    return None


def _unknown_name_error(name, what, names):
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    return ValueError(
        f"{name!r} is not a known {what}.{hint} Valid names: {', '.join(names)} "
        "(any k works in precision_at_<k>, recall_at_<k>, ndcg_at_<k>)."
    )


_METRIC_ALIASES = {
    "hamming_loss": "neg_hamming_loss",
    "coverage_error": "neg_coverage_error",
    "label_ranking_loss": "neg_label_ranking_loss",
}


def get_metric(name):
    """The metric function behind a name used by :func:`evaluate` and the scorers.

    Parameters
    ----------
    name : str
        A key of :func:`evaluate`'s result (``"f1_macro"``, ``"hamming_loss"``,
        ``"precision_at_3"`` ...). Scorer names with ``neg_`` are accepted too
        and give the loss itself (positive).

    Returns
    -------
    metric : callable
        ``metric(y_true, y, sample_weight=None)``, where ``y`` is 0/1
        decisions or scores; see its ``needs_scores`` and
        ``greater_is_better`` attributes.

    Examples
    --------
    >>> from mlkit.metrics import get_metric
    >>> metric = get_metric("f1_macro")
    >>> metric.needs_scores, metric.greater_is_better
    (False, True)
    >>> round(metric([[1, 0], [0, 1]], [[1, 0], [1, 1]]), 4)
    0.8333
    """
    if not isinstance(name, str):
        raise TypeError(f"get_metric expects a metric name (str); got {type(name).__name__}.")
    entry = _lookup(_METRIC_ALIASES.get(name, name))
    if entry is None:
        names = [_TABLE[n][4] for n in _TABLE] + [
            f"{kind}_at_{k}" for kind in _AT_K for k in _LISTED_KS
        ]
        raise _unknown_name_error(name, "metric name", names)
    func, response, greater, kwargs, metric_name = entry
    return _NamedMetric(metric_name, func, response == "scores", greater, kwargs)


class _NamedMetric:
    def __init__(self, name, func, needs_scores, greater_is_better, kwargs):
        self.name = name
        self.func = func
        self.needs_scores = needs_scores
        self.greater_is_better = greater_is_better
        self.kwargs = kwargs

    def __call__(self, y_true, y, sample_weight=None):
        return self.func(y_true, y, sample_weight=sample_weight, **self.kwargs)

    def __repr__(self):
        return f"mlkit.metrics.get_metric({self.name!r})"


def get_scorer_names():
    """Names accepted by :func:`get_scorer` (mlkit's multi-label scorers).

    ``precision_at_<k>``, ``recall_at_<k>`` and ``ndcg_at_<k>`` accept any
    positive k; k = 1, 3, 5, 10 are listed.

    Returns
    -------
    names : list of str
        Sorted.

    Examples
    --------
    >>> from mlkit.metrics import get_scorer_names
    >>> "precision_at_3" in get_scorer_names(), "lrap" in get_scorer_names()
    (True, True)
    """
    names = set(_TABLE) | {f"{kind}_at_{k}" for kind in _AT_K for k in _LISTED_KS}
    return sorted(names)


def get_scorer(scoring):
    """A scorer ``scorer(estimator, X, y)`` for a multi-label metric name.

    Parameters
    ----------
    scoring : str or callable
        One of :func:`get_scorer_names` (e.g. ``"f1_macro"``, ``"lrap"``,
        ``"precision_at_3"``, ``"neg_hamming_loss"``). Other names are looked
        up in scikit-learn (``"accuracy"``, ``"roc_auc"`` ...); a callable is
        returned unchanged.

    Returns
    -------
    scorer : MultilabelScorer or callable
        Higher is better (losses are negated, as in scikit-learn).
        Threshold metrics call ``predict``; ranking metrics call
        ``predict_proba`` (or ``decision_function``). Sparse outputs are
        made dense.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from mlkit.metrics import get_scorer
    >>> X, Y = make_multilabel_classification(n_samples=60, random_state=0)
    >>> clf = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    >>> scorer = get_scorer("precision_at_1")
    >>> 0.0 <= scorer(clf, X, Y) <= 1.0
    True
    """
    if callable(scoring):
        return scoring
    if not isinstance(scoring, str):
        raise TypeError(
            f"get_scorer expects a scorer name (str) or a callable; got {type(scoring).__name__}."
        )
    entry = _lookup(scoring)
    if entry is None:
        if (
            _compat.SKLEARN_SCORER_REGISTRY is not None
            and scoring in _compat.SKLEARN_SCORER_REGISTRY
        ):
            return _skm.get_scorer(scoring)
        raise _unknown_name_error(scoring, "scorer name", get_scorer_names())
    func, response, greater, kwargs, _ = entry
    return MultilabelScorer(
        scoring, func, response=response, greater_is_better=greater, kwargs=kwargs
    )


def _check_names(names, func):
    if isinstance(names, str):
        return [names]
    try:
        names = list(names)
    except TypeError:
        raise TypeError(
            f"{func} expects a list of scorer names such as ['f1_micro', 'precision_at_3']; "
            f"got {type(names).__name__}."
        ) from None
    if not names:
        raise ValueError(f"{func} got an empty list of scorer names.")
    return names


def make_scorers(names):
    """A dict of scorers for multi-metric ``scoring=`` in scikit-learn.

    Parameters
    ----------
    names : list of str
        Scorer names (see :func:`get_scorer`).

    Returns
    -------
    scorers : dict of str to scorer
        Use as ``cross_validate(..., scoring=scorers)`` or
        ``GridSearchCV(..., scoring=scorers, refit="f1_macro")``.

    See Also
    --------
    make_combined_scorer : The same scores, calling each prediction method
        once per fold (faster for slow models).

    Examples
    --------
    >>> from mlkit.metrics import make_scorers
    >>> sorted(make_scorers(["f1_macro", "ndcg_at_3"]))
    ['f1_macro', 'ndcg_at_3']
    """
    return {name: get_scorer(name) for name in _check_names(names, "make_scorers")}


def make_combined_scorer(names):
    """One callable that returns a dict of scores, predicting once per method.

    With :func:`make_scorers` every scorer calls ``predict`` or
    ``predict_proba`` itself; this scorer calls each at most once per
    evaluation, which matters for slow models (transformers). scikit-learn
    accepts a callable returning a dict as multi-metric ``scoring``.

    Parameters
    ----------
    names : list of str
        mlkit scorer names (see :func:`get_scorer_names`).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true)`` -> dict of name to score.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from mlkit.metrics import make_combined_scorer
    >>> X, Y = make_multilabel_classification(n_samples=60, random_state=0)
    >>> scoring = make_combined_scorer(["f1_micro", "lrap"])
    >>> res = cross_validate(OneVsRestClassifier(LogisticRegression()), X, Y, cv=2,
    ...                      scoring=scoring)
    >>> sorted(k for k in res if k.startswith("test_"))
    ['test_f1_micro', 'test_lrap']
    """
    scorers = {}
    for name in _check_names(names, "make_combined_scorer"):
        scorer = get_scorer(name)
        if not isinstance(scorer, MultilabelScorer):
            raise ValueError(
                f"make_combined_scorer only combines mlkit scorers; {name!r} is not one "
                f"(choose from get_scorer_names())."
            )
        scorers[name] = scorer
    return _CombinedScorer(scorers)


def register_scorers():
    """Add mlkit's scorer names to scikit-learn's scorer registry (opt-in).

    After this call ``sklearn.metrics.get_scorer("precision_at_3")`` works, and
    so do lists and dicts of names in ``cross_validate(scoring=[...])`` and
    ``GridSearchCV(scoring=[...], refit=...)``. A single string
    (``GridSearchCV(scoring="precision_at_3")``) also needs scikit-learn's
    parameter validation, which checks single names against a set frozen when
    scikit-learn is imported; mlkit extends that set through
    :mod:`mlkit._compat` when the installed scikit-learn allows it. Names
    scikit-learn already defines (``f1_micro``, ``jaccard_samples``, ...) are
    left untouched: they mean the same thing. Calling it again changes
    nothing. mlkit never calls it on import.

    The registry lives in the current process. Scorers are resolved in the
    parent process and pickled to joblib workers, so ``n_jobs`` works.

    Returns
    -------
    names : list of str
        The mlkit names now available in scikit-learn's registry.

    Examples
    --------
    >>> from mlkit.metrics import register_scorers
    >>> from sklearn.metrics import get_scorer
    >>> "lrap" in register_scorers()
    True
    >>> get_scorer("lrap")
    mlkit.metrics.get_scorer('lrap')
    """
    registry = _compat.SKLEARN_SCORER_REGISTRY
    if registry is None:  # pragma: no cover - depends on scikit-learn internals
        raise RuntimeError(
            "This scikit-learn version does not expose its scorer registry, so mlkit cannot "
            "register scorer names. Pass scorers instead: "
            "scoring=mlkit.metrics.make_scorers([...])."
        )
    available = []
    for name in get_scorer_names():
        current = registry.get(name)
        if current is None:
            registry[name] = get_scorer(name)
            available.append(name)
        elif isinstance(current, MultilabelScorer):
            available.append(name)
    extend = getattr(_compat, "extend_scoring_name_options", None)
    if extend is not None:
        # lets a single string pass scikit-learn's parameter validation too
        extend(available)
    return available
