"""mlkit.io: reading the Jigsaw sample and GoEmotions slices in every format and layout,
streaming, writing back with edits, and a clear error for every bad input."""

import gzip
import io
import json
import sys

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from mlkit.io import (  # noqa: E402
    DataError,
    detect_format,
    iter_batches,
    read_dataset,
    read_table,
    write_dataset,
    write_table,
)

JIGSAW_LABELS = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


@pytest.fixture(scope="module")
def jigsaw_csv(jigsaw_sample):
    from conftest import shared_data_dir

    return shared_data_dir() / "jigsaw_sample" / "train.csv"


@pytest.fixture(scope="module")
def goemotions_frame(goemotions_slice):
    """300 GoEmotions rows with a comma-joined 'labels' column."""
    names = goemotions_slice.label_names
    Y = goemotions_slice.Y_train[:300]
    return pd.DataFrame({
        "id": [f"g{i}" for i in range(300)],
        "text": goemotions_slice.X_train[:300],
        "labels": [",".join(names[np.flatnonzero(row)]) for row in Y],
    }), Y, names


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------
# layouts and detection
# --------------------------------------------------------------------------


def test_jigsaw_layout_detected_without_options(jigsaw_csv, jigsaw_sample):
    ds = read_dataset(jigsaw_csv)
    assert ds.text_col == "comment_text"
    assert ds.layout == "wide"
    assert ds.label_cols == JIGSAW_LABELS  # file order, "id" is not a label
    assert list(ds.label_names) == JIGSAW_LABELS
    np.testing.assert_array_equal(ds.Y, jigsaw_sample.labels.to_numpy())
    assert ds.texts == list(jigsaw_sample.texts)  # quoted multi-line texts intact
    assert ds.Y.dtype == np.int64
    assert len(ds) == 267


def test_explicit_columns_and_label_subset(jigsaw_csv):
    ds = read_dataset(jigsaw_csv, text_col="comment_text", label_cols="insult,toxic")
    assert list(ds.label_names) == ["insult", "toxic"]
    assert ds.Y.sum(axis=0).tolist() == [16, 26]


def test_label_names_reorder_wide_columns(jigsaw_csv):
    ds = read_dataset(jigsaw_csv, label_names=JIGSAW_LABELS[::-1])
    assert list(ds.label_names) == JIGSAW_LABELS[::-1]
    assert ds.Y[:, -1].sum() == 26  # toxic is now last


def test_tags_layout_detected_and_sorted(tmp_path, goemotions_frame):
    frame, Y, names = goemotions_frame
    path = tmp_path / "go.csv"
    frame.to_csv(path, index=False)
    ds = read_dataset(path)
    assert ds.layout == "tags" and ds.labels_col == "labels" and ds.text_col == "text"
    # names are the sorted set of names that occur
    present = sorted(names[Y.sum(axis=0) > 0])
    assert list(ds.label_names) == present
    column = {n: j for j, n in enumerate(names)}
    np.testing.assert_array_equal(ds.Y, Y[:, [column[n] for n in present]])


def test_tags_with_separator_and_list_literals(tmp_path):
    path = _write(tmp_path / "t.tsv",
                  "doc\ttags\nfirst text\ta; b\nsecond text\t\nthird\t['c', 'a']\n"
                  'fourth\t["b"]\n')
    ds = read_dataset(path, labels_col="tags", sep=";")
    assert ds.format == "tsv" and ds.text_col == "doc"
    assert list(ds.label_names) == ["a", "b", "c"]
    assert ds.Y.tolist() == [[1, 1, 0], [0, 0, 0], [1, 0, 1], [0, 1, 0]]


def test_tags_with_known_label_names(tmp_path):
    path = _write(tmp_path / "t.csv", 'text,labels\nx,"a,zzz"\ny,b\n')
    with pytest.raises(DataError, match=r"label\(s\) the model does not know: zzz"):
        read_dataset(path, label_names=["a", "b"])
    ds = read_dataset(path, label_names=["b", "a"], unknown_labels="ignore")
    assert ds.Y.tolist() == [[0, 1], [1, 0]]
    assert ds.ignored_labels == {"zzz": 1}


def test_jsonl_with_label_lists(tmp_path, goemotions_frame):
    frame, Y, names = goemotions_frame
    path = tmp_path / "go.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for row, y in zip(frame.itertuples(), Y, strict=True):
            f.write(json.dumps({"id": row.id, "text": row.text,
                                "labels": list(names[np.flatnonzero(y)])}) + "\n")
    ds = read_dataset(path, label_names=names)
    assert ds.format == "jsonl" and ds.layout == "tags"
    np.testing.assert_array_equal(ds.Y, Y)


def test_text_values_are_kept_as_written(tmp_path):
    # "NA" and "null" are texts, not missing values; a BOM is ignored; numbers stay text
    path = tmp_path / "t.csv"
    path.write_bytes("\ufefftext,a\nNA,1\nnull,0\n123,1\n".encode())
    ds = read_dataset(path)
    assert ds.texts == ["NA", "null", "123"]
    assert ds.Y[:, 0].tolist() == [1, 0, 1]


def test_no_header_names_columns_by_position(tmp_path):
    path = _write(tmp_path / "t.tsv", "hello there\tjoy,love\tid1\nbye\tsadness\tid2\n")
    ds = read_dataset(path, header=False, text_col="1", labels_col="2")
    assert list(ds.label_names) == ["joy", "love", "sadness"]


def test_text_column_is_the_longest_string_column(tmp_path):
    path = _write(tmp_path / "t.csv",
                  "key,body_of_message,flag\nk1,a much longer text here,1\nk2,another long one,0\n")
    assert read_dataset(path).text_col == "body_of_message"


def test_without_labels_when_not_required(tmp_path):
    path = _write(tmp_path / "t.csv", "text,source\nhello,web\nbye,mail\n")
    ds = read_dataset(path, require_labels=False)
    assert ds.Y is None and ds.layout is None and ds.texts == ["hello", "bye"]


# --------------------------------------------------------------------------
# formats
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["d.csv", "d.tsv", "d.jsonl", "d.parquet", "d.csv.gz",
                                  "d.jsonl.xz", "d.tsv.bz2"])
def test_round_trip_every_format(tmp_path, jigsaw_csv, name):
    if name.endswith("parquet"):
        pytest.importorskip("pyarrow")
    ds = read_dataset(jigsaw_csv)
    path = tmp_path / name
    write_dataset(ds, path)
    back = read_dataset(path)
    assert back.format == detect_format(name)
    assert back.fingerprint() == ds.fingerprint()
    assert back.label_cols == ds.label_cols
    assert back.frame["id"].tolist() == ds.frame["id"].tolist()


def test_detect_format():
    assert detect_format("a/b.CSV") == "csv"
    assert detect_format("x.jsonl.gz") == "jsonl"
    assert detect_format("x.ndjson") == "jsonl"
    assert detect_format("x.pq") == "parquet"
    assert detect_format("x.xlsx") is None


def _stdin(monkeypatch, data):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_stdin_format_is_sniffed(monkeypatch, tmp_path, jigsaw_csv, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    ds = read_dataset(jigsaw_csv)
    path = tmp_path / f"d.{fmt}"
    write_dataset(ds, path)
    _stdin(monkeypatch, path.read_bytes())
    back = read_dataset("-")
    assert back.format == fmt and back.source == "<stdin>"
    assert back.fingerprint() == ds.fingerprint()


def test_gzipped_stdin(monkeypatch, jigsaw_csv):
    _stdin(monkeypatch, gzip.compress(jigsaw_csv.read_bytes()))
    assert len(read_dataset("-")) == 267


def test_json_array_is_read(tmp_path):
    path = _write(tmp_path / "d.json", '[{"text": "a", "labels": ["x"]}, '
                                       '{"text": "b", "labels": []}]')
    ds = read_dataset(path)
    assert ds.Y.tolist() == [[1], [0]]


# --------------------------------------------------------------------------
# streaming
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["d.csv", "d.jsonl", "d.parquet", "d.csv.gz"])
def test_iter_batches(tmp_path, jigsaw_csv, name):
    if name.endswith("parquet"):
        pytest.importorskip("pyarrow")
    ds = read_dataset(jigsaw_csv)
    path = tmp_path / name
    write_dataset(ds, path)
    calls = []
    batches = list(iter_batches(path, batch_size=100, progress=lambda *a: calls.append(a)))
    assert [len(b) for b in batches] == [100, 100, 67]
    assert [b.index[0] for b in batches] == [0, 100, 200]  # row positions in the file
    assert pd.concat(batches)["comment_text"].tolist() == ds.texts
    assert [c[0] for c in calls] == [100, 200, 267]


def test_iter_batches_stdin(monkeypatch, jigsaw_csv):
    _stdin(monkeypatch, jigsaw_csv.read_bytes())
    assert sum(len(b) for b in iter_batches("-", batch_size=50)) == 267


def test_iter_batches_error_in_a_later_batch_names_the_line(tmp_path):
    lines = [json.dumps({"text": f"t{i}"}) for i in range(10)]
    lines[7] = '{"text": "broken'
    path = _write(tmp_path / "d.jsonl", "\n".join(lines) + "\n")
    batches = iter_batches(path, batch_size=3)
    assert len(next(batches)) == 3
    with pytest.raises(DataError, match=r"line 8: not valid JSON"):
        list(batches)


def test_iter_batches_undecodable_bytes(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"text\n" + b"ok\n" * 5 + "caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"not valid utf-8 text: byte 0xe9.*encoding= \(e\.g\. "
                                        r"latin-1\)") as info:
        list(iter_batches(path, batch_size=2))
    assert info.value.param == "encoding"


# --------------------------------------------------------------------------
# writing back with edits
# --------------------------------------------------------------------------


def test_write_dataset_with_edits_in_wide_layout(tmp_path, jigsaw_csv):
    ds = read_dataset(jigsaw_csv)
    before = ds.frame.copy()
    Y2 = ds.Y.copy()
    Y2[0, 0] = 1 - Y2[0, 0]
    kept = np.arange(1, len(ds))  # drop row 0 ...
    out = tmp_path / "clean.csv"
    write_dataset(ds, out, Y=Y2[kept], rows=kept)
    back = read_dataset(out)
    assert len(back) == len(ds) - 1
    np.testing.assert_array_equal(back.Y, Y2[kept])
    assert back.frame.columns.tolist() == ds.frame.columns.tolist()
    assert back.frame["id"].tolist() == ds.frame["id"].tolist()[1:]
    pd.testing.assert_frame_equal(ds.frame, before)  # the input is never modified


@pytest.mark.parametrize("name", ["clean.jsonl", "clean.csv"])
def test_write_dataset_with_edits_in_tags_layout(tmp_path, goemotions_frame, name):
    frame, Y, names = goemotions_frame
    src = tmp_path / ("src.jsonl" if name.endswith("jsonl") else "src.csv")
    if name.endswith("jsonl"):
        with open(src, "w", encoding="utf-8") as f:
            for row, y in zip(frame.itertuples(), Y, strict=True):
                f.write(json.dumps({"id": row.id, "text": row.text,
                                    "labels": list(names[np.flatnonzero(y)])}) + "\n")
    else:
        frame.to_csv(src, index=False)
    ds = read_dataset(src, label_names=names)
    Y2 = ds.Y.copy()
    Y2[:, 0] = 0
    Y2[5, 0] = 1
    texts2 = [t.upper() for t in ds.texts]
    write_dataset(ds, tmp_path / name, texts=texts2, Y=Y2)
    back = read_dataset(tmp_path / name, label_names=names)
    np.testing.assert_array_equal(back.Y, Y2)
    assert back.texts == texts2
    if name.endswith("jsonl"):  # lists stay lists
        first = json.loads((tmp_path / name).read_text().splitlines()[5])
        assert isinstance(first["labels"], list) and names[0] in first["labels"]


def test_to_frame_checks_shapes(jigsaw_csv):
    ds = read_dataset(jigsaw_csv)
    with pytest.raises(ValueError, match=r"Y has shape \(267, 2\); expected \(267, 6\)"):
        ds.to_frame(Y=np.zeros((267, 2), dtype=int))
    with pytest.raises(ValueError, match=r"rows must be positions in \[0, 267\)"):
        ds.to_frame(rows=[0, 999])


def test_write_table_is_atomic(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old\n")

    class Boom:
        columns = ["a"]

        def to_csv(self, *a, **k):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_table(Boom(), path)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


# --------------------------------------------------------------------------
# bad input: one clear error each
# --------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"No such file: .*nope\.csv"):
        read_dataset(tmp_path / "nope.csv")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="is a directory"):
        read_dataset(tmp_path)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
@pytest.mark.parametrize("name", ["e.csv", "e.jsonl", "e.tsv"])
def test_empty_file(tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match="is empty"):
        read_dataset(path)
    with pytest.raises(DataError, match="is empty"):
        list(iter_batches(path))


def test_header_without_rows(tmp_path):
    path = _write(tmp_path / "h.csv", "text,toxic\n")
    with pytest.raises(DataError, match=r"has a header \(text, toxic\) but no data rows"):
        read_dataset(path)
    with pytest.raises(DataError, match="but no data rows"):
        list(iter_batches(path))


def test_undecodable_bytes_name_line_and_fix(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text,a\nok,1\ncaf\u00e9,0\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"not valid utf-8 text: byte 0xe9 at line 3 .*"
                                         r"encoding= \(e\.g\. latin-1\)"):
        read_dataset(path)
    assert read_dataset(path, encoding="latin-1").texts == ["ok", "caf\u00e9"]


def test_unknown_encoding(tmp_path):
    path = _write(tmp_path / "t.csv", "text,a\nx,1\n")
    with pytest.raises(DataError, match="Unknown text encoding 'klingon'"):
        read_dataset(path, encoding="klingon")


def test_unknown_column_lists_the_available_ones(jigsaw_csv):
    with pytest.raises(DataError, match=r"no column 'coment_text' \(text_col=\); its columns "
                                        r"are: id, comment_text, toxic.*Did you mean "
                                        r"'comment_text'\?") as info:
        read_dataset(jigsaw_csv, text_col="coment_text")
    assert info.value.param == "text_col"
    with pytest.raises(DataError, match=r"no column 'rude' \(label_cols=\)") as info:
        read_dataset(jigsaw_csv, label_cols=["toxic", "rude"])
    assert info.value.param == "label_cols"
    with pytest.raises(DataError, match=r"no column 'tags' \(labels_col=\)"):
        read_dataset(jigsaw_csv, labels_col="tags")


def test_label_values_other_than_0_and_1(tmp_path):
    rows = "".join(f"text {i},{i % 2},0\n" for i in range(40))
    path = _write(tmp_path / "bad.csv", "text,a,b\n" + rows + "oops,2,0\nmore,maybe,1\n")
    # auto-detected: the column is almost all 0/1, so it is a label column with bad values
    with pytest.raises(DataError, match=r"label column 'a' holds values other than 0 and 1: "
                                        r"'2' in row 41, 'maybe' in row 42"):
        read_dataset(path)
    with pytest.raises(DataError, match="holds values other than 0 and 1"):
        read_dataset(path, label_cols="a,b")


def test_missing_label_values(tmp_path):
    path = _write(tmp_path / "m.csv", "text,a\nx,1\ny,\nz,0\n")
    with pytest.raises(DataError, match=r"label column 'a' has no value in row\(s\) 2.*Fill"):
        read_dataset(path, label_cols="a")


def test_no_label_columns(tmp_path):
    path = _write(tmp_path / "n.csv", "text,source\nhello,web\nbye,mail\n")
    with pytest.raises(DataError, match=r"found no label columns.*label_cols= .*"
                                        r"labels_col=") as info:
        read_dataset(path)
    assert info.value.params == ("label_cols", "labels_col", "sep")


def test_no_text_column(tmp_path):
    path = _write(tmp_path / "n.csv", "a,b\n1,0\n0,1\n")
    with pytest.raises(DataError, match="found no text column.*text_col="):
        read_dataset(path)


def test_missing_text(tmp_path):
    path = _write(tmp_path / "m.jsonl", '{"text": "a", "y": 1}\n{"text": null, "y": 0}\n')
    with pytest.raises(DataError, match=r"text column 'text' has no value in row\(s\) 2"):
        read_dataset(path)


def test_malformed_csv(tmp_path):
    path = _write(tmp_path / "m.csv", "text,a\nx,1\ny,0,extra\n")
    with pytest.raises(DataError, match=r"is not valid CSV: Expected 2 fields in line 3, saw 3"):
        read_dataset(path)


def test_malformed_jsonl(tmp_path):
    path = _write(tmp_path / "m.jsonl", '{"text": "a", "y": 1}\n{"text": "b", y: 0}\n')
    with pytest.raises(DataError, match=r"line 2: not valid JSON"):
        read_dataset(path)
    path = _write(tmp_path / "l.jsonl", '["a", 1]\n')
    with pytest.raises(DataError, match="not all objects"):
        read_dataset(path)


def test_both_label_options(jigsaw_csv):
    with pytest.raises(DataError, match="either label_cols= .* or labels_col="):
        read_dataset(jigsaw_csv, label_cols="toxic", labels_col="toxic")


def test_unknown_format(jigsaw_csv):
    with pytest.raises(DataError, match=r"Unknown format 'xlsx'; mlkit reads and writes csv, "
                                        r"tsv, jsonl, parquet"):
        read_table(jigsaw_csv, format="xlsx")


def test_model_label_columns_missing_from_data(jigsaw_csv):
    with pytest.raises(DataError, match=r"lacks the label column\(s\) rude"):
        read_dataset(jigsaw_csv, label_names=["toxic", "rude"])


# --------------------------------------------------------------------------
# no silent guesses (issue 11)
# --------------------------------------------------------------------------


def _dup_files(tmp_path):
    """The same duplicated header ('a' twice) in every format."""
    rows = [("hello", 1, 0), ("bye", 0, 1)]
    csv = "text,a,a\n" + "".join(f"{t},{x},{y}\n" for t, x, y in rows)
    jsonl = "".join(f'{{"text": "{t}", "a": {x}, "a": {y}}}\n' for t, x, y in rows)
    paths = [_write(tmp_path / "d.csv", csv), _write(tmp_path / "d.tsv", csv.replace(",", "\t")),
             _write(tmp_path / "d.jsonl", jsonl)]
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.Table.from_arrays([pa.array(["hello", "bye"]), pa.array([1, 0]),
                                  pa.array([0, 1])], names=["text", "a", "a"])
    pq.write_table(table, tmp_path / "d.parquet")
    return [*paths, tmp_path / "d.parquet"]


def test_duplicate_column_names_are_refused(tmp_path):
    for path in _dup_files(tmp_path):
        for kwargs in ({}, {"label_cols": "a"}):
            with pytest.raises(DataError, match=r"duplicate (column names: 'a' \(columns 2, 3\)"
                                                r".*rename|key 'a')"):
                read_dataset(path, **kwargs)
        with pytest.raises(DataError, match="duplicate"):
            read_table(path)
        with pytest.raises(DataError, match="duplicate"):
            list(iter_batches(path, batch_size=1))


def test_rows_wider_than_the_header_are_not_read_as_an_index(tmp_path):
    # pandas would silently make the first field a row index and shift every column
    path = _write(tmp_path / "w.csv", "text,a\nr1,hello,1\nr2,bye,0\n")
    for read in (read_table, read_dataset, lambda p: list(iter_batches(p))):
        with pytest.raises(DataError, match=r"1 more field\(s\) than the header \(2 names: "
                                            r"text, a\).*quote texts"):
            read(path)


def test_unnamed_index_column_is_not_a_label(tmp_path):
    # pandas' to_csv() writes the index as a first column with an empty name
    path = _write(tmp_path / "i.csv", ",text,a\n0,hello,1\n1,bye,0\n")
    ds = read_dataset(path)
    assert ds.label_cols == ["a"]
    assert ds.unused_cols == {"Unnamed: 0": "an id-like or unnamed column"}


def test_yes_no_label_column_is_a_label_and_choices_are_reported(tmp_path):
    path = _write(tmp_path / "y.csv", "text,spam,source,notes\nhello,yes,web,\nbye,no,mail,\n")
    ds = read_dataset(path)
    assert ds.label_cols == ["spam"]
    np.testing.assert_array_equal(ds.Y.ravel(), [1, 0])
    summary = ds.describe()
    assert summary["detected"] == {
        "text_col": "named 'text'",
        "label_cols": "every column of only 0/1 (true/false, yes/no) values"}
    assert summary["unused_cols"] == {"source": "values other than 0/1", "notes": "empty"}


def test_text_column_chosen_by_length_is_reported(tmp_path):
    path = _write(tmp_path / "t.csv", "subject,msg,a\nhi,hello there friend,1\nyo,bye now,0\n")
    ds = read_dataset(path)
    assert ds.text_col == "msg"
    assert ds.detected["text_col"].startswith("the longest texts of 2 columns of texts "
                                              "(subject, msg); choose another with text_col=")
    given = read_dataset(path, text_col="subject", label_cols="a")
    assert given.detected == {"text_col": "given (text_col=)", "label_cols": "given (label_cols=)"}


def test_a_0_1_column_with_empty_cells_is_refused_not_dropped(tmp_path):
    # before: silently not a label when fewer than 95 % of the cells were filled
    path = _write(tmp_path / "p.csv", "text,a,b\nhello,1,\nbye,0,1\nx,0,\n")
    with pytest.raises(DataError, match=r"label column 'b' has no value in row\(s\) 1, 3.*"
                                        r"label_cols=") as info:
        read_dataset(path)
    assert info.value.param == "label_cols"
    assert read_dataset(path, label_cols="a").label_cols == ["a"]


def test_bad_encoding_and_damaged_gzip_are_data_errors(tmp_path, jigsaw_csv):
    for encoding in ("no-such-codec", "rot13"):
        with pytest.raises(DataError, match=f"Unknown text encoding '{encoding}' \\(encoding=\\)"):
            list(iter_batches(jigsaw_csv, encoding=encoding))
        with pytest.raises(DataError, match="Unknown text encoding"):
            read_dataset(jigsaw_csv, encoding=encoding)
    packed = gzip.compress(jigsaw_csv.read_bytes())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(packed[: len(packed) // 2])
    for read in (read_dataset, lambda p: list(iter_batches(p))):
        with pytest.raises(DataError, match=r"Cannot read .*cut.csv.gz: .*not a complete, valid"):
            read(path)


def test_mixed_types_in_a_label_column_follow_the_documented_rule(tmp_path):
    # 1, "1", true, "yes" are 1; 0, "0", false, "no" are 0; a 2 or a list is an error
    values = [1, "1", True, "yes", 0, "0", False, "no"]
    lines = "".join(json.dumps({"text": f"t{i}", "a": v}) + "\n" for i, v in enumerate(values))
    ds = read_dataset(_write(tmp_path / "m.jsonl", lines))
    np.testing.assert_array_equal(ds.Y.ravel(), [1, 1, 1, 1, 0, 0, 0, 0])
    for bad in (2, [1], 10**30):
        lines = "".join(json.dumps({"text": f"t{i}", "a": bad if i == 7 else v}) + "\n"
                        for i, v in enumerate(values))
        with pytest.raises(DataError, match=r"label column 'a' holds values other than 0 and 1"):
            read_dataset(_write(tmp_path / "b.jsonl", lines), label_cols="a")


def test_parquet_progress_errors_are_not_called_unreadable(tmp_path, jigsaw_csv):
    """An error raised by the progress callback (or the consumer) passes through as it is;
    only reading and decoding failures are reported as an unreadable Parquet file."""
    pytest.importorskip("pyarrow")
    from mlkit.io import iter_batches

    path = tmp_path / "d.parquet"
    write_dataset(read_dataset(jigsaw_csv), path)
    seen = []

    def progress(done, n_bytes, total):
        seen.append((done, n_bytes))
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        list(iter_batches(path, batch_size=100, progress=progress))
    assert seen == [(100, None)]
    assert sum(len(b) for b in iter_batches(path, batch_size=100)) == 267
    (tmp_path / "bad.parquet").write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")
    with pytest.raises(DataError, match="Parquet"):
        list(iter_batches(tmp_path / "bad.parquet"))
