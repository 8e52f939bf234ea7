"""The compiled dual solver of ``LinearSVC`` (mlkit.transforms._dual_cd) against
scikit-learn's own ``LinearSVC.fit``, on real data: the models must be equal bit for
bit (``coef_``, ``intercept_``, ``n_iter_``, every fitted attribute), across the
settings the solver takes, and ``BinaryRelevance`` must give ``OneVsRestClassifier``'s
models through it, on threads, and fall back to scikit-learn's fits where it does
not apply or numba is missing.
"""

import pickle
import random
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import LinearSVC

from mlkit import BinaryRelevance, TfidfFeaturizer
from mlkit.transforms import _dual_cd

pytest.importorskip("numba", reason="the compiled solver needs numba (mlkit[fast])")
pytestmark = pytest.mark.usefixtures("single_blas_thread")


@pytest.fixture(scope="module")
def text(goemotions_tfidf):
    """1,500 GoEmotions comments as float64 TF-IDF, the 8 most frequent labels."""
    d = goemotions_tfidf
    top = np.argsort(-d.Y_train.sum(axis=0), kind="stable")[:8]
    return d.X_train.astype(np.float64), d.Y_train[:, top], d.X_test.astype(np.float64)


@pytest.fixture(scope="module")
def articles():
    """600 Reuters articles (long rows: ~100 non-zeros each), the 6 most frequent labels."""
    from conftest import shared_data_dir

    from mlkit.datasets import load_reuters

    folder = shared_data_dir() / "reuters21578"
    if not folder.is_dir():
        pytest.skip(f"Reuters not found at {folder}; set MLKIT_DATA_DIR to run this test")
    data = load_reuters(folder, "train")
    X = TfidfFeaturizer().fit_transform(data.data[:600]).astype(np.float64)
    Y = data.target[:600]
    return X, Y[:, np.argsort(-Y.sum(axis=0), kind="stable")[:6]]


def _weights(n, seed=0):
    rng = np.random.RandomState(seed)
    w = rng.uniform(0.2, 3.0, n)
    w[rng.rand(n) < 0.15] = 0.0  # LIBLINEAR drops these rows
    return w


def _assert_same_model(ours, theirs):
    assert list(vars(ours)) == list(vars(theirs))  # same attributes, in the same order
    np.testing.assert_array_equal(ours.coef_, theirs.coef_, strict=True)
    np.testing.assert_array_equal(ours.intercept_, theirs.intercept_, strict=True)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_, strict=True)
    assert type(ours.n_iter_) is type(theirs.n_iter_) and ours.n_iter_ == theirs.n_iter_
    assert ours.n_features_in_ == theirs.n_features_in_
    assert pickle.dumps(ours) == pickle.dumps(theirs)


def _compiled_fit(est, X, y, fit_params):
    assert _dual_cd.supports(est, X, fit_params)
    plan = _dual_cd.plan(est, X, y, fit_params)
    assert plan is not None
    return _dual_cd.solve(est, X, plan, _dual_cd.seed_for(est))


SETTINGS = [
    ({"random_state": 0}, False),
    ({"C": 0.5, "tol": 0.1, "random_state": 0}, False),  # make_classifier("tfidf")'s
    ({"C": 2.0, "loss": "hinge", "random_state": 1}, False),
    ({"class_weight": "balanced", "random_state": 2, "tol": 0.01}, True),
    ({"class_weight": {0: 0.5, 1: 3.0}, "intercept_scaling": 2.5, "random_state": 3}, True),
    ({"fit_intercept": False, "random_state": 4}, False),
    ({"dual": True, "C": 0.1, "random_state": 5}, True),
]


@pytest.mark.parametrize(("params", "weighted"), SETTINGS,
                         ids=[str(i) for i in range(len(SETTINGS))])
def test_models_equal_linear_svc_fit_bit_for_bit(params, weighted, text, articles):
    for X, Y in ((text[0], text[1]), articles):
        fit_params = {"sample_weight": _weights(X.shape[0])} if weighted else {}
        for j in range(Y.shape[1]):
            est = LinearSVC(**params)
            ours, converged = _compiled_fit(clone(est), X, Y[:, j], fit_params)
            theirs = clone(est).fit(X, Y[:, j], **fit_params)
            _assert_same_model(ours, theirs)
            assert converged


def test_random_state_instances_and_none_draw_as_linear_svc_does(text):
    X, Y, _ = text
    rs = np.random.RandomState(7)
    ours, _ = _compiled_fit(LinearSVC(random_state=rs), X, Y[:, 0], {})
    theirs = LinearSVC(random_state=np.random.RandomState(7)).fit(X, Y[:, 0])
    _assert_same_model(ours, theirs)
    np.random.seed(11)
    ours = [_compiled_fit(LinearSVC(), X, Y[:, j], {})[0] for j in range(3)]
    np.random.seed(11)
    theirs = [LinearSVC().fit(X, Y[:, j]) for j in range(3)]
    for a, b in zip(ours, theirs, strict=True):
        _assert_same_model(a, b)


@pytest.mark.parametrize("params", [
    {"loss": "hinge", "fit_intercept": False},  # an empty row: Q_ii = 0
    {"class_weight": {0: 0.0, 1: 1.0}},  # upper bounds of 0
    {"class_weight": {0: 0.0, 1: 1.0}, "loss": "hinge"},
    {"C": 1e-300},  # with weights of 1e-300: bounds underflow to 0
])
def test_degenerate_problems_are_solved_as_liblinear_solves_them(params, text):
    """Divisions by zero give inf or nan as in C++ (LIBLINEAR carries on), not an error."""
    X, Y, _ = text
    X = sp.vstack([X, sp.csr_matrix((2, X.shape[1]))], format="csr")  # rows without features
    y = np.concatenate([Y[:, 0], [1, 0]])
    fit_params = {"sample_weight": np.full(X.shape[0], 1e-300)} if "C" in params else {}
    est = LinearSVC(random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, _ = _compiled_fit(clone(est), X, y, fit_params)
        theirs = clone(est).fit(X, y, **fit_params)
    _assert_same_model(ours, theirs)


def test_negative_and_boolean_sample_weights(text):
    X, Y, _ = text
    w = _weights(X.shape[0], seed=4)
    w[::7] = -1.0  # LIBLINEAR drops rows of weight <= 0 as it drops zeros
    for weights in (w, w > 1.0):
        ours, _ = _compiled_fit(LinearSVC(random_state=0), X, Y[:, 1], {"sample_weight": weights})
        theirs = LinearSVC(random_state=0).fit(X, Y[:, 1], sample_weight=weights)
        _assert_same_model(ours, theirs)


def test_stopping_at_max_iter_is_reported(text):
    X, Y, _ = text
    est = LinearSVC(max_iter=2, random_state=0)
    ours, converged = _compiled_fit(clone(est), X, Y[:, 0], {})
    with pytest.warns(ConvergenceWarning):
        theirs = clone(est).fit(X, Y[:, 0])
    _assert_same_model(ours, theirs)
    assert not converged and ours.n_iter_ == 2


def test_random_generator_is_std_mt19937():
    """The C++ standard's check: the 10,000th output of a default-seeded
    std::mt19937 (seed 5489) is 4123659995; and the outputs after another seed are
    those of CPython's Mersenne Twister started from the same state."""
    kernels = _dual_cd._compiled()
    state, pos = np.zeros(624, dtype=np.int64), np.full(1, 624, dtype=np.int64)
    kernels.mt_seed(state, 5489)
    for _ in range(9999):
        kernels.mt_next(state, pos)
    assert kernels.mt_next(state, pos) == 4123659995
    kernels.mt_seed(state, 2**31 - 2)
    reference = random.Random()
    reference.setstate((3, (*(int(v) for v in state), 624), None))
    pos[0] = 624
    assert [kernels.mt_next(state, pos) for _ in range(2000)] == [
        reference.getrandbits(32) for _ in range(2000)]


def _lemire(next_word, n):
    """scikit-learn's bounded_rand_int, written out in Python integers."""
    m = next_word() * n
    low = m % 2**32
    if low < n:
        t = (2**32 - n) % n
        while low < t:
            m = next_word() * n
            low = m % 2**32
    return m >> 32


def test_bounded_draws_follow_lemires_method_with_rejections():
    """n = 2**30 + 1 (LIBLINEAR passes an int: n < 2**31) rejects about a quarter of the
    words: the rejection loop runs."""
    kernels = _dual_cd._compiled()
    state, pos = np.zeros(624, dtype=np.int64), np.full(1, 624, dtype=np.int64)
    kernels.mt_seed(state, 7)
    ours = [kernels.bounded(state, pos, n) for n in (2**30 + 1, 1, 2, 3, 1000) for _ in range(400)]
    kernels.mt_seed(state, 7)
    pos[0] = 624
    words = []

    def next_word():
        words.append(kernels.mt_next(state, pos))
        return words[-1]

    theirs = [_lemire(next_word, n) for n in (2**30 + 1, 1, 2, 3, 1000) for _ in range(400)]
    assert ours == theirs
    assert len(words) > len(theirs) + 50  # the rejection loop ran


def test_supports_only_what_it_reproduces(text):
    X, _, _ = text

    class MySVC(LinearSVC):
        pass

    assert _dual_cd.supports(LinearSVC(), X, {})
    assert _dual_cd.supports(LinearSVC(), X, {"sample_weight": np.ones(X.shape[0])})
    declined = [
        (MySVC(), X, {}),  # a subclass may fit differently
        (LinearSVC(dual=False), X, {}),  # the primal solver
        (LinearSVC(penalty="l1", dual=False), X, {}),
        (LinearSVC(multi_class="crammer_singer"), X, {}),
        (LinearSVC(verbose=1), X, {}),  # LIBLINEAR's own printing
        (LinearSVC(C=-1.0), X, {}),  # invalid: LinearSVC.fit raises its own error
        (LinearSVC(tol=0), X, {}),
        (LinearSVC(intercept_scaling=0), X, {}),
        (LinearSVC(random_state="seed"), X, {}),
        (LinearSVC(max_iter=True), X, {}),
        (LinearSVC(dual=1), X, {}),
        (LinearSVC(), X, {"other": 1}),
        (LinearSVC(), X.astype(np.float32), {}),  # BinaryRelevance converts first
        (LinearSVC(), X.toarray(), {}),
        (LinearSVC(), X.tocsc(), {}),
        (LinearSVC(intercept_scaling=-1, fit_intercept=False), X, {}),  # still checked
        (LinearSVC(verbose=0.0), X, {}),
        (LinearSVC(max_iter=2**40), X, {}),  # LIBLINEAR takes a C int
    ]
    wide = X.copy()
    wide.indices, wide.indptr = wide.indices.astype(np.int64), wide.indptr.astype(np.int64)
    declined.append((LinearSVC(), wide, {}))  # LinearSVC.fit refuses 64-bit indices
    for est, features, params in declined:
        assert not _dual_cd.supports(est, features, params), est
    tall = X[:, :50].tocsr()  # more rows than features: dual="auto" is the primal
    assert not _dual_cd.supports(LinearSVC(), tall, {})
    assert _dual_cd.supports(LinearSVC(dual=True), tall, {})
    assert _dual_cd.supports(LinearSVC(loss="hinge"), tall, {})  # hinge: dual only


def test_plan_leaves_other_problems_to_linear_svc(text):
    X, Y, _ = text
    y = Y[:, 0]
    w = np.ones(X.shape[0])
    w[y == 1] = 0.0  # every positive has weight 0: LIBLINEAR solves another problem
    assert _dual_cd.plan(LinearSVC(), X, y, {"sample_weight": w}) is None
    assert _dual_cd.plan(LinearSVC(), X, y, {"sample_weight": np.ones(3)}) is None
    assert _dual_cd.plan(LinearSVC(), X, np.zeros(X.shape[0], dtype=int), {}) is None
    assert _dual_cd.plan(LinearSVC(), X, y, {"sample_weight": 2.0}) is not None
    assert _dual_cd.plan(LinearSVC(), X, y, {"sample_weight": np.array(2.0)}) is None
    assert _dual_cd.plan(LinearSVC(), X, y, {"sample_weight": np.array(["a"] * len(y))}) is None


@pytest.mark.parametrize("n_jobs", [None, 1, 2])
def test_binary_relevance_gives_one_vs_rest_models_through_it(n_jobs, text, monkeypatch):
    X, Y, X_test = text
    Y = Y[:, ::-1]  # rarest label first: the threads take them in another order
    calls = []
    real = _dual_cd.solve

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(_dual_cd, "solve", spy)
    w = _weights(X.shape[0], seed=3)
    br = BinaryRelevance(LinearSVC(C=0.5, tol=0.1, random_state=0), n_jobs=n_jobs)
    br.fit(X, Y, sample_weight=w)
    assert len(calls) == Y.shape[1]
    for j, ours in enumerate(br.estimators_):
        theirs = LinearSVC(C=0.5, tol=0.1, random_state=0).fit(X, Y[:, j], sample_weight=w)
        _assert_same_model(ours, theirs)
    ovr = OneVsRestClassifier(LinearSVC(C=0.5, tol=0.1, random_state=0)).fit(X, Y)
    br.fit(X, Y)
    np.testing.assert_array_equal(br.decision_function(X_test), ovr.decision_function(X_test))


def test_binary_relevance_draws_seeds_in_label_order(text):
    """random_state=None: the seeds come from NumPy's global generator in label order,
    as one fit per label draws them, whatever thread finishes first."""
    X, Y, X_test = text
    np.random.seed(5)
    br = BinaryRelevance(LinearSVC(), n_jobs=2).fit(X, Y)
    np.random.seed(5)
    ovr = OneVsRestClassifier(LinearSVC()).fit(X, Y)
    np.testing.assert_array_equal(br.decision_function(X_test), ovr.decision_function(X_test))


def test_binary_relevance_under_a_process_backend_uses_the_returned_models(text):
    X, Y, X_test = text
    one = BinaryRelevance(LinearSVC(random_state=0), n_jobs=1).fit(X, Y)
    with joblib.parallel_config(backend="loky", n_jobs=2):
        loky = BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y)
    np.testing.assert_array_equal(one.decision_function(X_test), loky.decision_function(X_test))


def test_binary_relevance_warns_once_when_labels_stop_at_max_iter(text):
    X, Y, _ = text
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        BinaryRelevance(LinearSVC(max_iter=2, random_state=0)).fit(X, Y)
    converge = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(converge) == 1
    assert "Liblinear failed to converge" in str(converge[0].message)
    assert "8 of 8 labels" in str(converge[0].message)
    assert converge[0].filename == __file__  # points at the caller's fit
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y)


def test_without_numba_binary_relevance_fits_the_same_models(text, monkeypatch):
    X, Y, X_test = text
    compiled = BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y)
    monkeypatch.setattr(_dual_cd, "_solver", False)  # as when numba does not import
    assert not _dual_cd.available()
    calls = []
    monkeypatch.setattr(_dual_cd, "solve", lambda *a, **k: calls.append(1))
    plain = BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y)
    assert calls == []
    np.testing.assert_array_equal(compiled.decision_function(X_test),
                                  plain.decision_function(X_test))


@pytest.mark.parametrize("params", [{"C": -1.0}, {"random_state": "seed"}, {"dual": 1},
                                    {"class_weight": {5: 2.0}}, {"verbose": 0.0},
                                    {"intercept_scaling": -1, "fit_intercept": False}])
def test_invalid_parameters_still_raise_linear_svc_errors(params, text):
    X, Y, _ = text
    with pytest.raises(ValueError) as ours:
        BinaryRelevance(LinearSVC(**params)).fit(X, Y)
    with pytest.raises(ValueError) as theirs:
        LinearSVC(**params).fit(X, Y[:, 0])
    assert str(ours.value) == str(theirs.value)


def test_float32_features_give_the_same_models(text):
    X, Y, X_test = text
    ref = BinaryRelevance(LinearSVC(random_state=0)).fit(X, Y).decision_function(X_test)
    f32 = BinaryRelevance(LinearSVC(random_state=0)).fit(X.astype(np.float32), Y)
    np.testing.assert_array_equal(ref, f32.decision_function(X_test))
