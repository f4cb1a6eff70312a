"""AltMinCompletion: rank-k alternating minimization with inexact, preconditioned steps."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_random_state

from .._backend import as_index, to_float
from .._linalg import safe_matmul
from .._sklearn_compat import Interval, StrOptions, _fit_context
from ._base import (
    _BaseCompletion,
    _check_rank,
    _default_rank,
    _Observed,
    relative_change,
    svd_of_product,
)
from ._soft_impute import initial_factors


def _transposed(obs):
    """The observed entries of ``X.T`` (for the column half-step)."""
    if obs.sparse:
        return _Observed._from_coo(obs.shape[::-1], obs.values, obs.cols, obs.rows, obs.dtype)
    xp = obs.xp
    t = _Observed(obs.shape[::-1], obs.dtype, xp)
    t.W, t.X0 = xp.matrix_transpose(obs.W), xp.matrix_transpose(obs.X0)
    t.n_observed = obs.n_observed
    return t


def _hessian_apply(obs, P, B, mu):
    """Row-wise normal operators at once: row ``i`` of ``P_Omega(P B') B + mu P``.

    Costs ``O(|Omega| k)``: the Gram matrices ``B_o' B_o`` are never formed.
    """
    if obs.sparse:
        E = obs._csr(obs.entries(P, B))
        return np.asarray(E @ B) + mu * P
    xp = obs.xp
    return (obs.W * (P @ xp.matrix_transpose(B))) @ B + mu * P


def _sketch_preconditioner(obs, B, mu, sketch_size, rng, xp):
    """``M_i = c_i G + mu I`` with ``G`` from a row-sampling sketch of ``B``.

    ``c_i`` is row ``i``'s observed fraction, so ``c_i G`` is the expected
    Gram matrix ``E[B_o' B_o]`` under uniform sampling; ``G = (n / s) (S B)'(S B)``
    from ``s = sketch_size`` sampled rows costs ``O(s k^2)``. Applied through
    one eigendecomposition of ``G`` shared by all rows.
    """
    n, k = B.shape
    if sketch_size < n:
        idx = rng.choice(n, size=sketch_size, replace=False)
        SB = xp.take(B, as_index(np.sort(idx), B), axis=0)
        G = (n / sketch_size) * (xp.matrix_transpose(SB) @ SB)
    else:
        G = xp.matrix_transpose(B) @ B
    lam, Q = xp.linalg.eigh(G)
    lam = xp.clip(lam, 0, None)
    counts = _row_counts(obs, xp)
    c = counts / float(n)
    denom = c[:, None] * lam[None, :] + (mu + 1e-12 * to_float(xp.max(lam)) + 1e-300)

    def apply(R):
        return ((R @ Q) / denom) @ xp.matrix_transpose(Q)

    return apply


def _effective_ridge(mu, B, xp):
    """``mu`` plus a floor of 1e-6 times one entry's mean Hessian contribution.

    Keeps the row problems of rows with fewer than ``k`` observed entries
    (singular without a ridge) well posed; negligible otherwise.
    """
    return mu + 1e-6 * to_float(xp.sum(B * B)) / B.shape[0]


def _row_counts(obs, xp):
    if obs.sparse:
        return np.diff(obs.indptr).astype(obs.dtype)
    return xp.sum(obs.W, axis=1)


def cg_half_step(obs, A, B, mu, n_steps, precond):
    """A few preconditioned conjugate gradient steps on every row's ridge problem.

    Row ``i`` solves ``(B_o' B_o + mu I) a_i = B_o' x_o``; all rows advance
    together (their CG scalars are per row), warm-started from ``A``.
    """
    xp = obs.xp
    rhs = safe_matmul(obs.zero_filled(), B)
    R = rhs - _hessian_apply(obs, A, B, mu)
    Z = precond(R)
    P = Z
    rz = xp.sum(R * Z, axis=1)
    for _ in range(n_steps):
        HP = _hessian_apply(obs, P, B, mu)
        den = xp.sum(P * HP, axis=1)
        alpha = xp.where(den > 0, rz / xp.where(den > 0, den, xp.ones_like(den)), 0 * den)
        A = A + alpha[:, None] * P
        R = R - alpha[:, None] * HP
        Z = precond(R)
        rz_new = xp.sum(R * Z, axis=1)
        beta = xp.where(rz > 0, rz_new / xp.where(rz > 0, rz, xp.ones_like(rz)), 0 * rz)
        P = Z + beta[:, None] * P
        rz = rz_new
    return A


class AltMinCompletion(_BaseCompletion):
    r"""Low-rank matrix completion by alternating minimization with inexact steps.

    Solves

    .. math::

        \min_{A \in \mathbb{R}^{m \times k},\, B \in \mathbb{R}^{n \times k}}
        \tfrac12 \|P_\Omega(X - A B^\top)\|_F^2
        + \tfrac{\mu}{2} (\|A\|_F^2 + \|B\|_F^2)

    by alternating over :math:`A` and :math:`B` from a spectral start. Each
    half-step is a ridge regression per row (per column) that is solved only
    approximately: ``n_cg_steps`` conjugate gradient steps, warm-started from
    the current factor and preconditioned with the expected Gram matrix built
    from a sketch of the fixed factor. A CG step costs ``O(|Omega| k)``
    (the ``k x k`` Gram matrix of every row is never formed), against
    ``O(|Omega| k^2)`` for an exact solve; alternating minimization still
    converges with such approximate steps (Gu, Song, Yin & Zhang).

    Parameters
    ----------
    rank : int or None, default=None
        ``None`` uses ``min(10, n_samples, n_features)``.
        The rank :math:`k` of the factorization.
    regularization : float, default=0.0
        :math:`\mu`, the ridge on both factors (also used to fold new rows
        in). Zero fits the rank-``k`` model by least squares.
    max_iter : int, default=100
        Maximum number of alternations.
    tol : float, default=1e-4
        Stop when :math:`\|Z_k - Z_{k-1}\|_F / \|Z_{k-1}\|_F < ` ``tol``.
    n_cg_steps : int, default=3
        Conjugate gradient steps per half-step.
    sketch_size : int or None, default=None
        Rows of the fixed factor sampled to build the preconditioner; ``None``
        uses ``min(n, max(200, 20 * rank))``.
    center : bool or {"columns", "both", "biases"}, default=False
        ``True`` / ``"columns"``: remove the mean of the observed entries of
        every column first (kept in ``mean_``, carried to new rows; the
        global mean for a column with none). ``"both"``: also remove row
        effects, alternating row and column centring (the additive part of
        bi-scaling); a new row's offset is the mean of its observed entries
        after column centring. ``"biases"``: the global mean
        (``intercept_``) and regularized row and column biases, fitted first
        (the baseline predictor, as in :class:`SoftImpute`, whose
        ``"exact_als"`` solver fits them jointly with the factors); the
        factors complete the residual; a new row's bias is fitted jointly
        with its factor. Added back to the completion; a row or column with
        no observed entry is predicted by the biases.
    bias_shrinkage : float or "auto", default="auto"
        The ridge (pseudo-count) on the biases with ``center="biases"``;
        ``"auto"`` chooses it on a held-out tenth of the observed entries
        (see :class:`SoftImpute`).
    clip : bool, default=False
        Clip the predictions to the range of the observed training values.
    keep_observed : bool, default=True
        Keep observed entries in ``transform`` / ``fit_transform``.
    missing_values : float, default=np.nan
        Placeholder of missing entries in dense input.
    random_state : int, RandomState instance or None, default=None
        Seeds the spectral initialization and the sketches.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (``None`` follows the input); sparse input runs on
        the CPU.
    verbose : int, default=0
        Print the relative change at every iteration.

    Attributes
    ----------
    components_ : ndarray of shape (rank_, n_features)
        Right singular vectors of the fitted matrix (column factors).
    singular_values_ : ndarray of shape (rank_,)
    row_factors_ : ndarray of shape (n_samples, rank_)
        ``row_factors_ @ components_ + mean_`` is the fit of the training rows.
    mean_ : ndarray of shape (n_features,)
        Column effects removed before the fit (with ``center="biases"``:
        ``intercept_`` plus the column biases; zeros without ``center``).
    row_offsets_ : ndarray of shape (n_samples,)
        Row effects of the training rows (the row biases with
        ``center="biases"``; zeros unless ``center`` is ``"both"`` or
        ``"biases"``).
    intercept_ : float
        The global mean with ``center="biases"``, 0 otherwise.
    bias_shrinkage_ : float
        The ridge on the biases used (``center="biases"`` only).
    value_range_ : tuple of float
        Smallest and largest observed training value (the bounds of ``clip``).
    rank_ : int
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has feature names that are all strings.

    See Also
    --------
    SoftImpute : Nuclear-norm regularized completion (rank chosen by the penalty).

    References
    ----------
    Y. Gu, Z. Song, J. Yin, L. Zhang. Low Rank Matrix Completion via Robust
    Alternating Minimization in Nearly Linear Time. ICLR 2024.
    P. Jain, P. Netrapalli, S. Sanghavi. Low-rank Matrix Completion using
    Alternating Minimization. STOC 2013.

    Examples
    --------
    >>> from sksubspace.datasets import make_low_rank_completion
    >>> from sksubspace.impute import AltMinCompletion
    >>> X, M, mask = make_low_rank_completion(100, 80, 3, observed_fraction=0.5, random_state=0)
    >>> est = AltMinCompletion(rank=3, random_state=0).fit(X)
    >>> Z = est.transform(X)
    >>> err = np.linalg.norm((Z - M)[~mask]) / np.linalg.norm(M[~mask])
    >>> bool(err < 1e-3)
    True
    """

    _parameter_constraints = {
        "rank": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "regularization": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "n_cg_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "sketch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "center": ["boolean", StrOptions({"columns", "both", "biases"})],
        "bias_shrinkage": [Interval(numbers.Real, 0, None, closed="left"), StrOptions({"auto"})],
        "clip": ["boolean"],
        "keep_observed": ["boolean"],
        "missing_values": [numbers.Real],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        rank=None,
        *,
        regularization=0.0,
        max_iter=100,
        tol=1e-4,
        n_cg_steps=3,
        sketch_size=None,
        center=False,
        bias_shrinkage="auto",
        clip=False,
        keep_observed=True,
        missing_values=np.nan,
        random_state=None,
        device=None,
        verbose=0,
    ):
        self.rank = rank
        self.regularization = regularization
        self.max_iter = max_iter
        self.tol = tol
        self.n_cg_steps = n_cg_steps
        self.sketch_size = sketch_size
        self.center = center
        self.bias_shrinkage = bias_shrinkage
        self.clip = clip
        self.keep_observed = keep_observed
        self.missing_values = missing_values
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _fold_in_ridge(self):
        return self.regularization

    def _fit_factors(self, obs, xp):
        _check_rank(self.rank, obs.shape, "rank")
        k = _default_rank(self.rank, obs.shape)
        rng = check_random_state(self.random_state)
        mu = float(self.regularization)
        U, d, V = initial_factors(obs, k, "svd", rng.randint(np.iinfo(np.int32).max), xp)
        sq = xp.sqrt(d)
        A, B = U * sq, V * sq
        obs_t = _transposed(obs)
        m, n = obs.shape
        converged = False
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            s_b = min(n, max(200, 20 * k)) if self.sketch_size is None else min(n, self.sketch_size)
            mu_b = _effective_ridge(mu, B, xp)
            A = cg_half_step(
                obs, A, B, mu_b, self.n_cg_steps, _sketch_preconditioner(obs, B, mu_b, s_b, rng, xp)
            )
            s_a = min(m, max(200, 20 * k)) if self.sketch_size is None else min(m, self.sketch_size)
            mu_a = _effective_ridge(mu, A, xp)
            B = cg_half_step(
                obs_t,
                B,
                A,
                mu_a,
                self.n_cg_steps,
                _sketch_preconditioner(obs_t, A, mu_a, s_a, rng, xp),
            )
            U1, d1, V1 = svd_of_product(A, B, xp)
            change = relative_change(U, d, V, U1, d1, V1, xp)
            U, d, V = U1, d1, V1
            # Rebalance the factors (A'A = B'B) so the two half-steps stay well scaled.
            sq = xp.sqrt(d)
            A, B = U * sq, V * sq
            if self.verbose:
                print(f"[AltMinCompletion] iter {n_iter}: relative change {change:.3e}")
            if change < self.tol:
                converged = True
                break
        self.n_iter_ = n_iter
        if not converged:
            warnings.warn(
                f"AltMinCompletion did not converge in max_iter={self.max_iter} iterations "
                f"(tol={self.tol}); increase max_iter or tol.",
                ConvergenceWarning,
            )
        return U, d, xp.matrix_transpose(V)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        return super().fit(X, y)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        return super().fit_transform(X, y)

    fit.__doc__ = _BaseCompletion.fit.__doc__
    fit_transform.__doc__ = _BaseCompletion.fit_transform.__doc__
