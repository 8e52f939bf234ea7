"""The one place that imports scikit-learn private or version-dependent API.

A scikit-learn release that moves any of these breaks this file only.
"""

from sklearn.utils.validation import validate_data  # public since 1.6

try:  # private registry behind ``scoring="name"``
    from sklearn.metrics._scorer import _SCORERS as SKLEARN_SCORER_REGISTRY
except ImportError:  # pragma: no cover - scikit-learn moved it
    SKLEARN_SCORER_REGISTRY = None

__all__ = ["validate_data", "SKLEARN_SCORER_REGISTRY"]
