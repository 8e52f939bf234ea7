"""Helpers shared by the torch-backed estimators (never imported by ``import mlkit``).

Every function imports torch (and transformers) lazily through
:func:`mlkit._optional.import_optional`, so importing this module is free.
"""

import contextlib
import os
import sys
from pathlib import Path

from ._optional import import_optional
from ._progress import (  # noqa: F401 - re-exported for the torch-backed estimators
    AUTO_PROGRESS_MIN_TEXTS,
    VERBOSE_CONSTRAINT,
    progress_bar,
    show_progress,
)

__all__ = [
    "AUTO_PROGRESS_MIN_TEXTS",
    "TorchDevice",
    "VERBOSE_CONSTRAINT",
    "progress_bar",
    "quiet_hf_loading",
    "model_not_found_error",
    "resolve_device",
    "show_progress",
]

_DEVICE_PREFIXES = ("cpu", "cuda", "mps", "xpu")


def resolve_device(device, *, purpose=None, extra=None):
    """A concrete torch device name for ``device``.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"``: the first CUDA GPU when torch sees one, else Apple's MPS
        when available, else ``"cpu"``. Otherwise a torch device name such as
        ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"``, checked to exist.
    purpose : str, default=None
        Who asks, for the messages (e.g. ``"TransformerClassifier"``).
    extra : str, default=None
        The mlkit extra that installs torch for ``purpose``.

    Returns
    -------
    device : str
    """
    torch = import_optional("torch", extra=extra, purpose=purpose)
    who = purpose or "This estimator"
    if device is None:
        device = "auto"
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(
            f"{who}: device must be 'auto' or a torch device name such as 'cpu' or 'cuda'; "
            f"got {type(device).__name__} {device!r}."
        )
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if device.split(":")[0] not in _DEVICE_PREFIXES:
        raise ValueError(
            f"{who}: device={device!r} is not supported; use 'auto', 'cpu', 'cuda', 'cuda:<index>' "
            "or 'mps'."
        )
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"{who}: device={device!r} was requested but torch sees no CUDA GPU (torch "
                f"{torch.__version__}). Use device='auto' or 'cpu'."
            )
        if ":" in device:
            index = int(device.split(":")[1])
            if index >= torch.cuda.device_count():
                raise ValueError(
                    f"{who}: device={device!r} does not exist; torch sees "
                    f"{torch.cuda.device_count()} CUDA device(s)."
                )
    if device == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"{who}: device='mps' was requested but MPS is not available. "
                             "Use device='auto' or 'cpu'.")
    return device


class _TorchDeviceType(type):
    def __instancecheck__(cls, instance):
        return any(getattr(k, "__module__", None) == "torch" and k.__name__ == "device"
                   for k in type(instance).__mro__)


class TorchDevice(metaclass=_TorchDeviceType):
    """``isinstance(x, TorchDevice)`` is true for a ``torch.device``, without importing torch.

    Used in ``_parameter_constraints`` (``"device": [str, TorchDevice]``): a parameter
    check must not import torch, and scikit-learn's messages name a type by its module
    and name, so the class presents itself as ``torch.device``.
    """


TorchDevice.__module__, TorchDevice.__qualname__ = "torch", "device"

# Progress bars and the ``verbose`` constraint are shared with the estimators that need
# no torch (ThresholdTuner): they live in mlkit._progress, re-exported here.


@contextlib.contextmanager
def quiet_hf_loading():
    """Silence transformers' load reports and weight-loading bars, restoring them after.

    Loading a pretrained encoder into a classification model always reports
    the new (randomly initialized) head as "missing"; that is expected here.
    """
    transformers = sys.modules.get("transformers")
    if transformers is None:
        yield
        return
    tlog = transformers.utils.logging
    verbosity = tlog.get_verbosity()
    bars = tlog.is_progress_bar_enabled()
    tlog.set_verbosity_error()
    tlog.disable_progress_bar()
    try:
        yield
    finally:
        tlog.set_verbosity(verbosity)
        if bars:
            tlog.enable_progress_bar()


def model_not_found_error(model, local_files_only, who, exc):
    """An OSError that says why ``model`` could not be loaded and what to do."""
    path = Path(os.fspath(model)).expanduser()
    offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0", "false", "False")
    text = str(model)
    # a hub id is "name" or "namespace/name"; anything else is meant as a path
    looks_like_path = (path.is_absolute() or text.startswith((".", "~")) or text.count("/") > 1
                       or "\\" in text)
    if path.exists() and path.is_dir():
        reason = (f"the directory {str(path)!r} exists but is not a loadable model checkpoint "
                  f"({exc})")
        fix = "Point model= at a directory that holds config.json and the weights."
    elif looks_like_path:
        reason = f"no such directory: {str(path)!r}"
        fix = "Check the path, or pass a Hugging Face hub name such as 'sentence-transformers/all-MiniLM-L6-v2'."
    elif local_files_only or offline:
        why = ("local_files_only=True" if local_files_only else "HF_HUB_OFFLINE is set")
        reason = (f"it is not a local directory and is not in the local Hugging Face cache, and "
                  f"downloads are disabled ({why}; mlkit never downloads silently)")
        fix = ("Pass the path of a local model directory, or allow the download with "
               "local_files_only=False (and unset HF_HUB_OFFLINE) on a machine that reaches "
               "the Hugging Face hub.")
    else:
        reason = f"it could not be found or downloaded ({exc})"
        fix = "Check the hub name and your network connection, or pass a local directory."
    return OSError(f"{who} could not load model={str(model)!r}: {reason}. {fix}")
