"""The one place that imports scikit-learn private or version-dependent API.

A scikit-learn release that moves any of these breaks this file only.
"""

from sklearn.utils.validation import validate_data  # public since 1.6

try:  # private registry behind ``scoring="name"``
    from sklearn.metrics._scorer import _SCORERS as SKLEARN_SCORER_REGISTRY
except ImportError:  # pragma: no cover - scikit-learn moved it
    SKLEARN_SCORER_REGISTRY = None

__all__ = ["validate_data", "SKLEARN_SCORER_REGISTRY"]

# ``_safe_indexing`` is listed in ``sklearn.utils.__all__`` but keeps its private-looking name;
# mlkit.model_selection.train_test_split uses it to index lists, arrays, sparse matrices and
# DataFrames the way scikit-learn's own train_test_split does.
from sklearn.utils import _safe_indexing as safe_indexing  # noqa: E402

__all__ += ["safe_indexing"]


def extend_scoring_name_options(names):
    """Let scikit-learn's parameter validation accept extra scorer names as single strings.

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
