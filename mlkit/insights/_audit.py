"""``audit``: a data-quality audit of a multi-label text dataset, and its result."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .. import metrics as _metrics
from .._labels import check_label_matrix, cooccurrence_counts
from .._optional import import_optional
from .._text import check_texts
from ._duplicates import duplicate_groups
from ._edits import ROW_NUMBERING, Edits
from ._oof import _log, check_cv_folds, check_oof_proba, out_of_fold, precomputed_out_of_fold
from ._policy import select_cells
from ._rules import LIKELY, MAX_EDIT_SHARE, MIN_LISTED_SCORE, RARE_SUPPORT
from ._scoring import (
    _sigmoid,
    cell_scores,
    context_probabilities,
    estimate_noise_rates,
    row_scores,
)

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike, NDArray

    from ._map import EmbeddingMap

__all__ = ["LabelAudit", "audit"]

logger = logging.getLogger(__name__)

#: an issue on a label with fewer positive rows than this is marked ``low_confidence``: with
#: 5 folds each fold's model learns it from fewer than 16 positives. On train rows with
#: injected noise (15 % missing, 3 % spurious, noise seed 1, Reuters ApteMod train), 70 % of
#: the cells scored >= 0.5 on such labels were real errors against 89 % on the others.
LOW_CONFIDENCE_SUPPORT = 20
#: ranking bands: within a band of this width of scores, confident issues come first
SCORE_BAND = 0.1



def _pair_sums(Y, W, a, b, block=256):
    """``sum_i Y[i, a] * W[i, b]`` at the pairs ``(a, b)`` only, a block of columns at a
    time (``n_labels x block`` floats at most, never ``n_labels ** 2``)."""
    out = np.zeros(len(a))
    if not len(a):
        return out
    Yt = sp.csr_matrix(np.asarray(Y, dtype=np.float64)).T.tocsr()
    cols = np.unique(b)
    for start in range(0, len(cols), block):
        blk = cols[start:start + block]
        S = np.asarray(Yt @ W[:, blk])
        sel = (b >= blk[0]) & (b <= blk[-1])
        out[sel] = S[a[sel], np.searchsorted(blk, b[sel])]
    return out


def _numbered(frame):
    """State the row numbering on a table (``frame.attrs``, kept by copies and slices)."""
    frame.attrs["row_numbering"] = ROW_NUMBERING
    return frame


def _pandas(purpose):
    return import_optional("pandas", purpose=purpose)


def _check_inputs(texts, Y, label_names):
    if texts is None:
        raise TypeError("audit() needs the texts: audit(estimator, texts, Y).")
    if Y is None:
        raise TypeError(
            "audit() needs the labels Y: a 0/1 indicator matrix (dense or sparse), a DataFrame "
            "of 0/1 columns, or a list of label collections, one row per text."
        )
    try:
        texts = check_texts(texts)
    except (TypeError, ValueError) as exc:
        raise type(exc)(str(exc).replace("This estimator", "audit()")) from exc
    try:
        n_rows = Y.shape[0] if hasattr(Y, "shape") else len(Y)
    except TypeError:
        n_rows = None
    if n_rows is not None and n_rows != len(texts):
        raise ValueError(
            f"texts has {len(texts)} rows but Y has {n_rows}; each text needs exactly one row of "
            "labels. Check that texts and Y come from the same rows, in the same order."
        )
    Ymat, names = check_label_matrix(Y, label_names=label_names, n_samples=len(texts))
    Ymat = np.asarray(Ymat.toarray() if sp.issparse(Ymat) else Ymat, dtype=np.int64)
    if names is None:
        names = np.asarray([str(j) for j in range(Ymat.shape[1])], dtype=object)
    if Ymat.sum() == 0:
        raise ValueError(
            f"Y has no positive label in its {Ymat.shape[0]} rows; there is nothing to audit. "
            "Check that the label columns were read correctly."
        )
    return texts, Ymat, np.asarray(names, dtype=object)


def audit(
    estimator: Any = None,
    texts: Sequence[str] | ArrayLike | None = None,
    Y: Any = None,
    *,
    oof_proba: ArrayLike | None = None,
    label_names: Sequence[str] | None = None,
    cv: int = 5,
    random_state: int | None = 0,
    n_jobs: int | None = None,
    verbose: bool = False,
) -> LabelAudit:
    """Audit a labelled multi-label text dataset: likely label errors, row scores, label health.

    The estimator is run out of fold (multi-label stratified ``cv``-fold
    cross-validation), so every row is scored by a model that did not train
    on it. From those out-of-fold scores the audit ranks every (row, label)
    cell by how likely its given label is wrong, scores every row, and
    reports per-label health, confused label pairs, co-occurrence and
    duplicated texts with different labels. Nothing leaves the machine.

    Parameters
    ----------
    estimator : estimator, str or None, default=None
        Any multi-label estimator with ``predict_proba`` or
        ``decision_function`` that takes raw texts (a Pipeline), a
        :class:`~mlkit.ThresholdTuner`, a :func:`~mlkit.make_classifier`
        kind such as ``"tfidf"``, or None for ``make_classifier("tfidf")``.
        For a Pipeline that ends with a :class:`~mlkit.ThresholdTuner`
        (what ``make_classifier`` returns), the steps before it (the
        featurizer) are fitted once on all texts and only the tuner is
        cross-validated; they should not use the labels. Decision values
        are turned into probabilities with the tuner's Platt calibration.
        Must be None when ``oof_proba`` is given.
    texts : list, tuple, ndarray or Series of str
        The texts, one per row.
    Y : array-like, sparse matrix, DataFrame or list of label collections
        The given labels, one row per text.
    oof_proba : array-like of shape (n_samples, n_labels), default=None
        Out-of-fold probabilities computed elsewhere (any model, also one
        outside mlkit, e.g. scikit-learn's ``cross_val_predict(...,
        method="predict_proba")``): each row scored by a model that did not
        train on it. Values in [0, 1], one column per label in the order of
        ``Y``'s columns; a DataFrame whose columns are the label names is
        matched by name. Nothing is refitted: the per-label thresholds are
        chosen on these probabilities, and ``model`` and the train-vs-held-out
        F1 gap are not available. Given the same probabilities, the audit's
        scores are those of the estimator path. Decision scores (values
        outside [0, 1]) and 0/1 predictions are refused.
    label_names : sequence of str, default=None
        Label names in column order, for a matrix ``Y`` without names.
    cv : int, default=5
        Number of multi-label stratified folds (with ``oof_proba``: the folds
        on which the scoring's small context model is cross-fitted).
    random_state : int or None, default=0
        Seeds the folds and the default model.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    verbose : bool, default=False
        Show a progress bar of the out-of-fold fits on stderr, and log each
        stage's time at INFO level to the ``mlkit.insights`` logger (DEBUG
        otherwise). Nothing else is printed.

    Returns
    -------
    audit : LabelAudit

    See Also
    --------
    LabelAudit : The result and its tables.
    Edits : Apply the suggested (or your own) fixes to the data.

    Notes
    -----
    How cells are scored: a small context model re-estimates each cell's
    probability from the text model's out-of-fold logit and the row's other
    given labels (does the row have any other label, how the label ranks in
    the row, how it co-occurs with the row's labels); the probability that
    the given label is wrong then follows from the fraction of labels
    estimated to be missing or wrongly set (confident learning's confident
    joint, pooled over labels). See ``docs/insights.md``.

    Examples
    --------
    >>> from mlkit.datasets import load_goemotions
    >>> from mlkit.insights import audit
    >>> train = load_goemotions("train")
    >>> result = audit(None, train.data[:2000], train.target[:2000], cv=3)  # doctest: +SKIP
    >>> result.label_issues.head()  # doctest: +SKIP

    Probabilities from any model, computed out of fold elsewhere:

    >>> from sklearn.model_selection import cross_val_predict  # doctest: +SKIP
    >>> P = cross_val_predict(model, texts, Y, method="predict_proba")  # doctest: +SKIP
    >>> result = audit(None, texts, Y, oof_proba=P)  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    texts, Ymat, names = _check_inputs(texts, Y, label_names)
    cv = check_cv_folds(cv, Ymat)
    _log(verbose, f"auditing {Ymat.shape[0]} rows x {Ymat.shape[1]} labels, {cv}-fold",
         to=logger)
    if oof_proba is None:
        oof = out_of_fold(estimator, texts, Ymat, cv=cv, random_state=random_state,
                          n_jobs=n_jobs, verbose=verbose)
    elif estimator is not None:
        raise ValueError(
            "Pass either an estimator (the audit runs it out of fold) or oof_proba (out-of-fold "
            "probabilities computed elsewhere), not both: audit(None, texts, Y, oof_proba=P)."
        )
    else:
        oof = precomputed_out_of_fold(check_oof_proba(oof_proba, Ymat, names), Ymat, cv=cv,
                                      random_state=random_state)
    t1 = time.perf_counter()
    q = context_probabilities(oof.proba, Ymat, oof.fold, random_state=random_state)
    rates = estimate_noise_rates(q, Ymat)
    log_odds = cell_scores(q, Ymat, rates)
    error_probability, dep, ambiguity = row_scores(log_odds, q)
    _log(verbose, f"cell and row scores ({time.perf_counter() - t1:.1f} s)", to=logger)
    t2 = time.perf_counter()
    group, kinds, similarity = duplicate_groups(texts)
    _log(verbose, f"duplicate search ({time.perf_counter() - t2:.1f} s)", to=logger)
    result = LabelAudit(
        texts=texts, Y=Ymat, label_names=names, oof=oof, context_proba=q, noise_rates=rates,
        log_odds=log_odds, error_probability=error_probability, data_error_scores=dep,
        ambiguity=ambiguity, duplicate_group=group, duplicate_kind=kinds,
        duplicate_similarity=similarity, cv=cv, estimator=estimator,
        seconds=time.perf_counter() - t0)
    _log(verbose, f"done in {result.seconds:.1f} s", to=logger)
    return result


class LabelAudit:
    """The result of :func:`audit`.

    Made by :func:`audit`; do not build it directly. Arrays are ready at
    once; the tables (pandas DataFrames) are built on first access. A row
    number, in every table and array, is the row's 0-based position in the
    input data (header not counted): ``texts[row]``; each table states it in
    ``table.attrs["row_numbering"]``.

    Attributes
    ----------
    label_names : ndarray of str of shape (n_labels,)
    oof_proba : ndarray of shape (n_samples, n_labels)
        Out-of-fold probabilities of the text model (for reuse).
    context_proba : ndarray of shape (n_samples, n_labels)
        Out-of-fold probabilities that also use the row's other given labels.
    thresholds : ndarray of shape (n_labels,)
        Per-label decision thresholds chosen on the out-of-fold scores
        (F1-optimal, :class:`~mlkit.ThresholdTuner`), in probability units.
    oof_pred : ndarray of shape (n_samples, n_labels)
        Out-of-fold decisions with those thresholds.
    issue_scores : ndarray of shape (n_samples, n_labels)
        Probability that each cell's given label is wrong.
    data_error_scores : ndarray of shape (n_samples,)
        Data error potential of each row, in [0, 1]: high when the given
        labels disagree with confident out-of-fold predictions, middling (up
        to 0.5) when the row sits on a decision boundary, low when the labels
        are confirmed.
    error_probability : ndarray of shape (n_samples,)
        Probability that at least one of the row's labels is wrong.
    noise_rates : dict
        ``{"missing": ..., "wrong": ...}``: the estimated fraction of true
        labels left out and of absent labels set by mistake. They weigh
        missing against wrong labels in one ranking; read their absolute
        values with care (confident learning tends to overestimate them for
        labels the model learns poorly).
    fold : ndarray of shape (n_samples,)
        The cross-validation fold of each row.
    model : estimator or None
        The estimator refitted on all rows (with the tuned thresholds); None
        when the audit was given ``oof_proba``.
    cv : int
    seconds : float
        Wall time of the audit.
    """

    def __init__(
        self,
        *,
        texts: list[str],
        Y: NDArray[np.int64],
        label_names: Sequence[str],
        oof: Any,
        context_proba: NDArray[np.float64],
        noise_rates: tuple[float, float],
        log_odds: NDArray[np.float64],
        error_probability: NDArray[np.float64],
        data_error_scores: NDArray[np.float64],
        ambiguity: NDArray[np.float64],
        duplicate_group: NDArray[np.int64],
        duplicate_kind: NDArray[Any],
        duplicate_similarity: NDArray[np.float64],
        cv: int,
        estimator: Any,
        seconds: float,
    ) -> None:
        self.texts = texts
        self.Y = Y
        self.label_names = np.asarray([str(n) for n in label_names], dtype=object)
        self.oof_proba = oof.proba
        self.oof_scores = oof.scores
        self.thresholds = oof.thresholds_proba
        self.score_thresholds = oof.thresholds
        self.response_method = oof.response_method
        self.oof_pred = oof.oof_pred
        self.train_pred = oof.train_pred
        self.fold = oof.fold
        self.model = oof.model
        self.context_proba = context_proba
        self.noise_rates = {"missing": noise_rates[0], "wrong": noise_rates[1]}
        self._log_odds = log_odds
        self.issue_scores = _sigmoid(log_odds)
        self.error_probability = error_probability
        self.data_error_scores = data_error_scores
        self.ambiguity = ambiguity
        self._dup_group = duplicate_group
        self._dup_kind = duplicate_kind
        self._dup_similarity = duplicate_similarity
        self.cv = cv
        self.estimator = estimator
        self.seconds = seconds
        self._cache = {}

    # ------------------------------------------------------------------ basics
    @property
    def n_samples(self) -> int:
        """Number of rows audited."""
        return self.Y.shape[0]

    @property
    def n_labels(self) -> int:
        """Number of labels."""
        return self.Y.shape[1]

    def _row_labels(self, M):
        names = self.label_names
        return [tuple(names[np.flatnonzero(r)]) for r in M]

    @property
    def _given_labels(self):
        if "given" not in self._cache:
            self._cache["given"] = self._row_labels(self.Y)
        return self._cache["given"]

    @property
    def _predicted_labels(self):
        if "predicted" not in self._cache:
            self._cache["predicted"] = self._row_labels(self.oof_pred)
        return self._cache["predicted"]

    @property
    def low_confidence_labels(self) -> NDArray[np.bool_]:
        """Per label: True when it has fewer than 20 positive rows (its issues are low-confidence).

        Returns
        -------
        mask : ndarray of bool of shape (n_labels,)
        """
        return self.Y.sum(axis=0) < LOW_CONFIDENCE_SUPPORT

    def _ranked_cells(self):
        """(rows, cols) of the listed cells, most suspicious first.

        Cells are ranked by score band (0.9-1, 0.8-0.9, ...), then confident
        before low-confidence (a label with few positive rows) within a band,
        then by score.
        """
        if "ranked" not in self._cache:
            rows, cols = np.nonzero(self.issue_scores >= MIN_LISTED_SCORE)
            band = np.minimum(np.floor(self.issue_scores[rows, cols] / SCORE_BAND),
                              round(1 / SCORE_BAND) - 1)
            low = self.low_confidence_labels[cols]
            order = np.lexsort((cols, rows, -self._log_odds[rows, cols], low, -band))
            self._cache["ranked"] = (rows[order], cols[order])
        return self._cache["ranked"]

    # ------------------------------------------------------------------ tables
    @property
    def label_issues(self) -> pd.DataFrame:
        """Likely label errors, one row per (row, label) cell, most suspicious first.

        Lists every cell whose ``score`` is at least 0.05; cells with a score
        of 0.5 or more are more likely wrong than right (what
        :meth:`suggest_edits` proposes by default). Ranking: by score band
        of width 0.1 (0.9-1, then 0.8-0.9, ...), within a band the confident
        issues before the low-confidence ones, then by score; so a 0.99 on a
        label with 6 positives comes after a 0.91 on a well-supported label,
        but before any 0.89.

        Columns: ``row`` (0-based position in the input data, header not
        counted: ``texts[row]``; also in ``table.attrs["row_numbering"]``),
        ``label`` (name), ``kind``
        (``"missing"``: given 0, the label likely applies; ``"wrong"``: given
        1, it likely does not), ``score`` (probability that the given label
        is wrong), ``given`` (0/1), ``proba`` (out-of-fold probability of the
        text model), ``context_proba`` (the same, also using the row's other
        labels), ``threshold`` (the label's decision threshold, probability
        units), ``label_support`` (positive rows of the label; below 10 the
        model can hardly learn it, and its "wrong" issues mostly reflect that),
        ``low_confidence`` (True when ``label_support`` is below 20: each fold's
        model learned the label from fewer than 16 positives, so the score is
        less reliable), ``given_labels`` and ``predicted_labels`` (the row's given
        labels and out-of-fold predicted labels), ``text``.

        Returns
        -------
        table : pandas.DataFrame
        """
        if "label_issues" not in self._cache:
            pd = _pandas("LabelAudit.label_issues")
            rows, cols = self._ranked_cells()
            given = self.Y[rows, cols]
            self._cache["label_issues"] = pd.DataFrame({
                "row": rows.astype(np.int64),
                "label": self.label_names[cols].astype(str) if len(cols) else np.empty(0, str),
                "kind": np.where(given == 0, "missing", "wrong"),
                "score": self.issue_scores[rows, cols],
                "given": given.astype(np.int64),
                "proba": self.oof_proba[rows, cols],
                "context_proba": self.context_proba[rows, cols],
                "threshold": self.thresholds[cols],
                "label_support": self.Y.sum(axis=0)[cols].astype(np.int64),
                "low_confidence": self.low_confidence_labels[cols],
                "given_labels": [self._given_labels[i] for i in rows],
                "predicted_labels": [self._predicted_labels[i] for i in rows],
                "text": [self.texts[i] for i in rows],
            })
        table = _numbered(self._cache["label_issues"].copy())
        table.attrs["low_confidence_support"] = LOW_CONFIDENCE_SUPPORT
        return table

    def to_frame(self) -> pd.DataFrame:
        """One row per data row, in the data's order (index ``row`` = 0-based position).

        The index is the row's 0-based position in the input data (header
        not counted), also stated in ``table.attrs["row_numbering"]``.

        Columns: ``data_error_score``, ``error_probability``, ``ambiguity``,
        ``n_likely_issues`` (cells with score >= 0.5), ``given_labels``,
        ``predicted_labels`` (out of fold), ``fold``, ``duplicate_group``
        (-1 when the text has no duplicate), ``text``.

        Returns
        -------
        table : pandas.DataFrame
        """
        pd = _pandas("LabelAudit.to_frame")
        frame = pd.DataFrame({
            "data_error_score": self.data_error_scores,
            "error_probability": self.error_probability,
            "ambiguity": self.ambiguity,
            "n_likely_issues": (self.issue_scores >= LIKELY).sum(axis=1).astype(np.int64),
            "given_labels": self._given_labels,
            "predicted_labels": self._predicted_labels,
            "fold": self.fold,
            "duplicate_group": self._dup_group,
            "text": self.texts,
        })
        frame.index.name = "row"
        return _numbered(frame)

    @property
    def row_scores(self) -> pd.DataFrame:
        """:meth:`to_frame` sorted by data error score, highest first (index: 0-based row).

        Returns
        -------
        table : pandas.DataFrame
        """
        frame = self.to_frame()
        order = np.argsort(-self.data_error_scores, kind="stable")
        return _numbered(frame.iloc[order])

    @property
    def label_health(self) -> pd.DataFrame:
        """Per-label health: support, out-of-fold quality, train gap, suspected errors, alerts.

        Columns: ``support`` (positive rows), ``share`` (of all rows),
        ``n_predicted``, ``precision``, ``recall``, ``f1`` (out of fold, with
        the tuned thresholds), ``average_precision`` (out of fold),
        ``threshold`` (probability units), ``train_f1`` (model refitted on
        all rows, scored on them; NaN when the audit was given
        ``oof_proba``), ``f1_gap`` (``train_f1 - f1``),
        ``likely_missing``, ``likely_wrong`` (cells with score >= 0.5),
        ``most_confused_with``, ``confusion_rate`` and ``alerts`` (a
        ``"; "``-joined string, empty when healthy):

        * *no positive example* / *rare*: fewer than 10 positive rows;
        * *under-performing*: out-of-fold F1 below half the median F1 of the
          labels that are not rare;
        * *over-fitting*: train-minus-out-of-fold F1 gap more than 0.25 above
          the median gap;
        * *dominant*: on more than half of the rows;
        * *many suspected errors*: likely errors amount to more than 20% of
          its support (at least 3);
        * *overlaps*: on 25% or more of its rows (and at least 3) the model
          also predicts one other label that is not given, at least twice as
          often as it predicts that label on the other rows without it.

        Returns
        -------
        table : pandas.DataFrame indexed by label name
        """
        if "health" not in self._cache:
            self._cache["health"] = self._label_health()
        return self._cache["health"].copy()

    def _label_health(self):
        pd = _pandas("LabelAudit.label_health")
        Y, names = self.Y, self.label_names
        report = _metrics.per_label_report(Y, self.oof_pred, label_names=names,
                                           y_score=self.oof_proba)
        if self.train_pred is None:  # precomputed probabilities: no model refitted on all rows
            train_f1 = np.full(self.n_labels, np.nan)
        else:
            train_f1 = np.asarray(_metrics.f1_score(Y, self.train_pred, average=None),
                                  dtype=float)
        support = report.support.astype(np.int64)
        f1 = np.asarray(report.f1, dtype=float)
        gap = train_f1 - f1
        likely = self.issue_scores >= LIKELY
        likely_missing = (likely & (Y == 0)).sum(axis=0)
        likely_wrong = (likely & (Y == 1)).sum(axis=0)
        confused, confused_rate, confused_count = self._most_confused()
        notY = 1 - Y
        fpr = (self.oof_pred * notY).sum(axis=0) / np.maximum(notY.sum(axis=0), 1)
        confused_lift = np.where(fpr[confused] > 0,
                                 confused_rate / np.maximum(fpr[confused], 1e-12), np.inf)
        ok = support >= RARE_SUPPORT
        median_f1 = float(np.median(f1[ok])) if ok.any() else float("nan")
        median_gap = float(np.median(gap[ok])) if ok.any() else float("nan")
        share = support / self.n_samples
        alerts = []
        for j in range(self.n_labels):
            a = []
            if support[j] == 0:
                a.append("no positive example: the label cannot be learned")
            elif support[j] < RARE_SUPPORT:
                a.append(f"rare: only {support[j]} positive rows")
            if ok[j] and np.isfinite(median_f1) and f1[j] < 0.5 * median_f1:
                a.append(f"under-performing: out-of-fold F1 {f1[j]:.2f} "
                         f"(median label {median_f1:.2f})")
            if ok[j] and np.isfinite(median_gap) and gap[j] > median_gap + 0.25:
                a.append(f"over-fitting: train F1 {train_f1[j]:.2f} vs out-of-fold "
                         f"{f1[j]:.2f}")
            if share[j] > 0.5:
                a.append(f"dominant: on {100 * share[j]:.0f}% of rows")
            n_sus = int(likely_missing[j] + likely_wrong[j])
            if n_sus >= 3 and n_sus > 0.2 * max(support[j], 1):
                a.append(f"many suspected errors: {n_sus} likely label issues "
                         f"for {support[j]} positive rows")
            if (self.n_labels > 1 and confused_count[j] >= 3 and confused_rate[j] >= 0.25
                    and confused_lift[j] >= 2):
                a.append(f"overlaps with {names[confused[j]]}: predicted on "
                         f"{100 * confused_rate[j]:.0f}% of its rows without being given "
                         f"({confused_lift[j]:.1f}x its rate elsewhere)")
            alerts.append("; ".join(a))
        ap = report.average_precision
        frame = pd.DataFrame({
            "support": support,
            "share": share,
            "n_predicted": report.n_predicted.astype(np.int64),
            "precision": np.asarray(report.precision, dtype=float),
            "recall": np.asarray(report.recall, dtype=float),
            "f1": f1,
            "average_precision": np.asarray(ap, dtype=float),
            "threshold": self.thresholds,
            "train_f1": train_f1,
            "f1_gap": gap,
            "likely_missing": likely_missing.astype(np.int64),
            "likely_wrong": likely_wrong.astype(np.int64),
            "most_confused_with": [str(names[c]) if self.n_labels > 1 else "" for c in confused],
            "confusion_rate": np.maximum(confused_rate, 0.0),
            "alerts": alerts,
        }, index=pd.Index(names.astype(str), name="label"))
        return frame

    @property
    def alerts(self) -> list[tuple[str, str]]:
        """The label alerts as a list of ``(label, alert)`` pairs."""
        out = []
        for label, text in self.label_health["alerts"].items():
            out.extend((label, a) for a in text.split("; ") if a)
        return out

    @property
    def overlap_matrix(self) -> NDArray[np.float64]:
        """``M[a, b]``: share of the rows labelled ``a`` but not ``b`` that the model
        predicts ``b`` for (out of fold). Diagonal 0.

        A dense ``(n_labels, n_labels)`` array, built only when asked for (8 bytes
        per label pair: 200 MB for 5,000 labels). :attr:`overlap` lists the same
        rates for the pairs that occur, and the audit itself never builds this.

        Returns
        -------
        matrix : ndarray of shape (n_labels, n_labels)
        """
        if "overlap_matrix" not in self._cache:
            a, b, counts, n_ab = self._overlap_pairs()
            M = np.zeros((self.n_labels, self.n_labels))
            M[a, b] = counts / np.maximum(n_ab, 1)
            self._cache["overlap_matrix"] = M
        return self._cache["overlap_matrix"].copy()

    def _overlap_pairs(self):
        """The ordered label pairs ``(a, b)`` with at least one confusion (sparse).

        ``counts``: rows given ``a`` but not ``b`` where the out-of-fold prediction
        has ``b``; ``n_ab``: rows given ``a`` but not ``b``. Memory grows with the
        pairs that occur, never with ``n_labels ** 2``.
        """
        if "overlap_pairs" not in self._cache:
            D = self.oof_pred * (1 - self.Y)  # predicted and not given
            C = cooccurrence_counts(self.Y, weights=D).tocoo()
            a, b = C.row.astype(np.int64), C.col.astype(np.int64)
            co = self._pair_cooccurrence(a, b)
            n_ab = self.Y.sum(axis=0)[a] - co
            self._cache["overlap_pairs"] = (a, b, np.asarray(C.data, dtype=np.float64),
                                            n_ab.astype(np.float64))
        return self._cache["overlap_pairs"]

    def _pair_cooccurrence(self, a, b):
        if "co" not in self._cache:
            self._cache["co"] = cooccurrence_counts(self.Y)
        return np.asarray(self._cache["co"][a, b], dtype=np.int64).ravel()

    def _most_confused(self):
        """Per label: the label most predicted on its rows without being given, its rate
        and count (ties: the first column; no confusion: the first other label, rate 0)."""
        L = self.n_labels
        confused = np.where(np.arange(L) == 0, 1, 0) if L > 1 else np.zeros(1, dtype=np.int64)
        rate, count = np.zeros(L), np.zeros(L)
        a, b, counts, n_ab = self._overlap_pairs()
        if len(a):
            r = counts / np.maximum(n_ab, 1)
            order = np.lexsort((b, -r, a))
            first = order[np.r_[True, a[order][1:] != a[order][:-1]]]
            confused[a[first]], rate[a[first]], count[a[first]] = b[first], r[first], counts[first]
        return confused, rate, count

    @property
    def overlap(self) -> pd.DataFrame:
        """Label pairs the model confuses, most confusions first.

        One row per ordered pair (``label``, ``confused_with``) with at least
        one confusion: ``n_rows`` (rows given ``label`` but not
        ``confused_with``), ``n_confused`` (of those, rows where the
        out-of-fold prediction has ``confused_with``), ``rate``
        (``n_confused / n_rows``), ``mean_proba`` (mean out-of-fold
        probability of ``confused_with`` on those rows), ``lift`` (``rate``
        over the false-positive rate of ``confused_with`` on all rows without
        it) and ``cooccurrence`` (rows given both).

        Returns
        -------
        table : pandas.DataFrame
        """
        if "overlap" not in self._cache:
            pd = _pandas("LabelAudit.overlap")
            a, b, counts, n_ab = self._overlap_pairs()
            notY = 1.0 - self.Y
            sum_proba = _pair_sums(self.Y, self.oof_proba * notY, a, b)
            fpr = (self.oof_pred * notY).sum(axis=0) / np.maximum(notY.sum(axis=0), 1)
            rate = counts / np.maximum(n_ab, 1)
            with np.errstate(invalid="ignore", divide="ignore"):
                lift = np.where(fpr[b] > 0, rate / fpr[b], np.inf)
            frame = pd.DataFrame({
                "label": self.label_names[a].astype(str) if len(a) else np.empty(0, str),
                "confused_with": self.label_names[b].astype(str) if len(b) else np.empty(0, str),
                "n_rows": n_ab.astype(np.int64),
                "n_confused": counts.astype(np.int64),
                "rate": rate,
                "mean_proba": sum_proba / np.maximum(n_ab, 1),
                "lift": lift,
                "cooccurrence": self._pair_cooccurrence(a, b),
            })
            order = np.lexsort((b, a, -rate, -counts))
            self._cache["overlap"] = frame.iloc[order].reset_index(drop=True)
        return self._cache["overlap"].copy()

    @property
    def cooccurrence(self) -> pd.DataFrame:
        """Label co-occurrence counts: rows given both labels (diagonal: support).

        A dense ``(n_labels, n_labels)`` table, built only when asked for (8 bytes
        per label pair: 200 MB for 5,000 labels); :attr:`cooccurrence_pairs`
        lists only the pairs that occur.

        Returns
        -------
        table : pandas.DataFrame of shape (n_labels, n_labels)
        """
        pd = _pandas("LabelAudit.cooccurrence")
        names = self.label_names.astype(str)
        C = cooccurrence_counts(self.Y).toarray().astype(np.int64)
        return pd.DataFrame(C, index=pd.Index(names, name="label"), columns=names)

    @property
    def cooccurrence_pairs(self) -> pd.DataFrame:
        """The label pairs given together, most frequent first (sparse long form).

        One row per ordered pair of different labels given together on at
        least one row: ``label``, ``other``, ``n_rows`` (rows given both),
        ``share`` (``n_rows`` over the support of ``label``) and ``lift``
        (``share`` over the share of all rows given ``other``). Its size grows
        with the pairs that occur, not with ``n_labels ** 2``.

        Returns
        -------
        table : pandas.DataFrame
        """
        pd = _pandas("LabelAudit.cooccurrence_pairs")
        C = cooccurrence_counts(self.Y).tocoo()
        off = C.row != C.col
        a, b = C.row[off].astype(np.int64), C.col[off].astype(np.int64)
        n_ab = np.asarray(C.data[off], dtype=np.int64)
        support = self.Y.sum(axis=0)
        share = n_ab / np.maximum(support[a], 1)
        order = np.lexsort((b, a, -n_ab))
        names = self.label_names.astype(str)
        return pd.DataFrame({
            "label": names[a[order]] if len(a) else np.empty(0, str),
            "other": names[b[order]] if len(b) else np.empty(0, str),
            "n_rows": n_ab[order],
            "share": share[order],
            "lift": share[order] / np.maximum(support[b[order]], 1) * self.n_samples,
        })

    @property
    def duplicates(self) -> pd.DataFrame:
        """Exact and near-duplicate texts that carry different labels.

        One row per data row in such a group: ``group``, ``kind``
        (``"exact"``: same text after normalizing case, punctuation and
        spaces; ``"near"``: TF-IDF cosine similarity >= 0.9), ``row`` (0-based
        position in the input data, header not counted),
        ``similarity`` (highest similarity to another row of the group),
        ``given_labels``, ``n_rows`` and ``n_label_sets`` (of the group),
        ``text``. Groups with the most rows come first.

        Returns
        -------
        table : pandas.DataFrame
        """
        if "duplicates" not in self._cache:
            pd = _pandas("LabelAudit.duplicates")
            group = self._dup_group
            rows_by_group = {}
            for i in np.flatnonzero(group >= 0):
                rows_by_group.setdefault(int(group[i]), []).append(int(i))
            records = []
            kept = []
            for g, rows in rows_by_group.items():
                sets = {tuple(self.Y[i]) for i in rows}
                if len(sets) > 1:
                    kept.append((-len(rows), g, rows, len(sets)))
            kept.sort()
            for new_id, (_, g, rows, n_sets) in enumerate(kept):
                for i in rows:
                    records.append((new_id, self._dup_kind[g], i, float(self._dup_similarity[i]),
                                    self._given_labels[i], len(rows), n_sets, self.texts[i]))
            self._cache["duplicates"] = pd.DataFrame(records, columns=[
                "group", "kind", "row", "similarity", "given_labels", "n_rows", "n_label_sets",
                "text"])
        return _numbered(self._cache["duplicates"].copy())

    # ------------------------------------------------------------------ edits
    def suggest_edits(self, top_n: int | None = None, *, min_score: float = LIKELY,
                      max_share: float | str | None = MAX_EDIT_SHARE) -> Edits:
        """The audit's suggested fixes as :class:`Edits`.

        A ``"missing"`` issue becomes "add the label", a ``"wrong"`` one
        "remove the label". By default the suggestions are the cells more
        likely wrong than right (score >= 0.5), with two limits that keep
        blind application from doing harm, each label judged by its number
        of positive rows (its support):

        * at most one edit per 10 positive rows of a label (``max_share``,
          rounded up, the highest scores first): real annotation noise
          touches a few percent of a label's rows, so a label that draws
          many more suggestions is one the model confuses with another, and
          most of its suggestions are that confusion, not errors (a label
          with 5 positives gets at most 1 edit, one with 300 at most 30);
        * labels with fewer than 10 positive rows are never removed: the
          model cannot learn them, so out of fold their positives look
          wrong wherever they are.

        The cells left out stay in :attr:`label_issues` for review. The cap
        was chosen on a benchmark with injected label noise (validation rows
        of the training split, one noise seed) and then measured on the test
        split with another: ``benchmarks/RESULTS_audit.md`` reports what
        retraining on the fixed labels gains and where it does not. Review
        the suggestions rather than applying them blindly when a label
        matters.

        Parameters
        ----------
        top_n : int or None, default=None
            Take at most the ``top_n`` most suspicious cells that pass the
            limits (ranked as :attr:`label_issues`), never one scored below
            ``min_score``; None takes all of them.
        min_score : float, default=0.5
            Lowest score suggested, also with ``top_n`` (``min_score=0``
            with ``top_n`` takes the ``top_n`` first whatever their score).
        max_share : float, "auto" or None, default=0.1
            At most ``ceil(max_share * support)`` edits per label; None: no
            cap. ``"auto"``: the share of noise the audit itself expects
            among its likely cells (the sum of their scores divided by the
            number of given positives), so the cap follows the data's noise
            (measured in ``benchmarks/RESULTS_audit.md``: it helps on Reuters
            at 5 % / 1 % injected noise, not at 15 % / 3 %; not the default).

        Returns
        -------
        edits : Edits
        """
        return Edits(label_names=self.label_names).add_suggestions(
            self, top_n=top_n, min_score=min_score, max_share=max_share)

    def suggested_cells(
        self, top_n: int | None = None, *, min_score: float = LIKELY,
        max_share: float | str | None = MAX_EDIT_SHARE,
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """The (row, label) cells :meth:`suggest_edits` proposes to flip, in ranking order.

        Parameters
        ----------
        top_n, min_score, max_share
            As in :meth:`suggest_edits`.

        Returns
        -------
        rows : ndarray of int
            Rows: 0-based positions in the input data (header not counted).
        cols : ndarray of int
            Label columns (in ``label_names`` order).
        """
        if top_n is not None and (isinstance(top_n, bool)
                                  or not isinstance(top_n, (int, np.integer)) or top_n < 0):
            raise ValueError(f"top_n must be a non-negative int or None; got {top_n!r}.")
        if (isinstance(min_score, bool) or not isinstance(min_score, (int, float, np.number))
                or not 0 <= min_score <= 1):
            raise ValueError(f"min_score must be a number in [0, 1]; got {min_score!r}.")
        if max_share is not None and not (isinstance(max_share, str) and max_share == "auto") \
                and (isinstance(max_share, bool)
                     or not isinstance(max_share, (int, float, np.number)) or not max_share > 0):
            raise ValueError(f"max_share must be a positive number (a share of each label's "
                             f"positive rows, e.g. 0.1), 'auto' or None for no cap; got "
                             f"{max_share!r}.")
        # the edit policy (rare labels lose no positive, the per-label cap) picks the cells;
        # they are listed in the order of label_issues; never below min_score, also with
        # top_n (min_score=0 takes the top_n whatever their score)
        picked = np.zeros(self.Y.shape, dtype=bool)
        picked[select_cells(self._log_odds, self.Y, min_score=min_score, max_share=max_share,
                            rare_support=RARE_SUPPORT, keep_rows_labelled=False)] = True
        rows, cols = self._ranked_cells()
        keep = picked[rows, cols]
        rows, cols = rows[keep], cols[keep]
        if top_n is not None:
            rows, cols = rows[:top_n], cols[:top_n]
        return rows, cols

    # ------------------------------------------------------------------ output
    def summary(self) -> str:
        """A plain-text summary of the audit.

        Returns
        -------
        text : str
        """
        Y = self.Y
        likely = self.issue_scores >= LIKELY
        n_miss = int((likely & (Y == 0)).sum())
        n_wrong = int((likely & (Y == 1)).sum())
        n_rows_likely = int(likely.any(axis=1).sum())
        f1_micro = _metrics.f1_score(Y, self.oof_pred, average="micro")
        f1_macro = _metrics.f1_score(Y, self.oof_pred, average="macro")
        dep = self.data_error_scores
        lines = [
            f"LabelAudit of {self.n_samples:,} rows x {self.n_labels} labels "
            f"({self.cv}-fold out-of-fold, {self.seconds:.0f} s)",
            f"  out-of-fold F1: micro {f1_micro:.3f}, macro {f1_macro:.3f}",
            f"  likely label issues (score >= {LIKELY}): {n_miss + n_wrong:,} cells in "
            f"{n_rows_likely:,} rows ({n_miss:,} missing, {n_wrong:,} wrong)",
            f"  data error score: median {np.median(dep):.2f}, 90th percentile "
            f"{np.quantile(dep, 0.9):.2f}; {int((dep >= LIKELY).sum()):,} rows >= {LIKELY}",
        ]
        try:
            health = self.label_health
            flagged = health.index[health["alerts"] != ""].tolist()
            lines.append(f"  labels with alerts: {len(flagged)} of {self.n_labels}"
                         + (f" ({', '.join(flagged[:8])}{', ...' if len(flagged) > 8 else ''})"
                            if flagged else ""))
            ov = self.overlap.head(3)
            if len(ov):
                pairs = ", ".join(f"{r.label} -> {r.confused_with} ({r.n_confused})"
                                  for r in ov.itertuples())
                lines.append(f"  most confused pairs (given -> predicted): {pairs}")
            dups = self.duplicates
            if len(dups):
                lines.append(f"  duplicate texts with different labels: {dups['group'].nunique():,}"
                             f" groups, {len(dups):,} rows")
        except ImportError:
            lines.append("  (install pandas for the label health, overlap and duplicate tables)")
        return "\n".join(lines)

    def __repr__(self):
        n_likely = int((self.issue_scores >= LIKELY).sum())
        return (f"<LabelAudit: {self.n_samples} rows x {self.n_labels} labels, "
                f"{n_likely} likely label issues, median data error score "
                f"{np.median(self.data_error_scores):.2f}>")

    def embedding_map(self, *, embeddings: ArrayLike | None = None, encoder: Any = None,
                      method: str = "tsne", max_points: int = 5000,
                      n_clusters: int | str = "auto",
                      random_state: int | None = 0) -> EmbeddingMap:
        """A 2-D map of the audited rows with clusters, coloured by the audit's scores.

        Calls :func:`mlkit.insights.embedding_map` with the audit's texts,
        labels, data error scores and issue scores; see there for the
        projection, the clustering rule and the sampling of the drawn points.

        Parameters
        ----------
        embeddings : array-like of shape (n_samples, n_dims), default=None
            Precomputed row vectors (e.g. sentence embeddings); None uses
            TF-IDF of the texts (or ``encoder``).
        encoder : object with ``encode(texts)``, default=None
            Encodes the texts (e.g. a sentence-transformers model).
        method : {"tsne", "pca", "svd"}, default="tsne"
            The 2-D projection.
        max_points : int, default=5000
            Rows kept on the map (every row scoring 0.5 or more first).
        n_clusters : int or "auto", default="auto"
            Number of k-means clusters; "auto": ``round(sqrt(n / 20))`` in [2, 30].
        random_state : int or None, default=0
            Seeds the sample, the clustering and the projection.

        Returns
        -------
        map : EmbeddingMap
            ``.points`` (row, x, y, cluster, labels, score, kind, text) and
            ``.clusters`` (size, top terms, label mix, error rate).
        """
        from ._map import embedding_map

        return embedding_map(self.texts, self.Y, label_names=self.label_names,
                             scores=self.data_error_scores, issue_scores=self.issue_scores,
                             embeddings=embeddings, encoder=encoder, method=method,
                             max_points=max_points, n_clusters=n_clusters,
                             random_state=random_state)

    def to_html(self, path: str | os.PathLike[str], *, max_rows: int = 50,
                max_labels: int = 500, map_points: int = 1500,
                precomputed_map: EmbeddingMap | None = None) -> Path:
        """Write a self-contained HTML report (plots embedded) to ``path``.

        The file is written atomically: it is either complete or not
        replaced. Needs matplotlib (``pip install "mlkit[plots]"``) and pandas.

        Parameters
        ----------
        path : str or os.PathLike
            The HTML file.
        max_rows : int, default=50
            Rows shown in each table (issues, rows, pairs, duplicates).
        max_labels : int, default=500
            Labels shown in the label health table (labels with alerts
            first, then by support); the plots show at most 40 labels, and
            the full table is :attr:`label_health`. The file's size grows
            with these limits, not with the number of labels.
        map_points : int, default=1500
            Points drawn on the embedding map (a t-SNE map of TF-IDF
            features with clusters, see :meth:`embedding_map`); 0: no map.
        precomputed_map : EmbeddingMap, default=None
            A map computed before (e.g. ``audit.embedding_map(encoder=...)``
            on sentence embeddings), drawn instead of the TF-IDF one.

        Returns
        -------
        path : pathlib.Path
        """
        from ._report import write_html

        return write_html(self, path, max_rows=max_rows, max_labels=max_labels,
                          map_points=map_points, precomputed_map=precomputed_map)
