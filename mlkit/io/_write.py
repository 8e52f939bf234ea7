"""Writing: :func:`write_table` (any DataFrame) and :func:`write_dataset` (a Dataset, edited)."""

from __future__ import annotations

import io
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._atomic import atomic_write
from .._json import json_default
from .._optional import import_optional
from ._errors import DataError
from ._files import SEPARATORS, check_format, compression, detect_format

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

    from ._dataset import Dataset

__all__ = ["write_dataset", "write_table"]


def _jsonl_lines(frame):
    columns = list(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        record = {}
        for c, v in zip(columns, row, strict=True):
            if isinstance(v, float) and math.isnan(v):
                v = None
            record[c] = v
        yield json.dumps(record, ensure_ascii=False, default=json_default) + "\n"


def _write_frame(frame, f, fmt):
    """Write ``frame`` to the binary file ``f`` in ``fmt``."""
    if fmt == "parquet":
        pa = import_optional("pyarrow", purpose="Writing Parquet files")
        pq = import_optional("pyarrow.parquet", purpose="Writing Parquet files")
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), f)
        return
    text = io.TextIOWrapper(f, encoding="utf-8", newline="", write_through=True)
    try:
        if fmt == "jsonl":
            for line in _jsonl_lines(frame):
                text.write(line)
        else:
            frame.to_csv(text, sep=SEPARATORS[fmt], index=False, lineterminator="\n")
        text.flush()
    finally:
        text.detach()


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], *,
                format: str | None = None) -> str:
    """Write a DataFrame as CSV, TSV, JSON Lines or Parquet, atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str, os.PathLike or "-"
        Output file (a ``.gz``, ``.bz2`` or ``.xz`` suffix compresses it), or
        ``"-"`` for standard output. The file is replaced only once it is
        completely written.
    format : {"csv", "tsv", "jsonl", "parquet"}, default=None
        From the file name when None (CSV for ``"-"`` or an unknown
        extension).

    Returns
    -------
    format : str
        The format written.
    """
    fmt = check_format(format) or (
        detect_format(path) if str(path) != "-" else None) or "csv"
    if str(path) == "-":
        if fmt == "parquet":
            raise DataError("Parquet cannot be written to stdout; give an output file.")
        _write_frame(frame, sys.stdout.buffer, fmt)
        sys.stdout.buffer.flush()
        return fmt
    module = compression(path)
    with atomic_write(path, "wb") as f:
        if module is None:
            _write_frame(frame, f, fmt)
        else:
            with module.open(f, "wb") as cf:
                _write_frame(frame, cf, fmt)
    return fmt


def write_dataset(dataset: Dataset, path: str | os.PathLike[str], *,
                  texts: Sequence[str] | None = None, Y: ArrayLike | None = None,
                  rows: ArrayLike | None = None, format: str | None = None) -> str:
    """Write a dataset back in its own layout, with edited labels or a subset of rows.

    The output keeps every column of the input, in order; only the text
    column (``texts``) and the label columns (``Y``) are replaced, and only
    the rows in ``rows`` are kept. This is how ``mlkit inspect
    --export-clean`` writes the cleaned data: ``texts2, Y2, kept =
    edits.apply(texts, Y)`` then ``write_dataset(ds, path, texts=texts2,
    Y=Y2, rows=kept)``.

    Parameters
    ----------
    dataset : Dataset
        From :func:`read_dataset` (not modified).
    path : str, os.PathLike or "-"
    texts, Y, rows : see :meth:`Dataset.to_frame`
    format : str, default=None
        The format of ``path``'s extension, else the dataset's own format.

    Returns
    -------
    format : str
        The format written.
    """
    fmt = check_format(format) or (
        detect_format(path) if str(path) != "-" else None) or dataset.format
    return write_table(dataset.to_frame(texts=texts, Y=Y, rows=rows), path, format=fmt)
