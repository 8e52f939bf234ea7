"""mlkit.persistence: model files round-trip with their metadata, are written atomically,
load through the safe path by default (mlkit's own format, core dependencies only: no skops,
no torch), refuse pickles and untrusted types unless trusted, warn on version mismatch,
reject files from other programs or newer formats, and still read format-1 files."""

import hashlib
import json
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

import mlkit
from mlkit.persistence import (
    FORMAT_VERSION,
    MAX_UNCOMPRESSED_BYTES,
    TRUSTED_TYPES,
    ModelFileError,
    ModelVersionWarning,
    UntrustedModelError,
    find_threshold_tuner,
    load_model,
    read_metadata,
    save_model,
)

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


def test_averaged_fold_models_round_trip(tmp_path, goemotions_slice):
    # labels with 50+ examples: make_classifier("tfidf") uses 3 folds and averages them
    X, Y = goemotions_slice.X_train, goemotions_slice.Y_train
    Y = Y[:, Y.sum(axis=0) >= 50]
    model = mlkit.make_classifier("tfidf").fit(X, Y)
    tuner = model.named_steps["classifier"]
    assert (tuner.refit_, tuner.n_splits_) == ("average", 3)
    save_model(model, tmp_path / "model.mlkit")
    loaded = load_model(tmp_path / "model.mlkit")
    X_test = goemotions_slice.X_test
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    np.testing.assert_allclose(loaded.decision_function(X_test), model.decision_function(X_test))
    assert loaded.named_steps["classifier"].refit_ == "average"


def test_metadata_is_complete(model_file, fitted):
    model, X, labels = fitted
    path, manifest = model_file
    meta = read_metadata(path)
    assert meta == manifest
    assert meta["format"] == "mlkit-model" and meta["format_version"] == FORMAT_VERSION
    assert meta["serializer"] == "safe"
    assert meta["payload"]["name"] == "estimator.safe"
    versions = meta["versions"]
    assert versions["mlkit"] == mlkit.__version__
    for dist in ("python", "numpy", "scipy", "scikit-learn", "joblib"):
        assert dist in versions
    assert "torch" not in versions and "skops" not in versions  # not used by this model
    assert meta["label_names"] == [str(n) for n in model.classes_]
    thr = meta["thresholds"]
    tuner = find_threshold_tuner(model)
    np.testing.assert_allclose(thr["values"], tuner.thresholds_)
    assert thr["units"] == "decision_function"
    # the probability equivalents switch labels on exactly where the thresholds do
    probs = np.asarray(thr["probability"])
    assert probs.shape == tuner.thresholds_.shape and np.all((probs > 0) & (probs < 1))
    from mlkit.io import dataset_fingerprint

    Y, names = mlkit.labels_to_indicator(labels, model.classes_, return_names=True)
    assert meta["training_data"]["fingerprint"] == dataset_fingerprint(X, Y, names)
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


def test_default_model_needs_only_trusted_types(fitted):
    from mlkit.persistence import _safe_dumps

    assert _safe_dumps(fitted[0])[1] == []
    assert "mlkit.thresholds.SigmoidCalibrator" in TRUSTED_TYPES


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


def test_serializer_safe_refuses_untrusted_types(tmp_path):
    with pytest.raises(ModelFileError, match=r"cannot be saved in the safe format: it holds "
                                             r"types outside mlkit's trusted list: .*_Custom"):
        save_model(_Custom().fit(["x"], None), tmp_path / "c.mlkit", serializer="safe")
    assert not (tmp_path / "c.mlkit").exists()


def test_serializer_skops_refuses_untrusted_types(tmp_path):
    pytest.importorskip("skops")
    with pytest.raises(ModelFileError, match="cannot be saved in skops' format"):
        save_model(_Custom().fit(["x"], None), tmp_path / "c.mlkit", serializer="skops")


def test_forced_pickle(tmp_path, fitted):
    path = tmp_path / "p.mlkit"
    assert save_model(fitted[0], path, serializer="pickle")["serializer"] == "pickle"
    with pytest.raises(UntrustedModelError):
        load_model(path)
    np.testing.assert_array_equal(load_model(path, trusted=True).predict(["so happy"]),
                                  fitted[0].predict(["so happy"]))


def test_safe_payload_with_untrusted_types_is_refused(tmp_path, model_file):
    """A crafted file whose safe payload needs a type outside the trusted list."""
    path = _crafted_model_file(tmp_path / "crafted.mlkit", _Custom().fit(["x"], None),
                               model_file[0])
    name = f"{__name__}._Custom"
    with pytest.raises(UntrustedModelError, match=f"needs types that mlkit does not trust: "
                                                  f"{name}"):
        load_model(path)
    assert isinstance(load_model(path, trusted=[name]), _Custom)
    assert isinstance(load_model(path, trusted=True), _Custom)


def test_skops_payload_with_untrusted_types_is_refused(tmp_path, model_file):
    """A crafted file whose skops payload needs a type outside the trusted list."""
    sio = pytest.importorskip("skops.io")

    payload = sio.dumps(_Custom().fit(["x"], None))
    manifest = _neutral(read_metadata(model_file[0]))
    manifest["serializer"] = "skops"
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
                                             rf"9\.0; this mlkit .* reads format version {FORMAT_VERSION} and "
                                             r"older\. Upgrade mlkit"):
        load_model(path)
    with pytest.raises(ModelFileError, match="format version 99"):
        read_metadata(path)


def test_damaged_payload_is_detected(tmp_path, model_file):
    path = tmp_path / "damaged.mlkit"
    with zipfile.ZipFile(model_file[0]) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "estimator.safe":
                data = data[:-10] + b"0123456789"
            zout.writestr(item, data)
    with pytest.raises(ModelFileError, match="is damaged: .*does not match the checksum"):
        load_model(path)


def test_truncated_file(tmp_path, model_file):
    path = tmp_path / "truncated.mlkit"
    path.write_bytes(model_file[0].read_bytes()[:1000])
    with pytest.raises(ModelFileError, match="a truncated or damaged ZIP archive"):
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
    elif kind == "skops":  # the layout of skops.io.dump's files
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("schema.json", json.dumps({"__class__": "dict", "protocol": 2}))
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
    with pytest.raises(ValueError, match="serializer must be one of 'auto', 'safe', 'skops', "
                                         "'pickle'; got 'json'"):
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


def _neutral(manifest):
    """``manifest`` without the facts of its estimator (label names, thresholds, class),
    for a file holding another estimator (load_model refuses a manifest that disagrees)."""
    return {**manifest, "label_names": None, "thresholds": None, "estimator": None}


def _write_payload(path, payload, like, serializer="safe"):
    """A model file holding ``payload`` (bytes), its manifest copied from ``like``."""
    manifest = _neutral(read_metadata(like))
    manifest["serializer"] = serializer
    member = f"estimator.{serializer}"
    manifest["payload"] = {"name": member, "sha256": hashlib.sha256(payload).hexdigest(),
                           "size": len(payload)}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, payload)
        zf.writestr("mlkit-model.json", json.dumps(manifest))
    return path


def _crafted_model_file(path, estimator, like):
    """A model file whose safe payload is ``estimator``, whatever its types."""
    from mlkit.persistence import _safe_dumps

    return _write_payload(path, _safe_dumps(estimator)[0], like)


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


def test_embedding_encoding_settings_are_vetted(tmp_path, model_file):
    """A device list starts one process with a model copy per entry at every transform, a
    prompt is prepended to every text: both are bounded; precision is one of five names."""
    from mlkit.features import SentenceEmbeddingFeaturizer as F

    fine = F("enc", device=["cpu", "cuda:1"], prompt="query: ", truncate_dim=64,
             precision="int8")
    ok = _crafted_model_file(tmp_path / "ok.mlkit", fine, model_file[0])
    assert load_model(ok).get_params()["device"] == ["cpu", "cuda:1"]
    for i, (params, match) in enumerate([
            ({"device": ["cpu"] * 17}, r"device=\['cpu'"),
            ({"device": ["cpu; rm -rf /"]}, r"device="),
            ({"prompt": "x" * 10_001}, r"prompt="),
            ({"truncate_dim": 0}, r"truncate_dim=0"),
            ({"precision": "float16"}, r"precision='float16'")]):
        bad = _crafted_model_file(tmp_path / f"bad{i}.mlkit", F("enc", **params),
                                  model_file[0])
        with pytest.raises(UntrustedModelError, match=match):
            load_model(bad)


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
    """A fine-tuned TransformerClassifier is saved in the safe format (its checkpoint inside
    the payload) and loads through the safe path with the same probabilities."""
    from _neural_fixtures import minilm_dir

    from mlkit.transformer import TransformerClassifier

    minilm = minilm_dir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    texts = list(jigsaw_sample.texts[:40])
    clf = TransformerClassifier(minilm, epochs=1, max_length=32, random_state=0)
    clf.fit(texts, jigsaw_sample.labels.iloc[:40])
    path = tmp_path / "transformer.mlkit"
    manifest = save_model(clf, path)
    assert manifest["serializer"] == "safe"
    assert {"torch", "transformers"} <= set(manifest["versions"])
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict_proba(texts[:5]), clf.predict_proba(texts[:5]),
                               atol=1e-5)


# --------------------------------------------------------------------------
# the safe format: core dependencies only, fast, declarative
# --------------------------------------------------------------------------


def _run_python(code):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_loading_a_tfidf_model_imports_neither_torch_nor_skops(model_file):
    """The safe path needs only the core dependencies: loading (and predicting with) a
    TF-IDF model in a fresh process imports neither torch nor skops."""
    out = _run_python(f"""
        import sys
        from mlkit.persistence import load_model
        model = load_model({str(model_file[0])!r})
        model.predict(["so happy for you", "this is awful"])
        print(sorted(m for m in ("torch", "skops") if m in sys.modules))
    """)
    assert out.strip() == "[]"


def test_safe_by_default_without_skops(tmp_path, goemotions_slice):
    """With skops not installed (its import blocked), save_model still writes the safe
    format and load_model reads it; pickle happens only on request."""
    path = tmp_path / "m.mlkit"
    out = _run_python(f"""
        import sys
        sys.modules["skops"] = None  # as if not installed
        import mlkit
        from mlkit.persistence import load_model, save_model
        texts = ["good film", "bad film", "great plot", "awful plot"] * 5
        labels = [["pos"], ["neg"], ["pos", "plot"], ["neg", "plot"]] * 5
        model = mlkit.make_classifier("tfidf").set_params(classifier__cv=2).fit(texts, labels)
        manifest = save_model(model, {str(path)!r})
        loaded = load_model({str(path)!r})
        assert (loaded.predict(texts) == model.predict(texts)).all()
        save_model(model, {str(path) + ".pkl"!r}, serializer="pickle")
        print(manifest["serializer"], "torch" in sys.modules)
    """)
    assert out.split() == ["safe", "False"]
    with pytest.raises(UntrustedModelError, match="pickle"):
        load_model(str(path) + ".pkl")


def test_threshold_tuner_calibrator_round_trips(model_file, fitted, goemotions_slice):
    """The tuner's SigmoidCalibrator (probabilities from decision scores) is rebuilt as is:
    identical predict, predict_proba and probability thresholds."""
    from mlkit.thresholds import SigmoidCalibrator

    model = fitted[0]
    loaded = load_model(model_file[0])
    tuner, original = find_threshold_tuner(loaded), find_threshold_tuner(model)
    assert isinstance(tuner.calibrator_, SigmoidCalibrator)
    assert tuner.calibrator_ is not original.calibrator_
    assert vars(tuner.calibrator_).keys() == vars(original.calibrator_).keys()
    X = goemotions_slice.X_test[:300]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(tuner.proba_thresholds_, original.proba_thresholds_)
    scores = original.tuned_scores(model[:-1].transform(X[:20]))
    np.testing.assert_array_equal(tuner.calibrate(scores), original.calibrate(scores))


def test_safe_format_round_trips_every_kind_of_value():
    """Containers, numpy and scipy values, random states and shared references survive."""
    import scipy.sparse as sp
    from sklearn.dummy import DummyClassifier

    from mlkit.persistence import _safe_dumps, _safe_loads

    rng = np.random.default_rng(0)
    shared = np.arange(6.0).reshape(2, 3)
    est = DummyClassifier()
    est.values_ = {
        "tuple": (1, 2.5, "x", None, True), "set": {1, 2}, "frozen": frozenset({"a"}),
        "int_keys": {1: "a", (2, 3): [4.0]}, "bytes": b"\x00\x01", "complex": 1 + 2j,
        "slice": slice(1, None, 2), "nan": float("nan"), "big": 2**100,
        "np_scalars": [np.float32(1.5), np.int64(-3), np.bool_(True), np.str_("s")],
        "dtype": np.dtype("<f4"), "type": np.float64, "builtin_type": int,
        "fortran": np.asfortranarray(rng.random((3, 4))), "zero_d": np.array(3.0),
        "strings": np.array(["a", "bc"]), "objects": np.array(["a", 1, None], dtype=object),
        "empty": np.zeros((0, 5)), "big_endian": np.arange(3, dtype=">i4"),
        "csr": sp.random(5, 4, density=0.4, format="csr", random_state=0),
        "csc_array": sp.csc_array(np.eye(3)), "coo": sp.coo_matrix(np.eye(2)),
        "lil": sp.lil_matrix(np.eye(2)), "random_state": np.random.RandomState(3),
        "generator": np.random.default_rng(4), "shared": [shared, shared],
    }
    payload, untrusted = _safe_dumps(est)
    assert untrusted == []
    back = _safe_loads(payload, "mem")
    assert type(back) is DummyClassifier
    v, w = est.values_, back.values_
    for key in ("tuple", "set", "frozen", "int_keys", "bytes", "complex", "slice", "big",
                "dtype", "type", "builtin_type"):
        assert w[key] == v[key] and type(w[key]) is type(v[key]), key
    assert np.isnan(w["nan"])
    for a, b in zip(v["np_scalars"], w["np_scalars"], strict=True):
        assert a == b and type(a) is type(b)
    for key in ("fortran", "zero_d", "strings", "objects", "empty", "big_endian"):
        np.testing.assert_array_equal(w[key], v[key])
        assert w[key].dtype == v[key].dtype and w[key].shape == v[key].shape, key
        assert w[key].flags.writeable
    assert w["fortran"].flags.f_contiguous
    for key in ("csr", "csc_array", "coo", "lil"):
        assert type(w[key]) is type(v[key]) and (w[key] != v[key]).nnz == 0, key
    assert w["random_state"].randint(1000) == v["random_state"].randint(1000)
    assert w["generator"].random() == v["generator"].random()
    assert w["shared"][0] is w["shared"][1]


@pytest.mark.parametrize("value,match", [
    (lambda x: x, "cannot describe the local function"),
    (print, r"holds types outside mlkit's trusted list: builtins\.print"),
    (pickle.dumps, r"trusted list: _pickle\.dumps"),
])
def test_functions_need_trust(tmp_path, value, match):
    """Functions are stored by name and are never trusted by default."""
    from sklearn.dummy import DummyClassifier

    est = DummyClassifier().fit([[0], [1]], [0, 1])
    est.hook_ = value
    with pytest.raises(ModelFileError, match=match):
        save_model(est, tmp_path / "f.mlkit", serializer="safe")


def _hostile_tree(root):
    """A safe payload whose tree.json has ``root`` (and data/0 holding 16 bytes)."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("tree.json", json.dumps({"format": "mlkit-safe", "version": 1,
                                             "root": root}))
        zf.writestr("data/0", b"\x00" * 16)
    return buf.getvalue()


_OBJ = {"$t": "object", "state": {"$t": "dict", "str": {}}}


@pytest.mark.parametrize("root,error,match", [
    ({**_OBJ, "module": "os", "name": "system"}, UntrustedModelError, r"os\.system"),
    ({**_OBJ, "module": "subprocess", "name": "Popen"}, UntrustedModelError,
     r"subprocess\.Popen"),
    ({**_OBJ, "module": "builtins", "name": "eval"}, UntrustedModelError, r"builtins\.eval"),
    ({**_OBJ, "module": "sklearn.utils._bunch", "name": "Bunch"}, UntrustedModelError,
     r"sklearn\.utils\._bunch\.Bunch"),  # an sklearn type, but not an estimator
    ({**_OBJ, "module": "sklearn.utils", "name": "Bunch"}, ModelFileError,
     r"names the class sklearn\.utils\._bunch\.Bunch"),
    ({**_OBJ, "module": "sklearn.externals.array_api_compat", "name": "torch"},
     UntrustedModelError, "does not trust"),
    ({**_OBJ, "module": "os;import", "name": "x"}, ModelFileError, "invalid class name"),
    ({"$t": "function", "module": "os", "name": "system"}, UntrustedModelError,
     r"os\.system"),
    ({"$t": "type", "module": "subprocess", "name": "Popen"}, UntrustedModelError,
     r"subprocess\.Popen"),
    ({"$t": "ndarray", "dtype": "|O", "shape": [2], "data": 0}, ModelFileError,
     "invalid array dtype"),
    ({"$t": "ndarray", "dtype": "<f8", "shape": [10**6], "data": 0}, ModelFileError,
     r"holds 16 bytes where its array needs 8000000"),
    ({"$t": "ndarray", "dtype": "<f8", "shape": [2], "data": 7}, ModelFileError,
     "missing data member"),
    ({"$t": "ref", "id": 5}, ModelFileError, "reference to an unknown object"),
    ({"$t": "pickle", "data": 0}, ModelFileError, "unknown node 'pickle'"),
    ({"$t": "sparse", "cls": "csr_matrix", "format": "csr", "base": "csr", "shape": [2, 2],
      "data": {"$t": "ndarray", "dtype": "<f8", "shape": [2], "data": 0},
      "indices": {"$t": "ndarray", "dtype": "<i8", "shape": [2], "data": 0},
      "indptr": {"$t": "ndarray", "dtype": "<i8", "shape": [2], "data": 0}},
     ModelFileError, "invalid sparse matrix"),
])
def test_hostile_safe_payloads_are_refused(tmp_path, model_file, root, error, match):
    """Crafted payloads: nothing outside the trusted types is imported or constructed, and
    malformed nodes give a ModelFileError (never another exception)."""
    path = _write_payload(tmp_path / "hostile.mlkit", _hostile_tree(root), model_file[0])
    before = set(sys.modules)
    with pytest.raises(error, match=match):
        load_model(path)
    assert not {"subprocess", "torch"} & (set(sys.modules) - before)


def test_deeply_nested_payload_is_a_model_file_error(tmp_path, model_file):
    text = "[" * 100000 + "]" * 100000
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("tree.json", '{"format": "mlkit-safe", "version": 1, "root": ' + text + "}")
    path = _write_payload(tmp_path / "deep.mlkit", buf.getvalue(), model_file[0])
    with pytest.raises(ModelFileError, match="damaged"):
        load_model(path)


def test_payload_expansion_is_bounded_before_decompressing(tmp_path, model_file, monkeypatch):
    import mlkit.persistence as persistence

    assert MAX_UNCOMPRESSED_BYTES >= 1 << 30
    monkeypatch.setattr(persistence, "MAX_UNCOMPRESSED_BYTES", 100_000)
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("tree.json", json.dumps({"format": "mlkit-safe", "version": 1, "root": 1}))
        zf.writestr("data/0", b"\x00" * 10**6)  # compresses to about 1 kB
    path = _write_payload(tmp_path / "bomb.mlkit", buf.getvalue(), model_file[0])
    with pytest.raises(ModelFileError, match=r"would expand to \d+ bytes, more than the 100000"):
        load_model(path)


def _as_format_1(src, dst):
    """A copy of ``src`` whose manifest says format version 1 (mlkit 0.1's first format)."""
    return _rewrite_manifest(src, dst, format_version=1)


def test_format_1_skops_file_still_loads(tmp_path, fitted, goemotions_slice):
    pytest.importorskip("skops")
    path = tmp_path / "skops.mlkit"
    assert save_model(fitted[0], path, serializer="skops")["serializer"] == "skops"
    old = _as_format_1(path, tmp_path / "old.mlkit")
    X = goemotions_slice.X_test[:50]
    np.testing.assert_array_equal(load_model(old).predict(X), fitted[0].predict(X))


def test_format_1_skops_file_without_skops_says_what_to_do(tmp_path, fitted, monkeypatch):
    pytest.importorskip("skops")
    path = tmp_path / "skops.mlkit"
    save_model(fitted[0], path, serializer="skops")
    old = _as_format_1(path, tmp_path / "old.mlkit")
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ModelFileError, match=r"stores its estimator in skops' format .* skops "
                                             r"is not installed\. Install it \(pip install "
                                             r"\"mlkit\[skops\]\"\).*save it again"):
        load_model(old)


def test_format_1_pickle_file_still_loads_when_trusted(tmp_path, fitted):
    path = tmp_path / "p.mlkit"
    save_model(fitted[0], path, serializer="pickle")
    old = _as_format_1(path, tmp_path / "old.mlkit")
    with pytest.raises(UntrustedModelError):
        load_model(old)
    assert load_model(old, trusted=True).predict(["so happy"]).shape[0] == 1


# --------------------------------------------------------------------------
# issue 11: nothing let in (see also tests/test_model_fuzz.py)
# --------------------------------------------------------------------------


def _harmful_estimators(tmp_path):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.pipeline import Pipeline

    return [
        # a served model would open the files its request texts name
        (TfidfVectorizer(input="filename"), (), r"TfidfVectorizer\(input='filename'\)"),
        (CountVectorizer(input="file"), (), r"CountVectorizer\(input='file'\)"),
        # trusting the function's type is not trusting it as an analyzer
        (CountVectorizer(analyzer=len), ("builtins.len",), r"analyzer=<built-in function"),
        (TfidfVectorizer(tokenizer=len), ("builtins.len",), r"tokenizer="),
        # a Pipeline with a joblib cache would write in a folder the file names
        (Pipeline([("v", TfidfVectorizer())], memory=str(tmp_path / "cache")), (),
         r"Pipeline\(memory='/.*\) \(allowed: None\)"),
        (mlkit.TextPipeline([("v", TfidfVectorizer())], memory=str(tmp_path / "cache")), (),
         r"TextPipeline\(memory='/.*\) \(allowed: None\)"),
        # a regular expression whose backtracking explodes on a crafted request text
        (TfidfVectorizer(token_pattern=r"(\w+\s?)*$"), (), r"token_pattern="),
        # thousands of threads or processes at predict time
        (mlkit.BinaryRelevance(n_jobs=100_000), (), r"BinaryRelevance\(n_jobs=100000\)"),
        # a refit would write training checkpoints to, and resume from, a folder it names
        (mlkit.TransformerClassifier(checkpoint_dir=str(tmp_path / "ckpt")), (),
         r"TransformerClassifier with checkpoint_dir='/.* \(allowed: None\)"),
    ]


def test_harmful_parameter_values_are_refused(tmp_path, model_file):
    """The safe path vets the values of parameters that reach files, caches or code, not
    only the types: trusted types with harmful values are refused unless trusted=True."""
    for i, (estimator, extra, match) in enumerate(_harmful_estimators(tmp_path)):
        path = _crafted_model_file(tmp_path / f"harmful{i}.mlkit", estimator, model_file[0])
        with pytest.raises(UntrustedModelError, match=match):
            load_model(path, trusted=list(extra))
        assert type(load_model(path, trusted=True)) is type(estimator)


def test_manifest_disagreeing_with_the_estimator_is_refused(tmp_path, model_file, fitted):
    """Label names, their number, thresholds and the class come from the estimator; a
    manifest that states them otherwise is refused, naming the field."""
    path, manifest = model_file
    names = manifest["label_names"]
    thresholds = manifest["thresholds"]
    for i, (changes, field) in enumerate([
            ({"label_names": names[::-1]}, "label_names"),
            ({"label_names": names[:-1]}, "label_names"),
            ({"thresholds": {"values": thresholds["values"][::-1]}}, "thresholds.values"),
            ({"thresholds": {"global": 0.01}}, "thresholds.global"),
            ({"estimator": {"class": "sklearn.dummy.DummyClassifier"}}, "estimator.class")]):
        bad = _rewrite_manifest(path, tmp_path / f"bad{i}.mlkit", **changes)
        with pytest.raises(ModelFileError, match=rf"disagrees with its estimator on "
                                                 rf"'{field}'"):
            load_model(bad)
    # an estimator fitted on an indicator matrix knows its labels by position only: the
    # names given to save_model stand, but not a different number of them
    from sklearn.linear_model import LogisticRegression

    X = np.random.RandomState(0).rand(30, 4)
    positional = mlkit.BinaryRelevance(LogisticRegression()).fit(X, (X[:, :3] > 0.5) * 1)
    named = tmp_path / "named.mlkit"
    save_model(positional, named, label_names=["a", "b", "c"])
    assert load_model(named, with_metadata=True)[1]["label_names"] == ["a", "b", "c"]
    with pytest.raises(ModelFileError, match="disagrees with its estimator on 'label_names'"):
        load_model(_rewrite_manifest(named, tmp_path / "two.mlkit", label_names=["a", "b"]))
    # without label names or thresholds, they are filled in from the estimator
    blank = _rewrite_manifest(path, tmp_path / "blank.mlkit", label_names=None,
                              thresholds=None)
    _, loaded = load_model(blank, with_metadata=True)
    assert loaded["label_names"] == [str(c) for c in fitted[0].classes_]
    assert loaded["thresholds"] == thresholds


@pytest.mark.parametrize("changes,match", [
    ({"thresholds": "0.5"}, r"'thresholds' must be an object or null; got str"),
    ({"thresholds": [0.5]}, r"'thresholds' must be an object"),
    ({"thresholds": {"values": []}}, r"'thresholds' needs its 'values'"),
    ({"label_names": [1, 2]}, r"'label_names' must be a list of strings"),
    ({"versions": "1.0"}, r"'versions' must be an object of version strings"),
    ({"estimator": {"class": "x", "steps": [1]}}, r"'estimator' must name its 'class'"),
    ({"metrics": {"holdout": {"f1_micro": "high"}}}, r"f1_micro and f1_macro"),
    ({"training_data": {"text_col": ["a"]}}, r"'text_col' must be a string"),
    ({"metadata": {"deep": json.loads("[" * 200 + "]" * 200)}}, r"nested more than 64"),
])
def test_malformed_manifests_are_model_file_errors(tmp_path, model_file, changes, match):
    """read_metadata (and so 'mlkit info') and load_model refuse a malformed manifest with a
    ModelFileError (exit 2 on the command line), never another exception."""
    bad = _rewrite_manifest(model_file[0], tmp_path / "bad.mlkit", **changes)
    with pytest.raises(ModelFileError, match=match):
        read_metadata(bad)
    with pytest.raises(ModelFileError, match=match):
        load_model(bad)


def test_manifest_size_is_bounded_before_decompressing(tmp_path, model_file):
    """A deflated manifest that would expand to 64 MiB (from about 64 kB) is refused from its
    declared size, before it is decompressed."""
    import tracemalloc

    from mlkit.persistence import MAX_MANIFEST_BYTES

    assert MAX_MANIFEST_BYTES <= 64 << 20
    manifest = read_metadata(model_file[0])
    path = tmp_path / "bomb.mlkit"
    with zipfile.ZipFile(path, "w") as zout, zipfile.ZipFile(model_file[0]) as zin:
        zout.writestr("estimator.safe", zin.read("estimator.safe"))
        info = zipfile.ZipInfo("mlkit-model.json")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zout.open(info, "w") as out:
            out.write(json.dumps(manifest).encode()[:-1])
            for _ in range(64):
                out.write(b" " * (1 << 20))
            out.write(b"}")
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("mlkit-model.json").compress_size < 256 << 10
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=r"its manifest \(mlkit-model\.json\) "
                                                 r"expands to more than \d+ bytes"):
            read_metadata(path)
        assert tracemalloc.get_traced_memory()[1] < 4 << 20
    finally:
        tracemalloc.stop()


def test_pickle_bytes_under_the_safe_name_are_refused(tmp_path, model_file):
    path = _write_payload(tmp_path / "p.mlkit", pickle.dumps({"a": 1}), model_file[0])
    with pytest.raises(ModelFileError, match=r"holds pickle bytes, not the safe format"):
        load_model(path)
    with pytest.raises(ModelFileError, match=r"holds pickle bytes"):
        load_model(path, trusted=True)
