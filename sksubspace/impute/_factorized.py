"""FactorizedCompletion: gradient descent on an asymmetric factorization F G'."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_random_state

from .._backend import from_numpy, is_numpy, to_float
from .._linalg import safe_matmul, safe_rmatmul
from .._sklearn_compat import Interval, StrOptions, _fit_context
from ._base import (
    _BaseCompletion,
    _check_rank,
    _default_rank,
    _Observed,
    relative_change,
    svd_of_product,
)
from ._soft_impute import initial_factors, lambda_max


def rebalance(F, G, scale, xp):
    """The one-step modification: ``F <- F R``, ``G <- G R^{-T}`` with ``F'F = scale I``.

    The product ``F G'`` is unchanged, but every column of ``F`` (the
    over-parameterized ones included) now has norm ``sqrt(scale)``, so the
    spurious components of ``G`` decay at a linear rate set by ``scale``
    instead of by the (tiny) initialization scale.
    """
    w, Q = xp.linalg.eigh(xp.matrix_transpose(F) @ F)
    w = xp.clip(w, 1e-12 * to_float(xp.max(w)) + 1e-300, None)
    R = (Q / xp.sqrt(w)) @ xp.matrix_transpose(Q) * (scale**0.5)
    Rinv_t = (Q * xp.sqrt(w)) @ xp.matrix_transpose(Q) / (scale**0.5)
    return F @ R, G @ Rinv_t


class FactorizedCompletion(_BaseCompletion):
    r"""Matrix completion by gradient descent on an asymmetric factorization.

    Minimizes

    .. math::

        \frac{1}{2p} \|P_\Omega(F G^\top - X)\|_F^2
        + \frac{\mu}{2} (\|F\|_F^2 + \|G\|_F^2)

    over :math:`F \in \mathbb{R}^{m \times k}`, :math:`G \in \mathbb{R}^{n \times k}`
    (``p`` the observed fraction) by gradient descent, with full gradients or
    minibatches of observed entries. The asymmetric parameterization keeps a
    linear rate when ``rank`` over-estimates the true rank, where the
    symmetric :math:`X X^\top` one slows to a sublinear rate; the rate then
    depends on the imbalance :math:`F^\top F - G^\top G`, i.e. on the
    initialization scale. After ``rebalance_iter`` iterations one step
    re-balances the factors, ``F <- F R``, ``G <- G R^{-T}`` with
    :math:`F^\top F = \sigma_1 I` (the product is unchanged), which removes that
    dependence (Xiong, Ding & Du).

    Parameters
    ----------
    rank : int or None, default=None
        Number of columns :math:`k` of the factors (may over-estimate the
        rank). ``None`` uses ``min(10, n_samples, n_features)``.
    regularization : float, default=0.0
        :math:`\mu` (also the ridge used to fold new rows in).
    learning_rate : float, default=0.5
        Step size in units of :math:`1 / \sigma_1`, with :math:`\sigma_1` the
        largest singular value of :math:`P_\Omega(X) / p`.
    max_iter : int, default=1000
        Maximum number of iterations (epochs with minibatches).
    tol : float, default=1e-6
        Stop when the relative change of :math:`F G^\top` in one iteration
        falls below ``tol``.
    init : {"svd", "random"}, default="svd"
        ``"svd"``: spectral start (top-``rank`` SVD of :math:`P_\Omega(X)/p`);
        ``"random"``: Gaussian factors of scale ``init_scale`` (the setting of
        the over-parameterization analysis).
    init_scale : float, default=1e-3
        Scale of the random start, relative to :math:`\sqrt{\sigma_1}`.
    rebalance_iter : int or None, default=1
        Iteration after which the one-step re-balancing is applied; ``None``
        disables it.
    batch_size : int or None, default=None
        ``None``: full gradient steps. An integer: minibatch stochastic
        gradient over the observed entries, shuffled every epoch (for data
        that arrive in chunks). NumPy and sparse input only; other namespaces
        (CuPy) take full gradient steps.
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
        Seeds the initialization and the minibatch order.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (``None`` follows the input); sparse input and
        minibatches run on the CPU.
    verbose : int, default=0
        Print the relative change every 50 iterations.

    Attributes
    ----------
    components_ : ndarray of shape (rank_, n_features)
    singular_values_ : ndarray of shape (rank_,)
    row_factors_ : ndarray of shape (n_samples, rank_)
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
    SoftImpute, AltMinCompletion

    References
    ----------
    N. Xiong, L. Ding, S. S. Du. How Over-Parameterization Slows Down Gradient
    Descent in Matrix Sensing: The Curses of Symmetry and Initialization.
    ICLR 2024.

    Examples
    --------
    >>> from sksubspace.datasets import make_low_rank_completion
    >>> from sksubspace.impute import FactorizedCompletion
    >>> X, M, mask = make_low_rank_completion(100, 80, 3, observed_fraction=0.5, random_state=0)
    >>> est = FactorizedCompletion(rank=6, random_state=0).fit(X)
    >>> Z = est.transform(X)
    >>> err = np.linalg.norm((Z - M)[~mask]) / np.linalg.norm(M[~mask])
    >>> bool(err < 1e-2)
    True
    """

    _parameter_constraints = {
        "rank": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "regularization": [Interval(numbers.Real, 0, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "init": [StrOptions({"svd", "random"})],
        "init_scale": [Interval(numbers.Real, 0, None, closed="neither")],
        "rebalance_iter": [Interval(numbers.Integral, 0, None, closed="left"), None],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
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
        learning_rate=0.5,
        max_iter=1000,
        tol=1e-6,
        init="svd",
        init_scale=1e-3,
        rebalance_iter=1,
        batch_size=None,
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
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.init_scale = init_scale
        self.rebalance_iter = rebalance_iter
        self.batch_size = batch_size
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
        if obs.n_observed < 2:
            raise ValueError(
                "X has a single observed entry: FactorizedCompletion sets its step size "
                "from the spectrum of the sampled matrix, which one entry does not inform; "
                "observe more entries or use SoftImpute."
            )
        k = _default_rank(self.rank, obs.shape)
        rng = check_random_state(self.random_state)
        seed = rng.randint(np.iinfo(np.int32).max)
        m, n = obs.shape
        p = obs.n_observed / float(m * n)
        sigma1 = max(lambda_max(obs, random_state=seed) / max(p, 1e-12), 1e-300)
        like = xp.zeros(1, dtype=obs.dtype, **obs.device)
        if self.init == "svd":
            U, d, V = initial_factors(obs, k, "svd", seed, xp)
            F, G = U * xp.sqrt(d), V * xp.sqrt(d)
        else:
            a = self.init_scale * sigma1**0.5
            F = from_numpy(a * rng.standard_normal((m, k)) / np.sqrt(k), like)
            G = from_numpy(a * rng.standard_normal((n, k)) / np.sqrt(k), like)
        eta = self.learning_rate / sigma1
        mu = float(self.regularization)
        minibatch = self.batch_size is not None and obs.sparse
        if self.batch_size is not None and not obs.sparse and is_numpy(xp):
            # Dense (masked) storage: minibatches need indexed entries.
            rows, cols = np.nonzero(np.asarray(obs.W) > 0)
            X0 = np.asarray(obs.X0)
            obs = _Observed._from_coo(obs.shape, X0[rows, cols], rows, cols, obs.dtype)
            minibatch = True
        U, d, V = svd_of_product(F, G, xp)
        converged = False
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            if minibatch:
                F, G = self._epoch(obs, F, G, eta, mu, p, rng)
            else:
                S = obs.residual(F, G)  # P_Omega(X - F G')
                gF = -safe_matmul(S, G) / p + mu * F
                gG = -safe_rmatmul(S, F) / p + mu * G
                F, G = F - eta * gF, G - eta * gG
            if self.rebalance_iter is not None and n_iter == self.rebalance_iter:
                F, G = rebalance(F, G, sigma1, xp)
            if not np.isfinite(to_float(xp.sum(F * F) + xp.sum(G * G))):
                raise FloatingPointError(
                    "FactorizedCompletion diverged; lower learning_rate (the observed "
                    "entries may be too few or too unevenly spread for the default step)."
                )
            U1, d1, V1 = svd_of_product(F, G, xp)
            change = relative_change(U, d, V, U1, d1, V1, xp)
            U, d, V = U1, d1, V1
            if self.verbose and n_iter % 50 == 0:
                print(f"[FactorizedCompletion] iter {n_iter}: relative change {change:.3e}")
            if change < self.tol:
                converged = True
                break
        self.n_iter_ = n_iter
        if not converged:
            warnings.warn(
                f"FactorizedCompletion did not converge in max_iter={self.max_iter} "
                f"iterations (tol={self.tol}); increase max_iter or tol.",
                ConvergenceWarning,
            )
        return U, d, xp.matrix_transpose(V)

    def _epoch(self, obs, F, G, eta, mu, p, rng):
        """One pass of minibatch gradient steps over the shuffled observed entries."""
        n_obs = obs.n_observed
        order = rng.permutation(n_obs)
        bs = self.batch_size
        for start in range(0, n_obs, bs):
            idx = order[start : start + bs]
            r, c = obs.rows[idx], obs.cols[idx]
            res = obs.values[idx] - np.einsum("ij,ij->i", F[r], G[c])
            step = eta * n_obs / (p * len(idx))  # unbiased for the full (1/p-scaled) gradient
            gF = np.zeros_like(F)
            gG = np.zeros_like(G)
            np.add.at(gF, r, res[:, None] * G[c])
            np.add.at(gG, c, res[:, None] * F[r])
            F = F + step * gF - eta * mu * F * (len(idx) / n_obs)
            G = G + step * gG - eta * mu * G * (len(idx) / n_obs)
        return F, G

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        return super().fit(X, y)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        return super().fit_transform(X, y)

    fit.__doc__ = _BaseCompletion.fit.__doc__
    fit_transform.__doc__ = _BaseCompletion.fit_transform.__doc__
