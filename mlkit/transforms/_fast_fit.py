"""How :class:`BinaryRelevance` runs its per-label fits: the default number of threads
and the input checks it can skip for the LIBLINEAR estimators.

Every label's classifier is still a real scikit-learn estimator fitted by its own
``fit``, so the decisions are exactly those of fitting each label on its own (and of
scikit-learn's ``OneVsRestClassifier``); only the work around the solver changes.
(``LinearSVC`` in the dual, with numba installed, goes through :mod:`._dual_cd`
instead, which gives the same fitted estimators without calling ``fit``; the rules
here then apply to everything else, and to ``LinearSVC`` without numba.)
"""

from __future__ import annotations

import contextlib

import numpy as np
from joblib import cpu_count
from joblib.parallel import get_active_backend
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

__all__ = [
    "AUTO_PROCESS_MIN_WORK", "MAX_AUTO_THREADS", "default_processes", "default_threads",
    "fast_fit", "is_liblinear", "label_fit_context", "needs_processes", "resolved_dual",
    "single_blas_thread", "thread_safe",
]

#: Upper bound of the default thread count: each label being fitted holds its own
#: LIBLINEAR copy of ``X`` (about 16 bytes per non-zero), so memory grows with it.
MAX_AUTO_THREADS = 8

#: Least work (non-zeros of ``X`` times the labels to fit) for which ``n_jobs=None``
#: fits a LIBLINEAR estimator that is not thread-safe in worker processes: about three
#: seconds of ``LinearSVC`` fits on one core. Below it, starting the processes and
#: sending them ``X`` cost about what the parallel fits save (Reuters' 90 labels on 5,200
#: articles, 5.7e7: 4.9 s in two processes against 4.6 s one label at a time). Above it
#: they pay: Reuters' 5 folds of 6,200 articles (8.5e7) make ``make_classifier("tfidf")``
#: fit in 14-15 s instead of 19-20 s; GoEmotions' 28 labels on 28,900 comments (8.9e7,
#: its 3 folds) and on 34,700 (1.1e8) are about 1.6x faster in two processes.
AUTO_PROCESS_MIN_WORK = 70_000_000


def default_threads(n_jobs, n_tasks):
    """The thread count for ``n_tasks`` independent fits when ``n_jobs`` is None.

    ``n_jobs=None`` means "as many threads as CPUs (at most
    :data:`MAX_AUTO_THREADS` and ``n_tasks``)" only where nothing else decides:
    no :func:`joblib.parallel_config` sets ``n_jobs`` or a backend other than
    joblib's default, and the call does not run inside another joblib worker
    (a cross-validation or grid search that already runs in parallel keeps its
    inner loops sequential, so the machine is not oversubscribed). The caller
    applies it only to fits that give the same model on threads
    (:func:`thread_safe`).

    Parameters
    ----------
    n_jobs : int or None
        The estimator's ``n_jobs``.
    n_tasks : int
        Number of fits to run.

    Returns
    -------
    n_jobs : int or None
        An int when the default applies, else ``n_jobs`` unchanged (None
        follows the joblib context as before).
    """
    if n_jobs is not None:
        return n_jobs
    backend, context_n_jobs = get_active_backend()
    if (context_n_jobs is not None or type(backend).__name__ != "LokyBackend"
            or getattr(backend, "nesting_level", 1) != 0):
        return None
    return max(1, min(int(n_tasks), cpu_count(), MAX_AUTO_THREADS))


def default_processes(estimator, X, n_jobs, n_tasks):
    """The worker-process count for ``n_tasks`` LIBLINEAR fits when ``n_jobs`` is None.

    The fits that are not thread-safe (:func:`thread_safe`: the dual solver of
    ``LinearSVC`` on text) give the same models in worker processes, where each
    fit seeds its own copy of LIBLINEAR's random generator from
    ``random_state``. ``n_jobs=None`` runs them in as many processes as
    :func:`default_threads` allows, when the work is large enough to pay for
    starting the processes and sending them ``X`` (at least
    :data:`AUTO_PROCESS_MIN_WORK` non-zeros times labels), and one at a time
    otherwise.

    Parameters
    ----------
    estimator : estimator object
        The base estimator.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The training features.
    n_jobs : int or None
        The estimator's ``n_jobs``.
    n_tasks : int
        Number of fits to run.

    Returns
    -------
    n_jobs : int or None
        An int when the default applies, else ``n_jobs`` unchanged.
    """
    if n_jobs is not None or not is_liblinear(estimator):
        return n_jobs
    nnz = X.nnz if hasattr(X, "nnz") else int(np.prod(X.shape))
    if nnz * int(n_tasks) < AUTO_PROCESS_MIN_WORK:
        return None
    return default_threads(None, n_tasks)


def thread_safe(estimator, X):
    """Whether fits of ``estimator`` on ``X`` give the same model when run on threads.

    scikit-learn's LIBLINEAR keeps one random generator for the whole process:
    its solvers that shuffle (the dual coordinate descent that ``LinearSVC``
    uses on text, where there are fewer rows than features, and the L1 solvers)
    draw from it, so two fits running at the same time on threads change each
    other's permutations and the models differ in the last digits from run to
    run (scikit-learn issue #8410). Its L2 primal solvers (trust-region Newton)
    use no random numbers. True only for those: ``LogisticRegression(solver=
    "liblinear")`` and ``LinearSVC`` with an L2 penalty, solved in the primal.
    Other estimators are not known to be safe and return False.

    Parameters
    ----------
    estimator : estimator object
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The training features (``dual="auto"`` depends on their shape).

    Returns
    -------
    bool
    """
    if not is_liblinear(estimator):
        return False
    params = estimator.get_params(deep=False)
    if isinstance(estimator, LogisticRegression):
        return (params["dual"] is False and params.get("penalty", "l2") in ("l2", "deprecated")
                and params.get("l1_ratio") in (None, 0, 0.0))
    if (params["penalty"] != "l2" or params["loss"] != "squared_hinge"
            or params["multi_class"] != "ovr"):
        return False
    return not resolved_dual(estimator, X)


def resolved_dual(estimator, X):
    """``LinearSVC``'s ``dual`` as scikit-learn resolves ``dual="auto"`` on ``X``.

    With ``"auto"``: the dual when there are fewer rows than features (text), and
    always for the hinge loss (which has no primal solver); otherwise the
    parameter as given.

    Parameters
    ----------
    estimator : LinearSVC
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)

    Returns
    -------
    dual : bool or the parameter as given
    """
    dual = estimator.get_params(deep=False)["dual"]
    if isinstance(dual, str) and dual == "auto":
        return estimator.loss == "hinge" or X.shape[0] < X.shape[1]
    return dual


def needs_processes(estimator, X):
    """Whether parallel fits of ``estimator`` on ``X`` must run in worker processes.

    True for scikit-learn's LIBLINEAR estimators whose solver shuffles with
    LIBLINEAR's process-wide random generator (not :func:`thread_safe`): on
    threads, concurrent fits would change each other's models; in processes
    each fit seeds its own copy from ``random_state``.

    Parameters
    ----------
    estimator : estimator object
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)

    Returns
    -------
    bool
    """
    return is_liblinear(estimator) and not thread_safe(estimator, X)


def is_liblinear(estimator):
    """Whether ``estimator`` is one of scikit-learn's LIBLINEAR classifiers, exactly.

    ``LinearSVC`` and ``LogisticRegression(solver="liblinear")``; subclasses are
    not, since they may validate their inputs differently.

    Parameters
    ----------
    estimator : estimator object

    Returns
    -------
    bool
    """
    cls = type(estimator)
    if cls is LinearSVC:
        return True
    return cls is LogisticRegression and getattr(estimator, "solver", None) == "liblinear"


def fast_fit(estimator, fit_params):
    """Whether each label's ``estimator.fit`` may skip the finiteness checks.

    True for a LIBLINEAR estimator (:func:`is_liblinear`) fitted with no fit
    parameter other than ``sample_weight``: :class:`BinaryRelevance` checked
    ``X`` once before the labels and this function checks ``sample_weight``
    here, once, so each label's ``fit`` runs in :func:`label_fit_context`
    (scikit-learn's ``assume_finite``). Everything else (parameter
    validation, label encoding, the solver) runs as in a plain ``fit``.

    Parameters
    ----------
    estimator : estimator object
        The base estimator.
    fit_params : dict
        The fit parameters every label gets.

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        If ``sample_weight`` holds NaN or infinite values.
    """
    if not is_liblinear(estimator) or set(fit_params) - {"sample_weight"}:
        return False
    weights = fit_params.get("sample_weight")
    if weights is not None and not np.isscalar(weights):
        weights = np.asarray(weights)
        if weights.dtype.kind in "fc" and not np.isfinite(weights).all():
            raise ValueError(
                "sample_weight contains NaN or infinity; pass finite weights (0 drops a row).")
    return True


def label_fit_context(fast):
    """The context of one label's ``fit``: ``assume_finite`` when ``fast``.

    Parameters
    ----------
    fast : bool
        What :func:`fast_fit` returned.

    Returns
    -------
    context : context manager
    """
    return config_context(assume_finite=True) if fast else contextlib.nullcontext()


def single_blas_thread(fast):
    """The context of the whole per-label loop: one BLAS thread when ``fast``.

    scikit-learn's LIBLINEAR calls BLAS level-1 routines (dot products, axpy) on
    vectors as long as the number of features, and a threaded BLAS spreads each
    call over its threads: more CPU for less speed, and far worse on a loaded
    machine, where the BLAS threads spin (Reuters, 20 labels of
    ``LogisticRegression(solver="liblinear")``: 18.6 CPU seconds with
    OpenBLAS's default threads, 3.3 with one). The labels are what runs in
    parallel here. The limit is process-wide while the labels are fitted.

    Parameters
    ----------
    fast : bool
        What :func:`fast_fit` returned (True for the LIBLINEAR estimators).

    Returns
    -------
    context : context manager
    """
    return threadpool_limits(limits=1, user_api="blas") if fast else contextlib.nullcontext()
