"""Model files: one file per fitted model, with its metadata.

A model file is a ZIP archive holding two members:

* ``mlkit-model.json``, the manifest: the file format and its version,
  creation time, the versions of mlkit and of the libraries the estimator
  depends on, the label names, the decision thresholds, a description and
  fingerprint of the training data, training-time metrics, and any metadata
  the caller adds;
* the payload, the fitted estimator, in one of three serializations:

  - ``estimator.safe`` (``serializer="safe"``, the default): mlkit's own
    declarative format, which needs only the core dependencies. A JSON
    description of the object tree plus the raw bytes of its arrays; loading
    it parses JSON, copies bytes into numpy arrays of vetted dtypes and
    constructs only trusted classes: those in :data:`TRUSTED_TYPES`
    (mlkit's own estimators), scikit-learn's estimators and
    cross-validation splitters, numpy and scipy arrays and Python builtins.
    No pickle byte code runs. This is the **safe path**, used by default by
    :func:`save_model`, :func:`load_model`, the command line and the HTTP
    server.
  - ``estimator.skops`` (``serializer="skops"``): skops' format, written by
    mlkit 0.1's first model format and on request; loading it needs the
    optional ``skops`` package (``pip install "mlkit[skops]"``) and goes
    through the same trusted types.
  - ``estimator.pkl`` (``serializer="pickle"``): Python's pickle. **Loading
    a pickle runs code chosen by whoever wrote the file**; only load pickled
    models you made yourself or got from a source you trust.
    :func:`load_model` refuses them unless ``trusted=True``
    (``--trust-pickle`` on the command line). Models that the safe format
    cannot describe with trusted types are saved this way, with a warning.

:func:`load_model` also takes a Hugging Face checkpoint folder (or a hub name,
downloaded only with ``allow_download=True``), loaded and vetted by
:func:`mlkit.transformer.load_pretrained`, with a manifest built from the loaded
model; so every client (the command line, the server) takes one where it takes a
model file.

Files are written atomically (an interrupted save leaves any previous file
untouched and no partial file behind), and the payload's SHA-256 digest is
checked on load.

A model file is data, not code. Besides the types, the safe path vets the
values of the parameters that reach files, the network, caches or code (a text
vectorizer must read ``input="content"`` with a built-in analyzer and no custom
tokenizer or preprocessor, a Pipeline has no ``memory`` cache, the embedding
featurizer never downloads nor writes a disk cache), with an allow-list of
values; nothing is decompressed beyond a size limit (:data:`MAX_MANIFEST_BYTES`,
:data:`MAX_TREE_BYTES`, :data:`MAX_UNCOMPRESSED_BYTES`, checked before and while
reading); the facts the estimator knows (label names, thresholds, class) are
taken from it, and a manifest that states them otherwise is refused; and a
loaded text model must answer one probe text with one score per label. Loading warns (:class:`ModelVersionWarning`) when the file
was written with other versions of mlkit or its dependencies, and raises
:class:`ModelFileError` for a file written by another program, a newer model
format, or a damaged file.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import io
import json
import logging
import math
import os
import pickle
import platform
import re
import sys
import time
import types
import warnings
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from importlib import metadata as _metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._atomic import atomic_write
from ._json import json_default
from ._optional import import_optional

if TYPE_CHECKING:
    from .io import Dataset
    from .thresholds import ThresholdTuner

__all__ = [
    "FORMAT_VERSION",
    "MAX_MANIFEST_BYTES",
    "MAX_TREE_BYTES",
    "MAX_UNCOMPRESSED_BYTES",
    "TRUSTED_TYPES",
    "ModelFileError",
    "ModelVersionWarning",
    "UntrustedModelError",
    "find_threshold_tuner",
    "load_model",
    "read_metadata",
    "save_model",
]

logger = logging.getLogger(__name__)

#: Version of the model file format this mlkit writes (and the newest it reads).
#: Version 2 added the ``"safe"`` serializer; version 1 files (skops or pickle
#: payloads) still load.
FORMAT_VERSION = 2

_FORMAT_NAME = "mlkit-model"
_MANIFEST = "mlkit-model.json"
_PAYLOADS = {"safe": "estimator.safe", "skops": "estimator.skops", "pickle": "estimator.pkl"}
_SERIALIZERS = ("auto", "safe", "skops", "pickle")

#: mlkit's types that loading a safe (or skops) payload may construct, beyond
#: scikit-learn's estimators, numpy, scipy and Python builtins. They are
#: rebuilt by setting their attributes (no constructor or pickle code runs),
#: except for the two torch-backed classes, whose ``__setstate__`` reloads
#: their encoder:
#: ``SentenceEmbeddingFeaturizer`` from its ``model`` name or directory, and
#: ``TransformerClassifier`` from the checkpoint files stored in the payload
#: (config, tokenizer and ``model.safetensors``, read by ``transformers``
#: without remote code). Their state is vetted before it is set: no
#: download, no disk cache, no checkpoint file name that leaves its temporary
#: directory.
TRUSTED_TYPES = (
    "mlkit.ensemble.ScoreBlend",
    "mlkit.features._tfidf.TfidfFeaturizer",
    "mlkit.features._embeddings.SentenceEmbeddingFeaturizer",
    "mlkit.pipeline.TextPipeline",
    "mlkit.thresholds.SigmoidCalibrator",
    "mlkit.thresholds.ThresholdTuner",
    "mlkit.transformer._classifier.TransformerClassifier",
    "mlkit.transforms._binary_relevance.BinaryRelevance",
    "mlkit.transforms._binary_relevance._ConstantLabel",
    "mlkit.transforms._chain.ClassifierChain",
    "mlkit.transforms._chain.ClassifierChainEnsemble",
)

# mlkit modules whose estimators load models through these libraries at run time
_RUNTIME_DEPENDENCIES = {
    "mlkit.features._embeddings": ("sentence_transformers", "transformers", "torch"),
    "mlkit.transformer": ("transformers", "tokenizers", "safetensors", "torch"),
}

# distributions whose versions are recorded; those marked True are recorded
# only when the estimator's modules use them
_DEPENDENCIES = {
    "numpy": False,
    "scipy": False,
    "scikit-learn": False,
    "joblib": False,
    "skops": True,
    "torch": True,
    "transformers": True,
    "sentence-transformers": True,
    "tokenizers": True,
    "safetensors": True,
}
_MODULE_OF = {"scikit-learn": "sklearn", "sentence-transformers": "sentence_transformers"}
# a mismatch in these is worth a warning on load
_CHECKED = ("mlkit", "scikit-learn", "numpy", "scipy", "torch", "transformers",
            "sentence-transformers", "skops")


class ModelFileError(ValueError):
    """A file that is not a usable mlkit model file (the message says why and what to do)."""


class UntrustedModelError(ModelFileError):
    """A model file whose loading would run or construct untrusted code or types."""


class ModelVersionWarning(UserWarning):
    """The model file was written with other versions of mlkit or its dependencies."""


def _mlkit_version():
    import mlkit

    return mlkit.__version__


def _dist_version(name):
    try:
        return _metadata.version(name)
    except _metadata.PackageNotFoundError:
        return None


def _versions(serializer, estimator):
    versions = {"mlkit": _mlkit_version(), "python": platform.python_version()}
    used = _modules_used(estimator)
    for dist, optional in _DEPENDENCIES.items():
        module = _MODULE_OF.get(dist, dist)
        if optional and not (module in used or (dist == "skops" and serializer == "skops")):
            continue
        version = _dist_version(dist)
        if version is not None:
            versions[dist] = version
    return versions


def _modules_used(estimator):
    """Top-level modules of the classes inside ``estimator`` (a bounded walk), plus the
    libraries that mlkit's torch-backed estimators load at run time."""
    seen = set()
    out = set()
    stack = [estimator]
    while stack and len(seen) < 10000:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        module = type(obj).__module__ or ""
        out.add(module.split(".")[0])
        for prefix, libraries in _RUNTIME_DEPENDENCIES.items():
            if module.startswith(prefix):
                out.update(libraries)
        if isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            stack.extend(v for v in vars(obj).values()
                         if not isinstance(v, (str, bytes, int, float, np.ndarray)))
    return out


def find_threshold_tuner(estimator: Any) -> ThresholdTuner | None:
    """The :class:`~mlkit.ThresholdTuner` that makes ``estimator``'s decisions, or None
    (:func:`mlkit.inference.find_threshold_tuner`, re-exported here).

    Parameters
    ----------
    estimator : estimator object
        A ThresholdTuner or a (nested) Pipeline ending in one.

    Returns
    -------
    tuner : ThresholdTuner or None
    """
    from .inference import find_threshold_tuner as find

    return find(estimator)


def _threshold_info(estimator):
    tuner = find_threshold_tuner(estimator)
    if tuner is None or not hasattr(tuner, "thresholds_"):
        return None
    thresholds = np.asarray(tuner.thresholds_, dtype=float)
    info = {
        "values": [float(t) for t in thresholds],
        "units": tuner.response_method_,
        "strategy": tuner.strategy,
        "global": float(tuner.global_threshold_),
        "at_least_one": bool(tuner.at_least_one_),
        "top_k": tuner.top_k,
    }
    proba = getattr(tuner, "proba_thresholds_", None)
    if proba is not None:
        info["probability"] = [float(p) for p in proba]
    return info


def _estimator_info(estimator):
    cls = type(estimator)
    info = {"class": f"{cls.__module__}.{cls.__qualname__}"}
    steps = getattr(estimator, "steps", None)
    if steps:
        info["steps"] = [
            {"name": str(name), "class": f"{type(step).__module__}.{type(step).__qualname__}"}
            for name, step in steps
        ]
    text = repr(estimator)
    info["repr"] = text if len(text) <= 4000 else text[:4000] + "..."
    return info


def _jsonable(value, what):
    try:
        return json.loads(json.dumps(value, default=json_default, allow_nan=True))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be JSON-serializable: {exc}") from None




class _HashingWriter(io.RawIOBase):
    """Forwards writes to ``f`` and hashes them."""

    def __init__(self, f):
        self.f = f
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self):
        return True

    def write(self, b):
        b = bytes(b)
        self.sha.update(b)
        self.size += len(b)
        self.f.write(b)
        return len(b)


def _skops_untrusted(data):
    sio = import_optional("skops.io", extra="skops", purpose="serializer='skops'")
    return [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED_TYPES]


def _skops_bytes(estimator):
    """skops bytes of ``estimator`` and the types it needs beyond the trusted ones."""
    sio = import_optional("skops.io", extra="skops", purpose="serializer='skops'")
    data = sio.dumps(estimator, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    return data, _skops_untrusted(data)


def _training_info(training_data):
    if training_data is None:
        return None
    describe = getattr(training_data, "describe", None)
    if callable(describe):  # an mlkit.io.Dataset
        return _jsonable(describe(), "training_data")
    if isinstance(training_data, tuple) and len(training_data) == 2:
        from ._labels import check_label_matrix
        from ._text import check_texts
        from .io import dataset_fingerprint

        texts = check_texts(training_data[0])
        Y, names = check_label_matrix(training_data[1], accept_sparse=False,
                                      n_samples=len(texts))
        if names is None:
            names = [str(j) for j in range(Y.shape[1])]
        return {
            "n_rows": len(texts),
            "n_labels": int(Y.shape[1]),
            "fingerprint": dataset_fingerprint(texts, Y, names),
            "label_support": {str(n): int(c) for n, c in zip(names, Y.sum(axis=0), strict=True)},
        }
    if isinstance(training_data, dict):
        return _jsonable(training_data, "training_data")
    raise TypeError(
        "training_data must be an mlkit.io.Dataset, a (texts, Y) tuple or a dict; got "
        f"{type(training_data).__name__}."
    )


def save_model(
    estimator: Any,
    path: str | os.PathLike[str],
    *,
    label_names: Sequence[str] | None = None,
    training_data: Dataset | tuple[Any, Any] | Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    serializer: str = "auto",
) -> dict[str, Any]:
    """Save a fitted estimator and its metadata to one model file, atomically.

    Parameters
    ----------
    estimator : estimator object
        A fitted estimator (e.g. from :func:`mlkit.make_classifier`).
    path : str or os.PathLike
        The model file (``.mlkit`` is the customary extension). Its
        directory must exist. An existing file is replaced only once the new
        one is completely written.
    label_names : sequence of str, default=None
        The label names, in the order of the estimator's score columns;
        ``estimator.classes_`` when None.
    training_data : mlkit.io.Dataset, (texts, Y) tuple or dict, default=None
        What the model was trained on: a :class:`~mlkit.io.Dataset` (its
        ``describe()``: source, layout, size, per-label support and
        fingerprint), a ``(texts, Y)`` pair (size, support and fingerprint are
        computed), or a JSON-serializable dict stored as is.
    metrics : dict, default=None
        Training-time metrics (e.g. out-of-fold or held-out
        :func:`mlkit.metrics.evaluate` results), stored as is.
    metadata : dict, default=None
        Anything else to store (JSON-serializable), under ``"metadata"``.
    serializer : {"auto", "safe", "skops", "pickle"}, default="auto"
        ``"safe"``: mlkit's safe format (core dependencies only); raises
        when the estimator holds types outside the trusted ones or objects the
        format cannot describe. ``"auto"``: the safe format when possible,
        else pickle with a warning. ``"pickle"``: always pickle (loading needs
        ``trusted=True``). ``"skops"``: skops' format (needs the optional
        ``skops`` package; loading it needs skops too).

    Returns
    -------
    manifest : dict
        The metadata written (see :func:`read_metadata`).

    Raises
    ------
    ModelFileError
        With ``serializer="safe"`` or ``"skops"``, when the estimator cannot be
        saved in that format.

    Examples
    --------
    >>> import mlkit, tempfile, os
    >>> from mlkit.persistence import save_model, load_model
    >>> texts = ["good film", "bad film", "great plot", "awful plot"] * 5
    >>> labels = [["pos"], ["neg"], ["pos", "plot"], ["neg", "plot"]] * 5
    >>> model = mlkit.make_classifier("tfidf").set_params(classifier__cv=2).fit(texts, labels)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.mlkit")
    >>> manifest = save_model(model, path, training_data=(texts, labels))
    >>> manifest["serializer"], manifest["label_names"]
    ('safe', ['neg', 'plot', 'pos'])
    >>> load_model(path).predict(["good plot"]).shape
    (1, 3)
    """
    start = time.perf_counter()
    if serializer not in _SERIALIZERS:
        raise ValueError(f"serializer must be one of {', '.join(map(repr, _SERIALIZERS))}; "
                         f"got {serializer!r}.")
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except TypeError:
        raise TypeError(
            f"save_model expects a fitted estimator; got {type(estimator).__name__}.") from None
    names = label_names if label_names is not None else getattr(estimator, "classes_", None)
    names = None if names is None else [str(n) for n in names]

    payload_bytes = None
    chosen = serializer
    if serializer != "pickle":
        safe = serializer in ("auto", "safe")
        name = "the safe format" if safe else "skops' format"
        try:
            payload_bytes, untrusted = (_safe_dumps if safe else _skops_bytes)(estimator)
        except _CannotDescribe as exc:
            untrusted, reason = None, f"the safe format cannot describe {exc}"
        except ImportError:  # skops, only with serializer="skops"
            raise
        except Exception as exc:  # skops cannot describe some object
            if safe:
                raise
            untrusted, reason = None, f"skops cannot describe it ({type(exc).__name__}: {exc})"
        else:
            reason = (f"it holds types outside mlkit's trusted list: {', '.join(untrusted)}"
                      if untrusted else None)
        if payload_bytes is not None and not untrusted:
            chosen = "safe" if safe else "skops"
        elif serializer != "auto":
            raise ModelFileError(
                f"This {type(estimator).__name__} cannot be saved in {name}: {reason}. Use "
                "serializer='pickle' (loading will then need trusted=True)."
            )
        else:
            chosen = "pickle"
            payload_bytes = None
            warnings.warn(
                f"Saving {type(estimator).__name__} with pickle because {reason}. Loading the "
                "file will need trusted=True (--trust-pickle), since unpickling runs code.",
                UserWarning, stacklevel=2,
            )

    manifest = {
        "format": _FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "versions": _versions(chosen, estimator),
        "serializer": chosen,
        "estimator": _estimator_info(estimator),
        "label_names": names,
        "thresholds": _threshold_info(estimator),
        "training_data": _training_info(training_data),
        "metrics": None if metrics is None else _jsonable(metrics, "metrics"),
        "metadata": None if metadata is None else _jsonable(metadata, "metadata"),
    }
    _write_model_file(path, manifest, estimator, payload_bytes)
    logger.info("Saved %s to %s: %s format, %d payload bytes, in %.2f s",
                type(estimator).__name__, os.fspath(path), chosen,
                manifest["payload"]["size"], time.perf_counter() - start)
    return manifest


def _write_model_file(path, manifest, estimator, payload_bytes):
    """Write the archive atomically: the payload (``payload_bytes``, or ``estimator``
    pickled as it streams), then the manifest with the payload's name, digest and size."""
    member = _PAYLOADS[manifest["serializer"]]
    with atomic_write(path, "wb") as f, zipfile.ZipFile(f, "w") as zf:
        if payload_bytes is not None:
            # safe or skops: a ZIP archive of its own, already compressed
            zf.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), payload_bytes,
                        compress_type=zipfile.ZIP_STORED)
            digest, size = hashlib.sha256(payload_bytes).hexdigest(), len(payload_bytes)
        else:
            with zf.open(member, "w", force_zip64=True) as raw:
                writer = _HashingWriter(raw)
                buffered = io.BufferedWriter(writer, buffer_size=1 << 20)
                pickle.dump(estimator, buffered, protocol=5)
                buffered.flush()
            digest, size = writer.sha.hexdigest(), writer.size
        manifest["payload"] = {"name": member, "sha256": digest, "size": size}
        zf.writestr(_MANIFEST, json.dumps(manifest, indent=2, allow_nan=True),
                    compress_type=zipfile.ZIP_DEFLATED)


# --------------------------------------------------------------------------
# the safe format: a declarative description of the object tree
# --------------------------------------------------------------------------
#
# A safe payload is a ZIP archive holding ``tree.json`` and one member per
# array or bytes value (``data/<n>``, raw bytes, no pickle). ``tree.json``
# describes the estimator as nested nodes: JSON null, booleans, numbers and
# strings stand for themselves, a JSON list is a Python list, and a JSON object
# is a tagged node ``{"$t": tag, ...}``:
#
# ========== ================================================================
# tag        value
# ========== ================================================================
# tuple, set, ``items``: the elements
# frozenset
# dict       ``str``: a JSON object of nodes (all keys str; ``plain`` when every
#            value is a JSON scalar, so no walk is needed), or ``items``: pairs
# bytes      ``data``: the member holding them
# ndarray    ``dtype`` (numpy's dtype string, never an object dtype),
#            ``shape``, ``fortran``, ``data``: the member holding the raw bytes
# objarray   an object array: ``shape`` and ``items`` (nodes, C order)
# npscalar   ``dtype`` and ``hex``: its bytes
# dtype      ``v``: a numpy dtype string
# sparse     a scipy sparse matrix or array: ``cls``, ``format``, ``shape`` and
#            its component arrays
# complex, slice, random_state, generator
# type       ``module`` and ``name`` of a class (numpy scalar types and
#            builtin types are trusted)
# function   ``module`` and ``name`` of a function (trusted only when named in
#            ``trusted``)
# object     ``module``, ``name``, ``state`` and ``id``: an instance, rebuilt
#            with ``cls.__new__(cls)`` and ``__setstate__(state)`` (or its
#            ``__dict__`` updated), only for a trusted class
# ref        ``id``: the same object as an earlier node with that ``id``
# ========== ================================================================
#
# Loading never runs pickle byte code: it parses JSON, copies raw bytes into
# numpy arrays of vetted dtypes, and constructs only trusted classes.

_SAFE_FORMAT = "mlkit-safe"
_SAFE_VERSION = 1
_TREE = "tree.json"
_JSON_SCALARS = (type(None), bool, int, float, str)
# bytes of array data read at a time (bounds the temporary copy)
_CHUNK = 1 << 24

#: Most bytes a safe payload may expand to when loaded (its arrays and its
#: tree.json, as declared in the payload, checked before anything is
#: decompressed).
MAX_UNCOMPRESSED_BYTES = 16 << 30
#: Most bytes the manifest may expand to (checked before it is decompressed and
#: while it is read, so that :func:`read_metadata` and ``mlkit info`` cost at
#: most about a hundred MB of memory on any file).
MAX_MANIFEST_BYTES = 8 << 20
#: Most bytes a payload's JSON description (``tree.json``, or skops'
#: ``schema.json``) may expand to; a JSON member may also expand to at most
#: :data:`MAX_JSON_RATIO` times its compressed size (beyond its first MiB),
#: which bounds the memory a small crafted file can make loading use.
MAX_TREE_BYTES = 1 << 30
MAX_JSON_RATIO = 50
# manifests and trees nested deeper than this are refused (legitimate ones are a
# few levels deep; JSON parsing and walking them recurses)
_MAX_JSON_DEPTH = 64
# sparse matrices converted on load to lil, dia, dok or bsr may have at most this
# many rows and columns (the conversion allocates per row or diagonal)
_MAX_CONVERTED_DIM = 10**7

_BUILTIN_TYPES = {t.__name__: t for t in (int, float, str, bool, complex, bytes, list, tuple,
                                          dict, set, frozenset, object, type(None), slice)}
_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")
_SPARSE_CLASSES = ("csr_matrix", "csc_matrix", "coo_matrix", "bsr_matrix", "dia_matrix",
                   "lil_matrix", "dok_matrix", "csr_array", "csc_array", "coo_array",
                   "bsr_array", "dia_array", "lil_array", "dok_array")
# sklearn modules never imported on a file's say
_SKLEARN_SKIP = ("tests", "externals", "experimental", "conftest", "_testing")


def _member_limit(info, limit, json_member):
    """The most bytes ``info``'s member may expand to."""
    if json_member:
        limit = min(limit, max(1 << 20, MAX_JSON_RATIO * info.compress_size))
    return limit


def _read_member(zf, name, limit, path, what, *, json_member=False):
    """The bytes of member ``name``, at most ``limit`` of them: its declared size is
    checked before anything is decompressed, and the bytes actually produced are bounded
    by it while reading (a member holding more than it declares is refused).

    Raises
    ------
    ModelFileError
        For a missing member, one over the limit, or a damaged archive.
    """
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ModelFileError(f"{str(path)!r} is damaged: its {what} ({name}) is missing.") \
            from None
    limit = _member_limit(info, limit, json_member)
    too_big = (f"{str(path)!r}: its {what} ({name}) expands to more than {limit} bytes "
               f"({info.compress_size} compressed), more than mlkit reads for it; the file "
               "is damaged or crafted to exhaust memory")
    if info.file_size > limit:
        raise ModelFileError(f"{too_big} (it declares {info.file_size}).")
    try:
        with zf.open(info) as f:
            # read(n) never returns more than n bytes, whatever the member holds; one
            # byte more would mean it holds more than it declares
            out = f.read(info.file_size)
            if len(out) > limit or f.read(1):
                raise ModelFileError(f"{too_big}, or more than it declares.")
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError, zlib.error) as exc:
        raise ModelFileError(f"{str(path)!r} is damaged: its {what} ({name}) cannot be read "
                             f"({type(exc).__name__}: {exc}).") from None
    return out


def _json_depth_ok(value, limit):
    """Whether ``value`` (parsed JSON) is nested at most ``limit`` deep (no recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return False
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict)
                                                  else node))
    return True


class _CannotDescribe(Exception):
    """An object the safe format cannot describe (a lambda, a C object, ...)."""


def _class_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_trusted_class(cls, extra=()):
    """Whether the safe path may construct instances of ``cls``: mlkit's
    :data:`TRUSTED_TYPES`, the names in ``extra``, scikit-learn's estimators
    and cross-validation splitters."""
    name = _class_name(cls)
    if name in TRUSTED_TYPES or name in extra:
        return True
    module = cls.__module__ or ""
    if not module.startswith("sklearn.") or any(
            part in _SKLEARN_SKIP for part in module.split(".")):
        return False
    from sklearn.base import BaseEstimator

    if issubclass(cls, BaseEstimator):
        return True
    from sklearn.model_selection import BaseCrossValidator, BaseShuffleSplit

    return issubclass(cls, (BaseCrossValidator, BaseShuffleSplit))


def _is_trusted_type_object(module, name):
    """Classes that may appear as values (e.g. ``dtype=np.float64``): builtin types and
    numpy's scalar types."""
    if module == "builtins":
        return name in _BUILTIN_TYPES
    if module == "numpy":
        value = getattr(np, name, None)
        return isinstance(value, type) and issubclass(value, np.generic)
    return False


class _SafeWriter:
    """Encodes an object tree as safe-format nodes plus raw data members."""

    def __init__(self):
        self.members = []  # raw bytes of arrays and bytes values
        self.memo = {}  # id(obj) -> node id
        self.keep = []  # keeps encoded objects alive, so that their ids stay unique
        self.untrusted = {}  # names of types and functions outside the trusted ones

    def _data(self, raw):
        self.members.append(raw)
        return len(self.members) - 1

    def encode(self, obj):
        t = type(obj)
        if t in _JSON_SCALARS:
            return obj
        if t is list:
            return [self.encode(v) for v in obj]
        if t is tuple:
            return {"$t": "tuple", "items": [self.encode(v) for v in obj]}
        if t is dict:
            if all(type(k) is str for k in obj):
                if all(type(v) in _JSON_SCALARS for v in obj.values()):
                    return {"$t": "dict", "plain": True, "str": obj}
                return {"$t": "dict", "str": {k: self.encode(v) for k, v in obj.items()}}
            return {"$t": "dict",
                    "items": [[self.encode(k), self.encode(v)] for k, v in obj.items()]}
        if t in (set, frozenset):
            return {"$t": t.__name__, "items": [self.encode(v) for v in obj]}
        if t is bytes:
            return {"$t": "bytes", "data": self._data(obj)}
        if t is complex:
            return {"$t": "complex", "re": obj.real, "im": obj.imag}
        if t is slice:
            return {"$t": "slice", "items": [self.encode(v) for v in
                                             (obj.start, obj.stop, obj.step)]}
        if isinstance(obj, np.generic) and not isinstance(obj, np.object_):
            return {"$t": "npscalar", "dtype": obj.dtype.str, "hex": obj.tobytes().hex()}
        if isinstance(obj, np.dtype):
            if obj.fields is not None or obj.subdtype is not None:
                raise _CannotDescribe(f"the structured numpy dtype {obj}")
            return {"$t": "dtype", "v": obj.str}
        if isinstance(obj, type):
            if not _is_trusted_type_object(obj.__module__, obj.__qualname__):
                self.untrusted[_class_name(obj)] = True
            return {"$t": "type", "module": obj.__module__, "name": obj.__qualname__}
        if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, np.ufunc)):
            module = getattr(obj, "__module__", None) or "numpy"
            name = getattr(obj, "__qualname__", None) or obj.__name__
            if "<" in name:
                raise _CannotDescribe(f"the local function {name}")
            self.untrusted[f"{module}.{name}"] = True
            return {"$t": "function", "module": module, "name": name}

        # objects with an identity: shared references are kept shared
        key = id(obj)
        if key in self.memo:
            return {"$t": "ref", "id": self.memo[key]}
        node_id = len(self.memo)
        self.memo[key] = node_id
        self.keep.append(obj)
        node = self._encode_object(obj, t)
        node["id"] = node_id
        return node

    def _encode_object(self, obj, t):
        import scipy.sparse as sp

        if t is np.ndarray:
            if obj.dtype.hasobject:
                if obj.dtype != object:
                    raise _CannotDescribe(f"the structured numpy dtype {obj.dtype}")
                return {"$t": "objarray", "shape": list(obj.shape),
                        "items": [self.encode(v) for v in obj.ravel(order="C")]}
            if obj.dtype.fields is not None:
                raise _CannotDescribe(f"the structured numpy dtype {obj.dtype}")
            fortran = bool(obj.flags.f_contiguous and not obj.flags.c_contiguous)
            src = obj.T if fortran else obj
            return {"$t": "ndarray", "dtype": obj.dtype.str, "shape": list(obj.shape),
                    "fortran": fortran, "data": self._data(np.ascontiguousarray(src))}
        if sp.issparse(obj) and type(obj).__module__.startswith("scipy.sparse"):
            name = type(obj).__name__
            if name not in _SPARSE_CLASSES:
                raise _CannotDescribe(f"the sparse type {_class_name(type(obj))}")
            fmt = obj.format
            if fmt == "coo":
                parts = {"data": obj.data, "row": obj.row, "col": obj.col}
            else:
                base = obj if fmt in ("csr", "csc") else obj.tocsr()
                parts = {"data": base.data, "indices": base.indices, "indptr": base.indptr}
            base_fmt = fmt if fmt in ("csr", "csc", "coo") else "csr"
            return {"$t": "sparse", "cls": name, "format": fmt, "base": base_fmt,
                    "shape": list(obj.shape),
                    **{k: self.encode(np.asarray(v)) for k, v in parts.items()}}
        if t is np.random.RandomState:
            return {"$t": "random_state", "state": self.encode(obj.get_state(legacy=True))}
        if t is np.random.Generator:
            bit = type(obj.bit_generator).__name__
            if bit not in _BIT_GENERATORS:
                raise _CannotDescribe(f"a Generator with the bit generator {bit}")
            return {"$t": "generator", "bit_generator": bit,
                    "state": self.encode(obj.bit_generator.state)}
        if isinstance(obj, (list, tuple, dict, set, frozenset, bytes, str, int, float)):
            # a subclass of a builtin container: its contents are not in __dict__
            raise _CannotDescribe(f"the {_class_name(t)} instance (a subclass of "
                                  f"{t.__mro__[1].__name__})")
        if not _is_trusted_class(t):
            self.untrusted[_class_name(t)] = True
        if "<" in t.__qualname__:
            raise _CannotDescribe(f"the local class {t.__qualname__}")
        getstate = getattr(t, "__getstate__", None)
        if getstate is None or getstate is object.__getstate__:
            if not hasattr(obj, "__dict__") or getattr(t, "__slots__", None):
                raise _CannotDescribe(f"the {_class_name(t)} instance (no __dict__)")
            state = obj.__dict__
        else:
            state = obj.__getstate__()
            self.keep.append(state)
        if state is not None and not isinstance(state, dict) and not hasattr(t, "__setstate__"):
            raise _CannotDescribe(f"the {_class_name(t)} instance (its state is a "
                                  f"{type(state).__name__})")
        return {"$t": "object", "module": t.__module__, "name": t.__qualname__,
                "state": self.encode(state)}


def _compresses(view, *, sample=1 << 20, ratio=0.75):
    """Whether deflating ``view`` saves at least a quarter of it (judged on samples)."""
    if len(view) < 4096:
        return True
    step = max(len(view) // 4, sample)
    chunks = [bytes(view[start:start + sample]) for start in range(0, len(view), step)]
    size = sum(len(c) for c in chunks)
    return sum(len(zlib.compress(c, 1)) for c in chunks) <= ratio * size


def _safe_dumps(estimator):
    """Safe-format bytes of ``estimator`` and the types and functions it needs beyond the
    trusted ones.

    Raises
    ------
    _CannotDescribe
        For an object the format cannot describe.
    """
    writer = _SafeWriter()
    try:
        root = writer.encode(estimator)
    except RecursionError:
        raise _CannotDescribe("an object tree nested too deeply (or a cycle)") from None
    tree = {"format": _SAFE_FORMAT, "version": _SAFE_VERSION, "root": root}
    text = json.dumps(tree, allow_nan=True, separators=(",", ":")).encode("utf-8")
    if len(text) > MAX_TREE_BYTES:
        raise _CannotDescribe(f"an object tree whose description takes {len(text)} bytes "
                              f"(more than MAX_TREE_BYTES={MAX_TREE_BYTES})")
    # stored raw where deflating would exceed the expansion ratio loading accepts
    deflate = len(text) <= max(1 << 20, MAX_JSON_RATIO * len(zlib.compress(text, 6)) // 2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(_TREE, date_time=(1980, 1, 1, 0, 0, 0)), text,
                    compress_type=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED,
                    compresslevel=6)
        for i, raw in enumerate(writer.members):
            view = memoryview(raw if isinstance(raw, bytes) else raw.reshape(-1).view(np.uint8))
            info = zipfile.ZipInfo(f"data/{i}", date_time=(1980, 1, 1, 0, 0, 0))
            # compressed only where it pays: fitted float weights barely compress, and
            # inflating them would cost more load time than reading them raw
            info.compress_type = (zipfile.ZIP_DEFLATED if _compresses(view)
                                  else zipfile.ZIP_STORED)
            with zf.open(info, "w", force_zip64=True) as out:
                for start in range(0, len(view), _CHUNK):
                    out.write(view[start:start + _CHUNK])
    return buf.getvalue(), sorted(writer.untrusted)


class _SafeReader:
    """Rebuilds an object tree from safe-format nodes, constructing only trusted types."""

    def __init__(self, zf, path, extra, trust_all):
        self.zf = zf
        self.path = path
        self.extra = extra
        self.trust_all = trust_all
        self.memo = {}
        self.refused = {}
        self.sizes = {}
        for info in zf.infolist():
            self.sizes[info.filename] = info.file_size

    def fail(self, what):
        raise ModelFileError(f"{str(self.path)!r}: its safe payload is damaged ({what}).")

    def decode(self, node):
        t = type(node)
        if t is list:
            return [self.decode(v) for v in node]
        if t is not dict:
            return node
        tag = node.get("$t")
        handler = _READERS.get(tag) if isinstance(tag, str) else None
        if handler is None:
            self.fail(f"unknown node {str(tag)[:40]!r}")
        value = handler(self, node)
        if tag in _IDENTITY_TAGS:
            node_id = node.get("id")
            if node_id is not None:
                self.memo.setdefault(node_id, value)
        return value

    def items(self, node, key="items"):
        items = node.get(key)
        if type(items) is not list:
            self.fail(f"a {node.get('$t')} node without its {key}")
        return [self.decode(v) for v in items]

    def raw(self, node, nbytes=None):
        index = node.get("data")
        name = f"data/{index}"
        if type(index) is not int or name not in self.sizes:
            self.fail(f"a missing data member {str(index)[:20]}")
        size = self.sizes[name]
        if nbytes is not None and size != nbytes:
            self.fail(f"{name} holds {size} bytes where its array needs {nbytes}")
        return name, size

    def resolve(self, module, name, kind):
        """The class or function ``module.name``, imported only when trusted."""
        if type(module) is not str or type(name) is not str or not all(
                part.isidentifier() for part in f"{module}.{name}".split(".")):
            self.fail(f"an invalid {kind} name")
        full = f"{module}.{name}"
        trusted = self.trust_all or full in self.extra
        if kind == "class":
            sklearn_candidate = module.startswith("sklearn.") and not any(
                part in _SKLEARN_SKIP for part in module.split("."))
            trusted = trusted or full in TRUSTED_TYPES or sklearn_candidate
        elif kind == "type":
            trusted = trusted or _is_trusted_type_object(module, name)
        if not trusted:
            self.refused[full] = True
            return None
        try:
            value = importlib.import_module(module)
            for part in name.split("."):
                value = getattr(value, part)
        except (ImportError, AttributeError) as exc:
            raise ModelFileError(
                f"{str(self.path)!r} needs {full}, which this installation does not have "
                f"({type(exc).__name__}: {exc}). It may need another version of mlkit or "
                "scikit-learn, or an optional dependency."
            ) from None
        if kind in ("class", "type"):
            if not isinstance(value, type):
                self.fail(f"{full} is not a class")
            if _class_name(value) != full:
                self.fail(f"{full} names the class {_class_name(value)}, not one of its own")
            if kind == "class" and not (self.trust_all or _is_trusted_class(value, self.extra)):
                self.refused[full] = True
                return None
        elif not callable(value) or isinstance(value, type):
            self.fail(f"{full} is not a function")
        return value


def _read_tuple(r, node):
    return tuple(r.items(node))


def _read_set(r, node):
    return set(r.items(node))


def _read_frozenset(r, node):
    return frozenset(r.items(node))


def _read_dict(r, node):
    if "str" in node:
        values = node["str"]
        if type(values) is not dict:
            r.fail("a dict node whose str is not an object")
        if node.get("plain") is True:
            return values
        return {k: r.decode(v) for k, v in values.items()}
    out = {}
    for pair in node.get("items") or []:
        if type(pair) is not list or len(pair) != 2:
            r.fail("a dict item that is not a pair")
        out[r.decode(pair[0])] = r.decode(pair[1])
    return out


def _read_bytes(r, node):
    name, size = r.raw(node)
    return _read_member(r.zf, name, size, r.path, "bytes value")


def _dtype(r, text):
    try:
        dtype = np.dtype(text) if type(text) is str else None
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.hasobject or dtype.fields is not None or dtype.subdtype:
        r.fail(f"an invalid array dtype {str(text)[:40]!r}")
    return dtype


def _shape(r, node):
    shape = node.get("shape")
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        r.fail("an invalid array shape")
    return tuple(shape)


def _read_ndarray(r, node):
    dtype = _dtype(r, node.get("dtype"))
    shape = _shape(r, node)
    fortran = node.get("fortran") is True
    count = math.prod(shape)  # Python ints: a crafted shape cannot overflow it
    name, _ = r.raw(node, count * dtype.itemsize)
    out = np.empty(shape[::-1] if fortran else shape, dtype=dtype)
    if out.nbytes:
        view = memoryview(out.reshape(-1).view(np.uint8))
        with r.zf.open(name) as f:
            start = 0
            while start < len(view):
                n = f.readinto(view[start:start + _CHUNK])
                if not n:
                    r.fail(f"{name} ends early")
                start += n
    return out.T if fortran else out


def _read_objarray(r, node):
    shape = _shape(r, node)
    items = r.items(node)
    count = math.prod(shape)
    if len(items) != count:
        r.fail(f"an object array of shape {shape} with {len(items)} items")
    out = np.empty(count, dtype=object)
    for i, value in enumerate(items):
        out[i] = value
    return out.reshape(shape)


def _read_npscalar(r, node):
    dtype = _dtype(r, node.get("dtype"))
    try:
        raw = bytes.fromhex(node.get("hex"))
    except (TypeError, ValueError):
        r.fail("an invalid numpy scalar")
    if len(raw) != dtype.itemsize:
        r.fail("a numpy scalar of the wrong size")
    return np.frombuffer(raw, dtype=dtype)[0]


def _read_dtype(r, node):
    value = node.get("v")
    if type(value) is not str:
        r.fail("an invalid dtype")
    return np.dtype(value) if value in ("|O", "O") else _dtype(r, value)


def _read_complex(r, node):
    re_, im = node.get("re"), node.get("im")
    if not all(type(v) in (int, float) for v in (re_, im)):
        r.fail("an invalid complex number")
    return complex(re_, im)


def _read_slice(r, node):
    items = r.items(node)
    if len(items) != 3 or not all(v is None or type(v) is int for v in items):
        r.fail("an invalid slice")
    return slice(*items)


def _read_sparse(r, node):
    import scipy.sparse as sp

    cls, fmt, base = node.get("cls"), node.get("format"), node.get("base")
    if cls not in _SPARSE_CLASSES or base not in ("csr", "csc", "coo") or type(fmt) is not str:
        r.fail(f"an invalid sparse type {str(cls)[:40]!r}")
    shape = _shape(r, node)
    if len(shape) != 2 or (fmt not in ("csr", "csc", "coo") and max(shape) > _MAX_CONVERTED_DIM):
        # converting to lil, dia, dok or bsr allocates per row or diagonal
        r.fail(f"an invalid shape {shape} for a sparse {str(fmt)[:10]} matrix")
    keys = ("data", "row", "col") if base == "coo" else ("data", "indices", "indptr")
    parts = {}
    for key in keys:
        value = r.decode(node.get(key))
        if type(value) is not np.ndarray or value.ndim != 1:
            r.fail(f"a sparse matrix whose {key} is not an array")
        parts[key] = value
    kind = getattr(sp, f"{base}_{'array' if cls.endswith('_array') else 'matrix'}")
    try:
        if base == "coo":
            out = kind((parts["data"], (parts["row"], parts["col"])), shape=shape)
        else:
            out = kind((parts["data"], parts["indices"], parts["indptr"]), shape=shape)
            out.check_format(full_check=True)
        if out.format != fmt:
            out = out.asformat(fmt)
    except (ValueError, TypeError, IndexError) as exc:
        r.fail(f"an invalid sparse matrix: {exc}")
    if type(out).__name__ != cls:
        r.fail(f"a sparse {cls} stored as {type(out).__name__}")
    return out


def _read_random_state(r, node):
    state = r.decode(node.get("state"))
    rs = np.random.RandomState()
    try:
        rs.set_state(state)
    except (TypeError, ValueError) as exc:
        r.fail(f"an invalid RandomState: {exc}")
    return rs


def _read_generator(r, node):
    name = node.get("bit_generator")
    if name not in _BIT_GENERATORS:
        r.fail(f"an unknown bit generator {str(name)[:40]!r}")
    bit = getattr(np.random, name)()
    try:
        bit.state = r.decode(node.get("state"))
    except (TypeError, ValueError, KeyError) as exc:
        r.fail(f"an invalid {name} state: {exc}")
    return np.random.Generator(bit)


def _read_type(r, node):
    return r.resolve(node.get("module"), node.get("name"), "type")


def _read_function(r, node):
    return r.resolve(node.get("module"), node.get("name"), "function")


def _read_ref(r, node):
    node_id = node.get("id")
    if node_id not in r.memo:
        r.fail(f"a reference to an unknown object {str(node_id)[:20]}")
    return r.memo[node_id]


def _read_object(r, node):
    cls = r.resolve(node.get("module"), node.get("name"), "class")
    if cls is None:  # refused; keep walking, to list every refused type at once
        r.decode(node.get("state"))
        return None
    try:
        obj = cls.__new__(cls)
    except TypeError as exc:
        r.fail(f"{_class_name(cls)} cannot be created empty: {exc}")
    if node.get("id") is not None:
        r.memo.setdefault(node["id"], obj)
    state = r.decode(node.get("state"))
    if r.refused:
        return obj
    if not r.trust_all:
        if type(state) is not dict or not all(type(k) is str for k in state):
            r.fail(f"{_class_name(cls)} with a state that is not a dict of attributes")
        _vet_state(_class_name(cls), state, r.path)
    try:
        if hasattr(obj, "__setstate__"):
            obj.__setstate__(state)
        elif type(state) is dict:
            obj.__dict__.update(state)
        elif state is not None:
            r.fail(f"{_class_name(cls)} with a state that is not a dict")
    except (ModelFileError, ImportError):
        raise
    except Exception as exc:
        r.fail(f"{_class_name(cls)} refused its state ({type(exc).__name__}: {exc})")
    return obj


_READERS = {
    "tuple": _read_tuple, "set": _read_set, "frozenset": _read_frozenset, "dict": _read_dict,
    "bytes": _read_bytes, "ndarray": _read_ndarray, "objarray": _read_objarray,
    "npscalar": _read_npscalar, "dtype": _read_dtype, "complex": _read_complex,
    "slice": _read_slice, "sparse": _read_sparse, "random_state": _read_random_state,
    "generator": _read_generator, "type": _read_type, "function": _read_function,
    "ref": _read_ref, "object": _read_object,
}
_IDENTITY_TAGS = ("ndarray", "objarray", "sparse", "random_state", "generator")


_TEXT_VECTORIZERS = ("sklearn.feature_extraction.text.",)
# allowed values of parameters that reach files, network, caches or code; a value
# outside its list is refused (the safe path vets values, not only types)
_TEXT_PARAMS = {
    "input": ("content",),  # "filename"/"file" would open the files the texts name
    "analyzer": ("word", "char", "char_wb"),  # a callable would be code
    "tokenizer": (None,),
    "preprocessor": (None,),
    "strip_accents": (None, "ascii", "unicode"),
    "decode_error": ("strict", "ignore", "replace"),
}
_MAX_PATTERN_LENGTH = 1000


# a group followed by a quantifier ("(a+)+", "(?:a|aa)*", "(ab){2,}"): the shape of the
# regular expressions whose backtracking explodes on a crafted text, refused in a saved
# token_pattern (the default patterns have none)
_QUANTIFIED_GROUP = re.compile(r"(?<!\\)\)[*+?{]")

# the most parallel jobs a loaded estimator may ask for (a saved n_jobs above is refused)
_MAX_N_JOBS = 256


def _param_problems(name, state):
    """What in the attributes ``state`` of an instance of class ``name`` would, once set,
    read or write files, reach the network, write a cache, or run code chosen by the file.

    ``state`` maps attribute names to plain values (those of a safe payload, decoded) or
    to ``_NOT_JSON`` (a skops node that is not a JSON value)."""
    problems = []

    def bad(key, value, allowed):
        shown = "a non-JSON value" if value is _NOT_JSON else _short(value)
        problems.append(f"{name.rsplit('.', 1)[-1]}({key}={shown}) (allowed: "
                        f"{', '.join(map(repr, allowed))})")

    if name.startswith(_TEXT_VECTORIZERS) or name == "mlkit.features._tfidf.TfidfFeaturizer":
        for key, allowed in _TEXT_PARAMS.items():
            if key in state and not any(state[key] is a or (type(a) is str and type(
                    state[key]) is str and state[key] == a) for a in allowed):
                bad(key, state[key], allowed)
        pattern = state.get("token_pattern")
        if "token_pattern" in state and not (pattern is None or (
                type(pattern) is str and len(pattern) <= _MAX_PATTERN_LENGTH
                and not _QUANTIFIED_GROUP.search(pattern))):
            bad("token_pattern", pattern, ("None", f"a str of at most {_MAX_PATTERN_LENGTH} "
                                           "characters with no quantified group"))
        if "encoding" in state and type(state["encoding"]) is not str:
            bad("encoding", state["encoding"], ("a codec name",))
    if (name.startswith(("sklearn.", "mlkit.")) and "n_jobs" in state
            and state["n_jobs"] is not None and not (
                type(state["n_jobs"]) is int and -1 <= state["n_jobs"] <= _MAX_N_JOBS)):
        # a crafted n_jobs would start thousands of threads or processes at predict time
        bad("n_jobs", state["n_jobs"], (None, -1, f"1 to {_MAX_N_JOBS}"))
    if ((name.startswith("sklearn.") or name == "mlkit.pipeline.TextPipeline")
            and "memory" in state and state["memory"] is not None):
        # a joblib cache directory: a Pipeline would write there
        bad("memory", state["memory"], (None,))
    if name == "mlkit.ensemble.ScoreBlend":
        # the names of the member scoring methods the blend calls at predict time
        for key, allowed in (("response_method", ("auto", "decision_function",
                                                  "predict_proba")),
                             ("response_methods_", ("decision_function", "predict_proba"))):
            value = state.get(key)
            ok = (type(value) is str and value in allowed) if key == "response_method" else (
                type(value) is list and all(type(v) is str and v in allowed for v in value))
            if key in state and not ok:
                bad(key, value, allowed)
    if name == "mlkit.features._embeddings.SentenceEmbeddingFeaturizer":
        if state.get("local_files_only", _NOT_JSON) is not True:
            problems.append("a SentenceEmbeddingFeaturizer with local_files_only=False "
                            "(it would download its encoder)")
        cache = state.get("cache")
        if not (cache is None or cache is False or cache is True or (
                type(cache) is str and cache == "memory")):
            problems.append("a SentenceEmbeddingFeaturizer with a disk cache (it would "
                            "write to a directory named in the file)")
        if type(state.get("model")) is not str:
            bad("model", state.get("model"), ("a model name or directory (str)",))
        _encoder_param_problems(state, bad)
    return problems


_DEVICE_NAME = re.compile(r"(cpu|auto|mps|(cuda|xpu)(:[0-9]{1,2})?)")
_MAX_POOL_DEVICES = 16
_MAX_PROMPT_LENGTH = 10_000
_PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")


def _encoder_param_problems(state, bad):
    """The encoding settings of a SentenceEmbeddingFeaturizer: a device list starts one
    process (with a full model copy) per entry at every ``transform``, so it is bounded."""
    device = state.get("device")
    names = list(device) if type(device) in (list, tuple) else [device]
    if "device" in state and not (device is None or (
            0 < len(names) <= _MAX_POOL_DEVICES and all(
                type(d) is str and _DEVICE_NAME.fullmatch(d) for d in names))):
        bad("device", device, (None, "a device name such as 'cpu' or 'cuda:0'",
                               f"a list of at most {_MAX_POOL_DEVICES} device names"))
    for key in ("prompt", "prompt_", "prompt_name"):
        value = state.get(key)
        if key in state and not (value is None or (
                type(value) is str and len(value) <= _MAX_PROMPT_LENGTH)):
            bad(key, value, (None, f"a str of at most {_MAX_PROMPT_LENGTH} characters"))
    for key in ("truncate_dim", "truncate_dim_"):
        value = state.get(key)
        if key in state and not (value is None or (type(value) is int and value >= 1)):
            bad(key, value, (None, "an int >= 1"))
    if "precision" in state and state["precision"] not in _PRECISIONS:
        bad("precision", state["precision"], _PRECISIONS)


def _vet_state(name, state, path):
    """Refuse the state of a trusted object that would, once set, read or write files
    (scikit-learn's text vectorizers with ``input="filename"``, a Pipeline's ``memory``),
    run code (a callable analyzer or tokenizer), download a model, write a disk cache, or
    write checkpoint files outside their temporary folder."""
    if type(state) is not dict:
        return
    problems = _param_problems(name, state)
    if name == "mlkit.transformer._classifier.TransformerClassifier":
        files = state.get("_checkpoint_files")
        names = list(files) if isinstance(files, dict) else []
        bad = [n for n in names if not _safe_relative_name(n)]
        if files is not None and not isinstance(files, dict):
            problems.append("a TransformerClassifier checkpoint that is not a dict of files")
        elif bad:
            problems.append(f"a TransformerClassifier checkpoint with unsafe file names "
                            f"{bad[:3]}")
        elif isinstance(files, dict) and any(type(v) is not bytes for v in files.values()):
            problems.append("a TransformerClassifier checkpoint file that is not bytes")
        if state.get("checkpoint_dir") is not None:
            # a refit would write training checkpoints to (and resume from) a folder the
            # file names
            problems.append(f"a TransformerClassifier with checkpoint_dir="
                            f"{_short(state['checkpoint_dir'])} (allowed: None)")
    if problems:
        raise UntrustedModelError(
            f"{str(path)!r} holds {'; '.join(problems)}. Load it only if you trust its "
            "source: pass trusted=True (--trust-pickle on the command line)."
        )


def _safe_loads(data, path, extra=(), trust_all=False):
    """Rebuild the estimator of a safe payload (see the format notes above)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ModelFileError(f"{str(path)!r}: its safe payload is damaged ({exc}).") from None
    with zf:
        infos = zf.infolist()
        total = sum(info.file_size for info in infos)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise ModelFileError(
                f"{str(path)!r}: its payload would expand to {total} bytes, more than the "
                f"{MAX_UNCOMPRESSED_BYTES} bytes mlkit loads (persistence."
                "MAX_UNCOMPRESSED_BYTES); the file is damaged or crafted.")
        reader = _SafeReader(zf, path, extra, trust_all)
        if _TREE not in reader.sizes:
            reader.fail(f"no {_TREE}")
        text = _read_member(zf, _TREE, MAX_TREE_BYTES, path, "object tree", json_member=True)
        try:
            tree = json.loads(text)
        except (ValueError, RecursionError) as exc:
            reader.fail(f"{_TREE}: {type(exc).__name__}: {exc}")
        del text
        if not isinstance(tree, dict) or tree.get("format") != _SAFE_FORMAT:
            reader.fail(f"{_TREE} does not declare the {_SAFE_FORMAT!r} format")
        if tree.get("version") != _SAFE_VERSION:
            raise ModelFileError(
                f"{str(path)!r}: its payload uses version {tree.get('version')!r} of the safe "
                f"format; this mlkit ({_mlkit_version()}) reads version {_SAFE_VERSION}. "
                "Upgrade mlkit to load it.")
        try:
            estimator = reader.decode(tree.get("root"))
        except ModelFileError:
            raise
        except RecursionError:
            reader.fail("it is nested too deeply")
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError,
                zlib.error) as exc:
            reader.fail(f"{type(exc).__name__}: {exc}")
        except (TypeError, ValueError, KeyError, IndexError, AttributeError,
                OverflowError) as exc:  # e.g. an unhashable dict key or set item
            reader.fail(f"{type(exc).__name__}: {str(exc)[:200]}")
    if reader.refused:
        raise UntrustedModelError(
            f"{str(path)!r} needs types that mlkit does not trust: "
            f"{', '.join(sorted(reader.refused))}. If you trust the file, pass trusted=[...] "
            "with those type names (or trusted=True)."
        )
    return estimator


# --------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------


def _what_is(head):
    """A guess at what a non-mlkit file is, from its first bytes."""
    if not head:
        return "an empty file"
    if head[:1] == b"\x80" and len(head) > 1 and head[1] <= 5:
        return "a Python pickle (e.g. from joblib.dump or pickle.dump)"
    if head[:4] == b"\x89HDF":
        return "an HDF5 file (e.g. a Keras model)"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "a PNG image"
    if head[:2] == b"\x1f\x8b":
        return "a gzip file"
    if head[:4] == b"PAR1":
        return "a Parquet file"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "a truncated or damaged ZIP archive (a model file cut short?)"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "a JSON file"
    if stripped[:5].lower() in (b"<!doc", b"<html"):
        return "an HTML page"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "a binary file of unknown type"
    return "a text file (CSV or similar?)"


def _open_archive(path):
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"No such model file: {str(path)!r}.")
    if path.is_dir():
        raise ModelFileError(f"{str(path)!r} is a directory, not a model file.")
    with open(path, "rb") as f:
        head = f.read(16)
    if not zipfile.is_zipfile(path) and head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        raise ModelFileError(
            f"{str(path)!r} is a truncated or damaged ZIP archive: a model file cut short "
            "(an interrupted copy or download?) or damaged. Copy or save it again."
        )
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{str(path)!r} is not an mlkit model file: it looks like {_what_is(head)}. mlkit "
            "model files are written by 'mlkit train' or mlkit.persistence.save_model."
        )
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ModelFileError(f"{str(path)!r} is a damaged ZIP archive ({exc}).") from None
    names = set(zf.namelist())
    if _MANIFEST not in names:
        zf.close()
        if "schema.json" in names:
            kind = "a skops file (from skops.io.dump)"
        elif any(n.endswith("data.pkl") for n in names):
            kind = "a PyTorch checkpoint (from torch.save)"
        else:
            kind = "a ZIP archive from another program"
        raise ModelFileError(
            f"{str(path)!r} is not an mlkit model file: it is {kind}, without mlkit's "
            f"{_MANIFEST}. mlkit model files are written by 'mlkit train' or "
            "mlkit.persistence.save_model."
        )
    return zf


# a Hugging Face hub name: "name" or "organisation/name" (no path separator beyond that one)
_HUB_NAME = re.compile(r"[A-Za-z0-9][\w.-]{0,95}(/[A-Za-z0-9][\w.-]{0,95})?")
_CHECKPOINT_FORMAT = "checkpoint-folder"


def _is_checkpoint_source(path):
    """Whether ``path`` names a checkpoint folder, or (when nothing is there) a hub name."""
    try:
        p = Path(os.fspath(path))
    except TypeError:
        return False
    if p.is_dir():
        return True
    text = os.fspath(path)
    return (not p.exists() and isinstance(text, str) and _HUB_NAME.fullmatch(text) is not None
            and "/" in text and not text.endswith(tuple(_MODEL_FILE_SUFFIXES)))


# extensions of files that are not hub names, to keep "no such model file" for a typo
_MODEL_FILE_SUFFIXES = (".mlkit", ".zip", ".pkl", ".pickle", ".joblib", ".skops", ".json")


def _load_checkpoint(path, allow_download, trust_pickle=False):
    """(estimator, manifest) of a checkpoint folder or hub name, through
    :func:`mlkit.transformer.load_pretrained` (which vets the folder: no code from it
    runs, pickle weights only with ``trust_pickle``)."""
    from . import transformer

    source = os.fspath(path)
    local = Path(source).is_dir()
    start = time.perf_counter()
    try:
        estimator = transformer.load_pretrained(
            str(Path(source).absolute()) if local else source, allow_download=allow_download,
            trust_pickle=trust_pickle)
    except ImportError:
        raise
    except (OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:400]
        if local:
            raise ModelFileError(
                f"{source!r} is a directory, not a model file, nor a checkpoint folder mlkit "
                f"can load: {reason}. Give a model file, or a folder written by "
                "mlkit.transformer.save_pretrained (or any Hugging Face multi-label "
                "sequence-classification checkpoint).") from None
        if not allow_download:
            raise ModelFileError(
                f"No such model file or checkpoint folder: {source!r}; as a Hugging Face hub "
                "name it is not in the local cache. Pass allow_download=True (--allow-download "
                "on the command line) to download it from the hub.") from None
        raise ModelFileError(f"{source!r}: the hub checkpoint could not be loaded: "
                             f"{reason}.") from None
    manifest = _checkpoint_manifest(estimator, source, local)
    logger.info("Loaded %s from the checkpoint %s in %.2f s", type(estimator).__name__,
                source, time.perf_counter() - start)
    return estimator, manifest


def _checkpoint_manifest(estimator, source, local):
    """The manifest of a loaded checkpoint: facts from the estimator, not the folder."""
    clf = estimator
    for name in ("estimator_", "estimator"):  # a ThresholdTuner around the classifier
        if getattr(clf, "model_", None) is None and getattr(clf, name, None) is not None:
            clf = getattr(clf, name)
    config = getattr(getattr(clf, "model_", None), "config", None)
    names = getattr(estimator, "classes_", None)
    base = None
    if config is not None:
        base = {"model_type": getattr(config, "model_type", None),
                "architectures": list(getattr(config, "architectures", None) or []),
                "name_or_path": str(getattr(config, "_name_or_path", "") or "") or None}
    return {
        "format": _CHECKPOINT_FORMAT,
        "format_version": None,
        "source": str(Path(source).absolute()) if local else source,
        "kind": "transformer",
        "created_at": None,
        "versions": {"mlkit": _mlkit_version(),
                     "transformers": getattr(config, "transformers_version", None)},
        "serializer": None,
        "estimator": _estimator_info(estimator),
        "base_model": base,
        "pooling": getattr(clf, "pooling_", None),
        "label_names": None if names is None else [str(n) for n in names],
        "thresholds": _threshold_info(estimator),
        "training_data": None,
        "metrics": None,
        "metadata": None,
    }


def _read_manifest(zf, path):
    raw = _read_member(zf, _MANIFEST, MAX_MANIFEST_BYTES, path, "manifest", json_member=True)
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{str(path)!r}: its manifest is damaged ({exc}).") from None
    except RecursionError:
        manifest = None
    if manifest is None or not _json_depth_ok(manifest, _MAX_JSON_DEPTH):
        raise ModelFileError(f"{str(path)!r}: its manifest is damaged (nested more than "
                             f"{_MAX_JSON_DEPTH} levels deep).")
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT_NAME:
        raise ModelFileError(
            f"{str(path)!r} is not an mlkit model file: its {_MANIFEST} does not declare the "
            f"{_FORMAT_NAME!r} format."
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(
            f"{str(path)!r}: invalid model format version {version!r} in its manifest.")
    if version > FORMAT_VERSION:
        versions = manifest.get("versions")
        written = versions.get("mlkit") if isinstance(versions, dict) else None
        written = written if isinstance(written, str) else "a newer version"
        raise ModelFileError(
            f"{str(path)!r} uses model format version {version}, written by mlkit {written}; "
            f"this mlkit ({_mlkit_version()}) reads format version {FORMAT_VERSION} and older. "
            "Upgrade mlkit to load it."
        )
    _check_manifest_fields(manifest, path)
    return manifest


def _is_number(value):
    return type(value) in (int, float)


# manifest fields: what each must be (None is always allowed)
_MANIFEST_FIELDS = {
    "created_at": (lambda v: type(v) is str, "a string"),
    "versions": (lambda v: type(v) is dict and all(
        type(x) is str or x is None for x in v.values()), "an object of version strings"),
    "serializer": (lambda v: type(v) is str, "a string"),
    "estimator": (lambda v: type(v) is dict, "an object"),
    "label_names": (lambda v: type(v) is list and all(type(x) is str for x in v),
                    "a list of strings"),
    "thresholds": (lambda v: type(v) is dict, "an object"),
    "training_data": (lambda v: type(v) is dict, "an object"),
    "metrics": (lambda v: type(v) is dict, "an object"),
    "metadata": (lambda v: type(v) is dict, "an object"),
    "payload": (lambda v: type(v) is dict, "an object"),
}
_THRESHOLD_FIELDS = {
    "values": (lambda v: type(v) is list and all(_is_number(x) for x in v),
               "a list of numbers"),
    "probability": (lambda v: type(v) is list and all(_is_number(x) for x in v),
                    "a list of numbers"),
    "units": (lambda v: type(v) is str, "a string"),
    "strategy": (lambda v: type(v) is str, "a string"),
    "global": (_is_number, "a number"),
    "at_least_one": (lambda v: type(v) is bool, "true or false"),
    "top_k": (lambda v: type(v) is int, "an integer"),
}


def _check_manifest_fields(manifest, path):
    """Refuse a manifest whose fields have the wrong types (what mlkit reads from it is
    then safe to use without further checks)."""
    def check(where, fields, field):
        value = where.get(field)
        ok, expected = fields[field]
        if value is not None and not ok(value):
            raise ModelFileError(
                f"{str(path)!r}: its manifest is damaged: {field!r} must be {expected} or "
                f"null; got {type(value).__name__} {_short(value)}.")

    for field in _MANIFEST_FIELDS:
        check(manifest, _MANIFEST_FIELDS, field)
    thresholds = manifest.get("thresholds")
    if thresholds:
        for field in _THRESHOLD_FIELDS:
            check(thresholds, _THRESHOLD_FIELDS, field)
        if not thresholds.get("values") or not isinstance(thresholds.get("units"), str):
            raise ModelFileError(
                f"{str(path)!r}: its manifest is damaged: 'thresholds' needs its 'values' "
                "(a non-empty list of numbers) and 'units'.")
    estimator = manifest.get("estimator") or {}
    steps = estimator.get("steps")
    if not (estimator.get("class") is None or type(estimator["class"]) is str) or not (
            steps is None or type(steps) is list and all(
                type(step) is dict and type(step.get("class")) is str for step in steps)):
        raise ModelFileError(
            f"{str(path)!r}: its manifest is damaged: 'estimator' must name its 'class' and "
            "'steps' with strings.")
    metrics = manifest.get("metrics") or {}
    for key in ("out_of_fold", "holdout"):
        scores = metrics.get(key)
        if isinstance(scores, dict) and not all(
                _is_number(scores.get(name, 0.0)) for name in ("f1_micro", "f1_macro")):
            raise ModelFileError(
                f"{str(path)!r}: its manifest is damaged: f1_micro and f1_macro under "
                f"metrics' {key!r} must be numbers.")
    training = manifest.get("training_data") or {}
    if training.get("text_col") is not None and type(training["text_col"]) is not str:
        raise ModelFileError(
            f"{str(path)!r}: its manifest is damaged: training_data's 'text_col' must be a "
            f"string or null; got {_short(training['text_col'])}.")


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a model file, without loading the estimator (always safe).

    Parameters
    ----------
    path : str or os.PathLike
        The model file. A checkpoint folder (or hub name) is loaded with
        :func:`load_model` (no download), whose manifest is returned.

    Returns
    -------
    manifest : dict
        Keys: ``format``, ``format_version``, ``created_at``, ``versions``
        (mlkit, Python and dependency versions), ``serializer``
        (``"skops"`` or ``"pickle"``), ``estimator`` (class, steps, repr),
        ``label_names``, ``thresholds`` (``values`` in ``units``, their
        ``probability`` equivalents, ``global``, ``at_least_one``; None when
        the model has no tuned thresholds), ``training_data``, ``metrics``,
        ``metadata`` and ``payload`` (member name, SHA-256, size).

    Raises
    ------
    ModelFileError
        A missing file, a file from another program, a newer format, a
        manifest larger than :data:`MAX_MANIFEST_BYTES`, nested too deeply, or
        whose fields have the wrong types.
    """
    if _is_checkpoint_source(path):
        return _load_checkpoint(path, False)[1]
    with _open_archive(path) as zf:
        return _read_manifest(zf, path)


def _warn_versions(manifest, path):
    recorded = manifest.get("versions") or {}
    current = {"mlkit": _mlkit_version()}
    diffs = []
    for name in _CHECKED:
        if name not in recorded:
            continue
        now = current.get(name) or _dist_version(name)
        if now != recorded[name]:
            diffs.append(f"{name} {recorded[name]} (now {now or 'not installed'})")
    if diffs:
        warnings.warn(
            f"{str(path)!r} was written with {', '.join(diffs)}. It may load incorrectly or "
            "predict differently; retrain it with the installed versions if in doubt.",
            ModelVersionWarning, stacklevel=3,
        )


def _check_trusted(trusted):
    if trusted is True or trusted is False or trusted is None:
        return bool(trusted), ()
    if isinstance(trusted, str):
        return False, (trusted,)
    try:
        extra = tuple(str(t) for t in trusted)
    except TypeError:
        raise TypeError(
            f"trusted must be True, False or a list of type names; got {trusted!r}.") from None
    return False, extra


def load_model(path: str | os.PathLike[str], *, trusted: bool | Sequence[str] = False,
               with_metadata: bool = False, allow_download: bool = False) -> Any:
    """Load a model file written by :func:`save_model`, or a checkpoint folder.

    Parameters
    ----------
    path : str or os.PathLike
        The model file; or a checkpoint folder (one written by
        :func:`mlkit.transformer.save_pretrained`, or any Hugging Face
        multi-label sequence-classification folder), loaded with
        :func:`mlkit.transformer.load_pretrained`; or a Hugging Face hub
        name, read from the local Hugging Face cache, or downloaded when
        ``allow_download=True``.
    trusted : bool or list of str, default=False
        ``False``: the safe path (for a checkpoint folder: safetensors weights
        only; ``True`` also accepts pickle ``pytorch_model.bin`` weights). A safe (or skops) payload is loaded only if
        every type it needs is trusted (:data:`TRUSTED_TYPES`,
        scikit-learn's estimators and splitters, numpy, scipy, builtins); a
        pickle payload is refused. A list of type or function names (e.g.
        ``["mypackage.MyEstimator"]``) extends the trusted types of a safe or
        skops payload. ``True``: trust the file completely: any type, and
        pickle payloads, **whose loading runs code from the file**; use it
        only for files you made or got from a trusted source.
    with_metadata : bool, default=False
        Also return the manifest.
    allow_download : bool, default=False
        Let a hub name that is not in the local cache be downloaded
        (``--allow-download`` on the command line). Model files and local
        folders never download anything.

    Returns
    -------
    estimator : estimator object
    manifest : dict
        Only with ``with_metadata=True``; see :func:`read_metadata`. Its
        ``label_names`` and ``thresholds`` are the estimator's own. For a
        checkpoint folder it is built from the loaded model (``format``
        ``"checkpoint-folder"``, ``source``, ``kind``, ``base_model``,
        ``label_names``, ``thresholds``, ``estimator``, ``versions``).

    Raises
    ------
    ModelFileError
        A missing or damaged file, a file from another program, a newer model
        format, a member larger than the limits, a manifest that disagrees with
        its estimator (naming the field), an estimator that cannot predict.
    UntrustedModelError
        The file needs types or code that ``trusted`` does not allow, or holds
        parameter values that would read or write files, download, write a
        cache or run code.

    Warns
    -----
    ModelVersionWarning
        When the file was written with other versions of mlkit, scikit-learn,
        numpy, scipy or (for models that use them) torch, transformers,
        sentence-transformers.
    """
    start = time.perf_counter()
    trust_all, extra = _check_trusted(trusted)
    if not isinstance(allow_download, bool):
        raise TypeError(f"allow_download must be True or False; got {allow_download!r}.")
    if _is_checkpoint_source(path):
        estimator, manifest = _load_checkpoint(path, allow_download, trust_all)
        return (estimator, manifest) if with_metadata else estimator
    with _open_archive(path) as zf:
        manifest = _read_manifest(zf, path)
        serializer = manifest.get("serializer")
        payload = manifest.get("payload") or {}
        member = payload.get("name")
        if serializer not in _PAYLOADS or member != _PAYLOADS[serializer]:
            raise ModelFileError(
                f"{str(path)!r}: unknown serializer {serializer!r} in its manifest; this mlkit "
                f"reads {sorted(_PAYLOADS)}."
            )
        if serializer == "pickle" and not trust_all:
            raise UntrustedModelError(
                f"{str(path)!r} stores its estimator with pickle, and loading a pickle runs code "
                "from the file. Load it only if you made it or trust its source: pass "
                "trusted=True (--trust-pickle on the command line)."
            )
        try:
            size = zf.getinfo(member).file_size
        except KeyError:
            raise ModelFileError(f"{str(path)!r} is damaged: its {member} is missing.") from None
        if size != payload.get("size"):
            raise ModelFileError(
                f"{str(path)!r} is damaged: its {member} holds {size} bytes, where the "
                f"manifest says {_short(payload.get('size'))}.")
        if size > MAX_UNCOMPRESSED_BYTES:
            raise ModelFileError(
                f"{str(path)!r}: its {member} holds {size} bytes, more than the "
                f"{MAX_UNCOMPRESSED_BYTES} bytes mlkit loads (persistence."
                "MAX_UNCOMPRESSED_BYTES).")
        data = _read_member(zf, member, size, path, "payload")
    if hashlib.sha256(data).hexdigest() != payload.get("sha256"):
        raise ModelFileError(
            f"{str(path)!r} is damaged: its {member} does not match the checksum in the "
            "manifest (the file was truncated or modified)."
        )
    _warn_versions(manifest, path)
    if serializer != "pickle" and data[:1] == b"\x80":
        raise ModelFileError(
            f"{str(path)!r} is damaged or crafted: its {member} holds pickle bytes, not the "
            f"{serializer} format its manifest declares.")
    if serializer == "safe":
        estimator = _safe_loads(data, path, extra=extra, trust_all=trust_all)
    elif serializer == "skops":
        estimator = _skops_loads(data, path, manifest, extra=extra, trust_all=trust_all)
    else:
        try:
            estimator = pickle.loads(data)  # noqa: S301 - only with trusted=True, documented
        except Exception as exc:
            raise ModelFileError(
                f"{str(path)!r}: its pickled estimator could not be loaded "
                f"({type(exc).__name__}: {exc})."
            ) from exc
    manifest = _check_manifest_against(estimator, manifest, path)
    if serializer != "pickle" and not trust_all:
        _probe(estimator, manifest, path)
    logger.info("Loaded %s from %s: %s format (file format %s, written by mlkit %s), in %.2f s",
                type(estimator).__name__, os.fspath(path), serializer,
                manifest.get("format_version"), (manifest.get("versions") or {}).get("mlkit"),
                time.perf_counter() - start)
    return (estimator, manifest) if with_metadata else estimator


def _check_manifest_against(estimator, manifest, path):
    """The manifest with the facts the estimator knows taken from the estimator: its label
    names (``classes_``; their number only, where they are positions 0, 1, ...), its
    thresholds (its ThresholdTuner's) and its class. A manifest that states
    them differently is refused: it was edited or crafted, and trusting it would give
    silently wrong output (permuted names) or a server that fails on every request."""
    def refuse(field, stated, actual):
        raise ModelFileError(
            f"{str(path)!r}: its manifest disagrees with its estimator on {field!r} (the "
            f"manifest says {_short(stated)}, the estimator {_short(actual)}); the file was "
            "edited or crafted. Save the model again with mlkit.persistence.save_model.")

    manifest = dict(manifest)
    try:
        classes = getattr(estimator, "classes_", None)
        names = None if classes is None else [str(n) for n in classes]
        thresholds = _threshold_info(estimator)
        info = _class_name(type(estimator))
    except ModelFileError:
        raise
    except Exception as exc:  # a crafted estimator whose attributes do not hold together
        raise ModelFileError(f"{str(path)!r}: its estimator is damaged ({type(exc).__name__}: "
                             f"{str(exc)[:200]}).") from None
    stated = manifest.get("label_names")
    if names is not None:
        # an estimator fitted on an indicator matrix knows its labels only by position
        # (classes_ 0, 1, ...): then the names given to save_model stand, in that number
        positional = names == [str(i) for i in range(len(names))]
        if stated is not None and (len(stated) != len(names) if positional
                                   else stated != names):
            refuse("label_names", stated, names)
        manifest["label_names"] = stated if positional and stated is not None else names
    stated = manifest.get("thresholds")
    if stated is not None:
        if thresholds is None:
            refuse("thresholds", stated, None)
        for key, value in stated.items():
            if key in thresholds and not _same_json(value, thresholds[key]) or (
                    key in _THRESHOLD_FIELDS and value is not None and key not in thresholds):
                refuse(f"thresholds.{key}", value, thresholds.get(key))
    manifest["thresholds"] = thresholds
    stated = (manifest.get("estimator") or {}).get("class")
    if stated is not None and stated != info:
        refuse("estimator.class", stated, info)
    return manifest


_PROBE = ["mlkit"]


def _probe(estimator, manifest, path):
    """Refuse an estimator (from the safe path) that loads but cannot answer: a crafted
    file can hold trusted objects whose attributes do not fit together, which would
    otherwise fail on every request of a server that started fine. One short text is
    predicted (and scored), and the answers must have one column per label."""
    predict = getattr(estimator, "predict", None)
    n_labels = len(manifest["label_names"]) if manifest.get("label_names") else None
    try:
        if not callable(predict) or not _takes_texts(estimator):
            return
        outputs = [predict(_PROBE)]
        score = getattr(estimator, "decision_function", None)
        if callable(score):
            outputs.append(score(_PROBE))
        for out in outputs:  # one row; one column per label where there are columns
            shape = tuple(np.shape(out))
            if not shape or shape[0] != 1 or (len(shape) == 2 and n_labels is not None
                                              and shape[1] != n_labels) or len(shape) > 2:
                raise ValueError(f"an answer of shape {shape} for one text and {n_labels} "
                                 "labels")
    except (ImportError, ModelFileError):
        raise
    except Exception as exc:
        raise ModelFileError(
            f"{str(path)!r}: its estimator loads but cannot predict ({type(exc).__name__}: "
            f"{str(exc)[:200]}); the file is damaged or crafted.") from None


def _takes_texts(estimator):
    """Whether ``estimator`` takes raw texts: it says so in its tags (mlkit's featurizers
    and TransformerClassifier), or it is a Pipeline whose first step does."""
    from sklearn.utils import get_tags

    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps and isinstance(steps[0], tuple) and len(steps[0]) == 2:
        return _takes_texts(steps[0][1])
    return bool(get_tags(estimator).input_tags.string)


def _same_json(a, b):
    """Whether two JSON values are equal, NaN equal to NaN."""
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError):
        return False


def _skops_loads(data, path, manifest, *, extra, trust_all):
    """The estimator of a format-1 (skops) payload, loaded with skops' allowed-types list."""
    try:
        sio = importlib.import_module("skops.io")
    except ImportError:
        written = (manifest.get("versions") or {}).get("mlkit", "an older mlkit")
        raise ModelFileError(
            f"{str(path)!r} stores its estimator in skops' format (written by mlkit "
            f"{written}), and skops is not installed. Install it (pip install "
            '"mlkit[skops]") to load the file; to convert it to the current format, load '
            "it there once and save it again with mlkit.persistence.save_model (or 'mlkit "
            "train' it again)."
        ) from None
    from skops.io.exceptions import UntrustedTypesFoundException

    # with trusted=True every type is allowed (one extra parse lists them);
    # otherwise skops refuses anything outside the allowed list while loading
    allowed = sorted(set(TRUSTED_TYPES) | set(extra))
    _vet_skops_schema(data, path, vet=not trust_all)
    if trust_all:
        try:
            allowed = sorted(set(allowed) | set(sio.get_untrusted_types(data=data)))
        except Exception as exc:
            raise ModelFileError(f"{str(path)!r}: its skops payload is damaged "
                                 f"({type(exc).__name__}: {exc}).") from None
    _import_for_skops(allowed)
    try:
        return sio.loads(data, trusted=allowed)
    except UntrustedTypesFoundException:
        try:
            refused = [t for t in sio.get_untrusted_types(data=data) if t not in allowed]
        except Exception:  # noqa: BLE001 - only to name them
            refused = ["(types skops could not list)"]
        raise UntrustedModelError(
            f"{str(path)!r} needs types that mlkit does not trust: {', '.join(refused)}. "
            "If you trust the file, pass trusted=[...] with those type names (or "
            "trusted=True)."
        ) from None
    except Exception as exc:
        raise ModelFileError(
            f"{str(path)!r}: its estimator could not be rebuilt ({type(exc).__name__}: "
            f"{exc}). It may need another version of mlkit or scikit-learn "
            f"(written with {manifest.get('versions')})."
        ) from exc


def _json_content(node):
    """The Python value of a skops JsonNode, or a marker for anything else."""
    if isinstance(node, dict) and node.get("__loader__") == "JsonNode":
        try:
            return json.loads(node.get("content", "null"))
        except ValueError:
            return _NOT_JSON
    return _NOT_JSON


_NOT_JSON = object()


def _safe_relative_name(name):
    if not isinstance(name, str) or not name or "\\" in name or "\0" in name:
        return False
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _vet_skops_schema(data, path, *, vet=True):
    """Refuse a skops payload larger than the limits (any member over
    :data:`MAX_UNCOMPRESSED_BYTES` in all, a ``schema.json`` over :data:`MAX_TREE_BYTES`),
    and, with ``vet``, one whose objects would, once loaded, read or write files, reach the
    network, write a cache or run code (see :func:`_param_problems`), or whose
    torch-backed estimators would write checkpoint files outside their temporary folder.

    Walks the payload's ``schema.json`` (no object is built). skops replaces every node
    whose ``__id__`` it has seen before by that earlier object, so two nodes with one
    ``__id__`` must be identical: otherwise what is vetted would not be what is loaded.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(info.file_size for info in zf.infolist())
            if total > MAX_UNCOMPRESSED_BYTES:
                raise ModelFileError(
                    f"{str(path)!r}: its payload would expand to {total} bytes, more than the "
                    f"{MAX_UNCOMPRESSED_BYTES} bytes mlkit loads (persistence."
                    "MAX_UNCOMPRESSED_BYTES); the file is damaged or crafted.")
            text = _read_member(zf, "schema.json", MAX_TREE_BYTES, path, "skops schema",
                                json_member=True)
        schema = json.loads(text)
    except (zipfile.BadZipFile, ValueError, RecursionError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{str(path)!r}: its skops payload is damaged "
                             f"({type(exc).__name__}: {exc}).") from None
    if not vet:
        return
    problems = []
    seen = {}
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "__id__" in node:
            key = node["__id__"]
            key = key if isinstance(key, (int, str)) else repr(key)
            first = seen.setdefault(key, node)
            if first is not node and first != node:
                problems.append(f"two different objects under one __id__ {str(key)[:20]} "
                                "(one would be loaded in place of the other)")
                continue
        cls = node.get("__class__")
        module = node.get("__module__", "")
        if node.get("__loader__") == "ObjectNode" and isinstance(module, str) and isinstance(
                cls, str) and module.startswith(("mlkit.", "sklearn.")):
            state = node.get("content", {})
            if not (isinstance(state, dict) and state.get("__loader__") == "DictNode"
                    and isinstance(state.get("content"), dict)):
                problems.append(f"a {cls} whose state is not a plain dict (it cannot be "
                                "vetted)")
                state = {}
            fields = state.get("content", {})
            name = f"{module}.{cls}"
            values = {k: _json_content(v) for k, v in fields.items()}
            problems.extend(_param_problems(name, values))
            if cls == "TransformerClassifier":
                files = fields.get("_checkpoint_files")
                names = list((files or {}).get("content", {}) or {}) if isinstance(
                    files, dict) else []
                bad = [n for n in names if not _safe_relative_name(n)]
                if bad:
                    problems.append(f"a TransformerClassifier checkpoint with unsafe file "
                                    f"names {bad[:3]}")
        stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
    if problems:
        raise UntrustedModelError(
            f"{str(path)!r} holds {'; '.join(dict.fromkeys(problems))}. Load it only if you "
            "trust its source: pass trusted=True (--trust-pickle on the command line)."
        )


def _import_for_skops(type_names):
    """Import the modules of mlkit's trusted types so that skops can find them."""
    for name in type_names:
        if name.startswith("mlkit."):
            module = name.rsplit(".", 1)[0]
            if module in sys.modules:
                continue
            try:
                importlib.import_module(module)
            except ImportError:
                pass
