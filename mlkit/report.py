"""The evaluation report: one self-contained HTML file (``mlkit evaluate --report``).

:func:`render_report` builds it from true labels, decisions and scores;
:func:`write_report` predicts with a fitted estimator and writes the file.
The page holds the headline metrics, per-label F1 and support (plot and
table, with each label's decision threshold), precision-recall curves of the
most frequent labels, the label co-occurrence heatmap, a map of the rows
(t-SNE of their TF-IDF, coloured by how wrong each row's prediction is, with
clusters and their error rates), the worst-predicted examples with their
texts, and every row's decisions and scores as inert JSON data
(:func:`read_report_predictions`). Plots are PNG images and an SVG map
embedded in the page; one inline script (no external resource) makes the
tables sortable, searchable and filterable and the map hoverable, and the
page reads as a static document without it. The file renders offline. Row
numbers are 0-based positions in the input data. Needs matplotlib (extra
``plots``).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from . import _html
from ._atomic import atomic_write
from ._labels import check_label_matrix, cooccurrence_counts
from ._text import check_texts

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["read_report_predictions", "render_report", "write_report"]

_METRIC_HELP = {
    "f1_micro": "F1 over all (row, label) decisions pooled",
    "f1_macro": "mean of the per-label F1 (rare labels count as much as frequent ones)",
    "precision_micro": "share of predicted labels that are right",
    "precision_macro": "mean per-label precision",
    "recall_micro": "share of true labels that are found",
    "recall_macro": "mean per-label recall",
    "hamming_loss": "share of wrong (row, label) decisions; lower is better",
    "subset_accuracy": "share of rows whose whole label set is exactly right",
    "jaccard_samples": "mean over rows of |true ∩ predicted| / |true ∪ predicted|",
    "lrap": "label ranking average precision",
    "coverage_error": "how far down the ranking one must go to cover all true labels; lower is "
                      "better",
    "label_ranking_loss": "share of (true, false) label pairs ranked the wrong way; lower is "
                          "better",
    "average_precision_macro": "mean per-label area under the precision-recall curve",
    "roc_auc_macro": "mean per-label ROC-AUC",
}


def _metric_help(name):
    if name in _METRIC_HELP:
        return _METRIC_HELP[name]
    for prefix, text in (("precision_at_", "share of each row's {k} best-scored labels that are "
                                            "true"),
                         ("recall_at_", "share of each row's true labels among its {k} "
                                        "best-scored"),
                         ("ndcg_at_", "ranking quality of each row's {k} best-scored labels")):
        if name.startswith(prefix):
            return text.format(k=name[len(prefix):])
    return ""


def _shorten(text, width):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _names(labels):
    return ", ".join(labels) if labels else "\u2014"


def _check_inputs(texts, Y, Y_pred, scores, label_names):
    texts = check_texts(texts)
    Y, names = check_label_matrix(Y, label_names=label_names, accept_sparse=False,
                                  n_samples=len(texts))
    if names is None:
        names = np.asarray([str(j) for j in range(Y.shape[1])], dtype=object)
    D = np.asarray(Y_pred)
    if D.shape != Y.shape:
        raise ValueError(f"Y_pred has shape {D.shape}; expected {Y.shape} like Y.")
    S = None
    if scores is not None:
        S = np.asarray(scores, dtype=float)
        if S.shape != Y.shape:
            raise ValueError(f"scores has shape {S.shape}; expected {Y.shape} like Y.")
    return texts, Y, D.astype(np.int64), S, [str(n) for n in names]


def _cooccurrence(Y):
    """Share of the rows with label i (row) that also carry label j (column), sparse: only
    the pairs that occur are stored (never ``n_labels ** 2`` cells)."""
    counts = cooccurrence_counts(Y).astype(np.float64)
    support = counts.diagonal()
    scale = np.divide(1.0, support, out=np.zeros_like(support), where=support > 0)
    return sp.diags(scale) @ counts


def render_report(
    texts: Sequence[str],
    Y: ArrayLike,
    Y_pred: ArrayLike,
    scores: ArrayLike | None = None,
    *,
    label_names: Sequence[str] | None = None,
    thresholds: ArrayLike | None = None,
    threshold_note: str | None = None,
    score_kind: str = "probability",
    title: str = "mlkit evaluation report",
    model_name: str | None = None,
    data_name: str | None = None,
    train_support: Sequence[int] | None = None,
    n_worst: int = 25,
    n_pr_labels: int = 8,
    max_text_length: int = 600,
    embed_predictions: bool = True,
    embed_scores: bool | str = "auto",
    max_label_rows: int | None = 1000,
    map_points: int = 1500,
    map_method: str = "tsne",
) -> str:
    """The evaluation report as a self-contained HTML string.

    Parameters
    ----------
    texts : sequence of str
    Y : array-like of shape (n_samples, n_labels)
        True 0/1 labels.
    Y_pred : array-like of shape (n_samples, n_labels)
        The model's 0/1 decisions.
    scores : array-like of shape (n_samples, n_labels), default=None
        Probabilities (or decision values, with ``score_kind="decision"``);
        they give the ranking metrics and the precision-recall curves.
    label_names : sequence of str, default=None
    thresholds : array-like of shape (n_labels,), default=None
        The decision threshold of each label, shown in the per-label table.
    threshold_note : str, default=None
        One sentence saying how decisions were made (e.g. tuned per-label
        thresholds, or a fixed threshold given by the user).
    score_kind : {"probability", "decision"}, default="probability"
    title, model_name, data_name : str
        Shown in the page header.
    train_support : sequence of int, default=None
        Positives per label in the training data (an extra table column).
    n_worst : int, default=25
        Number of worst-predicted examples shown.
    n_pr_labels : int, default=8
        Precision-recall curves are drawn for this many of the most frequent
        labels.
    max_text_length : int, default=600
        Longer texts are shortened in the examples table.
    embed_predictions : bool, default=True
        Embed every row's decisions and scores (rounded to 6 decimals, as
        ``mlkit predict`` writes them) as JSON in a
        ``<script type="application/json" id="mlkit-predictions">`` element,
        so the page is a complete record of what the model answered
        (:func:`read_report_predictions` reads it back).
    embed_scores : bool or "auto", default="auto"
        Whether the embedded record holds the scores too (decisions are
        always embedded, as label indices per row). ``"auto"`` embeds them up
        to 2,000,000 (row, label) cells (about 20 MB of page) and leaves
        them out above, with a note: with thousands of labels the scores
        would make the page hundreds of megabytes. True always embeds them.
    max_label_rows : int or None, default=1000
        The per-label table shows at most this many labels (the most
        frequent first) and says how many it left out; None shows all.
        The plots show at most 40 labels whatever the label count.
    map_points : int, default=1500
        Rows drawn on the map of the rows (every wrongly predicted row
        first, then a random sample); 0 leaves the map out.
    map_method : {"tsne", "pca", "svd"}, default="tsne"
        Its projection (see :func:`mlkit.insights.embedding_map`).

    Returns
    -------
    html : str
    """
    from .metrics import evaluate, per_label_report

    if score_kind not in ("probability", "decision"):
        raise ValueError(f"score_kind must be 'probability' or 'decision'; got {score_kind!r}.")
    if embed_scores not in (True, False, "auto"):
        raise ValueError(f"embed_scores must be True, False or 'auto'; got {embed_scores!r}.")
    if max_label_rows is not None and (isinstance(max_label_rows, bool) or not isinstance(
            max_label_rows, (int, np.integer)) or max_label_rows < 1):
        raise ValueError(f"max_label_rows must be a positive int or None (all labels); got "
                         f"{max_label_rows!r}.")
    if isinstance(map_points, bool) or not isinstance(map_points, (int, np.integer)) \
            or map_points < 0:
        raise ValueError(f"map_points must be an int >= 0 (0: no map); got {map_points!r}.")
    texts, Y, D, S, names = _check_inputs(texts, Y, Y_pred, scores, label_names)
    metrics = evaluate(Y, D, S, label_names=names)
    report = per_label_report(Y, D, label_names=names, thresholds=thresholds, y_score=S)
    order = np.argsort(-report.support, kind="stable")
    sections = [
        _summary_section(Y, D, metrics, threshold_note),
        _per_label_section(names, report, order[:max_label_rows], train_support,
                           thresholds is not None),
        _pr_section(Y, S, names, report, order, n_pr_labels),
        _cooccurrence_section(Y, names),
        _map_section(texts, Y, D, names, map_points, map_method),
        _worst_section(texts, Y, D, S, names, score_kind, n_worst, max_text_length),
    ]
    if embed_predictions:
        if embed_scores == "auto":
            embed_scores = S is None or S.size <= _MAX_EMBEDDED_SCORES
        sections.append(_predictions_data(D, S if embed_scores else None, names, score_kind,
                                          scores_left_out=S is not None and not embed_scores))
    meta = [f"generated {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}"]
    if model_name:
        meta.append(f"model: {model_name}")
    if data_name:
        meta.append(f"data: {data_name}")
    return _html.render_page(title, [s for s in sections if s], meta=" \u00b7 ".join(meta))


def _summary_section(Y, D, metrics, threshold_note):
    n, L = Y.shape
    rows = [(name, value, _metric_help(name)) for name, value in metrics.items()]
    note = ""
    if threshold_note:
        note = f'<p class="note">{_html.esc(threshold_note)}</p>'
    return _html.section(
        "Summary",
        f"<p>{n:,} texts, {L} labels; {int(Y.sum()):,} true and {int(D.sum()):,} predicted "
        f"labels (cardinality {Y.sum() / n:.3f} true, {D.sum() / n:.3f} predicted).</p>",
        note,
        _html.html_table(rows, ["metric", "value", "meaning"], float_format="{:.4f}"),
        section_id="summary",
    )


def _per_label_section(names, report, order, train_support, with_thresholds):
    from ._plots import plot_per_label_f1

    fig = plot_per_label_f1(names, report.f1, report.support)
    columns = ["label", "support", "predicted", "precision", "recall", "F1"]
    if train_support is not None:
        columns.insert(2, "train support")
    if with_thresholds:
        columns.append("threshold")
    if report.average_precision is not None:
        columns.append("average precision")
    table_rows = []
    for j in order:
        row = [names[j], int(report.support[j]), int(report.n_predicted[j]),
               float(report.precision[j]), float(report.recall[j]), float(report.f1[j])]
        if train_support is not None:
            row.insert(2, int(train_support[j]))
        if with_thresholds:
            row.append(float(report.threshold[j]))
        if report.average_precision is not None:
            ap = float(report.average_precision[j])
            row.append("\u2014" if np.isnan(ap) else ap)
        table_rows.append(row)
    no_pos = [names[j] for j in np.flatnonzero(report.support == 0)]
    extra = ""
    if no_pos:
        listed = ", ".join(no_pos[:_MAX_LISTED]) + (", …" if len(no_pos) > _MAX_LISTED else "")
        extra = (f'<p class="note">{len(no_pos)} label(s) have no positive example in this data, '
                 f"so their recall and F1 are 0 by convention: {_html.esc(listed)}.</p>")
    if len(order) < len(names):
        extra += (f'<p class="note">The table shows the {len(order)} most frequent of '
                  f"{len(names)} labels (max_label_rows); per_label_report() gives them all.</p>")
    return _html.section(
        "Per-label F1, support and thresholds",
        _html.figure_to_img(fig, alt="Per-label F1 and support"),
        extra,
        _html.html_table(table_rows, columns,
                         caption="Labels by support (most frequent first). Threshold: the "
                                 "score above which a label is predicted."),
        section_id="per-label",
    )


def _pr_section(Y, S, names, report, order, n_pr_labels):
    from ._plots import plot_pr_curves

    if S is None:
        return ""
    frequent = [int(j) for j in order if report.support[j] > 0][:n_pr_labels]
    if not frequent:
        return ""
    fig = plot_pr_curves(Y, S, names, frequent)
    return _html.section(
        "Precision-recall curves",
        f'<p class="note">The {len(frequent)} most frequent labels; AP is the average '
        "precision (area under the curve).</p>",
        _html.figure_to_img(fig, alt="Precision-recall curves"),
        section_id="pr-curves",
    )


def _cooccurrence_section(Y, names):
    from ._plots import plot_matrix

    if Y.shape[1] < 2:
        return ""
    fig = plot_matrix(_cooccurrence(Y), names, title="Label co-occurrence (true labels)",
                      cbar_label="share of row label's texts that also carry column label",
                      blank_diagonal=True)
    return _html.section(
        "Label co-occurrence",
        '<p class="note">Cell (row A, column B): the share of texts labelled A that are also '
        "labelled B, in this data's true labels. The diagonal is left blank.</p>",
        _html.figure_to_img(fig, alt="Label co-occurrence heatmap"),
        section_id="cooccurrence",
    )


def _worst_section(texts, Y, D, S, names, score_kind, n_worst, max_text_length):
    from .evaluation import row_errors  # the one definition of a row's loss

    err = row_errors(Y, D, S, score_kind=score_kind)
    n_wrong = (Y != D).sum(axis=1)
    worst = [int(i) for i in np.argsort(-err, kind="stable")[:n_worst] if n_wrong[i] > 0]
    if worst:
        ex_rows = []
        for i in worst:
            true = [names[j] for j in np.flatnonzero(Y[i])]
            pred = [names[j] for j in np.flatnonzero(D[i])]
            missed = [t for t in true if t not in pred]
            spurious = [p for p in pred if p not in true]
            ex_rows.append([i, _shorten(texts[i], max_text_length), _names(true),
                            _names(pred), _names(missed), _names(spurious), float(err[i])])
        how = ("number of wrong labels, ties broken by how far the probabilities are from the "
               "truth" if S is not None and score_kind == "probability"
               else "number of wrong labels")
        body = _html.html_table(
            ex_rows, ["row", "text", "true", "predicted", "missed", "spurious", "error"],
            float_format="{:.2f}", filters={"true": "list", "predicted": "list",
                                            "missed": "list", "spurious": "list",
                                            "error": "range"})
    else:
        how = "every row is predicted exactly right"
        body = "<p>No wrongly predicted row.</p>"
    return _html.section(
        "Worst-predicted examples",
        f'<p class="note">Rows ranked by error ({how}); {_html.ROW_NOTE}.</p>',
        body,
        section_id="worst",
    )


_WRONG_KINDS = ("right", "1 wrong label", "2+ wrong labels")


def _map_section(texts, Y, D, names, map_points, method):
    """A map of the rows coloured by their wrong labels, with clusters and error rates."""
    from .insights._map import embedding_map

    if map_points == 0 or len(texts) < 3:
        return ""
    n_wrong = (Y != D).sum(axis=1)
    try:
        emap = embedding_map(texts, Y, label_names=names, scores=(n_wrong > 0).astype(float),
                             method=method, max_points=map_points, random_state=0)
    except ValueError as exc:  # e.g. texts without words: the rest of the report stands
        return _html.section("Map of the rows", f'<p class="note">No map: {_html.esc(exc)}</p>',
                             section_id="map")
    points, clusters = emap.points, emap.clusters
    rows = points["row"].to_numpy()
    wrong = np.minimum(n_wrong[rows], 2)
    # the page's script adds each colouring's value (wrong labels, cluster, labels)
    tips = [f"row {int(i)}\n{_shorten(texts[i], 90)}" for i in rows]
    modes = [
        {"name": "wrong labels", "type": "category", "names": list(_WRONG_KINDS),
         "values": wrong.tolist()},
        {"name": "cluster", "type": "category", "names": [str(c) for c in range(len(clusters))],
         "values": points["cluster"].tolist()},
        {"name": "true label", "type": "sets", "names": names,
         "values": [np.flatnonzero(Y[i]).tolist() for i in rows]},
        {"name": "predicted label", "type": "sets", "names": names,
         "values": [np.flatnonzero(D[i]).tolist() for i in rows]},
    ]
    centres = [(float(g["x"].median()), float(g["y"].median()), str(c))
               for c, g in points.groupby("cluster")]
    table = _html.html_table(
        [(int(r.cluster), int(r.size), float(r.error_rate), r.label_mix, r.top_terms)
         for r in clusters.itertuples()],
        ["cluster", "rows", "wrongly predicted", "label mix (true)", "top terms"])
    return _html.section(
        "Map of the rows",
        f'<p class="note">Each point is a row, placed by {_html.esc(method)} of its TF-IDF '
        "vector (truncated SVD to 50 dimensions): rows close on the map have similar texts. "
        "Numbers mark clusters (k-means on all rows). Hover a point for its row, labels and "
        f"text (needs JavaScript). {len(points):,} of {len(texts):,} rows drawn (at most "
        f"{map_points:,}: every wrongly predicted row, the rest a random sample); "
        f"{_html.ROW_NOTE}.</p>",
        _html.html_map(points[["x", "y"]].to_numpy(), tips, modes, annotations=centres,
                       alt="Map of the rows"),
        table,
        section_id="map",
    )


_PREDICTIONS_ID = "mlkit-predictions"
#: scores embedded by default up to this many (row, label) cells (about 20 MB of page)
_MAX_EMBEDDED_SCORES = 2_000_000
#: label names listed in one note at most
_MAX_LISTED = 50


def _predictions_data(D, S, names, score_kind, scores_left_out=False):
    """Every row's predicted labels and scores as an inert JSON element."""
    note = ""
    if scores_left_out:
        note = (f'<p class="note">The embedded predictions hold the decisions only: '
                f"{D.shape[0]:,} rows x {D.shape[1]:,} labels of scores would make the page too "
                "large (embed_scores=True keeps them).</p>")
    payload = {
        "labels": [str(n) for n in names],
        "score_kind": score_kind,
        "row_numbers": _html.ROW_NOTE,
        "predicted": [np.flatnonzero(d).tolist() for d in D],
        "scores": None if S is None else np.round(S, 6).tolist(),
    }
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    # no "<" in the element: a text cannot end it early or open a comment/script in it
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'{note}<script type="application/json" id="{_PREDICTIONS_ID}">{text}</script>'


def read_report_predictions(
    html: str,
) -> tuple[NDArray[np.int64], NDArray[np.float64] | None]:
    """The decisions and scores embedded in a report by :func:`render_report`.

    Parameters
    ----------
    html : str
        The report's HTML text.

    Returns
    -------
    decisions : ndarray of shape (n_samples, n_labels) of int
    scores : ndarray of shape (n_samples, n_labels) or None
    label_names : list of str
    """
    start_tag = f'<script type="application/json" id="{_PREDICTIONS_ID}">'
    start = html.find(start_tag)
    if start < 0:
        raise ValueError("This report has no embedded predictions (it was written with "
                         "embed_predictions=False or by another program).")
    start += len(start_tag)
    end = html.index("</script>", start)
    payload = json.loads(html[start:end])
    names = payload["labels"]
    D = np.zeros((len(payload["predicted"]), len(names)), dtype=np.int64)
    for i, cols in enumerate(payload["predicted"]):
        D[i, cols] = 1
    S = None if payload["scores"] is None else np.asarray(payload["scores"], dtype=np.float64)
    return D, S, names


def write_report(
    path: str | os.PathLike[str],
    estimator: Any,
    texts: Sequence[str],
    Y: Any,
    *,
    label_names: Sequence[str] | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    **kwargs: Any,
) -> str:
    """Predict with a fitted estimator and write the evaluation report to ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file (written atomically).
    estimator : fitted estimator
        Needs ``predict`` and ``predict_proba`` (or ``decision_function``).
    texts : sequence of str
    Y : array-like, DataFrame or list of label collections
        True labels, columns in the order of ``estimator.classes_``.
    label_names : sequence of str, default=None
        ``estimator.classes_`` when None.
    threshold : float, default=None
        Decide with this probability threshold instead of the estimator's
        own decisions.
    top_k : int, default=None
        Decide with the ``top_k`` best-scored labels of each row.
    **kwargs
        Passed to :func:`render_report`.

    Returns
    -------
    html : str
        The page written.
    """
    from .base import has_method
    from .inference import Predictor

    texts = check_texts(texts)
    names = label_names if label_names is not None else getattr(estimator, "classes_", None)
    if has_method(estimator, "predict_proba") or has_method(estimator, "decision_function"):
        if names is None:
            names = [str(j) for j in range(check_label_matrix(Y)[0].shape[1])]
        predictor = Predictor(estimator, names)
        kind = predictor.score_kind
        if (threshold is not None or top_k is not None) and kind != "probability":
            raise ValueError("threshold and top_k need an estimator with predict_proba.")
        D, S = predictor.predict(texts, threshold=threshold, top_k=top_k)
    else:
        if threshold is not None or top_k is not None:
            raise ValueError("threshold and top_k need an estimator with predict_proba.")
        D, S, kind = estimator.predict(texts), None, "probability"
    kwargs.setdefault("score_kind", kind)
    page = render_report(texts, Y, D, S, label_names=names, **kwargs)
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(page)
    return page
