"""Exact batched lasso / elastic net on a Gram matrix (active set, inverse updates).

One solver for every lasso of the project: the sparse codes of dictionary
learning (one Gram matrix ``D D'`` shared by a batch of signals) and the
self-representations of subspace clustering (one small Gram matrix per point,
on that point's working set). It solves, for many right-hand sides at once,

    min_c  l1 |c|_1 + l2/2 |c|^2 + 1/2 c'Gc - b'c,

exactly: an active-set method (the feature-sign search of Lee, Battle, Raina &
Ng, 2007, with the first-crossing line search of homotopy / LARS-lasso) that
keeps, per problem, the inverse of the Gram matrix of its active set and
updates it by one rank-one term when a coordinate joins or leaves. An
iteration costs O(k^2 + k p) per problem (``k`` active coordinates, ``p``
coordinates), a handful of array operations over all the unfinished problems,
never a per-problem Python loop; problems that have finished leave the batch.
It starts from any point (warm start), e.g. the codes of the previous epoch.
"""

from __future__ import annotations

import numpy as np

from ._backend import device_kw, get_namespace, is_numpy

__all__ = ["lasso_gram"]

#: problems solved together on the host (their work arrays stay in cache)
_CHUNK = 1024


def _take_along(A, idx, xp):
    """``A[i, idx[i, j]]`` for a (b, p) ``A`` and a (b, k) ``idx``."""
    if is_numpy(xp):
        return np.take_along_axis(A, idx, axis=1)
    b, p = A.shape
    offs = xp.reshape(xp.arange(b, dtype=idx.dtype, **device_kw(A)) * p, (-1, 1))
    flat = xp.take(xp.reshape(A, (-1,)), xp.reshape(idx + offs, (-1,)))
    return xp.reshape(flat, idx.shape)


def _gram_rows(G, j, xp):
    """Row ``j[i]`` of the Gram matrix of problem ``i``: (b, p)."""
    if G.ndim == 2:
        return xp.take(G, j, axis=0)
    b, p, _ = G.shape
    flat = xp.arange(b, dtype=j.dtype, **device_kw(G)) * p + j
    return xp.take(xp.reshape(G, (b * p, p)), flat, axis=0)


def _set_slot(A, f, value, mask, xp):
    """``A`` with ``A[i, f[i]] = value[i]`` where ``mask[i]`` (in place on NumPy)."""
    if is_numpy(xp):
        rows = np.flatnonzero(mask)
        A[rows, f[rows]] = value[rows]
        return A
    hit = (xp.arange(A.shape[1], **device_kw(A))[None, :] == f[:, None]) & mask[:, None]
    if A.ndim == 3:
        return xp.where(hit[:, :, None], value[:, None, :], A)
    return xp.where(hit, value[:, None], A)


def _dense_codes(slots, coef, p, xp):
    """Scatter the (b, k) slot values ``coef`` to their coordinates ``slots``: (b, p)."""
    b, k = slots.shape
    occ = slots >= 0
    if is_numpy(xp):
        out = np.zeros((b, p), dtype=coef.dtype)
        rows = np.broadcast_to(np.arange(b)[:, None], slots.shape)
        out[rows[occ], slots[occ]] = coef[occ]
        return out
    cols = xp.arange(p, **device_kw(coef))
    hit = (slots[:, :, None] == cols[None, None, :]) & occ[:, :, None]
    return xp.sum(xp.where(hit, coef[:, :, None], xp.zeros_like(coef)[:, :, None]), axis=1)


def _times_rows(V, S, p, xp):
    """``sum_k V[i, k] H[slot_k, :]`` for every problem ``i`` (the change of ``H c``)."""
    if S.M is None:  # NumPy, one shared G: scatter to a dense (b, p) array and GEMMs
        D = _dense_codes(S.slots, V, p, xp)
        GD = D @ S.G if S.factor is None else (D @ S.factor) @ S.factor.T
        return GD + S.ridge[:, None] * D
    if is_numpy(xp):
        return np.einsum("bk,bkp->bp", V, S.M)
    return (V[:, None, :] @ S.M)[:, 0, :]


def _active_inverse(G, slots, ridge, xp):
    """Inverse of ``(G + ridge I)`` on each problem's active ``slots`` (zero on free slots)."""
    b, k = slots.shape
    p = G.shape[-1]
    occ = slots >= 0
    safe = xp.where(occ, slots, xp.zeros_like(slots))
    idx = safe[:, :, None] * p + safe[:, None, :]
    if G.ndim == 2:
        Hs = xp.reshape(xp.take(xp.reshape(G, (-1,)), xp.reshape(idx, (-1,))), (b, k, k))
    else:
        base = xp.reshape(xp.arange(b, dtype=idx.dtype, **device_kw(G)) * (p * p), (-1, 1, 1))
        Hs = xp.reshape(xp.take(xp.reshape(G, (-1,)), xp.reshape(idx + base, (-1,))), (b, k, k))
    eye = xp.eye(k, dtype=G.dtype, **device_kw(G))
    both = occ[:, :, None] & occ[:, None, :]
    Hs = xp.where(both, Hs + ridge[:, None, None] * eye, eye)
    mask = xp.astype(occ, G.dtype)
    return xp.linalg.inv(Hs) * mask[:, :, None] * mask[:, None, :]


class _State:
    """Per-problem arrays of the active-set solver, indexed by problem on axis 0."""

    names = (
        "G",
        "B",
        "grad",
        "l1",
        "ridge",
        "tiny",
        "valid",
        "slots",
        "theta",
        "coef",
        "bslot",
        "Hinv",
        "M",
        "optimal",
        "ids",
        "factor",
    )

    def __init__(self, **arrays):
        self.__dict__.update(arrays)

    def take(self, keep, xp):
        for name in self.names:
            a = getattr(self, name)
            if a is None or (name in ("G", "factor") and a.ndim == 2):
                continue
            setattr(self, name, xp.take(a, keep, axis=0))

    def grow(self, k_new, xp):
        """Room for ``k_new`` active coordinates per problem."""
        b, k = self.slots.shape
        extra = k_new - k
        dev = device_kw(self.coef)
        dt = self.coef.dtype
        pad = xp.full((b, extra), -1, dtype=self.slots.dtype, **dev)
        self.slots = xp.concat([self.slots, pad], axis=1)
        zk = xp.zeros((b, extra), dtype=dt, **dev)
        self.theta = xp.concat([self.theta, zk], axis=1)
        self.coef = xp.concat([self.coef, zk], axis=1)
        self.bslot = xp.concat([self.bslot, zk], axis=1)
        H = xp.concat([self.Hinv, xp.zeros((b, extra, k), dtype=dt, **dev)], axis=1)
        self.Hinv = xp.concat([H, xp.zeros((b, k_new, extra), dtype=dt, **dev)], axis=2)
        if self.M is not None:
            p = self.M.shape[2]
            self.M = xp.concat([self.M, xp.zeros((b, extra, p), dtype=dt, **dev)], axis=1)


def _rtol(dtype, xp):
    """Relative slack of the optimality tests (coarser where rounding is)."""
    return max(1e-7, 1e2 * float(xp.finfo(dtype).eps))


def lasso_gram(
    G, B, l1, l2=0.0, *, positive=False, init=None, valid=None, max_iter=None, factor=None
):
    """Exact solutions of many lasso / elastic-net problems on Gram matrices.

    Solves, for every row ``b_i`` of ``B``,

    .. math::

        \\min_c \\; l_1 \\|c\\|_1 + \\tfrac{l_2}{2} \\|c\\|_2^2
        + \\tfrac12 c^\\top G c - b_i^\\top c,

    which is ``min_c 1/2 |x_i - c D|^2 + l1 |c|_1 + l2/2 |c|^2`` for
    ``G = D D'`` and ``b_i = D x_i`` (the lasso of sparse coding, the elastic
    net of EnSC). The solver is an active-set method run on all problems at
    once: when the active coordinates are optimal, the inactive coordinate
    that violates its optimality condition ``|b_j - (Gc)_j - l2 c_j| <= l1``
    the most joins with the sign of its violation; a Newton step then solves
    the active system ``(G + l2 I)_AA c_A = b_A - l1 sign(c_A)`` and moves
    towards its solution up to the first coefficient that would change sign,
    which leaves (the feature-sign search of Lee et al., 2007, with the
    line search of LARS-lasso, so the objective decreases at every step and
    the method ends in finitely many steps at the exact solution). Each
    problem keeps the inverse of its active Gram matrix, updated by one
    rank-one term per join or leave.

    Parameters
    ----------
    G : array of shape (p, p) or (n_problems, p, p)
        Positive semidefinite Gram matrix, shared by all problems or one per
        problem.
    B : array of shape (n_problems, p)
        Linear terms (correlations ``D x``).
    l1 : float or array of shape (n_problems,)
        l1 penalty, per problem or shared (nonnegative).
    l2 : float or array of shape (n_problems,), default=0.0
        Squared l2 penalty (0: lasso).
    positive : bool, default=False
        Constrain the solutions to be nonnegative.
    init : array of shape (n_problems, p), default=None
        Warm start (e.g. the solution of a nearby problem); zeros when None.
    valid : bool array of shape (n_problems, p), default=None
        Coordinates a problem may use (the others stay 0); all when None.
    max_iter : int, default=None
        Maximum number of joins and leaves per problem (default ``4 p + 10``).
    factor : array of shape (p, n_features), default=None
        A factor ``D`` of a shared ``G = D D'`` with fewer columns than ``p``
        (dictionary learning: atoms in rows); the gradient updates then cost
        ``O(p n_features)`` per problem instead of ``O(p^2)`` (NumPy).

    Returns
    -------
    coef : array of shape (n_problems, p)
        The solutions, in the namespace and dtype of ``B``.
    converged : bool array of shape (n_problems,)
        Whether each problem reached its optimality conditions.
    n_iter : int
        Number of iterations of the batch.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace._lasso import lasso_gram
    >>> D = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    >>> x = np.array([[1.0, 2.0]])
    >>> coef, converged, _ = lasso_gram(D @ D.T, x @ D.T, 0.5)
    >>> np.round(coef, 3), converged
    (array([[0.   , 0.389, 1.389]]), array([ True]))
    """
    xp = get_namespace(G, B)
    n, p = B.shape
    if is_numpy(xp) and _host_kernel() is not None:
        return _lasso_gram_host(G, B, l1, l2, positive, init, valid, max_iter)
    if is_numpy(xp) and n > _CHUNK:
        # Host: chunks of problems whose work arrays stay in cache.
        l1 = np.broadcast_to(np.asarray(l1, dtype=B.dtype), (n,))
        l2 = np.broadcast_to(np.asarray(l2, dtype=B.dtype), (n,))
        parts = []
        for a in range(0, n, _CHUNK):
            sl = slice(a, a + _CHUNK)
            parts.append(
                _lasso_gram(
                    G if G.ndim == 2 else G[sl],
                    B[sl],
                    l1[sl],
                    l2[sl],
                    init=None if init is None else init[sl],
                    valid=None if valid is None else valid[sl],
                    max_iter=max_iter,
                    positive=positive,
                    factor=factor,
                    xp=xp,
                )
            )
        return (
            np.concatenate([q[0] for q in parts]),
            np.concatenate([q[1] for q in parts]),
            max(q[2] for q in parts),
        )
    return _lasso_gram(
        G,
        B,
        l1,
        l2,
        init=init,
        valid=valid,
        max_iter=max_iter,
        positive=positive,
        factor=factor,
        xp=xp,
    )


def _host_kernel():
    """The compiled host kernel, or None when Numba is missing."""
    global _HOST
    if _HOST is False:
        try:
            from ._lasso_numba import lasso_gram_host
        except ImportError:  # pragma: no cover - numba is a dependency
            lasso_gram_host = None
        _HOST = lasso_gram_host
    return _HOST


_HOST = False  # not looked up yet


def _lasso_gram_host(G, B, l1, l2, positive, init, valid, max_iter):
    """NumPy input: the compiled kernel, problem by problem (float64 inside)."""
    n, p = B.shape
    f64 = np.float64
    B64 = np.ascontiguousarray(B, dtype=f64)
    G64 = np.ascontiguousarray(G, dtype=f64)
    G64 = G64[None] if G64.ndim == 2 else G64
    l1 = np.ascontiguousarray(np.broadcast_to(np.asarray(l1, dtype=f64), (n,)))
    l2 = np.ascontiguousarray(np.broadcast_to(np.asarray(l2, dtype=f64), (n,)))
    dmax = np.max(np.diagonal(G64, axis1=1, axis2=2), axis=1) if n else np.zeros(0)
    eps = max(1e-9, 10.0 * float(np.finfo(B.dtype).eps))
    tiny = np.ascontiguousarray(np.broadcast_to(eps * np.maximum(dmax, 1e-30), (n,)))
    C0 = np.zeros((n, p)) if init is None else np.ascontiguousarray(init, dtype=f64)
    valid = np.ones((n, p), dtype=bool) if valid is None else np.ascontiguousarray(valid, bool)
    if max_iter is None:
        max_iter = 4 * p + 10
    coef, conv, n_iter = _host_kernel()(
        G64, B64, l1, l2, tiny, C0, valid, bool(positive), int(max_iter), _rtol(B.dtype, np)
    )
    return coef.astype(B.dtype, copy=False), conv, int(n_iter)


def _lasso_gram(G, B, l1, l2, *, init, valid, max_iter, positive, factor, xp):
    """The solver on one batch of problems (see :func:`lasso_gram`)."""
    if is_numpy(xp) and hasattr(np, "astype"):
        xp = np  # NumPy >= 2.1 speaks the array API itself: no wrapper per call
    dev = device_kw(B)
    dt = B.dtype
    n, p = B.shape
    if max_iter is None:
        max_iter = 4 * p + 10
    l1 = xp.broadcast_to(xp.asarray(l1, dtype=dt, **dev), (n,))
    l2 = xp.broadcast_to(xp.asarray(l2, dtype=dt, **dev), (n,))
    # a tiny ridge keeps every active system nonsingular when l2 = 0 (lasso)
    if G.ndim == 2:
        dmax = xp.max(xp.linalg.diagonal(G))
    else:
        dmax = xp.max(xp.linalg.diagonal(G), axis=1)
    # relative ridge 1e-9 (float32: 1.2e-6): the systems of active sets that
    # span the column space (lasso with more atoms than features) stay
    # solvable, at a change of the solution of about that relative order
    eps = max(1e-9, 10.0 * float(xp.finfo(dt).eps))
    tiny = eps * xp.broadcast_to(xp.maximum(dmax, xp.asarray(1e-30, dtype=dt, **dev)), (n,))
    ridge = l2 + tiny
    rtol = _rtol(dt, xp)
    if valid is None:
        valid = xp.ones((n, p), dtype=xp.bool, **dev)
    cols = xp.arange(p, **dev)

    def rows(S, j):
        """Rows ``j`` of ``G + ridge I`` for the problems of state ``S``."""
        R = _gram_rows(S.G, j, xp)
        if is_numpy(xp):
            R[np.arange(R.shape[0]), j] += S.ridge
            return R
        return R + S.ridge[:, None] * xp.astype(cols[None, :] == j[:, None], dt)

    # --- initial state: the warm start's nonzeros are the active set
    if init is None:
        C0 = xp.zeros((n, p), dtype=dt, **dev)
    else:
        C0 = xp.astype(init, dt)
        if positive:
            C0 = xp.clip(C0, 0, None)
        C0 = xp.where(valid, C0, xp.zeros((n, p), dtype=dt, **dev))
    act0 = C0 != 0
    k0 = int(xp.max(xp.sum(xp.astype(act0, xp.int64), axis=1))) if n else 0
    k = int(min(p, max(8, 2 * k0)))
    if G.ndim == 2:
        GC = C0 @ G
    else:
        GC = (G @ C0[:, :, None])[:, :, 0]
    grad = B - GC - ridge[:, None] * C0
    # active coordinates first (stable), in the first k0 slots
    order = xp.argsort(xp.astype(~act0, xp.int8), axis=1, stable=True)[:, :k]
    in_act = xp.arange(k, **dev)[None, :] < xp.sum(xp.astype(act0, xp.int64), axis=1)[:, None]
    minus = xp.full(order.shape, -1, dtype=order.dtype, **dev)
    slots = xp.where(in_act, order, minus)
    zero_k = xp.zeros((n, k), dtype=dt, **dev)
    coef = xp.where(in_act, _take_along(C0, order, xp), zero_k)
    theta = xp.sign(coef)
    bslot = xp.where(in_act, _take_along(B, order, xp), zero_k)
    # Rows of the active coordinates, kept per problem for the gradient updates
    # (O(k p) each); with one shared G on NumPy a dense GEMM replaces them.
    dense_update = is_numpy(xp) and G.ndim == 2
    M = None if dense_update else xp.zeros((n, k, p), dtype=dt, **dev)
    Hinv = xp.zeros((n, k, k), dtype=dt, **dev)
    if k0:
        Hinv = _active_inverse(G, slots, ridge, xp)
    if k0 and not dense_update:
        # rows of the active coordinates
        safe = xp.where(in_act, order, xp.zeros_like(order))
        if G.ndim == 2:
            M = xp.take(G, xp.reshape(safe, (-1,)), axis=0)
            M = xp.reshape(M, (n, k, p))
        else:
            flat = xp.reshape(xp.arange(n, dtype=safe.dtype, **dev) * p, (-1, 1)) + safe
            M = xp.reshape(
                xp.take(xp.reshape(G, (n * p, p)), xp.reshape(flat, (-1,)), axis=0), (n, k, p)
            )
        onehot = xp.astype(safe[:, :, None] == cols[None, None, :], dt)
        M = (M + ridge[:, None, None] * onehot) * xp.astype(in_act, dt)[:, :, None]
    n_act0 = xp.sum(xp.astype(act0, xp.int64), axis=1)
    S = _State(
        G=G,
        B=B,
        grad=grad,
        l1=l1,
        ridge=ridge,
        tiny=tiny,
        valid=valid,
        slots=slots,
        theta=theta,
        coef=coef,
        bslot=bslot,
        Hinv=Hinv,
        M=M,
        # a warm start may sit off its sign pattern's optimum: Newton step first
        optimal=n_act0 == 0,
        ids=xp.arange(n, **dev),
        factor=factor if dense_update and factor is not None and factor.shape[1] < p else None,
    )
    out_ids, out_slots, out_coef, out_conv = [], [], [], []

    def retire(mask_done, converged):
        keep = xp.nonzero(mask_done)[0]
        out_ids.append(xp.take(S.ids, keep))
        out_slots.append(xp.take(S.slots, keep, axis=0))
        out_coef.append(xp.take(S.coef, keep, axis=0))
        out_conv.append(xp.full((keep.shape[0],), converged, dtype=xp.bool, **dev))

    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (returned)
        m = S.B.shape[0]
        kk = S.slots.shape[1]
        # 1. problems optimal on their active set: the strongest violator joins
        # (nonnegative codes: only coordinates whose increase lowers the objective)
        score = xp.where(S.valid, S.grad if positive else xp.abs(S.grad), xp.zeros_like(S.grad))
        j = xp.argmax(score, axis=1)
        top = xp.max(score, axis=1)
        viol = S.optimal & (top > S.l1 * (1.0 + rtol) + 1e-30)
        done = S.optimal & ~viol
        n_done = int(xp.sum(xp.astype(done, xp.int64)))
        if n_done == m:
            retire(done, True)
            S = None
            break
        if n_done and n_done >= max(1, m // 8):
            retire(done, True)
            keep = xp.nonzero(~done)[0]
            S.take(keep, xp)
            j, viol = xp.take(j, keep), xp.take(viol, keep)
            done = xp.zeros(keep.shape[0], dtype=xp.bool, **dev)
            m = keep.shape[0]
        occ = S.slots >= 0
        n_occ = xp.sum(xp.astype(occ, xp.int64), axis=1)
        if bool(xp.any(viol & (n_occ >= kk))):
            S.grow(min(p, 2 * kk) if kk < p else p, xp)
            kk = S.slots.shape[1]
            occ = S.slots >= 0
        viol = viol & (n_occ < kk)  # a full active set cannot grow (kk == p)
        if bool(xp.any(viol)):
            f = xp.argmax(xp.astype(~occ, xp.int8), axis=1)  # first free slot
            row = rows(S, j)
            safe = xp.where(occ, S.slots, xp.zeros_like(S.slots))
            h = xp.where(occ, _take_along(row, safe, xp), xp.zeros_like(S.coef))
            u = (S.Hinv @ h[:, :, None])[:, :, 0]
            djj = _take_along(row, j[:, None], xp)[:, 0]
            sigma = djj - xp.sum(h * u, axis=1)
            # a joiner in the span of the active coordinates (the lasso with
            # more atoms than features) makes the active system singular: it
            # then enters along the null direction instead (below)
            # (with an l2 term the system is never singular: sigma >= l2)
            l2_part = S.ridge - S.tiny
            deg = viol & (sigma - l2_part <= 100.0 * S.tiny) & (l2_part <= 100.0 * S.tiny)
            sigma = xp.where(viol & ~deg, xp.maximum(sigma, S.ridge), xp.ones_like(sigma))
            e_f = xp.astype(xp.arange(kk, **dev)[None, :] == f[:, None], dt)
            w = u - e_f
            w = xp.where((viol & ~deg)[:, None], w, xp.zeros_like(w))
            S.Hinv = S.Hinv + (w[:, :, None] * w[:, None, :]) / sigma[:, None, None]
            gj = _take_along(S.grad, j[:, None], xp)[:, 0]
            null = xp.where(deg[:, None], xp.sign(gj)[:, None] * (e_f - u), xp.zeros_like(u))
            bj = _take_along(S.B, j[:, None], xp)[:, 0]
            if S.M is not None:
                S.M = _set_slot(S.M, f, row, viol, xp)
            S.slots = _set_slot(S.slots, f, xp.astype(j, S.slots.dtype), viol, xp)
            S.theta = _set_slot(S.theta, f, xp.sign(gj), viol, xp)
            S.bslot = _set_slot(S.bslot, f, bj, viol, xp)
            occ = S.slots >= 0
        else:
            deg = null = None
        # 2. Newton step towards the active system's solution, up to the first sign change
        step = ~done
        rhs = S.bslot - S.l1[:, None] * S.theta
        z = (S.Hinv @ rhs[:, :, None])[:, :, 0]
        z = xp.where(occ, z, xp.zeros_like(z))
        delta = xp.where(step[:, None], z - S.coef, xp.zeros_like(z))
        cross = (S.coef != 0) & (S.coef * z <= 0) & step[:, None]
        denom = xp.where(cross, S.coef - z, xp.ones_like(z))
        tk = xp.where(cross, S.coef / denom, xp.full(z.shape, 2.0, dtype=dt, **dev))
        kmin = xp.argmin(tk, axis=1)
        tmin = xp.min(tk, axis=1)
        hit = tmin <= 1.0
        t = xp.where(hit, tmin, xp.ones_like(tmin))
        if deg is not None and bool(xp.any(deg)):
            # along the null direction the smooth part is flat and the l1 term
            # decreases: go to the first coefficient that reaches zero
            cross0 = (S.coef * null) < 0
            t0 = xp.where(
                cross0,
                -S.coef / xp.where(cross0, null, xp.ones_like(null)),
                xp.full(null.shape, xp.inf, dtype=dt, **dev),
            )
            k0min = xp.argmin(t0, axis=1)
            t0min = xp.min(t0, axis=1)
            ok = deg & (t0min < xp.inf)
            delta = xp.where(deg[:, None], null, delta)
            t = xp.where(deg, xp.where(ok, t0min, xp.zeros_like(t0min)), t)
            kmin = xp.where(deg, k0min, kmin)
            hit = xp.where(deg, ok, hit)
        S.coef = S.coef + t[:, None] * delta
        S.grad = S.grad - _times_rows(t[:, None] * delta, S, p, xp)
        S.optimal = step & ~hit
        if bool(xp.any(hit)):
            # the coefficient that reached zero leaves the active set: a rank-one
            # downdate of the inverse, or (lasso: nearly singular active sets,
            # where the downdate loses accuracy) the inverse formed anew
            onek = xp.arange(kk, **dev)[None, :] == kmin[:, None]
            onef = xp.astype(onek, dt)
            v = (S.Hinv @ onef[:, :, None])[:, :, 0]  # column kmin
            vkk = xp.sum(v * onef, axis=1)
            vkk = xp.where(hit & (vkk != 0), vkk, xp.ones_like(vkk))
            v = xp.where(hit[:, None], v, xp.zeros_like(v))
            keep = 1.0 - xp.where(hit[:, None], onef, xp.zeros_like(onef))
            S.Hinv = (S.Hinv - (v[:, :, None] * v[:, None, :]) / vkk[:, None, None]) * (
                keep[:, :, None] * keep[:, None, :]
            )
            gone = hit[:, None] & onek
            zk = xp.zeros_like(S.coef)
            S.coef = xp.where(gone, zk, S.coef)
            S.theta = xp.where(gone, zk, S.theta)
            S.bslot = xp.where(gone, zk, S.bslot)
            S.slots = xp.where(
                gone, xp.full(S.slots.shape, -1, dtype=S.slots.dtype, **dev), S.slots
            )
            fresh = hit & (S.ridge - S.tiny <= 100.0 * S.tiny)
            if is_numpy(xp):
                rows_fresh = np.flatnonzero(fresh)
                if rows_fresh.size:
                    S.Hinv[rows_fresh] = _active_inverse(
                        S.G if S.G.ndim == 2 else S.G[rows_fresh],
                        S.slots[rows_fresh],
                        S.ridge[rows_fresh],
                        xp,
                    )
            elif bool(xp.any(fresh)):
                new_inv = _active_inverse(S.G, S.slots, S.ridge, xp)
                S.Hinv = xp.where(fresh[:, None, None], new_inv, S.Hinv)
            if S.M is not None:
                S.M = _set_slot(S.M, kmin, xp.zeros_like(S.M[:, 0, :]), hit, xp)
    if S is not None:  # out of iterations
        retire(S.optimal | ~S.optimal, False)
    ids = xp.concat(out_ids)
    width = max(s.shape[1] for s in out_slots)

    def widen(a, fill):
        extra = width - a.shape[1]
        if not extra:
            return a
        return xp.concat([a, xp.full((a.shape[0], extra), fill, dtype=a.dtype, **dev)], axis=1)

    slots = xp.concat([widen(s, -1) for s in out_slots], axis=0)
    coef = xp.concat([widen(c, 0) for c in out_coef], axis=0)
    conv = xp.concat(out_conv)
    inv = xp.argsort(ids)
    slots, coef, conv = xp.take(slots, inv, axis=0), xp.take(coef, inv, axis=0), xp.take(conv, inv)
    return _dense_codes(slots, coef, p, xp), conv, n_iter


def oracle_kernel():
    """The compiled oracle rounds of self-representation (EnSC / SSC), or None without Numba."""
    if _host_kernel() is None:  # pragma: no cover - numba is a dependency
        return None
    from ._lasso_numba import oracle_round_host

    return oracle_round_host
