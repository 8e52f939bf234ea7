"""TransformerClassifier training controls and checkpoint folders, on a tiny BERT (2
layers, 32 dimensions, random weights, the MiniLM tokenizer) and 64 real GoEmotions rows:
per-epoch history and validation sets, freezing, gradient accumulation, checkpoint and
resume (equal to an uninterrupted run), the standard Hugging Face export with tuned
thresholds (reproduced by plain transformers and its pipeline), load_pretrained of mlkit's
and of foreign folders, and damaged or crafted folders and checkpoints refused with clear
errors."""

import json
import shutil
import struct

import numpy as np
import pytest
from _neural_fixtures import hub_offline, minilm_dir  # noqa: F401

import mlkit

pytestmark = pytest.mark.usefixtures("hub_offline")

FAST = dict(max_length=32, batch_size=8, learning_rate=1e-3, head_learning_rate=3e-3,
            random_state=0, verbose=False)


def _tiny_bert(folder, tokenizer_dir, dropout):
    import torch
    import transformers

    tok = transformers.AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True)
    cfg = transformers.BertConfig(
        vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout)
    torch.manual_seed(0)
    transformers.BertModel(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """Two tiny random BERTs: with the usual dropout, and without (exact comparisons)."""
    pytest.importorskip("transformers")
    src = minilm_dir()
    root = tmp_path_factory.mktemp("tiny-bert")
    return (_tiny_bert(root / "dropout", src, 0.1), _tiny_bert(root / "plain", src, 0.0))


@pytest.fixture(scope="module")
def rows(goemotions_slice):
    d = goemotions_slice
    top = np.argsort(-d.Y_train.sum(axis=0))[:6]
    names = [str(d.label_names[i]) for i in top]
    return d.X_train[:64], d.Y_train[:64][:, top], names


def _weights(clf):
    return {k: v.detach().cpu().numpy().copy() for k, v in clf.model_.state_dict().items()}


# --------------------------------------------------------------------------
# history, validation sets, freezing, accumulation
# --------------------------------------------------------------------------


def test_history_with_validation_fraction_and_explicit_validation_set(tiny_models, rows):
    from mlkit.transformer import TransformerClassifier

    X, Y, names = rows
    a = TransformerClassifier(tiny_models[0], epochs=2, validation_fraction=0.25, patience=5,
                              **FAST).fit(X, Y)
    assert [r["epoch"] for r in a.history_] == [1, 2] and a.n_epochs_ == 2
    keys = {"epoch", "train_loss", "seconds", "val_loss", "val_f1_micro", "val_f1_macro",
            "val_average_precision_macro"}
    assert set(a.history_[0]) == keys
    assert [r["train_loss"] for r in a.history_] == a.loss_curve_
    assert [r["val_average_precision_macro"] for r in a.history_] == a.validation_scores_
    assert all(0 <= r["val_f1_macro"] <= 1 and r["val_loss"] > 0 for r in a.history_)
    # an explicit validation set in another label form (label lists naming Y's labels)
    Xl = mlkit.indicator_to_labels(Y, names)
    b = TransformerClassifier(tiny_models[0], epochs=1, early_stopping_metric="f1_micro",
                              **FAST).fit(X[:48], Xl[:48], X_val=X[48:], Y_val=Xl[48:])
    assert b.n_train_samples_ == 48 and len(b.history_) == 1
    assert b.history_[0]["val_f1_micro"] == b.validation_scores_[0]
    with pytest.raises(ValueError, match="give both X_val and Y_val \\(got only X_val\\)"):
        TransformerClassifier(tiny_models[0], **FAST).fit(X, Y, X_val=X[:4])
    with pytest.raises(ValueError, match="both ask for a validation set"):
        TransformerClassifier(tiny_models[0], validation_fraction=0.2, **FAST).fit(
            X, Y, X_val=X[:4], Y_val=Y[:4])
    with pytest.raises(ValueError, match="Y_val does not match Y's labels"):
        TransformerClassifier(tiny_models[0], **FAST).fit(
            X[:48], Xl[:48], X_val=X[:2], Y_val=[["no-such-label"], []])


def test_freeze_strategies(tiny_models, rows):
    from mlkit.transformer import TransformerClassifier

    X, Y, _ = rows
    start = TransformerClassifier(tiny_models[1], epochs=1, **FAST)
    base = start._load_model(tiny_models[1], num_labels=6)
    before = {k: v.detach().numpy().copy() for k, v in base.bert.state_dict().items()}
    frozen = TransformerClassifier(tiny_models[1], epochs=2, freeze="encoder", **FAST).fit(X, Y)
    after = {k: v.detach().numpy() for k, v in frozen.model_.bert.state_dict().items()}
    assert all(np.array_equal(before[k], after[k]) for k in before)  # encoder untouched
    assert frozen.loss_curve_[1] < frozen.loss_curve_[0]  # the head learned
    # frozen for its 2 epochs out of 2: the same run as freeze="encoder"
    same = TransformerClassifier(tiny_models[1], epochs=2, freeze=2, **FAST).fit(X, Y)
    np.testing.assert_array_equal(same.decision_function(X), frozen.decision_function(X))
    # unfrozen after the first epoch: the encoder moves in the second
    thawed = TransformerClassifier(tiny_models[1], epochs=2, freeze=1, **FAST).fit(X, Y)
    moved = {k: v.detach().numpy() for k, v in thawed.model_.bert.state_dict().items()}
    assert any(not np.array_equal(before[k], moved[k]) for k in before)
    with pytest.raises(ValueError, match="'freeze' parameter of TransformerClassifier must be"):
        TransformerClassifier(tiny_models[1], freeze="head").fit(X, Y)
    with pytest.raises(ValueError, match="freeze=True is ambiguous; use \"encoder\""):
        TransformerClassifier(tiny_models[1], freeze=True).fit(X, Y)


def test_gradient_accumulation_equals_the_larger_batch(tiny_models, rows):
    from mlkit.transformer import TransformerClassifier

    X, Y, _ = rows
    params = dict(FAST, epochs=2, group_by_length=False, eval_batch_size=16,
                  head_init="random")
    big = TransformerClassifier(tiny_models[1], **dict(params, batch_size=16)).fit(X, Y)
    acc = TransformerClassifier(tiny_models[1], **dict(params, batch_size=8),
                                gradient_accumulation_steps=2).fit(X, Y)
    one = TransformerClassifier(tiny_models[1], **dict(params, batch_size=8)).fit(X, Y)
    # (no dropout: two halves of a batch give the mean gradient of the whole batch)
    np.testing.assert_allclose(acc.decision_function(X), big.decision_function(X), atol=1e-4)
    assert np.abs(one.decision_function(X) - big.decision_function(X)).max() > 1e-3
    np.testing.assert_allclose(acc.loss_curve_, big.loss_curve_, rtol=1e-4)


# --------------------------------------------------------------------------
# checkpoint and resume
# --------------------------------------------------------------------------


def _interrupt_after_first_checkpoint(monkeypatch):
    from mlkit.transformer import _training

    original = _training.Trainer.save

    def save_then_crash(self, directory):
        original(self, directory)
        raise KeyboardInterrupt("simulated crash after epoch 1")

    monkeypatch.setattr(_training.Trainer, "save", save_then_crash)


def test_resume_gives_the_uninterrupted_model(tiny_models, rows, tmp_path, monkeypatch):
    from mlkit.transformer import TransformerClassifier

    X, Y, _ = rows
    params = dict(FAST, epochs=3, validation_fraction=0.25, patience=5, freeze=1,
                  gradient_accumulation_steps=2)
    full = TransformerClassifier(tiny_models[0], checkpoint_dir=tmp_path / "full",
                                 **params).fit(X, Y)
    state = json.loads((tmp_path / "full" / "trainer_state.json").read_text())
    assert state["epoch"] == 3 and len(state["history"]) == 3
    with monkeypatch.context() as m:
        _interrupt_after_first_checkpoint(m)
        with pytest.raises(KeyboardInterrupt):
            TransformerClassifier(tiny_models[0], checkpoint_dir=tmp_path / "run",
                                  **params).fit(X, Y)
    assert json.loads((tmp_path / "run" / "trainer_state.json").read_text())["epoch"] == 1
    resumed = TransformerClassifier(tiny_models[0], checkpoint_dir=tmp_path / "run",
                                    resume=True, **params).fit(X, Y)
    full_w, res_w = _weights(full), _weights(resumed)
    for k in full_w:
        np.testing.assert_allclose(res_w[k], full_w[k], atol=1e-5, err_msg=k)
    np.testing.assert_allclose(resumed.loss_curve_, full.loss_curve_, rtol=1e-6)
    assert len(resumed.history_) == len(full.history_) == 3
    for got, want in zip(resumed.history_, full.history_, strict=True):
        assert set(got) == set(want)
        assert {k: v for k, v in got.items() if k != "seconds"} == pytest.approx(
            {k: v for k, v in want.items() if k != "seconds"}, rel=1e-5)
    assert resumed.best_epoch_ == full.best_epoch_ and resumed.n_epochs_ == 3
    # an empty checkpoint_dir with resume=True: a fresh start, the same run again
    again = TransformerClassifier(tiny_models[0], checkpoint_dir=tmp_path / "new",
                                  resume=True, **params).fit(X, Y)
    np.testing.assert_allclose(again.decision_function(X[:8]), full.decision_function(X[:8]),
                               atol=1e-5)


def test_resume_refuses_other_runs_and_damaged_checkpoints(tiny_models, rows, tmp_path):
    from mlkit.transformer import TransformerClassifier

    X, Y, _ = rows
    params = dict(FAST, epochs=1)
    ck = tmp_path / "ck"
    TransformerClassifier(tiny_models[1], checkpoint_dir=ck, **params).fit(X, Y)
    with pytest.raises(ValueError, match=r"different training run \(epochs: checkpoint 1 "
                                         r"!= now 2\)"):
        TransformerClassifier(tiny_models[1], checkpoint_dir=ck, resume=True,
                              **dict(params, epochs=2)).fit(X, Y)
    with pytest.raises(ValueError, match="different training run \\(data_sha256"):
        TransformerClassifier(tiny_models[1], checkpoint_dir=ck, resume=True,
                              **params).fit(X[:60], Y[:60])
    with pytest.raises(ValueError, match="resume=True needs checkpoint_dir="):
        TransformerClassifier(tiny_models[1], resume=True, **params).fit(X, Y)
    with pytest.raises(ValueError, match="validation_fraction needs an int random_state"):
        TransformerClassifier(tiny_models[1], checkpoint_dir=ck, validation_fraction=0.25,
                              **dict(params, random_state=None)).fit(X, Y)
    # damaged files
    broken = tmp_path / "broken"
    shutil.copytree(ck, broken)
    data = (broken / "optimizer.pt").read_bytes()
    (broken / "optimizer.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="checkpoint in checkpoint_dir=.* is damaged"):
        TransformerClassifier(tiny_models[1], checkpoint_dir=broken, resume=True,
                              **params).fit(X, Y)
    (broken / "trainer_state.json").write_text("{not json")
    with pytest.raises(ValueError, match="is not valid JSON"):
        TransformerClassifier(tiny_models[1], checkpoint_dir=broken, resume=True,
                              **params).fit(X, Y)
    (broken / "trainer_state.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="does not hold an mlkit training checkpoint"):
        TransformerClassifier(tiny_models[1], checkpoint_dir=broken, resume=True,
                              **params).fit(X, Y)
    # someone else's folder is never overwritten
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="refusing to replace it"):
        TransformerClassifier(tiny_models[1], checkpoint_dir=mine, **params).fit(X, Y)
    assert (mine / "notes.txt").read_text() == "keep"


# --------------------------------------------------------------------------
# export with thresholds, load_pretrained
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tuned(tiny_models, rows):
    """A tiny model with named labels and per-label thresholds tuned on held-out rows."""
    pd = pytest.importorskip("pandas")
    from mlkit.transformer import TransformerClassifier

    X, Y, names = rows
    Ydf = pd.DataFrame(Y, columns=names)
    clf = TransformerClassifier(tiny_models[1], epochs=2, **FAST).fit(X[:48], Ydf[:48])
    tuner = mlkit.ThresholdTuner(clf, cv="prefit", at_least_one=True).fit(X[48:], Ydf[48:])
    return tuner


def test_export_is_a_standard_checkpoint_with_thresholds(tuned, rows, tmp_path):
    import torch
    import transformers

    from mlkit.transformer import CONFIG_THRESHOLDS_KEY, load_pretrained, save_pretrained

    X, _, names = rows
    clf = tuned.estimator_
    folder = save_pretrained(tuned, tmp_path / "export")
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["problem_type"] == "multi_label_classification"
    assert cfg["architectures"] == ["BertForSequenceClassification"]
    assert [cfg["id2label"][str(i)] for i in range(6)] == names
    assert cfg["label2id"] == {n: i for i, n in enumerate(names)}
    expected = 1 / (1 + np.exp(-tuned.thresholds_))  # the logit thresholds as probabilities
    np.testing.assert_allclose(cfg[CONFIG_THRESHOLDS_KEY], expected, rtol=1e-12)
    assert cfg["mlkit_at_least_one"] is True and cfg["mlkit_top_k"] is None
    P = clf.predict_proba(X)
    # plain transformers + sigmoid, no mlkit and no trust_remote_code
    hf = transformers.AutoModelForSequenceClassification.from_pretrained(
        folder, local_files_only=True).eval()
    tok = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    with torch.inference_mode():
        batch = tok(list(X), padding=True, truncation=True, max_length=32, return_tensors="pt")
        P_hf = torch.sigmoid(hf(**batch).logits).numpy()
    np.testing.assert_allclose(P_hf, P, atol=1e-4)
    # the pipeline, one dict per label named from id2label
    pipe = transformers.pipeline("text-classification", model=str(folder), top_k=None,
                                 truncation=True, max_length=32)
    for row, out in zip(P[:5], pipe(list(X[:5])), strict=True):
        got = {d["label"]: d["score"] for d in out}
        np.testing.assert_allclose([got[n] for n in names], row, atol=1e-4)
    # and mlkit reads it back: same labels, thresholds, decisions
    back = load_pretrained(folder)
    assert isinstance(back, mlkit.ThresholdTuner) and list(back.classes_) == names
    np.testing.assert_allclose(back.proba_thresholds_, expected, rtol=1e-12)
    np.testing.assert_array_equal(back.predict(X), tuned.predict(X))
    np.testing.assert_allclose(back.predict_proba(X), P, atol=1e-12)
    Y_pred, P2 = back.predict_with_proba(X)
    np.testing.assert_array_equal(Y_pred, tuned.predict(X))
    assert back.at_least_one_ is True and back.estimator_.threshold == 0.5
    # the classifier alone: no thresholds in the folder, its own threshold kept
    clf.save_pretrained(tmp_path / "plain")
    plain_cfg = json.loads((tmp_path / "plain" / "config.json").read_text())
    assert CONFIG_THRESHOLDS_KEY not in plain_cfg
    alone = load_pretrained(tmp_path / "plain", batch_size=4)
    assert type(alone).__name__ == "TransformerClassifier" and alone.batch_size == 4
    np.testing.assert_allclose(alone.predict_proba(X), P, atol=1e-12)
    # a Pipeline ending in the tuner works too; a non-transformer estimator is refused
    from sklearn.pipeline import Pipeline

    save_pretrained(Pipeline([("clf", tuned)]), tmp_path / "pipe")
    assert json.loads((tmp_path / "pipe" / "config.json").read_text())[
        CONFIG_THRESHOLDS_KEY] == cfg[CONFIG_THRESHOLDS_KEY]
    with pytest.raises(TypeError, match="expects a fitted TransformerClassifier"):
        save_pretrained(mlkit.BinaryRelevance(None), tmp_path / "x")


def test_load_pretrained_of_a_foreign_hugging_face_folder(tiny_models, rows, tmp_path):
    import torch
    import transformers

    from mlkit.transformer import load_pretrained

    X = list(rows[0][:10])
    cfg = transformers.AutoConfig.from_pretrained(tiny_models[1], local_files_only=True)
    cfg.update({"id2label": {0: "toxic", 1: "insult", 2: "threat"},
                "label2id": {"toxic": 0, "insult": 1, "threat": 2}})
    torch.manual_seed(1)
    model = transformers.BertForSequenceClassification(cfg).eval()
    model.save_pretrained(tmp_path / "hf")
    shutil.copy(tiny_models[1] + "/tokenizer.json", tmp_path / "hf")
    shutil.copy(tiny_models[1] + "/tokenizer_config.json", tmp_path / "hf")
    with pytest.warns(UserWarning, match="does not declare its problem_type"):
        clf = load_pretrained(tmp_path / "hf")
    assert list(clf.classes_) == ["toxic", "insult", "threat"] and clf.threshold == 0.5
    tok = transformers.AutoTokenizer.from_pretrained(tmp_path / "hf", local_files_only=True)
    with torch.inference_mode():
        batch = tok(X, padding=True, truncation=True, max_length=128, return_tensors="pt")
        P = torch.sigmoid(model(**batch).logits).numpy()
    np.testing.assert_allclose(clf.predict_proba(X), P, atol=1e-5)


def _corrupt(folder, tmp_path, name, change):
    target = tmp_path / name
    shutil.copytree(folder, target)
    change(target)
    return target


def _edit_config(**updates):
    def change(folder):
        cfg = json.loads((folder / "config.json").read_text())
        for k, v in updates.items():
            if v is None:
                cfg.pop(k, None)
            else:
                cfg[k] = v
        (folder / "config.json").write_text(json.dumps(cfg))
    return change


def _truncate(name, keep=0.5):
    def change(folder):
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: int(len(data) * keep)])
    return change


def _drop_tensor(prefix):
    def change(folder):
        from safetensors.torch import load_file, save_file

        state = load_file(str(folder / "model.safetensors"))
        save_file({k: v for k, v in state.items() if not k.startswith(prefix)},
                  str(folder / "model.safetensors"), metadata={"format": "pt"})
    return change


def _pickle_weights(folder):
    import torch
    from safetensors.torch import load_file

    torch.save(load_file(str(folder / "model.safetensors")), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()


CASES = [
    ("no-config", lambda f: (f / "config.json").unlink(), ValueError, "has no config.json"),
    ("bad-json", lambda f: (f / "config.json").write_text("{\"a\": "), ValueError,
     "is not valid JSON"),
    ("json-list", lambda f: (f / "config.json").write_text("[1, 2]"), ValueError,
     "holds a JSON list, not an object"),
    ("single-label", _edit_config(problem_type="single_label_classification"), ValueError,
     "'single_label_classification' checkpoint; only multi-label"),
    ("remote-code", _edit_config(auto_map={"AutoModel": "evil.Model"}), ValueError,
     "mlkit never runs code from a model folder"),
    ("base-model", _edit_config(architectures=["BertModel"]), ValueError,
     "not a sequence-classification checkpoint"),
    ("id-gap", _edit_config(id2label={"0": "a", "2": "b"}, label2id=None), ValueError,
     "id2label keys must be the ids 0..1"),
    ("id-names", _edit_config(id2label={"0": "a", "1": "a"}, label2id=None), ValueError,
     "distinct label names"),
    ("label2id", _edit_config(label2id={"x": 0}), ValueError,
     "label2id does not match id2label"),
    ("thresholds", _edit_config(mlkit_thresholds=[0.5, 2.0]), ValueError,
     "mlkit_thresholds must be a list of 6 probabilities"),
    ("top-k", _edit_config(mlkit_top_k=0), ValueError, "mlkit_top_k must be null or an int"),
    ("fewer-labels", _edit_config(id2label={str(i): f"l{i}" for i in range(5)},
                                  label2id=None, mlkit_thresholds=None), ValueError,
     "do not cover the model"),
    ("truncated", _truncate("model.safetensors"), ValueError, "is truncated"),
    ("header", _truncate("model.safetensors", keep=0.0000001), ValueError,
     "not a valid safetensors file"),
    ("no-head", _drop_tensor("classifier."), ValueError, "do not cover the model"),
    ("no-weights", lambda f: (f / "model.safetensors").unlink(), ValueError,
     "holds no model weights"),
    ("tokenizer", _truncate("tokenizer.json"), (OSError, ValueError),
     "is not a loadable model checkpoint|cannot be loaded"),
    ("pickle", _pickle_weights, ValueError, "pickle weights only .*trust_pickle=True"),
]


@pytest.fixture(scope="module")
def exported(tuned, tmp_path_factory):
    from mlkit.transformer import save_pretrained

    return save_pretrained(tuned, tmp_path_factory.mktemp("export") / "ckpt")


@pytest.mark.parametrize("name, change, error, match", CASES, ids=[c[0] for c in CASES])
def test_load_pretrained_refuses_damaged_or_crafted_folders(exported, tmp_path, name, change,
                                                            error, match):
    from mlkit.transformer import load_pretrained

    folder = _corrupt(exported, tmp_path, name, change)
    with pytest.raises(error, match=match):
        load_pretrained(folder)


def test_load_pretrained_paths_downloads_and_trusted_pickle(exported, rows, tmp_path):
    from mlkit.transformer import load_pretrained

    with pytest.raises(OSError, match="not a local folder .* allow_download=True "
                                      "\\(--allow-download on the command line\\)"):
        load_pretrained("someone/not-a-cached-model")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_pretrained(tmp_path / "missing")
    (tmp_path / "file.mlkit").write_bytes(b"x")
    with pytest.raises(ValueError, match="is a file, not a checkpoint folder"):
        load_pretrained(tmp_path / "file.mlkit")
    with pytest.raises(TypeError, match="model= is set by load_pretrained itself"):
        load_pretrained(exported, model="x")
    # pickle weights load only when trusted, and predict the same
    pickled = _corrupt(exported, tmp_path, "pickled", _pickle_weights)
    ref = load_pretrained(exported).predict_proba(rows[0][:5])
    np.testing.assert_allclose(load_pretrained(pickled, trust_pickle=True).predict_proba(
        rows[0][:5]), ref, atol=1e-6)


def test_header_length_field_is_checked(exported, tmp_path):
    from mlkit.transformer import load_pretrained

    def huge_header(folder):
        path = folder / "model.safetensors"
        data = path.read_bytes()
        path.write_bytes(struct.pack("<Q", 2**62) + data[8:])

    with pytest.raises(ValueError, match="bad header length"):
        load_pretrained(_corrupt(exported, tmp_path, "huge", huge_header))
