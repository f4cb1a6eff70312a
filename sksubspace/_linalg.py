"""Namespace-agnostic numerical kernels shared by the estimators.

Every function takes and returns arrays of one array-API namespace (NumPy,
CuPy, array_api_strict, ...), found from its inputs. Operations the standard
lacks come from :mod:`sksubspace._backend`. Nothing here validates user input:
estimators do that before calling in.

Contents
--------
* thresholding: :func:`soft_threshold`, :func:`hard_threshold`,
  :func:`group_soft_threshold`
* orthogonality: :func:`orthonormalize`, :func:`svd_flip`, :func:`polar`,
  :func:`principal_angles`, :func:`row_norms`, :func:`normalize_rows`
* factorizations: :func:`cholesky`, :func:`eigh_topk`,
  :func:`randomized_range_finder`, :func:`randomized_svd`,
  :func:`partial_svd_above`, :func:`svt`
* sparse coding: :func:`batched_omp`

The spectral step of the clustering family lives in
:mod:`sksubspace.cluster._spectral`.
"""

from __future__ import annotations

import functools
import math
from contextlib import nullcontext

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ._backend import (
    cho_solve,
    dense_like,
    device_kw,
    from_numpy,
    get_namespace,
    is_numpy,
    is_sparse,
    lu_basis,
    to_float,
    to_numpy,
)
from .utils._threads import effective_n_threads, row_blocks, threaded_block_map

# ---------------------------------------------------------------------------
# Thresholding operators (proximal maps)
# ---------------------------------------------------------------------------


def _scalar(t):
    """NumPy scalars become Python floats (array-API namespaces reject them)."""
    return float(t) if isinstance(t, (np.generic, int)) else t


def soft_threshold(x, threshold):
    """Proximal map of ``threshold * ||.||_1``: ``sign(x) * max(|x| - t, 0)``.

    ``threshold`` is a scalar or an array broadcasting against ``x``.
    """
    xp = get_namespace(x)
    threshold = _scalar(threshold)
    return xp.sign(x) * xp.clip(xp.abs(x) - threshold, 0, None)


def hard_threshold(x, threshold):
    """Proximal map of the l0 penalty: keep entries with ``|x| > threshold``."""
    xp = get_namespace(x)
    threshold = _scalar(threshold)
    return xp.where(xp.abs(x) > threshold, x, xp.zeros_like(x))


def group_soft_threshold(x, threshold, *, axis=0):
    """Proximal map of ``threshold * sum of l2 norms along axis`` (the l2,1 norm).

    With ``axis=0`` each column is shrunk towards zero as a whole (columns with
    norm below ``threshold`` vanish).
    """
    xp = get_namespace(x)
    threshold = _scalar(threshold)
    norms = xp.linalg.vector_norm(x, axis=axis, keepdims=True)
    scale = xp.clip(norms - threshold, 0, None) / xp.where(norms > 0, norms, 1)
    return x * scale


# ---------------------------------------------------------------------------
# Orthogonality
# ---------------------------------------------------------------------------


def _nonzero_sign(v):
    xp = get_namespace(v)
    s = xp.sign(v)
    return xp.where(s == 0, xp.ones_like(s), s)


def svd_flip(U, Vt=None):
    """Make singular vectors sign-deterministic.

    The sign of each column of ``U`` is chosen so that its entry of largest
    magnitude is positive; ``Vt``'s rows get the same signs, so ``U S Vt`` is
    unchanged. Works on stacks of matrices (leading batch dimensions).
    """
    xp = get_namespace(U)
    absU = xp.abs(U)
    peak = absU == xp.max(absU, axis=-2, keepdims=True)
    signs = _nonzero_sign(xp.sum(xp.where(peak, U, xp.zeros_like(U)), axis=-2))
    U = U * signs[..., None, :]
    if Vt is None:
        return U
    return U, Vt * signs[..., :, None]


def orthonormalize(A):
    """Orthonormal basis of the columns of ``A`` by QR, with ``diag(R) >= 0``.

    The sign convention makes the result unique for full-column-rank ``A``, so
    two calls on the same subspace basis agree. Works on stacks.
    """
    xp = get_namespace(A)
    Q, R = xp.linalg.qr(A)
    return Q * _nonzero_sign(diagonal(R))[..., None, :]


def diagonal(A):
    """Main diagonal of ``A`` (of each matrix of a stack), in any namespace.

    ``xp.linalg.diagonal`` where the namespace has it (the array API's optional
    ``linalg`` extension), a masked sum otherwise.
    """
    xp = get_namespace(A)
    if hasattr(xp, "linalg") and hasattr(xp.linalg, "diagonal"):
        return xp.linalg.diagonal(A)
    k = min(A.shape[-2], A.shape[-1])
    eye = xp.eye(A.shape[-2], A.shape[-1], dtype=A.dtype, **device_kw(A))
    return xp.sum(A * eye, axis=-2)[..., :k]


def machine_eps(dtype) -> float:
    """Machine epsilon of a real floating ``dtype`` of any namespace (float32 or float64)."""
    return float(np.finfo(np.float32 if "32" in str(dtype) else np.float64).eps)


def row_norms(X, *, keepdims=False):
    """Euclidean norms of the rows of ``X``, free of overflow and underflow.

    Each row is divided by its largest magnitude before the sum of squares (as
    LAPACK's ``nrm2`` does), so rows of size ``1e200`` or ``1e-200`` get their
    true norm instead of ``inf`` or ``0``.
    """
    xp = get_namespace(X)
    with np.errstate(over="ignore", under="ignore"):  # such rows are redone below
        norms = xp.linalg.vector_norm(X, axis=1, keepdims=True)
    # Rows whose plain norm may have under- or overflowed (or is zero) are redone
    # scaled; on data of ordinary size there are none and this costs one check.
    info = np.finfo(np.float32 if "32" in str(X.dtype) else np.float64)
    suspect = (norms < float(np.sqrt(info.tiny) / info.eps)) | ~(norms < float(np.sqrt(info.max)))
    if to_float(xp.sum(xp.astype(suspect, X.dtype))) > 0:
        peak = xp.max(xp.abs(X), axis=1, keepdims=True)
        peak = xp.where(peak > 0, peak, xp.ones_like(peak))
        scaled = peak * xp.linalg.vector_norm(X / peak, axis=1, keepdims=True)
        norms = xp.where(suspect, scaled, norms)
    return norms if keepdims else norms[:, 0]


def normalize_rows(X, xp=None, *, at_most_one=False, return_norms=False):
    """Rows of ``X`` scaled to unit norm; zero rows stay zero.

    With ``at_most_one`` rows are only shrunk into the unit ball. Norms come
    from :func:`row_norms` (no overflow / underflow). ``xp`` is accepted for
    callers that pass their namespace; it is found from ``X`` otherwise.
    """
    xp = get_namespace(X) if xp is None else xp
    norms = row_norms(X, keepdims=True)
    floor = 1.0 if at_most_one else 0.0
    Xn = X / xp.where(norms > floor, norms, xp.ones_like(norms))
    return (Xn, norms) if return_norms else Xn


def max_abs_scale(X) -> float:
    """The power of two nearest above the largest magnitude in ``X`` (1.0 for zero ``X``).

    Estimators whose result does not depend on the scale of ``X`` divide by it
    first, so that data of size ``1e-150`` or ``1e150`` stays within range.
    Dividing by a power of two is exact: on data of ordinary size the results
    are bit for bit those of the unscaled computation.
    """
    xp = get_namespace(X)
    if sp.issparse(X):
        peak = float(abs(X).max()) if X.nnz else 0.0
    else:
        peak = to_float(xp.max(xp.abs(X))) if X.shape[0] * X.shape[-1] else 0.0
    if not (peak > 0 and np.isfinite(peak)):
        return 1.0
    return math.ldexp(1.0, math.frexp(peak)[1])


def polar(A):
    """Orthogonal polar factor ``U V'`` of ``A = U S V'`` (nearest orthonormal matrix).

    Used as the polar retraction on the Stiefel manifold and in l_p dictionary
    learning. Works on stacks.
    """
    xp = get_namespace(A)
    U, _, Vt = xp.linalg.svd(A, full_matrices=False)
    return U @ Vt


def principal_angles(U, V):
    """Principal angles (radians, ascending) between the spans of ``U`` and ``V``.

    ``U`` (..., n, k1) and ``V`` (..., n, k2) must have orthonormal columns;
    leading dimensions are batch dimensions, so thousands of pairs are handled
    in one call. ``min(k1, k2)`` angles are returned. Small angles come from the
    sines (Knyazev & Argentati 2002), large ones from the cosines, so both are
    accurate to machine precision.
    """
    xp = get_namespace(U, V)
    if U.shape[-1] < V.shape[-1]:
        U, V = V, U
    cos = xp.linalg.svdvals(xp.matrix_transpose(U) @ V)  # descending
    cos = xp.clip(cos, 0.0, 1.0)
    residual = V - U @ (xp.matrix_transpose(U) @ V)
    sin = xp.flip(xp.linalg.svdvals(residual), axis=-1)  # ascending
    sin = xp.clip(sin, 0.0, 1.0)
    return xp.where(cos**2 < 0.5, xp.acos(cos), xp.asin(sin))


# ---------------------------------------------------------------------------
# Symmetric factorizations
# ---------------------------------------------------------------------------


def add_to_diagonal(A, value):
    """``A + value * I`` for a square ``A``; in place (and returned) for a writable NumPy ``A``.

    The in-place form saves an ``n x n`` temporary (two with the identity),
    which is what bounds the largest kernel or preconditioner matrices.
    """
    xp = get_namespace(A)
    n = A.shape[-1]
    if is_numpy(xp) and A.ndim == 2 and A.flags.writeable and A.flags.c_contiguous:
        A.flat[:: n + 1] += value
        return A
    return A + value * xp.eye(n, dtype=A.dtype, **device_kw(A))


def cholesky(A, *, jitter=0.0):
    """Lower Cholesky factor of the symmetric positive definite ``A``.

    ``jitter`` (relative to the mean diagonal) is added to the diagonal first.
    A matrix that is not positive definite raises a ``ValueError`` that says so,
    instead of a LAPACK error or NaNs.
    """
    xp = get_namespace(A)
    if jitter:
        n = A.shape[-1]
        scale = xp.mean(diagonal(A), axis=-1)
        A = A + (jitter * scale)[..., None, None] * xp.eye(n, dtype=A.dtype, **device_kw(A))
    try:
        L = xp.linalg.cholesky(A)
    except Exception as exc:  # numpy LinAlgError, cupy errors
        raise ValueError(
            "Matrix is not positive definite; increase the regularization "
            "(e.g. alpha / penalty / jitter)."
        ) from exc
    if not bool(to_float(xp.all(xp.isfinite(L)))):  # CuPy may return NaN silently
        raise ValueError(
            "Matrix is not positive definite; increase the regularization "
            "(e.g. alpha / penalty / jitter)."
        )
    return L


def cholesky_solve(A, B, *, jitter=0.0):
    """Solve ``A X = B`` for symmetric positive definite ``A`` through Cholesky."""
    return cho_solve(cholesky(A, jitter=jitter), B)


def eigh_topk(A, k, *, largest=True):
    """The ``k`` largest (or smallest) eigenpairs of the symmetric matrix ``A``.

    Returns ``(w, V)`` with ``w`` ordered from the most extreme inward and the
    eigenvector signs fixed by :func:`svd_flip`. On NumPy only the requested
    eigenpairs are computed (LAPACK ``syevr`` subset).
    """
    xp = get_namespace(A)
    n = A.shape[-1]
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, {n}]; got {k}.")
    if is_numpy(xp) and A.ndim == 2:
        lo, hi = (n - k, n - 1) if largest else (0, k - 1)
        w, V = scipy.linalg.eigh(A, subset_by_index=(lo, hi), check_finite=False)
        w, V = np.asarray(w), np.asarray(V)
    else:
        w, V = xp.linalg.eigh(A)
        w, V = (w[..., n - k :], V[..., n - k :]) if largest else (w[..., :k], V[..., :k])
    if largest:
        w, V = xp.flip(w, axis=-1), xp.flip(V, axis=-1)
    return w, svd_flip(V)


# ---------------------------------------------------------------------------
# Randomized and partial SVD
# ---------------------------------------------------------------------------


def safe_matmul(A, B):
    """``A @ B`` as a dense array, where ``A`` may be a SciPy / CuPy sparse matrix.

    The one sparse-or-dense product of the package (SciPy's product of a
    sparse matrix with an ``np.matrix`` or a 1-d array comes back as an
    ndarray).
    """
    if sp.issparse(A):
        return np.asarray(A @ B)
    return A @ B


def safe_rmatmul(A, B):
    """``A' @ B`` as a dense array, where ``A`` may be a SciPy / CuPy sparse matrix."""
    if is_sparse(A):
        return safe_matmul(A.T, B)
    return get_namespace(A, B).matrix_transpose(A) @ B


def _rows_times(Xt, M):
    """``Xt @ M`` for a short-fat dense ``Xt`` (l x m) and ``M`` (m x n, maybe sparse).

    Sketches are kept as short-fat row blocks: BLAS runs ``Xt @ M`` about 1.5x
    faster than the same product written ``M' @ X``.
    """
    if is_sparse(M):
        return (M.T @ Xt.T).T
    return Xt @ M


def _rows_times_t(Xt, M):
    """``Xt @ M'`` (``(M @ Xt')'``) for a short-fat dense ``Xt`` (l x n)."""
    if is_sparse(M):
        return (M @ Xt.T).T
    xp = get_namespace(Xt, M)
    return Xt @ xp.matrix_transpose(M)


def _orth_basis(Y):
    """Orthonormal basis of the columns of ``Y`` (economic QR; SciPy's on NumPy, 2x faster)."""
    xp = get_namespace(Y)
    if is_numpy(xp):
        return scipy.linalg.qr(Y, mode="economic", check_finite=False)[0]
    return xp.linalg.qr(Y)[0]


def _gram_eigh(Bt):
    """Eigenvalues (descending) and eigenvectors of ``B B'`` for ``B`` (l x n), in float64.

    They are the squared singular values and the left singular vectors of
    ``B``: an ``l x l`` eigenproblem in place of an SVD of ``B``.
    """
    xp = get_namespace(Bt)
    B64 = Bt if Bt.dtype == xp.float64 else xp.astype(Bt, xp.float64)
    G = B64 @ xp.matrix_transpose(B64)
    if not hasattr(xp.linalg, "eigh"):  # Dask: the l x l problem is solved on the client
        lam, W = np.linalg.eigh(np.asarray(G))
        return lam[::-1].copy(), W[:, ::-1].copy()
    lam, W = xp.linalg.eigh(G)
    return xp.flip(lam, axis=0), xp.flip(W, axis=1)


def _subspace_iteration(M, size, *, n_iter, random_state=None, start=None, k=None, tol=None):
    """Randomized subspace iteration on ``M`` (m x n).

    Returns an orthonormal ``Q`` (m x size) approximating the range of ``M``,
    the sketch ``B = Q' M`` (size x n) and, when computed, the eigenpairs of
    ``B B'`` (:func:`_gram_eigh`), else None.

    Products alternate ``M @ .`` and ``M' @ .`` (Halko, Martinsson & Tropp
    2011, Alg. 4.4), written as short-fat row blocks times ``M``. The n-side
    basis is renormalized by a pivoted LU (:func:`lu_basis`), the m-side one
    by a QR, so the last product is ``B`` itself, at no extra pass over
    ``M``. ``start`` (n x s) seeds the first columns of the Gaussian test
    matrix (a warm start).

    With ``tol`` the iteration is adaptive and ``n_iter`` only caps it. It
    stops at once when the smallest singular value of ``B`` is at rounding
    level (below ``100 eps`` times the largest): ``M`` has numerical rank
    below ``size`` and the sketch holds its whole range. Otherwise the product that
    starts the next power iteration, ``M P`` with ``B' = P T``, also gives the
    residuals ``||M v_i - s_i u_i|| = ||M P T w_i / s_i - s_i Q w_i||`` of the
    current top-``k`` singular triplets (``M' u_i = s_i v_i`` holds exactly);
    once every one is at most ``tol * s_i`` the current triplets are kept, so
    the check costs no pass either.
    """
    like = dense_like(M)
    xp = get_namespace(like)
    rng = check_random_state(random_state)
    n = M.shape[1]
    omega_t = from_numpy(rng.standard_normal((size, n)), like)
    if start is not None:
        s = min(start.shape[1], size)
        omega_t = xp.concat([xp.matrix_transpose(start[:, :s]), omega_t[s:, :]], axis=0)
    Q = _orth_basis(xp.matrix_transpose(_rows_times_t(omega_t, M)))
    Bt = _rows_times(xp.matrix_transpose(Q), M)
    if tol is None:
        for _ in range(n_iter):
            P, _ = lu_basis(xp.matrix_transpose(Bt))
            Q = _orth_basis(xp.matrix_transpose(_rows_times_t(xp.matrix_transpose(P), M)))
            Bt = _rows_times(xp.matrix_transpose(Q), M)
        return Q, Bt, None
    eps = float(np.finfo(np.float32 if Bt.dtype == xp.float32 else np.float64).eps)
    gram = _gram_eigh(Bt)
    for _ in range(n_iter):
        lam = to_numpy(gram[0], dtype=np.float64)
        if lam[-1] <= (100 * eps) ** 2 * lam[0]:  # rank < size: the range is captured
            break
        P, T = lu_basis(xp.matrix_transpose(Bt))
        Yt = _rows_times_t(xp.matrix_transpose(P), M)  # (M P)'
        s = xp.sqrt(xp.clip(gram[0][:k], 0, None))
        Wk = xp.astype(gram[1][:, :k], Bt.dtype)
        s_ = xp.astype(s, Bt.dtype)[:, None]
        # rows: (M v_i)' - s_i u_i'  with  M v_i = M P T w_i / s_i,  u_i = Q w_i
        Rt = (xp.matrix_transpose(T @ Wk) @ Yt) / xp.where(s_ > 0, s_, 1) - s_ * (
            xp.matrix_transpose(Q @ Wk)
        )
        res = to_numpy(xp.linalg.vector_norm(Rt, axis=1), dtype=np.float64)
        if np.all(res <= tol * to_numpy(s, dtype=np.float64)):
            break
        Q = _orth_basis(xp.matrix_transpose(Yt))
        Bt = _rows_times(xp.matrix_transpose(Q), M)
        gram = _gram_eigh(Bt)
    return Q, Bt, gram


def randomized_range_finder(A, size, *, n_iter=4, random_state=None, start=None):
    """Orthonormal ``Q`` (m x size) whose span approximates the range of ``A``.

    Subspace iteration with ``n_iter`` power iterations (see
    :func:`_subspace_iteration`). ``start`` (n x s, s <= size) seeds the first
    columns of the test matrix, e.g. the right singular vectors of the
    previous iterate of an iterative algorithm (a warm start); the rest are
    Gaussian.
    """
    return _subspace_iteration(A, size, n_iter=n_iter, random_state=random_state, start=start)[0]


#: Relative residual of the top singular triplets at which ``n_iter="auto"`` stops.
_AUTO_TOL = 1e-4


def randomized_svd(
    A, n_components, *, n_oversamples=10, n_iter="auto", random_state=None, start=None
):
    """Truncated SVD of ``A`` (dense or sparse) by randomized subspace iteration.

    The sketch ``B = Q' A`` (:func:`_subspace_iteration`) is decomposed
    through the eigenpairs of the small Gram matrix ``B B'`` (in float64)
    when its top ``n_components`` singular values span at most two orders of
    magnitude, and by an SVD of ``B`` otherwise, where the Gram matrix would
    cost accuracy.

    Parameters
    ----------
    A : array or sparse matrix of shape (m, n)
    n_components : int
        Number of singular triplets returned.
    n_oversamples : int
        Extra random directions (the sketch has ``n_components + n_oversamples``
        columns).
    n_iter : int or "auto"
        Power iterations. "auto" is adaptive: none when the sketch already
        holds the whole range (numerical rank of ``A`` below
        ``n_components + n_oversamples``), else as many as
        needed for every returned triplet to satisfy
        ``||A v_i - s_i u_i|| <= 1e-4 s_i`` (checked at no extra pass), and at
        most 7 when ``n_components`` is below 10% of ``min(m, n)`` (slow
        spectral decay is harder) or 4 otherwise.
    random_state : int, RandomState or None
    start : array of shape (n, s), optional
        Warm start for the test matrix (see :func:`randomized_range_finder`).

    Returns
    -------
    U : (m, n_components), s : (n_components,), Vt : (n_components, n)
        Singular vectors with deterministic signs (:func:`svd_flip`).
    """
    m, n = A.shape
    k = min(n_components, m, n)
    size = min(k + n_oversamples, m, n)
    tol = None
    if n_iter == "auto":
        n_iter, tol = (7 if k < 0.1 * min(m, n) else 4), _AUTO_TOL
    transpose = m < n  # iterate on the smaller Gram side
    M = A.T if transpose else A
    if transpose and start is not None:
        # ``start`` approximates right singular vectors; A @ start spans the
        # matching left ones, the warm start of the transposed iteration.
        start = safe_matmul(A, start)
    Q, Bt, gram = _subspace_iteration(
        M, size, n_iter=n_iter, random_state=random_state, start=start, k=k, tol=tol
    )
    xp = get_namespace(Bt)
    lam, W = _gram_eigh(Bt) if gram is None else gram
    top = to_numpy(lam[:k], dtype=np.float64)
    if k and top[-1] > 1e-4 * top[0]:
        # B = W diag(s) V'  with  (s^2, W) the eigenpairs of B B'.
        s = xp.astype(xp.sqrt(lam[:k]), Bt.dtype)
        Wk = xp.astype(W[:, :k], Bt.dtype)
        U = Q @ Wk
        Vt = (xp.matrix_transpose(Wk) @ Bt) / s[:, None]
    else:
        Uh, s, Vt = xp.linalg.svd(Bt, full_matrices=False)
        U, s, Vt = Q @ Uh[:, :k], s[:k], Vt[:k, :]
    if transpose:
        U, Vt = xp.matrix_transpose(Vt), xp.matrix_transpose(U)
    U, Vt = svd_flip(U, Vt)
    return U, s, Vt


def _full_svd(A):
    like = dense_like(A)
    xp = get_namespace(like)
    dense = A.toarray() if hasattr(A, "toarray") else A
    U, s, Vt = xp.linalg.svd(dense, full_matrices=False)
    U, Vt = svd_flip(U, Vt)
    return U, s, Vt


def partial_svd_above(A, threshold, *, rank_guess=None, n_iter=4, random_state=None, start=None):
    """The singular triplets of ``A`` whose singular value exceeds ``threshold``.

    Only those are computed: a randomized SVD of predicted rank (``rank_guess``,
    e.g. the rank found at the previous iteration plus a margin) is enlarged
    geometrically until its smallest singular value falls below ``threshold``.
    When the prediction exceeds a quarter of ``min(m, n)`` a dense SVD is
    cheaper and is used instead.

    Returns ``(U, s, Vt)`` with ``s > threshold`` only (possibly empty).
    """
    threshold = to_float(threshold)
    m, n = A.shape
    small = min(m, n)
    k = max(1, int(rank_guess) if rank_guess is not None else 10)
    while True:
        if k >= small // 4 or small <= 50:
            U, s, Vt = _full_svd(A)
            break
        U, s, Vt = randomized_svd(
            A,
            k,
            n_oversamples=max(10, k // 4),
            n_iter=n_iter,
            random_state=random_state,
            start=start,
        )
        if to_float(s[-1]) <= threshold:
            break
        k = 2 * k
    xp = get_namespace(s)
    r = int(to_float(xp.sum(xp.astype(s > threshold, xp.int64))))
    return U[:, :r], s[:r], Vt[:r, :]


def svt(A, threshold, *, rank_guess=None, n_iter=4, random_state=None, start=None):
    """Singular value thresholding: the proximal map of ``threshold * ||.||_*``.

    Returns the factors ``(U, s_shrunk, Vt)`` of ``U diag(s - threshold)_+ Vt``,
    computing only the singular values above ``threshold`` (see
    :func:`partial_svd_above`), so a low-rank result costs O(m n r).
    """
    threshold = to_float(threshold)
    U, s, Vt = partial_svd_above(
        A, threshold, rank_guess=rank_guess, n_iter=n_iter, random_state=random_state, start=start
    )
    return U, s - threshold, Vt


# ---------------------------------------------------------------------------
# Batched orthogonal matching pursuit
# ---------------------------------------------------------------------------


_OMP_BLOCK_ENTRIES = 1 << 19  # 4 MiB of float64 correlations per block on NumPy


def batched_omp(
    X, D, *, n_nonzero_coefs=None, tol=None, exclude=None, gram=None, verbose=0, desc=None
):
    """Orthogonal matching pursuit for all rows of ``X`` at once.

    Solves, for each signal ``x_i`` (a row of ``X``), the greedy approximation of
    ``min ||x_i - c_i D||^2 s.t. ||c_i||_0 <= n_nonzero_coefs`` (or until the
    squared residual is at most ``tol``). Atoms are the rows of ``D``; as in
    scikit-learn's :func:`~sklearn.linear_model.orthogonal_mp`, each step picks
    the atom of largest ``|<r_i, d_j>|`` (atoms are *not* rescaled, so the
    supports are scikit-learn's for any dictionary). The Cholesky factor of
    the chosen atoms' Gram matrix grows by one row per step and is kept
    inverted (also triangular), so the least-squares coefficients are updated
    by one product per step: no step solves a system.

    Two batched forms, both matrix-matrix work over blocks of signals (on
    NumPy, cache-sized blocks shared among host threads):

    * with the atoms' Gram matrix ``G`` (``gram`` given, or few atoms: it is
      formed then), the correlations are ``D x_i - G[S_i] c_i`` (Rubinstein,
      Zibulevsky & Elad 2008, "Batch-OMP"): after one product ``X D'``, a step
      costs ``O(t n_atoms)`` per signal (one sparse-dense product on NumPy),
      not ``O(n_features n_atoms)``;
    * otherwise the residuals are kept and each step is one product
      ``R D'`` (memory O(block x n_atoms), for dictionaries too large for a
      Gram matrix, such as all points in self-expressive clustering).

    On NumPy input the Gram form runs a compiled kernel instead
    (:mod:`sksubspace._omp_numba`, Numba): after the block's product ``X D'``,
    signal by signal in cache, in float64; same picks and stopping rules. The
    residual form stays batched there (its steps are BLAS products already).

    Parameters
    ----------
    X : array of shape (n_signals, n_features)
    D : array of shape (n_atoms, n_features)
    n_nonzero_coefs : int, optional
        Sparsity target; default ``max(1, n_features // 10)`` when ``tol`` is None.
    tol : float, optional
        Stop a signal once its squared residual norm is at most ``tol``.
    exclude : int array of shape (n_signals,), optional
        An atom each signal may not use (its own index in self-expressive
        clustering, where ``D`` is ``X``). Negative entries exclude nothing.
    gram : array of shape (n_atoms, n_atoms), optional
        Precomputed ``D D'`` (worth it when atoms are reused across batches).
    verbose : int, default=0
        A progress bar over the blocks of signals (see
        :func:`sksubspace.utils._threads.threaded_block_map`), titled ``desc``.
    desc : str, optional

    Returns
    -------
    indices : int array of shape (n_signals, k)
        Chosen atoms in order of selection; -1 marks unused slots.
    coefs : array of shape (n_signals, k)
        Their least-squares coefficients (0 in unused slots).

    Notes
    -----
    A signal stops early when its residual is exactly explained, or when the
    atom it would pick next lies (to rounding) in the span of those already
    chosen, as scikit-learn's OMP does (without its warning).
    """
    xp = get_namespace(X, D)
    n, d = X.shape
    n_atoms = D.shape[0]
    if n_nonzero_coefs is None:
        n_nonzero_coefs = n_atoms if tol is not None else max(1, d // 10)
    K = max(1, int(min(n_nonzero_coefs, n_atoms, d)))
    # The Gram form pays O(t n_atoms) per step (sparse-dense products) against
    # O(d n_atoms) for a product with the residuals (dense, at BLAS speed), and
    # holds the (n_atoms, n_atoms) Gram matrix: worth it for small dictionaries
    # reused by many signals. With the compiled kernel (NumPy), a step is
    # cheap enough for the Gram form to win whenever forming the Gram matrix
    # (n_atoms^2 d flops) costs no more than the K products with the
    # residuals (K n n_atoms d).
    numpy = is_numpy(xp)
    kernel = numpy and _omp_kernel() is not None
    use_gram = gram is not None or (
        n_atoms <= 2048 and (n * K >= n_atoms if kernel else n >= n_atoms and 4 * K <= d)
    )
    if kernel and use_gram:
        return _omp_gram_host(X, D, K, tol, exclude, gram, verbose, desc)
    if use_gram and gram is None:
        gram = D @ xp.matrix_transpose(D)
    # Blocks of signals: on NumPy about _OMP_BLOCK_ENTRIES correlations
    # (cache-sized) shared among host threads; elsewhere 8 times more, in turn.
    width = n_atoms if use_gram else n_atoms + (K + 2) * d
    step = max(1, min(n, _OMP_BLOCK_ENTRIES * (1 if numpy else 8) // width))

    def run(start, stop):
        ex_block = None if exclude is None else exclude[start:stop]
        return _omp_block(X[start:stop, :], D, K, tol, ex_block, gram, xp)

    if n <= step and not verbose:
        return run(0, n)
    parts = threaded_block_map(
        run,
        row_blocks(n, step),
        effective_n_threads() if numpy else 1,
        verbose=verbose,
        desc=desc or "batched OMP",
    )
    return xp.concat([p[0] for p in parts]), xp.concat([p[1] for p in parts])


@functools.cache
def _omp_kernel():
    """The compiled host kernel of the Gram form (imported on first use), or None without Numba."""
    try:
        from ._omp_numba import omp_gram_host
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    return omp_gram_host


_OMP_HOST_BLOCK_ENTRIES = 1 << 16  # correlations per block of the kernel: 512 KiB, in L2


def _omp_gram_host(X, D, K, tol, exclude, gram, verbose, desc):
    """:func:`batched_omp` in the Gram form on NumPy: the compiled kernel over blocks.

    Each block of signals makes its correlations ``X D'`` (one product, in
    the input dtype) and the kernel pursues its signals one at a time, in
    float64, into the shared outputs; blocks run on host threads (the kernel
    releases the GIL).
    """
    n = X.shape[0]
    n_atoms = D.shape[0]
    step = max(1, _OMP_HOST_BLOCK_ENTRIES // n_atoms)
    n_threads = min(effective_n_threads(), -(-n // step))
    Dt = D.T
    if gram is None:
        # one small product; a threaded BLAS would wake its pool for it, whose
        # threads then spin on the cores the blocks run on
        with threadpool_limits(limits=1, user_api="blas") if n_threads > 1 else nullcontext():
            gram = D @ Dt
    gram = np.ascontiguousarray(gram)
    eps = float(np.finfo(X.dtype).eps)
    ban = np.full(n, -1, np.int64) if exclude is None else np.asarray(exclude, dtype=np.int64)
    indices = np.full((n, K), -1, dtype=np.int64)
    coefs = np.zeros((n, K), dtype=X.dtype)
    has_tol = tol is not None
    tol = float(tol) if has_tol else 0.0
    kernel = _omp_kernel()

    def run(start, stop):
        Xb = X[start:stop]
        kernel(
            Xb @ Dt,
            gram,
            np.einsum("ij,ij->i", Xb, Xb),
            K,
            tol,
            has_tol,
            ban[start:stop],
            eps,
            indices[start:stop],
            coefs[start:stop],
        )

    threaded_block_map(
        run,
        row_blocks(n, step),
        n_threads,
        verbose=verbose,
        desc=desc or "batched OMP",
    )
    return indices, coefs


def _omp_block(X, D, K, tol, exclude, gram, xp):
    """:func:`batched_omp` on one block of signals (``gram`` selects the form).

    The chosen atoms ``d_0, ..., d_t`` of a signal have the Cholesky factor
    ``L`` (``d_s = sum_r L[s, r] e_r``, the ``e_r`` orthonormal); its inverse
    ``M`` grows by one row per step, and the least-squares coefficients are
    ``M' z`` with ``z_r = <x, e_r>``, so each step adds ``z_t M[t]`` to them.
    """
    n, d = X.shape
    n_atoms = D.shape[0]
    eps = float(np.finfo(np.float32 if X.dtype == xp.float32 else np.float64).eps)
    rows = (
        xp.arange(n, **device_kw(X)) * n_atoms
    )  # offsets of each signal's row in flattened (n, n_atoms)
    ban = None
    if exclude is not None:
        ban = xp.astype(exclude, xp.int64)
        ban = xp.where(ban >= 0, rows + ban, -xp.ones_like(ban))
    if gram is not None:
        gdiag = xp.linalg.diagonal(gram)
        c0 = X @ xp.matrix_transpose(D)  # D x_i; the correlations are c0 - G[S] coef
    else:
        gdiag = xp.sum(D * D, axis=1)
        R = X  # residuals
        E = xp.zeros((n, K, d), dtype=X.dtype, **device_kw(X))  # orthonormalized chosen atoms
    indices = xp.full((n, K), -1, dtype=xp.int64, **device_kw(X))
    M = xp.zeros(
        (n, K, K), dtype=X.dtype, **device_kw(X)
    )  # inverse Cholesky factor of the chosen atoms
    coefs = xp.zeros((n, K), dtype=X.dtype, **device_kw(X))
    rsq = xp.sum(X * X, axis=1)  # squared residual norms
    tiny = (64.0 * eps) ** 2 * rsq  # |<r, d_j>| <= 64 eps |x| |d_j|: r is zero to rounding
    active = rsq > (tol if tol is not None else 0.0)
    for t in range(K):
        if not bool(to_float(xp.any(active))):
            break
        if gram is not None:
            c = c0 if t == 0 else _gram_correlations(c0, gram, indices[:, :t], coefs[:, :t], xp)
        else:
            c = R @ xp.matrix_transpose(D)
        j = _argmax_abs(c, ban, rows, xp)
        cj = _take_flat(c, rows + j, xp)
        dj_sq = xp.take(gdiag, j)
        if t == 0:
            nsq = dj_sq
        else:  # l = L[t, :t] solves L[:t, :t] l = D_S d_j, i.e. l = M[:t, :t] D_S d_j
            if gram is not None:
                safe = xp.where(indices[:, :t] >= 0, indices[:, :t], xp.zeros_like(indices[:, :t]))
                g = _take_flat(gram, safe * n_atoms + j[:, None], xp)
                l = xp.sum(M[:, :t, :t] * g[:, None, :], axis=2)
            else:
                v = xp.take(D, j, axis=0)
                l = xp.sum(E[:, :t, :] * v[:, None, :], axis=2)  # <d_j, e_s>
            nsq = dj_sq - xp.sum(l * l, axis=1)
        # an atom already in the span (to rounding) ends the pursuit, as in scikit-learn;
        # so does a residual that is zero to rounding (all its correlations are)
        ok = active & (nsq > eps * dj_sq) & (cj * cj > tiny * dj_sq)
        inv = xp.where(ok, 1.0 / xp.sqrt(xp.where(ok, nsq, xp.ones_like(nsq))), xp.zeros_like(nsq))
        zt = cj * inv  # <x, e_t> = <r, d_j> / ||d_j - its projection||
        M[:, t, t] = inv
        if t:
            M[:, t, :t] = -inv[:, None] * xp.sum(l[:, :, None] * M[:, :t, :t], axis=1)
        coefs[:, : t + 1] = coefs[:, : t + 1] + zt[:, None] * M[:, t, : t + 1]
        indices[:, t] = xp.where(ok, j, indices[:, t])
        if gram is None:  # e_t = (d_j - sum_s l_s e_s) / norm; r <- r - z_t e_t
            e = v - xp.sum(l[:, :, None] * E[:, :t, :], axis=1) if t else xp.take(D, j, axis=0)
            E[:, t, :] = e * inv[:, None]
            R = R - zt[:, None] * E[:, t, :]
        rsq = rsq - zt * zt
        active = ok & (rsq > tol) if tol is not None else ok
    return indices, coefs


def _gram_correlations(c0, gram, idx, coef, xp):
    """``D r_i = c0_i - sum_s coef[i, s] gram[idx[i, s]]`` for every signal (unused: -1, 0)."""
    n, t = idx.shape
    safe = xp.where(idx >= 0, idx, xp.zeros_like(idx))
    if is_numpy(xp):  # one sparse-dense product: t cached Gram rows per signal, no gather
        P = (
            sp.csr_matrix((coef.ravel(), safe.ravel(), np.arange(0, n * t + 1, t)), shape=c0.shape)
            @ gram
        )
        return np.subtract(c0, P, out=P)
    c = c0
    for s in range(t):
        c = c - coef[:, s][:, None] * xp.take(gram, safe[:, s], axis=0)
    return c


def _take_flat(A, flat_idx, xp):
    """Entries of ``A`` at flat (row-major) indices, shaped as ``flat_idx``."""
    out = xp.take(xp.reshape(A, (-1,)), xp.reshape(flat_idx, (-1,)))
    return xp.reshape(out, flat_idx.shape)


def _argmax_abs(c, ban, rows, xp):
    """Per row, the column of largest ``|c|``, never the banned flat index ``ban``.

    On NumPy the banned entries of ``c`` are zeroed in place (callers pass
    correlations they may overwrite there), and the largest and smallest
    entries are found by two read-only passes instead of forming ``|c|``.
    """
    if is_numpy(xp):
        if ban is not None:
            c.reshape(-1)[ban[ban >= 0]] = 0.0
        hi, lo = np.argmax(c, axis=1), np.argmin(c, axis=1)
        flat = c.reshape(-1)
        return np.where(flat[rows + hi] >= -flat[rows + lo], hi, lo)
    a = xp.abs(c)
    if ban is not None:
        cols = xp.arange(c.shape[1], **device_kw(c))[None, :]
        hit = (rows[:, None] + cols) == ban[:, None]
        a = xp.where(hit, -xp.ones_like(a), a)
    return xp.argmax(a, axis=1)


def omp_codes_dense(indices, coefs, n_atoms):
    """Scatter the output of :func:`batched_omp` into a dense (n, n_atoms) array."""
    xp = get_namespace(coefs)
    n, K = indices.shape
    out = xp.zeros((n, n_atoms), dtype=coefs.dtype, **device_kw(coefs))
    if is_numpy(xp):  # one scatter instead of K masked passes over the output
        keep = indices >= 0
        out[np.nonzero(keep)[0], indices[keep]] = coefs[keep]
        return out
    atom_ids = xp.arange(n_atoms, **device_kw(coefs))[None, :]
    for t in range(K):
        out = out + xp.where(atom_ids == indices[:, t : t + 1], coefs[:, t : t + 1], 0.0)
    return out


def omp_codes_sparse(indices, coefs, n_atoms):
    """The output of :func:`batched_omp` as a SciPy CSR matrix (host)."""
    idx, val = to_numpy(indices), to_numpy(coefs)
    n, K = idx.shape
    rows = np.repeat(np.arange(n), K)
    keep = idx.ravel() >= 0
    return sp.csr_matrix((val.ravel()[keep], (rows[keep], idx.ravel()[keep])), shape=(n, n_atoms))
