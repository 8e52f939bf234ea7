"""Raw estimator outputs to one dense ``(n_samples, n_labels)`` score matrix.

Shared by the metrics' scorers and :class:`~mlkit.ThresholdTuner`, which both
accept estimators from outside mlkit (scikit-learn's multi-output lists,
scikit-multilearn's sparse matrices).
"""

import numpy as np
import scipy.sparse as sp

__all__ = ["dense_label_scores"]


def dense_label_scores(out, estimator=None):
    """Dense float scores of shape ``(n_samples, n_labels)`` from ``predict_proba``/``decision_function``.

    A scikit-learn list of ``(n, n_classes)`` arrays (one per label) becomes
    the column of class 1 of each array; a label whose estimator never saw
    class 1 scores 0. Sparse output is made dense, a 1-D output one column.
    """
    if isinstance(out, list):
        classes = getattr(estimator, "classes_", None)
        cols = []
        for j, p in enumerate(out):
            p = np.asarray(p)
            cls = None if classes is None or len(classes) != len(out) else list(classes[j])
            if cls is not None and 1 in cls:
                cols.append(p[:, cls.index(1)])
            elif cls is not None:  # label never positive in training
                cols.append(np.zeros(p.shape[0]))
            else:
                cols.append(p[:, -1])
        out = np.column_stack(cols)
    if sp.issparse(out):
        out = out.toarray()
    out = np.asarray(out, dtype=np.float64)
    if out.ndim == 1:
        out = out.reshape(-1, 1)
    return out
