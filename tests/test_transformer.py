"""TransformerClassifier fine-tuned on real GoEmotions rows with the local MiniLM model
(tiny: a few hundred rows, short max_length, two epochs): the loss falls, held-out
predictions beat a constant predictor, outputs and label names, clone, pickle and joblib,
save_pretrained -> from_pretrained and transformers' own AutoModelForSequenceClassification
(the default head; the mean-pooling head's folder needs mlkit and says so),
warm start, early stopping, reproducibility, ThresholdTuner and make_classifier, clear
errors, and the missing-extra error."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
from _neural_fixtures import hub_offline, minilm_dir, run_without_torch  # noqa: F401
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags

import mlkit
from mlkit import metrics

pytestmark = pytest.mark.usefixtures("hub_offline")

N_TRAIN = 320
N_TEST = 200
# small and fast; a high learning rate for the new head so that two epochs on a few
# hundred rows learn something
FAST = dict(max_length=48, batch_size=16, learning_rate=1e-4, head_learning_rate=3e-3,
            verbose=False)


@pytest.fixture(scope="module")
def model_dir():
    pytest.importorskip("transformers")
    return minilm_dir()


@pytest.fixture(scope="module")
def data(goemotions_slice):
    d = goemotions_slice
    names = list(d.label_names)
    return (d.X_train[:N_TRAIN], mlkit.indicator_to_labels(d.Y_train[:N_TRAIN], names),
            d.X_test[:N_TEST], d.Y_test[:N_TEST], d.Y_train[:N_TRAIN], np.asarray(names))


@pytest.fixture(scope="module")
def fitted(model_dir, data):
    from mlkit.transformer import TransformerClassifier

    clf = TransformerClassifier(model_dir, epochs=2, random_state=0, **FAST)
    return clf.fit(data[0], data[1])


@pytest.fixture(scope="module")
def tiny(goemotions_slice):
    """64 rows and the 6 most frequent labels, for the fits whose quality is not tested."""
    d = goemotions_slice
    top = np.argsort(-d.Y_train.sum(axis=0))[:6]
    return d.X_train[:64], d.Y_train[:64][:, top]


# --------------------------------------------------------------------------
# training and outputs
# --------------------------------------------------------------------------


def test_loss_falls_and_beats_constant_predictor(fitted, data):
    _, _, X_test, Y_test, Y_train_ind, names = data
    assert fitted.n_epochs_ == 2 and len(fitted.loss_curve_) == 2
    # (the linear probe starts the head near its best, so the loss starts low already)
    assert fitted.loss_curve_[1] < 0.9 * fitted.loss_curve_[0]
    assert fitted.n_train_samples_ == N_TRAIN
    # classes_ are the label names present in the label lists, sorted
    present = sorted({n for n, k in zip(names, Y_train_ind.sum(axis=0), strict=True) if k})
    assert list(fitted.classes_) == present
    cols = [list(names).index(c) for c in fitted.classes_]
    Y_true = Y_test[:, cols]
    P = fitted.predict_proba(X_test)
    prior = np.tile(Y_train_ind[:, cols].mean(axis=0), (len(X_test), 1))
    ap = metrics.average_precision_score(Y_true, P, average="micro")
    ap_prior = metrics.average_precision_score(Y_true, prior, average="micro")
    lrap = metrics.label_ranking_average_precision(Y_true, P)
    lrap_prior = metrics.label_ranking_average_precision(Y_true, prior)
    assert ap > ap_prior + 0.03, (ap, ap_prior)
    assert lrap > lrap_prior, (lrap, lrap_prior)


def test_outputs(fitted, data):
    X_test = data[2][:50]
    L = len(fitted.classes_)
    logits = fitted.decision_function(X_test)
    P = fitted.predict_proba(X_test)
    Y = fitted.predict(X_test)
    assert logits.shape == P.shape == Y.shape == (50, L)
    assert P.dtype == np.float64 and Y.dtype == np.int64
    assert np.all((P >= 0) & (P <= 1))
    np.testing.assert_allclose(P, 1 / (1 + np.exp(-logits)), rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(Y, (P >= 0.5).astype(int))
    # length-sorted batches give each text the logits it gets alone
    np.testing.assert_allclose(fitted.decision_function([X_test[7]])[0], logits[7], atol=1e-4)
    assert fitted.n_labels_ == L and fitted.device_ == "cpu"
    # the threshold is a parameter, read at predict time
    low = clone(fitted).set_params(threshold=0.05)
    assert low.threshold == 0.05
    assert fitted.score(X_test, (P >= 0.5).astype(int)) == pytest.approx(1.0)


def test_contract(model_dir, fitted, data):
    from mlkit.transformer import TransformerClassifier

    clf = TransformerClassifier(model_dir, epochs=1, **FAST)
    with pytest.raises(NotFittedError, match="TransformerClassifier instance is not fitted"):
        clf.predict(data[2][:2])
    twin = clone(fitted)
    assert twin.get_params() == fitted.get_params() and not hasattr(twin, "model_")
    tags = get_tags(clf)
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.classifier_tags.multi_label and tags.target_tags.multi_output


# --------------------------------------------------------------------------
# persistence
# --------------------------------------------------------------------------


def test_pickle_and_joblib_round_trip(fitted, data, tmp_path):
    X = data[2][:40]
    P = fitted.predict_proba(X)
    back = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(back.predict_proba(X), P)
    assert list(back.classes_) == list(fitted.classes_)
    assert back.loss_curve_ == fitted.loss_curve_
    joblib.dump(fitted, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict_proba(X), P)


@pytest.fixture(scope="module")
def cls_fitted(model_dir, tiny):
    """The default head: the architecture's own [CLS] head (a standard transformers
    checkpoint), tiny fit."""
    from mlkit.transformer import TransformerClassifier

    X, Y = tiny
    return TransformerClassifier(model_dir, epochs=1, random_state=0, **FAST).fit(X, Y)


@pytest.fixture(scope="module")
def mean_fitted(model_dir, tiny):
    """The mean-pooling head (mlkit's own), tiny fit."""
    from mlkit.transformer import TransformerClassifier

    X, Y = tiny
    return TransformerClassifier(model_dir, pooling="mean", epochs=1, random_state=0,
                                 **FAST).fit(X, Y)


def test_save_pretrained_is_a_standard_checkpoint(cls_fitted, data, tmp_path):
    import torch
    import transformers

    from mlkit.transformer import TransformerClassifier

    X = data[2][:40]
    fitted = cls_fitted
    assert fitted.pooling_ == "cls"  # the default ("auto") on a sentence-transformers model
    target = fitted.save_pretrained(tmp_path / "ckpt")
    assert (target / "config.json").is_file() and (target / "tokenizer_config.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers
    # transformers alone loads it and gives the same logits
    hf = transformers.AutoModelForSequenceClassification.from_pretrained(
        target, local_files_only=True).eval()
    assert hf.config.problem_type == "multi_label_classification"
    assert [hf.config.id2label[i] for i in range(6)] == [f"LABEL_{i}" for i in range(6)]
    tok = transformers.AutoTokenizer.from_pretrained(target, local_files_only=True)
    with torch.inference_mode():
        batch = tok(X, padding=True, truncation=True, max_length=48, return_tensors="pt")
        logits = hf(**batch).logits.numpy()
    np.testing.assert_allclose(logits, fitted.decision_function(X), atol=1e-4)
    # and so does from_pretrained: identical probabilities, classes, threshold
    # (same batch size, so the same batches and padding: bit-identical)
    loaded = TransformerClassifier.from_pretrained(target, verbose=False, batch_size=16)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert list(loaded.classes_) == list(range(6)) and loaded.pooling_ == "cls"
    assert loaded.max_length == 48 and loaded.threshold == 0.5
    # saving again over an existing checkpoint replaces it
    fitted.save_pretrained(target)
    with pytest.raises(FileExistsError, match="refusing to replace it"):
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "notes.txt").write_text("mine")
        fitted.save_pretrained(tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_save_pretrained_mean_pooling_round_trip(mean_fitted, data, tmp_path):
    import json

    from mlkit.transformer import TransformerClassifier, load_pretrained

    X = data[2][:40]
    fitted = mean_fitted
    assert fitted.pooling_ == "mean"
    # honest: the folder needs mlkit, and saving says so
    with pytest.warns(UserWarning, match="load it with mlkit.transformer.load_pretrained"):
        target = fitted.save_pretrained(tmp_path / "ckpt")
    cfg = json.loads((target / "config.json").read_text())
    assert cfg["problem_type"] == "multi_label_classification"
    assert cfg["mlkit_pooling"] == "mean" and (target / "mlkit_head.safetensors").is_file()
    # labels without names (an indicator matrix): LABEL_<i> in the config, ids back in mlkit
    assert [cfg["id2label"][str(i)] for i in range(6)] == [f"LABEL_{i}" for i in range(6)]
    # (same batch size, so the same batches and padding: bit-identical)
    loaded = TransformerClassifier.from_pretrained(target, verbose=False, batch_size=16)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert list(loaded.classes_) == list(fitted.classes_) and loaded.pooling_ == "mean"
    np.testing.assert_array_equal(load_pretrained(target, batch_size=16).predict_proba(X),
                                  fitted.predict_proba(X))


def test_from_pretrained_then_fine_tune_further(fitted, data, tmp_path):
    pd = pytest.importorskip("pandas")
    from mlkit.transformer import TransformerClassifier

    target = fitted.save_pretrained(tmp_path / "ckpt")
    loaded = TransformerClassifier.from_pretrained(target, verbose=False, epochs=1,
                                                   learning_rate=1e-5, random_state=0)
    # the same labels, as a DataFrame whose columns are the checkpoint's label names
    names = list(data[5])
    cols = [names.index(c) for c in fitted.classes_]
    Y = pd.DataFrame(data[4][:48][:, cols], columns=list(fitted.classes_))
    before = loaded.predict_proba(data[2][:30])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded.fit(data[0][:48], Y)
    assert not [w for w in caught if "initialized afresh" in str(w.message)]
    # the fit started from the checkpoint, head included: a short, gentle fine-tune
    # moves the probabilities a little (a fresh head would start near 0.5 everywhere)
    after = loaded.predict_proba(data[2][:30])
    assert list(loaded.classes_) == list(fitted.classes_)
    assert 0 < np.abs(after - before).mean() < 0.05
    # a checkpoint whose problem is not multi-label is refused
    import json

    cfg = json.loads((target / "config.json").read_text())
    cfg["problem_type"] = "single_label_classification"
    (target / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="'single_label_classification' checkpoint"):
        TransformerClassifier.from_pretrained(target)


# --------------------------------------------------------------------------
# training options
# --------------------------------------------------------------------------


def test_reproducible_with_random_state_and_early_stopping(model_dir, tiny):
    from mlkit.transformer import TransformerClassifier

    X, Y = tiny
    params = dict(FAST, epochs=3, validation_fraction=0.25, patience=1,
                  early_stopping_metric="lrap", pos_weight="balanced", random_state=3)
    a = TransformerClassifier(model_dir, **params).fit(X, Y)
    b = TransformerClassifier(model_dir, **params).fit(X, Y)
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.decision_function(X[:10]), b.decision_function(X[:10]))
    assert list(a.classes_) == list(range(6))  # a matrix without names: 0 .. L-1
    assert 1 <= a.n_epochs_ <= 3 and len(a.validation_scores_) == a.n_epochs_
    assert a.best_epoch_ == 1 + int(np.argmax(a.validation_scores_))
    assert a.n_train_samples_ == 48
    if a.n_epochs_ < 3:  # stopped early: the last epoch did not improve
        assert a.validation_scores_[-1] <= max(a.validation_scores_[:-1])


def test_threshold_tuner_and_make_classifier(model_dir, tiny):
    from mlkit.transformer import TransformerClassifier

    X, Y = tiny
    model = mlkit.make_classifier("transformer", model=model_dir)
    assert isinstance(model, mlkit.ThresholdTuner) and model.cv == 0.2
    assert model.refit is False  # one fine-tuning per fit
    assert isinstance(model.estimator, TransformerClassifier)
    assert model.estimator.model == model_dir and model.estimator.random_state == 0
    model.set_params(cv=0.25, estimator__epochs=1, **{f"estimator__{k}": v for k, v in FAST.items()})
    model.fit(X, Y)
    assert model.response_method_ == "decision_function"  # thresholds on logits
    assert model.oof_scores_.shape == (16, 6) and model.thresholds_.shape == (6,)
    Yp = model.predict(X[:20])
    assert Yp.shape == (20, 6) and set(np.unique(Yp)) <= {0, 1}
    P = model.predict_proba(X[:20])
    np.testing.assert_array_equal(P, model.estimator_.predict_proba(X[:20]))
    # not refitted: the model that predicts trained on the 75 % split only (48 of 64 rows)
    assert model.estimator_.n_train_samples_ == 48


# --------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------


def test_progress_bars_only_when_verbose(model_dir, tiny, capfd):
    import torch

    from mlkit.transformer import TransformerClassifier

    X, Y = tiny[0][:8], tiny[1][:8]
    params = dict(FAST, max_length=16, epochs=1, batch_size=4, random_state=0, device="cpu")
    capfd.readouterr()
    quiet = TransformerClassifier(model_dir, **params).fit(X, Y)
    quiet.predict(X)
    assert TransformerClassifier().verbose is False  # the library default: silent
    assert capfd.readouterr().err == ""
    # verbose=True: the linear probe, the training steps with the loss, then inference;
    # a torch.device is a valid device
    loud = TransformerClassifier(model_dir, **dict(params, verbose=True,
                                                   device=torch.device("cpu"))).fit(X, Y)
    err = capfd.readouterr().err
    assert "Linear probe: 100%" in err and "8/8" in err, err
    assert "Fine-tuning: 100%" in err and "2/2" in err and "loss=" in err, err
    np.testing.assert_array_equal(loud.predict_proba(X), quiet.predict_proba(X))
    err = capfd.readouterr().err
    assert "Predicting: 100%" in err and "8/8" in err, err
    loud.set_params(verbose=False).predict(X)
    assert capfd.readouterr().err == ""


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------


def test_bad_input_errors(model_dir, fitted, tiny, tmp_path):
    from mlkit.transformer import TransformerClassifier

    X, Y = tiny
    with pytest.raises(TypeError, match="a single str object was received"):
        fitted.predict("one text")
    with pytest.raises(ValueError, match="empty list of texts"):
        TransformerClassifier(model_dir).fit([], Y[:0])
    with pytest.raises(ValueError, match="X has 64 samples but Y has 63 rows"):
        TransformerClassifier(model_dir, **FAST).fit(X, Y[:63])
    with pytest.raises(ValueError, match="Y is 1-D"):
        TransformerClassifier(model_dir, **FAST).fit(X, Y[:, 0])
    with pytest.raises(OSError, match="no such directory"):
        TransformerClassifier(str(tmp_path / "missing" / "model"), **FAST).fit(X, Y)
    with pytest.raises(OSError, match="downloads are disabled"):
        TransformerClassifier("someone/not-a-cached-model", **FAST).fit(X, Y)
    with pytest.raises(ValueError, match="pos_weight has shape \\(3,\\) but Y has 6 labels"):
        TransformerClassifier(model_dir, pos_weight=[1, 2, 3], **FAST).fit(X, Y)
    # parameters: scikit-learn's InvalidParameterError (a ValueError) before anything loads
    for params, match in [
        ({"pos_weight": "auto"}, r"'pos_weight' parameter of TransformerClassifier must be "
                                 r"None, a str among \{'balanced'\} or an array-like. Got 'auto'"),
        ({"epochs": 0}, r"'epochs' parameter of TransformerClassifier must be an int in the "
                        r"range \[1, inf\). Got 0 instead"),
        ({"validation_fraction": 1.5}, r"'validation_fraction' parameter .* must be a float in "
                                       r"the range \(0.0, 1.0\) or None. Got 1.5"),
        ({"threshold": 2}, r"'threshold' parameter .* range \[0.0, 1.0\]. Got 2 instead"),
        ({"pooling": "max"}, r"'pooling' parameter .* must be a str among"),
        ({"device": 0}, r"'device' parameter .* must be an instance of 'str' or an instance "
                        r"of 'torch.device'. Got 0 instead"),
        ({"verbose": "yes"}, r"'verbose' parameter .* Got 'yes' instead"),
    ]:
        with pytest.raises(ValueError, match=match) as info:
            TransformerClassifier(model_dir, **params).fit(X, Y)
        assert type(info.value).__name__ == "InvalidParameterError"
    # and the rules the constraints cannot express
    with pytest.raises(ValueError, match="'f1_macroo' is not a known metric name"):
        TransformerClassifier(model_dir, early_stopping_metric="f1_macroo").fit(X, Y)
    with pytest.raises(ValueError, match="model is an empty string"):
        TransformerClassifier("").fit(X, Y)
    with pytest.raises(ValueError, match="validation_fraction needs at least 4 texts"):
        TransformerClassifier(model_dir, validation_fraction=0.5).fit(X[:3], Y[:3])
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda' was requested but torch sees no"):
            TransformerClassifier(model_dir, device="cuda", **FAST).fit(X, Y)


def test_missing_extra_names_the_install_command():
    result = run_without_torch("""
        import mlkit
        from mlkit.transformer import TransformerClassifier
        clf = TransformerClassifier()                # constructing needs no torch
        model = mlkit.make_classifier("transformer")
        try:
            clf.fit(["a text", "another"], [[1], [0]])
        except ImportError as e:
            print("ERROR:", e)
    """)
    assert result.returncode == 0, result.stderr
    assert 'pip install "mlkit[transformer]"' in result.stdout
    assert "TransformerClassifier requires" in result.stdout


def test_unpickling_refuses_checkpoint_names_outside_its_directory():
    """A crafted pickle cannot make TransformerClassifier write outside its temp dir."""
    from mlkit.transformer import TransformerClassifier

    for name in ("../escape.bin", "/tmp/absolute.bin", "sub/../../escape.bin"):
        clf = TransformerClassifier.__new__(TransformerClassifier)
        with pytest.raises(ValueError, match="points outside the checkpoint directory"):
            clf.__setstate__({"_checkpoint_files": {name: b"x"}})
