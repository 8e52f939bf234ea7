"""Fine-tuned transformer classifiers (extra ``transformer``: torch and transformers).

``import mlkit.transformer`` is cheap: torch and transformers are imported by
the first ``fit``, ``from_pretrained``, :func:`load_pretrained` or unpickling.
"""

from ._classifier import DEFAULT_TRANSFORMER_MODEL, TransformerClassifier
from ._pretrained import CONFIG_THRESHOLDS_KEY, load_pretrained, save_pretrained

__all__ = ["CONFIG_THRESHOLDS_KEY", "DEFAULT_TRANSFORMER_MODEL", "TransformerClassifier",
           "load_pretrained", "save_pretrained"]
