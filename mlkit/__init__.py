"""mlkit: multi-label text classification with scikit-learn estimators.

The public API is listed in ``__all__``. Everything loads lazily (PEP 562), so
``import mlkit`` is cheap and the torch-backed classes import torch only when
they are first used.
"""

import importlib
import logging

__version__ = "0.2.0"

# The library logs under "mlkit" (one logger per module, logging.getLogger(__name__)) and
# leaves the output to the application: without its own configuration nothing is shown.
logging.getLogger(__name__).addHandler(logging.NullHandler())

# public name -> module that defines it
_LAZY_ATTRS = {
    # featurizers
    "TfidfFeaturizer": "mlkit.features",
    "SentenceEmbeddingFeaturizer": "mlkit.features",
    # fine-tuned transformer (torch)
    "TransformerClassifier": "mlkit.transformer",
    # problem transformation
    "BinaryRelevance": "mlkit.transforms",
    "ClassifierChain": "mlkit.transforms",
    "ClassifierChainEnsemble": "mlkit.transforms",
    # thresholds
    "ThresholdTuner": "mlkit.thresholds",
    # blending several models' scores
    "ScoreBlend": "mlkit.ensemble",
    "TextPipeline": "mlkit.pipeline",
    # recommended models
    "make_classifier": "mlkit._factory",
    # labels
    "labels_to_indicator": "mlkit._labels",
    "indicator_to_labels": "mlkit._labels",
    # one-call evaluation
    "evaluate_model": "mlkit.evaluation",
    # model files
    "save_model": "mlkit.persistence",
    "load_model": "mlkit.persistence",
}
_SUBMODULES = {
    "datasets", "ensemble", "evaluation", "features", "insights", "io", "metrics",
    "model_selection", "persistence", "pipeline",
    "report", "serve", "thresholds", "transformer", "transforms",
}

__all__ = sorted([*_LAZY_ATTRS, *_SUBMODULES, "__version__"])


def __getattr__(name):
    if name in _LAZY_ATTRS:
        module = importlib.import_module(_LAZY_ATTRS[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"mlkit.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'mlkit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
