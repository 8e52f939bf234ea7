"""Model files: one file per fitted model, with its metadata.

A model file is a ZIP archive holding two members:

* ``mlkit-model.json``, the manifest: the file format and its version,
  creation time, the versions of mlkit and of the libraries the estimator
  depends on, the label names, the decision thresholds, a description and
  fingerprint of the training data, training-time metrics, and any metadata
  the caller adds;
* the payload, the fitted estimator, in one of two serializations:

  - ``estimator.skops`` (``serializer="skops"``): skops' format, which
    rebuilds objects from a declarative description instead of running
    pickle's byte code. Loading it only constructs the types in
    :data:`TRUSTED_TYPES` (mlkit's own estimators) and the types skops
    trusts by default (scikit-learn estimators, numpy and scipy arrays,
    Python builtins). This is the **safe path**, used by default by
    :func:`load_model`, the command line and the HTTP server.
  - ``estimator.pkl`` (``serializer="pickle"``): Python's pickle. **Loading
    a pickle runs code chosen by whoever wrote the file**; only load pickled
    models you made yourself or got from a source you trust.
    :func:`load_model` refuses them unless ``trusted=True``
    (``--trust-pickle`` on the command line). Models that skops cannot
    describe with trusted types (e.g. torch-backed models) are saved this way,
    with a warning.

Files are written atomically (an interrupted save leaves any previous file
untouched and no partial file behind), and the payload's SHA-256 digest is
checked on load. Loading warns (:class:`ModelVersionWarning`) when the file
was written with other versions of mlkit or its dependencies, and raises
:class:`ModelFileError` for a file written by another program, a newer model
format, or a damaged file.
"""

import datetime
import hashlib
import importlib
import io
import json
import pickle
import platform
import sys
import warnings
import zipfile
from importlib import metadata as _metadata
from pathlib import Path

import numpy as np

from ._atomic import atomic_write
from ._json import json_default
from ._optional import import_optional

__all__ = [
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "ModelFileError",
    "ModelVersionWarning",
    "UntrustedModelError",
    "find_threshold_tuner",
    "load_model",
    "read_metadata",
    "save_model",
]

#: Version of the model file format this mlkit writes (and the newest it reads).
FORMAT_VERSION = 1

_FORMAT_NAME = "mlkit-model"
_MANIFEST = "mlkit-model.json"
_PAYLOADS = {"skops": "estimator.skops", "pickle": "estimator.pkl"}

#: Types, beyond those skops trusts by default, that loading a skops payload
#: may construct: mlkit's estimators and their helpers. skops rebuilds them by
#: setting their attributes (no constructor or pickle code runs), except for
#: the two torch-backed classes, whose ``__setstate__`` reloads their encoder:
#: ``SentenceEmbeddingFeaturizer`` from its ``model`` name or directory, and
#: ``TransformerClassifier`` from the checkpoint files stored in the payload
#: (config, tokenizer and ``model.safetensors``, read by ``transformers``
#: without remote code). Their state is vetted before loading (see
#: :func:`_vet_skops_schema`): no download, no disk cache, no checkpoint
#: file name that leaves its temporary directory.
TRUSTED_TYPES = (
    "mlkit.features._tfidf.TfidfFeaturizer",
    "mlkit.features._embeddings.SentenceEmbeddingFeaturizer",
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


def find_threshold_tuner(estimator):
    """The :class:`~mlkit.ThresholdTuner` that makes ``estimator``'s decisions, or None.

    That is the estimator itself or the last step of a (nested) Pipeline.
    """
    from .thresholds import ThresholdTuner

    while True:
        if isinstance(estimator, ThresholdTuner):
            return estimator
        steps = getattr(estimator, "steps", None)
        if not steps:
            return None
        estimator = steps[-1][1]


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
    if tuner.response_method_ == "predict_proba":
        info["probability"] = info["values"]
    elif getattr(tuner, "calibration_", None) is not None:
        from .thresholds import _platt_transform

        info["probability"] = [
            float(p) for p in _platt_transform(thresholds[None, :], tuner.calibration_)[0]
        ]
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
    sio = import_optional("skops.io", purpose="Safe model files")
    return [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED_TYPES]


def _skops_bytes(estimator):
    """skops bytes of ``estimator`` and the types it needs beyond the trusted ones."""
    sio = import_optional("skops.io", purpose="Safe model files")
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
        from .io import _fingerprint

        texts = check_texts(training_data[0])
        Y, names = check_label_matrix(training_data[1], accept_sparse=False,
                                      n_samples=len(texts))
        if names is None:
            names = [str(j) for j in range(Y.shape[1])]
        return {
            "n_rows": len(texts),
            "n_labels": int(Y.shape[1]),
            "fingerprint": _fingerprint(texts, Y, names),
            "label_support": {str(n): int(c) for n, c in zip(names, Y.sum(axis=0), strict=True)},
        }
    if isinstance(training_data, dict):
        return _jsonable(training_data, "training_data")
    raise TypeError(
        "training_data must be an mlkit.io.Dataset, a (texts, Y) tuple or a dict; got "
        f"{type(training_data).__name__}."
    )


def save_model(estimator, path, *, label_names=None, training_data=None, metrics=None,
               metadata=None, serializer="auto"):
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
    serializer : {"auto", "skops", "pickle"}, default="auto"
        ``"skops"``: the safe format; raises when the estimator holds types
        outside the trusted ones. ``"pickle"``: always pickle (loading needs
        ``trusted=True``). ``"auto"``: skops when possible, else pickle with a
        warning.

    Returns
    -------
    manifest : dict
        The metadata written (see :func:`read_metadata`).

    Raises
    ------
    ModelFileError
        With ``serializer="skops"``, when the estimator cannot be saved safely.

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
    ('skops', ['neg', 'plot', 'pos'])
    >>> load_model(path).predict(["good plot"]).shape
    (1, 3)
    """
    if serializer not in ("auto", "skops", "pickle"):
        raise ValueError(f"serializer must be 'auto', 'skops' or 'pickle'; got {serializer!r}.")
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
    if serializer in ("auto", "skops"):
        try:
            payload_bytes, untrusted = _skops_bytes(estimator)
        except ImportError:
            if serializer == "skops":
                raise
            untrusted, reason = None, "skops is not installed (pip install \"mlkit[serve]\")"
        except Exception as exc:  # skops cannot describe some object
            if serializer == "skops":
                raise ModelFileError(
                    f"skops cannot save this {type(estimator).__name__}: {exc}. Use "
                    "serializer='pickle' (loading will then need trusted=True)."
                ) from exc
            untrusted, reason = None, f"skops cannot describe it ({type(exc).__name__}: {exc})"
        else:
            reason = (f"it holds types outside mlkit's trusted list: {', '.join(untrusted)}"
                      if untrusted else None)
        if payload_bytes is not None and not untrusted:
            chosen = "skops"
        elif serializer == "skops":
            raise ModelFileError(
                f"This {type(estimator).__name__} cannot be saved in the safe format: {reason}. "
                "Use serializer='pickle' (loading will then need trusted=True)."
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
    member = _PAYLOADS[chosen]
    with atomic_write(path, "wb") as f, zipfile.ZipFile(f, "w") as zf:
        if chosen == "skops":
            # already compressed by skops
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
    return manifest


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


def _read_manifest(zf, path):
    try:
        manifest = json.loads(zf.read(_MANIFEST).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError) as exc:
        raise ModelFileError(f"{str(path)!r}: its manifest is damaged ({exc}).") from None
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
        written = manifest.get("versions", {}).get("mlkit", "a newer version")
        raise ModelFileError(
            f"{str(path)!r} uses model format version {version}, written by mlkit {written}; "
            f"this mlkit ({_mlkit_version()}) reads format version {FORMAT_VERSION} and older. "
            "Upgrade mlkit to load it."
        )
    return manifest


def read_metadata(path):
    """The manifest of a model file, without loading the estimator (always safe).

    Parameters
    ----------
    path : str or os.PathLike

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
        A missing file, a file from another program, a newer format.
    """
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


def load_model(path, *, trusted=False, with_metadata=False):
    """Load a model file written by :func:`save_model`.

    Parameters
    ----------
    path : str or os.PathLike
    trusted : bool or list of str, default=False
        ``False``: the safe path. A skops payload is loaded only if every type
        it needs is trusted (skops' defaults and :data:`TRUSTED_TYPES`); a
        pickle payload is refused. A list of type names extends the trusted
        types of a skops payload. ``True``: trust the file completely: any
        skops type, and pickle payloads, **whose loading runs code from the
        file**; use it only for files you made or got from a trusted source.
    with_metadata : bool, default=False
        Also return the manifest.

    Returns
    -------
    estimator : estimator object
    manifest : dict
        Only with ``with_metadata=True``; see :func:`read_metadata`.

    Raises
    ------
    ModelFileError
        A missing or damaged file, a file from another program, a newer model
        format.
    UntrustedModelError
        The file needs types or code that ``trusted`` does not allow.

    Warns
    -----
    ModelVersionWarning
        When the file was written with other versions of mlkit, scikit-learn,
        numpy, scipy or (for models that use them) torch, transformers,
        sentence-transformers.
    """
    trust_all, extra = _check_trusted(trusted)
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
            data = zf.read(member)
        except KeyError:
            raise ModelFileError(f"{str(path)!r} is damaged: its {member} is missing.") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ModelFileError(f"{str(path)!r} is damaged: {exc}.") from None
    if hashlib.sha256(data).hexdigest() != payload.get("sha256"):
        raise ModelFileError(
            f"{str(path)!r} is damaged: its {member} does not match the checksum in the "
            "manifest (the file was truncated or modified)."
        )
    _warn_versions(manifest, path)
    if serializer == "skops":
        sio = import_optional("skops.io", purpose="Loading mlkit model files")
        from skops.io.exceptions import UntrustedTypesFoundException

        # with trusted=True every type is allowed (one extra parse lists them);
        # otherwise skops refuses anything outside the allowed list while loading
        allowed = sorted(set(TRUSTED_TYPES) | set(extra))
        if trust_all:
            allowed = sorted(set(allowed) | set(sio.get_untrusted_types(data=data)))
        else:
            _vet_skops_schema(data, path)
        _import_for_skops(allowed)
        try:
            estimator = sio.loads(data, trusted=allowed)
        except UntrustedTypesFoundException:
            refused = [t for t in sio.get_untrusted_types(data=data) if t not in allowed]
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
    else:
        try:
            estimator = pickle.loads(data)  # noqa: S301 - only with trusted=True, documented
        except Exception as exc:
            raise ModelFileError(
                f"{str(path)!r}: its pickled estimator could not be loaded "
                f"({type(exc).__name__}: {exc})."
            ) from exc
    return (estimator, manifest) if with_metadata else estimator


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


def _vet_skops_schema(data, path):
    """Refuse a skops payload whose torch-backed estimators would, once loaded, download a
    model, write a disk cache, or write checkpoint files outside their temporary folder.

    Walks the payload's ``schema.json`` (no object is built).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            schema = json.loads(zf.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ModelFileError(f"{str(path)!r}: its skops payload is damaged ({exc}).") from None
    problems = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        cls = node.get("__class__")
        module = node.get("__module__", "")
        if node.get("__loader__") == "ObjectNode" and module.startswith("mlkit."):
            state = node.get("content", {})
            fields = state.get("content", {}) if isinstance(state, dict) else {}
            if cls == "SentenceEmbeddingFeaturizer":
                if "local_files_only" in fields and _json_content(
                        fields["local_files_only"]) is not True:
                    problems.append("a SentenceEmbeddingFeaturizer with local_files_only=False "
                                    "(it would download its encoder)")
                if "cache" in fields and _json_content(fields["cache"]) not in (
                        "memory", None, False):
                    problems.append("a SentenceEmbeddingFeaturizer with a disk cache (it would "
                                    "write to a directory named in the file)")
            elif cls == "TransformerClassifier":
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
