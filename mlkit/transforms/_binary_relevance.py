"""Binary relevance: one independent binary classifier per label."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeClassifier
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import delayed
from sklearn.utils.validation import check_is_fitted

from .._compat import LinearClassifierMixin, validate_data
from .._engines import cluster_engine, fetch, label_chunks, parallel, share
from ..base import CONSTANT_DECISION, fit_context
from . import _dual_cd
from ._base import (
    ESTIMATOR_CONSTRAINTS,
    N_JOBS_CONSTRAINTS,
    ProblemTransformation,
    base_estimator_has,
    constant_value,
    label_column,
    prepare_features,
)
from ._fast_fit import (
    default_processes,
    default_threads,
    fast_fit,
    label_fit_context,
    needs_processes,
    single_blas_thread,
    thread_safe,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["BinaryRelevance"]


class _ConstantLabel:
    """Stands in for a label that had a single class in the training data."""

    def __init__(self, value):
        self.value = int(value)

    def predict(self, X):
        return np.full(X.shape[0], self.value, dtype=np.int64)

    def predict_proba(self, X):
        proba = np.zeros((X.shape[0], 2))
        proba[:, self.value] = 1.0
        return proba

    def decision_function(self, X):
        return np.full(X.shape[0], CONSTANT_DECISION if self.value else -CONSTANT_DECISION)

    def __repr__(self):
        return f"_ConstantLabel(value={self.value})"


def _fit_binary(estimator, X, y, fit_params, fast=False):
    value = constant_value(y, fit_params)
    if value is not None:
        return _ConstantLabel(value)
    est = clone(estimator)
    with label_fit_context(fast):
        est.fit(X, y, **fit_params)
    return est


def _fit_labels(estimator, X, Y_block, fit_params, fast=False):
    """One cluster task: the classifiers of a chunk of labels, on one copy of ``X``."""
    X = fetch(X)
    return [_fit_binary(estimator, X, Y_block[:, k], fit_params, fast)
            for k in range(Y_block.shape[1])]


def _fit_all_labels(estimator, X, columns, fit_params, n_jobs, n_fitted):
    """Every label's classifier: one task per label on threads (or the local backend in
    effect); on a Dask or Ray cluster, ``X`` is shared once and each task fits a chunk of
    labels, so the features travel to each worker once, not once per label.

    Locally, ``n_jobs=None`` outside any joblib context fits one label per CPU on threads
    when the base estimator gives the same model on threads (:func:`thread_safe`). A
    LIBLINEAR estimator that shuffles with LIBLINEAR's process-wide random generator
    (``LinearSVC`` in the dual) is fitted in worker processes, so that ``random_state``
    keeps giving the same models: when ``n_jobs`` asks for parallel fits, and by default
    when the work is large enough (:func:`default_processes`). Other estimators are
    fitted one label at a time unless ``n_jobs`` says otherwise.

    With numba installed, ``LinearSVC`` in the dual goes through :mod:`._dual_cd`
    instead (:func:`_fit_compiled`): the same models, on threads."""
    fast = fast_fit(estimator, fit_params)
    engine = cluster_engine()
    if engine is None and _dual_cd.supports(estimator, X, fit_params):
        return _fit_compiled(estimator, X, columns, fit_params, n_jobs)
    if engine is None:
        tasks = (delayed(_fit_binary)(estimator, X, y, fit_params, fast) for y in columns)
        with single_blas_thread(fast):
            if thread_safe(estimator, X):
                threads = default_threads(n_jobs, n_fitted)
                # the default is threads even under an explicit loky parallel_config
                extra = ({"require": "sharedmem"} if n_jobs is None and threads is not None
                         else {})
                return parallel(threads, **extra)(tasks)
            if needs_processes(estimator, X):
                return parallel(default_processes(estimator, X, n_jobs, n_fitted),
                                prefer="processes")(tasks)
            return parallel(n_jobs, prefer="threads")(tasks)
    X_shared = share(X, engine)
    parts = parallel(n_jobs)(
        delayed(_fit_labels)(estimator, X_shared,
                             np.column_stack([columns[j] for j in chunk]), fit_params, fast)
        for chunk in label_chunks(len(columns), n_jobs))
    return [est for part in parts for est in part]


def _fit_compiled(estimator, X, columns, fit_params, n_jobs):
    """Every label's ``LinearSVC`` through :mod:`._dual_cd`: ``LinearSVC.fit``'s models.

    The labels' seeds are drawn here, in label order, exactly as one ``fit`` per
    label draws them (so ``random_state=None`` follows NumPy's global generator as
    the plain fits would), and a label :func:`._dual_cd.plan` declines is fitted
    here by its own ``fit``; the rest are solved on threads (``n_jobs=None``: one
    per CPU, at most 8, as for the other thread-safe estimators), each with its own
    random generator, with no copy of ``X``, the labels with the most positive rows
    first.
    """
    fitted, jobs = [], []
    for y in columns:
        value = constant_value(y, fit_params)
        if value is not None:
            fitted.append(_ConstantLabel(value))
            continue
        est = clone(estimator)
        plan = _dual_cd.plan(est, X, y, fit_params)
        if plan is None:
            fitted.append(est.fit(X, y, **fit_params))
            continue
        jobs.append((len(fitted), est, plan, _dual_cd.seed_for(est)))
        fitted.append(None)
    # the labels with the most positive rows usually take the longest: start them first, so
    # that no thread is left with a long fit while the others have finished (results go
    # back to their positions)
    jobs.sort(key=lambda job: -int((job[2][2] > 0).sum()))
    threads = default_threads(n_jobs, len(jobs))
    extra = {"require": "sharedmem"} if n_jobs is None and threads is not None else {}
    results = parallel(threads, **extra)(
        delayed(_dual_cd.solve)(est, X, plan, seed) for _, est, plan, seed in jobs)
    for (position, *_), (est, _) in zip(jobs, results, strict=True):
        fitted[position] = est
    failed = sum(not converged for _, converged in results)
    if failed:
        warnings.warn(
            "Liblinear failed to converge, increase the number of iterations "
            f"({failed} of {len(results)} labels stopped at max_iter).",
            ConvergenceWarning, stacklevel=5)
    return fitted


def _positive_column(est, X, method):
    out = getattr(est, method)(X)
    if method == "predict_proba":
        out = np.asarray(out)
        classes = getattr(est, "classes_", np.array([0, 1]))
        return out[:, list(classes).index(1)] if out.ndim == 2 else out
    if sp.issparse(out):
        out = out.toarray()
    return np.asarray(out, dtype=float).ravel()


def _linear_binary_coef(est, n_features):
    """(coef, intercept) of a fitted binary linear classifier whose decision
    function is scikit-learn's ``X @ coef_.T + intercept_``; None otherwise."""
    if LinearClassifierMixin is None:
        return None
    cls = type(est)
    if (cls.decision_function is not LinearClassifierMixin.decision_function
            or cls.predict is not LinearClassifierMixin.predict):
        return None
    coef = getattr(est, "coef_", None)
    classes = getattr(est, "classes_", None)
    if (coef is None or sp.issparse(coef) or classes is None
            or list(classes) != [0, 1] or np.shape(coef) != (1, n_features)):
        return None
    return np.asarray(coef, dtype=np.float64).ravel(), float(np.ravel(est.intercept_)[0])


def _is_vectorizable(estimator):
    # RidgeClassifier fits a multi-label Y as independent ridge regressions on
    # +/-1 targets that share X: exactly the per-label model, solved in one call.
    return type(estimator) is RidgeClassifier and estimator.class_weight is None


class BinaryRelevance(ProblemTransformation):
    """One binary classifier per label, fitted in parallel over labels.

    Every label gets a clone of ``estimator`` fitted on the same features.
    The features are validated and converted once (CSR float64 with sorted
    indices) instead of once per label; for scikit-learn's LIBLINEAR
    classifiers each label's ``fit`` then skips the finiteness checks of
    ``X`` and ``sample_weight`` (done once), and is otherwise the plain
    ``fit``. Labels are dispatched through scikit-learn's
    :class:`~sklearn.utils.parallel.Parallel` (threads where they give the
    same models: scikit-learn's liblinear and most linear solvers release the
    GIL, so no copy of ``X`` is sent to worker processes; for ``LinearSVC``
    on text, mlkit's compiled copy of its dual solver on threads when numba is
    installed, else worker processes; see ``n_jobs``). Inside
    ``joblib.parallel_config(backend="dask")`` (or ``"ray"``) the labels are
    fitted on the cluster's workers: ``X`` is put on the cluster once, and
    the labels go in chunks, about four per worker, so the features travel to
    each worker once, not once per label.

    Labels with no positive (or no negative) example in the training data,
    common inside cross-validation folds, get a constant predictor instead of
    an error. For :class:`~sklearn.linear_model.RidgeClassifier` all labels are
    solved in one multi-output call, which gives the same model.

    Parameters
    ----------
    estimator : estimator object, default=None
        A binary classifier with ``fit`` and ``decision_function`` or
        ``predict_proba``. None means
        ``LogisticRegression(solver="liblinear", C=10.0)``.
    n_jobs : int, default=None
        Number of labels fitted in parallel; -1 uses all processors. None
        follows a :func:`joblib.parallel_config` context when one sets
        ``n_jobs`` or a backend (the Dask backend's default is every worker
        thread of the cluster, the Ray backend's is 1, so use ``n_jobs=-1``
        there). Without such a context, None fits one label per CPU (at most
        8) on threads when the base estimator gives the same model on threads
        (LIBLINEAR's L2 primal solvers: ``LogisticRegression(solver=
        "liblinear")``, ``LinearSVC(dual=False)``); inside another joblib
        worker it stays one at a time. ``LinearSVC`` on text solves the dual,
        which shuffles with LIBLINEAR's process-wide random generator: two of
        scikit-learn's fits on threads would change each other's models
        (scikit-learn issue #8410). With numba installed (``mlkit[fast]``),
        mlkit fits it with its own compiled copy of that solver instead: the
        same models bit for bit, one random generator per fit, no copy of ``X``
        per label, so on threads like the estimators above (on two CPUs 2.4-3.7x
        faster than scikit-learn's ``OneVsRestClassifier`` at both defaults,
        1.5-2.1x at the same ``n_jobs=2``). Without numba its
        parallel fits run in worker processes, so that ``random_state`` keeps
        giving the same models: None runs them in one process per CPU (at most
        8) when the fits are large enough to pay for the processes (non-zeros of
        ``X`` times labels at least 7e7, about three seconds of fitting on one
        core; GoEmotions' TF-IDF features are 2.4e8), and one label at a time
        below that. Other estimators are fitted one label at a time.

    Notes
    -----
    Fit parameters (``sample_weight``, ...) go to every label's ``fit``. With
    scikit-learn's metadata routing enabled, only those the base estimator
    requested with ``set_fit_request`` do (see :meth:`get_metadata_routing`).
    A label whose class is constant among the rows with a positive
    ``sample_weight`` is a constant predictor, so a zero weight is the same as
    dropping the row.

    Attributes
    ----------
    estimators_ : list of estimators
        One fitted estimator per label (a constant predictor for labels that
        were constant in the training data). Empty when
        ``vectorized_`` is True.
    vectorized_ : bool
        Whether all labels were solved in a single multi-output fit, stored in
        ``multi_estimator_``.
    classes_ : ndarray of shape (n_labels,)
        Label names when ``Y`` carried names (DataFrame columns or label
        lists), else ``np.arange(n_labels)``.
    n_labels_ : int
        Number of labels.
    constant_labels_ : ndarray of shape (n_labels,) of bool
        Labels that had a single class in the training data.
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    ClassifierChain : Models label dependence by chaining the predictions.
    ThresholdTuner : Learns per-label decision thresholds from out-of-fold scores.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.svm import LinearSVC
    >>> from mlkit import BinaryRelevance
    >>> X, Y = make_multilabel_classification(n_samples=100, n_classes=4, random_state=0)
    >>> clf = BinaryRelevance(LinearSVC()).fit(X, Y)
    >>> clf.decision_function(X[:2]).shape
    (2, 4)
    >>> clf.predict(X[:2]).shape
    (2, 4)
    """

    _parameter_constraints = {**ESTIMATOR_CONSTRAINTS, "n_jobs": N_JOBS_CONSTRAINTS}

    def __init__(self, estimator: Any = None, *, n_jobs: int | None = None) -> None:
        self.estimator = estimator
        self.n_jobs = n_jobs

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: ArrayLike | sp.spmatrix, Y: ArrayLike | sp.spmatrix, **fit_params: Any) -> BinaryRelevance:
        """Fit one binary classifier per label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features (for raw texts, put a featurizer in front, e.g. in a
            :class:`~sklearn.pipeline.Pipeline` with :class:`TfidfFeaturizer`).
        Y : array-like, sparse matrix, DataFrame or list of label collections
            Labels; see :func:`mlkit.labels_to_indicator`.
        **fit_params : dict
            Passed to every label's ``fit`` (e.g. ``sample_weight``), also to
            the single multi-output fit of the RidgeClassifier path. With
            metadata routing enabled, only the parameters the base estimator
            requested (``set_fit_request``) are passed.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        params = self._fit_params_for_base(fit_params)
        X, Y = self._validate_fit_data(X, Y)
        X = prepare_features(X)
        self._linear_cache = None
        base = self._base_estimator()
        if sp.issparse(Y):
            Y = Y.tocsc()
        n_labels = Y.shape[1]
        columns = [label_column(Y, j) for j in range(n_labels)]
        values = [constant_value(c, params) for c in columns]
        self.constant_labels_ = np.array([v is not None for v in values], dtype=bool)
        self.vectorized_ = False
        self.estimators_ = []
        if self.constant_labels_.any():  # same warning on the vectorized path
            n = int(self.constant_labels_.sum())
            warnings.warn(
                f"{n} of {n_labels} label(s) had a single class in the training data "
                "and will always be predicted as that class.",
                UserWarning,
                stacklevel=2,
            )
        if _is_vectorizable(base) and not self.constant_labels_.all():
            Yd = np.column_stack(columns)
            if n_labels == 1:  # a column vector makes RidgeClassifier warn; same model
                Yd = Yd.ravel()
            self.multi_estimator_ = clone(base).fit(X, Yd, **params)
            self.vectorized_ = True
            self._constant_values = np.array(
                [c[0] if v is None else v for c, v in zip(columns, values, strict=True)])
            return self
        self.estimators_ = _fit_all_labels(base, X, columns, params, self.n_jobs,
                                           int((~self.constant_labels_).sum()))
        self._linear_cache = (self._build_linear_stack(),)
        return self

    def _stack(self, X, method):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], reset=False)
        X = prepare_features(X)
        if self.vectorized_:
            scores = np.asarray(self.multi_estimator_.decision_function(X), float)
            scores = scores.reshape(X.shape[0], -1)
            const = self.constant_labels_
            if const.any():
                scores[:, const] = np.where(self._constant_values[const] == 1,
                                            CONSTANT_DECISION, -CONSTANT_DECISION)
            if method == "predict":
                return (scores > 0).astype(np.int64)
            return scores
        stacked = self._linear_stack() if method != "predict_proba" else None
        if stacked is not None:
            coef, intercept = stacked
            scores = np.asarray(X @ coef, dtype=np.float64) + intercept
            if method == "predict":
                return (scores > 0).astype(np.int64)
            return scores
        cols = parallel(self.n_jobs)(
            delayed(_positive_column)(est, X, method) for est in self.estimators_
        )
        out = np.column_stack(cols) if cols else np.zeros((X.shape[0], 0))
        if method == "predict":
            return out.astype(np.int64)
        return out.astype(np.float64)

    def _linear_stack(self):
        cached = getattr(self, "_linear_cache", None)
        return cached[0] if cached is not None else None

    def _build_linear_stack(self):
        """All labels' linear models as one (n_features, n_labels) matrix, or None.

        When every label's classifier is a binary linear classifier using
        scikit-learn's own ``decision_function`` (LinearSVC,
        LogisticRegression, SGDClassifier, ...), scoring all labels is one
        sparse-dense product instead of one call per label: identical
        decision values, far less per-call overhead (what a server answering
        small batches pays). Built by ``fit``; not pickled but rebuilt on
        unpickling.
        """
        n_features = self.n_features_in_
        coefs, intercepts = [], []
        stacked = None
        for est in self.estimators_:
            if isinstance(est, _ConstantLabel):
                coefs.append(np.zeros(n_features))
                intercepts.append(CONSTANT_DECISION if est.value else -CONSTANT_DECISION)
                continue
            pair = _linear_binary_coef(est, n_features)
            if pair is None:
                break
            coefs.append(pair[0])
            intercepts.append(pair[1])
        else:
            if self.estimators_:
                stacked = (np.column_stack(coefs), np.asarray(intercepts))
        return stacked

    @classmethod
    def _can_average(cls, estimator):
        """Whether :meth:`_average_fitted` can average fitted copies of ``estimator``: a
        base estimator that is a binary linear classifier fitted one label at a time."""
        base = estimator._base_estimator()
        if _is_vectorizable(base) or LinearClassifierMixin is None:
            return False
        cls_ = type(base)
        return (isinstance(base, LinearClassifierMixin)
                and cls_.decision_function is LinearClassifierMixin.decision_function
                and cls_.predict is LinearClassifierMixin.predict)

    @classmethod
    def _average_fitted(cls, models):
        """One fitted model whose decision values are the mean of ``models``' (fitted on
        different rows of the same data, e.g. cross-validation folds), or None when they
        cannot be averaged exactly: every label's classifier must be a binary linear one
        (see :meth:`_build_linear_stack`). A label constant in some of the models'
        training rows averages the others; constant in all, it stays constant.
        Used by ``ThresholdTuner(refit="average")``."""
        import copy

        models = list(models)
        if not models or any(type(m) is not cls for m in models):
            return None
        first = models[0]
        if any(m.n_features_in_ != first.n_features_in_ or len(m.estimators_) !=
               len(first.estimators_) for m in models):
            return None
        if any(m._linear_stack() is None for m in models):  # also the vectorized ridge
            return None
        # a new object sharing the first model's attributes, with its own per-label lists
        # (a deepcopy would rebuild and copy the stacked coefficients once more)
        out = cls.__new__(cls)
        out.__dict__.update(first.__dict__)
        out.estimators_ = list(first.estimators_)
        out.constant_labels_ = first.constant_labels_.copy()
        for j in range(len(first.estimators_)):
            fitted = [m.estimators_[j] for m in models
                      if not isinstance(m.estimators_[j], _ConstantLabel)]
            if not fitted:
                continue
            est = copy.copy(fitted[0])  # its coefficients are replaced, not changed in place
            est.coef_ = np.mean([f.coef_ for f in fitted], axis=0)
            est.intercept_ = np.mean([f.intercept_ for f in fitted], axis=0)
            out.estimators_[j] = est
            out.constant_labels_[j] = False
        out._linear_cache = (out._build_linear_stack(),)
        return out

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_linear_cache", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if getattr(self, "estimators_", None) and not getattr(self, "vectorized_", True):
            self._linear_cache = (self._build_linear_stack(),)

    def predict(self, X: ArrayLike | sp.spmatrix) -> NDArray[np.int64]:
        """Predict the labels of each sample with every label's own ``predict``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels)
            0/1 indicator matrix. Use :class:`ThresholdTuner` for tuned
            thresholds instead of each base estimator's default.
        """
        return self._stack(X, "predict")

    def _has(method):
        def check(self):
            if getattr(self, "vectorized_", False):
                return method == "decision_function"
            return base_estimator_has(method)(self)

        return check

    @available_if(_has("predict_proba"))
    def predict_proba(self, X: ArrayLike | sp.spmatrix) -> NDArray[np.float64]:
        """Probability of each label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        P : ndarray of shape (n_samples, n_labels)
            Dense array; column ``j`` is the probability that label ``j`` applies.
        """
        return self._stack(X, "predict_proba")

    @available_if(_has("decision_function"))
    def decision_function(self, X: ArrayLike | sp.spmatrix) -> NDArray[np.float64]:
        """Decision value of each label's classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_labels)
            Dense array; higher means more likely. Constant labels score
            +/-1000.
        """
        return self._stack(X, "decision_function")
