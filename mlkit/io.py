"""Reading and writing multi-label text datasets: CSV, TSV, JSON Lines and Parquet.

A dataset file holds one text per row and its labels in one of two layouts:

* **wide**: one 0/1 column per label, as in the Jigsaw toxic-comment file
  (``comment_text,toxic,severe_toxic,...``). Label columns are found
  automatically: every column, other than the text column and id-like
  columns, whose values are all 0 or 1;
* **tags**: one column holding each row's label names, joined by a separator
  (``"crude,ship"``), or a list in JSON Lines and Parquet files.

:func:`read_dataset` reads a whole file into a :class:`Dataset` (texts,
indicator matrix, label names and the layout it found), with an error that
says what is wrong and how to fix it for every bad input: a missing or empty
file, bytes that are not valid text in the encoding, an unknown column (the
message lists the available ones), a label value other than 0 or 1.
:func:`iter_batches` reads a file in batches of rows, so that prediction over
a large file does not have to hold it in memory. :func:`write_dataset` writes
a dataset back, in its own layout and format, with edited labels or a subset
of rows (``mlkit inspect --export-clean``).

The path ``"-"`` reads standard input (the format is sniffed from the first
bytes unless given). Files ending in ``.gz``, ``.bz2`` or ``.xz`` are
decompressed. pandas is required (extra ``pandas``); Parquet also needs
pyarrow.
"""

import ast
import bz2
import difflib
import gzip
import hashlib
import io
import json
import lzma
import math
import numbers
import os
import sys
from pathlib import Path

import numpy as np

from ._atomic import atomic_write
from ._json import json_default
from ._optional import import_optional

__all__ = [
    "FORMATS",
    "DataError",
    "Dataset",
    "detect_format",
    "batch_texts",
    "find_text_column",
    "iter_batches",
    "read_dataset",
    "read_table",
    "write_dataset",
    "write_table",
]

#: File formats mlkit reads and writes.
FORMATS = ("csv", "tsv", "jsonl", "parquet")

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_COMPRESSIONS = {".gz": gzip, ".bz2": bz2, ".xz": lzma}
_SEPARATORS = {"csv": ",", "tsv": "\t"}

# column names tried, in this order, when the text column is not given
_TEXT_NAMES = (
    "text", "comment_text", "texts", "document", "doc", "content", "sentence", "body",
    "comment", "review", "message", "title", "abstract", "description", "tweet",
)
# column names tried when neither label columns nor a labels column is given
# and no 0/1 column exists
_TAGS_NAMES = ("labels", "tags", "label", "categories", "topics", "classes", "emotions")

_TRUE = {"1", "1.0", "true", "True", "TRUE"}
_FALSE = {"0", "0.0", "false", "False", "FALSE"}


class DataError(ValueError):
    """A data file that cannot be used as given.

    The message is one line meant for the user: what is wrong, where, and how
    to fix it. The command line prints it and exits with status 2.
    """


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------


def _pd():
    return import_optional("pandas", purpose="Reading and writing data files")


def _display(source):
    if source is None or str(source) == "-":
        return "<stdin>"
    return str(source)


def _shown(values, limit=12):
    values = [str(v) for v in values]
    text = ", ".join(values[:limit])
    if len(values) > limit:
        text += f", ... ({len(values)} in all)"
    return text


def _unknown_column(name, columns, where, option):
    columns = [str(c) for c in columns]
    close = difflib.get_close_matches(str(name), columns, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return DataError(
        f"{where} has no column {name!r} ({option}); its columns are: {_shown(columns, 30)}."
        f"{hint}"
    )


def detect_format(path):
    """The format of a data file from its name: one of :data:`FORMATS`.

    A compression suffix (``.gz``, ``.bz2``, ``.xz``) is ignored, so
    ``train.csv.gz`` is ``"csv"``.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    format : str or None
        None when the extension is not known.
    """
    suffixes = [s.lower() for s in Path(str(path)).suffixes]
    while suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes.pop()
    return _EXTENSIONS.get(suffixes[-1]) if suffixes else None


def _compression(path):
    suffix = Path(str(path)).suffix.lower()
    return _COMPRESSIONS.get(suffix)


def _check_format(fmt):
    if fmt is None:
        return None
    fmt = str(fmt).lower()
    if fmt == "json":
        fmt = "jsonl"
    if fmt not in FORMATS:
        raise DataError(f"Unknown format {fmt!r}; mlkit reads and writes {', '.join(FORMATS)}.")
    return fmt


def _open_binary(source):
    """A readable binary stream for a path or ``"-"``, decompressing by suffix."""
    if source is None or str(source) == "-":
        return sys.stdin.buffer, False
    path = Path(source)
    if not path.exists():
        raise DataError(f"No such file: {str(path)!r}. Check the path (use '-' for stdin).")
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a directory; give the path of a data file.")
    module = _compression(path)
    try:
        stream = module.open(path, "rb") if module else open(path, "rb")  # noqa: SIM115
    except PermissionError:
        raise DataError(f"Cannot read {str(path)!r}: permission denied.") from None
    return stream, True


def _sniff(head):
    """Guess a format from the first bytes of a stream."""
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"{", b"[")):
        return "jsonl"
    first = text.split(b"\n", 1)[0]
    return "tsv" if first.count(b"\t") > first.count(b",") else "csv"


def _read_all_bytes(source):
    stream, close = _open_binary(source)
    try:
        data = stream.read()
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise DataError(f"Cannot read {_display(source)}: {exc}.") from None
    finally:
        if close:
            stream.close()
    if (source is None or str(source) == "-") and data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def _decode(data, encoding, source):
    enc = "utf-8-sig" if str(encoding).lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(enc)
    except LookupError:
        raise DataError(f"Unknown text encoding {encoding!r}; use e.g. utf-8 or latin-1.") from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.start + 1].hex()
        raise DataError(
            f"{_display(source)} is not valid {encoding} text: byte 0x{bad} at line {line} "
            f"(byte offset {exc.start}) cannot be decoded. Re-save the file as UTF-8, or "
            "give its encoding (e.g. --encoding latin-1)."
        ) from None


def _empty_error(source):
    return DataError(
        f"{_display(source)} is empty: it holds no header and no rows. Give a file with a "
        "header line and at least one data row."
    )


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------


def _parse_json_line(line, lineno, source):
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{_display(source)}, line {lineno}: not valid JSON ({exc.msg} at column "
            f"{exc.colno}). JSON Lines files hold one JSON object per line."
        ) from None
    if not isinstance(record, dict):
        raise DataError(
            f"{_display(source)}, line {lineno}: expected a JSON object such as "
            f'{{"text": "...", "labels": ["a"]}}, got {type(record).__name__}.'
        )
    return record


def _records_frame(records):
    pd = _pd()
    frame = pd.DataFrame.from_records(records)
    # from_records fills absent keys with NaN; keep the raw Python objects
    return frame.astype(object).where(frame.notna(), None) if len(frame) else frame


def _read_jsonl_text(text, source):
    stripped = text.lstrip()
    if stripped.startswith("["):  # a JSON array of records
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{_display(source)} is not valid JSON ({exc.msg} at line {exc.lineno}, column "
                f"{exc.colno})."
            ) from None
        if not all(isinstance(r, dict) for r in records):
            raise DataError(
                f"{_display(source)} holds a JSON array whose items are not all objects; give "
                'one object per row such as {"text": "...", "labels": ["a"]}.'
            )
    else:
        records = [
            _parse_json_line(line, lineno, source)
            for lineno, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
    if not records:
        raise _empty_error(source)
    return _records_frame(records)


def _read_delimited_text(text, fmt, source, header):
    pd = _pd()
    if not text.strip():
        raise _empty_error(source)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=_SEPARATORS[fmt], dtype=str, keep_default_na=False,
            header=0 if header else None,
        )
    except pd.errors.EmptyDataError:
        raise _empty_error(source) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1].replace("Error tokenizing data. C error: ", "")
        raise DataError(
            f"{_display(source)} is not valid {fmt.upper()}: {detail}. Check the quoting of "
            "texts that contain the separator, quotes or line breaks"
            + (" (or pass --format tsv for a tab-separated file)." if fmt == "csv" else ".")
        ) from None
    if not header:
        frame.columns = [str(i + 1) for i in range(frame.shape[1])]
    return frame


def _read_parquet_bytes(data, source):
    pq = import_optional("pyarrow.parquet", purpose="Reading Parquet files")
    pa = import_optional("pyarrow", purpose="Reading Parquet files")
    try:
        table = pq.read_table(io.BytesIO(data))
    except pa.ArrowException as exc:
        raise DataError(f"{_display(source)} is not a readable Parquet file: {exc}.") from None
    return _parquet_to_frame(table)


def _parquet_to_frame(table):
    frame = table.to_pandas()
    for col in frame.columns:  # list columns come back as numpy arrays
        if frame[col].dtype == object:
            frame[col] = [v.tolist() if isinstance(v, np.ndarray) else v for v in frame[col]]
    return frame


def read_table(source, *, format=None, encoding="utf-8", header=True):
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
        Missing or empty file, undecodable bytes, malformed CSV/JSON.
    """
    fmt = _check_format(format)
    if fmt is None and source is not None and str(source) != "-":
        fmt = detect_format(source)
    data = _read_all_bytes(source)
    if not data.strip():
        raise _empty_error(source)
    if fmt is None:
        fmt = _sniff(data[:4096])
    if fmt == "parquet":
        frame = _read_parquet_bytes(data, source)
    else:
        text = _decode(data, encoding, source)
        del data
        if fmt == "jsonl":
            frame = _read_jsonl_text(text, source)
        else:
            frame = _read_delimited_text(text, fmt, source, header)
    frame.columns = [str(c) for c in frame.columns]
    if frame.shape[1] == 0:
        raise _empty_error(source)
    if len(frame) == 0:
        raise DataError(
            f"{_display(source)} has a header ({_shown(frame.columns)}) but no data rows."
        )
    return frame, fmt


# --------------------------------------------------------------------------
# column detection and label parsing
# --------------------------------------------------------------------------


def _is_missing(value):
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as01(value):
    """0 or 1 for a label cell, None when missing; raises ValueError otherwise."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, numbers.Number):
        if isinstance(value, float) and math.isnan(value):
            return None
        if value == 0 or value == 1:
            return int(value)
        raise ValueError
    if value is None:
        return None
    if isinstance(value, str):
        v = value.strip()
        if not v:
            return None
        if v in _TRUE:
            return 1
        if v in _FALSE:
            return 0
    raise ValueError


def _factorize(series):
    """Codes and unique values of a column; unhashable cells (lists) become tuples."""
    pd = _pd()
    try:
        return pd.factorize(series.astype(object), use_na_sentinel=False)
    except TypeError:
        keyed = [v if not isinstance(v, (list, dict, set, np.ndarray))
                 else (type(v).__name__, repr(v)) for v in series.tolist()]
        return pd.factorize(pd.Series(keyed, dtype=object), use_na_sentinel=False)


def _column_01_stats(series):
    """(n_ok, n_missing, bad) for a column read as 0/1 labels; bad = [(row, value)]."""
    codes, uniques = _factorize(series)
    status = np.empty(len(uniques), dtype=np.int8)  # 0 ok, 1 missing, 2 bad
    for i, u in enumerate(uniques):
        try:
            status[i] = 1 if _as01(u) is None else 0
        except (ValueError, TypeError):
            status[i] = 2
    per_row = status[codes] if len(codes) else np.zeros(0, dtype=np.int8)
    bad_rows = np.flatnonzero(per_row == 2)
    bad = [(int(r), series.iloc[r]) for r in bad_rows[:5]]
    return int(np.sum(per_row == 0)), int(np.sum(per_row == 1)), bad, len(bad_rows)


def _label_column(series, name, source):
    """A validated int8 0/1 vector from a label column."""
    codes, uniques = _factorize(series)
    mapped = np.empty(len(uniques), dtype=np.int8)
    bad_codes = []
    missing_codes = []
    for i, u in enumerate(uniques):
        try:
            v = _as01(u)
        except (ValueError, TypeError):
            bad_codes.append(i)
            continue
        if v is None:
            missing_codes.append(i)
        else:
            mapped[i] = v
    if bad_codes:
        rows = np.flatnonzero(np.isin(codes, bad_codes))
        shown = ", ".join(f"{series.iloc[r]!r} in row {r + 1}" for r in rows[:3])
        more = f" ({len(rows)} rows in all)" if len(rows) > 3 else ""
        raise DataError(
            f"{_display(source)}: label column {name!r} holds values other than 0 and 1: "
            f"{shown}{more}. Each label column must hold 1 (label applies) or 0; fix those "
            "rows, or choose the label columns with --label-cols."
        )
    if missing_codes:
        rows = np.flatnonzero(np.isin(codes, missing_codes))
        shown = ", ".join(str(r + 1) for r in rows[:5])
        more = f", ... ({len(rows)} rows in all)" if len(rows) > 5 else ""
        raise DataError(
            f"{_display(source)}: label column {name!r} has no value in row(s) {shown}{more}. "
            "Fill missing labels with 0 (label absent) or drop those rows."
        )
    return mapped[codes] if len(codes) else np.zeros(0, dtype=np.int8)


def _is_id_like(name):
    n = str(name).strip().lower()
    return n in ("id", "ids", "index", "row", "row_id", "uid", "uuid", "key") or n.endswith(
        ("_id", "-id", " id"))


def _text_like(series):
    """Fraction of non-missing cells that are strings (not 0/1-like, not numbers)."""
    values = series.iloc[:2000]
    n = 0
    texts = 0
    for v in values:
        if _is_missing(v):
            continue
        n += 1
        if isinstance(v, str):
            try:
                float(v)
            except ValueError:
                texts += 1
    return texts / n if n else 0.0


def _mean_length(series):
    lengths = [len(v) for v in series.iloc[:2000] if isinstance(v, str)]
    return float(np.mean(lengths)) if lengths else 0.0


def _find_text_column(frame, text_col, exclude, source):
    columns = list(frame.columns)
    if text_col is not None:
        if str(text_col) not in columns:
            raise _unknown_column(text_col, columns, _display(source), "--text-col")
        return str(text_col)
    candidates = [c for c in columns if c not in exclude and _text_like(frame[c]) >= 0.5]
    lowered = {c.lower(): c for c in candidates}
    for name in _TEXT_NAMES:
        if name in lowered and not _is_id_like(lowered[name]):
            return lowered[name]
    candidates = [c for c in candidates if not _is_id_like(c)]
    if not candidates:
        raise DataError(
            f"{_display(source)}: found no text column (columns: {_shown(columns, 30)}). Name "
            "the column that holds the texts with --text-col."
        )
    return max(candidates, key=lambda c: _mean_length(frame[c]))


def _auto_label_columns(frame, text_col, source):
    """Wide 0/1 label columns, or raise for a column that is almost all 0/1."""
    found = []
    for col in frame.columns:
        if col == text_col or _is_id_like(col):
            continue
        series = frame[col]
        n_ok, n_missing, bad, n_bad = _column_01_stats(series)
        if n_ok == 0:
            continue
        if n_bad == 0 and n_missing == 0:
            found.append(col)
        elif n_ok >= 0.95 * len(series):  # a label column with a few bad or missing cells
            _label_column(series, col, source)  # raises with the rows
    return found


def _split_tags(value, sep):
    if _is_missing(value):
        return []
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v).strip() for v in value if not _is_missing(v) and str(v).strip()]
    if isinstance(value, str):
        v = value.strip()
        if v.startswith("[") and v.endswith("]"):  # a JSON or Python list literal
            for parse in (json.loads, ast.literal_eval):
                try:
                    parsed = parse(v)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    continue
                if isinstance(parsed, list):
                    return _split_tags(parsed, sep)
        return [t.strip() for t in v.split(sep) if t.strip()]
    if isinstance(value, numbers.Number):
        return [str(value)]
    raise TypeError(type(value).__name__)


def _fingerprint(texts, Y, label_names):
    h = hashlib.sha256()
    for t in texts:
        b = t.encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    if Y is not None:
        h.update(np.ascontiguousarray(Y, dtype=np.int8).tobytes())
        h.update(json.dumps([str(n) for n in label_names]).encode())
    return "sha256:" + h.hexdigest()


def _texts_from(series, source, text_col):
    texts = []
    missing = []
    wrong = []
    for i, v in enumerate(series.tolist()):
        if isinstance(v, str):
            texts.append(v)
        elif v is None or (isinstance(v, float) and math.isnan(v)):
            missing.append(i)
            texts.append(None)
        elif isinstance(v, (numbers.Number, np.generic)) and not isinstance(v, bool):
            texts.append(str(v))
        else:
            wrong.append(i)
            texts.append(None)
    if missing:
        shown = ", ".join(str(r + 1) for r in missing[:5])
        more = f", ... ({len(missing)} rows in all)" if len(missing) > 5 else ""
        raise DataError(
            f"{_display(source)}: text column {text_col!r} has no value in row(s) {shown}{more}. "
            "Drop those rows or fill them (e.g. with an empty string)."
        )
    if wrong:
        r = wrong[0]
        raise DataError(
            f"{_display(source)}: text column {text_col!r} holds a "
            f"{type(series.iloc[r]).__name__} in row {r + 1}, not a text. Check --text-col."
        )
    return texts


# --------------------------------------------------------------------------
# datasets
# --------------------------------------------------------------------------


class Dataset:
    """Texts and labels read from a file, with the layout they came in.

    Made by :func:`read_dataset`; write it back (with edits) with
    :func:`write_dataset`.

    Attributes
    ----------
    texts : list of str
    Y : ndarray of shape (n_samples, n_labels) of int64 or None
        0/1 label matrix; None when the file was read without labels.
    label_names : ndarray of object or None
        Label names in column order: the label columns' order (wide layout)
        or the sorted tag names (tags layout).
    text_col : str
    label_cols : list of str or None
        The 0/1 label columns (wide layout).
    labels_col : str or None
        The column of label names (tags layout).
    sep : str
        Separator of the tags column.
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
    """

    def __init__(self, *, texts, Y, label_names, text_col, label_cols, labels_col, sep,
                 format, source, frame, ignored_labels=None, tags_as_lists=False):
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
        self._tags_as_lists = tags_as_lists

    @property
    def layout(self):
        """``"wide"`` (one 0/1 column per label), ``"tags"`` (one column of names) or None."""
        if self.label_cols is not None:
            return "wide"
        if self.labels_col is not None:
            return "tags"
        return None

    def __len__(self):
        return len(self.texts)

    def __repr__(self):
        n_labels = 0 if self.label_names is None else len(self.label_names)
        return (f"<Dataset {self.source}: {len(self)} rows, {n_labels} labels, "
                f"layout={self.layout}, format={self.format}>")

    def fingerprint(self):
        """A SHA-256 digest of the texts, the labels and the label names.

        Two datasets with the same rows in the same order (and the same
        labels) have the same fingerprint, whatever their file format.

        Returns
        -------
        digest : str
            ``"sha256:<hex>"``.
        """
        return _fingerprint(self.texts, self.Y, self.label_names)

    def describe(self):
        """A JSON-ready summary: source, format, layout, columns, sizes, fingerprint."""
        out = {
            "source": self.source,
            "format": self.format,
            "n_rows": len(self),
            "text_col": self.text_col,
            "layout": self.layout,
            "fingerprint": self.fingerprint(),
        }
        if self.layout == "wide":
            out["label_cols"] = list(self.label_cols)
        elif self.layout == "tags":
            out["labels_col"] = self.labels_col
            out["sep"] = self.sep
        if self.Y is not None:
            out["n_labels"] = int(self.Y.shape[1])
            out["label_support"] = {
                str(n): int(c) for n, c in zip(self.label_names, self.Y.sum(axis=0), strict=True)
            }
        return out

    def to_frame(self, *, texts=None, Y=None, rows=None):
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
            if self.layout is None:
                raise ValueError("This dataset was read without labels; cannot write Y.")
            from ._labels import check_label_matrix

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
            else:
                names = [str(x) for x in self.label_names]
                tags = [[names[j] for j in np.flatnonzero(row)] for row in Y]
                frame[self.labels_col] = tags if self._tags_as_lists else [
                    self.sep.join(t) for t in tags]
        return frame


def read_dataset(source, *, text_col=None, label_cols=None, labels_col=None, sep=",",
                 format=None, encoding="utf-8", header=True, label_names=None,
                 require_labels=True, unknown_labels="error", default_text_col=None,
                 default_labels_col=None):
    """Read a labelled text dataset from a file.

    Parameters
    ----------
    source : str, os.PathLike or "-"
        CSV, TSV, JSON Lines or Parquet file (optionally ``.gz``/``.bz2``/
        ``.xz``), or ``"-"`` for standard input.
    text_col : str, default=None
        The column holding the texts. When None: the first of ``text``,
        ``comment_text``, ``document``, ``content``, ... that exists, else the
        string column with the longest texts.
    label_cols : sequence of str or str, default=None
        Wide layout: the 0/1 label columns (a comma-separated string is
        split). When None and ``labels_col`` is None: ``label_names`` when
        given, else every column other than the text column and id-like
        columns whose values are all 0/1; when there is none, a column named
        ``labels``, ``tags``, ``label``, ``categories``, ... holding names.
    labels_col : str, default=None
        Tags layout: the column holding each row's label names.
    sep : str, default=","
        Separator of the names in ``labels_col`` (cells that hold a JSON list,
        or a list in JSON Lines/Parquet, need none).
    format : {"csv", "tsv", "jsonl", "parquet"}, default=None
        See :func:`read_table`.
    encoding : str, default="utf-8"
    header : bool, default=True
        Whether a CSV/TSV file has a header line (columns ``"1"``, ``"2"``,
        ... otherwise).
    label_names : sequence of str, default=None
        The expected labels (e.g. a fitted model's ``classes_``): in the wide
        layout the columns to read; in the tags layout the label set and
        column order.
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

    Raises
    ------
    DataError
        For every problem with the file, with the fix in the message.
    """
    if unknown_labels not in ("error", "ignore"):
        raise ValueError(f"unknown_labels must be 'error' or 'ignore'; got {unknown_labels!r}.")
    if label_cols is not None and labels_col is not None:
        raise DataError("Give either --label-cols (wide 0/1 columns) or --labels-col (a column "
                        "of label names), not both.")
    if isinstance(label_cols, str):
        label_cols = [c.strip() for c in label_cols.split(",") if c.strip()]
    if label_cols is not None and len(label_cols) == 0:
        raise DataError("--label-cols is empty; list the 0/1 label columns, e.g. "
                        "--label-cols toxic,insult.")
    if sep == "":
        raise DataError("--sep must not be empty.")
    frame, fmt = read_table(source, format=format, encoding=encoding, header=header)
    where = _display(source)
    columns = list(frame.columns)
    if label_cols is not None:
        label_cols = [str(c) for c in label_cols]
        for c in label_cols:
            if c not in columns:
                raise _unknown_column(c, columns, where, "--label-cols")
        if len(set(label_cols)) != len(label_cols):
            raise DataError(f"--label-cols lists a column twice: {label_cols}.")
    if labels_col is not None and str(labels_col) not in columns:
        raise _unknown_column(labels_col, columns, where, "--labels-col")
    labels_col = None if labels_col is None else str(labels_col)

    exclude = set(label_cols or ()) | ({labels_col} if labels_col else set())
    if label_cols is None and labels_col is None and label_names is not None:
        exclude |= {str(n) for n in label_names}
    if text_col is None and default_text_col is not None and str(default_text_col) in columns:
        text_col = str(default_text_col)
    text_col = _find_text_column(frame, text_col, exclude, source)
    if label_cols is not None and text_col in label_cols:
        raise DataError(f"Column {text_col!r} is both the text column and a label column.")
    if labels_col is not None and text_col == labels_col:
        raise DataError(f"Column {text_col!r} is both the text column and the labels column.")
    texts = _texts_from(frame[text_col], source, text_col)

    # which layout
    if label_cols is None and labels_col is None:
        if label_names is not None:
            names = [str(n) for n in label_names]
            present = [n for n in names if n in columns]
            if len(present) == len(names):
                label_cols = names
            elif present:
                missing = [n for n in names if n not in columns]
                raise DataError(
                    f"{where} lacks the label column(s) {_shown(missing)} that the model "
                    f"predicts; its columns are: {_shown(columns, 30)}."
                )
        if label_cols is None and default_labels_col is not None and str(
                default_labels_col) in columns and str(default_labels_col) != text_col:
            labels_col = str(default_labels_col)
        elif label_cols is None:
            found = _auto_label_columns(frame, text_col, source)
            if found:
                label_cols = found
            else:
                lowered = {c.lower(): c for c in columns if c != text_col}
                labels_col = next((lowered[n] for n in _TAGS_NAMES if n in lowered), None)
        if label_cols is None and labels_col is None:
            if not require_labels:
                return Dataset(texts=texts, Y=None, label_names=None, text_col=text_col,
                               label_cols=None, labels_col=None, sep=sep, format=fmt,
                               source=where, frame=frame)
            raise DataError(
                f"{where}: found no label columns (no column other than the text column "
                f"{text_col!r} holds only 0/1 values, and none is named labels or tags); its "
                f"columns are: {_shown(columns, 30)}. Pass --label-cols a,b,c (one 0/1 column "
                "per label) or --labels-col COLUMN [--sep ','] (label names per row)."
            )

    ignored = {}
    tags_as_lists = False
    if label_cols is not None:
        Y = np.column_stack([_label_column(frame[c], c, source) for c in label_cols]).astype(
            np.int64)
        names = np.asarray(label_cols, dtype=object)
        if label_names is not None and [str(n) for n in label_names] != list(label_cols):
            missing = [str(n) for n in label_names if str(n) not in set(label_cols)]
            if missing:
                raise DataError(
                    f"{where} lacks the label column(s) {_shown(missing)} that the model "
                    "predicts; give every label column."
                )
            # reorder to the requested label order
            index = {c: j for j, c in enumerate(label_cols)}
            order = [index[str(n)] for n in label_names]
            Y = Y[:, order]
            names = np.asarray([str(n) for n in label_names], dtype=object)
            label_cols = list(names)
    else:
        rows = []
        for i, v in enumerate(frame[labels_col].tolist()):
            if isinstance(v, (list, tuple, np.ndarray)):
                tags_as_lists = True
            try:
                rows.append(_split_tags(v, sep))
            except TypeError as exc:
                raise DataError(
                    f"{where}: row {i + 1} of the labels column {labels_col!r} holds a {exc}, "
                    f"not label names. Give names joined by {sep!r} or a list."
                ) from None
        if label_names is None:
            names = np.asarray(sorted({t for r in rows for t in r}), dtype=object)
            if len(names) == 0:
                raise DataError(
                    f"{where}: the labels column {labels_col!r} holds no label in any row. Check "
                    "--labels-col and --sep."
                )
        else:
            names = np.asarray([str(n) for n in label_names], dtype=object)
        index = {n: j for j, n in enumerate(names)}
        Y = np.zeros((len(rows), len(names)), dtype=np.int64)
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
                f"know: {_shown(sorted(ignored))}. Known labels: {_shown(names)}."
            )
    return Dataset(texts=texts, Y=Y, label_names=names, text_col=text_col,
                   label_cols=None if label_cols is None else list(label_cols),
                   labels_col=labels_col if label_cols is None else None, sep=sep, format=fmt,
                   source=where, frame=frame, ignored_labels=ignored,
                   tags_as_lists=tags_as_lists)


# --------------------------------------------------------------------------
# streaming
# --------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts the bytes read (for progress)."""

    def __init__(self, raw):
        self.raw = raw
        self.n_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.n_read += n
        return n


class _PeekedStream(io.RawIOBase):
    """A binary stream with some already-read bytes put back in front."""

    def __init__(self, head, raw):
        self.head = head
        self.raw = raw

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _total_size(source):
    if source is None or str(source) == "-" or _compression(source) is not None:
        return None
    try:
        return os.path.getsize(source)
    except OSError:
        return None


def iter_batches(source, *, batch_size=1000, format=None, encoding="utf-8", header=True,
                 progress=None):
    """Read a data file in batches of rows, as DataFrames.

    Only one batch is in memory at a time (a Parquet file or a compressed
    stdin is the exception: it is read whole). Values are read as in
    :func:`read_table`; the batches' index continues across batches (the
    row position in the file).

    Parameters
    ----------
    source : str, os.PathLike or "-"
    batch_size : int, default=1000
        Rows per batch.
    format : {"csv", "tsv", "jsonl", "parquet"}, default=None
    encoding : str, default="utf-8"
    header : bool, default=True
    progress : callable, default=None
        Called after each batch with ``(rows_done, bytes_done, bytes_total)``
        (``bytes_total`` is None when unknown).

    Yields
    ------
    batch : pandas.DataFrame

    Raises
    ------
    DataError
        As :func:`read_table`; an error in a later batch names its row.
    """
    pd = _pd()
    if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}.")
    fmt = _check_format(format)
    if fmt is None and source is not None and str(source) != "-":
        fmt = detect_format(source)
    total = _total_size(source)
    stream, close = _open_binary(source)
    try:
        head = stream.read(4096)
        if not head.strip():
            rest = stream.read(1 << 16)
            if not (head + rest).strip():
                raise _empty_error(source)
            head += rest
        if (source is None or str(source) == "-") and head[:2] == b"\x1f\x8b":
            head = gzip.decompress(head + stream.read())
            stream, close = io.BytesIO(head), True
            head = stream.read(4096)
        if fmt is None:
            fmt = _sniff(head)
        if fmt == "parquet":
            yield from _iter_parquet(head + stream.read(), source, batch_size, progress)
            return
        counter = _CountingReader(_PeekedStream(head, stream))
        text = io.TextIOWrapper(
            io.BufferedReader(counter),
            encoding="utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8")
            else encoding,
            errors="strict", newline="" if fmt != "jsonl" else None,
        )
        done = 0
        try:
            if fmt == "jsonl":
                chunks = _iter_jsonl(text, source, batch_size)
            else:
                try:
                    reader = pd.read_csv(
                        text, sep=_SEPARATORS[fmt], dtype=str, keep_default_na=False,
                        header=0 if header else None, chunksize=batch_size,
                    )
                except pd.errors.EmptyDataError:
                    raise _empty_error(source) from None
                chunks = _iter_csv(reader, fmt, source, header)
            first = True
            for chunk in chunks:
                if first and len(chunk) == 0:
                    raise DataError(
                        f"{_display(source)} has a header ({_shown(chunk.columns)}) but no data "
                        "rows."
                    )
                first = False
                chunk.index = pd.RangeIndex(done, done + len(chunk))
                done += len(chunk)
                yield chunk
                if progress is not None:
                    progress(done, counter.n_read, total)
            if first:
                raise _empty_error(source)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{_display(source)} is not valid {encoding} text: byte "
                f"0x{exc.object[exc.start:exc.start + 1].hex()} after row {done} cannot be "
                "decoded. Re-save the file as UTF-8, or give its encoding (e.g. --encoding "
                "latin-1)."
            ) from None
        except LookupError:
            raise DataError(
                f"Unknown text encoding {encoding!r}; use e.g. utf-8 or latin-1.") from None
    finally:
        if close:
            stream.close()


def _iter_csv(reader, fmt, source, header):
    pd = _pd()
    done = 0
    while True:
        try:
            chunk = next(reader)
        except StopIteration:
            return
        except pd.errors.ParserError as exc:
            detail = str(exc).strip().splitlines()[-1].replace(
                "Error tokenizing data. C error: ", "")
            raise DataError(
                f"{_display(source)} is not valid {fmt.upper()} after row {done}: {detail}."
            ) from None
        chunk.columns = [str(c) for c in chunk.columns] if header else [
            str(i + 1) for i in range(chunk.shape[1])]
        done += len(chunk)
        yield chunk


def _iter_jsonl(text, source, batch_size):
    records = []
    for lineno, line in enumerate(text, start=1):
        if not line.strip():
            continue
        if lineno == 1 and line.lstrip().startswith("["):
            # a JSON array: not streamable, read it whole
            frame = _read_jsonl_text(line + text.read(), source)
            for start in range(0, len(frame), batch_size):
                yield frame.iloc[start:start + batch_size]
            return
        records.append(_parse_json_line(line, lineno, source))
        if len(records) == batch_size:
            yield _records_frame(records)
            records = []
    if records:
        yield _records_frame(records)


def _iter_parquet(data, source, batch_size, progress):
    pq = import_optional("pyarrow.parquet", purpose="Reading Parquet files")
    pa = import_optional("pyarrow", purpose="Reading Parquet files")
    try:
        pfile = pq.ParquetFile(io.BytesIO(data))
    except pa.ArrowException as exc:
        raise DataError(f"{_display(source)} is not a readable Parquet file: {exc}.") from None
    done = 0
    pd = _pd()
    for batch in pfile.iter_batches(batch_size=batch_size):
        frame = _parquet_to_frame(pa.Table.from_batches([batch]))
        frame.columns = [str(c) for c in frame.columns]
        frame.index = pd.RangeIndex(done, done + len(frame))
        done += len(frame)
        yield frame
        if progress is not None:
            progress(done, None, None)
    if done == 0:
        raise _empty_error(source)


def batch_texts(batch, text_col, source="-"):
    """The texts of one batch from :func:`iter_batches` (same checks as :func:`read_dataset`).

    Parameters
    ----------
    batch : pandas.DataFrame
    text_col : str
    source : str, default="-"
        For error messages.

    Returns
    -------
    texts : list of str
    """
    if text_col not in batch.columns:
        raise _unknown_column(text_col, batch.columns, _display(source), "--text-col")
    try:
        return _texts_from(batch[text_col], source, text_col)
    except DataError as exc:
        # row numbers are relative to the batch; say where the batch starts
        start = int(batch.index[0]) if len(batch) else 0
        if start:
            raise DataError(f"{exc} (row numbers counted from row {start + 1})") from None
        raise


def find_text_column(frame, text_col=None, *, exclude=(), source="-"):
    """The text column of a frame: ``text_col`` checked, or detected as in :func:`read_dataset`."""
    return _find_text_column(frame, text_col, set(exclude), source)


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------




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
            frame.to_csv(text, sep=_SEPARATORS[fmt], index=False, lineterminator="\n")
        text.flush()
    finally:
        text.detach()


def write_table(frame, path, *, format=None):
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
    fmt = _check_format(format) or (
        detect_format(path) if str(path) != "-" else None) or "csv"
    if str(path) == "-":
        if fmt == "parquet":
            raise DataError("Parquet cannot be written to stdout; give an output file.")
        _write_frame(frame, sys.stdout.buffer, fmt)
        sys.stdout.buffer.flush()
        return fmt
    module = _compression(path)
    with atomic_write(path, "wb") as f:
        if module is None:
            _write_frame(frame, f, fmt)
        else:
            with module.open(f, "wb") as cf:
                _write_frame(frame, cf, fmt)
    return fmt


def write_dataset(dataset, path, *, texts=None, Y=None, rows=None, format=None):
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
    fmt = _check_format(format) or (
        detect_format(path) if str(path) != "-" else None) or dataset.format
    return write_table(dataset.to_frame(texts=texts, Y=Y, rows=rows), path, format=fmt)
