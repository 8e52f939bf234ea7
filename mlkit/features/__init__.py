"""Featurizers: raw texts to features.

``TfidfFeaturizer`` needs only scikit-learn. ``SentenceEmbeddingFeaturizer``
(extra ``embeddings``: torch and sentence-transformers) and its cache helpers
are loaded lazily (PEP 562): ``import mlkit.features`` never imports torch.
"""

import importlib

from ._tfidf import TfidfFeaturizer

_LAZY = {
    "SentenceEmbeddingFeaturizer": "._embeddings",
    "embedding_cache_info": "._embeddings",
    "clear_embedding_cache": "._embeddings",
}

__all__ = ["SentenceEmbeddingFeaturizer", "TfidfFeaturizer", "clear_embedding_cache",
           "embedding_cache_info"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mlkit.features' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
