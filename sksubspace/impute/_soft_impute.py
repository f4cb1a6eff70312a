"""SoftImpute: nuclear-norm regularized matrix completion (ALS and SVD solvers)."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_random_state
from threadpoolctl import threadpool_limits

from .._backend import from_numpy, get_namespace, is_numpy, to_float
from .._dask import pick_ops
from .._linalg import randomized_svd, safe_matmul, safe_rmatmul
from .._sklearn_compat import Interval, StrOptions, _fit_context
from ._base import (
    DEFAULT_SHRINKAGE_RATIO,
    Biases,
    _BaseCompletion,
    _check_rank,
    _working_rank,
    biased_ridge_rows,
    check_observed,
    relative_change,
    ridge_rows,
    svd_of_product,
)
from ._dask_als import DaskALSOps

_NP = get_namespace(np.empty(0))


def lambda_max(obs, random_state=None):
    """``lambda_0``: the largest singular value of the zero-filled (centred) data.

    The smallest shrinkage for which the SoftImpute solution is zero.
    """
    _, s, _ = randomized_svd(obs.zero_filled(), 1, n_iter=6, random_state=random_state)
    return to_float(s[0])


# shrinkage="auto": the path tried, as fractions of lambda_0 (geometric), and
# its tolerance (the held-out error needs no more accuracy than this).
AUTO_N_SHRINKAGES = 20
AUTO_MIN_RATIO = 1e-3
AUTO_PATH_TOL = 1e-3
AUTO_PATH_MAX_ITER = 3
# Below this many observed entries "auto" has nothing to hold out: it uses None's rule.
AUTO_MIN_OBSERVED = 20


def initial_factors(obs, rank, init, random_state, xp):
    """Starting point ``(U, d, V)`` with ``Z = U diag(d) V'``.

    ``"svd"``: the rank-``rank`` SVD of ``P_Omega(X) / p`` (``p`` the observed
    fraction), the spectral initialization of Keshavan et al. ``"random"``:
    random orthonormal ``U``, unit ``d`` and ``V = 0`` (Hastie et al. 2015).
    """
    m, n = obs.shape
    like = xp.zeros(1, dtype=obs.dtype, **obs.device)
    if init == "svd":
        p = obs.n_observed / float(m * n)
        U, s, Vt = randomized_svd(obs.zero_filled(), rank, n_iter=4, random_state=random_state)
        return U, s / max(p, 1e-12), xp.matrix_transpose(Vt)
    rng = check_random_state(random_state)
    U, _ = xp.linalg.qr(from_numpy(rng.standard_normal((m, rank)), like))
    dev = obs.device
    return U, xp.ones(rank, dtype=obs.dtype, **dev), xp.zeros((n, rank), dtype=obs.dtype, **dev)


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
        Bt = (safe_rmatmul(S, U) + V * d) * (d / (d + lam))
        V, d, Rt = xp.linalg.svd(Bt, full_matrices=False)
        U = U @ xp.matrix_transpose(Rt)
        # A-step, symmetric.
        S = obs.residual(U * d, V)
        At = (safe_matmul(S, V) + U * d) * (d / (d + lam))
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
    M = safe_matmul(S, V) + U * d
    U, s, Rt = xp.linalg.svd(M, full_matrices=False)
    V = V @ xp.matrix_transpose(Rt)
    s = xp.clip(s - lam, 0, None)
    return U, s, xp.matrix_transpose(V)


def soft_impute_exact_als(obs, shrinkage, U, d, V, *, max_iter, tol, xp, verbose=0, biases=None):
    """Alternating ridge regressions (Hastie et al. 2015, Algorithm 2.1).

    Minimizes the factored form of the same objective,
    ``1/2 ||P_Omega(X - A B')||^2 + lam/2 (||A||^2 + ||B||^2)``, whose
    minimizer is the SoftImpute solution whenever its rank is at most the
    working rank (Mazumder et al. 2010, Theorem 3; ``||Z||_* = min 1/2 (||A||^2
    + ||B||^2)`` over ``Z = A B'``). Every half-step solves each row's (or
    column's) ridge problem exactly, batched (:func:`ridge_rows`): an
    iteration costs ``O(|Omega| r^2 + (m + n) r^3)``, more than softImpute-ALS,
    but far fewer iterations are needed when few entries are observed.

    With ``biases`` (a :class:`Biases`, updated in place) every half-step
    also fits the row (column) effects, jointly with the factors: the row
    problem regresses ``x_ij - c_j`` on ``[B_j, 1]`` with the ridge ``lam``
    on the factor and ``biases.ridge`` on the effect
    (:func:`biased_ridge_rows`); the stopping rule then also watches the
    effects.
    """
    lam = float(shrinkage)
    if biases is None:
        W, Xc, Wt, Xct = obs.ridge_operands()
    B = V * xp.sqrt(d)
    if not bool(xp.any(B != 0)):
        # init="random" starts from V = 0: fit the column factors to U first.
        if biases is None:
            B = ridge_rows(Wt, Xct, U * xp.sqrt(d), lam, xp)
        else:
            _, _, Wt, Xct = obs.biased_operands(biases.row, biases.col)
            B, biases.col = biased_ridge_rows(Wt, Xct, U * xp.sqrt(d), lam, biases.ridge, xp)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        if biases is None:
            A = ridge_rows(W, Xc, B, lam, xp)
            B = ridge_rows(Wt, Xct, A, lam, xp)
            effects = None
        else:
            b0, c0 = biases.row, biases.col
            W, Xc, _, _ = obs.biased_operands(b0, c0)
            A, biases.row = biased_ridge_rows(W, Xc, B, lam, biases.ridge, xp)
            _, _, Wt, Xct = obs.biased_operands(biases.row, c0)
            B, biases.col = biased_ridge_rows(Wt, Xct, A, lam, biases.ridge, xp)
            effects = _effects_change(b0, c0, biases, xp)
        U1, d1, V1 = svd_of_product(A, B, xp)
        change = relative_change(U, d, V, U1, d1, V1, xp)
        if effects is not None:
            # Relative change of the whole fit but the global mean: low-rank part plus effects.
            low = to_float(xp.sum(d * d))
            num = change**2 * low + effects[0]
            change = (num / max(low + effects[1], 1e-300)) ** 0.5
        U, d, V = U1, d1, V1
        if verbose:
            print(f"[SoftImpute exact_als] iter {n_iter}: relative change {change:.3e}")
        if change < tol:
            converged = True
            break
    if biases is not None:
        obs = obs.shifted(biases.row, biases.col)
    U, s, Vt = final_threshold(obs, lam, U, d, V, xp)
    return U, s, Vt, n_iter, converged


def _effects_change(b0, c0, biases, xp):
    """``(||E1 - E0||_F^2, ||E0||_F^2)`` for the effects ``E = b 1' + 1 c'`` (m x n, not formed)."""
    m, n = b0.shape[0], c0.shape[0]

    def sq(b, c):
        return to_float(n * xp.sum(b * b) + m * xp.sum(c * c) + 2 * xp.sum(b) * xp.sum(c))

    return sq(biases.row - b0, biases.col - c0), sq(b0, c0)


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


class _InMemoryOps:
    """SoftImpute on in-memory data (NumPy, SciPy sparse, CuPy, any array API).

    The shared machinery of :class:`_BaseCompletion`; ``DaskALSOps`` (in
    ``_dask_als``) has the same three methods for a row-chunked Dask array.
    """

    @staticmethod
    def fit(est, X):
        return _BaseCompletion.fit(est, X)

    @staticmethod
    def fit_transform(est, X):
        return _BaseCompletion.fit_transform(est, X)

    @staticmethod
    def transform(est, X):
        return _BaseCompletion.transform(est, X)


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
    shrinkage : "auto", float or None, default="auto"
        :math:`\lambda`. ``"auto"`` chooses it on held-out entries: a random
        ``validation_fraction`` of the observed entries is set aside, the
        model is fitted on the rest along a warm-started path of
        :math:`\lambda` decreasing geometrically from ``lambda_0`` (the
        largest singular value of the zero-filled, centred data: the smallest
        :math:`\lambda` whose solution is zero) to ``1e-3 * lambda_0``,
        stopping two values after the held-out error stops falling; the
        :math:`\lambda` with the smallest held-out error is refitted on all
        the entries, warm-started from the path's factors (see
        :func:`soft_impute_path` for the curve itself). A float fixes
        :math:`\lambda`. ``None`` uses ``1e-3 * lambda_0``: with the rank
        capped by ``max_rank`` this behaves like a rank-constrained fit with a
        light ridge, which recovers noiseless low-rank data to high accuracy
        at the cost of one fit (no path).
    max_rank : int or None, default=None
        Cap on the rank of the iterate (the working rank ``r`` of the ALS
        solvers). ``None``, for the ALS solvers (whose cost grows with
        ``r^2``): the largest rank whose ``(n_samples + n_features) r``
        factor entries get at least 4 observed entries each, at least 2 and
        at most ``min(n_samples, n_features, 50)`` (7 on MovieLens-100K,
        where it is both faster and more accurate than larger caps); for
        ``"svd"``: ``min(n_samples, n_features)``. Set it to a bound on the
        rank you expect. Below the cap the working rank follows the rank of
        the solution.
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
    tol : float, default=1e-3
        Stop when :math:`\|Z_{k} - Z_{k-1}\|_F / \|Z_{k-1}\|_F` falls
        below ``tol`` (:math:`Z` the fit less the global mean: the low-rank
        part plus the row and column biases with ``center="biases"``).
    init : {"svd", "random"}, default="svd"
        ``"svd"``: the rank-``max_rank`` SVD of the zero-filled data divided
        by the observed fraction; ``"random"``: random orthonormal factors.
    center : {"biases", "both", "columns"} or bool, default="biases"
        What is removed before (or fitted with) the low-rank part, and added
        back to the completion.

        - ``"biases"``: the global mean of the observed entries
          (``intercept_``) and regularized row and column biases (the
          baseline predictor of recommender systems, "user and item
          biases"), :math:`x_{ij} \approx \mu + b_i + c_j + z_{ij}` with the
          penalty ``bias_shrinkage`` :math:`(\|b\|^2 + \|c\|^2)`. The
          ``"exact_als"`` solver fits them jointly with the low-rank part
          (every half-step regresses on the factors and a constant); the
          other solvers fit them first and complete the residual. A row or
          column with no observed entry is predicted by the biases it has
          (a new user: :math:`\mu + c_j`, never 0).
        - ``"both"``: unregularized row and column effects, alternating row
          and column centring (the additive part of bi-scaling).
        - ``True`` / ``"columns"``: the mean of the observed entries of every
          column (the global mean for a column with none).
        - ``False``: nothing.

        A new row's offset (``transform``) is fitted as in the fit: jointly
        with its factor for ``"biases"``, the mean of its observed entries
        after column centring for ``"both"``.
    bias_shrinkage : float or "auto", default="auto"
        The ridge on the biases with ``center="biases"``, a pseudo-count: a
        row with ``n_i`` observed entries has its bias shrunk by about
        ``n_i / (n_i + bias_shrinkage)``. ``"auto"`` picks it from
        ``(100, 50, 20, 10, 5, 2, 1, 0)`` by the held-out error of the
        bias-only model on a tenth of the observed entries.
    validation_fraction : float, default=0.1
        Fraction of the observed entries held out by ``shrinkage="auto"``.
    clip : bool, default=False
        Clip the predictions (``fit_transform``, ``transform``,
        ``predict_entries``) to the range of the observed training values,
        e.g. a 1-5 rating scale.
    keep_observed : bool, default=True
        Return the observed entries as they are in ``transform`` /
        ``fit_transform``; ``False`` returns the low-rank fit everywhere.
    missing_values : float, default=np.nan
        The placeholder of missing entries in dense input.
    random_state : int, RandomState instance or None, default=None
        Seeds the spectral initialization, the randomized SVDs and the
        held-out splits. ``None`` uses a fixed seed, so that the default fit
        is a deterministic function of the data (the spectral start is a
        randomized SVD; an unseeded one would change the iterations and,
        through ``max_rank``, the rank of the result from fit to fit).
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (``None`` follows the input). Sparse input is
        computed on the CPU; the ``shrinkage="auto"`` path always is.
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
        Column effects removed before the fit: ``intercept_`` plus the column
        biases with ``center="biases"``, the column means with ``"both"`` /
        ``"columns"``, zeros without ``center``.
    row_offsets_ : ndarray of shape (n_samples,)
        Row effects of the training rows: the row biases with
        ``center="biases"``, the row offsets with ``"both"``, zeros otherwise.
    intercept_ : float
        The global mean of the observed entries with ``center="biases"``
        (``mean_ - intercept_`` are the column biases), 0 otherwise.
    bias_shrinkage_ : float
        The ridge on the biases used (``center="biases"`` only).
    value_range_ : tuple of float
        Smallest and largest observed training value (the bounds of ``clip``).
    shrinkage_ : float
        The :math:`\lambda` used.
    shrinkage_path_ : ndarray
        With ``shrinkage="auto"``: the :math:`\lambda` values tried (decreasing).
    validation_rmse_ : ndarray
        With ``shrinkage="auto"``: their held-out root mean squared errors.
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
    equations); each worker its share of the row factors (the previous and
    the next during a pass) and one row block at a time, worked through in
    slices (the scaling guide gives the measured memory per worker). The
    iterates and the stopping rule are those of the in-memory
    ``"exact_als"`` fit, so the two agree to the tolerance (the random
    sketches of the initialization differ). ``transform`` and ``fit_transform`` of a Dask array return lazy
    Dask arrays computed block by block. The blocks are computed with NumPy
    (``device`` does not apply); the other solvers do not accept Dask input.
    Runs on any Dask scheduler, e.g. a ``dask.distributed`` cluster. The
    ratings defaults (``shrinkage="auto"``, ``center="biases"``) are fitted in
    memory: with a Dask array pass ``shrinkage`` (a float, e.g. chosen by
    :func:`soft_impute_path` on an in-memory sample of rows, or None) and
    ``center`` (``"both"``, ``"columns"`` or False) explicitly; the defaults
    raise a ``ValueError`` saying so.

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
    >>> imp = SoftImpute(max_rank=10).fit(X)
    >>> Z = imp.transform(X)
    >>> err = np.linalg.norm((Z - M)[~mask]) / np.linalg.norm(M[~mask])
    >>> bool(err < 1e-2)
    True

    A row with no observed entry (a new user) is predicted by the biases:

    >>> X[0] = np.nan
    >>> imp = SoftImpute(max_rank=10).fit(X)
    >>> bool(np.allclose(imp.fit_transform(X)[0], imp.mean_))
    True
    """

    # Row-chunked Dask input is routed to a Dask strategy before validate_data.
    _accepts_dask = True
    _parameter_constraints = {
        "shrinkage": [Interval(numbers.Real, 0, None, closed="left"), StrOptions({"auto"}), None],
        "max_rank": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "solver": [StrOptions({"exact_als", "als", "svd"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "init": [StrOptions({"svd", "random"})],
        "center": ["boolean", StrOptions({"columns", "both", "biases"})],
        "bias_shrinkage": [Interval(numbers.Real, 0, None, closed="left"), StrOptions({"auto"})],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "clip": ["boolean"],
        "keep_observed": ["boolean"],
        "missing_values": [numbers.Real],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
        "verbose": ["verbose"],
    }

    _test_init_params = {"max_iter": 50}

    def __init__(
        self,
        shrinkage="auto",
        *,
        max_rank=None,
        solver="exact_als",
        max_iter=200,
        tol=1e-3,
        init="svd",
        center="biases",
        bias_shrinkage="auto",
        validation_fraction=0.1,
        clip=False,
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
        self.bias_shrinkage = bias_shrinkage
        self.validation_fraction = validation_fraction
        self.clip = clip
        self.keep_observed = keep_observed
        self.missing_values = missing_values
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _fold_in_ridge(self):
        return self.shrinkage_

    def _fits_biases_jointly(self):
        return self.solver == "exact_als"

    def _fit_factors(self, obs, xp):
        if not obs.sparse:
            return self._fit_factors_in(obs, xp)
        # With indexed (sparse) storage the ALS steps are batches of tiny
        # (rank x rank) products and solves: threaded BLAS only adds overhead
        # to them (3-10x slower with 2 threads on MovieLens-100K), so it runs
        # at one thread. (The dense masked products are large GEMMs.)
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit_factors_in(obs, xp)

    def _fit_factors_in(self, obs, xp):
        _check_rank(self.max_rank, obs.shape, "max_rank")
        # The default fit is deterministic: None seeds the sketches and the split with 0.
        rng = check_random_state(0 if self.random_state is None else self.random_state)
        seed = rng.randint(np.iinfo(np.int32).max)
        rank = _working_rank(self.max_rank, obs.shape, self.solver, obs.n_observed)
        biases = getattr(self, "biases_", None)
        kw = {} if biases is None else {"biases": biases}
        spectral = None
        if self.shrinkage == "auto" and obs.n_observed >= AUTO_MIN_OBSERVED:
            U, d, V, spectral = self._select_shrinkage(obs, rank, rng, seed, xp)
        else:
            start = obs if biases is None else obs.shifted(biases.row, biases.col)
            if self.shrinkage is None or self.shrinkage == "auto":
                self.shrinkage_ = DEFAULT_SHRINKAGE_RATIO * lambda_max(start, random_state=seed)
            else:
                self.shrinkage_ = float(self.shrinkage)
            U, d, V = initial_factors(start, rank, self.init, seed, xp)
        common = dict(max_iter=self.max_iter, tol=self.tol, xp=xp, verbose=self.verbose)
        if spectral is not None:
            # The refit on all entries, with the path's adaptive working rank.
            from ._path import fit_adaptive_rank

            U, s, V, n_iter, ok = fit_adaptive_rank(
                obs,
                self.shrinkage_,
                U,
                d,
                V,
                spectral,
                rank,
                biases,
                soft_impute_exact_als,
                self.max_iter,
                self.tol,
            )
            Vt = V.T
        elif self.solver == "exact_als":
            U, s, Vt, n_iter, ok = soft_impute_exact_als(
                obs, self.shrinkage_, U, d, V, **common, **kw
            )
        elif self.solver == "als":
            U, s, Vt, n_iter, ok = soft_impute_als(obs, self.shrinkage_, U, d, V, **common)
        else:
            U, s, Vt, n_iter, ok = soft_impute_svd(
                obs, self.shrinkage_, U, d, V, max_rank=rank, random_state=seed, **common
            )
        self.n_iter_ = n_iter
        if not ok:
            warnings.warn(
                f"SoftImpute did not converge in max_iter={self.max_iter} iterations "
                f"(tol={self.tol}); increase max_iter or tol.",
                ConvergenceWarning,
            )
        return U, s, Vt

    def _select_shrinkage(self, obs, rank, rng, seed, xp):
        """``shrinkage="auto"``: choose lambda on held-out entries along a warm-started path.

        Sets ``shrinkage_``, ``shrinkage_path_`` and ``validation_rmse_`` and
        returns the warm start ``(U, d, V)`` of the final fit (the path's
        factors at the chosen lambda; the biases likewise).
        """
        from ._path import _pad, run_path, split_observed

        train, (hr, hc, hv) = split_observed(obs, self.validation_fraction, rng)
        check_observed(train, "The training part of the observed entries")
        biases = getattr(self, "biases_", None)
        path_biases, start = None, train
        if biases is not None:
            path_biases = Biases(biases.ridge, *train.fit_biases(biases.ridge))
            start = train.shifted(path_biases.row, path_biases.col)
        lam0 = lambda_max(start, random_state=seed)
        shrinkages = lam0 * np.geomspace(1.0, AUTO_MIN_RATIO, AUTO_N_SHRINKAGES + 1)[1:]
        path = run_path(
            train,
            (hr, hc, hv, 0.0),
            shrinkages,
            rank=rank,
            biases=path_biases,
            max_iter=min(self.max_iter, AUTO_PATH_MAX_ITER),
            tol=max(self.tol, AUTO_PATH_TOL),
            seed=seed,
            patience=2,
        )
        self.shrinkage_path_ = path.shrinkages
        self.validation_rmse_ = path.validation_rmse
        U, d, V, best_biases = path.fits[path.one_se_index]
        self.shrinkage_ = float(path.shrinkages[path.one_se_index])
        if biases is not None:
            biases.row, biases.col = best_biases.row, best_biases.col
        U0, V0 = path.spectral
        if self.solver == "exact_als" and is_numpy(xp):
            return U, d, V, (U0, V0)
        # Other solvers and namespaces: start them from all ``rank`` columns.
        like = xp.zeros(1, dtype=obs.dtype, **obs.device)
        U, d, V = (from_numpy(a, like) for a in _pad(U, d, V, U0, V0, rank, self.shrinkage_, _NP))
        if biases is not None:
            biases.row, biases.col = from_numpy(biases.row, like), from_numpy(biases.col, like)
        return U, d, V, None

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        pick_ops(X, in_memory=_InMemoryOps, dask=DaskALSOps).fit(self, X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        return pick_ops(X, in_memory=_InMemoryOps, dask=DaskALSOps).fit_transform(self, X)

    def transform(self, X):
        return pick_ops(X, in_memory=_InMemoryOps, dask=DaskALSOps).transform(self, X)

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
