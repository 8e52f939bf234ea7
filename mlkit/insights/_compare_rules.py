"""Thresholds and rules of the split comparison (``compare_splits``), shared by its
result and its HTML report."""

import numpy as np

__all__ = ["flagged_labels", "format_p"]

ROW_NOTE = "row = 0-based position in the split's data rows (header not counted)"

# alert thresholds (stated in every alert)
DRIFT_AUC = 0.60          # "the splits differ"
SLIGHT_DRIFT_AUC = 0.55   # "slight drift", when also significant
RATIO = 2.0               # a label this many times more frequent in one split ...
Q_VALUE = 0.05            # ... at this false-discovery rate (Benjamini-Hochberg)
MIN_POSITIVES = 5         # ... with at least this many positive rows in the split it is larger in
NEAR_DUPLICATE = 0.9      # TF-IDF cosine of a near copy
CARDINALITY_SHIFT = 0.15  # relative change of the mean number of labels per row
KS_STATISTIC = 0.10       # text length distributions (Kolmogorov-Smirnov)
OOV_RATIO = 1.5           # test's out-of-vocabulary token rate vs a held-out part of train
P_VALUE = 0.01
MAX_SHIFT_ALERTS = 10     # label shift alerts listed one by one; the rest in one alert


def format_p(p):
    """A p-value for people: 'p = 0.032', 'p < 1e-16' (floating point underflows to 0).

    Parameters
    ----------
    p : float

    Returns
    -------
    text : str
    """
    if not np.isfinite(p):
        return "p n/a"
    return "p < 1e-16" if p < 1e-16 else f"p = {p:.2g}"


def _shifted(s):
    """Masks of the labels significantly more frequent in test / in train (label_shift)."""
    both = (s["only_in"] == "").to_numpy() & (s["q_value"] < Q_VALUE).to_numpy()
    up = both & (s["ratio"] >= RATIO).to_numpy() & (s["n_test"] >= MIN_POSITIVES).to_numpy()
    down = (both & (s["ratio"] <= 1 / RATIO).to_numpy()
            & (s["n_train"] >= MIN_POSITIVES).to_numpy())
    return up, down


def flagged_labels(s):
    """Mask of the labels with an alert in a label_shift table.

    Parameters
    ----------
    s : pandas.DataFrame
        :attr:`SplitComparison.label_shift`.

    Returns
    -------
    mask : ndarray of bool of shape (n_labels,)
    """
    up, down = _shifted(s)
    return up | down | (s["only_in"] != "").to_numpy()
