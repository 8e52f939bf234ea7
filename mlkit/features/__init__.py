"""Featurizers: raw texts to features.

``SentenceEmbeddingFeaturizer`` (torch, extra ``embeddings``) is added by the
neural backends and imported lazily.
"""

from ._tfidf import TfidfFeaturizer

__all__ = ["TfidfFeaturizer"]
