"""BinaryRelevance, ClassifierChain and ClassifierChainEnsemble on real data.

Equivalence with scikit-learn's OneVsRestClassifier / ClassifierChain, the vectorized
RidgeClassifier path, labels that are constant in the training data, every accepted
label format, clear errors for bad input, and the joblib memory-mapping regression
("WRITEBACKIFCOPY base is read-only").
"""

import pickle
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import ClassifierChain as SkClassifierChain
from sklearn.svm import LinearSVC

import mlkit
from mlkit import BinaryRelevance, ClassifierChain, ClassifierChainEnsemble
from mlkit.base import CONSTANT_DECISION

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def _liblinear_lr():
    return LogisticRegression(solver="liblinear", C=10.0, random_state=0)


@pytest.fixture(scope="module")
def frequent(goemotions_tfidf):
    """GoEmotions TF-IDF (float64 CSR) restricted to the labels with >= 15 positives in
    the 1,500 train rows, so that every per-label model is a real classifier. The
    columns are in label-name order (as label lists are binarized)."""
    d = goemotions_tfidf
    keep = np.flatnonzero(d.Y_train.sum(axis=0) >= 15)
    keep = keep[np.argsort(d.label_names[keep], kind="stable")]
    return (
        d.X_train.astype(np.float64),
        d.Y_train[:, keep],
        d.X_test.astype(np.float64),
        d.label_names[keep],
    )


@pytest.fixture(scope="module")
def frequent_dense(frequent):
    """The same rows as dense arrays over the 300 most frequent features."""
    X, Y, X_test, _ = frequent
    top = np.argsort(-np.asarray((X > 0).sum(axis=0)).ravel(), kind="stable")[:300]
    return X[:, top].toarray(), Y, X_test[:, top].toarray()


# --------------------------------------------------------------------------
# equivalence with scikit-learn
# --------------------------------------------------------------------------


@pytest.mark.parametrize("base", [LinearSVC(random_state=0), _liblinear_lr()], ids=["LinearSVC", "LogReg"])
@pytest.mark.parametrize("layout", ["sparse", "dense"])
def test_binary_relevance_matches_one_vs_rest(base, layout, frequent, frequent_dense):
    if layout == "sparse":
        X, Y, X_test, _ = frequent
    else:
        X, Y, X_test = frequent_dense
    assert Y.shape[1] >= 8
    ours = BinaryRelevance(clone(base)).fit(X, Y)
    ref = OneVsRestClassifier(clone(base)).fit(X, Y)
    pred = ours.predict(X_test)
    assert pred.dtype == np.int64 and pred.shape == (X_test.shape[0], Y.shape[1])
    np.testing.assert_array_equal(pred, ref.predict(X_test))
    assert pred.sum() > 0  # the comparison is not between two all-zero matrices
    np.testing.assert_allclose(
        ours.decision_function(X_test), ref.decision_function(X_test), rtol=1e-7, atol=1e-9
    )
    if hasattr(base, "predict_proba"):
        np.testing.assert_allclose(
            ours.predict_proba(X_test), ref.predict_proba(X_test), rtol=1e-7, atol=1e-10
        )


def test_binary_relevance_float32_features_give_the_same_model(goemotions_tfidf, frequent):
    X, Y, X_test, _ = frequent
    X32 = goemotions_tfidf.X_train  # the featurizer's float32 output
    assert X32.dtype == np.float32
    a = BinaryRelevance(LinearSVC(random_state=0)).fit(X32, Y)
    b = BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y)
    np.testing.assert_allclose(a.decision_function(X_test), b.decision_function(X_test),
                               rtol=1e-5, atol=1e-6)


def test_ridge_vectorized_path_matches_per_label_fits(frequent):
    X, Y, X_test, _ = frequent
    Y = np.column_stack([Y, np.zeros(len(Y), dtype=int)])  # plus a never-positive label
    with pytest.warns(UserWarning, match="1 of .* had a single class"):
        br = BinaryRelevance(RidgeClassifier(alpha=1.0)).fit(X, Y)
    assert br.vectorized_ and br.estimators_ == []
    assert br.constant_labels_.tolist() == [False] * (Y.shape[1] - 1) + [True]
    scores = br.decision_function(X_test)
    expected = np.column_stack(
        [RidgeClassifier(alpha=1.0).fit(X, Y[:, j]).decision_function(X_test)
         for j in range(Y.shape[1] - 1)]
    )
    np.testing.assert_allclose(scores[:, :-1], expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(scores[:, -1], -CONSTANT_DECISION)
    np.testing.assert_array_equal(br.predict(X_test), (scores > 0).astype(int))
    assert not hasattr(br, "predict_proba")


@pytest.mark.parametrize("base", [LinearSVC(random_state=0), _liblinear_lr()], ids=["LinearSVC", "LogReg"])
def test_linear_labels_are_scored_in_one_product(base, frequent):
    """Linear per-label models are scored as one stacked matrix: same decisions as
    calling each label's own decision_function, also after pickling."""
    X, Y, X_test, _ = frequent
    Y = np.column_stack([Y, np.zeros(len(Y), dtype=int)])  # plus a constant label
    with pytest.warns(UserWarning, match="single class"):
        br = BinaryRelevance(base).fit(X, Y)
    coef, intercept = br._linear_stack()
    assert coef.shape == (X.shape[1], Y.shape[1])
    per_label = np.column_stack([
        np.asarray(est.decision_function(X_test), float).ravel() for est in br.estimators_
    ])
    np.testing.assert_allclose(br.decision_function(X_test), per_label, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(br.predict(X_test), np.column_stack(
        [est.predict(X_test) for est in br.estimators_]))
    restored = pickle.loads(pickle.dumps(br))
    assert restored._linear_stack() is not None
    np.testing.assert_array_equal(restored.decision_function(X_test), br.decision_function(X_test))
    # a base model with its own decision function keeps the per-label path
    other = BinaryRelevance(RidgeClassifier()).fit(X, Y[:, :-1])
    assert other._linear_stack() is None and other.vectorized_


def test_ridge_single_label_fits_without_warning(frequent):
    X, Y, X_test, _ = frequent
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DataConversionWarning for a column vector
        br = BinaryRelevance(RidgeClassifier()).fit(X, Y[:, :1])
    expected = RidgeClassifier().fit(X, Y[:, 0]).decision_function(X_test)
    np.testing.assert_allclose(br.decision_function(X_test)[:, 0], expected, rtol=1e-6)


@pytest.mark.parametrize("base", [LinearSVC(random_state=0), _liblinear_lr()], ids=["LinearSVC", "LogReg"])
def test_classifier_chain_matches_sklearn_with_true_labels(base, frequent):
    X, Y, X_test, _ = frequent
    order = np.random.RandomState(0).permutation(Y.shape[1])
    ours = ClassifierChain(clone(base), order=order).fit(X, Y)
    ref = SkClassifierChain(clone(base), order=order).fit(X, Y)
    np.testing.assert_array_equal(ours.order_, order)
    np.testing.assert_array_equal(ours.predict(X_test), ref.predict(X_test))


def test_binary_relevance_sample_weight_reaches_every_label(frequent):
    X, Y, X_test, _ = frequent
    w = np.random.RandomState(0).uniform(0.1, 3.0, size=X.shape[0])
    br = BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y, sample_weight=w)
    for j in (0, Y.shape[1] - 1):
        ref = LinearSVC(random_state=0).fit(X, Y[:, j], sample_weight=w)
        np.testing.assert_allclose(br.decision_function(X_test)[:, j],
                                   ref.decision_function(X_test), rtol=1e-6, atol=1e-8)
    unweighted = BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y).decision_function(X_test)
    assert not np.allclose(unweighted, br.decision_function(X_test))


def test_binary_relevance_threads_give_identical_models(frequent):
    X, Y, X_test, _ = frequent
    one = BinaryRelevance(_liblinear_lr(), n_jobs=1).fit(X, Y)
    two = BinaryRelevance(_liblinear_lr(), n_jobs=2).fit(X, Y)
    np.testing.assert_array_equal(one.decision_function(X_test), two.decision_function(X_test))


def test_default_threads_only_where_nothing_else_decides():
    from mlkit.transforms._fast_fit import MAX_AUTO_THREADS, default_threads

    top = default_threads(None, 28)
    assert 1 <= top <= min(28, joblib.cpu_count(), MAX_AUTO_THREADS)
    assert default_threads(None, 1) == 1
    assert default_threads(3, 28) == 3  # an explicit n_jobs is kept
    with joblib.parallel_config(n_jobs=2):  # the context decides
        assert default_threads(None, 28) is None
    with joblib.parallel_config(backend="threading"):
        assert default_threads(None, 28) is None
    # inside another joblib worker (a parallel CV, a grid search) the inner loop
    # stays sequential, so the machine is not oversubscribed
    inner = joblib.Parallel(n_jobs=2, prefer="threads")(
        joblib.delayed(default_threads)(None, 28) for _ in range(2))
    assert inner == [None, None]


def test_default_processes_only_for_large_liblinear_fits(frequent):
    from mlkit.transforms import _fast_fit
    from mlkit.transforms._fast_fit import AUTO_PROCESS_MIN_WORK, default_processes

    X = frequent[0]
    big = AUTO_PROCESS_MIN_WORK // X.nnz + 1  # labels enough to pass the bar
    top = default_processes(LinearSVC(), X, None, big)
    assert 1 <= top <= min(big, joblib.cpu_count(), _fast_fit.MAX_AUTO_THREADS)
    assert default_processes(LinearSVC(), X, None, big - 1) is None  # too small: sequential
    assert default_processes(LinearSVC(), X, 3, big) == 3  # an explicit n_jobs is kept
    assert default_processes(LinearSVC(), X, 1, big) == 1
    assert default_processes(RidgeClassifier(), X, None, big) is None  # not LIBLINEAR
    dense = np.zeros((10, 10))  # dense features count every cell
    assert default_processes(LinearSVC(), dense, None, AUTO_PROCESS_MIN_WORK // 100) is not None
    with joblib.parallel_config(n_jobs=2):  # the context decides
        assert default_processes(LinearSVC(), X, None, big) is None


def test_default_n_jobs_fits_large_dual_svc_in_processes_with_identical_models(
        frequent, monkeypatch):
    """Without numba (no compiled dual solver), above the work bar, n_jobs=None fits
    LinearSVC's dual solver in worker processes (never threads, which would mix
    LIBLINEAR's random draws): each label's model equals the sequential fit exactly."""
    from mlkit.transforms import _binary_relevance, _dual_cd, _fast_fit

    monkeypatch.setattr(_dual_cd, "_solver", False)
    X, Y, X_test, _ = frequent
    calls = []
    real = _binary_relevance.parallel

    def spy(n_jobs, **kwargs):
        calls.append((n_jobs, kwargs.get("prefer")))
        return real(n_jobs, **kwargs)

    monkeypatch.setattr(_binary_relevance, "parallel", spy)
    monkeypatch.setattr(_fast_fit, "AUTO_PROCESS_MIN_WORK", 1)  # this small X qualifies
    auto = BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y)
    expected = min(Y.shape[1], joblib.cpu_count(), _fast_fit.MAX_AUTO_THREADS)
    assert calls == [(expected, "processes")]
    one = BinaryRelevance(LinearSVC(random_state=0), n_jobs=1).fit(X, Y)
    for a, b in zip(auto.estimators_, one.estimators_, strict=True):
        np.testing.assert_array_equal(a.coef_, b.coef_)
        np.testing.assert_array_equal(a.intercept_, b.intercept_)
    np.testing.assert_array_equal(auto.decision_function(X_test), one.decision_function(X_test))
    monkeypatch.setattr(_fast_fit, "AUTO_PROCESS_MIN_WORK", X.nnz * Y.shape[1] + 1)
    calls.clear()
    BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y)
    assert calls == [(None, "processes")]  # below the bar: one label at a time


@pytest.mark.parametrize("base", [LinearSVC(random_state=0), _liblinear_lr()],
                         ids=["LinearSVC", "LogReg"])
def test_default_n_jobs_fits_labels_on_threads_with_identical_models(base, frequent):
    """n_jobs=None fits labels on threads (one per CPU) and the fast path skips the
    per-label finiteness checks: every label's model is still a plain scikit-learn
    estimator, equal to fitting that label alone, sequentially."""
    X, Y, X_test, _ = frequent
    w = np.random.RandomState(1).uniform(0.5, 2.0, size=X.shape[0])
    auto = BinaryRelevance(clone(base)).fit(X, Y, sample_weight=w)
    one = BinaryRelevance(clone(base), n_jobs=1).fit(X, Y, sample_weight=w)
    for j, est in enumerate(auto.estimators_):
        assert type(est) is type(base)
        ref = clone(base).fit(X, Y[:, j], sample_weight=w)
        np.testing.assert_array_equal(est.coef_, ref.coef_)
        np.testing.assert_array_equal(est.intercept_, ref.intercept_)
        assert est.n_features_in_ == ref.n_features_in_ == X.shape[1]
        np.testing.assert_array_equal(est.classes_, ref.classes_)
    np.testing.assert_array_equal(auto.predict(X_test), one.predict(X_test))
    assert auto.predict(X_test).sum() > 0


def test_chain_ensemble_of_dual_svc_in_parallel_gives_the_sequential_models(frequent):
    """Parallel chains of LinearSVC (dual solver: LIBLINEAR's process-wide random
    generator) run in worker processes: the same models as one chain at a time."""
    X, Y, X_test, _ = frequent
    kw = dict(n_chains=3, random_state=0)
    one = ClassifierChainEnsemble(LinearSVC(random_state=0), n_jobs=1, **kw).fit(X, Y)
    two = ClassifierChainEnsemble(LinearSVC(random_state=0), n_jobs=2, **kw).fit(X, Y)
    for a, b in zip(one.estimators_, two.estimators_, strict=True):
        for ea, eb in zip(a.estimators_, b.estimators_, strict=True):
            np.testing.assert_array_equal(ea.coef_, eb.coef_)
    np.testing.assert_array_equal(one.decision_function(X_test),
                                  two.decision_function(X_test))


def test_thread_safety_follows_liblinear_solver():
    """Only LIBLINEAR's primal L2 solvers draw no random numbers (scikit-learn issue
    #8410: the generator is process-wide, so concurrent dual fits disturb each other)."""
    from mlkit.transforms._fast_fit import thread_safe

    wide, tall = np.zeros((5, 10)), np.zeros((10, 5))
    assert not thread_safe(LinearSVC(), wide)  # dual="auto" picks the dual on text
    assert thread_safe(LinearSVC(), tall)
    assert thread_safe(LinearSVC(dual=False), wide)
    assert not thread_safe(LinearSVC(dual=True), tall)
    assert not thread_safe(LinearSVC(penalty="l1", dual=False), tall)  # L1 solver shuffles
    assert thread_safe(_liblinear_lr(), wide)
    from mlkit.transforms._fast_fit import needs_processes
    assert needs_processes(LinearSVC(), wide) and not needs_processes(LinearSVC(), tall)
    assert not needs_processes(RidgeClassifier(), wide)  # no LIBLINEAR generator
    assert not thread_safe(LogisticRegression(solver="liblinear", dual=True), wide)
    assert not thread_safe(LogisticRegression(solver="liblinear", l1_ratio=1.0), wide)
    assert not thread_safe(RidgeClassifier(), wide)  # not known: no default threads


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "liblinear"])
def test_parallel_dual_linear_svc_is_reproducible(compiled, frequent, monkeypatch):
    """LinearSVC on text solves the dual, which shuffles with LIBLINEAR's process-wide
    generator: parallel fits run on threads through mlkit's compiled solver (one
    generator per fit) or, without numba, in worker processes, so n_jobs=2 gives
    exactly the models of n_jobs=1 (scikit-learn's fits on threads would differ in
    the last digits)."""
    from mlkit.transforms import _dual_cd

    if not compiled:
        monkeypatch.setattr(_dual_cd, "_solver", False)
    elif not _dual_cd.available():
        pytest.skip("the compiled solver needs numba (mlkit[fast])")
    X, Y, X_test, _ = frequent
    assert X.shape[0] < X.shape[1]
    one = BinaryRelevance(LinearSVC(random_state=0), n_jobs=1).fit(X, Y)
    two = BinaryRelevance(LinearSVC(random_state=0), n_jobs=2).fit(X, Y)
    np.testing.assert_array_equal(one.decision_function(X_test), two.decision_function(X_test))
    auto = BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y)
    np.testing.assert_array_equal(one.decision_function(X_test), auto.decision_function(X_test))


def test_fast_path_applies_to_liblinear_estimators_only():
    from mlkit.transforms._fast_fit import fast_fit

    class MySVC(LinearSVC):
        pass

    assert fast_fit(LinearSVC(), {})
    assert fast_fit(_liblinear_lr(), {"sample_weight": np.ones(3)})
    assert not fast_fit(LogisticRegression(), {})  # lbfgs: not LIBLINEAR
    assert not fast_fit(MySVC(), {})  # a subclass may validate differently
    assert not fast_fit(RidgeClassifier(), {})
    assert not fast_fit(LinearSVC(), {"other": 1})


def test_non_finite_sample_weight_is_rejected_before_any_label(frequent):
    X, Y, _, _ = frequent
    w = np.ones(X.shape[0])
    w[3] = np.nan
    with pytest.raises(ValueError, match="sample_weight contains NaN or infinity"):
        BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y, sample_weight=w)
    w[3] = np.inf
    with pytest.raises(ValueError, match="sample_weight contains NaN or infinity"):
        BinaryRelevance(_liblinear_lr()).fit(X, Y, sample_weight=w)


def test_non_finite_features_are_still_rejected(frequent):
    X, Y, _, _ = frequent
    X = X.copy()
    X.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y)


# --------------------------------------------------------------------------
# labels with no positive / no negative example
# --------------------------------------------------------------------------

CONSTANT_SAFE = [
    BinaryRelevance(LinearSVC(random_state=0)),
    BinaryRelevance(),
    BinaryRelevance(RidgeClassifier()),
    ClassifierChain(LinearSVC(random_state=0)),
    ClassifierChain(_liblinear_lr(), cv=3, chain_method="predict_proba"),
    ClassifierChain(LinearSVC(random_state=0), cv=3, chain_method="decision_function"),
    ClassifierChainEnsemble(LinearSVC(random_state=0), n_chains=2, random_state=0),
]


@pytest.mark.parametrize("estimator", CONSTANT_SAFE, ids=repr)
def test_constant_labels_never_crash(estimator, goemotions_tfidf):
    d = goemotions_tfidf
    X, X_test = d.X_train[:400], d.X_test
    Y = d.Y_train[:400]
    n_pos = Y.sum(axis=0)
    assert (n_pos == 0).any() and (n_pos == 1).any()  # the real slice has both
    # plus a label every row has, and one with a single negative example
    single_neg = np.ones(len(Y), dtype=int)
    single_neg[7] = 0
    Y = np.column_stack([Y, np.ones(len(Y), dtype=int), single_neg])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "single class" and tiny-fold warnings
        est = clone(estimator).fit(X, Y)
    pred = est.predict(X_test)
    assert pred.shape == (X_test.shape[0], Y.shape[1])
    assert set(np.unique(pred)) <= {0, 1}
    never = np.flatnonzero(n_pos == 0)
    assert (pred[:, never] == 0).all()
    assert (pred[:, -2] == 1).all()
    if hasattr(est, "decision_function"):
        dec = est.decision_function(X_test)
        assert np.isfinite(dec).all()
        assert (dec[:, never] < 0).all() and (dec[:, -2] > 0).all()
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X_test)
        assert ((proba >= 0) & (proba <= 1)).all()
        np.testing.assert_array_equal(proba[:, never], 0.0)
        np.testing.assert_array_equal(proba[:, -2], 1.0)


def test_binary_relevance_warns_about_constant_labels(goemotions_tfidf):
    d = goemotions_tfidf
    Y = d.Y_train[:400]
    n_const = int(((Y.sum(axis=0) == 0) | (Y.sum(axis=0) == len(Y))).sum())
    with pytest.warns(UserWarning, match=rf"{n_const} of 28 label\(s\) had a single class"):
        br = BinaryRelevance(LinearSVC(random_state=0)).fit(d.X_train[:400], Y)
    assert int(br.constant_labels_.sum()) == n_const
    assert "ConstantLabel" in repr(br.estimators_[int(np.flatnonzero(br.constant_labels_)[0])])


@pytest.mark.parametrize("base", [LinearSVC(random_state=0), RidgeClassifier()], ids=["LinearSVC", "Ridge"])
def test_all_labels_constant(base):
    X = np.random.RandomState(0).rand(30, 4)
    Y = np.column_stack([np.zeros(30, dtype=int), np.ones(30, dtype=int)])
    with pytest.warns(UserWarning, match="2 of 2 label"):
        br = BinaryRelevance(base).fit(X, Y)
    assert not br.vectorized_
    np.testing.assert_array_equal(br.predict(X[:3]), [[0, 1]] * 3)
    np.testing.assert_array_equal(br.decision_function(X[:2]),
                                  [[-CONSTANT_DECISION, CONSTANT_DECISION]] * 2)


# --------------------------------------------------------------------------
# label formats and names
# --------------------------------------------------------------------------


def _label_forms(Y, names):
    pd = pytest.importorskip("pandas")
    lists = [[names[j] for j in np.flatnonzero(row)] for row in Y]
    return {
        "ndarray": (Y, np.arange(Y.shape[1])),
        "bool": (Y.astype(bool), np.arange(Y.shape[1])),
        "csr": (sp.csr_matrix(Y), np.arange(Y.shape[1])),
        "csc_array": (sp.csc_array(Y), np.arange(Y.shape[1])),
        "DataFrame": (pd.DataFrame(Y, columns=names), names),
        "label lists": (lists, np.asarray(sorted(names), dtype=object)),
    }


@pytest.mark.parametrize(
    "estimator",
    [BinaryRelevance(LinearSVC(random_state=0)), BinaryRelevance(RidgeClassifier()),
     ClassifierChain(LinearSVC(random_state=0)), ClassifierChainEnsemble(LinearSVC(random_state=0), n_chains=2,
                                                            random_state=0)],
    ids=repr,
)
def test_every_label_form_gives_the_same_model(estimator, frequent):
    X, Y, X_test, names = frequent
    X, Y = X[:400], Y[:400]
    reference = None
    for form, (labels, expected_names) in _label_forms(Y, names).items():
        est = clone(estimator).fit(X, labels)
        np.testing.assert_array_equal(est.classes_, expected_names, err_msg=form)
        pred = est.predict(X_test)
        assert isinstance(pred, np.ndarray) and pred.dtype == np.int64, form
        if reference is None:
            reference = pred
        np.testing.assert_array_equal(pred, reference, err_msg=form)


def test_indicator_to_labels_gives_names_back(frequent):
    pd = pytest.importorskip("pandas")
    X, Y, X_test, names = frequent
    model = BinaryRelevance(LinearSVC(random_state=0)).fit(X, pd.DataFrame(Y, columns=names))
    pred = model.predict(X_test)
    labels = mlkit.indicator_to_labels(pred, model.classes_)
    assert len(labels) == X_test.shape[0]
    for row, got in zip(pred, labels, strict=True):
        assert got == tuple(names[np.flatnonzero(row)])
    assert any(len(g) >= 1 for g in labels)
    Y_back = mlkit.labels_to_indicator(labels, label_names=model.classes_)
    np.testing.assert_array_equal(Y_back, pred)
    Y_back, names_back = mlkit.labels_to_indicator(labels, label_names=model.classes_,
                                                   return_names=True)
    np.testing.assert_array_equal(Y_back, pred)
    np.testing.assert_array_equal(names_back, model.classes_)


def test_label_names_that_do_not_fit_are_rejected_clearly():
    pd = pytest.importorskip("pandas")
    from mlkit._labels import check_label_matrix

    X = np.random.RandomState(0).rand(2, 3)
    # one DataFrame column holding label lists or comma-separated names, not 0/1 columns
    for Y in (pd.DataFrame({"labels": [["joy", "love"], ["anger"]]}),
              pd.DataFrame({"labels": ["joy,love", "anger"]})):
        with pytest.raises(TypeError, match="non-numeric values.*pass label lists instead"):
            BinaryRelevance().fit(X, Y)
    with pytest.raises(ValueError, match=r"Unknown label 'sad' in row 1\. Known labels: joy, love"):
        mlkit.labels_to_indicator([["joy"], ["sad"]], label_names=["joy", "love"])
    with pytest.raises(ValueError, match="Y has 1 columns but 2 label names were given"):
        mlkit.indicator_to_labels(np.ones((2, 1)), ["joy", "love"])
    with pytest.raises(ValueError, match=r"Y has 1 label column\(s\) but label_names lists 2"):
        check_label_matrix(np.ones((2, 1)), label_names=["joy", "love"])
    with pytest.raises(ValueError, match="label_names differ from the DataFrame's column names"):
        check_label_matrix(pd.DataFrame({"a": [0, 1]}), label_names=["b"])


# --------------------------------------------------------------------------
# bad input: clear errors
# --------------------------------------------------------------------------

ALL = [BinaryRelevance(LinearSVC(random_state=0)), BinaryRelevance(RidgeClassifier()),
       ClassifierChain(LinearSVC(random_state=0)), ClassifierChainEnsemble(LinearSVC(random_state=0), n_chains=2)]


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.RandomState(0)
    X = rng.rand(30, 5)
    Y = (rng.rand(30, 3) < 0.4).astype(int)
    Y[0] = 1
    Y[1] = 0
    return X, Y


@pytest.mark.parametrize("estimator", ALL, ids=repr)
@pytest.mark.parametrize(
    "make_y, error, match",
    [
        (lambda Y: Y[:-1], ValueError, r"X has 30 samples but Y has 29 rows"),
        (lambda Y: Y * 2, ValueError, r"values other than 0 and 1 \(found 2\)"),
        (lambda Y: Y[:, 0], ValueError, r"Y is 1-D with 30 values.*reshape\(-1, 1\)"),
        (lambda Y: np.where(Y, np.nan, 0.0), ValueError, r"NaN or infinity.*Fill missing"),
        (lambda Y: Y.astype(str), TypeError, r"dtype <U\d+; expected a 0/1 indicator"),
        (lambda Y: None, ValueError, r"requires y to be passed, but the target y is None"),
        (lambda Y: Y[:, :0], ValueError, r"0 label columns"),
        (lambda Y: [["a"], [1.5]] * 15, TypeError, r"label 1\.5 of type float"),
    ],
    ids=["length", "values", "1-D", "NaN", "strings", "None", "no-columns", "bad-name"],
)
def test_bad_labels_are_rejected_clearly(estimator, make_y, error, match, tiny):
    X, Y = tiny
    with pytest.raises(error, match=match):
        clone(estimator).fit(X, make_y(Y))


@pytest.mark.parametrize("estimator", ALL, ids=repr)
def test_bad_features_are_rejected_clearly(estimator, tiny):
    X, Y = tiny
    est = clone(estimator)
    with pytest.raises(TypeError, match=r"single str as X.*make_pipeline\(TfidfFeaturizer\(\)"):
        est.fit("a single text", Y)
    with pytest.raises(TypeError, match=r"raw text as X.*TfidfFeaturizer"):
        est.fit(["some text"] * 30, Y)
    with pytest.raises(ValueError, match=r"0 rows|0 sample"):
        est.fit(np.zeros((0, 5)), np.zeros((0, 3), dtype=int))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.fit(np.where(X > 0.9, np.nan, X), Y)
    with pytest.raises(ValueError, match="Complex data not supported"):
        est.fit(X + 1j, Y)
    est.fit(X, Y)
    with pytest.raises(ValueError, match="X has 4 features, but .* is expecting 5 features"):
        est.predict(X[:, :4])


def test_chain_parameters_are_validated(tiny):
    X, Y = tiny
    with pytest.raises(ValueError, match=r"order must be a permutation of 0\.\.2"):
        ClassifierChain(order=[0, 0, 1]).fit(X, Y)
    # scikit-learn's InvalidParameterError (a ValueError) lists what is allowed
    with pytest.raises(ValueError, match=r"'order' parameter of ClassifierChain must be None, "
                       r"a str among \{'random'\} or an array-like\. Got 'sorted' instead"):
        ClassifierChain(order="sorted").fit(X, Y)
    with pytest.raises(ValueError, match=r"'chain_method' parameter of ClassifierChain must be "
                       r"a str among .*'decision_function'.*Got 'proba' instead"):
        ClassifierChain(chain_method="proba").fit(X, Y)
    with pytest.raises(ValueError, match=r"'n_chains' parameter of ClassifierChainEnsemble "
                       r"must be an int in the range \[1, inf\)\. Got 0 instead"):
        ClassifierChainEnsemble(n_chains=0).fit(X, Y)
    with pytest.raises(ValueError, match=r"'cv' parameter of ClassifierChain must be an int in "
                       r"the range \[2, inf\).*Got 1 instead"):
        ClassifierChain(cv=1).fit(X, Y)
    with pytest.raises(ValueError, match=r"'estimator' parameter of BinaryRelevance must be an "
                       r"object implementing 'fit' and 'predict' or None\. Got 'svm' instead"):
        BinaryRelevance("svm").fit(X, Y)
    with pytest.raises(ValueError, match=r"'n_jobs' parameter of ClassifierChainEnsemble must "
                       r"be an instance of 'int' or None\. Got 1\.5 instead"):
        ClassifierChainEnsemble(n_jobs=1.5).fit(X, Y)
    with pytest.raises(AttributeError, match="predict_proba"):
        ClassifierChain(LinearSVC(random_state=0)).fit(X, Y).predict_proba(X)


def test_chain_random_order_is_reproducible(tiny):
    X, Y = tiny
    a = ClassifierChain(order="random", random_state=3).fit(X, Y)
    b = ClassifierChain(order="random", random_state=3).fit(X, Y)
    np.testing.assert_array_equal(a.order_, b.order_)
    assert sorted(a.order_.tolist()) == [0, 1, 2]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    ens = ClassifierChainEnsemble(n_chains=4, random_state=0).fit(X, Y)
    orders = {tuple(c.order_) for c in ens.estimators_}
    assert len(orders) > 1  # the chains really use different orders


def test_fitted_estimators_pickle(frequent):
    X, Y, X_test, _ = frequent
    for est in (BinaryRelevance(LinearSVC(random_state=0)), ClassifierChainEnsemble(n_chains=2,
                                                                     random_state=0)):
        est.fit(X[:500], Y[:500])
        back = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(back.predict(X_test), est.predict(X_test))


# --------------------------------------------------------------------------
# regression: joblib memory-maps a CSR matrix with unsorted indices
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unsorted_csr():
    """A CSR matrix with unsorted indices whose training folds (1.2 MB of data each) are
    above joblib's 1 MB memory-mapping threshold, so process-based workers get them
    read-only."""
    rng = np.random.RandomState(0)
    X = sp.random(600, 2000, density=0.25, format="csr", random_state=rng)
    for i in range(X.shape[0]):  # reverse each row: same matrix, unsorted indices
        s, e = X.indptr[i], X.indptr[i + 1]
        X.indices[s:e] = X.indices[s:e][::-1].copy()
        X.data[s:e] = X.data[s:e][::-1].copy()
    X.has_sorted_indices = False
    assert X.data.nbytes / 2 > 1.1e6
    Y = (rng.rand(600, 2) < 0.3).astype(int)
    return X, Y


@pytest.mark.parametrize("backend", [None, "loky"])
def test_binary_relevance_survives_memmapped_unsorted_csr(backend, unsorted_csr):
    X, Y = unsorted_csr
    indices_before = X.indices.copy()
    clf = BinaryRelevance(_liblinear_lr(), n_jobs=2)
    if backend is None:
        pred = cross_val_predict(clf, X, Y, cv=KFold(2))
    else:
        with joblib.parallel_config(backend=backend):
            pred = cross_val_predict(clf, X, Y, cv=KFold(2))
    sequential = cross_val_predict(BinaryRelevance(_liblinear_lr()), X, Y, cv=KFold(2))
    np.testing.assert_array_equal(pred, sequential)
    np.testing.assert_array_equal(X.indices, indices_before)  # input left untouched
    assert not X.has_sorted_indices


def test_one_vs_rest_crashes_on_memmapped_unsorted_csr(unsorted_csr):
    """Shows the condition is real: scikit-learn's OneVsRestClassifier crashes on it.

    Runs after the test above so the loky workers are already started (a crash makes
    joblib terminate them)."""
    X, Y = unsorted_csr
    clf = OneVsRestClassifier(_liblinear_lr(), n_jobs=2)
    with joblib.parallel_config(backend="loky"):
        with pytest.raises(ValueError, match="WRITEBACKIFCOPY base is read-only"):
            cross_val_predict(clf, X, Y, cv=KFold(2))
