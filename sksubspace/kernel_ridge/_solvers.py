"""Linear solvers of the kernel ridge family: dense SPD solve in place, and batched CG."""

from __future__ import annotations

import numpy as np
import scipy.linalg

from .._backend import get_namespace, is_numpy, to_float
from .._linalg import cholesky_solve

__all__ = ["conjugate_gradient", "spd_solve"]


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
