"""Compiled host kernel of the shared lasso / elastic-net solver (Numba).

The same exact active-set method as :func:`sksubspace._lasso.lasso_gram`
(feature-sign search with the first-crossing line search of homotopy /
LARS-lasso, an inverse of the active Gram matrix kept by rank-one updates),
run problem by problem in compiled loops. On the host, the batched array
formulation of ``_lasso.py`` spends its time moving (problems x active x
active) arrays through memory once per join or leave; one problem at a time,
its arrays stay in cache and a step costs O(k p) flops (``k`` active of ``p``
coordinates), as in SPAMS' LARS. The batched formulation stays the path for
other namespaces (CuPy, array-api-strict), where one launch per operation
over all problems is what a device wants.

The kernel compiles on first use (about a second) and is cached next to the
module (Numba's ``cache=True``); ``nogil`` lets callers run blocks of
problems on host threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _fresh_inverse(G, act, k, ridge, Hinv, L):
    """``Hinv[:k, :k] = inv((G + ridge I)[act, act])`` by Cholesky (``L``: scratch).

    Pivots are floored at ``ridge`` (the systems are positive definite, the
    floor only guards rounding on nearly singular ones).
    """
    for j in range(k):
        for i in range(j, k):
            acc = G[act[i], act[j]] + (ridge if i == j else 0.0)
            for t in range(j):
                acc -= L[i, t] * L[j, t]
            if i == j:
                L[j, j] = np.sqrt(max(acc, ridge))
            else:
                L[i, j] = acc / L[j, j]
    # Hinv = L^-T L^-1, column by column of the identity
    for c in range(k):
        for i in range(k):  # forward: L y = e_c
            acc = 1.0 if i == c else 0.0
            for t in range(i):
                acc -= L[i, t] * Hinv[t, c]
            Hinv[i, c] = acc / L[i, i]
        for i in range(k - 1, -1, -1):  # backward: L' x = y
            acc = Hinv[i, c]
            for t in range(i + 1, k):
                acc -= L[t, i] * Hinv[t, c]
            Hinv[i, c] = acc / L[i, i]


@njit(cache=True, nogil=True)
def _border(Hinv, k, u, sigma):
    """Grow ``Hinv[:k, :k]`` (an inverse) by one coordinate, bordered in slot ``k``.

    ``u = Hinv h`` for the new coordinate's column ``h`` and ``sigma`` its
    Schur complement: the new inverse is ``[[Hinv + u u'/sigma, -u/sigma],
    [-u'/sigma, 1/sigma]]``.
    """
    for s in range(k):
        for t in range(k):
            Hinv[s, t] += u[s] * u[t] / sigma
        Hinv[s, k] = -u[s] / sigma
        Hinv[k, s] = -u[s] / sigma
    Hinv[k, k] = 1.0 / sigma


@njit(cache=True, nogil=True)
def _border_inverse(G, act, k, ridge, Hinv, u):
    """The same inverse grown one coordinate at a time (no allocation, O(k^3))."""
    for j in range(k):
        a = act[j]
        sigma = G[a, a] + ridge
        for s in range(j):
            acc = 0.0
            for t in range(j):
                acc += Hinv[s, t] * G[a, act[t]]
            u[s] = acc
            sigma -= G[a, act[s]] * acc
        _border(Hinv, j, u, max(sigma, ridge))


@njit(cache=True, nogil=True)
def _solve_one(
    G, b, l1, l2, tiny, c0, valid, positive, max_iter, rtol, out, work, Hinv, act, in_act, L
):
    """One problem: ``min l1|c|_1 + l2/2 |c|^2 + 1/2 c'Gc - b'c`` into ``out``.

    Returns ``(converged, n_iter)``. ``work`` (7, p) and ``Hinv`` (p, p) are
    scratch space.
    """
    p = b.shape[0]
    ridge = l2 + tiny
    l2_part = l2
    lasso_like = l2_part <= 100.0 * tiny
    in_act[:] = False
    coef = work[0]
    theta = work[1]
    bslot = work[2]
    grad = work[3]
    z = work[4]
    h = work[5]
    null = work[6]
    # warm start: its nonzeros are the active set
    k = 0
    for q in range(p):
        if valid[q] and c0[q] != 0.0 and (not positive or c0[q] > 0.0):
            act[k] = q
            in_act[q] = True
            coef[k] = c0[q]
            k += 1
    for q in range(p):
        g = b[q]
        for s in range(k):
            g -= G[q, act[s]] * coef[s]
        if in_act[q]:
            for s in range(k):
                if act[s] == q:
                    g -= ridge * coef[s]
        grad[q] = g
    for s in range(k):
        theta[s] = np.sign(coef[s])
        bslot[s] = b[act[s]]
    if k and lasso_like:
        _fresh_inverse(G, act, k, ridge, Hinv, L)
    elif k:
        _border_inverse(G, act, k, ridge, Hinv, z)
    optimal = k == 0
    thr = l1 * (1.0 + rtol) + 1e-30
    n_iter = 0
    converged = False
    while n_iter < max_iter:
        n_iter += 1
        deg = False
        if optimal:
            # the strongest violator joins
            j = -1
            top = 0.0
            for q in range(p):
                if valid[q] and not in_act[q]:
                    v = grad[q] if positive else abs(grad[q])
                    if v > top:
                        top = v
                        j = q
            if j < 0 or top <= thr:
                converged = True
                break
            if k == p:
                break
            for s in range(k):
                h[s] = G[j, act[s]]
            sigma = G[j, j] + ridge
            for s in range(k):
                acc = 0.0
                for t in range(k):
                    acc += Hinv[s, t] * h[t]
                z[s] = acc  # u = Hinv h
                sigma -= h[s] * acc
            deg = lasso_like and sigma - l2_part <= 100.0 * tiny
            gj = np.sign(grad[j])
            if deg:
                # a joiner in the span of the active coordinates (more atoms
                # than features): it enters along the null direction
                for s in range(k):
                    null[s] = -gj * z[s]
                    Hinv[s, k] = 0.0
                    Hinv[k, s] = 0.0
                null[k] = gj
                Hinv[k, k] = 0.0
            else:
                _border(Hinv, k, z, max(sigma, ridge))
            act[k] = j
            in_act[j] = True
            theta[k] = gj
            bslot[k] = b[j]
            coef[k] = 0.0
            k += 1
        # Newton step towards the active system's solution, up to the first sign change
        t_step = 1.0
        kmin = -1
        if deg:
            t_step = 0.0
            best = np.inf
            for s in range(k):
                if coef[s] * null[s] < 0.0:
                    ts = -coef[s] / null[s]
                    if ts < best:
                        best = ts
                        kmin = s
            if kmin >= 0:
                t_step = best
            for s in range(k):
                z[s] = null[s]  # the step direction
        else:
            for s in range(k):
                acc = 0.0
                for t in range(k):
                    acc += Hinv[s, t] * (bslot[t] - l1 * theta[t])
                h[s] = acc
            best = 2.0
            for s in range(k):
                if coef[s] != 0.0 and coef[s] * h[s] <= 0.0:
                    ts = coef[s] / (coef[s] - h[s])
                    if ts < best:
                        best = ts
                        kmin = s
            if best <= 1.0:
                t_step = best
            else:
                kmin = -1
            for s in range(k):
                z[s] = h[s] - coef[s]
        # move, and the gradient with it: O(k p)
        for s in range(k):
            d = t_step * z[s]
            if d != 0.0:
                coef[s] += d
                a = act[s]
                for q in range(p):
                    grad[q] -= G[a, q] * d
                grad[a] -= ridge * d
        optimal = kmin < 0
        if kmin >= 0:
            # the coefficient that reached zero leaves: downdate, move the last
            # slot into its place
            vkk = Hinv[kmin, kmin]
            if not lasso_like and vkk != 0.0:
                for s in range(k):
                    h[s] = Hinv[s, kmin]
                for s in range(k):
                    for t in range(k):
                        Hinv[s, t] -= h[s] * h[t] / vkk
            last = k - 1
            in_act[act[kmin]] = False
            if kmin != last:
                act[kmin] = act[last]
                coef[kmin] = coef[last]
                theta[kmin] = theta[last]
                bslot[kmin] = bslot[last]
                for s in range(k):
                    Hinv[kmin, s] = Hinv[last, s]
                for s in range(k):
                    Hinv[s, kmin] = Hinv[s, last]
            k -= 1
            if lasso_like and k:
                # nearly singular active sets: the downdate loses accuracy
                _fresh_inverse(G, act, k, ridge, Hinv, L)
    for q in range(p):
        out[q] = 0.0
    for s in range(k):
        out[act[s]] = coef[s]
    return converged, n_iter


@njit(cache=True, nogil=True)
def lasso_gram_host(G, B, l1, l2, tiny, C0, valid, positive, max_iter, rtol):
    """Every problem of a batch (float64; ``G`` of shape (1, p, p) or (n, p, p))."""
    n, p = B.shape
    out = np.zeros((n, p))
    conv = np.zeros(n, np.bool_)
    work = np.empty((7, p))
    Hinv = np.empty((p, p))
    L = np.empty((p, p))
    act = np.empty(p, np.int64)
    in_act = np.zeros(p, np.bool_)
    n_iter = 0
    shared = G.shape[0] == 1
    for i in range(n):
        Gi = G[0] if shared else G[i]
        c, it = _solve_one(
            Gi,
            B[i],
            l1[i],
            l2[i],
            tiny[i],
            C0[i],
            valid[i],
            positive,
            max_iter,
            rtol,
            out[i],
            work,
            Hinv,
            act,
            in_act,
            L,
        )
        conv[i] = c
        n_iter = max(n_iter, it)
    return out, conv, n_iter
