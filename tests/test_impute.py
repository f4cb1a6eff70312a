"""Matrix completion family: planted recovery, references, invariances, errors."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sksubspace._backend import to_numpy
from sksubspace.datasets import make_low_rank_completion
from sksubspace.impute import (
    AltMinCompletion,
    FactorizedCompletion,
    SoftImpute,
    soft_impute_path,
)

from ._helpers import assert_allclose_ref, working_dtype


def _plain(shrinkage=None, **kw):
    """SoftImpute as the solver tests use it: a given (or the small default) shrinkage, no biases."""
    kw.setdefault("center", False)
    kw.setdefault("tol", 1e-4)
    return SoftImpute(shrinkage, **kw)


def _held_out(Z, M, mask):
    Z = np.asarray(to_numpy(Z))
    return float(np.linalg.norm((Z - M)[~mask]) / np.linalg.norm(M[~mask]))


def _to_sparse(X):
    """SciPy CSR whose stored entries are the observed ones (explicit zeros kept)."""
    rows, cols = np.nonzero(~np.isnan(X))
    return sp.csr_matrix((X[rows, cols], (rows, cols)), shape=X.shape)


@pytest.fixture(scope="module")
def planted():
    return make_low_rank_completion(120, 90, 3, observed_fraction=0.5, random_state=0)


# --------------------------------------------------------------------------
# SoftImpute
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver, max_iter", [("exact_als", 200), ("als", 1000)])
def test_soft_impute_planted_recovery(planted, solver, max_iter):
    X, M, mask = planted
    est = _plain(max_rank=8, solver=solver, max_iter=max_iter, tol=1e-6, random_state=0)
    Z = est.fit_transform(X)
    assert _held_out(Z, M, mask) < 5e-3
    # Observed entries are kept.
    np.testing.assert_array_equal(Z[mask], X[mask])
    assert est.rank_ == 3
    assert est.components_.shape == (3, 90)
    assert est.row_factors_.shape == (120, 3)


def test_soft_impute_exact_als_random_init(planted):
    # init="random" starts from V = 0; the exact ALS must not stay at zero.
    X, M, mask = planted
    est = _plain(max_rank=8, init="random", random_state=0).fit(X)
    Z = est.transform(X)
    assert _held_out(Z, M, mask) < 1e-2
    assert est.rank_ >= 3


def test_soft_impute_solvers_agree():
    # The objective is convex: the three solvers reach the same minimizer.
    X, M, mask = make_low_rank_completion(50, 40, 2, observed_fraction=0.6, random_state=2)
    lam = 0.05 * np.linalg.norm(np.nan_to_num(X), 2)
    fits = {}
    for solver in ("exact_als", "als", "svd"):
        est = _plain(lam, solver=solver, tol=1e-9, max_iter=3000, random_state=0)
        fits[solver] = est.fit(X).row_factors_ @ est.components_
        assert est.rank_ == 2
    scale = np.abs(fits["exact_als"]).max()
    np.testing.assert_allclose(fits["als"], fits["exact_als"], atol=1e-5 * scale)
    np.testing.assert_allclose(fits["svd"], fits["exact_als"], atol=1e-4 * scale)


@pytest.mark.parametrize("solver", ["exact_als", "als", "svd"])
def test_soft_impute_fully_observed_is_soft_thresholded_svd(solver):
    # With nothing missing the SoftImpute solution is U (s - lam)_+ V'.
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 4)) @ rng.standard_normal((4, 30)) + 0.1 * rng.standard_normal(
        (40, 30)
    )
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    lam = 0.5 * s[3]
    ref = (U * np.clip(s - lam, 0, None)) @ Vt
    est = _plain(lam, solver=solver, keep_observed=False, tol=1e-10, max_iter=500)
    Z = est.fit_transform(X)
    np.testing.assert_allclose(Z, ref, atol=1e-6 * np.abs(ref).max())
    assert est.rank_ == 4
    np.testing.assert_allclose(est.singular_values_, s[:4] - lam, rtol=1e-6)
    # Nothing missing: transform returns the data as they are.
    np.testing.assert_array_equal(_plain(lam, solver=solver).fit(X).transform(X), X)


def test_soft_impute_default_shrinkage(planted):
    X, _, _ = planted
    est = _plain(max_rank=5, random_state=0).fit(X)
    lam0 = np.linalg.norm(np.nan_to_num(X), 2)
    np.testing.assert_allclose(est.shrinkage_, 1e-3 * lam0, rtol=1e-3)


def test_soft_impute_large_shrinkage_gives_zero(planted):
    X, _, mask = planted
    lam0 = np.linalg.norm(np.nan_to_num(X), 2)
    est = _plain(1.01 * lam0, max_rank=5, random_state=0).fit(X)
    assert est.rank_ == 0
    Z = est.transform(X)
    np.testing.assert_array_equal(Z[~mask], 0.0)
    smaller = _plain(0.9 * lam0, max_rank=5, random_state=0).fit(X)
    assert smaller.rank_ == 1


@pytest.mark.parametrize("solver", ["exact_als", "als"])
def test_soft_impute_sparse_input_matches_dense(planted, solver):
    X, M, mask = planted
    kw = dict(max_rank=6, solver=solver, tol=1e-8, max_iter=2000, random_state=0)
    dense = _plain(**kw).fit(X)
    sparse = _plain(**kw).fit(_to_sparse(X))
    np.testing.assert_allclose(sparse.shrinkage_, dense.shrinkage_, rtol=1e-8)
    Zd = dense.row_factors_ @ dense.components_
    Zs = sparse.row_factors_ @ sparse.components_
    np.testing.assert_allclose(Zs, Zd, atol=1e-5 * np.abs(Zd).max())
    # predict_entries agrees with the dense fit, without densifying.
    rows, cols = np.nonzero(~mask)
    np.testing.assert_allclose(sparse.predict_entries(rows, cols), Zd[rows, cols], atol=1e-4)
    # transform of sparse rows equals transform of the same rows in dense form.
    np.testing.assert_allclose(
        sparse.transform(_to_sparse(X[:10])), dense.transform(X[:10]), atol=1e-4
    )
    np.testing.assert_allclose(
        sparse.predict_entries([0, 3], [1, 2], X=_to_sparse(X[:5])),
        (sparse.transform_factors(X[:5]) @ sparse.components_)[[0, 3], [1, 2]],
        atol=1e-10,
    )


def test_soft_impute_dense_masked_path_matches_sparse_path():
    # 60% observed keeps NumPy input dense (masked products); 20% goes sparse.
    X, M, mask = make_low_rank_completion(60, 50, 2, observed_fraction=0.6, random_state=1)
    kw = dict(max_rank=4, tol=1e-10, max_iter=500, random_state=0)
    a = _plain(**kw).fit(X)
    b = _plain(**kw).fit(_to_sparse(X))
    np.testing.assert_allclose(
        a.row_factors_ @ a.components_, b.row_factors_ @ b.components_, atol=1e-6
    )


def test_soft_impute_inductive_close_to_transductive():
    # Done-when: fit on 80% of the rows, transform the other 20% with their
    # observed entries; held-out error within 10% of the transductive fit.
    X, M, mask = make_low_rank_completion(
        200, 100, 4, observed_fraction=0.3, noise=0.1, random_state=0
    )
    test = np.arange(200) >= 160
    lam = 0.02 * np.linalg.norm(np.nan_to_num(X[~test]), 2)
    est = _plain(lam, max_rank=8, random_state=0)
    full = est.fit_transform(X)
    trans_err = _held_out(full[test], M[test], mask[test])
    ind = _plain(lam, max_rank=8, random_state=0).fit(X[~test]).transform(X[test])
    ind_err = _held_out(ind, M[test], mask[test])
    assert ind_err <= 1.1 * trans_err
    assert ind_err < 0.2


def test_soft_impute_center_recovers_offsets():
    X, M, mask = make_low_rank_completion(100, 60, 2, observed_fraction=0.4, random_state=0)
    offsets = np.linspace(5, 20, 60)
    Xo, Mo = X + offsets, M + offsets
    est = _plain(max_rank=6, center=True, random_state=0)
    Z = est.fit_transform(Xo)
    assert _held_out(Z, Mo, mask) < 1e-2
    np.testing.assert_allclose(est.mean_, np.nanmean(Xo, axis=0))


def test_soft_impute_float32_preserved(planted):
    X, M, mask = planted
    est = _plain(max_rank=5, random_state=0).fit(X.astype(np.float32))
    Z = est.transform(X.astype(np.float32))
    assert Z.dtype == np.float32 and est.components_.dtype == np.float32
    assert _held_out(Z, M, mask) < 1e-2


def test_soft_impute_keep_observed_false_returns_fit(planted):
    X, M, mask = planted
    est = _plain(max_rank=5, keep_observed=False, random_state=0)
    Z = est.fit_transform(X)
    np.testing.assert_allclose(Z, est.row_factors_ @ est.components_)
    assert not np.array_equal(Z[mask], X[mask])


def test_soft_impute_missing_values_placeholder(planted):
    X, M, mask = planted
    X9 = np.where(np.isnan(X), -999.0, X)
    a = _plain(max_rank=5, random_state=0).fit_transform(X)
    b = _plain(max_rank=5, missing_values=-999.0, random_state=0).fit_transform(X9)
    np.testing.assert_allclose(a, b)


@pytest.mark.parametrize(
    "make",
    [
        lambda: _plain(max_rank=5, random_state=0),
        lambda: AltMinCompletion(rank=3, random_state=0),
        lambda: FactorizedCompletion(rank=4, random_state=0),
    ],
    ids=["SoftImpute", "AltMinCompletion", "FactorizedCompletion"],
)
def test_array_api_strict_with_missing(planted, make):
    # The namespace-agnostic (masked dense) path with missing entries gives
    # NumPy's results and hands back array_api_strict arrays.
    xs = pytest.importorskip("array_api_strict")
    X, M, mask = planted
    Xr = X.astype(working_dtype())  # NumPy at the strict arrays' dtype (--array-api-float32)
    ref = make().fit(Xr).transform(Xr)
    Zs = make().fit(xs.asarray(X)).transform(xs.asarray(X))
    assert isinstance(Zs, type(xs.asarray([1.0])))
    assert_allclose_ref(to_numpy(Zs), ref, atol=1e-6)
    assert _held_out(Zs, M, mask) < 1e-2


@pytest.mark.parametrize(
    "make",
    [
        lambda: _plain(max_rank=5, random_state=0),
        lambda: FactorizedCompletion(rank=4, random_state=0),
    ],
    ids=["SoftImpute", "FactorizedCompletion"],
)
def test_float32_stops_like_float64(planted, make):
    # The stopping rule's relative change cancels: formed in float32 from
    # factors orthonormal to ~1e-7, its rounding (~3e-4) decided tol and
    # float32 stopped early (FactorizedCompletion: 31 iterations instead of 90,
    # held-out error 4e-3 instead of 8e-6).
    X, M, mask = planted
    e64, e32 = make().fit(X), make().fit(X.astype(np.float32))
    assert abs(e32.n_iter_ - e64.n_iter_) <= 2
    assert _held_out(e32.transform(X.astype(np.float32)), M, mask) < 2 * _held_out(
        e64.transform(X), M, mask
    )


def test_soft_impute_convergence_warning(planted):
    X, _, _ = planted
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        est = _plain(max_rank=5, solver="als", max_iter=2, random_state=0).fit(X)
    assert est.n_iter_ == 2


def test_soft_impute_verbose(planted, capsys):
    X, _, _ = planted
    _plain(max_rank=5, max_iter=3, verbose=1, tol=0, random_state=0).fit(X)
    assert "relative change" in capsys.readouterr().out


def test_soft_impute_errors(planted):
    X, _, _ = planted
    with pytest.raises(ValueError, match="max_rank=200 must be at most"):
        _plain(max_rank=200).fit(X)
    bad = _to_sparse(X)
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="stored entries"):
        _plain(max_rank=5).fit(bad)
    est = _plain(max_rank=5, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        est.transform(X[:, :10])
    with pytest.raises(ValueError, match="cols must be in"):
        est.predict_entries([0], [90])


def test_soft_impute_in_pipeline_and_gridsearch():
    # Impute the features, then regress: GridSearchCV chooses the shrinkage.
    rng = np.random.RandomState(0)
    F = rng.standard_normal((90, 3))
    Xfull = F @ rng.standard_normal((3, 10))
    y = F @ np.array([1.0, -2.0, 0.5])
    X = Xfull.copy()
    X[rng.random_sample(X.shape) < 0.3] = np.nan
    pipe = make_pipeline(_plain(max_rank=4, random_state=0), Ridge(alpha=1e-3))
    lam0 = np.linalg.norm(np.nan_to_num(X), 2)
    grid = {"softimpute__shrinkage": [1e-3 * lam0, 2.0 * lam0], "softimpute__max_rank": [1, 4]}
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_ == {"softimpute__shrinkage": 1e-3 * lam0, "softimpute__max_rank": 4}
    best = search.best_index_
    assert scores[best] > 0.99
    assert all(scores[best] > sc + 0.05 for i, sc in enumerate(scores) if i != best)


# --------------------------------------------------------------------------
# soft_impute_path
# --------------------------------------------------------------------------


def test_soft_impute_path_chooses_shrinkage_by_held_out_error():
    X, M, mask = make_low_rank_completion(
        120, 80, 3, observed_fraction=0.3, noise=0.5, random_state=0
    )
    path = soft_impute_path(
        X, n_shrinkages=6, min_ratio=1e-2, max_rank=10, center=False, random_state=0
    )
    assert np.all(np.diff(path.shrinkages) < 0)
    assert path.ranks[0] <= 1  # lambda_0 (estimated on the training entries) gives ~zero
    best = int(np.argmin(path.validation_rmse))
    # Noisy data: the held-out error is U-shaped, the best lambda is interior.
    assert 0 < best < len(path.shrinkages) - 1
    # The chosen lambda beats the smallest one on the true matrix.
    fit = lambda lam: _plain(lam, max_rank=10, random_state=0).fit_transform(X)  # noqa: E731
    assert _held_out(fit(path.best_shrinkage), M, mask) < _held_out(
        fit(path.shrinkages[-1]), M, mask
    )
    # Same on sparse input.
    sparse_path = soft_impute_path(
        _to_sparse(X), n_shrinkages=6, min_ratio=1e-2, max_rank=10, center=False, random_state=0
    )
    np.testing.assert_allclose(sparse_path.validation_rmse, path.validation_rmse, rtol=1e-6)


def test_soft_impute_path_errors(planted):
    X, _, _ = planted
    with pytest.raises(ValueError, match="validation_fraction"):
        soft_impute_path(X, validation_fraction=1.5)
    with pytest.raises(ValueError, match="solver"):
        soft_impute_path(X, solver="svd")


# --------------------------------------------------------------------------
# AltMinCompletion
# --------------------------------------------------------------------------


def test_altmin_planted_recovery_dense_and_sparse():
    X, M, mask = make_low_rank_completion(200, 150, 4, observed_fraction=0.25, random_state=0)
    est = AltMinCompletion(rank=4, random_state=0)
    Z = est.fit_transform(X)
    assert _held_out(Z, M, mask) < 1e-3
    assert est.rank_ == 4 and est.n_iter_ < 50
    sparse = AltMinCompletion(rank=4, random_state=0).fit(_to_sparse(X))
    rows, cols = np.nonzero(~mask)
    np.testing.assert_allclose(sparse.predict_entries(rows, cols), Z[rows, cols], atol=1e-3)


def test_altmin_inexact_steps_reach_exact_ridge_solution():
    # With a ridge the objective has a well-defined minimizer near the start:
    # one CG step per half-step and many reach the same fit as exact solves.
    X, M, mask = make_low_rank_completion(
        80, 60, 3, observed_fraction=0.5, noise=0.2, random_state=1
    )
    fits = []
    for n_cg in (1, 20):
        est = AltMinCompletion(
            rank=3, regularization=1.0, n_cg_steps=n_cg, tol=1e-10, max_iter=2000, random_state=0
        ).fit(X)
        fits.append(est.row_factors_ @ est.components_)
    np.testing.assert_allclose(fits[0], fits[1], atol=1e-5 * np.abs(fits[1]).max())
    # The exact alternating ridge of SoftImpute's solver reaches it too.
    from sksubspace.impute._base import ridge_rows

    obs_rows, obs_cols = np.nonzero(mask)
    W = mask.astype(float)
    X0 = np.where(mask, X, 0.0)
    U, s, Vt = np.linalg.svd(fits[1], full_matrices=False)
    B = Vt[:3].T * np.sqrt(s[:3])
    A = ridge_rows(W, X0, B, 1.0, np)
    np.testing.assert_allclose(A @ B.T, fits[1], atol=1e-4 * np.abs(fits[1]).max())


def test_altmin_inductive_and_errors():
    X, M, mask = make_low_rank_completion(200, 100, 3, observed_fraction=0.3, random_state=0)
    est = AltMinCompletion(rank=3, random_state=0).fit(X[:160])
    Z = est.transform(X[160:])
    assert _held_out(Z, M[160:], mask[160:]) < 1e-3
    with pytest.raises(ValueError, match="rank=500 must be at most"):
        AltMinCompletion(rank=500).fit(X)
    with pytest.warns(ConvergenceWarning):
        AltMinCompletion(rank=3, max_iter=1, random_state=0).fit(X)


# --------------------------------------------------------------------------
# FactorizedCompletion
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kw", [dict(init="svd"), dict(init="random"), dict(batch_size=1000)])
def test_factorized_planted_recovery_overparameterized(kw):
    X, M, mask = make_low_rank_completion(200, 150, 3, observed_fraction=0.4, random_state=0)
    est = FactorizedCompletion(rank=6, random_state=0, max_iter=1000, **kw)
    Z = est.fit_transform(X)
    assert _held_out(Z, M, mask) < 1e-3
    s = est.singular_values_
    assert s[3] < 1e-3 * s[0]  # over-parameterized components vanish


def test_factorized_rebalancing_removes_initialization_scale_slowdown():
    # Tiny random start, rank over-estimated: without the one-step
    # re-balancing the spurious components decay slowly.
    X, M, mask = make_low_rank_completion(200, 150, 3, observed_fraction=0.4, random_state=0)
    spurious = {}
    for rebalance in (None, 1):
        est = FactorizedCompletion(
            rank=6,
            init="random",
            init_scale=1e-3,
            rebalance_iter=rebalance,
            tol=0,
            max_iter=150,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X)
        spurious[rebalance] = est.singular_values_[3] / est.singular_values_[0]
    assert spurious[1] < 0.1 * spurious[None]


def test_factorized_sparse_matches_dense_and_inductive():
    X, M, mask = make_low_rank_completion(120, 80, 3, observed_fraction=0.4, random_state=0)
    a = FactorizedCompletion(rank=3, random_state=0).fit(X)
    b = FactorizedCompletion(rank=3, random_state=0).fit(_to_sparse(X))
    np.testing.assert_allclose(
        a.row_factors_ @ a.components_, b.row_factors_ @ b.components_, atol=1e-4
    )
    c = FactorizedCompletion(rank=3, random_state=0).fit(X[:100])
    assert _held_out(c.transform(X[100:]), M[100:], mask[100:]) < 1e-3
    with pytest.raises(FloatingPointError, match="learning_rate"):
        FactorizedCompletion(rank=3, learning_rate=50.0, random_state=0).fit(X)


@pytest.mark.parametrize("Est", [SoftImpute, AltMinCompletion])
def test_center_both_removes_row_and_column_effects(Est):
    X, M, mask = make_low_rank_completion(120, 80, 2, observed_fraction=0.4, random_state=0)
    rng = np.random.RandomState(0)
    row_eff, col_eff = 3 * rng.standard_normal(120), 5 + 2 * rng.standard_normal(80)
    shift = row_eff[:, None] + col_eff
    Xs, Ms = X + shift, M + shift
    kw = dict(max_rank=6, shrinkage=None, tol=1e-4) if Est is SoftImpute else dict(rank=4)
    both = Est(center="both", random_state=0, **kw)
    Z = both.fit_transform(Xs)
    assert _held_out(Z, Ms, mask) < 1e-2
    if Est is SoftImpute:
        assert _held_out(Z, Ms, mask) < 0.5 * _held_out(
            Est(center="columns", random_state=0, **kw).fit_transform(Xs), Ms, mask
        )
    # New rows: their offsets are estimated from their own observed entries.
    est = Est(center="both", random_state=0, **kw).fit(Xs[:100])
    Zn = est.transform(Xs[100:])
    assert _held_out(Zn, Ms[100:], mask[100:]) < 2e-2
    rows, cols = np.nonzero(~mask[100:])
    np.testing.assert_allclose(est.predict_entries(rows, cols, X=Xs[100:]), Zn[rows, cols])
    sparse = Est(center="both", random_state=0, **kw).fit(_to_sparse(Xs[:100]))
    np.testing.assert_allclose(
        sparse.predict_entries(rows, cols, X=_to_sparse(Xs[100:])), Zn[rows, cols], atol=1e-3
    )
