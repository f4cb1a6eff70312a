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

#: largest inverse pivot (1 / Schur complement; unit-norm rows) that a lasso
#: system is downdated through rather than refactorized
_PIVOT_MAX = 1e3

#: let reductions vectorize and fuse multiply-adds (no NaN / infinity assumptions)
_FAST = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True, nogil=True, fastmath=_FAST)
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


@njit(cache=True, nogil=True, fastmath=_FAST)
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


@njit(cache=True, nogil=True, fastmath=_FAST)
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


@njit(cache=True, nogil=True, fastmath=_FAST)
def _schur(Hinv, k, h, diag, u):
    """``u[:k] = Hinv h`` and the Schur complement ``diag - h'u`` of a joining coordinate."""
    sigma = diag
    for s in range(k):
        acc = 0.0
        for t in range(k):
            acc += Hinv[s, t] * h[t]
        u[s] = acc
        sigma -= h[s] * acc
    return sigma


@njit(cache=True, nogil=True, fastmath=_FAST)
def _null_join(Hinv, k, u, sign, null):
    """A joiner in the span of the active coordinates (more atoms than features):
    it enters along the null direction ``null[:k + 1]``, slot ``k`` of the
    inverse left at zero."""
    for s in range(k):
        null[s] = -sign * u[s]
        Hinv[s, k] = 0.0
        Hinv[k, s] = 0.0
    null[k] = sign
    Hinv[k, k] = 0.0


@njit(cache=True, nogil=True, fastmath=_FAST)
def _newton_target(Hinv, k, b, theta, l1, out):
    """``out[:k] = Hinv (b - l1 theta)``: the solution of the active system with signs ``theta``."""
    for s in range(k):
        acc = 0.0
        for t in range(k):
            acc += Hinv[s, t] * (b[t] - l1 * theta[t])
        out[s] = acc


@njit(cache=True, nogil=True, fastmath=_FAST)
def _first_crossing(coef, target, k):
    """``(t, s)``: the step ``t <= 1`` towards ``target`` at which ``coef[s]`` first
    reaches zero (``s = -1`` and ``t = 1``: no sign changes on the way)."""
    best = 2.0
    kmin = -1
    for s in range(k):
        if coef[s] != 0.0 and coef[s] * target[s] <= 0.0:
            ts = coef[s] / (coef[s] - target[s])
            if ts < best:
                best = ts
                kmin = s
    if best <= 1.0:
        return best, kmin
    return 1.0, -1


@njit(cache=True, nogil=True, fastmath=_FAST)
def _null_crossing(coef, null, k):
    """``(t, s)``: how far along the null direction until ``coef[s]`` reaches zero
    (``(0, -1)`` when none does)."""
    best = np.inf
    kmin = -1
    for s in range(k):
        if coef[s] * null[s] < 0.0:
            ts = -coef[s] / null[s]
            if ts < best:
                best = ts
                kmin = s
    if kmin >= 0:
        return best, kmin
    return 0.0, -1


@njit(cache=True, nogil=True, fastmath=_FAST)
def _downdate(Hinv, k, m, col):
    """Remove coordinate ``m`` from the inverse ``Hinv[:k, :k]`` (its slot keeps zeros
    in exact arithmetic); ``col`` receives the old column ``m``. Returns its pivot."""
    v = Hinv[m, m]
    for s in range(k):
        col[s] = Hinv[s, m]
    for s in range(k):
        f = col[s] / v
        for t in range(k):
            Hinv[s, t] -= f * col[t]
    return v


@njit(cache=True, nogil=True, fastmath=_FAST)
def _move_last(Hinv, m, last):
    """Row and column ``last`` of ``Hinv[:last + 1, :last + 1]`` into slot ``m``."""
    for s in range(last + 1):
        Hinv[m, s] = Hinv[last, s]
    for s in range(last + 1):
        Hinv[s, m] = Hinv[s, last]


@njit(cache=True, nogil=True, fastmath=_FAST)
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
            sigma = _schur(Hinv, k, h, G[j, j] + ridge, z)
            deg = lasso_like and sigma - l2_part <= 100.0 * tiny
            gj = np.sign(grad[j])
            if deg:
                _null_join(Hinv, k, z, gj, null)
            else:
                _border(Hinv, k, z, max(sigma, ridge))
            act[k] = j
            in_act[j] = True
            theta[k] = gj
            bslot[k] = b[j]
            coef[k] = 0.0
            k += 1
        # Newton step towards the active system's solution, up to the first sign change
        if deg:
            t_step, kmin = _null_crossing(coef, null, k)
            for s in range(k):
                z[s] = null[s]  # the step direction
        else:
            _newton_target(Hinv, k, bslot, theta, l1, h)
            t_step, kmin = _first_crossing(coef, h, k)
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
            if not lasso_like and Hinv[kmin, kmin] != 0.0:
                _downdate(Hinv, k, kmin, h)
            last = k - 1
            in_act[act[kmin]] = False
            if kmin != last:
                act[kmin] = act[last]
                coef[kmin] = coef[last]
                theta[kmin] = theta[last]
                bslot[kmin] = bslot[last]
                _move_last(Hinv, kmin, last)
            k -= 1
            if lasso_like and k:
                # nearly singular active sets: the downdate loses accuracy
                _fresh_inverse(G, act, k, ridge, Hinv, L)
    for q in range(p):
        out[q] = 0.0
    for s in range(k):
        out[act[s]] = coef[s]
    return converged, n_iter


@njit(cache=True, nogil=True, fastmath=_FAST)
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


@njit(cache=True, nogil=True, fastmath=_FAST)
def _dot(a, b):
    acc = 0.0
    for t in range(a.shape[0]):
        acc += a[t] * b[t]
    return acc


@njit(cache=True, nogil=True, fastmath=_FAST)
def _axpy(alpha, x, y):
    """``y += alpha x``."""
    for t in range(y.shape[0]):
        y[t] += alpha * x[t]


@njit(cache=True, nogil=True, fastmath=_FAST)
def _rows_inverse(X, act, k, ridge, Hinv, L, Gs, ar):
    """``Hinv[:k, :k] = inv(X[act] X[act]' + ridge I)`` (``L``, ``Gs``, ``ar``: scratch)."""
    for s in range(k):
        xs = X[act[s]]
        for t in range(s + 1):
            Gs[s, t] = _dot(xs, X[act[t]])
    _fresh_inverse(Gs, ar, k, ridge, Hinv, L)


@njit(cache=True, nogil=True, fastmath=_FAST)
def oracle_round_host(
    X,
    score,
    rows,
    ids,
    l1,
    l2,
    tiny,
    thr,
    slack,
    cap,
    solve,
    rtol,
    act,
    coef,
    bsl,
    theta,
    kk,
    nup,
    settled,
    stale,
    slot,
    Hstore,
    R,
    status,
):
    """One round of the oracle-guided active set for the points ``rows`` of a block.

    Self-representation problems ``min l1|c|_1 + l2/2 |c|^2 + 1/2 |x - X'c|^2``
    (``x = X[ids[i]]``, ``c_{ids[i]} = 0``) solved on growing active sets, in
    the residual form: the correlations of the candidates come from the
    residual ``R[i]``, so no Gram matrix of a working set is ever formed,
    and each point's state (active set ``act[i, :kk[i]]``, codes, the
    inverse ``Hinv[i]`` of its active Gram matrix + ``l2``) persists from
    round to round: a round only pays for its joins and leaves.

    ``score[t]`` holds ``<x_j, R[rows[t]]>`` for every point ``j`` (one GEMM
    of the caller, possibly in single precision: with ``slack > 0`` the
    scores within ``slack |R[rows[t]]|`` of the threshold are recomputed in
    double precision). A point whose residual no point outside its active set
    correlates with above ``thr[i]`` (and whose last solve ended optimal) is
    done (``status`` 0); otherwise (``status`` 1), when ``solve``, its
    ``cap[i]`` strongest violators are candidates and the same feature-sign
    search as :func:`_solve_one` runs from the current codes. The caller
    sizes the state so that ``kk[i] + cap[i]`` fits.
    """
    n, d = X.shape
    K = act.shape[1]
    mark = np.zeros(n, np.bool_)
    vi = np.empty(n, np.int64)
    vv = np.empty(n)
    cand = np.empty(K, np.int64)
    cin = np.zeros(K, np.bool_)
    target = np.empty(K)
    syn = np.empty(K)
    slotc = np.empty(K, np.int64)
    h = np.empty(K)
    u = np.empty(K)
    null = np.empty(K)
    L = np.empty((K, K))
    Gs = np.empty((K, K))
    Hs = np.empty((K, K))
    ar = np.arange(K)
    for t in range(rows.shape[0]):
        i = rows[t]
        me = ids[i]
        k = kk[i]
        A = act[i]
        c = coef[i]
        b = bsl[i]
        th = theta[i]
        hs = slot[i]
        H = Hstore[hs] if hs >= 0 else Hs
        r = R[i]
        # the scan: who breaks optimality outside the active set
        for s in range(k):
            mark[A[s]] = True
        mark[me] = True
        cnt = 0
        lim = thr[i]
        band = slack * np.sqrt(_dot(r, r)) if slack > 0.0 else 0.0
        for j in range(n):
            v = abs(score[t, j])
            if v > lim - band and not mark[j]:
                if v <= lim + band:  # too close to call in single precision
                    v = abs(_dot(X[j], r))
                if v > lim:
                    vi[cnt] = j
                    vv[cnt] = v
                    cnt += 1
        for s in range(k):
            mark[A[s]] = False
        mark[me] = False
        if cnt == 0 and settled[i]:
            status[i] = 0
            continue
        status[i] = 1
        if not solve:
            continue
        # the cap[i] strongest violators are the candidates of this round
        nc = min(cnt, cap[i])
        if cnt > nc:
            cut = -np.partition(-vv[:cnt], nc - 1)[nc - 1]
            q = 0
            for j in range(cnt):
                if vv[j] > cut:
                    cand[q] = vi[j]
                    q += 1
            for j in range(cnt):
                if q < nc and vv[j] == cut:
                    cand[q] = vi[j]
                    q += 1
        else:
            for j in range(nc):
                cand[j] = vi[j]
        for q in range(nc):
            cin[q] = False
        ncand = nc
        l1i = l1[i]
        l2i = l2[i]
        ridge = l2i + tiny[i]
        lasso_like = l2i <= 100.0 * tiny[i]
        x = X[me]
        if stale[i] or hs < 0 or (not lasso_like and nup[i] > 4 * k + 64):
            # not kept, or many rank-one updates since the last factorization:
            # the inverse afresh
            if k:
                _rows_inverse(X, A, k, ridge, H, L, Gs, ar)
            nup[i] = 0
        for s in range(k):
            syn[s] = c[s]
            slotc[s] = -1
        optimal = settled[i]
        if optimal:
            for s in range(k):
                target[s] = c[s]
        else:
            _newton_target(H, k, b, th, l1i, target)
        thr_in = l1i * (1.0 + rtol) + 1e-30
        since = 0  # downdates since the inverse was last factorized
        pending = False  # a null-direction join left the inverse incomplete
        max_inner = 4 * (k + nc) + 10
        done = False
        it = 0
        while it < max_inner:
            it += 1
            deg = False
            if optimal:
                # the residual catches up with the codes; the strongest candidate joins
                for s in range(k):
                    dc = c[s] - syn[s]
                    if dc != 0.0:
                        _axpy(-dc, X[A[s]], r)
                        syn[s] = c[s]
                best = -1
                top = 0.0
                gbest = 0.0
                for q in range(ncand):
                    if not cin[q]:
                        g = _dot(X[cand[q]], r)
                        if abs(g) > top:
                            top = abs(g)
                            best = q
                            gbest = g
                if best < 0 or top <= thr_in:
                    done = True
                    break
                if k == K:
                    break
                j = cand[best]
                xj = X[j]
                for s in range(k):
                    h[s] = _dot(xj, X[A[s]])
                sigma = _schur(H, k, h, _dot(xj, xj) + ridge, u)
                deg = lasso_like and sigma - l2i <= 100.0 * tiny[i]
                gj = np.sign(gbest)
                bj = _dot(xj, x)
                if deg:
                    _null_join(H, k, u, gj, null)
                    pending = True
                else:
                    sig = max(sigma, ridge)
                    e = bj - l1i * gj
                    for s in range(k):
                        e -= h[s] * target[s]
                    e /= sig
                    _border(H, k, u, sig)
                    for s in range(k):
                        target[s] -= u[s] * e
                    target[k] = e
                    nup[i] += 1
                A[k] = j
                cin[best] = True
                slotc[k] = best
                th[k] = gj
                b[k] = bj
                c[k] = 0.0
                syn[k] = 0.0
                k += 1
            if lasso_like and not deg:
                # nearly singular systems: the Newton target from the inverse, afresh
                _newton_target(H, k, b, th, l1i, target)
            # towards the target, up to the first sign change
            if deg:
                t_step, kmin = _null_crossing(c, null, k)
                for s in range(k):
                    c[s] += t_step * null[s]
            else:
                t_step, kmin = _first_crossing(c, target, k)
                for s in range(k):
                    c[s] += t_step * (target[s] - c[s])
            optimal = kmin < 0
            if kmin >= 0:
                # the coefficient that reached zero leaves (back among the candidates)
                g = A[kmin]
                if syn[kmin] != 0.0:
                    _axpy(syn[kmin], X[g], r)
                vkk = H[kmin, kmin]
                # a downdate, unless a nearly singular system (lasso: a small
                # Schur complement, or many downdates since the last
                # factorization) needs the inverse afresh
                cheap = vkk != 0.0 and (
                    not lasso_like or (vkk <= _PIVOT_MAX and since <= k and not pending)
                )
                if cheap:
                    # the reduced system's solution follows the inverse
                    tm = target[kmin] / _downdate(H, k, kmin, u)
                    for s in range(k):
                        target[s] -= u[s] * tm
                    nup[i] += 1
                    since += 1
                q = slotc[kmin]
                if q >= 0:
                    cin[q] = False
                elif ncand < K:
                    cand[ncand] = g
                    cin[ncand] = False
                    ncand += 1
                last = k - 1
                if kmin != last:
                    A[kmin] = A[last]
                    c[kmin] = c[last]
                    th[kmin] = th[last]
                    b[kmin] = b[last]
                    target[kmin] = target[last]
                    syn[kmin] = syn[last]
                    slotc[kmin] = slotc[last]
                    _move_last(H, kmin, last)
                k -= 1
                if not cheap and lasso_like and k:
                    _rows_inverse(X, A, k, ridge, H, L, Gs, ar)
                    since = 0
                    pending = False
        settled[i] = done
        stale[i] = hs < 0 or pending
        kk[i] = k
        # the exact residual, for the caller's next scan
        for e in range(d):
            r[e] = x[e]
        for s in range(k):
            _axpy(-c[s], X[A[s]], r)
