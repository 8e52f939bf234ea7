"""Thousands of labels: nothing in the audit, the metrics or the reports is quadratic in labels.

The problem has 5,000 labels built from real texts: the GoEmotions training comments,
each labelled with the words it contains among the 5,000 most frequent words of the
training split (about 10 labels per comment). With a few hundred rows every per-cell
array is small, so a peak of traced memory far below one ``5,000 x 5,000`` float64
matrix (200 MB) proves that no label-by-label object is built (the audit's co-occurrence
lift, its overlap counts, the reports' heatmaps all used to be one). The HTML pages are
rendered outside ``tracemalloc`` (matplotlib under tracing takes tens of seconds); what
they draw from is traced separately.
"""

import collections
import re
import time
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import metrics as skm
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from mlkit import BinaryRelevance, TfidfFeaturizer, ThresholdTuner
from mlkit._labels import cooccurrence_counts
from mlkit.datasets import load_goemotions

pytestmark = pytest.mark.usefixtures("single_blas_thread")

pd = pytest.importorskip("pandas")

N_LABELS = 5000
#: half of one n_labels x n_labels float64 matrix: a quadratic object cannot fit under it
BUDGET = N_LABELS * N_LABELS * 8 // 2


@pytest.fixture(scope="module")
def problem():
    train = load_goemotions("train")
    token = re.compile(r"[a-z]+")
    words = [set(token.findall(t.lower())) for t in train.data]
    df = collections.Counter(w for ws in words for w in ws)
    vocab = sorted(df, key=lambda w: (-df[w], w))[:N_LABELS]
    index = {w: j for j, w in enumerate(vocab)}
    n = 600
    Y = np.zeros((n, N_LABELS), dtype=np.int64)
    for i, ws in enumerate(words[:n]):
        Y[i, [index[w] for w in ws if w in index]] = 1
    return list(train.data[:n]), Y, np.asarray(vocab, dtype=object)


class _Traced:
    """Peak traced memory (bytes above the start) and seconds of a ``with`` block."""

    def __enter__(self):
        tracemalloc.start()
        self.base = tracemalloc.get_traced_memory()[0]
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.peak = tracemalloc.get_traced_memory()[1] - self.base
        tracemalloc.stop()


def _dense(X):
    return X.toarray()


def _fast_model():
    # RidgeClassifier solves all 5,000 labels in one call on dense features: the test
    # measures the audit, not 20,000 LinearSVC fits
    return make_pipeline(TfidfFeaturizer(max_features=300, char_ngram_range=None),
                         FunctionTransformer(_dense),
                         ThresholdTuner(BinaryRelevance(RidgeClassifier(solver="cholesky"))))


@pytest.fixture(scope="module")
def traced_audit(problem):
    from mlkit.insights import audit

    texts, Y, names = problem
    texts, Y = texts[:60], Y[:60]
    with _Traced() as traced:
        result = audit(_fast_model(), texts, Y, label_names=names, cv=3)
        tables = {name: getattr(result, name) for name in
                  ("label_health", "overlap", "cooccurrence_pairs", "label_issues")}
        tables["summary"] = result.summary()
        tables["edits"] = result.suggest_edits()
    return result, tables, traced


def test_audit_memory_is_not_quadratic_in_labels(traced_audit):
    result, tables, traced = traced_audit
    assert result.n_labels == N_LABELS
    assert traced.peak < BUDGET, f"audit peak {traced.peak / 1e6:.0f} MB"
    assert traced.seconds < 120  # about 10 s on 2 cores; a quadratic step takes minutes
    health = tables["label_health"]
    assert len(health) == N_LABELS
    np.testing.assert_array_equal(health["support"], result.Y.sum(axis=0))


def test_audit_pair_tables_match_dense_counts(traced_audit):
    result, tables, _ = traced_audit
    Y = result.Y
    names = list(result.label_names)
    pairs = tables["cooccurrence_pairs"]
    assert len(pairs) > 0 and pairs["n_rows"].is_monotonic_decreasing
    # the dense product, for the labels of the top pairs only
    for r in pairs.head(20).itertuples():
        a, b = names.index(r.label), names.index(r.other)
        assert r.n_rows == int((Y[:, a] & Y[:, b]).sum())
        assert r.share == pytest.approx(r.n_rows / Y[:, a].sum())
    ov = tables["overlap"]
    assert len(ov) > 0
    for r in ov.head(20).itertuples():
        a, b = names.index(r.label), names.index(r.confused_with)
        mask = (Y[:, a] == 1) & (Y[:, b] == 0)
        assert r.n_rows == mask.sum()
        assert r.n_confused == result.oof_pred[mask, b].sum()
        assert r.cooccurrence == int((Y[:, a] & Y[:, b]).sum())
        assert r.mean_proba == pytest.approx(result.oof_proba[mask, b].mean())
    # most_confused_with is the highest-rate pair of each label
    health = tables["label_health"]
    top = ov.sort_values(["rate", "n_confused"], ascending=False).iloc[0]
    assert health.loc[top["label"], "confusion_rate"] == pytest.approx(top["rate"])


def test_audit_html_draws_from_sparse_pairs(traced_audit, tmp_path):
    pytest.importorskip("matplotlib")
    from mlkit.insights._report import _overlap_matrix

    result = traced_audit[0]
    with _Traced() as traced:
        M = _overlap_matrix(result)
        C = cooccurrence_counts(result.Y)
    assert sp.issparse(M) and sp.issparse(C)
    assert M.nnz < 100_000 and C.nnz < 100_000
    assert traced.peak < BUDGET // 10
    path = result.to_html(tmp_path / "audit.html", max_rows=20, max_labels=100)
    page = path.read_text(encoding="utf-8")
    assert f"The first 100 of {N_LABELS} labels" in page
    section = page[page.index('id="label-health"'):page.index('id="overlap"')]
    assert section.count("<tr>") <= 101  # header + 100 labels
    assert path.stat().st_size < 2_000_000


def test_metrics_memory_is_not_quadratic_in_labels(problem):
    from mlkit.metrics import evaluate, per_label_report, roc_auc_score

    _, Y, names = problem
    Y = Y[:200]
    rng = np.random.RandomState(0)
    S = np.round(Y * 0.5 + rng.rand(*Y.shape), 2)  # ties, as probabilities have
    D = (S > 0.9).astype(np.int64)
    with _Traced() as traced:
        metrics = evaluate(Y, D, S)
        report = per_label_report(Y, D, label_names=names, y_score=S)
    assert traced.peak < BUDGET, f"metrics peak {traced.peak / 1e6:.0f} MB"
    assert traced.seconds < 120  # about 5 s; one scikit-learn call per label took minutes
    # the per-label curves are scikit-learn's, computed for blocks of labels at once
    defined = np.flatnonzero(Y.sum(axis=0) > 0)
    assert metrics["average_precision_macro"] == pytest.approx(
        np.mean(report.average_precision[defined]))
    cols = defined[:100]
    ap = [skm.average_precision_score(Y[:, j], S[:, j]) for j in cols]
    np.testing.assert_allclose(report.average_precision[cols], ap, rtol=1e-12)
    auc = roc_auc_score(Y, S, average=None)
    np.testing.assert_allclose(auc[cols], [skm.roc_auc_score(Y[:, j], S[:, j]) for j in cols],
                               rtol=1e-12)


def test_report_with_5000_labels(problem):
    pytest.importorskip("matplotlib")
    from mlkit.report import _cooccurrence, read_report_predictions, render_report

    texts, Y, names = problem
    texts, Y = texts[:410], Y[:410]
    rng = np.random.RandomState(0)
    S = np.clip(Y * 0.6 + rng.rand(*Y.shape) * 0.5, 0, 1)
    D = (S > 0.5).astype(np.int64)
    with _Traced() as traced:
        shares = _cooccurrence(Y)
    assert sp.issparse(shares) and traced.peak < BUDGET // 10
    page = render_report(texts, Y, D, S, label_names=names, max_label_rows=200, n_worst=5)
    assert f"most frequent of {N_LABELS} labels" in page
    per_label = page[page.index('id="per-label"'):page.index('id="pr-curves"')]
    assert per_label.count("<tr>") <= 201
    # 410 rows x 5,000 labels of scores are left out by default, the decisions kept
    assert "decisions only" in page
    D2, S2, names2 = read_report_predictions(page)
    np.testing.assert_array_equal(D2, D)
    assert S2 is None and len(names2) == N_LABELS
    assert len(page) < 3_000_000
    # asked for, the scores are embedded
    small = render_report(texts[:50], Y[:50], D[:50], S[:50], label_names=names,
                          embed_scores=True, max_label_rows=10, n_worst=1)
    np.testing.assert_allclose(read_report_predictions(small)[1], np.round(S[:50], 6))


def test_report_bad_limits(problem):
    from mlkit.report import render_report

    texts, Y, names = problem
    with pytest.raises(ValueError, match="embed_scores must be True, False or 'auto'"):
        render_report(texts[:5], Y[:5, :3], Y[:5, :3], embed_scores="yes")
    with pytest.raises(ValueError, match="max_label_rows must be a positive int or None"):
        render_report(texts[:5], Y[:5, :3], Y[:5, :3], max_label_rows=0)
