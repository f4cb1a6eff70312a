"""Robust PCA (low rank + sparse): Principal Component Pursuit by inexact ALM, or AccAltProj."""

from __future__ import annotations

import functools
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, device_kw, get_namespace, is_numpy, to_float, to_numpy
from .._dask import (
    DaskLowRankOps,
    as_row_chunked,
    map_row_blocks,
    pick_ops,
    validate_dask_data,
)
from .._linalg import machine_eps, randomized_svd, soft_threshold, svd_flip, svt
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import ArrayAPISupportMixin, check_random_state, validate_data

__all__ = ["RobustPCA"]


class _InMemoryOps:
    """The array operations of the ALM loop that depend on where the data lives.

    In memory (NumPy, CuPy, any array-API namespace) the low-rank step is the
    shared warm-started partial SVT and nothing needs persisting;
    :class:`sksubspace._dask.DaskLowRankOps` provides the same three methods
    for a row-chunked ``dask.array.Array``, so the loop itself is written once.
    """

    @staticmethod
    def spectral_norm(D, rng):
        return to_float(randomized_svd(D, 1, random_state=rng)[1][0])

    @staticmethod
    def svt(A, threshold, *, rank_guess, start, rng):
        return svt(
            A,
            threshold,
            rank_guess=rank_guess,
            n_iter=0,  # the warm start suffices
            random_state=rng,
            start=start,
        )

    @staticmethod
    def persist(*arrays):
        return arrays

    @staticmethod
    def low_rank(L, U, s, Vt):
        """``L = U diag(s) Vt`` after ``persist``: in memory, ``L`` already is it."""
        return L

    # -- the estimator's input and output (RobustPCA's fit, transform) --
    @staticmethod
    def validate(est, X):
        """``X`` on the compute device, and how small and n x d results leave."""
        X = validate_data(est, X, allow_nan=True)
        ctx = compute_context(est.device, X)
        return ctx.asarray(X), ctx.output, ctx.output

    @staticmethod
    def transform(est, X):
        X = validate_data(est, X, reset=False, allow_nan=True)
        ctx = compute_context(est.device, X)
        Xc = ctx.asarray(X)
        mean = None if est.mean_ is None else ctx.asarray(est.mean_)
        W = _robust_transform(Xc, ctx.asarray(est.components_), mean, est.transform_max_iter)
        return ctx.output(W)

    @staticmethod
    def inverse_transform(est, X):
        if isinstance(X, (list, tuple)):
            X = np.asarray(X, dtype=float)
        ctx = compute_context(est.device, X)
        Z = ctx.asarray(X)
        mean = None if est.mean_ is None else ctx.asarray(est.mean_)
        return ctx.output(_inverse(Z, ctx.asarray(est.components_), mean))


class _DaskOps(DaskLowRankOps):
    """RobustPCA on a row-chunked Dask array: the ALM steps of
    :class:`sksubspace._dask.DaskLowRankOps`, and lazy blockwise outputs."""

    @staticmethod
    def validate(est, X):
        """Lazily checked ``X``; small results are computed, n x d ones stay lazy."""
        Xc = validate_dask_data(est, X, allow_nan=True, device=est.device)
        return Xc, _compute_host, lambda a: a

    @staticmethod
    def transform(est, X):
        X = validate_dask_data(est, X, reset=False, allow_nan=True, device=est.device)
        V = np.asarray(est.components_, dtype=X.dtype)
        mean = None if est.mean_ is None else np.asarray(est.mean_, dtype=X.dtype)
        func = functools.partial(_robust_transform, V=V, mean=mean, max_iter=est.transform_max_iter)
        return map_row_blocks(func, X, est.rank_)

    @staticmethod
    def inverse_transform(est, X):
        Z = as_row_chunked(X, name="X")
        V, mean = np.asarray(est.components_), est.mean_
        return map_row_blocks(functools.partial(_inverse, V=V, mean=mean), Z, V.shape[1])


class _NumpyALMWork:
    """The elementwise steps of the inexact ALM on NumPy, in place.

    Three ``m x n`` work arrays are allocated once; the generic code would
    allocate about fifteen temporaries per iteration, whose page faults cost
    as much as the partial SVD. ``Y`` (the multiplier, owned by the loop) is
    updated in place.
    """

    def __init__(self, D, mask):
        self.D = D
        self.missing = None if mask is None else ~mask
        self.G, self.S, self.L = (np.empty_like(D) for _ in range(3))

    def sparse_step(self, L, Y, mu, threshold):
        """``S = shrink(D - L + Y/mu)`` (free off the mask) and ``D - S + Y/mu``."""
        G, S = self.G, self.S
        np.multiply(Y, 1.0 / mu, out=G)
        G += self.D  # D + Y/mu
        T = np.subtract(G, L, out=self.L)  # L is rebuilt after the SVT
        np.abs(T, out=S)
        S -= threshold
        np.maximum(S, 0.0, out=S)
        np.copysign(S, T, out=S)
        if self.missing is not None:
            np.copyto(S, T, where=self.missing)
        G -= S
        return S, G

    def dual_step(self, Us, Vt, S, Y, mu):
        """``L = Us Vt``, ``Y += mu (D - L - S)``; returns ``L`` and ``||D - L - S||_F``."""
        L = np.matmul(Us, Vt, out=self.L)
        Z = np.subtract(self.D, L, out=self.G)
        Z -= S
        flat = Z.reshape(-1)
        norm_z = float(np.sqrt(flat @ flat))
        Z *= mu
        Y += Z
        return L, norm_z


def _pcp_ialm(D, mask, lam, *, mu, rho, tol, max_iter, random_state, verbose, ops=_InMemoryOps):
    """Inexact ALM for ``min ||L||_* + lam ||P(S)||_1  s.t.  P(L + S) = P(D)``.

    ``D`` is tall (m >= n) with zeros where ``mask`` is False (``mask`` is None
    when every entry is observed); off the mask ``S`` is free, so ``L`` there
    is a completion. Returns ``L`` as factors ``(U, s, Vt)``, ``S``, the number
    of iterations and the final relative residual.

    ``ops`` supplies the spectral norm, the singular value thresholding and
    ``persist`` (materialize arrays that later steps read several times: the
    identity in memory). Everything else is elementwise or a product with the
    low-rank factors, so with a Dask ``D`` the whole loop runs blockwise and
    only the multiplier ``Y`` is kept (persisted) between iterations.
    """
    xp = get_namespace(D)
    m, n = D.shape
    rng = check_random_state(random_state)
    norm_fro, norm_max = ops.persist(xp.linalg.vector_norm(D), xp.max(xp.abs(D)))
    norm_fro = to_float(norm_fro)
    if norm_fro == 0.0:
        dev = device_kw(D)
        z = xp.zeros((m, 0), dtype=D.dtype, **dev)
        s, vt = xp.zeros((0,), dtype=D.dtype, **dev), xp.zeros((0, n), dtype=D.dtype, **dev)
        return z, s, vt, D, 0, 0.0
    norm_two = ops.spectral_norm(D, rng)
    norm_inf = to_float(norm_max) / lam
    Y = D / max(norm_two, norm_inf)
    mu = 1.25 / norm_two if mu is None else float(mu)
    L = xp.zeros_like(D)
    U = s = Vt = None
    rank = 0
    err = np.inf
    n_iter = 0
    # NumPy in memory: the elementwise steps run in place on preallocated arrays.
    work = _NumpyALMWork(D, mask) if ops is _InMemoryOps and is_numpy(xp) else None
    for n_iter in range(1, max_iter + 1):
        if work is None:
            T = D - L + Y / mu
            S = soft_threshold(T, lam / mu)
            if mask is not None:
                S = xp.where(mask, S, T)  # unobserved entries: S is free
            svt_input = D - S + Y / mu
        else:
            S, svt_input = work.sparse_step(L, Y, mu, lam / mu)
        start = None if Vt is None or Vt.shape[0] == 0 else xp.matrix_transpose(Vt)
        U, s, Vt = ops.svt(
            svt_input, 1.0 / mu, rank_guess=rank + max(5, rank // 10), start=start, rng=rng
        )
        rank = s.shape[0]
        if work is None:
            L = (U * s) @ Vt
            Z = D - L - S
            # one pass: the new multiplier, the residual and (Dask) the left factor
            Y, norm_z, U = ops.persist(Y + mu * Z, xp.linalg.vector_norm(Z), U)
            L = ops.low_rank(L, U, s, Vt)
        else:
            L, norm_z = work.dual_step(U * s, Vt, S, Y, mu)
        mu = mu * rho
        err = to_float(norm_z) / norm_fro
        if verbose:
            print(f"RobustPCA: iteration {n_iter:3d}, rank {rank:4d}, residual {err:.3e}")
        if err <= tol:
            break
    return U, s, Vt, S, n_iter, err


def _estimate_rank(A, rng, *, start=None):
    """Rank of the dominant low-rank part of ``A``, and its truncated SVD.

    The rank is the edge of the spectrum: the last index ``i`` with
    ``s_i / s_{i+1} >= 1.5`` (the noise bulk that follows has ratios near 1;
    an earlier jump, say from a large mean, is a direction of the low-rank
    part too). Partial SVDs of doubling size ``K`` (from
    ``max(16, min(m, n) / 16)``; one power iteration: only a gap is sought) look for it among their first three quarters; past
    ``min(m, n) / 4`` a dense SVD decides within the first half of the
    spectrum (the largest ratio there when none reaches 1.5). Returns
    ``(rank, U, s, Vt)`` truncated to the rank.
    """
    xp = get_namespace(A)
    small = min(A.shape)
    K = min(max(16, small // 16) if start is None else start, small)
    while True:
        dense = K >= small // 4
        if dense:
            U, s, Vt = xp.linalg.svd(A, full_matrices=False)
        else:
            U, s, Vt = randomized_svd(A, K, n_iter=1, random_state=rng)
        sv = np.asarray(to_numpy(s), dtype=np.float64)
        if sv.size < 2 or sv[0] == 0.0:
            rank = max(1, int(np.sum(sv > 0)))
            break
        pos = sv[1:] > sv[0] * 1e3 * np.finfo(np.float64).eps
        ratio = np.where(pos, sv[:-1] / np.where(pos, sv[1:], 1.0), np.inf)
        window = ratio[: max(1, (sv.size if dense else 3 * K) // (2 if dense else 4))]
        jumps = np.flatnonzero(window >= 1.5)
        if jumps.size or dense:
            rank = int(jumps[-1] if jumps.size else np.argmax(window)) + 1
            break
        K = 2 * K
    return rank, U[:, :rank], s[:rank], Vt[:rank, :]


class _SparseStep:
    """The sparse projection of AccAltProj: ``S = T_zeta(D - L)``, free off the mask.

    Calling it with ``L`` returns ``S``, ``Z = D - S`` (the input of the next
    low-rank step) and ``||P(D - L - S)||_F`` (the residual neither part
    explains). On NumPy the ``m x n`` work arrays are allocated once and
    reused (every iteration would otherwise fault in fresh pages for five
    temporaries, which costs more than the products of the low-rank step);
    ``S`` and ``Z`` returned by one call are overwritten by the next.
    """

    def __init__(self, D, mask):
        self.D, self.mask = D, mask
        xp = get_namespace(D)
        self.xp = xp
        self.numpy = is_numpy(xp)
        if self.numpy:
            self.R, self.S, self.Z = (np.empty_like(D) for _ in range(3))
            self.big = np.empty(D.shape, dtype=bool)
            self.missing = None if mask is None else ~mask

    def __call__(self, L, zeta):
        D, xp = self.D, self.xp
        if not self.numpy:
            R = D - L
            big = xp.abs(R) > zeta
            if self.mask is not None:
                big = big | ~self.mask  # unobserved: S is free, D - S = L there
            zero = xp.zeros_like(R)
            S = xp.where(big, R, zero)
            return S, xp.where(big, L, D), to_float(xp.linalg.vector_norm(R - S))
        R, S, Z, big = self.R, self.S, self.Z, self.big
        np.subtract(D, L, out=R)
        np.abs(R, out=Z)
        np.greater(Z, zeta, out=big)
        if self.missing is not None:
            np.logical_or(big, self.missing, out=big)
        np.multiply(R, big, out=S)
        np.subtract(R, S, out=R)  # the unexplained residual
        flat = R.reshape(-1)
        np.subtract(D, S, out=Z)
        return S, Z, float(np.sqrt(flat @ flat))


def _trim(U, s, Vt, incoherence):
    """Trim ``U diag(s) Vt`` to incoherence ``mu`` (Cai, Cai & Wei, Alg. 2).

    Rows of ``U`` (columns of ``Vt``) whose norm exceeds ``sqrt(mu r / m)``
    (``sqrt(mu r / n)``) are scaled down to it; the trimmed product is
    re-factored by two QRs and an ``r x r`` SVD.
    """
    xp = get_namespace(U, Vt)
    m, r = U.shape
    n = Vt.shape[1]

    def clip_rows(A, bound):
        norms = xp.linalg.vector_norm(A, axis=1)
        return A * xp.minimum(1.0, bound / xp.where(norms > 0, norms, 1.0))[:, None]

    Qu, Ru = xp.linalg.qr(clip_rows(U, float(np.sqrt(incoherence * r / m))))
    Qv, Rv = xp.linalg.qr(clip_rows(xp.matrix_transpose(Vt), float(np.sqrt(incoherence * r / n))))
    P, s, Ht = xp.linalg.svd((Ru * s) @ xp.matrix_transpose(Rv))
    return Qu @ P, s, Ht @ xp.matrix_transpose(Qv)


def _accaltproj(
    D,
    mask,
    rank,
    *,
    beta,
    beta_init,
    gamma,
    tol,
    max_iter,
    incoherence,
    random_state,
    verbose,
):
    """Accelerated alternating projections (Cai, Cai & Wei 2019) for ``D = L + S``.

    ``L`` of rank ``rank`` (None: :func:`_estimate_rank`), ``S`` sparse.
    ``D`` is tall with zeros where ``mask`` is False (None: all observed).
    Each iteration projects ``D - S`` onto the tangent space of the rank-r
    manifold at the current ``L = U diag(s) V'`` and truncates it to rank r
    exactly through a ``2r x 2r`` SVD (two products with ``D - S``, two thin
    QRs), then sets ``S`` by hard thresholding ``D - L`` at
    ``beta (s_{r+1} + gamma^k s_1)`` of that projection: the threshold
    decays with the iterations. Returns ``U, s, Vt, S, n_iter, err, rank``.
    """
    xp = get_namespace(D)
    m, n = D.shape
    rng = check_random_state(random_state)
    norm_d = to_float(xp.linalg.vector_norm(D))
    if norm_d == 0.0:
        dev = device_kw(D)
        z = xp.zeros((m, 0), dtype=D.dtype, **dev)
        s, vt = xp.zeros((0,), dtype=D.dtype, **dev), xp.zeros((0, n), dtype=D.dtype, **dev)
        return z, s, vt, D, 0, 0.0, 0
    observed = 1.0 if mask is None else to_float(xp.mean(xp.astype(mask, D.dtype)))
    sigma1 = to_float(randomized_svd(D, 1, n_iter=2, random_state=rng)[1][0]) / observed
    # Initialization: remove the largest entries, then a rank-r truncated SVD
    # (rescaled by the observed fraction, the expectation of a zero-filled L).
    S = xp.where(xp.abs(D) > beta_init * sigma1, D, xp.zeros_like(D))
    if rank is None:
        rank, U, s, Vt = _estimate_rank(D - S, rng)
    else:
        rank = min(rank, n)
        U, s, Vt = randomized_svd(D - S, rank, n_iter=2, random_state=rng)
    s = s / observed
    sparse_step = _SparseStep(D, mask)
    S, Z, resid = sparse_step((U * s) @ Vt, beta * to_float(s[0]))
    err = resid / norm_d
    n_iter = 0
    while err > tol and n_iter < max_iter:
        n_iter += 1
        if incoherence is not None:
            U, s, Vt = _trim(U, s, Vt, incoherence)
        Ut = xp.matrix_transpose(U)
        A = Ut @ Z  # (Z' U)', r x n
        Bt = Vt @ xp.matrix_transpose(Z)  # (Z V)', r x m
        C = Bt @ U  # (U' Z V)'
        Q1, R1 = xp.linalg.qr(xp.matrix_transpose(Bt) - U @ xp.matrix_transpose(C))  # (I-UU')ZV
        Q2, R2 = xp.linalg.qr(xp.matrix_transpose(A) - xp.matrix_transpose(Vt) @ C)  # (I-VV')Z'U
        top = xp.concat([xp.matrix_transpose(C), xp.matrix_transpose(R2)], axis=1)
        bottom = xp.concat([R1, xp.zeros_like(R1)], axis=1)
        P, sm, Ht = xp.linalg.svd(xp.concat([top, bottom], axis=0))
        U = xp.concat([U, Q1], axis=1) @ P[:, :rank]
        Vt = Ht[:rank, :] @ xp.concat([Vt, xp.matrix_transpose(Q2)], axis=0)
        s = sm[:rank]
        zeta = beta * (to_float(sm[rank]) + gamma**n_iter * to_float(sm[0]))
        S, Z, resid = sparse_step((U * s) @ Vt, zeta)
        err = resid / norm_d
        if verbose:
            print(f"RobustPCA(altproj): iteration {n_iter:3d}, rank {rank}, residual {err:.3e}")
    return U, s, Vt, S, n_iter, err, rank


def _row_median(A):
    """Median of each row of ``A`` (array API: sort and take the middle)."""
    xp = get_namespace(A)
    d = A.shape[1]
    srt = xp.sort(A, axis=1)
    if d % 2:
        return srt[:, d // 2]
    return 0.5 * (srt[:, d // 2 - 1] + srt[:, d // 2])


def _masked_least_squares(X, V, inlier, *, chunk_elems=2_000_000):
    """Per row ``b``: ``argmin_w sum_{j in inlier_b} (x_bj - (w V)_j)^2`` (batched)."""
    xp = get_namespace(X, V)
    n, d = X.shape
    k = V.shape[0]
    W = xp.zeros((n, k), dtype=X.dtype, **device_kw(X))
    Vt = xp.matrix_transpose(V)
    eye = xp.eye(k, dtype=X.dtype, **device_kw(X))
    ridge = 1e3 * machine_eps(X.dtype)
    step = max(1, chunk_elems // max(1, k * d))
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        m = xp.astype(inlier[lo:hi, :], X.dtype)
        G = (V[None, :, :] * m[:, None, :]) @ Vt  # (b, k, k)
        rhs = (X[lo:hi, :] * m) @ Vt
        W[lo:hi, :] = xp.linalg.solve(G + ridge * eye, rhs[:, :, None])[:, :, 0]
    return W


def _robust_coordinates(X, V, mask=None, *, max_iter=100, tol=1e-10, cutoff=2.5):
    """Robust coordinates of the rows of ``X`` on the orthonormal rows of ``V``.

    Per row, alternating minimization of ``1/2 ||x - w V - s||^2 + t ||s||_1``
    where the threshold ``t = cutoff * 1.4826 * median|x - w V|`` follows the
    robust (MAD) scale of the row's residual, then ``w`` is refitted by least
    squares on the entries the sparse part left alone (debiasing). Entries
    outside ``mask`` are missing: ``s`` is free there.
    """
    xp = get_namespace(X, V)
    n, d = X.shape
    k = V.shape[0]
    if k == 0 or n == 0:
        return xp.zeros((n, k), dtype=X.dtype, **device_kw(X))
    Vt = xp.matrix_transpose(V)
    if mask is not None:
        X = xp.where(mask, X, xp.zeros_like(X))
    W = X @ Vt
    scale = xp.sqrt(xp.sum(X * X, axis=1) / d)
    floor = (1e3 * machine_eps(X.dtype)) * xp.where(scale > 0, scale, xp.ones_like(scale))
    S = xp.zeros_like(X)
    for _ in range(max_iter):
        R = X - W @ V
        absR = xp.abs(R)
        if mask is not None:
            R = xp.where(mask, R, xp.zeros_like(R))
            absR = xp.where(mask, absR, xp.full_like(absR, xp.inf))
        thr = xp.maximum(cutoff * 1.4826 * _row_median(absR), floor)
        S = soft_threshold(R, thr[:, None])
        if mask is not None:
            S = xp.where(mask, S, X - W @ V)
        W_new = (X - S) @ Vt
        change = to_float(xp.max(xp.abs(W_new - W)))
        W = W_new
        if change <= tol * max(1.0, to_float(xp.max(xp.abs(W)))):
            break
    inlier = S == 0
    if mask is not None:
        inlier = inlier & mask
    return _masked_least_squares(X, V, inlier)


class RobustPCA(
    ArrayAPISupportMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    r"""Robust PCA (low rank plus sparse) by Principal Component Pursuit or AccAltProj.

    Splits the data matrix ``X`` (n_samples x n_features) into a low-rank part
    ``L`` and a sparse part ``S`` of gross corruptions by solving

    .. math::

        \min_{L, S} \|L\|_* + \lambda \|P_\Omega(S)\|_1
        \quad \text{s.t.} \quad P_\Omega(L + S) = P_\Omega(X),

    where :math:`\Omega` is the set of observed (non-NaN) entries, so that
    missing entries are completed (robust matrix completion). The solver is
    the inexact augmented Lagrange multiplier method (Lin, Chen & Ma): with
    multiplier :math:`Y` and penalty :math:`\mu`,

    * ``S = shrink(X - L + Y/mu, lam/mu)`` (free off :math:`\Omega`),
    * ``L = svt(X - S + Y/mu, 1/mu)``: singular value thresholding that only
      computes the singular values above ``1/mu`` (a randomized partial SVD
      whose rank is predicted from the previous iteration and warm-started
      with its singular vectors), so an iteration costs O(m n r),
    * ``Y += mu (X - L - S)``, ``mu *= rho``,

    until ``||P(X - L - S)||_F <= tol ||P(X)||_F``.

    With ``method="altproj"`` the non-convex problem

    .. math::

        \min_{L, S} \|P_\Omega(X - L - S)\|_F
        \quad \text{s.t.} \quad \operatorname{rank} L \le r,\ S \text{ sparse}

    is solved instead by accelerated alternating projections (AccAltProj,
    Cai, Cai & Wei 2019). The rank ``r`` is ``n_components``, or, when None,
    the position of the largest gap in the spectrum of ``X`` after its largest
    entries are removed. Each iteration costs three products of an
    ``n x p`` matrix with ``r`` columns:

    * ``L``: ``X - S`` projected onto the tangent space of the rank-r
      matrices at the current ``L`` and truncated to rank ``r`` exactly (two
      products, two thin QRs and a ``2r x 2r`` SVD; optionally after trimming
      the singular vectors to incoherence ``incoherence``),
    * ``S``: hard thresholding of ``X - L`` at ``beta (s_{r+1} + gamma^k
      s_1)`` (singular values of that projection), a threshold that decays
      with the iteration ``k`` as the low-rank estimate improves; missing
      entries are free in ``S``.

    It needs the rank (given or estimated) and no ``lam``; it is several
    times faster than the convex solver when ``r`` is small, converges
    linearly, and recovers ``L`` under the same incoherence and sparsity
    conditions up to constants (see the user guide for when to pick which).

    **Convention.** ``lam`` is the weight of the l1 norm against the nuclear
    norm (default ``1 / sqrt(max(n_samples, n_features))``, Candes et al.);
    ``mu`` is the *initial* augmented-Lagrangian penalty (the coefficient of
    ``mu/2 ||X - L - S||_F^2``; default ``1.25 / ||X||_2``), so the thresholds
    of the two proximal steps are ``1/mu`` (singular values) and ``lam/mu``
    (entries); ``mu`` grows by ``rho`` every iteration.

    ``transform`` is robust: each new row ``x`` gets the coordinates ``w`` of

    .. math::

        \min_{w, s} \tfrac12 \|x - m - w V^\top - s\|_2^2 + t \|s\|_1

    (batched over rows; ``V`` holds ``components_``, ``m`` is ``mean_``),
    with the per-row threshold ``t`` set from the robust (MAD) scale of the
    row's residual, followed by a least-squares refit of ``w`` on the entries
    where ``s = 0``. A row with a few grossly corrupted (or missing) entries
    thus gets the coordinates of its clean version, where a plain projection
    does not.

    **Data larger than memory.** ``fit`` also takes a ``dask.array.Array``
    chunked by rows. The same ALM loop then runs blockwise on the Dask
    workers: the singular value thresholding is an exact thin SVD by
    ``dask.array.linalg.svd`` (tsqr over the row blocks), the sparse, dual
    and residual updates are elementwise, and only the multiplier ``Y`` is
    persisted between iterations; the client holds O(n_features^2).
    ``low_rank_``, ``sparse_`` and the returned coordinates are then Dask
    arrays (``sparse_`` persisted on the workers), the other fitted
    attributes NumPy arrays, and ``transform`` / ``inverse_transform`` of a
    Dask array are lazy and blockwise. ``device="gpu"`` does not apply to a
    Dask array (give it CuPy chunks instead). See the "Scaling out" page of
    the user guide.

    Parameters
    ----------
    method : {"ialm", "altproj"}, default="ialm"
        ``"ialm"``: convex Principal Component Pursuit by inexact ALM (rank
        found by the nuclear norm). ``"altproj"``: non-convex AccAltProj of
        given or estimated rank (in-memory data only).
    n_components : int, default=None
        Rank of ``L`` for ``method="altproj"``; None estimates it from the
        data (largest spectral gap). Ignored by ``"ialm"``.
    lam : float, default=None
        Weight of the l1 norm of ``S``; ``None`` means
        ``1 / sqrt(max(n_samples, n_features))``.
    mu : float, default=None
        Initial penalty of the augmented Lagrangian; ``None`` means
        ``1.25 / ||X||_2`` (spectral norm).
    rho : float, default=1.5
        Growth factor of ``mu`` per iteration (> 1).
    tol : float, default=1e-7
        Stop when ``||P(X - L - S)||_F <= tol ||P(X)||_F``. For float32 data
        ``tol`` is raised to ``10 * eps(float32)``.
    max_iter : int, default=100
        Maximum number of iterations.
    beta : float, default=None
        ``method="altproj"``: scale of the hard threshold; None means
        ``1 / (2 (n_samples n_features)^(1/4))`` (Cai, Cai & Wei), and
        ``4 beta`` for the initial one (relative to ``||X||_2``).
    gamma : float, default=0.5
        ``method="altproj"``: decay of the threshold, in (0, 1).
    incoherence : float, default=None
        ``method="altproj"``: if set, trim the singular vectors to this
        incoherence each iteration (rows of ``U`` no longer than
        ``sqrt(incoherence r / n_samples)``, likewise ``V``); None skips the
        trimming, which the analysis needs but data rarely do.
    center : bool, default=False
        If True, ``mean_`` is the column mean of the recovered ``L`` and the
        components describe ``L - mean_`` (PCA of the clean part). The
        decomposition ``L + S`` itself is the same.
    transform_max_iter : int, default=100
        Maximum alternating iterations of the robust ``transform``.
    random_state : int, RandomState instance or None, default=None
        Seeds the randomized partial SVDs.
    verbose : int, default=0
        Print the rank and residual of every iteration.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy and
        hands results back in the input's namespace.

    Attributes
    ----------
    low_rank_ : ndarray of shape (n_samples, n_features)
        The low-rank part ``L`` (filled in at missing entries).
    sparse_ : ndarray of shape (n_samples, n_features)
        The sparse part ``S`` (0 at missing entries).
    components_ : ndarray of shape (rank_, n_features)
        Orthonormal principal axes of ``L`` (of ``L - mean_`` when centred).
    singular_values_ : ndarray of shape (rank_,)
        Singular values of ``L`` (of ``L - mean_`` when centred).
    mean_ : ndarray of shape (n_features,) or None
        Column mean of ``L`` when ``center=True``, else None.
    rank_ : int
        Rank of the recovered ``L``.
    lam_ : float or None
        The l1 weight used (None for ``method="altproj"``).
    n_iter_ : int
        Number of iterations run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string column names only).

    References
    ----------
    E. J. Candes, X. Li, Y. Ma, J. Wright, "Robust principal component
    analysis?", Journal of the ACM 58(3), 2011.
    Z. Lin, M. Chen, Y. Ma, "The augmented Lagrange multiplier method for
    exact recovery of corrupted low-rank matrices", arXiv:1009.5055, 2010.
    H. Cai, J.-F. Cai, K. Wei, "Accelerated alternating projections for
    robust principal component analysis", JMLR 20(20), 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.datasets import make_low_rank_sparse
    >>> from sksubspace.decomposition import RobustPCA
    >>> X, L, S = make_low_rank_sparse(200, 100, 5, corruption=0.05, random_state=0)
    >>> rpca = RobustPCA(random_state=0).fit(X)
    >>> rpca.rank_
    5
    >>> bool(np.linalg.norm(rpca.low_rank_ - L) < 1e-5 * np.linalg.norm(L))
    True
    >>> rpca.transform(X[:3]).shape
    (3, 5)
    >>> fast = RobustPCA(method="altproj", random_state=0).fit(X)  # rank estimated
    >>> fast.rank_
    5
    >>> bool(np.linalg.norm(fast.low_rank_ - L) < 1e-5 * np.linalg.norm(L))
    True
    """

    # Row-chunked Dask input is routed to a Dask strategy before validate_data.
    _accepts_dask = True
    _parameter_constraints = {
        "method": [StrOptions({"ialm", "altproj"})],
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "lam": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "mu": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "rho": [Interval(numbers.Real, 1, None, closed="neither")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "beta": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "gamma": [Interval(numbers.Real, 0, 1, closed="neither")],
        "incoherence": [Interval(numbers.Real, 1, None, closed="left"), None],
        "center": ["boolean"],
        "transform_max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _expected_failed_checks = {
        "check_transformer_general": (
            "fit_transform returns the coordinates of the low-rank part found by "
            "PCP on the whole matrix, transform solves a per-row robust regression "
            "on the fitted components; they agree on low-rank plus sparse data, "
            "not on arbitrary noisy data"
        ),
        "check_transformer_data_not_an_array": (
            "compares fit_transform with transform, which differ by design (see "
            "check_transformer_general)"
        ),
    }

    def __init__(
        self,
        *,
        method="ialm",
        n_components=None,
        lam=None,
        mu=None,
        rho=1.5,
        tol=1e-7,
        max_iter=100,
        beta=None,
        gamma=0.5,
        incoherence=None,
        center=False,
        transform_max_iter=100,
        random_state=None,
        verbose=0,
        device=None,
    ):
        self.method = method
        self.n_components = n_components
        self.lam = lam
        self.mu = mu
        self.rho = rho
        self.tol = tol
        self.max_iter = max_iter
        self.beta = beta
        self.gamma = gamma
        self.incoherence = incoherence
        self.center = center
        self.transform_max_iter = transform_max_iter
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X, y=None):
        """Decompose ``X`` into low-rank and sparse parts.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            Data; NaN marks missing entries. A Dask array (chunked by rows)
            is decomposed blockwise, without gathering it.
        y : Ignored

        Returns
        -------
        self : object
        """
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit and return the coordinates of the low-rank part.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data; NaN marks missing entries.
        y : Ignored

        Returns
        -------
        X_new : ndarray of shape (n_samples, rank_)
            ``(L - mean_) @ components_.T``.
        """
        ops = pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps)
        Xc, host, out = ops.validate(self, X)
        xp, keep = get_namespace(Xc), ops.persist
        m, n = Xc.shape
        observed = xp.isfinite(Xc)
        any_observed, all_observed = ops.persist(xp.any(observed), xp.all(observed))
        if not bool(to_float(any_observed)):
            raise ValueError("X has no observed (non-NaN) entry; RobustPCA needs some data.")
        all_observed = bool(to_float(all_observed))
        mask = None if all_observed else observed
        D = Xc if all_observed else xp.where(observed, Xc, xp.zeros_like(Xc))
        lam = float(1.0 / np.sqrt(max(m, n)) if self.lam is None else self.lam)
        tol = max(self.tol, 10 * machine_eps(D.dtype)) if D.dtype == xp.float32 else self.tol

        # Iterate on the tall orientation (warm starts, economy SVDs); a Dask
        # array stays as chunked, by rows.
        transpose = m < n and ops is _InMemoryOps
        Dt = xp.matrix_transpose(D) if transpose else D
        mt = None if mask is None else (xp.matrix_transpose(mask) if transpose else mask)
        if self.method == "altproj":
            if ops is not _InMemoryOps:
                raise ValueError(
                    "method='altproj' needs the data in memory; use method='ialm' for a Dask array."
                )
            if self.n_components is not None and self.n_components > min(m, n):
                raise ValueError(
                    f"n_components={self.n_components} must be at most "
                    f"min(n_samples, n_features)={min(m, n)}."
                )
            beta = 1.0 / (2.0 * (m * n) ** 0.25) if self.beta is None else float(self.beta)
            U, s, Vt, S, n_iter, err, _ = _accaltproj(
                Dt,
                mt,
                self.n_components,
                beta=beta,
                beta_init=4.0 * beta,
                gamma=self.gamma,
                tol=tol,
                max_iter=self.max_iter,
                incoherence=self.incoherence,
                random_state=self.random_state,
                verbose=self.verbose,
            )
            S = xp.asarray(S, copy=True)  # the solver's work array
            U, Vt = svd_flip(U, Vt)
            lam = None
        else:
            U, s, Vt, S, n_iter, err = _pcp_ialm(
                Dt,
                mt,
                lam,
                mu=self.mu,
                rho=self.rho,
                tol=tol,
                max_iter=self.max_iter,
                random_state=self.random_state,
                verbose=self.verbose,
                ops=ops,
            )
        if transpose:
            U, Vt, S = xp.matrix_transpose(Vt), xp.matrix_transpose(U), xp.matrix_transpose(S)
        if err > tol:
            warnings.warn(
                f"RobustPCA did not converge in max_iter={self.max_iter} iterations "
                f"(relative residual {err:.2e} > tol={tol:.1e}); increase max_iter.",
                ConvergenceWarning,
            )
        if ops is not _InMemoryOps:  # the in-memory sign convention
            U, Vt = svd_flip(U, xp.asarray(Vt))
        L = (U * s) @ Vt
        if mask is not None:
            S = xp.where(mask, S, xp.zeros_like(S))
        (S,) = keep(S)  # Dask: the sparse part is materialized once, on the workers
        mean = None
        if self.center and s.shape[0] > 0:
            mean = xp.mean(L, axis=0)
            B = (U - xp.mean(U, axis=0)) * s
            P, s, Qt = xp.linalg.svd(B, full_matrices=False)
            keep_sv = s > s[0] * max(m, n) * machine_eps(D.dtype) if s.shape[0] else s > 0
            r = int(to_float(xp.sum(xp.astype(keep_sv, xp.int64))))
            U, s, Vt = P[:, :r], s[:r], Qt[:r, :] @ Vt
            U, Vt = svd_flip(U, Vt)
            U, s, Vt = keep(U, s, Vt)
        elif self.center:
            mean = xp.mean(L, axis=0)

        # n x d arrays stay in the input's kind (lazy Dask arrays for Dask
        # input); the small fitted attributes are in-memory arrays.
        self.low_rank_ = out(L)
        self.sparse_ = out(S)
        self.components_ = host(Vt)
        self.singular_values_ = host(s)
        self.mean_ = host(mean)
        self.rank_ = int(s.shape[0])
        self.lam_ = lam
        self.n_iter_ = n_iter
        self._n_features_out = self.rank_
        return out(U * s)

    def transform(self, X):
        """Robust coordinates of new rows on the fitted components.

        Each row may hold gross sparse corruptions and missing entries (NaN);
        they are ignored by the per-row robust regression.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, rank_)
        """
        check_is_fitted(self)
        return pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps).transform(self, X)

    def inverse_transform(self, X):
        """Map coordinates back to the feature space: ``X @ components_ + mean_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, rank_)

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        return pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps).inverse_transform(self, X)


def _robust_transform(X, V, mean, max_iter):
    """Robust coordinates of the rows of ``X`` (NaN = missing) on the components ``V``."""
    xp = get_namespace(X, V)
    if mean is not None:
        X = X - mean
    observed = xp.isfinite(X)
    mask = None if bool(to_float(xp.all(observed))) else observed
    return _robust_coordinates(X, xp.astype(V, X.dtype), mask, max_iter=max_iter)


def _inverse(Z, V, mean):
    """``Z @ V + mean`` in the dtype of ``Z``."""
    xp = get_namespace(Z, V)
    out = Z @ xp.astype(V, Z.dtype)
    if mean is not None:
        out = out + xp.astype(mean, Z.dtype)
    return out


def _compute_host(a):
    """A small Dask result as a NumPy array (None stays None)."""
    return None if a is None else np.asarray(a.compute() if hasattr(a, "compute") else a)
