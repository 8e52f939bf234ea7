"""One-call evaluation of a fitted model: metrics, per-label report, worst-predicted rows.

:func:`evaluate_model` is what ``mlkit evaluate`` runs, and what a Python user
calls instead of predicting, scoring and lining up errors by hand (as
simpletransformers' ``eval_model`` does). It predicts through
:class:`mlkit.inference.Predictor` (so the decisions are those of ``predict``,
of the server and of a reloaded model file) and computes every figure with
:mod:`mlkit.metrics`; nothing here re-implements a metric or a decision rule.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ._labels import check_label_matrix, is_dataframe
from ._progress import progress_bar, show_progress
from ._text import check_texts
from .inference import Predictor, find_threshold_tuner
from .metrics import evaluate as _metrics_table
from .metrics import format_metrics, per_label_report

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike, NDArray

    from .metrics import LabelReport


__all__ = ["ModelEvaluation", "evaluate_model", "row_errors"]

_BATCH = 2000


def row_errors(
    Y: ArrayLike, Y_pred: ArrayLike, scores: ArrayLike | None = None, *,
    score_kind: str = "probability",
) -> NDArray[np.float64]:
    """The per-row loss that ranks the worst-predicted rows.

    The integer part is the number of wrong labels of the row (labels missed
    plus labels predicted wrongly: the row's Hamming distance). When the
    scores are probabilities, ties are broken by how far they are from the
    truth: ``sum(|Y - P|) / (n_labels + 1)`` is added, which is below 1, so
    it never outranks one more wrong label. Decision values (not
    probabilities) add nothing.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_labels)
        True 0/1 labels.
    Y_pred : array-like of shape (n_samples, n_labels)
        0/1 decisions.
    scores : array-like of shape (n_samples, n_labels), default=None
        The model's scores.
    score_kind : {"probability", "decision"}, default="probability"
        What ``scores`` are.

    Returns
    -------
    loss : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from mlkit.evaluation import row_errors
    >>> row_errors([[1, 0], [1, 1]], [[1, 0], [0, 0]], [[0.9, 0.2], [0.4, 0.1]]).round(3)
    array([0.1, 2.5])
    """
    if score_kind not in ("probability", "decision"):
        raise ValueError(f"score_kind must be 'probability' or 'decision'; got {score_kind!r}.")
    Y = np.asarray(Y)
    D = np.asarray(Y_pred)
    if D.shape != Y.shape or Y.ndim != 2:
        raise ValueError(f"Y_pred has shape {D.shape}; expected a 2-D array of Y's shape "
                         f"{Y.shape}.")
    loss = (Y != D).sum(axis=1).astype(np.float64)
    if scores is not None and score_kind == "probability":
        S = np.asarray(scores, dtype=np.float64)
        if S.shape != Y.shape:
            raise ValueError(f"scores has shape {S.shape}; expected Y's shape {Y.shape}.")
        loss += np.abs(Y - S).sum(axis=1) / (Y.shape[1] + 1)
    return loss


class ModelEvaluation:
    """What :func:`evaluate_model` found: metrics, per-label report, worst rows.

    Made by :func:`evaluate_model`; do not build it directly.

    Attributes
    ----------
    metrics : dict of str to float
        :func:`mlkit.metrics.evaluate` of the decisions and scores: micro,
        macro F1, precision and recall, Hamming loss, subset accuracy,
        samples Jaccard, then the ranking metrics (LRAP, average precision,
        ROC-AUC, precision@k ...).
    report : mlkit.metrics.LabelReport
        :func:`mlkit.metrics.per_label_report`: support, predictions,
        precision, recall, F1, threshold (probability units, when known) and
        average precision of each label; ``report.to_frame()`` is a
        DataFrame (:meth:`per_label_frame`).
    worst : list of dict
        The worst-predicted rows, worst first (rows predicted exactly right
        are left out): ``row`` (0-based position in ``X``), ``text``,
        ``true``, ``predicted``, ``missed``, ``extra`` (label names),
        ``loss`` (:func:`row_errors`) and ``scores`` (label -> score of the
        row's true and predicted labels). :meth:`worst_frame` gives a
        DataFrame.
    label_names : list of str
        The model's labels, in column order.
    Y_true, Y_pred : ndarray of shape (n_samples, n_labels)
        True labels (in the model's column order) and decisions.
    scores : ndarray of shape (n_samples, n_labels)
        ``predict_proba`` when the model has it, else ``decision_function``.
    score_kind : {"probability", "decision"}
    thresholds : ndarray of shape (n_labels,) or None
        The threshold each label's decision used (None when the rule has no
        fixed one, e.g. ``top_k``), in ``threshold_units``.
    threshold_units : str or None
        ``"probability"``, or the tuner's score units
        (``"decision_function"``) when its thresholds have no probability
        equivalent.
    row_loss : ndarray of shape (n_samples,)
        :func:`row_errors` of every row.
    rule : str
        The decision rule in words.
    """

    def __init__(
        self, *, metrics: dict[str, float], report: LabelReport, worst: list[dict[str, Any]],
        label_names: list[str], Y_true: NDArray[np.int64], Y_pred: NDArray[np.int64],
        scores: NDArray[np.float64], score_kind: str, thresholds: NDArray[np.float64] | None,
        threshold_units: str | None, row_loss: NDArray[np.float64], rule: str,
    ) -> None:
        self.metrics = metrics
        self.report = report
        self.worst = worst
        self.label_names = label_names
        self.Y_true = Y_true
        self.Y_pred = Y_pred
        self.scores = scores
        self.score_kind = score_kind
        self.thresholds = thresholds
        self.threshold_units = threshold_units
        self.row_loss = row_loss
        self.rule = rule

    def per_label_frame(self) -> pd.DataFrame:
        """The per-label report as a pandas DataFrame indexed by label.

        Returns
        -------
        frame : pandas.DataFrame
            ``report.to_frame()``.
        """
        return self.report.to_frame()

    def worst_frame(self) -> pd.DataFrame:
        """The worst-predicted rows as a pandas DataFrame indexed by row.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``text``, ``true``, ``predicted``, ``missed``, ``extra``
            (tuples of label names), ``loss`` and ``scores`` (dicts).
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "ModelEvaluation.worst_frame requires pandas, which is not installed. Install "
                'it with `pip install "mlkit[pandas]"`, or use the list .worst.') from exc
        columns = ["row", "text", "true", "predicted", "missed", "extra", "loss", "scores"]
        rows = [{**r, **{k: tuple(r[k]) for k in ("true", "predicted", "missed", "extra")}}
                for r in self.worst]
        return pd.DataFrame(rows, columns=columns).set_index("row")

    def to_dict(self) -> dict[str, Any]:
        """Everything but the arrays, as plain JSON-ready values.

        Returns
        -------
        result : dict
            Keys ``rule``, ``score_kind``, ``label_names``, ``metrics``,
            ``per_label`` (``report.to_dict()``) and ``worst``.
        """
        return {"rule": self.rule, "score_kind": self.score_kind,
                "label_names": list(self.label_names), "metrics": dict(self.metrics),
                "per_label": self.report.to_dict(), "worst": list(self.worst)}

    def to_string(self, *, sort_by: str | None = "f1", n_worst: int | None = None,
                  max_text_length: int = 100) -> str:
        """The metrics table, the per-label report and the worst rows, as text.

        Parameters
        ----------
        sort_by : str or None, default="f1"
            Order of the per-label report (a column name, ascending: worst
            first for scores); None keeps the model's column order.
        n_worst : int, default=None
            Worst rows shown (all of :attr:`worst` when None; 0 for none).
        max_text_length : int, default=100
            Longer texts are cut, with "...".

        Returns
        -------
        text : str
        """
        order = "in model order" if sort_by is None else f"sorted by {sort_by}, ascending"
        parts = [format_metrics(self.metrics), "",
                 f"Per-label report ({order}):", self.report.to_string(sort_by=sort_by)]
        worst = self.worst_to_string(n_worst=n_worst, max_text_length=max_text_length)
        if worst:
            parts += ["", worst]
        return "\n".join(parts)

    def worst_to_string(self, *, n_worst: int | None = None,
                        max_text_length: int = 100) -> str:
        """The worst-predicted rows as text ("" when there is none to show).

        Parameters
        ----------
        n_worst : int, default=None
            Rows shown (all of :attr:`worst` when None).
        max_text_length : int, default=100
            Longer texts are cut, with "...".

        Returns
        -------
        text : str
        """
        shown = self.worst if n_worst is None else self.worst[:n_worst]
        if not shown:
            return ""
        how = (" + distance of the probabilities from the truth / (labels + 1)"
               if self.score_kind == "probability" else "")
        lines = [f"Worst-predicted rows ({len(shown)} shown; loss = wrong labels{how}):"]
        for r in shown:
            text = " ".join(str(r["text"]).split())
            if len(text) > max_text_length:
                text = text[:max_text_length - 3] + "..."
            lines.append(f"  row {r['row']} (loss {r['loss']:.2f}): {text}")
            lines.append(f"    true: {_names(r['true'])}; predicted: {_names(r['predicted'])}; "
                         f"missed: {_names(r['missed'])}; extra: {_names(r['extra'])}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        m = self.metrics
        return (f"<ModelEvaluation: {self.Y_true.shape[0]} rows, {len(self.label_names)} "
                f"labels, f1_micro={m['f1_micro']:.3f}, f1_macro={m['f1_macro']:.3f}, "
                f"{len(self.worst)} worst rows>")


def _names(names):
    return ", ".join(names) if names else "-"


def evaluate_model(
    model: Any,
    X: Sequence[str] | ArrayLike,
    Y: ArrayLike | sp.spmatrix,
    *,
    label_names: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    n_worst: int = 20,
    threshold: float | None = None,
    top_k: int | None = None,
    k: int | Sequence[int] = (1, 3, 5),
    verbose: bool | int | str = False,
) -> ModelEvaluation:
    """Evaluate a fitted multi-label model on labelled texts in one call.

    The model predicts ``X`` once (in batches, through
    :class:`mlkit.inference.Predictor`: its own decision rule, e.g. a
    :class:`~mlkit.ThresholdTuner`'s tuned thresholds, and its scores); the
    result holds the headline metrics, the per-label report and the
    worst-predicted rows. Works for every kind (``make_classifier("tfidf")``,
    ``"embeddings"``, ``"transformer"``, a loaded model file or checkpoint)
    and any scikit-learn multi-label estimator with ``predict`` and
    ``predict_proba`` or ``decision_function`` that takes raw texts (e.g. a
    Pipeline with a vectorizer).

    Parameters
    ----------
    model : fitted estimator
        A multi-label estimator (or Pipeline) that takes raw texts.
    X : iterable of str
        The texts.
    Y : array-like, sparse matrix, DataFrame or list of label collections
        Their true labels. A DataFrame's columns and label lists are matched
        to the model's labels by name (a DataFrame may hold its columns in
        any order); an indicator matrix must have the model's column order.
    label_names : sequence of str, default=None
        The model's label names, in column order; ``model.classes_`` when
        None. Needed when the model was fitted on an indicator matrix
        (``classes_`` 0, 1, ...) and ``Y`` names its labels.
    labels : sequence of str, default=None
        Evaluate only these of the model's labels (the model still predicts
        all of them, with its own rule); None evaluates every label.
    n_worst : int, default=20
        How many worst-predicted rows to keep (ranked by :func:`row_errors`);
        0 keeps none.
    threshold : float, default=None
        Replace the model's rule: predict every label whose score is above
        ``threshold`` (probability units unless the model has no
        ``predict_proba``).
    top_k : int, default=None
        Replace the model's rule: the ``top_k`` best-scored labels of each
        row (above ``threshold`` when it is given too).
    k : int or sequence of int, default=(1, 3, 5)
        Cut-offs of precision@k, recall@k and nDCG@k in ``metrics``.
    verbose : bool, int or "auto", default=False
        A progress bar over the texts on standard error.

    Returns
    -------
    evaluation : ModelEvaluation
        ``.metrics`` (dict), ``.report`` (per-label report;
        ``.per_label_frame()`` a DataFrame), ``.worst`` (list of dicts;
        ``.worst_frame()`` a DataFrame), the decisions and the scores.

    See Also
    --------
    mlkit.metrics.evaluate : The metrics from decisions and scores you already have.
    mlkit.insights.audit : Out-of-fold ranking of likely mislabeled training rows.

    Examples
    --------
    >>> import mlkit
    >>> texts = ["good film", "bad film", "great plot", "awful plot"] * 5
    >>> labels = [["pos"], ["neg"], ["pos", "plot"], ["neg", "plot"]] * 5
    >>> model = mlkit.make_classifier("tfidf").set_params(classifier__cv=2).fit(texts, labels)
    >>> result = mlkit.evaluate_model(model, ["good plot", "bad film"], [["pos", "plot"], ["pos"]])
    >>> round(result.metrics["f1_micro"], 3)
    0.667
    >>> result.worst[0]["row"], result.worst[0]["missed"], result.worst[0]["extra"]
    (1, ['pos'], ['neg'])
    """
    texts = check_texts(X, estimator=model)
    _check_count(n_worst, "n_worst", minimum=0)
    if top_k is not None:
        _check_count(top_k, "top_k", minimum=1)
    predictor = Predictor(model, label_names)
    names = predictor.label_names
    _check_threshold(threshold, predictor.score_kind)
    Yt = _aligned_labels(Y, names, len(texts))
    keep = None if labels is None else _label_subset(labels, names)
    D, S = _predict(predictor, texts, threshold, top_k, verbose)
    thr, units = _shown_thresholds(predictor, threshold, top_k)
    if keep is not None:
        names = [names[j] for j in keep]
        Yt, D, S = Yt[:, keep], D[:, keep], S[:, keep]
        thr = None if thr is None else thr[keep]
    metrics = _metrics_table(Yt, D, S, k=k)
    report = per_label_report(Yt, D, label_names=names, thresholds=thr, y_score=S)
    loss = row_errors(Yt, D, S, score_kind=predictor.score_kind)
    worst = _worst_rows(texts, Yt, D, S, names, loss, n_worst)
    rule = _rule(predictor, threshold, top_k)
    result = ModelEvaluation(metrics=metrics, report=report, worst=worst, label_names=names,
                             Y_true=Yt, Y_pred=D, scores=S, score_kind=predictor.score_kind,
                             thresholds=thr, threshold_units=units, row_loss=loss, rule=rule)
    return result


def _check_count(value, name, minimum):
    if (not isinstance(value, numbers.Integral) or isinstance(value, bool)
            or value < minimum):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")


def _check_threshold(threshold, score_kind):
    if threshold is None:
        return
    ok = (isinstance(threshold, numbers.Real) and not isinstance(threshold, bool)
          and np.isfinite(threshold))
    if ok and score_kind == "probability":
        ok = 0 <= threshold <= 1
    if not ok:
        expected = ("a probability in [0, 1]" if score_kind == "probability" else
                    "a finite number (in the units of the model's decision_function)")
        raise ValueError(f"threshold must be {expected}; got {threshold!r}.")


def _aligned_labels(Y, names, n_samples):
    """``Y`` as a dense 0/1 matrix in the model's column order ``names``."""
    if is_dataframe(Y):
        Yc, given = check_label_matrix(Y, n_samples=n_samples, accept_sparse=False)
        given = [str(n) for n in given]
        missing = [n for n in names if n not in given]
        if missing:
            raise ValueError(
                f"Y's columns {_few(given)} lack the model's label(s) {_few(missing)}; give "
                "one 0/1 column per label of the model (label_names= names the model's "
                "labels when its classes_ are 0, 1, ...).")
        extra = [n for n in given if n not in names]
        if extra:
            raise ValueError(f"Y has column(s) {_few(extra)} that are not labels of the model "
                             f"({_few(names)}); drop them.")
        return np.ascontiguousarray(Yc[:, [given.index(n) for n in names]])
    try:
        Yc, _ = check_label_matrix(Y, label_names=names, n_samples=n_samples,
                                   accept_sparse=False)
    except ValueError as exc:
        hint = (" The model knows its labels only by position: pass label_names=[...] to name "
                "them." if names == [str(j) for j in range(len(names))] else "")
        raise ValueError(f"Y does not fit the model's {len(names)} labels ({_few(names)}): "
                         f"{exc}{hint}") from None
    return Yc


def _label_subset(labels, names):
    if isinstance(labels, str):
        raise TypeError(f"labels must be a list of label names; got the string {labels!r}.")
    labels = [str(n) for n in labels]
    unknown = [n for n in labels if n not in names]
    if unknown or not labels:
        raise ValueError(f"labels must name some of the model's labels ({_few(names)}); got "
                         f"{_few(unknown) if unknown else 'none'}.")
    return [names.index(n) for n in dict.fromkeys(labels)]


def _few(values, limit=8):
    values = [str(v) for v in values]
    return ", ".join(values[:limit]) + (f", ... ({len(values)} in all)"
                                        if len(values) > limit else "")


def _predict(predictor, texts, threshold, top_k, verbose):
    bar = progress_bar(show_progress(verbose, len(texts)), total=len(texts),
                       desc="Evaluating", unit="text", purpose="evaluate_model(verbose=...)")
    D, S = [], []
    try:
        for start in range(0, len(texts), _BATCH):
            batch = texts[start:start + _BATCH]
            d, s = predictor.predict(batch, threshold=threshold, top_k=top_k)
            D.append(d)
            S.append(s)
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    return np.vstack(D), np.vstack(S)


def _shown_thresholds(predictor, threshold, top_k):
    """The per-label thresholds of the decisions, and their units, for the report."""
    n = len(predictor.label_names)
    if threshold is not None:
        return np.full(n, float(threshold)), predictor.score_kind
    if top_k is not None:
        return None, None
    tuner = find_threshold_tuner(predictor.estimator)
    if tuner is None or getattr(tuner, "thresholds_", None) is None:
        return None, None
    proba = getattr(tuner, "proba_thresholds_", None)
    if proba is not None:
        return np.asarray(proba, dtype=float), "probability"
    return np.asarray(tuner.thresholds_, dtype=float), tuner.response_method_


def _rule(predictor, threshold, top_k):
    if threshold is None and top_k is None:
        tuner = find_threshold_tuner(predictor.estimator)
        if tuner is not None and getattr(tuner, "thresholds_", None) is not None:
            return ("the model's tuned per-label thresholds" if tuner.strategy == "per_label"
                    else "the model's tuned threshold")
        return "the model's own decisions"
    if threshold is not None and top_k is not None:
        return f"labels scored above {threshold:g}, at most {top_k} per row"
    if threshold is not None:
        return f"labels scored above {threshold:g}"
    return f"the {top_k} best-scored labels of each row"


def _worst_rows(texts, Y, D, S, names, loss, n_worst):
    wrong = (Y != D).any(axis=1)
    order = [int(i) for i in np.argsort(-loss, kind="stable") if wrong[i]][:n_worst]
    rows = []
    for i in order:
        true = [names[j] for j in np.flatnonzero(Y[i])]
        pred = [names[j] for j in np.flatnonzero(D[i])]
        shown = sorted(set(np.flatnonzero(Y[i])) | set(np.flatnonzero(D[i])))
        rows.append({
            "row": i, "text": texts[i], "true": true, "predicted": pred,
            "missed": [n for n in true if n not in pred],
            "extra": [n for n in pred if n not in true],
            "loss": float(loss[i]),
            "scores": {names[j]: float(S[i, j]) for j in shown},
        })
    return rows
