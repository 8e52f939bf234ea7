"""Multi-label metrics, a per-label report and scorers usable by name.

This is the one metrics package of mlkit: estimators, threshold tuning, the
CLI, the reports and the benchmarks all use it. The public API is this
module; the functions live in private modules, one concept each.

* **Threshold metrics** compare 0/1 decisions ``y_pred`` with ``y_true``:
  :func:`precision_score`, :func:`recall_score`, :func:`f1_score`,
  :func:`jaccard_score`, :func:`hamming_loss`, :func:`subset_accuracy`. They are
  thin wrappers of scikit-learn's functions with multi-label defaults
  (``average="micro"``, ``zero_division=0``: a label or row with nothing to
  divide by scores 0 and never warns).
* **Ranking metrics** compare scores ``y_score`` (probabilities or decision
  values) with ``y_true``: :func:`label_ranking_average_precision`,
  :func:`coverage_error`, :func:`label_ranking_loss` (scikit-learn's),
  :func:`average_precision_score` and :func:`roc_auc_score` (scikit-learn's,
  skipping labels where they are undefined), :func:`precision_recall_curve_per_label`,
  and :func:`precision_at_k`, :func:`recall_at_k`, :func:`ndcg_at_k` (written here).
* **Summaries**: :func:`evaluate` (dict of headline metrics),
  :func:`format_metrics` (text table), :func:`per_label_report`
  (:class:`LabelReport`), :func:`label_cardinality`, :func:`label_density`.
* **Scorers** for ``GridSearchCV(scoring=...)`` / ``cross_validate``:
  :func:`scorers` (names, lists or dicts of names, mlkit's and scikit-learn's),
  :func:`get_scorer`, :func:`get_scorer_names`, :func:`make_scorers`,
  :func:`make_combined_scorer`, :func:`get_metric`. Nothing is registered in
  scikit-learn; :func:`register_scorers`, which did, is deprecated.

Input conventions, shared by every function:

* ``y_true``: any mlkit label form (0/1 array, scipy sparse matrix, DataFrame
  of 0/1 columns, list of label-name collections); see
  :func:`mlkit._labels.check_label_matrix`.
* ``y_pred``: a dense or sparse 0/1 matrix of shape ``(n_samples, n_labels)``.
* ``y_score``: a dense or sparse float matrix of the same shape (sparse
  scores, as scikit-multilearn returns, are made dense). NaN is rejected.
* Ties in ``y_score`` are broken by column order: among equal scores the label
  with the smaller column index ranks first.
"""

from ._at_k import ndcg_at_k, precision_at_k, recall_at_k
from ._ranking import (
    average_precision_score,
    coverage_error,
    label_ranking_average_precision,
    label_ranking_loss,
    precision_recall_curve_per_label,
    roc_auc_score,
)
from ._report import (
    LabelReport,
    evaluate,
    format_metrics,
    label_cardinality,
    label_density,
    per_label_report,
)
from ._scorers import (
    MultilabelScorer,
    get_metric,
    get_scorer,
    get_scorer_names,
    make_combined_scorer,
    make_scorers,
    register_scorers,
    scorers,
)
from ._threshold import (
    f1_score,
    hamming_loss,
    jaccard_score,
    precision_score,
    recall_score,
    subset_accuracy,
)

__all__ = [
    # threshold metrics
    "precision_score",
    "recall_score",
    "f1_score",
    "jaccard_score",
    "hamming_loss",
    "subset_accuracy",
    # ranking metrics
    "label_ranking_average_precision",
    "coverage_error",
    "label_ranking_loss",
    "average_precision_score",
    "precision_recall_curve_per_label",
    "roc_auc_score",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    # label statistics
    "label_cardinality",
    "label_density",
    # summaries
    "evaluate",
    "format_metrics",
    "per_label_report",
    "LabelReport",
    "get_metric",
    # scorers
    "MultilabelScorer",
    "get_scorer",
    "get_scorer_names",
    "make_scorers",
    "make_combined_scorer",
    "scorers",
    "register_scorers",
]
