"""Warm-started SoftImpute path over the shrinkage, scored on held-out entries.

Serves :func:`soft_impute_path` (the curve) and ``SoftImpute(shrinkage="auto")``
(the chosen point, whose factors warm-start the final fit on all entries).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch
from sklearn.utils.validation import check_array, check_random_state

from .._backend import get_namespace, to_numpy
from .._sklearn_compat import Interval, StrOptions, validate_params
from ._base import Biases, _check_rank, _Observed, _working_rank, check_observed
from ._soft_impute import (
    initial_factors,
    lambda_max,
    soft_impute_als,
    soft_impute_exact_als,
)

_NP = get_namespace(np.empty(0))
# Iterations at a working rank before checking whether the solution fills it.
_PROBE_ITER = 2

# Pseudo-counts tried for bias_shrinkage="auto" (on the bias-only model).
BIAS_SHRINKAGE_GRID = (100.0, 50.0, 20.0, 10.0, 5.0, 2.0, 1.0, 0.0)


def split_observed(obs, validation_fraction, rng):
    """Hold out a random fraction of the observed entries (indexed storage).

    Returns the training entries as :class:`_Observed` and the held-out
    ``(rows, cols, values)``.
    """
    if not obs.sparse:
        rows, cols = np.nonzero(np.asarray(to_numpy(obs.W)) > 0)
        X0 = np.asarray(to_numpy(obs.X0))
        obs = _Observed._from_coo(obs.shape, X0[rows, cols], rows, cols, X0.dtype)
    held = rng.random_sample(obs.n_observed) < validation_fraction
    if held.all() or not held.any():
        raise ValueError(
            f"validation_fraction={validation_fraction} leaves no training or no held-out "
            f"entries among the {obs.n_observed} observed ones."
        )
    train = _Observed._from_coo(
        obs.shape, obs.values[~held], obs.rows[~held], obs.cols[~held], obs.dtype
    )
    return train, (obs.rows[held], obs.cols[held], obs.values[held])


def _rmse(pred, values):
    return float(np.sqrt(np.mean((pred - values) ** 2)))


def choose_bias_shrinkage(train, held, grid=BIAS_SHRINKAGE_GRID):
    """The bias ridge of the grid with the smallest held-out error of the bias-only model.

    ``train`` holds values with the global mean removed; so do the held-out values.
    """
    hr, hc, hv = held
    errors = []
    c = None
    for ridge in grid:
        b, c = train.fit_biases(ridge, start=c)  # warm-started along the grid
        errors.append(_rmse(b[hr] + c[hc], hv))
    return float(grid[int(np.argmin(errors))])  # the first (largest) of ties


def _pad(U, d, V, U0, V0, rank, lam, xp):
    """The warm start at ``rank`` columns: the live triplets, then spectral ones."""
    live = int(np.sum(d > 0))
    order = np.argsort(-d, kind="stable")[:live]
    U, d, V = U[:, order], d[order], V[:, order]
    extra = rank - live
    if extra <= 0:
        return U[:, :rank], d[:rank], V[:, :rank]
    # Spectral directions, orthogonalized against the live ones.
    Un, _ = np.linalg.qr(np.concatenate([U, U0[:, :extra]], axis=1))
    Vn, _ = np.linalg.qr(np.concatenate([V, V0[:, :extra]], axis=1))
    Un[:, :live], Vn[:, :live] = U, V
    return Un, np.concatenate([d, np.full(extra, lam, dtype=d.dtype)]), Vn


def fit_adaptive_rank(obs, lam, U, d, V, spectral, rank, biases, solve, max_iter, tol):
    """One SoftImpute fit, warm-started, with a working rank that follows the solution's.

    Starts from the live triplets of ``(U, d, V)`` plus as many (at least 4)
    spectral directions ``spectral = (U0, V0)``; a solution that fills the
    working rank is refitted with twice as many columns, up to ``rank``.
    Returns ``(U, s, V, n_iter, converged)``.
    """
    live = int(np.sum(d > 0))
    width = min(rank, max(2 * live, live + 4))
    n_iter = 0
    kw = {"biases": biases} if biases is not None else {}
    while True:
        U, d, V = _pad(U, d, V, *spectral, width, lam, _NP)
        # A few iterations tell whether the width is filled; then converge at it.
        probe = max_iter if width == rank else min(max_iter, _PROBE_ITER)
        U, s, Vt, k, ok = solve(obs, lam, U, d, V, max_iter=probe, tol=tol, xp=_NP, **kw)
        n_iter += k
        d, V = s, Vt.T
        if width < rank and int(np.sum(s > 0)) == width:
            width = min(rank, 2 * width)
            continue
        if not ok and probe < max_iter:
            U, s, Vt, k, ok = solve(
                obs, lam, U, d, V, max_iter=max_iter - probe, tol=tol, xp=_NP, **kw
            )
            n_iter += k
            V = Vt.T
        return U, s, V, n_iter, ok


def run_path(
    train,
    held,
    shrinkages,
    *,
    rank,
    biases,
    solver="exact_als",
    max_iter=100,
    tol=1e-4,
    seed=0,
    patience=None,
):
    """Fit SoftImpute along ``shrinkages`` (decreasing), warm-started, scoring the held-out entries.

    ``train`` holds centred values (global mean, and column / row effects
    when not fitted jointly); ``held`` the held-out ``(rows, cols, values)``
    centred alike, plus their removed offsets as a fourth element. With
    ``biases`` (a :class:`Biases`) the row and column effects are fitted
    jointly. The working rank grows with the solution's rank (up to
    ``rank``): a solution that fills it is refitted with twice as many
    columns. ``patience``: stop after that many values worse than the best.

    Returns a Bunch with the curve (``validation_rmse``, ``ranks``,
    ``n_iter``), ``best_index`` and ``best`` = ``(U, s, V, biases)`` at the
    best shrinkage.
    """
    xp = _NP
    hr, hc, hv, offset = held
    solve = soft_impute_exact_als if solver == "exact_als" else soft_impute_als
    start = train if biases is None else train.shifted(biases.row, biases.col)
    U0, d0, V0 = initial_factors(start, rank, "svd", seed, xp)
    U = np.zeros((train.shape[0], 0), dtype=train.dtype)
    V = np.zeros((train.shape[1], 0), dtype=train.dtype)
    d = np.zeros(0, dtype=train.dtype)
    rmse, se, ranks, iters, fits = [], [], [], [], []
    for lam in shrinkages:
        U, s, V, n_iter, _ = fit_adaptive_rank(
            train, lam, U, d, V, (U0, V0), rank, biases, solve, max_iter, tol
        )
        d = s
        pred = train.entries(U * s, V, hr, hc) + offset
        if biases is not None:
            pred = pred + biases.row[hr] + biases.col[hc]
        sq = (pred - hv) ** 2
        err = float(np.sqrt(np.mean(sq)))
        # Standard error of the RMSE (delta method on the mean squared error).
        se.append(float(np.std(sq) / np.sqrt(sq.shape[0]) / (2 * max(err, 1e-300))))
        rmse.append(err)
        ranks.append(int(np.sum(s > 0)))
        iters.append(n_iter)
        fits.append((U, s, V, None if biases is None else biases.copy()))
        if patience is not None and len(rmse) - 1 - int(np.argmin(rmse)) >= patience:
            break
    rmse = np.asarray(rmse)
    best = int(np.argmin(rmse))
    # The one-standard-error rule: the largest shrinkage within one standard
    # error of the best (the simplest model the held-out entries cannot tell
    # from it).
    one_se = int(np.flatnonzero(rmse <= rmse[best] + se[best])[0])
    return Bunch(
        shrinkages=np.asarray(shrinkages[: len(rmse)], dtype=float),
        validation_rmse=rmse,
        validation_se=np.asarray(se),
        ranks=np.asarray(ranks),
        n_iter=np.asarray(iters),
        best_index=best,
        one_se_index=one_se,
        fits=fits,
        spectral=(U0, V0),
    )


def prepare_path(obs, center, bias_shrinkage, validation_fraction, rng):
    """Split, centre and (for ``center="biases"``) start the effects of a path.

    Returns ``(train, held, biases, removed)``: ``removed`` is
    ``(global_mean, column_means, row_offsets)`` taken off the training values.
    """
    train, (hr, hc, hv) = split_observed(obs, validation_fraction, rng)
    check_observed(train, "the training part of the observed entries")
    m, n = train.shape
    mu = 0.0
    mean = np.zeros(n, dtype=train.dtype)
    offsets = np.zeros(m, dtype=train.dtype)
    biases = None
    if center == "biases":
        mu = float(np.mean(train.values))
        train.values = train.values - mu
        ridge = bias_shrinkage
        if ridge == "auto":
            ridge = choose_bias_shrinkage(train, (hr, hc, hv - mu))
        biases = Biases(ridge, *train.fit_biases(ridge))
    elif center:
        mean, offsets = train.center("both" if center == "both" else "columns")
    offset = mu + mean[hc] + offsets[hr]
    return train, (hr, hc, hv, offset), biases, (mu, mean, offsets)


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "shrinkages": ["array-like", None],
        "n_shrinkages": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_ratio": [Interval(numbers.Real, 0, 1, closed="neither")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "max_rank": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "solver": [StrOptions({"exact_als", "als"})],
        "center": ["boolean", StrOptions({"columns", "both", "biases"})],
        "bias_shrinkage": [Interval(numbers.Real, 0, None, closed="left"), StrOptions({"auto"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "missing_values": [numbers.Real],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
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
    center="biases",
    bias_shrinkage="auto",
    max_iter=100,
    tol=1e-4,
    missing_values=np.nan,
    random_state=None,
):
    r"""SoftImpute solutions along a decreasing shrinkage path, with held-out error.

    A fraction of the observed entries is held out; SoftImpute is fitted on
    the rest for every :math:`\lambda` from the largest to the smallest, each
    fit warm-started from the previous one (Mazumder et al. 2010, Section 5),
    and scored by the root mean squared error on the held-out entries.
    ``SoftImpute(shrinkage="auto")`` (the default) runs this path itself and
    refits on all the entries; call this function for the curve.

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
        Cap on the working rank (as in :class:`SoftImpute`, where ``None``
        adapts it to the number of observed entries). Along the path the working
        rank follows the solution's rank below the cap.
    solver : {"exact_als", "als"}, default="exact_als"
    center : bool or {"columns", "both", "biases"}, default="biases"
        As in :class:`SoftImpute`: the training entries' column means
        (``True`` / ``"columns"``), row and column effects (``"both"``), or
        regularized row and column biases fitted along the path jointly with
        the low-rank part (``"biases"``, ``"biases"`` needs
        ``solver="exact_als"``).
    bias_shrinkage : float or "auto", default="auto"
        The ridge on the biases with ``center="biases"`` (see
        :class:`SoftImpute`).
    max_iter : int, default=100
        Iterations per shrinkage value.
    tol : float, default=1e-4
    missing_values : float, default=np.nan
    random_state : int, RandomState instance or None, default=None
        Seeds the held-out split and the initialization; ``None`` uses a
        fixed seed (the path is a deterministic function of the data).

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
    if center == "biases" and solver != "exact_als":
        raise ValueError("center='biases' is fitted by solver='exact_als'; got solver='als'.")
    rng = check_random_state(0 if random_state is None else random_state)
    nan = isinstance(missing_values, float) and math.isnan(missing_values)
    if sp.issparse(X):
        X = check_array(X, accept_sparse="csr", dtype=(np.float64, np.float32))
        if not np.all(np.isfinite(X.data)):
            raise ValueError("Sparse input X holds NaN or infinity among its stored entries.")
        obs = _Observed.from_sparse(X)
    else:
        X = np.asarray(to_numpy(X)) if not isinstance(X, np.ndarray) else X
        X = check_array(
            X, ensure_all_finite="allow-nan" if nan else True, dtype=(np.float64, np.float32)
        )
        obs = _Observed.from_dense(X, missing_values, _NP, allow_sparse=True)
    check_observed(obs)
    _check_rank(max_rank, obs.shape, "max_rank")
    train, held, biases, _ = prepare_path(obs, center, bias_shrinkage, validation_fraction, rng)
    seed = rng.randint(np.iinfo(np.int32).max)
    start = train if biases is None else train.shifted(biases.row, biases.col)
    if shrinkages is None:
        lam0 = lambda_max(start, random_state=seed)
        shrinkages = lam0 * np.geomspace(1.0, min_ratio, n_shrinkages)
    shrinkages = np.sort(np.asarray(shrinkages, dtype=float))[::-1]
    rank = _working_rank(max_rank, obs.shape, solver, obs.n_observed)
    path = run_path(
        train,
        held,
        shrinkages,
        rank=rank,
        biases=biases,
        solver=solver,
        max_iter=max_iter,
        tol=tol,
        seed=seed,
    )
    return Bunch(
        shrinkages=path.shrinkages,
        validation_rmse=path.validation_rmse,
        ranks=path.ranks,
        n_iter=path.n_iter,
        best_shrinkage=float(path.shrinkages[path.best_index]),
    )
