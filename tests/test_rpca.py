"""Robust PCA family: planted recovery, references, invariances, errors."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sksubspace.datasets import make_low_rank_sparse
from sksubspace.decomposition import RobustPCA
from sksubspace.metrics import relative_error

from ._helpers import assert_allclose_ref


@pytest.fixture(scope="module")
def planted():
    return make_low_rank_sparse(150, 120, 5, corruption=0.05, random_state=0)


@pytest.fixture(scope="module")
def fitted(planted):
    D, _, _ = planted
    return RobustPCA(random_state=0).fit(D)


def test_rpca_recovers_low_rank_and_sparse(planted, fitted):
    _, L, S = planted
    assert fitted.rank_ == 5
    assert relative_error(fitted.low_rank_, L) < 1e-5
    assert relative_error(fitted.sparse_, S) < 1e-4
    assert fitted.n_iter_ <= 30
    np.testing.assert_allclose(fitted.lam_, 1 / np.sqrt(150))
    # components_ span the row space of L, are orthonormal; L = coordinates @ V.
    V = fitted.components_
    np.testing.assert_allclose(V @ V.T, np.eye(5), atol=1e-10)
    Z = fitted.fit_transform(planted[0])
    np.testing.assert_allclose(fitted.inverse_transform(Z), fitted.low_rank_, atol=1e-10)
    # On low rank + sparse data, the per-row robust transform agrees with fit_transform.
    np.testing.assert_allclose(fitted.transform(planted[0]), Z, atol=1e-4)
    s_ref = np.linalg.svd(L, compute_uv=False)[:5]
    np.testing.assert_allclose(fitted.singular_values_, s_ref, rtol=1e-5)


def test_rpca_matches_dense_svd_reference(planted):
    # The partial, warm-started SVD gives the same iterates as an exact SVT.
    D, _, _ = planted
    from sksubspace._linalg import soft_threshold

    lam = 1 / np.sqrt(150)
    norm_two = np.linalg.norm(D, 2)
    Y = D / max(norm_two, np.abs(D).max() / lam)
    mu, L = 1.25 / norm_two, np.zeros_like(D)
    for _ in range(60):
        S = soft_threshold(D - L + Y / mu, lam / mu)
        U, s, Vt = np.linalg.svd(D - S + Y / mu, full_matrices=False)
        L = (U * np.maximum(s - 1 / mu, 0)) @ Vt
        Z = D - L - S
        Y, mu = Y + mu * Z, mu * 1.5
        if np.linalg.norm(Z) <= 1e-7 * np.linalg.norm(D):
            break
    est = RobustPCA(random_state=1).fit(D)
    assert relative_error(est.low_rank_, L) < 1e-6


def test_rpca_missing_entries():
    D, L, _ = make_low_rank_sparse(200, 150, 5, corruption=0.05, random_state=0)
    rng = np.random.default_rng(1)
    Dm = D.copy()
    missing = rng.random(D.shape) < 0.2
    Dm[missing] = np.nan
    est = RobustPCA(random_state=0).fit(Dm)
    assert est.rank_ == 5
    assert relative_error(est.low_rank_, L) < 1e-3
    assert np.all(est.sparse_[missing] == 0)
    assert np.isfinite(est.low_rank_).all()


def test_rpca_wide_equals_transposed_tall(planted):
    D, L, _ = planted
    wide = RobustPCA(random_state=0).fit(D.T)
    assert relative_error(wide.low_rank_, L.T) < 1e-5
    assert wide.components_.shape == (5, 150)


def test_rpca_robust_transform_beats_projection(planted, fitted):
    _, L, _ = planted
    rng = np.random.default_rng(2)
    clean = L[:40]
    X = clean.copy()
    bad = rng.random(X.shape) < 0.1
    X[bad] += rng.choice([-1, 1], bad.sum()) * rng.uniform(5, 20, bad.sum())
    W_clean = clean @ fitted.components_.T
    W_plain = X @ fitted.components_.T
    W = fitted.transform(X)
    assert np.abs(W - W_clean).max() < 1e-3
    assert np.abs(W_plain - W_clean).max() > 1.0  # orders of magnitude worse
    # Missing entries in new rows are ignored as well.
    X[rng.random(X.shape) < 0.1] = np.nan
    assert np.abs(fitted.transform(X) - W_clean).max() < 1e-3


def test_rpca_center(planted):
    D, L, _ = planted
    shift = np.linspace(-3, 3, D.shape[1])
    est = RobustPCA(center=True, random_state=0).fit(D + shift)
    assert relative_error(est.low_rank_, L + shift) < 1e-5
    np.testing.assert_allclose(est.mean_, (L + shift).mean(axis=0), atol=1e-5)
    Z = est.transform(L[:5] + shift)
    np.testing.assert_allclose(est.inverse_transform(Z), L[:5] + shift, atol=1e-6)


def test_rpca_float32_preserved(planted):
    D, L, _ = planted
    est = RobustPCA(random_state=0).fit(D.astype(np.float32))
    assert est.low_rank_.dtype == np.float32
    assert est.components_.dtype == np.float32
    assert est.transform(D[:3].astype(np.float32)).dtype == np.float32
    assert relative_error(est.low_rank_, L) < 1e-4


def test_rpca_scale_equivariance(planted, fitted):
    D, _, _ = planted
    est = RobustPCA(random_state=0).fit(7.0 * D)
    np.testing.assert_allclose(est.low_rank_, 7.0 * fitted.low_rank_, atol=1e-5)


def test_rpca_max_iter_warns(planted):
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        est = RobustPCA(max_iter=3, random_state=0).fit(planted[0])
    assert est.n_iter_ == 3


def test_rpca_verbose(planted, capsys):
    RobustPCA(verbose=1, max_iter=2, random_state=0, tol=0.5).fit(planted[0])
    assert "iteration" in capsys.readouterr().out


def test_rpca_bad_input():
    with pytest.raises(ValueError, match="no observed"):
        RobustPCA().fit(np.full((5, 4), np.nan))
    with pytest.raises(ValueError, match="infinity"):
        RobustPCA().fit(np.array([[1.0, np.inf], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="rho"):
        RobustPCA(rho=0.5).fit(np.eye(3))


def test_rpca_array_api_strict_nan(planted):
    xs = pytest.importorskip("array_api_strict")
    D = planted[0][:60, :40].copy()
    D[3, 4] = np.nan
    ref = RobustPCA(random_state=0).fit(D)
    got = RobustPCA(random_state=0).fit(xs.asarray(D))
    assert isinstance(got.low_rank_, type(xs.asarray([1.0])))
    assert_allclose_ref(np.asarray(got.low_rank_), ref.low_rank_, atol=1e-8)


def test_rpca_tall_matrix_never_forms_samples_by_samples_array():
    import tracemalloc

    D, L, _ = make_low_rank_sparse(3000, 60, 3, corruption=0.05, random_state=0)
    tracemalloc.start()
    est = RobustPCA(random_state=0).fit(D)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert relative_error(est.low_rank_, L) < 1e-5
    assert peak < 0.25 * D.shape[0] ** 2 * 8  # a 3000 x 3000 float64 array is 72 MB


# --- method="altproj" (AccAltProj) ---------------------------------------


@pytest.mark.parametrize("n_components", [5, None], ids=["given", "estimated"])
def test_altproj_recovers_low_rank_and_sparse(planted, fitted, n_components):
    D, L, S = planted
    est = RobustPCA(method="altproj", n_components=n_components, random_state=0).fit(D)
    assert est.rank_ == 5
    assert relative_error(est.low_rank_, L) < 1e-5
    assert relative_error(est.sparse_, S) < 1e-4
    assert est.n_iter_ <= 30 and est.lam_ is None
    # Same fitted attributes as the convex solver, same robust transform.
    np.testing.assert_allclose(est.components_ @ est.components_.T, np.eye(5), atol=1e-10)
    np.testing.assert_allclose(np.abs(est.components_), np.abs(fitted.components_), atol=1e-5)
    np.testing.assert_allclose(est.singular_values_, fitted.singular_values_, rtol=1e-5)
    np.testing.assert_allclose(est.transform(D), est.fit_transform(D), atol=1e-4)


def test_altproj_missing_entries_and_wide():
    D, L, _ = make_low_rank_sparse(200, 150, 5, corruption=0.05, random_state=0)
    Dm = D.copy()
    missing = np.random.default_rng(1).random(D.shape) < 0.2
    Dm[missing] = np.nan
    est = RobustPCA(method="altproj", random_state=0).fit(Dm)
    assert est.rank_ == 5
    assert relative_error(est.low_rank_, L) < 1e-4
    assert np.all(est.sparse_[missing] == 0) and np.isfinite(est.low_rank_).all()
    wide = RobustPCA(method="altproj", n_components=5, random_state=0).fit(Dm.T)
    assert relative_error(wide.low_rank_, L.T) < 1e-4


def test_altproj_float32_trimming_and_center(planted):
    D, L, _ = planted
    est = RobustPCA(method="altproj", random_state=0).fit(D.astype(np.float32))
    assert est.low_rank_.dtype == est.components_.dtype == np.float32
    assert relative_error(est.low_rank_, L) < 1e-4
    # Trimming at (a bound above) the incoherence of the planted L changes nothing.
    U, _, Vt = np.linalg.svd(L, full_matrices=False)
    mu = max(
        150 / 5 * np.max(np.sum(U[:, :5] ** 2, axis=1)),
        120 / 5 * np.max(np.sum(Vt[:5] ** 2, axis=0)),
    )
    trimmed = RobustPCA(method="altproj", incoherence=1.5 * mu, random_state=0).fit(D)
    assert relative_error(trimmed.low_rank_, L) < 1e-5
    shift = np.linspace(-3, 3, D.shape[1])
    centred = RobustPCA(method="altproj", center=True, random_state=0).fit(D + shift)
    assert relative_error(centred.low_rank_, L + shift) < 1e-5


def test_altproj_rank_estimate_follows_the_spectral_gap():
    from sksubspace.decomposition._robust_pca import _estimate_rank

    rng = np.random.default_rng(0)
    for r in (1, 3, 12, 40):
        A = rng.standard_normal((300, r)) @ rng.standard_normal((r, 200))
        A += 1e-3 * rng.standard_normal(A.shape)
        rank, U, s, Vt = _estimate_rank(A, 0)
        assert rank == r and U.shape == (300, r) and s.shape == (r,) and Vt.shape == (r, 200)


def test_altproj_array_api_strict_matches_numpy(planted):
    xs = pytest.importorskip("array_api_strict")
    D = planted[0][:80, :60].copy()
    D[3, 4] = np.nan
    ref = RobustPCA(method="altproj", n_components=5, random_state=0).fit(D)
    got = RobustPCA(method="altproj", n_components=5, random_state=0).fit(xs.asarray(D))
    assert_allclose_ref(np.asarray(got.low_rank_), ref.low_rank_, atol=1e-8)


def test_altproj_bad_input_and_non_convergence(planted):
    D = planted[0]
    with pytest.raises(ValueError, match="n_components=200 must be at most"):
        RobustPCA(method="altproj", n_components=200).fit(D)
    with pytest.raises(ValueError, match="method"):
        RobustPCA(method="gd").fit(D)
    with pytest.raises(ValueError, match="gamma"):
        RobustPCA(method="altproj", gamma=1.5).fit(D)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        est = RobustPCA(method="altproj", max_iter=2, random_state=0).fit(D)
    assert est.n_iter_ == 2
