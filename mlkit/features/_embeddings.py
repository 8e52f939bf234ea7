"""Sentence-embedding features with a content-addressed embedding cache.

Importing this module imports neither torch nor sentence-transformers: they are
loaded by the first ``fit`` (or the first ``transform`` that has to encode).

The cache
---------
Embeddings are stored by *content*: the key of a text is a hash of the text,
inside a *namespace* that identifies the encoder (a fingerprint of its
weights, tokenizer and module configuration) and its maximum sequence length.
Two featurizers that load the same model, including clones made by
``GridSearchCV`` or ``cross_validate``, share one process-level store, so a
search over the downstream classifier encodes each distinct text once.

* In memory (default): one store per namespace per process, bounded by
  ``memory_cache_mb`` (least recently used entries are dropped first).
* On disk (``cache="some/dir"``): the same store, backed by a directory of
  append-only shard files (``.npz``, each written atomically). Another process,
  or a later session, that uses the same directory and model reads them back
  instead of encoding. Delete the directory to clear it.

The cache stores the encoder's raw output; ``normalize`` is applied when
features are returned, so normalized and raw features share the entries.
Features of several layers (``layers=``) are a different output of the same
encoder: their namespace also names the layers.
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import numbers
import os
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._atomic import atomic_write
from .._optional import import_optional
from .._text import check_texts
from .._torch import VERBOSE_CONSTRAINT, TorchDevice, progress_bar, show_progress
from ..base import Interval, StrOptions, fit_context

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray
    from sentence_transformers import SentenceTransformer

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "SentenceEmbeddingFeaturizer",
    "clear_embedding_cache",
    "embedding_cache_info",
]

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_EXTRA = "embeddings"
_WHO = "SentenceEmbeddingFeaturizer"
# encoded texts are added to the cache (and written to disk) in chunks of this many,
# so that an interrupted encode of a large corpus keeps what it has done
_FLUSH_EVERY = 4096
_MAX_LOADED_ENCODERS = 2

_LOCK = threading.RLock()

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------
# Loaded encoders (process level, shared by clones)
# --------------------------------------------------------------------------

# (model, device, local_files_only, max_length) -> (SentenceTransformer, fingerprint)
_ENCODERS = collections.OrderedDict()


def _model_key(model):
    """A hashable, normalized form of ``model`` (absolute path for local directories)."""
    text = os.fspath(model)
    path = Path(text).expanduser()
    if path.is_dir():
        return str(path.resolve())
    return text


def _fingerprint(st_model):
    """Hash of what determines an encoder's output: modules, configuration, tokenizer, weights."""
    torch = import_optional("torch", extra=_EXTRA, purpose=_WHO)
    h = hashlib.blake2b(digest_size=20)
    for module in st_model:
        h.update(type(module).__qualname__.encode())
        get_config = getattr(module, "get_config_dict", None)
        if callable(get_config):
            try:
                h.update(json.dumps(get_config(), sort_keys=True, default=str).encode())
            except TypeError:  # pragma: no cover - exotic module configs
                pass
    tokenizer = getattr(st_model, "tokenizer", None)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None and hasattr(backend, "to_str"):
        h.update(backend.to_str().encode())
    elif tokenizer is not None:
        h.update(repr(sorted(tokenizer.get_vocab().items())).encode())
    h.update(str(st_model.max_seq_length).encode())
    with torch.no_grad():
        for name, tensor in sorted(st_model.state_dict().items()):
            t = tensor.detach().to("cpu").contiguous()
            h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _load_encoder(model, device, local_files_only, max_length):
    """The SentenceTransformer for these settings and its fingerprint, loaded once per process."""
    key = (_model_key(model), device, bool(local_files_only), max_length)
    with _LOCK:
        if key in _ENCODERS:
            _ENCODERS.move_to_end(key)
            return _ENCODERS[key]
    st = import_optional("sentence_transformers", extra=_EXTRA, purpose=_WHO)
    import_optional("torch", extra=_EXTRA, purpose=_WHO)
    import_optional("transformers", extra=_EXTRA, purpose=_WHO)
    from .._torch import model_not_found_error, quiet_hf_loading

    path = Path(os.fspath(model)).expanduser()
    name = str(path) if path.is_dir() else os.fspath(model)
    try:
        with quiet_hf_loading():
            encoder = st.SentenceTransformer(name, device=device,
                                             local_files_only=bool(local_files_only))
    except (OSError, ValueError) as exc:
        raise model_not_found_error(model, local_files_only, _WHO, exc) from exc
    if max_length is not None:
        encoder.max_seq_length = int(max_length)
    encoder.eval()
    entry = (encoder, _fingerprint(encoder))
    logger.info("Loaded sentence encoder %s on %s (fingerprint %s)", name, encoder.device,
                entry[1][:12])
    with _LOCK:
        _ENCODERS[key] = entry
        while len(_ENCODERS) > _MAX_LOADED_ENCODERS:
            _ENCODERS.popitem(last=False)
    return entry


# --------------------------------------------------------------------------
# Embedding stores (process level, one per namespace)
# --------------------------------------------------------------------------


class _Store:
    """Embeddings of one namespace: an LRU dict in memory, optionally backed by a directory."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.rows = collections.OrderedDict()  # key (16 bytes) -> float32 row
        self.dim = None
        self.nbytes = 0
        self.hits = 0
        self.misses = 0
        self.encoded = 0
        self.loaded_shards = {}  # directory -> set of shard file names read

    def get(self, key):
        row = self.rows.get(key)
        if row is not None:
            self.rows.move_to_end(key)
        return row

    def put(self, key, row, limit_bytes):
        if key in self.rows:
            return
        self.rows[key] = row
        self.dim = row.shape[0]
        self.nbytes += row.nbytes
        while self.nbytes > limit_bytes and len(self.rows) > 1:
            _, old = self.rows.popitem(last=False)
            self.nbytes -= old.nbytes


_STORES = {}


def _store(namespace):
    with _LOCK:
        store = _STORES.get(namespace)
        if store is None:
            store = _STORES[namespace] = _Store(namespace)
        return store


def _text_key(text):
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _namespace_dir(cache_dir, namespace):
    return Path(cache_dir) / namespace[:32]


def _read_new_shards(store, directory, limit_bytes):
    """Load the shard files of ``directory`` this process has not read yet."""
    if not directory.is_dir():
        return 0
    seen = store.loaded_shards.setdefault(str(directory), set())
    added = 0
    for path in sorted(directory.glob("shard-*.npz")):
        if path.name in seen:
            continue
        try:
            with np.load(path) as data:
                keys, emb = data["keys"], data["embeddings"]
        except (OSError, ValueError, KeyError):  # a damaged or foreign file: skip it
            seen.add(path.name)
            continue
        for i in range(keys.shape[0]):
            store.put(keys[i].tobytes(), emb[i], limit_bytes)
        seen.add(path.name)
        added += keys.shape[0]
    return added


def _write_shard(store, directory, keys, emb, info):
    directory.mkdir(parents=True, exist_ok=True)
    info_path = directory / "info.json"
    if not info_path.exists():
        with atomic_write(info_path, "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2, sort_keys=True)
    name = f"shard-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}.npz"
    with atomic_write(directory / name, "wb") as f:
        np.savez(f, keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16),
                 embeddings=np.asarray(emb, dtype=np.float32))
    store.loaded_shards.setdefault(str(directory), set()).add(name)


def embedding_cache_info() -> list[dict[str, Any]]:
    """Statistics of the in-memory embedding caches of this process.

    Returns
    -------
    info : list of dict
        One dict per namespace (encoder and maximum length), with keys
        ``namespace``, ``entries``, ``dim``, ``megabytes``, ``hits`` (texts
        served from the cache), ``misses`` (texts not in it when looked up)
        and ``encoded`` (texts this process encoded).

    Examples
    --------
    >>> from mlkit.features import embedding_cache_info
    >>> isinstance(embedding_cache_info(), list)
    True
    """
    with _LOCK:
        return [
            {"namespace": s.namespace, "entries": len(s.rows), "dim": s.dim,
             "megabytes": s.nbytes / 2**20, "hits": s.hits, "misses": s.misses,
             "encoded": s.encoded}
            for s in _STORES.values()
        ]


def clear_embedding_cache(*, encoders: bool = True) -> None:
    """Empty the in-memory embedding caches of this process (disk caches are kept).

    Parameters
    ----------
    encoders : bool, default=True
        Also drop the loaded encoder models, freeing their memory.
    """
    with _LOCK:
        _STORES.clear()
        if encoders:
            _ENCODERS.clear()


# --------------------------------------------------------------------------
# Several layers' token states (``layers=``)
# --------------------------------------------------------------------------


def _check_layers_list(layers):
    """What ``_parameter_constraints`` cannot say: a list of layers holds ints, at least one."""
    if isinstance(layers, bool):
        raise ValueError(f"{_WHO}: layers={layers!r} is not supported; use None, 'all', an int "
                         "k >= 1 (the last k layers) or a non-empty list of hidden-state indices.")
    if not isinstance(layers, (list, tuple)):
        return
    if not layers or not all(isinstance(i, numbers.Integral) and not isinstance(i, bool)
                             for i in layers):
        raise ValueError(
            f"{_WHO}: layers={layers!r} is not supported; a list of layers must be a "
            "non-empty list of hidden-state indices (ints, e.g. [0, -1]). Or use None (the "
            "sentence embedding), 'all' or an int k (the last k layers)."
        )


def _hidden_state_model(encoder):
    """The Hugging Face model inside a SentenceTransformer's first module."""
    first = encoder[0]
    for attr in ("model", "auto_model"):
        hf_model = getattr(first, attr, None)
        config = getattr(hf_model, "config", None)
        if hf_model is not None and getattr(config, "hidden_size", None):
            return hf_model
    raise ValueError(
        f"{_WHO}: layers= needs a sentence-transformers model whose first module is a "
        f"Hugging Face transformer; this one starts with {type(first).__name__}. Use "
        "layers=None (the model's sentence embedding)."
    )


def _n_hidden_states(hf_model):
    n_layers = getattr(hf_model.config, "num_hidden_layers", None)
    if not n_layers:
        raise ValueError(f"{_WHO}: cannot tell how many layers {type(hf_model).__name__} has "
                         "(no num_hidden_layers in its config); use layers=None.")
    return int(n_layers) + 1  # the embedding layer's output, then one per layer


def _resolve_layers(layers, n_states):
    """Non-negative hidden-state indices for ``layers`` (validated by _check_layers_list)."""
    if isinstance(layers, str):
        return tuple(range(n_states))
    if isinstance(layers, numbers.Integral):
        if layers > n_states - 1:
            raise ValueError(f"{_WHO}: layers={layers} but the model has {n_states - 1} "
                             "transformer layers.")
        return tuple(range(n_states - int(layers), n_states))
    resolved = []
    for i in layers:
        j = int(i) + n_states if i < 0 else int(i)
        if not 0 <= j < n_states:
            raise ValueError(
                f"{_WHO}: layer index {i} is out of range: the model has {n_states} hidden "
                f"states (0 = embedding layer output .. {n_states - 1} = last layer; negative "
                "indices count from the end)."
            )
        resolved.append(j)
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"{_WHO}: layers={list(layers)!r} names a layer twice.")
    return tuple(resolved)


def _pooled_hidden_states(encoder, features, layers):
    """Token states of ``layers`` averaged over each text's tokens, concatenated."""
    torch = import_optional("torch", extra=_EXTRA, purpose=_WHO)
    hf_model = _hidden_state_model(encoder)
    inputs = {k: features[k] for k in ("input_ids", "attention_mask", "token_type_ids")
              if k in features}
    states = hf_model(**inputs, output_hidden_states=True, return_dict=True).hidden_states
    mask = features["attention_mask"].unsqueeze(-1).to(states[0].dtype)
    count = mask.sum(dim=1).clamp(min=1)
    return torch.cat([(states[i] * mask).sum(dim=1) / count for i in layers], dim=1)


# --------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------


class SentenceEmbeddingFeaturizer(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                                  BaseEstimator):
    """Raw texts to dense sentence embeddings, cached by text content.

    Wraps a `sentence-transformers <https://www.sbert.net>`_ model: a Hugging
    Face hub name (taken from the local Hugging Face cache; mlkit never
    downloads unless ``local_files_only=False``) or a local model directory.
    Texts are encoded in batches sorted by token length (little padding), and
    every embedding is cached by the text's content and the encoder's identity,
    so a second ``transform`` of already seen texts, in this estimator or in
    any clone of it (cross-validation, grid search), skips the encoder.

    Needs the ``embeddings`` extra: ``pip install "mlkit[embeddings]"``.

    Parameters
    ----------
    model : str or path-like, default="sentence-transformers/all-MiniLM-L6-v2"
        Hub name or local directory of a sentence-transformers model.
    batch_size : int, default=64
        Texts per forward pass.
    device : str or torch.device, default="auto"
        ``"auto"`` uses a CUDA (or Apple MPS) GPU when torch sees one, else
        the CPU; or a torch device name such as ``"cpu"`` or ``"cuda:0"``.
    normalize : bool, default=True
        Scale each embedding to unit L2 norm (cosine geometry, what linear
        models on sentence embeddings usually want). With ``layers``, each
        layer's block is scaled to unit norm separately.
    layers : None, "all", int or sequence of int, default=None
        Which representation of a text is returned. None: the model's own
        sentence embedding (its pooling and any modules after it). Otherwise
        the token states of several layers of the transformer, each averaged
        over the text's tokens (attention mask), concatenated:
        ``"all"`` takes every hidden state (the embedding layer's output and
        each transformer layer), an int ``k`` the last ``k`` layers, a
        sequence explicit hidden-state indices (0 is the embedding layer's
        output, 1 the first transformer layer, -1 the last). Lower layers
        carry more lexical information than the final sentence embedding,
        which a linear classifier can use: on GoEmotions, ``"all"`` with a
        ridge classifier is what ``make_classifier("embeddings")`` uses
        (see ``docs/neural.md`` for the measurements). Needs a model whose
        first module is a Hugging Face transformer (every sentence-
        transformers text model).
    cache : "memory", str, path-like or None, default="memory"
        ``"memory"``: a process-level in-memory cache shared by every
        featurizer that loads the same model. A directory path: the same,
        backed by that directory on disk (created if missing; safe to share
        between processes and sessions). None (or False): no cache.
    memory_cache_mb : float, default=1024
        Bound on the in-memory cache of one model, in MiB (about 700,000
        texts for 384-dimensional embeddings); the least recently used
        entries are dropped first. The disk cache is not bounded.
    max_length : int or None, default=None
        Maximum tokens per text (longer texts are truncated); None keeps the
        model's own ``max_seq_length``.
    local_files_only : bool, default=True
        Load hub names from the local Hugging Face cache only. Set False to
        allow a download (then ``HF_HUB_OFFLINE`` must be unset).
    verbose : bool, int or "auto", default=False
        A `tqdm <https://tqdm.github.io>`_ progress bar on standard error
        while texts are encoded (``fit_transform``, ``transform``), counting
        the texts that are not in the cache; nothing is printed when every
        text comes from the cache. False (or 0): nothing is ever printed.
        True (or an int >= 1): a bar whenever texts are encoded. ``"auto"``:
        a bar when at least 1,000 texts are encoded and standard error is a
        terminal or the code runs in Jupyter (the command line's choice).

    Attributes
    ----------
    n_features_out_ : int
        Embedding dimension (times the number of layers with ``layers``).
    layers_ : tuple of int or None
        The hidden-state indices used (non-negative), or None for the
        sentence embedding.
    model_fingerprint_ : str
        Hash of the encoder's weights, tokenizer and configuration; the cache
        namespace.
    max_length_ : int
        Maximum tokens per text used.
    device_ : str
        Device the encoder was loaded on at fit time.

    See Also
    --------
    TfidfFeaturizer : Sparse TF-IDF features, no torch needed.
    TransformerClassifier : Fine-tunes the whole encoder instead.

    Notes
    -----
    Pickling keeps the parameters and fitted attributes only, never the
    encoder's weights nor cached embeddings: an unpickled featurizer reloads
    the encoder from ``model`` on the first ``transform`` that has to encode,
    and warns if its fingerprint changed since ``fit``. Deploy it where
    ``model`` resolves to the same files (or save the model directory along).

    Examples
    --------
    >>> from mlkit.features import SentenceEmbeddingFeaturizer
    >>> feat = SentenceEmbeddingFeaturizer("path/to/all-MiniLM-L6-v2")  # doctest: +SKIP
    >>> feat.fit_transform(["great movie", "awful service"]).shape  # doctest: +SKIP
    (2, 384)
    """

    _parameter_constraints = {
        "model": [str, os.PathLike],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "device": [str, TorchDevice],  # the name is checked when the encoder is loaded
        "normalize": ["boolean"],
        "layers": [None, StrOptions({"all"}), Interval(numbers.Integral, 1, None, closed="left"),
                   list, tuple],
        "cache": [str, os.PathLike, "boolean", None],  # "memory", a directory, or off
        "memory_cache_mb": [Interval(numbers.Real, 0, None, closed="left")],
        "max_length": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "local_files_only": ["boolean"],
        "verbose": VERBOSE_CONSTRAINT,
    }

    def __init__(
        self,
        model: str | os.PathLike[str] = DEFAULT_EMBEDDING_MODEL,
        *,
        batch_size: int = 64,
        device: Any = "auto",
        normalize: bool = True,
        layers: str | int | Sequence[int] | None = None,
        cache: str | os.PathLike[str] | None = "memory",
        memory_cache_mb: float = 1024,
        max_length: int | None = None,
        local_files_only: bool = True,
        verbose: bool | int | str = False,
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self.normalize = normalize
        self.layers = layers
        self.cache = cache
        self.memory_cache_mb = memory_cache_mb
        self.max_length = max_length
        self.local_files_only = local_files_only
        self.verbose = verbose

    # -- parameters --------------------------------------------------------

    def _check_params(self):
        """Validate the parameters: the constraints, then what they cannot express."""
        self._validate_params()
        self._check_param_values()

    def _check_param_values(self):
        # (fit runs _validate_params through fit_context first)
        if not os.fspath(self.model):
            raise ValueError(f"{_WHO}: model is an empty string; give a Hugging Face hub name "
                             "or a local model directory.")
        self._cache_mode()
        _check_layers_list(self.layers)

    def _cache_mode(self):
        """("off" | "memory" | "disk", directory or None)."""
        cache = self.cache
        if isinstance(cache, (bool, np.bool_)):
            return ("memory", None) if cache else ("off", None)
        if cache is None:
            return "off", None
        if isinstance(cache, str) and cache == "memory":
            return "memory", None
        if isinstance(cache, (str, os.PathLike)) and os.fspath(cache):
            path = Path(os.fspath(cache)).expanduser()
            if path.exists() and not path.is_dir():
                raise ValueError(f"{_WHO}: cache={os.fspath(cache)!r} exists and is not a "
                                 "directory; give a directory for the disk cache.")
            return "disk", path
        raise ValueError(
            f"{_WHO}: cache={cache!r} is not supported; use 'memory' (default), a directory "
            "path for a disk cache, or None to disable caching."
        )

    def _limit_bytes(self):
        return float(self.memory_cache_mb) * 2**20

    # -- fitted state ------------------------------------------------------

    def _encoder(self):
        """(SentenceTransformer, fingerprint); loaded once per process and shared."""
        from .._torch import resolve_device

        device = resolve_device(self.device, purpose=_WHO, extra=_EXTRA)
        return _load_encoder(self.model, device, self.local_files_only, self.max_length)

    @property
    def encoder_(self) -> SentenceTransformer:
        """The loaded ``SentenceTransformer`` (shared with clones; do not modify it)."""
        check_is_fitted(self, "model_fingerprint_")
        return self._encoder()[0]

    @property
    def _n_features_out(self):
        return self.n_features_out_

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Sequence[str] | ArrayLike | None = None, y: Any = None) -> SentenceEmbeddingFeaturizer:
        """Load the encoder and record its dimension and fingerprint.

        Nothing is learned from ``X``: the features of a text do not depend on
        the other texts. ``X`` is validated when given.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str, default=None
            Raw texts (only validated).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._check_param_values()
        if X is not None:
            check_texts(X, estimator=self)
        encoder, fingerprint = self._encoder()
        self.model_fingerprint_ = fingerprint
        self.max_length_ = int(encoder.max_seq_length)
        self.device_ = str(encoder.device)
        self.layers_ = None
        if self.layers is not None:
            hf_model = _hidden_state_model(encoder)
            self.layers_ = _resolve_layers(self.layers, _n_hidden_states(hf_model))
            self.n_features_out_ = int(hf_model.config.hidden_size) * len(self.layers_)
            return self
        dim_fn = (getattr(encoder, "get_embedding_dimension", None)
                  or encoder.get_sentence_embedding_dimension)
        dim = dim_fn()
        if dim is None:  # models whose last module does not declare it
            dim = int(self._encode(encoder, ["dimension probe"]).shape[1])
        self.n_features_out_ = int(dim)
        return self

    @fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X: Sequence[str] | ArrayLike, y: Any = None) -> NDArray[np.float32]:
        """Fit, then return the embeddings of ``X``.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.
        y : None
            Ignored.

        Returns
        -------
        X_features : ndarray of shape (n_samples, n_features_out_), float32
        """
        return self.fit(X).transform(X)

    def transform(self, X: Sequence[str] | ArrayLike) -> NDArray[np.float32]:
        """Embeddings of ``X``, from the cache where possible.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.

        Returns
        -------
        X_features : ndarray of shape (n_samples, n_features_out_), float32
            Unit-norm rows when ``normalize=True``.
        """
        check_is_fitted(self, "model_fingerprint_")
        self._check_params()  # set_params after fit (normalize, cache, ...) is honoured
        texts = check_texts(X, estimator=self)
        mode, directory = self._cache_mode()
        keys = [_text_key(t) for t in texts]
        unique = dict(zip(keys, texts, strict=True))  # one entry per distinct text, first occurrence order
        found = {}
        namespace = self._namespace(self.model_fingerprint_)
        store = None if mode == "off" else _store(namespace)
        if store is not None:
            self._lookup(store, unique, found, directory)
        missing = [k for k in unique if k not in found]
        logger.debug("%s: %d texts (%d distinct): %d from the embedding cache (%s), %d to "
                     "encode", _WHO, len(texts), len(unique), len(found), mode, len(missing))
        if missing:
            encoder, fingerprint = self._encoder()
            if fingerprint != self.model_fingerprint_:
                import warnings

                warnings.warn(
                    f"{_WHO}: the encoder loaded from model={os.fspath(self.model)!r} differs "
                    "from the one this featurizer was fitted with (its weights, tokenizer or "
                    "configuration changed); features of new texts come from the new encoder. "
                    "Refit the featurizer and the models downstream of it.",
                    UserWarning, stacklevel=2)
                namespace = self._namespace(fingerprint)
                store = None if mode == "off" else _store(namespace)
                if store is not None:
                    self._lookup(store, {k: unique[k] for k in missing}, found, directory)
                    missing = [k for k in missing if k not in found]
            if missing:
                self._encode_missing(encoder, fingerprint, store, directory,
                                     [unique[k] for k in missing], missing, found)
        out = np.empty((len(texts), self.n_features_out_), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = found[k]
        if self.normalize:
            layers = getattr(self, "layers_", None)  # absent in models pickled before it existed
            n_blocks = 1 if layers is None else len(layers)
            blocks = out.reshape(len(texts), n_blocks, -1)  # a view: scaled in place
            norms = np.linalg.norm(blocks, axis=2, keepdims=True)
            np.divide(blocks, norms, out=blocks, where=norms > 0)
        return out

    def _namespace(self, fingerprint):
        name = f"{fingerprint}|{self.max_length_}"
        layers = getattr(self, "layers_", None)
        if layers is not None:
            name += f"|mean-pooled hidden states {list(layers)}"
        return hashlib.blake2b(name.encode(), digest_size=20).hexdigest()

    def _lookup(self, store, wanted, found, directory):
        limit = self._limit_bytes()
        with _LOCK:
            for k in wanted:
                row = store.get(k)
                if row is not None:
                    found[k] = row
            if directory is not None and len(found) < len(wanted):
                if _read_new_shards(store, _namespace_dir(directory, store.namespace), limit):
                    for k in wanted:
                        if k not in found:
                            row = store.get(k)
                            if row is not None:
                                found[k] = row
            n_found = sum(1 for k in wanted if k in found)
            store.hits += n_found
            store.misses += len(wanted) - n_found

    def _encode_missing(self, encoder, fingerprint, store, directory, texts, keys, found):
        limit = self._limit_bytes()
        info = {"model": os.fspath(self.model), "fingerprint": fingerprint,
                "max_length": self.max_length_, "dim": self.n_features_out_,
                "layers": None if self.layers_ is None else list(self.layers_),
                "format": "shard-*.npz: keys (n, 16) uint8 blake2b-128 of the UTF-8 text, "
                          "embeddings (n, dim) float32 raw encoder output"}
        bar = progress_bar(show_progress(self.verbose, len(texts)), total=len(texts),
                           desc="Encoding", unit="text", extra=_EXTRA, purpose=_WHO)
        try:
            for emb, idx in self._encode_chunks(encoder, texts, bar):
                chunk_keys = [keys[i] for i in idx]
                for k, row in zip(chunk_keys, emb, strict=True):
                    found[k] = row
                if store is None:
                    continue
                with _LOCK:
                    for k, row in zip(chunk_keys, emb, strict=True):
                        store.put(k, row, limit)
                    store.encoded += len(chunk_keys)
                if directory is not None:
                    _write_shard(store, _namespace_dir(directory, store.namespace), chunk_keys,
                                 emb, info)
        finally:
            if bar is not None:
                bar.close()

    def _token_lengths(self, encoder, texts):
        tokenizer = getattr(encoder, "tokenizer", None)
        if tokenizer is None or not callable(tokenizer):
            return [len(t) for t in texts]
        try:
            ids = tokenizer(texts, add_special_tokens=True, truncation=True,
                            max_length=encoder.max_seq_length)["input_ids"]
        except Exception:  # noqa: BLE001 - any tokenizer quirk: fall back to characters
            return [len(t) for t in texts]
        return [len(x) for x in ids]

    def _encode_chunks(self, encoder, texts, bar):
        """Yield (embeddings float32 (m, d), positions in ``texts``) chunk by chunk.

        Texts are sorted by token length, longest first, so that each batch
        pads to nearly its own length; chunks of ``_FLUSH_EVERY`` texts are
        yielded as they finish.
        """
        order = np.argsort(-np.asarray(self._token_lengths(encoder, texts)), kind="stable")
        bs = int(self.batch_size)
        for start in range(0, len(order), _FLUSH_EVERY):
            idx = order[start:start + _FLUSH_EVERY]
            yield self._encode(encoder, [texts[i] for i in idx], bar=bar, batch_size=bs), idx

    def _encode(self, encoder, texts, bar=None, batch_size=None):
        torch = import_optional("torch", extra=_EXTRA, purpose=_WHO)
        from sentence_transformers.util import batch_to_device

        bs = int(batch_size or self.batch_size)
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), bs):
                batch = texts[start:start + bs]
                features = encoder.preprocess(batch)
                features = batch_to_device(features, encoder.device)
                if getattr(self, "layers_", None) is None:
                    emb = encoder(features)["sentence_embedding"]
                else:
                    emb = _pooled_hidden_states(encoder, features, self.layers_)
                out.append(emb.float().cpu().numpy())
                if bar is not None:
                    bar.update(len(batch))
        return np.concatenate(out, axis=0).astype(np.float32, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags
