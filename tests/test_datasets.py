"""Tests for mlkit.datasets: the bundled GoEmotions data and the Reuters ApteMod reader."""

import gzip
import json
import os
import tarfile
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import Bunch

from mlkit._labels import check_label_matrix
from mlkit.datasets import load_goemotions, load_reuters

# Shared benchmark data: ../shared/data next to the repository (override with MLKIT_DATA_DIR).
DATA_DIR = Path(
    os.environ.get("MLKIT_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")
)
REUTERS_DIR = DATA_DIR / "reuters21578"
needs_reuters = pytest.mark.skipif(
    not (REUTERS_DIR / "aptemod_train.jsonl.gz").is_file(),
    reason=(
        f"Reuters-21578 ApteMod is not bundled (research-only licence) and was not found in "
        f"{REUTERS_DIR}; set MLKIT_DATA_DIR to the folder that holds reuters21578/."
    ),
)

EMOTIONS = (
    "admiration amusement anger annoyance approval caring confusion curiosity desire "
    "disappointment disapproval disgust embarrassment excitement fear gratitude grief joy love "
    "nervousness optimism pride realization relief remorse sadness surprise neutral"
).split()


# --------------------------------------------------------------------------
# GoEmotions
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subset, n_rows, cardinality, rows_by_n_labels",
    [
        ("train", 43410, 1.1772, {1: 36308, 2: 6541, 3: 532, 4: 28, 5: 1}),
        ("dev", 5426, 1.1758, {1: 4548, 2: 809, 3: 62, 4: 7}),
        ("test", 5427, 1.1662, {1: 4590, 2: 774, 3: 61, 4: 2}),
    ],
)
def test_goemotions_counts_match_source(subset, n_rows, cardinality, rows_by_n_labels):
    # Figures from mlkit/data/goemotions/SOURCE.md, "Verified counts".
    bunch = load_goemotions(subset)
    assert isinstance(bunch, Bunch)
    assert len(bunch.data) == n_rows
    assert bunch.target.shape == (n_rows, 28)
    assert bunch.ids.shape == (n_rows,)
    assert len(set(bunch.ids)) == n_rows  # ids are unique within a split
    n_labels = bunch.target.sum(axis=1)
    assert n_labels.mean() == pytest.approx(cardinality, abs=5e-5)
    values, counts = np.unique(n_labels, return_counts=True)
    assert dict(zip(values.tolist(), counts.tolist(), strict=True)) == rows_by_n_labels


def test_goemotions_bunch_fields_and_types():
    bunch = load_goemotions("dev")
    assert set(bunch) == {"data", "target", "target_names", "ids", "frame", "DESCR"}
    assert isinstance(bunch.data, list) and all(isinstance(t, str) for t in bunch.data)
    assert bunch.target.dtype == np.int64
    assert set(np.unique(bunch.target)) == {0, 1}
    assert bunch.target.flags.writeable
    assert bunch.target_names.dtype == object
    assert list(bunch.target_names) == EMOTIONS
    assert bunch.frame is None
    # the first row matches the first line of the raw file
    with gzip.open(
        resources.files("mlkit").joinpath("data", "goemotions", "dev.tsv.gz").open("rb"), "rt"
    ) as f:
        text, labels, comment_id = f.readline().rstrip("\n").split("\t")
    assert bunch.data[0] == text
    assert bunch.ids[0] == comment_id
    expected = [EMOTIONS[int(j)] for j in labels.split(",")]
    assert list(bunch.target_names[bunch.target[0] == 1]) == expected


def test_goemotions_label_totals_over_all_splits():
    bunch = load_goemotions("all")
    totals = dict(zip(bunch.target_names, bunch.target.sum(axis=0).tolist(), strict=True))
    # SOURCE.md: rarest labels grief (96), pride (142), relief (182); neutral 17,772.
    assert sorted(totals, key=totals.get)[:3] == ["grief", "pride", "relief"]
    assert (totals["grief"], totals["pride"], totals["relief"]) == (96, 142, 182)
    assert totals["neutral"] == 17772
    assert bunch.target.sum(axis=1).min() == 1  # every row has at least one label


def test_goemotions_return_X_y():
    X, Y = load_goemotions("test", return_X_y=True)
    bunch = load_goemotions("test")
    assert X == bunch.data
    np.testing.assert_array_equal(Y, bunch.target)


def test_goemotions_all_and_lists_concatenate_in_order():
    parts = {s: load_goemotions(s) for s in ("train", "dev", "test")}
    everything = load_goemotions("all")
    assert len(everything.data) == 43410 + 5426 + 5427
    assert everything.data == parts["train"].data + parts["dev"].data + parts["test"].data
    np.testing.assert_array_equal(
        everything.target, np.vstack([parts[s].target for s in ("train", "dev", "test")])
    )
    assert len(set(everything.ids)) == len(everything.ids)  # no id shared by two splits

    X, Y = load_goemotions(["test", "dev"], return_X_y=True)
    assert X == parts["test"].data + parts["dev"].data
    np.testing.assert_array_equal(Y, np.vstack([parts["test"].target, parts["dev"].target]))
    assert "'test+dev'" in load_goemotions(("test", "dev")).DESCR


def test_goemotions_quoted_lines_lose_their_csv_quotes():
    # Some text fields are CSV-quoted ("..." with inner quotes doubled); SOURCE.md counts
    # 137 such lines in dev. A plain split("\t") would keep the quote characters.
    path = resources.files("mlkit").joinpath("data", "goemotions", "dev.tsv.gz")
    with gzip.open(path.open("rb"), "rt", encoding="utf-8") as f:
        raw = [line.rstrip("\n").split("\t") for line in f]
    bunch = load_goemotions("dev")
    quoted = [i for i, fields in enumerate(raw) if fields[0].startswith('"')]
    assert len(quoted) == 137
    for i in quoted:
        assert bunch.data[i] == raw[i][0][1:-1].replace('""', '"')
        assert bunch.ids[i] == raw[i][2]
    # A known train line: the raw field is '"Three words, no subtlety. ""Dude. Stop. Seriously."" "'
    train = load_goemotions("train")
    (i,) = np.flatnonzero(train.ids == "eetq9g0")
    assert train.data[i] == 'Three words, no subtlety. "Dude. Stop. Seriously." '
    assert list(train.target_names[train.target[i] == 1]) == ["annoyance"]


def test_goemotions_results_are_copies_of_the_cache():
    first = load_goemotions("dev")
    first.data[0] = "corrupted"
    first.target[:] = 0
    first.ids[0] = "corrupted"
    first.target_names[0] = "corrupted"
    second = load_goemotions("dev")
    assert second.data[0] != "corrupted"
    assert second.target.sum(axis=1).min() == 1
    assert second.ids[0] != "corrupted"
    assert second.target_names[0] == "admiration"


def test_goemotions_as_frame():
    pd = pytest.importorskip("pandas")
    bunch = load_goemotions("dev", as_frame=True)
    assert isinstance(bunch.data, pd.Series) and bunch.data.name == "text"
    assert isinstance(bunch.target, pd.DataFrame)
    assert list(bunch.target.columns) == EMOTIONS
    assert list(bunch.frame.columns) == ["text", *EMOTIONS]
    assert bunch.frame.shape == (5426, 29)
    # mlkit estimators read the column names as label names
    Y, names = check_label_matrix(bunch.target)
    assert list(names) == EMOTIONS
    np.testing.assert_array_equal(Y, load_goemotions("dev").target)
    X, Y = load_goemotions("dev", return_X_y=True, as_frame=True)
    assert isinstance(X, pd.Series) and isinstance(Y, pd.DataFrame)


def test_goemotions_descr():
    descr = load_goemotions("train").DESCR
    for fact in ("43,410", "5,426", "5,427", "Apache License 2.0", "Demszky", "ACL 2020"):
        assert fact in descr
    assert "subset 'train', 43,410 comments, label cardinality\n1.1772" in descr


def test_goemotions_licence_and_provenance_are_installed():
    folder = resources.files("mlkit").joinpath("data", "goemotions")
    assert "Apache License" in folder.joinpath("LICENSE").read_text(encoding="utf-8")
    assert "Version 2.0, January 2004" in folder.joinpath("LICENSE").read_text(encoding="utf-8")
    assert "monologg/GoEmotions-pytorch" in folder.joinpath("SOURCE.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "subset, error, match",
    [
        ("validation", ValueError, r"subset to be one of \('train', 'dev', 'test', 'all'\)"),
        ("Train", ValueError, r"got subset='Train'"),
        (["train", "all"], ValueError, r"got 'all' inside subset"),
        (["train", "train"], ValueError, r"names \['train'\] more than once"),
        ([], ValueError, r"got an empty list"),
        (3, TypeError, r"got int 3\. Pass a str or a list of str"),
        (None, TypeError, r"got NoneType None"),
    ],
)
def test_goemotions_bad_subset(subset, error, match):
    with pytest.raises(error, match=match):
        load_goemotions(subset)


@pytest.mark.parametrize("param", ["return_X_y", "as_frame"])
def test_goemotions_bad_flags(param):
    with pytest.raises(TypeError, match=rf"expects {param} to be True or False; got 'yes'"):
        load_goemotions("dev", **{param: "yes"})


# --------------------------------------------------------------------------
# Reuters-21578 ApteMod
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reuters_train():
    return load_reuters(REUTERS_DIR, "train")


@pytest.fixture(scope="module")
def reuters_test():
    return load_reuters(REUTERS_DIR, "test")


@needs_reuters
def test_reuters_counts_and_labels(reuters_train, reuters_test):
    # Figures from shared/data/reuters21578/SOURCE.md, "Verified counts".
    categories = (REUTERS_DIR / "aptemod_categories.txt").read_text().split()
    for bunch, n_docs, prefix in (
        (reuters_train, 7769, "training/"),
        (reuters_test, 3019, "test/"),
    ):
        assert isinstance(bunch, Bunch)
        assert len(bunch.data) == n_docs
        assert bunch.target.shape == (n_docs, 90)
        assert bunch.target.dtype == np.int64
        assert list(bunch.target_names) == categories == sorted(categories)
        assert all(doc_id.startswith(prefix) for doc_id in bunch.ids)
        newids = [int(doc_id.split("/")[1]) for doc_id in bunch.ids]
        assert newids == sorted(newids)
        assert bunch.target.sum(axis=1).min() == 1
        assert bunch.frame is None
    # each category has at least one train and one test document
    assert reuters_train.target.sum(axis=0).min() >= 1
    assert reuters_test.target.sum(axis=0).min() >= 1
    # cats.txt lists 'corn' twice for training/5467 and 'trade' twice for test/19918;
    # distinct labels give 9,584 and 3,744 (SOURCE.md's 1.2337 and 1.2405 count the repeats).
    assert reuters_train.target.sum() == 9584
    assert reuters_test.target.sum() == 3744
    top = dict(zip(reuters_train.target_names, reuters_train.target.sum(axis=0), strict=True))
    assert (top["earn"], top["acq"], top["money-fx"]) == (2877, 1650, 538)
    top = dict(zip(reuters_test.target_names, reuters_test.target.sum(axis=0), strict=True))
    assert (top["earn"], top["acq"], top["crude"]) == (1087, 719, 189)
    assert reuters_train.data[0].startswith("BAHIA COCOA REVIEW\n")
    assert reuters_train.ids[0] == "training/1"
    assert list(reuters_train.target_names[reuters_train.target[0] == 1]) == ["cocoa"]


@needs_reuters
def test_reuters_descr_has_licence_and_counts(reuters_test):
    descr = reuters_test.DESCR
    assert "research purposes only" in descr
    assert "Reuters-21578, Distribution 1.0" in descr
    assert "subset 'test', 3,019 documents" in descr
    assert "jsonl layout" in descr


@needs_reuters
def test_reuters_all_and_return_X_y(reuters_train, reuters_test):
    X, Y = load_reuters(str(REUTERS_DIR), "all", return_X_y=True)
    assert X == reuters_train.data + reuters_test.data
    np.testing.assert_array_equal(Y, np.vstack([reuters_train.target, reuters_test.target]))


@needs_reuters
def test_reuters_as_frame(reuters_test):
    pd = pytest.importorskip("pandas")
    bunch = load_reuters(REUTERS_DIR, "test", as_frame=True)
    assert isinstance(bunch.target, pd.DataFrame)
    assert list(bunch.target.columns) == list(reuters_test.target_names)
    assert bunch.frame.shape == (3019, 91)
    np.testing.assert_array_equal(bunch.target.to_numpy(), reuters_test.target)


# A few real documents, among them test/17980, the one file with a non-ASCII byte.
_SAMPLE_IDS = ["training/1", "training/5", "training/5467", "test/14826", "test/17980"]


def _write_nltk_sample(root, reuters_train, reuters_test):
    """Write _SAMPLE_IDS in the NLTK layout (ISO-8859-2 files + cats.txt) under root."""
    corpus = root / "reuters"
    lines = []
    for bunch in (reuters_train, reuters_test):
        for i, doc_id in enumerate(bunch.ids):
            if doc_id in _SAMPLE_IDS:
                (corpus / doc_id).parent.mkdir(parents=True, exist_ok=True)
                (corpus / doc_id).write_bytes(bunch.data[i].encode("iso-8859-2"))
                labels = bunch.target_names[bunch.target[i] == 1]
                lines.append(" ".join([doc_id, *labels]))
    (corpus / "cats.txt").write_text("\n".join(lines) + "\n")
    return corpus


def _expected_sample(reuters_train, reuters_test):
    texts, targets = [], []
    for bunch in (reuters_train, reuters_test):
        for i, doc_id in enumerate(bunch.ids):
            if doc_id in _SAMPLE_IDS:
                texts.append(bunch.data[i])
                targets.append(bunch.target_names[bunch.target[i] == 1])
    return texts, targets


@needs_reuters
def test_reuters_nltk_folder_and_zip_layouts(tmp_path, reuters_train, reuters_test):
    corpus = _write_nltk_sample(tmp_path, reuters_train, reuters_test)
    assert any(ord(c) > 127 for c in reuters_test.data[list(reuters_test.ids).index("test/17980")])
    expected_texts, expected_labels = _expected_sample(reuters_train, reuters_test)

    archive = tmp_path / "nltk_data" / "corpora" / "reuters.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted(corpus.rglob("*")):
            zf.write(file, file.relative_to(tmp_path).as_posix())

    # the corpus folder, its parent, the zip itself and the nltk_data folder that holds it
    for path in (corpus, tmp_path, archive, tmp_path / "nltk_data"):
        bunch = load_reuters(path, "all")
        assert list(bunch.ids) == _SAMPLE_IDS
        assert bunch.data == expected_texts
        # in the sample only the categories it uses remain, sorted
        labels = [list(bunch.target_names[row == 1]) for row in bunch.target]
        assert labels == [list(x) for x in expected_labels]
        assert list(bunch.target_names) == sorted(bunch.target_names)


@needs_reuters
def test_reuters_nltk_tar_archive_matches_jsonl(reuters_test):
    archive = REUTERS_DIR / "reuters-aptemod-nltk.tar.xz"
    if not archive.is_file():
        pytest.skip(f"{archive} not found")
    bunch = load_reuters(archive, "test")
    assert list(bunch.ids) == list(reuters_test.ids)
    assert bunch.data == reuters_test.data
    assert list(bunch.target_names) == list(reuters_test.target_names)
    np.testing.assert_array_equal(bunch.target, reuters_test.target)
    assert "archive layout" in bunch.DESCR


def test_reuters_missing_path(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match=r"does not exist.*\n.*research"):
        load_reuters(missing)


def test_reuters_folder_without_data_lists_what_was_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError) as excinfo:
        load_reuters(tmp_path)
    message = str(excinfo.value)
    for item in ("aptemod_train.jsonl.gz", "cats.txt", "reuters.zip", "nltk.download('reuters'"):
        assert item in message
    assert str(tmp_path) in message


def test_reuters_partial_jsonl_folder(tmp_path):
    (tmp_path / "aptemod_train.jsonl.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(FileNotFoundError, match=r"missing \['aptemod_test.jsonl.gz', 'aptemod_"):
        load_reuters(tmp_path)


def test_reuters_bad_jsonl_line(tmp_path):
    (tmp_path / "aptemod_categories.txt").write_text("acq\nearn\n")
    doc = {"id": "training/1", "labels": ["earn"], "text": "x"}
    (tmp_path / "aptemod_train.jsonl.gz").write_bytes(
        gzip.compress((json.dumps(doc) + "\n" + '{"id": "training/2"}\n').encode())
    )
    (tmp_path / "aptemod_test.jsonl.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(ValueError, match=r"Line 2 of .*aptemod_train.jsonl.gz is not a JSON"):
        load_reuters(tmp_path)
    (tmp_path / "aptemod_train.jsonl.gz").write_bytes(
        gzip.compress(json.dumps({**doc, "labels": ["wheat"]}).encode())
    )
    with pytest.raises(ValueError, match=r"'training/1' .* categories \['wheat'\]"):
        load_reuters(tmp_path)


def test_reuters_bad_nltk_copies(tmp_path):
    corpus = tmp_path / "reuters"
    (corpus / "training").mkdir(parents=True)
    (corpus / "cats.txt").write_text("training/1 cocoa\ntest/2 earn\n")
    (corpus / "training" / "1").write_text("BAHIA COCOA REVIEW\n")
    with pytest.raises(
        FileNotFoundError, match=r"lists document 'test/2', but its file is missing"
    ):
        load_reuters(corpus, "test")
    assert load_reuters(corpus, "train").data == ["BAHIA COCOA REVIEW\n"]
    (corpus / "cats.txt").write_text("training/1\n")
    with pytest.raises(ValueError, match=r"Line 1 of .*cats.txt is 'training/1'; expected"):
        load_reuters(corpus)

    not_an_archive = tmp_path / "notes.txt"
    not_an_archive.write_text("hello")
    with pytest.raises(ValueError, match=r"neither a zip nor a tar archive"):
        load_reuters(not_an_archive)

    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tf:
        tf.add(not_an_archive, arcname="notes.txt")
    with pytest.raises(FileNotFoundError, match=r"holds no 'cats.txt'"):
        load_reuters(other)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"path": None}, TypeError, r"path to be a str or os.PathLike .* got NoneType None"),
        ({"path": ".", "subset": "dev"}, ValueError, r"\('train', 'test', 'all'\).*'dev'"),
        ({"path": ".", "subset": "training"}, ValueError, r"got subset='training'"),
        ({"path": ".", "return_X_y": 1}, TypeError, r"return_X_y to be True or False"),
    ],
)
def test_reuters_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_reuters(**kwargs)
