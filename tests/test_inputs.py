"""Inputs from the whole ecosystem, on GoEmotions and Jigsaw slices.

Labels: indicator matrices, DataFrames, Series/lists of 0/1 lists (simpletransformers),
label-name lists, integer label ids (Hugging Face ``Sequence(ClassLabel)``) with the label
set given, and the rule that tells them apart. Texts: lists, numpy, pandas (also string and
Arrow dtypes), pyarrow, polars, Hugging Face columns. Files: a ``labels`` column of lists in
CSV and JSON Lines, ids, yes/no columns, ambiguous layouts; errors that name parameters and
a command line that names flags.
"""

import json

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

import mlkit
from mlkit import BinaryRelevance, TfidfFeaturizer, ThresholdTuner, labels_to_indicator
from mlkit._labels import check_label_matrix, classify_label_rows
from mlkit._text import check_texts

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

from mlkit.io import DataError, read_dataset  # noqa: E402

N = 300


@pytest.fixture(scope="module")
def go(goemotions_slice):
    """300 GoEmotions rows: texts, indicator, names, and the same labels as ids and names."""
    X = goemotions_slice.X_train[:N]
    Y = goemotions_slice.Y_train[:N]
    names = [str(n) for n in goemotions_slice.label_names]
    ids = [np.flatnonzero(row).tolist() for row in Y]
    return X, Y, names, ids


@pytest.fixture(scope="module")
def reference(go, single_blas_thread):
    """Predictions of a model fitted on the plain indicator matrix."""
    X, Y, _, _ = go
    model = _model().fit(X, Y)
    return model.predict(X[:100])


def _model():
    return make_pipeline(TfidfFeaturizer(), BinaryRelevance(LinearSVC(random_state=0)))


# --------------------------------------------------------------------------
# labels
# --------------------------------------------------------------------------


def test_simpletransformers_frame_fits_like_the_indicator(go, reference):
    X, Y, _, _ = go
    df = pd.DataFrame({"text": X, "labels": [row.tolist() for row in Y]})
    model = _model().fit(df.text, df.labels)  # used to fail: "values that are not numbers"
    np.testing.assert_array_equal(model.predict(X[:100]), reference)
    np.testing.assert_array_equal(model.classes_, np.arange(Y.shape[1]))
    # a list of numpy rows, and pyarrow lists, are the same labels
    for labels in ([np.asarray(r) for r in Y], pa.array(df.labels.tolist()),
                   pa.chunked_array([df.labels.tolist()[:100], df.labels.tolist()[100:]])):
        got, names = check_label_matrix(labels)
        np.testing.assert_array_equal(got, Y)
        assert names is None


def test_label_ids_with_names_or_count(go, reference):
    X, Y, names, ids = go
    got, got_names = check_label_matrix(ids, label_names=names)
    np.testing.assert_array_equal(got, Y)
    assert list(got_names) == names
    got, got_names = check_label_matrix(pd.Series(ids), n_labels=len(names))
    np.testing.assert_array_equal(got, Y)
    assert got_names is None
    # fit has no room for the label set: convert first, as a frame that carries the names
    frame = labels_to_indicator(ids, label_names=names, as_frame=True)
    assert list(frame.columns) == names
    model = _model().fit(X, frame)
    assert list(model.classes_) == names
    np.testing.assert_array_equal(model.predict(X[:100]), reference)
    # ids alone cannot be read: the error names the parameters to pass
    with pytest.raises(ValueError, match=r"rows of different lengths.*label_names=\[\.\.\.\] or "
                                         r"n_labels=K.*labels_to_indicator"):
        _model().fit(X, ids)
    with pytest.raises(ValueError, match=r"label id 28, outside \[0, 28\)"):
        check_label_matrix([[0], [28]], label_names=names)
    with pytest.raises(TypeError, match=r"label ids must be integers"):
        check_label_matrix([[0], [True]], n_labels=3)


def test_the_rule_that_tells_label_forms_apart():
    # equal-length 0/1 rows are an indicator, with or without a matching label count
    assert classify_label_rows([[0, 1, 0], [1, 0, 0]]) == ("indicator", None)
    assert classify_label_rows([[0, 1, 0], [1, 0, 0]], n_labels=3) == ("indicator", None)
    Y, names = check_label_matrix([[0, 1, 0], [1, 0, 0]], label_names=["a", "b", "c"])
    assert Y.tolist() == [[0, 1, 0], [1, 0, 0]] and list(names) == ["a", "b", "c"]
    # 0/1 rows of another length than the label count can only be ids
    Y, _ = check_label_matrix([[0], [1], [1]], label_names=["neg", "pos"])
    assert Y.tolist() == [[1, 0], [0, 1], [0, 1]]
    # a value repeated within a row is never a set of ids
    kind, why = classify_label_rows([[1, 1, 0]], n_labels=4)
    assert kind == "unknown" and "repeated" in why and "3 values for 4 labels" in why
    with pytest.raises(ValueError, match="repeated within a row"):
        check_label_matrix([[1, 1, 0], [0, 1, 0]], n_labels=4)
    # integers that are not an indicator, with no label set: refused, not guessed
    for rows, why in (([[0, 2], [1]], "different lengths"), ([[0, 3], [1, 2]], "other than 0"),
                      ([{0, 1}, {1, 0}], "sets, which have no column order")):
        with pytest.raises(ValueError, match=f"{why}.*label_names=.*n_labels="):
            check_label_matrix(rows)
    # names win over numbers; empty rows are no labels; missing 0/1 rows are an error
    assert list(check_label_matrix([["b", "a"], []])[1]) == ["a", "b"]
    assert check_label_matrix([[], [1]], n_labels=2)[0].tolist() == [[0, 0], [0, 1]]
    with pytest.raises(ValueError, match=r"rows \[1\] are missing"):
        check_label_matrix(pd.Series([[0, 1], None, [1, 1]]))
    with pytest.raises(ValueError, match="mixes single values and collections"):
        check_label_matrix([[0, 1], 1])
    with pytest.raises(ValueError, match="n_labels=3 but label_names lists 2"):
        check_label_matrix([[0]], label_names=["a", "b"], n_labels=3)
    with pytest.raises(ValueError, match="Y has 2 label column.*n_labels=3"):
        check_label_matrix(np.eye(2), n_labels=3)


def test_every_label_form_gives_the_same_matrix(go):
    X, Y, names, ids = go
    forms = {  # labels, whether the label set is passed, the names that come back
        "ndarray": (Y, False, None),
        "sparse": (sp.csr_matrix(Y), False, None),
        "frame": (pd.DataFrame(Y, columns=names), False, names),
        "list of 0/1 lists": (Y.tolist(), False, None),
        "series of 0/1 arrays": (pd.Series(list(Y)), False, None),
        "pyarrow 0/1 lists": (pa.array(Y.tolist()), False, None),
        "names": (mlkit.indicator_to_labels(Y, names), True, names),
        "ids": (ids, True, names),
    }
    for form, (labels, given, expected) in forms.items():
        got, got_names = check_label_matrix(labels, label_names=names if given else None,
                                            accept_sparse=False)
        np.testing.assert_array_equal(got, Y, err_msg=form)
        assert (None if got_names is None else list(got_names)) == expected, form
    # without the label set, names come back sorted, with only the labels that occur
    got, got_names = check_label_matrix(mlkit.indicator_to_labels(Y, names))
    assert list(got_names) == sorted(n for n, c in zip(names, Y.sum(0), strict=True) if c)


def test_labels_to_indicator_returns_the_matrix(go):
    _, Y, names, ids = go
    labels = mlkit.indicator_to_labels(Y, names)
    got = labels_to_indicator(labels, label_names=names)
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, Y)
    got, got_names = labels_to_indicator(labels, return_names=True)
    assert list(got_names) == sorted({n for row in labels for n in row})
    got, got_names = labels_to_indicator(ids, n_labels=28, return_names=True)
    np.testing.assert_array_equal(got, Y)
    np.testing.assert_array_equal(got_names, np.arange(28))
    series = pd.Series(ids, index=range(100, 100 + N))
    frame = labels_to_indicator(series, label_names=names, as_frame=True)
    assert list(frame.index) == list(series.index) and list(frame.columns) == names
    # metrics take the converted labels directly (the docs say "convert with" it)
    assert mlkit.metrics.evaluate(labels_to_indicator(labels, label_names=names),
                                  Y)["f1_micro"] == 1.0


def test_metrics_and_tuner_take_lists_of_01_lists(go, single_blas_thread):
    X, Y, _, _ = go
    labels = pd.Series([row.tolist() for row in Y])
    tuner = ThresholdTuner(_model(), cv=3).fit(X, labels)
    pred = tuner.predict(X)
    assert mlkit.metrics.evaluate(labels, pred) == mlkit.metrics.evaluate(Y, pred)


def test_polars_labels_and_texts(go):
    pl = pytest.importorskip("polars")
    X, Y, _, _ = go
    got, _ = check_label_matrix(pl.Series("labels", Y.tolist()))
    np.testing.assert_array_equal(got, Y)
    assert check_texts(pl.Series("text", X)) == list(X)


# --------------------------------------------------------------------------
# texts
# --------------------------------------------------------------------------


class _Column:
    """A stand-in for a Hugging Face ``datasets`` column: a sequence, no numpy or pandas API."""

    def __init__(self, values):
        self._values = list(values)

    def __len__(self):
        return len(self._values)

    def __getitem__(self, i):
        return self._values[i]

    def __iter__(self):
        return iter(self._values)


def test_texts_from_every_container(go, reference):
    X, Y, _, _ = go
    forms = {
        "list": list(X),
        "tuple": tuple(X),
        "numpy str": np.asarray(X),
        "numpy object": np.asarray(X, dtype=object),
        "series": pd.Series(X),
        "series string dtype": pd.Series(X, dtype="string"),
        "series arrow dtype": pd.Series(X, dtype="string[pyarrow]"),
        "one-column frame": pd.DataFrame({"text": X}),
        "pyarrow array": pa.array(X),
        "pyarrow large_string": pa.array(X, type=pa.large_string()),
        "pyarrow chunked": pa.chunked_array([X[:100], X[100:]]),
        "datasets-like column": _Column(X),
    }
    for form, texts in forms.items():
        assert check_texts(texts) == list(X), form
    model = _model().fit(pa.array(X), Y)  # used to be a TypeError
    np.testing.assert_array_equal(model.predict(pa.chunked_array([X[:100]])), reference)
    with pytest.raises(ValueError, match=r"1 missing text\(s\).*position\(s\) 1"):
        check_texts(pd.Series(["a", None], dtype="string"))
    with pytest.raises(ValueError, match=r"1 missing text\(s\)"):
        check_texts(pa.array(["a", None]))
    with pytest.raises(TypeError, match="expects one column of texts; got a dict"):
        check_texts({"text": X})


def test_hugging_face_datasets_columns(go, reference):
    datasets = pytest.importorskip("datasets")
    X, Y, names, ids = go
    features = datasets.Features({
        "text": datasets.Value("string"),
        "labels": datasets.Sequence(datasets.ClassLabel(names=names)),
    })
    ds = datasets.Dataset.from_dict({"text": X, "labels": ids}, features=features)
    label_names = ds.features["labels"].feature.names
    Yf = labels_to_indicator(ds["labels"], label_names=label_names, as_frame=True)
    model = _model().fit(ds["text"], Yf)
    assert list(model.classes_) == names
    np.testing.assert_array_equal(model.predict(X[:100]), reference)


# --------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------


def _labelled_frame(go, cell):
    X, Y, names, ids = go
    return pd.DataFrame({"text": X, "labels": [cell(row, i) for i, row in enumerate(Y)]})


def test_csv_and_jsonl_labels_column_of_01_lists(tmp_path, go):
    _, Y, names, _ = go
    frame = _labelled_frame(go, lambda row, i: row.tolist())
    frame.to_csv(tmp_path / "st.csv", index=False)  # cells are "[0, 1, 0, ...]"
    frame.to_json(tmp_path / "st.jsonl", orient="records", lines=True)
    for path in (tmp_path / "st.csv", tmp_path / "st.jsonl"):
        ds = read_dataset(path)  # used to be two labels named "0" and "1"
        assert ds.layout == "tags" and ds.labels_format == "indicator", path
        np.testing.assert_array_equal(ds.Y, Y)
        assert list(ds.label_names) == [f"label_{j}" for j in range(28)]
        named = read_dataset(path, label_names=names)
        assert list(named.label_names) == names
        np.testing.assert_array_equal(named.Y, Y)
        assert named.describe()["labels_format"] == "indicator"
    # written back in the same form, with edits
    Y2 = Y.copy()
    Y2[0] = 0
    for name in ("back.csv", "back.jsonl"):
        mlkit.io.write_dataset(ds, tmp_path / name, Y=Y2)
        np.testing.assert_array_equal(read_dataset(tmp_path / name).Y, Y2)


def test_label_names_in_csv_list_literals(tmp_path, go):
    _, Y, names, _ = go
    frame = _labelled_frame(go, lambda row, i: repr([names[j] for j in np.flatnonzero(row)]))
    frame.to_csv(tmp_path / "names.csv", index=False)  # cells are "['joy', 'love']"
    ds = read_dataset(tmp_path / "names.csv", label_names=names)
    assert ds.labels_format == "names"
    np.testing.assert_array_equal(ds.Y, Y)


def test_label_ids_in_files(tmp_path, go):
    _, Y, names, ids = go
    path = tmp_path / "ids.jsonl"
    _labelled_frame(go, lambda row, i: ids[i]).to_json(path, orient="records", lines=True)
    ds = read_dataset(path, label_names=names)
    assert ds.labels_format == "ids" and list(ds.label_names) == names
    np.testing.assert_array_equal(ds.Y, Y)
    with pytest.raises(DataError, match=r"lists of numbers that are not 0/1 rows of one length "
                                        r"\(rows of different lengths.*label_names=") as info:
        read_dataset(path)
    assert info.value.param == "label_names"
    mlkit.io.write_dataset(ds, tmp_path / "back.jsonl", rows=[0, 1, 2])
    back = [json.loads(line)["labels"] for line in open(tmp_path / "back.jsonl")]
    assert back == ids[:3]


def test_goemotions_own_file_of_id_strings(go):
    from conftest import shared_data_dir

    path = shared_data_dir() / "goemotions" / "dev.tsv.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    bunch = mlkit.datasets.load_goemotions("dev")
    ds = read_dataset(path, header=False, text_col="1", labels_col="2",
                      label_names=bunch.target_names)  # cells such as "4,27"
    assert ds.labels_format == "ids"
    np.testing.assert_array_equal(ds.Y, bunch.target)
    assert ds.texts == list(bunch.data)


def test_read_dataset_then_fit_keeps_label_names(jigsaw_sample, single_blas_thread):
    from conftest import shared_data_dir

    ds = read_dataset(shared_data_dir() / "jigsaw_sample" / "train.csv")
    assert list(ds.labels.columns) == list(ds.label_names)
    np.testing.assert_array_equal(ds.labels.to_numpy(), ds.Y)
    model = _model().fit(ds.texts, ds.labels)
    assert list(model.classes_) == list(jigsaw_sample.label_names)


def test_yes_no_and_true_false_label_columns(tmp_path):
    path = tmp_path / "yn.csv"
    path.write_text("text,spam,urgent\nbuy now,yes,False\nhello,No,TRUE\nmeet at 5,no,true\n")
    ds = read_dataset(path)  # used to drop the yes/no column silently
    assert ds.label_cols == ["spam", "urgent"]
    assert ds.Y.tolist() == [[1, 0], [0, 1], [0, 1]]


def test_ambiguous_layout_is_refused(tmp_path):
    path = tmp_path / "both.csv"
    path.write_text("text,is_train,labels\na b,1,crude\nc d,0,ship\n")
    with pytest.raises(DataError, match=r"both 0/1 columns \(is_train\) and a column of labels "
                                        r"per row \('labels'\).*label_cols= .*labels_col=") as info:
        read_dataset(path)
    assert info.value.params == ("label_cols", "labels_col")
    assert read_dataset(path, labels_col="labels").label_names.tolist() == ["crude", "ship"]
    assert read_dataset(path, label_cols="is_train").label_names.tolist() == ["is_train"]


def test_data_errors_name_parameters_and_the_cli_names_flags(tmp_path, capsys):
    from mlkit.cli import main

    path = tmp_path / "both.csv"
    path.write_text("text,is_train,labels\na b,1,crude\nc d,0,ship\n")
    with pytest.raises(DataError) as info:
        read_dataset(path)
    assert "--" not in str(info.value)
    assert "--label-cols" in info.value.message_with({"label_cols": "--label-cols"})
    code = main(["train", str(path), "-o", str(tmp_path / "m.mlkit")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Choose one: --label-cols for the 0/1 columns, or --labels-col for" in err
    assert "label_cols=" not in err
