"""Nystroem kernel ridge regression solved by FALKON's preconditioned conjugate gradient."""

from __future__ import annotations

import time
import warnings
from functools import partial
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, check_random_state

from .._backend import as_index, compute_context, from_numpy, solve_triangular, to_float, to_numpy
from .._dask import align_rows, as_row_chunked, pick_ops, row_block_sum, validate_dask_data
from .._linalg import add_to_diagonal, cholesky, diagonal
from .._sklearn_compat import Interval, StrOptions, _check_sample_weight, _fit_context
from .._validation import validate_data
from ..utils._progress import progress_bar
from ..utils._threads import row_blocks, threaded_block_map, uses_n_jobs
from ._base import KERNEL_CONSTRAINT, require_y
from ._eigenpro import data_preconditioner, eigenpro_sgd
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
from ._solvers import conjugate_gradient

__all__ = ["NystromKernelRidge"]


class NystromKernelRidge(KernelParamsMixin, MultiOutputMixin, RegressorMixin, BaseEstimator):
    r"""Nystroem kernel ridge regression with FALKON's preconditioned conjugate gradient.

    The predictor :math:`f(x) = \sum_{j=1}^{M} c_j k(x, z_j)` lives on ``M``
    centers :math:`z_j` chosen among the training rows and solves

    .. math::

        \min_c \frac{1}{n} \| K_{nM} c - y \|^2 + \lambda\, c^\top K_{MM} c,

    i.e. :math:`(K_{nM}^\top K_{nM} + \lambda n K_{MM}) c = K_{nM}^\top y`,
    by conjugate gradient preconditioned with the Cholesky factors of
    :math:`K_{MM}` and :math:`K_{MM}^2 / M + \lambda K_{MM}` (FALKON),
    stopped at the relative residual ``tol`` (tens of iterations; more as
    ``penalty`` shrinks). Kernel blocks
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
    max_iter : int, default=100
        Most conjugate gradient iterations (``"falkon"``) or epochs over the
        data (``"eigenpro"``).
    tol : float, default=1e-3
        Relative residual of the preconditioned system at which conjugate
        gradient stops (``"falkon"`` only); a ``ConvergenceWarning`` says when
        ``max_iter`` came first. About 20 iterations reach it at ``penalty``
        1e-4, 60 at 1e-6 and 120 at 1e-8 (rbf, 4000 points, 400 centers).
        ``None`` runs exactly ``max_iter`` iterations with no warning
        (FALKON's early stopping as a regularizer).
    precompute : "auto" or bool, default="auto"
        Form :math:`K_{nM}^\top K_{nM}` in one pass. ``"auto"`` does so when
        ``n_centers <= 4 * min(max_iter, 20) * (n_features + 30)``: the one
        compute-bound pass (:math:`n M^2 / 2` flops) then beats 20 or more
        memory-bound passes over the kernel.
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
        Most eigen-directions flattened by EigenPro's preconditioner
        (``"eigenpro"`` only); fewer where the kernel's spectrum falls more
        than 100-fold within them, where a deeper cut makes the steps too long
        (with ``n_centers = n_samples = 200`` in 2-d the cut took EigenPro from
        0.99 to 1e-9 relative error against the exact kernel ridge).
    random_state : int, RandomState instance or None, default=None
        Center sampling.
    verbose : int, default=0
        Print the setup and a progress bar over the iterations (rate, ETA).
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

    # Row-chunked Dask input is routed to a Dask strategy before validate_data.
    _accepts_dask = True
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
        "n_jobs": [Integral, None],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"n_centers": 30, "penalty": 1e-3, "random_state": 0}
    _expected_failed_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "centers are drawn from the rows, so repeating rows changes the centers (or "
            "duplicates them when every row is one): the same model only up to the Nystroem "
            "approximation and the tolerance of conjugate gradient"
        ),
    }

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
        max_iter=100,
        tol=1e-3,
        precompute="auto",
        chunk_size=None,
        n_nystrom_samples=2000,
        top_q=100,
        random_state=None,
        verbose=0,
        n_jobs=None,
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
        self.n_jobs = n_jobs
        self.device = device

    def _select_centers(self, X, xp, M, rng, params):
        n = X.shape[0]
        if self.center_selection == "uniform" or M == n:
            return np.sort(rng.choice(n, size=M, replace=False))
        # Approximate ridge leverage scores from a uniform Nystroem sketch S:
        # l_i = (k_ii - k_iS (K_SS + lam n I)^{-1} k_Si) / (lam n), computed in chunks.
        S = np.sort(rng.choice(n, size=M, replace=False))
        XS = xp.take(X, as_index(S, X), axis=0)
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
        lev = np.clip(np.asarray(to_numpy(xp.concat(scores)), dtype=np.float64), 0, None) + 1e-12
        return np.sort(rng.choice(n, size=M, replace=False, p=lev / lev.sum()))

    @uses_n_jobs
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the Nystroem kernel ridge model.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            A Dask array chunked by rows is never gathered: the kernel
            products :math:`K_{nM}^\\top K_{nM}` / :math:`K_{nM}^\\top y` are
            computed block by block on the workers that hold the chunks and
            summed in a tree (memory per worker: one row block and
            :math:`O(M^2)`); only the ``M`` center rows reach the client.
            Dask input needs ``solver="falkon"``, ``center_selection="uniform"``
            and a named kernel on the CPU.
        y : array-like or dask.array.Array of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the squared errors: the objective becomes
            :math:`\\frac{1}{\\sum_i w_i} \\sum_i w_i (f(x_i) - y_i)^2 +
            \\lambda \\|f\\|^2` (an integer weight counts as that many copies of
            the row). ``solver="falkon"`` on in-memory input only. Centers
            are still drawn from the rows without regard to the weights.

        Returns
        -------
        self : object
        """
        require_y(self, y)
        ops = pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps)
        data = ops.fit_input(self, X, y)
        xp = data.ctx.xp
        n = data.X.shape[0]
        row_scale, n_eff = None, n
        if sample_weight is not None:
            if not ops.takes_sample_weight or self.solver != "falkon":
                raise ValueError(
                    "sample_weight is supported with solver='falkon' on in-memory input; "
                    f"got solver={self.solver!r}{'' if ops.takes_sample_weight else ' and Dask input'}."
                )
            sw = _check_sample_weight(
                to_numpy(sample_weight), np.empty((n, 0)), ensure_non_negative=True
            )
            n_eff = float(sw.sum())
            if n_eff <= 0:
                raise ValueError("sample_weight must have a positive sum.")
            row_scale = xp.astype(from_numpy(np.sqrt(sw), like=data.X), xp.float64)
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
        idx, C = ops.centers(self, data, M, rng, params)
        L, T, A = _falkon_factors(C, float(self.penalty), self.kernel, params, xp)
        Y = data.Y
        if self.solver == "eigenpro":
            # EigenPro's batches are sized by the larger (sequential) block budget.
            batch_step = self.chunk_size or chunk_rows(n, M)
            coef = self._fit_eigenpro(data.X, Y, C, L, xp, rng, params, batch_step, t0)
            n_iter = self.max_iter
        else:
            if row_scale is not None:
                Y = Y * row_scale[:, None]  # K' W y = (W^1/2 K)' (W^1/2 y)
            KtK, b = ops.normal_equations(self, data, Y, C, params, row_scale)
            if self.verbose:
                print(f"[NystromKernelRidge] n={n} M={M} setup {time.perf_counter() - t0:.2f}s")
            coef, n_iter = self._falkon_solve(KtK, b, T, A, n_eff, xp, t0)
            coef = xp.astype(coef, C.dtype)
        if data.ravel:
            coef = xp.reshape(coef, (-1,))
        self.n_iter_ = n_iter
        self.center_indices_ = idx
        self.centers_ = data.ctx.output(C)
        self.dual_coef_ = data.ctx.output(coef)
        return self

    def _normal_equations(self, data, Y, C, params, row_scale=None):
        """``V -> K_nM' K_nM V`` and ``b = K_nM' Y`` (float64), precomputed or streamed.

        ``row_scale`` (square roots of the sample weights) scales the rows of
        ``K_nM`` (``Y`` comes scaled). ``precompute`` forms :math:`K_{nM}^\top K_{nM}` in one pass; otherwise
        every product streams the kernel blocks again. Dask input is computed
        blockwise on the workers that hold the row chunks.
        """
        n = data.X.shape[0]
        M = C.shape[0]
        xp = data.ctx.xp
        step = self.chunk_size or chunk_rows(n, M, budget=STREAM_ELEMENTS)
        if self._precompute(data.X.shape[1], M):
            H, b = kernel_gram(
                data.X,
                C,
                Y,
                self.kernel,
                chunk_size=step,
                dtype=xp.float64,
                row_scale=row_scale,
                **params,
            )
            return (lambda V: H @ V), b
        stream = partial(
            kernel_normal_matmul,
            data.X,
            C,
            kernel=self.kernel,
            chunk_size=step,
            dtype=xp.float64,
            row_scale=row_scale,
            **params,
        )
        return stream, stream(Y=Y)

    def _precompute(self, d, M):
        """Whether to form :math:`K_{nM}^\top K_{nM}` once rather than stream every product."""
        if self.precompute != "auto":
            return self.precompute
        # n M^2 / 2 flops of syrk (compute-bound) against the memory-bound passes of
        # n M (d + ~30) each; the factor 4 is what this ratio measured on CPU.
        return M <= 4 * min(self.max_iter, 20) * (d + 30)

    def _falkon_solve(self, KtK, b, T, A, n, xp, t0):
        """FALKON's preconditioned conjugate gradient; returns ``(coef, n_iter)``.

        Solves :math:`B^\top (K_{nM}^\top K_{nM} / n + \\lambda K_{MM}) B \beta =
        B^\top K_{nM}^\top y / n` with :math:`B = T^{-1} A^{-1}`, then
        :math:`c = B \beta`.
        """
        lam = float(self.penalty)
        bar = progress_bar(
            total=self.max_iter, desc="[NystromKernelRidge] CG", unit="iter", verbose=self.verbose
        )

        def matvec(U):
            out = _bt_apply(T, A, KtK(_b_apply(T, A, U, xp)) / n, xp) + lam * solve_triangular(
                A, solve_triangular(A, U, lower=False, xp=xp), lower=False, trans=True, xp=xp
            )
            bar.update()
            return out

        beta, n_iter, converged = conjugate_gradient(
            matvec, _bt_apply(T, A, b / n, xp), max_iter=self.max_iter, tol=self.tol
        )
        bar.close()
        if not converged:
            warnings.warn(
                f"NystromKernelRidge did not reach tol={self.tol} in max_iter={self.max_iter} "
                "iterations; increase max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return _b_apply(T, A, beta, xp), n_iter

    def _fit_eigenpro(self, Xc, Y, C, L, xp, rng, params, step, t0):
        """EigenPro 3 iterations (``solver="eigenpro"``); ``L`` factors the jittered K_MM."""
        n = Xc.shape[0]
        f64 = xp.float64
        s = min(n, self.n_nystrom_samples)
        S = np.sort(rng.choice(n, size=s, replace=False))
        XS = xp.astype(xp.take(Xc, as_index(S, Xc), axis=0), f64)
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
                pairwise_kernel(xp.take(Xc, as_index(rows, Xc), axis=0), C, self.kernel, **params),
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

    @uses_n_jobs
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
        return pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps).predict(self, X)


class _FitInput(NamedTuple):
    """What ``fit`` works on: ``X`` and 2-d ``Y`` in memory or as Dask row chunks."""

    X: object
    Y: object
    ctx: object
    ravel: bool


class _InMemoryOps:
    """The steps of NystromKernelRidge that depend on where the data live: in memory.

    :class:`_DaskOps` has the same methods for row-chunked Dask arrays;
    ``fit`` and ``predict`` pick one of the two once
    (:func:`sksubspace._dask.pick_ops`).
    """

    takes_sample_weight = True

    @staticmethod
    def fit_input(est, X, y):
        """Validated ``X`` and 2-d float64 ``Y`` on the compute device."""
        X, y = validate_data(est, X, y, multi_output=True, y_numeric=True)
        ctx = compute_context(est.device, X)
        Xc = ctx.asarray(X)
        Y = ctx.xp.astype(ctx.asarray(y), Xc.dtype)
        ravel = Y.ndim == 1
        if ravel:
            Y = ctx.xp.reshape(Y, (-1, 1))
        return _FitInput(Xc, ctx.xp.astype(Y, ctx.xp.float64), ctx, ravel)

    @staticmethod
    def centers(est, data, M, rng, params):
        """Indices of the ``M`` centers (``center_selection``) and their rows."""
        idx = est._select_centers(data.X, data.ctx.xp, M, rng, params)
        return idx, data.ctx.xp.take(data.X, as_index(idx, data.X), axis=0)

    @staticmethod
    def normal_equations(est, data, Y, C, params, row_scale):
        return est._normal_equations(data, Y, C, params, row_scale)

    @staticmethod
    def predict(est, X):
        X = validate_data(est, X, reset=False)
        ctx = compute_context(est.device, X)
        Xc = ctx.asarray(X)
        C = ctx.asarray(est.centers_)
        coef = ctx.asarray(est.dual_coef_)
        return ctx.output(
            kernel_matmul(Xc, C, coef, est.kernel, chunk_size=est.chunk_size, **est._params())
        )


class _DaskOps:
    """NystromKernelRidge on row-chunked Dask arrays, computed where the blocks live.

    Only the ``M`` center rows reach the client; the normal equations
    :math:`K_{nM}^\top K_{nM}` and :math:`K_{nM}^\top Y` (or each streamed
    product) are summed over the row blocks in a tree; ``predict`` is lazy.
    """

    takes_sample_weight = False

    @staticmethod
    def fit_input(est, X, y):
        """Lazy checks of a Dask ``X`` (row chunks) and ``y``; sets ``n_features_in_``."""
        if est.solver != "falkon" or est.center_selection != "uniform":
            raise ValueError(
                "Dask input is supported with solver='falkon' and center_selection='uniform'; "
                f"got solver={est.solver!r}, center_selection={est.center_selection!r}."
            )
        if est.device == "gpu" or callable(est.kernel):
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
        est.n_features_in_ = X.shape[1]
        if hasattr(est, "feature_names_in_"):
            del est.feature_names_in_
        ctx = compute_context(est.device, np.empty((1, 1), dtype=X.dtype))
        return _FitInput(X, Y, ctx, Y.ndim == 1)

    @staticmethod
    def centers(est, data, M, rng, params):
        """``M`` uniformly drawn rows: the only rows of ``X`` that reach the client."""
        idx = np.sort(rng.choice(data.X.shape[0], size=M, replace=False))
        return idx, np.asarray(data.X[idx].compute())

    @staticmethod
    def normal_equations(est, data, Y, C, params, row_scale):
        """As ``NystromKernelRidge._normal_equations``, one task per row block."""
        M = C.shape[0]
        xp = data.ctx.xp
        k = 1 if data.ravel else Y.shape[1]
        kw = dict(C=C, kernel=est.kernel, params=params)
        if est._precompute(data.X.shape[1], M):
            Hb = row_block_sum(partial(_gram_block, **kw), data.X, Y)
            H, b = Hb[:, :M], Hb[:, M:]
            return (lambda V: H @ V), xp.reshape(b, (M, k))
        b = row_block_sum(partial(_ktk_block, V=None, **kw), data.X, Y)
        return (lambda V: row_block_sum(partial(_ktk_block, V=V, **kw), data.X)), xp.reshape(
            b, (M, k)
        )

    @staticmethod
    def predict(est, X):
        # Lazy: one kernel block per row chunk of X, computed where it lives.
        X = validate_dask_data(est, X, reset=False, check_finite=False)
        C, coef = to_numpy(est.centers_), to_numpy(est.dual_coef_)
        fn = partial(_predict_block, C=C, coef=coef, kernel=est.kernel, params=est._params())
        if coef.ndim == 1:
            return X.map_blocks(fn, dtype=coef.dtype, chunks=(X.chunks[0],), drop_axis=1)
        return X.map_blocks(fn, dtype=coef.dtype, chunks=(X.chunks[0], (coef.shape[1],)))


def _falkon_factors(C, lam, kernel, params, xp):
    """Cholesky factors of FALKON's preconditioner, in float64.

    ``K_MM + eps M I = L L'`` (``T = L'``) and ``T T' / M + lam I = A'A``. All
    ``M x M`` algebra runs in float64: in float32 the rounding of
    :math:`K_{nM}^\top K_{nM}`, amplified by the preconditioner, makes the system
    indefinite, and a float32 :math:`K_{MM}` of a smooth kernel has negative
    eigenvalues of order ``eps32 * ||K_MM||``, far above the jitter. ``M x M``
    temporaries are dropped as soon as they are used (they set the peak memory).
    """
    M = C.shape[0]
    KMM = pairwise_kernel(xp.astype(C, xp.float64), None, kernel, **params)
    eps = float(np.finfo(np.float64).eps)
    scale = max(to_float(xp.mean(diagonal(KMM))), 1e-300)
    # The jitter only changes the preconditioner, never the solution; a floor of
    # 1e-8 keeps the triangular solves stable when K_MM is numerically singular.
    L = cholesky(add_to_diagonal(KMM, max(eps * M, 1e-8) * scale))
    del KMM
    T = xp.matrix_transpose(L)
    P = T @ L
    P /= M
    A = xp.matrix_transpose(cholesky(add_to_diagonal(P, lam + eps * scale)))
    return L, T, A


def _b_apply(T, A, U, xp):
    """``B u = T^{-1} A^{-1} u``."""
    return solve_triangular(T, solve_triangular(A, U, lower=False, xp=xp), lower=False, xp=xp)


def _bt_apply(T, A, V, xp):
    """``B' v = A^{-T} T^{-T} v``."""
    W = solve_triangular(T, V, lower=False, trans=True, xp=xp)
    return solve_triangular(A, W, lower=False, trans=True, xp=xp)


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
