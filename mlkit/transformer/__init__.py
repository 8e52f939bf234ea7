"""Fine-tuned transformer classifiers (extra ``transformer``: torch and transformers).

``import mlkit.transformer`` is cheap: torch and transformers are imported by
the first ``fit``, ``from_pretrained`` or unpickling.
"""

from ._classifier import DEFAULT_TRANSFORMER_MODEL, TransformerClassifier

__all__ = ["DEFAULT_TRANSFORMER_MODEL", "TransformerClassifier"]
