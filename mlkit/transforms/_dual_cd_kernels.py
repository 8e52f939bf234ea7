"""The numba kernels of :mod:`mlkit.transforms._dual_cd`: LIBLINEAR's dual coordinate
descent for L1- and L2-loss SVMs (Hsieh et al., ICML 2008, Algorithm 3 with shrinking)
and ``std::mt19937`` with scikit-learn's bounded draw, step for step as scikit-learn's
LIBLINEAR runs them. Imported only where numba is installed.

Arrays that are used as indices are unsigned (``uint32``): numba then emits no
negative-index handling in the inner loops, which makes the solver faster than
scikit-learn's compiled one. No fast-math: every floating-point operation happens in
LIBLINEAR's order, so the models are the same bit for bit.
"""

import numba
import numpy as np

__all__ = ["bounded", "mt_next", "mt_seed", "solve"]

_MASK = 0xFFFFFFFF


def _jit(**options):
    """``numba.njit(cache=True, error_model="numpy", **options)``, compiled in memory
    where no cache folder is writable (numba refuses ``cache=True`` then).

    ``error_model="numpy"``: a division by zero gives inf or nan as in C++, where
    LIBLINEAR carries on (a row without non-zeros under the hinge loss and no bias,
    a class weight of 0), instead of raising ``ZeroDivisionError``."""
    options = {"error_model": "numpy", **options}

    def decorate(func):
        try:
            return numba.njit(cache=True, **options)(func)
        except RuntimeError:
            return numba.njit(**options)(func)
    return decorate


@_jit()
def mt_seed(state, seed):
    """``std::mt19937::seed(seed)`` into ``state`` (624 int64 words)."""
    state[0] = seed & _MASK
    for i in range(1, 624):
        prev = state[i - 1]
        state[i] = (1812433253 * (prev ^ (prev >> 30)) + i) & _MASK


@_jit()
def mt_next(state, pos):
    """The next 32-bit output of ``std::mt19937`` (``pos[0]``: words used, 624 at seed)."""
    if pos[0] >= 624:
        for i in range(624):
            y = (state[i] & 0x80000000) | (state[(i + 1) % 624] & 0x7FFFFFFF)
            v = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1:
                v ^= 0x9908B0DF
            state[i] = v
        pos[0] = 0
    y = state[pos[0]]
    pos[0] += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    y ^= y >> 18
    return y & _MASK


@_jit()
def bounded(state, pos, n):
    """scikit-learn's ``bounded_rand_int(n)``: a draw in ``[0, n)`` (Lemire's method)."""
    m = mt_next(state, pos) * n
    low = m & _MASK
    if low < n:
        t = (-n) & _MASK
        if t >= n:
            t -= n
            if t >= n:
                t %= n
        while low < t:
            m = mt_next(state, pos) * n
            low = m & _MASK
    return m >> 32


@_jit(nogil=True)
def _setup(indptr, data, rows, bound, bias, hinge):
    """Each kept row's diagonal term, upper bound and ``Q_ii`` (LIBLINEAR's QD)."""
    n_rows = rows.shape[0]
    qd = np.empty(n_rows)
    diag = np.empty(n_rows)
    upper = np.empty(n_rows)
    for i in range(n_rows):
        if hinge:
            diag[i] = 0.0
            upper[i] = bound[i]
        else:
            diag[i] = 0.5 / bound[i]
            upper[i] = np.inf
        q = diag[i]
        r = rows[i]
        for k in range(indptr[r], indptr[r + 1]):
            q += data[k] * data[k]
        if bias > 0:
            q += bias * bias
        qd[i] = q
    return qd, diag, upper


@_jit(nogil=True)
def _sweep(x, rows, y, qd, diag, upper, alpha, index, w, bias, active, pg_max_old,
           pg_min_old):
    """One pass over the active rows: returns the new active size and the extreme
    projected gradients (shrinking as LIBLINEAR does)."""
    indptr, indices, data = x
    n_features = w.shape[0] - 1 if bias > 0 else w.shape[0]
    pg_max_new, pg_min_new = -np.inf, np.inf
    s = 0
    while s < active:
        i = index[s]
        r = rows[i]
        g = 0.0
        for k in range(indptr[r], indptr[r + 1]):
            g += w[indices[k]] * data[k]
        if bias > 0:
            g += w[n_features] * bias
        yi = y[i]
        g = g * yi - 1
        c = upper[i]
        g += alpha[i] * diag[i]
        pg = 0.0
        if alpha[i] == 0:
            if g > pg_max_old:
                active -= 1
                index[s], index[active] = index[active], index[s]
                continue
            elif g < 0:
                pg = g
        elif alpha[i] == c:
            if g < pg_min_old:
                active -= 1
                index[s], index[active] = index[active], index[s]
                continue
            elif g > 0:
                pg = g
        else:
            pg = g
        if pg_max_new < pg:
            pg_max_new = pg
        if pg < pg_min_new:
            pg_min_new = pg
        if abs(pg) > 1.0e-12:
            alpha_old = alpha[i]
            a = alpha[i] - g / qd[i]
            if a < 0.0:
                a = 0.0
            if c < a:
                a = c
            alpha[i] = a
            d = (a - alpha_old) * yi
            for k in range(indptr[r], indptr[r + 1]):
                w[indices[k]] += d * data[k]
            if bias > 0:
                w[n_features] += d * bias
        s += 1
    return active, pg_max_new, pg_min_new


@_jit(nogil=True)
def solve(indptr, indices, data, rows, y, bound, n_features, bias, hinge, eps, max_iter,
          seed):
    """LIBLINEAR's ``solve_l2r_l1l2_svc`` on the CSR rows ``rows`` (in that order) with
    labels ``y`` (+/-1) and upper bounds ``bound``: returns ``(w, n_iter)``, the bias
    weight last when ``bias > 0``."""
    n_rows = rows.shape[0]
    qd, diag, upper = _setup(indptr, data, rows, bound, bias, hinge)
    w = np.zeros(n_features + 1 if bias > 0 else n_features)
    alpha = np.zeros(n_rows)
    index = np.empty(n_rows, dtype=np.uint32)
    for i in range(n_rows):
        index[i] = i
    state = np.zeros(624, dtype=np.int64)
    pos = np.full(1, 624, dtype=np.int64)
    mt_seed(state, seed)
    active = n_rows
    pg_max_old, pg_min_old = np.inf, -np.inf
    it = 0
    while it < max_iter:
        for i in range(active):
            j = i + bounded(state, pos, active - i)
            index[i], index[j] = index[j], index[i]
        active, pg_max_new, pg_min_new = _sweep(
            (indptr, indices, data), rows, y, qd, diag, upper, alpha, index, w, bias,
            active, pg_max_old, pg_min_old)
        it += 1
        if pg_max_new - pg_min_new <= eps:
            if active == n_rows:
                break
            active = n_rows
            pg_max_old, pg_min_old = np.inf, -np.inf
            continue
        pg_max_old, pg_min_old = pg_max_new, pg_min_new
        if pg_max_old <= 0:
            pg_max_old = np.inf
        if pg_min_old >= 0:
            pg_min_old = -np.inf
    return w, it
