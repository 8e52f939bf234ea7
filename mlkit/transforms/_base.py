"""Pieces shared by the problem-transformation estimators (the multi-label mixin
itself lives in :mod:`mlkit.base`, shared with every other estimator)."""

from __future__ import annotations

import inspect
import numbers
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from ..base import (
    HasMethods,
    MultiLabelClassifierMixin,
    route_fit_params,
    single_child_router,
)

if TYPE_CHECKING:
    from sklearn.utils.metadata_routing import MetadataRouter

#: Constraints shared by every problem transformation.
ESTIMATOR_CONSTRAINTS = {
    "estimator": [HasMethods(["fit", "predict"]), None],
}
N_JOBS_CONSTRAINTS = [numbers.Integral, None]


def prepare_features(X):
    """Make ``X`` cheap to share across many per-label fits.

    Sparse input becomes CSR float64 with sorted indices (what liblinear and
    most scikit-learn solvers convert to anyway), done once here instead of
    once per label. The input is never modified in place: a matrix whose
    indices need sorting is copied first. Sorting also avoids scikit-learn's
    "WRITEBACKIFCOPY base is read-only" crash when joblib memory-maps a
    matrix with unsorted indices.
    """
    if sp.issparse(X):
        if isinstance(X, sp.csr_matrix) and X.dtype == np.float64 and X.has_sorted_indices:
            return X  # already in shape: no new object (and one less copy to ship)
        X = sp.csr_matrix(X, dtype=np.float64)
        if not X.has_sorted_indices:
            X = X.copy()
            X.sort_indices()
        return X
    return np.ascontiguousarray(X, dtype=np.float64)


def default_estimator():
    """The binary classifier used when ``estimator=None``."""
    return LogisticRegression(solver="liblinear", C=10.0)


class ProblemTransformation(MultiLabelClassifierMixin, BaseEstimator):
    """Base of the estimators built from a binary ``estimator`` (None: the default)."""

    def _base_estimator(self):
        return default_estimator() if self.estimator is None else self.estimator

    def get_metadata_routing(self) -> MetadataRouter:
        """Routing of fit parameters: ``fit`` forwards them to every ``estimator.fit``.

        Used when scikit-learn's metadata routing is enabled
        (``sklearn.set_config(enable_metadata_routing=True)``): request a
        parameter on the base estimator, e.g.
        ``BinaryRelevance(LogisticRegression().set_fit_request(sample_weight=True))``.
        With ``estimator=None`` the default classifier requests nothing; pass
        the estimator explicitly to request parameters.

        The estimator's own ``score(X, y, sample_weight=None)`` is part of the
        routing too (``set_score_request``), so that a Pipeline ending in it
        can be scored under routing, and a search can score it weighted.

        Returns
        -------
        routing : MetadataRouter
        """
        return single_child_router(self, self._base_estimator()).add_self_request(self)

    def _fit_params_for_base(self, fit_params):
        """The parameters every base ``fit`` gets: routed (routing enabled) or all,
        checked against the base estimator's ``fit`` signature."""
        params = route_fit_params(self, fit_params)
        check_fit_params(self, self._base_estimator(), params)
        return params


def check_fit_params(owner, estimator, params):
    """Raise a TypeError naming the fit parameters ``estimator.fit`` cannot take.

    Checked once, before any label is fitted: otherwise the error would come from
    deep inside a parallel loop, or never (labels that are constant are not fitted).
    Estimators whose ``fit`` takes ``**kwargs`` (a Pipeline) check their own.
    """
    if not params:
        return
    try:
        signature = inspect.signature(estimator.fit)
    except (TypeError, ValueError):  # pragma: no cover - builtin or odd callable
        return
    accepted = signature.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        return
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        takes = [name for name, p in accepted.items()
                 if p.kind is not inspect.Parameter.VAR_POSITIONAL][2:]
        raise TypeError(
            f"{type(owner).__name__}.fit got the fit parameter(s) {unknown}, but "
            f"{type(estimator).__name__}.fit does not accept them (it takes "
            f"{takes if takes else 'no fit parameters'}); remove them or use a base "
            "estimator whose fit takes them."
        )


def constant_value(y, fit_params):
    """The single class of ``y`` among the rows that carry weight, or None.

    A row with ``sample_weight`` 0 does not count, so that a zero weight gives the
    same model as dropping the row: a label whose positives all have weight 0 is
    constant (negative), exactly as it is without those rows.
    """
    w = fit_params.get("sample_weight")
    if w is not None and not np.isscalar(w):
        w = np.asarray(w)
        if w.shape == y.shape and (w > 0).any():
            y = y[w > 0]
    return y[0] if y.min() == y.max() else None


def base_estimator_has(method):
    """``available_if`` check: the (default) base estimator offers ``method``."""

    def check(self):
        getattr(self._base_estimator(), method)
        return True

    return check


def label_column(Y, j):
    """Column ``j`` of a dense or CSC/CSR indicator matrix as a 1-D int array."""
    if sp.issparse(Y):
        return np.asarray(Y[:, j].toarray()).ravel()
    return Y[:, j]
