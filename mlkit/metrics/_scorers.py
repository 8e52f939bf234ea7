"""Metrics and scorers by name, for ``GridSearchCV(scoring=...)`` and ``cross_validate``.

:func:`get_scorer` resolves one name (mlkit's, else scikit-learn's) into a
scorer, :func:`scorers` a name, a list or a dict of names into what
``scoring=`` accepts; :func:`get_metric` gives the metric function behind a
name. Nothing is written into scikit-learn's registry (only the deprecated
:func:`register_scorers` does, when called).

Scorers get estimator outputs only through :func:`mlkit.base.label_scores`
(scores) and ``predict`` (decisions).
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import scipy.sparse as sp
from sklearn import metrics as _skm

from mlkit import _compat
from mlkit._compat import (
    BaseScorer,
    MetadataRouter,
    MethodMapping,
    process_routing,
    routing_enabled,
    shared_response_cache,
)
from mlkit.base import RESPONSE_METHODS, label_scores

from ._at_k import ndcg_at_k, precision_at_k, recall_at_k
from ._ranking import (
    average_precision_score,
    coverage_error,
    label_ranking_average_precision,
    label_ranking_loss,
    roc_auc_score,
)
from ._threshold import (
    f1_score,
    hamming_loss,
    jaccard_score,
    precision_score,
    recall_score,
    subset_accuracy,
)

# What scikit-learn's multi-metric scorer reads to decide whether to share a cache
# between scorers (mlkit's scorers get their outputs from mlkit.base.label_scores).
# "predict" comes last for score-based scorers so that the check never fails on a
# predict-only estimator: the scorer then raises its own, clearer error.
_RESPONSE_METHODS = {"predict": "predict", "scores": (*RESPONSE_METHODS, "predict")}


def _estimator_scores(estimator, X):
    """Dense (n_samples, n_labels) scores, through the one resolver of :mod:`mlkit.base`."""
    try:
        return label_scores(estimator, X)[0]
    except TypeError as exc:
        if "label scores need" not in str(exc):
            raise
        raise TypeError(
            f"{type(estimator).__name__} has neither predict_proba nor decision_function, so "
            "ranking metrics cannot score it. Use a threshold metric such as 'f1_micro', or an "
            "estimator that outputs scores."
        ) from None


def _estimator_decisions(estimator, X):
    """Dense 0/1 decisions of ``estimator.predict`` (sparse output is made dense)."""
    out = estimator.predict(X)
    if sp.issparse(out):
        out = out.toarray()
    return out


class MultilabelScorer(BaseScorer):
    """A scorer ``scorer(estimator, X, y_true)`` for a multi-label metric.

    Scorers are what :func:`get_scorer`, :func:`scorers` and :func:`make_scorers`
    return. Unlike a ``sklearn.metrics.make_scorer`` scorer, they densify sparse
    ``predict`` / ``predict_proba`` output (scikit-multilearn), accept per-label
    lists of ``predict_proba`` arrays, and never mistake a 2-label problem for a
    binary one: scores come from :func:`mlkit.base.label_scores`.

    They are scikit-learn scorers (subclasses of its scorer base class), so
    ``GridSearchCV``, ``cross_validate`` and ``check_scoring`` treat them like
    their own: in a dict of scorers each prediction method is called once per
    evaluation, ``sample_weight`` given to ``fit`` reaches them, and with
    metadata routing enabled ``set_score_request(sample_weight=True)`` routes
    the weights to them.

    Parameters
    ----------
    name : str
        Scorer name, e.g. ``"precision_at_3"``.
    metric : callable
        ``metric(y_true, y_out, sample_weight=None, **kwargs)``.
    response : {"predict", "scores"}
        ``"predict"`` calls ``estimator.predict``; ``"scores"`` calls
        ``predict_proba``, or ``decision_function`` when there is no
        ``predict_proba`` (:func:`mlkit.base.label_scores`).
    greater_is_better : bool, default=True
        When False the scorer returns minus the metric (scikit-learn
        convention: ``neg_...`` names).
    kwargs : dict, default=None
        Extra keyword arguments for ``metric``.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from mlkit.metrics import MultilabelScorer, precision_at_k
    >>> X, Y = make_multilabel_classification(n_samples=60, random_state=0)
    >>> clf = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    >>> scorer = MultilabelScorer("p_at_2", precision_at_k, response="scores",
    ...                           kwargs={"k": 2})
    >>> scorer(clf, X, Y) == precision_at_k(Y, clf.predict_proba(X), k=2)
    True
    """

    def __init__(self, name: str, metric: Callable[..., float], *, response: str,
                 greater_is_better: bool = True,
                 kwargs: Mapping[str, Any] | None = None) -> None:
        if response not in _RESPONSE_METHODS:
            raise ValueError(
                f"response={response!r} is not supported; use 'predict' (0/1 decisions) or "
                "'scores' (predict_proba, else decision_function)."
            )
        super().__init__(
            metric, 1 if greater_is_better else -1, dict(kwargs or {}), _RESPONSE_METHODS[response]
        )
        self.name = name
        self.response = response

    @property
    def metric(self) -> Callable[..., float]:
        """The metric function, ``metric(y_true, y_out, **kwargs)``."""
        return self._score_func

    @property
    def greater_is_better(self) -> bool:
        """False for a loss, which the scorer negates."""
        return self._sign > 0

    @property
    def kwargs(self) -> dict[str, Any]:
        """The extra keyword arguments given to the metric."""
        return self._kwargs

    def _response(self, estimator, X, cache):
        key = ("mlkit", self.response)  # never one of scikit-learn's keys (method names)
        if cache is not None and key in cache:
            return cache[key]
        if self.response == "predict":
            out = _estimator_decisions(estimator, X)
        else:
            out = _estimator_scores(estimator, X)
        if cache is not None:
            cache[key] = out
        return out

    def _evaluate(self, estimator, X, y_true, cache, **kwargs):
        """The signed score; ``kwargs`` (metadata such as ``sample_weight``) go to the metric."""
        y_out = self._response(estimator, X, cache)
        value = self.metric(y_true, y_out, **{**self._kwargs, **kwargs})
        return float(value) if self.greater_is_better else -float(value)

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        # Called by scikit-learn (its multi-metric scorer, and BaseScorer.__call__).
        # Responses come from mlkit's resolver, never from ``method_caller``; the
        # multi-metric scorer's per-call cache is shared when it has one.
        return self._evaluate(
            estimator, X, y_true, shared_response_cache(method_caller), **kwargs
        )

    def __call__(self, estimator, X, y_true, sample_weight=None, **kwargs):
        """Score ``estimator`` on ``X`` against ``y_true``.

        Parameters
        ----------
        estimator : estimator
            Fitted multi-label estimator.
        X : array-like
            Input data.
        y_true : array-like, sparse matrix, DataFrame or list of label collections
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.
        **kwargs : dict
            Other metadata for the metric; only with scikit-learn's metadata
            routing enabled.

        Returns
        -------
        score : float
            Higher is better.
        """
        return super().__call__(estimator, X, y_true, sample_weight=sample_weight, **kwargs)

    def __repr__(self):
        return f"mlkit.metrics.get_scorer({self.name!r})"


class _CombinedScorer:
    """Callable returning a dict of scores; each response method is called once.

    With metadata routing enabled it is a router: each scorer receives the
    metadata it requested (``set_score_request`` on this object sets the request
    of every scorer in it).
    """

    def __init__(self, scorers):
        self.scorers = scorers

    def __call__(self, estimator, X, y_true, sample_weight=None, **kwargs):
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        if routing_enabled():
            routed = process_routing(self, "score", **kwargs)
            params = {name: routed[name].score for name in self.scorers}
        else:
            extra = sorted(set(kwargs) - {"sample_weight"})
            if extra:
                raise TypeError(
                    f"The combined scorer got metadata {extra}; without metadata routing it "
                    "accepts only sample_weight. Enable routing with "
                    "sklearn.set_config(enable_metadata_routing=True) to pass other metadata."
                )
            params = dict.fromkeys(self.scorers, kwargs)
        cache = {}
        return {
            name: scorer._evaluate(estimator, X, y_true, cache, **params[name])
            for name, scorer in self.scorers.items()
        }

    def set_score_request(self, **kwargs):
        """Set the metadata request of every scorer inside (metadata routing only).

        Parameters
        ----------
        **kwargs : dict
            As in ``set_score_request`` of a scikit-learn scorer, for example
            ``sample_weight=True``.

        Returns
        -------
        self : object
        """
        for scorer in self.scorers.values():
            scorer.set_score_request(**kwargs)
        return self

    def get_metadata_routing(self):
        """Routing of metadata to the scorers inside (scikit-learn's metadata routing).

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        return MetadataRouter(owner=self).add(
            **self.scorers, method_mapping=MethodMapping().add(caller="score", callee="score")
        )

    def __repr__(self):
        return f"mlkit.metrics.make_combined_scorer({list(self.scorers)!r})"


# name -> (function, response, greater_is_better, kwargs, metric name)
def _build_table():
    table = {}
    for func, base in (
        (f1_score, "f1"),
        (precision_score, "precision"),
        (recall_score, "recall"),
        (jaccard_score, "jaccard"),
    ):
        for avg in ("micro", "macro", "weighted", "samples"):
            name = f"{base}_{avg}"
            table[name] = (func, "predict", True, {"average": avg}, name)
    table["neg_hamming_loss"] = (hamming_loss, "predict", False, {}, "hamming_loss")
    table["subset_accuracy"] = (subset_accuracy, "predict", True, {}, "subset_accuracy")
    table["lrap"] = (label_ranking_average_precision, "scores", True, {}, "lrap")
    table["neg_coverage_error"] = (coverage_error, "scores", False, {}, "coverage_error")
    table["neg_label_ranking_loss"] = (
        label_ranking_loss,
        "scores",
        False,
        {},
        "label_ranking_loss",
    )
    for func, base in ((average_precision_score, "average_precision"), (roc_auc_score, "roc_auc")):
        for avg in ("macro", "micro", "weighted"):
            name = f"{base}_{avg}"
            table[name] = (func, "scores", True, {"average": avg}, name)
    return table


_TABLE = _build_table()
_AT_K = {"precision": precision_at_k, "recall": recall_at_k, "ndcg": ndcg_at_k}
_AT_K_RE = re.compile(r"^(precision|recall|ndcg)_at_([1-9][0-9]*)$")
_LISTED_KS = (1, 3, 5, 10)


def _lookup(name):
    """(function, response, greater_is_better, kwargs, metric name) for a scorer name."""
    if name in _TABLE:
        return _TABLE[name]
    match = _AT_K_RE.match(name)
    if match:
        kind, k = match.group(1), int(match.group(2))
        return (_AT_K[kind], "scores", True, {"k": k}, name)
    return None


def _unknown_name_error(name, what, names, also=(), note=""):
    close = difflib.get_close_matches(name, [*names, *also], n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    return ValueError(
        f"{name!r} is not a known {what}.{hint} Valid names: {', '.join(names)} "
        f"(any k works in precision_at_<k>, recall_at_<k>, ndcg_at_<k>).{note}"
    )


_METRIC_ALIASES = {
    "hamming_loss": "neg_hamming_loss",
    "coverage_error": "neg_coverage_error",
    "label_ranking_loss": "neg_label_ranking_loss",
}


def get_metric(name: str) -> Callable[..., float]:
    """The metric function behind a name used by :func:`evaluate` and the scorers.

    Parameters
    ----------
    name : str
        A key of :func:`evaluate`'s result (``"f1_macro"``, ``"hamming_loss"``,
        ``"precision_at_3"`` ...). Scorer names with ``neg_`` are accepted too
        and give the loss itself (positive).

    Returns
    -------
    metric : callable
        ``metric(y_true, y, sample_weight=None)``, where ``y`` is 0/1
        decisions or scores; see its ``needs_scores`` and
        ``greater_is_better`` attributes.

    Examples
    --------
    >>> from mlkit.metrics import get_metric
    >>> metric = get_metric("f1_macro")
    >>> metric.needs_scores, metric.greater_is_better
    (False, True)
    >>> round(metric([[1, 0], [0, 1]], [[1, 0], [1, 1]]), 4)
    0.8333
    """
    if not isinstance(name, str):
        raise TypeError(f"get_metric expects a metric name (str); got {type(name).__name__}.")
    entry = _lookup(_METRIC_ALIASES.get(name, name))
    if entry is None:
        names = [_TABLE[n][4] for n in _TABLE] + [
            f"{kind}_at_{k}" for kind in _AT_K for k in _LISTED_KS
        ]
        raise _unknown_name_error(name, "metric name", names)
    func, response, greater, kwargs, metric_name = entry
    return _NamedMetric(metric_name, func, response == "scores", greater, kwargs)


class _NamedMetric:
    def __init__(self, name, func, needs_scores, greater_is_better, kwargs):
        self.name = name
        self.func = func
        self.needs_scores = needs_scores
        self.greater_is_better = greater_is_better
        self.kwargs = kwargs

    def __call__(self, y_true, y, sample_weight=None):
        return self.func(y_true, y, sample_weight=sample_weight, **self.kwargs)

    def __repr__(self):
        return f"mlkit.metrics.get_metric({self.name!r})"


def get_scorer_names() -> list[str]:
    """Names accepted by :func:`get_scorer` (mlkit's multi-label scorers).

    ``precision_at_<k>``, ``recall_at_<k>`` and ``ndcg_at_<k>`` accept any
    positive k; k = 1, 3, 5, 10 are listed.

    Returns
    -------
    names : list of str
        Sorted.

    Examples
    --------
    >>> from mlkit.metrics import get_scorer_names
    >>> "precision_at_3" in get_scorer_names(), "lrap" in get_scorer_names()
    (True, True)
    """
    names = set(_TABLE) | {f"{kind}_at_{k}" for kind in _AT_K for k in _LISTED_KS}
    return sorted(names)



def get_scorer(scoring: str | Callable[..., Any]) -> MultilabelScorer | Callable[..., Any]:
    """A scorer ``scorer(estimator, X, y)`` for a multi-label metric name.

    Parameters
    ----------
    scoring : str or callable
        One of :func:`get_scorer_names` (e.g. ``"f1_macro"``, ``"lrap"``,
        ``"precision_at_3"``, ``"neg_hamming_loss"``). Other names are looked
        up in scikit-learn (``"accuracy"``, ``"roc_auc"`` ...); a callable is
        returned unchanged.

    Returns
    -------
    scorer : MultilabelScorer or callable
        Higher is better (losses are negated, as in scikit-learn).
        Threshold metrics call ``predict``; ranking metrics call
        ``predict_proba`` (or ``decision_function``). Sparse outputs are
        made dense.

    See Also
    --------
    scorers : Names, lists or dicts of names turned into ``scoring=`` values.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from mlkit.metrics import get_scorer
    >>> X, Y = make_multilabel_classification(n_samples=60, random_state=0)
    >>> clf = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    >>> scorer = get_scorer("precision_at_1")
    >>> 0.0 <= scorer(clf, X, Y) <= 1.0
    True
    """
    if callable(scoring):
        return scoring
    if not isinstance(scoring, str):
        raise TypeError(
            f"get_scorer expects a scorer name (str) or a callable; got {type(scoring).__name__}."
        )
    entry = _lookup(scoring)
    if entry is None:
        sklearn_names = _skm.get_scorer_names()
        if scoring in sklearn_names:
            return _skm.get_scorer(scoring)
        raise _unknown_name_error(
            scoring,
            "scorer name",
            get_scorer_names(),
            also=sklearn_names,
            note=" scikit-learn's names (sklearn.metrics.get_scorer_names()) work too.",
        )
    func, response, greater, kwargs, _ = entry
    return MultilabelScorer(
        scoring, func, response=response, greater_is_better=greater, kwargs=kwargs
    )


def scorers(
    scoring: str | Iterable[str] | Mapping[str, Any] | Callable[..., Any] | None,
) -> Any:
    """Turn scorer names into what ``scoring=`` of scikit-learn's model selection takes.

    scikit-learn resolves a name given as ``scoring="name"`` only among its own
    names. This resolves mlkit's names (and scikit-learn's) into scorer objects,
    which ``GridSearchCV``, ``RandomizedSearchCV``, ``cross_validate``,
    ``cross_val_score``, ``validation_curve`` ... accept as they are, without
    registering anything in scikit-learn.

    Parameters
    ----------
    scoring : str, list of str, dict, callable or None
        * a name (:func:`get_scorer_names`, or a scikit-learn name such as
          ``"accuracy"``): one scorer;
        * a list, tuple or set of unique names: a dict ``{name: scorer}``
          (multi-metric scoring; pick the model with ``refit="<name>"``);
        * a dict ``{key: name or scorer}``: the same dict with names resolved
          (use it to give results your own keys);
        * a callable or None: returned unchanged (None means the estimator's
          own ``score``).

    Returns
    -------
    scoring : scorer, dict of str to scorer, callable or None
        In a dict, mlkit's scorers share one ``predict`` and one
        ``predict_proba`` call per evaluation.

    See Also
    --------
    get_scorer : One scorer by name.
    make_combined_scorer : One callable returning a dict of scores.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from mlkit.metrics import scorers
    >>> X, Y = make_multilabel_classification(n_samples=60, random_state=0)
    >>> search = GridSearchCV(OneVsRestClassifier(LogisticRegression()),
    ...                       {"estimator__C": [0.1, 1.0]}, cv=2,
    ...                       scoring=scorers(["f1_macro", "precision_at_3", "accuracy"]),
    ...                       refit="f1_macro").fit(X, Y)
    >>> sorted(k for k in search.cv_results_ if k.startswith("mean_test_"))
    ['mean_test_accuracy', 'mean_test_f1_macro', 'mean_test_precision_at_3']
    >>> scorers("lrap")
    mlkit.metrics.get_scorer('lrap')
    """
    if scoring is None or callable(scoring) or isinstance(scoring, str):
        return None if scoring is None else get_scorer(scoring)
    if isinstance(scoring, dict):
        if not scoring:
            raise ValueError("scorers got an empty dict; give at least one {key: name}.")
        bad = [key for key in scoring if not isinstance(key, str)]
        if bad:
            raise TypeError(
                f"scorers needs str keys in a dict (they name the results); got {bad[0]!r}."
            )
        return {key: _resolve_value(key, value) for key, value in scoring.items()}
    names = _check_names(scoring, "scorers")
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"scorers got duplicated names {duplicated}; give each name once.")
    return {name: get_scorer(name) for name in names}


def _resolve_value(key, value):
    if isinstance(value, str) or callable(value):
        return get_scorer(value)
    raise TypeError(
        f"scorers got {type(value).__name__} for key {key!r}; each value must be a scorer name "
        "(str) or a scorer callable(estimator, X, y)."
    )


def _check_names(names, func):
    if isinstance(names, str):
        return [names]
    try:
        names = list(names)
    except TypeError:
        raise TypeError(
            f"{func} expects a list of scorer names such as ['f1_micro', 'precision_at_3']; "
            f"got {type(names).__name__}."
        ) from None
    if not names:
        raise ValueError(f"{func} got an empty list of scorer names.")
    bad = [name for name in names if not isinstance(name, str)]
    if bad:
        raise TypeError(
            f"{func} expects scorer names (str) in the list; got {type(bad[0]).__name__}. "
            "To mix in your own scorer, pass a dict such as {'mine': my_scorer, "
            "'f1_macro': 'f1_macro'} to mlkit.metrics.scorers."
        )
    return names


def make_scorers(names: Iterable[str]) -> dict[str, MultilabelScorer | Callable[..., Any]]:
    """A dict of scorers for multi-metric ``scoring=`` in scikit-learn.

    Parameters
    ----------
    names : list of str
        Scorer names (see :func:`get_scorer`).

    Returns
    -------
    scorers : dict of str to scorer
        Use as ``cross_validate(..., scoring=scorers)`` or
        ``GridSearchCV(..., scoring=scorers, refit="f1_macro")``.

    See Also
    --------
    scorers : The same for a name, a list or a dict of names.
    make_combined_scorer : The same scores from one callable.

    Examples
    --------
    >>> from mlkit.metrics import make_scorers
    >>> sorted(make_scorers(["f1_macro", "ndcg_at_3"]))
    ['f1_macro', 'ndcg_at_3']
    """
    return {name: get_scorer(name) for name in _check_names(names, "make_scorers")}


def make_combined_scorer(names: Iterable[str]) -> Callable[..., dict[str, float]]:
    """One callable that returns a dict of scores, predicting once per method.

    It calls ``predict`` and ``predict_proba`` at most once per evaluation,
    which matters for slow models (transformers); scikit-learn accepts a
    callable returning a dict as multi-metric ``scoring``. With metadata
    routing enabled, ``make_combined_scorer([...]).set_score_request(
    sample_weight=True)`` routes weights to every scorer in it.

    Parameters
    ----------
    names : list of str
        mlkit scorer names (see :func:`get_scorer_names`).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true)`` -> dict of name to score.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from mlkit.metrics import make_combined_scorer
    >>> X, Y = make_multilabel_classification(n_samples=60, random_state=0)
    >>> scoring = make_combined_scorer(["f1_micro", "lrap"])
    >>> res = cross_validate(OneVsRestClassifier(LogisticRegression()), X, Y, cv=2,
    ...                      scoring=scoring)
    >>> sorted(k for k in res if k.startswith("test_"))
    ['test_f1_micro', 'test_lrap']
    """
    chosen = {}
    for name in _check_names(names, "make_combined_scorer"):
        scorer = get_scorer(name)
        if not isinstance(scorer, MultilabelScorer):
            raise ValueError(
                f"make_combined_scorer only combines mlkit scorers; {name!r} is not one "
                f"(choose from get_scorer_names())."
            )
        chosen[name] = scorer
    return _CombinedScorer(chosen)


def register_scorers() -> list[str]:
    """Add mlkit's scorer names to scikit-learn's scorer registry (deprecated).

    .. deprecated:: 0.2.0
        ``register_scorers`` writes into scikit-learn's private scorer registry
        and parameter validation; it will be removed in mlkit 0.3.0. Pass
        scorer objects instead, which needs no registration:
        ``GridSearchCV(..., scoring=mlkit.metrics.scorers(["f1_macro",
        "precision_at_3"]), refit="f1_macro")``.

    Names scikit-learn already defines (``f1_micro``, ``jaccard_samples``, ...)
    are left untouched. Calling it again changes nothing.

    Returns
    -------
    names : list of str
        The mlkit names now available in scikit-learn's registry.
    """
    warnings.warn(
        "mlkit.metrics.register_scorers() is deprecated since mlkit 0.2.0 and will be removed "
        "in 0.3.0: it writes into scikit-learn's private scorer registry. Pass scorers instead, "
        "for example scoring=mlkit.metrics.scorers(['f1_macro', 'precision_at_3']).",
        FutureWarning,
        stacklevel=2,
    )
    registry = _compat.SKLEARN_SCORER_REGISTRY
    if registry is None:  # pragma: no cover - depends on scikit-learn internals
        raise RuntimeError(
            "This scikit-learn version does not expose its scorer registry, so mlkit cannot "
            "register scorer names. Pass scorers instead: "
            "scoring=mlkit.metrics.scorers([...])."
        )
    available = []
    for name in get_scorer_names():
        current = registry.get(name)
        if current is None:
            registry[name] = get_scorer(name)
            available.append(name)
        elif isinstance(current, MultilabelScorer):
            available.append(name)
    # lets a single string pass scikit-learn's parameter validation too
    _compat.extend_scoring_name_options(available)
    return available
