"""Data-quality audit of multi-label text datasets, computed locally.

:func:`audit` runs any mlkit (or scikit-learn) multi-label estimator out of
fold and returns a :class:`LabelAudit`: likely label errors ranked cell by
cell (missing vs wrong labels), a data error score per row, per-label health
with alerts, confused label pairs, label co-occurrence, duplicated texts with
different labels, and a self-contained HTML report. :class:`Edits` applies
the suggested (or hand-made) fixes to a copy of the data, in the data's own
format. :func:`inject_label_noise` plants known errors, to measure how well
the audit finds them on your data.
"""

from ._audit import LabelAudit, audit
from ._edits import Edits
from ._noise import inject_label_noise

__all__ = ["Edits", "LabelAudit", "audit", "inject_label_noise"]
