"""Compiled host kernel of batched orthogonal matching pursuit (Numba).

Batch-OMP with the atoms' Gram matrix (Rubinstein, Zibulevsky & Elad 2008),
signal by signal: from the correlations ``alpha0 = D x`` (one product for a
block of signals, made by the caller), a step picks the atom of largest
``|alpha_j|``, grows the Cholesky factor ``L`` of the chosen atoms' Gram
matrix by one row (one triangular solve), gets the least-squares
coefficients by two triangular solves and the new correlations as
``alpha0 - G[:, S] c``: O(t n_atoms) flops at step ``t``, on arrays that stay
in cache. The squared residual norm follows from the Gram identity
``|r|^2 = |x|^2 - |L^-1 alpha0[S]|^2``, so ``x`` itself is never needed.

This is the same pursuit as the batched array form of
:func:`sksubspace._linalg.batched_omp` (same picks, same stopping rules),
which stays the path for other namespaces (CuPy, array-api-strict) and for
dictionaries too large for a Gram matrix (residual form: one BLAS product per
step there already). The kernel compiles on first use and is cached next to
the module (Numba's ``cache=True``); ``nogil`` lets callers run blocks of
signals on host threads. Arithmetic is float64 whatever the input dtype.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _argmax_abs(a):
    """First index of the largest ``|a_q|``: a max pass (no index to carry), then a scan."""
    top = 0.0
    for q in range(a.shape[0]):
        v = abs(a[q])
        top = v if v > top else top
    j = 0
    while abs(a[j]) < top:
        j += 1
    return j


@njit(cache=True, nogil=True)
def omp_gram_host(A0, G, sqnorm, K, tol, has_tol, exclude, eps, indices, coefs):
    """Batch-OMP for every row of ``A0`` (correlations ``D x_i``), into ``indices`` / ``coefs``.

    ``G`` is the (n_atoms, n_atoms) Gram matrix, ``sqnorm`` the squared norms
    ``|x_i|^2``, ``exclude[i]`` an atom signal ``i`` may not use (negative:
    none), ``eps`` the input dtype's machine epsilon. A signal stops after
    ``K`` atoms, once its squared residual is at most ``tol`` (``has_tol``),
    when its largest correlation is zero to rounding, or when the next atom
    lies (to rounding) in the span of those chosen. ``indices`` must be
    filled with -1 and ``coefs`` with 0 on entry; unused slots keep them.
    """
    n, p = A0.shape
    alpha = np.empty(p)
    L = np.zeros((K, K))
    z = np.empty(K)
    gamma = np.empty(K)
    S = np.empty(K, np.int64)
    for i in range(n):
        rsq = float(sqnorm[i])
        if not rsq > (tol if has_tol else 0.0):
            continue
        tiny = (64.0 * eps) ** 2 * rsq  # |<r, d_j>| <= 64 eps |x| |d_j|: r is zero to rounding
        ban = exclude[i] if 0 <= exclude[i] < p else -1  # (no bounds checks in compiled code)
        for q in range(p):
            alpha[q] = A0[i, q]
        if ban >= 0:  # a banned atom has no correlation
            alpha[ban] = 0.0
        n_act = 0
        for t in range(K):
            j = _argmax_abs(alpha)
            cj = alpha[j]
            if not cj * cj > tiny * G[j, j]:  # the residual is zero to rounding
                break
            again = False
            for s in range(t):
                again = again or S[s] == j
            if again:
                break
            # row t of L: L[:t, :t] l = G[S, j]; its pivot is what d_j adds to the span
            djsq = G[j, j]
            nsq = djsq
            for s in range(t):
                acc = G[S[s], j]
                for r in range(s):
                    acc -= L[s, r] * L[t, r]
                acc /= L[s, s]
                L[t, s] = acc
                nsq -= acc * acc
            if not nsq > eps * djsq:  # d_j in the span of the chosen atoms
                break
            L[t, t] = np.sqrt(nsq)
            z[t] = cj / L[t, t]  # <x, e_t>: L z = alpha0[S], with r orthogonal to e_0..e_t-1
            S[t] = j
            n_act = t + 1
            rsq -= z[t] * z[t]
            # coefficients: L' gamma = z
            for s in range(t, -1, -1):
                acc = z[s]
                for r in range(s + 1, t + 1):
                    acc -= L[r, s] * gamma[r]
                gamma[s] = acc / L[s, s]
            if (has_tol and not rsq > tol) or n_act == K:
                break
            # correlations with the new residual: alpha0 - G[:, S] gamma (G symmetric)
            for q in range(p):
                alpha[q] = A0[i, q]
            for s in range(n_act):
                g = gamma[s]
                row = S[s]
                for q in range(p):
                    alpha[q] -= g * G[row, q]
            if ban >= 0:
                alpha[ban] = 0.0
        for s in range(n_act):
            indices[i, s] = S[s]
            coefs[i, s] = gamma[s]
