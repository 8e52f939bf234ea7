"""Classifier chains and an ensemble of chains over random label orders."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import delayed
from sklearn.utils.validation import check_is_fitted

from .._compat import validate_data
from .._engines import cluster_engine, fetch, parallel, share
from ..base import Interval, StrOptions, fit_context, slice_fit_params
from ._base import (
    ESTIMATOR_CONSTRAINTS,
    N_JOBS_CONSTRAINTS,
    ProblemTransformation,
    base_estimator_has,
    constant_value,
    label_column,
    prepare_features,
)
from ._binary_relevance import _ConstantLabel, _fit_binary, _positive_column
from ._fast_fit import needs_processes

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray
    from sklearn.model_selection import BaseCrossValidator

__all__ = ["ClassifierChain", "ClassifierChainEnsemble"]

_CHAIN_METHODS = ("predict", "predict_proba", "decision_function")


def _out_of_fold_column(base, X, y, cv, method, fit_params):
    """Out-of-fold output for one label; folds where the label is constant never fail.

    Fit parameters with one value per row (``sample_weight``) are sliced to each
    fold's training rows.
    """
    cv = check_cv(cv, y, classifier=True)
    out = np.zeros(X.shape[0])
    for train, test in cv.split(X, y):
        est = _fit_binary(base, X[train], y[train],
                          slice_fit_params(fit_params, train, X.shape[0]))
        out[test] = _positive_column(est, X[test], method)
    return out


def _append(X, column):
    column = np.asarray(column, dtype=np.float64).reshape(-1, 1)
    if sp.issparse(X):
        return sp.hstack([X, sp.csr_matrix(column)], format="csr")
    return np.hstack([X, column])


class ClassifierChain(ProblemTransformation):
    """Binary classifiers linked in a chain: each sees the previous labels.

    The classifier for the ``k``-th label in ``order`` is trained on the
    features plus the values of the ``k - 1`` labels before it. At prediction
    time the chain feeds its own outputs forward.

    Parameters
    ----------
    estimator : estimator object, default=None
        Binary classifier; None means
        ``LogisticRegression(solver="liblinear", C=10.0)``.
    order : {None, "random"} or array-like of int, default=None
        Order of the labels in the chain. None keeps the column order,
        ``"random"`` draws a permutation from ``random_state``; a list gives
        the column indices explicitly.
    cv : int, cross-validation generator or None, default=None
        How the previous labels are represented while training. None uses the
        true labels with ``chain_method="predict"``, and each previous
        classifier's own (in-sample) ``predict_proba`` or ``decision_function``
        on the training data otherwise (scikit-learn's ``ClassifierChain`` uses
        the true labels in both cases); an int or splitter uses out-of-fold
        outputs (closer to what the chain sees at prediction time).
    chain_method : {"predict", "predict_proba", "decision_function"}, default="predict"
        Output of the previous classifiers appended as features.
    random_state : int, RandomState instance or None, default=None
        Used when ``order="random"`` and by ``cv`` splitters that shuffle.

    Notes
    -----
    Fit parameters (``sample_weight``, ...) go to every classifier's ``fit``,
    sliced to the training rows of each fold when ``cv`` builds out-of-fold
    outputs. With scikit-learn's metadata routing enabled, only those the base
    estimator requested with ``set_fit_request`` do. A label whose class is
    constant among the rows with a positive ``sample_weight`` is a constant
    predictor, so a zero weight is the same as dropping the row.

    Attributes
    ----------
    estimators_ : list of estimators
        Fitted classifiers, in chain order.
    order_ : ndarray of int
        The chain order used.
    classes_ : ndarray of shape (n_labels,)
        Label names, or ``np.arange(n_labels)``.

    See Also
    --------
    ClassifierChainEnsemble : Averages several chains with random orders.
    BinaryRelevance : Independent classifiers, one per label.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from mlkit import ClassifierChain
    >>> X, Y = make_multilabel_classification(n_samples=100, n_classes=4, random_state=0)
    >>> chain = ClassifierChain(order="random", random_state=0).fit(X, Y)
    >>> chain.predict_proba(X[:2]).shape
    (2, 4)
    """

    _parameter_constraints = {
        **ESTIMATOR_CONSTRAINTS,
        "order": [None, StrOptions({"random"}), "array-like"],
        "cv": ["cv_object"],
        "chain_method": [StrOptions(set(_CHAIN_METHODS))],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator: Any = None, *, order: Sequence[int] | str | None = None,
                 cv: int | BaseCrossValidator | Iterable[Any] | None = None,
                 chain_method: str = "predict",
                 random_state: int | np.random.RandomState | None = None) -> None:
        self.estimator = estimator
        self.order = order
        self.cv = cv
        self.chain_method = chain_method
        self.random_state = random_state

    def _resolve_order(self, n_labels, random_state):
        if self.order is None:
            return np.arange(n_labels)
        if isinstance(self.order, str):  # "random", the only string the constraints allow
            return random_state.permutation(n_labels)
        order = np.asarray(self.order)
        if order.ndim != 1 or sorted(order.tolist()) != list(range(n_labels)):
            raise ValueError(
                f"order must be a permutation of 0..{n_labels - 1} (one entry per label); "
                f"got {self.order!r}."
            )
        return order.astype(int)

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: ArrayLike | sp.spmatrix, Y: ArrayLike | sp.spmatrix, **fit_params: Any) -> ClassifierChain:
        """Fit the chain.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Y : array-like, sparse matrix, DataFrame or list of label collections
        **fit_params : dict
            Passed to every classifier's ``fit`` (e.g. ``sample_weight``);
            parameters with one value per row are sliced to each fold's
            training rows when ``cv`` is set. With metadata routing enabled,
            only the parameters the base estimator requested are passed.

        Returns
        -------
        self : object
        """
        params = self._fit_params_for_base(fit_params)
        X, Y = self._validate_fit_data(X, Y)
        random_state = check_random_state(self.random_state)
        X = prepare_features(X)
        if sp.issparse(Y):
            Y = Y.tocsc()
        self.order_ = self._resolve_order(Y.shape[1], random_state)
        base = self._base_estimator()
        self.estimators_ = []
        X_aug = X
        for j in self.order_:
            y = label_column(Y, j)
            value = constant_value(y, params)
            if value is not None:
                est = _ConstantLabel(value)
            else:
                est = clone(base).fit(X_aug, y, **params)
            self.estimators_.append(est)
            if self.cv is None or isinstance(est, _ConstantLabel):
                feature = y if self.chain_method == "predict" else _positive_column(
                    est, X_aug, self.chain_method)
            else:
                feature = _out_of_fold_column(base, X_aug, y, self.cv, self.chain_method,
                                              params)
            X_aug = _append(X_aug, feature)
        return self

    def _chain_outputs(self, X, method):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], reset=False)
        X_aug = prepare_features(X)
        out = np.zeros((X_aug.shape[0], len(self.order_)))
        for est, j in zip(self.estimators_, self.order_, strict=True):
            out[:, j] = _positive_column(est, X_aug, method)
            if method == self.chain_method:
                feature = out[:, j]
            else:
                feature = _positive_column(est, X_aug, self.chain_method)
            X_aug = _append(X_aug, feature)
        return out

    def predict(self, X: ArrayLike | sp.spmatrix) -> NDArray[np.int64]:
        """Predict labels by running the chain.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels)
        """
        return self._chain_outputs(X, "predict").astype(np.int64)

    @available_if(base_estimator_has("predict_proba"))
    def predict_proba(self, X: ArrayLike | sp.spmatrix) -> NDArray[np.float64]:
        """Probability of each label, from the chain.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        P : ndarray of shape (n_samples, n_labels)
        """
        return self._chain_outputs(X, "predict_proba")

    @available_if(base_estimator_has("decision_function"))
    def decision_function(self, X: ArrayLike | sp.spmatrix) -> NDArray[np.float64]:
        """Decision value of each label, from the chain.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_labels)
        """
        return self._chain_outputs(X, "decision_function")


def _fit_chain(chain, X, Y, fit_params):
    return chain.fit(fetch(X), fetch(Y), **fit_params)


class ClassifierChainEnsemble(ProblemTransformation):
    """Average of several classifier chains, each with a random label order.

    Parameters
    ----------
    estimator : estimator object, default=None
        Binary classifier; None means
        ``LogisticRegression(solver="liblinear", C=10.0)``.
    n_chains : int, default=10
        Number of chains.
    cv : int, cross-validation generator or None, default=None
        Passed to each :class:`ClassifierChain`.
    chain_method : {"predict", "predict_proba", "decision_function"}, default="predict"
        Passed to each :class:`ClassifierChain`.
    n_jobs : int, default=None
        Chains fitted in parallel (on threads; in worker processes for
        ``LinearSVC`` on text, whose LIBLINEAR dual solver shuffles with one
        random generator per process, so that ``random_state`` keeps giving
        the same models). None means 1 unless in a
        :func:`joblib.parallel_config` context; inside
        ``parallel_config(backend="dask")`` (or ``"ray"``, with ``n_jobs=-1``)
        the chains are fitted on the cluster's workers, and ``X`` and ``Y``
        travel to each worker once, not once per chain.
    random_state : int, RandomState instance or None, default=None
        Seeds the random orders.

    Notes
    -----
    Fit parameters (``sample_weight``, ...) go to every chain's ``fit``; with
    scikit-learn's metadata routing enabled, only those the base estimator
    requested with ``set_fit_request`` do.

    Attributes
    ----------
    estimators_ : list of ClassifierChain
    classes_ : ndarray of shape (n_labels,)

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from mlkit import ClassifierChainEnsemble
    >>> X, Y = make_multilabel_classification(n_samples=100, n_classes=4, random_state=0)
    >>> ens = ClassifierChainEnsemble(n_chains=3, random_state=0).fit(X, Y)
    >>> ens.predict_proba(X[:2]).shape
    (2, 4)
    """

    _parameter_constraints = {
        **ESTIMATOR_CONSTRAINTS,
        "n_chains": [Interval(numbers.Integral, 1, None, closed="left")],
        "cv": ["cv_object"],
        "chain_method": [StrOptions(set(_CHAIN_METHODS))],
        "n_jobs": N_JOBS_CONSTRAINTS,
        "random_state": ["random_state"],
    }

    def __init__(self, estimator: Any = None, *, n_chains: int = 10,
                 cv: int | BaseCrossValidator | Iterable[Any] | None = None,
                 chain_method: str = "predict", n_jobs: int | None = None,
                 random_state: int | np.random.RandomState | None = None) -> None:
        self.estimator = estimator
        self.n_chains = n_chains
        self.cv = cv
        self.chain_method = chain_method
        self.n_jobs = n_jobs
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: ArrayLike | sp.spmatrix, Y: ArrayLike | sp.spmatrix,
            **fit_params: Any) -> ClassifierChainEnsemble:
        """Fit ``n_chains`` chains with random label orders.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Y : array-like, sparse matrix, DataFrame or list of label collections
        **fit_params : dict
            Passed to every chain's ``fit`` (e.g. ``sample_weight``). With
            metadata routing enabled, only the parameters the base estimator
            requested are passed.

        Returns
        -------
        self : object
        """
        params = self._fit_params_for_base(fit_params)
        X, Y = self._validate_fit_data(X, Y)
        X = prepare_features(X)
        random_state = check_random_state(self.random_state)
        seeds = random_state.randint(np.iinfo(np.int32).max, size=self.n_chains)
        chains = [
            ClassifierChain(self.estimator, order="random", cv=self.cv,
                            chain_method=self.chain_method, random_state=int(s))
            for s in seeds
        ]
        # on a Dask or Ray cluster, X and Y travel to each worker once, not once per chain
        engine = cluster_engine()
        X_shared, Y_shared = share(X, engine), share(Y, engine)
        # LIBLINEAR's shuffling solvers share one random generator per process
        # (scikit-learn #8410): their chains run in worker processes, so that
        # random_state keeps giving the same models
        prefer = "processes" if needs_processes(self._base_estimator(), X) else "threads"
        self.estimators_ = parallel(self.n_jobs, prefer=prefer)(
            delayed(_fit_chain)(c, X_shared, Y_shared, params) for c in chains
        )
        return self

    def _mean(self, X, method):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], reset=False)
        outs = parallel(self.n_jobs)(
            delayed(getattr(c, method))(X) for c in self.estimators_
        )
        return np.mean(outs, axis=0)

    @available_if(base_estimator_has("predict_proba"))
    def predict_proba(self, X: ArrayLike | sp.spmatrix) -> NDArray[np.float64]:
        """Mean of the chains' probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        P : ndarray of shape (n_samples, n_labels)
        """
        return self._mean(X, "predict_proba")

    @available_if(base_estimator_has("decision_function"))
    def decision_function(self, X: ArrayLike | sp.spmatrix) -> NDArray[np.float64]:
        """Mean of the chains' decision values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_labels)
        """
        return self._mean(X, "decision_function")

    def predict(self, X: ArrayLike | sp.spmatrix) -> NDArray[np.int64]:
        """Majority vote of the chains (a label is set when at least half the chains set it).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels)
        """
        return (self._mean(X, "predict") >= 0.5).astype(np.int64)
