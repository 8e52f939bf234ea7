"""Multi-label stratified cross-validation.

scikit-learn's :class:`~sklearn.model_selection.StratifiedKFold` stratifies on
one class per sample. With a label *matrix* it cannot keep every label's share
equal across folds, and rare labels end up missing from some test folds, where
recall, F1 and ROC AUC become undefined. The splitters here stratify on all
labels at once with *iterative stratification* (Sechidis, Tsoumakas and
Vlahavas, 2011), implemented from the paper with vectorized label-at-a-time
assignment, followed by two repair passes:

* every label whose expected count in a part is at least one (for k-fold: every
  label with at least ``n_splits`` positives) gets at least one positive in that
  part;
* part sizes are brought to their targets (k-fold: within one row of each other;
  shuffle split: exactly ``n_test`` / ``n_train`` rows), moving the rows whose
  move hurts the label balance least.

All splitters accept the label matrix ``y`` in any form mlkit accepts: a 0/1
array, a scipy sparse matrix (never densified), a DataFrame of 0/1 columns or a
list of label-name collections. They work as ``cv=`` anywhere in scikit-learn.
"""

from __future__ import annotations

import heapq
import numbers
import warnings
from collections import deque
from collections.abc import Iterator
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import BaseCrossValidator, BaseShuffleSplit
from sklearn.utils import check_random_state

from mlkit._compat import safe_indexing
from mlkit._labels import check_label_matrix

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "MultilabelStratifiedKFold",
    "MultilabelStratifiedShuffleSplit",
    "train_test_split",
]

# Relative tolerance when comparing an expected count with 1 (n * 1/n may not be exactly 1.0).
_EPS = 1e-9


# --------------------------------------------------------------------------- input checks


def _n_samples(X, what="X"):
    """Number of rows of an array-like, a sparse matrix, a DataFrame or a list."""
    if X is None:
        raise ValueError(
            f"{what} is None; pass the samples (a list of texts, an array, a sparse matrix or a "
            "DataFrame). Only their number is used, so np.zeros(n_samples) works as a placeholder."
        )
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"{what} is a single string; pass a list of texts (one per sample), not one text."
        )
    try:
        return len(X)
    except TypeError:
        raise TypeError(
            f"{what} of type {type(X).__name__} has no length; pass a list, an array, a sparse "
            "matrix or a DataFrame with one row per sample."
        ) from None


def _check_y(y, n_samples, splitter):
    if y is None:
        raise ValueError(
            f"y is required: pass the label matrix to {splitter}.split(X, y), e.g. a 0/1 array or "
            "sparse matrix of shape (n_samples, n_labels), a DataFrame of 0/1 columns or a list "
            "of label collections. The stratification is computed from it."
        )
    Y, _ = check_label_matrix(y, accept_sparse=True, n_samples=n_samples)
    return sp.csr_matrix(Y) if not sp.issparse(Y) else Y


def _warn_groups(groups, splitter):
    if groups is not None:
        warnings.warn(f"The groups parameter is ignored by {splitter}.", UserWarning, stacklevel=3)


def _check_n_splits(n_splits, minimum, name):
    if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral):
        raise TypeError(
            f"{name} expects n_splits to be an int; got {type(n_splits).__name__} {n_splits!r}."
        )
    if n_splits < minimum:
        if minimum == 2:
            raise ValueError(
                f"{name} requires at least one train/test split: set n_splits=2 or more; "
                f"got n_splits={n_splits}."
            )
        raise ValueError(f"{name} expects n_splits >= {minimum}; got n_splits={n_splits}.")


def _check_size_param(value, name, splitter):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{splitter} expects {name} to be a float in (0, 1), a positive int or None; "
            f"got {type(value).__name__} {value!r}."
        )
    if isinstance(value, numbers.Integral):
        if value <= 0:
            raise ValueError(
                f"{splitter} expects {name} to be a positive number of samples or a float in "
                f"(0, 1); got {name}={value}."
            )
    elif not 0.0 < float(value) < 1.0:
        raise ValueError(
            f"{splitter} expects a float {name} to be a fraction in the open interval (0, 1); "
            f"got {name}={value}. Pass e.g. {name}=0.2, or an int number of samples."
        )


def _resolve_sizes(n_samples, test_size, train_size, default_test_size, splitter):
    """Integer ``(n_train, n_test)`` as scikit-learn computes them (test rounds up)."""
    _check_size_param(test_size, "test_size", splitter)
    _check_size_param(train_size, "train_size", splitter)
    if test_size is None and train_size is None:
        test_size = default_test_size
    for value, name in ((test_size, "test_size"), (train_size, "train_size")):
        if isinstance(value, numbers.Integral) and value >= n_samples:
            raise ValueError(
                f"{name}={value} must be smaller than the number of samples ({n_samples}); "
                "pass a smaller int or a fraction such as 0.2."
            )
    if (
        isinstance(test_size, numbers.Real)
        and not isinstance(test_size, numbers.Integral)
        and isinstance(train_size, numbers.Real)
        and not isinstance(train_size, numbers.Integral)
        and test_size + train_size > 1
    ):
        raise ValueError(
            f"test_size + train_size = {test_size + train_size:g} exceeds 1; reduce one of them."
        )
    n_test = None
    n_train = None
    if test_size is not None:
        if isinstance(test_size, numbers.Integral):
            n_test = int(test_size)
        else:
            n_test = int(np.ceil(test_size * n_samples))
    if train_size is not None:
        if isinstance(train_size, numbers.Integral):
            n_train = int(train_size)
        else:
            n_train = int(np.floor(train_size * n_samples))
    if n_train is None:
        n_train = n_samples - n_test
    if n_test is None:
        n_test = n_samples - n_train
    if n_train + n_test > n_samples:
        raise ValueError(
            f"train_size and test_size add up to {n_train + n_test} samples, more than the "
            f"{n_samples} available; reduce test_size and/or train_size."
        )
    if n_train <= 0 or n_test <= 0:
        raise ValueError(
            f"With n_samples={n_samples}, test_size={test_size} and train_size={train_size} the "
            f"{'train' if n_train <= 0 else 'test'} set would be empty; adjust test_size or "
            "train_size."
        )
    return n_train, n_test


# ------------------------------------------------------------------ the stratification


def _fill_order(label_desire, total_desire, m, rng):
    """Order in which ``m`` rows go to the parts, exactly as one-at-a-time greedy assignment.

    The greedy rule of iterative stratification gives each row to the part with the
    largest remaining desire for the current label, ties going to the part with the
    largest remaining desire overall, then at random (or to the lowest part index
    when ``rng`` is None); each assignment lowers both desires of that part by one.
    The t-th row a part receives therefore has the key
    ``(label_desire - t, total_desire - t, tie)``, and the greedy sequence is the
    ``m`` largest keys in decreasing order. Only about ``m + 2 k**2`` keys are built:
    the count each part receives is found by water-filling first.
    """
    k = label_desire.shape[0]
    d = np.asarray(label_desire, dtype=np.float64)
    ds = np.sort(d)[::-1]
    level = (np.cumsum(ds) - m) / np.arange(1, k + 1)
    theta = level[np.flatnonzero(ds > level)[-1]]
    # Keys above theta + 1 are certainly among the m largest; take them in bulk.
    base = np.maximum(np.floor(d - theta).astype(np.int64) - 1, 0)
    rest = m - int(base.sum())
    n_cand = base + rest
    part = np.repeat(np.arange(k), n_cand)
    t = np.arange(part.shape[0]) - np.repeat(np.cumsum(n_cand) - n_cand, n_cand)
    tie = part if rng is None else rng.random_sample(part.shape[0])
    order = np.lexsort((tie, -(total_desire[part] - t), -(d[part] - t)))[:m]
    return part[order]


def _part_label_counts(Y, part, k):
    """``(k, n_labels)`` dense counts of positives per part."""
    n = Y.shape[0]
    A = sp.csr_matrix((np.ones(n, dtype=np.int64), (part, np.arange(n))), shape=(k, n))
    return np.asarray((A @ Y).toarray(), dtype=np.int64)


def _row_sums(coo_rows, values, n_rows):
    return np.bincount(coo_rows, weights=values, minlength=n_rows)


def _repair_presence(Y, Yc, part, counts, required, desired, max_candidates=256):
    """Give a positive to every required (part, label) pair that has none.

    For a part ``b`` lacking label ``l``, a row carrying ``l`` is taken from a
    part ``a`` that can spare one. Preferably it is swapped with a row of ``b``
    (sizes unchanged), else moved; either is valid only if no part loses the last
    positive of a label it requires, and among the valid ones the one that brings
    the label counts closest to ``desired`` wins. When every candidate row would
    take such a last positive from ``a``, the row breaking the fewest is moved
    anyway and the pairs it breaks are repaired in turn (a row moved that way is
    not moved again). Updates ``part`` and ``counts`` in place and returns the
    pairs left without a positive.
    """
    k = counts.shape[0]
    queue = deque(map(tuple, np.argwhere(required & (counts == 0))))
    budget = 20 * len(queue) + 100
    pinned = set()
    while queue and budget > 0:
        b, label = queue.popleft()
        budget -= 1
        if counts[b, label] > 0:  # fixed meanwhile
            continue
        rows = Yc.indices[Yc.indptr[label] : Yc.indptr[label + 1]]
        src = part[rows]
        spare = counts[src, label] - required[src, label]
        if pinned:
            spare[np.isin(rows, list(pinned))] = 0
        keep = np.argsort(-spare, kind="stable")[:max_candidates]
        keep = keep[spare[keep] >= 1]
        if keep.shape[0] == 0:
            continue
        rows, src = rows[keep], src[keep]
        blocked = required & (counts <= 1)
        R = Y[rows].toarray().astype(bool)
        need_a = R & blocked[src]  # labels whose last positive in ``a`` the row would take
        # cost (see _move_cost_weights) of moving each candidate a -> b and each partner b -> a
        to_b = np.stack([_move_cost_weights(counts, desired, a, b)[0] for a in range(k)])
        to_a = np.stack([_move_cost_weights(counts, desired, b, a)[0] for a in range(k)])
        cost_r = (R * to_b[src]).sum(axis=1)

        partners = np.flatnonzero(part == b)
        n_labels_of = np.diff(Y.indptr)[partners]
        partners = partners[np.argsort(n_labels_of, kind="stable")[:max_candidates]]
        S = Y[partners].toarray().astype(bool)
        need_b = S & blocked[b]
        # (r, s) is valid when s brings back what r takes from ``a`` and vice versa.
        bad = (need_a.astype(np.float32) @ (~S).T.astype(np.float32)) > 0
        bad |= ((need_b.astype(np.float32) @ (~R).T.astype(np.float32)) > 0).T
        cost_s = S.astype(np.float64) @ to_a[src].T  # (|S|, |R|)
        total = cost_r[:, None] + cost_s.T
        total[bad] = np.inf
        other = None
        if total.shape[1] > 0 and np.isfinite(total).any():
            i, j = np.unravel_index(int(np.argmin(total)), total.shape)
            other = partners[j]
        else:
            n_broken = need_a.sum(axis=1)
            i = int(np.lexsort((cost_r, n_broken))[0])
            if n_broken[i]:
                pinned.add(int(rows[i]))
                queue.extend((int(src[i]), int(x)) for x in np.flatnonzero(need_a[i]))
        row, a = rows[i], src[i]
        labels = Y.indices[Y.indptr[row] : Y.indptr[row + 1]]
        counts[a, labels] -= 1
        counts[b, labels] += 1
        part[row] = b
        if other is not None:
            labels = Y.indices[Y.indptr[other] : Y.indptr[other + 1]]
            counts[b, labels] -= 1
            counts[a, labels] += 1
            part[other] = a
    return [tuple(pair) for pair in np.argwhere(required & (counts == 0))]


def _move_cost_weights(counts, desired, a, b):
    """Per-label cost of moving one positive from part ``a`` to part ``b``, and its growth.

    The objective is ``sum((counts - desired) ** 2 / sqrt(desired))``, halfway
    between the squared count deviation (which lets rare labels drift in relative
    terms) and chi-square (which piles all moves onto the most frequent labels);
    measured on GoEmotions and Reuters it keeps both the relative deviation of
    rare labels and the share deviation of frequent ones low. Moving one positive
    of label ``j`` changes it by ``cost[j]``; each further positive of ``j`` moved
    the same way costs ``step[j]`` more.
    """
    d_a = np.sqrt(np.maximum(desired[a], 1e-3))
    d_b = np.sqrt(np.maximum(desired[b], 1e-3))
    cost = (2.0 * (counts[b] - desired[b]) + 1.0) / d_b + (
        1.0 - 2.0 * (counts[a] - desired[a])
    ) / d_a
    return cost, 2.0 / d_a + 2.0 / d_b


def _cheapest_moves(Y, part, counts, required, desired, a, b, q, tabu=()):
    """Up to ``q`` rows of part ``a`` whose move to ``b`` hurts the label balance least.

    The cost of a row is the sum of :func:`_move_cost_weights` over its labels.
    Each accepted move raises the cost of later rows sharing a label, so rows are
    picked greedily with lazily updated costs (costs only grow, so a lazy heap is
    exact). Rows with the same label set always cost the same, so the heap holds
    one entry per distinct label set. A row is never moved if that would take the
    last positive of a label that ``a`` requires.
    """
    rows = np.flatnonzero(part == a)
    if tabu:
        rows = rows[~np.isin(rows, list(tabu))]
    sub = Y[rows].tocoo()
    label_cost, step = _move_cost_weights(counts, desired, a, b)
    cost = _row_sums(sub.row, label_cost[sub.col], rows.shape[0])
    blocked = required[a] & (counts[a] <= 1)
    ok = _row_sums(sub.row, blocked[sub.col].astype(np.float64), rows.shape[0]) == 0
    # Group the movable rows by label set (a random 64-bit fingerprint per label).
    fingerprint = np.random.RandomState(0).randint(1, 2**62, size=Y.shape[1], dtype=np.int64)
    signature = np.zeros(rows.shape[0], dtype=np.int64)
    np.add.at(signature, sub.row, fingerprint[sub.col])  # wraps on overflow: still a hash
    rows, cost, signature = rows[ok], cost[ok], signature[ok]
    _, first, group = np.unique(signature, return_index=True, return_inverse=True)
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(first.shape[0] + 1))
    heap = [(float(cost[i]), g) for g, i in enumerate(first)]
    heapq.heapify(heap)
    next_member = bounds[:-1].copy()
    spare = np.where(required[a], counts[a] - 1, np.iinfo(np.int64).max)
    taken = np.zeros(Y.shape[1], dtype=np.int64)
    moved = []
    while heap and len(moved) < q:
        key, g = heapq.heappop(heap)
        row = rows[order[next_member[g]]]
        labels = Y.indices[Y.indptr[row] : Y.indptr[row + 1]]
        if np.any(taken[labels] >= spare[labels]):
            continue  # the whole group is pinned from now on
        current = float(cost[first[g]]) + float(np.dot(taken[labels], step[labels]))
        if current > key + 1e-12:
            heapq.heappush(heap, (current, g))
            continue
        taken[labels] += 1
        moved.append(row)
        next_member[g] += 1
        if next_member[g] < bounds[g + 1]:
            heapq.heappush(heap, (current + float(step[labels].sum()), g))
    return np.asarray(moved, dtype=np.int64)


def _rebalance_sizes(Y, part, counts, required, desired, targets):
    """Move rows from parts above their target size to parts below it.

    Rows go cheapest first (see :func:`_cheapest_moves`), from
    the part furthest above its target to the one furthest below. When the
    required labels pin every row of that pair, any other over/under pair is
    tried, then a detour through a part already at its target. Updates ``part``
    and ``counts`` in place; returns whether every part reached its target.
    """
    k = targets.shape[0]
    sizes = np.bincount(part, minlength=k)
    tabu = set()
    for _ in range(100 * k * k + Y.shape[0]):
        diff = sizes - targets
        if not diff.any():
            return True
        a, b = int(np.argmax(diff)), int(np.argmin(diff))
        q = int(min(diff[a], -diff[b]))
        moved = _cheapest_moves(Y, part, counts, required, desired, a, b, q)
        if moved.shape[0] == 0:
            over, under, level = (
                np.flatnonzero(diff > 0),
                np.flatnonzero(diff < 0),
                np.flatnonzero(diff == 0),
            )
            pairs = [(i, j) for i in over for j in under if (i, j) != (a, b)]
            pairs += [(i, j) for i in over for j in level]  # detours, each row at most once
            for a, b in pairs:
                moved = _cheapest_moves(Y, part, counts, required, desired, a, b, 1, tabu)
                if moved.shape[0]:
                    if diff[b] == 0:
                        tabu.update(moved.tolist())
                    break
            else:
                return False
        delta = np.asarray(Y[moved].sum(axis=0)).ravel()
        counts[a] -= delta
        counts[b] += delta
        part[moved] = b
        sizes[a] -= moved.shape[0]
        sizes[b] += moved.shape[0]
    return False  # pragma: no cover - safety net


def _kfold_targets(sizes, n):
    """Fold sizes ``n // k`` or ``n // k + 1``; the larger go to the folds now largest."""
    k = sizes.shape[0]
    targets = np.full(k, n // k, dtype=np.int64)
    targets[np.argsort(-sizes, kind="stable")[: n % k]] += 1
    return targets


def _iterative_stratification(Y, proportions, *, targets=None, required_parts=None, rng=None):
    """Assign every row of ``Y`` to one of ``k`` parts.

    Parameters
    ----------
    Y : csr_matrix of shape (n_samples, n_labels)
        0/1 label matrix.
    proportions : ndarray of shape (k,)
        Share of the rows each part should receive (sums to 1).
    targets : ndarray of shape (k,) of int, default=None
        Exact part sizes (sum ``n_samples``). When None (k-fold), the sizes are
        ``n // k`` or ``n // k + 1``, the larger ones going to the parts that are
        largest after the greedy pass.
    required_parts : ndarray of shape (k,) of bool, default=None
        Parts that get the presence guarantee (all when None).
    rng : RandomState or None
        Randomizes the row order and every tie; None processes rows in order and
        breaks ties by the lowest index (deterministic).

    Returns
    -------
    part : ndarray of shape (n_samples,) of int
    """
    n, n_labels = Y.shape
    k = proportions.shape[0]
    perm = rng.permutation(n) if rng is not None else None
    Yp = Y[perm] if perm is not None else Y
    Yp = sp.csr_matrix(Yp)
    Yp.sort_indices()
    Yc = Yp.tocsc()
    Yc.sort_indices()

    n_pos = np.diff(Yc.indptr).astype(np.int64)
    label_desire = np.outer(proportions, n_pos).astype(np.float64)
    total_desire = proportions * float(n)
    remaining = n_pos.copy()
    part = np.full(n, -1, dtype=np.int64)

    # Label by label, rarest remaining first: its unassigned rows go where they are wanted most.
    while True:
        active = remaining > 0
        if not active.any():
            break
        fewest = remaining[active].min()
        candidates = np.flatnonzero(remaining == fewest)
        label = candidates[0] if rng is None else candidates[rng.randint(candidates.shape[0])]
        rows = Yc.indices[Yc.indptr[label] : Yc.indptr[label + 1]]
        rows = rows[part[rows] < 0]
        m = rows.shape[0]
        seq = _fill_order(label_desire[:, label], total_desire, m, rng)
        part[rows] = seq
        sub = Yp[rows].tocoo()
        np.subtract.at(label_desire, (seq[sub.row], sub.col), sub.data)
        np.subtract.at(remaining, sub.col, sub.data)
        total_desire -= np.bincount(seq, minlength=k)

    # Rows without any label fill up the parts that still want rows.
    empty = np.flatnonzero(part < 0)
    if empty.shape[0]:
        part[empty] = _fill_order(total_desire, total_desire, empty.shape[0], rng)

    counts = _part_label_counts(Yp, part, k)
    desired = np.outer(proportions, n_pos)
    if required_parts is None:
        required_parts = np.ones(k, dtype=bool)
    required = (desired >= 1.0 - _EPS) & required_parts[:, None]
    flexible = targets is None
    if flexible:
        targets = _kfold_targets(np.bincount(part, minlength=k), n)
    targets = np.asarray(targets, dtype=np.int64)
    balanced = _rebalance_sizes(Yp, part, counts, required, desired, targets)
    failed = _repair_presence(Yp, Yc, part, counts, required, desired)
    if flexible:
        targets = _kfold_targets(np.bincount(part, minlength=k), n)
    if not balanced or np.any(np.bincount(part, minlength=k) != targets):
        balanced = _rebalance_sizes(Yp, part, counts, required, desired, targets)

    if failed:
        labels = sorted({int(label) for _, label in failed})
        shown = ", ".join(map(str, labels[:10])) + (" ..." if len(labels) > 10 else "")
        warnings.warn(
            f"Could not place a positive of label column(s) {shown} in every test fold (or, "
            "for a shuffle split, in both the train and the test set): the rows carrying them "
            "also carry other labels that would lose their only positive there. This happens "
            "only with very few rows per fold and dense labels; use fewer splits or more data.",
            UserWarning,
            stacklevel=4,
        )
    if not balanced:
        sizes = np.bincount(part, minlength=k)
        warnings.warn(
            f"Fold sizes {sizes.tolist()} could not be brought to {targets.tolist()} without "
            "leaving a fold without a label it should hold. This happens only with very few "
            "rows per fold and dense labels; use fewer splits or more data.",
            UserWarning,
            stacklevel=4,
        )

    if perm is None:
        return part
    out = np.empty(n, dtype=np.int64)
    out[perm] = part
    return out


# ------------------------------------------------------------------------- splitters


class MultilabelStratifiedKFold(BaseCrossValidator):
    """Multi-label stratified K-fold cross-validator (iterative stratification).

    Splits the samples into ``n_splits`` test folds so that every label keeps
    about the same share of positives in every fold. Each fold is used once as
    the test set while the others form the training set. Usable as ``cv=`` in
    :func:`~sklearn.model_selection.cross_val_score`,
    :class:`~sklearn.model_selection.GridSearchCV` and the like.

    Guarantees:

    * every label with at least ``n_splits`` positives has a positive in every
      test fold;
    * fold sizes differ by at most one;
    * the folds partition the samples (no overlap, full coverage).

    The first two can conflict only on tiny data with dense labels (a handful
    of rows per fold, most rows carrying several labels); then the label
    guarantee wins over the sizes, and a :class:`UserWarning` says which one
    could not be met.

    Rows with no label are used to even out fold sizes.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds. Must be at least 2.
    shuffle : bool, default=False
        Whether to visit the rows in a random order and break ties at random.
        With the default False the folds depend only on the data and its row
        order (ties go to the lowest fold index), so repeated calls to
        :meth:`split` give the same folds, as scikit-learn's ``KFold`` and
        ``StratifiedKFold`` do by default. Rows are still interleaved across
        folds, never cut into contiguous blocks, so sorted data is safe.
        Set ``shuffle=True`` for different random folds (e.g. repeated CV).
    random_state : int, RandomState instance or None, default=None
        Seeds the randomness when ``shuffle=True``. Pass an int for the same
        folds on every call. Must be None when ``shuffle=False``.

    See Also
    --------
    MultilabelStratifiedShuffleSplit : Random stratified train/test splits.
    train_test_split : One stratified train/test split of several arrays.
    sklearn.model_selection.StratifiedKFold : Stratification on one class per sample.

    Notes
    -----
    The algorithm is iterative stratification (Sechidis, Tsoumakas and Vlahavas,
    "On the Stratification of Multi-Label Data", ECML PKDD 2011): labels are
    handled from the rarest to the most frequent, each unassigned row of the
    label going to the fold that still needs that label most. mlkit assigns all
    rows of a label at once (same result as the one-row-at-a-time rule), then
    repairs missing labels and fold sizes. A sparse ``y`` is never densified.

    Examples
    --------
    >>> import numpy as np
    >>> from mlkit.model_selection import MultilabelStratifiedKFold
    >>> Y = np.array([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [1, 1]])
    >>> X = np.zeros((6, 1))
    >>> cv = MultilabelStratifiedKFold(n_splits=2)
    >>> cv
    MultilabelStratifiedKFold(n_splits=2, random_state=None, shuffle=False)
    >>> for train, test in cv.split(X, Y):
    ...     print(test, Y[test].sum(axis=0))
    [0 2 3] [2 2]
    [1 4 5] [2 2]
    """

    def __init__(self, n_splits: int = 5, *, shuffle: bool = False,
                 random_state: int | np.random.RandomState | None = None) -> None:
        _check_n_splits(n_splits, 2, type(self).__name__)
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True or False; got {shuffle!r}.")
        if not shuffle and random_state is not None:
            raise ValueError(
                "Setting a random_state has no effect since shuffle is False: the folds are "
                "deterministic. Leave random_state=None, or set shuffle=True."
            )
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Return the number of splitting iterations, ``n_splits``.

        Parameters
        ----------
        X, y, groups : object
            Always ignored, exist for API compatibility.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits

    def split(self, X: Any, y: Any = None,
              groups: Any = None) -> Iterator[tuple[NDArray[np.intp], NDArray[np.intp]]]:
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list of texts
            The samples; only their number is used (``np.zeros(n_samples)``
            works as a placeholder).
        y : array-like, sparse matrix, DataFrame or list of label collections
            The label matrix of shape ``(n_samples, n_labels)``, in any form
            mlkit accepts. Required: the stratification is computed from it.
        groups : object, default=None
            Ignored (a warning is raised when given).

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        name = type(self).__name__
        _warn_groups(groups, name)
        n_samples = _n_samples(X)
        Y = _check_y(y, n_samples, name)
        if self.n_splits > n_samples:
            raise ValueError(
                f"Cannot have n_splits={self.n_splits} greater than the number of samples: "
                f"n_samples={n_samples}. Use n_splits <= {n_samples} or more data."
            )
        return super().split(X, Y, None)

    def _iter_test_masks(self, X=None, y=None, groups=None):
        rng = check_random_state(self.random_state) if self.shuffle else None
        k = self.n_splits
        folds = _iterative_stratification(y, np.full(k, 1.0 / k), rng=rng)
        for i in range(k):
            yield folds == i


class MultilabelStratifiedShuffleSplit(BaseShuffleSplit):
    """Multi-label stratified random train/test splits (iterative stratification).

    Each of the ``n_splits`` iterations draws a new random split in which every
    label keeps about the same share of positives in the train and the test
    set. The test set has exactly ``n_test`` rows and the train set exactly
    ``n_train`` (computed from ``test_size`` / ``train_size`` as scikit-learn's
    :class:`~sklearn.model_selection.ShuffleSplit` does); when the two do not
    cover all samples, the rest is left out of both, also stratified.

    Every label whose expected number of test positives (``n_positives *
    n_test / n_samples``) is at least one gets a positive in the test set, and
    likewise for the train set.

    Parameters
    ----------
    n_splits : int, default=10
        Number of re-shuffling and splitting iterations.
    test_size : float or int, default=None
        Float in (0, 1): share of the samples in the test set; int: number of
        test samples. None: the complement of ``train_size``, or 0.1 when
        ``train_size`` is None too.
    train_size : float or int, default=None
        Float in (0, 1): share of the samples in the train set; int: number of
        train samples. None: the complement of ``test_size``.
    random_state : int, RandomState instance or None, default=None
        Controls the randomness. Pass an int for the same splits on every call
        of :meth:`split`.

    See Also
    --------
    MultilabelStratifiedKFold : Stratified K-fold cross-validation.
    train_test_split : One stratified train/test split of several arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from mlkit.model_selection import MultilabelStratifiedShuffleSplit
    >>> Y = np.array([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [1, 1], [1, 0], [0, 1]])
    >>> cv = MultilabelStratifiedShuffleSplit(n_splits=3, test_size=0.5, random_state=0)
    >>> cv.get_n_splits()
    3
    >>> [Y[test].sum(axis=0).tolist() for _, test in cv.split(np.zeros(8), Y)]
    [[2, 3], [3, 2], [2, 2]]
    """

    def __init__(self, n_splits: int = 10, *, test_size: float | int | None = None,
                 train_size: float | int | None = None,
                 random_state: int | np.random.RandomState | None = None) -> None:
        name = type(self).__name__
        _check_n_splits(n_splits, 1, name)
        _check_size_param(test_size, "test_size", name)
        _check_size_param(train_size, "train_size", name)
        super().__init__(
            n_splits=n_splits, test_size=test_size, train_size=train_size, random_state=random_state
        )
        self._default_test_size = 0.1

    def split(self, X: Any, y: Any = None,
              groups: Any = None) -> Iterator[tuple[NDArray[np.intp], NDArray[np.intp]]]:
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list of texts
            The samples; only their number is used.
        y : array-like, sparse matrix, DataFrame or list of label collections
            The label matrix of shape ``(n_samples, n_labels)``, in any form
            mlkit accepts. Required.
        groups : object, default=None
            Ignored (a warning is raised when given).

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.

        Notes
        -----
        With ``random_state=None`` or a RandomState instance, each call of
        ``split`` gives different splits; pass an int for identical ones.
        """
        name = type(self).__name__
        _warn_groups(groups, name)
        n_samples = _n_samples(X)
        Y = _check_y(y, n_samples, name)
        # Checked here so that a bad size fails at the call, not at the first iteration.
        _resolve_sizes(n_samples, self.test_size, self.train_size, self._default_test_size, name)
        return super().split(X, Y, None)

    def _iter_indices(self, X, y=None, groups=None):
        n_train, n_test = _resolve_sizes(
            y.shape[0],
            self.test_size,
            self.train_size,
            self._default_test_size,
            type(self).__name__,
        )
        yield from _shuffle_split_indices(y, n_train, n_test, self.n_splits, self.random_state)


def _shuffle_split_indices(Y, n_train, n_test, n_splits, random_state):
    n = Y.shape[0]
    n_rest = n - n_train - n_test
    targets = np.array([n_test, n_train] + ([n_rest] if n_rest else []), dtype=np.int64)
    required_parts = np.array([True, True] + ([False] if n_rest else []))
    rng = check_random_state(random_state)
    for _ in range(n_splits):
        part = _iterative_stratification(
            Y, targets / n, targets=targets, required_parts=required_parts, rng=rng
        )
        # In random order, as scikit-learn's shuffle splits return them.
        yield rng.permutation(np.flatnonzero(part == 1)), rng.permutation(np.flatnonzero(part == 0))


def train_test_split(
    *arrays: Any,
    test_size: float | int | None = None,
    train_size: float | int | None = None,
    random_state: int | np.random.RandomState | None = None,
    stratify: Any = None,
) -> list[Any]:
    """Split arrays into a train and a test subset, stratified on a label matrix.

    The multi-label counterpart of :func:`sklearn.model_selection.train_test_split`
    with ``stratify``: the rows are always shuffled, and every label keeps about
    the same share of positives in both subsets (iterative stratification, as in
    :class:`MultilabelStratifiedShuffleSplit`).

    Parameters
    ----------
    *arrays : sequence of indexables with the same length
        Lists (e.g. of texts), numpy arrays, scipy sparse matrices, pandas
        DataFrames or Series. Each is returned split, in its own type.
    test_size : float or int, default=None
        Float in (0, 1): share of the samples in the test subset; int: number
        of test samples. None: the complement of ``train_size``, or 0.25 when
        ``train_size`` is None too.
    train_size : float or int, default=None
        Float in (0, 1) or int; None: the complement of ``test_size``.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling. Pass an int for reproducible output.
    stratify : array-like, sparse matrix, DataFrame or list of label collections
        The label matrix to stratify on, usually the same ``Y`` passed in
        ``arrays``. Required.

    Returns
    -------
    splitting : list of length 2 * len(arrays)
        ``[a_train, a_test, b_train, b_test, ...]``.

    See Also
    --------
    MultilabelStratifiedShuffleSplit : Several random stratified splits.

    Examples
    --------
    >>> from mlkit.model_selection import train_test_split
    >>> texts = ["oil up", "oil and gas", "wheat", "wheat exports", "oil ship", "grain ship"]
    >>> labels = [["crude"], ["crude"], ["grain"], ["grain"], ["crude", "ship"], ["grain", "ship"]]
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     texts, labels, test_size=0.5, random_state=0, stratify=labels)
    >>> X_test
    ['wheat exports', 'grain ship', 'oil and gas']
    >>> y_test
    [['grain'], ['grain', 'ship'], ['crude']]
    """
    if not arrays:
        raise ValueError(
            "train_test_split needs at least one array to split, e.g. "
            "train_test_split(texts, Y, stratify=Y)."
        )
    if stratify is None:
        raise ValueError(
            "stratify is required: pass the label matrix, e.g. train_test_split(X, Y, "
            "stratify=Y). For a split without stratification use "
            "sklearn.model_selection.train_test_split."
        )
    lengths = [_n_samples(a, what=f"arrays[{i}]") for i, a in enumerate(arrays)]
    if len(set(lengths)) > 1:
        raise ValueError(
            f"Found input arrays with inconsistent numbers of samples: {lengths}. Every array "
            "needs one row per sample, in the same order."
        )
    n_samples = lengths[0]
    Y = _check_y(stratify, n_samples, "train_test_split")
    n_train, n_test = _resolve_sizes(n_samples, test_size, train_size, 0.25, "train_test_split")
    train, test = next(_shuffle_split_indices(Y, n_train, n_test, 1, random_state))
    return list(
        chain.from_iterable((safe_indexing(a, train), safe_indexing(a, test)) for a in arrays)
    )
