"""SentenceEmbeddingFeaturizer on real GoEmotions texts with the local MiniLM model: the
estimator contract by hand, agreement with SentenceTransformer.encode, the embedding cache
(in memory, shared by clones and grid searches; on disk, across processes), pickling,
the "embeddings" kind of make_classifier, clear errors, and the missing-extra error."""

import json
import pickle

import numpy as np
import pytest
from _neural_fixtures import hub_offline, minilm_dir, run_without_torch  # noqa: F401
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

import mlkit
from mlkit import BinaryRelevance, metrics
from mlkit.model_selection import MultilabelStratifiedKFold

pytestmark = pytest.mark.usefixtures("hub_offline", "single_blas_thread")

N_TRAIN = 300
N_TEST = 200


@pytest.fixture(scope="module")
def model_dir():
    pytest.importorskip("sentence_transformers")
    return minilm_dir()


@pytest.fixture(scope="module")
def data(goemotions_slice):
    d = goemotions_slice
    return (d.X_train[:N_TRAIN], d.Y_train[:N_TRAIN], d.X_test[:N_TEST], d.Y_test[:N_TEST])


@pytest.fixture(scope="module")
def fitted(model_dir, data):
    from mlkit.features import SentenceEmbeddingFeaturizer

    feat = SentenceEmbeddingFeaturizer(model_dir, verbose=False)
    X_train = feat.fit_transform(data[0])
    return feat, X_train


def _stats(feat):
    """(hits, misses, encoded) of the featurizer's in-memory cache namespace."""
    from mlkit.features import embedding_cache_info

    ns = feat._namespace(feat.model_fingerprint_)
    for info in embedding_cache_info():
        if info["namespace"] == ns:
            return info["hits"], info["misses"], info["encoded"]
    return 0, 0, 0


# --------------------------------------------------------------------------
# contract and output
# --------------------------------------------------------------------------


def test_output_matches_sentence_transformers(fitted, data):
    feat, X = fitted
    assert X.shape == (N_TRAIN, 384) and X.dtype == np.float32
    assert feat.n_features_out_ == 384 and feat.max_length_ == 256
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    # the same vectors as calling the library directly (our batches are length-sorted
    # by tokens, the library's by characters: only float rounding may differ)
    direct = feat.encoder_.encode(data[0], batch_size=64, normalize_embeddings=True,
                                  show_progress_bar=False)
    np.testing.assert_allclose(X, direct, atol=2e-5)
    names = feat.get_feature_names_out()
    assert names.shape == (384,) and names[0] == "sentenceembeddingfeaturizer0"


def test_contract(model_dir, fitted, data):
    from mlkit.features import SentenceEmbeddingFeaturizer

    feat = SentenceEmbeddingFeaturizer(model_dir, batch_size=8, cache=None, verbose=False)
    with pytest.raises(NotFittedError, match="SentenceEmbeddingFeaturizer instance is not fitted"):
        feat.transform(data[0][:2])
    assert feat.fit(data[0][:3]) is feat
    assert feat.fit() is feat  # X is optional: nothing is learned from it
    params = feat.get_params()
    assert params["model"] == model_dir and params["batch_size"] == 8 and params["cache"] is None
    twin = clone(feat)
    assert twin.get_params() == params and not hasattr(twin, "model_fingerprint_")
    tags = get_tags(feat)
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    # the cache does not change the features; nor does the batch size
    np.testing.assert_allclose(feat.transform(data[0][:20]), fitted[1][:20], atol=2e-5)
    # normalize=False returns the encoder's own output (MiniLM already ends in a
    # Normalize module, so the norms stay 1)
    raw = feat.set_params(normalize=False).transform(data[0][:5])
    np.testing.assert_allclose(raw, fitted[1][:5], atol=2e-5)


# --------------------------------------------------------------------------
# the cache
# --------------------------------------------------------------------------


def test_each_distinct_text_is_encoded_once(fitted, data):
    feat, X_train = fitted
    new = [f"{t} (variant)" for t in data[2][:30]]
    texts = new + new[:10] + data[0][:50]  # 30 new distinct texts, repeats, seen texts
    hits0, _, enc0 = _stats(feat)
    out = feat.transform(texts)
    hits1, _, enc1 = _stats(feat)
    assert enc1 - enc0 == 30  # only the new distinct texts went through the encoder
    assert hits1 - hits0 == 50  # the 50 seen texts came from the cache
    np.testing.assert_array_equal(out[30:40], out[:10])  # repeats share one vector
    np.testing.assert_array_equal(out[40:], X_train[:50])
    # second transform: nothing is encoded
    again = feat.transform(texts)
    assert _stats(feat)[2] == enc1
    np.testing.assert_array_equal(again, out)
    # a clone (as made by GridSearchCV) shares the cache
    twin = clone(feat).fit()
    np.testing.assert_array_equal(twin.transform(texts), out)
    assert _stats(feat)[2] == enc1


def test_grid_search_encodes_each_text_once_and_beats_prior(fitted, data):
    feat, _ = fitted
    X_train, Y_train, X_test, Y_test = data
    texts = [f"{t} [grid]" for t in X_train]  # texts no other test has encoded
    test_texts = [f"{t} [grid]" for t in X_test]
    enc0 = _stats(feat)[2]
    pipe = Pipeline([
        ("features", clone(feat)),
        ("clf", BinaryRelevance(LogisticRegression(max_iter=500))),
    ])
    search = GridSearchCV(
        pipe, {"clf__estimator__C": [1.0, 10.0]}, scoring=metrics.get_scorer("lrap"),
        cv=MultilabelStratifiedKFold(n_splits=3, shuffle=True, random_state=0),
    )
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*single class in the training data.*")
        search.fit(texts, Y_train)
    # 2 candidates x 3 folds + the refit: 7 fits, 13 transforms, each text encoded once
    assert _stats(feat)[2] - enc0 == len(set(texts))
    proba = search.predict_proba(test_texts)
    assert _stats(feat)[2] - enc0 == len(set(texts)) + len(set(test_texts))
    prior = np.tile(Y_train.mean(axis=0), (len(X_test), 1))
    lrap = metrics.label_ranking_average_precision(Y_test, proba)
    lrap_prior = metrics.label_ranking_average_precision(Y_test, prior)
    assert lrap > lrap_prior + 0.04, (lrap, lrap_prior)


def test_disk_cache_is_reused_by_a_new_process_state(model_dir, data, tmp_path):
    from mlkit.features import SentenceEmbeddingFeaturizer, clear_embedding_cache

    cache_dir = tmp_path / "emb"
    texts = [f"{t} [disk]" for t in data[2][:25]]
    feat = SentenceEmbeddingFeaturizer(model_dir, cache=cache_dir, verbose=False).fit()
    first = feat.transform(texts)
    [ns_dir] = list(cache_dir.iterdir())
    shards = list(ns_dir.glob("shard-*.npz"))
    assert len(shards) == 1
    info = json.loads((ns_dir / "info.json").read_text())
    assert info["fingerprint"] == feat.model_fingerprint_ and info["dim"] == 384
    assert not list(ns_dir.glob("*.mlkit-tmp"))  # atomic writes leave no temporary files
    # forget the in-memory cache (as a new process would start): the disk serves
    clear_embedding_cache(encoders=False)
    again = SentenceEmbeddingFeaturizer(model_dir, cache=cache_dir, verbose=False).fit()
    out = again.transform(texts)
    np.testing.assert_array_equal(out, first)
    assert _stats(again)[2] == 0  # nothing encoded
    assert len(list(ns_dir.glob("shard-*.npz"))) == 1


def test_pickle_keeps_neither_weights_nor_cache(fitted, data):
    feat, X_train = fitted
    blob = pickle.dumps(feat)
    assert len(blob) < 5_000  # parameters and fitted attributes only
    back = pickle.loads(blob)
    assert back.model_fingerprint_ == feat.model_fingerprint_
    # (the cache may have been cleared by another test: then the batches differ, and
    # float rounding with them)
    np.testing.assert_allclose(back.transform(data[0][:40]), X_train[:40], atol=2e-5)


def test_cache_size_is_bounded(model_dir, data):
    from mlkit.features import SentenceEmbeddingFeaturizer, embedding_cache_info

    feat = SentenceEmbeddingFeaturizer(model_dir, memory_cache_mb=0.01, verbose=False).fit()
    feat.transform([f"{t} [bounded]" for t in data[2][:20]])
    ns = feat._namespace(feat.model_fingerprint_)
    [info] = [i for i in embedding_cache_info() if i["namespace"] == ns]
    assert info["megabytes"] <= 0.01 + 384 * 4 / 2**20  # at most one entry over
    assert info["entries"] < 20


def test_layers_concatenate_mean_pooled_hidden_states(model_dir, fitted, data):
    from mlkit.features import SentenceEmbeddingFeaturizer

    feat, X_sentence = fitted
    texts = data[0][:40]
    every = SentenceEmbeddingFeaturizer(model_dir, layers="all", verbose=False).fit(texts)
    assert every.layers_ == (0, 1, 2, 3, 4, 5, 6) and every.n_features_out_ == 7 * 384
    X = every.transform(texts)
    assert X.shape == (40, 7 * 384)
    # each layer's block is scaled to unit norm separately
    np.testing.assert_allclose(np.linalg.norm(X.reshape(40, 7, 384), axis=2), 1.0, rtol=1e-5)
    # all-MiniLM-L6-v2's sentence embedding is the mean of its last layer's token states:
    # the last block of layers= is that embedding
    np.testing.assert_allclose(X[:, -384:], X_sentence[:40], atol=1e-5)
    last_two = SentenceEmbeddingFeaturizer(model_dir, layers=2, verbose=False).fit(texts)
    assert last_two.layers_ == (5, 6)
    np.testing.assert_allclose(last_two.transform(texts), X[:, 5 * 384:], atol=1e-5)
    picked = SentenceEmbeddingFeaturizer(model_dir, layers=[0, -1], normalize=False,
                                         verbose=False).fit(texts)
    raw = picked.transform(texts)
    assert picked.layers_ == (0, 6)
    # normalize=False: the raw mean-pooled states (not unit norm), same directions
    assert not np.allclose(np.linalg.norm(raw[:, :384], axis=1), 1.0)
    np.testing.assert_allclose(
        raw[:, :384] / np.linalg.norm(raw[:, :384], axis=1, keepdims=True), X[:, :384],
        atol=1e-5)
    # the layers are part of the cache namespace: no entry is shared with the sentence embedding
    assert len({feat._namespace(feat.model_fingerprint_),
                every._namespace(every.model_fingerprint_),
                last_two._namespace(last_two.model_fingerprint_)}) == 3
    for bad, match in [(0, r"'layers' parameter of SentenceEmbeddingFeaturizer must be None, "
                           r"a str among \{'all'\}, an int in the range \[1, inf\).* Got 0"),
                       (7, "has 6 transformer layers"),
                       ([1, 1], "names a layer twice"), ([7], "layer index 7 is out of range"),
                       ("last", "'layers' parameter .* Got 'last' instead"),
                       ([], r"layers=\[\] is not supported; a list of layers must be a non-empty"),
                       (["a"], "list of hidden-state indices"), (True, "layers=True is not")]:
        with pytest.raises(ValueError, match=match):
            SentenceEmbeddingFeaturizer(model_dir, layers=bad).fit(texts)


# --------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------


def test_progress_bar_only_when_verbose(fitted, data, capfd):
    feat, _ = fitted
    texts = [f"{t} [progress]" for t in data[2][:12]]
    assert feat.verbose is False  # the library default: silent
    capfd.readouterr()
    clone(feat).fit(texts).transform(texts[:6])  # encodes 6 new texts
    assert capfd.readouterr().err == ""
    loud = clone(feat).set_params(verbose=True, batch_size=4)
    loud.fit_transform(texts)  # 6 new texts (the others come from the cache)
    err = capfd.readouterr().err
    assert "Encoding: 100%" in err and "6/6" in err, err
    loud.transform(texts)  # everything cached: no bar
    assert capfd.readouterr().err == ""
    # "auto" stays quiet on small inputs (and when stderr is not a terminal)
    clone(feat).set_params(verbose="auto").fit().transform([f"{t} [auto]" for t in texts])
    assert capfd.readouterr().err == ""


# --------------------------------------------------------------------------
# make_classifier("embeddings")
# --------------------------------------------------------------------------


def test_make_classifier_embeddings(model_dir, data, fitted):
    from mlkit.features import SentenceEmbeddingFeaturizer

    X_train, Y_train, X_test, Y_test = data
    model = mlkit.make_classifier("embeddings", model=model_dir)
    assert [n for n, _ in model.steps] == ["features", "classifier"]
    assert isinstance(model.named_steps["features"], SentenceEmbeddingFeaturizer)
    assert model.named_steps["classifier"].cv == 5
    labels = mlkit.indicator_to_labels(Y_train, [str(n) for n in range(28)])
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*single class in the training data.*")
        model.fit(X_train, labels)
    assert list(model.classes_) == sorted({n for row in labels for n in row})
    pred = model.predict(X_test)
    assert pred.shape == (N_TEST, len(model.classes_)) and set(np.unique(pred)) <= {0, 1}
    assert model.named_steps["classifier"].thresholds_.shape == (len(model.classes_),)
    with pytest.raises(ValueError, match="takes no model="):
        mlkit.make_classifier("tfidf", model=model_dir)
    with pytest.raises(ValueError, match="supports \\('tfidf', 'embeddings', 'transformer'\\)"):
        mlkit.make_classifier("bert")


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------


def test_bad_input_errors(model_dir, fitted, tmp_path):
    from mlkit.features import SentenceEmbeddingFeaturizer

    feat, _ = fitted
    with pytest.raises(TypeError, match="a single str object was received"):
        feat.transform("one text")
    with pytest.raises(ValueError, match="empty list of texts"):
        feat.transform([])
    with pytest.raises(ValueError, match="missing text"):
        feat.transform(["ok", None])
    with pytest.raises(OSError, match="no such directory"):
        SentenceEmbeddingFeaturizer(str(tmp_path / "nowhere" / "model")).fit()
    with pytest.raises(OSError, match="downloads are disabled"):
        SentenceEmbeddingFeaturizer("someone/not-a-cached-model").fit()
    with pytest.raises(OSError, match="not a loadable model checkpoint"):
        SentenceEmbeddingFeaturizer(str(tmp_path)).fit()
    with pytest.raises(ValueError, match="'cache' parameter of SentenceEmbeddingFeaturizer "
                                         "must be an instance of 'str'.* Got 42 instead"):
        SentenceEmbeddingFeaturizer(model_dir, cache=42).fit()
    with pytest.raises(ValueError, match="cache='' is not supported; use 'memory'"):
        SentenceEmbeddingFeaturizer(model_dir, cache="").fit()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is not a directory"):
        SentenceEmbeddingFeaturizer(model_dir, cache=tmp_path / "file").fit()
    with pytest.raises(ValueError, match=r"'batch_size' parameter of SentenceEmbeddingFeaturizer "
                                         r"must be an int in the range \[1, inf\). Got 0"):
        SentenceEmbeddingFeaturizer(model_dir, batch_size=0).fit()
    # parameters are checked in transform too (set_params after fit)
    with pytest.raises(ValueError, match="'normalize' parameter"):
        clone(feat).set_params(normalize="yes").fit().transform(["ok"])
    with pytest.raises(ValueError, match="'normalize' parameter"):
        clone(feat).fit().set_params(normalize="yes").transform(["ok"])
    with pytest.raises(ValueError, match="model is an empty string"):
        SentenceEmbeddingFeaturizer("").fit()
    with pytest.raises(ValueError, match="device='tpu' is not supported"):
        SentenceEmbeddingFeaturizer(model_dir, device="tpu").fit()


def test_missing_extra_names_the_install_command():
    result = run_without_torch("""
        import mlkit, mlkit.features
        assert "torch" not in sys.modules
        feat = mlkit.features.SentenceEmbeddingFeaturizer()   # constructing needs no torch
        model = mlkit.make_classifier("embeddings")           # nor does building the pipeline
        try:
            feat.fit(["a text"])
        except ImportError as e:
            print("ERROR:", e)
    """)
    assert result.returncode == 0, result.stderr
    assert 'pip install "mlkit[embeddings]"' in result.stdout
    assert "SentenceEmbeddingFeaturizer requires" in result.stdout


def test_import_mlkit_features_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, mlkit, mlkit.features, mlkit.transformer, mlkit._factory; "
            "mlkit.make_classifier('embeddings'); mlkit.make_classifier('transformer'); "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
