"""Out-of-fold probabilities for the audit, through :class:`~mlkit.ThresholdTuner`.

Every estimator is run as a :class:`~mlkit.ThresholdTuner` over the audit's own
multi-label stratified folds: the tuner already computes the held-out scores
(``oof_scores_``), the per-label thresholds chosen on them, the Platt
calibration that turns decision values into probabilities, and the model
refitted on all rows (used for the train-vs-held-out gap). Nothing of that is
rewritten here.
"""

import logging
import numbers
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, check_random_state

from .._factory import make_classifier
from ..base import resolve_response_method
from ..model_selection import MultilabelStratifiedKFold
from ..thresholds import SigmoidCalibrator, ThresholdTuner

__all__ = ["check_cv_folds", "check_oof_proba", "out_of_fold", "precomputed_out_of_fold"]

logger = logging.getLogger(__name__)

# probabilities are kept away from exactly 0 and 1 so that their logits are finite
_EPS = 1e-6


def check_cv_folds(cv, Y):
    """Validate ``cv`` (an int number of folds) against the label matrix ``Y``."""
    if isinstance(cv, bool) or not isinstance(cv, numbers.Integral):
        raise TypeError(
            f"cv must be an int number of cross-validation folds (e.g. cv=5); got "
            f"{type(cv).__name__} {cv!r}."
        )
    n = Y.shape[0]
    if cv < 2:
        raise ValueError(
            f"cv={cv}: the audit needs at least 2 folds to score every row out of fold; use "
            "cv=5 (the default) or cv=3 for small data."
        )
    if cv > n:
        raise ValueError(
            f"cv={cv} is larger than the number of rows ({n}): every fold needs at least one "
            f"row. Use cv={min(5, n)} or fewer, or audit more data."
        )
    if n < 2 * cv:
        raise ValueError(
            f"cv={cv} leaves fewer than 2 rows per fold with {n} rows; an out-of-fold audit "
            f"needs more data. Use cv=2 or audit at least {2 * cv} rows."
        )
    return int(cv)


def _resolve(estimator, random_state):
    """Split ``estimator`` into (featurizer steps fitted once, tuner to cross-validate)."""
    if estimator is None:
        estimator = make_classifier("tfidf", random_state=random_state)
    if isinstance(estimator, str):
        estimator = make_classifier(estimator, random_state=random_state)
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params")):
        raise TypeError(
            "estimator must be a scikit-learn compatible multi-label estimator (with fit and "
            "predict_proba or decision_function), a make_classifier kind such as 'tfidf', or "
            f"None for make_classifier('tfidf'); got {type(estimator).__name__}."
        )
    if isinstance(estimator, Pipeline) and isinstance(estimator.steps[-1][1], ThresholdTuner):
        prefix = [(name, clone(step)) for name, step in estimator.steps[:-1]
                  if step is not None and step != "passthrough"]
        return prefix, clone(estimator.steps[-1][1]), estimator.steps[-1][0]
    if isinstance(estimator, ThresholdTuner):
        return [], clone(estimator), None
    try:
        resolve_response_method(estimator)
    except TypeError:
        raise TypeError(
            f"{type(estimator).__name__} has neither predict_proba nor decision_function; the "
            "audit needs per-label scores."
        ) from None
    return [], ThresholdTuner(clone(estimator)), None


def _folds(Y, cv, random_state):
    """The audit's multi-label stratified folds: (list of (train, test), fold of each row)."""
    rng = check_random_state(random_state)
    splitter = MultilabelStratifiedKFold(n_splits=cv, shuffle=True,
                                         random_state=rng.randint(2**31 - 1))
    splits = list(splitter.split(np.zeros((Y.shape[0], 1)), Y))
    fold = np.empty(Y.shape[0], dtype=np.int64)
    for k, (_, test) in enumerate(splits):
        fold[test] = k
    return splits, fold


def _log(verbose, message, *, to=None):
    """Progress notes go to a ``mlkit.insights`` logger, this module's or ``to`` (INFO when
    ``verbose``, else DEBUG); the visible progress is the threshold tuner's bar."""
    (to or logger).log(logging.INFO if verbose else logging.DEBUG, message)


def out_of_fold(estimator, texts, Y, *, cv=5, random_state=0, n_jobs=None, verbose=False):
    """Out-of-fold probabilities, thresholds and train scores of ``estimator``.

    Parameters
    ----------
    estimator : estimator, str or None
        See :func:`mlkit.insights.audit`.
    texts : list of str
    Y : ndarray of shape (n_samples, n_labels)
        Dense 0/1 labels.
    cv : int
    random_state : int or None
        Seeds the folds (and the default model).
    n_jobs : int or None
        Folds fitted in parallel.
    verbose : bool

    Returns
    -------
    result : Bunch
        ``proba`` (held-out probabilities), ``scores`` (held-out scores in the
        estimator's units), ``thresholds`` (per label, score units),
        ``thresholds_proba`` (the same in probability units), ``train_scores``
        and ``train_pred`` (of the model refitted on all rows), ``oof_pred``
        (held-out decisions), ``fold`` (the fold of each row),
        ``response_method``, ``at_least_one`` and ``model`` (the fitted model).
    """
    prefix, tuner, tuner_name = _resolve(estimator, random_state)
    splits, fold = _folds(Y, cv, random_state)
    t0 = time.perf_counter()
    X = texts
    fitted_prefix = []
    if prefix:
        features = Pipeline(prefix)
        X = features.fit_transform(texts, Y)
        fitted_prefix = list(features.steps)
        _log(verbose, f"features fitted once on all {len(texts)} rows "
                      f"({time.perf_counter() - t0:.1f} s)")
    if tuner.response_method == "auto":
        # probabilities when the model has them (the audit's scores are probabilities)
        tuner.set_params(response_method=resolve_response_method(tuner.estimator))
    tuner.set_params(cv=splits, n_jobs=n_jobs, verbose=verbose)
    if isinstance(tuner.refit, str):  # "auto" / "average": the audit's model is refitted
        tuner.set_params(refit=True)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        # labels without a positive (or a negative) row: reported by the label health table
        warnings.filterwarnings("ignore", message=".*single class in the training data.*")
        tuner.fit(X, Y)
    _log(verbose, f"{cv}-fold out-of-fold scores and the refit on all rows "
                  f"({time.perf_counter() - t1:.1f} s)")
    scores = np.asarray(tuner.oof_scores_, dtype=np.float64)
    if scores.shape != Y.shape:
        raise ValueError(
            f"The estimator's out-of-fold scores have shape {scores.shape} but the labels have "
            f"shape {Y.shape}; the estimator must return one score column per label."
        )
    thresholds = np.asarray(tuner.thresholds_, dtype=np.float64)
    method = tuner.response_method_
    if tuner.proba_thresholds_ is not None:
        proba = tuner.calibrate(scores)
        thresholds_proba = tuner.proba_thresholds_
    else:
        # decision values of a model with its own predict_proba: the audit calibrates the
        # held-out decision values itself, so that scores and thresholds share one scale
        calibrator = SigmoidCalibrator().fit(scores, Y)
        proba = calibrator.predict(scores)
        thresholds_proba = calibrator.predict(thresholds[None, :])[0]
    proba = np.clip(proba, 0.0, 1.0)
    train_scores = tuner.tuned_scores(X)
    at_least_one = bool(tuner.at_least_one_)
    oof_pred = tuner.decide(scores)
    train_pred = tuner.decide(train_scores)
    if fitted_prefix:
        model = Pipeline([*fitted_prefix, (tuner_name, tuner)])
    else:
        model = tuner
    return Bunch(proba=proba, scores=scores, thresholds=thresholds,
                 thresholds_proba=np.clip(thresholds_proba, 0.0, 1.0),
                 train_scores=train_scores, train_pred=train_pred, oof_pred=oof_pred,
                 fold=fold, response_method=method, at_least_one=at_least_one, model=model,
                 classes=getattr(tuner, "classes_", None))


def _proba_columns(frame, names):
    """The columns of a DataFrame ``oof_proba`` in label order (matched by name)."""
    columns = [str(c) for c in frame.columns]
    default = [str(j) for j in range(len(columns))]
    if columns == default or columns == [str(n) for n in names]:
        return frame.to_numpy()
    missing = [n for n in names if n not in set(columns)]
    unknown = [c for c in columns if c not in set(map(str, names))]
    if missing or unknown:
        raise ValueError(
            "The columns of oof_proba do not match the label names: "
            + (f"missing {missing[:5]}{' ...' if len(missing) > 5 else ''}" if missing else "")
            + ("; " if missing and unknown else "")
            + (f"unknown {unknown[:5]}{' ...' if len(unknown) > 5 else ''}" if unknown else "")
            + ". Name the columns after the labels (any order), or pass a plain array in "
            "label order."
            + (" An unnamed first column is usually a saved index: write the table with "
               "to_csv(index=False)." if any(c in ("", "Unnamed: 0", "index") for c in unknown)
               else "")
        )
    return frame[[frame.columns[columns.index(str(n))] for n in names]].to_numpy()


def check_oof_proba(oof_proba, Y, names):
    """Validate precomputed out-of-fold probabilities against the labels ``Y`` (n, L).

    Accepts an array, a sparse matrix, a DataFrame (columns matched to
    ``names`` when they carry label names) or scikit-learn's list of
    ``(n, 2)`` per-label arrays; returns a float64 array of shape ``Y.shape``.
    """
    n, L = Y.shape
    if sp.issparse(oof_proba):
        oof_proba = oof_proba.toarray()
    if hasattr(oof_proba, "columns") and hasattr(oof_proba, "to_numpy"):
        oof_proba = _proba_columns(oof_proba, [str(x) for x in names])
    elif (isinstance(oof_proba, list) and oof_proba
          and all(getattr(a, "ndim", 0) == 2 and a.shape[1] == 2 for a in oof_proba)):
        # scikit-learn's multi-output predict_proba: one (n, 2) array per label
        oof_proba = np.column_stack([np.asarray(a)[:, 1] for a in oof_proba])
    try:
        P = np.array(oof_proba, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"oof_proba must be a numeric array of shape (n_rows, n_labels) = ({n}, {L}); got "
            f"{type(oof_proba).__name__} that is not numeric."
        ) from None
    if P.ndim == 1 and L == 1:
        P = P.reshape(-1, 1)
    if P.ndim != 2:
        raise ValueError(
            f"oof_proba must be 2-D, one row per text and one column per label ({n}, {L}); got "
            f"{P.ndim} dimension(s) with shape {P.shape}."
        )
    if P.shape[0] != n:
        raise ValueError(
            f"oof_proba has {P.shape[0]} rows but there are {n} texts; pass one row of "
            "probabilities per text, in the same order."
        )
    if P.shape[1] != L:
        raise ValueError(
            f"oof_proba has {P.shape[1]} columns but Y has {L} labels; pass one probability "
            "column per label, in the order of Y's columns (or a DataFrame whose columns are "
            "the label names)."
        )
    bad = ~np.isfinite(P)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"oof_proba has {int(bad.sum())} missing or infinite value(s) (first at row {i}, "
            f"label {names[j]!r}); every cell needs a probability in [0, 1]."
        )
    lo, hi = float(P.min()), float(P.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"oof_proba must hold probabilities in [0, 1]; its values range from {lo:.4g} to "
            f"{hi:.4g}, which looks like decision scores (decision_function values or logits). "
            "Pass predict_proba outputs, or convert the scores first (scipy.special.expit for "
            "logits, or calibrate them)."
        )
    if np.isin(P, (0.0, 1.0)).all():
        raise ValueError(
            "oof_proba holds only 0 and 1: those are predicted labels, not probabilities. The "
            "audit ranks cells by how confident the model is; pass predict_proba outputs."
        )
    return P


class _HeldOutProba(BaseEstimator):
    """A "fitted" estimator whose ``predict_proba`` returns given held-out probabilities,
    for the rows whose positions it is passed (as a column ``X``): lets a
    ``ThresholdTuner(cv="prefit")`` choose the thresholds on probabilities computed
    elsewhere with its own rules, never a copy of them."""

    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X=None, y=None):
        self.proba_ = np.asarray(self.proba, dtype=np.float64)
        return self

    def predict_proba(self, X):
        return self.proba_[np.asarray(X, dtype=np.int64).ravel()]


def _proba_thresholds(proba, Y):
    """(per-label thresholds, at-least-one choice, decisions) of a default
    :class:`ThresholdTuner` tuned on the given probabilities."""
    tuner = ThresholdTuner(_HeldOutProba(proba).fit(), cv="prefit",
                           response_method="predict_proba")
    rows = np.arange(Y.shape[0]).reshape(-1, 1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*single class in the training data.*")
        tuner.fit(rows, Y)
    thresholds = np.asarray(tuner.thresholds_, dtype=np.float64)
    return thresholds, bool(tuner.at_least_one_), tuner.decide(proba)


def precomputed_out_of_fold(proba, Y, *, cv=5, random_state=0):
    """The :func:`out_of_fold` result for probabilities computed elsewhere.

    Nothing is fitted but the thresholds (chosen on ``proba`` by a default
    :class:`~mlkit.ThresholdTuner`, ``cv="prefit"``) and the folds (the context model
    of the scoring is cross-fitted on them). There is no refitted model:
    ``model``, ``train_scores`` and ``train_pred`` are None.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_labels)
        Validated out-of-fold probabilities (:func:`check_oof_proba`).
    Y : ndarray of shape (n_samples, n_labels)
    cv : int
    random_state : int or None

    Returns
    -------
    result : Bunch
        As :func:`out_of_fold`.
    """
    _, fold = _folds(Y, cv, random_state)
    thresholds, at_least_one, oof_pred = _proba_thresholds(proba, Y)
    return Bunch(proba=proba, scores=proba, thresholds=thresholds,
                 thresholds_proba=thresholds, train_scores=None, train_pred=None,
                 oof_pred=oof_pred, fold=fold, response_method="precomputed", at_least_one=at_least_one,
                 model=None, classes=None)
