"""The fine-tuning loop of TransformerClassifier: epochs, gradient accumulation, freezing
the encoder, per-epoch validation metrics, early stopping, checkpoints and resume.

torch is passed in by the caller (imported lazily there); importing this module is free.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import time
import warnings
from pathlib import Path

import numpy as np

from .._progress import progress_bar
from ._files import read_json_file, replace_directory

__all__ = ["CHECKPOINT_STATE_FILE", "Trainer", "training_fingerprint"]

_WHO = "TransformerClassifier"
_EXTRA = "transformer"
CHECKPOINT_STATE_FILE = "trainer_state.json"
_FORMAT = "mlkit-training-checkpoint"
_VERSION = 1
_WEIGHTS = "model.safetensors"
_BEST = "best.safetensors"
_OPTIM = "optimizer.pt"
_MAX_STATE_BYTES = 16 * 2**20

# the parameters whose change makes a checkpoint belong to another training run
_RUN_PARAMS = ("model", "max_length", "epochs", "batch_size", "learning_rate",
               "head_learning_rate", "weight_decay", "warmup_ratio", "max_grad_norm",
               "pos_weight", "max_pos_weight", "validation_fraction", "early_stopping_metric",
               "patience", "threshold", "pooling", "head_init", "group_by_length", "freeze",
               "gradient_accumulation_steps")


def _jsonable(value):
    if isinstance(value, (str, bool, type(None))):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.random.RandomState):
        return "RandomState"
    try:
        return [float(v) for v in np.asarray(value, dtype=float).ravel()]
    except (TypeError, ValueError):
        return str(value)


def training_fingerprint(est, texts, Yd, classes, val):
    """What a checkpoint must match to be resumed: the training parameters, the labels,
    and a hash of the training (and validation) texts and labels."""
    digest = hashlib.sha256()
    for part in (texts, [] if val is None else val[0]):
        for t in part:
            digest.update(t.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(b"\1")
    digest.update(np.ascontiguousarray(Yd, dtype=np.int8).tobytes())
    if val is not None:
        digest.update(np.ascontiguousarray(val[1], dtype=np.int8).tobytes())
    fp = {name: _jsonable(getattr(est, name)) for name in _RUN_PARAMS}
    fp["random_state"] = _jsonable(est.random_state)
    fp["classes"] = [str(c) for c in classes]
    fp["data_sha256"] = digest.hexdigest()
    return fp


class Trainer:
    """One fine-tuning run of ``est`` (a TransformerClassifier) on ``model``.

    ``data`` holds the tokenized training features and lengths, the training labels
    (a float tensor), the validation texts and labels (or None), ``pos_weight`` and the
    fingerprint of the run.
    """

    def __init__(self, est, torch, transformers, model, tokenizer, device, rng, progress,
                 data):
        self.est, self.torch, self.model, self.tokenizer = est, torch, model, tokenizer
        self.device, self.rng, self.progress, self.data = device, rng, progress, data
        pw = data["pos_weight"]
        self.loss_fn = torch.nn.BCEWithLogitsLoss(
            pos_weight=None if pw is None
            else torch.as_tensor(pw, dtype=torch.float32, device=device))
        self.optimizer = torch.optim.AdamW(est._param_groups(model),
                                           lr=float(est.learning_rate))
        n_batches = math.ceil(len(data["lengths"]) / int(est.batch_size))
        self.steps_per_epoch = math.ceil(n_batches / int(est.gradient_accumulation_steps))
        self.total_steps = self.steps_per_epoch * int(est.epochs)
        self.scheduler = transformers.get_linear_schedule_with_warmup(
            self.optimizer, num_warmup_steps=int(float(est.warmup_ratio) * self.total_steps),
            num_training_steps=self.total_steps)
        self.autocast, self.scaler = est._autocast(torch, device)
        from ..metrics import get_metric

        self.metric = get_metric(est.early_stopping_metric)
        base = getattr(model, "base_model", model)
        self.base_params = list(base.parameters()) if base is not model else []
        self.epoch = 0
        self.loss_curve, self.history, self.validation_scores = [], [], []
        self.best_epoch, self.best_score, self.best_state = None, None, None
        self.bad_epochs, self.stopped = 0, False

    # ------------------------------------------------------------------ loop

    def run(self):
        """Train the remaining epochs; keep the best epoch's weights (with validation)."""
        est = self.est
        bar = progress_bar(self.progress, total=self.total_steps, desc="Fine-tuning",
                           unit="step", extra=_EXTRA, purpose=_WHO)
        if bar is not None and self.epoch:
            bar.update(self.epoch * self.steps_per_epoch)
        try:
            while self.epoch < int(est.epochs) and not self.stopped:
                start = time.perf_counter()
                loss = self._epoch(bar)
                record = {"epoch": self.epoch + 1, "train_loss": loss}
                self.loss_curve.append(loss)
                self.epoch += 1
                if self.data["val"] is not None:
                    record.update(self._validate())
                record["seconds"] = time.perf_counter() - start
                self.history.append(record)
                if bar is not None:
                    shown = {k: f"{v:.4f}" for k, v in record.items()
                             if k in ("train_loss", "val_loss", "val_f1_macro")}
                    bar.set_postfix(epoch=f"{self.epoch}/{est.epochs}", **shown)
                if est.checkpoint_dir is not None:
                    self.save(est.checkpoint_dir)
        finally:
            if bar is not None:
                bar.close()
        if self.best_state is not None and self.best_epoch != self.epoch:
            self.model.load_state_dict(self.best_state)

    def _set_frozen(self):
        freeze = self.est.freeze
        frozen = (freeze == "encoder" or (isinstance(freeze, numbers.Integral)
                                          and not isinstance(freeze, bool)
                                          and self.epoch < int(freeze)))
        for p in self.base_params:
            p.requires_grad_(not frozen)

    def _epoch(self, bar):
        """One pass over the training batches; returns the mean training loss."""
        torch, est = self.torch, self.est
        self._set_frozen()
        self.model.train()
        batches = est._train_batches(self.data["lengths"], self.rng)
        k = int(est.gradient_accumulation_steps)
        total_loss, n_seen, running = 0.0, 0, None
        for start in range(0, len(batches), k):
            chunk = batches[start:start + k]
            size = sum(len(b) for b in chunk)
            for batch_idx in chunk:
                value = self._backward(batch_idx, len(batch_idx) / size)
                total_loss += value * len(batch_idx)
                n_seen += len(batch_idx)
                running = value if running is None else 0.95 * running + 0.05 * value
            self._step(torch)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(epoch=f"{self.epoch + 1}/{est.epochs}", loss=f"{running:.4f}")
        return total_loss / max(n_seen, 1)

    def _backward(self, batch_idx, weight):
        """Forward and backward of one batch, its loss weighted by its share of the
        accumulated step; returns the batch's mean loss."""
        torch, est = self.torch, self.est
        features = self.data["features"]
        batch = est._collate(self.tokenizer, [features[i] for i in batch_idx], self.device)
        target = self.data["Y"][batch_idx].to(self.device)
        with self.autocast:
            logits = self.model(**batch).logits
        loss = self.loss_fn(logits.float(), target)
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"{_WHO}: the training loss became {loss.item()} at epoch {self.epoch + 1}; "
                f"lower learning_rate (now {est.learning_rate}) or keep max_grad_norm set.")
        scaled = loss * weight
        if self.scaler is not None:
            self.scaler.scale(scaled).backward()
        else:
            scaled.backward()
        return float(loss.detach())

    def _step(self, torch):
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if self.est.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(),
                                           float(self.est.max_grad_norm))
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)

    def _validate(self):
        """Validation metrics of the current weights; updates early stopping."""
        from ..metrics import average_precision_score, f1_score

        torch, est = self.torch, self.est
        texts, Y = self.data["val"]
        self.model.eval()
        logits = est._logits_of(self.model, self.tokenizer, texts, self.device)
        proba = 0.5 * (1.0 + np.tanh(0.5 * logits))
        D = (proba >= float(est.threshold)).astype(int)
        with torch.no_grad():
            val_loss = float(self.loss_fn(torch.as_tensor(logits, dtype=torch.float32,
                                                          device=self.device),
                                          torch.as_tensor(Y, dtype=torch.float32,
                                                          device=self.device)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            record = {"val_loss": val_loss,
                      "val_f1_micro": float(f1_score(Y, D, average="micro")),
                      "val_f1_macro": float(f1_score(Y, D, average="macro")),
                      "val_average_precision_macro": float(
                          average_precision_score(Y, proba, average="macro"))}
            score = float(self.metric(Y, proba if self.metric.needs_scores else D))
        record[f"val_{self.metric.name}"] = score
        self.validation_scores.append(score)
        self._early_stopping(score)
        return record

    def _early_stopping(self, score):
        key = score if np.isfinite(score) else -np.inf
        if not self.metric.greater_is_better:
            key = -key if np.isfinite(score) else -np.inf
        if self.best_score is None or key > self.best_score:
            self.best_score, self.bad_epochs, self.best_epoch = key, 0, self.epoch
            self.best_state = {k: v.detach().to("cpu", copy=True)
                               for k, v in self.model.state_dict().items()}
        else:
            self.bad_epochs += 1
            if self.bad_epochs >= int(self.est.patience):
                self.stopped = True

    # ------------------------------------------------------------------ checkpoints

    def _state(self):
        kind, keys, pos, has_gauss, cached = self.rng.get_state()
        return {"format": _FORMAT, "version": _VERSION, "epoch": self.epoch,
                "fingerprint": self.data["fingerprint"], "loss_curve": self.loss_curve,
                "history": self.history, "validation_scores": self.validation_scores,
                "best_epoch": self.best_epoch,
                "best_score": None if self.best_score is None or not np.isfinite(
                    self.best_score) else self.best_score,
                "bad_epochs": self.bad_epochs, "stopped": self.stopped,
                "numpy_rng": [kind, [int(k) for k in keys], int(pos), int(has_gauss),
                              float(cached)]}

    def save(self, directory):
        """Write a resumable checkpoint of the run so far into ``directory`` (atomically)."""
        from safetensors.torch import save_file, save_model

        torch = self.torch

        def write(tmp):
            save_model(self.model, str(tmp / _WEIGHTS))
            if self.best_state is not None:
                save_file({k: v.contiguous() for k, v in self.best_state.items()},
                          str(tmp / _BEST))
            extra = {"optimizer": self.optimizer.state_dict(),
                     "scheduler": self.scheduler.state_dict(),
                     "torch_rng": torch.get_rng_state()}
            if self.scaler is not None:
                extra["scaler"] = self.scaler.state_dict()
            if self.device.startswith("cuda"):
                extra["cuda_rng"] = torch.cuda.get_rng_state(torch.device(self.device))
            torch.save(extra, str(tmp / _OPTIM))
            (tmp / CHECKPOINT_STATE_FILE).write_text(json.dumps(self._state()),
                                                     encoding="utf-8")

        replace_directory(directory, write, who=f"{_WHO} checkpoint_dir",
                          marker=CHECKPOINT_STATE_FILE)

    def resume(self, directory):
        """Continue from the checkpoint in ``directory``; False when it holds none."""
        root = Path(directory).expanduser()
        if not (root / CHECKPOINT_STATE_FILE).is_file():
            return False
        where = f"checkpoint_dir={str(root)!r}"
        state = read_json_file(root / CHECKPOINT_STATE_FILE, max_bytes=_MAX_STATE_BYTES,
                               who=_WHO, what="training checkpoint state")
        if state.get("format") != _FORMAT or state.get("version") != _VERSION:
            raise ValueError(f"{_WHO}: {where} does not hold an mlkit training checkpoint of "
                             f"version {_VERSION}; use another directory or resume=False.")
        self._check_fingerprint(state.get("fingerprint"), where)
        try:
            self._load_tensors(root, state)
            self._load_counters(state)
        except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError) as exc:
            raise ValueError(
                f"{_WHO}: the checkpoint in {where} is damaged ({type(exc).__name__}: "
                f"{str(exc)[:300]}). Delete it, or fit with resume=False to start over."
            ) from None
        return True

    def _check_fingerprint(self, saved, where):
        mine = self.data["fingerprint"]
        if not isinstance(saved, dict):
            raise ValueError(f"{_WHO}: {where} has no training fingerprint; it is damaged.")
        diff = sorted(k for k in set(mine) | set(saved) if mine.get(k) != saved.get(k))
        if diff:
            shown = ", ".join(
                f"{k}: checkpoint {saved.get(k)!r:.60} != now {mine.get(k)!r:.60}"
                for k in diff[:4])
            raise ValueError(
                f"{_WHO}: {where} holds a checkpoint of a different training run ({shown}). "
                "Resume with the same parameters and data, or use a new checkpoint_dir "
                "(or resume=False to overwrite it).")

    def _load_tensors(self, root, state):
        from safetensors.torch import load_file, load_model

        torch = self.torch
        missing, unexpected = load_model(self.model, str(root / _WEIGHTS), strict=False,
                                         device=self.device)
        if missing or unexpected:
            raise ValueError(f"weights do not match the model (missing {list(missing)[:3]}, "
                             f"unexpected {list(unexpected)[:3]})")
        best = root / _BEST
        self.best_state = load_file(str(best)) if best.is_file() else None
        extra = torch.load(str(root / _OPTIM), map_location=self.device, weights_only=True)
        self.optimizer.load_state_dict(extra["optimizer"])
        self.scheduler.load_state_dict(extra["scheduler"])
        if self.scaler is not None and "scaler" in extra:
            self.scaler.load_state_dict(extra["scaler"])
        torch.set_rng_state(extra["torch_rng"].cpu())
        if "cuda_rng" in extra and self.device.startswith("cuda"):
            torch.cuda.set_rng_state(extra["cuda_rng"].cpu(), torch.device(self.device))

    def _load_counters(self, state):
        epoch = state["epoch"]
        if not isinstance(epoch, int) or not 1 <= epoch <= int(self.est.epochs):
            raise ValueError(f"epoch {epoch!r} is outside 1..{self.est.epochs}")
        kind, keys, pos, has_gauss, cached = state["numpy_rng"]
        self.rng.set_state((str(kind), np.asarray(keys, dtype=np.uint32), int(pos),
                            int(has_gauss), float(cached)))
        self.epoch = epoch
        self.loss_curve = [float(v) for v in state["loss_curve"]]
        self.history = [dict(r) for r in state["history"]]
        self.validation_scores = [float(v) for v in state["validation_scores"]]
        self.best_epoch = state["best_epoch"]
        best = state["best_score"]
        self.best_score = None if self.best_epoch is None else (
            -np.inf if best is None else float(best))
        self.bad_epochs = int(state["bad_epochs"])
        self.stopped = bool(state["stopped"])
        if len(self.loss_curve) != epoch or len(self.history) != epoch:
            raise ValueError("its loss curve and history do not match its epoch")
