"""Matrix completion for ratings: biases, automatic shrinkage, cold start, clear errors."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import check_estimator

from sksubspace.datasets import make_low_rank_completion
from sksubspace.impute import (
    AltMinCompletion,
    FactorizedCompletion,
    SoftImpute,
    soft_impute_path,
)


def _ratings(m=150, n=100, rank=2, observed=0.3, noise=0.1, seed=0):
    """Planted mu + row bias + column bias + low rank + noise, sparse-observed."""
    rng = np.random.RandomState(seed)
    b, c = 0.8 * rng.standard_normal(m), 0.6 * rng.standard_normal(n)
    L = rng.standard_normal((m, rank)) @ rng.standard_normal((rank, n)) / np.sqrt(rank)
    full = 3.5 + b[:, None] + c + 0.7 * L
    mask = rng.random_sample((m, n)) < observed
    X = np.where(mask, full + noise * rng.standard_normal((m, n)), np.nan)
    return X, full, mask, b, c


def _to_sparse(X):
    rows, cols = np.nonzero(~np.isnan(X))
    return sp.csr_matrix((X[rows, cols], (rows, cols)), shape=X.shape)


def _rel(Z, M, mask):
    return float(np.linalg.norm((Z - M)[~mask]) / np.linalg.norm((M - M.mean())[~mask]))


def test_biases_recovered_jointly_with_the_low_rank_part():
    X, full, mask, b, c = _ratings()
    est = SoftImpute(random_state=0).fit(X)
    # Effects are identified up to a constant moved between rows and columns.
    row_bias = est.row_offsets_
    col_bias = est.mean_ - est.intercept_
    assert abs(est.intercept_ - np.nanmean(X)) < 1e-12
    assert np.corrcoef(row_bias, b)[0, 1] > 0.97
    assert np.corrcoef(col_bias, c)[0, 1] > 0.97
    # Jointly fitted biases complete better than pre-centred unregularized ones.
    Z = est.fit_transform(X)
    both = SoftImpute(center="both", random_state=0).fit_transform(X)
    assert _rel(Z, full, mask) < 0.2
    assert _rel(Z, full, mask) < _rel(both, full, mask)
    # The bias-only model (shrinkage large enough to zero the low-rank part).
    big = SoftImpute(1e6, random_state=0).fit(X)
    assert big.rank_ == 0
    assert np.corrcoef(big.row_offsets_, b)[0, 1] > 0.95
    # Up to the shrinkage of the (regularized) biases, their scale too.
    diff = (big.row_offsets_ - big.row_offsets_.mean()) - (b - b.mean())
    assert np.sqrt(np.mean(diff**2)) < 0.2
    assert 0.7 < np.std(big.row_offsets_) / np.std(b) <= 1.05


def test_sparse_dense_and_predict_entries_agree_with_biases():
    X, full, mask, _, _ = _ratings(seed=1)
    dense = SoftImpute(random_state=0).fit(X)
    sparse = SoftImpute(random_state=0).fit(_to_sparse(X))
    np.testing.assert_allclose(sparse.shrinkage_, dense.shrinkage_, rtol=1e-6)
    rows, cols = np.nonzero(~mask)
    Z = dense.fit_transform(X)
    np.testing.assert_allclose(sparse.predict_entries(rows, cols), Z[rows, cols], atol=1e-6)
    # Inductive: a new row's bias is fitted jointly with its factor.
    fitted = SoftImpute(random_state=0).fit(X[:120])
    assert _rel(fitted.transform(X[120:]), full[120:], mask[120:]) < 0.3
    r, k = np.nonzero(~mask[120:])
    np.testing.assert_allclose(
        fitted.predict_entries(r, k, X=_to_sparse(X[120:])), fitted.transform(X[120:])[r, k]
    )


@pytest.mark.parametrize(
    "est",
    [
        SoftImpute(random_state=0),
        SoftImpute(solver="als", random_state=0),
        AltMinCompletion(rank=2, center="biases", regularization=1.0, random_state=0),
        FactorizedCompletion(rank=2, center="biases", regularization=0.1, random_state=0),
    ],
    ids=["SoftImpute", "SoftImpute-als", "AltMin", "Factorized"],
)
def test_cold_start_rows_and_columns_get_the_bias_model(est):
    X, _, _, _, _ = _ratings(seed=2)
    X[7] = np.nan  # a user with no rating
    X[:, 11] = np.nan  # an item with no rating
    est.fit(_to_sparse(X))
    mu = est.intercept_
    col_bias = est.mean_ - mu
    assert col_bias[11] == 0 and est.row_offsets_[7] == 0
    pred = est.predict_entries([7, 7, 3], [0, 11, 11])
    np.testing.assert_allclose(pred[:2], mu + col_bias[[0, 11]], atol=1e-10)
    np.testing.assert_allclose(pred[2], mu + est.row_offsets_[3], atol=1e-10)
    assert np.all(pred != 0)
    # A new row with nothing observed: the bias model as well.
    new = np.full((1, X.shape[1]), np.nan)
    np.testing.assert_allclose(est.transform(new)[0], est.mean_, atol=1e-10)


def test_clip_bounds_predictions_to_the_observed_range():
    X, _, mask, _, _ = _ratings(seed=3, noise=0.6)
    X = np.clip(np.round(X), 1, 5)
    est = SoftImpute(clip=True, random_state=0).fit(X)
    assert est.value_range_ == (1.0, 5.0)
    rows, cols = np.nonzero(~mask)
    pred = est.predict_entries(rows, cols)
    assert pred.min() >= 1 and pred.max() <= 5
    Z = est.transform(X)
    assert Z.min() >= 1 and Z.max() <= 5
    raw = SoftImpute(random_state=0).fit(X).predict_entries(rows, cols)
    np.testing.assert_allclose(pred, np.clip(raw, 1, 5))


def test_auto_shrinkage_is_near_the_oracle_on_planted_data():
    X, M, mask = make_low_rank_completion(
        150, 120, 3, observed_fraction=0.3, noise=0.5, random_state=0
    )
    est = SoftImpute(center=False, random_state=0).fit(X)
    lam0 = np.linalg.norm(np.nan_to_num(X), 2)
    grid = lam0 * np.geomspace(1, 1e-3, 25)[1:]
    errors = [
        _rel(SoftImpute(lam, center=False, random_state=0).fit_transform(X), M, mask)
        for lam in grid
    ]
    oracle = grid[int(np.argmin(errors))]
    assert oracle / 2.5 < est.shrinkage_ < oracle * 2.5
    # The one-standard-error rule errs towards more shrinkage.
    assert _rel(est.fit_transform(X), M, mask) < 1.2 * min(errors)
    # The path that chose it is kept.
    assert est.shrinkage_ in est.shrinkage_path_
    assert est.validation_rmse_.shape == est.shrinkage_path_.shape


def test_default_fit_is_deterministic():
    X, _, _, _, _ = _ratings(seed=4)
    a, b = SoftImpute().fit(X), SoftImpute().fit(X)
    assert a.n_iter_ == b.n_iter_ and a.rank_ == b.rank_
    np.testing.assert_array_equal(a.row_factors_, b.row_factors_)
    np.testing.assert_array_equal(a.row_offsets_, b.row_offsets_)


def test_path_center_both_removes_row_effects():
    X, M, mask = make_low_rank_completion(120, 80, 2, observed_fraction=0.4, random_state=0)
    rng = np.random.RandomState(0)
    X = 0.1 * X + 3 * rng.standard_normal(120)[:, None] + rng.standard_normal(80)
    kw = dict(n_shrinkages=5, max_rank=6, random_state=0)
    both = soft_impute_path(X, center="both", **kw)
    columns = soft_impute_path(X, center="columns", **kw)
    biases = soft_impute_path(X, center="biases", **kw)
    # lambda_0 of the centred training entries: the row effects are gone with "both"
    # (and "biases"), not with "columns" (this used to centre columns only).
    assert both.shrinkages[0] < 0.1 * columns.shrinkages[0]
    assert biases.shrinkages[0] < 0.1 * columns.shrinkages[0]
    with pytest.raises(ValueError, match="exact_als"):
        soft_impute_path(X, center="biases", solver="als")


@pytest.mark.parametrize("Est", [SoftImpute, AltMinCompletion, FactorizedCompletion])
def test_no_observed_entry_raises(Est):
    X = np.full((6, 5), np.nan)
    with pytest.raises(ValueError, match="no observed entry"):
        Est().fit(X)
    with pytest.raises(ValueError, match="no observed entry"):
        Est().fit(sp.csr_matrix((6, 5)))
    if Est is FactorizedCompletion:
        X[2, 3] = 4.0
        with pytest.raises(ValueError, match="single observed entry"):
            Est().fit(X)
    with pytest.raises(ValueError, match="no observed entry"):
        soft_impute_path(np.full((6, 5), np.nan))


def test_single_observed_entry_soft_impute_and_altmin():
    X = np.full((6, 5), np.nan)
    X[2, 3] = 4.0
    for est in (SoftImpute(), AltMinCompletion(center="biases")):
        Z = est.fit_transform(X)
        np.testing.assert_allclose(Z, 4.0)


@pytest.mark.parametrize("Est", [AltMinCompletion, FactorizedCompletion])
def test_default_constructor_passes_check_estimator(Est):
    check_estimator(Est())
