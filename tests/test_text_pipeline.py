"""TextPipeline: each rare label's name as one more training text (``name_examples_below``),
on real data (Reuters' rare commodity labels, the Jigsaw sample, GoEmotions), in every label
form, with fit parameters, through clone, the safe model-file format and the command line."""

import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from mlkit import BinaryRelevance, TextPipeline, TfidfFeaturizer, ThresholdTuner, make_classifier
from mlkit._labels import indicator_to_labels
from mlkit.pipeline import label_name_text

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def _uses_name(name, texts):
    """Whether one of ``texts`` has a word of the label name (the rule, written out here)."""
    words = set(re.findall(r"[a-z0-9]+", label_name_text(name).lower()))
    return bool(words) and any(words & set(re.findall(r"[a-z0-9]+", t.lower())) for t in texts)


def _expected(names, texts, Y, bar):
    Y = np.asarray(Y)
    return [str(n) for j, n in enumerate(names)
            if 0 < Y[:, j].sum() < bar
            and _uses_name(n, [texts[i] for i in np.flatnonzero(Y[:, j])])]


def _steps():
    return [("features", TfidfFeaturizer()),
            ("classifier", BinaryRelevance(LinearSVC(random_state=0)))]


@pytest.fixture(scope="module")
def reuters_rare():
    """2,000 Reuters training stories and the test stories, with label lists."""
    from conftest import shared_data_dir

    from mlkit.datasets import load_reuters

    path = shared_data_dir() / "reuters21578"
    if not (path / "aptemod_train.jsonl.gz").exists():
        pytest.skip(f"Reuters ApteMod not found in {path}; set MLKIT_DATA_DIR")
    train, test = load_reuters(path, "train"), load_reuters(path, "test")
    names = train.target_names
    return (train.data[:2000], indicator_to_labels(train.target[:2000], names),
            test.data, test.target, names)


def test_label_name_text():
    assert label_name_text("castor-oil") == "castor oil"
    assert label_name_text("identity_hate") == "identity hate"
    assert label_name_text("  money.fx / dlr ") == "money fx dlr"
    assert label_name_text("C15") == "C15"
    assert label_name_text("42") == "" and label_name_text("--") == ""
    assert label_name_text(7) == ""


def test_rare_labels_get_their_name_and_it_is_learned(reuters_rare):
    """On real Reuters stories, a label with a few articles gets a row with its name, and
    the name's words gain weight in that label's model."""
    X, labels, _, _, names = reuters_rare
    plain = TextPipeline(_steps()).fit(X, labels)
    named = TextPipeline(_steps(), name_examples_below=10).fit(X, labels)
    Y = np.array([[n in row for n in named.classes_] for row in labels], dtype=int)
    expected = _expected(named.classes_, X, Y, 10)
    assert named.name_examples_ == expected and len(expected) >= 5
    # a rare label whose articles never use its name gets no row (e.g. a currency code)
    rare = _expected(named.classes_, X, Y, 10) + [
        str(n) for j, n in enumerate(named.classes_) if 0 < Y[:, j].sum() < 10]
    assert len(set(rare)) > len(expected)
    assert plain.name_examples_ == []
    assert list(named.classes_) == list(plain.classes_)
    # e.g. "rye", "castor-oil": the name's first word weighs more in its own label's model
    vocab = named.named_steps["features"].get_feature_names_out()
    gained = 0
    for name in expected:
        word = "word__" + label_name_text(name).split()[0].lower()
        hits = np.flatnonzero(vocab == word)
        if not hits.size:
            continue
        j = list(named.classes_).index(name)
        w_named = named.named_steps["classifier"].estimators_[j].coef_[0, hits[0]]
        vocab_plain = list(plain.named_steps["features"].get_feature_names_out())
        w_plain = (plain.named_steps["classifier"].estimators_[j].coef_[0, vocab_plain.index(word)]
                   if word in vocab_plain else 0.0)
        gained += w_named > w_plain
    assert gained >= len(expected) // 2


def test_nothing_is_added_without_names_or_rare_labels(goemotions_slice):
    d = goemotions_slice
    model = TextPipeline(_steps(), name_examples_below=1000)
    # an indicator matrix carries no names
    assert model.fit(d.X_train, d.Y_train).name_examples_ == []
    # label lists do; every label with a positive row is below 1000 here
    lists = indicator_to_labels(d.Y_train, d.label_names)
    fitted = clone(model).fit(d.X_train, lists)
    expected = _expected(d.label_names, d.X_train, d.Y_train, 1000)
    assert fitted.name_examples_ == sorted(expected) and expected
    # a bar no label is under adds nothing and gives the plain pipeline's model
    low = clone(model).set_params(name_examples_below=1).fit(d.X_train, lists)
    plain = Pipeline(_steps()).fit(d.X_train, lists)
    assert low.name_examples_ == []
    np.testing.assert_array_equal(low.decision_function(d.X_test), plain.decision_function(d.X_test))


def test_dataframe_labels_keep_their_columns_and_dtypes(jigsaw_sample):
    pd = pytest.importorskip("pandas")
    texts, labels = jigsaw_sample.texts, jigsaw_sample.labels
    shuffled = labels[["threat", "toxic", "identity_hate", "insult", "obscene", "severe_toxic"]]
    before = shuffled.copy()
    model = TextPipeline(_steps(), name_examples_below=20).fit(texts, shuffled)
    assert model.name_examples_ == _expected(shuffled.columns, list(texts), shuffled, 20)
    assert model.name_examples_  # the sample's rare "identity_hate" comments use "identity"...
    assert list(model.classes_) == list(shuffled.columns)  # the user's column order
    pd.testing.assert_frame_equal(shuffled, before)  # the input is not modified
    bools = shuffled.astype(bool)
    assert TextPipeline(_steps(), name_examples_below=20).fit(texts, bools).name_examples_ \
        == model.name_examples_


def test_a_name_its_texts_never_use_is_left_out():
    texts = ["the kroner fell against the dollar", "crude oil output rose",
             "the kroner firmed", "wheat and corn prices"] * 3
    labels = [["nkr"], ["crude"], ["nkr"], ["grain"]] * 3
    model = TextPipeline(_steps(), name_examples_below=20).fit(texts, labels)
    assert model.name_examples_ == ["crude"]  # "nkr" is a code; "grain" is never said


def test_fit_parameters(jigsaw_sample):
    texts, labels = list(jigsaw_sample.texts), jigsaw_sample.labels
    n = len(texts)
    model = TextPipeline([("features", TfidfFeaturizer()),
                          ("classifier", ThresholdTuner(BinaryRelevance(LinearSVC()), cv=3))],
                         name_examples_below=20)
    weights = np.ones(n)
    fitted = model.fit(texts, labels, classifier__sample_weight=weights)
    added = len(fitted.name_examples_)
    assert added > 0
    tuner = fitted.named_steps["classifier"]
    assert tuner.oof_scores_.shape[0] == n + added  # the name rows come last
    with pytest.raises(ValueError, match="cannot extend the per-row fit parameter 'classifier__groups'.*name_examples_below=0"):
        clone(model).fit(texts, labels, classifier__groups=np.arange(n))
    # a weight array of another length is left to the step to refuse
    with pytest.raises(ValueError):
        clone(model).fit(texts, labels, classifier__sample_weight=np.ones(3))


@pytest.mark.parametrize("bad", [-1, 2.5, True, "50"])
def test_bad_bar_is_refused(jigsaw_sample, bad):
    model = TextPipeline(_steps(), name_examples_below=bad)
    with pytest.raises(ValueError, match="name_examples_below"):
        model.fit(jigsaw_sample.texts, jigsaw_sample.labels)


def test_params_clone_and_default_kind():
    model = TextPipeline(_steps(), name_examples_below=7)
    assert model.get_params()["name_examples_below"] == 7
    assert clone(model).name_examples_below == 7
    assert isinstance(model, Pipeline) and model.set_params(name_examples_below=0) is model
    kind = make_classifier("tfidf")
    assert isinstance(kind, TextPipeline) and kind.name_examples_below > 0


def test_round_trip_through_the_safe_format(tmp_path, jigsaw_sample):
    from mlkit import load_model, save_model

    texts, labels = jigsaw_sample.texts, jigsaw_sample.labels
    model = TextPipeline(_steps(), name_examples_below=20).fit(texts, labels)
    path = tmp_path / "m.mlkit"
    save_model(model, path)
    loaded = load_model(path)
    assert type(loaded) is TextPipeline and loaded.name_examples_ == model.name_examples_
    np.testing.assert_array_equal(loaded.predict(list(texts[:50])), model.predict(list(texts[:50])))


def test_cli_out_of_fold_metrics_leave_the_name_rows_out(jigsaw_sample):
    """`mlkit train` reports out-of-fold metrics on the given rows only."""
    from mlkit.cli._train import _oof_metrics
    from mlkit.metrics import f1_score

    texts, labels = list(jigsaw_sample.texts), jigsaw_sample.labels
    model = make_classifier("tfidf").set_params(classifier__cv=3).fit(texts, labels)
    assert model.name_examples_  # identity_hate
    Y = labels.to_numpy()
    metrics = _oof_metrics(model, Y, list(labels.columns))
    tuner = model.named_steps["classifier"]
    given = tuner.oof_rows_ < len(Y)
    assert given.sum() == len(Y) and tuner.oof_scores_.shape[0] == len(Y) + len(model.name_examples_)
    D = tuner.decide(tuner.oof_scores_[given])
    assert metrics["f1_micro"] == pytest.approx(f1_score(Y[tuner.oof_rows_[given]], D, average="micro"))


_TEXTS = ["wheat crop up", "wheat exports", "Rye harvest", "oil prices", "crude oil",
          "corn and wheat", "oil output"]
_LISTS = [["grain"], ["grain"], ["grain", "rye"], ["crude"], ["crude"], ["grain"], ["crude"]]


def _small(name_examples_below=2):
    from sklearn.linear_model import LogisticRegression

    return TextPipeline([("features", TfidfFeaturizer()),
                         ("classifier", BinaryRelevance(LogisticRegression()))],
                        name_examples_below=name_examples_below)


def test_every_text_and_label_container():
    """Texts and labels in the containers mlkit accepts give the same name rows and model."""
    pd = pytest.importorskip("pandas")
    ref = _small().fit(_TEXTS, _LISTS)
    assert ref.name_examples_ == ["rye"]
    S = ref.decision_function(_TEXTS)
    forms = [
        (pd.DataFrame({"text": _TEXTS}), _LISTS),                # one-column DataFrame of texts
        (np.array(_TEXTS, dtype=object)[:, None], _LISTS),       # a column vector
        (pd.Series(_TEXTS, index=range(10, 17)), pd.Series(_LISTS, index=range(5, 12))),
        (tuple(_TEXTS), np.array(_LISTS, dtype=object)),
    ]
    pa = pytest.importorskip("pyarrow")
    forms.append((pa.array(_TEXTS), pa.array(_LISTS)))
    forms.append((pa.chunked_array([_TEXTS[:3], _TEXTS[3:]]), pa.chunked_array([_LISTS])))
    for X, y in forms:
        model = _small().fit(X, y)
        assert model.name_examples_ == ["rye"], type(X)
        np.testing.assert_allclose(model.decision_function(_TEXTS), S)


def test_fit_transform_fit_predict_and_slices():
    """fit_transform / fit_predict add the rows too and answer for the given rows only; a
    slice keeps the setting; a ScoreBlend member is fitted with its name rows."""
    from mlkit.ensemble import ScoreBlend

    featurizer = TextPipeline([("features", TfidfFeaturizer())], name_examples_below=2)
    Xt = featurizer.fit_transform(_TEXTS, _LISTS)
    assert featurizer.name_examples_ == ["rye"] and Xt.shape[0] == len(_TEXTS)
    assert (Xt != featurizer.transform(_TEXTS)).nnz == 0
    assert not hasattr(_small(), "fit_transform") and not hasattr(_small(), "fit_predict")
    model = _small()
    assert type(model[:-1]) is TextPipeline and model[:-1].name_examples_below == 2
    assert model[-1] is model.steps[-1][1] and model["features"] is model.steps[0][1]
    blend = ScoreBlend([("a", _small()), ("b", _small(name_examples_below=0))]).fit(_TEXTS, _LISTS)
    members = dict(zip(blend.names_, blend.estimators_, strict=True))
    assert members["a"].name_examples_ == ["rye"]
    np.testing.assert_allclose(members["a"].decision_function(_TEXTS),
                               _small().fit(_TEXTS, _LISTS).decision_function(_TEXTS))


def test_weights_names_that_read_the_same_and_category_columns():
    pd = pytest.importorskip("pandas")
    texts = _TEXTS + ["castor oil seed", "Castor oil output"]
    lists = _LISTS + [["castor-oil"], ["Castor_Oil"]]
    model = _small().fit(texts, lists)
    # one row "castor oil" with both labels; the two names read the same
    assert model.name_examples_ == ["Castor_Oil", "castor-oil", "rye"]
    Y = pd.DataFrame([[int(n in row) for n in model.classes_] for row in lists],
                     columns=model.classes_)
    same = _small().fit(texts, Y)
    # the added rows weigh the mean of the given weights, whatever their scale
    w = np.linspace(0.001, 0.003, len(texts))
    X_new, _, params, added = _small()._with_name_examples(texts, Y,
                                                           {"classifier__sample_weight": w})
    np.testing.assert_allclose(params["classifier__sample_weight"], np.r_[w, w.mean(), w.mean()])
    assert [t.lower() for t in X_new[len(texts):]] == ["castor oil", "rye"] and len(added) == 3
    weighted = _small().fit(texts, Y, classifier__sample_weight=w * 1000)
    assert weighted.name_examples_ == same.name_examples_
    cat = Y.astype("category")
    assert _small().fit(texts, cat).name_examples_ == same.name_examples_
