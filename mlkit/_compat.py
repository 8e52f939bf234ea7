"""The one place that imports scikit-learn private or version-dependent API.

A scikit-learn release that moves any of these breaks this file only.
"""

# Parameter validation (``_parameter_constraints`` + ``_fit_context``) and the switch of
# metadata routing are private in scikit-learn; mlkit reaches them only through here.
from sklearn.base import _fit_context as fit_context  # noqa: E402
from sklearn.utils._metadata_requests import _routing_enabled as routing_enabled  # noqa: E402
from sklearn.utils._param_validation import (  # noqa: E402
    HasMethods,
    Interval,
    Options,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing
from sklearn.utils.validation import validate_data  # public since 1.6

# Deprecated path only (``mlkit.metrics.register_scorers``, to be removed): the
# private registry behind ``scoring="name"`` and ``extend_scoring_name_options`` below.
try:
    from sklearn.metrics._scorer import _SCORERS as SKLEARN_SCORER_REGISTRY
except ImportError:  # pragma: no cover - scikit-learn moved it
    SKLEARN_SCORER_REGISTRY = None

__all__ = [
    "validate_data", "SKLEARN_SCORER_REGISTRY", "MetadataRouter", "MethodMapping",
    "process_routing", "fit_context", "routing_enabled", "HasMethods", "Interval", "Options",
    "RealNotInt", "StrOptions",
]

# Scorers. mlkit's scorers subclass scikit-learn's scorer base class, so that its
# multi-metric scorer, the searches and metadata routing (``set_score_request``,
# ``sample_weight``) treat them like scikit-learn's own. Nothing is registered.
from sklearn.metrics._scorer import _BaseScorer as BaseScorer  # noqa: E402


def shared_response_cache(method_caller):
    """The per-evaluation cache of scikit-learn's multi-metric scorer, or None.

    ``_MultimetricScorer`` calls each scorer's ``_score(method_caller, ...)`` with
    ``method_caller = functools.partial(_cached_call, cache)``, ``cache`` a dict
    (or None when no response is shared). mlkit's scorers store their own
    responses in it under keys that are not method names, so a dict of them calls
    ``predict`` and ``predict_proba`` once per evaluation. Any other shape gives
    None: no sharing, same scores.
    """
    args = getattr(method_caller, "args", ())
    return args[0] if args and isinstance(args[0], dict) else None


__all__ += ["BaseScorer", "shared_response_cache"]

# ``_safe_indexing`` is listed in ``sklearn.utils.__all__`` but keeps its private-looking name;
# mlkit.model_selection.train_test_split uses it to index lists, arrays, sparse matrices and
# DataFrames the way scikit-learn's own train_test_split does.
from sklearn.utils import _safe_indexing as safe_indexing  # noqa: E402

__all__ += ["safe_indexing"]


def extend_scoring_name_options(names):
    """Let scikit-learn's parameter validation accept extra scorer names as single strings.

    Used only by the deprecated ``mlkit.metrics.register_scorers``.

    scikit-learn validates ``scoring="name"`` against the names it knew at import
    time (``StrOptions`` in ``_parameter_constraints``). The ``StrOptions``
    objects are shared by the search classes and the ``cross_validate`` family,
    so extending them once covers all of them.
    """
    import sklearn.metrics as skm
    import sklearn.model_selection as skms
    from sklearn.model_selection._search import BaseSearchCV
    from sklearn.utils._param_validation import StrOptions

    targets = [
        BaseSearchCV._parameter_constraints,
        *(
            getattr(getattr(skms, f, None), "_skl_parameter_constraints", None)
            for f in ("cross_validate", "cross_val_score", "learning_curve",
                      "validation_curve", "permutation_test_score")
        ),
        getattr(skm.check_scoring, "_skl_parameter_constraints", None),
    ]
    for constraints in targets:
        for c in (constraints or {}).get("scoring", ()):
            if isinstance(c, StrOptions) and "f1_micro" in c.options:
                c.options.update(names)


# The linear classifiers' shared decision_function (X @ coef_.T + intercept_).
# BinaryRelevance scores all labels in one product when every label's model
# uses it unchanged; a release that moves the class disables that fast path.
try:
    from sklearn.linear_model._base import LinearClassifierMixin
except ImportError:  # pragma: no cover - scikit-learn moved it
    LinearClassifierMixin = None

__all__ += ["LinearClassifierMixin"]
