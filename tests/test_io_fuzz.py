"""A seeded fuzz suite for mlkit.io: hostile and careless data files.

Valid files (CSV, TSV, JSON Lines, Parquet; wide 0/1 columns and a labels column) are
mutated by category: encodings, delimiters, quoting, embedded newlines and NULs, label
cells, column names, truncation, gzip corruption, JSON Lines lines, Parquet bit flips.
For every case, :func:`read_dataset` and :func:`iter_batches` must either raise a
:class:`DataError` with a one-line message or return data that is correct: texts are
strings, labels a 0/1 matrix of one row per text and one column per (unique) label name,
and where the mutation keeps the meaning (a byte-order mark, another encoding given with
``encoding=``) the same dataset as the original. Never another exception type, never a
read of a file other than the input (``open``/``os.open`` are patched to record paths),
never more than ``MEMORY_BOUND`` bytes of Python allocations (tracemalloc) for these
files of a few kilobytes.

hypothesis is not a dependency of mlkit, so the cases come from a seeded generator of our
own (``random.Random(SEED)``): the same cases on every run.
"""

from __future__ import annotations

import builtins
import gzip
import io
import json
import os
import random
import tracemalloc
from collections import Counter

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from mlkit.io import DataError, Dataset, iter_batches, read_dataset  # noqa: E402

SEED = 20261202
#: Python allocations allowed while reading one fuzzed file (each is under 20 kB).
MEMORY_BOUND = 32 * 2**20

TEXTS = [
    "you are great",
    'she said "hello, world"',
    "line one\nline two",
    "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e",
    "plain text, with a comma",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8",
    "stop; now",
    "42",
]
WIDE = pd.DataFrame({
    "id": [f"r{i}" for i in range(len(TEXTS))],
    "text": TEXTS,
    "toxic": [1, 0, 0, 1, 0, 0, 1, 0],
    "insult": [0, 0, 1, 1, 0, 1, 0, 0],
})
TAGS = pd.DataFrame({
    "text": TEXTS,
    "labels": ["crude,ship", "earn", "", "ship", "crude", "earn,ship", "", "crude"],
})
LISTS = pd.DataFrame({
    "text": TEXTS,
    "labels": [["crude", "ship"], ["earn"], [], ["ship"], ["crude"], ["earn", "ship"], [],
               ["crude"]],
})

LABEL_CELLS = ["2", "-1", "yes", "no", "", " ", "NaN", "nan", "None", "null", "[1, 2]",
               "[]", "1.0", "1.5", "99999999999999999999999999999999", "True", " 1 ", "0x1",
               "\u0661", "1e0", "[[[[[[1]]]]]]", "{}", "\x00"]
JSON_CELLS = [2, -1, "yes", "", None, float("nan"), [1, 2], [], {"a": 1}, 10**30, -10**30,
              True, 1.5, "1", [["a"]], [None], [10**30], ["a", 1], [0, 1, 2], [1.5]]
NAMES = ["", " ", "text", "toxic", "\u00e9t\u00e9", "\U0001f600", "a,b", 'q"uote', "x" * 300,
         "\t", "Unnamed: 0", "labels", "toxic ", "TEXT", "line\nbreak"]


def _csv_bytes(frame, sep=","):
    return frame.to_csv(index=False, sep=sep).encode("utf-8")


def _parquet_bytes(frame):
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buf)
    return buf.getvalue()


def _jsonl_bytes(frame):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n"
                   for r in frame.to_dict(orient="records")).encode("utf-8")


BASES = {
    "wide.csv": _csv_bytes(WIDE),
    "tags.csv": _csv_bytes(TAGS),
    "wide.tsv": _csv_bytes(WIDE, "\t"),
    "lists.jsonl": _jsonl_bytes(LISTS),
    "wide.jsonl": _jsonl_bytes(WIDE),
    "wide.parquet": _parquet_bytes(WIDE),
    "lists.parquet": _parquet_bytes(LISTS),
}
TEXT_BASES = [k for k in BASES if not k.endswith(".parquet")]


class Case:
    """One fuzzed file: its name (the suffix sets the format), bytes, read options and what
    must come out (``"same"``: the original dataset; ``"error"``: a DataError whose message
    contains ``match``; None: a DataError or a valid dataset)."""

    def __init__(self, category, base, name, data, kwargs=None, expect=None, match=""):
        self.category, self.base, self.name, self.data = category, base, name, data
        self.kwargs, self.expect, self.match = kwargs or {}, expect, match

    def __repr__(self):
        return f"<{self.category} {self.name} from {self.base}: {self.data[:60]!r}>"


def _flip(rng, data, n):
    data = bytearray(data)
    for _ in range(n):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return bytes(data)


def _encodings(rng):
    for base in TEXT_BASES:
        data = BASES[base]
        text = data.decode("utf-8")
        yield Case("encoding", base, base, b"\xef\xbb\xbf" + data, expect="same")
        for enc in ("utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1"):
            try:
                encoded = text.encode(enc)
            except UnicodeEncodeError:  # the CJK text has no latin-1 form
                encoded = text.encode(enc, errors="replace")
                yield Case("encoding", base, base, encoded, {"encoding": enc})
                continue
            yield Case("encoding", base, base, encoded, {"encoding": enc}, expect="same")
            yield Case("encoding", base, base, encoded)  # read as UTF-8: error or a dataset
        for _ in range(4):
            i = rng.randrange(len(data))
            bad = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xfe\xff"])
            yield Case("encoding", base, base, data[:i] + bad + data[i:])
        yield Case("encoding", base, base, data, {"encoding": "no-such-codec"}, expect="error",
                   match="encoding")
        yield Case("encoding", base, base, data, {"encoding": "rot13"})


def _delimiters(rng):
    for base in ("wide.csv", "tags.csv"):
        frame = WIDE if base.startswith("wide") else TAGS
        for sep in (";", "|", "\t", " ", ":"):
            yield Case("delimiter", base, base, _csv_bytes(frame, sep))
        yield Case("delimiter", base, base.replace(".csv", ".tsv"), BASES[base])
        yield Case("delimiter", base, "data.txt", BASES[base], expect="same")  # sniffed
        yield Case("delimiter", base, base, BASES[base], {"format": "tsv"})
        yield Case("delimiter", base, base, BASES[base], {"format": "jsonl"})
        yield Case("delimiter", base, base, BASES[base], {"format": "parquet"})
    yield Case("delimiter", "wide.tsv", "wide.tsv", BASES["wide.tsv"], expect="same")
    yield Case("delimiter", "wide.tsv", "x.csv", BASES["wide.tsv"])


def _quoting(rng):
    for base in ("wide.csv", "tags.csv", "wide.tsv"):
        data = BASES[base]
        for _ in range(8):
            i = rng.randrange(len(data))
            yield Case("quoting", base, base, data[:i] + rng.choice([b'"', b"'", b'""', b'"x"y'])
                       + data[i:])
        yield Case("quoting", base, base, data.replace(b'"', b""))
        yield Case("quoting", base, base, data + b'"unterminated,1,0\n')


def _newlines_nuls(rng):
    for base in TEXT_BASES:
        data = BASES[base]
        for _ in range(5):
            i = rng.randrange(len(data))
            yield Case("newline/NUL", base, base,
                       data[:i] + rng.choice([b"\n", b"\r", b"\r\n", b"\x00", b"\n\n",
                                              b"\x00" * 50, b"\x1a", b"\x0b"]) + data[i:])
        # CRLF line ends: the same rows (the line break quoted inside a text is CRLF too)
        yield Case("newline/NUL", base, base, data.replace(b"\n", b"\r\n"), expect="same")
        yield Case("newline/NUL", base, base, data.replace(b"\n", b"\r"))
        yield Case("newline/NUL", base, base, b"\n\n" + data + b"\n\n\n")


def _label_cells(rng):
    for cell in LABEL_CELLS:
        frame = WIDE.copy().astype(object)
        frame.loc[rng.randrange(len(frame)), "toxic"] = cell
        yield Case("label cell", "wide.csv", "wide.csv", _csv_bytes(frame))
        tags = TAGS.copy()
        tags.loc[rng.randrange(len(tags)), "labels"] = cell
        yield Case("label cell", "tags.csv", "tags.csv", _csv_bytes(tags))
        for kw in ({"label_cols": "toxic,insult"}, {"label_cols": "toxic"}):
            yield Case("label cell", "wide.csv", "wide.csv", _csv_bytes(frame), kw)
    for value in JSON_CELLS:
        for base, frame, col in (("wide.jsonl", WIDE, "toxic"), ("lists.jsonl", LISTS, "labels")):
            records = frame.to_dict(orient="records")
            records[rng.randrange(len(records))][col] = value
            data = "".join(json.dumps(r) + "\n" for r in records).encode()
            yield Case("label cell", base, base, data)
            yield Case("label cell", base, base, data, {"label_names": ["crude", "earn", "ship"]})
        lists = LISTS.copy()
        lists.at[rng.randrange(len(lists)), "labels"] = value if isinstance(value, list) else [
            value]
        try:
            yield Case("label cell", "lists.parquet", "lists.parquet", _parquet_bytes(lists))
        except (pa.ArrowException, OverflowError, TypeError):  # not writable as Parquet
            pass
    # all labels empty, all labels one value, a label column of one type per row
    for fill in ("", "0", "1", "yes"):
        frame = WIDE.copy().astype(object)
        frame["toxic"] = fill
        yield Case("label cell", "wide.csv", "wide.csv", _csv_bytes(frame))
        yield Case("label cell", "wide.csv", "wide.csv", _csv_bytes(frame),
                   {"label_cols": "toxic"})
    mixed = WIDE.to_dict(orient="records")
    for r, v in zip(mixed, [1, "1", True, "yes", 0, "0", False, "no"], strict=True):
        r["toxic"] = v
    yield Case("label cell", "wide.jsonl", "wide.jsonl",
               "".join(json.dumps(r) + "\n" for r in mixed).encode())


def _column_names(rng):
    for base in ("wide.csv", "wide.tsv", "wide.jsonl", "wide.parquet", "tags.csv"):
        frame = WIDE if base.startswith("wide") else TAGS
        sep = "\t" if base.endswith(".tsv") else ","
        for _ in range(7):
            cols = list(frame.columns)
            j = rng.randrange(len(cols))
            new = rng.choice(NAMES + cols)
            duplicate = new in cols and cols.index(new) != j
            cols[j] = new
            data = _named(frame, cols, base, sep)
            if data is None:
                continue
            yield Case("column name", base, base, data,
                       expect="error" if duplicate else None,
                       match="duplicate" if duplicate else "")
        cols = list(frame.columns)
        cols[-1] = cols[0]
        data = _named(frame, cols, base, sep)
        if data is not None:
            yield Case("column name", base, base, data, expect="error", match="duplicate")
            yield Case("column name", base, base, data, {"label_cols": cols[0]},
                       expect="error", match="duplicate")


def _named(frame, cols, base, sep):
    if base.endswith(".parquet"):
        table = pa.Table.from_arrays([pa.array(frame[c].tolist()) for c in frame.columns],
                                     names=cols)
        buf = io.BytesIO()
        pq.write_table(table, buf)
        return buf.getvalue()
    if base.endswith(".jsonl"):
        if len(set(cols)) < len(cols):  # json.dumps cannot write a key twice: write by hand
            return "".join(
                "{" + ", ".join(f"{json.dumps(c)}: {json.dumps(v)}" for c, v in
                                zip(cols, row, strict=True)) + "}\n"
                for row in frame.itertuples(index=False, name=None)).encode()
        renamed = frame.set_axis(cols, axis=1)
        return _jsonl_bytes(renamed)
    header = sep.join(_quote(c, sep) for c in cols) + "\n"
    body = frame.to_csv(index=False, sep=sep, header=False)
    return (header + body).encode("utf-8")


def _quote(name, sep):
    if any(ch in name for ch in (sep, '"', "\n", "\r")):
        return '"' + name.replace('"', '""') + '"'
    return name


def _truncation(rng):
    for base, data in BASES.items():
        for _ in range(6 if base.endswith(".parquet") else 5):
            yield Case("truncation", base, base, data[:rng.randrange(1, len(data))])
        yield Case("truncation", base, base, data[:1])


def _gzip(rng):
    for base in ("wide.csv", "lists.jsonl", "wide.parquet"):
        packed = gzip.compress(BASES[base], mtime=0)
        yield Case("gzip", base, base + ".gz", packed, expect="same")
        for _ in range(5):
            yield Case("gzip", base, base + ".gz", _flip(rng, packed, rng.randint(1, 4)))
        for _ in range(3):
            yield Case("gzip", base, base + ".gz", packed[:rng.randrange(1, len(packed))])
        yield Case("gzip", base, base + ".gz", BASES[base])  # not compressed at all
        yield Case("gzip", base, base + ".gz", packed + b"trailing garbage")
        yield Case("gzip", base, base + ".gz", gzip.compress(packed, mtime=0))  # twice


def _jsonl_lines(rng):
    lines = _jsonl_bytes(LISTS).decode().splitlines()
    odd = ["[1, 2]", "42", '"a string"', "null", "true", "{", "}", '{"text": }', "[",
           '{"text": "x", "labels": ["a"]} trailing', "[" * 5000 + "]" * 5000,
           '{"text": "x", "text": "y", "labels": []}', '{"text": {"nested": 1}, "labels": []}',
           '{"text": ["a", "list"], "labels": []}', '{"labels": ["a"]}', '{"text": null}',
           "NaN", '{"text": "x", "labels": NaN}', '{"text": "x", "labels": Infinity}',
           '{"": "empty key", "text": "x", "labels": []}', "\ufeff{}", '{"text": 1e999}']
    for line in odd:
        i = rng.randrange(len(lines) + 1)
        data = "\n".join(lines[:i] + [line] + lines[i:]) + "\n"
        yield Case("jsonl line", "lists.jsonl", "lists.jsonl", data.encode())
    yield Case("jsonl line", "lists.jsonl", "lists.jsonl",
               ("[" + ",".join(lines) + "]").encode(), expect="same")
    for text in ("[1, 2, 3]", "[[]]", '[{"text": "x", "labels": []}, 3]', "{}", "[]",
                 '{"text": "a", "labels": ["x"]}{"text": "b", "labels": ["y"]}'):
        yield Case("jsonl line", "lists.jsonl", "lists.jsonl", text.encode())


def _parquet_flips(rng):
    for base in ("wide.parquet", "lists.parquet"):
        data = BASES[base]
        for _ in range(12):
            yield Case("parquet bit flip", base, base, _flip(rng, data, rng.randint(1, 3)))
        for _ in range(4):  # in the footer, where the schema and offsets are
            i = rng.randrange(max(0, len(data) - 200), len(data) - 8)
            yield Case("parquet bit flip", base, base,
                       data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
        yield Case("parquet bit flip", base, base, data[:4] + data[8:])
        yield Case("parquet bit flip", base, base.replace(".parquet", ".csv"), data)


GENERATORS = {
    "encoding": _encodings,
    "delimiter": _delimiters,
    "quoting": _quoting,
    "newline/NUL": _newlines_nuls,
    "label cell": _label_cells,
    "column name": _column_names,
    "truncation": _truncation,
    "gzip": _gzip,
    "jsonl line": _jsonl_lines,
    "parquet bit flip": _parquet_flips,
}


def cases(category):
    """The cases of one category, the same on every run."""
    rng = random.Random(f"{SEED}-{category}")
    return list(GENERATORS[category](rng))


# --------------------------------------------------------------------------
# the oracle
# --------------------------------------------------------------------------


class _OpenRecorder:
    """Records every path opened through ``open``, ``io.open`` and ``os.open``."""

    def __init__(self, monkeypatch):
        self.paths = []
        real_open, real_os_open = builtins.open, os.open

        def recording_open(file, *args, **kwargs):
            if not isinstance(file, int):
                self.paths.append(os.fspath(file))
            return real_open(file, *args, **kwargs)

        def recording_os_open(path, *args, **kwargs):
            self.paths.append(os.fspath(path))
            return real_os_open(path, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", recording_open)
        monkeypatch.setattr(io, "open", recording_open)
        monkeypatch.setattr(os, "open", recording_os_open)


def _check_dataset(ds, case):
    assert isinstance(ds, Dataset)
    assert all(isinstance(t, str) for t in ds.texts)
    assert len(ds.texts) == len(ds.frame)
    if ds.Y is None:
        return
    assert ds.Y.dtype == np.int64 and ds.Y.shape[0] == len(ds.texts)
    assert set(np.unique(ds.Y)) <= {0, 1}
    names = [str(n) for n in ds.label_names]
    assert len(names) == ds.Y.shape[1] == len(set(names))
    assert len(set(ds.frame.columns)) == ds.frame.shape[1]  # no duplicate column left
    if case.expect == "same":
        base = read_dataset(_base_path(case))
        texts = [t.replace("\r\n", "\n") for t in ds.texts]
        assert texts == base.texts, case
        assert names == [str(n) for n in base.label_names], case
        np.testing.assert_array_equal(ds.Y, base.Y)


_BASE_DIR = {}


def _base_path(case):
    return _BASE_DIR["dir"] / case.base


def _read_everything(path, case):
    """read_dataset, then iter_batches: each a Dataset/frames or a DataError."""
    outcome = []
    try:
        ds = read_dataset(path, **case.kwargs)
    except DataError as exc:
        outcome.append(exc)
    else:
        outcome.append(ds)
    stream_kwargs = {k: v for k, v in case.kwargs.items() if k in ("encoding", "format")}
    try:
        batches = list(iter_batches(path, batch_size=3, **stream_kwargs))
    except DataError as exc:
        outcome.append(exc)
    else:
        outcome.append(batches)
    return outcome


def _run_case(case, tmp_path, monkeypatch):
    folder = tmp_path / f"c{id(case)}"
    folder.mkdir()
    path = folder / case.name
    path.write_bytes(case.data)
    with monkeypatch.context() as m:
        recorder = _OpenRecorder(m)
        tracemalloc.start()
        try:
            outcome = _read_everything(path, case)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    allowed = {str(path), str(path.resolve())}
    others = [p for p in recorder.paths if p not in allowed]
    assert not others, f"{case}: opened {others}"
    assert peak < MEMORY_BOUND, f"{case}: {peak / 2**20:.1f} MiB of Python allocations"
    dataset, batches = outcome
    for result in outcome:
        if isinstance(result, DataError):
            message = str(result)
            assert message.strip() and "\n" not in message, (case, message)
            assert not message.startswith("Traceback"), (case, message)
    if case.expect == "error":
        assert isinstance(dataset, DataError), f"{case}: read without error"
        assert case.match in str(dataset), (case, str(dataset))
    if case.expect == "same":
        assert not isinstance(dataset, DataError), f"{case}: {dataset}"
    if not isinstance(dataset, DataError):
        _check_dataset(dataset, case)
    if isinstance(batches, list):
        for b in batches:
            assert isinstance(b, pd.DataFrame) and len(set(b.columns)) == b.shape[1], case
    return "error" if isinstance(dataset, DataError) else "dataset"


@pytest.fixture(scope="module")
def base_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz_bases")
    for name, data in BASES.items():
        (folder / name).write_bytes(data)
    (folder / "data.txt").write_bytes(BASES["wide.csv"])
    _BASE_DIR["dir"] = folder
    for name in BASES:  # warm up imports before open is recorded
        read_dataset(folder / name)
        list(iter_batches(folder / name))
    return folder


@pytest.mark.parametrize("category", list(GENERATORS))
def test_fuzzed_data_files(category, base_files, tmp_path, monkeypatch):
    outcomes = Counter()
    failures = []
    all_cases = cases(category)
    assert len(all_cases) >= 10
    for case in all_cases:
        try:
            outcomes[_run_case(case, tmp_path, monkeypatch)] += 1
        except Exception as exc:  # collect every failure of the category, not only the first
            failures.append(f"{case!r}: {type(exc).__name__}: {exc}"[:600])
    assert not failures, f"{len(failures)} of {len(all_cases)} cases failed:\n" + "\n".join(
        failures[:20])
    # both kinds of outcome occur: the mutations are neither all harmless nor all fatal
    if category not in ("parquet bit flip", "truncation"):
        assert outcomes["error"] and outcomes["dataset"], outcomes


def test_the_bases_read_as_written(base_files):
    for name in BASES:
        ds = read_dataset(base_files / name)
        assert ds.texts == TEXTS
        assert ds.Y.shape[0] == len(TEXTS)
