"""Plots shared by mlkit's HTML reports (evaluation report and data audit).

Each function returns a matplotlib ``Figure`` built without pyplot (no global
state, safe in threads and servers); embed it with
:func:`mlkit._html.figure_to_img`. matplotlib is imported lazily (extra
``plots``).
"""

import numpy as np
import scipy.sparse as sp

from ._html import new_figure
from .metrics import precision_recall_curve_per_label

__all__ = ["plot_histogram", "plot_matrix", "plot_per_label_f1", "plot_pr_curves"]


def _short(name, width=24):
    name = str(name)
    return name if len(name) <= width else name[: width - 1] + "\u2026"


def plot_per_label_f1(names, f1, support, *, max_labels=40):
    """Horizontal bars of per-label F1, labelled with each label's support.

    Labels are ordered by support (most frequent first); only the
    ``max_labels`` most frequent are drawn and the title says so.

    Parameters
    ----------
    names : sequence of str, length n_labels
    f1 : array-like of shape (n_labels,)
    support : array-like of shape (n_labels,)
        Number of positive examples per label.
    max_labels : int, default=40

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    names = [str(n) for n in names]
    f1 = np.asarray(f1, dtype=float)
    support = np.asarray(support)
    order = np.argsort(-support, kind="stable")[:max_labels]
    n = len(order)
    fig, ax = new_figure(8.0, max(2.5, 0.28 * n + 1.2))
    y = np.arange(n)
    values = np.nan_to_num(f1[order])
    ax.barh(y, values, color="#4c72b0")
    ax.set_yticks(y, [_short(names[i]) for i in order], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("F1")
    for yi, i in zip(y, order, strict=True):
        ax.text(min(np.nan_to_num(f1[i]), 1.0) + 0.01, yi, f"n={int(support[i])}",
                va="center", fontsize=7, color="#333")
    shown = "" if n == len(names) else f" ({n} most frequent of {len(names)})"
    ax.set_title(f"Per-label F1 and support{shown}")
    return fig


def _matrix_view(matrix, n, max_labels, blank_diagonal):
    """(kept label indices, dense sub-matrix) of a square dense or sparse matrix."""
    if sp.issparse(matrix):
        matrix = matrix.tocsr()
        sums = np.asarray(matrix.sum(axis=1), dtype=float).ravel()
        if blank_diagonal:
            sums = sums - matrix.diagonal()
    else:
        matrix = np.asarray(matrix, dtype=float)
        sums = np.nansum(matrix, axis=1)
        if blank_diagonal:
            sums = sums - np.nan_to_num(np.diag(matrix))
    keep = np.arange(n)
    if n > max_labels:
        keep = np.sort(np.argsort(-sums, kind="stable")[:max_labels])
    sub = matrix[keep][:, keep]
    sub = sub.toarray().astype(float) if sp.issparse(sub) else np.array(sub, dtype=float)
    if blank_diagonal:
        np.fill_diagonal(sub, np.nan)
    return keep, sub


def plot_matrix(matrix, names, *, title, cbar_label, max_labels=40, blank_diagonal=False):
    """Heatmap of a square label-by-label matrix (co-occurrence, confusion, overlap).

    Parameters
    ----------
    matrix : array-like or scipy sparse matrix of shape (n_labels, n_labels)
        Rows and columns are labels in the order of ``names``. Pass label
        pair counts as a sparse matrix (:func:`mlkit._labels.cooccurrence_counts`):
        only the drawn labels are made dense, so thousands of labels never
        cost ``n_labels ** 2`` memory.
    names : sequence of str
    title : str
    cbar_label : str
        Colour-bar caption (what a cell holds).
    max_labels : int, default=40
        Larger matrices are cut to the labels with the largest row sums.
    blank_diagonal : bool, default=False
        Leave the diagonal blank (and out of the row sums), e.g. when it
        would always be 1 and dominate the colour scale.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if not sp.issparse(matrix):
        matrix = np.asarray(matrix, dtype=float)
    if len(matrix.shape) != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, got shape {matrix.shape}.")
    names = [str(n) for n in names]
    if len(names) != matrix.shape[0]:
        raise ValueError(
            f"names has {len(names)} entries but matrix has {matrix.shape[0]} rows."
        )
    keep, sub = _matrix_view(matrix, len(names), max_labels, blank_diagonal)
    if len(names) > max_labels:
        title = f"{title} ({max_labels} of {len(names)} labels)"
    size = max(4.0, 0.22 * len(keep) + 2.5)
    fig, ax = new_figure(size + 1.2, size)
    image = ax.imshow(sub, cmap="viridis", aspect="equal", interpolation="nearest")
    ticks = np.arange(len(keep))
    labels = [_short(names[i], 18) for i in keep]
    ax.set_xticks(ticks, labels, rotation=90, fontsize=7)
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=cbar_label, shrink=0.8)
    return fig


def plot_pr_curves(Y, scores, names, label_indices):
    """Precision-recall curves of a few labels, with each label's average precision.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_labels)
        True 0/1 labels.
    scores : array-like of shape (n_samples, n_labels)
        Probabilities or decision values.
    names : sequence of str
    label_indices : sequence of int
        Labels to draw (e.g. the most frequent ones).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    curves = precision_recall_curve_per_label(Y, scores, labels=label_indices)
    fig, ax = new_figure(7.0, 5.0)
    for j, (precision, recall, ap) in curves.items():
        ax.plot(recall, precision, drawstyle="steps-post", linewidth=1.2,
                label=f"{_short(names[j])} (AP {ap:.2f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Recall")
    ax.set_ylabel("Precision")
    ax.set_title("Precision-recall curves")
    if curves:
        ax.legend(fontsize=7, loc="lower left")
    return fig


def plot_histogram(values, *, xlabel, title, bins=40):
    """Histogram of a score distribution (e.g. the per-row data error score).

    Parameters
    ----------
    values : array-like of shape (n,)
    xlabel, title : str
    bins : int, default=40

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values)]
    fig, ax = new_figure(7.0, 3.5)
    ax.hist(values, bins=bins, color="#4c72b0", edgecolor="white", linewidth=0.4)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("rows")
    ax.set_title(title)
    return fig
