"""``LinearSVC``'s dual solver as scikit-learn runs it, compiled with numba, for many labels.

:class:`BinaryRelevance` fits one ``LinearSVC`` per label on the same ``X``. On text
``LinearSVC`` solves the dual (LIBLINEAR's coordinate descent, Hsieh et al., ICML
2008, Algorithm 3 with shrinking), and scikit-learn's LIBLINEAR does two things that
cost a multi-label fit: it copies ``X`` into its own row format for every label
(16 bytes per non-zero), and it shuffles with one random generator for the whole
process, so two of its dual fits cannot run on threads without changing each
other's models (scikit-learn issue #8410) and parallel fits need worker processes
(which start, import scikit-learn and receive ``X``).

This module runs the same computation without either cost. For each label it uses

- the same rows in the same order (LIBLINEAR drops rows with ``sample_weight``
  <= 0 and groups the rest by class, negatives first, each group in row order),
- the same per-row bounds (``sample_weight`` times ``C`` times the class weight),
  the bias as an extra feature of value ``intercept_scaling`` at the end of each row,
- the same random generator (``std::mt19937`` seeded with
  ``check_random_state(random_state).randint(INT_MAX)``, as scikit-learn seeds it,
  and the same bounded draw for the shuffles),
- the same floating-point operations in the same order (no fused or reordered
  arithmetic: numba compiles without fast-math),

directly on the CSR arrays of ``X``, with one generator per fit and without the
GIL. The fitted ``LinearSVC`` is the one ``LinearSVC.fit`` gives, bit for bit:
``tests/test_dual_cd.py`` compares ``coef_``, ``intercept_``, ``n_iter_`` and
every fitted attribute on real data across ``C``, ``tol``, both losses, class and
sample weights, intercept settings and seeds. Anything outside that (another
estimator, ``dual=False``, verbose output, input it cannot take as it is) goes
to the estimator's own ``fit``.

numba is optional (``pip install "mlkit[fast]"``); without it nothing changes
except speed. The solver is compiled on first use (a few seconds, cached on
disk where the package folder or numba's cache folder is writable; a new
process then loads it in about half a second).
"""

from __future__ import annotations

import numbers
import threading

import numpy as np
import scipy.sparse as sp
from sklearn import config_context
from sklearn.svm import LinearSVC
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight

from ._fast_fit import resolved_dual

__all__ = ["available", "plan", "seed_for", "solve", "supports"]

#: scikit-learn draws LIBLINEAR's seed as ``randint(np.iinfo("i").max)``.
_INT_MAX = int(np.iinfo(np.intc).max)

_lock = threading.Lock()
_solver = None  # the kernels module, or False when numba is missing


def _compiled():
    """The kernels module (:mod:`._dual_cd_kernels`), imported once; None without numba."""
    global _solver
    if _solver is None:
        with _lock:
            if _solver is None:
                _solver = _compile()
    return _solver or None


def _compile():
    try:
        from . import _dual_cd_kernels
    except Exception:  # noqa: BLE001 -- numba missing, or its LLVM library fails to load
        return False
    return _dual_cd_kernels


def available():
    """Whether the compiled solver can run here (numba imports).

    Returns
    -------
    bool
    """
    return _compiled() is not None


def supports(estimator, X, fit_params):
    """Whether :func:`plan` and :func:`solve` give ``estimator.fit(X, y, **fit_params)``'s model.

    True for exactly ``LinearSVC`` (not a subclass) with an L2 penalty, the
    one-vs-rest formulation solved in the dual, no verbose output and valid
    parameters, on CSR ``X`` of float64 whose indices fit in 32 bits, with no fit
    parameter other than ``sample_weight``, when numba imports. Invalid settings
    return False, so that ``LinearSVC.fit`` raises its own error.

    Parameters
    ----------
    estimator : estimator object
    X : {ndarray, sparse matrix}
        The features every label is fitted on.
    fit_params : dict

    Returns
    -------
    bool
    """
    if type(estimator) is not LinearSVC or set(fit_params) - {"sample_weight"}:
        return False
    p = estimator.get_params(deep=False)
    ok = (_is(p["penalty"], "l2") and _is(p["loss"], "squared_hinge", "hinge")
          and _is(p["multi_class"], "ovr")
          and (p["verbose"] is False or _count(p["verbose"], 0, 0))
          and (_is(p["dual"], "auto") or p["dual"] is True)
          and isinstance(p["fit_intercept"], bool)
          and _positive(p["C"]) and _positive(p["tol"]) and _positive(p["intercept_scaling"])
          and _count(p["max_iter"], 0, _INT_MAX)
          and (p["class_weight"] is None or _is(p["class_weight"], "balanced")
               or isinstance(p["class_weight"], dict))
          and (p["random_state"] is None or _count(p["random_state"], 0, 2**32 - 1)
               or isinstance(p["random_state"], np.random.RandomState)))
    if not ok or not isinstance(X, sp.csr_matrix) or X.dtype != np.float64:
        return False
    if X.indices.dtype != np.int32 or X.indptr.dtype != np.int32:
        return False  # LinearSVC.fit refuses 64-bit indices
    if resolved_dual(estimator, X) is not True or max(X.shape) >= _INT_MAX:
        return False
    return available()


def _positive(value):
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and np.isfinite(value) and value > 0)


def _count(value, low, high):
    return (isinstance(value, numbers.Integral) and not isinstance(value, bool)
            and low <= value <= high)


def _is(value, *options):
    return isinstance(value, str) and value in options


def seed_for(estimator):
    """LIBLINEAR's seed for one fit of ``estimator``, drawn as ``LinearSVC.fit`` draws it.

    Parameters
    ----------
    estimator : LinearSVC
        The (cloned) estimator about to be fitted.

    Returns
    -------
    seed : int
    """
    return int(check_random_state(estimator.random_state).randint(_INT_MAX))


def _sample_weight(fit_params, n_rows):
    weights = fit_params.get("sample_weight")
    if weights is None:
        return np.ones(n_rows)
    if isinstance(weights, numbers.Number):
        return np.full(n_rows, float(weights))
    weights = np.asarray(weights)
    if weights.shape != (n_rows,) or weights.dtype.kind not in "biuf":
        return None  # LinearSVC.fit's own answer or error
    return weights.astype(np.float64, copy=False)


def plan(estimator, X, y, fit_params):
    """What LIBLINEAR would solve for ``estimator.fit(X, y, **fit_params)``, or None.

    Only call it where :func:`supports` is True. None means "let
    ``estimator.fit`` do it": a ``sample_weight`` of the wrong shape, ``y`` without
    two classes, or a class left without rows of positive weight (LIBLINEAR then
    solves another problem); ``LinearSVC.fit`` gives its own model or error there.

    Parameters
    ----------
    estimator : LinearSVC
    X : scipy.sparse.csr_matrix of float64
    y : ndarray of shape (n_samples,)
    fit_params : dict
        ``sample_weight`` at most.

    Returns
    -------
    plan : tuple or None
        ``(classes, rows, signs, bounds)``: the two classes, the rows LIBLINEAR
        keeps in its order, their +/-1 labels and their upper bounds.
    """
    classes = np.unique(y)
    weights = _sample_weight(fit_params, X.shape[0])
    if classes.shape[0] != 2 or weights is None:
        return None
    p = estimator.get_params(deep=False)
    with config_context(skip_parameter_validation=True):  # as inside LinearSVC.fit
        class_weight = compute_class_weight(p["class_weight"], classes=classes, y=y,
                                            sample_weight=fit_params.get("sample_weight"))
    keep = weights > 0
    negatives = np.flatnonzero(keep & (y == classes[0]))
    positives = np.flatnonzero(keep & (y == classes[1]))
    if negatives.size == 0 or positives.size == 0:
        return None
    rows = np.concatenate([negatives, positives]).astype(np.uint32)
    signs = np.ones(rows.shape[0], dtype=np.int8)
    signs[:negatives.size] = -1
    c_neg, c_pos = p["C"] * class_weight[0], p["C"] * class_weight[1]
    return classes, rows, signs, weights[rows] * np.where(signs > 0, c_pos, c_neg)


def solve(estimator, X, plan, seed):
    """Fit ``estimator`` (an unfitted ``LinearSVC``) with the compiled solver.

    Thread-safe: each call has its own random generator, and the solver runs
    without the GIL.

    Parameters
    ----------
    estimator : LinearSVC
        Fitted in place, as ``LinearSVC.fit`` would.
    X : scipy.sparse.csr_matrix of float64
    plan : tuple
        From :func:`plan` (not None).
    seed : int
        From :func:`seed_for`, drawn before any concurrent fit starts.

    Returns
    -------
    estimator : LinearSVC
        Fitted.
    converged : bool
        False when the solver stopped at ``max_iter`` (the caller warns, as
        ``LinearSVC.fit`` does).
    """
    classes, rows, signs, bounds = plan
    p = estimator.get_params(deep=False)
    bias = float(p["intercept_scaling"]) if p["fit_intercept"] else -1.0
    # supports() admitted only 32-bit indices: viewed as unsigned, without a copy
    w, n_iter = _compiled().solve(
        X.indptr.view(np.uint32), X.indices.view(np.uint32), X.data, rows, signs, bounds,
        X.shape[1], bias,
        p["loss"] == "hinge", float(p["tol"]), int(p["max_iter"]), seed)
    raw = w.view(np.float64).reshape(1, -1)  # NumPy's own float64 dtype: same pickles
    estimator.n_features_in_ = X.shape[1]  # in LinearSVC.fit's order: equal pickles
    estimator.classes_ = classes
    if p["fit_intercept"]:
        estimator.coef_ = raw[:, :-1]
        estimator.intercept_ = p["intercept_scaling"] * raw[:, -1]
    else:
        estimator.coef_ = raw
        estimator.intercept_ = 0.0
    estimator.n_iter_ = int(n_iter)
    return estimator, n_iter < p["max_iter"]
