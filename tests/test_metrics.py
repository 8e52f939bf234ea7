"""Tests for mlkit.metrics: values against scikit-learn and hand computations,
sparse/dense agreement, input errors, and scorers inside scikit-learn's model selection."""

import csv
import gzip
import json
import pickle
import runpy
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import metrics as skm
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_limits

import mlkit
from mlkit import _compat
from mlkit import metrics as M

GOEMOTIONS = Path(mlkit.__file__).parent / "data" / "goemotions"


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------


def _read_goemotions(split, n_rows=None):
    names = (GOEMOTIONS / "emotions.txt").read_text().split()
    with gzip.open(GOEMOTIONS / f"{split}.tsv.gz", "rt", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    if n_rows is not None:
        rows = rows[:n_rows]
    Y = np.zeros((len(rows), len(names)), dtype=np.int64)
    for i, (_, ids, _) in enumerate(rows):
        Y[i, [int(j) for j in ids.split(",")]] = 1
    return Y, np.asarray(names, dtype=object)


@pytest.fixture(scope="module", autouse=True)
def _single_blas_thread():
    # the fits here are tiny: BLAS threads only add overhead, and on a busy machine
    # oversubscribed threads make a 50 ms fit take seconds
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def goemo():
    """200 real GoEmotions dev rows (nervousness and pride never occur) with synthetic,
    informative, tie-free scores."""
    Y, names = _read_goemotions("dev", n_rows=200)
    rng = np.random.RandomState(0)
    S = rng.uniform(size=Y.shape) * 0.7 + 0.35 * Y
    P = (S >= 0.5).astype(np.int64)
    return Y, P, S, names


@pytest.fixture(scope="module")
def toy_data():
    X, Y = make_multilabel_classification(random_state=0)
    return X, Y


@pytest.fixture
def restore_sklearn_registry():
    registry = _compat.SKLEARN_SCORER_REGISTRY
    saved = dict(registry)
    yield registry
    registry.clear()
    registry.update(saved)


# --------------------------------------------------------------------------
# threshold metrics
# --------------------------------------------------------------------------

Y_SMALL = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [1, 1, 0, 0]])
P_SMALL = np.array([[1, 0, 0, 0], [0, 1, 1, 0], [1, 0, 0, 0]])


def test_threshold_metrics_hand_computed():
    # tp = 3, fp = 1, fn = 2; label 3 has no positive anywhere
    assert M.precision_score(Y_SMALL, P_SMALL) == pytest.approx(3 / 4)
    assert M.recall_score(Y_SMALL, P_SMALL) == pytest.approx(3 / 5)
    assert M.f1_score(Y_SMALL, P_SMALL) == pytest.approx(2 * 3 / (2 * 3 + 1 + 2))
    np.testing.assert_allclose(M.recall_score(Y_SMALL, P_SMALL, average=None), [1, 0.5, 0, 0])
    np.testing.assert_allclose(M.precision_score(Y_SMALL, P_SMALL, average=None), [1, 1, 0, 0])
    assert M.f1_score(Y_SMALL, P_SMALL, average="macro") == pytest.approx((1 + 2 / 3) / 4)
    assert M.hamming_loss(Y_SMALL, P_SMALL) == pytest.approx(3 / 12)
    assert M.subset_accuracy(Y_SMALL, P_SMALL) == 0.0  # every row has an error
    assert M.subset_accuracy(Y_SMALL, np.vstack([Y_SMALL[:2], P_SMALL[2:]])) == pytest.approx(2 / 3)
    # per row |T & P| / |T | P|: 1/2, 1/2, 1/2
    assert M.jaccard_score(Y_SMALL, P_SMALL, average="samples") == pytest.approx(0.5)
    assert M.jaccard_score(Y_SMALL, P_SMALL, average="micro") == pytest.approx(3 / 6)


def test_labels_without_positives_never_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for func in (M.precision_score, M.recall_score, M.f1_score, M.jaccard_score):
            for average in ("micro", "macro", "weighted", "samples"):
                func(Y_SMALL, P_SMALL, average=average)
        M.evaluate(Y_SMALL, P_SMALL)
        M.per_label_report(Y_SMALL, P_SMALL)


@pytest.mark.parametrize(
    "func, sk_func",
    [
        (M.precision_score, skm.precision_score),
        (M.recall_score, skm.recall_score),
        (M.f1_score, skm.f1_score),
        (M.jaccard_score, skm.jaccard_score),
    ],
)
@pytest.mark.parametrize("average", ["micro", "macro", "weighted", "samples", None])
def test_threshold_metrics_match_sklearn_on_goemotions(goemo, func, sk_func, average):
    Y, P, _, _ = goemo
    expected = sk_func(Y, P, average=average, zero_division=0)
    np.testing.assert_allclose(func(Y, P, average=average), expected)


def test_hamming_and_subset_accuracy_match_sklearn(goemo):
    Y, P, _, _ = goemo
    w = np.linspace(0.5, 2, Y.shape[0])
    assert M.hamming_loss(Y, P) == pytest.approx(skm.hamming_loss(Y, P))
    assert M.subset_accuracy(Y, P) == pytest.approx(skm.accuracy_score(Y, P))
    assert M.subset_accuracy(Y, P, sample_weight=w) == pytest.approx(
        skm.accuracy_score(Y, P, sample_weight=w)
    )


# --------------------------------------------------------------------------
# ranking metrics from scikit-learn
# --------------------------------------------------------------------------


def test_ranking_metrics_match_sklearn_on_goemotions(goemo):
    Y, _, S, _ = goemo
    assert M.label_ranking_average_precision(Y, S) == pytest.approx(
        skm.label_ranking_average_precision_score(Y, S)
    )
    assert M.coverage_error(Y, S) == pytest.approx(skm.coverage_error(Y, S))
    assert M.label_ranking_loss(Y, S) == pytest.approx(skm.label_ranking_loss(Y, S))
    defined = Y.sum(axis=0) > 0
    assert not defined.all()  # the slice misses rare labels: the interesting case
    expected_ap = [skm.average_precision_score(Y[:, j], S[:, j]) for j in np.flatnonzero(defined)]
    assert M.average_precision_score(Y, S) == pytest.approx(np.mean(expected_ap))
    assert M.average_precision_score(Y, S, average="micro") == pytest.approx(
        skm.average_precision_score(Y, S, average="micro")
    )
    expected_auc = [skm.roc_auc_score(Y[:, j], S[:, j]) for j in np.flatnonzero(defined)]
    assert M.roc_auc_score(Y, S) == pytest.approx(np.mean(expected_auc))
    assert M.roc_auc_score(Y, S, average="micro") == pytest.approx(
        skm.roc_auc_score(Y, S, average="micro")
    )
    support = Y.sum(axis=0)[defined]
    assert M.roc_auc_score(Y, S, average="weighted") == pytest.approx(
        np.average(expected_auc, weights=support)
    )
    # on labels that all have positives, macro equals scikit-learn's macro
    cols = np.flatnonzero(defined)
    assert M.average_precision_score(Y[:, cols], S[:, cols]) == pytest.approx(
        skm.average_precision_score(Y[:, cols], S[:, cols])
    )
    assert M.roc_auc_score(Y[:, cols], S[:, cols]) == pytest.approx(
        skm.roc_auc_score(Y[:, cols], S[:, cols])
    )


def test_roc_auc_and_average_precision_skip_undefined_labels():
    y_true = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 1], [0, 0, 1]])
    y_score = np.array([[0.9, 0.1, 0.2], [0.4, 0.5, 0.3], [0.3, 0.6, 0.1], [0.1, 0.2, 0.3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        auc = M.roc_auc_score(y_true, y_score, average=None)
        ap = M.average_precision_score(y_true, y_score, average=None)
        macro = M.roc_auc_score(y_true, y_score)
    # label 0: positives 0.9, 0.3 vs negatives 0.4, 0.1 -> 3 of 4 pairs right
    np.testing.assert_allclose(auc, [0.75, 1.0, np.nan])
    assert macro == pytest.approx(0.875)
    # label 2 is always positive: AP is defined (1.0), AUC is not
    np.testing.assert_allclose(ap, [(1 + 2 / 3) / 2, 1.0, 1.0])
    y_zero = np.zeros((3, 2), dtype=int)
    with pytest.warns(UndefinedMetricWarning, match="undefined for every label"):
        assert np.isnan(M.roc_auc_score(y_zero, np.ones((3, 2))))
    with pytest.warns(UndefinedMetricWarning, match="no positive"):
        assert np.isnan(M.average_precision_score(y_zero, np.ones((3, 2)), average="micro"))


# --------------------------------------------------------------------------
# precision@k, recall@k, nDCG@k
# --------------------------------------------------------------------------


def _reference_at_k(Y, S, k):
    """Slow, obvious reference: rank by (-score, column), skip empty rows."""
    p, r, n = [], [], []
    for y, s in zip(Y, S, strict=True):
        n_pos = int(y.sum())
        if n_pos == 0:
            continue
        order = sorted(range(len(y)), key=lambda j: (-s[j], j))[:k]
        hits = [int(y[j]) for j in order]
        kk = min(k, len(y))
        p.append(sum(hits) / kk)
        r.append(sum(hits) / n_pos)
        dcg = sum(h / np.log2(i + 2) for i, h in enumerate(hits))
        idcg = sum(1 / np.log2(i + 2) for i in range(min(n_pos, kk)))
        n.append(dcg / idcg)
    return np.mean(p), np.mean(r), np.mean(n)


def test_at_k_hand_checked_with_ties_and_empty_rows():
    y_true = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]])
    y_score = np.array(
        [
            [0.9, 0.8, 0.1, 0.0],
            [0.5, 0.5, 0.2, 0.5],  # three-way tie: column order ranks 0, 1, 3
            [0.1, 0.2, 0.3, 0.4],  # no true label: left out
        ]
    )
    assert M.precision_at_k(y_true, y_score, k=1) == pytest.approx((1 + 0) / 2)
    assert M.precision_at_k(y_true, y_score, k=2) == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert M.recall_at_k(y_true, y_score, k=2) == pytest.approx((1 / 2 + 1) / 2)
    assert M.recall_at_k(y_true, y_score, k=1) == pytest.approx(1 / 4)
    ndcg_row0 = 1 / (1 + 1 / np.log2(3))  # hit at rank 1 of 2 possible
    ndcg_row1 = (1 / np.log2(3)) / 1  # hit at rank 2, one true label
    assert M.ndcg_at_k(y_true, y_score, k=2) == pytest.approx((ndcg_row0 + ndcg_row1) / 2)
    # k = 3 reaches label 2 of row 0
    ndcg3_row0 = (1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3))
    assert M.ndcg_at_k(y_true, y_score, k=3) == pytest.approx((ndcg3_row0 + ndcg_row1) / 2)
    # the tie is broken the same way whatever the row order
    perm = [1, 0, 2]
    for func in (M.precision_at_k, M.recall_at_k, M.ndcg_at_k):
        assert func(y_true[perm], y_score[perm], k=1) == func(y_true, y_score, k=1)


def test_at_k_clips_k_to_the_number_of_labels():
    y_true = np.array([[1, 0, 1], [0, 1, 0]])
    y_score = np.array([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]])
    assert M.precision_at_k(y_true, y_score, k=10) == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert M.precision_at_k(y_true, y_score, k=10) == M.precision_at_k(y_true, y_score, k=3)
    assert M.recall_at_k(y_true, y_score, k=10) == 1.0
    assert M.ndcg_at_k(y_true, y_score, k=10) == M.ndcg_at_k(y_true, y_score, k=3)


def test_at_k_all_rows_empty_is_nan_with_warning():
    with pytest.warns(UndefinedMetricWarning, match="no row of y_true has a positive"):
        assert np.isnan(M.recall_at_k(np.zeros((2, 3), dtype=int), np.ones((2, 3)), k=1))


def test_at_k_sample_weight_weights_rows():
    y_true = np.array([[1, 0], [0, 1], [0, 0]])
    y_score = np.array([[0.9, 0.1], [0.9, 0.1], [0.5, 0.5]])
    # row 0 hits, row 1 misses, row 2 is left out whatever its weight
    assert M.precision_at_k(y_true, y_score, k=1, sample_weight=[3, 1, 100]) == pytest.approx(0.75)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 30])
def test_at_k_match_reference_on_goemotions_with_ties(goemo, k):
    Y, _, S, _ = goemo
    S_tied = np.round(S, 1)  # many ties
    Y = Y.copy()
    Y[:5] = 0  # a few empty rows
    expected = _reference_at_k(Y, S_tied, k)
    got = (
        M.precision_at_k(Y, S_tied, k=k),
        M.recall_at_k(Y, S_tied, k=k),
        M.ndcg_at_k(Y, S_tied, k=k),
    )
    np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_ndcg_matches_sklearn_without_ties(goemo, k):
    Y, _, S, _ = goemo
    assert (Y.sum(axis=1) > 0).all()  # every GoEmotions row has a label
    assert M.ndcg_at_k(Y, S, k=k) == pytest.approx(skm.ndcg_score(Y, S, k=k))


def test_precision_at_1_equals_top_1_hit_rate(goemo):
    Y, _, S, _ = goemo
    top = S.argmax(axis=1)
    assert M.precision_at_k(Y, S, k=1) == pytest.approx(Y[np.arange(len(Y)), top].mean())


# --------------------------------------------------------------------------
# label statistics
# --------------------------------------------------------------------------


def test_label_cardinality_and_density_on_goemotions_dev():
    Y, names = _read_goemotions("dev")
    # published in the dataset's SOURCE.md: dev has 5,426 rows, cardinality 1.1758
    assert Y.shape == (5426, 28)
    assert M.label_cardinality(Y) == pytest.approx(1.1758, abs=5e-5)
    assert M.label_density(Y) == pytest.approx(M.label_cardinality(Y) / 28)
    assert M.label_cardinality(sp.csr_matrix(Y)) == M.label_cardinality(Y)
    lists = [names[row.astype(bool)].tolist() for row in Y[:50]]
    assert M.label_cardinality(lists) == pytest.approx(Y[:50].sum() / 50)


# --------------------------------------------------------------------------
# sparse, dense and other label forms
# --------------------------------------------------------------------------


def test_sparse_and_dense_inputs_give_identical_results(goemo):
    Y, P, S, names = goemo
    S_sparse = sp.csr_matrix(np.where(S > 0.3, S, 0.0))
    S_dense = S_sparse.toarray()
    dense = M.evaluate(Y, P, S_dense)
    for y, p, s in [
        (sp.csr_matrix(Y), sp.csr_matrix(P), S_sparse),
        (sp.csc_matrix(Y), P, sp.lil_matrix(S_dense)),
        (Y, sp.csr_matrix(P), S_sparse),
    ]:
        assert M.evaluate(y, p, s) == dense
    rep_dense = M.per_label_report(Y, P, y_score=S_dense, label_names=names).to_dict()
    rep_sparse = M.per_label_report(
        sp.csr_matrix(Y), sp.csr_matrix(P), y_score=S_sparse, label_names=names
    ).to_dict()
    assert json.dumps(rep_dense) == json.dumps(rep_sparse)
    for func in (M.f1_score, M.jaccard_score):
        np.testing.assert_array_equal(
            func(sp.csr_matrix(Y), sp.csr_matrix(P), average=None), func(Y, P, average=None)
        )


def test_label_forms_dataframe_and_label_lists(goemo):
    pd = pytest.importorskip("pandas")
    Y, P, S, names = goemo
    frame = pd.DataFrame(Y, columns=names)
    assert M.f1_score(frame, P, average="macro") == M.f1_score(Y, P, average="macro")
    lists = [names[row.astype(bool)].tolist() for row in Y]
    assert M.evaluate(lists, P, S, label_names=names) == M.evaluate(Y, P, S)
    report = M.per_label_report(frame, P)
    assert list(report.label_names) == list(names)
    # label lists alone name only the labels they contain: a clear error, not a silent mismatch
    with pytest.raises(ValueError, match=r"labels_to_indicator\(y_true, label_names="):
        M.evaluate(lists[:3], P[:3], S[:3])


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------


def test_bad_inputs_raise_clear_errors(goemo):
    Y, P, S, _ = goemo
    with pytest.raises(ValueError, match="y_true has 28 label columns but y_score has 27"):
        M.precision_at_k(Y, S[:, :27], k=3)
    with pytest.raises(ValueError, match="y_true has 28 label columns but y_pred has 27"):
        M.f1_score(Y, P[:, :27])
    with pytest.raises(ValueError, match="y_true has 200 rows but y_pred has 199"):
        M.hamming_loss(Y, P[:199])
    with pytest.raises(ValueError, match=r"y_pred contains values other than 0 and 1.*y_score"):
        M.f1_score(Y, S)
    with pytest.raises(ValueError, match="y_pred is 1-D with 200 values"):
        M.f1_score(Y, P[:, 0])
    with pytest.raises(TypeError, match="y_pred holds non-numeric values"):
        M.f1_score([[1, 0]], [["joy"]])
    with pytest.raises(ValueError, match=r"Invalid y_true: .*other than 0 and 1"):
        M.f1_score(Y * 2, P)
    S_nan = S.copy()
    S_nan[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"y_score contains NaN \(in 1 row\(s\), first row 3\)"):
        M.ndcg_at_k(Y, S_nan, k=3)
    with pytest.raises(ValueError, match="positive integer; got k=0"):
        M.precision_at_k(Y, S, k=0)
    with pytest.raises(ValueError, match="positive integer; got k=1.5"):
        M.recall_at_k(Y, S, k=1.5)
    with pytest.raises(ValueError, match=r"average='binary'; expected one of"):
        M.f1_score(Y, P, average="binary")
    with pytest.raises(ValueError, match=r"average='samples'; expected one of"):
        M.roc_auc_score(Y, S, average="samples")
    with pytest.raises(ValueError, match="needs y_pred .* got neither"):
        M.evaluate(Y)
    with pytest.raises(ValueError, match="thresholds has shape"):
        M.per_label_report(Y, P, thresholds=[0.5, 0.5])
    with pytest.raises(ValueError, match="sort_by='auc' is not a column"):
        M.per_label_report(Y, P).to_string(sort_by="auc")
    with pytest.raises(TypeError, match="list of 2 2-D arrays"):
        M.label_ranking_average_precision(Y[:, :2], [S[:, :2], S[:, :2]])


# --------------------------------------------------------------------------
# per-label report, evaluate, format_metrics
# --------------------------------------------------------------------------


def test_per_label_report_values_and_outputs(goemo):
    Y, P, S, names = goemo
    thresholds = np.full(28, 0.5)
    report = M.per_label_report(Y, P, label_names=names, thresholds=thresholds, y_score=S)
    p, r, f, support = skm.precision_recall_fscore_support(Y, P, average=None, zero_division=0)
    np.testing.assert_allclose(report.precision, p)
    np.testing.assert_allclose(report.recall, r)
    np.testing.assert_allclose(report.f1, f)
    np.testing.assert_array_equal(report.support, support)
    np.testing.assert_array_equal(report.n_predicted, P.sum(axis=0))
    np.testing.assert_allclose(
        report.average_precision, M.average_precision_score(Y, S, average=None)
    )
    assert report.summary["micro avg"]["f1"] == pytest.approx(M.f1_score(Y, P))
    assert report.summary["macro avg"]["f1"] == pytest.approx(M.f1_score(Y, P, average="macro"))
    assert report.summary["macro avg"]["average_precision"] == pytest.approx(
        M.average_precision_score(Y, S)
    )

    d = report.to_dict()
    assert list(d)[:2] == ["admiration", "amusement"] and list(d)[-2:] == ["micro avg", "macro avg"]
    assert d["pride"]["support"] == 0 and np.isnan(d["pride"]["average_precision"])
    assert d["micro avg"]["threshold"] is None
    json.dumps(d)  # plain Python types only

    text = str(report)
    lines = text.splitlines()
    assert lines[0].split() == [
        "label",
        "support",
        "n_predicted",
        "precision",
        "recall",
        "f1",
        "threshold",
        "average_precision",
    ]
    assert len(lines) == 1 + 28 + 1 + 2
    # right-aligned columns: every label line ends at the header's width
    widths = {len(line) for line in lines[1:29]}
    assert widths == {len(lines[0])}
    assert lines[-1].startswith("macro avg")
    assert "pride" in text
    worst_first = report.to_string(sort_by="f1").splitlines()[1]
    assert float(worst_first.split()[5]) == pytest.approx(f.min(), abs=1e-3)
    assert "28 labels" in repr(report)


def test_per_label_report_to_frame(goemo):
    pytest.importorskip("pandas")
    Y, P, S, names = goemo
    frame = M.per_label_report(Y, P, label_names=names, y_score=S).to_frame()
    assert frame.shape == (30, 6)
    assert list(frame.columns) == [
        "support",
        "n_predicted",
        "precision",
        "recall",
        "f1",
        "average_precision",
    ]
    assert frame.index[-1] == "macro avg"
    assert frame.loc["joy", "support"] == Y[:, list(names).index("joy")].sum()


def test_to_frame_without_pandas_names_the_install(monkeypatch):
    report = M.per_label_report(Y_SMALL, P_SMALL)
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(ImportError, match="pip install pandas"):
        report.to_frame()


def test_evaluate_matches_individual_metrics(goemo):
    Y, P, S, _ = goemo
    result = M.evaluate(Y, P, S, k=(1, 3))
    assert list(result) == [
        "f1_micro",
        "f1_macro",
        "precision_micro",
        "precision_macro",
        "recall_micro",
        "recall_macro",
        "hamming_loss",
        "subset_accuracy",
        "jaccard_samples",
        "lrap",
        "coverage_error",
        "label_ranking_loss",
        "average_precision_macro",
        "roc_auc_macro",
        "precision_at_1",
        "precision_at_3",
        "recall_at_1",
        "recall_at_3",
        "ndcg_at_1",
        "ndcg_at_3",
    ]
    for name, value in result.items():
        assert isinstance(value, float)
        assert value == pytest.approx(
            M.get_metric(name)(Y, S if M.get_metric(name).needs_scores else P)
        ), name
    assert list(M.evaluate(Y, y_score=S, k=2))[-1] == "ndcg_at_2"
    assert "lrap" not in M.evaluate(Y, P)


def test_format_metrics_tables():
    table = M.format_metrics({"f1_micro": 0.51234, "roc_auc_macro": float("nan")}, digits=3)
    assert table.splitlines() == [
        "metric         value",
        "f1_micro       0.512",
        "roc_auc_macro      -",
    ]
    both = M.format_metrics({"a": {"f1_micro": 0.5}, "b": {"f1_micro": 0.25, "lrap": 0.9}})
    assert both.splitlines() == [
        "metric         a       b",
        "f1_micro  0.5000  0.2500",
        "lrap              0.9000",
    ]
    with pytest.raises(TypeError, match="expects a dict"):
        M.format_metrics([0.5])


# --------------------------------------------------------------------------
# scorers
# --------------------------------------------------------------------------


class _SparseOutput(OneVsRestClassifier):
    """A multi-label classifier with scikit-multilearn's sparse outputs."""

    def predict(self, X):
        return sp.lil_matrix(super().predict(X))

    def predict_proba(self, X):
        return sp.lil_matrix(super().predict_proba(X))


def test_scorer_names_and_lookup_errors():
    names = M.get_scorer_names()
    for name in (
        "f1_micro",
        "f1_macro",
        "precision_samples",
        "jaccard_samples",
        "neg_hamming_loss",
        "subset_accuracy",
        "lrap",
        "neg_coverage_error",
        "neg_label_ranking_loss",
        "average_precision_macro",
        "roc_auc_macro",
        "precision_at_3",
        "recall_at_5",
        "ndcg_at_10",
    ):
        assert name in names
    assert M.get_scorer("ndcg_at_7").kwargs == {"k": 7}  # any k
    assert M.get_scorer("accuracy") is not None  # scikit-learn names pass through
    with pytest.raises(ValueError, match="Did you mean 'precision_at_3'"):
        M.get_scorer("precison_at_3")
    with pytest.raises(ValueError, match="not a known metric name"):
        M.get_metric("auc")
    with pytest.raises(TypeError, match="list of scorer names"):
        M.make_scorers(3)


def test_every_scorer_matches_its_metric(toy_data):
    X, Y = toy_data
    clf = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    pred, proba = clf.predict(X), clf.predict_proba(X)
    sparse_clf = _SparseOutput(LogisticRegression()).fit(X, Y)
    for name in M.get_scorer_names():
        scorer = M.get_scorer(name)
        metric_name = name[4:] if name.startswith("neg_") else name
        metric = M.get_metric(metric_name)
        expected = metric(Y, proba if metric.needs_scores else pred)
        sign = 1 if metric.greater_is_better else -1
        assert scorer(clf, X, Y) == pytest.approx(sign * expected), name
        assert scorer(sparse_clf, X, Y) == pytest.approx(sign * expected), name


def test_scorer_handles_list_predict_proba_and_decision_function(toy_data):
    X, Y = toy_data
    knn = KNeighborsClassifier().fit(X, Y)  # predict_proba: list of (n, 2) arrays
    proba = np.column_stack([p[:, 1] for p in knn.predict_proba(X)])
    assert M.get_scorer("lrap")(knn, X, Y) == pytest.approx(
        M.label_ranking_average_precision(Y, proba)
    )
    from sklearn.linear_model import RidgeClassifier

    ridge = RidgeClassifier().fit(X, Y)  # decision_function only
    assert M.get_scorer("ndcg_at_3")(ridge, X, Y) == pytest.approx(
        M.ndcg_at_k(Y, ridge.decision_function(X), k=3)
    )


def test_scorers_in_cross_validate_and_pickle(toy_data):
    X, Y = toy_data
    names = ["f1_macro", "neg_hamming_loss", "lrap", "precision_at_1", "roc_auc_macro"]
    scorers = pickle.loads(pickle.dumps(M.make_scorers(names)))
    res = cross_validate(OneVsRestClassifier(LogisticRegression()), X, Y, cv=3, scoring=scorers)
    for name in names:
        assert res[f"test_{name}"].shape == (3,)
        assert np.isfinite(res[f"test_{name}"]).all()
    assert (res["test_neg_hamming_loss"] < 0).all()
    combined = M.make_combined_scorer(names)
    res2 = cross_validate(OneVsRestClassifier(LogisticRegression()), X, Y, cv=3, scoring=combined)
    for name in names:
        np.testing.assert_allclose(res2[f"test_{name}"], res[f"test_{name}"])


def test_combined_scorer_predicts_once_per_method(toy_data):
    X, Y = toy_data
    calls = {"predict": 0, "predict_proba": 0}

    class Counting(OneVsRestClassifier):
        def predict(self, X):
            calls["predict"] += 1
            return super().predict(X)

        def predict_proba(self, X):
            calls["predict_proba"] += 1
            return super().predict_proba(X)

    clf = Counting(LogisticRegression()).fit(X, Y)
    scores = M.make_combined_scorer(["f1_micro", "f1_macro", "lrap", "ndcg_at_3"])(clf, X, Y)
    assert set(scores) == {"f1_micro", "f1_macro", "lrap", "ndcg_at_3"}
    assert calls == {"predict": 1, "predict_proba": 1}


def test_grid_search_with_two_jobs(toy_data):
    X, Y = toy_data
    grid = {"estimator__C": [0.05, 1.0]}
    scoring = M.make_scorers(["precision_at_1", "f1_macro", "neg_coverage_error"])
    results = []
    for n_jobs in (1, 2):
        search = GridSearchCV(
            OneVsRestClassifier(LogisticRegression()),
            grid,
            scoring=scoring,
            refit="precision_at_1",
            cv=3,
            n_jobs=n_jobs,
        ).fit(X, Y)
        results.append(search.cv_results_)
    for key in ("mean_test_precision_at_1", "mean_test_f1_macro", "mean_test_neg_coverage_error"):
        np.testing.assert_allclose(results[1][key], results[0][key])
        assert np.isfinite(results[1][key]).all()


def test_register_scorers_is_opt_in_and_idempotent(toy_data, restore_sklearn_registry, capsys):
    registry = restore_sklearn_registry
    for name in [n for n, s in registry.items() if isinstance(s, M.MultilabelScorer)]:
        del registry[name]  # in case another test registered them
    before = dict(registry)
    runpy.run_path(M.__file__)  # execute the module's top level again, in a fresh namespace
    assert registry == before  # importing mlkit.metrics registers nothing ...
    assert capsys.readouterr() == ("", "")  # ... and prints nothing

    sklearn_f1 = registry["f1_micro"]
    first = M.register_scorers()
    snapshot = dict(registry)
    second = M.register_scorers()
    assert first == second
    assert registry == snapshot and all(registry[n] is snapshot[n] for n in snapshot)
    assert registry["f1_micro"] is sklearn_f1  # scikit-learn's own names are left alone
    assert "f1_micro" not in first
    assert {"lrap", "precision_at_3", "neg_coverage_error", "roc_auc_macro"} <= set(first)
    assert skm.get_scorer("precision_at_3").name == "precision_at_3"

    X, Y = toy_data
    res = cross_validate(
        OneVsRestClassifier(LogisticRegression()), X, Y, cv=2, scoring=["precision_at_3", "lrap"]
    )
    assert res["test_precision_at_3"].shape == (2,)


def test_register_scorers_plain_string_in_grid_search(toy_data, restore_sklearn_registry):
    if not hasattr(_compat, "extend_scoring_name_options"):
        pytest.skip(
            "scikit-learn validates scoring='name' against names frozen at import; a single "
            "string needs mlkit._compat.extend_scoring_name_options (lists already work)"
        )
    M.register_scorers()
    X, Y = toy_data
    search = GridSearchCV(
        OneVsRestClassifier(LogisticRegression()),
        {"estimator__C": [0.1, 1.0]},
        scoring="precision_at_1",
        cv=2,
    ).fit(X, Y)
    assert 0 < search.best_score_ <= 1


def test_doc_examples_run(restore_sklearn_registry):
    # the numpydoc examples are part of the contract: run them here too
    import doctest

    results = doctest.testmod(M, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert results.failed == 0
    assert results.attempted > 20
