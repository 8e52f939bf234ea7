"""Label formats shared by every mlkit estimator, splitter and metric.

mlkit accepts labels in these forms and turns each into one indicator matrix
of shape ``(n_samples, n_labels)``:

* a 0/1 indicator array (anything ``numpy.asarray`` makes 2-D) or a scipy
  sparse matrix;
* a pandas DataFrame of 0/1 columns, whose column names become label names;
* a sequence of 0/1 rows of equal length (a list, a pandas Series, a pyarrow
  or polars column of lists, as in simpletransformers' ``df.labels``): an
  indicator matrix;
* a sequence of label-name collections (``[["crude", "ship"], ["earn"], []]``),
  binarized with the names sorted, as :class:`~sklearn.preprocessing.MultiLabelBinarizer`
  does;
* a sequence of integer label-id collections (``[[0, 3], [2], []]``, the
  Hugging Face ``datasets`` ``Sequence(ClassLabel)`` form), when the label set
  is given with ``label_names`` or ``n_labels``: id ``j`` is column ``j``.

The rule that tells the forms apart, in order: any string is a label name;
rows of 0/1 values that all have the same length (equal to the number of
labels, when that is given) form an indicator; other rows of integers are
label ids when ``label_names`` or ``n_labels`` gives the label set, and an
error that says to pass one of them otherwise. Nothing is guessed from the
values alone. Because ``fit(X, Y)`` has no room for the label set, convert
ids first: ``Y = labels_to_indicator(ids, label_names=names, as_frame=True)``
gives a DataFrame whose column names every estimator keeps as ``classes_``.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "check_label_matrix",
    "classify_label_rows",
    "cooccurrence_counts",
    "indicator_to_labels",
    "is_dataframe",
    "is_series",
    "labels_to_indicator",
    "looks_like_label_lists",
]

logger = logging.getLogger(__name__)

_COLLECTIONS = (list, tuple, set, frozenset, np.ndarray)
_HOW = (
    "Pass a 0/1 indicator matrix of shape (n_samples, n_labels), a DataFrame of 0/1 columns, a "
    "list of label-name collections such as [['a', 'b'], ['c']], or lists of integer label ids "
    "with label_names= or n_labels= (e.g. mlkit.labels_to_indicator(Y, n_labels=10))."
)


def is_dataframe(Y):
    """Whether ``Y`` is a pandas-like DataFrame (duck-typed; pandas is not imported)."""
    return hasattr(Y, "columns") and hasattr(Y, "to_numpy") and hasattr(Y, "iloc")


def is_series(Y):
    """Whether ``Y`` is a pandas-like Series (duck-typed; pandas is not imported)."""
    return hasattr(Y, "to_numpy") and hasattr(Y, "index") and not hasattr(Y, "columns")


def _is_missing_row(item):
    if item is None:
        return True
    if isinstance(item, float) and item != item:
        return True
    return type(item).__name__ in ("NAType", "NaTType")


def _as_rows(Y):
    """``Y`` as a Python list of per-row items, or None when ``Y`` is not a 1-D sequence of rows.

    Reads pandas Series, pyarrow Array/ChunkedArray, polars Series, 1-D object
    arrays, lists, tuples and other sequences (e.g. a Hugging Face ``datasets``
    column) without importing any of those libraries.
    """
    if isinstance(Y, (str, bytes, dict)) or sp.issparse(Y) or is_dataframe(Y):
        return None
    if isinstance(Y, np.ndarray):
        return Y.tolist() if Y.ndim == 1 and Y.dtype == object else None
    if hasattr(Y, "to_pylist"):  # pyarrow Array / ChunkedArray (checked before Series)
        return Y.to_pylist()
    if is_series(Y):
        return Y.tolist()
    if hasattr(Y, "to_list") and not hasattr(Y, "columns"):  # polars Series
        return Y.to_list()
    if isinstance(Y, (list, tuple)) or (
        hasattr(Y, "__len__") and hasattr(Y, "__getitem__") and not hasattr(Y, "shape")
    ):
        try:
            return list(Y)
        except TypeError:
            return None
    return None


def _survey(rows):
    """What the rows hold: a dict of flags used by :func:`_row_kind`."""
    info = {"str": False, "number": False, "scalar_row": False, "set": False,
            "missing": False, "binary": True, "integral": True, "bool": False,
            "repeated": False, "lengths": set(), "other": None}
    for item in rows:
        if _is_missing_row(item):
            info["missing"] = True
            continue
        if isinstance(item, str):
            info["str"] = True
            continue
        if isinstance(item, (numbers.Number, np.bool_)):
            info["scalar_row"] = True
            continue
        if not isinstance(item, _COLLECTIONS):
            if info["other"] is None:
                info["other"] = item
            continue
        info["set"] |= isinstance(item, (set, frozenset))
        values = item.tolist() if isinstance(item, np.ndarray) else item
        info["lengths"].add(len(values))
        seen = set()
        for v in values:
            if isinstance(v, str):
                info["str"] = True
                return info  # names: the name check happens when binarizing
            if isinstance(v, (bool, np.bool_)):
                info["bool"] = True
            elif isinstance(v, numbers.Number):
                info["number"] = True
                if not info["repeated"]:
                    info["repeated"] = v in seen
                    seen.add(v)
                if v != 0 and v != 1:
                    info["binary"] = False
                if not (isinstance(v, numbers.Integral) or float(v).is_integer()):
                    info["integral"] = False
            else:
                info["str"] = True  # not a number: let the name check report it
                return info
    return info


def classify_label_rows(rows, n_labels=None):
    """Which label form a sequence of per-row items is, by the rule of the module docstring.

    Parameters
    ----------
    rows : list
        One item per sample: a collection of labels, a single name, or a
        scalar.
    n_labels : int, default=None
        The number of labels when it is known (from ``label_names`` or
        ``n_labels``).

    Returns
    -------
    kind : {"names", "indicator", "ids", "scalar", "mixed", "missing", "unknown"}
        ``"names"``: label-name collections; ``"indicator"``: 0/1 rows of one
        length; ``"ids"``: integer label ids (only when ``n_labels`` is
        given); ``"scalar"``: one number per row (a 1-D vector);
        ``"mixed"``: numbers and collections mixed; ``"missing"``: 0/1 rows
        with some rows missing; ``"unknown"``: integers that are not 0/1 rows
        of one length (or of ``n_labels`` values), with no label count to read
        them as ids, or with a value repeated within a row (never so in ids).
    detail : str or list of int or None
        For ``"unknown"``, why the rows are not an indicator; for
        ``"missing"``, the positions of the missing rows.
    """
    info = _survey(rows)
    if info["str"] or info["other"] is not None:
        return "names", None
    if info["scalar_row"]:
        return ("scalar", None) if not (info["lengths"] or info["set"]) else ("mixed", None)
    if not (info["number"] or info["bool"]):
        # only empty rows: no label anywhere (zero rows of n_labels ids, or of label_names)
        return ("names", None) if n_labels is None else ("ids", None)
    lengths = info["lengths"]
    if (info["binary"] and len(lengths) == 1 and not info["set"]
            and (n_labels is None or lengths == {n_labels})):
        if info["missing"]:
            return "missing", [i for i, item in enumerate(rows) if _is_missing_row(item)]
        return "indicator", None
    if n_labels is not None and not info["repeated"]:
        return "ids", None
    why = []
    if info["repeated"] and n_labels is not None:
        why.append("a value repeated within a row, which a list of label ids never has")
    if len(lengths) > 1:
        why.append(f"rows of different lengths ({min(lengths)} to {max(lengths)} values)")
    elif n_labels is not None and lengths != {n_labels}:
        why.append(f"rows of {min(lengths)} values for {n_labels} labels")
    if not info["binary"]:
        why.append("values other than 0 and 1")
    if info["set"]:
        why.append("sets, which have no column order")
    if info["missing"]:
        why.append("missing rows (None)")
    return "unknown", " and ".join(why)


def _binarize_ids(rows, n_labels):
    indptr = [0]
    indices = []
    for i, item in enumerate(rows):
        if _is_missing_row(item):
            item = ()
        values = item.tolist() if isinstance(item, np.ndarray) else item
        cols = set()
        for v in values:
            if isinstance(v, (bool, np.bool_)) or not (
                isinstance(v, numbers.Integral) or float(v).is_integer()
            ):
                raise TypeError(
                    f"Y[{i}] holds {v!r} of type {type(v).__name__}; label ids must be integers "
                    f"in [0, {n_labels})."
                )
            j = int(v)
            if not 0 <= j < n_labels:
                raise ValueError(
                    f"Y[{i}] holds the label id {j}, outside [0, {n_labels}): ids index the "
                    f"{n_labels} labels given by label_names/n_labels. Check the label set; if "
                    "the integers are label names rather than positions, pass them as strings."
                )
            cols.add(j)
        indices.extend(sorted(cols))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.int64)
    return sp.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(rows), n_labels),
    ).toarray()


def looks_like_label_lists(Y):
    """True when ``Y`` is a sequence whose items are label-name collections."""
    rows = _as_rows(Y)
    if rows is None:
        return False
    info = _survey(rows)
    if info["str"]:
        return True
    if info["set"] and (info["number"] or info["bool"]):
        return False
    if info["set"]:
        return True
    # only empty collections: label lists with no label at all
    return len(rows) > 0 and all(
        isinstance(item, _COLLECTIONS) and len(item) == 0 for item in rows
    )


def _binarize_label_lists(Y, label_names=None):
    rows = []
    for i, item in enumerate(Y):
        if isinstance(item, str):
            item = (item,)
        if _is_missing_row(item):
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
            "matrix holds 1 where a label applies and 0 elsewhere; to pass label names per row, "
            "give a list of label collections such as [['a', 'b'], ['c']], and for integer label "
            "ids per row, lists of ids with label_names= or n_labels=."
        )


def _label_count(label_names, n_labels):
    if n_labels is not None:
        if not isinstance(n_labels, numbers.Integral) or isinstance(n_labels, bool) or (
                n_labels < 1):
            raise ValueError(f"n_labels must be a positive integer; got {n_labels!r}.")
        n_labels = int(n_labels)
    if label_names is None:
        return n_labels
    if n_labels is not None and n_labels != len(label_names):
        raise ValueError(
            f"n_labels={n_labels} but label_names lists {len(label_names)} names; give one of "
            "them, or make them agree."
        )
    return len(label_names)


_LAYOUTS = {
    "names": "collections of label names (binarized, names sorted unless label_names is given)",
    "ids": "collections of integer label ids (id j is column j)",
    "indicator": "0/1 indicator rows",
}


def _from_dataframe(Y):
    names = np.asarray([str(c) for c in Y.columns], dtype=object)
    logger.debug("Labels: a DataFrame of %d 0/1 columns, names kept as classes_", len(names))
    Y = Y.to_numpy()
    if Y.dtype == object:
        try:
            Y = Y.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                "The label DataFrame has non-numeric values; each label column must hold "
                "0/1 (or True/False). Convert the columns, or pass label lists instead: a "
                "column of label lists as a Series, e.g. df['labels'], not df[['labels']]."
            ) from None
    return Y, names


def _from_rows(rows, label_names, n_labels):
    """Indicator and names from a 1-D sequence of rows; None when it is a plain matrix."""
    kind, detail = classify_label_rows(rows, n_labels)
    if logger.isEnabledFor(logging.DEBUG) and kind in _LAYOUTS:
        logger.debug("Labels: %d rows read as %s", len(rows), _LAYOUTS[kind])
    if kind == "names":
        return _binarize_label_lists(rows, label_names)
    if kind == "ids":
        Y = _binarize_ids(rows, n_labels)
        names = None if label_names is None else np.asarray(list(label_names), dtype=object)
        return Y, names
    if kind == "indicator":
        return np.asarray([r.tolist() if isinstance(r, np.ndarray) else list(r)
                           for r in rows]), None
    if kind == "scalar":
        return None
    if kind == "mixed":
        raise ValueError(
            "Y mixes single values and collections of labels across rows; give one collection "
            "per row (use [] for a row without labels)."
        )
    if kind == "missing":
        raise ValueError(
            f"Y holds 0/1 rows but rows {detail[:5]} are missing (None or NaN); every row of an "
            "indicator needs its 0/1 values. Fill them (e.g. with zeros: no label) or drop "
            "those rows."
        )
    raise ValueError(
        f"Y holds collections of integers with {detail}, so it is not a 0/1 indicator matrix. "
        "If they are integer label ids (as in a Hugging Face datasets Sequence(ClassLabel) "
        "column), give the label set: label_names=[...] or n_labels=K, e.g. "
        "Y = mlkit.labels_to_indicator(Y, label_names=names, as_frame=True) before fit, which "
        "keeps the names as classes_."
    )


def _dense_indicator(Y):
    try:
        Y = np.asarray(Y)
    except ValueError:
        raise ValueError(
            "Y could not be made into a 2-D array: its rows have different lengths. " + _HOW
        ) from None
    if Y.dtype == object:
        try:
            Y = Y.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"Y holds values that are not numbers. {_HOW}") from None
    if Y.ndim == 1:
        raise ValueError(
            f"Y is 1-D with {Y.shape[0]} values; multi-label estimators expect a 2-D indicator "
            "matrix of shape (n_samples, n_labels). For a single binary label use "
            "Y.reshape(-1, 1); for label names per row pass a list of collections."
        )
    if Y.ndim != 2:
        raise ValueError(f"Y must be 2-D (n_samples, n_labels); got {Y.ndim} dimensions.")
    _check_binary_values(Y)
    return Y.astype(np.int64)


def _check_names(Y, names, label_names):
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
    return names


def check_label_matrix(Y, *, label_names=None, n_labels=None, accept_sparse=True,
                       n_samples=None):
    """Validate labels in any supported form and return an indicator matrix.

    Parameters
    ----------
    Y : array-like, sparse matrix, DataFrame or sequence of per-row labels
        The labels. See the module docstring for the accepted forms and the
        rule that tells them apart.
    label_names : sequence of str, default=None
        Names of the labels, in column order. For a list of label collections
        this fixes the label set (names not in it raise an error); for lists
        of integer label ids it gives the label set (id ``j`` is
        ``label_names[j]``); for an indicator matrix it must have one name per
        column.
    n_labels : int, default=None
        The number of labels, for lists of integer label ids without names
        (ids run from 0 to ``n_labels - 1``); checked against the number of
        columns otherwise.
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
    count = _label_count(label_names, n_labels)
    names = None
    rows = None if is_dataframe(Y) else _as_rows(Y)
    if is_dataframe(Y):
        Y, names = _from_dataframe(Y)
    elif rows is not None:
        converted = _from_rows(rows, label_names, count)
        if converted is not None:
            Y, names = converted
            if names is not None:
                label_names = None  # already applied
        else:
            Y = rows
    if sp.issparse(Y):
        Y = sp.csr_matrix(Y)
        _check_binary_values(Y)
        Y = Y.astype(np.int64)
        Y.eliminate_zeros()
        if not accept_sparse:
            Y = Y.toarray()
    else:
        Y = _dense_indicator(Y)
    if Y.shape[0] == 0:
        raise ValueError("Y has 0 rows; at least one labelled sample is required.")
    if Y.shape[1] == 0:
        raise ValueError("Y has 0 label columns; at least one label is required.")
    if n_samples is not None and Y.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} samples but Y has {Y.shape[0]} rows; each text needs exactly one "
            "row of labels. Check that X and Y come from the same rows, in the same order."
        )
    if count is not None and label_names is None and Y.shape[1] != count:
        raise ValueError(
            f"Y has {Y.shape[1]} label column(s) but n_labels={count}; give n_labels equal to "
            "the number of columns of Y."
        )
    return Y, _check_names(Y, names, label_names)


def labels_to_indicator(
    labels: Any,
    label_names: Sequence[str] | None = None,
    *,
    n_labels: int | None = None,
    as_frame: bool = False,
    return_names: bool = False,
) -> NDArray[np.int64] | pd.DataFrame | tuple[NDArray[np.int64] | pd.DataFrame, NDArray[Any]]:
    """Turn per-row labels (names, integer ids or 0/1 rows) into an indicator matrix.

    This is how labels that ``fit`` cannot interpret alone are converted,
    e.g. integer label ids, which need the label set::

        Y = labels_to_indicator(ds["labels"], label_names=names, as_frame=True)
        model.fit(ds["text"], Y)          # model.classes_ == names

    Parameters
    ----------
    labels : sequence of per-row labels, or any form :func:`check_label_matrix` accepts
        One collection of label names (``["crude", "ship"]``), of integer
        label ids (``[0, 3]``, with ``label_names`` or ``n_labels``) or one
        0/1 row per sample; a list, tuple, pandas/polars Series or pyarrow
        array.
    label_names : sequence of str, default=None
        The label set, in column order. For label names: names outside it
        raise an error; when None, the sorted set of names seen in
        ``labels``. For label ids: id ``j`` is ``label_names[j]``.
    n_labels : int, default=None
        The number of labels, for integer label ids without names.
    as_frame : bool, default=False
        Return a pandas DataFrame whose columns are the label names (needs
        pandas); estimators keep those names as ``classes_``.
    return_names : bool, default=False
        Also return the label names, as ``(Y, label_names)``.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_labels) or pandas.DataFrame
        0/1 indicator matrix of int64.
    label_names : ndarray of object
        Only with ``return_names=True``: the names in column order (the
        column positions ``0 .. n_labels - 1`` when no names are known).

    See Also
    --------
    indicator_to_labels : The inverse: names per row from an indicator matrix.

    Examples
    --------
    >>> from mlkit import labels_to_indicator
    >>> labels_to_indicator([["crude", "ship"], ["earn"], []])
    array([[1, 0, 1],
           [0, 1, 0],
           [0, 0, 0]])
    >>> Y, names = labels_to_indicator([["crude", "ship"], ["earn"], []], return_names=True)
    >>> list(names)
    ['crude', 'earn', 'ship']
    >>> labels_to_indicator([[0, 2], [1], []], label_names=["crude", "earn", "ship"])
    array([[1, 0, 1],
           [0, 1, 0],
           [0, 0, 0]])
    """
    Y, names = check_label_matrix(labels, label_names=label_names, n_labels=n_labels,
                                  accept_sparse=False)
    if names is None:
        names = np.arange(Y.shape[1])
    if as_frame:
        from ._optional import import_optional

        pd = import_optional("pandas", purpose="labels_to_indicator(as_frame=True)")
        index = labels.index if is_series(labels) else None
        Y = pd.DataFrame(Y, columns=[str(n) for n in names], index=index)
    return (Y, names) if return_names else Y


def indicator_to_labels(Y: ArrayLike | sp.spmatrix,
                        label_names: Sequence[str] | ArrayLike) -> list[tuple[str, ...]]:
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


def cooccurrence_counts(Y: ArrayLike | sp.spmatrix, weights: ArrayLike | None = None,
                        ) -> sp.csr_matrix:
    """Label co-occurrence counts as a sparse matrix: rows given both labels.

    ``C[a, b]`` is the number of rows with both label ``a`` and label ``b``
    (the diagonal is each label's support). The product is sparse, so its
    memory grows with the label pairs that do occur together, never with
    ``n_labels ** 2``: this is how every part of mlkit counts label pairs.
    Slice it (``C[keep][:, keep].toarray()``) for a dense view of a few labels.

    Parameters
    ----------
    Y : array-like or sparse matrix of shape (n_samples, n_labels)
        0/1 indicator matrix.
    weights : array-like of shape (n_samples, n_labels), default=None
        When given, ``C[a, b]`` is the sum of ``weights[i, b]`` over the rows
        ``i`` that carry label ``a`` (``weights = Y`` gives the counts), at
        the pairs where that sum is not zero; ``weights`` should be mostly
        zeros (e.g. wrong predictions), or the result is dense.

    Returns
    -------
    C : scipy.sparse.csr_matrix of shape (n_labels, n_labels)
        Integer counts (float sums with ``weights``).

    Examples
    --------
    >>> from mlkit._labels import cooccurrence_counts
    >>> cooccurrence_counts([[1, 1, 0], [1, 0, 0], [0, 1, 1]]).toarray()
    array([[2, 1, 0],
           [1, 2, 1],
           [0, 1, 1]])
    """
    Ys = sp.csr_matrix(Y if sp.issparse(Y) else np.asarray(Y))
    if Ys.ndim != 2:
        raise ValueError(f"Y must be a 2-D indicator matrix; got shape {Ys.shape}.")
    if weights is None:
        Ys = Ys.astype(np.int64)
        C = (Ys.T @ Ys).tocsr()
    else:
        W = sp.csr_matrix(weights if sp.issparse(weights) else np.asarray(weights, dtype=float))
        if W.shape != Ys.shape:
            raise ValueError(f"weights has shape {W.shape}; expected {Ys.shape} like Y.")
        C = (Ys.astype(np.float64).T @ W).tocsr()
    C.eliminate_zeros()
    C.sort_indices()
    return C
