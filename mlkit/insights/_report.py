"""The audit's self-contained HTML report."""

import datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .. import metrics as _metrics
from .._atomic import atomic_write
from .._html import ROW_NOTE, esc, figure_to_img, html_map, html_table, render_page, section
from .._labels import cooccurrence_counts
from .._plots import plot_histogram, plot_matrix, plot_per_label_f1
from ._map import _sample, embedding_map
from ._rules import LIKELY, MIN_LISTED_SCORE

__all__ = ["write_html"]

_TEXT_CHARS = 300
#: characters of text in a map tooltip
_TIP_CHARS = 90
#: issue kinds of a row, in the map's colour order
_KINDS = ("none", "missing", "wrong", "missing+wrong")


def _short(text, n=_TEXT_CHARS):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _labels(labels):
    return ", ".join(map(str, labels)) if labels else "(none)"


def _note(text):
    return f'<p class="note">{esc(text)}</p>'


def _para(text):
    return f"<p>{esc(text)}</p>"


def _close(fig):
    # figures are built without pyplot; dropping the canvas frees them
    fig.clf()


def _img(fig, alt):
    try:
        return figure_to_img(fig, alt=alt)
    finally:
        _close(fig)


def _check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}.")


def write_html(audit, path, *, max_rows=50, max_labels=500, map_points=1500,
               map_method="tsne", precomputed_map=None):
    """Render ``audit`` as one HTML file at ``path`` (atomic write). Returns the path.

    ``map_points`` caps the points drawn on the embedding map (0: no map);
    ``precomputed_map`` draws a map computed before (an :class:`EmbeddingMap`
    of the audit's rows, e.g. from sentence embeddings) instead of computing
    one from TF-IDF with ``map_method``.
    """
    _check_count(max_rows, "max_rows")
    _check_count(max_labels, "max_labels")
    if isinstance(map_points, bool) or not isinstance(map_points, (int, np.integer)) \
            or map_points < 0:
        raise ValueError(f"map_points must be an int >= 0 (0: no map); got {map_points!r}.")
    path = Path(path)
    sections = [
        _overview_section(audit),
        _map_section(audit, map_points, map_method, precomputed_map),
        _error_score_section(audit, max_rows),
        _issues_section(audit, max_rows),
        _health_section(audit, max_labels),
        _overlap_section(audit, max_rows),
        _duplicates_section(audit, max_rows),
    ]
    meta = (f"mlkit data audit \u00b7 {audit.n_samples} rows \u00b7 {audit.n_labels} labels "
            f"\u00b7 generated {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}")
    page = render_page("Data audit", sections, meta=meta)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return path


def _overview_section(audit):
    Y = audit.Y
    dep = audit.data_error_scores
    health = audit.label_health
    likely = audit.issue_scores >= LIKELY
    n_miss = int((likely & (Y == 0)).sum())
    n_wrong = int((likely & (Y == 1)).sum())
    f1_micro = _metrics.f1_score(Y, audit.oof_pred, average="micro")
    f1_macro = _metrics.f1_score(Y, audit.oof_pred, average="macro")
    overview = html_table(
        [
            ("rows", audit.n_samples),
            ("row numbers", ROW_NOTE),
            ("labels", audit.n_labels),
            ("cross-validation", f"{audit.cv}-fold, multi-label stratified"),
            ("out-of-fold micro-F1", float(f1_micro)),
            ("out-of-fold macro-F1", float(f1_macro)),
            ("likely label issues (score \u2265 0.5)",
             f"{n_miss + n_wrong} cells ({n_miss} missing, {n_wrong} wrong) in "
             f"{int(likely.any(axis=1).sum())} rows"),
            ("rows with data error score \u2265 0.5", int((dep >= LIKELY).sum())),
            ("labels with alerts", int((health["alerts"] != "").sum())),
            ("duplicate texts with different labels",
             f"{audit.duplicates['group'].nunique()} groups"),
            ("audit time", f"{audit.seconds:.1f} s"),
        ],
        ["", "value"],
    )
    return section("Overview", overview, section_id="overview")


def _error_score_section(audit, max_rows):
    dep = audit.data_error_scores
    fig = plot_histogram(dep, xlabel="data error score (0 = labels confirmed, 1 = likely wrong)",
                         title="Data error score of every row")
    top_rows = np.argsort(-dep, kind="stable")[:max_rows]
    given = audit._given_labels
    predicted = audit._predicted_labels
    rows_table = html_table(
        [(int(i), float(dep[i]), float(audit.error_probability[i]), _labels(given[i]),
          _labels(predicted[i]), _short(audit.texts[i])) for i in top_rows],
        ["row", "data error score", "error probability", "given labels",
         "predicted (out of fold)", "text"],
        filters={"data error score": "range", "given labels": "list",
                 "predicted (out of fold)": "list"},
    )
    return section(
        "Data error score",
        _para("Each row's data error score is in [0, 1]: high when its given labels disagree "
              "with confident out-of-fold predictions, around 0.5 when the row sits on a "
              "decision boundary, near 0 when the model confirms its labels."),
        _img(fig, alt="Data error score distribution"),
        _note(f"The {len(top_rows)} rows with the highest score ({ROW_NOTE}):"),
        rows_table,
        section_id="data-error-score",
    )


def _issues_section(audit, max_rows):
    issues = audit.label_issues
    top = issues.head(max_rows)
    issues_table = html_table(
        [(int(r.row), r.label, r.kind, float(r.score), float(r.proba), float(r.threshold),
          _labels(r.given_labels), _short(r.text)) for r in top.itertuples()],
        ["row", "label", "kind", "score", "model probability", "threshold", "given labels",
         "text"],
        filters={"label": "select", "kind": "select", "score": "range",
                 "given labels": "list"},
    )
    return section(
        "Likely label issues",
        _para("Cells ranked by the probability that the given label is wrong. 'missing': the "
              "label is not given but likely applies; 'wrong': it is given but likely does "
              "not. Review them top-down."),
        _note(f"{len(issues)} cells have a score of at least {MIN_LISTED_SCORE}; the first "
              f"{len(top)} ({ROW_NOTE}):"),
        issues_table,
        section_id="label-issues",
    )


def _health_section(audit, max_labels):
    names = audit.label_names
    health = audit.label_health
    fig = plot_per_label_f1(names, health["f1"].to_numpy(), health["support"].to_numpy())
    cols = ["support", "precision", "recall", "f1", "average_precision", "threshold",
            "train_f1", "likely_missing", "likely_wrong", "alerts"]
    order = np.lexsort((-health["support"].to_numpy(), health["alerts"].to_numpy() == ""))
    shown = order[:max_labels]
    health_rows = []
    for j in shown:
        row = health.iloc[j]
        health_rows.append([names[j], *(row[c].item() if hasattr(row[c], "item") else row[c]
                                        for c in cols)])
    cut = ""
    if len(shown) < len(order):
        cut = _note(f"The first {len(shown)} of {len(order)} labels; the full table is "
                    "LabelAudit.label_health (to_html(max_labels=...) shows more).")
    return section(
        "Label health",
        _img(fig, alt="Per-label F1 and support"),
        _note("Out-of-fold precision, recall and F1 with the tuned thresholds; train F1 is the "
              "model refitted on all rows, scored on them. Labels with alerts first."),
        cut,
        html_table(health_rows, ["label", *cols]),
        section_id="label-health",
    )


def _overlap_matrix(audit):
    """The overlap rates as a sparse matrix (only the pairs with a confusion)."""
    a, b, counts, n_ab = audit._overlap_pairs()
    L = audit.n_labels
    return sp.csr_matrix((counts / np.maximum(n_ab, 1), (a, b)), shape=(L, L))


def _overlap_section(audit, max_rows):
    names = audit.label_names
    overlap = audit.overlap.head(max_rows)
    parts = [_img(plot_matrix(_overlap_matrix(audit), names, title="Label overlap",
                              cbar_label="share of rows of A (row) predicted B (column)"),
                  alt="Label overlap heatmap")]
    parts.append(html_table(
        [(r.label, r.confused_with, int(r.n_rows), int(r.n_confused), float(r.rate),
          float(r.mean_proba), int(r.cooccurrence)) for r in overlap.itertuples()],
        ["given label", "predicted instead/also", "rows", "confused", "rate",
         "mean probability", "rows with both"],
    ) if len(overlap) else _note("No label is predicted on rows of another label."))
    parts.append(_img(plot_matrix(cooccurrence_counts(audit.Y), names,
                                  title="Label co-occurrence",
                                  cbar_label="rows with both labels"),
                      alt="Label co-occurrence heatmap"))
    return section("Overlapping labels", *parts, section_id="overlap")


def _duplicates_section(audit, max_rows):
    dups = audit.duplicates
    if len(dups):
        shown = dups[dups["group"] < max_rows]
        dup_html = html_table(
            [(int(r.group), r.kind, int(r.row), float(r.similarity), _labels(r.given_labels),
              _short(r.text, 200)) for r in shown.itertuples()],
            ["group", "kind", "row", "similarity", "given labels", "text"],
            filters={"kind": "select", "given labels": "list"},
        )
        dup_note = (f"{dups['group'].nunique()} groups of exact or near-duplicate texts carry "
                    f"different labels ({len(dups)} rows); the first {shown['group'].nunique()} "
                    f"({ROW_NOTE}):")
    else:
        dup_html, dup_note = "", "No exact or near-duplicate texts with different labels."
    return section("Duplicates with different labels", _note(dup_note), dup_html,
                   section_id="duplicates")


def _map_tips(points):
    # the page's script adds each colouring's value (score, kind, cluster, labels)
    return [f"row {int(p.row)}\n{_short(p.text, _TIP_CHARS)}" for p in points.itertuples()]


def _map_modes(points, names, n_clusters):
    index = {name: j for j, name in enumerate(names)}
    return [
        {"name": "data error score", "type": "scale", "values": points["score"].tolist()},
        {"name": "issue kind", "type": "category", "names": list(_KINDS),
         "values": [_KINDS.index(k) for k in points["kind"]]},
        {"name": "cluster", "type": "category", "names": [str(c) for c in range(n_clusters)],
         "values": points["cluster"].tolist()},
        {"name": "label", "type": "sets", "names": [str(n) for n in names],
         "values": [[index[x] for x in labels] for labels in points["labels"]]},
    ]


def _cluster_table(clusters):
    return html_table(
        [(int(r.cluster), int(r.size), float(r.share), float(r.error_rate), float(r.mean_score),
          r.label_mix, r.top_terms) for r in clusters.itertuples()],
        ["cluster", "rows", "share", "error rate", "mean data error score", "label mix",
         "top terms"],
    )


def _centres(points):
    return [(float(g["x"].median()), float(g["y"].median()), str(c))
            for c, g in points.groupby("cluster")]


def _map_section(audit, map_points, method, emap):
    if map_points == 0:
        return ""
    if emap is None:
        try:
            emap = embedding_map(audit.texts, audit.Y, label_names=audit.label_names,
                                 scores=audit.data_error_scores,
                                 issue_scores=audit.issue_scores, method=method,
                                 max_points=map_points, random_state=0)
        except ValueError as exc:  # e.g. texts without words: the rest of the report stands
            return section("Embedding map and clusters", _note(f"No map: {exc}"),
                           section_id="map")
    elif emap.n_rows != audit.n_samples:
        raise ValueError(f"precomputed_map maps {emap.n_rows} rows but the audit has "
                         f"{audit.n_samples}; build it from the audit's rows.")
    points = emap.points
    if not {"score", "kind"} <= set(points.columns) or emap.label_names is None:
        raise ValueError("precomputed_map must be built with Y, scores and issue_scores from "
                         "the audit to be drawn in its report.")
    # a map computed with a larger cap: draw map_points of its points, by the same rule
    keep = _sample(len(points), points["score"].to_numpy(), map_points,
                   np.random.default_rng(0))
    points = points.iloc[keep]
    clusters = emap.clusters
    source = ("TF-IDF vector (reduced to 50 dimensions by truncated SVD)"
              if emap.source == "tfidf" else "embedding (reduced to 50 dimensions by PCA)")
    return section(
        "Embedding map and clusters",
        _para(f"Each point is a row, placed by {_METHOD_NAMES.get(emap.method, emap.method)} "
              f"of its {source}: rows close on the map have similar texts. Numbers mark the "
              "clusters (k-means on all rows in 50 dimensions). Hover a point for its row, "
              "labels and text (needs JavaScript); colour by data error score, issue kind, "
              "cluster or label."),
        _note(f"{len(points)} of {emap.n_rows} rows drawn (at most {map_points}: every row "
              "with a data error score of at least 0.5, the rest a random sample); "
              f"{ROW_NOTE}."),
        html_map(points[["x", "y"]].to_numpy(), _map_tips(points),
                 _map_modes(points, emap.label_names, len(clusters)),
                 annotations=_centres(points), alt="Embedding map of the rows"),
        _note("Clusters, largest first. Error rate: share of the cluster's rows with a data "
              "error score of at least 0.5. Top terms: words whose mean TF-IDF in the "
              "cluster most exceeds their mean elsewhere."),
        _cluster_table(clusters),
        section_id="map",
    )


_METHOD_NAMES = {"tsne": "t-SNE", "pca": "PCA", "svd": "the first two SVD components"}
