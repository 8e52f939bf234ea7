"""Which of the audit's suspicious cells to flip by default: the edit policy.

The audit scores every (row, label) cell with the probability that its given
label is wrong. Flipping every cell scored 0.5 or more is not what helps a
model retrained on the fixed labels most: a label that the model confuses
with another draws many suggestions, most of them that confusion, and a label
too rare to learn looks wrong wherever it is given. The policy here keeps the
cells more likely wrong than right, highest scores first, with per-label
limits:

* **A share of the label's positives** (default ``max_share=0.1``: at most
  ``ceil(0.1 * support)`` edits per label, the audit's rule since it was
  chosen on injected noise; ``benchmarks/RESULTS_audit.md``).
* **Share of the expected errors** (``max_share="auto"``): tied to the noise
  the audit itself estimates, where a fixed share binds when the data is
  noisier and lets confusions through when it is cleaner. With
  ``p`` the cells' error probabilities, the audit expects ``sum(p)`` errors
  among its likely cells (``p >= min_score``); divided by the number of
  given positives this is its estimate of the noise share. No label takes
  more than that share of its positives (rounded up), so a label that draws
  many more suggestions than its share (one the model confuses with
  another) keeps only its highest-scored ones. The share follows the noise:
  about 0.06 on Reuters with 5 % of the labels removed, 0.12 with 15 %, 0.02
  on its original labels.
* **Expected errors per label and kind** (``expected_cap=True``): at most
  ``ceil(sum(p))`` additions over the label's given 0s and removals over its
  given 1s. It seldom binds with cells above 0.5 (each counts at least 0.5).
* **Rare labels** (fewer than ``rare_support`` positives) lose no positive:
  the model cannot learn them, so out of fold their positives look wrong
  wherever they are.
* **No row is left without labels**: a removal that would take a row's last
  label is skipped (the row's additions count).
"""

import numbers

import numpy as np

from ._scoring import _sigmoid

__all__ = ["select_cells"]


def _rank_in_group(groups):
    """Position of each element among the earlier elements of its group (0 for the first)."""
    by = np.argsort(groups, kind="stable")
    sorted_groups = groups[by]
    rank = np.empty(len(groups), dtype=np.int64)
    rank[by] = np.arange(len(groups)) - np.searchsorted(sorted_groups, sorted_groups, side="left")
    return rank


def _check_share(name, value):
    if value is None or (isinstance(value, str) and value == "auto"):
        return
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.number)) or \
            not value > 0:
        raise ValueError(f"{name} must be a positive number, 'auto' or None; got {value!r}.")


def _keep_rows_labelled(rows, cols, given, Y):
    """Drop the removals (lowest ranked first) that would leave a row without labels."""
    n_after = Y.sum(axis=1).astype(np.int64)
    np.add.at(n_after, rows, np.where(given == 0, 1, -1))
    keep = np.ones(len(rows), dtype=bool)
    for i in np.unique(rows[n_after[rows] < 1]):
        removals = np.flatnonzero((rows == i) & (given == 1))
        # restore the last-ranked removals until the row keeps one label
        keep[removals[len(removals) - (1 - n_after[i]):]] = False
    return keep


def select_cells(log_odds, Y, *, min_score=0.5, expected_cap=False, max_share=0.1,
                 rare_support=10, keep_rows_labelled=True):
    """The cells to flip, most suspicious first.

    Parameters
    ----------
    log_odds : ndarray of shape (n_samples, n_labels)
        Log-odds that each cell's given label is wrong (the audit's cell scores).
    Y : ndarray of shape (n_samples, n_labels)
        The given 0/1 labels.
    min_score : float, default=0.5
        Lowest error probability of a flipped cell.
    expected_cap : bool, default=False
        Take at most ``ceil(sum of error probabilities)`` additions and removals
        per label (its expected missing and wrong labels).
    max_share : float, "auto" or None, default=0.1
        Also at most ``ceil(max_share * support)`` edits per label, the
        highest scores first. ``"auto"``: the share of noise the audit
        expects among its likely cells, ``sum(p[p >= min_score]) /
        n_positives`` (about 0.06 on Reuters with 5 % of the labels removed,
        0.12 with 15 %, 0.02 on its original labels), so that no label takes
        more than its share of the expected errors. None: no such cap.
    rare_support : int, default=10
        Labels with fewer positives than this lose no positive.
    keep_rows_labelled : bool, default=True
        Skip removals that would leave a row (that had labels) with none.

    Returns
    -------
    rows, cols : ndarray of int
        The selected cells, highest score first (ties: by row, then column).
    """
    _check_share("max_share", max_share)
    if (isinstance(min_score, bool) or not isinstance(min_score, (numbers.Real, np.number))
            or not 0 <= min_score <= 1):
        raise ValueError(f"min_score must be a number in [0, 1]; got {min_score!r}.")
    log_odds = np.asarray(log_odds, dtype=np.float64)
    Y = np.asarray(Y)
    if log_odds.ndim != 2 or log_odds.shape != Y.shape:
        raise ValueError(
            f"log_odds has shape {log_odds.shape} and Y {Y.shape}; pass one score per cell of "
            "the (n_samples, n_labels) label matrix."
        )
    if np.isnan(log_odds).any():
        raise ValueError("log_odds holds NaN; every cell needs a score.")
    p = _sigmoid(log_odds)
    rows, cols = np.nonzero(p >= min_score)
    order = np.lexsort((cols, rows, -log_odds[rows, cols]))
    rows, cols = rows[order], cols[order]
    given = Y[rows, cols]
    support = Y.sum(axis=0)
    keep = (given == 0) | (support[cols] >= rare_support)
    if expected_cap:
        Yb = Y.astype(bool)
        cap_add = np.ceil((p * ~Yb).sum(axis=0) - 1e-9).astype(np.int64)
        cap_remove = np.ceil((p * Yb).sum(axis=0) - 1e-9).astype(np.int64)
        rank = _rank_in_group(np.where(keep, cols * 2 + given, -1))
        keep &= rank < np.where(given == 0, cap_add[cols], cap_remove[cols])
    rows, cols, given = rows[keep], cols[keep], given[keep]
    if max_share is not None:
        if isinstance(max_share, str):  # "auto": the expected errors among the likely cells
            likely = p >= min_score
            max_share = p[likely].sum() / max(int(support.sum()), 1)
        cap = np.ceil(max_share * support - 1e-9).astype(np.int64)
        keep = _rank_in_group(cols) < cap[cols]
        rows, cols, given = rows[keep], cols[keep], given[keep]
    if keep_rows_labelled and len(rows):
        keep = _keep_rows_labelled(rows, cols, given, Y)
        rows, cols = rows[keep], cols[keep]
    return rows.astype(np.intp), cols.astype(np.intp)
