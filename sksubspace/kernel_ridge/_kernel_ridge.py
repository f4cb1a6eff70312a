"""Exact kernel ridge regression, a drop-in for scikit-learn's, on any array namespace."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, from_numpy, is_numpy, to_numpy
from .._linalg import add_to_diagonal
from .._sklearn_compat import Interval, StrOptions, _check_sample_weight, _fit_context
from .._validation import validate_data
from ..utils._threads import uses_n_jobs
from ._base import (
    KERNEL_CONSTRAINT,
    _memory_message,
    check_dense_kernel_fits,
    require_y,
)
from ._kernels import KernelParamsMixin, kernel_matmul, pairwise_kernel
from ._solvers import spd_solve

__all__ = ["KernelRidge"]


class KernelRidge(KernelParamsMixin, MultiOutputMixin, RegressorMixin, BaseEstimator):
    r"""Kernel ridge regression, solved by Cholesky on the active array namespace.

    A drop-in for :class:`sklearn.kernel_ridge.KernelRidge` (same parameters,
    kernels, ``sample_weight`` and attributes) that also runs on CuPy / any
    array-API namespace and switches to the GPU with ``device="gpu"``. The dual
    coefficients solve

    .. math::

        (K + \alpha I)\, c = y, \qquad K_{ij} = k(x_i, x_j),

    and predictions are :math:`f(x) = \sum_i c_i k(x, x_i)`. The kernel block
    is formed by GEMM, the Cholesky factor is written over it (one ``n x n``
    array in memory where scikit-learn holds two), float32 inputs are solved
    in float32, and a matrix that cannot fit in memory raises a clear
    ``MemoryError`` pointing to :class:`NystromKernelRidge`.

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
        Ridge penalty; one per target is allowed.
    kernel : str or callable, default="linear"
        ``"linear"``, ``"rbf"``, ``"laplacian"``, ``"polynomial"`` (``"poly"``),
        ``"sigmoid"``, ``"cosine"``, ``"chi2"``, ``"additive_chi2"``,
        ``"precomputed"`` (``X`` is then the kernel matrix) or a callable
        ``k(x, y)`` (evaluated on the host by scikit-learn).
    gamma : float, default=None
        Kernel coefficient of rbf, laplacian, polynomial, sigmoid and chi2;
        ``None`` means ``1 / n_features`` (``1`` for chi2).
    degree : float, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1
        Independent term of the polynomial and sigmoid kernels.
    kernel_params : dict, default=None
        Keyword arguments of a callable kernel.
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
    dual_coef_ : array of shape (n_samples,) or (n_samples, n_targets)
        Dual coefficients :math:`c`.
    X_fit_ : array of shape (n_samples, n_features)
        Training data (the kernel matrix when ``kernel="precomputed"``).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string feature names.

    See Also
    --------
    NystromKernelRidge : the same model with M centers, for large ``n``.

    References
    ----------
    Shawe-Taylor and Cristianini, *Kernel Methods for Pattern Analysis*, 2004,
    chapter 7.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.kernel_ridge import KernelRidge
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, size=(200, 1))
    >>> y = np.sin(X[:, 0])
    >>> model = KernelRidge(alpha=1e-3, kernel="rbf", gamma=0.5).fit(X, y)
    >>> bool(np.abs(model.predict([[0.5]]) - np.sin(0.5)) < 1e-2)
    True
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "kernel": KERNEL_CONSTRAINT,
        "gamma": [Interval(Real, 0, None, closed="left"), None],
        "degree": [Interval(Real, 0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
        "kernel_params": [dict, None],
        "n_jobs": [Integral, None],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        kernel="linear",
        gamma=None,
        degree=3,
        coef0=1,
        kernel_params=None,
        n_jobs=None,
        device=None,
    ):
        self.alpha = alpha
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.n_jobs = n_jobs
        self.device = device

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags

    @uses_n_jobs
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the kernel ridge model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, or the kernel matrix of shape (n_samples, n_samples)
            when ``kernel="precomputed"``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        require_y(self, y)
        X, y = validate_data(
            self, X, y, accept_sparse=("csr", "csc"), multi_output=True, y_numeric=True
        )
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        n = X.shape[0]
        Xc = ctx.asarray(X)
        itemsize = 4 if (not sp.issparse(Xc) and Xc.dtype == xp.float32) else 8
        yc = ctx.asarray(y)
        if not sp.issparse(Xc):
            yc = xp.astype(yc, Xc.dtype)
        ravel = yc.ndim == 1
        Y = xp.reshape(yc, (-1, 1)) if ravel else yc

        alpha = np.atleast_1d(np.asarray(self.alpha, dtype=np.float64))
        if alpha.ndim != 1 or (alpha.shape[0] not in (1, Y.shape[1])):
            raise ValueError(
                f"alpha has {alpha.shape[0]} values but y has {Y.shape[1]} targets; pass one "
                "alpha or one per target."
            )
        if np.any(alpha < 0):
            raise ValueError("alpha must be non-negative.")

        if self.kernel != "precomputed":
            check_dense_kernel_fits(n, itemsize, on_host=is_numpy(xp))
        try:
            K = self._kernel(Xc, None, xp, copy=True)
        except MemoryError as exc:
            raise MemoryError(
                _memory_message(n, itemsize, n * n * itemsize, None, "KernelRidge")
            ) from exc

        sw = None
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight,
                to_numpy(X) if not sp.issparse(X) else X,
                dtype=np.float64,
                ensure_non_negative=True,
            )
        if sample_weight is not None and not np.all(sample_weight == 1.0):
            sw_host = np.sqrt(sample_weight)
            sw = from_numpy(sw_host, like=K)
            Y = Y * sw[:, None]
            K *= sw[:, None]
            K *= sw[None, :]

        if np.all(alpha == alpha[0]):
            C = self._solve(K, Y, float(alpha[0]), xp, Xc, sw=sw)
        else:
            cols = []
            for j in range(Y.shape[1]):
                Kj = xp.asarray(K, copy=True)
                cols.append(self._solve(Kj, Y[:, j : j + 1], float(alpha[j]), xp, Xc, sw=sw))
            C = xp.concat(cols, axis=1)
        if sw is not None:
            C = C * sw[:, None]
        if ravel:
            C = xp.reshape(C, (-1,))
        self.dual_coef_ = ctx.output(C)
        self.X_fit_ = ctx.output(Xc) if not sp.issparse(Xc) else X
        return self

    def _kernel(self, A, B, xp, copy=False):
        if self.kernel == "precomputed":
            return xp.asarray(A, copy=True) if copy else A
        n_features = self.n_features_in_
        return pairwise_kernel(A, B, self.kernel, **self._params(n_features))

    def _solve(self, K, Y, alpha, xp, Xc, sw=None):
        """Cholesky solve of ``(K + alpha I) C = Y``, in place over ``K``."""
        K = add_to_diagonal(K, alpha)
        try:
            return spd_solve(K, Y, overwrite_a=True)
        except ValueError:
            warnings.warn(
                "Singular matrix in solving dual problem. Using least-squares solution instead.",
                stacklevel=3,
            )
        # K was overwritten: rebuild it and use a pseudo-inverse by eigendecomposition.
        K = self._kernel(Xc, None, xp, copy=True)
        if sw is not None:
            K = K * sw[:, None] * sw[None, :]
        K = add_to_diagonal(K, alpha)
        n = K.shape[0]
        w, V = xp.linalg.eigh(K)
        cutoff = (
            xp.max(xp.abs(w))
            * n
            * float(np.finfo(np.float64 if K.dtype == xp.float64 else np.float32).eps)
        )
        inv = xp.where(
            xp.abs(w) > cutoff, 1.0 / xp.where(w == 0, xp.ones_like(w), w), xp.zeros_like(w)
        )
        return V @ (inv[:, None] * (xp.matrix_transpose(V) @ Y))

    @uses_n_jobs
    def predict(self, X):
        """Predict with the kernel ridge model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples, or the kernel between them and the training samples
            (shape (n_samples, n_samples_fitted)) when ``kernel="precomputed"``.

        Returns
        -------
        y_pred : array of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        C = ctx.asarray(self.dual_coef_)
        if self.kernel == "precomputed":
            return ctx.output(Xc @ C)
        Xf = ctx.asarray(self.X_fit_)
        if sp.issparse(Xc) or sp.issparse(Xf) or callable(self.kernel):
            return ctx.output(self._kernel(Xc, Xf, xp) @ C)
        return ctx.output(
            kernel_matmul(Xc, Xf, C, self.kernel, **self._params(self.n_features_in_))
        )
