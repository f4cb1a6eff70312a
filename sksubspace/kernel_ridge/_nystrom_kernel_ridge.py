"""Nystroem kernel ridge regression solved by FALKON's preconditioned conjugate gradient."""

from __future__ import annotations

import time
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_random_state

from .._backend import compute_context, solve_triangular, to_float, to_numpy
from .._dask import align_rows, as_row_chunked, is_dask_array, row_block_sum
from .._linalg import add_to_diagonal, cholesky, conjugate_gradient
from .._validation import validate_data
from ..utils._progress import progress_bar
from ..utils._threads import row_blocks, threaded_block_map
from ._eigenpro import data_preconditioner, eigenpro_sgd
from ._kernel_ridge import KERNEL_CONSTRAINT, require_y
from ._kernels import (
    STREAM_ELEMENTS,
    KernelParamsMixin,
    block_threads,
    chunk_rows,
    kernel_diag,
    kernel_gram,
    kernel_matmul,
    kernel_normal_matmul,
    pairwise_kernel,
)

__all__ = ["NystromKernelRidge"]


class NystromKernelRidge(KernelParamsMixin, MultiOutputMixin, RegressorMixin, BaseEstimator):
    r"""Nystroem kernel ridge regression with FALKON's preconditioned conjugate gradient.

    The predictor :math:`f(x) = \sum_{j=1}^{M} c_j k(x, z_j)` lives on ``M``
    centers :math:`z_j` chosen among the training rows and solves

    .. math::

        \min_c \frac{1}{n} \| K_{nM} c - y \|^2 + \lambda\, c^\top K_{MM} c,

    i.e. :math:`(K_{nM}^\top K_{nM} + \lambda n K_{MM}) c = K_{nM}^\top y`,
    by conjugate gradient preconditioned with the Cholesky factors of
    :math:`K_{MM}` and :math:`K_{MM}^2 / M + \lambda K_{MM}` (FALKON). About 20
    iterations suffice whatever the conditioning. Kernel blocks
    :math:`K(X_{chunk}, Z)` are formed on the fly from row chunks of ``X``, so
    memory is :math:`O(n d + M^2)` and never :math:`n \times M`. With
    ``precompute`` the :math:`M \times M` matrix :math:`K_{nM}^\top K_{nM}` is
    accumulated in one pass (BLAS ``syrk``, :math:`n M^2` flops, still
    :math:`O(M^2)` memory) and the iterations cost :math:`O(M^2)`; otherwise
    every iteration streams the kernel again (:math:`O(n M d)`).

    ``penalty`` is FALKON's :math:`\lambda`: as ``n_centers`` reaches ``n``
    the model becomes :class:`KernelRidge` with ``alpha = n * penalty``, and it
    equals scikit-learn's ``Nystroem(n_components=M)`` + ``Ridge(alpha=n *
    penalty, fit_intercept=False)`` on the same centers.

    Parameters
    ----------
    penalty : float, default=1e-6
        Ridge penalty :math:`\lambda` (per sample).
    n_centers : int, default=1000
        Number ``M`` of Nystroem centers (at most ``n_samples``).
    kernel : str or callable, default="rbf"
        As in :class:`KernelRidge` (``"precomputed"`` excepted).
    gamma, degree, coef0, kernel_params :
        Kernel parameters, as in :class:`KernelRidge`.
    center_selection : {"uniform", "leverage"}, default="uniform"
        ``"uniform"`` samples centers without replacement; ``"leverage"``
        samples them proportionally to approximate ridge leverage scores
        (computed from a uniform Nystroem sketch of size ``n_centers``), the
        sampling that makes Nystroem least squares quasi-optimal.
    solver : {"falkon", "eigenpro"}, default="falkon"
        ``"falkon"``: conjugate gradient preconditioned by the Cholesky
        factors above. ``"eigenpro"``: EigenPro 3 (projected, preconditioned
        SGD over mini-batches of rows, the step size enlarged by the EigenPro
        data preconditioner built from ``top_q`` eigenpairs of the kernel on
        ``n_nystrom_samples`` rows; the gradient is projected on the centers
        through the Cholesky factor of :math:`K_{MM}`). Each step touches one
        mini-batch only, so the work per pass is :math:`O(n M d)` without the
        :math:`O(n M^2)` of ``precompute`` or FALKON's full passes per
        iteration; it converges to the same solution (up to mini-batch noise,
        reduced by tail averaging).
    max_iter : int, default=20
        Conjugate gradient iterations (``"falkon"``) or epochs over the data
        (``"eigenpro"``).
    tol : float, default=None
        Relative residual at which to stop early (``"falkon"`` only). ``None``
        runs exactly ``max_iter`` iterations (FALKON's early stopping, no
        warning).
    precompute : "auto" or bool, default="auto"
        Form :math:`K_{nM}^\top K_{nM}` in one pass. ``"auto"`` does so when
        ``n_centers <= 4 * max_iter * (n_features + 30)``: the one compute-bound
        pass (:math:`n M^2 / 2` flops) then beats ``max_iter`` memory-bound
        passes over the kernel.
    chunk_size : int, default=None
        Rows per kernel block; ``None`` picks blocks of about a million
        entries for the streamed passes (on NumPy the blocks are shared among
        host threads, one per available CPU, capped by ``OMP_NUM_THREADS``:
        forming a kernel block is elementwise work, e.g. ``exp``, that NumPy
        runs on one core). With ``"eigenpro"`` mini-batches have at most
        ``4 * chunk_size`` rows (about 4 million entries when ``None``).
    n_nystrom_samples : int, default=2000
        Rows sampled for EigenPro's data preconditioner (``"eigenpro"`` only).
    top_q : int, default=100
        Eigen-directions flattened by EigenPro's preconditioner
        (``"eigenpro"`` only).
    random_state : int, RandomState instance or None, default=None
        Center sampling.
    verbose : int, default=0
        Print the setup and a progress bar over the iterations (rate, ETA).
    device : {None, "cpu", "gpu"}, default=None
        Where to compute; ``None`` follows ``X``.

    Attributes
    ----------
    centers_ : array of shape (n_centers, n_features)
    center_indices_ : ndarray of shape (n_centers,)
        Rows of ``X`` used as centers.
    dual_coef_ : array of shape (n_centers,) or (n_centers, n_targets)
    n_iter_ : int
        Conjugate gradient iterations (``"falkon"``) or epochs
        (``"eigenpro"``) run.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    KernelRidge : the exact solver (``n x n`` system).

    References
    ----------
    A. Rudi, L. Carratino, L. Rosasco. "FALKON: An optimal large scale kernel
    method", NeurIPS 2017. G. Meanti, L. Carratino, L. Rosasco, A. Rudi.
    "Kernel methods through the roof: handling billions of points
    efficiently", NeurIPS 2020. M. Derezinski, M. Warmuth, D. Hsu.
    "Unbiased estimators for random design regression" / weighted least
    squares with DPPs and volume sampling (leverage-score landmarks).
    A. Abedsoltan, M. Belkin, P. Pandit. "Toward large kernel models", ICML
    2023 (EigenPro 3).

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.kernel_ridge import NystromKernelRidge
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, size=(2000, 2))
    >>> y = np.sin(X[:, 0]) * np.cos(X[:, 1])
    >>> model = NystromKernelRidge(penalty=1e-6, n_centers=200, gamma=0.5, random_state=0)
    >>> model = model.fit(X, y)
    >>> float(np.mean((model.predict(X) - y) ** 2)) < 1e-4
    True
    """

    _parameter_constraints: dict = {
        "penalty": [Interval(Real, 0, None, closed="left")],
        "n_centers": [Interval(Integral, 1, None, closed="left")],
        "kernel": [StrOptions(set(KERNEL_CONSTRAINT[0].options) - {"precomputed"}), callable],
        "gamma": [Interval(Real, 0, None, closed="left"), None],
        "degree": [Interval(Real, 0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
        "kernel_params": [dict, None],
        "center_selection": [StrOptions({"uniform", "leverage"})],
        "solver": [StrOptions({"falkon", "eigenpro"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "precompute": [StrOptions({"auto"}), "boolean"],
        "chunk_size": [Interval(Integral, 1, None, closed="left"), None],
        "n_nystrom_samples": [Interval(Integral, 2, None, closed="left")],
        "top_q": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"n_centers": 30, "penalty": 1e-3, "random_state": 0}

    def __init__(
        self,
        penalty=1e-6,
        *,
        n_centers=1000,
        kernel="rbf",
        gamma=None,
        degree=3,
        coef0=1,
        kernel_params=None,
        center_selection="uniform",
        solver="falkon",
        max_iter=20,
        tol=None,
        precompute="auto",
        chunk_size=None,
        n_nystrom_samples=2000,
        top_q=100,
        random_state=None,
        verbose=0,
        device=None,
    ):
        self.penalty = penalty
        self.n_centers = n_centers
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.center_selection = center_selection
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.precompute = precompute
        self.chunk_size = chunk_size
        self.n_nystrom_samples = n_nystrom_samples
        self.top_q = top_q
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    def _select_centers(self, X, xp, M, rng, params):
        n = X.shape[0]
        if self.center_selection == "uniform" or M == n:
            return np.sort(rng.choice(n, size=M, replace=False))
        # Approximate ridge leverage scores from a uniform Nystroem sketch S:
        # l_i = (k_ii - k_iS (K_SS + lam n I)^{-1} k_Si) / (lam n), computed in chunks.
        S = np.sort(rng.choice(n, size=M, replace=False))
        XS = xp.take(X, _idx(S, X, xp), axis=0)
        lam_n = max(self.penalty * n, 1e-10)
        KSS = pairwise_kernel(XS, None, self.kernel, **params)
        L = cholesky(add_to_diagonal(KSS, lam_n))
        diag = kernel_diag(X, self.kernel, **params)
        step = self.chunk_size or chunk_rows(n, M, budget=STREAM_ELEMENTS)

        def block_scores(i, j):
            Kb = pairwise_kernel(X[i:j, ...], XS, self.kernel, **params)
            B = solve_triangular(L, xp.matrix_transpose(Kb), lower=True, xp=xp)
            return diag[i:j] - xp.sum(B * B, axis=0)

        scores = threaded_block_map(block_scores, row_blocks(n, step), block_threads(xp))
        lev = np.clip(np.asarray(_host(xp.concat(scores)), dtype=np.float64), 0, None) + 1e-12
        return np.sort(rng.choice(n, size=M, replace=False, p=lev / lev.sum()))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the Nystroem kernel ridge model.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            A Dask array chunked by rows is never gathered: the kernel
            products :math:`K_{nM}^\top K_{nM}` / :math:`K_{nM}^\top y` are
            computed block by block on the workers that hold the chunks and
            summed in a tree (memory per worker: one row block and
            :math:`O(M^2)`); only the ``M`` center rows reach the client.
            Dask input needs ``solver="falkon"``, ``center_selection="uniform"``
            and a named kernel on the CPU.
        y : array-like or dask.array.Array of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : object
        """
        require_y(self, y)
        dask_in = is_dask_array(X)
        if dask_in:
            Xd, Yd = self._validate_dask(X, y)
            ctx = compute_context(self.device, np.empty((1, 1), dtype=Xd.dtype))
            ravel = Yd.ndim == 1
            n, d = Xd.shape
        else:
            X, y = validate_data(self, X, y, multi_output=True, y_numeric=True)
            ctx = compute_context(self.device, X)
            Xc = ctx.asarray(X)
            Y = ctx.xp.astype(ctx.asarray(y), Xc.dtype)
            ravel = Y.ndim == 1
            if ravel:
                Y = ctx.xp.reshape(Y, (-1, 1))
            n, d = Xc.shape
        xp = ctx.xp
        M = self.n_centers
        if M > n:
            warnings.warn(
                f"n_centers={M} > n_samples={n}: using all {n} samples as centers.",
                stacklevel=2,
            )
            M = n
        rng = check_random_state(self.random_state)
        params = self._params()
        t0 = time.perf_counter()
        if dask_in:
            # Only the M center rows are gathered to the client.
            idx = np.sort(rng.choice(n, size=M, replace=False))
            C = np.asarray(Xd[idx].compute())
        else:
            idx = self._select_centers(Xc, xp, M, rng, params)
            C = xp.take(Xc, _idx(idx, Xc, xp), axis=0)
        step = self.chunk_size or chunk_rows(n, M, budget=STREAM_ELEMENTS)

        # All M x M algebra runs in float64 (kernel blocks stay in X's dtype and
        # are promoted chunk by chunk): in float32 the rounding of K_nM' K_nM,
        # amplified by the preconditioner, makes the system indefinite.
        # Preconditioner: K_MM + eps M I = T'T (T = L'), T T' / M + lam I = A'A.
        # K_MM is formed from float64 centers: a float32 K_MM of a smooth kernel has
        # negative eigenvalues of order eps32 * ||K_MM||, far above the jitter.
        f64 = xp.float64
        # M x M temporaries are dropped as soon as they are used (in place on
        # NumPy): they, not n, set the peak memory.
        KMM = pairwise_kernel(xp.astype(C, f64), None, self.kernel, **params)
        eps = float(np.finfo(np.float64).eps)
        scale = max(to_float(xp.mean(_diag(KMM, xp))), 1e-300)
        # The jitter only changes the preconditioner, never the solution; a floor of
        # 1e-8 keeps the triangular solves stable when K_MM is numerically singular.
        L = cholesky(add_to_diagonal(KMM, max(eps * M, 1e-8) * scale))
        del KMM
        T = xp.matrix_transpose(L)
        lam = float(self.penalty)
        P = T @ L
        P /= M
        A = xp.matrix_transpose(cholesky(add_to_diagonal(P, lam + eps * scale)))
        del P
        if not dask_in:
            Y = xp.astype(Y, f64)

        if self.solver == "eigenpro":
            # EigenPro's batches are sized by the larger (sequential) block budget.
            batch_step = self.chunk_size or chunk_rows(n, M)
            coef = self._fit_eigenpro(Xc, Y, C, L, xp, rng, params, batch_step, t0)
            if ravel:
                coef = xp.reshape(coef, (-1,))
            self.n_iter_ = self.max_iter
            self.center_indices_ = idx
            self.centers_ = ctx.output(C)
            self.dual_coef_ = ctx.output(coef)
            return self

        def B_apply(U):  # B u = T^{-1} A^{-1} u
            return solve_triangular(
                T, solve_triangular(A, U, lower=False, xp=xp), lower=False, xp=xp
            )

        def Bt_apply(V):  # B' v = A^{-T} T^{-T} v
            return solve_triangular(
                A,
                solve_triangular(T, V, lower=False, trans=True, xp=xp),
                lower=False,
                trans=True,
                xp=xp,
            )

        precompute = self.precompute
        if precompute == "auto":
            # n M^2 / 2 flops of syrk (compute-bound) against max_iter memory-bound passes
            # of n M (d + ~30); the factor 4 is what this ratio measured on CPU.
            precompute = M <= 4 * self.max_iter * (d + 30)
        if dask_in:
            # Blockwise over the row chunks, on the workers that hold them.
            k = 1 if ravel else Yd.shape[1]
            if precompute:
                Hb = row_block_sum(
                    partial(_gram_block, C=C, kernel=self.kernel, params=params), Xd, Yd
                )
                H, b = Hb[:, :M], Hb[:, M:]

                def KtK(V):
                    return H @ V
            else:
                b = row_block_sum(
                    partial(_ktk_block, C=C, V=None, kernel=self.kernel, params=params), Xd, Yd
                )

                def KtK(V):
                    return row_block_sum(
                        partial(_ktk_block, C=C, V=V, kernel=self.kernel, params=params), Xd
                    )

            b = xp.reshape(b, (M, k))
        elif precompute:
            H, b = kernel_gram(Xc, C, Y, self.kernel, chunk_size=step, dtype=f64, **params)

            def KtK(V):
                return H @ V
        else:
            stream = partial(
                kernel_normal_matmul,
                Xc,
                C,
                kernel=self.kernel,
                chunk_size=step,
                dtype=f64,
                **params,
            )
            b = stream(Y=Y)

            def KtK(V):
                return stream(V)

        if self.verbose:
            print(
                f"[NystromKernelRidge] n={n} M={M} precompute={bool(precompute)} "
                f"setup {time.perf_counter() - t0:.2f}s"
            )
        it = [0]
        bar = progress_bar(
            total=self.max_iter, desc="[NystromKernelRidge] CG", unit="iter", verbose=self.verbose
        )

        def matvec(U):
            W = B_apply(U)
            out = Bt_apply(KtK(W) / n) + lam * solve_triangular(
                A, solve_triangular(A, U, lower=False, xp=xp), lower=False, trans=True, xp=xp
            )
            it[0] += 1
            bar.update()
            return out

        rhs = Bt_apply(b / n)
        beta, n_iter, converged = conjugate_gradient(
            matvec, rhs, max_iter=self.max_iter, tol=self.tol
        )
        bar.close()
        if not converged:
            warnings.warn(
                f"NystromKernelRidge did not reach tol={self.tol} in max_iter={self.max_iter} "
                "iterations; increase max_iter.",
                ConvergenceWarning,
                stacklevel=2,
            )
        coef = xp.astype(B_apply(beta), C.dtype)
        if ravel:
            coef = xp.reshape(coef, (-1,))
        self.n_iter_ = n_iter
        self.center_indices_ = idx
        self.centers_ = ctx.output(C)
        self.dual_coef_ = ctx.output(coef)
        return self

    def _validate_dask(self, X, y):
        """Lazy checks of a Dask ``X`` (row chunks) and ``y``; sets ``n_features_in_``."""
        if self.solver != "falkon" or self.center_selection != "uniform":
            raise ValueError(
                "Dask input is supported with solver='falkon' and center_selection='uniform'; "
                f"got solver={self.solver!r}, center_selection={self.center_selection!r}."
            )
        if self.device == "gpu" or callable(self.kernel):
            raise ValueError(
                "Dask input is computed on the workers' CPUs with a named kernel; use "
                "device=None/'cpu' and a string kernel."
            )
        X = as_row_chunked(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"Found array with shape {X.shape}; at least one row and column.")
        Y = align_rows(y, X)
        if Y.dtype.kind not in "fiub":
            raise ValueError(f"y must be numeric; got dtype {Y.dtype}.")
        self.n_features_in_ = X.shape[1]
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return X, Y

    def _fit_eigenpro(self, Xc, Y, C, L, xp, rng, params, step, t0):
        """EigenPro 3 iterations (``solver="eigenpro"``); ``L`` factors the jittered K_MM."""
        n = Xc.shape[0]
        f64 = xp.float64
        s = min(n, self.n_nystrom_samples)
        S = np.sort(rng.choice(n, size=s, replace=False))
        XS = xp.astype(xp.take(Xc, _idx(S, Xc, xp), axis=0), f64)
        E, D, mu_tail = data_preconditioner(
            pairwise_kernel(XS, None, self.kernel, **params), self.top_q
        )
        KSZ = pairwise_kernel(XS, xp.astype(C, f64), self.kernel, **params)
        beta = max(to_float(xp.max(kernel_diag(Xc, self.kernel, **params))), 1e-300)
        # EigenPro's critical batch size beta / mu_{q+1}, within 4 kernel blocks: each
        # step costs one O(M^2) projection, so larger batches mean fewer of them.
        batch = int(max(1, min(n, 4 * step, beta / max(mu_tail, 1e-300))))
        if self.verbose:
            print(
                f"[NystromKernelRidge] EigenPro: s={s} q={E.shape[1]} batch={batch} "
                f"mu_q+1={mu_tail:.3g} setup {time.perf_counter() - t0:.2f}s"
            )

        def kernel_rows(rows):
            return xp.astype(
                pairwise_kernel(xp.take(Xc, _idx(rows, Xc, xp), axis=0), C, self.kernel, **params),
                f64,
            )

        alpha = eigenpro_sgd(
            kernel_rows,
            Y,
            L,
            KSZ,
            E,
            D,
            penalty=self.penalty,
            beta=beta,
            mu_tail=mu_tail,
            batch_size=batch,
            n_epochs=self.max_iter,
            rng=rng,
            xp=xp,
            verbose=bool(self.verbose),
        )
        return xp.astype(alpha, Xc.dtype)

    def predict(self, X):
        """Predict with the Nystroem kernel ridge model.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)

        Returns
        -------
        y_pred : array of shape (n_samples,) or (n_samples, n_targets)
            A lazy Dask array with the row chunks of ``X`` when ``X`` is one.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            # Lazy: one kernel block per row chunk of X, computed where it lives.
            X = as_row_chunked(X)
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} features as input."
                )
            C, coef = to_numpy(self.centers_), to_numpy(self.dual_coef_)
            fn = partial(_predict_block, C=C, coef=coef, kernel=self.kernel, params=self._params())
            if coef.ndim == 1:
                return X.map_blocks(fn, dtype=coef.dtype, chunks=(X.chunks[0],), drop_axis=1)
            return X.map_blocks(fn, dtype=coef.dtype, chunks=(X.chunks[0], (coef.shape[1],)))
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        C = ctx.asarray(self.centers_)
        coef = ctx.asarray(self.dual_coef_)
        return ctx.output(
            kernel_matmul(Xc, C, coef, self.kernel, chunk_size=self.chunk_size, **self._params())
        )


def _finite_block(Xb, name="X"):
    Xb = np.asarray(Xb)
    if not np.all(np.isfinite(Xb)):
        raise ValueError(f"Input {name} contains NaN or infinity.")
    return Xb


def _gram_block(Xb, Yb, *, C, kernel, params):
    """``[K_b' K_b | K_b' y_b]`` of one row block (a Dask task)."""
    Xb = _finite_block(Xb)
    Yb = _finite_block(Yb, "y").reshape(Xb.shape[0], -1)
    H, b = kernel_gram(Xb, C, Yb, kernel, dtype=np.float64, n_threads=1, **params)
    return np.concatenate([H, b], axis=1)


def _ktk_block(Xb, Yb=None, *, C, V, kernel, params):
    """``K_b' (K_b V)`` (or ``K_b' y_b`` when ``V`` is None) of one row block, sub-chunked."""
    Xb = _finite_block(Xb)
    if V is None:
        Yb = _finite_block(Yb, "y").reshape(Xb.shape[0], -1)
    # One thread per block: Dask's workers already run the blocks in parallel.
    return kernel_normal_matmul(
        Xb, C, V, Yb if V is None else None, kernel, dtype=np.float64, n_threads=1, **params
    )


def _predict_block(Xb, *, C, coef, kernel, params):
    return kernel_matmul(np.asarray(Xb, dtype=C.dtype), C, coef, kernel, n_threads=1, **params)


def _idx(idx, like, xp):
    """Host integer indices as an index array of ``xp`` on the device of ``like``."""
    if hasattr(xp, "asarray") and not isinstance(like, np.ndarray):
        return xp.asarray(np.asarray(idx, dtype=np.int64), device=getattr(like, "device", None))
    return np.asarray(idx, dtype=np.int64)


def _diag(A, xp):
    return (
        xp.linalg.diagonal(A)
        if hasattr(xp, "linalg") and hasattr(xp.linalg, "diagonal")
        else xp.diagonal(A)
    )


def _host(a):
    from .._backend import to_numpy

    return to_numpy(a)
