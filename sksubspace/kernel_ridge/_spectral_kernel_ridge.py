"""Spectrally transformed kernel ridge regression (STKR): semi-supervised, inductive."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils.validation import check_array, check_is_fitted, check_random_state

from .._backend import as_index, compute_context, device_kw, from_numpy, to_numpy
from .._linalg import cholesky_solve, eigh_topk
from .._sklearn_compat import Interval, StrOptions, _check_sample_weight, _fit_context
from .._validation import validate_data
from ..utils._threads import uses_n_jobs
from ._base import KERNEL_CONSTRAINT, require_y
from ._kernels import KernelParamsMixin, kernel_matmul, pairwise_kernel

__all__ = ["SpectrallyTransformedKernelRidge"]

# Largest n for which the n x n base kernel is formed once instead of streamed.
_DENSE_MAX = 8192
# Entries of the kernel powers kept to share the eigenvalue iteration's passes (256 MiB).
_POWERS_MAX = 2**25


class SpectrallyTransformedKernelRidge(
    KernelParamsMixin, MultiOutputMixin, RegressorMixin, BaseEstimator
):
    r"""Spectrally transformed kernel ridge regression (STKR), semi-supervised and inductive.

    Unlabeled rows shape the kernel: the base kernel :math:`k`, scaled so its
    integral operator over all ``n`` training rows (labeled or not) has top
    eigenvalue 1, is replaced by its spectral transform

    .. math::

        k_s(x, x') = \sum_i s(\lambda_i)\, \psi_i(x) \psi_i(x'),

    where :math:`(\lambda_i, \psi_i)` are the eigenpairs of that operator, and
    kernel ridge regression with :math:`k_s` is fitted on the labeled rows:
    :math:`(K_s[L, L] + \alpha I) c = y_L`, :math:`f(x) = \sum_{l \in L} c_l
    k_s(x, x_l)`. With ``sample_weight`` :math:`\omega`, the labeled rows'
    squared errors are weighted (:math:`(K_s[L, L] + \alpha
    \Omega_L^{-1}) c = y_L`, solved in the symmetric form
    :math:`\Omega^{1/2} K_s \Omega^{1/2}`); the spectral transform still
    uses every row unweighted, so weights are not repeated rows.

    * ``spectral_transform="polynomial"``: :math:`s(\lambda) = \sum_{p=1}^{q} \pi_p
      \lambda^p` (``transform_coefs`` = :math:`\pi`; by default
      :math:`\pi_p = 1`, :math:`q = 32`, a truncation of the inverse Laplacian
      :math:`\lambda / (1 - \lambda)` that favors functions smooth along the
      data manifold). Powers are computed from kernel products through all
      rows, :math:`k^{p}(x, x') = k(x, X) (K/n)^{p-2} k(X, x') / n`, so
      ``predict`` works on new points (STKR-Prop, inductive).
    * ``spectral_transform="kpca"``, for an unknown :math:`s`: the top ``n_components``
      eigenpairs of the base kernel (kernel PCA) with :math:`s(\lambda) =
      \lambda` on them and 0 elsewhere; new points use the Nystroem
      extension of the eigenfunctions.

    Unlabeled rows are marked, as in scikit-learn's semi-supervised
    convention for regression, by ``NaN`` targets.

    Parameters
    ----------
    alpha : float, default=1e-3
        Ridge penalty of the labeled system.
    kernel : str or callable, default="rbf"
        Base kernel, as in :class:`KernelRidge` (``"precomputed"`` excepted).
    gamma, degree, coef0, kernel_params :
        Kernel parameters, as in :class:`KernelRidge`.
    spectral_transform : {"polynomial", "kpca"}, default="polynomial"
        The spectral transform s.
    transform_coefs : array-like of shape (q,), default=None
        :math:`\pi_1, \dots, \pi_q` of the polynomial transform; ``None``
        means 32 ones.
    n_components : int, default=2
        Number of kernel principal components for ``spectral_transform="kpca"``.
    random_state : int, RandomState instance or None, default=None
        Start of the power iteration that finds the top eigenvalue.
    n_jobs : int, default=None
        Host threads for the kernel blocks on NumPy input (kernel matrices
        filled by row blocks, streamed kernel products): ``None`` means the
        available CPUs (``joblib.cpu_count``, capped by ``OMP_NUM_THREADS``;
        1 when called from a worker thread), ``-1`` all CPUs. BLAS runs on
        one thread while the blocks run.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute; ``None`` follows ``X``.

    Attributes
    ----------
    X_fit_ : array of shape (n_samples, n_features)
        All training rows (labeled and unlabeled).
    dual_coef_ : array of shape (n_samples,) or (n_samples, n_targets)
        Predictions are ``K(x, X_fit_) @ dual_coef_``.
    labeled_mask_ : ndarray of shape (n_samples,)
        Rows whose target was given.
    top_eigenvalue_ : float
        Top eigenvalue of the base kernel operator ``K / n`` (the scale).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    References
    ----------
    R. Zhai, R. Pukdee, R. Jin, M.-F. Balcan, P. Ravikumar. "Spectrally
    Transformed Kernel Regression", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_moons
    >>> from sksubspace.kernel_ridge import SpectrallyTransformedKernelRidge
    >>> X, labels = make_moons(400, noise=0.05, random_state=0)
    >>> y = np.full(400, np.nan)
    >>> rng = np.random.default_rng(0)
    >>> known = np.concatenate([rng.choice(np.flatnonzero(labels == c), 2) for c in (0, 1)])
    >>> y[known] = 2.0 * labels[known] - 1
    >>> model = SpectrallyTransformedKernelRidge(gamma=20.0, random_state=0).fit(X, y)
    >>> float(np.mean((model.predict(X) > 0) == labels)) > 0.95
    True
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "kernel": [StrOptions(set(KERNEL_CONSTRAINT[0].options) - {"precomputed"}), callable],
        "gamma": [Interval(Real, 0, None, closed="left"), None],
        "degree": [Interval(Real, 0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
        "kernel_params": [dict, None],
        "spectral_transform": [StrOptions({"polynomial", "kpca"})],
        "transform_coefs": ["array-like", None],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"random_state": 0}
    _expected_failed_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "the weights enter the labeled rows' loss only; repeating rows also changes the "
            "base kernel's operator over all rows, and so the spectral transform"
        ),
    }

    def __init__(
        self,
        alpha=1e-3,
        *,
        kernel="rbf",
        gamma=None,
        degree=3,
        coef0=1,
        kernel_params=None,
        spectral_transform="polynomial",
        transform_coefs=None,
        n_components=2,
        random_state=None,
        n_jobs=None,
        device=None,
    ):
        self.alpha = alpha
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.spectral_transform = spectral_transform
        self.transform_coefs = transform_coefs
        self.n_components = n_components
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device

    @uses_n_jobs
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit on labeled and unlabeled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All rows, labeled and unlabeled.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets, ``NaN`` for unlabeled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Nonnegative weights of the labeled rows' squared errors (those of
            unlabeled rows are ignored; a labeled row of weight 0 counts as
            unlabeled).

        Returns
        -------
        self : object
        """
        require_y(self, y)
        X = validate_data(self, X)
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        y_host = check_array(
            to_numpy(y),
            ensure_2d=False,
            ensure_all_finite="allow-nan",
            dtype=np.float64,
            input_name="y",
        )
        if y_host.shape[0] != Xc.shape[0]:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {Xc.shape[0]} and "
                f"{y_host.shape[0]}."
            )
        if np.isinf(y_host).any():
            raise ValueError("Input y contains infinity.")
        ravel = y_host.ndim == 1
        Yh = y_host.reshape(-1, 1) if ravel else y_host
        labeled = ~np.isnan(Yh).any(axis=1)
        if np.isnan(Yh[labeled]).any() or not labeled.any():
            raise ValueError("y has no labeled row (every target is NaN); label at least one row.")
        n = Xc.shape[0]
        n_targets = Yh.shape[1]
        params = self._params()
        L_idx = np.flatnonzero(labeled)
        idx = as_index(L_idx, Xc)
        YL = xp.astype(ctx.asarray(Yh[labeled]), Xc.dtype)
        XL = xp.take(Xc, idx, axis=0)
        root = None  # square roots of the labeled rows' weights
        if sample_weight is not None:
            sw = _check_sample_weight(
                to_numpy(sample_weight), np.empty((n, 0)), ensure_non_negative=True
            )[L_idx]
            if not sw.any():
                raise ValueError("sample_weight is 0 on every labeled row.")
            root = from_numpy(np.sqrt(sw), like=Xc)[:, None]

        dense = n <= _DENSE_MAX
        K = pairwise_kernel(Xc, None, self.kernel, **params) if dense else None

        def op(V):  # (K / n) V
            if dense:
                return (K @ V) / n
            return kernel_matmul(Xc, Xc, V, self.kernel, **params) / n

        if self.spectral_transform == "kpca":
            coef = self._fit_kpca(K, Xc, XL, YL, idx, n, xp, params, dense, root)
        else:
            coef = self._fit_polynomial(op, Xc, XL, YL, idx, n, xp, params, root)
        if ravel:
            coef = xp.reshape(coef, (-1,))
        self.X_fit_ = ctx.output(Xc)
        self.dual_coef_ = ctx.output(coef)
        self.labeled_mask_ = labeled
        self._n_targets = n_targets
        return self

    def _scale_and_powers(self, op, n, like, xp, Z0=None, n_powers=0):
        """Top eigenvalue of the PSD operator ``op`` (``K / n``) and, in the same products,
        the powers ``op^k Z0`` for ``k = 1 .. n_powers``.

        The eigenvalue comes from block subspace iteration: 16 vectors with a
        Rayleigh-Ritz step per product, whose error falls like
        ``(lambda_17 / lambda_1)^t`` rather than the single-vector
        ``(lambda_2 / lambda_1)^t``, which stalls when the data have several
        components of the same size (then ``lambda_1 ~ lambda_2``): on 4,000
        points of two circles, 13 products instead of 38 with 8 vectors. The
        columns of ``Z0``'s powers ride along in the same products (one pass
        over the kernel serves both; a pass costs about the same for a few more
        columns). Each power is stored divided by the eigenvalue estimate of
        its step, so no power over- or underflows; ``logs[k]`` is the log of
        the factor that restores ``op^k Z0 = powers[k] * exp(logs[k])``.
        """
        rng = check_random_state(self.random_state)
        b = min(16, n)
        V, _ = xp.linalg.qr(from_numpy(rng.standard_normal((n, b)), like=like))
        lam, lam_new, converged, iters = 0.0, 0.0, False, 0
        powers, logs = [Z0], [0.0]
        while not converged or len(powers) <= n_powers:
            more = len(powers) <= n_powers
            cols = ([] if converged else [V]) + ([powers[-1]] if more else [])
            out = op(xp.concat(cols, axis=1) if len(cols) > 1 else cols[0])
            if not converged:
                W = out[:, :b]
                H = xp.matrix_transpose(V) @ W
                Hh = np.asarray(to_numpy(H), dtype=np.float64)  # b x b, on the host
                lam_new = float(np.linalg.eigvalsh((Hh + Hh.T) / 2)[-1])
                if lam_new <= 0.0:
                    raise ValueError("The base kernel is zero on the training rows.")
                iters += 1
                converged = abs(lam_new - lam) <= 1e-6 * lam_new or iters == 50
                lam = lam_new
                if not converged:
                    V, _ = xp.linalg.qr(W)
            if more:
                powers.append(out[:, out.shape[1] - Z0.shape[1] :] / lam_new)
                logs.append(logs[-1] + np.log(lam_new))
        return lam_new, powers, logs

    def _fit_polynomial(self, op, Xc, XL, YL, idx, n, xp, params, root=None):
        pis = (
            np.ones(32)
            if self.transform_coefs is None
            else np.asarray(self.transform_coefs, dtype=np.float64).ravel()
        )
        if pis.size == 0 or not np.all(np.isfinite(pis)):
            raise ValueError("transform_coefs must be a non-empty array of finite numbers.")
        q = pis.size
        Z0 = xp.matrix_transpose(pairwise_kernel(XL, Xc, self.kernel, **params))  # K[X, L]
        # The q - 2 powers of K / n applied to K[X, L] share their passes over the
        # kernel with the eigenvalue iteration when they fit in memory; otherwise
        # Horner's rule runs after it (its steps need the eigenvalue).
        n_powers = max(q - 2, 0)
        shared = n_powers * n * Z0.shape[1] <= _POWERS_MAX
        r, P, logs = self._scale_and_powers(op, n, Xc[:1, 0], xp, Z0, n_powers if shared else 0)
        self.top_eigenvalue_ = r
        # Normalized kernel kb = k / r; G = Kb / n has spectrum in [0, 1].
        Z = Z0 / r  # Kb[X, L]
        # W = sum_{p=1}^{q-1} pi_{p+1} (G/r)^{p-1} Z, with (G/r)^k Z = op^k Z0 / r^(k+1).
        W = None
        if q >= 2 and shared:
            for k in range(q - 1):
                term = float(pis[k + 1] * np.exp(logs[k] - (k + 1) * np.log(r))) * P[k]
                W = term if W is None else W + term
        elif q >= 2:
            W = float(pis[q - 1]) * Z
            for p in range(q - 2, 0, -1):  # Horner over pi_2 .. pi_{q-1}
                W = op(W) / r + float(pis[p]) * Z
        KLL = xp.take(Z, idx, axis=0)  # Kb[L, L]
        Ks = float(pis[0]) * KLL
        if W is not None:
            Ks = Ks + (xp.matrix_transpose(Z) @ W) / n
        Ks = (Ks + xp.matrix_transpose(Ks)) / 2
        if root is not None:  # weighted loss: c = R (R Ks R + alpha I)^-1 R y, R = sqrt(weights)
            Ks, YL = root * Ks * xp.matrix_transpose(root), root * YL
        nl = Ks.shape[0]
        eye = xp.eye(nl, dtype=Ks.dtype, **device_kw(Ks))
        c = cholesky_solve(Ks + self.alpha * eye, YL, jitter=1e-12 if self.alpha == 0 else 0.0)
        if root is not None:
            c = root * c
        # f(x) = pi_1 kb(x, X_L) c + kb(x, X) W c / n, folded into one dual over X.
        a = (
            (W @ c) / n
            if W is not None
            else xp.zeros((n, c.shape[1]), dtype=c.dtype, **device_kw(c))
        )
        a = _add_rows(a, idx, float(pis[0]) * c, xp)
        return a / r

    def _fit_kpca(self, K, Xc, XL, YL, idx, n, xp, params, dense, root=None):
        if not dense:
            raise MemoryError(
                f"spectral_transform='kpca' forms the {n} x {n} base kernel; use at most {_DENSE_MAX} rows "
                "or spectral_transform='polynomial' (streamed)."
            )
        d = min(self.n_components, n)
        lam, U = eigh_topk(K / n, d)  # eigenpairs of K / n, descending
        lam_h = to_numpy(lam)
        k = int(np.sum(lam_h > lam_h[0] * 1e-10))  # descending: keep a prefix
        lam, U = lam[:k], U[:, :k]
        r = float(lam_h[0])
        self.top_eigenvalue_ = r
        lamb = lam / r
        # psi_i(x) = k(x, X) u_i / (sqrt(n) lam_i);  k_s = sum lamb_i psi_i psi_i'.
        # Features phi_i = sqrt(lamb_i) psi_i; ridge on the labeled rows.
        Psi_L = xp.take(U, idx, axis=0) * np.sqrt(n)
        Phi_L = Psi_L * xp.sqrt(lamb)[None, :]
        if root is not None:  # weighted least squares on the labeled rows
            Phi_L, YL = root * Phi_L, root * YL
        G = xp.matrix_transpose(Phi_L) @ Phi_L
        eye = xp.eye(G.shape[0], dtype=G.dtype, **device_kw(G))
        w = cholesky_solve(G + self.alpha * eye + 1e-12 * eye, xp.matrix_transpose(Phi_L) @ YL)
        # f(x) = phi(x) w = k(x, X) U diag(sqrt(lamb) / (sqrt(n) lam)) w
        return U @ ((xp.sqrt(lamb) / (np.sqrt(n) * lam))[:, None] * w)

    @uses_n_jobs
    def predict(self, X):
        """Predict on new or training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : array of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        return ctx.output(
            kernel_matmul(
                Xc,
                ctx.asarray(self.X_fit_),
                ctx.asarray(self.dual_coef_),
                self.kernel,
                **self._params(),
            )
        )


def _add_rows(A, idx, B, xp):
    """``A[idx] += B`` for distinct ``idx``, without in-place fancy indexing."""
    n = A.shape[0]
    E = xp.zeros((n, B.shape[0]), dtype=A.dtype, **device_kw(A))
    if isinstance(A, np.ndarray):
        A = A.copy()
        A[idx] += B
        return A
    onehot = as_index(np.arange(n), A)[:, None] == idx[None, :]
    E = xp.where(onehot, xp.ones_like(E), E)
    return A + E @ B
