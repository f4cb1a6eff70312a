r"""EigenPro 3: projected, preconditioned SGD for a kernel model on fixed centers.

The model is :math:`f = \sum_{j=1}^{M} \alpha_j k(z_j, \cdot)` on centers
:math:`Z` that need not be training rows (model size decoupled from data
size). The objective is the Nystroem kernel ridge objective

.. math::

    L(f) = \frac{1}{2n} \sum_i (f(x_i) - y_i)^2 + \frac{\lambda}{2} \|f\|_{\mathcal H}^2 ,

minimized over :math:`\mathcal H_Z = \mathrm{span}\{k(z_j, \cdot)\}`. One step
on a mini-batch :math:`b` of ``m`` rows (Abedsoltan, Belkin, Pandit 2023):

1. the stochastic functional gradient
   :math:`\frac1m \sum_{i \in b} (f(x_i) - y_i) k(x_i, \cdot) + \lambda f`;
2. its projection onto :math:`\mathcal H_Z`
   (:math:`K_{ZZ}^{-1} K_{Zb}` in coordinates);
3. the EigenPro **data preconditioner**
   :math:`P = I - \sum_{i \le q} (1 - \mu_{q+1}/\mu_i)\, \psi_i \otimes \psi_i`
   built from the top-``q`` eigenpairs of the kernel on ``s`` Nystroem
   samples (it flattens the top of the spectrum so that the step size
   :math:`\eta \approx m / (\beta + (m - 1) \mu_{q+1})` can be ``1/\mu_{q+1}``
   times larger than plain SGD's), followed again by the projection.

The preconditioner is applied to the *projected* gradient (``proj P proj``,
a positive definite operator on :math:`\mathcal H_Z`), so the fixed point is
exactly the minimizer of :math:`L` on :math:`\mathcal H_Z`: the FALKON
solution. The iterates of the second half of the epochs are averaged
(Polyak-Ruppert tail averaging) to remove most of the mini-batch noise. The
projection uses the Cholesky factor of :math:`K_{ZZ}` (the "model" side of
the dual preconditioning, computed once); the data side never forms more than
an ``m x M`` kernel block.
"""

from __future__ import annotations

import time

import numpy as np

from .._backend import as_index, device_kw, solve_triangular, to_float, to_numpy
from .._linalg import eigh_topk

__all__ = ["data_preconditioner", "eigenpro_sgd"]

#: Largest ratio mu_1 / mu_{q+1} the data preconditioner flattens.
MAX_FLATTENING = 100.0


def data_preconditioner(KSS, top_q):
    """EigenPro's data preconditioner from the kernel on ``s`` Nystroem samples.

    Parameters
    ----------
    KSS : array of shape (s, s)
        Kernel matrix of the Nystroem samples (float64).
    top_q : int
        Number of eigen-directions flattened (``< s``).

    Returns
    -------
    E : array of shape (s, q)
        Top eigenvectors of ``KSS``.
    D : array of shape (q,)
        ``(1 - lambda_{q+1} / lambda_i) / lambda_i``: the correction of
        :math:`P h` is the function with coefficients ``E diag(D) E' h(S)`` on
        the samples.
    mu_tail : float
        :math:`\\mu_{q+1} = \\lambda_{q+1} / s`, the top eigenvalue of the
        preconditioned covariance operator.
    """
    s = KSS.shape[0]
    q = int(min(top_q, s - 1))
    w, V = eigh_topk(KSS, q + 1)
    # Flatten no more than MAX_FLATTENING-fold: on fast-decaying spectra (smooth
    # kernels in low dimension) a deeper cut made the steps too long for the true
    # curvature and the iterates stalled far from the solution (n = M = 200, rbf
    # in 2-d: 0.99 relative error after 200 epochs at q = 100, 1e-8 at this cap).
    w_host = np.asarray(to_numpy(w), dtype=np.float64)
    q = max(1, min(q, int(np.sum(w_host[1:] >= w_host[0] / MAX_FLATTENING))))
    tail = max(to_float(w[q]), 0.0)
    w, E = w[:q], V[:, :q]
    keep = int(np.sum(np.asarray(to_numpy(w), dtype=np.float64) > tail * (1 + 1e-12)))
    w, E = w[:keep], E[:, :keep]
    D = (1.0 - tail / w) / w
    return E, D, tail / s


def eigenpro_sgd(
    kernel_rows,
    Y,
    LZ,
    KSZ,
    E,
    D,
    *,
    penalty,
    beta,
    mu_tail,
    batch_size,
    n_epochs,
    rng,
    xp,
    verbose=False,
):
    """Run projected, preconditioned SGD and return the (averaged) coefficients.

    Parameters
    ----------
    kernel_rows : callable
        ``kernel_rows(idx)`` is ``K(X[idx], Z)`` in float64, ``idx`` a host
        integer array: the only access to the training rows.
    Y : array of shape (n, k)
        Targets (float64).
    LZ : array of shape (M, M)
        Lower Cholesky factor of (jittered) :math:`K_{ZZ}`: the projection.
    KSZ : array of shape (s, M)
        Kernel between the Nystroem samples and the centers.
    E, D : arrays
        From :func:`data_preconditioner`.
    penalty : float
        :math:`\\lambda`.
    beta : float
        :math:`\\max_x k(x, x)` (bounds a single row's curvature).
    mu_tail : float
        Top eigenvalue of the preconditioned covariance.
    batch_size : int
    n_epochs : int
    rng : numpy Generator or RandomState
        Mini-batch order.
    xp : namespace

    Returns
    -------
    alpha : array of shape (M, k)
    """
    n = Y.shape[0]
    M, k = LZ.shape[0], Y.shape[1]
    m = int(min(batch_size, n))
    lam = float(penalty)
    # EigenPro's step for a batch of m rows, with the ridge term's curvature added.
    eta = m / (beta + lam + (m - 1) * (mu_tail + lam))
    # K_ZZ = U'U with U = L' (Fortran-ordered on NumPy: LAPACK solves without a copy).
    U = xp.matrix_transpose(LZ)

    def project(V):  # K_ZZ^{-1} V
        W = solve_triangular(U, V, lower=False, trans=True, xp=xp)
        return solve_triangular(U, W, lower=False, xp=xp)

    # G = K_SZ K_ZZ^{-1} (s x M, once) folds the first projection into the
    # preconditioner, so a step costs one projection instead of two.
    G = xp.matrix_transpose(project(xp.matrix_transpose(KSZ)))
    EDt = E * D  # E diag(D)
    alpha = xp.zeros((M, k), dtype=Y.dtype, **device_kw(Y))
    avg = None
    n_avg = 0
    t0 = time.perf_counter()
    for epoch in range(n_epochs):
        order = rng.permutation(n)
        last = epoch >= n_epochs // 2
        for start in range(0, n, m):
            idx = np.sort(order[start : start + m])
            Kb = kernel_rows(idx)  # (b, M)
            resid = Kb @ alpha - xp.take(Y, as_index(idx, Y), axis=0)
            g = (xp.matrix_transpose(Kb) @ resid) / idx.shape[0]  # K_Zb r / b
            # projected gradient a = K_ZZ^{-1} g + lam alpha, its values on the
            # Nystroem samples K_SZ a, the preconditioner's correction c there,
            # and the projection of (gradient - correction) back onto the centers:
            # step = K_ZZ^{-1} (g - K_ZS c) + lam alpha.
            c = EDt @ (xp.matrix_transpose(E) @ (G @ g + lam * (KSZ @ alpha)))
            step = project(g - xp.matrix_transpose(KSZ) @ c) + lam * alpha
            alpha = alpha - eta * step
            if last:
                n_avg += 1
                avg = alpha if avg is None else avg + (alpha - avg) / n_avg
        if verbose:
            print(f"[EigenPro] epoch {epoch + 1}/{n_epochs} ({time.perf_counter() - t0:.2f}s)")
    return avg
