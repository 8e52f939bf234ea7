"""JSON encoding of the numpy and Python values mlkit writes (model manifests, JSONL, --json)."""

from pathlib import Path

import numpy as np

__all__ = ["json_default"]


def json_default(value):
    """``default=`` hook for :func:`json.dumps`: numpy scalars and arrays, sets,
    tuples and paths become plain JSON values; anything else raises TypeError."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
