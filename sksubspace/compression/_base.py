"""Shared numerics for compressing collections of matrices by one truncated SVD.

A collection ``A_1, ..., A_m`` of matrices with the same number of rows ``n``
is compressed by concatenating them horizontally, ``A = [A_1, ..., A_m]``,
and keeping one rank-``r`` basis ``U`` (``n x r``) of the concatenation: each
``A_k`` is stored as ``U (U' A_k)``. The optimal squared error is the tail
energy ``sum_{i > r} sigma_i(A)^2``. Everything here is written once against
the array namespace of its inputs (NumPy, CuPy, array_api_strict, ...).

* :func:`svd_update` -- Brand's update of a truncated SVD by a block of new
  columns (project on the basis, QR of the residual, small SVD of the core,
  truncate), with the energy it discarded;
* :func:`_top_energy` / :func:`_squared_singular_values` -- spectra of blocks;
* :func:`_exact_basis` -- the optimal rank-``r`` basis of a concatenation and
  its exact tail energy, from the ``n x n`` Gram matrix or the concatenation,
  whichever is smaller.
"""

from __future__ import annotations

import contextlib
import numbers

from threadpoolctl import threadpool_limits

from .._backend import device_kw, get_namespace, is_numpy, to_float
from .._linalg import eigh_topk, svd_flip
from .._sklearn_compat import Interval, validate_params


def _squared_singular_values(A):
    """Squared singular values of ``A`` (descending), from the smaller Gram matrix."""
    xp = get_namespace(A)
    if A.shape[1] == 0 or A.shape[0] == 0:
        return xp.zeros((0,), dtype=A.dtype, **device_kw(A))
    s = xp.linalg.svdvals(A)
    return s * s


def _top_energy(sq, rank):
    """Sum of the ``rank`` largest entries of ``sq`` (squared singular values)."""
    xp = get_namespace(sq)
    if sq.shape[0] == 0:
        return 0.0
    k = min(rank, sq.shape[0])
    return to_float(xp.sum(xp.sort(sq, descending=True)[:k]))


def _orthogonal_residual(U, B):
    """``(P, R)`` with ``P = U' B`` and ``R = B - U P``, re-orthogonalized once.

    One pass of classical Gram-Schmidt loses orthogonality when ``B`` lies
    almost in ``span(U)``; a second pass ("twice is enough") restores it.
    """
    xp = get_namespace(U, B)
    Ut = xp.matrix_transpose(U)
    P = Ut @ B
    R = B - U @ P
    P2 = Ut @ R
    return P + P2, R - U @ P2


@validate_params(
    {
        "U": ["array-like"],
        "s": ["array-like"],
        "B": ["array-like"],
        "rank": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def svd_update(U, s, B, rank):
    """Brand's update of a truncated SVD ``U diag(s)`` by new columns ``B``.

    The tracked matrix ``U diag(s) V'`` of the columns seen so far (``V`` is
    never needed) is extended by the block ``B``:

    1. ``P = U' B``, ``R = B - U P`` (the incremental residual) and ``R = Q T``;
    2. the small core ``K = [[diag(s), P], [0, T]]`` satisfies
       ``[U diag(s) V', B] = [U, Q] K blkdiag(V, I)'`` exactly;
    3. ``K = W diag(sigma) Z'`` and the update keeps the first ``rank``
       triplets: ``U <- [U, Q] W[:, :rank]``, ``s <- sigma[:rank]``.

    Directions with numerically zero singular values are never kept, so
    ``k_new`` may be less than ``rank``. Nothing is lost while ``rank`` is at
    least the rank of the columns seen,
    so the result is then the exact SVD of the concatenation. Otherwise the
    energy ``sum(sigma[rank:]^2)`` is discarded; the errors of successive
    updates are orthogonal, so the squared Frobenius error of the tracked
    approximation is exactly the sum of the discarded energies.

    Parameters
    ----------
    U : array of shape (n, k)
        Orthonormal basis (``k = 0`` for the first block).
    s : array of shape (k,)
        Tracked singular values.
    B : array of shape (n, c)
        New columns.
    rank : int
        Largest rank kept.

    Returns
    -------
    U : array of shape (n, k_new)
    s : array of shape (k_new,)
    discarded : array of shape (k + c' - k_new,)
        Squared singular values dropped by the truncation (descending).
    residual_sq : float
        ``||B - U U' B||_F^2`` for the basis before the update (the squared
        incremental residual of the block).

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.compression import svd_update
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((10, 3)) @ rng.standard_normal((3, 12))
    >>> U, s = np.zeros((10, 0)), np.zeros(0)
    >>> for B in np.array_split(A, 4, axis=1):
    ...     U, s, dropped, _ = svd_update(U, s, B, rank=3)
    >>> bool(np.allclose(s, np.linalg.svd(A, compute_uv=False)[:3]))
    True
    """
    xp = get_namespace(U, s, B)
    k = U.shape[1]
    if k == 0:
        Q, T = xp.linalg.qr(B)
        K = T
        residual_sq = to_float(xp.sum(B * B))
        basis = Q
    else:
        P, R = _orthogonal_residual(U, B)
        residual_sq = to_float(xp.sum(R * R))
        Q, T = xp.linalg.qr(R)
        q = T.shape[0]
        top = xp.concat([_as_diag(s, xp), P], axis=1)
        bottom = xp.concat([xp.zeros((q, k), dtype=B.dtype, **device_kw(B)), T], axis=1)
        K = xp.concat([top, bottom], axis=0)
        basis = xp.concat([U, Q], axis=1)
    W, sigma, _ = xp.linalg.svd(K, full_matrices=False)
    # Numerically zero directions are dropped: their basis vectors may come from
    # the arbitrary QR columns of a rank-deficient residual, not orthogonal to U.
    eps = 1e-6 if B.dtype == xp.float32 else 1e-14
    tol = eps * max(K.shape) * to_float(sigma[0]) if sigma.shape[0] else 0.0
    n_nonzero = int(to_float(xp.sum(xp.astype(sigma > tol, xp.int64))))
    keep = min(rank, n_nonzero)
    U_new = svd_flip(basis @ W[:, :keep])
    sq = sigma * sigma
    return U_new, sigma[:keep], sq[keep:], residual_sq


def small_problem_blas(xp, n):
    """One BLAS thread for NumPy work on matrices with at most 512 rows, else no limit.

    The greedy passes here make many small factorizations (``n x (r + d)``
    at a time), where BLAS threads cost more in start-up and spinning than
    they save: on a loaded two-core machine a 10-matrix grouping took 100x
    longer with two threads than with one. Like scikit-learn's KMeans, the
    loops run under a BLAS limit of one thread.
    """
    if is_numpy(xp) and n <= 512:
        return threadpool_limits(limits=1, user_api="blas")
    return contextlib.nullcontext()


def _empty_svd(n, like):
    """The state of an incremental SVD before any column: ``U`` (n x 0) and ``s`` (0,)."""
    xp = get_namespace(like)
    kw = device_kw(like)
    return xp.zeros((n, 0), dtype=like.dtype, **kw), xp.zeros((0,), dtype=like.dtype, **kw)


def _as_diag(s, xp):
    k = s.shape[0]
    return xp.eye(k, dtype=s.dtype, **device_kw(s)) * s[None, :]


def _exact_basis(blocks, rank):
    """Optimal rank-``rank`` basis of ``[blocks...]`` and its exact tail energy.

    Uses the ``n x n`` Gram matrix ``sum_k A_k A_k'`` when ``n`` is at most the
    total number of columns (its top eigenvectors are the left singular
    vectors), and the SVD of the concatenation otherwise.

    Returns
    -------
    U : array of shape (n, min(rank, n))
    sq : array
        Squared singular values kept (descending).
    tail : float
        Optimal squared Frobenius error.
    total : float
        Squared Frobenius norm of the concatenation.
    """
    xp = get_namespace(*blocks)
    n = blocks[0].shape[0]
    n_cols = sum(b.shape[1] for b in blocks)
    total = sum(to_float(xp.sum(b * b)) for b in blocks)
    k = min(rank, n, n_cols)
    if n <= n_cols:
        G = sum(b @ xp.matrix_transpose(b) for b in blocks)
        G = (G + xp.matrix_transpose(G)) / 2
        w, U = eigh_topk(G, k)
        w = xp.clip(w, 0, None)
    else:
        A = xp.concat(list(blocks), axis=1)
        U, sig, _ = xp.linalg.svd(A, full_matrices=False)
        U, w = U[:, :k], sig[:k] * sig[:k]
    U = svd_flip(U)
    kept = to_float(xp.sum(w))
    return U, w, max(total - kept, 0.0), total
