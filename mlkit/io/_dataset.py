"""The Dataset a file was read into: texts, labels, names and the layout they came in."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._labels import check_label_matrix
from ._files import pandas

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Dataset", "dataset_fingerprint"]


def dataset_fingerprint(texts: Sequence[str], Y: ArrayLike | None,
                        label_names: Sequence[str] | None) -> str:
    """A SHA-256 digest of texts, a 0/1 label matrix and the label names.

    Two datasets with the same rows in the same order (and the same labels)
    have the same fingerprint, whatever their file format. Model files record
    it for their training data.

    Parameters
    ----------
    texts : sequence of str
    Y : array-like of shape (n_samples, n_labels) or None
    label_names : sequence of str
        Ignored when ``Y`` is None.

    Returns
    -------
    digest : str
        ``"sha256:<hex>"``.
    """
    h = hashlib.sha256()
    for t in texts:
        b = t.encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    if Y is not None:
        h.update(np.ascontiguousarray(Y, dtype=np.int8).tobytes())
        h.update(json.dumps([str(n) for n in label_names]).encode())
    return "sha256:" + h.hexdigest()


class Dataset:
    """Texts and labels read from a file, with the layout they came in.

    Made by :func:`read_dataset`; write it back (with edits) with
    :func:`write_dataset`. To train with the label names kept as the model's
    ``classes_``, fit on :attr:`labels` (a DataFrame of named 0/1 columns)
    rather than on :attr:`Y` (a plain array, whose columns have no names)::

        ds = read_dataset("train.csv")
        model.fit(ds.texts, ds.labels)    # model.classes_ == ds.label_names

    Attributes
    ----------
    texts : list of str
    Y : ndarray of shape (n_samples, n_labels) of int64 or None
        0/1 label matrix; None when the file was read without labels.
    label_names : ndarray of object or None
        Label names in column order: the label columns' order (wide layout),
        the sorted tag names (tags layout with names), the given
        ``label_names`` or ``label_0``, ``label_1``, ... (a column of 0/1
        lists).
    text_col : str
    label_cols : list of str or None
        The 0/1 label columns (wide layout).
    labels_col : str or None
        The column of labels per row (tags layout).
    labels_format : {"names", "indicator", "ids"} or None
        What the cells of ``labels_col`` hold: label names, 0/1 lists (one
        value per label) or integer label ids. None in the wide layout.
    sep : str
        Separator of the names in the tags column.
    layout : {"wide", "tags"} or None
    format : str
        One of :data:`FORMATS`.
    source : str
        The path read, or ``"<stdin>"``.
    frame : pandas.DataFrame
        All the columns as read (not modified).
    ignored_labels : dict of str to int
        Tag names not in the requested ``label_names`` and how many rows
        carried them (``unknown_labels="ignore"``).
    detected : dict of str to str
        How the text column and the labels were chosen, by key
        ``"text_col"`` and ``"label_cols"`` or ``"labels_col"``: ``"given
        (text_col=)"``, ``"named 'text'"``, ``"the longest texts of 3 columns
        of texts (...)"``, ``"every column of only 0/1 (true/false, yes/no)
        values"``, ...
    unused_cols : dict of str to str
        The columns that are neither the text nor the labels, each with why
        (``"values other than 0/1"``, ``"an id-like or unnamed column"``,
        ``"empty"``, ``"not chosen"``).
    """

    def __init__(
        self,
        *,
        texts: list[str],
        Y: NDArray[np.int64] | None,
        label_names: NDArray[Any] | None,
        text_col: str,
        label_cols: list[str] | None,
        labels_col: str | None,
        sep: str,
        format: str,
        source: str,
        frame: pd.DataFrame,
        ignored_labels: dict[str, int] | None = None,
        tags_as_lists: bool = False,
        labels_format: str | None = None,
        detected: dict[str, str] | None = None,
        unused_cols: dict[str, str] | None = None,
    ) -> None:
        self.texts = texts
        self.Y = Y
        self.label_names = label_names
        self.text_col = text_col
        self.label_cols = label_cols
        self.labels_col = labels_col
        self.sep = sep
        self.format = format
        self.source = source
        self.frame = frame
        self.ignored_labels = dict(ignored_labels or {})
        self.labels_format = labels_format if labels_col is not None else None
        if self.labels_col is not None and self.labels_format is None:
            self.labels_format = "names"
        self._tags_as_lists = tags_as_lists
        self.detected = dict(detected or {})
        self.unused_cols = dict(unused_cols or {})

    @property
    def layout(self) -> str | None:
        """``"wide"`` (one 0/1 column per label), ``"tags"`` (one column of labels) or None."""
        if self.label_cols is not None:
            return "wide"
        if self.labels_col is not None:
            return "tags"
        return None

    @property
    def labels(self) -> pd.DataFrame | None:
        """The labels as a pandas DataFrame of 0/1 columns named by :attr:`label_names`.

        Every mlkit estimator, metric and :class:`~mlkit.ThresholdTuner`
        reads the column names as the label names, so ``fit(ds.texts,
        ds.labels)`` keeps them as ``classes_``. None when the file was read
        without labels. A new frame each time (edits do not change the
        dataset).
        """
        if self.Y is None:
            return None
        pd = pandas()
        return pd.DataFrame(self.Y, columns=[str(n) for n in self.label_names])

    def __len__(self):
        return len(self.texts)

    def __repr__(self):
        n_labels = 0 if self.label_names is None else len(self.label_names)
        return (f"<Dataset {self.source}: {len(self)} rows, {n_labels} labels, "
                f"layout={self.layout}, format={self.format}>")

    def fingerprint(self) -> str:
        """A SHA-256 digest of the texts, the labels and the label names.

        Two datasets with the same rows in the same order (and the same
        labels) have the same fingerprint, whatever their file format.

        Returns
        -------
        digest : str
            ``"sha256:<hex>"``.
        """
        return dataset_fingerprint(self.texts, self.Y, self.label_names)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary: source, format, layout, columns, sizes, fingerprint.

        Also how the columns were chosen (``detected``) and the columns left
        out with why (``unused_cols``), so that no guess is silent.

        Returns
        -------
        summary : dict
        """
        out = {
            "source": self.source,
            "format": self.format,
            "n_rows": len(self),
            "text_col": self.text_col,
            "layout": self.layout,
            "fingerprint": self.fingerprint(),
        }
        if self.detected:
            out["detected"] = dict(self.detected)
        if self.unused_cols:
            out["unused_cols"] = dict(self.unused_cols)
        if self.layout == "wide":
            out["label_cols"] = list(self.label_cols)
        elif self.layout == "tags":
            out["labels_col"] = self.labels_col
            out["sep"] = self.sep
            if self.labels_format != "names":
                out["labels_format"] = self.labels_format
        if self.Y is not None:
            out["n_labels"] = int(self.Y.shape[1])
            out["label_support"] = {
                str(n): int(c) for n, c in zip(self.label_names, self.Y.sum(axis=0), strict=True)
            }
        return out

    def to_frame(self, *, texts: Sequence[str] | None = None, Y: ArrayLike | None = None,
                 rows: ArrayLike | None = None) -> pd.DataFrame:
        """The dataset as a DataFrame in its own layout, optionally edited.

        Parameters
        ----------
        texts : sequence of str, default=None
            Replacement texts, one per kept row.
        Y : array-like of shape (n_kept, n_labels), default=None
            Replacement 0/1 labels, columns in the order of ``label_names``.
        rows : array-like of int, default=None
            Positions of the rows to keep (in the file's order), e.g. the
            ``kept_rows`` of an audit's edits; all rows when None.

        Returns
        -------
        frame : pandas.DataFrame
            A new frame with every original column; the text and label
            columns replaced where given. The dataset is not modified.
        """
        frame = self.frame
        if rows is not None:
            rows = np.asarray(rows, dtype=np.int64).ravel()
            if rows.size and (rows.min() < 0 or rows.max() >= len(frame)):
                raise ValueError(
                    f"rows must be positions in [0, {len(frame)}); got values from {rows.min()} "
                    f"to {rows.max()}."
                )
            frame = frame.iloc[rows]
        frame = frame.reset_index(drop=True).copy()
        n = len(frame)
        if texts is not None:
            texts = list(texts)
            if len(texts) != n:
                raise ValueError(f"texts has {len(texts)} items for {n} rows.")
            frame[self.text_col] = texts
        if Y is not None:
            self._put_labels(frame, Y, n)
        return frame

    def _put_labels(self, frame, Y, n):
        if self.layout is None:
            raise ValueError("This dataset was read without labels; cannot write Y.")
        Y, _ = check_label_matrix(Y, accept_sparse=False)
        if Y.shape != (n, len(self.label_names)):
            raise ValueError(
                f"Y has shape {Y.shape}; expected ({n}, {len(self.label_names)}): one row per "
                "kept row and one column per label, in the order of label_names."
            )
        if self.layout == "wide":
            for j, col in enumerate(self.label_cols):
                if self.format in ("csv", "tsv"):
                    frame[col] = np.where(Y[:, j] == 1, "1", "0")
                else:
                    frame[col] = Y[:, j].astype(np.int64)
            return
        if self.labels_format == "indicator":
            cells = [[int(v) for v in row] for row in Y]
        elif self.labels_format == "ids":
            cells = [[int(j) for j in np.flatnonzero(row)] for row in Y]
        else:
            names = [str(x) for x in self.label_names]
            cells = [[names[j] for j in np.flatnonzero(row)] for row in Y]
        if self._tags_as_lists:
            frame[self.labels_col] = pandas().Series(cells, index=frame.index, dtype=object)
        elif self.labels_format == "names":
            frame[self.labels_col] = [self.sep.join(c) for c in cells]
        else:
            frame[self.labels_col] = [json.dumps(c) for c in cells]
