"""Decision thresholds for multi-label scores.

Thresholding lives here and only here: estimators expose scores
(``predict_proba`` or ``decision_function``), and the functions below or the
:class:`ThresholdTuner` meta-estimator turn them into 0/1 decisions.

The functions work on any ``(n_samples, n_labels)`` score matrix, so they are
usable by anyone holding scores, from mlkit or elsewhere:

* :func:`f1_optimal_thresholds` - the threshold that maximizes each label's
  F-beta on held-out scores, with a fallback for labels too rare to tune and
  shrinkage of the rest toward a shared threshold;
* :func:`global_threshold` - one threshold for all labels, maximizing micro-,
  macro- or samples-F1;
* :func:`apply_thresholds` - scores to decisions, with the optional
  "at least one label per row" and top-k rules;
* :func:`top_k_decisions` - the ``k`` best-scored labels of each row.
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._labels import check_label_matrix
from ._outputs import dense_label_scores
from .transforms._base import MultiLabelClassifierMixin

__all__ = [
    "ThresholdTuner",
    "apply_thresholds",
    "f1_optimal_thresholds",
    "global_threshold",
    "top_k_decisions",
]

_METRICS = ("f1_macro", "f1_micro", "f1_samples")
_STRATEGIES = ("per_label", "global")


def _as_scores(y_score, name="y_score"):
    if sp.issparse(y_score):
        y_score = y_score.toarray()
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_score.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_labels); got an array of shape {y_score.shape}."
        )
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{name} contains NaN or infinity; scores must be finite numbers.")
    return y_score


def _check_scores_and_labels(y_true, y_score):
    Y, _ = check_label_matrix(y_true, accept_sparse=False)
    S = _as_scores(y_score)
    if S.shape != Y.shape:
        raise ValueError(
            f"y_true has shape {Y.shape} but y_score has shape {S.shape}; they need one row "
            "per sample and one column per label, in the same order."
        )
    return Y, S


def _cut_between(s_desc, k):
    """Threshold placing exactly the first ``k`` of the descending scores above it."""
    n = len(s_desc)
    if k <= 0:
        return s_desc[0] + max(1.0, abs(s_desc[0])) * 1e-6 if n else 0.0
    if k >= n:
        return s_desc[-1] - max(1.0, abs(s_desc[-1])) * 1e-6
    return 0.5 * (s_desc[k - 1] + s_desc[k])


def _best_fbeta_cut(y, s, beta, prior_weight=0.0, prior_cut=None):
    """Best F-beta threshold for one label.

    Returns (threshold, best F-beta, number of positives). Only cuts between
    distinct scores are considered, so tied scores are never split.
    """
    order = np.argsort(-s, kind="stable")
    s_desc = s[order]
    y_desc = y[order]
    n_pos = int(y_desc.sum())
    if n_pos == 0:
        return np.nan, 0.0, 0
    tp = np.cumsum(y_desc)
    k = np.arange(1, len(s) + 1)
    b2 = beta * beta
    f = (1 + b2) * tp / (b2 * n_pos + k)
    # valid cuts: after position k-1 where the next score is strictly smaller
    valid = np.ones(len(s), dtype=bool)
    valid[:-1] = s_desc[:-1] > s_desc[1:]
    f_valid = np.where(valid, f, -1.0)
    best = int(np.argmax(f_valid))
    return _cut_between(s_desc, best + 1), float(f_valid[best]), n_pos


def f1_optimal_thresholds(y_true, y_score, *, beta=1.0, min_positives=2, shrinkage=0.0,
                          min_f1=0.0, fallback=None):
    """Per-label thresholds that maximize F-beta on held-out scores.

    For each label the scores are sorted and every cut between two distinct
    scores is evaluated; the threshold is placed halfway between the two
    scores around the best cut. Labels with fewer than ``min_positives``
    positive examples are too rare for a stable estimate, and labels whose
    best held-out F-beta is below ``min_f1`` would need a threshold so low
    that it floods the predictions (a lone positive ranked in the thousands):
    both get ``fallback``. The others are shrunk toward it:
    ``t = (n_pos * t_label + shrinkage * fallback) / (n_pos + shrinkage)``.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
        True labels (0/1), ideally out-of-fold relative to ``y_score``.
    y_score : array-like of shape (n_samples, n_labels)
        Scores; higher means more likely (probabilities or decision values).
    beta : float, default=1.0
        Weight of recall relative to precision.
    min_positives : int, default=2
        Labels with fewer positives use ``fallback``.
    shrinkage : float, default=0.0
        Pseudo-count of positives pulling each label's threshold toward
        ``fallback``; 0 disables shrinkage.
    min_f1 : float, default=0.0
        Labels whose best held-out F-beta is below this use ``fallback``
        (the "SCutFBR" rule of Yang, 2001, with the fallback as the
        conservative threshold).
    fallback : float or None, default=None
        Threshold for rare labels and target of the shrinkage. None uses
        :func:`global_threshold` on the same scores (micro-F1).

    Returns
    -------
    thresholds : ndarray of shape (n_labels,)

    Examples
    --------
    >>> import numpy as np
    >>> from mlkit.thresholds import f1_optimal_thresholds
    >>> y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    >>> s = np.array([[0.9, 0.1], [0.6, 0.2], [0.4, 0.7], [0.1, 0.3]])
    >>> f1_optimal_thresholds(y, s, min_positives=1)
    array([0.5, 0.5])
    """
    return _f1_optimal_thresholds(y_true, y_score, beta=beta, min_positives=min_positives,
                                  shrinkage=shrinkage, min_f1=min_f1, fallback=fallback)[0]


def _f1_optimal_thresholds(y_true, y_score, *, beta, min_positives, shrinkage, min_f1,
                           fallback):
    """:func:`f1_optimal_thresholds` plus the mask of labels that were tuned."""
    Y, S = _check_scores_and_labels(y_true, y_score)
    _check_nonneg(min_positives, "min_positives")
    _check_nonneg(shrinkage, "shrinkage")
    _check_nonneg(min_f1, "min_f1")
    if fallback is None:
        fallback = global_threshold(Y, S, metric="f1_micro", beta=beta)
    fallback = float(fallback)
    thresholds = np.full(Y.shape[1], fallback)
    tuned = np.zeros(Y.shape[1], dtype=bool)
    for j in range(Y.shape[1]):
        t, best, n_pos = _best_fbeta_cut(Y[:, j], S[:, j], beta)
        if n_pos == 0 or n_pos < min_positives or best < min_f1 or not np.isfinite(t):
            continue
        thresholds[j] = (n_pos * t + shrinkage * fallback) / (n_pos + shrinkage)
        tuned[j] = True
    return thresholds, tuned


def _check_nonneg(value, name):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative number; got {value!r}.")


def _fbeta_counts(tp, fp, fn, beta):
    b2 = beta * beta
    denom = (1 + b2) * tp + b2 * fn + fp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (1 + b2) * tp / np.where(denom > 0, denom, 1), 0.0)


def _decisions_metric(Y, D, metric, beta=1.0):
    tp = (Y & D).sum(axis=0).astype(float)
    fp = ((1 - Y) & D).sum(axis=0).astype(float)
    fn = (Y & (1 - D)).sum(axis=0).astype(float)
    if metric == "f1_micro":
        return float(_fbeta_counts(tp.sum(), fp.sum(), fn.sum(), beta))
    if metric == "f1_macro":
        return float(np.mean(_fbeta_counts(tp, fp, fn, beta)))
    tp_r = (Y & D).sum(axis=1).astype(float)
    fp_r = ((1 - Y) & D).sum(axis=1).astype(float)
    fn_r = (Y & (1 - D)).sum(axis=1).astype(float)
    return float(np.mean(_fbeta_counts(tp_r, fp_r, fn_r, beta)))


def _check_metric(metric):
    if metric not in _METRICS:
        raise ValueError(f"metric={metric!r} is not supported; use one of {_METRICS}.")


def global_threshold(y_true, y_score, *, metric="f1_micro", beta=1.0, n_candidates=256):
    """One threshold for every label, chosen to maximize a multi-label F-score.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
    y_score : array-like of shape (n_samples, n_labels)
    metric : {"f1_micro", "f1_macro", "f1_samples"}, default="f1_micro"
    beta : float, default=1.0
    n_candidates : int, default=256
        For ``"f1_macro"`` and ``"f1_samples"``, the number of candidate
        thresholds (score quantiles) tried. ``"f1_micro"`` is solved exactly.

    Returns
    -------
    threshold : float

    Examples
    --------
    >>> import numpy as np
    >>> from mlkit.thresholds import global_threshold
    >>> y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    >>> s = np.array([[0.9, 0.1], [0.6, 0.2], [0.4, 0.7], [0.1, 0.3]])
    >>> float(global_threshold(y, s))
    0.5
    """
    Y, S = _check_scores_and_labels(y_true, y_score)
    _check_metric(metric)
    if Y.sum() == 0:  # nothing to find: predict nothing
        return float(S.max() + max(1.0, abs(S.max())) * 1e-6)
    if metric == "f1_micro":
        t, _, _ = _best_fbeta_cut(Y.ravel(), S.ravel(), beta)
        return float(t)
    flat = np.unique(S.ravel())
    if flat.size > n_candidates:
        flat = np.unique(np.quantile(flat, np.linspace(0, 1, n_candidates)))
    cands = np.concatenate([
        [flat[0] - 1e-6 * max(1, abs(flat[0]))],
        (flat[:-1] + flat[1:]) / 2,
        [flat[-1] + 1e-6 * max(1, abs(flat[-1]))],
    ])
    Yb = Y.astype(bool)
    best_t, best_v = cands[0], -1.0
    for t in cands:
        v = _decisions_metric(Yb, S > t, metric, beta)
        if v > best_v:
            best_t, best_v = t, v
    return float(best_t)


def top_k_decisions(y_score, k):
    """Set the ``k`` highest-scored labels of every row.

    Parameters
    ----------
    y_score : array-like of shape (n_samples, n_labels)
    k : int
        Number of labels per row (capped at ``n_labels``).

    Returns
    -------
    Y : ndarray of shape (n_samples, n_labels) of int

    Examples
    --------
    >>> from mlkit.thresholds import top_k_decisions
    >>> top_k_decisions([[0.1, 0.7, 0.3], [0.5, 0.2, 0.9]], k=1)
    array([[0, 1, 0],
           [0, 0, 1]])
    """
    S = _as_scores(y_score)
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    k = min(int(k), S.shape[1])
    out = np.zeros(S.shape, dtype=np.int64)
    idx = np.argsort(-S, axis=1, kind="stable")[:, :k]
    np.put_along_axis(out, idx, 1, axis=1)
    return out


def apply_thresholds(y_score, thresholds, *, at_least_one=False, top_k=None):
    """Turn scores into 0/1 decisions.

    Parameters
    ----------
    y_score : array-like of shape (n_samples, n_labels)
    thresholds : float or array-like of shape (n_labels,)
        A label is set when its score is strictly above its threshold.
    at_least_one : bool, default=False
        For rows where no score passes, set the label whose score is highest
        relative to its threshold (``score - threshold``).
    top_k : int or None, default=None
        Keep at most ``top_k`` labels per row (those highest above their
        thresholds).

    Returns
    -------
    Y : ndarray of shape (n_samples, n_labels) of int

    Examples
    --------
    >>> from mlkit.thresholds import apply_thresholds
    >>> apply_thresholds([[0.2, 0.4], [0.7, 0.1]], [0.5, 0.5], at_least_one=True)
    array([[0, 1],
           [1, 0]])
    """
    S = _as_scores(y_score)
    t = np.asarray(thresholds, dtype=np.float64)
    if t.ndim == 0:
        t = np.full(S.shape[1], float(t))
    if t.shape != (S.shape[1],):
        raise ValueError(
            f"thresholds has shape {t.shape} but y_score has {S.shape[1]} label columns; give "
            "one threshold per label or a single number."
        )
    margin = S - t
    D = (margin > 0).astype(np.int64)
    if top_k is not None:
        if not isinstance(top_k, numbers.Integral) or isinstance(top_k, bool) or top_k < 1:
            raise ValueError(f"top_k must be a positive integer or None; got {top_k!r}.")
        D &= top_k_decisions(margin, top_k)
    if at_least_one and S.shape[1]:
        empty = D.sum(axis=1) == 0
        if empty.any():
            D[np.flatnonzero(empty), np.argmax(margin[empty], axis=1)] = 1
    return D


def _platt_fit(Y, S, max_iter=100):
    """One sigmoid per label, ``P = 1 / (1 + exp(-(a * z + b)))`` on standardized scores.

    Platt (1999) with his smoothed targets, solved for all labels at once by
    Newton's method with step halving. Returns an array of shape (n_labels, 4):
    a, b, and the mean and scale used to standardize the scores.
    """
    Y = np.asarray(Y, dtype=np.float64)
    S = np.asarray(S, dtype=np.float64)
    n, L = S.shape
    mu = S.mean(axis=0)
    sd = S.std(axis=0)
    sd[sd == 0] = 1.0
    Z = (S - mu) / sd
    n_pos = Y.sum(axis=0)
    T = np.where(Y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n - n_pos + 2))
    a = np.ones(L)
    b = np.log((n_pos + 1) / (n - n_pos + 1))

    def loss(a, b):
        F = Z * a + b
        return (np.logaddexp(0, F) - T * F).sum(axis=0)

    current = loss(a, b)
    for _ in range(max_iter):
        F = Z * a + b
        P = 0.5 * (1 + np.tanh(0.5 * F))
        G = P - T
        W = P * (1 - P) + 1e-12
        ga, gb = (G * Z).sum(axis=0), G.sum(axis=0)
        haa, hab, hbb = (W * Z * Z).sum(axis=0) + 1e-9, (W * Z).sum(axis=0), W.sum(axis=0) + 1e-9
        det = haa * hbb - hab * hab
        da = -(hbb * ga - hab * gb) / det
        db = -(haa * gb - hab * ga) / det
        step = np.ones(L)
        for _ in range(30):
            new = loss(a + step * da, b + step * db)
            bad = new > current + 1e-12
            if not bad.any():
                break
            step[bad] *= 0.5
        a, b = a + step * da, b + step * db
        improvement = current - new
        current = np.minimum(current, new)
        if np.all(np.abs(improvement) < 1e-10 * (1 + np.abs(current))):
            break
    # a decreasing sigmoid means the scores carry no usable signal for that label
    # (e.g. too few positives): predict its smoothed base rate instead
    flat = a < 0
    a[flat] = 0.0
    b[flat] = np.log((n_pos[flat] + 1) / (n - n_pos[flat] + 1))
    return np.column_stack([a, b, mu, sd])


def _platt_transform(S, calibration):
    a, b, mu, sd = calibration.T
    F = (np.asarray(S, dtype=np.float64) - mu) / sd * a + b
    return 0.5 * (1 + np.tanh(0.5 * F))


# --------------------------------------------------------------------------
# The meta-estimator
# --------------------------------------------------------------------------


def _has_method(estimator, name):
    """Whether ``estimator`` offers ``name``; looks inside scikit-multilearn wrappers,
    whose ``predict_proba`` exists whatever their base classifier offers."""
    if not hasattr(estimator, name):
        return False
    module = type(estimator).__module__ or ""
    inner = getattr(estimator, "classifier", None)
    if module.startswith("skmultilearn") and inner is not None:
        inner_name = "predict_proba" if name == "predict_proba" else name
        return hasattr(inner, inner_name)
    return True


def _response_method(estimator, response_method):
    if response_method == "auto":
        for name in ("decision_function", "predict_proba"):
            if _has_method(estimator, name):
                return name
        raise TypeError(
            f"{type(estimator).__name__} has neither decision_function nor predict_proba; "
            "ThresholdTuner needs scores to threshold."
        )
    if response_method not in ("decision_function", "predict_proba"):
        raise ValueError(
            f"response_method={response_method!r} is not supported; use 'auto', "
            "'decision_function' or 'predict_proba'."
        )
    if not _has_method(estimator, response_method):
        raise TypeError(
            f"{type(estimator).__name__} has no {response_method}; choose "
            "response_method='auto' or another estimator."
        )
    return response_method


def _scores(estimator, X, method):
    return dense_label_scores(getattr(estimator, method)(X), estimator)


def _fit_fold(estimator, X, Y, train, test, method, fit_params, keep=False):
    est = clone(estimator)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*single class in the training data.*")
        est.fit(_take(X, train), _take(Y, train), **fit_params)
    return test, _scores(est, _take(X, test), method), (est if keep else None)


def _take(X, idx):
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if sp.issparse(X) or isinstance(X, np.ndarray):
        return X[idx]
    return [X[i] for i in idx]


def _n_samples(X):
    if hasattr(X, "shape"):
        return X.shape[0]
    try:
        return len(X)
    except TypeError:
        return np.asarray(X).shape[0]


def _indexable(X):
    """Make ``X`` row-indexable without changing its kind (texts stay a list)."""
    if sp.issparse(X):
        return X.tocsr()
    if hasattr(X, "iloc") or isinstance(X, (list, tuple, np.ndarray)):
        return X
    if hasattr(X, "__array__"):
        return np.asarray(X)
    return list(X)


class ThresholdTuner(MultiLabelClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Learn decision thresholds for a multi-label estimator from held-out scores.

    ``fit`` computes out-of-fold scores with multi-label stratified folds,
    chooses thresholds on them, then refits ``estimator`` on all the data
    (unless ``refit=False``). ``predict`` applies the thresholds to the fitted
    estimator's scores.

    Parameters
    ----------
    estimator : estimator object
        A multi-label estimator with ``decision_function`` or
        ``predict_proba`` returning ``(n_samples, n_labels)`` scores
        (sparse outputs and scikit-learn's lists of ``(n, 2)`` arrays are
        accepted too).
    strategy : {"per_label", "global"}, default="per_label"
        ``"per_label"`` tunes one threshold per label
        (:func:`f1_optimal_thresholds`), falling back to the global threshold
        for labels with fewer than ``min_positives`` positives and shrinking
        the others toward it by ``shrinkage``. ``"global"`` tunes one
        threshold shared by all labels (:func:`global_threshold`).
    metric : {"f1_macro", "f1_micro", "f1_samples"}, default="f1_macro"
        What the global threshold and the ``at_least_one="auto"`` choice
        maximize. Per-label thresholds always maximize each label's F1 (which
        maximizes macro-F1); ``shrinkage`` trades some of it for micro-F1.
    cv : int, float, cross-validation generator, iterable or "prefit", default=5
        How held-out scores are obtained. An int is the number of
        :class:`~mlkit.model_selection.MultilabelStratifiedKFold` folds; a
        float in (0, 1) holds out that fraction once (stratified); a splitter
        or an iterable of (train, test) indices is used as given.
        ``"prefit"``: ``estimator`` is already fitted and the data passed to
        ``fit`` is a validation set used only to choose thresholds (for
        models too expensive to cross-validate).
    min_positives : int, default=2
        Labels with fewer positive examples in the held-out scores use the
        global threshold.
    shrinkage : float, default=1.0
        Pseudo-count pulling per-label thresholds toward the global one
        (regularizes the thresholds of rare labels, which otherwise cost
        micro-F1).
    min_f1 : float, default=0.02
        Labels whose best held-out F1 is below this use the global threshold.
    at_least_one : {"auto", True, False}, default="auto"
        Whether rows where no label passes get their best-scored label.
        ``"auto"`` enables it only when it improves ``metric`` on the
        held-out scores.
    top_k : int or None, default=None
        Keep at most ``top_k`` labels per row.
    response_method : {"auto", "decision_function", "predict_proba"}, default="auto"
        Which scores to threshold. ``"auto"`` prefers ``decision_function``.
    n_jobs : int, default=None
        Folds fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Seeds the default stratified folds.
    refit : bool, default=True
        Refit ``estimator`` on all the data after the thresholds are chosen.
        ``False`` keeps the model fitted on the training part of the single
        held-out split instead (a float ``cv``, or a splitter with one split):
        one fit instead of two, for models that are expensive to train (a
        fine-tuned transformer), at the cost of the held-out rows never
        being trained on. The thresholds then belong to exactly the model
        that predicts. Ignored with ``cv="prefit"``.

    Attributes
    ----------
    estimator_ : estimator
        The fitted estimator: refitted on all data, the model of the
        held-out split (``refit=False``), or the prefit one.
    thresholds_ : ndarray of shape (n_labels,)
        Threshold of each label, in the units of ``response_method_``.
    global_threshold_ : float
        The global threshold (fallback of rare labels).
    at_least_one_ : bool
        Whether the at-least-one rule is applied.
    tuned_labels_ : ndarray of bool
        Labels whose threshold was tuned; the others (too few positives, or
        best held-out F1 below ``min_f1``) use ``global_threshold_``.
    oof_scores_ : ndarray of shape (n_samples, n_labels)
        The held-out scores thresholds were chosen on.
    calibration_ : ndarray of shape (n_labels, 4) or None
        Per-label sigmoid (Platt scaling) fitted on the held-out decision
        values, used by ``predict_proba`` when the estimator has no
        ``predict_proba`` of its own; None otherwise.
    cv_score_ : float
        ``metric`` of the thresholded held-out scores.
    response_method_ : str
    classes_ : ndarray of shape (n_labels,)

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.svm import LinearSVC
    >>> from mlkit import BinaryRelevance, ThresholdTuner
    >>> X, Y = make_multilabel_classification(n_samples=200, n_classes=5, random_state=0)
    >>> clf = ThresholdTuner(BinaryRelevance(LinearSVC()), cv=3, random_state=0).fit(X, Y)
    >>> clf.thresholds_.shape
    (5,)
    >>> clf.predict(X[:2]).shape
    (2, 5)
    """

    def __init__(self, estimator, *, strategy="per_label", metric="f1_macro", cv=5,
                 min_positives=2, shrinkage=1.0, min_f1=0.02, at_least_one="auto", top_k=None,
                 response_method="auto", n_jobs=None, random_state=None, refit=True):
        self.estimator = estimator
        self.strategy = strategy
        self.metric = metric
        self.cv = cv
        self.min_positives = min_positives
        self.shrinkage = shrinkage
        self.min_f1 = min_f1
        self.at_least_one = at_least_one
        self.top_k = top_k
        self.response_method = response_method
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.refit = refit

    def _check_params(self):
        if self.strategy not in _STRATEGIES:
            raise ValueError(
                f"strategy={self.strategy!r} is not supported; use one of {_STRATEGIES}."
            )
        _check_metric(self.metric)
        if self.at_least_one not in ("auto", True, False):
            raise ValueError(
                f"at_least_one={self.at_least_one!r} is not supported; use 'auto', True or False."
            )
        _check_nonneg(self.min_positives, "min_positives")
        _check_nonneg(self.shrinkage, "shrinkage")
        _check_nonneg(self.min_f1, "min_f1")
        if self.top_k is not None and (
            not isinstance(self.top_k, numbers.Integral) or self.top_k < 1
        ):
            raise ValueError(f"top_k must be a positive integer or None; got {self.top_k!r}.")
        if not isinstance(self.refit, (bool, np.bool_)):
            raise ValueError(f"refit must be True or False; got {self.refit!r}.")

    def _splits(self, X, Y):
        from sklearn.model_selection import check_cv

        from .model_selection import MultilabelStratifiedKFold, MultilabelStratifiedShuffleSplit

        cv = self.cv
        if isinstance(cv, numbers.Real) and not isinstance(cv, (bool, numbers.Integral)):
            if not 0 < cv < 1:
                raise ValueError(
                    f"cv={cv!r}: a float cv is the held-out fraction and must be in (0, 1)."
                )
            splitter = MultilabelStratifiedShuffleSplit(
                n_splits=1, test_size=cv, random_state=self.random_state)
        elif isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
            if cv < 2:
                raise ValueError(f"cv={cv!r}: need at least 2 folds (or cv='prefit').")
            splitter = MultilabelStratifiedKFold(
                n_splits=int(cv), shuffle=True,
                random_state=check_random_state(self.random_state).randint(2**31 - 1))
        else:
            splitter = check_cv(cv)
        return list(splitter.split(np.zeros((_n_samples(X), 1)), Y))

    def fit(self, X, Y, **fit_params):
        """Choose thresholds on held-out scores and fit the estimator.

        Parameters
        ----------
        X : array-like, sparse matrix or list of str
            Whatever ``estimator`` takes (features, or raw texts for a
            pipeline that starts with a featurizer).
        Y : array-like, sparse matrix, DataFrame or list of label collections
            Labels. With ``cv="prefit"``, the validation labels.
        **fit_params : dict
            Passed to ``estimator.fit``.

        Returns
        -------
        self : object
        """
        self._check_params()
        if isinstance(X, str):
            raise TypeError(
                "ThresholdTuner expects a collection of samples; a single string was received. "
                "Wrap it in a list: [text]."
            )
        X = _indexable(X)
        Y, names = check_label_matrix(Y, n_samples=_n_samples(X))
        Yd = Y.toarray() if sp.issparse(Y) else Y
        prefit = isinstance(self.cv, str) and self.cv == "prefit"
        if isinstance(self.cv, str) and not prefit:
            raise ValueError(f"cv={self.cv!r} is not supported; use an int, a float, a splitter "
                             "or 'prefit'.")
        if prefit:
            try:
                check_is_fitted(self.estimator)
            except NotFittedError:
                raise NotFittedError(
                    "cv='prefit' needs an already fitted estimator; fit it first or use an int cv."
                ) from None
            self.estimator_ = self.estimator
            method = _response_method(self.estimator_, self.response_method)
            oof = _scores(self.estimator_, X, method)
            fitted_names = getattr(self.estimator_, "classes_", None)
            if names is None and fitted_names is not None and len(fitted_names) == Y.shape[1]:
                names = np.asarray(fitted_names)
        else:
            method = _response_method(self.estimator, self.response_method)
            from sklearn.utils.parallel import Parallel, delayed

            splits = self._splits(X, Yd)
            if not self.refit and len(splits) != 1:
                raise ValueError(
                    f"refit=False keeps the model of a single held-out split, but cv={self.cv!r} "
                    f"gives {len(splits)} splits; use a float cv (e.g. cv=0.2, the held-out "
                    "fraction) or refit=True."
                )
            results = Parallel(n_jobs=self.n_jobs)(
                delayed(_fit_fold)(self.estimator, X, Y, train, test, method, fit_params,
                                   keep=not self.refit)
                for train, test in splits
            )
            oof = np.full(Yd.shape, np.nan)
            for test, scores, _ in results:
                if scores.shape[1] != Yd.shape[1]:
                    raise ValueError(
                        f"{type(self.estimator).__name__} returned {scores.shape[1]} score "
                        f"columns for {Yd.shape[1]} labels."
                    )
                oof[test] = scores
            covered = ~np.isnan(oof).any(axis=1)
            if not covered.any():
                raise ValueError("cv produced no held-out samples; check the splitter.")
            oof_rows = np.flatnonzero(covered)
            if self.refit:
                self.estimator_ = clone(self.estimator).fit(X, Y, **fit_params)
            else:
                self.estimator_ = results[0][2]
            oof, Yd = oof[oof_rows], Yd[oof_rows]
        if oof.shape != Yd.shape:
            raise ValueError(
                f"The estimator returned scores of shape {oof.shape} for labels of shape "
                f"{Yd.shape}."
            )
        self.response_method_ = method
        self.oof_scores_ = oof
        self._tune(Yd, oof)
        self._fit_calibration(Yd, oof)
        if names is None:
            fitted_names = getattr(self.estimator_, "classes_", None)
            if fitted_names is not None and len(fitted_names) == Yd.shape[1]:
                names = np.asarray(fitted_names)
        self.classes_ = names if names is not None else np.arange(Yd.shape[1])
        self.n_labels_ = Yd.shape[1]
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def _tune(self, Y, S):
        g = global_threshold(Y, S, metric=self.metric if self.strategy == "global" else "f1_micro")
        self.global_threshold_ = g
        if self.strategy == "global":
            t = np.full(Y.shape[1], g)
            self.tuned_labels_ = np.zeros(Y.shape[1], dtype=bool)
        else:
            t, self.tuned_labels_ = _f1_optimal_thresholds(
                Y, S, beta=1.0, min_positives=self.min_positives, shrinkage=self.shrinkage,
                min_f1=self.min_f1, fallback=g)
        self.thresholds_ = t
        Yb = Y.astype(bool)
        score_off = _decisions_metric(
            Yb, apply_thresholds(S, t, top_k=self.top_k).astype(bool), self.metric)
        if self.at_least_one == "auto":
            score_on = _decisions_metric(
                Yb, apply_thresholds(S, t, at_least_one=True, top_k=self.top_k).astype(bool),
                self.metric)
            self.at_least_one_ = bool(score_on > score_off)
            self.cv_score_ = max(score_on, score_off)
        else:
            self.at_least_one_ = bool(self.at_least_one)
            self.cv_score_ = _decisions_metric(
                Yb, apply_thresholds(S, t, at_least_one=self.at_least_one_,
                                     top_k=self.top_k).astype(bool), self.metric)

    def _fit_calibration(self, Y, S):
        if self.response_method_ == "decision_function" and not _has_method(
                self.estimator_, "predict_proba"):
            self.calibration_ = _platt_fit(Y, S)
        else:
            self.calibration_ = None

    def _tuned_scores(self, X):
        check_is_fitted(self, "thresholds_")
        if isinstance(X, str):
            raise TypeError(
                "ThresholdTuner expects a collection of samples; a single string was received. "
                "Wrap it in a list: [text]."
            )
        return _scores(self.estimator_, _indexable(X), self.response_method_)

    def predict(self, X):
        """Predict labels with the tuned thresholds.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels) of int
        """
        return apply_thresholds(self._tuned_scores(X), self.thresholds_,
                                at_least_one=self.at_least_one_, top_k=self.top_k)

    def _estimator_has(method):
        def check(self):
            est = getattr(self, "estimator_", self.estimator)
            getattr(est, method)
            return True

        return check

    def _has_proba(self):
        est = getattr(self, "estimator_", self.estimator)
        if _has_method(est, "predict_proba"):
            return True
        return _has_method(est, "decision_function")

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Probability of each label.

        The estimator's own ``predict_proba`` when it has one. Otherwise
        (e.g. ``LinearSVC``) the decision values are mapped through one
        sigmoid per label fitted on the held-out scores (Platt scaling), so
        the probabilities are calibrated on data the model did not train on.
        Thresholds do not change them; ``predict`` uses the thresholds.

        Returns
        -------
        P : ndarray of shape (n_samples, n_labels)
        """
        check_is_fitted(self, "thresholds_")
        X = _indexable(X)
        if _has_method(self.estimator_, "predict_proba"):
            return _scores(self.estimator_, X, "predict_proba")
        return _platt_transform(_scores(self.estimator_, X, "decision_function"),
                                self.calibration_)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """The estimator's decision values (thresholds do not change them).

        Returns
        -------
        scores : ndarray of shape (n_samples, n_labels)
        """
        check_is_fitted(self, "thresholds_")
        return _scores(self.estimator_, _indexable(X), "decision_function")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = inner.input_tags
        return tags
