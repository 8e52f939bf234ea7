"""``Edits``: a cart of label changes and row removals, applied to a copy of the data."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._labels import check_label_matrix, is_dataframe, is_series, looks_like_label_lists
from ._rules import LIKELY, MAX_EDIT_SHARE

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

__all__ = ["ROW_NUMBERING", "Edits"]

_SET, _DROP = "set", "drop"

#: how every row number of the audit and its edits counts (console, tables, exports, logs)
ROW_NUMBERING = "row = 0-based position in the input data (header not counted)"

#: what :meth:`Edits.preview` says of each edit
APPLIED, NO_CHANGE, OVERRIDDEN, DROPPED, SKIPPED_EMPTY = (
    "applied", "no change", "overridden by a later edit", "row dropped",
    "skipped: would leave the row without labels")

#: ``allow_empty="auto"`` lets edits empty a row when at least this share of the input's rows
#: has no label already (a state the data uses, e.g. clean comments in toxicity data)
EMPTY_ROWS_SHARE = 0.01

_LOG_FORMAT = "mlkit-edit-log"
_LOG_VERSION = 1


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
            Row: 0-based position in the input data (header not counted).
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
            Row: 0-based position in the input data (header not counted).
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
            Row: 0-based position in the input data (header not counted).
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
            Rows: 0-based positions in the input data (header not counted).
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
                        max_share: float | str | None = MAX_EDIT_SHARE) -> Edits:
        """Add the fixes a :class:`LabelAudit` suggests (see :meth:`LabelAudit.suggest_edits`).

        Parameters
        ----------
        audit : LabelAudit
            The result of :func:`mlkit.insights.audit`.
        top_n : int or None, default=None
            At most the ``top_n`` most suspicious cells that pass the
            per-label limits and ``min_score`` (None: all of them).
        min_score : float, default=0.5
            Lowest score suggested, also with ``top_n``.
        max_share : float, "auto" or None, default=0.1
            At most ``ceil(max_share * support)`` edits per label (None: no
            cap; ``"auto"``: the share of noise the audit expects, see
            :meth:`LabelAudit.suggest_edits`).

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

    def undo(self, n: int = 1) -> Edits:
        """Take back the last ``n`` recorded edits (the cart only: nothing was applied yet).

        To reverse edits already applied to data and exported, see
        :meth:`write_log` and :meth:`revert`.

        Parameters
        ----------
        n : int, default=1
            How many of the most recent edits to remove.

        Returns
        -------
        self : Edits
        """
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"n must be a non-negative int; got {n!r}.")
        if n > len(self._items):
            raise ValueError(f"Cannot undo {n} edit(s): only {len(self._items)} recorded.")
        del self._items[len(self._items) - n:]
        return self

    def remove(self, index: int) -> Edits:
        """Remove one recorded edit, by its position in :meth:`to_frame` (from 0).

        Parameters
        ----------
        index : int
            Position of the edit (negative counts from the end).

        Returns
        -------
        self : Edits
        """
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"index must be an int; got {type(index).__name__} {index!r}.")
        if not -len(self._items) <= index < len(self._items):
            raise IndexError(f"No edit at position {index}: {len(self._items)} recorded "
                             "(positions 0 to {}).".format(len(self._items) - 1))
        del self._items[index]
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

        ``action`` is ``"add"``, ``"remove"`` or ``"drop"``; ``row`` is the
        0-based position of the row in the input data (header not counted),
        also stated in ``frame.attrs["row_numbering"]``.

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
        frame = pd.DataFrame(records, columns=["action", "row", "label", "value", "reason"])
        frame.attrs["row_numbering"] = ROW_NUMBERING
        return frame

    def preview(self, Y: Any, *, label_names: Sequence[str] | None = None,
                allow_empty: bool | str = False) -> pd.DataFrame:
        """What :meth:`apply` would do to the labels ``Y``, edit by edit.

        Parameters
        ----------
        Y : array-like, sparse matrix, DataFrame or list of label collections
            The labels the edits are for.
        label_names : sequence of str, default=None
            As in :meth:`apply`.
        allow_empty : bool or "auto", default=False
            As in :meth:`apply`.

        Returns
        -------
        frame : pandas.DataFrame
            One row per recorded edit, in order: ``action``, ``row`` (0-based
            position in the input data, header not counted), ``label``,
            ``old`` and ``new`` (the cell's value before and after; None for
            a dropped row), ``status`` (``"applied"``, ``"no change"``,
            ``"overridden by a later edit"``, ``"row dropped"`` or
            ``"skipped: would leave the row without labels"``) and
            ``reason``.
        """
        from .._optional import import_optional

        pd = import_optional("pandas", purpose="Edits.preview")
        frame = pd.DataFrame(self._records(Y, label_names, allow_empty)[0],
                             columns=["action", "row", "label", "col", "old", "new", "status",
                                      "reason"]).drop(columns="col")
        frame.attrs["row_numbering"] = ROW_NUMBERING
        return frame

    def _as01(self, Y, label_names):
        """The labels as a 0/1 matrix (dense or CSR) and their names (None: unnamed)."""
        if looks_like_label_lists(Y):
            M, names = check_label_matrix(Y.tolist() if is_series(Y) else list(Y),
                                          label_names=label_names)
            names = [str(x) for x in names]
        else:
            M, _ = check_label_matrix(Y)
            names = self._names_for_matrix(Y, label_names, M.shape[1])
        return (M.tocsr() if sp.issparse(M) else np.asarray(M)), names

    def _records(self, Y, label_names, allow_empty):
        """(one record per edit, the 0/1 labels, their names, the kept rows)."""
        Y01, names = self._as01(Y, label_names)
        _, kept, status, old = self._plan(Y01, names, allow_empty)
        records = []
        for (action, row, label, value, reason), st, o in zip(self._items, status, old,
                                                              strict=True):
            if action == _DROP:
                records.append(("drop", row, None, None, None, None, st, reason))
                continue
            col = self._resolve(label, names, Y01.shape[1])
            name = names[col] if names is not None else col
            records.append(("add" if value == 1 else "remove", row, name, col, o, value, st,
                            reason))
        return records, Y01, names, kept

    # ---------------------------------------------------------------- undo an export
    def write_log(self, path: Any, texts: Any, Y: Any, *,
                  label_names: Sequence[str] | None = None, allow_empty: bool | str = False,
                  metadata: dict[str, Any] | None = None) -> Any:
        """Write the log of applying these edits to (``texts``, ``Y``): what :meth:`revert` undoes.

        A JSON file (written atomically) with every edit, its old and new
        value and its status (as :meth:`preview`), the text and labels of
        every dropped row, and fingerprints of the data before and after, so
        that :meth:`revert` restores the original exactly and refuses data
        that changed since. ``mlkit inspect --export-clean`` writes one next
        to the export; ``mlkit inspect --undo LOG`` reverses it.

        Parameters
        ----------
        path : str or os.PathLike
            The log file.
        texts, Y : as in :meth:`apply`
            The data the edits are applied to (before the edits).
        label_names : sequence of str, default=None
            As in :meth:`apply`.
        allow_empty : bool or "auto", default=False
            As in :meth:`apply`.
        metadata : dict, default=None
            Extra JSON-serializable entries stored under ``"metadata"``.

        Returns
        -------
        path : pathlib.Path
        """
        import json
        from pathlib import Path

        from .._atomic import atomic_write

        records, Y01, names, kept = self._records(Y, label_names, allow_empty)
        seq = list(self._take_texts(texts, np.arange(self._check_lengths(texts, Y))))
        texts2, Y2, _ = self._apply(seq, Y01, names, allow_empty)
        keys = ("action", "row", "label", "col", "old", "new", "status", "reason")
        dropped = sorted(set(range(len(seq))) - set(kept.tolist()))
        log = {
            "format": _LOG_FORMAT, "version": _LOG_VERSION, "row_numbering": ROW_NUMBERING,
            "n_rows": len(seq), "n_labels": int(Y01.shape[1]),
            "label_names": names, "allow_empty": _allows_empty(allow_empty, Y01),
            "original": _fingerprint(seq, Y01, names), "edited": _fingerprint(texts2, Y2, names),
            "edits": [dict(zip(keys, r, strict=True)) for r in records],
            "dropped": [{"row": i, "text": seq[i], "labels": np.flatnonzero(
                _row01(Y01, i)).tolist()} for i in dropped],
            "metadata": dict(metadata or {}),
        }
        path = Path(path)
        with atomic_write(path, "w", encoding="utf-8") as fh:
            json.dump(log, fh, ensure_ascii=False, indent=1, default=_json_default)
        return path

    @staticmethod
    def read_log(path: Any) -> dict[str, Any]:
        """Read and check an edit log written by :meth:`write_log`.

        Parameters
        ----------
        path : str or os.PathLike
            The log file.

        Returns
        -------
        log : dict
            Its contents: ``row_numbering``, ``n_rows``, ``label_names``,
            ``edits`` (``action``, ``row``, ``label``, ``col``, ``old``,
            ``new``, ``status``, ``reason``), ``dropped``, ``metadata``, and
            the fingerprints ``original`` and ``edited``.
        """
        return _load_log(path)

    @classmethod
    def revert(cls, log: Any, texts: Any, Y: Any, *,
               label_names: Sequence[str] | None = None) -> tuple[Any, Any]:
        """Undo applied edits: the original data from the edited data and its edit log.

        Parameters
        ----------
        log : str, os.PathLike or dict
            The log written by :meth:`write_log` (or its loaded contents).
        texts, Y : as in :meth:`apply`
            The edited data, exactly as the edits left it.
        label_names : sequence of str, default=None
            As in :meth:`apply` (default: the names stored in the log).

        Returns
        -------
        texts, Y
            The original data: same types as given when no row was dropped
            (a matrix gets its original cells back; a list of label
            collections its label sets), else a list of texts and a 0/1
            ndarray. It is checked against the fingerprint of the original.
        """
        log = _load_log(log)
        names = log["label_names"] if label_names is None else label_names
        n = cls()._check_lengths(texts, Y)
        Y01, _ = cls()._as01(Y, names)
        seq = list(cls._take_texts(texts, np.arange(n)))
        if _fingerprint(seq, Y01, log["label_names"]) != log["edited"]:
            raise ValueError(
                "This data is not the edited data the log was written for (its texts or labels "
                "changed since, or it is another file); revert needs the export exactly as "
                "written."
            )
        applied = [e for e in log["edits"] if e["status"] == APPLIED and e["action"] != "drop"]
        if log["dropped"]:
            out_texts, out_Y = _reinsert(log, seq, Y01)
            for e in applied:
                out_Y[e["row"], e["col"]] = e["old"]
        else:
            back = cls(label_names=log["label_names"])
            for e in applied:
                back.relabel(e["row"], e["col"], e["old"])
            out_texts, out_Y, _ = back._apply(texts, Y, names, True)
        check, _ = cls()._as01(out_Y, names)
        if _fingerprint(list(cls._take_texts(out_texts, np.arange(log["n_rows"]))), check,
                        log["label_names"]) != log["original"]:
            raise ValueError("Reverting the log did not give back the original data; the log "
                             "does not belong to this data.")
        return out_texts, out_Y

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

    def _plan(self, Y01, names, allow_empty=True):
        """What applying the edits to the 0/1 labels ``Y01`` does.

        Returns (cell -> new value of the cells that change, sorted kept rows,
        status of each edit, old value of each edit's cell or None).
        """
        n_rows, n_labels = Y01.shape
        last, dropped = {}, set()
        status = [DROPPED] * len(self._items)
        old = [None] * len(self._items)
        for k, (action, row, label, value, _) in enumerate(self._items):
            if row >= n_rows:
                raise ValueError(
                    f"An edit refers to row {row}, but the data has {n_rows} rows (positions 0 "
                    f"to {n_rows - 1}; {ROW_NUMBERING})."
                )
            if action == _DROP:
                dropped.add(row)
                continue
            cell = (row, self._resolve(label, names, n_labels))
            old[k] = int(Y01[cell])
            if cell in last:
                status[last[cell]] = OVERRIDDEN
            last[cell] = k
            status[k] = APPLIED if old[k] != value else NO_CHANGE
        cells = {cell: self._items[k][3] for cell, k in last.items() if status[k] == APPLIED}
        if not _allows_empty(allow_empty, Y01):
            self._keep_rows_labelled(Y01, cells, last, status, dropped)
        kept = np.asarray([i for i in range(n_rows) if i not in dropped], dtype=np.int64)
        return cells, kept, status, old

    @staticmethod
    def _keep_rows_labelled(Y01, cells, last, status, dropped):
        """Skip, in each row the edits would leave without labels (that had some), its
        last-recorded removal (the least confident one for the audit's suggestions)."""
        delta = {}
        for (i, _), v in cells.items():
            delta[i] = delta.get(i, 0) + (1 if v == 1 else -1)
        for i, d in delta.items():
            if d >= 0 or i in dropped:
                continue
            n_given = int(Y01[i].sum())
            if n_given > 0 and n_given + d <= 0:
                removals = [(last[c], c) for c, v in cells.items() if c[0] == i and v == 0]
                k, cell = max(removals)
                status[k] = SKIPPED_EMPTY
                del cells[cell]

    def apply(self, texts: Any, Y: Any, *, label_names: Sequence[str] | None = None,
              allow_empty: bool | str = False) -> tuple[Any, Any, NDArray[np.intp]]:
        """Apply the edits to copies of ``texts`` and ``Y``.

        An edit that would leave a row with no label at all (a row that had
        some) is skipped, with a warning, unless ``allow_empty`` allows it:
        of the removals that would empty the row, the last one recorded (for
        the audit's suggestions, the least confident) is not applied.
        :meth:`preview` lists what is applied and what is skipped.

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
        allow_empty : bool or "auto", default=False
            True: apply removals even when they leave a row without labels;
            False (default): never; ``"auto"``: only when at least 1% of the
            input's rows have no label already (a state the data uses, as in
            toxicity data where clean texts have none), else never.

        Returns
        -------
        texts : same type as ``texts``
            The kept texts.
        Y : same type as ``Y``
            The edited labels of the kept rows.
        kept_rows : ndarray of int
            Positions (in the input) of the rows kept, in order.
        """
        return self._apply(texts, Y, label_names, allow_empty, warn=True)

    def _apply(self, texts, Y, label_names, allow_empty, warn=False):
        n = self._check_lengths(texts, Y)
        if looks_like_label_lists(Y):
            Y2, kept, status = self._apply_label_lists(Y, n, label_names, allow_empty)
        else:
            Y2, kept, status = self._apply_matrix(Y, n, label_names, allow_empty)
        skipped = sorted({self._items[k][1] for k, st in enumerate(status)
                          if st == SKIPPED_EMPTY})
        if warn and skipped:
            shown = ", ".join(map(str, skipped[:10])) + (", ..." if len(skipped) > 10 else "")
            warnings.warn(
                f"{len(skipped)} edit(s) not applied: each would leave a row without labels "
                f"(rows {shown}; {ROW_NUMBERING}). Pass allow_empty=True to apply them; "
                "Edits.preview(Y) lists every edit's status.", UserWarning, stacklevel=3)
        return self._take_texts(texts, kept), Y2, kept

    def _check_lengths(self, texts, Y):
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
        return n

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

    def _apply_matrix(self, Y, n, label_names, allow_empty=True):
        # validates the values (0/1) without changing Y
        Ychk, _ = check_label_matrix(Y)
        n_labels = Ychk.shape[1]
        names = self._names_for_matrix(Y, label_names, n_labels)
        Ychk = Ychk.tocsr() if sp.issparse(Ychk) else Ychk
        cells, kept, status, _ = self._plan(Ychk, names, allow_empty)
        if is_dataframe(Y):
            out = Y.copy()
            for (i, j), v in cells.items():
                out.iloc[i, j] = bool(v) if out.dtypes.iloc[j].kind == "b" else v
            return out.iloc[kept], kept, status
        if sp.issparse(Y):
            fmt = Y.format
            out = Y.tolil(copy=True)
            for (i, j), v in cells.items():
                out[i, j] = v
            out = out[kept] if len(kept) != n else out
            out = out.asformat(fmt)
            if hasattr(out, "eliminate_zeros"):
                out.eliminate_zeros()
            return out, kept, status
        if isinstance(Y, np.ndarray):
            out = Y.copy()
            for (i, j), v in cells.items():
                out[i, j] = v
            return out[kept], kept, status
        # nested lists (or tuples) of 0/1: return the same nesting
        rows = [list(r) for r in Y]
        for (i, j), v in cells.items():
            old = rows[i][j]
            rows[i][j] = type(old)(v) if isinstance(old, (bool, int, float)) else v
        out = [rows[i] if isinstance(Y[i], list) else type(Y[i])(rows[i]) for i in kept]
        return (tuple(out) if isinstance(Y, tuple) else out), kept, status

    def _apply_label_lists(self, Y, n, label_names, allow_empty=True):
        series = is_series(Y)
        items = Y.tolist() if series else list(Y)
        Ychk, names = check_label_matrix(items, label_names=label_names)
        names = [str(x) for x in names]
        Ychk = Ychk.tocsr() if sp.issparse(Ychk) else Ychk
        cells, kept, status, _ = self._plan(Ychk, names, allow_empty)
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
            return _series_assign(Y, kept, out_items), kept, status
        if isinstance(Y, np.ndarray):
            out = np.empty(len(out_items), dtype=object)
            for k, v in enumerate(out_items):
                out[k] = v
            return out, kept, status
        if isinstance(Y, tuple):
            return tuple(out_items), kept, status
        return out_items, kept, status


def _series_assign(Y, kept, items):
    out = Y.iloc[kept].copy()
    values = np.empty(len(items), dtype=object)
    for k, v in enumerate(items):
        values[k] = v
    return out.__class__(values, index=out.index, name=out.name, dtype=object)


def _row01(Y01, i):
    return Y01[i].toarray().ravel() if sp.issparse(Y01) else np.asarray(Y01[i]).ravel()


def _fingerprint(texts, Y01, names):
    from ..io import dataset_fingerprint

    dense = Y01.toarray() if sp.issparse(Y01) else np.asarray(Y01)
    names = names if names is not None else [str(j) for j in range(dense.shape[1])]
    return dataset_fingerprint([str(t) for t in texts], dense, names)


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _load_log(log):
    import json

    if not isinstance(log, dict):
        try:
            with open(log, encoding="utf-8") as fh:
                log = json.load(fh)
        except (OSError, ValueError) as exc:
            raise ValueError(f"Cannot read the edit log {str(log)!r}: {exc}") from None
    if log.get("format") != _LOG_FORMAT or not isinstance(log.get("edits"), list):
        raise ValueError("This is not an mlkit edit log (written by Edits.write_log or "
                         "mlkit inspect --export-clean).")
    if log.get("version", 0) > _LOG_VERSION:
        raise ValueError(f"This edit log has version {log.get('version')}; this mlkit reads "
                         f"version {_LOG_VERSION} or older. Upgrade mlkit.")
    return log


def _reinsert(log, texts, Y01):
    """The full-size texts and 0/1 labels with the dropped rows put back."""
    n = log["n_rows"]
    dropped = {d["row"]: d for d in log["dropped"]}
    kept = [i for i in range(n) if i not in dropped]
    dense = Y01.toarray() if sp.issparse(Y01) else np.asarray(Y01)
    out_Y = np.zeros((n, dense.shape[1]), dtype=dense.dtype)
    out_Y[kept] = dense
    out_texts = [None] * n
    for k, i in enumerate(kept):
        out_texts[i] = texts[k]
    for i, d in dropped.items():
        out_texts[i] = d["text"]
        out_Y[i, d["labels"]] = 1
    return out_texts, out_Y


def _allows_empty(allow_empty, Y01):
    """Whether edits may leave a row without labels (``allow_empty`` resolved)."""
    if isinstance(allow_empty, (bool, np.bool_)):
        return bool(allow_empty)
    if allow_empty != "auto":
        raise ValueError(f'allow_empty must be True, False or "auto"; got {allow_empty!r}.')
    n_rows = Y01.shape[0]
    if not n_rows:
        return False
    row_sums = np.asarray(Y01.sum(axis=1)).ravel()
    return bool((row_sums == 0).mean() >= EMPTY_ROWS_SHARE)
