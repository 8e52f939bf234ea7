"""Data-quality audit of multi-label text datasets, computed locally.

:func:`audit` runs any mlkit (or scikit-learn) multi-label estimator out of
fold, or takes out-of-fold probabilities computed elsewhere (``oof_proba=``,
any model), and returns a :class:`LabelAudit`: likely label errors ranked
cell by cell (missing vs wrong labels), a data error score per row, per-label health
with alerts, confused label pairs, label co-occurrence, duplicated texts with
different labels, and a self-contained HTML report. :class:`Edits` applies
the suggested (or hand-made) fixes to a copy of the data, in the data's own
format, never leaving a row without labels unless asked, and writes an edit
log that :meth:`Edits.revert` undoes. Row numbers everywhere are 0-based
positions in the input data (header not counted). :func:`inject_label_noise`
plants known errors, to measure how well the audit finds them on your data.
:func:`compare_splits` compares two labelled splits (label prevalence shift, a
drift score from a classifier two-sample test, the rows of one split least like
the other, leakage across splits, alerts) and returns a :class:`SplitComparison`.
:func:`embedding_map` projects the rows to 2-D (t-SNE of TF-IDF or of sentence
embeddings) with clusters, their top terms, label mix and error rate.
"""

from ._audit import LabelAudit, audit
from ._compare import SplitComparison, compare_splits
from ._edits import Edits
from ._map import EmbeddingMap, embedding_map
from ._noise import inject_label_noise

__all__ = ["EmbeddingMap", "Edits", "LabelAudit", "SplitComparison", "audit",
           "compare_splits", "embedding_map", "inject_label_noise"]
