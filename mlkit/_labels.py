"""Label formats shared by every mlkit estimator, splitter and metric.

mlkit accepts labels in three forms and turns each into one indicator matrix
of shape ``(n_samples, n_labels)``:

* a 0/1 indicator array (anything ``numpy.asarray`` makes 2-D) or a scipy
  sparse matrix;
* a pandas DataFrame of 0/1 columns, whose column names become label names;
* a list of label-name collections (``[["crude", "ship"], ["earn"], []]``),
  binarized with the names sorted, as :class:`~sklearn.preprocessing.MultiLabelBinarizer`
  does.
"""

import numbers

import numpy as np
import scipy.sparse as sp

__all__ = [
    "check_label_matrix",
    "indicator_to_labels",
    "labels_to_indicator",
]


def _is_dataframe(Y):
    return hasattr(Y, "columns") and hasattr(Y, "to_numpy") and hasattr(Y, "iloc")


def _is_series(Y):
    return hasattr(Y, "to_numpy") and hasattr(Y, "index") and not hasattr(Y, "columns")


def _looks_like_label_lists(Y):
    """True when ``Y`` is a sequence whose items are label-name collections."""
    if isinstance(Y, (np.ndarray, str, bytes)) or sp.issparse(Y) or _is_dataframe(Y):
        if isinstance(Y, np.ndarray) and Y.dtype == object and Y.ndim == 1:
            Y = list(Y)
        else:
            return False
    if _is_series(Y):
        Y = Y.tolist()
    try:
        items = list(Y)
    except TypeError:
        return False
    for item in items:
        if isinstance(item, str):
            return True
        if isinstance(item, (set, frozenset)):
            return True
        if isinstance(item, (list, tuple, np.ndarray)):
            for v in item:
                if isinstance(v, str):
                    return True
                if isinstance(v, (numbers.Number, np.bool_)):
                    return False
            continue  # empty collection: undecided, look at the next row
        return False
    # only empty collections: label lists with no label at all
    return len(items) > 0 and all(
        isinstance(item, (list, tuple, set, frozenset, np.ndarray)) and len(item) == 0
        for item in items
    )


def _binarize_label_lists(Y, label_names=None):
    rows = []
    for i, item in enumerate(Y):
        if isinstance(item, str):
            item = (item,)
        if item is None or (isinstance(item, float) and np.isnan(item)):
            item = ()
        try:
            names = list(item)
        except TypeError:
            raise TypeError(
                f"Y[{i}] is {type(item).__name__} {item!r}; a list of labels must hold one "
                "collection of label names per row, such as ['crude', 'ship'] or []."
            ) from None
        for name in names:
            if not isinstance(name, (str, numbers.Integral)) or isinstance(name, bool):
                raise TypeError(
                    f"Y[{i}] holds the label {name!r} of type {type(name).__name__}; label "
                    "names must be strings (or integers)."
                )
        rows.append(names)
    if label_names is None:
        seen = sorted({str(n) for names in rows for n in names})
        label_names = np.asarray(seen, dtype=object)
    else:
        label_names = np.asarray(list(label_names), dtype=object)
    index = {str(name): j for j, name in enumerate(label_names)}
    indptr = [0]
    indices = []
    for i, names in enumerate(rows):
        cols = set()
        for name in names:
            j = index.get(str(name))
            if j is None:
                known = ", ".join(map(str, label_names[:10]))
                more = "" if len(label_names) <= 10 else f", ... ({len(label_names)} in all)"
                raise ValueError(
                    f"Unknown label {name!r} in row {i}. Known labels: {known}{more}. "
                    "Fix the label name, or fit on data that includes it."
                )
            cols.add(j)
        indices.extend(sorted(cols))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.int64)
    Y_ind = sp.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(rows), len(label_names)),
    )
    return Y_ind.toarray(), label_names


def _check_binary_values(Y, what="Y"):
    values = Y.data if sp.issparse(Y) else Y
    values = np.asarray(values)
    if values.dtype == bool:
        return
    if values.dtype.kind not in "biuf":
        raise TypeError(
            f"{what} has dtype {values.dtype}; expected a 0/1 indicator matrix of numbers or "
            "booleans, or a list of label-name collections such as [['a', 'b'], ['c']]."
        )
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        raise ValueError(
            f"{what} contains NaN or infinity; a label indicator matrix must hold only 0 and 1. "
            "Fill missing labels with 0 (label absent) or drop those rows."
        )
    bad = values[(values != 0) & (values != 1)]
    if bad.size:
        shown = ", ".join(repr(v.item()) for v in np.unique(bad)[:5])
        raise ValueError(
            f"{what} contains values other than 0 and 1 (found {shown}). A multi-label indicator "
            "matrix holds 1 where a label applies and 0 elsewhere; to pass label ids or names "
            "per row, give a list of label collections such as [['a', 'b'], ['c']]."
        )


def check_label_matrix(Y, *, label_names=None, accept_sparse=True, n_samples=None):
    """Validate labels in any supported form and return an indicator matrix.

    Parameters
    ----------
    Y : array-like, sparse matrix, DataFrame or list of label collections
        The labels. See the module docstring for the accepted forms.
    label_names : sequence of str, default=None
        Names of the labels, in column order. For a list of label collections
        this fixes the label set (names not in it raise an error); for an
        indicator matrix it must have one name per column.
    accept_sparse : bool, default=True
        Return a CSR matrix when ``Y`` is sparse. When False, sparse ``Y`` is
        made dense.
    n_samples : int, default=None
        When given, the number of rows ``Y`` must have.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_labels) or csr_matrix
        Integer 0/1 indicator matrix (never modifies the input).
    label_names : ndarray of object or None
        Label names when they are known, else None.
    """
    if Y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None. Multi-label "
            "estimators need labels: an indicator matrix of shape "
            "(n_samples, n_labels), a DataFrame of 0/1 columns, or a list of label collections."
        )
    names = None
    if _is_dataframe(Y):
        names = np.asarray([str(c) for c in Y.columns], dtype=object)
        Y = Y.to_numpy()
        if Y.dtype == object:
            try:
                Y = Y.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(
                    "The label DataFrame has non-numeric values; each label column must hold "
                    "0/1 (or True/False). Convert the columns, or pass label lists instead."
                ) from None
    elif _looks_like_label_lists(Y):
        Y, names = _binarize_label_lists(Y, label_names)
        label_names = None  # already applied
    if sp.issparse(Y):
        Y = sp.csr_matrix(Y)
        if Y.ndim != 2:
            raise ValueError("Y must be 2-D (n_samples, n_labels).")
        _check_binary_values(Y)
        Y = Y.astype(np.int64)
        Y.eliminate_zeros()
        if not accept_sparse:
            Y = Y.toarray()
    else:
        if _is_series(Y):
            Y = Y.to_numpy()
        try:
            Y = np.asarray(Y)
        except ValueError:
            raise ValueError(
                "Y could not be made into a 2-D array: its rows have different lengths. Pass an "
                "indicator matrix with one column per label, or a list of label collections."
            ) from None
        if Y.dtype == object:
            try:
                Y = Y.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(
                    "Y holds values that are not numbers; pass a 0/1 indicator matrix or a list "
                    "of label-name collections such as [['a', 'b'], ['c']]."
                ) from None
        if Y.ndim == 1:
            raise ValueError(
                f"Y is 1-D with {Y.shape[0]} values; multi-label estimators expect a 2-D indicator "
                "matrix of shape (n_samples, n_labels). For a single binary label use "
                "Y.reshape(-1, 1); for label names per row pass a list of collections."
            )
        if Y.ndim != 2:
            raise ValueError(f"Y must be 2-D (n_samples, n_labels); got {Y.ndim} dimensions.")
        _check_binary_values(Y)
        Y = Y.astype(np.int64)
    if Y.shape[0] == 0:
        raise ValueError("Y has 0 rows; at least one labelled sample is required.")
    if Y.shape[1] == 0:
        raise ValueError("Y has 0 label columns; at least one label is required.")
    if n_samples is not None and Y.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} samples but Y has {Y.shape[0]} rows; each text needs exactly one "
            "row of labels. Check that X and Y come from the same rows, in the same order."
        )
    if label_names is not None:
        label_names = np.asarray([str(n) for n in label_names], dtype=object)
        if label_names.ndim != 1 or len(label_names) != Y.shape[1]:
            raise ValueError(
                f"Y has {Y.shape[1]} label column(s) but label_names lists {len(label_names)} "
                "names; give one name per column of Y, in column order."
            )
        if names is not None and list(names) != list(label_names):
            raise ValueError(
                "label_names differ from the DataFrame's column names; drop label_names or "
                "rename the columns."
            )
        names = label_names
    if names is not None and len(set(names)) != len(names):
        dup = sorted({n for n in names if list(names).count(n) > 1})
        raise ValueError(f"Label names must be unique; repeated: {dup}.")
    return Y, names


def labels_to_indicator(labels, label_names=None):
    """Binarize a list of label-name collections.

    Parameters
    ----------
    labels : list of collections of str
        One collection of label names per sample.
    label_names : sequence of str, default=None
        The label set, in column order. When None, the sorted set of names
        seen in ``labels``.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_labels)
    label_names : ndarray of object

    Examples
    --------
    >>> from mlkit import labels_to_indicator
    >>> Y, names = labels_to_indicator([["crude", "ship"], ["earn"], []])
    >>> Y
    array([[1, 0, 1],
           [0, 1, 0],
           [0, 0, 0]])
    >>> list(names)
    ['crude', 'earn', 'ship']
    """
    return _binarize_label_lists(list(labels), label_names)


def indicator_to_labels(Y, label_names):
    """Turn an indicator matrix (e.g. a prediction) into label names per row.

    Parameters
    ----------
    Y : array-like or sparse matrix of shape (n_samples, n_labels)
        0/1 indicator matrix, such as the output of ``predict``.
    label_names : sequence of str
        One name per column, e.g. a fitted estimator's ``classes_``.

    Returns
    -------
    labels : list of tuple of str
        The names of the labels set in each row, in column order.

    Examples
    --------
    >>> from mlkit import indicator_to_labels
    >>> indicator_to_labels([[1, 0, 1], [0, 0, 0]], ["crude", "earn", "ship"])
    [('crude', 'ship'), ()]
    """
    label_names = np.asarray(list(label_names), dtype=object)
    Y = sp.csr_matrix(Y) if sp.issparse(Y) else sp.csr_matrix(np.asarray(Y))
    if Y.shape[1] != len(label_names):
        raise ValueError(
            f"Y has {Y.shape[1]} columns but {len(label_names)} label names were given; pass the "
            "estimator's classes_ that produced Y."
        )
    Y.eliminate_zeros()
    Y.sort_indices()
    return [
        tuple(label_names[Y.indices[Y.indptr[i] : Y.indptr[i + 1]]]) for i in range(Y.shape[0])
    ]
