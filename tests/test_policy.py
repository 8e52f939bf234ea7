"""mlkit.insights._policy: which suspicious cells the audit flips by default (hand-built
scores with known answers, and a real audit of a GoEmotions slice with injected noise)."""

import numpy as np
import pytest

from mlkit.insights import audit, inject_label_noise
from mlkit.insights._policy import select_cells

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def _logit(p):
    p = np.asarray(p, dtype=np.float64)
    return np.log(p) - np.log1p(-p)


def _cells(rows, cols):
    return set(zip(rows.tolist(), cols.tolist(), strict=True))


def test_select_cells_hand_built():
    """Ranking order, the score cut, the expected-error cap, rare labels and empty rows."""
    # 12 rows x 3 labels; label 0 has 10 positives (not rare), label 1 has 4 (rare),
    # label 2 has 0
    Y = np.zeros((12, 3), dtype=np.int64)
    Y[:10, 0] = 1
    Y[[3, 4, 10, 11], 1] = 1
    p = np.full(Y.shape, 0.01)
    # label 0: a given 1 (row 3) at 0.9, one at 0.6; row 11 misses label 0 at 0.7
    p[3, 0], p[4, 0], p[11, 0] = 0.9, 0.6, 0.7
    # label 1 (rare): its given 1 on row 10 looks wrong (0.95) but is protected;
    # rows 0 and 1 miss it at 0.8 and 0.55
    p[10, 1], p[0, 1], p[1, 1] = 0.95, 0.8, 0.55
    # label 2: three cells just above 0.5 and nothing else: expected errors
    # 3 * 0.51 + 9 * 0.01 = 1.62, so at most 2 additions (the two highest)
    p[[5, 6, 7], 2] = [0.51, 0.52, 0.53]
    rows, cols = select_cells(_logit(p), Y, expected_cap=True, max_share=None)
    cells = list(zip(rows.tolist(), cols.tolist(), strict=True))
    assert cells == [(3, 0), (0, 1), (11, 0), (4, 0), (1, 1), (7, 2), (6, 2)]
    # without the cap all three label-2 cells pass; without the rare rule, (10, 1) too
    rows, cols = select_cells(_logit(p), Y, expected_cap=False, max_share=None, rare_support=0)
    assert (10, 1) not in _cells(rows, cols)  # row 10's only label
    rows, cols = select_cells(_logit(p), Y, expected_cap=False, max_share=None, rare_support=0,
                              keep_rows_labelled=False)
    assert {(5, 2), (6, 2), (7, 2), (10, 1)} <= _cells(rows, cols)
    # min_score
    rows, _ = select_cells(_logit(p), Y, min_score=0.85, expected_cap=True, max_share=None)
    assert rows.tolist() == [3]


def test_select_cells_keeps_rows_labelled():
    """A removal that would leave a row with no label is skipped, the lowest-ranked one
    first; an addition on the same row lets the removal through."""
    Y = np.zeros((30, 2), dtype=np.int64)
    Y[:20, 0] = 1
    Y[20:, 1] = 1
    p = np.full(Y.shape, 0.01)
    p[0, 0] = 0.9  # row 0's only label looks wrong: kept, the row would be empty
    p[20, 1] = 0.9  # row 20: its only label looks wrong, but it also misses label 0
    p[20, 0] = 0.8
    rows, cols = select_cells(_logit(p), Y)
    cells = _cells(rows, cols)
    assert cells == {(20, 1), (20, 0)}
    rows, cols = select_cells(_logit(p), Y, keep_rows_labelled=False)
    assert _cells(rows, cols) == {(0, 0), (20, 1), (20, 0)}


@pytest.mark.parametrize("kwargs, match", [
    ({"min_score": 1.5}, "min_score must be a number in"),
    ({"min_score": True}, "min_score must be a number in"),
    ({"max_share": 0}, "max_share must be a positive number"),
    ({"max_share": "half"}, "max_share must be a positive number, 'auto' or None"),
])
def test_select_cells_bad_options(kwargs, match):
    Y = np.eye(3, dtype=np.int64)
    with pytest.raises(ValueError, match=match):
        select_cells(np.zeros((3, 3)), Y, **kwargs)


def test_select_cells_bad_shapes():
    Y = np.eye(3, dtype=np.int64)
    with pytest.raises(ValueError, match=r"log_odds has shape \(3, 2\) and Y \(3, 3\)"):
        select_cells(np.zeros((3, 2)), Y)
    with pytest.raises(ValueError, match="NaN"):
        select_cells(np.full((3, 3), np.nan), Y)


def test_select_cells_on_a_real_audit(goemotions_slice):
    """On 1,500 GoEmotions rows with 15% of the positives removed and a spurious label on
    3% of the rows: every selected cell is a likely issue, each label stays within its
    expected errors, rare labels keep their positives, no labelled row is emptied, and
    the selection is far more precise than chance."""
    texts = list(goemotions_slice.X_train)
    Y_noisy, flipped = inject_label_noise(goemotions_slice.Y_train, missing=0.15,
                                          spurious=0.03, random_state=3)
    result = audit(None, texts, Y_noisy, cv=3)
    lo = np.log(result.issue_scores) - np.log1p(-result.issue_scores)
    rows, cols = select_cells(lo, Y_noisy, expected_cap=True, max_share=None)
    p = result.issue_scores
    assert np.all(p[rows, cols] >= 0.5)
    assert np.all(np.diff(p[rows, cols]) <= 1e-12)  # ranking order
    chosen = np.zeros(Y_noisy.shape, dtype=bool)
    chosen[rows, cols] = True
    given1 = Y_noisy == 1
    for j in range(Y_noisy.shape[1]):
        assert chosen[~given1[:, j], j].sum() <= np.ceil(p[~given1[:, j], j].sum())
        assert chosen[given1[:, j], j].sum() <= np.ceil(p[given1[:, j], j].sum())
    rare = Y_noisy.sum(axis=0) < 10
    assert not (chosen & given1 & rare[None, :]).any()
    Y_fixed = np.where(chosen, 1 - Y_noisy, Y_noisy)
    assert not ((Y_noisy.sum(axis=1) > 0) & (Y_fixed.sum(axis=1) == 0)).any()
    # measured: 273 cells, 38% of them injected errors (0.7% of all cells are)
    precision = flipped[rows, cols].mean()
    assert flipped.mean() < 0.01
    assert len(rows) >= 50 and precision > 0.3
    # max_share="auto": no label takes more than its share of the expected errors among
    # the likely cells
    share = p[p >= 0.5].sum() / Y_noisy.sum()
    rows, cols = select_cells(lo, Y_noisy, max_share="auto")
    per_label = np.bincount(cols, minlength=Y_noisy.shape[1])
    assert np.all(per_label <= np.ceil(share * Y_noisy.sum(axis=0)))
    assert 0 < len(rows) < (p >= 0.5).sum()
