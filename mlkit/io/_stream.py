"""Streaming: :func:`iter_batches` reads a file in row batches with bounded memory."""

from __future__ import annotations

import gzip
import io
import numbers
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .._optional import import_optional
from ._detect import texts_from
from ._errors import (
    DataError,
    check_unique_columns,
    display,
    empty_error,
    require_columns,
    shown,
)
from ._files import (
    READ_ERRORS,
    SEPARATORS,
    check_encoding,
    codec,
    compression,
    input_format,
    is_stdin,
    open_binary,
    pandas,
    read_error,
    sniff,
    undecodable,
    unknown_encoding,
)
from ._read import (
    PARQUET_ERRORS,
    check_header,
    csv_error,
    header_names,
    parquet_error,
    parquet_to_frame,
    parse_json_line,
    read_jsonl_text,
    records_frame,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["batch_texts", "iter_batches"]


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
    if is_stdin(source) or compression(source) is not None:
        return None
    try:
        return os.path.getsize(source)
    except OSError:
        return None


def iter_batches(
    source: str | os.PathLike[str],
    *,
    batch_size: int = 1000,
    format: str | None = None,
    encoding: str = "utf-8",
    header: bool = True,
    progress: Callable[[int, int, int | None], object] | None = None,
) -> Iterator[pd.DataFrame]:
    """Read a data file in batches of rows, as DataFrames.

    Only one batch is in memory at a time: CSV, TSV and JSON Lines are parsed
    ``batch_size`` rows at a time, and a Parquet file is read record batch by
    record batch (:meth:`pyarrow.parquet.ParquetFile.iter_batches`), so memory
    is bounded by the batch size, not the file size. Exceptions, read whole:
    Parquet from standard input or a compressed Parquet file (Parquet needs
    random access), a gzip-compressed standard input, and a JSON array (not
    JSON Lines). Values are read as in :func:`read_table`; the batches' index
    continues across batches (the row position in the file).

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
    if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}.")
    fmt = input_format(source, format)
    check_encoding(encoding)
    if fmt == "parquet" and not is_stdin(source) and compression(source) is None:
        open_binary(source)[0].close()  # the same errors as other formats: missing, a folder
        if _total_size(source) == 0:
            raise empty_error(source)
        yield from _iter_parquet(source, source, batch_size, progress, _total_size(source))
        return
    total = _total_size(source)
    stream, close = open_binary(source)
    try:
        yield from _iter_stream(stream, source, fmt, batch_size, encoding, header, progress,
                                total)
    except READ_ERRORS as exc:  # a damaged compressed file, found while reading on
        raise read_error(source, exc) from None
    finally:
        if close:
            stream.close()


def _iter_stream(stream, source, fmt, batch_size, encoding, header, progress, total):
    head = stream.read(4096)
    if not head.strip():
        rest = stream.read(1 << 16)
        if not (head + rest).strip():
            raise empty_error(source)
        head += rest
    if is_stdin(source) and head[:2] == b"\x1f\x8b":
        stream = io.BytesIO(gzip.decompress(head + stream.read()))
        head = stream.read(4096)
    if fmt is None:
        fmt = sniff(head)
    if fmt == "parquet":  # stdin or compressed: Parquet needs random access, read it whole
        yield from _iter_parquet(io.BytesIO(head + stream.read()), source, batch_size,
                                 progress, None)
        return
    names = None
    if fmt != "jsonl" and header:
        head = _extend_to_lines(head, stream)
        names = _head_names(head, encoding, fmt)
    counter = _CountingReader(_PeekedStream(head, stream))
    text = io.TextIOWrapper(io.BufferedReader(counter), encoding=codec(encoding),
                            errors="strict", newline="" if fmt != "jsonl" else None)
    done = 0
    try:
        for chunk in _text_chunks(text, fmt, source, batch_size, header, names):
            chunk.index = pandas().RangeIndex(done, done + len(chunk))
            done += len(chunk)
            yield chunk
            if progress is not None:
                progress(done, counter.n_read, total)
    except UnicodeDecodeError as exc:
        raise undecodable(source, encoding, exc.object[exc.start:exc.start + 1].hex(),
                          f"after row {done}") from None
    except LookupError:
        raise unknown_encoding(encoding) from None


def _extend_to_lines(head, stream, limit=1 << 20):
    """``head`` read on until it holds two line breaks (the whole header), EOF or ``limit``."""
    while head.count(b"\n") < 2 and len(head) < limit:
        more = stream.read(1 << 16)
        if not more:
            break
        head += more
    return head


def _head_names(head, encoding, fmt):
    """The header names as written, from the first bytes (None when they cannot be told)."""
    try:
        text = head.decode(codec(encoding), errors="replace")
    except LookupError:
        return None
    if "\n" in text:  # drop a possibly cut last line
        text = text[:text.rindex("\n") + 1]
    return header_names(text, fmt)


def _text_chunks(text, fmt, source, batch_size, header, names=None):
    """The DataFrames of a CSV/TSV/JSON Lines text stream; errors for an empty file."""
    pd = pandas()
    if fmt == "jsonl":
        chunks = _iter_jsonl(text, source, batch_size)
    else:
        try:
            reader = pd.read_csv(
                text, sep=SEPARATORS[fmt], dtype=str, keep_default_na=False,
                header=0 if header else None, chunksize=batch_size,
            )
        except pd.errors.EmptyDataError:
            raise empty_error(source) from None
        chunks = _iter_csv(reader, fmt, source, header, names)
    first = True
    for chunk in chunks:
        if first and len(chunk) == 0:
            raise DataError(
                f"{display(source)} has a header ({shown(chunk.columns)}) but no data rows."
            )
        first = False
        yield chunk
    if first:
        raise empty_error(source)


def _iter_csv(reader, fmt, source, header, names=None):
    pd = pandas()
    done = 0
    while True:
        try:
            chunk = next(reader)
        except StopIteration:
            return
        except pd.errors.ParserError as exc:
            raise csv_error(exc, fmt, source, where=f" after row {done}") from None
        if header:
            chunk.columns = [str(c) for c in chunk.columns]
            check_header(chunk, names if done == 0 else None, fmt, source)
        else:
            chunk.columns = [str(i + 1) for i in range(chunk.shape[1])]
        done += len(chunk)
        yield chunk


def _iter_jsonl(text, source, batch_size):
    records = []
    for lineno, line in enumerate(text, start=1):
        if not line.strip():
            continue
        if lineno == 1 and line.lstrip().startswith("["):
            # a JSON array: not streamable, read it whole
            frame = read_jsonl_text(line + text.read(), source)
            for start in range(0, len(frame), batch_size):
                yield frame.iloc[start:start + batch_size]
            return
        records.append(parse_json_line(line, lineno, source))
        if len(records) == batch_size:
            yield records_frame(records)
            records = []
    if records:
        yield records_frame(records)


def _iter_parquet(file, source, batch_size, progress, total):
    """Record batches of a Parquet file (a path or a seekable binary stream)."""
    pq = import_optional("pyarrow.parquet", purpose="Reading Parquet files")
    pa = import_optional("pyarrow", purpose="Reading Parquet files")
    pd = pandas()
    def read(step):
        try:
            return step()
        except DataError:
            raise
        except (pa.ArrowException, *PARQUET_ERRORS) as exc:
            raise parquet_error(source, exc) from None

    def open_batches():
        # buffer_size > 0 and no pre-buffering: column chunks are read through a 1 MiB
        # buffered stream, not whole, so memory follows batch_size even when the file is one
        # row group (pyarrow writes up to 1Mi rows per group); one thread: no read-ahead
        pfile = pq.ParquetFile(file, buffer_size=1 << 20, pre_buffer=False)
        check_unique_columns(pfile.schema_arrow.names, source)
        return pfile.iter_batches(batch_size=batch_size, use_threads=False)

    batches = read(open_batches)
    done = 0
    while (batch := read(lambda: next(batches, None))) is not None:
        # only reading and decoding are Parquet errors: what the consumer or the
        # progress callback raises passes through as it is
        frame = read(lambda b=batch: parquet_to_frame(pa.Table.from_batches([b])))
        frame.index = pd.RangeIndex(done, done + len(frame))
        done += len(frame)
        yield frame
        if progress is not None:
            progress(done, None, total)
    if done == 0:
        raise empty_error(source)


def batch_texts(batch: pd.DataFrame, text_col: str, source: str | os.PathLike[str] = "-") -> list[str]:
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
    require_columns(batch.columns, text_col, param="text_col", source=source)
    try:
        return texts_from(batch[text_col], source, text_col)
    except DataError as exc:
        # row numbers are relative to the batch; say where the batch starts
        start = int(batch.index[0]) if len(batch) else 0
        if start:
            raise DataError(f"{exc} (row numbers counted from row {start + 1})",
                            param=exc.param, params=exc.params) from None
        raise
