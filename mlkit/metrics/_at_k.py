"""Ranking metrics at a cut-off k: precision@k, recall@k and nDCG@k (written here).

Labels are ranked by decreasing score, ties broken by column order, ``k`` clipped
to the number of labels, rows with no true label left out of the average.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

from ._validation import check_k, check_sample_weight, check_score_pair

if TYPE_CHECKING:
    import scipy.sparse as sp
    from numpy.typing import ArrayLike

_CHUNK_CELLS = 1 << 22  # rows are ranked in chunks of about this many (row, label) cells


def top_k_hits(Y, S, k):
    """0/1 relevance of the top-``k`` labels of each row, in rank order.

    Labels are sorted by decreasing score; equal scores keep column order (a
    stable sort), so ties are broken deterministically in favour of the smaller
    column index. ``k`` is clipped to the number of labels.
    """
    n, n_labels = Y.shape
    k = min(k, n_labels)
    hits = np.empty((n, k), dtype=np.int8)
    step = max(1, _CHUNK_CELLS // n_labels)
    for start in range(0, n, step):
        stop = min(n, start + step)
        order = np.argsort(-S[start:stop], axis=1, kind="stable")[:, :k]
        hits[start:stop] = np.take_along_axis(Y[start:stop], order, axis=1)
    return hits


def at_k_from_hits(kind, hits, n_pos, k):
    """Per-row precision / recall / nDCG at ``k`` for rows with ``n_pos > 0``."""
    k_eff = min(k, hits.shape[1])
    h = hits[:, :k_eff]
    if kind == "precision":
        return h.sum(axis=1) / k_eff
    if kind == "recall":
        return h.sum(axis=1) / n_pos
    discount = 1.0 / np.log2(np.arange(2, k_eff + 2))
    dcg = h @ discount
    ideal = np.cumsum(discount)[np.minimum(n_pos, k_eff) - 1]
    return dcg / ideal


def mean_over_rows_with_positives(kind, per_row, n_pos, sample_weight, k):
    """Weighted mean of ``per_row`` (rows with a positive only); nan with a warning if none."""
    keep = n_pos > 0
    if not keep.any():
        warnings.warn(
            f"{kind}@{k} is undefined: no row of y_true has a positive label; returning nan.",
            UndefinedMetricWarning,
            stacklevel=4,
        )
        return float("nan")
    w = None if sample_weight is None else sample_weight[keep]
    if w is not None and w.sum() == 0:
        return float("nan")
    return float(np.average(per_row, weights=w))


def _at_k(kind, y_true, y_score, k, sample_weight, func):
    """The ``kind`` metric at ``k`` of the public function ``func``."""
    k = check_k(k, func)
    Y, S = check_score_pair(y_true, y_score)
    w = check_sample_weight(sample_weight, Y.shape[0])
    n_pos = Y.sum(axis=1)
    keep = n_pos > 0
    hits = top_k_hits(Y[keep], S[keep], k)
    per_row = at_k_from_hits(kind, hits, n_pos[keep], k)
    return mean_over_rows_with_positives(kind, per_row, n_pos, w, k)


def precision_at_k(y_true: ArrayLike | sp.spmatrix, y_score: ArrayLike, k: int = 1, *,
                   sample_weight: ArrayLike | None = None) -> float:
    """Precision at k: the fraction of each row's k top-scored labels that are true.

    Conventions (shared by :func:`recall_at_k` and :func:`ndcg_at_k`):

    * labels are ranked by decreasing score; ties are broken by column order
      (the smaller column index ranks first), so results are deterministic;
    * ``k`` larger than the number of labels is clipped to it (the ranking has
      only ``n_labels`` entries), so precision@k divides by ``min(k, n_labels)``;
    * rows with no true label have nothing to retrieve and are left out of the
      average; if no row has a true label the result is nan with an
      :class:`~sklearn.exceptions.UndefinedMetricWarning`.

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    k : int, default=1
        Number of top-ranked labels to look at.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from mlkit.metrics import precision_at_k
    >>> y_true = [[1, 0, 1, 0], [0, 1, 0, 0]]
    >>> y_score = [[0.9, 0.8, 0.1, 0.0], [0.5, 0.5, 0.2, 0.1]]
    >>> precision_at_k(y_true, y_score, k=2)  # row 0: 1/2; row 1: 1/2
    0.5
    >>> precision_at_k(y_true, y_score, k=1)  # row 1: tie, label 0 ranks first
    0.5
    """
    return _at_k("precision", y_true, y_score, k, sample_weight, "precision_at_k")


def recall_at_k(y_true: ArrayLike | sp.spmatrix, y_score: ArrayLike, k: int = 1, *,
                sample_weight: ArrayLike | None = None) -> float:
    """Recall at k: the fraction of each row's true labels found in its top k.

    Same conventions as :func:`precision_at_k` (ties by column order, ``k``
    clipped to ``n_labels``, rows with no true label left out).

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    k : int, default=1
        Number of top-ranked labels to look at.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from mlkit.metrics import recall_at_k
    >>> y_true = [[1, 0, 1, 0], [0, 1, 0, 0]]
    >>> y_score = [[0.9, 0.8, 0.1, 0.0], [0.5, 0.5, 0.2, 0.1]]
    >>> recall_at_k(y_true, y_score, k=2)  # row 0: 1/2; row 1: 1/1
    0.75
    """
    return _at_k("recall", y_true, y_score, k, sample_weight, "recall_at_k")


def ndcg_at_k(y_true: ArrayLike | sp.spmatrix, y_score: ArrayLike, k: int = 1, *,
              sample_weight: ArrayLike | None = None) -> float:
    """Normalized discounted cumulative gain at k, with binary relevance.

    ``DCG@k = sum_{r=1..k} rel_r / log2(r + 1)`` over the k top-ranked labels,
    divided by the DCG of a perfect ranking (``min(k, n_true)`` true labels
    first). Same conventions as :func:`precision_at_k`; because ties are broken
    by column order it matches ``sklearn.metrics.ndcg_score(..., k=k)`` only
    when scores have no ties (scikit-learn averages over tied orderings).

    Parameters
    ----------
    y_true : array-like, sparse matrix, DataFrame or list of label collections
        True labels.
    y_score : array-like or sparse matrix of shape (n_samples, n_labels)
        Scores, higher means more likely.
    k : int, default=1
        Number of top-ranked labels to look at.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from mlkit.metrics import ndcg_at_k
    >>> y_true = [[1, 0, 1, 0]]
    >>> y_score = [[0.9, 0.8, 0.1, 0.0]]
    >>> round(ndcg_at_k(y_true, y_score, k=2), 4)  # 1 / (1 + 1/log2(3))
    0.6131
    """
    return _at_k("ndcg", y_true, y_score, k, sample_weight, "ndcg_at_k")


def at_k_table(Y, S, ks):
    """``precision_at_{k}``, ``recall_at_{k}``, ``ndcg_at_{k}`` for each k, ranking once.

    ``Y`` and ``S`` are checked dense matrices of the same shape; the keys come
    in :func:`mlkit.metrics.evaluate`'s order (all precisions, then recalls, then nDCGs).
    """
    n_pos = Y.sum(axis=1)
    keep = n_pos > 0
    hits = top_k_hits(Y[keep], S[keep], max(ks))
    out = {}
    for kind in ("precision", "recall", "ndcg"):
        for kk in ks:
            per_row = at_k_from_hits(kind, hits, n_pos[keep], kk)
            out[f"{kind}_at_{kk}"] = mean_over_rows_with_positives(kind, per_row, n_pos, None, kk)
    return out
