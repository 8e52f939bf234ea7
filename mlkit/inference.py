"""Predictions of a fitted model as every client needs them: decisions and scores.

:class:`Predictor` is the one way the command line (``mlkit predict`` /
``evaluate``), the HTTP server, the HTML report and the demo turn texts into
decisions and scores. It never re-implements a model's decision rule: scores
come from :func:`mlkit.base.label_scores` (one documented priority:
``predict_proba``, then ``decision_function``), tuned decisions and
probabilities from the public methods of the model's
:class:`~mlkit.ThresholdTuner` (:meth:`~mlkit.ThresholdTuner.predict_with_proba`),
and a pipeline's featurizers run once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import label_scores, resolve_response_method
from .thresholds import ThresholdTuner, apply_thresholds, top_k_decisions

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Predictor", "find_threshold_tuner", "ranked_labels"]


def find_threshold_tuner(estimator: Any) -> ThresholdTuner | None:
    """The :class:`~mlkit.ThresholdTuner` that makes ``estimator``'s decisions, or None.

    That is the estimator itself or the last step of a (nested) Pipeline.

    Parameters
    ----------
    estimator : estimator object
        A ThresholdTuner or a (nested) Pipeline ending in one.

    Returns
    -------
    tuner : ThresholdTuner or None
    """
    while True:
        if isinstance(estimator, ThresholdTuner):
            return estimator
        steps = getattr(estimator, "steps", None)
        if not steps:
            return None
        estimator = steps[-1][1]


def ranked_labels(decisions: ArrayLike, scores: ArrayLike) -> NDArray[np.intp]:
    """Column indices of the predicted labels of one row, best-scored first.

    Parameters
    ----------
    decisions : array-like of shape (n_labels,)
    scores : array-like of shape (n_labels,)

    Returns
    -------
    indices : ndarray of int
    """
    idx = np.flatnonzero(decisions)
    return idx[np.argsort(-np.asarray(scores)[idx], kind="stable")]


class Predictor:
    """Scores and decisions of a fitted estimator, featurizing each batch once.

    Shared by the HTTP server, ``mlkit predict`` / ``evaluate``, the HTML
    report and the demo, so that they give the same answer as the Python
    object for the same texts.

    Parameters
    ----------
    estimator : fitted estimator
        A multi-label estimator or a Pipeline ending in one.
    label_names : sequence of str, default=None
        ``estimator.classes_`` when None.

    Attributes
    ----------
    label_names : list of str
    score_kind : {"probability", "decision"}
        ``"probability"`` when the estimator has ``predict_proba`` (the
        scores returned are probabilities and ``threshold`` is a
        probability), ``"decision"`` otherwise.
    """

    def __init__(self, estimator: Any, label_names: Sequence[str] | None = None) -> None:
        self.estimator = estimator
        names = label_names if label_names is not None else getattr(estimator, "classes_", None)
        if names is None:
            raise ValueError(
                f"{type(estimator).__name__} has no classes_; pass label_names to name the "
                "labels."
            )
        self.label_names = [str(n) for n in names]
        steps = getattr(estimator, "steps", None)
        if steps and len(steps) > 1:
            self._transformers = [step for _, step in steps[:-1]
                                  if step not in (None, "passthrough")]
            self._final = steps[-1][1]
        else:
            self._transformers = []
            self._final = estimator
        try:
            self._method = resolve_response_method(self._final)
        except TypeError as exc:
            raise TypeError(f"{exc} A model used for predictions must give scores.") from None
        self.score_kind = "probability" if self._method == "predict_proba" else "decision"

    def describe_rule(self, threshold: float | None = None, top_k: int | None = None) -> str:
        """A short description of the decision rule (for responses and output files).

        Parameters
        ----------
        threshold : float, default=None
        top_k : int, default=None

        Returns
        -------
        rule : str
        """
        if threshold is None and top_k is None:
            return "model"
        parts = []
        if threshold is not None:
            parts.append(f"threshold={threshold:g}")
        if top_k is not None:
            parts.append(f"top_k={top_k}")
        return ",".join(parts)

    def featurize(self, texts: Sequence[str]) -> Any:
        """The input of the final step: ``texts`` through the pipeline's transformers.

        Parameters
        ----------
        texts : list of str

        Returns
        -------
        X : array-like or sparse matrix
        """
        X = texts
        for step in self._transformers:
            X = step.transform(X)
        return X

    def predict(
        self, texts: Sequence[str], *, threshold: float | None = None, top_k: int | None = None,
        sparse: bool = False,
    ) -> tuple[Any, NDArray[np.float64]]:
        """Decisions and scores for a batch of texts.

        Parameters
        ----------
        texts : list of str
        threshold : float, default=None
            One threshold for every label, in the units of the scores
            (probabilities unless ``score_kind == "decision"``), replacing
            the model's own rule.
        top_k : int, default=None
            Keep the ``top_k`` best-scored labels of each row (above
            ``threshold`` when it is given too).
        sparse : bool, default=False
            Return the decisions as a ``scipy.sparse.csr_matrix`` (for very
            large label sets: the decisions of many batches can be stacked
            with ``scipy.sparse.vstack`` in memory proportional to the labels
            set, not to rows times labels). One batch's scores are dense:
            memory per call is bounded by ``len(texts)`` times the labels.

        Returns
        -------
        decisions : ndarray or csr_matrix of shape (n_texts, n_labels) of int
            The model's own decisions (``estimator.predict``) when neither
            ``threshold`` nor ``top_k`` is given.
        scores : ndarray of shape (n_texts, n_labels) of float
            ``predict_proba`` when the model has it, else ``decision_function``.
        """
        X = self.featurize(texts)
        D = None
        if isinstance(self._final, ThresholdTuner) and self.score_kind == "probability":
            # one scoring pass gives the tuned decisions and the probabilities
            D, S = self._final.predict_with_proba(X)
        else:
            S, _ = label_scores(self._final, X, self._method)
        if threshold is None and top_k is None:
            if D is None:
                D = np.asarray(self._final.predict(X))
                if hasattr(D, "toarray"):
                    D = D.toarray()
        elif threshold is None:
            D = top_k_decisions(S, top_k)
        else:
            D = apply_thresholds(S, threshold, top_k=top_k)
        D = np.asarray(D)
        if D.shape != S.shape or S.shape[1] != len(self.label_names):
            raise ValueError(
                f"The model returned decisions of shape {D.shape} and scores of shape {S.shape} "
                f"for {len(texts)} texts and {len(self.label_names)} labels."
            )
        if sparse:
            from scipy.sparse import csr_matrix

            return csr_matrix(D, dtype=np.int64), S
        return D.astype(np.int64), S
