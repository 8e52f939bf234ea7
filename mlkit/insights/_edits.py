"""``Edits``: a cart of label changes and row removals, applied to a copy of the data."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._labels import check_label_matrix, is_dataframe, is_series, looks_like_label_lists
from ._rules import LIKELY, MAX_EDIT_SHARE

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

__all__ = ["Edits"]

_SET, _DROP = "set", "drop"


def _check_row(row):
    if isinstance(row, (bool, np.bool_)) or not isinstance(row, numbers.Integral) or row < 0:
        raise TypeError(
            f"A row is identified by its position, a non-negative int; got "
            f"{type(row).__name__} {row!r}."
        )
    return int(row)


def _check_label(label):
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (str, numbers.Integral)):
        raise TypeError(
            f"A label is given by its name (str) or column index (int); got "
            f"{type(label).__name__} {label!r}."
        )
    return label if isinstance(label, str) else int(label)


class Edits:
    """A list of fixes to a labelled dataset: set or clear labels, drop rows.

    Record edits with :meth:`relabel`, :meth:`add_label`, :meth:`remove_label`,
    :meth:`drop` and :meth:`add_suggestions` (each returns the ``Edits``, so
    calls chain), then :meth:`apply` them to the data. ``apply`` never
    modifies its inputs: it returns new texts, new labels in the same format
    as the labels given, and the positions of the rows kept. When two edits
    touch the same cell, the later one wins.

    Parameters
    ----------
    label_names : sequence of str, default=None
        Label names in column order, used to resolve labels given by name
        when the labels passed to :meth:`apply` carry no names (a plain
        matrix). :meth:`LabelAudit.suggest_edits` fills it in.

    Examples
    --------
    >>> import numpy as np
    >>> from mlkit.insights import Edits
    >>> texts = ["oil up", "wheat down", "oil and wheat"]
    >>> Y = np.array([[1, 0], [0, 1], [1, 0]])
    >>> edits = Edits(label_names=["oil", "wheat"]).add_label(2, "wheat").drop(1)
    >>> texts2, Y2, kept = edits.apply(texts, Y)
    >>> texts2, Y2.tolist(), kept.tolist()
    (['oil up', 'oil and wheat'], [[1, 0], [1, 1]], [0, 2])
    >>> Y.tolist()  # the input is unchanged
    [[1, 0], [0, 1], [1, 0]]
    """

    def __init__(self, label_names: Sequence[str] | None = None) -> None:
        self.label_names = None if label_names is None else [str(n) for n in label_names]
        self._items = []  # (action, row, label, value, reason)

    # ---------------------------------------------------------------- record
    def relabel(self, row: int, label: str | int, value: int | bool, *,
                reason: str = "") -> Edits:
        """Set the cell (``row``, ``label``) to ``value`` (1: label applies, 0: it does not).

        Parameters
        ----------
        row : int
            Row position (from 0, in the data's order).
        label : str or int
            Label name, or column position.
        value : {0, 1} or bool
            The new value of the cell.
        reason : str, default=""
            Why, kept with the edit (shown by :meth:`to_frame`).

        Returns
        -------
        self : Edits
        """
        if isinstance(value, (bool, np.bool_)):
            value = int(value)
        if not isinstance(value, numbers.Integral) or value not in (0, 1):
            raise ValueError(f"value must be 0 or 1 (or False/True); got {value!r}.")
        self._items.append((_SET, _check_row(row), _check_label(label), int(value), str(reason)))
        return self

    def add_label(self, row: int, label: str | int, *, reason: str = "") -> Edits:
        """Give ``row`` the label ``label`` (``relabel(row, label, 1)``).

        Parameters
        ----------
        row : int
            Row position (from 0, in the data's order).
        label : str or int
            Label name, or column position.
        reason : str, default=""
            Why, kept with the edit (shown by :meth:`to_frame`).

        Returns
        -------
        self : Edits
        """
        return self.relabel(row, label, 1, reason=reason)

    def remove_label(self, row: int, label: str | int, *, reason: str = "") -> Edits:
        """Take the label ``label`` off ``row`` (``relabel(row, label, 0)``).

        Parameters
        ----------
        row : int
            Row position (from 0, in the data's order).
        label : str or int
            Label name, or column position.
        reason : str, default=""
            Why, kept with the edit (shown by :meth:`to_frame`).

        Returns
        -------
        self : Edits
        """
        return self.relabel(row, label, 0, reason=reason)

    def drop(self, rows: int | Iterable[int], *, reason: str = "") -> Edits:
        """Remove a row (an int) or several rows (an iterable of ints) from the data.

        Parameters
        ----------
        rows : int or iterable of int
            Row positions (from 0, in the data's order).
        reason : str, default=""
            Why, kept with the edit (shown by :meth:`to_frame`).

        Returns
        -------
        self : Edits
        """
        if isinstance(rows, (numbers.Integral, np.integer)) and not isinstance(rows, bool):
            rows = [rows]
        for row in rows:
            self._items.append((_DROP, _check_row(row), None, None, str(reason)))
        return self

    def add_suggestions(self, audit: Any, top_n: int | None = None, *,
                        min_score: float = LIKELY,
                        max_share: float | None = MAX_EDIT_SHARE) -> Edits:
        """Add the fixes a :class:`LabelAudit` suggests (see :meth:`LabelAudit.suggest_edits`).

        Parameters
        ----------
        audit : LabelAudit
            The result of :func:`mlkit.insights.audit`.
        top_n : int or None, default=None
            The ``top_n`` most suspicious cells that pass the per-label
            limits, or (None) those whose score is at least ``min_score``.
        min_score : float, default=0.5
            Lowest score suggested when ``top_n`` is None.
        max_share : float or None, default=0.1
            At most ``ceil(max_share * support)`` edits per label (None: no
            cap).

        Returns
        -------
        self : Edits
        """
        if not hasattr(audit, "suggested_cells"):
            raise TypeError(
                f"add_suggestions expects the LabelAudit returned by mlkit.insights.audit(); got "
                f"{type(audit).__name__}."
            )
        names = [str(n) for n in audit.label_names]
        if self.label_names is None:
            self.label_names = names
        rows, cols = audit.suggested_cells(top_n, min_score=min_score, max_share=max_share)
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            given = int(audit.Y[i, j])
            score = float(audit.issue_scores[i, j])
            kind = "missing" if given == 0 else "wrong"
            self.relabel(i, names[j], 1 - given, reason=f"audit: likely {kind} (score {score:.3f})")
        return self

    def extend(self, other: Edits) -> Edits:
        """Append the edits of another :class:`Edits`.

        Parameters
        ----------
        other : Edits
            Its edits are appended after these.

        Returns
        -------
        self : Edits
        """
        if not isinstance(other, Edits):
            raise TypeError(f"extend expects an Edits; got {type(other).__name__}.")
        self._items.extend(other._items)
        if self.label_names is None:
            self.label_names = other.label_names
        return self

    # ---------------------------------------------------------------- inspect
    def __len__(self):
        return len(self._items)

    def __iter__(self):
        for action, row, label, value, reason in self._items:
            yield {"action": action, "row": row, "label": label, "value": value,
                   "reason": reason}

    def __repr__(self):
        n_drop = sum(1 for it in self._items if it[0] == _DROP)
        n_set = sum(1 for it in self._items if it[0] == _SET and it[3] == 1)
        n_clear = len(self._items) - n_drop - n_set
        return (f"<Edits: {n_set} labels to add, {n_clear} to remove, "
                f"{n_drop} rows to drop>")

    def to_frame(self) -> pd.DataFrame:
        """The edits as a DataFrame (``action``, ``row``, ``label``, ``value``, ``reason``).

        ``action`` is ``"add"``, ``"remove"`` or ``"drop"``.

        Returns
        -------
        frame : pandas.DataFrame
            One row per edit, in the order they were recorded.
        """
        from .._optional import import_optional

        pd = import_optional("pandas", purpose="Edits.to_frame")
        records = []
        for action, row, label, value, reason in self._items:
            name = "drop" if action == _DROP else ("add" if value == 1 else "remove")
            records.append((name, row, label, value, reason))
        return pd.DataFrame(records, columns=["action", "row", "label", "value", "reason"])

    # ---------------------------------------------------------------- apply
    def _resolve(self, label, names, n_labels):
        if isinstance(label, str):
            if names is None:
                raise ValueError(
                    f"The edit names the label {label!r}, but the labels have no names (a plain "
                    "matrix). Pass label_names to apply() or to Edits(), or give the label's "
                    "column index."
                )
            index = {str(n): j for j, n in enumerate(names)}
            if label not in index:
                known = ", ".join(map(str, list(names)[:10]))
                more = "" if len(names) <= 10 else f", ... ({len(names)} in all)"
                raise ValueError(
                    f"Unknown label {label!r} in the edits. Known labels: {known}{more}."
                )
            return index[label]
        if not 0 <= label < n_labels:
            raise ValueError(
                f"Label index {label} is out of range: the labels have {n_labels} columns."
            )
        return label

    def _plan(self, n_rows, names, n_labels):
        """(cell -> value dict, sorted kept rows)."""
        cells = {}
        dropped = set()
        for action, row, label, value, _ in self._items:
            if row >= n_rows:
                raise ValueError(
                    f"An edit refers to row {row}, but the data has {n_rows} rows (positions 0 "
                    f"to {n_rows - 1})."
                )
            if action == _DROP:
                dropped.add(row)
            else:
                cells[(row, self._resolve(label, names, n_labels))] = value
        kept = np.asarray([i for i in range(n_rows) if i not in dropped], dtype=np.int64)
        return cells, kept

    def apply(self, texts: Any, Y: Any, *,
              label_names: Sequence[str] | None = None) -> tuple[Any, Any, NDArray[np.intp]]:
        """Apply the edits to copies of ``texts`` and ``Y``.

        Parameters
        ----------
        texts : list, tuple, ndarray or Series of str
            The texts, one per row.
        Y : array-like, sparse matrix, DataFrame or list of label collections
            The labels, in any form mlkit accepts; the result has the same
            form (a DataFrame keeps its columns, dtypes and index labels; a
            list of label collections keeps each row's label order and
            container type).
        label_names : sequence of str, default=None
            Label names in column order for a matrix ``Y`` (else the names
            given to ``Edits``); for label lists, the full label set when some
            labels to add do not occur in ``Y``.

        Returns
        -------
        texts : same type as ``texts``
            The kept texts.
        Y : same type as ``Y``
            The edited labels of the kept rows.
        kept_rows : ndarray of int
            Positions (in the input) of the rows kept, in order.
        """
        n = self._n_texts(texts)
        if is_dataframe(Y):
            n_y = Y.shape[0]
        elif sp.issparse(Y) or isinstance(Y, np.ndarray):
            n_y = Y.shape[0]
        else:
            try:
                n_y = len(Y)
            except TypeError:
                raise TypeError(
                    f"Y of type {type(Y).__name__} is not a label collection; pass a 0/1 matrix, "
                    "a DataFrame of 0/1 columns or a list of label collections."
                ) from None
        if n_y != n:
            raise ValueError(
                f"texts has {n} rows but Y has {n_y}; pass the texts and labels of the same rows."
            )
        if looks_like_label_lists(Y):
            Y2, kept = self._apply_label_lists(Y, n, label_names)
        else:
            Y2, kept = self._apply_matrix(Y, n, label_names)
        return self._take_texts(texts, kept), Y2, kept

    @staticmethod
    def _n_texts(texts):
        if isinstance(texts, (str, bytes)):
            raise TypeError("texts must be a collection of str, not a single string.")
        if hasattr(texts, "shape"):
            return int(texts.shape[0])
        try:
            return len(texts)
        except TypeError:
            raise TypeError(
                f"texts of type {type(texts).__name__} has no length; pass a list, tuple, array "
                "or Series of str."
            ) from None

    @staticmethod
    def _take_texts(texts, kept):
        if hasattr(texts, "iloc"):
            return texts.iloc[kept].copy()
        if isinstance(texts, np.ndarray):
            return texts[kept].copy()
        if isinstance(texts, tuple):
            return tuple(texts[i] for i in kept)
        seq = list(texts)
        return [seq[i] for i in kept]

    def _names_for_matrix(self, Y, label_names, n_labels):
        if label_names is not None:
            names = [str(x) for x in label_names]
        elif is_dataframe(Y):
            names = [str(c) for c in Y.columns]
        else:
            names = self.label_names
        if names is not None and len(names) != n_labels:
            raise ValueError(
                f"Y has {n_labels} label columns but {len(names)} label names are known; pass "
                "label_names with one name per column."
            )
        return names

    def _apply_matrix(self, Y, n, label_names):
        # validates the values (0/1) without changing Y
        Ychk, _ = check_label_matrix(Y)
        n_labels = Ychk.shape[1]
        names = self._names_for_matrix(Y, label_names, n_labels)
        cells, kept = self._plan(n, names, n_labels)
        if is_dataframe(Y):
            out = Y.copy()
            for (i, j), v in cells.items():
                out.iloc[i, j] = bool(v) if out.dtypes.iloc[j].kind == "b" else v
            return out.iloc[kept], kept
        if sp.issparse(Y):
            fmt = Y.format
            out = Y.tolil(copy=True)
            for (i, j), v in cells.items():
                out[i, j] = v
            out = out[kept] if len(kept) != n else out
            out = out.asformat(fmt)
            if hasattr(out, "eliminate_zeros"):
                out.eliminate_zeros()
            return out, kept
        if isinstance(Y, np.ndarray):
            out = Y.copy()
            for (i, j), v in cells.items():
                out[i, j] = v
            return out[kept], kept
        # nested lists (or tuples) of 0/1: return the same nesting
        rows = [list(r) for r in Y]
        for (i, j), v in cells.items():
            old = rows[i][j]
            rows[i][j] = type(old)(v) if isinstance(old, (bool, int, float)) else v
        out = [rows[i] if isinstance(Y[i], list) else type(Y[i])(rows[i]) for i in kept]
        return (tuple(out) if isinstance(Y, tuple) else out), kept

    def _apply_label_lists(self, Y, n, label_names):
        series = is_series(Y)
        items = Y.tolist() if series else list(Y)
        Ychk, names = check_label_matrix(items, label_names=label_names)
        names = [str(x) for x in names]
        cells, kept = self._plan(n, names, len(names))
        per_row = {}
        for (i, j), v in cells.items():
            per_row.setdefault(i, []).append((names[j], v))
        out_items = []
        for i in kept:
            item = items[i]
            if i not in per_row:
                out_items.append(item)
                continue
            if item is None or (isinstance(item, float) and np.isnan(item)):
                current, kind = [], list
            elif isinstance(item, str):
                current, kind = [item], str
            else:
                current, kind = list(item), type(item)
            for name, v in per_row[i]:
                present = [x for x in current if str(x) == name]
                if v == 1 and not present:
                    current.append(name)
                elif v == 0 and present:
                    current = [x for x in current if str(x) != name]
            if kind is str:
                new = current[0] if len(current) == 1 else list(current)
            elif kind in (list, tuple, set, frozenset):
                new = kind(current)
            elif isinstance(item, np.ndarray):
                new = np.asarray(current, dtype=item.dtype if len(current) else object)
            else:
                new = list(current)
            out_items.append(new)
        if series:
            return _series_assign(Y, kept, out_items), kept
        if isinstance(Y, np.ndarray):
            out = np.empty(len(out_items), dtype=object)
            for k, v in enumerate(out_items):
                out[k] = v
            return out, kept
        if isinstance(Y, tuple):
            return tuple(out_items), kept
        return out_items, kept


def _series_assign(Y, kept, items):
    out = Y.iloc[kept].copy()
    values = np.empty(len(items), dtype=object)
    for k, v in enumerate(items):
        values[k] = v
    return out.__class__(values, index=out.index, name=out.name, dtype=object)
