"""Hugging Face checkpoint folders: ``save_pretrained`` of a fitted model with its tuned
thresholds, and ``load_pretrained`` of mlkit's folders and of any multi-label
sequence-classification folder, treated as hostile input.

torch and transformers are imported by the functions (extra ``transformer``).
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ._config_keys import CFG_AT_LEAST_ONE as _CFG_AT_LEAST_ONE
from ._config_keys import CFG_GLOBAL as _CFG_GLOBAL
from ._config_keys import CFG_TOP_K as _CFG_TOP_K
from ._config_keys import CONFIG_THRESHOLDS_KEY
from ._files import read_json_file

__all__ = ["CONFIG_THRESHOLDS_KEY", "load_pretrained", "save_pretrained"]

_WHO = "load_pretrained"
_MULTI = "multi_label_classification"
_HEAD_FILE = "mlkit_head.safetensors"
_MAX_CONFIG_BYTES = 8 * 2**20
_MAX_LABELS = 100_000
_MAX_SAFETENSORS_HEADER = 100 * 2**20
# what a hub download may fetch: configuration, tokenizer, safetensors weights
_SAFE_PATTERNS = ["config.json", "*.safetensors", "model.safetensors.index.json",
                  "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                  "added_tokens.json", "vocab.txt", "vocab.json", "merges.txt", "*.model"]


# ---------------------------------------------------------------------------- save


def _final_classifier(estimator):
    """(TransformerClassifier, ThresholdTuner or None) behind ``estimator``."""
    from ..thresholds import ThresholdTuner
    from ._classifier import TransformerClassifier

    steps = getattr(estimator, "steps", None)
    if steps:
        rest = [s for _, s in steps[:-1] if s not in (None, "passthrough")]
        if rest:
            raise ValueError(
                f"save_pretrained: the Pipeline has steps before its classifier "
                f"({[type(s).__name__ for s in rest]}); a Hugging Face checkpoint holds the "
                "tokenizer and the model only. Save the model with mlkit.save_model instead.")
        return _final_classifier(steps[-1][1])
    if isinstance(estimator, ThresholdTuner):
        inner = getattr(estimator, "estimator_", None)
        if inner is None:
            raise ValueError("save_pretrained: the ThresholdTuner is not fitted; fit it first.")
        clf, _ = _final_classifier(inner)
        return clf, estimator
    if isinstance(estimator, TransformerClassifier):
        return estimator, None
    raise TypeError(
        f"save_pretrained expects a fitted TransformerClassifier, or a ThresholdTuner or "
        f"Pipeline whose final classifier is one; got {type(estimator).__name__}.")


def _threshold_config(tuner, n_labels):
    """The config keys of a fitted tuner's decision rule, thresholds in probabilities
    (mapped by the tuner's own ``calibrate``: no second conversion here)."""
    t = np.asarray(tuner.thresholds_, dtype=np.float64)
    if t.shape != (n_labels,):
        raise ValueError(f"save_pretrained: the ThresholdTuner has {t.size} thresholds for "
                         f"{n_labels} labels.")
    rows = np.vstack([t, np.full(n_labels, float(tuner.global_threshold_))])
    try:
        t, g = tuner.calibrate(rows)
    except ValueError as exc:
        raise ValueError(f"save_pretrained: the ThresholdTuner thresholds "
                         f"{tuner.response_method_!r} scores without a probability "
                         f"equivalent ({exc})") from None
    return {CONFIG_THRESHOLDS_KEY: [float(v) for v in t], _CFG_GLOBAL: float(g[0]),
            _CFG_AT_LEAST_ONE: bool(tuner.at_least_one_),
            _CFG_TOP_K: None if tuner.top_k is None else int(tuner.top_k)}


def save_pretrained(estimator: Any, directory: str | os.PathLike[str]) -> Path:
    """Write a fitted transformer model as a Hugging Face checkpoint folder.

    With the default ``pooling`` the folder is a standard
    ``AutoModelForSequenceClassification`` checkpoint
    (``problem_type="multi_label_classification"``, ``id2label`` and
    ``label2id`` from the label names): plain ``transformers`` and
    ``pipeline("text-classification", model=directory, top_k=None)`` give
    the same probabilities as ``predict_proba``, without mlkit and without
    ``trust_remote_code``. The thresholds a :class:`~mlkit.ThresholdTuner`
    tuned are stored in ``config.json`` under ``"mlkit_thresholds"`` (one
    probability per label, in label-id order: label ``i`` applies when its
    probability is at least ``mlkit_thresholds[i]``), with
    ``"mlkit_at_least_one"`` and ``"mlkit_top_k"`` (the tuner's extra rules;
    :func:`load_pretrained` restores all three). A ``pooling="mean"`` model
    writes mlkit's own head beside the encoder (``mlkit_head.safetensors``):
    that folder needs mlkit (:func:`load_pretrained`) to predict, and a
    UserWarning says so.

    Parameters
    ----------
    estimator : TransformerClassifier, ThresholdTuner or Pipeline
        Fitted; a ThresholdTuner (or a Pipeline ending in one) whose
        ``estimator_`` is a TransformerClassifier contributes its thresholds.
    directory : str or path-like
        Where to write the folder (written beside it, then renamed into
        place; an existing folder is replaced only when it is empty or holds
        a checkpoint).

    Returns
    -------
    directory : pathlib.Path
        The absolute checkpoint folder.

    See Also
    --------
    load_pretrained : Load such a folder (or any multi-label one) back.
    """
    from sklearn.utils.validation import check_is_fitted

    clf, tuner = _final_classifier(estimator)
    check_is_fitted(clf, "model_")
    extra = {} if tuner is None else _threshold_config(tuner, clf.n_labels_)
    names = _outer_label_names(tuner, clf)
    if names is None:
        return clf._save_folder(directory, extra)
    # a tuner fitted on named labels trains its classifier on the indicator matrix, so the
    # classifier knows its labels by position only: the folder gets the tuner's names
    from ._classifier import _CFG_CLASSES

    config = clf.model_.config
    keys = ("id2label", "label2id", _CFG_CLASSES)
    saved = {k: getattr(config, k, None) for k in keys}
    config.update({"id2label": dict(enumerate(names)),
                   "label2id": {n: i for i, n in enumerate(names)}, _CFG_CLASSES: "name"})
    try:
        return clf._save_folder(directory, extra)
    finally:
        config.update(saved)


def _outer_label_names(tuner, clf):
    """The tuner's label names when its classifier has positional ones only, else None."""
    outer = getattr(tuner, "classes_", None)
    inner = np.asarray(clf.classes_)
    positional = inner.dtype.kind in "iu" and np.array_equal(inner, np.arange(inner.size))
    if outer is None or not positional or len(outer) != inner.size:
        return None
    outer = np.asarray(outer)
    if outer.dtype.kind in "iu" and np.array_equal(outer, np.arange(outer.size)):
        return None
    return [str(c) for c in outer]


# ---------------------------------------------------------------------------- load


def _resolve_folder(path, allow_download, trust_pickle):
    """The local folder of ``path``: a directory, or a hub name's (cached or downloaded)
    snapshot of configuration, tokenizer and safetensors weights only."""
    folder = Path(os.fspath(path)).expanduser()
    if folder.is_dir():
        return folder
    text = os.fspath(path)
    if folder.exists():
        raise ValueError(f"{_WHO}: {text!r} is a file, not a checkpoint folder; load mlkit "
                         "model files with mlkit.load_model.")
    if (folder.is_absolute() or text.startswith((".", "~")) or text.count("/") > 1
            or "\\" in text or not text):
        raise FileNotFoundError(f"{_WHO}: no such folder: {text!r}.")
    from huggingface_hub import snapshot_download

    patterns = _SAFE_PATTERNS + (["pytorch_model*.bin", "pytorch_model.bin.index.json"]
                                 if trust_pickle else [])
    try:
        return Path(snapshot_download(text, local_files_only=not allow_download,
                                      allow_patterns=patterns))
    except Exception as exc:  # noqa: BLE001 - every hub failure becomes one clear error
        if not allow_download:
            raise OSError(
                f"{_WHO}: {text!r} is not a local folder and is not in the local Hugging Face "
                "cache; mlkit never downloads unless asked. Pass allow_download=True "
                "(--allow-download on the command line) to download it from the hub, or "
                "give the path of a local checkpoint folder.") from None
        raise OSError(f"{_WHO}: could not download {text!r} from the Hugging Face hub "
                      f"({type(exc).__name__}: {exc}).") from None


def _check_safetensors(path):
    """Refuse a safetensors file whose header is damaged or whose tensors run past its
    end (a truncated download)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        n = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
        if n < 2 or n > min(_MAX_SAFETENSORS_HEADER, size - 8):
            raise ValueError(f"{_WHO}: {str(path)!r} is not a valid safetensors file (bad "
                             "header length); the file is truncated or damaged.")
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ValueError(f"{_WHO}: {str(path)!r} has a damaged safetensors header.") \
                from None
    if not isinstance(header, dict):
        raise ValueError(f"{_WHO}: {str(path)!r} has a damaged safetensors header.")
    end = max((int(v["data_offsets"][1]) for k, v in header.items()
               if k != "__metadata__" and isinstance(v, dict)
               and isinstance(v.get("data_offsets"), list) and len(v["data_offsets"]) == 2),
              default=0)
    if 8 + n + end > size:
        raise ValueError(f"{_WHO}: {str(path)!r} is truncated: its header describes "
                         f"{8 + n + end} bytes but the file has {size}.")


def _check_weights(folder, config, trust_pickle):
    safetensors = sorted(folder.glob("*.safetensors"))
    pickles = sorted(folder.glob("pytorch_model*.bin"))
    main = [p for p in safetensors if p.name != _HEAD_FILE]
    if not main and not pickles:
        raise ValueError(f"{_WHO}: {str(folder)!r} holds no model weights "
                         "(model.safetensors); it is not a complete checkpoint.")
    if not main and not trust_pickle:
        raise ValueError(
            f"{_WHO}: {str(folder)!r} holds pickle weights only ({pickles[0].name}); loading "
            "pickle can run code. Convert the checkpoint to safetensors, or pass "
            "trust_pickle=True (--trust-pickle on the command line) if you trust its source.")
    for p in safetensors:
        _check_safetensors(p)
    if config.get("mlkit_pooling") == "mean" and not (folder / _HEAD_FILE).is_file():
        raise ValueError(f"{_WHO}: {str(folder)!r} is an mlkit mean-pooling checkpoint but "
                         f"its head ({_HEAD_FILE}) is missing.")


def _check_labels(folder, config):
    """The number of labels of a config's ``id2label`` (and ``label2id``), checked."""
    id2label = config.get("id2label")
    where = f"{_WHO}: {str(folder / 'config.json')!r}"
    if not isinstance(id2label, dict) or not id2label:
        n = config.get("num_labels")
        if isinstance(n, int) and 1 <= n <= _MAX_LABELS and id2label is None:
            return n
        raise ValueError(f"{where} has no id2label; a classification checkpoint names its "
                         "labels there.")
    if len(id2label) > _MAX_LABELS:
        raise ValueError(f"{where} has {len(id2label)} labels, more than {_MAX_LABELS}.")
    try:
        ids = sorted(int(k) for k in id2label)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: id2label keys must be label ids 0..n-1.") from None
    if ids != list(range(len(ids))):
        raise ValueError(f"{where}: id2label keys must be the ids 0..{len(ids) - 1}; got "
                         f"{ids[:5]}...")
    names = [id2label[k] for k in sorted(id2label, key=int)]
    if not all(isinstance(v, str) for v in names) or len(set(names)) != len(names):
        raise ValueError(f"{where}: id2label values must be distinct label names (str).")
    label2id = config.get("label2id")
    if label2id is not None and (not isinstance(label2id, dict) or any(
            not isinstance(label2id.get(n), int) or label2id[n] != i
            for i, n in enumerate(names)) or len(label2id) != len(names)):
        raise ValueError(f"{where}: label2id does not match id2label; the config is "
                         "inconsistent (fix one or remove label2id).")
    n = config.get("num_labels")
    if n is not None and n != len(names):
        raise ValueError(f"{where}: num_labels={n!r} but id2label has {len(names)} labels.")
    return len(names)


def _check_mlkit_keys(folder, config, n_labels):
    where = f"{_WHO}: {str(folder / 'config.json')!r}"
    t = config.get(CONFIG_THRESHOLDS_KEY)
    if t is not None:
        ok = (isinstance(t, list) and len(t) == n_labels
              and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                      and 0.0 <= v <= 1.0 for v in t))
        if not ok:
            raise ValueError(f"{where}: {CONFIG_THRESHOLDS_KEY} must be a list of "
                             f"{n_labels} probabilities in [0, 1] (one per label).")
    top_k = config.get(_CFG_TOP_K)
    if top_k is not None and (not isinstance(top_k, int) or isinstance(top_k, bool)
                              or top_k < 1):
        raise ValueError(f"{where}: {_CFG_TOP_K} must be null or an int >= 1.")
    for key, kinds, lo, hi in (("mlkit_threshold", (int, float), 0.0, 1.0),
                               (_CFG_GLOBAL, (int, float), 0.0, 1.0),
                               ("mlkit_max_length", (int,), 1, 1_000_000)):
        v = config.get(key)
        if v is not None and (not isinstance(v, kinds) or isinstance(v, bool)
                              or not lo <= v <= hi):
            raise ValueError(f"{where}: {key}={v!r} must be a number in [{lo}, {hi}].")
    if config.get(_CFG_AT_LEAST_ONE) not in (None, True, False):
        raise ValueError(f"{where}: {_CFG_AT_LEAST_ONE} must be true or false.")


def _check_folder(folder, trust_pickle=False):
    """Validate a checkpoint folder before anything in it is loaded; returns its config."""
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise ValueError(f"{_WHO}: {str(folder)!r} has no config.json; it is not a Hugging "
                         "Face checkpoint folder.")
    config = read_json_file(folder / "config.json", max_bytes=_MAX_CONFIG_BYTES, who=_WHO,
                            what="checkpoint configuration")
    where = f"{_WHO}: {str(folder)!r}"
    if config.get("auto_map") or config.get("trust_remote_code"):
        raise ValueError(f"{where} needs custom code from the folder (config.json has "
                         "auto_map); mlkit never runs code from a model folder.")
    if not isinstance(config.get("model_type"), str):
        raise ValueError(f"{where}: config.json has no model_type; it is damaged.")
    problem = config.get("problem_type")
    if problem not in (None, _MULTI):
        raise ValueError(f"{where} is a {problem!r} checkpoint; only multi-label checkpoints "
                         f"(problem_type={_MULTI!r}, one sigmoid per label) can be loaded.")
    archs = config.get("architectures") or []
    if config.get("mlkit_pooling") != "mean" and not any(
            isinstance(a, str) and a.endswith("ForSequenceClassification") for a in archs):
        raise ValueError(
            f"{where} is not a sequence-classification checkpoint (architectures={archs!r}); "
            "it has no trained head. Fine-tune it first: "
            "TransformerClassifier(model=...).fit(texts, Y).")
    n_labels = _check_labels(folder, config)
    _check_mlkit_keys(folder, config, n_labels)
    _check_weights(folder, config, trust_pickle)
    return config


def _tuner_from_config(clf, config):
    """A fitted ThresholdTuner(cv="prefit") around ``clf`` applying the saved rule."""
    from ..thresholds import ThresholdTuner

    t = np.asarray(config[CONFIG_THRESHOLDS_KEY], dtype=np.float64)
    g = float(config.get(_CFG_GLOBAL, 0.5))
    top_k = config.get(_CFG_TOP_K)
    at_least_one = bool(config.get(_CFG_AT_LEAST_ONE, False))
    tuner = ThresholdTuner(clf, cv="prefit", response_method="predict_proba",
                           at_least_one=at_least_one, top_k=top_k)
    # the fitted state ThresholdTuner.fit would have set on a validation set
    tuner.estimator_ = clf
    tuner.response_method_ = "predict_proba"
    tuner.thresholds_ = t
    tuner.proba_thresholds_ = t.copy()
    tuner.global_threshold_ = g
    tuner.tuned_labels_ = ~np.isclose(t, g)
    tuner.at_least_one_ = at_least_one
    tuner.calibrator_ = None
    tuner.oof_scores_ = np.empty((0, t.size))
    tuner.cv_score_ = float("nan")
    tuner.classes_ = clf.classes_
    tuner.n_labels_ = int(t.size)
    return tuner


def load_pretrained(path: str | os.PathLike[str], *, allow_download: bool = False,
                    trust_pickle: bool = False, **params: Any) -> Any:
    """Load a multi-label Hugging Face checkpoint folder as a fitted mlkit estimator.

    Works for the folders :func:`save_pretrained` writes and for any
    Hugging Face ``...ForSequenceClassification`` folder trained with one
    sigmoid per label (``problem_type="multi_label_classification"``; a
    folder without ``problem_type`` is taken as multi-label with a
    UserWarning, since transformers' own default for several labels would be
    a softmax). Label names come from ``id2label`` (``LABEL_<i>`` names
    become the ids ``0..n-1``).

    The folder is treated as untrusted input: no code from it ever runs
    (``trust_remote_code`` is never set; a config with ``auto_map`` is
    refused), only safetensors weights are read (pickle ``pytorch_model.bin``
    is refused unless ``trust_pickle=True``), ``config.json`` and the
    safetensors headers are size-checked and validated (labels, ids,
    thresholds, truncated files) before transformers reads them, and a
    checkpoint whose weights do not cover the whole model (a random head) is
    refused.

    Parameters
    ----------
    path : str or path-like
        A local checkpoint folder, or a Hugging Face hub name (read from the
        local cache; downloaded only with ``allow_download=True``).
    allow_download : bool, default=False
        Let a hub name be downloaded (configuration, tokenizer and
        safetensors weights only). False reads local files only and names
        this option in the error when the model is not there.
    trust_pickle : bool, default=False
        Accept a folder whose weights are pickle files (``pytorch_model.bin``).
    **params
        TransformerClassifier parameters for the loaded model
        (``batch_size``, ``device``, ``max_length`` ...).

    Returns
    -------
    estimator : ThresholdTuner or TransformerClassifier
        Fitted. A ``ThresholdTuner(cv="prefit")`` around the model when the
        config holds ``mlkit_thresholds`` (its ``predict`` applies them,
        ``proba_thresholds_`` holds them); else the TransformerClassifier,
        whose ``threshold`` is the config's ``mlkit_threshold`` or 0.5. Its
        ``classes_`` are the label names.

    See Also
    --------
    save_pretrained : Write a fitted model (with its thresholds) as such a folder.
    """
    from ._classifier import TransformerClassifier

    for name in ("model", "local_files_only"):
        if name in params:
            raise TypeError(f"{_WHO}: {name}= is set by load_pretrained itself; use path= "
                            "and allow_download=.")
    TransformerClassifier(**params)  # unknown parameters: TypeError before any loading
    folder = _resolve_folder(path, bool(allow_download), bool(trust_pickle))
    config = _check_folder(folder, trust_pickle=bool(trust_pickle))
    try:
        clf = TransformerClassifier.from_pretrained(folder, local_files_only=True, **params)
    except (ImportError, OSError, ValueError):
        raise
    except Exception as exc:  # noqa: BLE001 - a crafted file may break any parser in transformers
        raise ValueError(f"{_WHO}: {str(folder)!r} cannot be loaded ({type(exc).__name__}: "
                         f"{str(exc)[:300]}); the folder is damaged or crafted.") from None
    if config.get(CONFIG_THRESHOLDS_KEY) is not None:
        return _tuner_from_config(clf, config)
    return clf
