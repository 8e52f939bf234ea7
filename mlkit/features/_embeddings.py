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

The cache stores the encoder's raw float output; ``normalize`` and
``precision`` are applied when features are returned, so featurizers that
differ only in them share the entries. Features of several layers
(``layers=``), a prompt and ``truncate_dim`` change the encoder's output:
the namespace also names them.

Encoding goes through ``SentenceTransformer.encode`` (prompts, truncation,
the multi-process pool); the ``layers=`` features through ``encode`` on a view
of the model whose last module mean-pools the chosen layers.
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
# the ``precision`` values of SentenceTransformer.encode
_PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")

_LOCK = threading.RLock()

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------
# Loaded encoders (process level, shared by clones)
# --------------------------------------------------------------------------

# (model, device, local_files_only, max_length, hidden_states) -> (SentenceTransformer,
# fingerprint)
_ENCODERS = collections.OrderedDict()
# (id of a hidden-states encoder, layers) -> (that encoder, its layer-features view); the
# views of an encoder are dropped with it
_VIEWS = collections.OrderedDict()


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


def _load_encoder(model, device, local_files_only, max_length, hidden_states=False):
    """The SentenceTransformer for these settings and its fingerprint, loaded once per process.

    ``hidden_states=True`` loads a copy whose transformer also returns every layer's
    token states (``output_hidden_states``), for the ``layers=`` features; it is kept
    apart so that the plain encoder, which users may reach through ``encoder_``, is
    never modified.
    """
    key = (_model_key(model), device, bool(local_files_only), max_length, bool(hidden_states))
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
            encoder = st.SentenceTransformer(
                name, device=device, local_files_only=bool(local_files_only),
                config_kwargs={"output_hidden_states": True} if hidden_states else None)
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
            _, (dropped, _) = _ENCODERS.popitem(last=False)
            for view_key in [k for k, (enc, _) in _VIEWS.items() if enc is dropped]:
                del _VIEWS[view_key]  # a view holds its encoder's weights
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
            _VIEWS.clear()


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


def _layer_pooling_class():
    """The module that mean-pools several layers' token states (``layers=``).

    It subclasses ``torch.nn.Module``, so it is built on first use (importing this
    file must not import torch).
    """
    cls = globals().get("_LayerMeanPooling")
    if cls is not None:
        return cls
    torch = import_optional("torch", extra=_EXTRA, purpose=_WHO)
    import_optional("sentence_transformers", extra=_EXTRA, purpose=_WHO)
    try:  # sentence-transformers >= 5.4 (``models`` is a deprecated alias there)
        from sentence_transformers.sentence_transformer.modules import Pooling
    except ImportError:  # pragma: no cover - older sentence-transformers
        from sentence_transformers.models import Pooling

    class _LayerMeanPooling(torch.nn.Module):
        # the hidden states of ``layers``, each mean-pooled over the text's tokens by
        # sentence-transformers' own Pooling (attention mask; prompt tokens left out
        # when the model's pooling leaves them out), concatenated into the
        # "sentence_embedding" output that SentenceTransformer.encode returns
        def __init__(self, dim, layers, include_prompt):
            super().__init__()
            self.layers = tuple(int(i) for i in layers)
            self.pooling = Pooling(dim, pooling_mode="mean", include_prompt=include_prompt)

        def forward(self, features):
            states = features["all_layer_embeddings"]
            blocks = []
            for i in self.layers:
                layer = {k: v for k, v in features.items()
                         if k not in ("sentence_embedding", "all_layer_embeddings")}
                layer["token_embeddings"] = states[i]
                blocks.append(self.pooling(layer)["sentence_embedding"])
            features["sentence_embedding"] = torch.cat(blocks, dim=1)
            return features

    _LayerMeanPooling.__module__ = __name__
    _LayerMeanPooling.__qualname__ = _LayerMeanPooling.__name__
    globals()["_LayerMeanPooling"] = _LayerMeanPooling
    return _LayerMeanPooling


def _layer_view(encoder, layers):
    """A SentenceTransformer whose ``encode`` returns the ``layers`` features.

    It shares ``encoder``'s first module (the transformer, loaded with
    ``output_hidden_states``) and replaces the modules after it (pooling, dense,
    normalize) by the layer pooling; built once per encoder and layers.
    """
    key = (id(encoder), tuple(layers))
    with _LOCK:
        entry = _VIEWS.get(key)
        if entry is not None and entry[0] is encoder:
            return entry[1]
    st = import_optional("sentence_transformers", extra=_EXTRA, purpose=_WHO)
    hf_model = _hidden_state_model(encoder)
    pooling = next((m for m in encoder if hasattr(m, "include_prompt")), None)
    head = _layer_pooling_class()(int(hf_model.config.hidden_size), layers,
                                  bool(getattr(pooling, "include_prompt", True)))
    view = st.SentenceTransformer(modules=[encoder[0], head], device=str(encoder.device))
    view.eval()
    with _LOCK:
        _VIEWS[key] = (encoder, view)
        while len(_VIEWS) > 8:  # (a grid search over layers= makes one per value)
            _VIEWS.popitem(last=False)
    return view


# --------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------


class SentenceEmbeddingFeaturizer(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                                  BaseEstimator):
    """Raw texts to dense sentence embeddings, cached by text content.

    Wraps a `sentence-transformers <https://www.sbert.net>`_ model: a Hugging
    Face hub name (taken from the local Hugging Face cache; mlkit never
    downloads unless ``local_files_only=False``) or a local model directory.
    Texts go through ``SentenceTransformer.encode``, so the model's default
    prompt, ``truncate_dim``, ``precision`` and the multi-process pool work as
    in sentence-transformers. They are encoded in batches sorted by token
    length (little padding), and every embedding is cached by the text's
    content and the encoder's identity, so a second ``transform`` of already
    seen texts, in this estimator or in any clone of it (cross-validation,
    grid search), skips the encoder.

    Needs the ``embeddings`` extra: ``pip install "mlkit[embeddings]"``.

    Parameters
    ----------
    model : str or path-like, default="sentence-transformers/all-MiniLM-L6-v2"
        Hub name or local directory of a sentence-transformers model.
    batch_size : int, default=64
        Texts per forward pass.
    device : str, torch.device or list of str, default="auto"
        ``"auto"`` uses a CUDA (or Apple MPS) GPU when torch sees one, else
        the CPU; or a torch device name such as ``"cpu"`` or ``"cuda:0"``. A
        list of device names (``["cuda:0", "cuda:1"]``, ``["cpu", "cpu"]``)
        encodes with sentence-transformers' multi-process pool, one worker
        process per entry: the pool is started by each ``transform`` that has
        texts to encode and stopped when it returns. Starting it costs seconds
        (each worker imports torch and receives the model), so it pays off on
        large inputs only; with several CPU workers, limit each one's threads
        (``OMP_NUM_THREADS``) so that together they do not exceed the cores.
        Like any code that starts processes, a script that uses a pool must
        guard its entry point with ``if __name__ == "__main__":``.
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
        transformers text model). The layers go through
        ``SentenceTransformer.encode`` too (a view of the model whose last
        module mean-pools the chosen layers with sentence-transformers'
        ``Pooling``), so prompts and ``precision`` apply to them;
        ``truncate_dim`` and a multi-process pool do not.
    prompt_name : str or None, default=None
        Name of one of the model's prompts (``model.prompts``, e.g.
        ``"query"`` or ``"classification"``) to put before every text. None
        uses the model's ``default_prompt_name`` when it has one, else no
        prompt. The resolved prompt is ``prompt_``.
    prompt : str or None, default=None
        A prompt string put before every text, instead of the model's
        prompts. ``""`` turns off a model's default prompt. Give ``prompt``
        or ``prompt_name``, not both.
    truncate_dim : int or None, default=None
        Keep only the first ``truncate_dim`` dimensions of the sentence
        embedding (for models trained with a Matryoshka loss, whose leading
        dimensions carry most of the information); truncation comes before
        ``normalize``. None keeps the model's own setting (its
        ``truncate_dim``, usually none). Not available with ``layers``.
    precision : {"float32", "int8", "uint8", "binary", "ubinary"}, \
            default="float32"
        Type of the returned features, as ``SentenceTransformer.encode``
        and ``sentence_transformers.quantize_embeddings`` define them,
        applied after ``normalize``. ``"int8"`` / ``"uint8"``: each dimension
        mapped linearly to 256 buckets between its minimum and maximum over
        the texts given to ``fit`` (``quantization_ranges_``; encode would
        take them from each call's own texts, which would make a text's
        features depend on its batch), returned as int8 / uint8.
        ``"binary"`` / ``"ubinary"``: the sign of each dimension, eight
        dimensions packed per byte (``n_features_out_`` is the dimension
        divided by 8), int8 / uint8. The cache stores the float output, so
        featurizers that differ only in ``precision`` share its entries.
        For linear models downstream keep ``"float32"``: int8/uint8 are an
        affine per-dimension rescaling plus rounding of it, on a scale
        hundreds of times larger, which leaves a regularization strength
        tuned for unit-norm features (the ridge ``alpha`` of
        ``make_classifier("embeddings")``) almost no effect; the packed
        binary bytes are not numbers a linear model can use (unpack
        ``"ubinary"`` with ``np.unpackbits(X, axis=1)`` for the 0/1 sign
        features; ``"binary"`` holds the same bytes minus 128). With
        ``layers="all"`` on GoEmotions, int8 lost about 0.16 macro-F1 and
        the binary forms more (``docs/neural.md``). The low precisions are
        for storage and retrieval.
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
        Embedding dimension (times the number of layers with ``layers``;
        the truncated dimension with ``truncate_dim``; an eighth of it,
        rounded up, with a binary ``precision``).
    layers_ : tuple of int or None
        The hidden-state indices used (non-negative), or None for the
        sentence embedding.
    prompt_ : str or None
        The prompt put before every text (from ``prompt``, ``prompt_name``
        or the model's default prompt), or None.
    truncate_dim_ : int or None
        The dimension the sentence embedding is truncated to, or None.
    quantization_ranges_ : ndarray of shape (2, n_dims) or None
        Per-dimension minimum and maximum of the features of the texts given
        to ``fit`` (``precision="int8"`` or ``"uint8"``), else None.
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
        # the names are checked when the encoder is loaded; a list: a multi-process pool
        "device": [str, TorchDevice, list, tuple],
        "normalize": ["boolean"],
        "layers": [None, StrOptions({"all"}), Interval(numbers.Integral, 1, None, closed="left"),
                   list, tuple],
        "prompt_name": [str, None],
        "prompt": [str, None],
        "truncate_dim": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "precision": [StrOptions(set(_PRECISIONS))],
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
        prompt_name: str | None = None,
        prompt: str | None = None,
        truncate_dim: int | None = None,
        precision: str = "float32",
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
        self.prompt_name = prompt_name
        self.prompt = prompt
        self.truncate_dim = truncate_dim
        self.precision = precision
        self.cache = cache
        self.memory_cache_mb = memory_cache_mb
        self.max_length = max_length
        self.local_files_only = local_files_only
        self.verbose = verbose

    # -- parameters --------------------------------------------------------

    def __setstate__(self, state):
        # featurizers saved before prompt_name, prompt, truncate_dim and precision existed
        # (pickles, model files) load with those parameters at their defaults
        for name, default in (("prompt_name", None), ("prompt", None), ("truncate_dim", None),
                              ("precision", "float32")):
            state.setdefault(name, default)
        super().__setstate__(state)

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
        self._pool_devices()
        if self.prompt is not None and self.prompt_name is not None:
            raise ValueError(
                f"{_WHO}: prompt={self.prompt!r} and prompt_name={self.prompt_name!r} were both "
                "given; give one of them (prompt='' turns off the model's default prompt).")
        if self.layers is not None and self._pool_devices() is not None:
            # a pool pickles the model for its workers; a transformers (>= 5) model that has
            # returned hidden states holds hooks that cannot be pickled, and one unpickled
            # in a worker returns no hidden states (its output recorders are registered
            # when a model is constructed, which unpickling skips)
            raise ValueError(
                f"{_WHO}: device={list(self.device)!r} (a multi-process pool) works with "
                f"layers=None only, not layers={self.layers!r}: transformers models sent to "
                "worker processes do not return their hidden states. Use one device.")
        if self.truncate_dim is not None and self.layers is not None:
            raise ValueError(
                f"{_WHO}: truncate_dim={self.truncate_dim} shortens the sentence embedding "
                f"(layers=None) and cannot be combined with layers={self.layers!r}; select "
                "fewer layers instead, or set truncate_dim=None.")

    def _pool_devices(self):
        """The device names of a multi-process pool (``device`` is a list), else None."""
        if not isinstance(self.device, (list, tuple)):
            return None
        if not self.device or not all(isinstance(d, (str, TorchDevice)) for d in self.device):
            raise ValueError(
                f"{_WHO}: device={list(self.device)!r} is not supported; a list of devices "
                "starts one encoding process per entry and must hold device names, e.g. "
                "['cpu', 'cpu'] or ['cuda:0', 'cuda:1'].")
        return [str(d) for d in self.device]

    def _settings(self):
        """The parameters that decide which features are computed (fixed at fit)."""
        layers = tuple(self.layers) if isinstance(self.layers, (list, tuple)) else self.layers
        return (("layers", layers), ("prompt", self.prompt), ("prompt_name", self.prompt_name),
                ("truncate_dim", self.truncate_dim), ("precision", self.precision))

    def _check_unchanged_since_fit(self):
        fitted = getattr(self, "_fitted_settings", None)  # absent in models saved before it
        if fitted is None:
            return
        changed = [f"{name}={value!r}" for (name, value), old in zip(self._settings(), fitted,
                                                                     strict=True) if value != old[1]]
        if changed:
            raise ValueError(
                f"{_WHO}: {', '.join(changed)} was set after fit; these parameters decide "
                "which features are computed: call fit again.")

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

    def _encoder(self, hidden_states=None):
        """(SentenceTransformer, fingerprint); loaded once per process and shared.

        ``hidden_states``: load the copy that returns every layer's token states
        (default: whether the fitted featurizer uses ``layers``).
        """
        from .._torch import resolve_device

        if hidden_states is None:
            hidden_states = getattr(self, "layers_", None) is not None
        devices = self._pool_devices()
        if devices is None:
            device = resolve_device(self.device, purpose=_WHO, extra=_EXTRA)
        else:  # each worker of the pool moves its copy to its device; this one stays here
            for name in devices:
                resolve_device(name, purpose=_WHO, extra=_EXTRA)
            device = "cpu"
        return _load_encoder(self.model, device, self.local_files_only, self.max_length,
                             hidden_states)

    def _model_for_encode(self, encoder):
        """What ``encode`` is called on: the encoder, or its view for ``layers_``."""
        layers = getattr(self, "layers_", None)
        return encoder if layers is None else _layer_view(encoder, layers)

    @property
    def encoder_(self) -> SentenceTransformer:
        """The loaded ``SentenceTransformer`` (shared with clones; do not modify it).

        With ``layers``, the view of it whose ``encode`` returns the (raw) layer
        features.
        """
        check_is_fitted(self, "model_fingerprint_")
        return self._model_for_encode(self._encoder()[0])

    @property
    def _n_features_out(self):
        return self.n_features_out_

    def _resolve_prompt(self, encoder):
        """The prompt put before every text: ``prompt``, ``prompt_name`` or the default."""
        if self.prompt is not None:
            return self.prompt or None
        prompts = dict(getattr(encoder, "prompts", None) or {})
        if self.prompt_name is not None:
            if self.prompt_name not in prompts:
                raise ValueError(
                    f"{_WHO}: prompt_name={self.prompt_name!r} is not one of the model's "
                    f"prompts ({sorted(prompts) if prompts else 'it has none'}); give one of "
                    "them, your own prompt with prompt='...', or None.")
            return prompts[self.prompt_name] or None
        default = getattr(encoder, "default_prompt_name", None)
        return (prompts.get(default) or None) if default is not None else None

    def _sentence_dim(self, encoder):
        """Width of the sentence embedding that ``encode`` returns (after truncation)."""
        dim_fn = (getattr(encoder, "get_embedding_dimension", None)
                  or encoder.get_sentence_embedding_dimension)
        dim = dim_fn()
        if dim is None or self.truncate_dim_ is not None:
            # what encode returns (models whose last module does not declare it; truncation)
            width = int(self._encode(encoder, ["dimension probe"]).shape[1])
            if self.truncate_dim is not None and width < self.truncate_dim:
                raise ValueError(
                    f"{_WHO}: truncate_dim={self.truncate_dim} is larger than the model's "
                    f"embedding dimension, {width}; give a smaller value or None.")
            dim = width
        return int(dim)

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Sequence[str] | ArrayLike | None = None, y: Any = None) -> SentenceEmbeddingFeaturizer:
        """Load the encoder and record its dimension, prompt and fingerprint.

        Nothing is learned from ``X`` (the features of a text do not depend on
        the other texts), except with ``precision="int8"`` or ``"uint8"``: then
        each dimension's range is taken from the features of ``X``, which is
        required. Otherwise ``X`` is only validated when given.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str, default=None
            Raw texts (validated; encoded for the ranges of an int8 / uint8
            ``precision``).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._fit(X)
        return self

    def _fit(self, X, want_features=False):
        """Fit; return the float features of ``X`` when they were computed or wanted."""
        self._check_param_values()
        texts = None if X is None else check_texts(X, estimator=self)
        ranged = self.precision in ("int8", "uint8")
        if ranged and (texts is None or len(texts) < 2):
            raise ValueError(
                f"{_WHO}: precision={self.precision!r} learns each dimension's range from the "
                "texts given to fit; call fit with at least 2 texts (a representative sample), "
                "or use precision='float32', 'binary' or 'ubinary'.")
        encoder, fingerprint = self._encoder(hidden_states=self.layers is not None)
        self.model_fingerprint_ = fingerprint
        self.max_length_ = int(encoder.max_seq_length)
        self.device_ = str(encoder.device)
        self.prompt_ = self._resolve_prompt(encoder)
        self.layers_ = self.truncate_dim_ = self.quantization_ranges_ = None
        if self.layers is not None:
            hf_model = _hidden_state_model(encoder)
            self.layers_ = _resolve_layers(self.layers, _n_hidden_states(hf_model))
            dim = int(hf_model.config.hidden_size) * len(self.layers_)
        else:
            self.truncate_dim_ = (self.truncate_dim if self.truncate_dim is not None
                                  else getattr(encoder, "truncate_dim", None))
            dim = self._sentence_dim(encoder)
        self.n_features_out_ = -(-dim // 8) if self.precision.endswith("binary") else dim
        self._fitted_settings = self._settings()
        features = None
        if ranged or (want_features and texts is not None):
            features = self._float_features(texts)
        if ranged:
            self.quantization_ranges_ = np.vstack((features.min(axis=0), features.max(axis=0)))
        return features

    @fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X: Sequence[str] | ArrayLike, y: Any = None) -> NDArray[Any]:
        """Fit, then return the features of ``X``.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.
        y : None
            Ignored.

        Returns
        -------
        X_features : ndarray of shape (n_samples, n_features_out_)
            float32, or int8 / uint8 as ``precision`` says.
        """
        if X is None:
            check_texts(X, estimator=self)  # the error for a missing X
        return self._quantize(self._fit(X, want_features=True))

    def transform(self, X: Sequence[str] | ArrayLike) -> NDArray[Any]:
        """Features of ``X``, from the cache where possible.

        Parameters
        ----------
        X : list, tuple, ndarray or Series of str
            Raw texts.

        Returns
        -------
        X_features : ndarray of shape (n_samples, n_features_out_)
            float32 (unit-norm rows when ``normalize=True``), or int8 / uint8
            as ``precision`` says.
        """
        check_is_fitted(self, "model_fingerprint_")
        self._check_params()  # set_params after fit (normalize, cache, ...) is honoured
        self._check_unchanged_since_fit()
        return self._quantize(self._float_features(check_texts(X, estimator=self)))

    def _quantize(self, features):
        """``features`` (float32) in the ``precision`` asked for."""
        if self.precision == "float32":
            return features
        st = import_optional("sentence_transformers", extra=_EXTRA, purpose=_WHO)
        quantize = getattr(st, "quantize_embeddings", None)
        if quantize is None:  # pragma: no cover - sentence-transformers < 5.4
            from sentence_transformers.quantization import quantize_embeddings as quantize
        ranges = None
        if self.precision in ("int8", "uint8"):
            ranges = getattr(self, "quantization_ranges_", None)
            if ranges is None:
                raise ValueError(f"{_WHO}: precision={self.precision!r} needs the ranges "
                                 "learned by fit; call fit again.")
        return quantize(features, precision=self.precision, ranges=ranges)

    def _float_features(self, texts):
        """float32 features of ``texts``: the cache, the encoder for the rest, ``normalize``."""
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
                    UserWarning, stacklevel=3)
                namespace = self._namespace(fingerprint)
                store = None if mode == "off" else _store(namespace)
                if store is not None:
                    self._lookup(store, {k: unique[k] for k in missing}, found, directory)
                    missing = [k for k in missing if k not in found]
            if missing:
                self._encode_missing(encoder, fingerprint, store, directory,
                                     [unique[k] for k in missing], missing, found)
        dim = len(found[keys[0]])  # the raw width (n_features_out_ is the packed one for binary)
        out = np.empty((len(texts), dim), dtype=np.float32)
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
        # everything that changes the cached (raw, float) output: the encoder, the maximum
        # length, the layers, the prompt and the truncation (precision and normalize are
        # applied after the cache); for a model without prompt nor truncation the name is
        # the one mlkit used before prompts existed, so earlier disk caches stay valid
        name = f"{fingerprint}|{self.max_length_}"
        layers = getattr(self, "layers_", None)
        if layers is not None:
            name += f"|mean-pooled hidden states {list(layers)}"
        prompt = getattr(self, "prompt_", None)
        if prompt:
            name += f"|prompt {json.dumps(prompt)}"
        truncate_dim = getattr(self, "truncate_dim_", None)
        if truncate_dim is not None:
            name += f"|truncate_dim {int(truncate_dim)}"
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
                "max_length": self.max_length_,
                "layers": None if self.layers_ is None else list(self.layers_),
                "prompt": getattr(self, "prompt_", None),
                "truncate_dim": getattr(self, "truncate_dim_", None),
                "format": "shard-*.npz: keys (n, 16) uint8 blake2b-128 of the UTF-8 text, "
                          "embeddings (n, dim) float32 raw encoder output"}
        bar = progress_bar(show_progress(self.verbose, len(texts)), total=len(texts),
                           desc="Encoding", unit="text", extra=_EXTRA, purpose=_WHO)
        model = self._model_for_encode(encoder)
        devices = self._pool_devices()
        pool = None if devices is None else model.start_multi_process_pool(devices)
        try:
            for emb, idx in self._encode_chunks(model, texts, bar, pool):
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
                    info["dim"] = int(emb.shape[1])
                    _write_shard(store, _namespace_dir(directory, store.namespace), chunk_keys,
                                 emb, info)
        finally:
            if pool is not None:
                model.stop_multi_process_pool(pool)
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

    def _encode_chunks(self, model, texts, bar, pool=None):
        """Yield (embeddings float32 (m, d), positions in ``texts``) chunk by chunk.

        Texts are sorted by token length, longest first, so that each batch
        pads to nearly its own length; chunks of ``_FLUSH_EVERY`` texts are
        yielded as they finish.
        """
        order = np.argsort(-np.asarray(self._token_lengths(model, texts)), kind="stable")
        for start in range(0, len(order), _FLUSH_EVERY):
            idx = order[start:start + _FLUSH_EVERY]
            yield self._encode(model, [texts[i] for i in idx], bar=bar, pool=pool), idx

    def _encode(self, model, texts, bar=None, pool=None):
        """Raw float32 output of ``model.encode`` (``SentenceTransformer.encode``).

        Without a pool, one ``encode`` call per batch of the (length-sorted)
        texts, so that the progress bar moves and each batch is the one mlkit
        chose; with a pool, one call for all, which the pool splits.
        """
        bs = int(self.batch_size)
        kwargs = {"prompt": getattr(self, "prompt_", None) or "",  # "": no prompt, not the default
                  "truncate_dim": getattr(self, "truncate_dim_", None),
                  "batch_size": bs, "output_value": "sentence_embedding",
                  "convert_to_numpy": True, "normalize_embeddings": False,
                  "show_progress_bar": False}
        if pool is not None:
            out = [model.encode(texts, pool=pool, **kwargs)]
            if bar is not None:
                bar.update(len(texts))
        else:
            out = []
            for start in range(0, len(texts), bs):
                batch = texts[start:start + bs]
                out.append(model.encode(batch, **kwargs))
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
