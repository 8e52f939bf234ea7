"""TfidfFeaturizer: the estimator contract by hand (scikit-learn's common checks do not
generate raw text), input forms, clear errors, and agreement with TfidfVectorizer."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils import get_tags

from mlkit import TfidfFeaturizer


@pytest.fixture(scope="module")
def texts(goemotions_slice):
    return goemotions_slice.X_train[:400]


@pytest.fixture(scope="module")
def fitted(texts):
    # word block only, so that columns map to words (the "auto" char block is tested below)
    feat = TfidfFeaturizer(char_ngram_range=None)
    return feat, feat.fit_transform(texts)


def _same(a, b):
    assert a.shape == b.shape
    assert (a != b).nnz == 0


# --------------------------------------------------------------------------
# contract
# --------------------------------------------------------------------------


def test_fit_returns_self_and_output_is_float32_csr(texts):
    feat = TfidfFeaturizer()
    assert feat.fit(texts) is feat
    X = feat.transform(texts)
    assert sp.issparse(X) and X.format == "csr" and X.dtype == np.float32
    assert X.shape == (len(texts), feat.n_features_out_)
    assert X.has_sorted_indices
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    nonempty = norms > 0
    assert nonempty.mean() > 0.95
    np.testing.assert_allclose(norms[nonempty], 1.0, rtol=1e-5)
    # fit_transform and fit().transform() agree
    _same(TfidfFeaturizer().fit_transform(texts), X)
    # dtype is a parameter
    assert TfidfFeaturizer(dtype=np.float64).fit_transform(texts).dtype == np.float64


def test_not_fitted_errors(texts):
    feat = TfidfFeaturizer()
    with pytest.raises(NotFittedError, match="TfidfFeaturizer instance is not fitted yet"):
        feat.transform(texts)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        feat.get_feature_names_out()


def test_clone_and_params_round_trip(fitted, texts):
    feat, X = fitted
    params = feat.get_params()
    assert params["min_df"] == 2 and params["word_ngram_range"] == (1, 2)
    c = clone(feat)
    assert c.get_params() == params
    assert not hasattr(c, "n_features_out_")  # clone drops the fitted state
    c.set_params(**params)
    _same(c.fit_transform(texts), X)
    c.set_params(min_df=1, char_ngram_range=(2, 4))
    assert c.get_params()["char_ngram_range"] == (2, 4)
    assert c.fit_transform(texts).shape[1] > X.shape[1]
    with pytest.raises(ValueError, match="Invalid parameter 'mindf'"):
        c.set_params(mindf=1)


def test_pickle_round_trip(fitted, goemotions_slice):
    feat, _ = fitted
    back = pickle.loads(pickle.dumps(feat))
    new = goemotions_slice.X_test[:50]
    _same(back.transform(new), feat.transform(new))


def test_text_tags():
    tags = get_tags(TfidfFeaturizer())
    assert tags.input_tags.string is True
    assert tags.input_tags.two_d_array is False
    assert tags.requires_fit is True


# --------------------------------------------------------------------------
# feature names
# --------------------------------------------------------------------------


def test_feature_names(fitted, texts):
    feat, X = fitted
    names = feat.get_feature_names_out()
    assert len(names) == X.shape[1] == feat.n_features_out_
    assert all(n.startswith("word__") for n in names)
    assert len(set(names)) == len(names)
    # a unigram and a bigram, each in the columns of the documents that contain them
    lookup = {n: j for j, n in enumerate(names)}
    analyze = feat.word_vectorizer_.build_analyzer()
    grams = [set(analyze(t)) for t in texts]
    for term in ("word__the", "word__i love", "word__thank you"):
        j = lookup[term]
        has = np.array([term.removeprefix("word__") in g for g in grams])
        assert 2 <= has.sum() < len(texts)
        col = X[:, j].toarray().ravel()
        np.testing.assert_array_equal(col > 0, has)


def test_char_block_names_and_weight(texts):
    both = TfidfFeaturizer(char_ngram_range=(2, 3)).fit(texts)
    names = both.get_feature_names_out()
    n_word = len(both.word_vectorizer_.get_feature_names_out())
    assert all(n.startswith("word__") for n in names[:n_word])
    assert all(n.startswith("char__") for n in names[n_word:])
    X1 = both.transform(texts).toarray()
    X3 = TfidfFeaturizer(char_ngram_range=(2, 3), char_weight=3.0).fit_transform(texts).toarray()
    # more char weight: a larger share of each row's norm sits in the char block
    share1 = (X1[:, n_word:] ** 2).sum(axis=1)
    share3 = (X3[:, n_word:] ** 2).sum(axis=1)
    assert (share3 >= share1 - 1e-6).all() and (share3 > share1).mean() > 0.9
    char_only = TfidfFeaturizer(word_ngram_range=None, char_ngram_range=(2, 3)).fit(texts)
    assert all(n.startswith("char__") for n in char_only.get_feature_names_out())


def test_matches_tfidf_vectorizer_with_the_same_settings(texts):
    ref = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                          token_pattern=r"(?u)\b\w+\b")
    expected = ref.fit_transform(texts)
    feat = TfidfFeaturizer(char_ngram_range=None)
    got = feat.fit_transform(texts)
    np.testing.assert_array_equal(
        feat.get_feature_names_out(), ["word__" + n for n in ref.get_feature_names_out()])
    np.testing.assert_allclose(got.toarray(), expected.toarray(), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------
# input forms
# --------------------------------------------------------------------------


def test_text_containers_give_identical_features(fitted, texts):
    pd = pytest.importorskip("pandas")
    feat, X = fitted
    forms = {
        "tuple": tuple(texts),
        "ndarray": np.asarray(texts),
        "object ndarray": np.asarray(texts, dtype=object),
        "column ndarray": np.asarray(texts, dtype=object).reshape(-1, 1),
        "Series": pd.Series(texts, index=np.arange(1000, 1000 + len(texts))),
        "one-column DataFrame": pd.DataFrame({"text": texts}),
    }
    for form, value in forms.items():
        assert (feat.transform(value) != X).nnz == 0, form
        assert (TfidfFeaturizer(char_ngram_range=None).fit_transform(value) != X).nnz == 0, form


def test_input_is_not_modified_and_unseen_words_give_zero_rows(fitted):
    feat, _ = fitted
    docs = ["qwxzv plorbt", "I love this"]
    copy = list(docs)
    X = feat.transform(docs)
    assert docs == copy
    assert X[0].nnz == 0 and X[1].nnz > 0


def test_real_multiline_comments(jigsaw_sample):
    texts = jigsaw_sample.texts
    assert texts.str.contains("\n").any()
    X = TfidfFeaturizer().fit_transform(texts)
    assert X.shape[0] == len(texts) == 267
    assert X.dtype == np.float32


# --------------------------------------------------------------------------
# clear errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, error, match",
    [
        ("a single comment", TypeError,
         r"a single str object was received\. Wrap it in a list: \[text\]"),
        (b"bytes", TypeError, r"a single bytes object was received"),
        ([], ValueError, r"received an empty list of texts"),
        (["ok", None, "fine"], ValueError,
         r"1 missing text\(s\) \(None or NaN\) at position\(s\) 1\. Drop those rows"),
        (["ok", float("nan"), None], ValueError, r"2 missing text\(s\).*position\(s\) 1, 2"),
        (["ok", 3, 4.5], TypeError,
         r"every document to be a str; position 1 holds int 3 \(2 non-string values in all\)"),
        (["ok", b"raw"], TypeError, r"position 1 holds bytes.*decode bytes first"),
        (None, TypeError, r"expects a list of texts; got None"),
        (42, TypeError, r"expects an iterable over raw text documents; got int"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, r"1-D collection of texts; got an array"),
    ],
    ids=["str", "bytes", "empty", "None", "NaN", "numbers", "bytes-item", "None-X", "int",
         "2-D"],
)
def test_bad_texts_are_rejected_clearly(bad, error, match, fitted):
    feat, _ = fitted
    with pytest.raises(error, match=match):
        TfidfFeaturizer().fit(bad)
    with pytest.raises(error, match=match):
        feat.transform(bad)


def test_two_column_dataframe_is_rejected(fitted, texts):
    pd = pytest.importorskip("pandas")
    feat, _ = fitted
    df = pd.DataFrame({"text": texts, "title": texts})
    with pytest.raises(ValueError, match=r"one column of texts; got a DataFrame with 2 columns"):
        feat.transform(df)


@pytest.mark.parametrize(
    "params, docs, match",
    [
        # the one rule between parameters, which the constraints cannot express
        ({"word_ngram_range": None, "char_ngram_range": None}, None,
         "both None; enable at least one block"),
        ({}, ["one", "two"], r"no terms to keep in 2 text\(s\).*lower min_df \(e\.g\. min_df=1\)"),
        # the n-gram ranges' contents are checked by TfidfVectorizer
        ({"word_ngram_range": (2, 1)}, None, r"Invalid value for ngram_range=\(2, 1\)"),
    ],
    ids=["no-block", "no-terms", "reversed-range"],
)
def test_bad_parameters_are_rejected_clearly(params, docs, match, texts):
    with pytest.raises(ValueError, match=match):
        TfidfFeaturizer(**params).fit(docs if docs is not None else texts)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"char_ngram_range": "yes"},
         r"'char_ngram_range' parameter of TfidfFeaturizer must be an instance of 'tuple', "
         r"a str among \{'auto'\} or None. Got 'yes' instead"),
        ({"char_ngram_range": (2, 3), "char_weight": 0},
         r"'char_weight' parameter of TfidfFeaturizer must be a float in the range "
         r"\(0.0, inf\). Got 0 instead"),
        ({"auto_char_max_length": "long"}, "'auto_char_max_length' parameter"),
        ({"min_df": 1.5}, r"'min_df' parameter of TfidfFeaturizer must be a float in the "
                          r"range \[0.0, 1.0\] or an int in the range \[1, inf\)"),
        ({"min_df": 0}, "'min_df' parameter of TfidfFeaturizer"),
        ({"norm": "l3"}, "'norm' parameter of TfidfFeaturizer must be a str among"),
        ({"word_ngram_range": [1, 2]}, "'word_ngram_range' parameter of TfidfFeaturizer must "
                                       "be an instance of 'tuple' or None"),
    ],
    ids=["char-auto-typo", "char-weight", "auto-length", "min-df-fraction", "min-df-zero",
         "norm", "range-list"],
)
@pytest.mark.parametrize("method", ["fit", "fit_transform"])
def test_parameters_are_validated_by_constraints(params, match, method, texts):
    # scikit-learn's InvalidParameterError (a ValueError and a TypeError), before any work
    with pytest.raises(ValueError, match=match) as info:
        getattr(TfidfFeaturizer(**params), method)(texts)
    assert type(info.value).__name__ == "InvalidParameterError"


def test_auto_char_ngrams_follow_text_length(texts):
    # GoEmotions comments are short: "auto" adds the character block
    short = TfidfFeaturizer().fit(texts)
    assert short.char_ngram_range_ == (2, 5)
    assert any(n.startswith("char__") for n in short.get_feature_names_out())
    # the same texts, made longer than auto_char_max_length on average: word block only
    long_texts = [(t + " ") * 20 for t in texts]
    long = TfidfFeaturizer().fit(long_texts)
    assert long.char_ngram_range_ is None and long.char_vectorizer_ is None
    # the threshold is a parameter
    assert TfidfFeaturizer(auto_char_max_length=10_000).fit(long_texts).char_ngram_range_ == (2, 5)


def _char_document_frequencies(texts, ngram_range=(2, 5)):
    from sklearn.feature_extraction.text import CountVectorizer

    counts = CountVectorizer(analyzer="char_wb", ngram_range=ngram_range).fit(texts)
    X = counts.transform(texts)
    df = np.asarray((X > 0).sum(axis=0)).ravel()
    return dict(zip(counts.get_feature_names_out(), df, strict=True))


def test_char_max_df_drops_the_commonest_char_ngrams_only(texts):
    df = _char_document_frequencies(texts)
    full = TfidfFeaturizer().fit(texts)
    pruned = TfidfFeaturizer(char_max_df=0.05).fit(texts)  # 400 texts: df <= 20 kept
    expected = {g for g, d in df.items() if 2 <= d <= 20}
    assert set(pruned.char_vectorizer_.vocabulary_) == expected
    assert set(full.char_vectorizer_.vocabulary_) == {g for g, d in df.items() if d >= 2}
    assert "th" in full.char_vectorizer_.vocabulary_ and df["th"] > 20
    # the word block is untouched; the rows are still unit-norm
    assert full.word_vectorizer_.vocabulary_ == pruned.word_vectorizer_.vocabulary_
    X_full, X_pruned = full.transform(texts), pruned.transform(texts)
    assert X_pruned.nnz < 0.7 * X_full.nnz
    norms = np.sqrt(np.asarray(X_pruned.multiply(X_pruned).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms[norms > 0], 1.0, rtol=1e-5)
    # a count works as in max_df, and max_df still applies to the character block
    by_count = TfidfFeaturizer(char_max_df=20).fit(texts)
    assert by_count.char_vectorizer_.vocabulary_.keys() == pruned.char_vectorizer_.vocabulary_.keys()
    both = TfidfFeaturizer(char_max_df=0.05, max_df=10).fit(texts)
    assert set(both.char_vectorizer_.vocabulary_) == {g for g, d in df.items() if 2 <= d <= 10}


def test_char_max_df_never_goes_below_min_df(texts):
    # 40 texts x 0.01 = 0.4 of a text: the n-grams seen in exactly min_df texts stay
    few = texts[:40]
    df = _char_document_frequencies(few)
    feat = TfidfFeaturizer(char_max_df=0.01).fit(few)
    assert set(feat.char_vectorizer_.vocabulary_) == {g for g, d in df.items() if d == 2}
    feat = TfidfFeaturizer(char_max_df=0.01, min_df=3).fit(few)
    assert set(feat.char_vectorizer_.vocabulary_) == {g for g, d in df.items() if d == 3}


@pytest.mark.parametrize("value", [1.5, 0, -0.1, "auto"])
def test_char_max_df_is_validated(value, texts):
    with pytest.raises(ValueError, match="'char_max_df' parameter of TfidfFeaturizer must be"):
        TfidfFeaturizer(char_max_df=value).fit(texts)


def test_char_max_df_prunes_common_char_ngrams_of_short_texts_only(texts):
    feats = TfidfFeaturizer(char_max_df=0.05)
    # short texts: the character block without its commonest n-grams, same word block
    X, X_all = clone(feats).fit_transform(texts), TfidfFeaturizer().fit_transform(texts)
    assert X.nnz < 0.7 * X_all.nnz
    # long texts ("auto" leaves the character block out): exactly the plain featurizer's
    long_texts = [(t + " ") * 20 for t in texts[:100]]
    _same(clone(feats).fit_transform(long_texts), TfidfFeaturizer().fit_transform(long_texts))


def test_char_max_df_is_not_applied_where_it_would_leave_no_char_ngram():
    # every character n-gram is in both texts, above char_max_df=1: the block is kept whole
    texts = ["ab ab", "ab ab"]
    params = dict(char_ngram_range=(2, 3), min_df=1)
    pruned = TfidfFeaturizer(char_max_df=1, **params).fit(texts)
    plain = TfidfFeaturizer(**params).fit(texts)
    assert pruned.char_vectorizer_.vocabulary_ == plain.char_vectorizer_.vocabulary_
    _same(pruned.transform(["ab ba"]), plain.transform(["ab ba"]))
    # the word block's own errors are unchanged
    with pytest.raises(ValueError, match=r"no terms to keep in 2 text\(s\).*raise max_df"):
        TfidfFeaturizer(char_max_df=1, max_df=1, **params).fit(texts)
