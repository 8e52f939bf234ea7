"""Problem transformation: multi-label classification from binary classifiers."""

from ._binary_relevance import BinaryRelevance
from ._chain import ClassifierChain, ClassifierChainEnsemble

__all__ = ["BinaryRelevance", "ClassifierChain", "ClassifierChainEnsemble"]
