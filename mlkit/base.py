"""The core every mlkit estimator and every layer above them shares.

* :class:`MultiLabelClassifierMixin` - tags, label bookkeeping and scoring of
  mlkit's multi-label classifiers;
* :func:`label_scores` and :func:`resolve_response_method` - the one place
  that decides which scoring method of an estimator is called (modelled on
  scikit-learn's ``_get_response_values``); the command line, the server,
  model files, reports, metrics and the audit all ask it;
* fit-parameter routing: :func:`route_fit_params` (scikit-learn's metadata
  routing when it is enabled, the classic pass-through otherwise) and
  :func:`slice_fit_params` (per-fold slicing of sample-aligned parameters);
* parameter validation with scikit-learn's constraint system
  (:data:`Interval`, :data:`StrOptions`, ... re-exported from one compatibility
  module, so a scikit-learn release that moves them breaks one file).

Nothing here imports from a higher layer of mlkit.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin
from sklearn.utils import get_tags

from ._compat import (
    HasMethods,
    Interval,
    MetadataRouter,
    MethodMapping,
    Options,
    RealNotInt,
    StrOptions,
    fit_context,
    process_routing,
    routing_enabled,
    safe_indexing,
    validate_data,
)
from ._labels import check_label_matrix

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CONSTANT_DECISION",
    "HasMethods",
    "Interval",
    "MultiLabelClassifierMixin",
    "Options",
    "RESPONSE_METHODS",
    "RealNotInt",
    "StrOptions",
    "fit_context",
    "has_method",
    "label_scores",
    "n_samples",
    "reject_raw_text",
    "resolve_response_method",
    "route_fit_params",
    "single_child_router",
    "slice_fit_params",
    "take_rows",
]

# Score given to a label that was constant in the training data, in
# decision-function units. Large enough to sit below (above) any real margin
# of a linear model, finite so that averages and ranking metrics still work.
CONSTANT_DECISION = 1e3

#: The one documented priority of :func:`label_scores` with ``"auto"``:
#: probabilities when the estimator has them, decision values otherwise.
RESPONSE_METHODS = ("predict_proba", "decision_function")


# --------------------------------------------------------------------------
# Scores: one resolver
# --------------------------------------------------------------------------


def has_method(estimator: Any, name: str) -> bool:
    """Whether ``estimator`` really offers the scoring method ``name``.

    ``hasattr`` is not enough: scikit-learn's ``available_if`` hides methods the
    fitted model cannot serve, but scikit-multilearn wrappers define
    ``predict_proba`` whatever their base classifier offers, so for those the
    wrapped ``classifier`` is asked.

    Parameters
    ----------
    estimator : estimator object
        Fitted or not.
    name : str
        A method name, e.g. ``"predict_proba"``.

    Returns
    -------
    available : bool
    """
    if not hasattr(estimator, name):
        return False
    module = type(estimator).__module__ or ""
    inner = getattr(estimator, "classifier", None)
    if module.startswith("skmultilearn") and inner is not None:
        return hasattr(inner, name)
    return True


def resolve_response_method(estimator: Any,
                            response_method: str | Sequence[str] = "auto") -> str:
    """Name of the scoring method :func:`label_scores` calls on ``estimator``.

    Parameters
    ----------
    estimator : estimator object
        Fitted or not; only its methods are looked at.
    response_method : {"auto", "predict_proba", "decision_function"} or list of str, \
            default="auto"
        ``"auto"`` follows :data:`RESPONSE_METHODS` (``predict_proba`` first,
        then ``decision_function``). A list gives another priority, first
        available wins (``ThresholdTuner`` prefers decision values). A single
        method name must be available.

    Returns
    -------
    method : str

    Raises
    ------
    TypeError
        When the estimator has none of the requested methods.
    ValueError
        When ``response_method`` names a method that is not a scoring method.
    """
    if isinstance(response_method, str):
        candidates = RESPONSE_METHODS if response_method == "auto" else (response_method,)
    else:
        candidates = tuple(response_method)
    unknown = [m for m in candidates if m not in RESPONSE_METHODS]
    if unknown or not candidates:
        raise ValueError(
            f"response_method={response_method!r} is not supported; use 'auto', "
            "'predict_proba', 'decision_function' or a list of those in priority order."
        )
    for name in candidates:
        if has_method(estimator, name):
            return name
    wanted = ("neither " + " nor ".join(candidates)) if len(candidates) > 1 else (
        "no " + candidates[0])
    raise TypeError(
        f"{type(estimator).__name__} has {wanted}; label scores need an estimator with "
        "predict_proba or decision_function (for example a mlkit pipeline or BinaryRelevance)."
    )


def label_scores(
    estimator: Any,
    X: ArrayLike | sp.spmatrix | Sequence[str],
    response_method: str | Sequence[str] = "auto",
) -> tuple[NDArray[np.float64], str]:
    """Dense ``(n_samples, n_labels)`` label scores of ``estimator`` on ``X``.

    The single place where mlkit chooses between ``predict_proba`` and
    ``decision_function``: :func:`resolve_response_method` picks the method
    (``"auto"``: probabilities first), and the raw output is made one dense
    float matrix whatever its shape - a scikit-learn list of ``(n, 2)`` arrays
    (one per label) becomes the column of class 1 of each (0 for a label that
    never saw class 1), sparse output becomes dense, a 1-D output one column.

    Parameters
    ----------
    estimator : fitted estimator
    X : array-like, sparse matrix or list of str
        Whatever ``estimator`` takes.
    response_method : {"auto", "predict_proba", "decision_function"} or list of str, \
            default="auto"
        See :func:`resolve_response_method`.

    Returns
    -------
    scores : ndarray of shape (n_samples, n_labels) of float64
    method : str
        The method that produced them.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from mlkit import BinaryRelevance
    >>> from mlkit.base import label_scores
    >>> X, Y = make_multilabel_classification(n_samples=50, n_classes=3, random_state=0)
    >>> scores, method = label_scores(BinaryRelevance().fit(X, Y), X[:2])
    >>> scores.shape, method
    ((2, 3), 'predict_proba')
    """
    method = resolve_response_method(estimator, response_method)
    return dense_label_scores(getattr(estimator, method)(X), estimator), method


def dense_label_scores(out: Any, estimator: Any = None) -> NDArray[np.float64]:
    """One dense float ``(n_samples, n_labels)`` matrix from a raw scoring output."""
    if isinstance(out, list):
        classes = getattr(estimator, "classes_", None)
        cols = []
        for j, p in enumerate(out):
            p = np.asarray(p)
            cls = None if classes is None or len(classes) != len(out) else list(classes[j])
            if cls is not None and 1 in cls:
                cols.append(p[:, cls.index(1)])
            elif cls is not None:  # label never positive in training
                cols.append(np.zeros(p.shape[0]))
            else:
                cols.append(p[:, -1])
        out = np.column_stack(cols)
    if sp.issparse(out):
        out = out.toarray()
    out = np.asarray(out, dtype=np.float64)
    if out.ndim == 1:
        out = out.reshape(-1, 1)
    return out


# --------------------------------------------------------------------------
# Rows and fit parameters
# --------------------------------------------------------------------------


def n_samples(X: Any) -> int | None:
    """Number of rows of ``X`` (array, sparse matrix, DataFrame, sequence), or None.

    Parameters
    ----------
    X : array-like, sparse matrix, DataFrame or sequence

    Returns
    -------
    n : int or None
        None when ``X`` has neither a shape nor a length.
    """
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        return None


def take_rows(X: Any, idx: ArrayLike) -> Any:
    """Rows ``idx`` of ``X`` without changing its kind (a list of texts stays a list).

    Parameters
    ----------
    X : array-like, sparse matrix, DataFrame or sequence
    idx : array-like of int
        Row positions.

    Returns
    -------
    rows : same kind as ``X``
    """
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if sp.issparse(X) or isinstance(X, np.ndarray):
        return X[idx]
    if isinstance(X, (list, tuple)):
        return [X[i] for i in idx]
    return safe_indexing(X, idx)


def _is_sample_aligned(value, n):
    if value is None or isinstance(value, (str, bytes, numbers.Number)):
        return False
    if sp.issparse(value) or hasattr(value, "shape") or isinstance(value, Sequence):
        return n_samples(value) == n
    return False


def slice_fit_params(params: Mapping[str, Any], indices: ArrayLike,
                     n: int) -> dict[str, Any]:
    """Fit parameters for the rows ``indices`` of an ``n``-row training set.

    Every parameter with one entry per training row (``sample_weight``, a
    ``groups`` array, ...) is indexed; anything else (a scalar, a callback,
    an array of another length) is passed unchanged, as scikit-learn does.

    Parameters
    ----------
    params : dict of str to object
        Fit parameters of the whole training set.
    indices : array-like of int
        The rows of one fold.
    n : int
        Number of rows of the whole training set.

    Returns
    -------
    fold_params : dict of str to object
    """
    return {
        key: take_rows(value, indices) if _is_sample_aligned(value, n) else value
        for key, value in params.items()
    }


def single_child_router(
    owner: Any, child: Any, *,
    method_pairs: Sequence[tuple[str, str]] = (("fit", "fit"),),
) -> MetadataRouter:
    """A :class:`~sklearn.utils.metadata_routing.MetadataRouter` for one sub-estimator.

    ``owner.get_metadata_routing()`` of a meta-estimator that forwards the
    ``method_pairs`` (caller, callee) of its methods to ``child``.

    Parameters
    ----------
    owner : estimator object
        The meta-estimator.
    child : estimator object
        Its sub-estimator.
    method_pairs : sequence of (str, str), default=(("fit", "fit"),)
        ``(caller, callee)`` method names.

    Returns
    -------
    router : MetadataRouter
    """
    mapping = MethodMapping()
    for caller, callee in method_pairs:
        mapping.add(caller=caller, callee=callee)
    # the owner's own requests too (its ``score`` takes ``sample_weight``)
    return (MetadataRouter(owner=owner).add_self_request(owner)
            .add(estimator=child, method_mapping=mapping))


def route_fit_params(owner: Any, params: Mapping[str, Any],
                     method: str = "fit") -> dict[str, Any]:
    """The parameters ``owner.<method>`` forwards to its sub-estimator's ``fit``.

    With scikit-learn's metadata routing enabled
    (``sklearn.set_config(enable_metadata_routing=True)``) the requests set with
    ``set_fit_request`` decide, and an unrequested parameter raises scikit-learn's
    error naming the fix. Otherwise every parameter goes to the sub-estimator's
    ``fit`` unchanged (the behaviour of scikit-learn's meta-estimators before
    routing).

    Parameters
    ----------
    owner : estimator object
        The meta-estimator, with ``get_metadata_routing``.
    params : dict of str to object
        The parameters ``owner.<method>`` received.
    method : str, default="fit"
        The method of ``owner`` that received them.

    Returns
    -------
    child_params : dict of str to object
        The parameters for the sub-estimator's ``fit``.
    """
    if routing_enabled():
        return dict(process_routing(owner, method, **params).estimator.fit)
    return dict(params)


# --------------------------------------------------------------------------
# The multi-label mixin
# --------------------------------------------------------------------------


def reject_raw_text(estimator: Any, X: Any) -> None:
    """Raise a TypeError naming the fix when ``X`` is raw text instead of features.

    Without it a single string is measured by ``len`` (its characters), and a list of
    texts fails deep in scikit-learn's validation with a message about 2-D arrays.

    Parameters
    ----------
    estimator : estimator object
        The estimator that received ``X`` (named in the message).
    X : object
        Its input.

    Raises
    ------
    TypeError
        When ``X`` is a string or a sequence of strings.
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


class MultiLabelClassifierMixin(ClassifierMixin):
    """Tags, label bookkeeping and scoring shared by mlkit's multi-label classifiers."""

    def _validate_fit_data(self, X, Y):
        reject_raw_text(self, X)
        Y, names = check_label_matrix(Y, n_samples=n_samples(X))
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

    def score(self, X: ArrayLike | sp.spmatrix | Sequence[str], y: Any,
              sample_weight: ArrayLike | None = None) -> float:
        """Micro-averaged F1 of ``predict(X)`` against ``y``.

        Subset accuracy (scikit-learn's default for classifiers) rewards only
        rows whose every label is right, which is rarely what multi-label users
        optimize; micro-F1 is the usual headline metric.

        Parameters
        ----------
        X : array-like, sparse matrix or list of str
            Input samples.
        y : array-like, sparse matrix, DataFrame or list of label collections
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
        """
        from sklearn.metrics import f1_score

        Y, _ = check_label_matrix(y, n_samples=n_samples(X), accept_sparse=False)
        D = np.asarray(self.predict(X))
        if D.shape != Y.shape:
            raise ValueError(
                f"y has shape {Y.shape} but the predictions have shape {D.shape}; give one "
                "row per sample and one column per label, in the model's label order."
            )
        return float(f1_score(Y, D, average="micro", sample_weight=sample_weight,
                              zero_division=0.0))
