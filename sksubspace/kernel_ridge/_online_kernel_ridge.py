"""Online kernel ridge regression on a basis grown by approximate linear dependence (ALD)."""

from __future__ import annotations

import functools
import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import cho_solve, compute_context, device_of, solve_triangular, to_numpy
from .._dask import (
    iter_aligned_row_blocks,
    pick_ops,
    reject_sample_weight,
    validate_dask_data,
)
from .._sklearn_compat import Interval, StrOptions, _check_sample_weight, _fit_context
from .._validation import validate_data
from ..utils._threads import uses_n_jobs
from ._base import KERNEL_CONSTRAINT, require_y
from ._kernels import KernelParamsMixin, kernel_diag, kernel_matmul, pairwise_kernel

__all__ = ["OnlineKernelRidge"]


class _InMemoryOps:
    """How OnlineKernelRidge learns from in-memory rows: one call of ``_partial_fit``.

    :class:`_DaskOps` has the same method for a row-chunked Dask array.
    ``fit`` forgets the stream first, so both serve ``fit`` and ``partial_fit``.
    """

    @staticmethod
    def learn(est, X, y, sample_weight):
        est._partial_fit(X, y, reset=not hasattr(est, "_state"), sample_weight=sample_weight)

    @staticmethod
    def predict(est, X):
        X = validate_data(est, X, reset=False)
        ctx = compute_context(est.device, X)
        Xc = ctx.asarray(X)
        coef = ctx.asarray(est.dual_coef_)
        if est.n_basis_ == 0:
            shape = (Xc.shape[0],) if coef.ndim == 1 else (Xc.shape[0], coef.shape[1])
            return ctx.output(ctx.xp.zeros(shape, dtype=Xc.dtype))
        return ctx.output(
            kernel_matmul(Xc, ctx.asarray(est.basis_), coef, est.kernel, **est._params())
        )


class _DaskOps:
    """OnlineKernelRidge on a row-chunked Dask array: its row blocks, in order, one at a time."""

    @staticmethod
    def learn(est, X, y, sample_weight):
        reject_sample_weight(sample_weight, "OnlineKernelRidge")
        require_y(est, y)
        for Xb, yb in iter_aligned_row_blocks(X, y):
            est._partial_fit(Xb, yb, reset=not hasattr(est, "_state"))

    @staticmethod
    def predict(est, X):
        """Lazy: the in-memory ``predict`` of each row block, where the block lives."""
        X = validate_dask_data(est, X, reset=False, check_finite=False)
        fn = functools.partial(_InMemoryOps.predict, est)
        coef = est.dual_coef_
        if coef.ndim == 1:
            return X.map_blocks(fn, dtype=X.dtype, chunks=(X.chunks[0],), drop_axis=1)
        return X.map_blocks(fn, dtype=X.dtype, chunks=(X.chunks[0], (coef.shape[1],)))


class OnlineKernelRidge(KernelParamsMixin, MultiOutputMixin, RegressorMixin, BaseEstimator):
    r"""Online kernel ridge regression with an ALD basis (NONS-ALD for the square loss).

    Rows arrive in a stream (``partial_fit``). A basis :math:`D` of past rows
    is kept nearly orthogonal in the RKHS: a new row :math:`x` joins it only
    when its approximate linear dependence on the basis,

    .. math::

        \delta(x) = k(x, x) - k_D(x)^\top K_{DD}^{-1} k_D(x),

    exceeds ``threshold``. Each row is represented by its coordinates
    :math:`z(x) = L^{-1} k_D(x)` in the orthonormalized basis
    (:math:`K_{DD} = L L^\top`, extended by one row when the basis grows, so
    old coordinates never change), and the weights follow the online Newton
    step for the square loss, i.e. recursive ridge regression

    .. math::

        w_t = \Big(\alpha I + \sum_{s \le t} \omega_s z_s z_s^\top\Big)^{-1}
        \sum_{s \le t} \omega_s z_s y_s,

    kept as the ridge system itself, :math:`A = \alpha I + \sum \omega_s z_s
    z_s^\top` and :math:`b = \sum \omega_s z_s y_s`, updated once per batch
    (the same weights as the recursive Sherman-Morrison updates of its
    rounds). :math:`\omega_s` is the row's ``sample_weight``, 1 by default:
    the weighted squared loss, a row of weight 2 counting as the row twice;
    rows of weight 0 are skipped. Whether a row joins the basis depends on
    the rows that joined before it, so the joins are sequential (one read
    from the device each); the rest of a batch is matrix products. A round
    costs :math:`O(m^2 + m d)`
    for a basis of size :math:`m`; under a fast eigenvalue decay of the kernel
    (e.g. rbf) :math:`m` grows like :math:`\log^d T`, so the per-round cost
    does not grow with the stream. Predictions are
    :math:`f(x) = k_D(x)^\top L^{-\top} w`.

    Parameters
    ----------
    alpha : float, default=1.0
        Ridge penalty.
    kernel : str or callable, default="rbf"
        As in :class:`KernelRidge` (``"precomputed"`` excepted).
    gamma, degree, coef0, kernel_params :
        Kernel parameters, as in :class:`KernelRidge`.
    threshold : float, default=1e-2
        ALD threshold :math:`\nu`: a row joins the basis when
        :math:`\delta(x) > \nu`. Smaller values give a larger, more accurate
        basis.
    batch_size : int, default=1000
        Rows whose kernel coordinates are computed together (the rounds stay
        sequential; this only amortizes kernel evaluations).
    verbose : int, default=0
        Print the basis size every ``10 * batch_size`` rows.
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
    basis_ : array of shape (n_basis, n_features)
        Rows kept in the basis.
    dual_coef_ : array of shape (n_basis,) or (n_basis, n_targets)
        Predictions are ``K(x, basis_) @ dual_coef_``.
    n_basis_ : int
    n_seen_ : int
        Rows seen so far.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    References
    ----------
    Nearly Optimal Algorithms with Sublinear Computational Complexity for
    Online Kernel Regression (AOGD-ALD / NONS-ALD), ICML 2023. Y. Engel, S.
    Mannor, R. Meir. "The kernel recursive least-squares algorithm", IEEE TSP
    2004 (the ALD criterion).

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.kernel_ridge import OnlineKernelRidge
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, size=(2000, 1))
    >>> y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(2000)
    >>> model = OnlineKernelRidge(alpha=1e-2, gamma=0.5)
    >>> for start in range(0, 2000, 500):
    ...     model = model.partial_fit(X[start : start + 500], y[start : start + 500])
    >>> model.n_basis_ < 30
    True
    >>> bool(np.abs(model.predict([[1.0]]) - np.sin(1.0)) < 0.05)
    True
    """

    # Row-chunked Dask input is routed to a Dask strategy before validate_data.
    _accepts_dask = True
    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "kernel": [StrOptions(set(KERNEL_CONSTRAINT[0].options) - {"precomputed"}), callable],
        "gamma": [Interval(Real, 0, None, closed="left"), None],
        "degree": [Interval(Real, 0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
        "kernel_params": [dict, None],
        "threshold": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
        "n_jobs": [Integral, None],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        kernel="rbf",
        gamma=None,
        degree=3,
        coef0=1,
        kernel_params=None,
        threshold=1e-2,
        batch_size=1000,
        verbose=0,
        n_jobs=None,
        device=None,
    ):
        self.alpha = alpha
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.threshold = threshold
        self.batch_size = batch_size
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.device = device

    @uses_n_jobs
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Forget the stream and learn from the rows of ``X`` in order.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            A Dask array (chunked by rows) is consumed one row block at a
            time, in order: memory holds one block, never all of ``X``.
        y : array-like or dask.array.Array of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Nonnegative weights of the rows in the squared loss (in-memory
            ``X`` only).

        Returns
        -------
        self : object
        """
        for attr in ("basis_", "_state"):
            if hasattr(self, attr):
                delattr(self, attr)
        pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps).learn(self, X, y, sample_weight)
        return self

    @uses_n_jobs
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Learn from the next rows of the stream.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            A Dask array (chunked by rows) is consumed one row block at a
            time, in order.
        y : array-like or dask.array.Array of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Nonnegative weights of the rows in the squared loss (in-memory
            ``X`` only).

        Returns
        -------
        self : object
        """
        pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps).learn(self, X, y, sample_weight)
        return self

    def _partial_fit(self, X, y, reset, sample_weight=None):
        require_y(self, y)
        X, y = validate_data(self, X, y, reset=reset, multi_output=True, y_numeric=True)
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        Y = xp.astype(ctx.asarray(y), Xc.dtype)
        ravel = Y.ndim == 1
        if ravel:
            Y = xp.reshape(Y, (-1, 1))
        sw = np.ones(Xc.shape[0])
        if sample_weight is not None:
            sw = _check_sample_weight(
                to_numpy(sample_weight), np.empty((Xc.shape[0], 0)), ensure_non_negative=True
            )
            if not sw.all():  # a row of weight 0 is not seen (nor joins the basis)
                keep = np.flatnonzero(sw)
                keep_x = xp.asarray(keep, device=device_of(Xc))
                Xc, Y, sw = xp.take(Xc, keep_x, axis=0), xp.take(Y, keep_x, axis=0), sw[keep]
        dev = device_of(Xc)
        if reset:
            self._ravel = ravel
            # A = alpha I + sum_s w_s z_s z_s' and b = sum_s w_s z_s y_s' (the ridge
            # system of the coordinates): the weights are A^{-1} b
            self._state = {
                "D": Xc[:0, ...],
                "L": xp.zeros((0, 0), dtype=Xc.dtype, device=dev),
                "A": xp.zeros((0, 0), dtype=Xc.dtype, device=dev),
                "b": xp.zeros((0, Y.shape[1]), dtype=Xc.dtype, device=dev),
            }
            self.n_seen_ = 0
        elif Y.shape[1] != self._state["b"].shape[1]:
            raise ValueError(
                f"y has {Y.shape[1]} targets but earlier calls to partial_fit had "
                f"{self._state['b'].shape[1]}."
            )
        st = {k: ctx.asarray(v) for k, v in self._state.items()}
        params = self._params()
        t0 = time.perf_counter()
        for start in range(0, Xc.shape[0], self.batch_size):
            stop = min(start + self.batch_size, Xc.shape[0])
            self._rounds(st, Xc[start:stop, ...], Y[start:stop, ...], sw[start:stop], xp, params)
            self.n_seen_ += Xc[start:stop, ...].shape[0]
            if self.verbose and (start // self.batch_size) % 10 == 9:
                print(
                    f"[OnlineKernelRidge] seen {self.n_seen_} rows, basis "
                    f"{st['D'].shape[0]} ({time.perf_counter() - t0:.1f}s)"
                )
        self._state = {k: ctx.output(v) for k, v in st.items()}
        L, A, b = st["L"], st["A"], st["b"]
        if L.shape[0]:
            w = cho_solve(xp.linalg.cholesky(A), b, xp=xp)  # A is SPD (alpha I + ...)
            coef = solve_triangular(L, w, lower=True, trans=True, xp=xp)
        else:
            coef = b
        if self._ravel:
            coef = xp.reshape(coef, (-1,))
        self.basis_ = ctx.output(st["D"])
        self.dual_coef_ = ctx.output(coef)
        self.n_basis_ = int(st["D"].shape[0])
        return self

    def _rounds(self, st, Xb, Yb, swb, xp, params):
        """The rounds of one batch: sequential basis growth, then one batched update.

        ``swb`` holds the rows' (positive) weights on the host. The rounds are
        sequential only where the algorithm is: whether a row joins the basis
        (its ALD test) depends on the rows that joined before it, so each join
        reads back one index (the next row of the batch whose ``delta`` exceeds
        the threshold), found on the device. The recursive ridge updates of the
        rounds are exact as one update of the batch: row ``s`` enters with its
        coordinates at its own round (those in the elements that joined up to
        it, old coordinates never change), ``A += Z_s W Z_s'`` and
        ``b += Z_s W Y``. No other read: the batch costs one read per join plus
        one.
        """
        D, L, A, bvec = st["D"], st["L"], st["A"], st["b"]
        n_rows = Xb.shape[0]
        dev = device_of(Xb)
        m_old = D.shape[0]
        kdiag = kernel_diag(Xb, self.kernel, **params)
        if m_old:
            Kdb = pairwise_kernel(D, Xb, self.kernel, **params)  # (m, b)
            Z = solve_triangular(L, Kdb, lower=True, xp=xp)  # coordinates of the batch
        else:
            Z = xp.zeros((0, n_rows), dtype=Xb.dtype, device=dev)
        sq = xp.sum(Z * Z, axis=0)  # ||z_j||^2 = k_D(x_j)' K_DD^{-1} k_D(x_j)
        pos = xp.arange(n_rows, device=dev)
        joined = []  # rows of the batch that joined the basis, in order
        while True:
            delta = kdiag - sq
            # an empty basis takes the first row of nonzero norm, whatever the threshold
            cand = delta > self.threshold if D.shape[0] else kdiag > 0
            if joined:
                cand = cand & (pos > joined[-1])
            # the one read of the join: the next row that joins (n_rows: none)
            i = int(xp.min(xp.where(cand, pos, n_rows)))
            if i == n_rows:
                break
            # x_i joins the basis: one new coordinate for every row of the batch.
            s = xp.sqrt(delta[i])
            xi = Xb[i : i + 1, ...]
            kb = pairwise_kernel(xi, Xb, self.kernel, **params)[0, ...]
            zi = Z[:, i]
            new = (kb - zi @ Z) / s if Z.shape[0] else kb / s
            L = _grow(L, zi, s, xp)
            Z = xp.concat([Z, new[None, :]], axis=0)
            sq = sq + new * new
            D = xp.concat([D, xi], axis=0)
            joined.append(i)
        m = D.shape[0]
        if m:
            # the new elements start from alpha I (no earlier row has their coordinate)
            if m > m_old:
                grown = float(self.alpha) * xp.eye(m, dtype=A.dtype, device=dev)
                A = xp.concat([xp.concat([A, grown[:m_old, m_old:]], axis=1), grown[m_old:, :]])
                zeros = xp.zeros((m - m_old, bvec.shape[1]), dtype=bvec.dtype, device=dev)
                bvec = xp.concat([bvec, zeros], axis=0)
            # element j counts for row s from the round it joined (-1: before the batch)
            since = np.concatenate([np.full(m_old, -1), np.asarray(joined, dtype=np.int64)])
            since = xp.asarray(since, device=dev)
            Zs = xp.where(since[:, None] <= pos[None, :], Z, xp.zeros_like(Z))
            Zw = Zs * xp.asarray(swb, dtype=Zs.dtype, device=dev)[None, :]
            A = A + Zw @ xp.matrix_transpose(Zs)
            bvec = bvec + Zw @ Yb
        st["D"], st["L"], st["A"], st["b"] = D, L, A, bvec

    @uses_n_jobs
    def predict(self, X):
        """Predict with the current model.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)

        Returns
        -------
        y_pred : array of shape (n_samples,) or (n_samples, n_targets)
            A lazy Dask array with the row chunks of ``X`` when ``X`` is one.
        """
        check_is_fitted(self)
        return pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps).predict(self, X)


def _grow(L, row, corner, xp):
    """``[[L, 0], [row', corner]]`` for a square ``L`` (``corner`` a 0-d array of its device)."""
    m = L.shape[0]
    top = xp.concat([L, xp.zeros((m, 1), dtype=L.dtype, device=device_of(L))], axis=1)
    corner_arr = xp.reshape(xp.astype(corner, L.dtype), (1, 1))
    bottom = xp.concat([xp.reshape(xp.astype(row, L.dtype), (1, m)), corner_arr], axis=1)
    return xp.concat([top, bottom], axis=0)
