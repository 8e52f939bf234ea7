"""How suspicious each (row, label) cell is.

Three steps, all on out-of-fold quantities:

1. **Row context.** The text model scores every label on its own. A
   second, small model re-estimates each cell's probability from the text
   model's out-of-fold logit *and the row's other given labels*: whether the
   row has no other label, how the label ranks among the row's scores, and the
   co-occurrence lift of the label with the row's other labels. It is one
   logistic regression pooled over all labels (seven label-agnostic features),
   cross-fitted on the audit's folds, so a cell is never scored by a model
   that saw it. This is what one-vs-rest scoring cannot see: a row left with
   no label at all when almost every row has one, or a label that always comes
   with another one that the row has.
2. **Noise rates.** With ``q`` the probability that the given label is 1, the
   odds that a given 0 is a missing label are about ``rho_miss * q / (1 - q)``
   and the odds that a given 1 is wrong about ``rho_wrong * (1 - q) / q``,
   where ``rho_miss`` is the fraction of true labels left out and
   ``rho_wrong`` the fraction of absent labels set by mistake. Both are
   estimated with confident learning's calibrated confident joint (Northcutt,
   Jiang and Chuang, 2021), pooled over labels. They put missing and wrong
   labels on one scale: in typical data a missing tag is far more common than
   a spurious one.
3. **Scores.** The cell score is the resulting posterior probability that the
   given label is wrong; a row's error probability is the probability that at
   least one of its cells is wrong, and its data error potential adds the
   ambiguity of the row's closest call.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state

from .._labels import cooccurrence_counts

__all__ = ["cell_scores", "context_probabilities", "estimate_noise_rates", "logit", "row_scores"]

_EPS = 1e-6
_MAX_CELLS = 2_000_000  # cells per block (training rows are subsampled above this)
_CHUNK = 1 << 21  # elements per block when gathering co-occurrence features


def logit(p):
    """Log-odds of probabilities clipped to ``[1e-6, 1 - 1e-6]``."""
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class _Lift:
    """Log-lift ``log P(j | k) - log P(j)`` (row k, column j), smoothed toward 0, kept sparse.

    With support ``N``, pair counts ``C`` and smoothed prior ``p = (N + 1) / (n + 2)``, the
    smoothed conditional is ``(C[k, j] + 2 p[j]) / (N[k] + 2)``, so the lift is
    ``base[k] + log1p(C[k, j] / (2 p[j]))`` with ``base[k] = log(2 / (N[k] + 2))``: a
    per-row constant plus a sparse part that is non-zero only where the labels co-occur.
    Nothing of size ``n_labels ** 2`` is built.
    """

    def __init__(self, Y):
        n = Y.shape[0]
        N = np.asarray(Y.sum(axis=0), dtype=np.float64).ravel()
        C = cooccurrence_counts(Y).astype(np.float64)
        prior = (N + 1.0) / (n + 2.0)
        self.base = np.log(2.0 / (N + 2.0))
        C.data = np.log1p(C.data / (2.0 * prior[C.indices]))
        self.extra = C
        self.diag = self.base + C.diagonal()

    def rows(self, labels):
        """Dense lift rows of ``labels``, shape ``(len(labels), n_labels)``."""
        return self.base[labels][:, None] + self.extra[labels].toarray()

    def context(self, Y):
        """``Y @ lift`` for a dense 0/1 ``Y`` of shape ``(n, n_labels)``."""
        Ys = sp.csr_matrix(Y)
        return (Ys @ self.base)[:, None] + (Ys @ self.extra).toarray()


def _features(Z, Y, lift):
    """Seven features per cell, shape ``(n, L, 7)``."""
    n, L = Z.shape
    count = Y.sum(axis=1)
    n_other = count[:, None] - Y
    empty = (n_other == 0).astype(np.float64)
    # max of the other labels' logits: the row's best, or its second best for that label
    order = np.argsort(-Z, axis=1, kind="stable")
    top1 = Z[np.arange(n), order[:, 0]]
    top2 = Z[np.arange(n), order[:, 1]] if L > 1 else np.full(n, -np.inf)
    zmax_other = np.where(np.arange(L)[None, :] == order[:, :1], top2[:, None], top1[:, None])
    rel = Z - zmax_other
    rel[~np.isfinite(rel)] = 0.0
    # co-occurrence with the row's other given labels
    co = lift.context(Y) - Y * lift.diag[None, :]
    cmax = np.zeros((n, L))
    rows, cols = np.nonzero(Y)
    if len(rows):
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        step = max(1, _CHUNK // max(L, 1))
        for a in range(0, len(starts), step):
            s_idx = starts[a:a + step]
            lo = s_idx[0]
            hi = starts[a + step] if a + step < len(starts) else len(rows)
            block = lift.rows(cols[lo:hi])
            block[np.arange(hi - lo), cols[lo:hi]] = -np.inf  # a label is not its own context
            best = np.maximum.reduceat(block, s_idx - lo, axis=0)
            best[~np.isfinite(best)] = 0.0
            cmax[rows[s_idx]] = best
    return np.stack([Z, empty, Z * empty, rel, np.minimum(n_other, 3), co, cmax], axis=2)


_N_FEATURES = 7


def context_probabilities(proba, Y, fold, *, random_state=0):
    """Probability that each cell's given label is 1, from the text model and the row.

    Parameters
    ----------
    proba : ndarray of shape (n, L)
        Out-of-fold probabilities of the text model.
    Y : ndarray of shape (n, L)
        Given 0/1 labels.
    fold : ndarray of shape (n,)
        Fold of each row; the context model scoring a fold is fitted on the
        other folds.
    random_state : int or None
        Seeds the subsample of training rows on very large data (more than
        two million cells per fold).

    Returns
    -------
    q : ndarray of shape (n, L)
    """
    Z = logit(proba)
    Y = np.asarray(Y, dtype=np.float64)
    n, L = Y.shape
    q = np.empty((n, L))
    rng = check_random_state(random_state)
    budget = max(1, _MAX_CELLS // L)  # rows per block
    for k in np.unique(fold):
        train = np.flatnonzero(fold != k)
        test = np.flatnonzero(fold == k)
        Ytr = Y[train]
        if Ytr.sum() == 0 or Ytr.sum() == Ytr.size:
            q[test] = np.clip(Ytr.mean(), _EPS, 1 - _EPS)
            continue
        lift = _Lift(Ytr)
        fit_rows = train
        if len(fit_rows) > budget:
            fit_rows = np.sort(rng.choice(fit_rows, size=budget, replace=False))
        Xtr = _features(Z[fit_rows], Y[fit_rows], lift).reshape(-1, _N_FEATURES)
        ytr = Y[fit_rows].reshape(-1)
        mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
        sd[sd == 0] = 1.0
        model = LogisticRegression(C=1.0, max_iter=1000)
        if ytr.min() == ytr.max():
            q[test] = np.clip(ytr.mean(), _EPS, 1 - _EPS)
            continue
        model.fit((Xtr - mu) / sd, ytr)
        del Xtr
        for start in range(0, len(test), budget):
            rows = test[start:start + budget]
            Xte = _features(Z[rows], Y[rows], lift).reshape(-1, _N_FEATURES)
            q[rows] = model.predict_proba((Xte - mu) / sd)[:, 1].reshape(-1, L)
    return np.clip(q, _EPS, 1 - _EPS)


def estimate_noise_rates(q, Y):
    """Fractions of true labels missing and of absent labels set by mistake.

    Confident learning's calibrated confident joint, one-vs-rest per label and
    pooled over labels: a cell counts as confidently 1 when ``q`` reaches the
    label's mean ``q`` over its given positives, confidently 0 when ``1 - q``
    reaches the mean ``1 - q`` over its given negatives (the larger margin wins
    when both hold); the counts are then scaled to the number of given 0s and
    1s.

    Returns
    -------
    rate_missing, rate_wrong : float
        Both clipped to ``[1e-6, 0.5]``.
    """
    Yb = np.asarray(Y).astype(bool)
    n_pos = Yb.sum(axis=0)
    n_neg = (~Yb).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t1 = np.where(n_pos > 0, (q * Yb).sum(axis=0) / np.maximum(n_pos, 1), np.inf)
        t0 = np.where(n_neg > 0, ((1 - q) * ~Yb).sum(axis=0) / np.maximum(n_neg, 1), np.inf)
    c1 = q >= t1[None, :]
    c0 = (1 - q) >= t0[None, :]
    both = c1 & c0
    c1 = (c1 & ~both) | (both & (q >= 0.5))
    c0 = (c0 & ~both) | (both & (q < 0.5))
    c01, c00 = int((~Yb & c1).sum()), int((~Yb & c0).sum())
    c10, c11 = int((Yb & c0).sum()), int((Yb & c1).sum())
    g0, g1 = int((~Yb).sum()), int(Yb.sum())
    missing = c01 / max(c01 + c00, 1) * g0
    wrong = c10 / max(c10 + c11, 1) * g1
    rate_missing = missing / max(missing + g1 - wrong, 1.0)
    rate_wrong = wrong / max(wrong + g0 - missing, 1.0)
    return (float(np.clip(rate_missing, 1e-6, 0.5)), float(np.clip(rate_wrong, 1e-6, 0.5)))


def cell_scores(q, Y, rates):
    """Posterior log-odds that each cell's given label is wrong.

    Returns
    -------
    log_odds : ndarray of shape (n, L)
        ``logit(q) + log(rate_missing)`` where the given label is 0,
        ``-logit(q) + log(rate_wrong)`` where it is 1.
    """
    zq = logit(q)
    rate_missing, rate_wrong = rates
    return np.where(np.asarray(Y) == 0, zq + np.log(rate_missing), -zq + np.log(rate_wrong))


def row_scores(log_odds, q):
    """Per-row error probability and data error potential, both in [0, 1].

    ``error_probability`` is ``1 - prod_j (1 - p_ij)`` over the cells' error
    probabilities; the data error potential is
    ``1 - (1 - error_probability) * (1 - ambiguity / 2)``, where ``ambiguity``
    is ``1 - |2 q - 1|`` of the row's closest call (1 on a decision boundary).
    """
    p = _sigmoid(log_odds)
    error_probability = -np.expm1(np.log1p(-np.clip(p, 0.0, 1 - 1e-15)).sum(axis=1))
    ambiguity = (1.0 - np.abs(2.0 * q - 1.0)).max(axis=1)
    dep = 1.0 - (1.0 - error_probability) * (1.0 - 0.5 * ambiguity)
    return np.clip(error_probability, 0.0, 1.0), np.clip(dep, 0.0, 1.0), ambiguity
