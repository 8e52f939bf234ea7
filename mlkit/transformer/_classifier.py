"""TransformerClassifier: a fine-tuned Hugging Face encoder with a multi-label head.

torch and transformers are imported inside the methods that need them
(extra ``transformer``); importing this module is free.
"""

from __future__ import annotations

import numbers
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._labels import check_label_matrix
from .._optional import import_optional
from .._text import check_texts
from .._torch import VERBOSE_CONSTRAINT, TorchDevice, progress_bar, show_progress
from ..base import Interval, MultiLabelClassifierMixin, StrOptions, fit_context

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["DEFAULT_TRANSFORMER_MODEL", "TransformerClassifier"]

DEFAULT_TRANSFORMER_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_EXTRA = "transformer"
_WHO = "TransformerClassifier"
_MULTI = "multi_label_classification"
# keys mlkit adds to a checkpoint's config.json (ignored by transformers)
_CFG_THRESHOLD = "mlkit_threshold"
_CFG_MAX_LENGTH = "mlkit_max_length"
_CFG_CLASSES = "mlkit_classes_kind"
_CFG_POOLING = "mlkit_pooling"
_HEAD_FILE = "mlkit_head.safetensors"


def _imports():
    torch = import_optional("torch", extra=_EXTRA, purpose=_WHO)
    transformers = import_optional("transformers", extra=_EXTRA, purpose=_WHO)
    return torch, transformers


def _is_default_names(id2label):
    return all(str(v) == f"LABEL_{int(k)}" for k, v in id2label.items())


def _classes_from_config(config):
    id2label = {int(k): v for k, v in (config.id2label or {}).items()}
    n = config.num_labels
    if getattr(config, _CFG_CLASSES, None) == "index" or not id2label or _is_default_names(id2label):
        return np.arange(n)
    return np.asarray([str(id2label[i]) for i in range(n)], dtype=object)


def _head_linear(model, n_labels):
    """The last ``nn.Linear`` of ``model`` that outputs ``n_labels`` values (the label head)."""
    torch, _ = _imports()
    head = None
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and module.out_features == n_labels:
            head = module
    return head


def _path_or_name(model):
    path = Path(os.fspath(model)).expanduser()
    return str(path) if path.is_dir() else os.fspath(model)


def _model_file(model, filename):
    """Path of ``filename`` in a local model directory or the local hub cache, or None."""
    path = Path(os.fspath(model)).expanduser()
    if path.is_dir():
        candidate = path / filename
        return candidate if candidate.is_file() else None
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(os.fspath(model), filename)
    except Exception:  # noqa: BLE001 - not a valid repo id, no cache...: not found
        return None
    return Path(found) if isinstance(found, str) else None


_MEAN_POOL_CLASS = None


def _mean_pool_classifier(encoder, n_labels):
    """An encoder -> masked mean of the token states -> dropout -> linear model."""
    global _MEAN_POOL_CLASS
    torch, _ = _imports()
    if _MEAN_POOL_CLASS is None:
        from types import SimpleNamespace

        class MeanPoolClassifier(torch.nn.Module):
            """Multi-label head on the mean of an encoder's token states (mlkit)."""

            def __init__(self, encoder, n_labels):
                super().__init__()
                cfg = encoder.config
                p = getattr(cfg, "classifier_dropout", None)
                if p is None:
                    p = getattr(cfg, "hidden_dropout_prob", getattr(cfg, "dropout", 0.1))
                self.encoder = encoder
                self.dropout = torch.nn.Dropout(float(p))
                self.classifier = torch.nn.Linear(cfg.hidden_size, n_labels)
                std = float(getattr(cfg, "initializer_range", 0.02))
                torch.nn.init.normal_(self.classifier.weight, std=std)
                torch.nn.init.zeros_(self.classifier.bias)

            @property
            def config(self):
                return self.encoder.config

            @property
            def base_model(self):
                return self.encoder

            def pool(self, input_ids=None, attention_mask=None, **kwargs):
                out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
                hidden = out.last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)

            def forward(self, input_ids=None, attention_mask=None, **kwargs):
                pooled = self.pool(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
                return SimpleNamespace(logits=self.classifier(self.dropout(pooled)))

        _MEAN_POOL_CLASS = MeanPoolClassifier
    return _MEAN_POOL_CLASS(encoder, n_labels)


class TransformerClassifier(MultiLabelClassifierMixin, BaseEstimator):
    """Fine-tune a Hugging Face encoder for multi-label text classification.

    The encoder (any ``AutoModel`` checkpoint: BERT, RoBERTa, DistilBERT,
    MiniLM, ...) gets its architecture's standard sequence-classification head
    with one output per label (for BERT-like models: pooled ``[CLS]`` ->
    dropout -> linear), trained with one sigmoid per label and
    :class:`torch.nn.BCEWithLogitsLoss`. This is exactly
    ``AutoModelForSequenceClassification`` with
    ``problem_type="multi_label_classification"``, so :meth:`save_pretrained`
    writes a standard checkpoint any Hugging Face tool loads.

    The training loop: dynamic padding (each batch padded to its longest
    text), optional length-grouped batches, AdamW without weight decay on
    biases and LayerNorm weights, linear warmup then linear decay, gradient
    clipping, an optional stratified validation split with early stopping on a
    multi-label metric (the best epoch's weights are kept), mixed precision on
    CUDA (bfloat16 where supported, else float16 with loss scaling), and a
    progress bar with the running loss. Inference runs in batches sorted by
    length. Nothing is downloaded unless ``local_files_only=False``.

    Needs the ``transformer`` extra: ``pip install "mlkit[transformer]"``.

    Parameters
    ----------
    model : str or path-like, default="sentence-transformers/all-MiniLM-L6-v2"
        Hub name or local directory of a Hugging Face checkpoint. A
        multi-label checkpoint with the same labels (e.g. one written by
        :meth:`save_pretrained`) is fine-tuned further, head included.
    max_length : int, default=128
        Maximum tokens per text; longer texts are truncated.
    epochs : int, default=3
        Passes over the training data (fewer with early stopping).
    batch_size : int, default=32
        Texts per training step.
    learning_rate : float, default=5e-5
        Peak learning rate of the encoder (AdamW).
    head_learning_rate : float > 0 or None, default=None
        Peak learning rate of the new head (parameters outside the base
        encoder); None uses ``learning_rate``. A higher one (e.g. 1e-3) helps
        on small training sets.
    weight_decay : float, default=0.01
        AdamW weight decay (not applied to biases and LayerNorm weights).
    warmup_ratio : float, default=0.1
        Fraction of the training steps over which the learning rate rises
        linearly from 0; it then decays linearly to 0.
    max_grad_norm : float > 0 or None, default=1.0
        Clip the gradients' global L2 norm to this; None disables clipping.
    pos_weight : None, "balanced" or array-like of shape (n_labels,), default=None
        Weight of the positive examples of each label in the loss.
        ``"balanced"``: ``n_negative / n_positive`` of each label, capped at
        ``max_pos_weight`` (labels without positives get 1).
    max_pos_weight : float, default=50.0
        Cap of the ``"balanced"`` weights.
    validation_fraction : float or None, default=None
        Hold out this fraction of the training texts (multi-label
        stratified) to evaluate after each epoch; training stops after
        ``patience`` epochs without improvement and the best epoch's weights
        are kept. None trains on everything for ``epochs`` epochs.
    early_stopping_metric : str, default="average_precision_macro"
        Any name of :func:`mlkit.metrics.get_metric`. Ranking metrics are
        computed on the probabilities (threshold-free, the right choice when
        thresholds are tuned afterwards); threshold metrics (``"f1_macro"``
        ...) on ``predict_proba >= threshold``.
    patience : int, default=2
        Epochs without improvement of the validation metric before stopping.
    threshold : float, default=0.5
        ``predict`` sets a label when its probability is at least this. Use
        :class:`~mlkit.ThresholdTuner` for per-label thresholds.
    pooling : {"auto", "cls", "mean"}, default="auto"
        What the head sees. ``"cls"``: the architecture's own
        sequence-classification head (for BERT: the pooled ``[CLS]`` state
        -> dropout -> linear); the model is a standard
        ``AutoModelForSequenceClassification``, so its checkpoint is one any
        Hugging Face tool reproduces. ``"mean"``: the mean of the token states
        (masked) -> dropout -> linear, the pooling sentence-transformers
        models are trained with; its checkpoint needs mlkit to load, since
        ``transformers`` has no mean-pooling classification head. With
        ``head_init="linear_probe"`` both learn about equally well from small
        data (4,000 GoEmotions rows, 2 epochs, thresholds tuned on dev: test
        macro-F1 0.404 with ``"cls"``, 0.394 with ``"mean"``; a random
        ``"cls"`` head: 0.11). ``"auto"``: the checkpoint's saved choice
        (``mlkit_pooling`` in its config), else ``"cls"``. The choice is
        stored in ``pooling_``.
    head_init : {"linear_probe", "random"}, default="linear_probe"
        How a new head's output layer starts. ``"linear_probe"``: fitted
        first on what that layer sees from the frozen encoder for the training
        texts (the mean-pooled states, or for ``"cls"`` the architecture's
        pooled ``[CLS]`` features), an L2-regularized logistic regression,
        one full-batch L-BFGS solve, costing one inference pass; then
        everything is fine-tuned ("LP-FT", Kumar et al., 2022): the encoder
        adapts under a head that is already good, instead of being pushed
        around by a random one. This matters most with few training steps.
        ``"random"``: the usual random initialization. A warm-started head
        (same labels, from a checkpoint) starts as it is.
    eval_batch_size : int or None, default=None
        Texts per inference batch; None uses ``2 * batch_size``.
    group_by_length : bool, default=True
        Build each training batch from texts of similar length (random
        groups of 50 batches are sorted by length and cut into batches,
        whose order is shuffled), which cuts padding, and so time, on texts
        of varied length. False draws batches uniformly.
    mixed_precision : {"auto", True, False}, default="auto"
        Autocast on CUDA: ``"auto"`` and True enable it there (bfloat16 when
        the GPU supports it, else float16 with a gradient scaler); it is
        never used on CPU (True warns there).
    device : str or torch.device, default="auto"
        ``"auto"``: a CUDA (or MPS) GPU when torch sees one, else the CPU;
        or a torch device name such as ``"cpu"`` or ``"cuda:1"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the head's initialization, dropout, shuffling and the
        validation split. On CPU two fits with the same integer seed (and the
        same number of torch threads) give identical models; on GPU, kernels
        may add small nondeterminism.
    local_files_only : bool, default=True
        Only use local directories and the local Hugging Face cache (set
        ``HF_HUB_OFFLINE=1`` too, to be sure). Set False to let transformers
        download ``model`` from the hub.
    freeze : {"none", "encoder"} or int >= 1, default="none"
        ``"encoder"``: only the head (the parameters outside the base
        encoder) is trained, the encoder's weights stay as loaded (Lightning
        Flash's ``freeze``); an int ``N``: the encoder is frozen for the first
        ``N`` epochs, then trained too (Flash's ``freeze_unfreeze``). The
        learning-rate schedule spans all epochs either way.
    gradient_accumulation_steps : int >= 1, default=1
        Optimizer steps every this many batches, on the gradient of the mean
        loss of their texts: an effective batch of
        ``batch_size * gradient_accumulation_steps`` texts with the memory of
        ``batch_size``.
    checkpoint_dir : str, path-like or None, default=None
        After each epoch, write a resumable training checkpoint here
        (atomically; the previous one is replaced): the weights, the
        optimizer, scheduler and gradient-scaler states, the random states,
        the epoch and ``history_``. It is not a model to predict with (see
        :func:`mlkit.transformer.save_pretrained` for that). An existing
        non-empty directory that holds no checkpoint is never overwritten.
    resume : bool, default=False
        With ``checkpoint_dir``, continue the run whose checkpoint is there:
        the result equals the uninterrupted run's (same parameters and data
        required, else a ValueError says what differs). When the directory
        holds no checkpoint yet, training starts from the beginning, so the
        same call serves the first run and every restart. With
        ``validation_fraction``, ``checkpoint_dir`` needs an int
        ``random_state`` (the same split must be drawn again).
    verbose : bool, int or "auto", default=False
        `tqdm <https://tqdm.github.io>`_ progress bars on standard error:
        in ``fit``, one over the texts of the linear probe (when
        ``head_init="linear_probe"`` applies) and one over the training steps
        with the running loss (and the validation metric after each epoch);
        in ``decision_function``, ``predict_proba`` and ``predict``, one over
        the texts. False (or 0): nothing is ever printed. True (or an
        int >= 1): every bar. ``"auto"``: the bars when standard error is a
        terminal or the code runs in Jupyter (the command line's choice),
        and for inference only from 1,000 texts.

    Attributes
    ----------
    model_ : torch.nn.Module
        The fine-tuned model, in eval mode: an
        ``AutoModelForSequenceClassification`` (``pooling_="cls"``), or
        mlkit's mean-pooling head on an ``AutoModel`` (``pooling_="mean"``).
    pooling_ : {"cls", "mean"}
    tokenizer_ : transformers.PreTrainedTokenizerBase
    classes_ : ndarray of shape (n_labels,)
        Label names, or ``np.arange(n_labels)`` when ``Y`` carried none.
    n_labels_ : int
    device_ : str
        The device the model lives on.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    validation_scores_ : list of float
        ``early_stopping_metric`` on the validation set after each epoch
        (empty without ``validation_fraction`` or ``X_val``).
    history_ : list of dict
        One dict per epoch: ``epoch``, ``train_loss`` (mean over the
        epoch's texts) and ``seconds``; with a validation set also
        ``val_loss`` (the training loss function on it), ``val_f1_micro`` and
        ``val_f1_macro`` (of ``predict_proba >= threshold``),
        ``val_average_precision_macro`` and ``val_<early_stopping_metric>``.
    best_epoch_ : int or None
        1-based epoch whose weights were kept (None without validation).
    n_epochs_ : int
        Epochs trained.
    n_train_samples_ : int
        Texts trained on (after the validation split).

    See Also
    --------
    SentenceEmbeddingFeaturizer : Frozen sentence embeddings for any classifier.
    ThresholdTuner : Tune per-label thresholds on held-out scores (``cv=0.2``).

    Notes
    -----
    Pickle and joblib store the configuration, the weights and the tokenizer
    files (the checkpoint :meth:`save_pretrained` writes), so an unpickled
    model predicts identically without the original ``model`` directory or
    the hub. ``decision_function`` returns the logits, ``predict_proba`` their
    sigmoid.

    Examples
    --------
    >>> from mlkit import TransformerClassifier  # doctest: +SKIP
    >>> clf = TransformerClassifier("path/to/all-MiniLM-L6-v2", epochs=2,
    ...                             random_state=0)  # doctest: +SKIP
    >>> clf.fit(texts, [["joy"], ["anger", "fear"], []])  # doctest: +SKIP
    >>> clf.predict_proba(["what a lovely day"]).shape  # doctest: +SKIP
    (1, 3)
    >>> clf.save_pretrained("my-checkpoint")  # doctest: +SKIP
    """

    # predict_proba is the sigmoid of decision_function: a ThresholdTuner that thresholds
    # the logits reports its thresholds in probability units (proba_thresholds_)
    _predict_proba_is_sigmoid = True

    _parameter_constraints = {
        "model": [str, os.PathLike],
        "max_length": [Interval(numbers.Integral, 1, None, closed="left")],
        "epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "head_learning_rate": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "warmup_ratio": [Interval(numbers.Real, 0, 1, closed="left")],
        "max_grad_norm": [Interval(numbers.Real, 0, None, closed="neither"), None],
        # the length of an array is checked against Y's labels in fit
        "pos_weight": [None, StrOptions({"balanced"}), "array-like"],
        "max_pos_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "early_stopping_metric": [str],  # a name of mlkit.metrics.get_metric, checked in fit
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "threshold": [Interval(numbers.Real, 0, 1, closed="both")],
        "pooling": [StrOptions({"auto", "cls", "mean"})],
        "head_init": [StrOptions({"linear_probe", "random"})],
        "eval_batch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "group_by_length": ["boolean"],
        "mixed_precision": ["boolean", StrOptions({"auto"})],
        "device": [str, TorchDevice],  # the name is checked by resolve_device in fit
        "random_state": ["random_state"],
        "local_files_only": ["boolean"],
        "freeze": [StrOptions({"none", "encoder"}),
                   Interval(numbers.Integral, 1, None, closed="left")],
        "gradient_accumulation_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "checkpoint_dir": [str, os.PathLike, None],
        "resume": ["boolean"],
        "verbose": VERBOSE_CONSTRAINT,
    }

    def __init__(
        self,
        model: str | os.PathLike[str] = DEFAULT_TRANSFORMER_MODEL,
        *,
        max_length: int = 128,
        epochs: int = 3,
        batch_size: int = 32,
        learning_rate: float = 5e-5,
        head_learning_rate: float | None = None,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        max_grad_norm: float | None = 1.0,
        pos_weight: str | ArrayLike | None = None,
        max_pos_weight: float = 50.0,
        validation_fraction: float | None = None,
        early_stopping_metric: str = "average_precision_macro",
        patience: int = 2,
        threshold: float = 0.5,
        pooling: str = "auto",
        head_init: str = "linear_probe",
        eval_batch_size: int | None = None,
        group_by_length: bool = True,
        mixed_precision: bool | str = "auto",
        device: Any = "auto",
        random_state: int | np.random.RandomState | None = None,
        local_files_only: bool = True,
        freeze: str | int = "none",
        gradient_accumulation_steps: int = 1,
        checkpoint_dir: str | os.PathLike[str] | None = None,
        resume: bool = False,
        verbose: bool | int | str = False,
    ) -> None:
        self.model = model
        self.max_length = max_length
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.head_learning_rate = head_learning_rate
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.max_grad_norm = max_grad_norm
        self.pos_weight = pos_weight
        self.max_pos_weight = max_pos_weight
        self.validation_fraction = validation_fraction
        self.early_stopping_metric = early_stopping_metric
        self.patience = patience
        self.threshold = threshold
        self.pooling = pooling
        self.head_init = head_init
        self.eval_batch_size = eval_batch_size
        self.group_by_length = group_by_length
        self.mixed_precision = mixed_precision
        self.device = device
        self.random_state = random_state
        self.local_files_only = local_files_only
        self.freeze = freeze
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.verbose = verbose

    # ------------------------------------------------------------------
    # parameters
    # ------------------------------------------------------------------

    def _check_params(self):
        """Validate the parameters: the constraints, then what they cannot express."""
        self._validate_params()
        self._check_param_values()

    def _check_param_values(self):
        # (fit runs _validate_params through fit_context first)
        if not os.fspath(self.model):
            raise ValueError(f"{_WHO}: model is an empty string; give a Hugging Face hub name "
                             "or a local checkpoint directory.")
        if isinstance(self.freeze, (bool, np.bool_)):
            raise ValueError(f"{_WHO}: freeze={self.freeze!r} is ambiguous; use \"encoder\" "
                             "(the encoder frozen throughout), an int N (frozen for the first "
                             "N epochs) or \"none\".")
        from ..metrics import get_metric

        get_metric(self.early_stopping_metric)  # raises with the valid names

    # ------------------------------------------------------------------
    # loading
    # ------------------------------------------------------------------

    def _from_pretrained(self, auto_class, source, **kwargs):
        """``transformers.<auto_class>.from_pretrained(source)``, no download unless allowed,
        and a clear error when the model is not there."""
        _, transformers = _imports()
        from .._torch import model_not_found_error, quiet_hf_loading

        try:
            with quiet_hf_loading():
                return getattr(transformers, auto_class).from_pretrained(
                    _path_or_name(source), local_files_only=bool(self.local_files_only),
                    **kwargs)
        except (OSError, ValueError) as exc:
            raise model_not_found_error(source, self.local_files_only, _WHO, exc) from exc

    def _load_config(self, source):
        return self._from_pretrained("AutoConfig", source)

    def _load_tokenizer(self, source):
        return self._from_pretrained("AutoTokenizer", source)

    def _load_model(self, source, **kwargs):
        torch, _ = _imports()
        # float32 weights whatever the checkpoint's dtype: training keeps float32 master
        # weights (autocast handles mixed precision on CUDA)
        return self._from_pretrained("AutoModelForSequenceClassification", source,
                                     dtype=torch.float32, **kwargs)

    def _resolve_pooling(self, config):
        if self.pooling != "auto":
            return self.pooling
        saved = getattr(config, _CFG_POOLING, None)
        return saved if saved in ("cls", "mean") else "cls"

    def _load_encoder(self, source):
        torch, transformers = _imports()
        from .._torch import model_not_found_error, quiet_hf_loading

        try:
            with quiet_hf_loading():
                return transformers.AutoModel.from_pretrained(
                    _path_or_name(source), local_files_only=bool(self.local_files_only),
                    dtype=torch.float32)
        except (OSError, ValueError) as exc:
            raise model_not_found_error(source, self.local_files_only, _WHO, exc) from exc

    def _load_head(self, model, source):
        """Load a mean-pooling checkpoint's head weights into ``model`` (False if none)."""
        path = _model_file(source, _HEAD_FILE)
        if path is None:
            return False
        from safetensors.torch import load_file

        state = load_file(str(path))
        if state["weight"].shape != model.classifier.weight.shape:
            return False
        model.classifier.load_state_dict(state)
        return True

    def _build_model(self, classes, named):
        """The classification model for these labels: warm-started head when it matches.

        Returns (model, pooling, fresh_head).
        """
        n_labels = len(classes)
        names = [str(c) for c in classes] if named else [f"LABEL_{i}" for i in range(n_labels)]
        config = self._load_config(self.model)
        pooling = self._resolve_pooling(config)
        old = {int(k): str(v) for k, v in (getattr(config, "id2label", None) or {}).items()}
        id2label = dict(enumerate(names))
        label2id = {n: i for i, n in enumerate(names)}
        if pooling == "mean":
            encoder = self._load_encoder(self.model)
            model = _mean_pool_classifier(encoder, n_labels)
            same_size = (getattr(config, _CFG_POOLING, None) == "mean"
                         and len(old) == n_labels and self._load_head(model, self.model))
            model.config.update({"id2label": id2label, "label2id": label2id,
                                 "problem_type": _MULTI})
        else:
            is_classifier = any(a.endswith("ForSequenceClassification")
                                for a in (getattr(config, "architectures", None) or []))
            same_size = is_classifier and config.num_labels == n_labels
            model = self._load_model(
                self.model, num_labels=n_labels, problem_type=_MULTI,
                id2label=id2label, label2id=label2id, ignore_mismatched_sizes=True,
            )
        model.config.update({_CFG_POOLING: pooling})
        if same_size:
            torch, _ = _imports()
            old_names = [old.get(i, f"LABEL_{i}") for i in range(n_labels)]
            head = model.classifier if pooling == "mean" else _head_linear(model, n_labels)
            if old_names != names and not _is_default_names(dict(enumerate(old_names))):
                if sorted(old_names) == sorted(names) and head is not None:
                    # same labels in another order: reorder the head's rows
                    perm = [old_names.index(n) for n in names]
                    with torch.no_grad():
                        head.weight.copy_(head.weight[perm].clone())
                        if head.bias is not None:
                            head.bias.copy_(head.bias[perm].clone())
                else:
                    warnings.warn(
                        f"{_WHO}: the checkpoint {os.fspath(self.model)!r} was trained for the "
                        f"labels {old_names[:5]}... but Y has {names[:5]}...; the classification "
                        "head is initialized afresh.", UserWarning, stacklevel=3)
                    if head is not None:
                        torch.nn.init.normal_(
                            head.weight, std=float(getattr(model.config, "initializer_range",
                                                           0.02)))
                        if head.bias is not None:
                            torch.nn.init.zeros_(head.bias)
                    same_size = False
        return model, pooling, not same_size

    # ------------------------------------------------------------------
    # data
    # ------------------------------------------------------------------

    def _tokenize(self, tokenizer, texts):
        enc = tokenizer(texts, truncation=True, max_length=int(self.max_length))
        keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]
        features = [{k: enc[k][i] for k in keys} for i in range(len(texts))]
        lengths = np.fromiter((len(f["input_ids"]) for f in features), dtype=np.int64,
                              count=len(features))
        return features, lengths

    def _collate(self, tokenizer, features, device):
        batch = tokenizer.pad(features, return_tensors="pt",
                              pad_to_multiple_of=8 if device.startswith("cuda") else None)
        return {k: v.to(device) for k, v in batch.items()}

    def _train_batches(self, lengths, rng):
        n = len(lengths)
        bs = int(self.batch_size)
        perm = rng.permutation(n)
        if not self.group_by_length:
            return [perm[i:i + bs] for i in range(0, n, bs)]
        mega = bs * 50
        batches = []
        for start in range(0, n, mega):
            group = perm[start:start + mega]
            group = group[np.argsort(-lengths[group], kind="stable")]
            batches.extend(group[i:i + bs] for i in range(0, len(group), bs))
        order = rng.permutation(len(batches))
        return [batches[i] for i in order]

    # ------------------------------------------------------------------
    # fit
    # ------------------------------------------------------------------

    def _autocast(self, torch, device):
        if not device.startswith("cuda") or self.mixed_precision is False:
            import contextlib

            return contextlib.nullcontext(), None
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
        return torch.autocast(device_type="cuda", dtype=dtype), scaler

    def _pos_weight(self, Y):
        pw = self.pos_weight
        L = Y.shape[1]
        if pw is None:
            return None
        if isinstance(pw, str):  # "balanced", the only string allowed
            n_pos = Y.sum(axis=0).astype(np.float64)
            n_neg = Y.shape[0] - n_pos
            w = np.where(n_pos > 0, n_neg / np.maximum(n_pos, 1), 1.0)
            return np.clip(w, 1.0, float(self.max_pos_weight))
        w = np.asarray(pw, dtype=np.float64)
        if w.shape != (L,):
            raise ValueError(f"{_WHO}: pos_weight has shape {w.shape} but Y has {L} labels; "
                             "give one weight per label, 'balanced' or None.")
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise ValueError(f"{_WHO}: pos_weight must hold positive finite numbers.")
        return w

    def _param_groups(self, model):
        base = getattr(model, "base_model", model)
        base_ids = {id(p) for p in base.parameters()} if base is not model else set()
        head_lr = self.head_learning_rate or self.learning_rate
        groups = {}
        for name, p in model.named_parameters():
            if not p.requires_grad:
                continue
            no_decay = p.ndim < 2 or "LayerNorm" in name or "layer_norm" in name
            is_head = base_ids and id(p) not in base_ids
            key = (is_head, no_decay)
            if key not in groups:
                groups[key] = {"params": [], "weight_decay": 0.0 if no_decay else
                               float(self.weight_decay),
                               "lr": float(head_lr if is_head else self.learning_rate)}
            groups[key]["params"].append(p)
        return list(groups.values())

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Sequence[str] | ArrayLike, Y: ArrayLike | sp.spmatrix, *,
            X_val: Sequence[str] | ArrayLike | None = None,
            Y_val: ArrayLike | sp.spmatrix | None = None) -> TransformerClassifier:
        """Fine-tune the encoder and the head on raw texts.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.
        Y : array-like, sparse matrix, DataFrame or list of label collections
            Labels in any mlkit form (see :func:`mlkit.labels_to_indicator`).
        X_val : list, tuple, ndarray or Series of str, default=None
            Validation texts, evaluated after each epoch (``history_``) and
            used for early stopping, instead of a ``validation_fraction`` of
            ``X`` (give one or the other).
        Y_val : array-like, sparse matrix, DataFrame or list of label collections, default=None
            Labels of ``X_val``, in a form that names the same labels as ``Y``.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._check_param_values()
        texts = check_texts(X, estimator=self)
        Y, names = check_label_matrix(Y, n_samples=len(texts))
        Yd = Y.toarray() if sp.issparse(Y) else np.asarray(Y)
        classes = names if names is not None else np.arange(Yd.shape[1])
        val = self._explicit_validation(X_val, Y_val, names, Yd.shape[1])
        pos_weight = self._pos_weight(Yd)
        torch, transformers = _imports()
        from .._torch import resolve_device

        device = resolve_device(self.device, purpose=_WHO, extra=_EXTRA)
        if self.mixed_precision is True and not device.startswith("cuda"):
            warnings.warn(f"{_WHO}: mixed_precision=True is used on CUDA only; training on "
                          f"{device} in float32.", UserWarning, stacklevel=2)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(2**31 - 1))
        train_idx = np.arange(len(texts))
        if self.validation_fraction is not None:
            train_idx, val_idx = self._validation_split(texts, Yd, seed)
            val = ([texts[i] for i in val_idx], Yd[val_idx])
        devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            tokenizer = self._load_tokenizer(self.model)
            model, pooling, fresh_head = self._build_model(classes, named=names is not None)
            model.to(device)
            trainer = self._trainer(torch, transformers, model, tokenizer, device, rng,
                                    [texts[i] for i in train_idx], Yd[train_idx], classes,
                                    val, pos_weight, fresh_head)
            trainer.run()
        model.eval()
        model.config.update({_CFG_THRESHOLD: float(self.threshold),
                             _CFG_MAX_LENGTH: int(self.max_length),
                             _CFG_CLASSES: "name" if names is not None else "index"})
        self.model_, self.pooling_, self.tokenizer_ = model, pooling, tokenizer
        self.classes_ = classes
        self.n_labels_ = Yd.shape[1]
        self.device_ = device
        self.n_train_samples_ = int(len(train_idx))
        self.loss_curve_ = list(trainer.loss_curve)
        self.validation_scores_ = list(trainer.validation_scores)
        self.history_ = [dict(r) for r in trainer.history]
        self.best_epoch_ = trainer.best_epoch
        self.n_epochs_ = trainer.epoch
        return self

    def _explicit_validation(self, X_val, Y_val, names, n_labels):
        """(texts, indicator) of ``X_val``/``Y_val`` aligned with Y's labels, or None."""
        if X_val is None and Y_val is None:
            return None
        if X_val is None or Y_val is None:
            raise ValueError(f"{_WHO}.fit: give both X_val and Y_val (got only "
                             f"{'X_val' if Y_val is None else 'Y_val'}).")
        if self.validation_fraction is not None:
            raise ValueError(f"{_WHO}.fit: X_val/Y_val and validation_fraction="
                             f"{self.validation_fraction} both ask for a validation set; "
                             "set validation_fraction=None to use X_val/Y_val.")
        texts = check_texts(X_val, estimator=self)
        kwargs = ({"label_names": [str(n) for n in names]} if names is not None
                  else {"n_labels": n_labels})
        try:
            Yv, _ = check_label_matrix(Y_val, n_samples=len(texts), **kwargs)
        except ValueError as exc:
            raise ValueError(f"{_WHO}.fit: Y_val does not match Y's labels: {exc}") from None
        Yv = Yv.toarray() if sp.issparse(Yv) else np.asarray(Yv)
        if Yv.shape[1] != n_labels:
            raise ValueError(f"{_WHO}.fit: Y_val has {Yv.shape[1]} labels but Y has "
                             f"{n_labels}.")
        return texts, Yv

    def _validation_split(self, texts, Yd, seed):
        from ..model_selection import MultilabelStratifiedShuffleSplit

        if len(texts) < 4:
            raise ValueError(f"{_WHO}: validation_fraction needs at least 4 texts; got "
                             f"{len(texts)}.")
        splitter = MultilabelStratifiedShuffleSplit(
            n_splits=1, test_size=self.validation_fraction, random_state=seed)
        return next(splitter.split(np.zeros((len(texts), 1)), Yd))

    def _trainer(self, torch, transformers, model, tokenizer, device, rng, texts, Yd,
                 classes, val, pos_weight, fresh_head):
        """The training run, resumed from ``checkpoint_dir`` when asked (else after the
        linear probe of a fresh head)."""
        from ._training import Trainer, training_fingerprint

        if self.resume and self.checkpoint_dir is None:
            raise ValueError(f"{_WHO}: resume=True needs checkpoint_dir= (the directory the "
                             "interrupted run wrote its checkpoints to).")
        if (self.checkpoint_dir is not None and self.validation_fraction is not None
                and not isinstance(self.random_state, numbers.Integral)):
            raise ValueError(f"{_WHO}: checkpoint_dir with validation_fraction needs an int "
                             f"random_state (got {self.random_state!r}): a resumed run must "
                             "draw the same validation split.")
        features, lengths = self._tokenize(tokenizer, texts)
        Yt = torch.as_tensor(Yd, dtype=torch.float32)
        data = {"features": features, "lengths": lengths, "Y": Yt, "val": val,
                "pos_weight": pos_weight,
                "fingerprint": training_fingerprint(self, texts, Yd, classes, val)}
        progress = show_progress(self.verbose)
        resumed = False
        if self.resume:
            trainer = Trainer(self, torch, transformers, model, tokenizer, device, rng,
                              progress, data)
            resumed = trainer.resume(self.checkpoint_dir)
        if not resumed:
            if (fresh_head and self.head_init == "linear_probe"
                    and _head_linear(model, Yt.shape[1]) is not None):
                self._linear_probe(torch, model, tokenizer, features, lengths, Yt, pos_weight,
                                   device, progress)
            trainer = Trainer(self, torch, transformers, model, tokenizer, device, rng,
                              progress, data)
        return trainer

    def _linear_probe(self, torch, model, tokenizer, features, lengths, Yt, pos_weight,
                      device, progress=False):
        """Fit a fresh head on the frozen encoder's features (what its last linear layer
        sees): LP before FT."""
        target = _head_linear(model, Yt.shape[1])
        seen = [None]
        # what the head sees, whatever the architecture: the input of its last linear layer
        hook = target.register_forward_hook(lambda mod, args, out: seen.__setitem__(0, args[0]))
        order = np.argsort(-lengths, kind="stable")
        bs = int(self.eval_batch_size or 2 * int(self.batch_size))
        pooled = torch.empty((len(features), target.in_features))
        autocast, _ = self._autocast(torch, device)
        model.eval()
        bar = progress_bar(progress, total=len(features), desc="Linear probe", unit="text",
                           extra=_EXTRA, purpose=_WHO)
        try:
            with torch.inference_mode(), autocast:
                for start in range(0, len(order), bs):
                    idx = order[start:start + bs]
                    batch = self._collate(tokenizer, [features[i] for i in idx], device)
                    model(**batch)
                    pooled[torch.as_tensor(idx)] = seen[0].float().cpu()
                    if bar is not None:
                        bar.update(len(idx))
        finally:
            hook.remove()
            if bar is not None:
                bar.close()
        Z = pooled.to(device)
        Y = Yt.to(device)
        head = torch.nn.Linear(Z.shape[1], Y.shape[1]).to(device)
        with torch.no_grad():
            head.weight.zero_()
            prior = Y.mean(dim=0).clamp(1e-4, 1 - 1e-4)
            head.bias.copy_(torch.log(prior / (1 - prior)))
        pw = None if pos_weight is None else torch.as_tensor(pos_weight, dtype=torch.float32,
                                                             device=device)
        bce = torch.nn.BCEWithLogitsLoss(pos_weight=pw)
        # L2 penalty of a logistic regression with C=1 per label on n samples
        l2 = 1.0 / (2.0 * Z.shape[0])
        opt = torch.optim.LBFGS(head.parameters(), lr=1.0, max_iter=200,
                                line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = bce(head(Z), Y) * Y.shape[1] + l2 * head.weight.pow(2).sum()
            loss.backward()
            return loss

        with torch.enable_grad():
            opt.step(closure)
        with torch.no_grad():
            target.weight.copy_(head.weight)
            target.bias.copy_(head.bias)

    # ------------------------------------------------------------------
    # inference
    # ------------------------------------------------------------------

    def _logits_of(self, model, tokenizer, texts, device, progress=False):
        torch, _ = _imports()
        features, lengths = self._tokenize(tokenizer, texts)
        order = np.argsort(-lengths, kind="stable")
        bs = int(self.eval_batch_size or 2 * int(self.batch_size))
        out = np.empty((len(texts), model.config.num_labels), dtype=np.float64)
        autocast, _ = self._autocast(torch, device)
        was_training = model.training
        model.eval()
        bar = progress_bar(progress, total=len(texts), desc="Predicting", unit="text",
                           extra=_EXTRA, purpose=_WHO)
        try:
            with torch.inference_mode(), autocast:
                for start in range(0, len(order), bs):
                    idx = order[start:start + bs]
                    batch = self._collate(tokenizer, [features[i] for i in idx], device)
                    out[idx] = model(**batch).logits.float().cpu().numpy()
                    if bar is not None:
                        bar.update(len(idx))
        finally:
            model.train(was_training)
            if bar is not None:
                bar.close()
        return out

    def decision_function(self, X: Sequence[str] | ArrayLike) -> NDArray[np.float64]:
        """Logits of each label (before the sigmoid).

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_labels), float64
        """
        check_is_fitted(self, "model_")
        texts = check_texts(X, estimator=self)
        return self._logits_of(self.model_, self.tokenizer_, texts, self.device_,
                               progress=show_progress(self.verbose, len(texts)))

    def predict_proba(self, X: Sequence[str] | ArrayLike) -> NDArray[np.float64]:
        """Probability that each label applies (sigmoid of the logits).

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.

        Returns
        -------
        P : ndarray of shape (n_samples, n_labels), float64
        """
        logits = self.decision_function(X)
        return 0.5 * (1.0 + np.tanh(0.5 * logits))

    def predict(self, X: Sequence[str] | ArrayLike) -> NDArray[np.int64]:
        """0/1 decisions: ``predict_proba(X) >= threshold``.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels), int64
        """
        return (self.predict_proba(X) >= self.threshold).astype(np.int64)

    # ------------------------------------------------------------------
    # checkpoints
    # ------------------------------------------------------------------

    def save_pretrained(self, directory: str | os.PathLike[str]) -> Path:
        """Write a standard Hugging Face checkpoint (weights, config, tokenizer).

        ``config.json`` has ``problem_type="multi_label_classification"``,
        ``id2label`` and ``label2id`` (the label names, or ``LABEL_<i>`` when
        ``Y`` had none), plus mlkit's ``mlkit_threshold``,
        ``mlkit_max_length`` and ``mlkit_pooling``. With ``pooling_="cls"``
        (the default) ``transformers.AutoModelForSequenceClassification``
        loads it and gives the same logits; so do
        :meth:`TransformerClassifier.from_pretrained` and
        :func:`mlkit.transformer.load_pretrained`. A ``pooling_="mean"``
        model needs mlkit to load (a UserWarning says so). To store the
        per-label thresholds of a :class:`~mlkit.ThresholdTuner` too, use
        :func:`mlkit.transformer.save_pretrained`.

        The checkpoint is written to a temporary directory beside
        ``directory`` and then renamed into place, so an interrupted save
        never leaves a half-written checkpoint. An existing ``directory`` is
        replaced only when it is empty or holds a checkpoint (a
        ``config.json``).

        Parameters
        ----------
        directory : str or path-like
            Where to write the checkpoint.

        Returns
        -------
        directory : pathlib.Path
            The absolute checkpoint directory.
        """
        check_is_fitted(self, "model_")
        return self._save_folder(directory, {})

    def _save_folder(self, directory, extra):
        """Write the checkpoint with the config keys ``extra`` into ``directory``."""
        from ._files import replace_directory

        if self.pooling_ == "mean":
            warnings.warn(
                f"{_WHO}: this model mean-pools (pooling='mean'); its folder keeps the head in "
                f"{_HEAD_FILE}, which transformers does not read: load it with "
                "mlkit.transformer.load_pretrained. Fit with pooling='cls' for a checkpoint "
                "any Hugging Face tool reproduces.", UserWarning, stacklevel=3)
        return replace_directory(directory, lambda tmp: self._write_checkpoint(tmp, extra),
                                 who=f"{_WHO}.save_pretrained", marker="config.json")

    def _write_checkpoint(self, directory, extra=None):
        from .._torch import quiet_hf_loading
        from ._config_keys import THRESHOLD_KEYS

        config = self.model_.config
        for key in THRESHOLD_KEYS:  # a loaded folder's thresholds belong to its tuner
            if hasattr(config, key):
                delattr(config, key)
        with quiet_hf_loading():
            config.update({_CFG_THRESHOLD: float(self.threshold),
                           _CFG_MAX_LENGTH: int(self.max_length),
                           _CFG_POOLING: self.pooling_, **(extra or {})})
            try:
                if self.pooling_ == "mean":
                    from safetensors.torch import save_file

                    self.model_.encoder.save_pretrained(directory)
                    head = self.model_.classifier
                    save_file({"weight": head.weight.detach().cpu().contiguous(),
                               "bias": head.bias.detach().cpu().contiguous()},
                              str(Path(directory) / _HEAD_FILE), metadata={"format": "pt"})
                else:
                    self.model_.save_pretrained(directory)
                self.tokenizer_.save_pretrained(directory)
            finally:
                for key in extra or {}:
                    if hasattr(config, key):
                        delattr(config, key)

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike[str],
                        **params: Any) -> TransformerClassifier:
        """Load a multi-label sequence-classification checkpoint, ready to predict.

        Any Hugging Face checkpoint of a ``...ForSequenceClassification``
        model trained with one sigmoid per label works: one written by
        :meth:`save_pretrained`, or a published one (e.g. a toxic-comment
        classifier). ``classes_`` come from ``id2label``. Calling ``fit`` on
        the result fine-tunes it further (the checkpoint is its ``model``).

        Parameters
        ----------
        directory : str or path-like
            Local checkpoint directory, or a hub name in the local cache
            (``local_files_only=False`` in ``params`` allows a download).
        **params
            Estimator parameters (``threshold``, ``max_length``, ``device``,
            ``batch_size`` ...). ``threshold`` and ``max_length`` default to
            the values saved by :meth:`save_pretrained`, when present.

        Returns
        -------
        estimator : TransformerClassifier
            Fitted.
        """
        est = cls(model=os.fspath(directory), **params)
        est._check_params()
        config = est._load_config(est.model)
        problem = getattr(config, "problem_type", None)
        if problem not in (None, _MULTI):
            raise ValueError(
                f"{_WHO}.from_pretrained: {os.fspath(directory)!r} is a {problem!r} checkpoint; "
                f"only multi-label checkpoints (problem_type={_MULTI!r}, one sigmoid per label) "
                "can be loaded.")
        if problem is None:
            warnings.warn(
                f"{_WHO}.from_pretrained: {os.fspath(directory)!r} does not declare its "
                f"problem_type; it is used as a multi-label model (one sigmoid per label).",
                UserWarning, stacklevel=2)
        if "threshold" not in params and getattr(config, _CFG_THRESHOLD, None) is not None:
            est.threshold = float(getattr(config, _CFG_THRESHOLD))
        if "max_length" not in params and getattr(config, _CFG_MAX_LENGTH, None) is not None:
            est.max_length = int(getattr(config, _CFG_MAX_LENGTH))
        est._restore(est.model, config)
        return est

    def _restore(self, source, config=None, *, fallback_to_cpu=False):
        """Load a fitted model from ``source`` (a checkpoint) and set the fitted attributes."""
        from .._torch import resolve_device

        if config is None:
            config = self._load_config(source)
        try:
            device = resolve_device(self.device, purpose=_WHO, extra=_EXTRA)
        except ValueError:
            if not fallback_to_cpu:
                raise
            warnings.warn(f"{_WHO}: device={self.device!r} is not available here; the "
                          "unpickled model runs on the CPU.", UserWarning, stacklevel=3)
            device = "cpu"
        tokenizer = self._load_tokenizer(source)
        pooling = getattr(config, _CFG_POOLING, None) or "cls"
        if pooling == "mean":
            model = _mean_pool_classifier(self._load_encoder(source), len(config.id2label))
            if not self._load_head(model, source):
                raise ValueError(
                    f"{_WHO}: {os.fspath(source)!r} is a mean-pooling checkpoint but its head "
                    f"weights ({_HEAD_FILE}) are missing or do not match its labels.")
        else:
            kwargs = {} if getattr(config, "problem_type", None) == _MULTI else \
                {"problem_type": _MULTI}
            try:
                model, info = self._load_model(source, output_loading_info=True, **kwargs)
            except RuntimeError as exc:  # transformers: weights of another shape
                info = {"mismatched_keys": [f"({str(exc)[:200]})"]}
            missing = list(info.get("missing_keys") or []) + [
                str(k[0]) if isinstance(k, tuple) else str(k)
                for k in info.get("mismatched_keys") or []]
            if missing:
                raise ValueError(
                    f"{_WHO}: the weights of {os.fspath(source)!r} do not cover the model "
                    f"(missing or mismatched: {sorted(missing)[:4]}); it would predict with "
                    "randomly initialized weights. The checkpoint is incomplete or is not a "
                    "fine-tuned classifier.")
        model.to(device)
        model.eval()
        self.model_ = model
        self.pooling_ = pooling
        self.tokenizer_ = tokenizer
        self.classes_ = _classes_from_config(model.config)
        self.n_labels_ = int(model.config.num_labels)
        self.device_ = device
        for name, value in (("loss_curve_", []), ("validation_scores_", []),
                            ("best_epoch_", None), ("n_epochs_", 0),
                            ("n_train_samples_", 0)):
            if not hasattr(self, name):
                setattr(self, name, value)

    # ------------------------------------------------------------------
    # pickling
    # ------------------------------------------------------------------

    def __getstate__(self):
        state = self.__dict__.copy()
        if "model_" in state:
            state.pop("model_")
            state.pop("tokenizer_", None)
            files = {}
            with tempfile.TemporaryDirectory(prefix="mlkit-pickle-") as tmp:
                self._write_checkpoint(tmp)
                for path in sorted(Path(tmp).rglob("*")):
                    if path.is_file():
                        files[path.relative_to(tmp).as_posix()] = path.read_bytes()
            state["_checkpoint_files"] = files
        return state

    def __setstate__(self, state):
        files = state.pop("_checkpoint_files", None)
        self.__dict__.update(state)
        if files is None:
            return
        with tempfile.TemporaryDirectory(prefix="mlkit-unpickle-") as tmp:
            root = Path(tmp).resolve()
            for name, data in files.items():
                path = (root / name).resolve()
                if (not isinstance(name, str) or Path(name).is_absolute()
                        or root not in path.parents):
                    raise ValueError(
                        f"Refusing to restore a TransformerClassifier: its checkpoint file "
                        f"name {name!r} points outside the checkpoint directory. The pickled "
                        "state is damaged or was crafted; do not load it."
                    )
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            local = self.local_files_only
            self.local_files_only = True
            try:
                self._restore(tmp, fallback_to_cpu=True)
            finally:
                self.local_files_only = local
        if "classes_" in state:  # exactly as fitted (dtype included), not re-read from id2label
            self.classes_ = state["classes_"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.input_tags.sparse = False
        return tags

