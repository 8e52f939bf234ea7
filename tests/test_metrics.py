"""Tests for mlkit.metrics: values against scikit-learn and hand computations,
sparse/dense agreement, input errors, and scorers inside scikit-learn's model selection."""

import csv
import gzip
import importlib
import json
import pickle
import pkgutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn import metrics as skm
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
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


def _scoring_name_options():
    """The StrOptions sets behind scikit-learn's ``scoring="name"`` validation."""
    from sklearn.utils._param_validation import StrOptions

    constraints = [
        GridSearchCV._parameter_constraints,
        cross_validate._skl_parameter_constraints,
        skm.check_scoring._skl_parameter_constraints,
    ]
    return [
        c.options
        for group in constraints
        for c in group["scoring"]
        if isinstance(c, StrOptions) and "f1_micro" in c.options
    ]


@pytest.fixture
def restore_sklearn_registry():
    """Undo what the deprecated register_scorers writes into scikit-learn."""
    registry = _compat.SKLEARN_SCORER_REGISTRY
    saved = dict(registry)
    options = _scoring_name_options()
    saved_options = [set(o) for o in options]
    yield registry
    registry.clear()
    registry.update(saved)
    for o, before in zip(options, saved_options, strict=True):
        o.intersection_update(before)


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


@pytest.mark.parametrize("weights", [None, "float", "int_with_zeros"])
def test_per_label_curves_equal_sklearn_with_ties_and_weights(weights, monkeypatch):
    """AP and ROC-AUC are computed for blocks of labels at once (thousands of labels in
    seconds); per label they equal scikit-learn's, ties and sample weights included."""
    from mlkit.metrics import _ranking

    monkeypatch.setattr(_ranking, "_BLOCK_CELLS", 7 * 40)  # several blocks of 7 labels
    rng = np.random.RandomState(3)
    Y = (rng.rand(40, 30) < 0.3).astype(int)
    S = np.round(rng.randn(40, 30) + Y, 1)  # many tied scores
    w = {None: None, "float": rng.rand(40) * 3,
         "int_with_zeros": rng.randint(0, 3, 40).astype(float)}[weights]
    ap = M.average_precision_score(Y, S, average=None, sample_weight=w)
    auc = M.roc_auc_score(Y, S, average=None, sample_weight=w)
    for j in range(Y.shape[1]):
        if Y[:, j].any():
            assert ap[j] == pytest.approx(
                skm.average_precision_score(Y[:, j], S[:, j], sample_weight=w), abs=1e-12)
        if 0 < Y[:, j].sum() < len(Y):
            assert auc[j] == pytest.approx(
                skm.roc_auc_score(Y[:, j], S[:, j], sample_weight=w), abs=1e-12)


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


class _Counting(OneVsRestClassifier):
    """Counts its predict and predict_proba calls in ``self.calls``."""

    def predict(self, X):
        self.calls["predict"] += 1
        return super().predict(X)

    def predict_proba(self, X):
        self.calls["predict_proba"] += 1
        return super().predict_proba(X)


def _counting(X, Y):
    clf = _Counting(LogisticRegression()).fit(X, Y)
    clf.calls = {"predict": 0, "predict_proba": 0}
    return clf


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
    clf = _counting(X, Y)
    scores = M.make_combined_scorer(["f1_micro", "f1_macro", "lrap", "ndcg_at_3"])(clf, X, Y)
    assert set(scores) == {"f1_micro", "f1_macro", "lrap", "ndcg_at_3"}
    assert clf.calls == {"predict": 1, "predict_proba": 1}


def test_dict_of_scorers_predicts_once_per_method(toy_data):
    # inside scikit-learn's multi-metric scorer (what GridSearchCV and cross_validate
    # build from a dict), mlkit's scorers share one call per prediction method
    X, Y = toy_data
    clf = _counting(X, Y)
    names = ["f1_micro", "f1_macro", "lrap", "ndcg_at_3"]
    scores = skm.check_scoring(clf, scoring=M.scorers(names))(clf, X, Y)
    assert clf.calls == {"predict": 1, "predict_proba": 1}
    assert scores == {name: M.get_scorer(name)(clf, X, Y) for name in names}


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


# --------------------------------------------------------------------------
# scorers by name, without touching scikit-learn's registry
# --------------------------------------------------------------------------


def test_scorers_resolves_names_lists_and_dicts(toy_data):
    X, Y = toy_data
    clf = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    single = M.scorers("precision_at_3")
    assert isinstance(single, M.MultilabelScorer) and single.kwargs == {"k": 3}
    mixed = M.scorers(["f1_macro", "precision_at_3", "accuracy"])
    assert list(mixed) == ["f1_macro", "precision_at_3", "accuracy"]
    assert isinstance(mixed["precision_at_3"], M.MultilabelScorer)
    # a scikit-learn name gives scikit-learn's scorer (accuracy is subset accuracy here)
    assert mixed["accuracy"](clf, X, Y) == pytest.approx(M.subset_accuracy(Y, clf.predict(X)))
    mine = M.get_scorer("lrap")
    keyed = M.scorers({"p1": "precision_at_1", "mine": mine, "acc": "accuracy"})
    assert keyed["mine"] is mine and keyed["p1"].kwargs == {"k": 1}
    assert M.scorers(None) is None and M.scorers(mine) is mine
    res = cross_validate(
        OneVsRestClassifier(LogisticRegression()), X, Y, cv=2, scoring=M.scorers("ndcg_at_2")
    )
    assert np.isfinite(res["test_score"]).all()
    with pytest.raises(ValueError, match=r"duplicated names \['lrap'\]"):
        M.scorers(["lrap", "f1_macro", "lrap"])
    with pytest.raises(TypeError, match="pass a dict"):
        M.scorers(["lrap", mine])
    with pytest.raises(TypeError, match="each value must be a scorer name"):
        M.scorers({"x": 3})
    with pytest.raises(ValueError, match="empty dict"):
        M.scorers({})
    with pytest.raises(ValueError, match=r"Did you mean 'accuracy'.*scikit-learn's names"):
        M.scorers("acuracy")


def test_grid_search_on_text_pipeline_scored_by_mlkit_names(goemotions_slice):
    from mlkit import BinaryRelevance, TfidfFeaturizer

    d = goemotions_slice
    X, Y = d.X_train[:400], d.Y_train[:400]
    names_before = skm.get_scorer_names()
    options_before = [set(o) for o in _scoring_name_options()]
    pipe = make_pipeline(
        TfidfFeaturizer(), BinaryRelevance(LogisticRegression(solver="liblinear"))
    )
    search = GridSearchCV(
        pipe,
        {"binaryrelevance__estimator__C": [0.1, 10.0]},
        scoring=M.scorers(["f1_macro", "precision_at_3", "accuracy"]),
        refit="f1_macro",
        cv=KFold(3, shuffle=True, random_state=0),
        error_score="raise",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # labels absent from a training fold
        search.fit(X, Y)
    res = search.cv_results_
    for name in ("f1_macro", "precision_at_3", "accuracy"):
        assert np.isfinite(res[f"mean_test_{name}"]).all(), name
    # a weakly regularized model finds more of the 28 labels in 400 short texts
    f1_weak, f1_strong = res["mean_test_f1_macro"]
    assert f1_strong > f1_weak + 0.02
    assert search.best_params_ == {"binaryrelevance__estimator__C": 10.0}
    p_at_3 = search.best_estimator_.predict_proba(d.X_test)
    assert M.scorers("precision_at_3")(search.best_estimator_, d.X_test, d.Y_test) == (
        pytest.approx(M.precision_at_k(d.Y_test, p_at_3, k=3))
    )
    # scikit-learn's registry and parameter validation are untouched
    assert skm.get_scorer_names() == names_before
    assert "precision_at_3" not in skm.get_scorer_names()
    assert [set(o) for o in _scoring_name_options()] == options_before
    with pytest.raises(ValueError, match="'scoring' parameter of GridSearchCV must be"):
        GridSearchCV(pipe, {}, scoring="precision_at_3").fit(X, Y)


def test_importing_mlkit_metrics_touches_nothing_in_sklearn():
    code = (
        "import sklearn.metrics as skm; before = skm.get_scorer_names(); "
        "import mlkit.metrics; assert skm.get_scorer_names() == before, 'registered names'"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert (out.stdout, out.stderr) == ("", "")  # ... and prints nothing


# --------------------------------------------------------------------------
# sample_weight: passed along by scikit-learn, routed when routing is enabled
# --------------------------------------------------------------------------


def test_scorers_take_sample_weight_without_routing(toy_data):
    X, Y = toy_data
    w = np.random.RandomState(0).uniform(0.1, 3.0, size=len(Y))
    clf = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    pred, proba = clf.predict(X), clf.predict_proba(X)
    expected_p1 = M.precision_at_k(Y, proba, k=1, sample_weight=w)
    assert expected_p1 != pytest.approx(M.precision_at_k(Y, proba, k=1))
    multi = skm.check_scoring(clf, scoring=M.scorers(["precision_at_1", "f1_macro"]))
    got = multi(clf, X, Y, sample_weight=w)
    assert got["precision_at_1"] == pytest.approx(expected_p1)
    assert got["f1_macro"] == pytest.approx(M.f1_score(Y, pred, average="macro", sample_weight=w))
    assert M.get_scorer("precision_at_1")(clf, X, Y, w) == pytest.approx(expected_p1)
    combined = M.make_combined_scorer(["precision_at_1"])(clf, X, Y, sample_weight=w)
    assert combined["precision_at_1"] == pytest.approx(expected_p1)


def test_grid_search_passes_fit_sample_weight_to_the_scorers(toy_data):
    # without routing, GridSearchCV.fit(..., sample_weight=w) weights the test rows too
    from sklearn.multioutput import MultiOutputClassifier

    X, Y = toy_data
    w = np.random.RandomState(1).uniform(0.1, 3.0, size=len(Y))
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        MultiOutputClassifier(LogisticRegression()),
        {"estimator__C": [1.0]},
        scoring=M.scorers(["precision_at_1", "lrap"]),
        refit=False,
        cv=cv,
    ).fit(X, Y, sample_weight=w)
    for i, (train, test) in enumerate(cv.split(X, Y)):
        fold = MultiOutputClassifier(LogisticRegression()).fit(X[train], Y[train], w[train])
        proba = np.column_stack([p[:, 1] for p in fold.predict_proba(X[test])])
        assert search.cv_results_[f"split{i}_test_precision_at_1"][0] == pytest.approx(
            M.precision_at_k(Y[test], proba, k=1, sample_weight=w[test])
        )
        assert search.cv_results_[f"split{i}_test_lrap"][0] == pytest.approx(
            M.label_ranking_average_precision(Y[test], proba, sample_weight=w[test])
        )


def test_scorers_route_sample_weight_when_requested(toy_data):
    X, Y = toy_data
    w = np.random.RandomState(0).uniform(0.1, 3.0, size=len(Y))
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        est = OneVsRestClassifier(LogisticRegression().set_fit_request(sample_weight=False))
        scoring = {
            "weighted": M.get_scorer("precision_at_1").set_score_request(sample_weight=True),
            "unweighted": M.get_scorer("precision_at_1").set_score_request(sample_weight=False),
            "f1": M.get_scorer("f1_macro").set_score_request(sample_weight=True),
        }
        res = cross_validate(
            est, X, Y, cv=cv, scoring=scoring, params={"sample_weight": w},
            return_estimator=True, return_indices=True,
        )
        combined = M.make_combined_scorer(["precision_at_1", "f1_macro"])
        res_combined = cross_validate(
            est, X, Y, cv=cv, scoring=combined.set_score_request(sample_weight=True),
            params={"sample_weight": w},
        )
        # a scorer nobody asked about is an error, as for scikit-learn's own scorers
        with pytest.raises(ValueError, match="set_score_request"):
            cross_validate(
                est, X, Y, cv=cv, scoring=M.scorers(["lrap"]), params={"sample_weight": w}
            )
    for i, (fitted, test) in enumerate(
        zip(res["estimator"], res["indices"]["test"], strict=True)
    ):
        proba, pred = fitted.predict_proba(X[test]), fitted.predict(X[test])
        assert res["test_weighted"][i] == pytest.approx(
            M.precision_at_k(Y[test], proba, k=1, sample_weight=w[test])
        )
        assert res["test_unweighted"][i] == pytest.approx(M.precision_at_k(Y[test], proba, k=1))
        assert res["test_f1"][i] == pytest.approx(
            M.f1_score(Y[test], pred, average="macro", sample_weight=w[test])
        )
    assert not np.allclose(res["test_weighted"], res["test_unweighted"])
    np.testing.assert_allclose(res_combined["test_precision_at_1"], res["test_weighted"])
    np.testing.assert_allclose(res_combined["test_f1_macro"], res["test_f1"])


# --------------------------------------------------------------------------
# the deprecated register_scorers
# --------------------------------------------------------------------------


def test_register_scorers_is_deprecated_but_still_works(toy_data, restore_sklearn_registry):
    registry = restore_sklearn_registry
    for name in [n for n, s in registry.items() if isinstance(s, M.MultilabelScorer)]:
        del registry[name]  # in case another test registered them
    sklearn_f1 = registry["f1_micro"]
    with pytest.warns(FutureWarning, match=r"register_scorers\(\) is deprecated.*scorers\("):
        first = M.register_scorers()
    snapshot = dict(registry)
    with pytest.warns(FutureWarning):
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
    search = GridSearchCV(
        OneVsRestClassifier(LogisticRegression()),
        {"estimator__C": [0.1, 1.0]},
        scoring="precision_at_1",
        cv=2,
    ).fit(X, Y)
    assert 0 < search.best_score_ <= 1


def test_doc_examples_run():
    # the numpydoc examples are part of the contract: run them here too, module by module
    import doctest

    attempted = 0
    for info in pkgutil.iter_modules(M.__path__):
        module = importlib.import_module(f"{M.__name__}.{info.name}")
        results = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
        assert results.failed == 0, info.name
        attempted += results.attempted
    assert attempted > 20


def test_one_label_keeps_multilabel_meaning():
    """A one-column indicator is one label, not a binary target: scikit-learn alone would
    average over the classes 0 and 1 (micro-F1 = accuracy, here 0.75 instead of 0)."""
    from mlkit.metrics import evaluate, f1_score, per_label_report, precision_score

    Y = np.array([[0], [0], [0], [1]])
    P = np.zeros((4, 1), dtype=int)
    for average in ("micro", "macro", "weighted", "samples"):
        assert f1_score(Y, P, average=average) == 0.0
    np.testing.assert_array_equal(f1_score(Y, P, average=None), [0.0])
    P = np.array([[0], [1], [0], [1]])
    from sklearn.metrics import f1_score as binary_f1

    assert f1_score(Y, P) == binary_f1(Y[:, 0], P[:, 0]) == pytest.approx(2 / 3)
    assert precision_score(sp.csr_matrix(Y), sp.csr_matrix(P), average="macro") == 0.5
    metrics = evaluate(Y, P)
    assert metrics["f1_micro"] == metrics["f1_macro"] == pytest.approx(2 / 3)
    assert metrics["subset_accuracy"] == 0.75
    report = per_label_report(Y, P)
    assert report.f1.tolist() == [pytest.approx(2 / 3)]
