"""Warm-started SoftImpute path over the shrinkage, scored on held-out entries."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch
from sklearn.utils.validation import check_array, check_random_state

from .._backend import get_namespace, to_numpy
from ._base import _check_rank, _Observed
from ._soft_impute import (
    _working_rank,
    initial_factors,
    lambda_max,
    soft_impute_als,
    soft_impute_exact_als,
)


def soft_impute_path(
    X,
    *,
    shrinkages=None,
    n_shrinkages=10,
    min_ratio=1e-3,
    validation_fraction=0.1,
    max_rank=None,
    solver="exact_als",
    center=False,
    max_iter=100,
    tol=1e-4,
    missing_values=np.nan,
    random_state=None,
):
    r"""SoftImpute solutions along a decreasing shrinkage path, with held-out error.

    A fraction of the observed entries is held out; SoftImpute is fitted on
    the rest for every :math:`\lambda` from the largest to the smallest, each
    fit warm-started from the previous one (Mazumder et al. 2010, Section 5),
    and scored by the root mean squared error on the held-out entries. Pass
    ``best_shrinkage`` to :class:`SoftImpute` to fit on all the data.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or sparse matrix
        Missing entries are ``missing_values``; in a sparse matrix the stored
        entries are the observed ones. Computed with NumPy on the CPU.
    shrinkages : array-like of float, optional
        The path (sorted decreasing). Default: ``n_shrinkages`` values spaced
        geometrically from ``lambda_0`` (the smallest value giving zero) down
        to ``min_ratio * lambda_0``.
    n_shrinkages : int, default=10
    min_ratio : float, default=1e-3
    validation_fraction : float, default=0.1
        Fraction of the observed entries held out.
    max_rank : int or None, default=None
        Working rank (as in :class:`SoftImpute`; ``None`` is
        ``min(n_samples, n_features, 50)``).
    solver : {"exact_als", "als"}, default="exact_als"
    center : bool, default=False
        Remove the column means of the training entries first.
    max_iter : int, default=100
        Iterations per shrinkage value.
    tol : float, default=1e-4
    missing_values : float, default=np.nan
    random_state : int, RandomState instance or None, default=None
        Seeds the held-out split and the initialization.

    Returns
    -------
    path : Bunch
        ``shrinkages`` (decreasing), ``validation_rmse``, ``ranks``, ``n_iter``
        (arrays along the path) and ``best_shrinkage`` (smallest held-out
        error).

    Examples
    --------
    >>> from sksubspace.datasets import make_low_rank_completion
    >>> from sksubspace.impute import soft_impute_path
    >>> X, M, mask = make_low_rank_completion(80, 60, 3, observed_fraction=0.5, noise=0.3,
    ...                                       random_state=0)
    >>> path = soft_impute_path(X, n_shrinkages=6, max_rank=10, random_state=0)
    >>> path.ranks.shape, bool(path.best_shrinkage < path.shrinkages[0])
    ((6,), True)
    """
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1); got {validation_fraction}.")
    if solver not in ("exact_als", "als"):
        raise ValueError(f"solver must be 'exact_als' or 'als'; got {solver!r}.")
    rng = check_random_state(random_state)
    nan = isinstance(missing_values, float) and math.isnan(missing_values)
    if sp.issparse(X):
        obs = _Observed.from_sparse(check_array(X, accept_sparse="csr"))
    else:
        X = np.asarray(to_numpy(X)) if not isinstance(X, np.ndarray) else X
        X = check_array(
            X, ensure_all_finite="allow-nan" if nan else True, dtype=(np.float64, np.float32)
        )
        xp = get_namespace(X)
        obs = _Observed.from_dense(X, missing_values, xp, allow_sparse=True)
        if not obs.sparse:
            rows, cols = np.nonzero(np.asarray(obs.W) > 0)
            obs = _Observed._from_coo(X.shape, X[rows, cols], rows, cols, X.dtype)
    xp = get_namespace(np.empty(0))
    _check_rank(max_rank, obs.shape, "max_rank")
    n_obs = obs.n_observed
    held = rng.random_sample(n_obs) < validation_fraction
    if held.all() or not held.any():
        raise ValueError("validation_fraction leaves no training or no held-out entries.")
    train = _Observed._from_coo(
        obs.shape, obs.values[~held], obs.rows[~held], obs.cols[~held], obs.dtype
    )
    mean = train.column_means() if center else np.zeros(obs.shape[1], dtype=obs.dtype)
    train.subtract(mean)
    hv, hr, hc = obs.values[held], obs.rows[held], obs.cols[held]

    seed = rng.randint(np.iinfo(np.int32).max)
    lam0 = lambda_max(train, random_state=seed)
    if shrinkages is None:
        shrinkages = lam0 * np.geomspace(1.0, min_ratio, n_shrinkages)
    shrinkages = np.sort(np.asarray(shrinkages, dtype=float))[::-1]
    rank = _working_rank(max_rank, obs.shape, solver)
    U0, d0, V0 = initial_factors(train, rank, "svd", seed, xp)
    U, d, V = U0, d0, V0
    solve = soft_impute_exact_als if solver == "exact_als" else soft_impute_als
    rmse, ranks, iters = [], [], []
    for lam in shrinkages:
        # Warm start; components killed at the previous (larger) shrinkage are
        # revived from the spectral initialization so that the rank may grow.
        dead = d <= 0
        if dead.any():
            U = np.where(dead, U0, U)
            V = np.where(dead, V0, V)
            U, _ = np.linalg.qr(U)
            V, _ = np.linalg.qr(V)
            d = np.where(dead, lam, d)
        U, s, Vt, n_iter, _ = solve(train, lam, U, d, V, max_iter=max_iter, tol=tol, xp=xp)
        V = Vt.T
        d = s
        pred = train.entries(U * s, V, hr, hc) + mean[hc]
        rmse.append(float(np.sqrt(np.mean((pred - hv) ** 2))))
        ranks.append(int(np.sum(s > 0)))
        iters.append(n_iter)
    rmse = np.asarray(rmse)
    return Bunch(
        shrinkages=shrinkages,
        validation_rmse=rmse,
        ranks=np.asarray(ranks),
        n_iter=np.asarray(iters),
        best_shrinkage=float(shrinkages[int(np.argmin(rmse))]),
    )
