"""``compare_splits``: how two labelled splits of a dataset differ, and whether that matters.

Row numbers everywhere in this module are the 0-based position of the row among the
data rows of its split (header not counted): ``texts[row]``.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from scipy import stats
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from .._atomic import atomic_write
from .._json import json_default
from .._labels import check_label_matrix, looks_like_label_lists
from .._optional import import_optional
from .._text import check_texts
from ._compare_rules import (
    CARDINALITY_SHIFT,
    DRIFT_AUC,
    KS_STATISTIC,
    MAX_SHIFT_ALERTS,
    NEAR_DUPLICATE,
    OOV_RATIO,
    P_VALUE,
    Q_VALUE,
    RATIO,
    ROW_NOTE,
    SLIGHT_DRIFT_AUC,
    _shifted,
    format_p,
)
from ._duplicates import normalize_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SplitComparison", "compare_splits"]

_TOKEN = r"(?u)\b\w+\b"


def _pandas(purpose):
    return import_optional("pandas", purpose=purpose)


# --------------------------------------------------------------------------- inputs
def _unpack(split, name):
    """(texts, Y, label_names or None) of one split."""
    if hasattr(split, "texts") and hasattr(split, "Y"):  # mlkit.io.Dataset
        return split.texts, split.Y, getattr(split, "label_names", None)
    if hasattr(split, "data") and hasattr(split, "target"):  # a datasets Bunch
        return split.data, split.target, split.get("target_names") if hasattr(
            split, "get") else None
    if isinstance(split, (tuple, list)) and len(split) == 2:
        return split[0], split[1], None
    raise TypeError(
        f"{name} must be a (texts, Y) pair, an mlkit.io.Dataset (read_dataset) or a Bunch of "
        f"data/target (mlkit.datasets); got {type(split).__name__}.")


def _check_split(split, name, label_names):
    texts, Y, names = _unpack(split, name)
    if label_names is not None:
        names = label_names
    try:
        texts = check_texts(texts, allow_empty=True)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: " + str(exc).replace("This estimator", "compare_splits()")
                        ) from exc
    if not texts:
        raise ValueError(f"the {name} split has no rows; give a split with at least one row.")
    n_rows = Y.shape[0] if hasattr(Y, "shape") else len(Y)
    if n_rows != len(texts):
        raise ValueError(
            f"{name}: {len(texts)} texts but {n_rows} rows of labels; each text needs exactly "
            "one row of labels, in the same order.")
    sparse = _sparse_from_names(Y, names, name) if looks_like_label_lists(Y) else None
    if sparse is not None:
        return texts, sparse[0], sparse[1]
    Ymat, found = check_label_matrix(Y, label_names=names, n_samples=len(texts))
    Ymat = sp.csr_matrix(Ymat, dtype=np.int32)
    return texts, Ymat, (None if found is None else [str(n) for n in found])


def _sparse_from_names(Y, names, split):
    """Lists of label names straight to a sparse matrix (memory grows with the labels given,
    not rows x labels); None when the rows are not all collections of str."""
    rows = list(Y)
    if not all(isinstance(r, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in r)
               for r in rows):
        return None
    if names is None:
        names = sorted({v for r in rows for v in r})
    where = {str(n): j for j, n in enumerate(names)}
    unknown = sorted({v for r in rows for v in r} - set(where))
    if unknown:
        raise ValueError(f"{split}: labels {_few(unknown)} are not in label_names; add them to "
                         "label_names or leave label_names out to use the names found.")
    cols = [where[v] for r in rows for v in dict.fromkeys(r)]
    indptr = np.cumsum([0] + [len(dict.fromkeys(r)) for r in rows])
    Ymat = sp.csr_matrix((np.ones(len(cols), dtype=np.int32), np.asarray(cols, dtype=np.int64),
                          indptr), shape=(len(rows), len(names)))
    Ymat.sort_indices()
    return Ymat, [str(n) for n in names]


def _align_labels(Ya, names_a, Yb, names_b, split_names):
    """Both matrices over the union of the label names, and a note when the sets differ."""
    a, b = split_names
    if names_a is None or names_b is None:
        if Ya.shape[1] != Yb.shape[1]:
            raise ValueError(
                f"{a} has {Ya.shape[1]} label columns and {b} has {Yb.shape[1]}, and the labels "
                "have no names to match them by; give label_names= or labels with names "
                "(a DataFrame, or lists of label names).")
        names = names_a or names_b or [str(j) for j in range(Ya.shape[1])]
        return Ya, Yb, names, []
    union = list(names_a) + [n for n in names_b if n not in set(names_a)]
    notes = []
    only_a = [n for n in names_a if n not in set(names_b)]
    only_b = [n for n in names_b if n not in set(names_a)]
    if only_a or only_b:
        notes.append(
            f"the label sets differ: compared over their union of {len(union)} labels "
            f"({len(only_a)} only in {a}'s columns: {_few(only_a)}; {len(only_b)} only in "
            f"{b}'s: {_few(only_b)}); a label missing from a split counts as 0 there.")
    return _reindex(Ya, names_a, union), _reindex(Yb, names_b, union), union, notes


def _reindex(Y, names, union):
    where = {n: j for j, n in enumerate(union)}
    cols = np.array([where[n] for n in names], dtype=np.int64)
    Y = Y.tocoo()
    return sp.csr_matrix((Y.data, (Y.row, cols[Y.col])), shape=(Y.shape[0], len(union)))


def _few(names, k=5):
    return ", ".join(map(str, names[:k])) + (", ..." if len(names) > k else "") or "none"


# --------------------------------------------------------------------------- statistics
def _bh(p):
    """Benjamini-Hochberg q-values (nan p-values stay nan)."""
    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if len(ok):
        order = ok[np.argsort(p[ok])]
        ranked = p[order] * len(ok) / np.arange(1, len(ok) + 1)
        q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q


def _proportion_p(k1, n1, k2, n2):
    """Two-sided p-value that two proportions are equal: Fisher's exact test when an
    expected count is below 5, else the pooled two-proportion z-test."""
    if k1 + k2 == 0:
        return np.nan
    pooled = (k1 + k2) / (n1 + n2)
    if min(pooled * n1, pooled * n2, (1 - pooled) * n1, (1 - pooled) * n2) < 5:
        return float(stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])[1])
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (k2 / n2 - k1 / n1) / se
    return float(2 * stats.norm.sf(abs(z)))


def _auc_delong(y, s):
    """ROC-AUC, its DeLong standard error and the one-sided Mann-Whitney p-value of AUC > 0.5."""
    y = np.asarray(y, dtype=bool)
    pos, neg = s[y], s[~y]
    m, n = len(pos), len(neg)
    r_all = stats.rankdata(s)
    v10 = (r_all[y] - stats.rankdata(pos)) / n
    v01 = 1.0 - (r_all[~y] - stats.rankdata(neg)) / m
    auc = float(v10.mean())
    se = math.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / n) if m > 1 and n > 1 else np.nan
    p = float(stats.mannwhitneyu(pos, neg, alternative="greater").pvalue)
    return auc, se, p


def _label_shift(Ya, Yb, names):
    pd = _pandas("compare_splits")
    n1, n2 = Ya.shape[0], Yb.shape[0]
    k1 = np.asarray(Ya.sum(axis=0)).ravel().astype(np.int64)
    k2 = np.asarray(Yb.sum(axis=0)).ravel().astype(np.int64)
    p1, p2 = k1 / n1, k2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(k1 + k2 > 0, p2 / p1, np.nan)
    pvals = np.array([_proportion_p(int(a), n1, int(b), n2) for a, b in zip(k1, k2, strict=True)])
    only = np.where((k1 > 0) & (k2 == 0), "train", np.where((k1 == 0) & (k2 > 0), "test", ""))
    frame = pd.DataFrame({
        "n_train": k1, "n_test": k2, "prevalence_train": p1, "prevalence_test": p2,
        "difference": p2 - p1, "ratio": ratio, "p_value": pvals, "q_value": _bh(pvals),
        "only_in": only}, index=pd.Index(names, name="label"))
    return frame


def _cardinality(Ya, Yb):
    ca = np.diff(Ya.indptr)
    cb = np.diff(Yb.indptr)
    p = float(stats.mannwhitneyu(ca, cb).pvalue) if len(ca) and len(cb) else np.nan
    return {
        "mean_train": float(ca.mean()), "mean_test": float(cb.mean()),
        "no_label_train": float(np.mean(ca == 0)), "no_label_test": float(np.mean(cb == 0)),
        "max_train": int(ca.max()), "max_test": int(cb.max()), "p_value": p,
    }


def _lookup(M, a, b):
    """Entries ``M[a[k], b[k]]`` of a sparse matrix as a flat float array."""
    if not len(a):
        return np.zeros(0)
    return np.asarray(M.tocsr()[a, b], dtype=float).ravel()


def _cooccurrence_shift(Ya, Yb, names, top):
    """The label pairs whose co-occurrence rate differs most (sparse: observed pairs only)."""
    pd = _pandas("compare_splits")
    Ca = sp.triu((Ya.T @ Ya).tocsr(), k=1) / Ya.shape[0]
    Cb = sp.triu((Yb.T @ Yb).tocsr(), k=1) / Yb.shape[0]
    D = (Cb - Ca).tocoo()
    order = np.argsort(-np.abs(D.data), kind="stable")[:top]
    a, b = D.row[order].astype(np.int64), D.col[order].astype(np.int64)
    ra, rb = _lookup(Ca, a, b), _lookup(Cb, a, b)
    return pd.DataFrame({
        "label_a": [names[i] for i in a], "label_b": [names[j] for j in b],
        "rate_train": ra, "rate_test": rb, "difference": rb - ra,
        "n_train": np.rint(ra * Ya.shape[0]).astype(np.int64),
        "n_test": np.rint(rb * Yb.shape[0]).astype(np.int64)})


# --------------------------------------------------------------------------- text features
def _term_counts(texts_a, texts_b):
    """Word unigram + bigram counts of both splits (vocabulary of their union)."""
    vec = CountVectorizer(ngram_range=(1, 2), token_pattern=_TOKEN, dtype=np.float32)
    try:
        X = vec.fit_transform(list(texts_a) + list(texts_b)).tocsr()
        unigram = np.array([" " not in t for t in vec.get_feature_names_out()], dtype=bool)
    except ValueError:  # no word at all in either split
        X = sp.csr_matrix((len(texts_a) + len(texts_b), 0), dtype=np.float32)
        unigram = np.zeros(0, dtype=bool)
    return X, unigram, vec


def _tfidf(counts):
    return TfidfTransformer(sublinear_tf=True).fit_transform(counts).tocsr()


def _drift_test(X, is_test, *, cv, C, random_state, n_jobs):
    """Classifier two-sample test: out-of-fold P(test | text) of every row."""
    clf = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=200)
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    proba = cross_val_predict(clf, X, is_test, cv=folds, method="predict_proba",
                              n_jobs=n_jobs)[:, 1]
    auc, se, p = _auc_delong(is_test, proba)
    half = 1.959964 * se if np.isfinite(se) else np.nan
    return proba, {"auc": auc, "ci_low": max(0.0, auc - half), "ci_high": min(1.0, auc + half),
                   "p_value": p, "cv": cv}


def _drift_terms(X, is_test, vectorizer, *, C, top=20):
    """The terms the drift classifier (refitted on all rows) leans on most, each way."""
    pd = _pandas("compare_splits")
    clf = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=200)
    coef = clf.fit(X, is_test).coef_.ravel()
    names = vectorizer.get_feature_names_out()
    df = np.bincount(X.indices, minlength=X.shape[1])
    rows_a = np.bincount(X[is_test == 0].indices, minlength=X.shape[1])
    order = np.r_[np.argsort(-coef, kind="stable")[:top], np.argsort(coef, kind="stable")[:top]]
    order = order[coef[order] != 0]
    return pd.DataFrame({
        "term": names[order], "weight": coef[order],
        "toward": np.where(coef[order] > 0, "test", "train"),
        "rows_train": rows_a[order], "rows_test": df[order] - rows_a[order]})


def _nearest_train(Xa, Xb, block=512):
    """Per test row: highest cosine similarity to a train row, and that train row."""
    best = np.zeros(Xb.shape[0])
    arg = np.full(Xb.shape[0], -1, dtype=np.int64)
    XaT = Xa.T.tocsr()
    for start in range(0, Xb.shape[0], block):
        S = (Xb[start:start + block] @ XaT).tocsr()
        if S.nnz:
            best[start:start + block] = S.max(axis=1).toarray().ravel()
            arg[start:start + block] = np.asarray(S.argmax(axis=1)).ravel()
    arg[best <= 0] = -1
    return best, arg


def _exact_copies(texts_a, texts_b):
    """Per test row: a train row with the same normalized text (-1 if none), and the number
    of train rows with it."""
    first, count = {}, {}
    for i, t in enumerate(texts_a):
        k = normalize_text(t)
        if k:
            first.setdefault(k, i)
            count[k] = count.get(k, 0) + 1
    keys = [normalize_text(t) for t in texts_b]
    row = np.array([first.get(k, -1) for k in keys], dtype=np.int64)
    n = np.array([count.get(k, 0) for k in keys], dtype=np.int64)
    return row, n


def _text_stats(texts_a, texts_b, counts, unigram, random_state):
    pd = _pandas("compare_splits")
    na = len(texts_a)
    U = counts[:, unigram]
    words = np.asarray(U.sum(axis=1)).ravel()
    chars = np.array([len(t) for t in texts_a] + [len(t) for t in texts_b], dtype=np.int64)
    wa, wb = words[:na], words[na:]
    Ua, Ub = U[:na], U[na:]
    df_a = np.asarray((Ua > 0).sum(axis=0)).ravel()
    oov = df_a == 0
    tokens_b = float(Ub.sum())
    oov_rows = np.asarray(Ub[:, oov].sum(axis=1)).ravel()
    rate_b = float(oov_rows.sum() / tokens_b) if tokens_b else np.nan
    base = _baseline_oov(Ua, len(texts_b), random_state)
    ks = stats.ks_2samp(wa, wb) if na and len(wb) else None
    table = pd.DataFrame({
        "train": [wa.mean(), np.median(wa), np.quantile(wa, 0.9), np.mean(wa == 0),
                  np.mean(chars[:na]), np.nan, base],
        "test": [wb.mean(), np.median(wb), np.quantile(wb, 0.9), np.mean(wb == 0),
                 np.mean(chars[na:]), float(np.mean(oov_rows > 0)), rate_b]},
        index=pd.Index(["mean_words", "median_words", "p90_words", "no_words_share",
                        "mean_chars", "rows_with_oov_word", "oov_token_rate"], name="statistic"))
    info = {"ks_statistic": float(ks.statistic) if ks else np.nan,
            "ks_p_value": float(ks.pvalue) if ks else np.nan,
            "oov_token_rate": rate_b, "oov_token_rate_baseline": base}
    return table, info, oov_rows.astype(np.int64), oov


def _baseline_oov(Ua, n_test, random_state):
    """Out-of-vocabulary token rate of a random held-out part of train (the size of test,
    at most half of train) against the rest: what a split with no drift would show."""
    na = Ua.shape[0]
    k = min(n_test, na // 2)
    if k < 1:
        return np.nan
    held = np.zeros(na, dtype=bool)
    held[np.random.default_rng(random_state).choice(na, size=k, replace=False)] = True
    df_rest = np.asarray((Ua[~held] > 0).sum(axis=0)).ravel()
    H = Ua[held]
    total = float(H.sum())
    return float(H[:, df_rest == 0].sum() / total) if total else np.nan


# --------------------------------------------------------------------------- the call
def compare_splits(
    train: Any,
    test: Any,
    *,
    label_names: Sequence[str] | None = None,
    split_names: tuple[str, str] = ("train", "test"),
    features: Any = None,
    cv: int = 5,
    C: float = 1.0,
    random_state: int | None = 0,
    n_jobs: int | None = None,
) -> SplitComparison:
    """Compare two labelled splits: label shift, drift, test rows unlike train, leakage, alerts.

    Parameters
    ----------
    train, test : (texts, Y) pair, :class:`mlkit.io.Dataset` or Bunch
        The two splits. ``Y`` is anything :func:`~mlkit.insights.audit`
        takes: a 0/1 indicator matrix (dense or sparse), a DataFrame of 0/1
        columns, or one collection of label names per row. Labels are
        matched by name; when the label sets differ the comparison runs
        over their union (a note says so) and a label a split lacks counts
        as 0 there.
    label_names : sequence of str, default=None
        Label names of both splits, for matrices without names.
    split_names : tuple of two str, default=("train", "test")
        How the splits are called in alerts, the summary and the report
        (e.g. ``("train", "dev")``). Table columns keep ``train``/``test``.
    features : transformer or None, default=None
        What the drift classifier reads. None: word unigram and bigram
        TF-IDF of both splits. Otherwise an unfitted transformer of raw texts,
        e.g. :class:`~mlkit.SentenceEmbeddingFeaturizer`; it is fitted on the
        texts of both splits (no labels, no split membership). Nearest
        neighbours, duplicates and vocabulary always use TF-IDF.
    cv : int, default=5
        Folds of the drift classifier's out-of-fold scores.
    C : float, default=1.0
        Inverse regularization of the drift classifier (logistic regression,
        balanced class weights).
    random_state : int or None, default=0
        Seeds the folds and the held-out part of train of the vocabulary baseline.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).

    Returns
    -------
    comparison : SplitComparison

    Notes
    -----
    The drift score is a classifier two-sample test: a classifier learns,
    out of fold, to tell the rows of one split from those of the other.
    Its ROC-AUC is 0.5 when the splits come from one distribution (a random
    split) and grows with the difference; the 95 % interval is DeLong's and
    the p-value is the one-sided Mann-Whitney test of AUC > 0.5. Per-label
    p-values are two-proportion z-tests (Fisher's exact test when an
    expected count is below 5) with Benjamini-Hochberg q-values.

    Examples
    --------
    >>> from mlkit.datasets import load_goemotions
    >>> from mlkit.insights import compare_splits
    >>> train, test = load_goemotions("train"), load_goemotions("test")
    >>> result = compare_splits(train, test)  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    _check_options(split_names, cv, C)
    ta, Ya, na = _check_split(train, split_names[0], label_names)
    tb, Yb, nb = _check_split(test, split_names[1], label_names)
    Ya, Yb, names, notes = _align_labels(Ya, na, Yb, nb, split_names)
    counts, unigram, vec = _term_counts(ta, tb)
    if counts.shape[1] == 0:
        raise ValueError(
            "no text of either split has a word (letters or digits); the comparison reads "
            "words. Check that the text column was read correctly (text_col=).")
    X = _tfidf(counts)
    is_test = np.r_[np.zeros(len(ta), dtype=np.int64), np.ones(len(tb), dtype=np.int64)]
    cv_used = int(min(cv, len(ta), len(tb)))
    if cv_used < 2:
        raise ValueError(
            f"the drift test needs at least 2 rows in each split; {split_names[0]} has "
            f"{len(ta)} and {split_names[1]} {len(tb)}.")
    Xd = X if features is None else _fit_features(features, ta + tb)
    proba, drift = _drift_test(Xd, is_test, cv=cv_used, C=C, random_state=random_state,
                               n_jobs=n_jobs)
    drift["features"] = "tfidf" if features is None else type(features).__name__
    terms = _drift_terms(X, is_test, vec, C=C) if X.shape[1] else None
    sim, nearest = _nearest_train(X[: len(ta)], X[len(ta):])
    exact_row, exact_n = _exact_copies(ta, tb)
    text_table, text_info, oov_rows, _ = _text_stats(ta, tb, counts, unigram, random_state)
    return SplitComparison(
        train_texts=ta, test_texts=tb, Y_train=Ya, Y_test=Yb, label_names=names,
        split_names=tuple(split_names), notes=notes, drift=drift, testness=proba[len(ta):],
        train_testness=proba[: len(ta)], similarity=sim, nearest_train_row=nearest,
        exact_train_row=exact_row, exact_train_count=exact_n, text_table=text_table,
        text_info=text_info, oov_words=oov_rows, drift_terms=terms,
        seconds=time.perf_counter() - t0)


def _check_options(split_names, cv, C):
    if (not isinstance(split_names, (tuple, list)) or len(split_names) != 2
            or not all(isinstance(s, str) and s for s in split_names)):
        raise ValueError(f"split_names must be two non-empty strings; got {split_names!r}.")
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ValueError(f"cv must be an int >= 2 (folds); got {cv!r}.")
    if isinstance(C, bool) or not isinstance(C, (int, float)) or not 0 < C < math.inf:
        raise ValueError(f"C must be a positive number; got {C!r}.")


def _fit_features(features, texts):
    if not hasattr(features, "fit_transform"):
        raise TypeError(
            f"features must be a transformer of raw texts with fit_transform (e.g. "
            f"mlkit.SentenceEmbeddingFeaturizer()) or None for TF-IDF; got "
            f"{type(features).__name__}.")
    from sklearn.base import clone

    Z = clone(features).fit_transform(texts)
    return Z.tocsr() if sp.issparse(Z) else np.asarray(Z, dtype=np.float64)


# --------------------------------------------------------------------------- the result
class SplitComparison:
    """The result of :func:`compare_splits`.

    Made by :func:`compare_splits`; do not build it directly. Row numbers
    in every table are 0-based positions in the split's data rows (header
    not counted): ``texts[row]``.

    Attributes
    ----------
    label_names : list of str
        The labels compared (the union of both splits' labels).
    split_names : tuple of str
        The names of the two splits, as given.
    drift : dict
        The classifier two-sample test: ``auc`` (0.5 = no drift), ``ci_low``,
        ``ci_high`` (DeLong 95 % interval), ``p_value`` (AUC > 0.5), ``cv``,
        ``features``.
    testness : ndarray of shape (n_test,)
        Out-of-fold probability, per test row, that the row is from the test
        split (balanced classes: 0.5 is neutral).
    similarity : ndarray of shape (n_test,)
        Per test row, the highest TF-IDF cosine similarity to a train row.
    nearest_train_row : ndarray of int of shape (n_test,)
        That train row (-1 when the text shares no word with train).
    cardinality : dict
        Mean labels per row and share of rows without labels in each split,
        with the Mann-Whitney p-value of a difference.
    text_info : dict
        Kolmogorov-Smirnov test of the text lengths in words, and the test
        split's out-of-vocabulary token rate with the rate a random held-out
        part of train shows against the rest (its no-drift baseline).
    notes : list of str
        What was done to the inputs (e.g. label sets that differ).
    seconds : float
        Wall time of the comparison.
    """

    def __init__(self, *, train_texts: list[str], test_texts: list[str], Y_train: sp.csr_matrix,
                 Y_test: sp.csr_matrix, label_names: Sequence[str],
                 split_names: tuple[str, str], notes: Sequence[str], drift: dict[str, Any],
                 testness: np.ndarray, train_testness: np.ndarray, similarity: np.ndarray,
                 nearest_train_row: np.ndarray, exact_train_row: np.ndarray,
                 exact_train_count: np.ndarray, text_table: Any, text_info: dict[str, Any],
                 oov_words: Any, drift_terms: Any, seconds: float) -> None:
        self.train_texts = train_texts
        self.test_texts = test_texts
        self.Y_train = Y_train
        self.Y_test = Y_test
        self.label_names = list(label_names)
        self.split_names = split_names
        self.notes = list(notes)
        self.drift = drift
        self.testness = testness
        self.train_testness = train_testness
        self.similarity = similarity
        self.nearest_train_row = nearest_train_row
        self.exact_train_row = exact_train_row
        self.exact_train_count = exact_train_count
        self._text_table = text_table
        self.text_info = text_info
        self.oov_words = oov_words
        self._drift_terms = drift_terms
        self.cardinality = _cardinality(Y_train, Y_test)
        self.seconds = seconds
        self._cache = {}

    @property
    def n_train(self) -> int:
        """Rows of the first split."""
        return self.Y_train.shape[0]

    @property
    def n_test(self) -> int:
        """Rows of the second split."""
        return self.Y_test.shape[0]

    def _labels_of(self, Y, rows):
        return [tuple(self.label_names[j] for j in Y.indices[Y.indptr[r]:Y.indptr[r + 1]])
                for r in rows]

    # ------------------------------------------------------------------ tables
    @property
    def label_shift(self) -> pd.DataFrame:
        """Per-label prevalence in each split and its shift, one row per label.

        Columns: ``n_train``, ``n_test`` (positive rows), ``prevalence_train``,
        ``prevalence_test`` (share of the split's rows), ``difference``
        (test minus train), ``ratio`` (test over train; inf when the label
        has no train row), ``p_value`` (two-proportion z-test, Fisher's exact
        test when an expected count is below 5), ``q_value``
        (Benjamini-Hochberg over labels), ``only_in`` (``"train"`` or
        ``"test"`` when the label has rows in one split only).

        Returns
        -------
        table : pandas.DataFrame
        """
        if "label_shift" not in self._cache:
            self._cache["label_shift"] = _label_shift(self.Y_train, self.Y_test,
                                                      self.label_names)
        return self._cache["label_shift"].copy()

    def cooccurrence_shift(self, top: int = 20) -> pd.DataFrame:
        """The label pairs whose co-occurrence rate differs most between the splits.

        Computed from sparse pair counts (memory grows with the pairs that
        occur, never with ``n_labels ** 2``).

        Parameters
        ----------
        top : int, default=20
            Pairs returned, largest absolute difference first.

        Returns
        -------
        table : pandas.DataFrame
            ``label_a``, ``label_b``, ``rate_train``, ``rate_test`` (share of
            the split's rows with both labels), ``difference``, ``n_train``,
            ``n_test``.
        """
        return _cooccurrence_shift(self.Y_train, self.Y_test, self.label_names, top)

    @property
    def text_stats(self) -> pd.DataFrame:
        """Text length (words, characters) and vocabulary of each split.

        ``oov_token_rate`` is the share of the test split's word tokens that
        never occur in train; its ``train`` column is the same rate for a
        random held-out part of train against the rest (the no-drift
        baseline). ``rows_with_oov_word``: test rows with such a word.

        Returns
        -------
        table : pandas.DataFrame
        """
        return self._text_table.copy()

    @property
    def drift_terms(self) -> pd.DataFrame:
        """The words and word pairs that tell the splits apart most (TF-IDF drift classifier).

        The drift classifier refitted on all rows: its 20 largest weights
        toward each split. Columns: ``term``, ``weight``, ``toward``
        (``"train"`` or ``"test"``), ``rows_train``, ``rows_test`` (rows
        containing the term). Empty when the texts have no word.

        Returns
        -------
        table : pandas.DataFrame
        """
        if self._drift_terms is None:
            return _pandas("SplitComparison.drift_terms").DataFrame(
                columns=["term", "weight", "toward", "rows_train", "rows_test"])
        return self._drift_terms.copy()

    def to_frame(self) -> pd.DataFrame:
        """One row per test row, in the test split's order (index = 0-based row).

        Columns: ``similarity_to_train`` (highest TF-IDF cosine to a train
        row), ``nearest_train_row``, ``testness`` (out-of-fold probability of
        the drift classifier that the row is from the test split),
        ``copy_of_train`` (``"exact"``: the same normalized text is in train;
        ``"near"``: cosine >= 0.9; else empty), ``oov_words`` (word tokens
        not in train), ``labels``, ``text``.

        Returns
        -------
        table : pandas.DataFrame
        """
        pd = _pandas("SplitComparison.to_frame")
        copy = np.where(self.exact_train_row >= 0, "exact",
                        np.where(self.similarity >= NEAR_DUPLICATE, "near", ""))
        frame = pd.DataFrame({
            "similarity_to_train": self.similarity,
            "nearest_train_row": self.nearest_train_row,
            "testness": self.testness,
            "copy_of_train": copy,
            "oov_words": self.oov_words,
            "labels": self._labels_of(self.Y_test, range(self.n_test)),
            "text": self.test_texts})
        frame.index.name = "row"
        return frame

    def least_like_train(self, n: int = 20) -> pd.DataFrame:
        """The ``n`` test rows least like the training data.

        Ranked by their highest TF-IDF cosine similarity to any train row
        (lowest first; ties by the drift classifier's ``testness``), with
        the nearest train row's text and labels beside them. Rows without any
        word (empty texts) and copies of train texts (:attr:`cross_duplicates`)
        are left out.

        Parameters
        ----------
        n : int, default=20

        Returns
        -------
        table : pandas.DataFrame
            :meth:`to_frame`'s columns plus ``nearest_train_text`` and
            ``nearest_train_labels``; index = 0-based test row.
        """
        frame = self.to_frame()
        frame = frame[(self.nearest_train_row >= 0) & (frame["copy_of_train"] == "").to_numpy()]
        order = np.lexsort((-frame["testness"].to_numpy(),
                            frame["similarity_to_train"].to_numpy()))[:n]
        out = frame.iloc[order].copy()
        near = out["nearest_train_row"].to_numpy()
        out["nearest_train_text"] = [self.train_texts[i] for i in near]
        out["nearest_train_labels"] = self._labels_of(self.Y_train, near)
        return out

    @property
    def cross_duplicates(self) -> pd.DataFrame:
        """Test rows whose text is also in train (leakage): exact or near copies.

        Columns: ``test_row``, ``train_row`` (the first train row with the
        same normalized text for exact copies; the most similar one for near
        copies), ``kind`` (``"exact"``: same text after Unicode NFKC, lower
        case, punctuation and whitespace normalization; ``"near"``: TF-IDF
        cosine >= 0.9), ``similarity``, ``n_train_copies`` (train rows with
        the same normalized text), ``same_labels``, ``test_labels``,
        ``train_labels``, ``text``.

        Returns
        -------
        table : pandas.DataFrame
        """
        pd = _pandas("SplitComparison.cross_duplicates")
        exact = self.exact_train_row >= 0
        near = ~exact & (self.similarity >= NEAR_DUPLICATE)
        rows = np.flatnonzero(exact | near)
        train_rows = np.where(exact, self.exact_train_row, self.nearest_train_row)[rows]
        tl = self._labels_of(self.Y_test, rows)
        rl = self._labels_of(self.Y_train, train_rows)
        return pd.DataFrame({
            "test_row": rows, "train_row": train_rows,
            "kind": np.where(exact[rows], "exact", "near"),
            "similarity": np.where(exact[rows], 1.0, self.similarity[rows]),
            "n_train_copies": self.exact_train_count[rows],
            "same_labels": [a == b for a, b in zip(tl, rl, strict=True)],
            "test_labels": tl, "train_labels": rl,
            "text": [self.test_texts[i] for i in rows]})

    # ------------------------------------------------------------------ alerts
    @property
    def alerts(self) -> list[tuple[str, str]]:
        """What differs enough to matter, as ``(kind, sentence)`` pairs; each sentence
        states its threshold.

        Kinds: ``"drift"``, ``"label_shift"``, ``"label_missing"``,
        ``"leakage"``, ``"cardinality"``, ``"length"``, ``"vocabulary"``.

        Returns
        -------
        alerts : list of (str, str)
        """
        if "alerts" not in self._cache:
            self._cache["alerts"] = (_drift_alerts(self) + _label_alerts(self)
                                     + _leakage_alerts(self) + _text_alerts(self))
        return list(self._cache["alerts"])

    # ------------------------------------------------------------------ output
    def summary(self) -> str:
        """A plain-text summary: sizes, drift score, label shift, leakage and the alerts.

        Returns
        -------
        text : str
        """
        a, b = self.split_names
        d = self.drift
        shift = self.label_shift
        n_sig = int((shift["q_value"] < Q_VALUE).sum())
        copies = self.cross_duplicates
        lines = [
            f"SplitComparison of {a} ({self.n_train:,} rows) and {b} ({self.n_test:,} rows), "
            f"{len(self.label_names)} labels ({self.seconds:.1f} s)",
            f"  drift AUC {d['auc']:.3f} (95% CI {d['ci_low']:.3f}-{d['ci_high']:.3f}, "
            f"{format_p(d['p_value'])}; 0.5 = no drift; {d['cv']}-fold, {d['features']})",
            f"  labels whose prevalence differs (q < {Q_VALUE}): {n_sig} of "
            f"{len(self.label_names)}",
            f"  mean labels per row: {self.cardinality['mean_train']:.3f} vs "
            f"{self.cardinality['mean_test']:.3f}",
            f"  {b} rows also in {a}: {int((copies['kind'] == 'exact').sum()):,} exact, "
            f"{int((copies['kind'] == 'near').sum()):,} near (cosine >= {NEAR_DUPLICATE})",
        ]
        terms = self.drift_terms
        if d["auc"] >= SLIGHT_DRIFT_AUC and len(terms):
            for side in (b, a):
                top = terms["term"][terms["toward"] == ("test" if side == b else "train")]
                lines.append(f"  terms typical of {side}: {', '.join(top.head(8))}")
        lines += [f"  note: {n}" for n in self.notes]
        alerts = self.alerts
        lines.append(f"alerts ({len(alerts)}):" if alerts else "no alert")
        lines += [f"  - {msg}" for _, msg in alerts]
        return "\n".join(lines)

    def __repr__(self):
        return (f"<SplitComparison: {self.n_train} vs {self.n_test} rows, "
                f"{len(self.label_names)} labels, drift AUC {self.drift['auc']:.3f}, "
                f"{len(self.alerts)} alerts>")

    def to_dict(self, *, top: int = 50) -> dict:
        """Everything as plain JSON-ready values (nan and inf become None).

        Parameters
        ----------
        top : int, default=50
            Rows kept in the row tables (least like train, cross-split
            copies, co-occurrence shift).

        Returns
        -------
        result : dict
        """
        shift = self.label_shift.reset_index()
        out = {
            "row_numbering": ROW_NOTE,
            "splits": {"names": list(self.split_names), "rows": [self.n_train, self.n_test]},
            "seconds": self.seconds, "notes": self.notes, "drift": self.drift,
            "drift_terms": self.drift_terms.to_dict(orient="records"),
            "alerts": [{"kind": k, "message": m} for k, m in self.alerts],
            "label_shift": shift.to_dict(orient="records"),
            "cardinality": self.cardinality,
            "cooccurrence_shift": self.cooccurrence_shift(top).to_dict(orient="records"),
            "text_stats": {k: v for k, v in self._text_table.to_dict(orient="index").items()},
            "text_tests": self.text_info,
            "least_like_train": self.least_like_train(top).reset_index().to_dict(
                orient="records"),
            "cross_duplicates": {"n_exact": int((self.exact_train_row >= 0).sum()),
                                 "rows": self.cross_duplicates.head(top).to_dict(
                                     orient="records")},
        }
        return _clean(out)

    def to_json(self, path: str | os.PathLike[str], *, top: int = 50) -> Path:
        """Write :meth:`to_dict` as a JSON file (atomic write).

        Parameters
        ----------
        path : str or os.PathLike
        top : int, default=50
            As for :meth:`to_dict`.

        Returns
        -------
        path : pathlib.Path
        """
        path = Path(path)
        text = json.dumps(self.to_dict(top=top), default=json_default, indent=1,
                          ensure_ascii=False, allow_nan=False)
        with atomic_write(path, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        return path

    def to_html(self, path: str | os.PathLike[str], *, max_rows: int = 50,
                max_labels: int = 500) -> Path:
        """Write a self-contained HTML report (plots embedded) to ``path``, atomically.

        Needs matplotlib (``pip install "mlkit[plots]"``) and pandas.

        Parameters
        ----------
        path : str or os.PathLike
        max_rows : int, default=50
            Rows shown in each row table.
        max_labels : int, default=500
            Labels shown in the label shift table (alerts first, then by
            absolute difference).

        Returns
        -------
        path : pathlib.Path
        """
        from ._compare_report import write_compare_html

        return write_compare_html(self, path, max_rows=max_rows, max_labels=max_labels)


def _clean(value):
    """Plain Python values for JSON: nan/inf -> None, tuples -> lists, numpy -> Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------- alert rules
def _pct(x):
    return f"{100 * x:.1f}%" if x >= 0.001 or x == 0 else f"{100 * x:.2f}%"


def _drift_alerts(c):
    d, (a, b) = c.drift, c.split_names
    where = f"(95% CI {d['ci_low']:.2f}-{d['ci_high']:.2f}, {format_p(d['p_value'])})"
    if d["auc"] >= DRIFT_AUC and d["ci_low"] > 0.5:
        return [("drift", f"drift AUC {d['auc']:.2f} {where}: a classifier tells {b} rows from "
                          f"{a} rows, the splits differ (alert at AUC >= {DRIFT_AUC}; 0.5 = "
                          "no drift)")]
    if d["auc"] >= SLIGHT_DRIFT_AUC and d["p_value"] < P_VALUE:
        return [("drift", f"drift AUC {d['auc']:.2f} {where}: slight drift between {a} and {b} "
                          f"(alert at AUC >= {SLIGHT_DRIFT_AUC} with p < {P_VALUE})")]
    return []


def _missing_alerts(s, where, absent, present):
    """One alert per label with rows in one split only; one alert for all when more than 3."""
    rows = s[s["only_in"] == where]
    n_col = "n_test" if where == "test" else "n_train"
    if len(rows) > 3:
        tail = (f"a model trained on {absent} cannot predict them" if where == "test"
                else f"they cannot be evaluated on {absent}")
        return [("label_missing", f"{len(rows)} labels have no {absent} rows "
                                  f"({_few(list(rows.index), 8)}): {tail}")]
    tail = (f"a model trained on {absent} cannot predict it" if where == "test"
            else f"it cannot be evaluated on {absent}")
    return [("label_missing", f"label {name!r} has no {absent} rows ({int(r[n_col])} {present} "
                              f"rows): {tail}") for name, r in rows.iterrows()]


def _shift_alerts(c):
    a, b = c.split_names
    s = c.label_shift
    up, down = _shifted(s)
    rule = f"alert at {RATIO:g}x with q < {Q_VALUE}"
    out = []
    for name, r in s[up].sort_values("ratio", ascending=False).iterrows():
        out.append(("label_shift", f"label {name!r} is {r.ratio:.1f}x more frequent in {b} "
                                   f"({_pct(r.prevalence_test)} vs {_pct(r.prevalence_train)}, "
                                   f"q = {r.q_value:.2g}; {rule})"))
    for name, r in s[down].sort_values("ratio").iterrows():
        out.append(("label_shift", f"label {name!r} is {1 / r.ratio:.1f}x more frequent in {a} "
                                   f"({_pct(r.prevalence_train)} vs {_pct(r.prevalence_test)}, "
                                   f"q = {r.q_value:.2g}; {rule})"))
    if len(out) > MAX_SHIFT_ALERTS:
        rest = len(out) - MAX_SHIFT_ALERTS
        out = out[:MAX_SHIFT_ALERTS] + [(
            "label_shift", f"{rest} more labels shifted by {RATIO:g}x or more (q < {Q_VALUE}); "
                           "see label_shift")]
    return out


def _label_alerts(c):
    a, b = c.split_names
    s = c.label_shift
    out = _missing_alerts(s, "test", a, b) + _missing_alerts(s, "train", b, a) + _shift_alerts(c)
    card = c.cardinality
    rel = (card["mean_test"] - card["mean_train"]) / max(card["mean_train"], 1e-12)
    if abs(rel) >= CARDINALITY_SHIFT and card["p_value"] < P_VALUE:
        out.append(("cardinality", f"{b} rows have {card['mean_test']:.2f} labels on average, "
                                   f"{a} rows {card['mean_train']:.2f} ({100 * rel:+.0f}%; alert "
                                   f"at +/-{100 * CARDINALITY_SHIFT:.0f}% with p < {P_VALUE})"))
    return out


def _leakage_alerts(c):
    a, b = c.split_names
    n_exact = int((c.exact_train_row >= 0).sum())
    n_near = int(((c.exact_train_row < 0) & (c.similarity >= NEAR_DUPLICATE)).sum())
    out = []
    if n_exact:
        dup = c.cross_duplicates
        differ = int((~dup["same_labels"][dup["kind"] == "exact"]).sum())
        out.append(("leakage", f"{n_exact:,} {b} texts also appear in {a} (same text after "
                               f"normalization; {differ:,} of them with other labels there)"))
    if n_near:
        out.append(("leakage", f"{n_near:,} {b} texts are near copies of {a} texts (TF-IDF "
                               f"cosine >= {NEAR_DUPLICATE})"))
    return out


def _text_alerts(c):
    a, b = c.split_names
    info, t = c.text_info, c._text_table
    out = []
    if info["ks_statistic"] >= KS_STATISTIC and info["ks_p_value"] < P_VALUE:
        out.append(("length", f"text lengths differ: median {t.loc['median_words', 'test']:g} "
                              f"words in {b} vs {t.loc['median_words', 'train']:g} in {a} "
                              f"(Kolmogorov-Smirnov {info['ks_statistic']:.2f}; alert at >= "
                              f"{KS_STATISTIC} with p < {P_VALUE})"))
    rate, base = info["oov_token_rate"], info["oov_token_rate_baseline"]
    if np.isfinite(rate) and np.isfinite(base) and rate >= OOV_RATIO * base and rate - base >= .01:
        out.append(("vocabulary", f"{_pct(rate)} of {b}'s word tokens never occur in {a}, vs "
                                  f"{_pct(base)} for a held-out part of {a} (alert at "
                                  f"{OOV_RATIO:g}x and +1 point)"))
    return out
