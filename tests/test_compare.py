"""Split comparison (``mlkit.insights.compare_splits``, ``mlkit compare``) on real data:
GoEmotions train vs test slices (a random split: no drift), the same test rows filtered to
one label (a constructed shift that every alert kind must catch), planted cross-split copies
and an off-topic Reuters text, the Jigsaw sample against GoEmotions (different label sets),
and the command line end to end."""

import json
import re

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from mlkit.cli import main  # noqa: E402
from mlkit.insights._compare import compare_splits, normalize_text  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_blas_thread")

OFF_TOPIC = ("The Bank of Japan raised its official discount rate by a quarter point to "
             "cool domestic demand, while the yen weakened against the dollar and soybean "
             "futures on the Chicago Board of Trade fell on export tariff worries.")


@pytest.fixture(scope="module")
def random_split(goemotions_slice):
    g = goemotions_slice
    return compare_splits((g.X_train, g.Y_train), (g.X_test, g.Y_test),
                          label_names=list(g.label_names), cv=3)


@pytest.fixture(scope="module")
def shifted(goemotions_slice):
    """Train slice vs the test rows labelled 'gratitude', plus planted copies of train texts
    (punctuation and case changed: exact after normalization; one word added to a long text:
    near) and one off-topic text."""
    g = goemotions_slice
    names = list(g.label_names)
    j = names.index("gratitude")
    keep = np.flatnonzero(g.Y_test[:, j] == 1)
    texts = [g.X_test[i] for i in keep]
    Y = g.Y_test[keep]
    long_rows = [i for i, t in enumerate(g.X_train) if len(t.split()) >= 25][:3]
    planted = ([g.X_train[i].upper() + "!!" for i in range(5)]
               + [g.X_train[i] + " indeed" for i in long_rows] + [OFF_TOPIC])
    texts = texts + planted
    Y = np.vstack([Y, g.Y_train[:5], g.Y_train[long_rows], np.eye(1, len(names), j, dtype=int)])
    result = compare_splits((g.X_train, g.Y_train), (texts, Y), label_names=names, cv=3,
                            split_names=("train", "gratitude"))
    return result, len(keep), long_rows


def test_random_split_shows_no_drift(random_split, goemotions_slice):
    r = random_split
    g = goemotions_slice
    d = r.drift
    assert abs(d["auc"] - 0.5) < 0.06 and d["ci_low"] < 0.5 < d["ci_high"]
    assert [k for k, _ in r.alerts if k in ("drift", "label_shift", "cardinality",
                                            "length", "vocabulary")] == []
    # the AUC is the ROC-AUC of the out-of-fold scores of all rows
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.zeros(r.n_train), np.ones(r.n_test)]
    assert d["auc"] == pytest.approx(roc_auc_score(y, np.r_[r.train_testness, r.testness]))
    shift = r.label_shift
    assert shift["n_train"].tolist() == g.Y_train.sum(axis=0).tolist()
    assert shift["n_test"].tolist() == g.Y_test.sum(axis=0).tolist()
    assert shift["prevalence_test"].to_numpy() == pytest.approx(g.Y_test.mean(axis=0))
    assert (shift["q_value"] >= shift["p_value"]).all()
    assert r.cardinality["mean_test"] == pytest.approx(g.Y_test.sum(axis=1).mean())


def test_exact_copies_are_exact_and_rows_are_zero_based(random_split, goemotions_slice):
    g = goemotions_slice
    dup = random_split.cross_duplicates
    exact = dup[dup["kind"] == "exact"]
    for r in exact.itertuples():
        assert normalize_text(g.X_test[r.test_row]) == normalize_text(g.X_train[r.train_row])
        assert r.text == g.X_test[r.test_row]
    frame = random_split.to_frame()
    assert frame.index.tolist() == list(range(len(g.X_test)))
    assert frame["text"].tolist() == list(g.X_test)


def test_constructed_shift_fires_every_alert(shifted):
    r, n_kept, long_rows = shifted
    assert r.drift["auc"] >= 0.6 and r.drift["ci_low"] > 0.5
    kinds = [k for k, _ in r.alerts]
    messages = " | ".join(m for _, m in r.alerts)
    assert "drift" in kinds and "leakage" in kinds and "label_missing" in kinds
    assert re.search(r"label 'gratitude' is \d+\.\d+x more frequent in gratitude", messages)
    assert "labels have no gratitude rows" in messages
    assert "thank" in " ".join(r.drift_terms.query("toward == 'test'")["term"])
    dup = r.cross_duplicates
    planted_exact = list(range(n_kept, n_kept + 5))
    assert set(planted_exact) <= set(dup.loc[dup["kind"] == "exact", "test_row"])
    assert dup.set_index("test_row").loc[planted_exact, "train_row"].tolist() == list(range(5))
    near = dup[dup["kind"] == "near"].set_index("test_row")
    for k, train_row in enumerate(long_rows):
        assert near.loc[n_kept + 5 + k, "train_row"] == train_row
        assert near.loc[n_kept + 5 + k, "similarity"] >= 0.9
    # the off-topic text is among the test rows least like train
    off = r.n_test - 1
    assert off in r.least_like_train(5).index


def test_different_label_sets_are_unioned_with_a_note(jigsaw_sample, goemotions_slice):
    g = goemotions_slice
    train = (g.X_train, pd.DataFrame(g.Y_train, columns=g.label_names))
    r = compare_splits(train, (jigsaw_sample.texts, jigsaw_sample.labels), cv=3,
                       split_names=("goemotions", "jigsaw"))
    assert r.label_names == list(g.label_names) + list(jigsaw_sample.label_names)
    assert any("label sets differ" in n for n in r.notes)
    shift = r.label_shift
    assert (shift.loc[list(jigsaw_sample.label_names), "only_in"] != "train").all()
    kinds = {k for k, _ in r.alerts}
    assert {"drift", "label_missing", "length", "vocabulary", "cardinality"} <= kinds
    assert any("6 labels have no goemotions rows (toxic, severe_toxic" in m for _, m in r.alerts)


def test_outputs_json_and_html(random_split, tmp_path):
    data = random_split.to_dict(top=5)
    json.dumps(data, allow_nan=False)  # strict JSON: no NaN or inf
    assert data["row_numbering"].startswith("row = 0-based")
    assert len(data["least_like_train"]) == 5
    path = random_split.to_json(tmp_path / "c.json")
    assert json.loads(path.read_text(encoding="utf-8"))["drift"] == pytest.approx(
        random_split.drift)
    html = random_split.to_html(tmp_path / "c.html", max_rows=7).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    for sid in ("overview", "drift", "labels", "unlike", "copies", "text"):
        assert f'id="{sid}"' in html
    assert "0-based position" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing fetched
    with pytest.raises(ValueError, match="max_rows"):
        random_split.to_html(tmp_path / "x.html", max_rows=0)


@pytest.mark.parametrize("train, test, message", [
    ((["a b"], [[1, 0]]), ([], np.zeros((0, 2))), "the test split has no rows"),
    ((["a b", "c"], [[1, 0]]), (["a"], [[1, 0]]), "2 texts but 1 rows of labels"),
    ((["a b", "c d"], [[1, 0], [0, 1]]), (["a", "b"], [[1, 0, 0], [0, 1, 1]]),
     "2 label columns and test has 3"),
    ("texts.csv", (["a"], [[1]]), "must be a \\(texts, Y\\) pair"),
    ((["!!", "?"], [[1], [0]]), (["...", "-"], [[0], [1]]), "no text of either split has a word"),
    ((["a b", "c d"], [[1], [0]]), (["a"], [[1]]), "at least 2 rows in each split"),
])
def test_bad_inputs(train, test, message):
    with pytest.raises((TypeError, ValueError), match=message):
        compare_splits(train, test)


def test_bad_options(goemotions_slice):
    g = goemotions_slice
    split = (g.X_train[:50], g.Y_train[:50])
    for kwargs, message in [({"cv": 1}, "cv must be an int >= 2"),
                            ({"split_names": ("a",)}, "split_names must be two"),
                            ({"C": 0}, "C must be a positive number"),
                            ({"features": "tfidf"}, "features must be a transformer")]:
        with pytest.raises((TypeError, ValueError), match=message):
            compare_splits(split, split, **kwargs)


def test_cli_compare(tmp_path, capsys, goemotions_slice):
    g = goemotions_slice
    names = list(g.label_names)
    for name, texts, Y in (("train", g.X_train, g.Y_train), ("test", g.X_test, g.Y_test)):
        pd.DataFrame({"text": texts, "labels": [",".join(names[j] for j in np.flatnonzero(y))
                                                for y in Y]}).to_csv(tmp_path / f"{name}.csv",
                                                                     index=False)
    report, out_json = tmp_path / "r.html", tmp_path / "r.json"
    code = main(["compare", str(tmp_path / "train.csv"), str(tmp_path / "test.csv"),
                 "--labels-col", "labels", "--cv", "3", "--top", "3", "--names", "train,dev",
                 "--report", str(report), "--json", str(out_json)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "SplitComparison of train (1,500 rows) and dev (500 rows)" in out
    assert "drift AUC" in out and "row = 0-based position" in out
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert data["splits"]["rows"] == [1500, 500]
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # bad input: one line on stderr, exit status 2
    code = main(["compare", str(tmp_path / "train.csv"), str(tmp_path / "missing.csv")])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "missing.csv" in err
    code = main(["compare", str(tmp_path / "train.csv"), str(tmp_path / "test.csv"),
                 "--report", str(tmp_path / "test.csv")])
    _, err = capsys.readouterr()
    assert code == 2 and "mlkit compare: error" in err


def test_drift_on_other_features(goemotions_slice, shifted):
    """features=: any transformer of raw texts feeds the drift classifier (here mlkit's own
    TF-IDF featurizer); the constructed shift is caught by it too."""
    from mlkit import TfidfFeaturizer

    g = goemotions_slice
    r0 = shifted[0]
    test = (r0.test_texts, r0.Y_test.toarray())
    r = compare_splits((g.X_train, g.Y_train), test, label_names=list(g.label_names), cv=3,
                       features=TfidfFeaturizer())
    assert r.drift["features"] == "TfidfFeaturizer"
    assert r.drift["auc"] >= 0.6
    assert r.least_like_train(5).index.tolist() == r0.least_like_train(5).index.tolist()


def test_label_name_lists_match_the_matrix(random_split, goemotions_slice):
    """Labels given as lists of names (read sparse, never rows x labels dense) give the same
    label tables as the indicator matrix; unknown names are refused."""
    g = goemotions_slice
    names = list(g.label_names)

    def lists(Y):
        return [[names[j] for j in np.flatnonzero(y)] for y in Y]

    r = compare_splits((g.X_train, lists(g.Y_train)), (g.X_test, lists(g.Y_test)),
                       label_names=names, cv=3)
    pd.testing.assert_frame_equal(r.label_shift, random_split.label_shift)
    assert r.drift == random_split.drift
    with pytest.raises(ValueError, match="train: labels not-a-label are not in label_names"):
        compare_splits((["a b"], [["not-a-label"]]), (["a"], [["joy"]]), label_names=names)
