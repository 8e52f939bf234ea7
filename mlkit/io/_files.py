"""File formats, compression, opening, sniffing and decoding of data files."""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import os
import sys
import zlib
from pathlib import Path

from .._optional import import_optional
from ._errors import DataError, display

__all__ = ["FORMATS", "detect_format"]

#: File formats mlkit reads and writes.
FORMATS = ("csv", "tsv", "jsonl", "parquet")

EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
COMPRESSIONS = {".gz": gzip, ".bz2": bz2, ".xz": lzma}
SEPARATORS = {"csv": ",", "tsv": "\t"}


def pandas():
    return import_optional("pandas", purpose="Reading and writing data files")


def is_stdin(source):
    return source is None or str(source) == "-"


def detect_format(path: str | os.PathLike[str]) -> str | None:
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
    while suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes.pop()
    return EXTENSIONS.get(suffixes[-1]) if suffixes else None


def compression(path):
    return COMPRESSIONS.get(Path(str(path)).suffix.lower())


def check_format(fmt):
    if fmt is None:
        return None
    fmt = str(fmt).lower()
    if fmt == "json":
        fmt = "jsonl"
    if fmt not in FORMATS:
        raise DataError(f"Unknown format {fmt!r}; mlkit reads and writes {', '.join(FORMATS)}.",
                        param="format")
    return fmt


def input_format(source, format):
    """The checked ``format``, or the one of the file name (None for stdin or unknown)."""
    fmt = check_format(format)
    if fmt is None and not is_stdin(source):
        fmt = detect_format(source)
    return fmt


def open_binary(source):
    """A readable binary stream for a path or ``"-"``, decompressing by suffix."""
    if is_stdin(source):
        return sys.stdin.buffer, False
    path = Path(source)
    if not path.exists():
        raise DataError(f"No such file: {str(path)!r}. Check the path (use '-' for stdin).")
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a directory; give the path of a data file.")
    module = compression(path)
    try:
        stream = module.open(path, "rb") if module else open(path, "rb")  # noqa: SIM115
    except PermissionError:
        raise DataError(f"Cannot read {str(path)!r}: permission denied.") from None
    return stream, True


def sniff(head):
    """Guess a format from the first bytes of a stream."""
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"{", b"[")):
        return "jsonl"
    first = text.split(b"\n", 1)[0]
    return "tsv" if first.count(b"\t") > first.count(b",") else "csv"


#: What a damaged or mislabelled compressed file raises while it is read.
READ_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)


def read_error(source, exc):
    """The DataError for a file whose bytes cannot be read (or decompressed)."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    hint = ""
    module = None if is_stdin(source) else compression(source)
    if module is not None:
        hint = (f" It is named like a {Path(str(source)).suffix} file but is not a complete, "
                "valid one; check the file (or rename it without that suffix if it is not "
                "compressed).")
    return DataError(f"Cannot read {display(source)}: {detail}.{hint}")


def read_all_bytes(source):
    stream, close = open_binary(source)
    try:
        data = stream.read()
        if is_stdin(source) and data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except READ_ERRORS as exc:
        raise read_error(source, exc) from None
    finally:
        if close:
            stream.close()
    return data


def check_encoding(encoding):
    """Raise the DataError for an encoding that is not a known text encoding."""
    try:
        info = codecs.lookup(codec(encoding))
    except (LookupError, TypeError):
        raise unknown_encoding(encoding) from None
    if not getattr(info, "_is_text_encoding", True):  # rot13, base64, zlib, ...
        raise unknown_encoding(encoding)


def codec(encoding):
    """The codec to decode with: UTF-8 ignores a byte-order mark."""
    return "utf-8-sig" if str(encoding).lower().replace("_", "-") in ("utf-8", "utf8") else encoding


def unknown_encoding(encoding):
    return DataError(f"Unknown text encoding {encoding!r} (encoding=); use e.g. utf-8 or "
                     "latin-1.", param="encoding")


def undecodable(source, encoding, byte, where):
    return DataError(
        f"{display(source)} is not valid {encoding} text: byte 0x{byte} {where} cannot be "
        "decoded. Re-save the file as UTF-8, or give its encoding with encoding= (e.g. "
        "latin-1).",
        param="encoding",
    )


def decode(data, encoding, source):
    try:
        return data.decode(codec(encoding))
    except LookupError:
        raise unknown_encoding(encoding) from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.start + 1].hex()
        raise undecodable(source, encoding, bad,
                          f"at line {line} (byte offset {exc.start})") from None
