"""Combining several multi-label models: :class:`ScoreBlend` and :func:`make_hybrid`.

:class:`ScoreBlend` averages the label scores of several fitted models (late
fusion): each member's scores are measured from its own decision boundary and
divided by their spread on the training rows, so that members whose scores live
on different scales (a LinearSVC margin, a ridge regression output, a
probability) weigh what their ``weights`` say. Put a
:class:`~mlkit.ThresholdTuner` around it to choose per-label thresholds on
out-of-fold blended scores, as :func:`make_hybrid` does.

The members see the same raw texts: two pipelines that start with different
featurizers (TF-IDF and sentence embeddings) are the typical use. The sentence
embeddings are cached by text content (see
:class:`~mlkit.features.SentenceEmbeddingFeaturizer`), so the threshold tuner's
folds, a grid search's clones and the refit encode each text once.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from sklearn.utils.parallel import delayed
from sklearn.utils.validation import check_is_fitted

from ._engines import parallel
from ._labels import check_label_matrix
from .base import (
    MultiLabelClassifierMixin,
    StrOptions,
    fit_context,
    label_scores,
    n_samples,
    resolve_response_method,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["ScoreBlend", "make_hybrid"]

# where a member's scores put the decision boundary, by scoring method
_BOUNDARY = {"decision_function": 0.0, "predict_proba": 0.5}
# a label whose training scores do not vary gets this spread (its scores are constant)
_MIN_SPREAD = 1e-12


def _check_members(estimators, weights):
    """The names and estimators of ``estimators``, validated, and the weights (sum 1)."""
    if not isinstance(estimators, (list, tuple)) or not estimators:
        raise ValueError(
            f"ScoreBlend: estimators must be a non-empty list of (name, estimator) pairs; "
            f"got {estimators!r}. Example: ScoreBlend([('tfidf', pipe1), ('emb', pipe2)])."
        )
    names, members = [], []
    for item in estimators:
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str)):
            raise ValueError(
                f"ScoreBlend: each entry of estimators must be a (name, estimator) pair with a "
                f"str name; got {item!r}."
            )
        name, est = item
        if not hasattr(est, "fit"):
            raise TypeError(f"ScoreBlend: member {name!r} ({type(est).__name__}) has no fit "
                            "method; give an unfitted estimator or pipeline.")
        if "__" in name or not name:
            raise ValueError(f"ScoreBlend: member name {name!r} must be non-empty and must not "
                             "contain '__' (set_params uses it as a separator).")
        names.append(name)
        members.append(est)
    if len(set(names)) != len(names):
        raise ValueError(f"ScoreBlend: member names must be unique; got {names}.")
    if weights is None:
        w = np.ones(len(members))
    else:
        w = np.asarray(weights, dtype=float).ravel() if not isinstance(weights, str) else None
        if w is None or w.shape != (len(members),) or not np.isfinite(w).all() or (
                w < 0).any() or w.sum() <= 0:
            raise ValueError(
                f"ScoreBlend: weights must be None or {len(members)} finite non-negative "
                f"numbers (one per member) with a positive sum; got {weights!r}."
            )
    return names, members, w / w.sum()


def _fit_member(estimator, X, Y, given, params, response_method):
    """Fit a clone of ``estimator`` and return it with its scores on the training rows.

    A Pipeline's last step is fitted on the features its other steps computed for
    the fit, and scored on those same features: the training scores cost no second
    pass of the featurizers. A TextPipeline that adds label-name rows is fitted whole
    (its steps alone would not add them), on the labels as ``given`` (their names)."""
    est = clone(estimator)
    if getattr(est, "name_examples_below", 0):
        est.fit(X, given, **params)
    elif isinstance(est, Pipeline) and len(est.steps) > 1:
        last_name = est.steps[-1][0]
        step_params = {k.split("__", 1)[1]: v for k, v in params.items()
                       if k.startswith(last_name + "__")}
        other = {k: v for k, v in params.items() if not k.startswith(last_name + "__")}
        Xt = est[:-1].fit_transform(X, Y, **other)
        last = est.steps[-1][1]
        if last is not None and last != "passthrough":
            last.fit(Xt, Y, **step_params)
            method = resolve_response_method(last, response_method)
            scores, _ = label_scores(last, Xt, method)
            return est, method, scores
        est.fit(X, Y, **params)
    else:
        est.fit(X, Y, **params)
    method = resolve_response_method(est, response_method)
    scores, _ = label_scores(est, X, method)
    return est, method, scores


def _member_params(estimator, sample_weight):
    """``sample_weight`` as the member's fit takes it (a Pipeline: its last step's)."""
    if sample_weight is None:
        return {}
    if isinstance(estimator, Pipeline):
        return {f"{estimator.steps[-1][0]}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight}


def _spread(scores, boundary, sample_weight):
    """Per-label root mean square distance of the training scores from the boundary."""
    d2 = (scores - boundary) ** 2
    ms = np.average(d2, axis=0, weights=sample_weight)
    return np.maximum(np.sqrt(ms), _MIN_SPREAD)


class ScoreBlend(MultiLabelClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Weighted average of several multi-label models' scaled label scores.

    Each member is fitted on the same ``X`` and ``Y``. Its label scores
    (``decision_function``, or ``predict_proba`` when it has no decision
    values) are measured from its own decision boundary (0 for decision
    values, 0.5 for probabilities) and divided, per label, by their root mean
    square distance from that boundary on the training rows; the blend's
    ``decision_function`` is the weighted mean of these scaled scores, so
    ``predict`` (blend > 0) is a weighted vote of the members' margins. Wrap
    it in a :class:`~mlkit.ThresholdTuner` to tune per-label thresholds on
    out-of-fold blended scores.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples
        The members: unfitted multi-label estimators or pipelines that take
        the same ``X`` (e.g. raw texts) and return one score per label.
        Their parameters are reachable with ``set_params(<name>__<param>=...)``.
    weights : array-like of shape (n_estimators,) or None, default=None
        Weight of each member's scaled scores (normalized to sum 1). None:
        equal weights.
    response_method : {"auto", "decision_function", "predict_proba"}, default="auto"
        Which scores of each member to blend. ``"auto"`` prefers
        ``decision_function`` (finer than probabilities squashed near 0 and 1).
    n_jobs : int, default=None
        Members fitted in parallel (threads). None means 1 unless in a
        :func:`joblib.parallel_config` context.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members, in the order of ``estimators``.
    names_ : list of str
        The members' names, in the order of ``estimators_``.
    named_estimators_ : sklearn.utils.Bunch
        The fitted members by name.
    response_methods_ : list of str
        The scoring method used for each member.
    offsets_ : ndarray of shape (n_estimators,)
        Each member's decision boundary (0 or 0.5).
    scales_ : ndarray of shape (n_estimators, n_labels)
        Each member's per-label spread of training scores around the boundary.
    weights_ : ndarray of shape (n_estimators,)
        The normalized weights.
    classes_ : ndarray of shape (n_labels,)
        Label names (from ``Y``, or the first member's, or ``0..n_labels-1``).
    n_labels_ : int

    See Also
    --------
    make_hybrid : TF-IDF and sentence-embedding pipelines blended, with tuned thresholds.
    mlkit.ThresholdTuner : per-label thresholds on out-of-fold scores.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import RidgeClassifier
    >>> from sklearn.svm import LinearSVC
    >>> from mlkit import BinaryRelevance
    >>> from mlkit.ensemble import ScoreBlend
    >>> X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    >>> blend = ScoreBlend([("svc", BinaryRelevance(LinearSVC())),
    ...                     ("ridge", BinaryRelevance(RidgeClassifier()))]).fit(X, Y)
    >>> blend.decision_function(X[:3]).shape
    (3, 4)
    >>> blend.predict(X[:3]).shape
    (3, 4)
    """

    _parameter_constraints = {
        "estimators": [list, tuple],
        "weights": ["array-like", None],
        "response_method": [StrOptions({"auto", "decision_function", "predict_proba"})],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(self, estimators: Sequence[tuple[str, Any]], *,
                 weights: ArrayLike | None = None, response_method: str = "auto",
                 n_jobs: int | None = None) -> None:
        self.estimators = estimators
        self.weights = weights
        self.response_method = response_method
        self.n_jobs = n_jobs

    # -- parameters of the members (as VotingClassifier and Pipeline do) --------------

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of the blend and, with ``deep``, of its members.

        Parameters
        ----------
        deep : bool, default=True
            Also return each member (``<name>``) and its parameters
            (``<name>__<param>``).

        Returns
        -------
        params : dict
        """
        out = super().get_params(deep=False)
        if not deep:
            return out
        estimators = out["estimators"]
        if isinstance(estimators, (list, tuple)):
            for item in estimators:
                if isinstance(item, (list, tuple)) and len(item) == 2:
                    name, est = item
                    out[name] = est
                    if hasattr(est, "get_params"):
                        for key, value in est.get_params(deep=True).items():
                            out[f"{name}__{key}"] = value
        return out

    def set_params(self, **params: Any) -> ScoreBlend:
        """Set parameters of the blend or of its members (``<name>__<param>``).

        Parameters
        ----------
        **params : dict
            ``estimators``, ``weights``, ... ; ``<name>=estimator`` replaces a
            member; ``<name>__<param>=value`` sets a member's parameter.

        Returns
        -------
        self : object
        """
        if "estimators" in params:
            self.estimators = params.pop("estimators")
        names = [item[0] for item in self.estimators]
        for name in [k for k in params if k in names]:
            i = names.index(name)
            self.estimators = list(self.estimators)
            self.estimators[i] = (name, params.pop(name))
        nested = {}
        for key in [k for k in params if "__" in k and k.split("__", 1)[0] in names]:
            name, sub = key.split("__", 1)
            nested.setdefault(name, {})[sub] = params.pop(key)
        for name, sub in nested.items():
            self.estimators[names.index(name)][1].set_params(**sub)
        super().set_params(**params)
        return self

    # -- fitting ------------------------------------------------------------------------

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: ArrayLike | sp.spmatrix | Sequence[str], Y: ArrayLike | sp.spmatrix,
            sample_weight: ArrayLike | None = None) -> ScoreBlend:
        """Fit every member on ``X`` and ``Y`` and measure its training score spread.

        Parameters
        ----------
        X : array-like, sparse matrix or list of str
            Whatever every member takes (raw texts for pipelines that start
            with a featurizer).
        Y : array-like, sparse matrix, DataFrame or list of label collections
            Labels, the same for every member.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to every member's fit (a Pipeline's last step receives it)
            and used to weigh the score spreads.

        Returns
        -------
        self : object
        """
        if isinstance(X, (str, bytes)):
            raise TypeError("ScoreBlend expects a collection of samples; a single string was "
                            "received. Wrap it in a list: [text].")
        names, members, w = _check_members(self.estimators, self.weights)
        n = n_samples(X)
        given = Y  # a TextPipeline member reads the label names from the labels as given
        Y, label_names = check_label_matrix(Y, n_samples=n)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=float)
            if sample_weight.shape != (n,) or not np.isfinite(sample_weight).all() or (
                    sample_weight < 0).any():
                raise ValueError(f"sample_weight must hold {n} finite non-negative numbers "
                                 "(one per row).")
        fitted = parallel(self.n_jobs)(
            delayed(_fit_member)(est, X, Y, given, _member_params(est, sample_weight),
                                 _scoring_preference(self.response_method))
            for est in members)
        n_labels = Y.shape[1]
        for name, (_, _, scores) in zip(names, fitted, strict=True):
            if scores.shape != (n, n_labels):
                raise ValueError(f"ScoreBlend: member {name!r} returned scores of shape "
                                 f"{scores.shape} for labels of shape {(n, n_labels)}.")
        self.estimators_ = [est for est, _, _ in fitted]
        self.names_ = names
        self.response_methods_ = [method for _, method, _ in fitted]
        self.offsets_ = np.array([_BOUNDARY[m] for m in self.response_methods_])
        self.scales_ = np.vstack([
            _spread(scores, off, sample_weight)
            for (_, _, scores), off in zip(fitted, self.offsets_, strict=True)])
        self.weights_ = w
        if label_names is None:
            first = getattr(self.estimators_[0], "classes_", None)
            if first is not None and len(first) == n_labels:
                label_names = np.asarray(first)
        self.classes_ = label_names if label_names is not None else np.arange(n_labels)
        self.n_labels_ = n_labels
        return self

    @property
    def named_estimators_(self) -> Bunch:
        """The fitted members by name (a :class:`~sklearn.utils.Bunch`)."""
        check_is_fitted(self, "estimators_")
        return Bunch(**dict(zip(self.names_, self.estimators_, strict=True)))

    # -- scoring ------------------------------------------------------------------------

    def member_scores(self, X: ArrayLike | sp.spmatrix | Sequence[str]) -> NDArray[np.float64]:
        """Each member's scaled scores (before weighting).

        Parameters
        ----------
        X : array-like, sparse matrix or list of str
            Input samples.

        Returns
        -------
        scores : ndarray of shape (n_estimators, n_samples, n_labels)
            ``(member score - offset) / scale`` of each member.
        """
        check_is_fitted(self, "scales_")
        if isinstance(X, (str, bytes)):
            raise TypeError("ScoreBlend expects a collection of samples; a single string was "
                            "received. Wrap it in a list: [text].")
        out = []
        for est, method, off, scale in zip(self.estimators_, self.response_methods_,
                                           self.offsets_, self.scales_, strict=True):
            scores, _ = label_scores(est, X, method)
            out.append((scores - off) / scale)
        return np.stack(out)

    def decision_function(self, X: ArrayLike | sp.spmatrix | Sequence[str]) -> NDArray[np.float64]:
        """Weighted mean of the members' scaled scores.

        Parameters
        ----------
        X : array-like, sparse matrix or list of str
            Input samples.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_labels)
            Positive where the weighted members lean to the label.
        """
        scores = self.member_scores(X)
        return np.tensordot(self.weights_, scores, axes=1)

    def predict(self, X: ArrayLike | sp.spmatrix | Sequence[str]) -> NDArray[np.int64]:
        """Labels whose blended score is positive (tune thresholds with ThresholdTuner).

        Parameters
        ----------
        X : array-like, sparse matrix or list of str
            Input samples.

        Returns
        -------
        Y_pred : ndarray of shape (n_samples, n_labels)
        """
        return (self.decision_function(X) > 0).astype(np.int64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        members = self.estimators if isinstance(self.estimators, (list, tuple)) else []
        try:
            tags.input_tags.string = any(
                getattr(est, "__sklearn_tags__", None) is not None
                and est.__sklearn_tags__().input_tags.string for _, est in members)
        except (TypeError, ValueError, AttributeError):  # pragma: no cover - odd members
            pass
        return tags


def _scoring_preference(response_method):
    if response_method == "auto":
        return ["decision_function", "predict_proba"]
    return response_method


def make_hybrid(
    model: str | os.PathLike[str] | None = None,
    *,
    n_jobs: int | None = None,
    random_state: int | np.random.RandomState | None = 0,
    verbose: bool | str | None = None,
) -> Any:
    """The hybrid classifier: TF-IDF and sentence-embedding scores blended, unfitted.

    A :class:`~mlkit.ThresholdTuner` (per-label thresholds on 5-fold
    multi-label stratified out-of-fold scores, as ``make_classifier("tfidf")``)
    around a :class:`ScoreBlend` of two pipelines that take raw texts:
    ``"tfidf"`` (:class:`~mlkit.TfidfFeaturizer` -> :class:`~mlkit.BinaryRelevance`
    of ``LinearSVC(C=0.5, tol=0.1)``) and ``"embeddings"``
    (:class:`~mlkit.features.SentenceEmbeddingFeaturizer` with ``layers="all"``
    -> :class:`~mlkit.BinaryRelevance` of ``RidgeClassifier(alpha=0.3)``), with
    equal weights. The embeddings are cached in memory, so the five folds and
    the refit encode each text once (``features__cache=dir`` on the
    ``embeddings`` member keeps them on disk between sessions).

    On GoEmotions the two members reach the same macro-F1 from different
    signals (word and character n-grams; every layer of the encoder), and the
    blend lifts it by about 0.02 (test split: 0.503 against 0.486 and 0.484
    alone). Equal weights and the training-score scaling were chosen on the
    dev split among weights 0.3-0.7, raw or out-of-fold-scaled scores,
    per-label stacking and joined features (``benchmarks/bench_hybrid.py``).
    A fit costs what the two kinds cost together, plus encoding the texts the
    cache does not hold yet.

    Parameters
    ----------
    model : str or path-like, default=None
        The sentence encoder: a Hugging Face hub name (read from the local
        cache; nothing is downloaded) or a local model directory. None means
        ``"sentence-transformers/all-MiniLM-L6-v2"``.
    n_jobs : int, default=None
        Parallelism over labels inside each member (joblib threads).
    random_state : int, RandomState instance or None, default=0
        Seeds the threshold tuner's folds and LIBLINEAR.
    verbose : bool, "auto" or None, default=None
        Progress bars of the tuner's fits and of the encoding. None: quiet.

    Returns
    -------
    model : ThresholdTuner
        Takes raw texts. Parameters are reachable as e.g.
        ``estimator__weights=[0.6, 0.4]`` or
        ``estimator__embeddings__features__cache="emb-cache"``.

    Examples
    --------
    >>> from mlkit.ensemble import make_hybrid
    >>> hybrid = make_hybrid("path/to/model")
    >>> [name for name, _ in hybrid.estimator.estimators]
    ['tfidf', 'embeddings']
    """
    from sklearn.linear_model import RidgeClassifier
    from sklearn.svm import LinearSVC

    from .features import SentenceEmbeddingFeaturizer, TfidfFeaturizer
    from .thresholds import ThresholdTuner
    from .transforms import BinaryRelevance

    if verbose is not None and not isinstance(verbose, (bool, str)):
        raise ValueError(f"verbose must be True, False, 'auto' or None; got {verbose!r}.")
    neural_verbose = {} if verbose is None else {"verbose": verbose}
    model = "sentence-transformers/all-MiniLM-L6-v2" if model is None else model
    tfidf = Pipeline([
        ("features", TfidfFeaturizer()),
        ("classifier", BinaryRelevance(LinearSVC(C=0.5, tol=0.1, random_state=random_state),
                                       n_jobs=n_jobs)),
    ])
    embeddings = Pipeline([
        ("features", SentenceEmbeddingFeaturizer(model, layers="all", **neural_verbose)),
        ("classifier", BinaryRelevance(RidgeClassifier(alpha=0.3), n_jobs=n_jobs)),
    ])
    return ThresholdTuner(
        ScoreBlend([("tfidf", tfidf), ("embeddings", embeddings)]),
        strategy="per_label",
        metric="f1_macro",
        cv=5,
        random_state=random_state,
        verbose=False if verbose is None else verbose,
    )
