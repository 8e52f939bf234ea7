"""Known label noise, to measure how well an audit finds it on your own data."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils import check_random_state

from .._labels import check_label_matrix

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["inject_label_noise"]

_SPURIOUS_FROM = ("uniform", "prior")


def _check_fraction(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a fraction in [0, 1]; got {value!r}.")
    return float(value)


def inject_label_noise(
    Y: Any,
    *,
    missing: float = 0.05,
    spurious: float = 0.01,
    spurious_from: str = "uniform",
    random_state: int | np.random.RandomState | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Remove some positive labels and add spurious ones, at random.

    The benchmark of :func:`audit` and its tests use this to plant errors whose
    positions are known: a good audit ranks the flipped cells first.

    Parameters
    ----------
    Y : array-like, sparse matrix, DataFrame or list of label collections
        Clean labels.
    missing : float, default=0.05
        Fraction of the positive cells set to 0 (missing tags), chosen
        uniformly at random.
    spurious : float, default=0.01
        Fraction of the rows that get one extra positive label (a wrong tag),
        chosen among the labels the row does not have.
    spurious_from : {"uniform", "prior"}, default="uniform"
        How the wrong tag is drawn: uniformly among the absent labels, or in
        proportion to each label's frequency.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws; pass an int for reproducible noise.

    Returns
    -------
    Y_noisy : ndarray of shape (n_samples, n_labels)
        Dense 0/1 copy of ``Y`` with the noise (``Y`` is not modified).
    flipped : ndarray of bool of shape (n_samples, n_labels)
        True at the cells that were changed: ``flipped & (Y_noisy == 0)`` are
        the removed labels ("missing"), ``flipped & (Y_noisy == 1)`` the added
        ones ("wrong").

    Examples
    --------
    >>> import numpy as np
    >>> from mlkit.insights import inject_label_noise
    >>> Y = np.eye(4, dtype=int).repeat(25, axis=0)
    >>> Y_noisy, flipped = inject_label_noise(Y, missing=0.1, spurious=0.05, random_state=0)
    >>> int((flipped & (Y_noisy == 0)).sum()), int((flipped & (Y_noisy == 1)).sum())
    (10, 5)
    """
    missing = _check_fraction(missing, "missing")
    spurious = _check_fraction(spurious, "spurious")
    if spurious_from not in _SPURIOUS_FROM:
        raise ValueError(
            f"spurious_from={spurious_from!r} is not supported; use one of {_SPURIOUS_FROM}."
        )
    Y, _ = check_label_matrix(Y, accept_sparse=False)
    Y = np.array(Y, dtype=np.int64, copy=True)
    rng = check_random_state(random_state)
    n, L = Y.shape
    flipped = np.zeros(Y.shape, dtype=bool)
    pos_rows, pos_cols = np.nonzero(Y)
    n_missing = int(round(missing * len(pos_rows)))
    if n_missing:
        pick = rng.choice(len(pos_rows), size=n_missing, replace=False)
        flipped[pos_rows[pick], pos_cols[pick]] = True
    room = np.flatnonzero(Y.sum(axis=1) < L)
    n_spurious = min(int(round(spurious * n)), len(room))
    if n_spurious:
        prior = Y.sum(axis=0) + 1.0
        for i in rng.choice(room, size=n_spurious, replace=False):
            absent = np.flatnonzero(Y[i] == 0)
            w = np.ones(len(absent)) if spurious_from == "uniform" else prior[absent]
            flipped[i, rng.choice(absent, p=w / w.sum())] = True
    Y_noisy = np.where(flipped, 1 - Y, Y)
    return Y_noisy, flipped
