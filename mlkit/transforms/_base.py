"""Pieces shared by the problem-transformation estimators."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils import get_tags

from .._compat import validate_data
from .._labels import check_label_matrix

# Score given to a label that was constant in the training data, in
# decision-function units. Large enough to sit below (above) any real margin
# of a linear model, finite so that averages and ranking metrics still work.
CONSTANT_DECISION = 1e3


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
        X = sp.csr_matrix(X, dtype=np.float64)
        if not X.has_sorted_indices:
            X = X.copy()
            X.sort_indices()
        return X
    return np.ascontiguousarray(X, dtype=np.float64)


class MultiLabelClassifierMixin(ClassifierMixin):
    """Tags, label bookkeeping and scoring shared by mlkit's multi-label classifiers."""

    def _validate_fit_data(self, X, Y):
        _reject_raw_text(self, X)
        Y, names = check_label_matrix(Y, n_samples=_num_samples_or_none(X))
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], dtype=None)
        if Y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X has {X.shape[0]} samples but Y has {Y.shape[0]} rows; each sample needs "
                "exactly one row of labels."
            )
        self.classes_ = names if names is not None else np.arange(Y.shape[1])
        self.n_labels_ = Y.shape[1]
        return X, Y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        # every column of Y is one binary problem: values other than 0/1 are rejected,
        # so the estimator does not support multi-class targets (scikit-learn's common
        # checks then feed it 0/1 targets instead of 0..k ones)
        tags.classifier_tags.multi_class = False
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.target_tags.required = True
        estimator = getattr(self, "estimator", None)
        if estimator is not None:
            tags.input_tags.sparse = get_tags(estimator).input_tags.sparse
        else:
            tags.input_tags.sparse = True
        return tags

    def score(self, X, y, sample_weight=None):
        """Micro-averaged F1 of ``predict(X)`` against ``y``.

        Subset accuracy (scikit-learn's default for classifiers) rewards only
        rows whose every label is right, which is rarely what multi-label users
        optimize; micro-F1 is the usual headline metric.
        """
        from ..metrics import f1_score

        return f1_score(y, self.predict(X), average="micro", sample_weight=sample_weight)


def _reject_raw_text(estimator, X):
    """Raise a TypeError naming the fix when ``X`` is raw text instead of features.

    Without it a single string is measured by ``len`` (its characters), and a list of
    texts fails deep in scikit-learn's validation with a message about 2-D arrays.
    """
    name = type(estimator).__name__
    fix = (
        f"{name} takes numeric features; for raw texts put a featurizer in front, e.g. "
        f"make_pipeline(TfidfFeaturizer(), {name}(...))."
    )
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} received a single {type(X).__name__} as X. {fix}")
    first = None
    if isinstance(X, (list, tuple)) and len(X):
        first = X[0]
    elif isinstance(X, np.ndarray) and X.ndim == 1 and X.size and X.dtype.kind in "USO":
        first = X.flat[0]
    elif hasattr(X, "dtype") and hasattr(X, "iloc") and getattr(X, "ndim", 0) == 1 and len(X):
        first = X.iloc[0]  # pandas Series
    if isinstance(first, (str, bytes)):
        raise TypeError(f"{name} received raw text as X ({type(first).__name__} items). {fix}")


def _num_samples_or_none(X):
    try:
        return X.shape[0]
    except AttributeError:
        try:
            return len(X)
        except TypeError:
            return None


def default_estimator():
    """The binary classifier used when ``estimator=None``."""
    return LogisticRegression(solver="liblinear", C=10.0)


class ProblemTransformation(MultiLabelClassifierMixin, BaseEstimator):
    """Base of the estimators built from a binary ``estimator`` (None: the default)."""

    def _base_estimator(self):
        return default_estimator() if self.estimator is None else self.estimator


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
