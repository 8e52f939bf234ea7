"""Training on a Dask or Ray cluster with no change but the joblib backend.

A local ``dask.distributed.LocalCluster`` (2 worker processes, 1 thread each) and a
local Ray instance (2 CPUs), each started once for the module. For every engine:
BinaryRelevance, ClassifierChainEnsemble, ThresholdTuner's folds, GridSearchCV over an
mlkit pipeline and the audit's out-of-fold run give the same model as a local run
(bit for bit: the local reference runs with one BLAS thread, as the engines' workers
do), the fits ran in worker processes (their pids are recorded), and the feature
matrix leaves the driver once per loop, not once per label, chain or fold. (Ray's
joblib backend starts new worker processes for every parallel loop: its tests take
most of this file's 70-110 s on the shared 2-core machine.)
"""

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from joblib import parallel_config
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from mlkit import BinaryRelevance, ClassifierChainEnsemble, TfidfFeaturizer, ThresholdTuner
from mlkit._engines import backend_name, cluster_engine, fetch, label_chunks, share
from mlkit._optional import import_optional
from mlkit.insights._oof import out_of_fold

N_ROWS = 600


class PidLogisticRegression(LogisticRegression):
    """The default binary classifier (liblinear, C=10) that notes the pid of the process
    that fitted it, in ``fit_pid_`` and, when ``log_dir`` is set, in a file there (for
    fits whose estimators are thrown away, as in a grid search)."""

    def __init__(self, C=10.0, log_dir=None):
        super().__init__(solver="liblinear", C=C)
        self.log_dir = log_dir

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight=sample_weight)
        self.fit_pid_ = os.getpid()
        if self.log_dir is not None:
            with open(Path(self.log_dir) / f"{os.getpid()}.pid", "a") as f:
                f.write("fit\n")
        return self


class CountingCSR(sp.csr_matrix):
    """A CSR matrix that notes, in ``count_dir``, each time a process pickles it
    (``<pid>.pickled``) or unpickles it (``<pid>.unpickled``): how many copies of the
    features left the driver, and how many reached which worker."""

    def _note(self, what):
        count_dir = self.__dict__.get("count_dir")
        if count_dir is not None:
            with open(Path(count_dir) / f"{os.getpid()}.{what}", "a") as f:
                f.write("1\n")

    def __getstate__(self):
        self._note("pickled")
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._note("unpickled")


def _register_dask_pickling():
    """Dask sends scipy matrices with its own serializer, which bypasses pickle's hooks:
    send CountingCSR through pickle so that its copies are counted there too."""
    import pickle

    from distributed.protocol import dask_deserialize, dask_serialize

    dask_serialize.register(CountingCSR)(lambda x: ({}, [pickle.dumps(x, protocol=5)]))
    dask_deserialize.register(CountingCSR)(lambda header, frames: pickle.loads(frames[0]))


try:  # at import, so that a Dask worker that unpickles CountingCSR registers it too
    _register_dask_pickling()
except ImportError:  # no Dask: its tests are skipped
    pass


def _counting(X, count_dir):
    X = CountingCSR(sp.csr_matrix(X, dtype=np.float64))
    X.sort_indices()
    X.count_dir = str(count_dir)
    return X


def _copies(count_dir, what):
    """{pid: number of times the counting matrix was pickled / unpickled in that process}."""
    return {int(p.stem): len(p.read_text().splitlines())
            for p in Path(count_dir).glob(f"*.{what}")}


def _check_copies(name, count_dir, loops):
    """The driver serialized the features once per cluster loop; on Dask the two workers
    received them once each per loop (plus at most one more copy: a task can start
    fetching the data from a peer while the scatter's replication is under way). Ray's
    workers read the one copy from the node's shared-memory object store."""
    pickled = _copies(count_dir, "pickled")
    unpickled = _copies(count_dir, "unpickled")
    assert pickled.get(os.getpid()) == loops, pickled
    assert os.getpid() not in unpickled
    if name == "dask":
        assert len(unpickled) == 2 and sum(unpickled.values()) <= 2 * loops + 1, unpickled


def _fit_pids(log_dir):
    return {int(p.stem) for p in Path(log_dir).glob("*.pid")}


# --------------------------------------------------------------------------
# engines, started once for the module
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_engine():
    distributed = pytest.importorskip("distributed", reason="dask[distributed] not installed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        yield lambda: parallel_config(backend="dask")
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def ray_engine():
    ray = pytest.importorskip("ray", reason="ray not installed")
    from ray.util.joblib import register_ray

    # this module's helper classes are pickled by value: Ray's workers cannot import it
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    register_ray()
    try:
        yield lambda: parallel_config(backend="ray", n_jobs=-1)
    finally:
        ray.shutdown()
        ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.fixture(params=["dask", "ray"])
def engine(request):
    """(name, a context manager factory that makes the engine joblib's backend)."""
    return request.param, request.getfixturevalue(f"{request.param}_engine")


# Ray's joblib backend starts a new pool of worker processes for every loop (5-10 s here):
# the nested loops of a grid search and of the audit run on Ray in the slow suite only, to
# keep the default suite within its budget; Dask runs them in both.
@pytest.fixture(params=["dask", pytest.param("ray", marks=pytest.mark.slow)])
def nested_engine(request):
    """Like ``engine``; its Ray case is in the slow suite."""
    return request.param, request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture(scope="module")
def data(goemotions_slice):
    texts = list(goemotions_slice.X_train[:N_ROWS])
    Y = goemotions_slice.Y_train[:N_ROWS]
    X = TfidfFeaturizer().fit_transform(texts)
    return texts, sp.csr_matrix(X, dtype=np.float64), Y


def _local(fit):
    """The reference: a local run with one BLAS thread, as on the engines' workers
    (a different number of BLAS threads changes the last bits of liblinear's sums)."""
    with threadpool_limits(limits=1):
        return fit()


# --------------------------------------------------------------------------
# the estimators on the engines
# --------------------------------------------------------------------------


def test_binary_relevance_same_model_on_workers_features_once(engine, data, tmp_path):
    name, backend = engine
    _, X, Y = data
    local = _local(lambda: BinaryRelevance(PidLogisticRegression()).fit(X, Y))
    Xc = _counting(X, tmp_path)
    with backend():
        assert cluster_engine() == name
        remote = BinaryRelevance(PidLogisticRegression()).fit(Xc, Y)
    np.testing.assert_array_equal(remote.decision_function(X), local.decision_function(X))
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))
    pids = {est.fit_pid_ for est in remote.estimators_ if hasattr(est, "fit_pid_")}
    assert pids and os.getpid() not in pids  # every label was fitted on a worker
    # 28 labels in 8 tasks: X left the driver once, and reached each Dask worker once
    _check_copies(name, tmp_path, loops=1)


def test_chain_ensemble_same_model_on_workers(engine, data, tmp_path):
    name, backend = engine
    _, X, Y = data
    Y = Y[:, :6]
    kwargs = dict(n_chains=4, chain_method="decision_function", random_state=0)
    local = _local(lambda: ClassifierChainEnsemble(PidLogisticRegression(), **kwargs).fit(X, Y))
    Xc = _counting(X, tmp_path)
    with backend():
        remote = ClassifierChainEnsemble(PidLogisticRegression(), **kwargs).fit(Xc, Y)
    np.testing.assert_array_equal(remote.decision_function(X), local.decision_function(X))
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))
    pids = {est.fit_pid_ for chain in remote.estimators_ for est in chain.estimators_
            if hasattr(est, "fit_pid_")}
    assert pids and os.getpid() not in pids
    _check_copies(name, tmp_path, loops=1)  # 4 chains, one copy of X


def test_threshold_tuner_folds_same_thresholds_on_workers(engine, data, tmp_path):
    name, backend = engine
    _, X, Y = data
    local = _local(lambda: ThresholdTuner(BinaryRelevance(PidLogisticRegression()), cv=3,
                                          random_state=0).fit(X, Y))
    Xc = _counting(X, tmp_path)
    with backend():
        remote = ThresholdTuner(BinaryRelevance(PidLogisticRegression(log_dir=tmp_path)),
                                cv=3, random_state=0).fit(Xc, Y)
    np.testing.assert_array_equal(remote.oof_scores_, local.oof_scores_)
    np.testing.assert_array_equal(remote.thresholds_, local.thresholds_)
    assert remote.at_least_one_ == local.at_least_one_
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))
    fold_pids = _fit_pids(tmp_path)
    assert fold_pids - {os.getpid()}, "no fold was fitted on a worker"
    # two cluster loops: the 3 folds, then the refit's labels (the folds' own label
    # loops run on the fold's worker and ship nothing)
    _check_copies(name, tmp_path, loops=2)


def test_grid_search_over_mlkit_pipeline(nested_engine, data, tmp_path):
    name, backend = nested_engine
    texts, _, Y = data
    Y = Y[:, :8]

    def search(log_dir=None):
        pipe = Pipeline([("tfidf", TfidfFeaturizer()),
                         ("clf", BinaryRelevance(PidLogisticRegression(log_dir=log_dir)))])
        return GridSearchCV(pipe, {"clf__estimator__C": [1.0, 10.0]}, cv=2,
                            scoring="f1_macro").fit(np.asarray(texts, dtype=object), Y)

    local = _local(search)
    with backend():
        remote = search(tmp_path)
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"],
                                  local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_
    assert _fit_pids(tmp_path) - {os.getpid()}, "no candidate was fitted on a worker"


def test_audit_out_of_fold_on_workers(nested_engine, data, tmp_path):
    name, backend = nested_engine
    texts, _, Y = data

    def oof(log_dir=None):
        est = Pipeline([("tfidf", TfidfFeaturizer()),
                        ("tuner", ThresholdTuner(BinaryRelevance(
                            PidLogisticRegression(log_dir=log_dir))))])
        return out_of_fold(est, texts, Y, cv=3, random_state=0)

    local = _local(oof)
    with backend():
        remote = oof(tmp_path)
    for key in ("proba", "thresholds", "oof_pred", "train_pred"):
        np.testing.assert_array_equal(remote[key], local[key])
    assert _fit_pids(tmp_path) - {os.getpid()}, "no fold was fitted on a worker"


def test_shared_data_comes_back_in_the_calling_process(engine):
    """A loop that joblib runs in the driver after all still gets the data."""
    name, backend = engine
    X = sp.random(50, 20, density=0.2, format="csr", random_state=0)
    with backend():
        handle = share(X, name)
    assert handle is not X
    assert (fetch(handle) != X).nnz == 0


# --------------------------------------------------------------------------
# the helpers, without a cluster
# --------------------------------------------------------------------------


def test_local_backends_are_unchanged():
    assert backend_name() in {"loky", "threading", "sequential"}
    assert cluster_engine() is None
    X = np.ones((3, 2))
    assert share(X, None) is X
    with parallel_config(backend="threading", n_jobs=2):
        assert backend_name() == "threading" and cluster_engine() is None


@pytest.mark.parametrize(("n_labels", "n_jobs", "expected"), [
    (28, 2, 8), (3, 2, 3), (5000, 2, 8), (1, None, 1),
])
def test_label_chunks_cover_every_label_once(n_labels, n_jobs, expected):
    with parallel_config(backend="threading", n_jobs=n_jobs):
        chunks = label_chunks(n_labels, None)
    assert len(chunks) == expected
    assert [j for c in chunks for j in c] == list(range(n_labels))


@pytest.mark.parametrize(("module", "extra"), [("ray", "ray"), ("distributed", "dask"),
                                               ("dask", "dask")])
def test_missing_engine_names_the_extra(monkeypatch, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    with pytest.raises(ImportError, match=rf'pip install "mlkit\[{extra}\]"'):
        import_optional(module, purpose="Training on a cluster")


def test_sharing_with_ray_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r'Training on a Ray cluster requires .*'
                                          r'pip install "mlkit\[ray\]"'):
        share(np.ones(3), "ray")
