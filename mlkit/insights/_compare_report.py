"""The split comparison's self-contained HTML report."""

import datetime
from pathlib import Path

import numpy as np

from .._atomic import atomic_write
from .._html import esc, html_table, new_figure, render_page, section
from .._plots import plot_histogram
from ._compare_rules import (
    NEAR_DUPLICATE,
    Q_VALUE,
    ROW_NOTE,
    SLIGHT_DRIFT_AUC,
    flagged_labels,
    format_p,
)
from ._report import _check_count, _img, _labels, _note, _short

__all__ = ["write_compare_html"]

def write_compare_html(comparison, path, *, max_rows=50, max_labels=500):
    """Render ``comparison`` as one HTML file at ``path`` (atomic write). Returns the path."""
    _check_count(max_rows, "max_rows")
    _check_count(max_labels, "max_labels")
    path = Path(path)
    c = comparison
    a, b = c.split_names
    sections = [
        _overview_section(c),
        _drift_section(c),
        _label_section(c, max_labels),
        _unlike_section(c, max_rows),
        _copies_section(c, max_rows),
        _text_section(c),
    ]
    meta = (f"mlkit split comparison \u00b7 {a}: {c.n_train} rows \u00b7 {b}: {c.n_test} rows "
            f"\u00b7 {len(c.label_names)} labels \u00b7 generated "
            f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}")
    page = render_page(f"Split comparison: {a} vs {b}", sections, meta=meta)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return path


def _overview_section(c):
    d = c.drift
    a, b = c.split_names
    items = "".join(f"<li><b>{esc(kind)}</b>: {esc(msg)}</li>" for kind, msg in c.alerts)
    alerts = f"<ul>{items}</ul>" if items else "<p>No alert: nothing crosses its threshold.</p>"
    rows = [
        ("rows", c.n_train, c.n_test),
        ("labels with rows", int((c.Y_train.sum(axis=0) > 0).sum()),
         int((c.Y_test.sum(axis=0) > 0).sum())),
        ("mean labels per row", c.cardinality["mean_train"], c.cardinality["mean_test"]),
        ("rows without labels", c.cardinality["no_label_train"],
         c.cardinality["no_label_test"]),
    ]
    notes = "".join(_note(f"Note: {n}") for n in c.notes)
    return section(
        "Overview",
        f"<p>Drift AUC <b>{d['auc']:.3f}</b> (95% CI {d['ci_low']:.3f}\u2013{d['ci_high']:.3f}, "
        f"{format_p(d['p_value'])}): 0.5 means a classifier cannot tell {esc(b)} rows from "
        f"{esc(a)} rows.</p>",
        html_table(rows, ["", a, b]), notes, f"<h3>Alerts ({len(c.alerts)})</h3>", alerts,
        section_id="overview")


def _drift_section(c):
    a, b = c.split_names
    d = c.drift
    fig, ax = new_figure(7.0, 3.5)
    bins = np.linspace(0, 1, 41)
    ax.hist(c.train_testness, bins=bins, density=True, alpha=0.55, color="#4c72b0", label=a)
    ax.hist(c.testness, bins=bins, density=True, alpha=0.55, color="#dd8452", label=b)
    ax.set_xlabel(f"out-of-fold probability that a row is from {b}")
    ax.set_ylabel("density")
    ax.set_title(f"Drift classifier scores (AUC {d['auc']:.3f})")
    ax.legend(fontsize=8)
    return section(
        "Drift",
        f"<p>A logistic regression ({esc(d['features'])} features, balanced classes) learns, "
        f"{d['cv']}-fold out of fold, to tell the {esc(b)} rows from the {esc(a)} rows. Its "
        "ROC-AUC is 0.5 when the splits come from one distribution and 1.0 when every row can "
        "be told apart. The interval is DeLong's; the p-value is the one-sided Mann-Whitney "
        "test of AUC &gt; 0.5.</p>",
        _img(fig, "drift classifier scores"), _terms_table(c), section_id="drift")


def _terms_table(c):
    t = c.drift_terms
    if not len(t):
        return ""
    rows = [(r.term, r.toward, r.weight, int(r.rows_train), int(r.rows_test))
            for r in t.itertuples()]
    return ("<h3>Terms that tell the splits apart</h3>"
            + _note("Largest weights of the TF-IDF drift classifier refitted on all rows, "
                    "toward each split; rows: rows containing the term."
                    + (" The drift AUC is near 0.5: these terms are noise, not a difference "
                       "between the splits." if c.drift["auc"] < SLIGHT_DRIFT_AUC else ""))
            + html_table(rows, ["term", "toward", "weight", f"rows {c.split_names[0]}",
                                f"rows {c.split_names[1]}"]))


def _prevalence_figure(c, shift, max_labels=40):
    order = np.argsort(-np.maximum(shift["prevalence_train"].to_numpy(),
                                   shift["prevalence_test"].to_numpy()), kind="stable")
    order = order[:max_labels]
    names = [str(shift.index[i]) for i in order]
    n = len(order)
    fig, ax = new_figure(8.0, max(2.5, 0.3 * n + 1.2))
    y = np.arange(n)
    ax.barh(y - 0.2, shift["prevalence_train"].to_numpy()[order], height=0.4,
            color="#4c72b0", label=c.split_names[0])
    ax.barh(y + 0.2, shift["prevalence_test"].to_numpy()[order], height=0.4,
            color="#dd8452", label=c.split_names[1])
    ax.set_yticks(y, [nm if len(nm) <= 24 else nm[:23] + "\u2026" for nm in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("share of the split's rows")
    shown = "" if n == len(shift) else f" ({n} most frequent of {len(shift)})"
    ax.set_title(f"Label prevalence{shown}")
    ax.legend(fontsize=8)
    return fig


def _label_section(c, max_labels):
    shift = c.label_shift
    key = np.where(flagged_labels(shift), 0, 1)
    order = np.lexsort((-shift["difference"].abs().to_numpy(), key))[:max_labels]
    rows = [(str(name), int(r.n_train), int(r.n_test), r.prevalence_train, r.prevalence_test,
             r.difference, r.ratio, r.p_value, r.q_value, r.only_in or "")
            for name, r in shift.iloc[order].iterrows()]
    cols = ["label", "n train", "n test", "prevalence train", "prevalence test", "difference",
            "ratio test/train", "p", "q", "only in"]
    more = (_note(f"{len(shift) - len(order)} more labels in SplitComparison.label_shift "
                  "(to_html(max_labels=...) shows more).") if len(order) < len(shift) else "")
    pairs = c.cooccurrence_shift(20)
    pair_rows = [(r.label_a, r.label_b, r.rate_train, r.rate_test, r.difference, int(r.n_train),
                  int(r.n_test)) for r in pairs.itertuples()]
    return section(
        "Label shift",
        _img(_prevalence_figure(c, shift), "label prevalence per split"),
        _note(f"Flagged labels first, then by absolute difference. p: two-proportion z-test "
              f"(Fisher's exact test for small counts); q: Benjamini-Hochberg over labels; "
              f"alerts need q < {Q_VALUE}."),
        html_table(rows, cols, float_format="{:.4f}"), more,
        "<h3>Label pairs whose co-occurrence changed most</h3>",
        html_table(pair_rows, ["label a", "label b", "rate train", "rate test", "difference",
                               "n train", "n test"], float_format="{:.4f}"),
        section_id="labels")


def _unlike_section(c, max_rows):
    a, b = c.split_names
    t = c.least_like_train(max_rows)
    rows = [(int(i), r.similarity_to_train, r.testness, _labels(r.labels), _short(r.text),
             int(r.nearest_train_row), _labels(r.nearest_train_labels),
             _short(r.nearest_train_text)) for i, r in t.iterrows()]
    cols = [f"{b} row", "similarity to train", "testness", "labels", "text",
            f"nearest {a} row", "its labels", "its text"]
    fig = plot_histogram(c.similarity, xlabel=f"highest TF-IDF cosine similarity to a {a} row",
                         title=f"How close each {b} row is to {a}")
    return section(
        f"{b.capitalize()} rows least like {a}",
        _img(fig, "similarity to train"),
        _note(f"Ranked by the highest TF-IDF cosine similarity to any {a} row (lowest first). "
              f"testness: the drift classifier's out-of-fold probability that the row is from "
              f"{b}. {ROW_NOTE}."),
        html_table(rows, cols), section_id="unlike")


def _copies_section(c, max_rows):
    a, b = c.split_names
    dup = c.cross_duplicates
    n_exact = int((dup["kind"] == "exact").sum())
    rows = [(int(r.test_row), int(r.train_row), r.kind, r.similarity, int(r.n_train_copies),
             bool(r.same_labels), _labels(r.test_labels), _labels(r.train_labels), _short(r.text))
            for r in dup.head(max_rows).itertuples()]
    cols = [f"{b} row", f"{a} row", "kind", "similarity", f"copies in {a}", "same labels",
            f"{b} labels", f"{a} labels", "text"]
    body = (html_table(rows, cols) if rows else f"<p>No {esc(b)} text is in {esc(a)}.</p>")
    return section(
        f"{b.capitalize()} texts also in {a} (leakage)",
        f"<p>{n_exact} exact copies (same text after Unicode NFKC, lower case, punctuation and "
        f"whitespace normalization) and {len(dup) - n_exact} near copies (TF-IDF cosine &ge; "
        f"{NEAR_DUPLICATE}).</p>",
        _note(f"{ROW_NOTE}. Showing {len(rows)} of {len(dup)}."), body, section_id="copies")


def _text_section(c):
    a, b = c.split_names
    t = c.text_stats
    rows = [(name, r.train, r.test) for name, r in t.iterrows()]
    info = c.text_info
    return section(
        "Text statistics",
        html_table(rows, ["statistic", a, b], float_format="{:.4g}"),
        _note(f"Words: word tokens (\\w+). Lengths in words: Kolmogorov-Smirnov statistic "
              f"{info['ks_statistic']:.3f} ({format_p(info['ks_p_value'])}). oov_token_rate: "
              f"share of {b}'s word tokens that never occur in {a}; in the {a} column, the same "
              f"rate for a random held-out part of {a} against the rest (no-drift baseline)."),
        section_id="text")
