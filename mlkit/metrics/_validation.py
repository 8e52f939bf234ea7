"""Input checks shared by every metric of :mod:`mlkit.metrics`.

Private to the package: the metric modules (threshold, ranking, at-k, report) import
these helpers; nothing outside ``mlkit.metrics`` should. Errors name the argument
(``y_true``, ``y_pred``, ``y_score``), say what was expected and how to fix it.
"""

import numbers

import numpy as np
import scipy.sparse as sp

from mlkit._labels import check_label_matrix

#: ``average`` values accepted by the threshold metrics (None: one value per label).
THRESHOLD_AVERAGES = ("micro", "macro", "weighted", "samples", None)
#: ``average`` values accepted by the per-label ranking metrics (AP, ROC-AUC).
RANKING_AVERAGES = ("macro", "micro", "weighted", None)


def check_y_true(y_true, *, accept_sparse=True, label_names=None):
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


def check_y_pred(y_pred):
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


def check_y_score(y_score):
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


def check_same_shape(Y, other, what):
    """Raise unless ``other`` (named ``what``) has the rows and label columns of ``Y``."""
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


def check_pred_pair(y_true, y_pred):
    """Checked ``(Y, P)`` for a threshold metric."""
    Y = check_y_true(y_true)
    P = check_y_pred(y_pred)
    check_same_shape(Y, P, "y_pred")
    return Y, P


def setwise(Y, P):
    """``(Y, P, labels)`` for scikit-learn's set-wise metrics, one label included.

    scikit-learn reads a one-column indicator as a binary target, where micro and macro
    averages run over the classes 0 and 1 (so they give accuracy, not the label's F1).
    One all-zero column is appended to both and ``labels`` keeps the metric on the real
    columns: every average then means what it means for several labels.
    """
    L = Y.shape[1]
    # as CSR matrices: scikit-learn then validates the stored values only, not every
    # (row, label) cell (seconds per call with thousands of labels); same results
    Y = sp.csr_matrix(Y, dtype=np.int64)
    P = sp.csr_matrix(P, dtype=np.int64)
    if L == 1:
        pad = sp.csr_matrix((Y.shape[0], 1), dtype=np.int64)
        Y = sp.hstack([Y, pad], format="csr")
        P = sp.hstack([P, pad], format="csr")
    return Y, P, np.arange(L)


def check_score_pair(y_true, y_score):
    """Checked ``(Y, S)`` for a ranking metric; ``Y`` dense, ``S`` dense float64."""
    Y = check_y_true(y_true, accept_sparse=False)
    S = check_y_score(y_score)
    check_same_shape(Y, S, "y_score")
    return Y, S


def check_average(average, allowed, func):
    """Raise unless ``average`` is one of ``allowed``; ``func`` names the caller."""
    if average not in allowed:
        raise ValueError(
            f"{func} got average={average!r}; expected one of {list(allowed)!r} (None returns "
            "one value per label)."
        )


def check_k(k, func="k"):
    """``k`` as an int, or an error naming ``func`` unless it is a positive integer."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"{func} expects k to be a positive integer; got k={k!r}.")
    return int(k)


def check_sample_weight(sample_weight, n_samples):
    """None, or one float64 weight per row of ``y_true``."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has shape {w.shape} but y_true has {n_samples} rows; pass one "
            "weight per row."
        )
    return w


def float_or_array(value):
    """A Python float for a scalar result, a float64 array for one value per label."""
    if np.ndim(value) == 0:
        return float(value)
    return np.asarray(value, dtype=np.float64)
