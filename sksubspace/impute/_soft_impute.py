"""SoftImpute: nuclear-norm regularized matrix completion (ALS and SVD solvers)."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, check_random_state

from .._backend import from_numpy, to_float
from .._dask import is_dask_array
from .._linalg import randomized_svd
from .._sklearn_compat import Interval, StrOptions, _fit_context
from ._base import (
    _BaseCompletion,
    _check_rank,
    _matmul,
    _rmatmul,
    relative_change,
    ridge_rows,
    svd_of_product,
)

# Default shrinkage: this fraction of lambda_0 = sigma_max(P_Omega(X)).
DEFAULT_SHRINKAGE_RATIO = 1e-3


def lambda_max(obs, random_state=None):
    """``lambda_0``: the largest singular value of the zero-filled (centred) data.

    The smallest shrinkage for which the SoftImpute solution is zero.
    """
    _, s, _ = randomized_svd(obs.zero_filled(), 1, n_iter=6, random_state=random_state)
    return to_float(s[0])


# Working rank of the ALS solvers when ``max_rank=None`` (their memory and
# time grow as r^2 per observed entry or per row).
DEFAULT_ALS_RANK = 50


def _working_rank(max_rank, shape, solver="svd"):
    if max_rank is not None:
        return min(max_rank, min(shape))
    return min(shape) if solver == "svd" else min(min(shape), DEFAULT_ALS_RANK)


def initial_factors(obs, rank, init, random_state, xp):
    """Starting point ``(U, d, V)`` with ``Z = U diag(d) V'``.

    ``"svd"``: the rank-``rank`` SVD of ``P_Omega(X) / p`` (``p`` the observed
    fraction), the spectral initialization of Keshavan et al. ``"random"``:
    random orthonormal ``U``, unit ``d`` and ``V = 0`` (Hastie et al. 2015).
    """
    m, n = obs.shape
    like = xp.zeros(1, dtype=obs.dtype)
    if init == "svd":
        p = obs.n_observed / float(m * n)
        U, s, Vt = randomized_svd(obs.zero_filled(), rank, n_iter=4, random_state=random_state)
        return U, s / max(p, 1e-12), xp.matrix_transpose(Vt)
    rng = check_random_state(random_state)
    U, _ = xp.linalg.qr(from_numpy(rng.standard_normal((m, rank)), like))
    return U, xp.ones(rank, dtype=obs.dtype), xp.zeros((n, rank), dtype=obs.dtype)


def soft_impute_als(obs, shrinkage, U, d, V, *, max_iter, tol, xp, verbose=0):
    """softImpute-ALS (Hastie, Mazumder, Lee & Zadeh 2015, Algorithm 3.1).

    The iterate is ``Z = U diag(d) V'`` (``d`` the singular values, ``U`` and
    ``V`` orthonormal, ``A = U sqrt(d)``, ``B = V sqrt(d)``). Each half-step
    solves the ridge problem for one factor against the filled-in matrix
    ``X* = P_Omega(X - Z) + Z`` without forming it: ``X* V = S V + U diag(d)``
    with ``S`` the sparse (or masked) residual, so an iteration costs
    ``O(|Omega| r + (m + n) r^2)``.

    Returns ``(U, s, Vt, n_iter, converged)`` after the final soft-thresholded
    SVD of ``X* V``.
    """
    lam = float(shrinkage)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        U0, d0, V0 = U, d, V
        # B-step: B~ = X*' U D (D^2 + lam)^-1 with D = sqrt(d); SVD of B~ D.
        S = obs.residual(U * d, V)
        Bt = (_rmatmul(S, U, xp) + V * d) * (d / (d + lam))
        V, d, Rt = xp.linalg.svd(Bt, full_matrices=False)
        U = U @ xp.matrix_transpose(Rt)
        # A-step, symmetric.
        S = obs.residual(U * d, V)
        At = (_matmul(S, V) + U * d) * (d / (d + lam))
        U, d, Rt = xp.linalg.svd(At, full_matrices=False)
        V = V @ xp.matrix_transpose(Rt)
        change = relative_change(U0, d0, V0, U, d, V, xp)
        if verbose:
            print(f"[SoftImpute als] iter {n_iter}: relative change {change:.3e}")
        if change < tol:
            converged = True
            break
    U, s, Vt = final_threshold(obs, lam, U, d, V, xp)
    return U, s, Vt, n_iter, converged


def final_threshold(obs, lam, U, d, V, xp):
    """Soft-threshold the SVD of ``X* V`` (Hastie et al. 2015, Algorithm 3.1, step 4).

    ``X* = P_Omega(X - Z) + Z`` is the filled-in matrix of the iterate
    ``Z = U diag(d) V'``; the step returns exact zeros for the singular
    values at most ``lam``, so the rank of the solution is read off.
    """
    S = obs.residual(U * d, V)
    M = _matmul(S, V) + U * d
    U, s, Rt = xp.linalg.svd(M, full_matrices=False)
    V = V @ xp.matrix_transpose(Rt)
    s = xp.clip(s - lam, 0, None)
    return U, s, xp.matrix_transpose(V)


def soft_impute_exact_als(obs, shrinkage, U, d, V, *, max_iter, tol, xp, verbose=0):
    """Alternating ridge regressions (Hastie et al. 2015, Algorithm 2.1).

    Minimizes the factored form of the same objective,
    ``1/2 ||P_Omega(X - A B')||^2 + lam/2 (||A||^2 + ||B||^2)``, whose
    minimizer is the SoftImpute solution whenever its rank is at most the
    working rank (Mazumder et al. 2010, Theorem 3; ``||Z||_* = min 1/2 (||A||^2
    + ||B||^2)`` over ``Z = A B'``). Every half-step solves each row's (or
    column's) ridge problem exactly, batched (:func:`ridge_rows`): an
    iteration costs ``O(|Omega| r^2 + (m + n) r^3)``, more than softImpute-ALS,
    but far fewer iterations are needed when few entries are observed.
    """
    lam = float(shrinkage)
    W, Xc, Wt, Xct = obs.ridge_operands()
    B = V * xp.sqrt(d)
    if not bool(xp.any(B != 0)):
        # init="random" starts from V = 0: fit the column factors to U first.
        B = ridge_rows(Wt, Xct, U * xp.sqrt(d), lam, xp)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        A = ridge_rows(W, Xc, B, lam, xp)
        B = ridge_rows(Wt, Xct, A, lam, xp)
        U1, d1, V1 = svd_of_product(A, B, xp)
        change = relative_change(U, d, V, U1, d1, V1, xp)
        U, d, V = U1, d1, V1
        if verbose:
            print(f"[SoftImpute exact_als] iter {n_iter}: relative change {change:.3e}")
        if change < tol:
            converged = True
            break
    U, s, Vt = final_threshold(obs, lam, U, d, V, xp)
    return U, s, Vt, n_iter, converged


def soft_impute_svd(
    obs, shrinkage, U, d, V, *, max_rank, max_iter, tol, xp, random_state, verbose=0
):
    """Soft-Impute (Mazumder, Hastie & Tibshirani 2010, Algorithm 1).

    ``Z <- SVT_lambda(P_Omega(X) + P_Omega^perp(Z))`` with the shared partial
    SVD (only the singular values above ``lambda`` are computed, warm-started
    from the previous right singular vectors). The filled-in matrix is dense.
    """
    lam = float(shrinkage)
    m, n = obs.shape
    converged = False
    n_iter = 0
    X0 = obs.zero_filled()
    if hasattr(X0, "toarray"):
        X0 = xp.asarray(X0.toarray())
        W = np.zeros(obs.shape, dtype=obs.dtype)
        W[obs.rows, obs.cols] = 1
        W = xp.asarray(W)
    else:
        W = obs.W
    # Randomized SVDs only where a dense one is costly: their error in the
    # small trailing singular triplets stalls the iteration on small problems.
    capped = max_rank < min(m, n) // 4 and min(m, n) > 1000
    for n_iter in range(1, max_iter + 1):
        U0, d0, V0 = U, d, V
        Z = (U * d) @ xp.matrix_transpose(V)
        Y = X0 + (1 - W) * Z
        start = V if V.shape[1] else None
        if capped:
            U, s, Vt = randomized_svd(Y, max_rank, n_iter=4, random_state=random_state, start=start)
            s = xp.clip(s - lam, 0, None)
        else:
            U, s, Vt = xp.linalg.svd(Y, full_matrices=False)
            U, s, Vt = U[:, :max_rank], xp.clip(s[:max_rank] - lam, 0, None), Vt[:max_rank, :]
        d, V = s, xp.matrix_transpose(Vt)
        change = relative_change(U0, d0, V0, U, d, V, xp)
        if verbose:
            print(
                f"[SoftImpute svd] iter {n_iter}: rank {V.shape[1]}, relative change {change:.3e}"
            )
        if change < tol:
            converged = True
            break
    return U, d, xp.matrix_transpose(V), n_iter, converged


class SoftImpute(_BaseCompletion):
    r"""Matrix completion by nuclear-norm regularization (Soft-Impute).

    Solves

    .. math::

        \min_Z \; \tfrac12 \|P_\Omega(X - Z)\|_F^2 + \lambda \|Z\|_*

    where :math:`\Omega` is the set of observed entries. The fit is an
    imputer: ``fit`` on training rows, ``transform`` completes new rows by
    folding them in (a ridge solve of each row's observed entries against the
    fitted column factors, batched), ``fit_transform`` returns the
    transductive completion of the training rows.

    Read more in Mazumder, Hastie & Tibshirani (2010) and Hastie, Mazumder,
    Lee & Zadeh (2015).

    Parameters
    ----------
    shrinkage : float or None, default=None
        :math:`\lambda`. ``None`` uses ``1e-3 * lambda_0`` where ``lambda_0``
        is the largest singular value of the zero-filled (centred) data, the
        smallest :math:`\lambda` whose solution is zero. With the rank capped
        by ``max_rank`` this small value behaves like a rank-constrained fit
        with a light ridge: it recovers noiseless low-rank data to high
        accuracy and keeps the ALS steps well posed. On noisy data choose
        :math:`\lambda` by held-out error with :func:`soft_impute_path` (or
        ``GridSearchCV`` over ``shrinkage``).
    max_rank : int or None, default=None
        Cap on the rank of the iterate (the working rank ``r`` of the ALS
        solvers). ``None`` uses ``min(n_samples, n_features, 50)`` for the
        ALS solvers (whose cost grows with ``r^2``) and
        ``min(n_samples, n_features)`` for ``"svd"``. Set it to a bound on
        the rank you expect.
    solver : {"exact_als", "als", "svd"}, default="exact_als"
        All three minimize the same objective (and agree at convergence);
        none forms the dense matrix from sparse input except ``"svd"``.

        - ``"exact_als"``: alternating ridge regressions on the factored
          form (Hastie et al. 2015, Algorithm 2.1), every row / column solved
          exactly in batches; ``O(|Omega| r^2 + (m + n) r^3)`` per iteration,
          few iterations. The default: it reaches high accuracy fastest when
          few entries are observed.
        - ``"als"``: softImpute-ALS (Hastie et al. 2015, Algorithm 3.1); the
          iterate stays sparse + low rank, ``O(|Omega| r + (m + n) r^2)`` per
          iteration, but the iterations contract only by about ``1 - p``
          (``p`` the observed fraction): many are needed for high accuracy.
        - ``"svd"``: Soft-Impute (Mazumder et al. 2010), an SVD of the dense
          filled-in matrix per iteration (randomized above 1000 rows and
          columns when ``max_rank`` is small); for moderate sizes.
    max_iter : int, default=200
        Maximum number of iterations.
    tol : float, default=1e-4
        Stop when :math:`\|Z_{k} - Z_{k-1}\|_F / \|Z_{k-1}\|_F` falls
        below ``tol``.
    init : {"svd", "random"}, default="svd"
        ``"svd"``: the rank-``max_rank`` SVD of the zero-filled data divided
        by the observed fraction; ``"random"``: random orthonormal factors.
    center : bool or {"columns", "both"}, default=False
        ``True`` / ``"columns"``: remove the mean of the observed entries of
        every column first (kept in ``mean_``, carried to new rows).
        ``"both"``: also remove row effects, alternating row and column
        centring (the additive part of bi-scaling); a new row's offset is the
        mean of its observed entries after column centring. Added back to
        the completion.
    keep_observed : bool, default=True
        Return the observed entries as they are in ``transform`` /
        ``fit_transform``; ``False`` returns the low-rank fit everywhere.
    missing_values : float, default=np.nan
        The placeholder of missing entries in dense input.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization and the randomized SVDs.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (``None`` follows the input). Sparse input is
        computed on the CPU.
    verbose : int, default=0
        Print the relative change at every iteration.

    Attributes
    ----------
    components_ : ndarray of shape (rank_, n_features)
        Right singular vectors of the completed (centred) matrix: the column
        factors.
    singular_values_ : ndarray of shape (rank_,)
        Its singular values (after shrinkage).
    row_factors_ : ndarray of shape (n_samples, rank_)
        Left singular vectors times singular values for the training rows:
        ``row_factors_ @ components_ + mean_`` is the transductive fit.
    mean_ : ndarray of shape (n_features,)
        Column means removed before the fit (zeros without ``center``).
    row_offsets_ : ndarray of shape (n_samples,)
        Row effects of the training rows (zeros unless ``center="both"``).
    shrinkage_ : float
        The :math:`\lambda` used.
    rank_ : int
        Rank of the solution.
    n_iter_ : int
        Iterations run.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has feature names that are all strings.

    See Also
    --------
    soft_impute_path : Warm-started path over ``shrinkage`` with held-out error.
    AltMinCompletion : Rank-k alternating minimization.
    FactorizedCompletion : Gradient descent on an asymmetric factorization.

    Notes
    -----
    **Data larger than memory (Dask).** ``fit`` also accepts a
    ``dask.array.Array`` chunked by rows (any number of row chunks; column
    chunks are merged), with missing entries marked by ``missing_values``,
    and fits it with the ``"exact_als"`` solver block by block, never
    gathering the matrix on one machine: one task per row block solves its
    rows' ridge regressions and returns its share of the columns' normal
    equations (``n_features x r x r``), which are summed in a tree and solved
    on the client. One iteration is one pass over the data; the row factors
    stay on the workers between iterations. The spectral initialization uses
    ``dask.array.linalg.svd_compressed`` and the final thresholded SVD
    ``dask.array.linalg.tsqr``. The client holds ``O((n_samples +
    n_features r) r)`` numbers (the fitted row factors and the normal
    equations); each worker one row block at a time. The iterates and the
    stopping rule are those of the in-memory ``"exact_als"`` fit, so the two
    agree to the tolerance (the random sketches of the initialization
    differ). ``transform`` and ``fit_transform`` of a Dask array return lazy
    Dask arrays computed block by block. The blocks are computed with NumPy
    (``device`` does not apply); the other solvers do not accept Dask input.
    Runs on any Dask scheduler, e.g. a ``dask.distributed`` cluster.

    References
    ----------
    R. Mazumder, T. Hastie, R. Tibshirani. Spectral Regularization Algorithms
    for Learning Large Incomplete Matrices. JMLR 11, 2010.
    T. Hastie, R. Mazumder, J. Lee, R. Zadeh. Matrix Completion and Low-Rank
    SVD via Fast Alternating Least Squares. JMLR 16, 2015.

    Examples
    --------
    >>> from sksubspace.datasets import make_low_rank_completion
    >>> from sksubspace.impute import SoftImpute
    >>> X, M, mask = make_low_rank_completion(100, 80, 3, observed_fraction=0.5, random_state=0)
    >>> imp = SoftImpute(max_rank=10, random_state=0).fit(X)
    >>> Z = imp.transform(X)
    >>> err = np.linalg.norm((Z - M)[~mask]) / np.linalg.norm(M[~mask])
    >>> imp.rank_, bool(err < 1e-2)
    (3, True)
    """

    # Row-chunked Dask input is routed to a Dask strategy before validate_data.
    _accepts_dask = True
    _parameter_constraints = {
        "shrinkage": [Interval(numbers.Real, 0, None, closed="left"), None],
        "max_rank": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "solver": [StrOptions({"exact_als", "als", "svd"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "init": [StrOptions({"svd", "random"})],
        "center": ["boolean", StrOptions({"columns", "both"})],
        "keep_observed": ["boolean"],
        "missing_values": [numbers.Real],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
        "verbose": ["verbose"],
    }

    _test_init_params = {"max_iter": 50}

    def __init__(
        self,
        shrinkage=None,
        *,
        max_rank=None,
        solver="exact_als",
        max_iter=200,
        tol=1e-4,
        init="svd",
        center=False,
        keep_observed=True,
        missing_values=np.nan,
        random_state=None,
        device=None,
        verbose=0,
    ):
        self.shrinkage = shrinkage
        self.max_rank = max_rank
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.center = center
        self.keep_observed = keep_observed
        self.missing_values = missing_values
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _fold_in_ridge(self):
        return self.shrinkage_

    def _fit_factors(self, obs, xp):
        _check_rank(self.max_rank, obs.shape, "max_rank")
        rng = check_random_state(self.random_state)
        seed = rng.randint(np.iinfo(np.int32).max)
        if self.shrinkage is None:
            self.shrinkage_ = DEFAULT_SHRINKAGE_RATIO * lambda_max(obs, random_state=seed)
        else:
            self.shrinkage_ = float(self.shrinkage)
        rank = _working_rank(self.max_rank, obs.shape, self.solver)
        U, d, V = initial_factors(obs, rank, self.init, seed, xp)
        if self.solver == "exact_als":
            U, s, Vt, n_iter, ok = soft_impute_exact_als(
                obs,
                self.shrinkage_,
                U,
                d,
                V,
                max_iter=self.max_iter,
                tol=self.tol,
                xp=xp,
                verbose=self.verbose,
            )
        elif self.solver == "als":
            U, s, Vt, n_iter, ok = soft_impute_als(
                obs,
                self.shrinkage_,
                U,
                d,
                V,
                max_iter=self.max_iter,
                tol=self.tol,
                xp=xp,
                verbose=self.verbose,
            )
        else:
            U, s, Vt, n_iter, ok = soft_impute_svd(
                obs,
                self.shrinkage_,
                U,
                d,
                V,
                max_rank=rank,
                max_iter=self.max_iter,
                tol=self.tol,
                xp=xp,
                random_state=seed,
                verbose=self.verbose,
            )
        self.n_iter_ = n_iter
        if not ok:
            warnings.warn(
                f"SoftImpute did not converge in max_iter={self.max_iter} iterations "
                f"(tol={self.tol}); increase max_iter or tol.",
                ConvergenceWarning,
            )
        return U, s, Vt

    def _fit_dask(self, X):
        from ._dask_als import fit_dask

        U, s, Vt, mean, offsets = fit_dask(self, X)
        self.n_features_in_ = int(X.shape[1])
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.rank_ = int(s.shape[0])
        self.mean_ = mean
        self.row_offsets_ = offsets
        self.components_ = Vt
        self.singular_values_ = s
        self.row_factors_ = U * s

    def _check_dask_features(self, X):
        check_is_fitted(self)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        if is_dask_array(X):
            self._fit_dask(X)
            return self
        return super().fit(X, y)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        if is_dask_array(X):
            from ._dask_als import complete_dask

            self._fit_dask(X)
            return complete_dask(self, X)
        return super().fit_transform(X, y)

    def transform(self, X):
        if is_dask_array(X):
            from ._dask_als import transform_dask

            self._check_dask_features(X)
            return transform_dask(self, X)
        return super().transform(X)

    fit.__doc__ = _BaseCompletion.fit.__doc__.replace(
        "the stored entries are the observed ones.",
        "the stored entries are the observed ones. A ``dask.array.Array``\n"
        "            chunked by rows is fitted block by block (see Notes).",
    )
    fit_transform.__doc__ = _BaseCompletion.fit_transform.__doc__.replace(
        "X_completed : ndarray of shape (n_samples, n_features)",
        "X_completed : ndarray of shape (n_samples, n_features)\n"
        "            A lazy ``dask.array.Array`` for Dask input.",
    )
    transform.__doc__ = _BaseCompletion.transform.__doc__.replace(
        "Dense; for sparse input",
        "Dense (a lazy ``dask.array.Array``, row block by row block, for\n"
        "            Dask input); for sparse input",
    )
