"""Reading whole files: :func:`read_table` (a DataFrame) and :func:`read_dataset` (texts + labels)."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._labels import check_label_matrix, classify_label_rows
from .._optional import import_optional
from ._dataset import Dataset
from ._detect import (
    auto_label_columns,
    is_missing,
    label_cell,
    label_column,
    tags_column,
    text_column_choice,
    texts_from,
)
from ._errors import (
    DataError,
    check_unique_columns,
    display,
    empty_error,
    require_columns,
    shown,
)
from ._files import (
    SEPARATORS,
    check_encoding,
    decode,
    input_format,
    pandas,
    read_all_bytes,
    sniff,
)

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["read_dataset", "read_table"]


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------


class _DuplicateKey(ValueError):
    pass


def _unique_pairs(pairs):
    record = {}
    for key, value in pairs:
        if key in record:
            raise _DuplicateKey(key)
        record[key] = value
    return record


def json_loads(text):
    """``json.loads`` that refuses an object with the same key twice (json keeps the last)."""
    return json.loads(text, object_pairs_hook=_unique_pairs)


def _duplicate_key_error(key, where):
    return DataError(
        f"{where}: duplicate key {key!r}: it appears twice in one object, so it is not clear "
        "which value is meant. Keep one value per key (column names must be unique)."
    )


def parse_json_line(line, lineno, source):
    try:
        record = json_loads(line)
    except _DuplicateKey as exc:
        raise _duplicate_key_error(exc.args[0], f"{display(source)}, line {lineno}") from None
    except RecursionError:
        raise DataError(f"{display(source)}, line {lineno}: JSON nested too deeply.") from None
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{display(source)}, line {lineno}: not valid JSON ({exc.msg} at column "
            f"{exc.colno}). JSON Lines files hold one JSON object per line."
        ) from None
    if not isinstance(record, dict):
        raise DataError(
            f"{display(source)}, line {lineno}: expected a JSON object such as "
            f'{{"text": "...", "labels": ["a"]}}, got {type(record).__name__}.'
        )
    return record


def records_frame(records):
    pd = pandas()
    frame = pd.DataFrame.from_records(records)
    # from_records fills absent keys with NaN; keep the raw Python objects
    return frame.astype(object).where(frame.notna(), None) if len(frame) else frame


def read_jsonl_text(text, source):
    stripped = text.lstrip()
    if stripped.startswith("["):  # a JSON array of records
        try:
            records = json_loads(stripped)
        except _DuplicateKey as exc:
            raise _duplicate_key_error(exc.args[0], display(source)) from None
        except RecursionError:
            raise DataError(f"{display(source)}: JSON nested too deeply.") from None
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{display(source)} is not valid JSON ({exc.msg} at line {exc.lineno}, column "
                f"{exc.colno})."
            ) from None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise DataError(
                f"{display(source)} holds a JSON array whose items are not all objects; give "
                'one object per row such as {"text": "...", "labels": ["a"]}.'
            )
    else:
        records = [
            parse_json_line(line, lineno, source)
            for lineno, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
    if not records:
        raise empty_error(source)
    return records_frame(records)


def csv_error(exc, fmt, source, where=""):
    detail = str(exc).strip().splitlines()[-1].replace("Error tokenizing data. C error: ", "")
    hint = (" Check the quoting of texts that contain the separator, quotes or line breaks"
            + (" (or pass format='tsv' for a tab-separated file)." if fmt == "csv" else "."))
    return DataError(f"{display(source)} is not valid {fmt.upper()}{where}: {detail}.{hint}",
                     params=("format",))


def _read_delimited_text(text, fmt, source, header):
    pd = pandas()
    if not text.strip():
        raise empty_error(source)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=SEPARATORS[fmt], dtype=str, keep_default_na=False,
            header=0 if header else None,
        )
    except pd.errors.EmptyDataError:
        raise empty_error(source) from None
    except pd.errors.ParserError as exc:
        raise csv_error(exc, fmt, source) from None
    if header:
        check_header(frame, header_names(text, fmt), fmt, source)
    else:
        frame.columns = [str(i + 1) for i in range(frame.shape[1])]
    return frame


def header_names(text, fmt):
    """The names of the first record of a CSV/TSV text as written (pandas renames duplicates).

    None when the first record cannot be parsed on its own (``text`` cut short).
    """
    pd = pandas()
    try:
        first = pd.read_csv(io.StringIO(text), sep=SEPARATORS[fmt], dtype=str,
                            keep_default_na=False, header=None, nrows=1)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    return [str(v) for v in first.iloc[0].tolist()] if len(first) else None


def check_header(frame, names, fmt, source):
    """Refuse duplicate column names, and rows wider than the header.

    Given more fields per row than header names, pandas would silently read
    the first field(s) as a row index.
    """
    pd = pandas()
    if names is not None and len(names) == frame.shape[1]:
        check_unique_columns([n for n in names if n.strip()], source)
    if not isinstance(frame.index, pd.RangeIndex):
        n_extra = frame.index.nlevels
        raise DataError(
            f"{display(source)}: the data rows have {n_extra} more field(s) than the header "
            f"({frame.shape[1]} names: {shown(frame.columns)}), so it is not clear which "
            "columns they belong to. Give the header one name per column, or quote texts that "
            "contain the separator" + (" (or pass format='tsv' for a tab-separated file)."
                                       if fmt == "csv" else "."),
            params=("format",),
        )


def parquet_to_frame(table):
    frame = table.to_pandas()
    for col in frame.columns:  # list columns come back as numpy arrays
        if frame[col].dtype == object:
            frame[col] = [v.tolist() if isinstance(v, np.ndarray) else v for v in frame[col]]
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _read_parquet_bytes(data, source):
    pq = import_optional("pyarrow.parquet", purpose="Reading Parquet files")
    pa = import_optional("pyarrow", purpose="Reading Parquet files")
    try:
        pfile = pq.ParquetFile(io.BytesIO(data))
        check_unique_columns(pfile.schema_arrow.names, source)
        return parquet_to_frame(pfile.read(use_threads=False))
    except DataError:
        raise
    except (pa.ArrowException, *PARQUET_ERRORS) as exc:
        raise parquet_error(source, exc) from None


#: Besides pyarrow's own errors, what a damaged Parquet file raises: OSError (corrupt
#: pages), ValueError/KeyError/TypeError (a damaged pandas metadata block, bad JSON).
PARQUET_ERRORS = (OSError, EOFError, ValueError, KeyError, TypeError, IndexError)


def parquet_error(source, exc):
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(f"{display(source)} is not a readable Parquet file: {detail}. Check "
                     "that the file is complete (not cut short or damaged).")


def read_table(source: str | os.PathLike[str], *, format: str | None = None,
               encoding: str = "utf-8", header: bool = True) -> tuple[pd.DataFrame, str]:
    """Read a whole data file into a pandas DataFrame, keeping values as written.

    CSV and TSV cells are read as strings (no type guessing, no "NA"
    conversion: a text "NA" stays a text and an empty cell is ``""``); JSON
    Lines and Parquet keep their own types.

    Parameters
    ----------
    source : str, os.PathLike or "-"
        The file, or ``"-"`` for standard input.
    format : {"csv", "tsv", "jsonl", "parquet"}, default=None
        Guessed from the file name (or, for stdin or an unknown extension,
        from the first bytes) when None.
    encoding : str, default="utf-8"
        Text encoding of CSV, TSV and JSON Lines files (a UTF-8 byte-order
        mark is ignored).
    header : bool, default=True
        Whether a CSV/TSV file starts with a header line. Without one, the
        columns are named ``"1"``, ``"2"``, ...

    Returns
    -------
    frame : pandas.DataFrame
    format : str
        The format read.

    Raises
    ------
    DataError
        Missing or empty file, undecodable bytes, an unknown encoding, a
        damaged compressed or Parquet file, malformed CSV/JSON, duplicate
        column names, data rows with more fields than the header.
    """
    fmt = input_format(source, format)
    check_encoding(encoding)
    data = read_all_bytes(source)
    if not data.strip():
        raise empty_error(source)
    if fmt is None:
        fmt = sniff(data[:4096])
    if fmt == "parquet":
        frame = _read_parquet_bytes(data, source)
    else:
        text = decode(data, encoding, source)
        del data
        if fmt == "jsonl":
            frame = read_jsonl_text(text, source)
        else:
            frame = _read_delimited_text(text, fmt, source, header)
    frame.columns = [str(c) for c in frame.columns]
    if frame.shape[1] == 0:
        raise empty_error(source)
    if len(frame) == 0:
        raise DataError(
            f"{display(source)} has a header ({shown(frame.columns)}) but no data rows."
        )
    return frame, fmt


# --------------------------------------------------------------------------
# datasets
# --------------------------------------------------------------------------


def _check_options(label_cols, labels_col, sep, unknown_labels):
    """The options of :func:`read_dataset` that need no file; ``label_cols`` as a list."""
    if unknown_labels not in ("error", "ignore"):
        raise ValueError(f"unknown_labels must be 'error' or 'ignore'; got {unknown_labels!r}.")
    if label_cols is not None and labels_col is not None:
        raise DataError("Give either label_cols= (wide 0/1 columns) or labels_col= (a column "
                        "of labels per row), not both.", param="label_cols",
                        params=("labels_col",))
    if isinstance(label_cols, str):
        label_cols = [c.strip() for c in label_cols.split(",") if c.strip()]
    if label_cols is not None:
        label_cols = [str(c) for c in label_cols]
        if not label_cols:
            raise DataError("label_cols= is empty; list the 0/1 label columns, e.g. "
                            "'toxic,insult'.", param="label_cols")
        if len(set(label_cols)) != len(label_cols):
            raise DataError(f"label_cols= lists a column twice: {label_cols}.",
                            param="label_cols")
    if sep == "":
        raise DataError("sep= must not be empty.", param="sep")
    return label_cols, None if labels_col is None else str(labels_col)


def _text_column(frame, text_col, label_cols, labels_col, label_names, default_text_col,
                 source):
    columns = list(frame.columns)
    exclude = set(label_cols or ()) | ({labels_col} if labels_col else set())
    if label_cols is None and labels_col is None and label_names is not None:
        exclude |= {str(n) for n in label_names}
    how = None
    if text_col is None and default_text_col is not None and str(default_text_col) in columns:
        text_col = str(default_text_col)
        how = "the model's text column"
    text_col, found_how = text_column_choice(frame, text_col, exclude=exclude, source=source)
    if label_cols is not None and text_col in label_cols:
        raise DataError(f"Column {text_col!r} is both the text column and a label column.",
                        param="text_col", params=("label_cols",))
    if labels_col is not None and text_col == labels_col:
        raise DataError(f"Column {text_col!r} is both the text column and the labels column.",
                        param="text_col", params=("labels_col",))
    return text_col, how or found_how


def _model_label_columns(frame, label_names, where):
    """``label_names`` when they are all columns; raise when only some are."""
    columns = list(frame.columns)
    names = [str(n) for n in label_names]
    present = [n for n in names if n in columns]
    if len(present) == len(names):
        return names
    if present:
        missing = [n for n in names if n not in columns]
        raise DataError(
            f"{where} lacks the label column(s) {shown(missing)} that the model "
            f"predicts; its columns are: {shown(columns, 30)}."
        )
    return None


def _detect_layout(frame, text_col, source, unused):
    """(label_cols, labels_col, how) found without options; refuses an ambiguous file."""
    where = display(source)
    found = auto_label_columns(frame, text_col, source, unused)
    tags = tags_column(frame, text_col, exclude=found)
    if found and tags is not None and any(_holds_labels(v) for v in frame[tags].tolist()):
        raise DataError(
            f"{where} has both 0/1 columns ({shown(found)}) and a column of labels per row "
            f"({tags!r}), so its layout is ambiguous. Choose one: label_cols= for the 0/1 "
            "columns, or labels_col= for the labels column.",
            param="label_cols", params=("labels_col",),
        )
    if found:
        unused.pop(tags, None)
        return found, None, "every column of only 0/1 (true/false, yes/no) values"
    if tags is not None:
        unused.pop(tags, None)
        return None, tags, f"named {tags!r}"
    return None, None, None


def _holds_labels(value):
    try:
        return len(label_cell(value, ",")) > 0
    except TypeError:
        return True


def _choose_layout(frame, text_col, label_cols, labels_col, label_names, default_labels_col,
                   source, unused):
    """(label_cols, labels_col, how they were chosen); ``unused`` gets the other columns."""
    if label_cols is not None:
        return label_cols, None, "given (label_cols=)"
    if labels_col is not None:
        return None, labels_col, "given (labels_col=)"
    if label_names is not None:
        label_cols = _model_label_columns(frame, label_names, display(source))
        if label_cols is not None:
            return label_cols, None, "the model's label names"
    if default_labels_col is not None and str(default_labels_col) in frame.columns and str(
            default_labels_col) != text_col:
        return None, str(default_labels_col), "the model's labels column"
    return _detect_layout(frame, text_col, source, unused)


def _no_labels_error(frame, text_col, source):
    return DataError(
        f"{display(source)}: found no label columns (no column other than the text column "
        f"{text_col!r} holds only 0/1 values, and none is named labels or tags); its "
        f"columns are: {shown(frame.columns, 30)}. Pass label_cols= (one 0/1 column per "
        "label) or labels_col= (a column of labels per row, with sep=).",
        param="label_cols", params=("labels_col", "sep"),
    )


def _read_wide(frame, label_cols, label_names, source):
    """(Y, names, label_cols) from 0/1 columns, reordered to ``label_names`` when given."""
    Y = np.column_stack([label_column(frame[c], c, source) for c in label_cols]).astype(
        np.int64)
    names = np.asarray(label_cols, dtype=object)
    if label_names is None or [str(n) for n in label_names] == list(label_cols):
        return Y, names, label_cols
    missing = [str(n) for n in label_names if str(n) not in set(label_cols)]
    if missing:
        raise DataError(
            f"{display(source)} lacks the label column(s) {shown(missing)} that the model "
            "predicts; give every label column."
        )
    index = {c: j for j, c in enumerate(label_cols)}
    Y = Y[:, [index[str(n)] for n in label_names]]
    names = np.asarray([str(n) for n in label_names], dtype=object)
    return Y, names, list(names)


def _tag_cells(frame, labels_col, sep, source):
    """The parsed cells of a labels column, and whether the file held real lists."""
    cells = []
    as_lists = False
    for i, v in enumerate(frame[labels_col].tolist()):
        if isinstance(v, (list, tuple, np.ndarray)):
            as_lists = True
        try:
            cells.append(None if is_missing(v) else label_cell(v, sep))
        except TypeError as exc:
            raise DataError(
                f"{display(source)}: row {i + 1} of the labels column {labels_col!r} holds a "
                f"{exc}, not labels. Give names joined by {sep!r}, a list of names, a list of "
                "0/1 values or a list of label ids."
            ) from None
    return cells, as_lists


def _numeric_labels(cells, labels_col, label_names, source):
    """(Y, names, format) for a labels column of number lists: 0/1 rows or label ids."""
    where = display(source)
    n_labels = None if label_names is None else len(label_names)
    kind, detail = classify_label_rows(cells, n_labels)
    if kind == "indicator":
        Y = np.asarray(cells, dtype=np.int64)
        names = (np.asarray([str(n) for n in label_names], dtype=object) if label_names
                 is not None else np.asarray([f"label_{j}" for j in range(Y.shape[1])],
                                             dtype=object))
        return Y, names, "indicator"
    if kind == "ids":
        try:
            Y, _ = check_label_matrix(cells, n_labels=n_labels, accept_sparse=False)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{where}: labels column {labels_col!r}: {exc}",
                            param="label_names") from None
        return Y, np.asarray([str(n) for n in label_names], dtype=object), "ids"
    if kind == "missing":
        rows = ", ".join(str(r + 1) for r in detail[:5])
        raise DataError(
            f"{where}: the labels column {labels_col!r} holds 0/1 lists but row(s) {rows} have "
            "none. Give every row its 0/1 list (all zeros for no label), or drop those rows."
        )
    raise DataError(
        f"{where}: the labels column {labels_col!r} holds lists of numbers that are not 0/1 "
        f"rows of one length ({detail}), so they cannot be read without the label set. If "
        "they are label ids (0 = the first label), give the label names in id order with "
        "label_names=; if they are 0/1 indicators, give every row one value per label.",
        param="label_names",
    )


def _id_tokens(rows, label_names):
    """True when every label is a non-negative integer and none is one of ``label_names``.

    Then the labels can only be ids into ``label_names`` (as in GoEmotions' own
    files, ``"4,27"``); integers that are label names stay names.
    """
    if label_names is None:
        return False
    tokens = {t for r in rows for t in r}
    names = {str(n) for n in label_names}
    return bool(tokens) and all(t.isdigit() for t in tokens) and not tokens & names


def _read_tags(frame, labels_col, sep, label_names, unknown_labels, source):
    """(Y, names, ignored, labels_format, as_lists) from a column of labels per row."""
    where = display(source)
    cells, as_lists = _tag_cells(frame, labels_col, sep, source)
    values = [t for r in cells if r is not None for t in r]
    if values and not any(isinstance(t, str) for t in values):
        Y, names, fmt = _numeric_labels(cells, labels_col, label_names, source)
        return Y, names, {}, fmt, as_lists
    rows = [[str(t) for t in r or ()] for r in cells]
    if _id_tokens(rows, label_names):  # e.g. GoEmotions' "4,27" with the 28 emotion names
        cells = [None if r is None else [int(t) for t in r] for r in rows]
        Y, names, fmt = _numeric_labels(cells, labels_col, label_names, source)
        return Y, names, {}, fmt, as_lists
    if label_names is None:
        names = np.asarray(sorted({t for r in rows for t in r}), dtype=object)
        if len(names) == 0:
            raise DataError(
                f"{where}: the labels column {labels_col!r} holds no label in any row. Check "
                "labels_col= and sep=.", param="labels_col", params=("sep",),
            )
    else:
        names = np.asarray([str(n) for n in label_names], dtype=object)
    index = {n: j for j, n in enumerate(names)}
    Y = np.zeros((len(rows), len(names)), dtype=np.int64)
    ignored = {}
    for i, r in enumerate(rows):
        for t in r:
            j = index.get(t)
            if j is None:
                ignored[t] = ignored.get(t, 0) + 1
            else:
                Y[i, j] = 1
    if ignored and unknown_labels == "error":
        raise DataError(
            f"{where}: the labels column {labels_col!r} holds label(s) the model does not "
            f"know: {shown(sorted(ignored))}. Known labels: {shown(names)}."
        )
    return Y, names, ignored, "names", as_lists


def read_dataset(
    source: str | os.PathLike[str],
    *,
    text_col: str | None = None,
    label_cols: str | Sequence[str] | None = None,
    labels_col: str | None = None,
    sep: str = ",",
    format: str | None = None,
    encoding: str = "utf-8",
    header: bool = True,
    label_names: Sequence[str] | None = None,
    require_labels: bool = True,
    unknown_labels: str = "error",
    default_text_col: str | None = None,
    default_labels_col: str | None = None,
) -> Dataset:
    """Read a labelled text dataset from a file.

    Parameters
    ----------
    source : str, os.PathLike or "-"
        CSV, TSV, JSON Lines or Parquet file (optionally ``.gz``/``.bz2``/
        ``.xz``), or ``"-"`` for standard input.
    text_col : str, default=None
        The column holding the texts. When None: the first of ``text``,
        ``comment_text``, ``document``, ``content``, ... that exists, else the
        string column with the longest texts (:attr:`Dataset.detected` says
        which rule chose it, and which columns were candidates).
    label_cols : sequence of str or str, default=None
        Wide layout: the 0/1 label columns (a comma-separated string is
        split); ``true``/``false`` and ``yes``/``no`` cells read as 1/0.
        When None and ``labels_col`` is None: ``label_names`` when given,
        else every column other than the text column and id-like or unnamed
        columns whose values are all 0/1; when there is none, a column named
        ``labels``, ``tags``, ``label``, ``categories``, ... A file with both
        is refused as ambiguous, and so is a column whose filled cells are
        all 0/1 but some are empty, or that is at least 95 % 0/1 (a label
        column with mistakes). The other columns are listed, with why, in
        :attr:`Dataset.unused_cols`.
    labels_col : str, default=None
        Tags layout: the column holding each row's labels: names joined by
        ``sep``, or a list (a real list in JSON Lines and Parquet, a JSON or
        Python list literal such as ``"['crude', 'ship']"`` or ``"[0, 1, 0]"``
        in CSV). A list of names gives those labels; 0/1 lists of one
        length give one label per position (named by ``label_names``, else
        ``label_0``, ``label_1``, ...); other integer lists are label ids,
        which need ``label_names`` (in id order).
    sep : str, default=","
        Separator of the names in ``labels_col`` (cells that hold a list
        need none).
    format : {"csv", "tsv", "jsonl", "parquet"}, default=None
        See :func:`read_table`.
    encoding : str, default="utf-8"
    header : bool, default=True
        Whether a CSV/TSV file has a header line (columns ``"1"``, ``"2"``,
        ... otherwise).
    label_names : sequence of str, default=None
        The expected labels (e.g. a fitted model's ``classes_``): in the wide
        layout the columns to read; in the tags layout the label set and
        column order (the names of the positions of 0/1 lists, of the ids of
        id lists).
    require_labels : bool, default=True
        When False, a file without label columns is read as texts only
        (``Y`` is None).
    unknown_labels : {"error", "ignore"}, default="error"
        Tags layout with ``label_names``: what to do with other names.
        ``"ignore"`` drops them and counts them in ``ignored_labels``.
    default_text_col : str, default=None
        The text column to use when ``text_col`` is None and the file has a
        column of this name (e.g. the column a model was trained on);
        detection as above otherwise.
    default_labels_col : str, default=None
        The tags column to use when neither ``label_cols`` nor ``labels_col``
        is given, the file has a column of this name, and ``label_names`` are
        not all columns of the file.

    Returns
    -------
    dataset : Dataset
        Fit on ``dataset.texts`` and ``dataset.labels`` (a DataFrame of named
        0/1 columns) to keep the label names as the model's ``classes_``.

    Raises
    ------
    DataError
        For every problem with the file, with the fix in the message; its
        ``param`` names the parameter to change. Duplicate column names are
        refused (rename them), never renamed.
    """
    label_cols, labels_col = _check_options(label_cols, labels_col, sep, unknown_labels)
    frame, fmt = read_table(source, format=format, encoding=encoding, header=header)
    where = display(source)
    if label_cols is not None:
        require_columns(frame.columns, label_cols, param="label_cols", source=source)
    if labels_col is not None:
        require_columns(frame.columns, labels_col, param="labels_col", source=source)
    text_col, text_how = _text_column(frame, text_col, label_cols, labels_col, label_names,
                                      default_text_col, source)
    texts = texts_from(frame[text_col], source, text_col)
    unused = {}
    label_cols, labels_col, labels_how = _choose_layout(
        frame, text_col, label_cols, labels_col, label_names, default_labels_col, source, unused)
    used = {text_col, *(label_cols or ()), *([labels_col] if labels_col else [])}
    unused = {c: unused.get(c, "not chosen") for c in frame.columns if c not in used}
    detected = {"text_col": text_how}
    if labels_how is not None:
        detected["label_cols" if label_cols is not None else "labels_col"] = labels_how
    logger.info("%s: %d rows (%s); text column %r; %s", where, len(texts), fmt, text_col,
                f"label columns {list(label_cols)}" if label_cols is not None else
                f"labels column {labels_col!r}" if labels_col is not None else "no labels")
    common = {"texts": texts, "text_col": text_col, "sep": sep, "format": fmt,
              "source": where, "frame": frame, "detected": detected, "unused_cols": unused}
    if label_cols is None and labels_col is None:
        if require_labels:
            raise _no_labels_error(frame, text_col, source)
        return Dataset(Y=None, label_names=None, label_cols=None, labels_col=None, **common)
    if label_cols is not None:
        Y, names, label_cols = _read_wide(frame, label_cols, label_names, source)
        return Dataset(Y=Y, label_names=names, label_cols=list(label_cols), labels_col=None,
                       **common)
    Y, names, ignored, labels_format, as_lists = _read_tags(
        frame, labels_col, sep, label_names, unknown_labels, source)
    return Dataset(Y=Y, label_names=names, label_cols=None, labels_col=labels_col,
                   ignored_labels=ignored, tags_as_lists=as_lists, labels_format=labels_format,
                   **common)
