"""The keys mlkit adds to a checkpoint's ``config.json`` (transformers ignores them)."""

__all__ = ["CONFIG_THRESHOLDS_KEY", "THRESHOLD_KEYS"]

#: The tuned per-label thresholds, in probability units (a list, in label-id order).
CONFIG_THRESHOLDS_KEY = "mlkit_thresholds"
CFG_AT_LEAST_ONE = "mlkit_at_least_one"
CFG_TOP_K = "mlkit_top_k"
CFG_GLOBAL = "mlkit_global_threshold"
#: The keys of a ThresholdTuner's decision rule.
THRESHOLD_KEYS = (CONFIG_THRESHOLDS_KEY, CFG_AT_LEAST_ONE, CFG_TOP_K, CFG_GLOBAL)
