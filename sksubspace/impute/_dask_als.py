"""SoftImpute's alternating ridge regressions on a Dask array, block by block.

The input is a ``dask.array.Array`` chunked by rows (NaN, or the estimator's
``missing_values``, marks the missing entries). The matrix is never gathered:
every pass over it runs one task per row block, where the block lives (on the
workers of a ``dask.distributed`` cluster), and only small results travel:

* the row factors ``A`` (``m x r``) stay on the workers, block by block
  (persisted between iterations);
* the column factors ``B`` (``n x r``), the column means and the ``n`` normal
  equations of the column half-step (``n x r x r``) are summed over the
  blocks in a tree and solved on the client.

One iteration is one pass: each block solves its rows' ridge regressions
against ``B`` (the row half-step, exactly as in memory) and returns its share
of the column normal equations, from which the client solves the column
half-step. The iterates are those of the in-memory ``"exact_als"`` solver
(Hastie et al. 2015, Algorithm 2.1), and so is the stopping rule; only the
spectral initialization (``dask.array.linalg.svd_compressed`` instead of the
in-memory randomized SVD) differs by its random sketch.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, check_random_state

from .._backend import get_namespace
from .._dask import (
    as_row_chunked,
    gather_rows,
    import_dask_array,
    persist,
    row_block_delayed,
    tree_sum,
)
from .._linalg import safe_matmul
from ._base import (
    DEFAULT_SHRINKAGE_RATIO,
    _is_missing,
    _Observed,
    _working_rank,
    factors_from,
    normal_equations,
    ridge_rows,
)

_NP = get_namespace(np.empty(0))


# -- block functions (run on the workers; module level so that they pickle) ----
def _observed_block(Xb, mean, offsets, missing_values):
    """The block's observed entries, centred, as :class:`_Observed`."""
    if sp.issparse(Xb):
        obs = _Observed.from_sparse(Xb)
    else:
        obs = _Observed.from_dense(np.asarray(Xb), missing_values, _NP)
    return obs.subtract(mean).subtract_rows(offsets)


def _stats_block(Xb, missing_values):
    """Column sums and counts of the observed entries, and the non-finite count."""
    Xb = np.asarray(Xb)
    observed = ~_is_missing(Xb, missing_values, np)
    values = np.where(observed, Xb, 0)
    bad = np.sum(~np.isfinite(values))
    return np.sum(values, axis=0), np.sum(observed, axis=0, dtype=np.int64), bad


def _row_effects_block(Xb, mean, offsets, missing_values):
    """One alternation of ``center="both"``: the block's row means, then its column sums."""
    Xb = np.asarray(Xb)
    observed = ~_is_missing(Xb, missing_values, np)
    v = np.where(observed, Xb - mean - offsets[:, None], 0)
    r = np.sum(v, axis=1) / np.maximum(np.sum(observed, axis=1), 1)
    return r.astype(Xb.dtype), np.sum(np.where(observed, v - r[:, None], 0), axis=0)


def _zero_filled_block(Xb, offsets, mean, missing_values):
    Xb = np.asarray(Xb)
    observed = ~_is_missing(Xb, missing_values, np)
    return np.where(observed, Xb - mean - offsets, 0).astype(Xb.dtype)


# A task works through its row block in slices of about this many entries: the
# rows are independent and their normal equations add up, so the temporaries
# (masks, centred values, products with the factors: about seven slices) take a
# few MB whatever the chunk size.
_SLICE_ENTRIES = 1 << 18


def _row_slices(Xb):
    n_rows, n_cols = Xb.shape
    step = max(1, _SLICE_ENTRIES // max(1, n_cols))
    return [slice(lo, min(n_rows, lo + step)) for lo in range(0, n_rows, step)]


def _als_block(Xb, A_prev, B, ridge, mean, offsets, missing_values, row_step):
    """Row half-step on a block and its share of the column normal equations."""
    A = np.empty_like(A_prev)
    sums = None
    for rows in _row_slices(Xb):
        obs = _observed_block(Xb[rows], mean, offsets[rows], missing_values)
        W, Xc, Wt, Xct = obs.ridge_operands()
        A[rows] = ridge_rows(W, Xc, B, ridge, _NP) if row_step else A_prev[rows]
        G, R = normal_equations(Wt, Xct, A[rows])
        part = (G, R, A[rows].T @ A[rows], A_prev[rows].T @ A[rows])
        sums = part if sums is None else tuple(a + b for a, b in zip(sums, part, strict=True))
    return A, sums


def _threshold_block(Xb, A, B, Qb, Rb, mean, offsets, missing_values):
    """``X* Qb = P_Omega(X - A B') Qb + A Rb'`` on a block (``B = Qb Rb``)."""
    out = np.empty((Xb.shape[0], Qb.shape[1]), dtype=A.dtype)
    for rows in _row_slices(Xb):
        obs = _observed_block(Xb[rows], mean, offsets[rows], missing_values)
        out[rows] = safe_matmul(obs.residual(A[rows], B), Qb) + A[rows] @ Rb.T
    return out


def _fold_block(Xb, est):
    return est.transform(Xb)


def _complete_block(Xb, A, offsets, est):
    Z = A @ est.components_ + est.mean_ + offsets
    if est.keep_observed:
        Z = np.where(_is_missing(Xb, est.missing_values, np), Z, Xb)
    return Z


# -- the fit ---------------------------------------------------------------------
class _Blocks:
    """A row-chunked Dask array and its per-block row offsets."""

    def __init__(self, X):
        self.da = import_dask_array()
        import dask

        self.dask = dask
        self.X = as_row_chunked(X)
        self.blocks = row_block_delayed(self.X)
        self.row_chunks = self.X.chunks[0]
        self.bounds = np.r_[0, np.cumsum(self.row_chunks)]

    def rows(self, v, i):
        return v[self.bounds[i] : self.bounds[i + 1]]

    def map(self, func, *args, nout=None):
        """``func(block_i, *args)`` for every block, as delayed values."""
        fn = self.dask.delayed(func, pure=True, nout=nout)
        return [fn(b, *args) for b in self.blocks]

    def stack(self, parts, n_cols, dtype):
        """Delayed per-block ``(rows_i, n_cols)`` arrays as one row-chunked Dask array."""
        da = self.da
        arrays = [
            da.from_delayed(p, shape=(int(k), n_cols), dtype=dtype)
            for p, k in zip(parts, self.row_chunks, strict=True)
        ]
        return da.concatenate(arrays, axis=0)


def _center(blk, mode, missing_values, dtype, n_alternations=10):
    """Column means (and row effects for ``"both"``) of the observed entries, as in memory."""
    m, n = blk.X.shape
    sums, counts, bad = blk.dask.compute(tree_sum(blk.map(_stats_block, missing_values)))[0]
    if bad:
        raise ValueError(
            "Input X contains infinity among its observed entries; "
            "only missing entries may be non-finite."
        )
    mean = np.zeros(n, dtype=dtype)
    offsets = np.zeros(m, dtype=dtype)
    if mode is not None:
        mean = (sums / np.maximum(counts, 1)).astype(dtype)
    if mode == "both":
        for _ in range(n_alternations):
            fn = blk.dask.delayed(_row_effects_block, pure=True)
            parts = [
                fn(b, mean, blk.rows(offsets, i), missing_values) for i, b in enumerate(blk.blocks)
            ]
            res = blk.dask.compute(*parts)
            offsets = offsets + np.concatenate([r for r, _ in res])
            mean = mean + (sum(c for _, c in res) / np.maximum(counts, 1)).astype(dtype)
    return mean, offsets, int(np.sum(counts))


def _top_svd(Xz, k, seed):
    """The top ``k`` singular triplets of a row-chunked Dask array: ``(u, s, v)``, ``u`` lazy.

    Tall (the usual case): exact, from ``dask.array.linalg.svd`` (tsqr: one QR
    per row block, the n x n factors stacked on one worker), and
    ``u = Xz v' / s`` blockwise: one pass, and nothing of size n_samples is
    kept but the result. Wide: ``svd_compressed`` with four power
    iterations, each recomputing its input rather than keeping it.
    """
    import dask

    da = import_dask_array()
    m, n = Xz.shape
    if m < n:
        u, s, v = da.linalg.svd_compressed(Xz, k, n_power_iter=4, seed=seed, compute=True)
        u, s, v = persist(u, s, v)
        s, v = dask.compute(s, v)
        return u, s, v
    _, s, v = da.linalg.svd(Xz)
    s, v = dask.compute(s, v)
    s, v = s[:k], v[:k]
    return Xz @ (v.T / np.where(s > 0, s, 1)).astype(Xz.dtype), s, v


def fit_dask(est, X):
    """Fit ``est`` (a :class:`SoftImpute`) on a row-chunked Dask array.

    Sets the fitted attributes as :meth:`SoftImpute.fit` does; the row factors
    and row offsets (``m x rank`` and ``m`` numbers) are gathered on the
    client, the data never are.
    """
    if est.solver != "exact_als":
        raise ValueError(
            f"A Dask array is fitted by the blockwise solver='exact_als'; got solver={est.solver!r}."
        )
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D dask array, got {X.ndim}D with shape {X.shape}.")
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    X = X.astype(dtype)
    blk = _Blocks(X)
    m, n = blk.X.shape
    if m < 1 or n < 1:
        raise ValueError(f"Found array with shape {X.shape}: at least one row and column needed.")
    if est.max_rank is not None and est.max_rank > min(m, n):
        raise ValueError(
            f"max_rank={est.max_rank} must be at most min(n_samples, n_features)={min(m, n)} "
            f"for data with n_samples={m}, n_features={n}; lower max_rank."
        )
    da, dask = blk.da, blk.dask
    mv = est.missing_values
    mean, offsets, n_obs = _center(blk, est._center_mode(), mv, dtype)
    rank = _working_rank(est.max_rank, (m, n), "exact_als", n_obs)
    rng = check_random_state(est.random_state)
    seed = rng.randint(np.iinfo(np.int32).max)

    # The row offsets go to the workers once, as row blocks (not in every pass's graph).
    (off_d,) = persist(da.from_array(offsets, chunks=(blk.row_chunks,)))
    off_blocks = list(off_d.to_delayed().ravel())
    Xz = blk.X.map_blocks(
        _zero_filled_block, off_d[:, None], mean=mean, missing_values=mv, dtype=dtype
    )
    if est.init == "svd" or est.shrinkage is None:
        k = rank if est.init == "svd" else 1
        u, s, v = _top_svd(Xz, k, seed)
        lam0 = float(s[0])
    lam = DEFAULT_SHRINKAGE_RATIO * lam0 if est.shrinkage is None else float(est.shrinkage)
    est.shrinkage_ = lam

    def sweep(state, B, row_step):
        """One pass: ``state["A"]`` becomes the new row factors, returned with ``B`` and sums.

        The previous row factors are dropped before the pass is waited for, so
        each of their blocks is freed as soon as its task has run.
        """
        ridge = lam
        res = [
            dask.delayed(_als_block, pure=True, nout=2)(
                b, a, B_d, ridge, mean_d, off_blocks[i], mv, row_step
            )
            for i, (b, a, B_d, mean_d) in enumerate(
                zip(
                    blk.blocks,
                    state["A"].to_delayed().ravel(),
                    [dask.delayed(B)] * len(blk.blocks),
                    [dask.delayed(mean)] * len(blk.blocks),
                    strict=True,
                )
            )
        ]
        state["A"], sums = persist(
            blk.stack([r[0] for r in res], rank, dtype), tree_sum([r[1] for r in res])
        )
        del res
        G, R, AA, ApA = sums.compute()
        # The column half-step, solved on the client as ridge_rows does it.
        scale = float(np.max(np.diag(AA))) if rank else 0.0
        ridge = max(lam, 1e-10 * max(scale, 1e-300))
        G = G + ridge * np.eye(rank, dtype=dtype)
        B_new = np.linalg.solve(G, R[:, :, None])[:, :, 0].astype(dtype, copy=False)
        return B_new, AA, ApA

    if est.init == "svd":
        p = n_obs / float(m * n)
        d = s / max(p, 1e-12)
        state = {"A": (u * np.sqrt(d)).rechunk((blk.row_chunks, rank))}
        del u
        B = (v.T * np.sqrt(d)).astype(dtype)
        AA_prev = np.diag(d).astype(dtype)
    else:
        gen = da.random.default_rng(seed)
        A0 = gen.standard_normal((m, rank), chunks=(blk.row_chunks, rank)).astype(dtype)
        state = {"A": A0 / math.sqrt(m)}
        # V = 0 at the start: fit the column factors to the random row factors first.
        B, AA_prev, _ = sweep(state, None, row_step=False)
    B_prev = B if est.init == "svd" else np.zeros_like(B)  # Z_0 = 0 for "random"

    converged = False
    n_iter = 0
    for n_iter in range(1, est.max_iter + 1):
        B_new, AA, ApA = sweep(state, B, row_step=True)
        BB = B_new.T @ B_new
        n1 = float(np.trace(AA_prev @ (B_prev.T @ B_prev)))
        n2 = float(np.trace(AA @ BB))
        cross = float(np.trace(ApA @ (B_new.T @ B_prev)))
        change = math.sqrt(max(n1 + n2 - 2 * cross, 0.0) / max(n1, 1e-300))
        AA_prev, B_prev, B = AA, B_new, B_new
        if est.verbose:
            print(f"[SoftImpute exact_als, dask] iter {n_iter}: relative change {change:.3e}")
        if change < est.tol:
            converged = True
            break
    est.n_iter_ = n_iter
    if not converged:
        warnings.warn(
            f"SoftImpute did not converge in max_iter={est.max_iter} iterations "
            f"(tol={est.tol}); increase max_iter or tol.",
            ConvergenceWarning,
        )

    # Final soft-thresholded SVD of X* V (Hastie et al. 2015, Algorithm 3.1, step 4),
    # with V = Qb any orthonormal basis of span(B).
    Qb, Rb = np.linalg.qr(B)
    Qb_d, Rb_d, B_d, mean_d = (dask.delayed(a) for a in (Qb, Rb, B, mean))
    parts = [
        dask.delayed(_threshold_block, pure=True)(b, a, B_d, Qb_d, Rb_d, mean_d, off_blocks[i], mv)
        for i, (b, a) in enumerate(zip(blk.blocks, state["A"].to_delayed().ravel(), strict=True))
    ]
    # Two passes (R, then U) rather than a persisted M: the workers keep one
    # n_samples x rank array (the row factors), not two.
    M = blk.stack(parts, rank, dtype)
    _, R = da.linalg.tsqr(M)
    _, s, vt = np.linalg.svd(R.compute())
    s_pos = np.where(s > 0, s, 1)
    U = gather_rows(M @ (vt.T / s_pos))
    U, s, Vt = factors_from(U, np.clip(s - lam, 0, None), vt @ Qb.T, _NP)
    return U, s, Vt, mean, offsets


def complete_dask(est, X):
    """Lazy transductive completion of the training rows (a Dask array)."""
    da = import_dask_array()
    X = as_row_chunked(X.astype(est.components_.dtype))
    A = da.from_array(est.row_factors_, chunks=(X.chunks[0], est.rank_))
    offsets = da.from_array(est.row_offsets_[:, None], chunks=(X.chunks[0], 1))
    return X.map_blocks(_complete_block, A, offsets, est=est, dtype=X.dtype)


def transform_dask(est, X):
    """Lazy fold-in of the rows of a Dask array, block by block."""
    X = as_row_chunked(X)
    return X.map_blocks(_fold_block, est=est, dtype=est.components_.dtype)


class DaskALSOps:
    """SoftImpute on a row-chunked Dask array: the Dask side of its strategy.

    Same methods as ``_InMemoryOps`` in ``_soft_impute``; ``fit`` runs
    :func:`fit_dask` and sets the fitted attributes, ``fit_transform`` and
    ``transform`` return lazy Dask arrays.
    """

    @staticmethod
    def fit(est, X):
        if est.shrinkage == "auto":
            raise ValueError(
                "shrinkage='auto' holds out observed entries in memory; for a Dask array "
                "pass a float (e.g. the best_shrinkage of soft_impute_path on an in-memory "
                "sample of rows) or None."
            )
        if est.center == "biases" or est.clip:
            raise ValueError(
                "center='biases' and clip=True are fitted in memory; for a Dask array use "
                "center='both' (unregularized row and column effects), 'columns' or False, "
                "and clip=False."
            )
        est.intercept_ = 0.0
        U, s, Vt, mean, offsets = fit_dask(est, X)
        est.n_features_in_ = int(X.shape[1])
        if hasattr(est, "feature_names_in_"):
            del est.feature_names_in_
        est.rank_ = int(s.shape[0])
        est.mean_ = mean
        est.row_offsets_ = offsets
        est.components_ = Vt
        est.singular_values_ = s
        est.row_factors_ = U * s
        return est

    @staticmethod
    def fit_transform(est, X):
        DaskALSOps.fit(est, X)
        return complete_dask(est, X)

    @staticmethod
    def transform(est, X):
        check_is_fitted(est)
        if X.ndim != 2 or X.shape[1] != est.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}, but {type(est).__name__} is expecting "
                f"{est.n_features_in_} features as input."
            )
        return transform_dask(est, X)
