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
  :func:`newton_schulz_polar`, :func:`principal_angles`
* factorizations: :func:`cholesky`, :func:`eigh_topk`,
  :func:`randomized_range_finder`, :func:`randomized_svd`,
  :func:`partial_svd_above`, :func:`svt`
* sparse coding: :func:`batched_omp`
* graphs: :func:`spectral_embedding`, :func:`spectral_clustering`
"""

from __future__ import annotations

import importlib

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg
from array_api_compat import is_cupy_namespace
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state

from ._backend import (
    cho_solve,
    from_numpy,
    get_namespace,
    is_numpy,
    to_float,
    to_numpy,
)

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
    diag = xp.linalg.diagonal(R) if hasattr(xp.linalg, "diagonal") else _diag(R)
    return Q * _nonzero_sign(diag)[..., None, :]


def _diag(R):
    xp = get_namespace(R)
    k = min(R.shape[-2], R.shape[-1])
    eye = xp.eye(R.shape[-2], R.shape[-1], dtype=R.dtype)
    return xp.sum(R * eye, axis=-2)[..., :k]


def polar(A):
    """Orthogonal polar factor ``U V'`` of ``A = U S V'`` (nearest orthonormal matrix).

    Used as the polar retraction on the Stiefel manifold and in l_p dictionary
    learning. Works on stacks.
    """
    xp = get_namespace(A)
    U, _, Vt = xp.linalg.svd(A, full_matrices=False)
    return U @ Vt


def newton_schulz_polar(A, *, n_iter=30, tol=None):
    """Polar factor by the Newton-Schulz iteration (matrix products only).

    ``X <- 1.5 X - 0.5 X X' X`` after scaling ``A`` by its Frobenius norm, so all
    singular values start in (0, 1]. Converges quadratically once they are near
    1; GPU friendly. Requires full column rank.
    """
    xp = get_namespace(A)
    X = A / xp.linalg.matrix_norm(A, keepdims=True)
    eye = xp.eye(A.shape[-1], dtype=A.dtype)
    tol = (
        10 * np.finfo(np.float32 if A.dtype == xp.float32 else np.float64).eps
        if tol is None
        else tol
    )
    for _ in range(n_iter):
        XtX = xp.matrix_transpose(X) @ X
        X = X @ (1.5 * eye - 0.5 * XtX)
        if to_float(xp.max(xp.abs(XtX - eye))) < tol:
            break
    return X


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
    return A + value * xp.eye(n, dtype=A.dtype, device=getattr(A, "device", None))


def cholesky(A, *, jitter=0.0):
    """Lower Cholesky factor of the symmetric positive definite ``A``.

    ``jitter`` (relative to the mean diagonal) is added to the diagonal first.
    A matrix that is not positive definite raises a ``ValueError`` that says so,
    instead of a LAPACK error or NaNs.
    """
    xp = get_namespace(A)
    if jitter:
        n = A.shape[-1]
        scale = xp.mean(_diag(A), axis=-1)
        A = A + (jitter * scale)[..., None, None] * xp.eye(n, dtype=A.dtype)
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


def _matmul(A, B):
    """``A @ B`` where ``A`` may be a SciPy / CuPy sparse matrix."""
    return A @ B


def _is_sparse(A):
    return sp.issparse(A) or type(A).__module__.startswith("cupyx")


def _rows_times(Xt, M):
    """``Xt @ M`` for a short-fat dense ``Xt`` (l x m) and ``M`` (m x n, maybe sparse).

    Sketches are kept as short-fat row blocks: BLAS runs ``Xt @ M`` about 1.5x
    faster than the same product written ``M' @ X``.
    """
    if _is_sparse(M):
        return (M.T @ Xt.T).T
    return Xt @ M


def _rows_times_t(Xt, M):
    """``Xt @ M'`` (``(M @ Xt')'``) for a short-fat dense ``Xt`` (l x n)."""
    if _is_sparse(M):
        return (M @ Xt.T).T
    xp = get_namespace(Xt, M)
    return Xt @ xp.matrix_transpose(M)


def _dense_like(A):
    """An example dense array of A's namespace, for random draws and dtypes."""
    if sp.issparse(A):
        return np.empty(0, dtype=A.dtype)
    if type(A).__module__.startswith("cupyx"):
        import cupy

        return cupy.empty(0, dtype=A.dtype)
    return A


def _lu_basis(Y):
    """A well-conditioned basis ``P`` of the span of the columns of ``Y`` and ``T``, ``Y = P T``.

    Between power iterations only the span matters, and the unit lower
    trapezoidal factor ``P L`` of a pivoted LU is as good a basis as a QR's
    ``Q`` at a fraction of the cost (the trick of fbpca). NumPy and CuPy
    factor with LAPACK / cuSOLVER; namespaces without an LU use a QR.
    """
    xp = get_namespace(Y)
    if is_numpy(xp):
        return scipy.linalg.lu(Y, permute_l=True, check_finite=False)
    if is_cupy_namespace(xp):
        return importlib.import_module("cupyx.scipy.linalg").lu(Y, permute_l=True)
    return xp.linalg.qr(Y)


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
    lam, W = xp.linalg.eigh(B64 @ xp.matrix_transpose(B64))
    return xp.flip(lam, axis=0), xp.flip(W, axis=1)


def _host(a):
    return np.asarray(to_numpy(a), dtype=np.float64)


def _subspace_iteration(M, size, *, n_iter, random_state=None, start=None, k=None, tol=None):
    """Randomized subspace iteration on ``M`` (m x n).

    Returns an orthonormal ``Q`` (m x size) approximating the range of ``M``,
    the sketch ``B = Q' M`` (size x n) and, when computed, the eigenpairs of
    ``B B'`` (:func:`_gram_eigh`), else None.

    Products alternate ``M @ .`` and ``M' @ .`` (Halko, Martinsson & Tropp
    2011, Alg. 4.4), written as short-fat row blocks times ``M``. The n-side
    basis is renormalized by a pivoted LU (:func:`_lu_basis`), the m-side one
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
    like = _dense_like(M)
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
            P, _ = _lu_basis(xp.matrix_transpose(Bt))
            Q = _orth_basis(xp.matrix_transpose(_rows_times_t(xp.matrix_transpose(P), M)))
            Bt = _rows_times(xp.matrix_transpose(Q), M)
        return Q, Bt, None
    eps = float(np.finfo(np.float32 if Bt.dtype == xp.float32 else np.float64).eps)
    gram = _gram_eigh(Bt)
    for _ in range(n_iter):
        lam = _host(gram[0])
        if lam[-1] <= (100 * eps) ** 2 * lam[0]:  # rank < size: the range is captured
            break
        P, T = _lu_basis(xp.matrix_transpose(Bt))
        Yt = _rows_times_t(xp.matrix_transpose(P), M)  # (M P)'
        s = xp.sqrt(xp.clip(gram[0][:k], 0, None))
        Wk = xp.astype(gram[1][:, :k], Bt.dtype)
        s_ = xp.astype(s, Bt.dtype)[:, None]
        # rows: (M v_i)' - s_i u_i'  with  M v_i = M P T w_i / s_i,  u_i = Q w_i
        Rt = (xp.matrix_transpose(T @ Wk) @ Yt) / xp.where(s_ > 0, s_, 1) - s_ * (
            xp.matrix_transpose(Q @ Wk)
        )
        res = _host(xp.linalg.vector_norm(Rt, axis=1))
        if np.all(res <= tol * _host(s)):
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
        start = _matmul(A, start)
    Q, Bt, gram = _subspace_iteration(
        M, size, n_iter=n_iter, random_state=random_state, start=start, k=k, tol=tol
    )
    xp = get_namespace(Bt)
    lam, W = _gram_eigh(Bt) if gram is None else gram
    top = _host(lam[:k])
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
    like = _dense_like(A)
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


def batched_omp(X, D, *, n_nonzero_coefs=None, tol=None, exclude=None, gram=None):
    """Orthogonal matching pursuit for all rows of ``X`` at once.

    Solves, for each signal ``x_i`` (a row of ``X``), the greedy approximation of
    ``min ||x_i - c_i D||^2 s.t. ||c_i||_0 <= n_nonzero_coefs`` (or until the
    squared residual is at most ``tol``). Atoms are the rows of ``D``. Each
    step is matrix-matrix work over the whole batch: one product for the
    correlations, a batched Cholesky update of the Gram matrix of the chosen
    atoms (Rubinstein, Zibulevsky & Elad 2008) and batched triangular solves.

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

    Returns
    -------
    indices : int array of shape (n_signals, k)
        Chosen atoms in order of selection; -1 marks unused slots.
    coefs : array of shape (n_signals, k)
        Their least-squares coefficients (0 in unused slots).
    """
    xp = get_namespace(X, D)
    n, d = X.shape
    n_atoms = D.shape[0]
    if n_nonzero_coefs is None:
        n_nonzero_coefs = n_atoms if tol is not None else max(1, d // 10)
    K = int(min(n_nonzero_coefs, n_atoms, d))
    atom_sq = xp.sum(D * D, axis=1)
    atom_norm = xp.sqrt(xp.where(atom_sq > 0, atom_sq, xp.ones_like(atom_sq)))
    Dn_t = xp.matrix_transpose(D / atom_norm[:, None])  # unit atoms as columns
    eps = float(np.finfo(np.float32 if X.dtype == xp.float32 else np.float64).eps)
    # Chosen atoms need no mask: the residual is orthogonal to them, and an atom
    # picked again (rounding) fails the Cholesky update below, ending the pursuit
    # for that signal, as in scikit-learn's OMP.
    banned = None
    if exclude is not None:
        banned = xp.arange(n_atoms)[None, :] == xp.reshape(exclude, (-1, 1))

    indices = xp.full((n, K), -1, dtype=xp.int64)
    coefs = xp.zeros((n, K), dtype=X.dtype)
    L = xp.zeros((n, K, K), dtype=X.dtype)
    Xsq = xp.sum(X * X, axis=1)
    active = Xsq > (tol if tol is not None else 0.0)
    rhs = xp.zeros((n, K), dtype=X.dtype)  # D_S x
    R = X
    for t in range(K):
        if not bool(to_float(xp.any(active))):
            break
        corr = xp.abs(R @ Dn_t)
        if banned is not None:
            corr = xp.where(banned, -xp.ones_like(corr), corr)
        j = xp.argmax(corr, axis=1)
        dj = xp.take(D, j, axis=0)  # (n, d)
        if t == 0:
            L[:, 0, 0] = xp.sqrt(xp.take(atom_sq, j))
        else:
            prev = xp.take(D, xp.reshape(indices[:, :t], (-1,)), axis=0)
            prev = xp.reshape(prev, (n, t, d))
            if gram is not None:
                g = xp.reshape(
                    xp.take(
                        xp.reshape(gram, (-1,)),
                        xp.reshape(indices[:, :t] * n_atoms + j[:, None], (-1,)),
                    ),
                    (n, t),
                )
            else:
                g = xp.sum(prev * dj[:, None, :], axis=2)
            w = xp.linalg.solve(L[:, :t, :t], g[:, :, None])[..., 0]
            diag = xp.take(atom_sq, j) - xp.sum(w * w, axis=1)
            repeat = xp.any(indices[:, :t] == j[:, None], axis=1)
            ok = (diag > eps * xp.take(atom_sq, j)) & ~repeat
            active = active & ok  # an atom already in the span ends the pursuit
            L[:, t, :t] = xp.where(active[:, None], w, L[:, t, :t])
            L[:, t, t] = xp.where(
                active, xp.sqrt(xp.where(ok, diag, xp.ones_like(diag))), xp.ones_like(diag)
            )
        indices[:, t] = xp.where(active, j, indices[:, t])
        rhs[:, t] = xp.where(active, xp.sum(dj * X, axis=1), rhs[:, t])
        Lt = L[:, : t + 1, : t + 1]
        z = xp.linalg.solve(Lt, rhs[:, : t + 1, None])
        gamma = xp.linalg.solve(xp.matrix_transpose(Lt), z)[..., 0]
        coefs[:, : t + 1] = xp.where(active[:, None], gamma, coefs[:, : t + 1])
        sel = xp.take(
            D, xp.reshape(xp.where(indices[:, : t + 1] >= 0, indices[:, : t + 1], 0), (-1,)), axis=0
        )
        sel = xp.reshape(sel, (n, t + 1, d))
        R = X - xp.sum(coefs[:, : t + 1, None] * sel, axis=1)
        if tol is not None:
            active = active & (xp.sum(R * R, axis=1) > tol)
    return indices, coefs


def omp_codes_dense(indices, coefs, n_atoms):
    """Scatter the output of :func:`batched_omp` into a dense (n, n_atoms) array."""
    xp = get_namespace(coefs)
    n, K = indices.shape
    out = xp.zeros((n, n_atoms), dtype=coefs.dtype)
    atom_ids = xp.arange(n_atoms)[None, :]
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


# ---------------------------------------------------------------------------
# Spectral embedding and clustering of an affinity graph
# ---------------------------------------------------------------------------


def _normalized_affinity(W):
    """``D^-1/2 W D^-1/2`` (dense or SciPy sparse) and the degree vector."""
    if sp.issparse(W):
        W = sp.csr_matrix(W)
        deg = np.asarray(W.sum(axis=1)).ravel()
        inv = 1.0 / np.sqrt(np.where(deg > 0, deg, 1.0))
        Dm = sp.diags(inv)
        return Dm @ W @ Dm, deg
    xp = get_namespace(W)
    deg = xp.sum(W, axis=1)
    inv = 1.0 / xp.sqrt(xp.where(deg > 0, deg, xp.ones_like(deg)))
    return W * inv[:, None] * inv[None, :], deg


def spectral_embedding(affinity, n_components, *, random_state=None, normalized=False):
    """Leading eigenvectors of the normalized affinity ``D^-1/2 W D^-1/2``.

    Equivalently the eigenvectors of the smallest eigenvalues of the
    normalized Laplacian ``I - D^-1/2 W D^-1/2`` (Ng, Jordan & Weiss 2001).
    ``affinity`` may be a dense array of any namespace or a SciPy sparse matrix
    (then only sparse products are used, through ARPACK). With
    ``normalized=True`` the affinity is taken as already normalized (a matrix
    ``M`` standing for ``D^-1/2 W D^-1/2``, e.g. a weighted mean of several
    normalized affinities, so that ``I - M`` is the mean of their normalized
    Laplacians) and is used as it is.

    Returns
    -------
    eigenvalues : (n_components,) Laplacian eigenvalues, ascending.
    embedding : (n_samples, n_components) rows are the spectral coordinates.
    """
    M = affinity if normalized else _normalized_affinity(affinity)[0]
    n = M.shape[0]
    k = min(n_components, n)
    if sp.issparse(M) and n > 2000 and k < n - 1:
        rng = check_random_state(random_state)
        v0 = rng.uniform(-1, 1, n)
        mu, V = scipy.sparse.linalg.eigsh(M, k=k, which="LA", v0=v0, tol=1e-8)
        order = np.argsort(mu)[::-1]
        mu, V = mu[order], svd_flip(V[:, order])
    else:
        dense = M.toarray() if sp.issparse(M) else M
        mu, V = eigh_topk(dense, k)
    return 1.0 - mu, V


def eigengap_n_clusters(eigenvalues, max_clusters=None):
    """Number of clusters from the largest gap of ascending Laplacian eigenvalues."""
    ev = to_numpy(eigenvalues)
    if max_clusters is not None:
        ev = ev[: max_clusters + 1]
    if ev.size < 2:
        return 1
    return int(np.argmax(np.diff(ev)) + 1)


def spectral_clustering(
    affinity, n_clusters, *, n_init=10, random_state=None, max_clusters=20, normalized=False
):
    """Normalized spectral clustering of an affinity graph.

    Embeds with :func:`spectral_embedding`, normalizes the rows to unit length
    and runs k-means on them (on the host: the embedding is n x k). With
    ``n_clusters="auto"`` the count is the position of the largest eigengap
    among the first ``max_clusters + 1`` Laplacian eigenvalues. ``normalized``
    is passed to :func:`spectral_embedding` (the affinity is already
    ``D^-1/2 W D^-1/2``, or a weighted mean of such matrices).

    Returns
    -------
    labels : NumPy int array of shape (n_samples,)
    n_clusters : int
    eigenvalues : the Laplacian eigenvalues that were computed (ascending)
    """
    n = affinity.shape[0]
    if n_clusters == "auto":
        ev, V = spectral_embedding(
            affinity, min(max_clusters + 1, n), random_state=random_state, normalized=normalized
        )
        n_clusters = eigengap_n_clusters(ev, max_clusters)
        V = V[:, :n_clusters]
    else:
        ev, V = spectral_embedding(
            affinity, n_clusters, random_state=random_state, normalized=normalized
        )
    E = np.asarray(to_numpy(V), dtype=np.float64)
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    E = E / np.where(norms > 0, norms, 1.0)
    km = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=random_state)
    labels = km.fit_predict(E)
    return labels, n_clusters, ev


# --- added for kernel_ridge ---


def spd_solve(A, B, *, overwrite_a=False):
    """Solve ``A X = B`` for symmetric positive definite ``A``.

    On NumPy this is LAPACK ``potrf`` + ``potrs``; with ``overwrite_a=True``
    the factor is written over ``A`` (no second ``n x n`` array, which is what
    lets exact kernel ridge reach large ``n``). Other namespaces go through
    :func:`cholesky_solve`. A matrix that is not positive definite raises the
    ``ValueError`` of :func:`cholesky` (``A`` may then have been overwritten).
    """
    xp = get_namespace(A, B)
    if not is_numpy(xp):
        return cholesky_solve(A, B)
    A = np.asarray(A)
    # A symmetric: A.T is the same matrix, Fortran-ordered when A is C-ordered,
    # so LAPACK factors it in place.
    At = A.T if A.flags.c_contiguous else A
    try:
        c, lower = scipy.linalg.cho_factor(
            At, lower=True, overwrite_a=overwrite_a, check_finite=False
        )
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            "Matrix is not positive definite; increase the regularization "
            "(e.g. alpha / penalty / jitter)."
        ) from exc
    return scipy.linalg.cho_solve((c, lower), B, check_finite=False)


def conjugate_gradient(matvec, B, *, precond=None, max_iter=20, tol=None, X0=None):
    """Preconditioned conjugate gradient on the columns of ``B`` at once.

    Solves ``A X = B`` for symmetric positive (semi)definite ``A`` given only
    ``matvec(V) = A V`` (``V`` of shape ``(m, k)``); each column has its own
    step sizes. ``precond(R)`` applies an approximation of ``A^{-1}``.

    Parameters
    ----------
    matvec : callable
    B : array of shape (m, k)
    precond : callable or None
    max_iter : int
    tol : float or None
        Stop when every column's residual norm is at most ``tol`` times its
        initial norm. ``None`` runs exactly ``max_iter`` iterations (early
        stopping as regularization, as in FALKON); the residual is then only
        checked for exact convergence.
    X0 : array of shape (m, k) or None

    Returns
    -------
    X : array of shape (m, k)
    n_iter : int
    converged : bool
        Whether ``tol`` was reached (``True`` when ``tol`` is None).
    """
    xp = get_namespace(B)
    X = xp.zeros_like(B) if X0 is None else X0
    R = B - matvec(X) if X0 is not None else B
    Z = precond(R) if precond is not None else R
    P = Z
    rz = xp.sum(R * Z, axis=0)
    r0 = xp.sqrt(xp.sum(R * R, axis=0))
    r0_max = to_float(xp.max(r0)) if B.shape[1] else 0.0
    if r0_max == 0.0:
        return X, 0, True
    tiny = float(np.finfo(np.float32 if B.dtype == xp.float32 else np.float64).tiny)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        AP = matvec(P)
        pap = xp.sum(P * AP, axis=0)
        step = rz / xp.where(pap > tiny, pap, xp.ones_like(pap))
        step = xp.where(pap > tiny, step, xp.zeros_like(step))
        X = X + step * P
        R = R - step * AP
        rn = xp.sqrt(xp.sum(R * R, axis=0))
        ratio = to_float(xp.max(rn / xp.where(r0 > 0, r0, xp.ones_like(r0))))
        if (tol is not None and ratio <= tol) or ratio == 0.0:
            return X, n_iter, True
        Z = precond(R) if precond is not None else R
        rz_new = xp.sum(R * Z, axis=0)
        beta = rz_new / xp.where(rz > tiny, rz, xp.ones_like(rz))
        beta = xp.where(rz > tiny, beta, xp.zeros_like(beta))
        P = Z + beta * P
        rz = rz_new
    return X, n_iter, tol is None
