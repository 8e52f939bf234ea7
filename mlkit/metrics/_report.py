"""Summaries of multi-label results: headline metrics, a per-label report, label statistics.

:func:`evaluate` (dict of headline metrics), :func:`format_metrics` (text table),
:func:`per_label_report` (:class:`LabelReport`), :func:`label_cardinality` and
:func:`label_density`. Built on the threshold, ranking and at-k metrics of this package.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from sklearn import metrics as _skm
from sklearn.exceptions import UndefinedMetricWarning

from mlkit._labels import check_label_matrix

from ._at_k import at_k_table
from ._ranking import average_curve_metric, per_label_curve_metric

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike, NDArray
from ._validation import (
    check_k,
    check_same_shape,
    check_y_pred,
    check_y_score,
    check_y_true,
    setwise,
)

# --------------------------------------------------------------------------
# label statistics
# --------------------------------------------------------------------------


def label_cardinality(Y: ArrayLike | sp.spmatrix) -> float:
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
    Y = check_y_true(Y)
    return float(Y.sum() / Y.shape[0])


def label_density(Y: ArrayLike | sp.spmatrix) -> float:
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
    Y = check_y_true(Y)
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
    return tuple(dict.fromkeys(check_k(v, "evaluate") for v in ks))


def evaluate(
    y_true: ArrayLike | sp.spmatrix,
    y_pred: ArrayLike | sp.spmatrix | None = None,
    y_score: ArrayLike | sp.spmatrix | None = None,
    *,
    k: int | Sequence[int] = (1, 3, 5),
    label_names: Sequence[str] | None = None,
) -> dict[str, float]:
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
    Y = check_y_true(y_true, label_names=label_names)
    out = {}
    if y_pred is not None:
        P = check_y_pred(y_pred)
        check_same_shape(Y, P, "y_pred")
        out.update(_threshold_summary(Y, P))
    if y_score is not None:
        Yd = Y.toarray() if sp.issparse(Y) else Y
        S = check_y_score(y_score)
        check_same_shape(Yd, S, "y_score")
        if Yd.shape[1] > 1:
            out["lrap"] = float(_skm.label_ranking_average_precision_score(Yd, S))
            out["coverage_error"] = float(_skm.coverage_error(Yd, S))
            out["label_ranking_loss"] = float(_skm.label_ranking_loss(Yd, S))
        else:  # label rankings compare the labels of a row: undefined with one label
            out["lrap"] = out["coverage_error"] = out["label_ranking_loss"] = float("nan")
        out["average_precision_macro"] = average_curve_metric(
            _skm.average_precision_score, "average precision", Yd, S, "macro", None, False
        )
        out["roc_auc_macro"] = average_curve_metric(
            _skm.roc_auc_score, "ROC-AUC", Yd, S, "macro", None, True
        )
        out.update(at_k_table(Yd, S, ks))
    return out


def _csr_if_multilabel(Y, P):
    if Y.shape[1] < 2:
        return Y, P
    return sp.csr_matrix(Y), sp.csr_matrix(P)


def _threshold_summary(Y, P):
    """The threshold metrics of :func:`evaluate`, in its order, from checked ``Y`` and ``P``."""
    prf = {}
    Ys, Ps, labels = setwise(Y, P)
    for avg in ("micro", "macro"):
        p, r, f, _ = _skm.precision_recall_fscore_support(Ys, Ps, labels=labels, average=avg,
                                                           zero_division=0.0)
        prf[avg] = (float(p), float(r), float(f))
    return {
        "f1_micro": prf["micro"][2],
        "f1_macro": prf["macro"][2],
        "precision_micro": prf["micro"][0],
        "precision_macro": prf["macro"][0],
        "recall_micro": prf["micro"][1],
        "recall_macro": prf["macro"][1],
        # CSR when there are several labels: scikit-learn then checks the stored values only
        "hamming_loss": float(_skm.hamming_loss(*_csr_if_multilabel(Y, P))),
        "subset_accuracy": float(_skm.accuracy_score(*_csr_if_multilabel(Y, P))),
        "jaccard_samples": float(_skm.jaccard_score(Ys, Ps, labels=labels, average="samples",
                                                    zero_division=0.0)),
    }


def _fmt(value, digits):
    if value is None:
        return ""
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return "-"
    return f"{value:.{digits}f}"


def format_metrics(metrics: Mapping[str, float] | Mapping[str, Mapping[str, float]], *,
                   digits: int = 4) -> str:
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
        self,
        label_names: NDArray[Any],
        support: NDArray[np.int64],
        n_predicted: NDArray[np.int64],
        precision: NDArray[np.float64],
        recall: NDArray[np.float64],
        f1: NDArray[np.float64],
        threshold: NDArray[np.float64] | None,
        ap: NDArray[np.float64] | None,
        summary: dict[str, dict[str, Any]],
    ) -> None:
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
    def columns(self) -> list[str]:
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

    def to_dict(self) -> dict[str, dict[str, Any]]:
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

    def to_frame(self) -> pd.DataFrame:
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

    def to_string(self, *, digits: int = 3, sort_by: str | None = None) -> str:
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


def per_label_report(
    y_true: ArrayLike | sp.spmatrix,
    y_pred: ArrayLike | sp.spmatrix,
    *,
    label_names: Sequence[str] | None = None,
    thresholds: float | ArrayLike | None = None,
    y_score: ArrayLike | sp.spmatrix | None = None,
) -> LabelReport:
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
    P = check_y_pred(y_pred)
    check_same_shape(Y, P, "y_pred")
    n_labels = Y.shape[1]
    if names is None:
        names = np.asarray([str(j) for j in range(n_labels)], dtype=object)
    p, r, f, support = _skm.precision_recall_fscore_support(
        *setwise(Y, P)[:2], labels=np.arange(n_labels), average=None, zero_division=0.0)
    n_pred = np.asarray(P.sum(axis=0)).ravel().astype(np.int64)
    support = np.asarray(support, dtype=np.int64)
    summary = _summary_rows(Y, P, p, r, f, support, n_pred)
    thr = None
    if thresholds is not None:
        thr = _check_thresholds(thresholds, n_labels)
        for row in summary.values():
            row["threshold"] = None
    ap = None
    if y_score is not None:
        Yd = Y.toarray() if sp.issparse(Y) else Y
        S = check_y_score(y_score)
        check_same_shape(Yd, S, "y_score")
        ap = _average_precision_column(Yd, S, summary)
    return LabelReport(names, support, n_pred, p, r, f, thr, ap, summary)


def _summary_rows(Y, P, p, r, f, support, n_pred):
    """The ``"micro avg"`` and ``"macro avg"`` rows of a :class:`LabelReport`."""
    Ys, Ps, labels = setwise(Y, P)
    mp, mr, mf, _ = _skm.precision_recall_fscore_support(Ys, Ps, labels=labels, average="micro",
                                                         zero_division=0.0)
    total, total_pred = int(support.sum()), int(n_pred.sum())
    return {
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


def _check_thresholds(thresholds, n_labels):
    """One float threshold per label from a number or an array-like."""
    thr = np.asarray(thresholds, dtype=np.float64)
    if thr.ndim == 0:
        thr = np.full(n_labels, float(thr))
    if thr.shape != (n_labels,):
        raise ValueError(
            f"thresholds has shape {thr.shape} but y_true has {n_labels} label columns; "
            "give one threshold per label, or a single number."
        )
    return thr


def _average_precision_column(Y, S, summary):
    """Per-label average precision (nan for a label with no positive); fills ``summary``."""
    ap, defined = per_label_curve_metric(_skm.average_precision_score, Y, S, None, False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        summary["micro avg"]["average_precision"] = average_curve_metric(
            _skm.average_precision_score, "average precision", Y, S, "micro", None, False
        )
    summary["macro avg"]["average_precision"] = (
        float(np.mean(ap[defined])) if defined.any() else float("nan")
    )
    return ap
