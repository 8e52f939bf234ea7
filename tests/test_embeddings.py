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
    with pytest.raises(ValueError, match="supports \\('tfidf', 'embeddings', 'transformer', "
                                         "'hybrid'\\)"):
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


# --------------------------------------------------------------------------
# through SentenceTransformer.encode: equal to the direct module calls of before,
# prompts, truncate_dim, precision, the multi-process pool (issue 13, item 6)
# --------------------------------------------------------------------------


def _direct_features(encoder, texts, layers=None, batch_size=64):
    """The featurizer's output before it went through ``encode`` (the reference): the
    model's modules called directly on token-length sorted batches, or the Hugging Face
    model's hidden states mean-pooled over the attention mask. Raw float32 rows."""
    import torch
    from sentence_transformers.util import batch_to_device

    ids = encoder.tokenizer(texts, truncation=True, max_length=encoder.max_seq_length)
    order = np.argsort(-np.asarray([len(x) for x in ids["input_ids"]]), kind="stable")
    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            features = encoder.preprocess([texts[i] for i in order[start:start + batch_size]])
            features = batch_to_device(features, encoder.device)
            if layers is None:
                rows.append(encoder(features)["sentence_embedding"].numpy())
                continue
            inputs = {k: features[k] for k in ("input_ids", "attention_mask", "token_type_ids")
                      if k in features}
            states = encoder[0].model(**inputs, output_hidden_states=True).hidden_states
            mask = features["attention_mask"].unsqueeze(-1).float()
            rows.append(torch.cat([(states[i] * mask).sum(1) / mask.sum(1) for i in layers],
                                  dim=1).numpy())
    out = np.empty((len(texts), rows[0].shape[1]), dtype=np.float32)
    out[order] = np.concatenate(rows)
    return out


@pytest.fixture(scope="module")
def prompted_model_dir(model_dir, tmp_path_factory):
    """The MiniLM model with prompts in its configuration (a default one, as instruction
    models have): the same files, linked, and its own config_sentence_transformers.json."""
    from pathlib import Path

    path = tmp_path_factory.mktemp("prompted-minilm")
    for entry in Path(model_dir).iterdir():
        if entry.name != "config_sentence_transformers.json":
            (path / entry.name).symlink_to(entry)
    (path / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"classification": "Classify the emotion of this comment: ",
                    "query": "query: "},
        "default_prompt_name": "classification"}))
    return str(path)


def test_features_equal_the_direct_module_calls_of_before(model_dir, data):
    from sentence_transformers import SentenceTransformer

    from mlkit.features import SentenceEmbeddingFeaturizer

    texts = data[0][:120] + data[2][:80]
    encoder = SentenceTransformer(model_dir, device="cpu", local_files_only=True)
    for layers in (None, "all", [0, -1]):
        feat = SentenceEmbeddingFeaturizer(model_dir, layers=layers, normalize=False,
                                           cache=None, device="cpu").fit()
        X = feat.transform(texts)
        reference = _direct_features(encoder, texts, feat.layers_)
        assert X.shape == reference.shape
        np.testing.assert_allclose(X, reference, rtol=0, atol=1e-6)
        # what the fitted featurizer's encoder_ returns through encode is the same
        np.testing.assert_allclose(feat.encoder_.encode(texts[:10], batch_size=64), X[:10],
                                   rtol=0, atol=1e-6)


def test_prompts_of_the_model_are_honoured(model_dir, prompted_model_dir, fitted, data):
    from sentence_transformers import SentenceTransformer

    from mlkit.features import SentenceEmbeddingFeaturizer

    texts = data[0][:30]
    plain = fitted[1][:30]
    st = SentenceTransformer(prompted_model_dir, device="cpu", local_files_only=True)
    default = SentenceEmbeddingFeaturizer(prompted_model_dir).fit()
    assert default.prompt_ == "Classify the emotion of this comment: "
    X = default.transform(texts)
    np.testing.assert_allclose(X, st.encode(texts, normalize_embeddings=True), atol=2e-5)
    assert np.abs(X - plain).max() > 0.05  # the prompt changes the embedding
    query = SentenceEmbeddingFeaturizer(prompted_model_dir, prompt_name="query").fit()
    assert query.prompt_ == "query: "
    np.testing.assert_allclose(query.transform(texts), st.encode(
        texts, prompt_name="query", normalize_embeddings=True), atol=2e-5)
    # prompt="" turns the default prompt off: the model's plain embedding
    off = SentenceEmbeddingFeaturizer(prompted_model_dir, prompt="").fit()
    assert off.prompt_ is None
    np.testing.assert_allclose(off.transform(texts), plain, atol=2e-5)
    own = SentenceEmbeddingFeaturizer(model_dir, prompt="query: ").fit()
    np.testing.assert_allclose(own.transform(texts), query.transform(texts), atol=2e-5)
    # layers= encode with the prompt too: their last block is the prompted embedding
    layered = SentenceEmbeddingFeaturizer(prompted_model_dir, layers=1).fit()
    assert layered.prompt_ == default.prompt_
    np.testing.assert_allclose(layered.transform(texts), X, atol=2e-5)
    # (sentence-transformers adds an empty "document" prompt of its own)
    with pytest.raises(ValueError, match=r"prompt_name='title' is not one of the model's "
                                         r"prompts \(\['classification', .*'query'\]\)"):
        SentenceEmbeddingFeaturizer(prompted_model_dir, prompt_name="title").fit()
    # MiniLM's "query" prompt (added by sentence-transformers) is empty: no prompt
    assert SentenceEmbeddingFeaturizer(model_dir, prompt_name="query").fit().prompt_ is None
    with pytest.raises(ValueError, match="prompt_name='classification' is not one of the "
                                         "model's prompts"):
        SentenceEmbeddingFeaturizer(model_dir, prompt_name="classification").fit()
    with pytest.raises(ValueError, match="were both given; give one of them"):
        SentenceEmbeddingFeaturizer(model_dir, prompt="a: ", prompt_name="query").fit()


def test_cache_namespace_names_what_changes_the_output(model_dir, prompted_model_dir, fitted,
                                                       data, tmp_path):
    from mlkit.features import SentenceEmbeddingFeaturizer

    feat, _ = fitted
    variants = {
        "plain": feat,
        "default prompt": SentenceEmbeddingFeaturizer(prompted_model_dir).fit(),
        "prompt": SentenceEmbeddingFeaturizer(model_dir, prompt="query: ").fit(),
        "truncate_dim": SentenceEmbeddingFeaturizer(model_dir, truncate_dim=64).fit(),
        "layers": SentenceEmbeddingFeaturizer(model_dir, layers=2).fit(),
        "layers + prompt": SentenceEmbeddingFeaturizer(model_dir, layers=2, prompt="q: ").fit(),
    }
    # the prompted model has the same weights: only the prompt tells their entries apart
    assert variants["default prompt"].model_fingerprint_ == feat.model_fingerprint_
    names = {k: f._namespace(f.model_fingerprint_) for k, f in variants.items()}
    assert len(set(names.values())) == len(names), names
    # precision and normalize are applied after the cache: they share the plain entries
    for other in (SentenceEmbeddingFeaturizer(model_dir, precision="binary").fit(),
                  SentenceEmbeddingFeaturizer(model_dir, normalize=False).fit(),
                  SentenceEmbeddingFeaturizer(model_dir, prompt="").fit()):
        assert other._namespace(other.model_fingerprint_) == names["plain"]
    # on disk: one directory per namespace, its info.json says what it holds
    texts = [f"{t} [namespaces]" for t in data[2][:5]]
    for key in ("plain", "default prompt", "truncate_dim"):
        clone(variants[key]).set_params(cache=tmp_path).fit().transform(texts)
    infos = {json.loads((d / "info.json").read_text())["prompt"]: json.loads(
        (d / "info.json").read_text()) for d in tmp_path.iterdir()}
    assert len(infos) == 2 and len(list(tmp_path.iterdir())) == 3
    assert infos["Classify the emotion of this comment: "]["truncate_dim"] is None


def test_truncate_dim(model_dir, fitted, data):
    from mlkit.features import SentenceEmbeddingFeaturizer

    texts = data[0][:30]
    feat = SentenceEmbeddingFeaturizer(model_dir, truncate_dim=128).fit()
    assert feat.truncate_dim_ == 128 and feat.n_features_out_ == 128
    X = feat.transform(texts)
    assert X.shape == (30, 128)
    # the first 128 dimensions, scaled to unit norm again (as encode does it)
    head = fitted[1][:30, :128]
    np.testing.assert_allclose(X, head / np.linalg.norm(head, axis=1, keepdims=True), atol=2e-5)
    np.testing.assert_allclose(X, feat.encoder_.encode(
        texts, truncate_dim=128, normalize_embeddings=True), atol=2e-5)
    assert feat.get_feature_names_out().shape == (128,)
    with pytest.raises(ValueError, match="truncate_dim=500 is larger than the model's "
                                         "embedding dimension, 384"):
        SentenceEmbeddingFeaturizer(model_dir, truncate_dim=500).fit()
    with pytest.raises(ValueError, match="cannot be combined with layers='all'; select fewer"):
        SentenceEmbeddingFeaturizer(model_dir, truncate_dim=64, layers="all").fit()
    with pytest.raises(ValueError, match=r"'truncate_dim' parameter .* Got 0"):
        SentenceEmbeddingFeaturizer(model_dir, truncate_dim=0).fit()


def test_precision(model_dir, fitted, data):
    from sentence_transformers import quantize_embeddings

    from mlkit.features import SentenceEmbeddingFeaturizer

    feat, _ = fitted
    texts, new = data[0][:80], [f"{t} [precision]" for t in data[2][:20]]
    X_float = feat.transform(texts)  # (from the cache, as the featurizers below read them)
    for precision, dtype in (("binary", np.int8), ("ubinary", np.uint8)):
        packed = SentenceEmbeddingFeaturizer(model_dir, precision=precision).fit()
        assert packed.n_features_out_ == 48  # 384 signs, 8 per byte
        X = packed.transform(texts)
        assert X.dtype == dtype and X.shape == (80, 48)
        np.testing.assert_array_equal(X, quantize_embeddings(X_float, precision))
        # what encode returns (its batches differ: a sign within float rounding of 0 may flip)
        direct = feat.encoder_.encode(texts, precision=precision, normalize_embeddings=True)
        assert direct.dtype == dtype and (X == direct).mean() > 0.999
        as_bytes = X if precision == "ubinary" else (X.astype(np.int16) + 128).astype(np.uint8)
        np.testing.assert_array_equal(np.unpackbits(as_bytes, axis=1),
                                      (X_float > 0).astype(np.uint8))
    # int8: the ranges come from the texts given to fit, not from each transform's batch
    enc0 = _stats(feat)[2]
    q = SentenceEmbeddingFeaturizer(model_dir, precision="int8")
    X_fit = q.fit_transform(texts)
    assert _stats(feat)[2] == enc0  # the float features came from the shared cache
    ranges = np.vstack((X_float.min(axis=0), X_float.max(axis=0)))
    np.testing.assert_allclose(q.quantization_ranges_, ranges)
    assert X_fit.dtype == np.int8 and X_fit.shape == (80, 384)
    np.testing.assert_array_equal(X_fit, quantize_embeddings(X_float, "int8", ranges=ranges))
    one = q.transform(new[:1])  # one text: encode alone could not calibrate it
    np.testing.assert_array_equal(one, q.transform(new)[:1])
    assert q.get_feature_names_out().shape == (384,)
    with pytest.raises(ValueError, match="precision='uint8' learns each dimension's range from "
                                         "the texts given to fit; call fit with at least 2"):
        SentenceEmbeddingFeaturizer(model_dir, precision="uint8").fit()
    with pytest.raises(ValueError, match="precision='binary' was set after fit; .* call fit"):
        clone(feat).fit().set_params(precision="binary").transform(texts[:2])
    with pytest.raises(ValueError, match=r"'precision' parameter .* Got 'float16'"):
        SentenceEmbeddingFeaturizer(model_dir, precision="float16").fit()


def test_multi_process_pool(model_dir, fitted, data):
    from mlkit.features import SentenceEmbeddingFeaturizer

    texts = [f"{t} [pool]" for t in data[2][:40]]
    pooled = SentenceEmbeddingFeaturizer(model_dir, cache=None, device=["cpu", "cpu"],
                                         batch_size=8).fit()
    assert pooled.device_ == "cpu"
    # two worker processes encode; the same vectors as one process
    np.testing.assert_allclose(pooled.transform(texts), clone(fitted[0]).set_params(
        cache=None).fit().transform(texts), atol=1e-5)
    with pytest.raises(ValueError, match=r"device=\[\] is not supported; a list of devices"):
        SentenceEmbeddingFeaturizer(model_dir, device=[]).fit()
    with pytest.raises(ValueError, match="device='tpu' is not supported"):
        SentenceEmbeddingFeaturizer(model_dir, device=["cpu", "tpu"]).fit()
    with pytest.raises(ValueError, match=r"a multi-process pool\) works with layers=None only"):
        SentenceEmbeddingFeaturizer(model_dir, device=["cpu", "cpu"], layers="all").fit()


def test_state_saved_before_the_new_parameters_loads(fitted, data):
    from mlkit.features import SentenceEmbeddingFeaturizer

    feat, X = fitted
    state = dict(feat.__getstate__())
    for name in ("prompt_name", "prompt", "truncate_dim", "precision", "prompt_",
                 "truncate_dim_", "quantization_ranges_", "_fitted_settings"):
        state.pop(name)
    old = SentenceEmbeddingFeaturizer.__new__(SentenceEmbeddingFeaturizer)
    old.__setstate__(state)
    assert old.get_params()["precision"] == "float32" and old.prompt is None
    np.testing.assert_allclose(old.transform(data[0][:10]), X[:10], atol=2e-5)
