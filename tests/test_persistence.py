"""mlkit.persistence: model files round-trip with their metadata, are written atomically,
load through the safe (skops) path by default, refuse pickles and untrusted types unless
trusted, warn on version mismatch, and reject files from other programs or newer formats."""

import json
import pickle
import zipfile

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

import mlkit
from mlkit.persistence import (
    FORMAT_VERSION,
    TRUSTED_TYPES,
    ModelFileError,
    ModelVersionWarning,
    UntrustedModelError,
    find_threshold_tuner,
    load_model,
    read_metadata,
    save_model,
)

pytest.importorskip("skops")
pytestmark = pytest.mark.usefixtures("single_blas_thread")


@pytest.fixture(scope="module")
def fitted(goemotions_slice):
    """The default TF-IDF model on 400 GoEmotions rows (2-fold threshold tuning)."""
    X, Y = goemotions_slice.X_train[:400], goemotions_slice.Y_train[:400]
    labels = mlkit.indicator_to_labels(Y, goemotions_slice.label_names)
    model = mlkit.make_classifier("tfidf").set_params(classifier__cv=2).fit(X, labels)
    return model, X, labels


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, fitted):
    model, X, labels = fitted
    path = tmp_path_factory.mktemp("models") / "model.mlkit"
    manifest = save_model(model, path, training_data=(X, labels),
                          metrics={"out_of_fold": {"f1_micro": 0.5}}, metadata={"note": "test"})
    return path, manifest


def _rewrite_manifest(src, dst, **changes):
    """Copy a model file, changing its manifest (the payload is kept)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "mlkit-model.json":
                manifest = json.loads(data)
                for key, value in changes.items():
                    if isinstance(value, dict) and isinstance(manifest.get(key), dict):
                        manifest[key].update(value)
                    else:
                        manifest[key] = value
                data = json.dumps(manifest).encode()
            zout.writestr(item, data)
    return dst


def test_round_trip_predicts_the_same(model_file, fitted, goemotions_slice):
    model = fitted[0]
    path, _ = model_file
    loaded = load_model(path)
    X = goemotions_slice.X_test[:100]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert list(loaded.classes_) == list(model.classes_)


def test_metadata_is_complete(model_file, fitted):
    model, X, labels = fitted
    path, manifest = model_file
    meta = read_metadata(path)
    assert meta == manifest
    assert meta["format"] == "mlkit-model" and meta["format_version"] == FORMAT_VERSION
    assert meta["serializer"] == "skops"
    versions = meta["versions"]
    assert versions["mlkit"] == mlkit.__version__
    for dist in ("python", "numpy", "scipy", "scikit-learn", "joblib", "skops"):
        assert dist in versions
    assert "torch" not in versions  # the TF-IDF model does not use it
    assert meta["label_names"] == [str(n) for n in model.classes_]
    thr = meta["thresholds"]
    tuner = find_threshold_tuner(model)
    np.testing.assert_allclose(thr["values"], tuner.thresholds_)
    assert thr["units"] == "decision_function"
    # the probability equivalents switch labels on exactly where the thresholds do
    probs = np.asarray(thr["probability"])
    assert probs.shape == tuner.thresholds_.shape and np.all((probs > 0) & (probs < 1))
    from mlkit.io import _fingerprint

    Y, names = mlkit.labels_to_indicator(labels, model.classes_)
    assert meta["training_data"]["fingerprint"] == _fingerprint(X, Y, names)
    assert meta["training_data"]["n_rows"] == 400
    assert meta["metrics"] == {"out_of_fold": {"f1_micro": 0.5}}
    assert meta["metadata"] == {"note": "test"}
    assert meta["created_at"].endswith("+00:00")
    assert meta["estimator"]["steps"][1]["class"] == "mlkit.thresholds.ThresholdTuner"


def test_with_metadata(model_file):
    path, manifest = model_file
    estimator, meta = load_model(path, with_metadata=True)
    assert meta["payload"] == manifest["payload"]
    assert hasattr(estimator, "predict")


def test_training_data_from_dataset(tmp_path, fitted, jigsaw_sample):
    from conftest import shared_data_dir

    from mlkit.io import read_dataset

    ds = read_dataset(shared_data_dir() / "jigsaw_sample" / "train.csv")
    manifest = save_model(fitted[0], tmp_path / "m.mlkit", training_data=ds)
    assert manifest["training_data"]["fingerprint"] == ds.fingerprint()
    assert manifest["training_data"]["label_cols"][0] == "toxic"


def test_default_model_needs_only_trusted_types(model_file):
    import skops.io as sio

    with zipfile.ZipFile(model_file[0]) as zf:
        data = zf.read("estimator.skops")
    assert set(sio.get_untrusted_types(data=data)) <= set(TRUSTED_TYPES)


def test_save_is_atomic(tmp_path, fitted):
    path = tmp_path / "model.mlkit"
    save_model(fitted[0], path)
    before = path.read_bytes()

    class Unpicklable(BaseEstimator):
        def fit(self, X, y=None):
            self.fitted_ = lambda: None  # neither skops nor pickle can store a lambda
            return self

    with pytest.raises(Exception), pytest.warns(UserWarning):  # noqa: B017
        save_model(Unpicklable().fit([[0]]), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.mlkit"]


class _Custom(ClassifierMixin, BaseEstimator):
    """An estimator type that mlkit does not trust."""

    def fit(self, X, Y):
        self.classes_ = np.asarray(["a", "b"], dtype=object)
        self.n_ = len(X)
        return self

    def predict(self, X):
        return np.zeros((len(X), 2), dtype=int)

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.25)


def test_untrusted_type_falls_back_to_pickle_and_is_refused(tmp_path):
    path = tmp_path / "custom.mlkit"
    with pytest.warns(UserWarning, match=r"Saving _Custom with pickle because it holds types "
                                         r"outside mlkit's trusted list.*trusted=True"):
        manifest = save_model(_Custom().fit(["x"], None), path)
    assert manifest["serializer"] == "pickle"
    with pytest.raises(UntrustedModelError, match=r"stores its estimator with pickle.*runs code"
                                                  r".*trusted=True"):
        load_model(path)
    assert read_metadata(path)["label_names"] == ["a", "b"]  # metadata needs no trust
    assert load_model(path, trusted=True).predict(["x"]).shape == (1, 2)


def test_serializer_skops_refuses_untrusted_types(tmp_path):
    with pytest.raises(ModelFileError, match="cannot be saved in the safe format"):
        save_model(_Custom().fit(["x"], None), tmp_path / "c.mlkit", serializer="skops")


def test_forced_pickle(tmp_path, fitted):
    path = tmp_path / "p.mlkit"
    assert save_model(fitted[0], path, serializer="pickle")["serializer"] == "pickle"
    with pytest.raises(UntrustedModelError):
        load_model(path)
    np.testing.assert_array_equal(load_model(path, trusted=True).predict(["so happy"]),
                                  fitted[0].predict(["so happy"]))


def test_skops_payload_with_untrusted_types_is_refused(tmp_path, model_file):
    """A crafted file whose skops payload needs a type outside the trusted list."""
    import hashlib

    import skops.io as sio

    payload = sio.dumps(_Custom().fit(["x"], None))
    manifest = read_metadata(model_file[0])
    manifest["payload"] = {"name": "estimator.skops",
                           "sha256": hashlib.sha256(payload).hexdigest(), "size": len(payload)}
    path = tmp_path / "crafted.mlkit"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("estimator.skops", payload)
        zf.writestr("mlkit-model.json", json.dumps(manifest))
    name = f"{__name__}._Custom"
    with pytest.raises(UntrustedModelError, match=f"needs types that mlkit does not trust: "
                                                  f"{name}"):
        load_model(path)
    assert isinstance(load_model(path, trusted=[name]), _Custom)


def test_version_mismatch_warns(tmp_path, model_file):
    path = _rewrite_manifest(model_file[0], tmp_path / "old.mlkit",
                             versions={"mlkit": "0.0.1", "scikit-learn": "1.0.2"})
    with pytest.warns(ModelVersionWarning, match=r"written with mlkit 0\.0\.1 \(now "
                                                 rf"{mlkit.__version__}\), scikit-learn 1\.0\.2"):
        load_model(path)


def test_newer_format_is_refused(tmp_path, model_file):
    path = _rewrite_manifest(model_file[0], tmp_path / "new.mlkit", format_version=99,
                             versions={"mlkit": "9.0"})
    with pytest.raises(ModelFileError, match=r"uses model format version 99, written by mlkit "
                                             r"9\.0; this mlkit .* reads format version 1 and "
                                             r"older\. Upgrade mlkit"):
        load_model(path)
    with pytest.raises(ModelFileError, match="format version 99"):
        read_metadata(path)


def test_damaged_payload_is_detected(tmp_path, model_file):
    path = tmp_path / "damaged.mlkit"
    with zipfile.ZipFile(model_file[0]) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "estimator.skops":
                data = data[:-10] + b"0123456789"
            zout.writestr(item, data)
    with pytest.raises(ModelFileError, match="is damaged: .*does not match the checksum"):
        load_model(path)


def test_truncated_file(tmp_path, model_file):
    path = tmp_path / "truncated.mlkit"
    path.write_bytes(model_file[0].read_bytes()[:1000])
    with pytest.raises(ModelFileError, match="not an mlkit model file|damaged"):
        load_model(path)


@pytest.mark.parametrize("kind,content,match", [
    ("pickle", None, r"looks like a Python pickle"),
    ("csv", b"text,toxic\nhello,0\n", r"looks like a text file"),
    ("json", b'{"a": 1}', r"looks like a JSON file"),
    ("empty", b"", r"looks like an empty file"),
    ("zip", None, r"a ZIP archive from another program"),
    ("skops", None, r"a skops file"),
    ("manifest", None, r"does not declare the 'mlkit-model' format"),
])
def test_files_from_other_programs(tmp_path, kind, content, match):
    path = tmp_path / f"other.{kind}"
    if kind == "pickle":
        path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    elif kind == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("readme.txt", "hello")
    elif kind == "skops":
        import skops.io as sio

        sio.dump({"a": 1}, path)
    elif kind == "manifest":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("mlkit-model.json", json.dumps({"format": "something-else"}))
    else:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelFileError, match=r"No such model file: .*nope\.mlkit"):
        load_model(tmp_path / "nope.mlkit")


def test_bad_arguments(tmp_path, fitted):
    with pytest.raises(ValueError, match="serializer must be 'auto', 'skops' or 'pickle'"):
        save_model(fitted[0], tmp_path / "m.mlkit", serializer="json")
    with pytest.raises(TypeError, match="metadata must be JSON-serializable"):
        save_model(fitted[0], tmp_path / "m.mlkit", metadata={"f": object()})
    with pytest.raises(Exception, match="not fitted"):  # noqa: B017
        save_model(mlkit.make_classifier("tfidf"), tmp_path / "m.mlkit")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(fitted[0], tmp_path / "no" / "m.mlkit")


def test_find_threshold_tuner(fitted):
    model = fitted[0]
    assert find_threshold_tuner(model) is model.named_steps["classifier"]
    assert find_threshold_tuner(model.named_steps["classifier"]) is not None
    assert find_threshold_tuner(model.named_steps["features"]) is None


def _crafted_model_file(path, estimator, like):
    """A model file whose skops payload is ``estimator`` (manifest copied from ``like``)."""
    import hashlib

    import skops.io as sio

    payload = sio.dumps(estimator)
    manifest = read_metadata(like)
    manifest["payload"] = {"name": "estimator.skops",
                           "sha256": hashlib.sha256(payload).hexdigest(), "size": len(payload)}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("estimator.skops", payload)
        zf.writestr("mlkit-model.json", json.dumps(manifest))
    return path


def test_embedding_featurizer_state_is_vetted(tmp_path, model_file):
    """The embedding featurizer is trusted, but not one that would download its encoder or
    write a disk cache where the file says (constructing it needs no torch)."""
    from mlkit.features import SentenceEmbeddingFeaturizer

    ok = _crafted_model_file(tmp_path / "ok.mlkit", SentenceEmbeddingFeaturizer("enc"),
                             model_file[0])
    assert load_model(ok).model == "enc"
    bad = _crafted_model_file(
        tmp_path / "bad.mlkit",
        SentenceEmbeddingFeaturizer("enc", cache=str(tmp_path / "c"), local_files_only=False),
        model_file[0])
    with pytest.raises(UntrustedModelError, match=r"local_files_only=False .* disk cache"):
        load_model(bad)
    assert load_model(bad, trusted=True).cache == str(tmp_path / "c")


def test_transformer_checkpoint_names_are_vetted(tmp_path, model_file):
    """A TransformerClassifier rebuilds itself from checkpoint files stored in the payload:
    a name that would be written outside its temporary folder is refused before loading."""
    from mlkit.transformer import TransformerClassifier

    clf = TransformerClassifier("enc")
    clf._checkpoint_files = {"config.json": b"{}", "../../escape.txt": b"owned"}
    bad = _crafted_model_file(tmp_path / "bad.mlkit", clf, model_file[0])
    with pytest.raises(UntrustedModelError, match=r"unsafe file names \['\.\./\.\./escape"):
        load_model(bad)


@pytest.mark.slow
def test_transformer_classifier_round_trip_is_safe(tmp_path, monkeypatch, jigsaw_sample):
    """A fine-tuned TransformerClassifier is saved with skops (its checkpoint inside the
    payload) and loads through the safe path with the same probabilities."""
    from _neural_fixtures import minilm_dir

    from mlkit.transformer import TransformerClassifier

    minilm = minilm_dir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    texts = list(jigsaw_sample.texts[:40])
    clf = TransformerClassifier(minilm, epochs=1, max_length=32, random_state=0)
    clf.fit(texts, jigsaw_sample.labels.iloc[:40])
    path = tmp_path / "transformer.mlkit"
    manifest = save_model(clf, path)
    assert manifest["serializer"] == "skops"
    assert {"torch", "transformers"} <= set(manifest["versions"])
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict_proba(texts[:5]), clf.predict_proba(texts[:5]),
                               atol=1e-5)
