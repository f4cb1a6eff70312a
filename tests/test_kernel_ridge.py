"""Kernel regression family: agreement with scikit-learn, FALKON, STKR, online ALD."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_circles
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_ridge import KernelRidge as SkKernelRidge
from sklearn.metrics.pairwise import pairwise_kernels, rbf_kernel
from sklearn.model_selection import GridSearchCV

from sksubspace.kernel_ridge import (
    KernelRidge,
    NystromKernelRidge,
    OnlineKernelRidge,
    SpectrallyTransformedKernelRidge,
)
from sksubspace.kernel_ridge._base import check_dense_kernel_fits
from sksubspace.kernel_ridge._kernels import (
    KERNELS,
    kernel_diag,
    kernel_gram,
    kernel_matmul,
    kernel_params,
    pairwise_kernel,
)

from ._helpers import assert_allclose_ref

SHARED = ["linear", "rbf", "laplacian", "polynomial", "poly", "sigmoid", "cosine", "chi2"]


def _data(n=80, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = np.abs(rng.standard_normal((n, d)))
    Xt = np.abs(rng.standard_normal((20, d)))
    y = rng.standard_normal((n, 2))
    return X, Xt, y


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_blocks_match_sklearn(kernel):
    X, Xt, _ = _data()
    p = kernel_params(kernel, X.shape[1], gamma=None, degree=3, coef0=1)
    np.testing.assert_allclose(
        pairwise_kernel(X, None, kernel, **p), pairwise_kernels(X, metric=kernel, **p), atol=1e-12
    )
    np.testing.assert_allclose(
        pairwise_kernel(Xt, X, kernel, **p), pairwise_kernels(Xt, X, metric=kernel, **p), atol=1e-12
    )
    np.testing.assert_allclose(
        kernel_diag(X, kernel, **p), np.diag(pairwise_kernels(X, metric=kernel, **p)), atol=1e-12
    )


def test_streamed_gram_and_matmul():
    X, Xt, y = _data()
    K = rbf_kernel(X, Xt, gamma=0.3)
    H, b = kernel_gram(X, Xt, y, "rbf", chunk_size=7, gamma=0.3)
    np.testing.assert_allclose(H, K.T @ K, rtol=1e-12)
    np.testing.assert_allclose(b, K.T @ y, atol=1e-12)
    np.testing.assert_allclose(
        kernel_matmul(X, Xt, y[:20], "rbf", chunk_size=7, gamma=0.3), K @ y[:20], atol=1e-12
    )


@pytest.mark.parametrize("kernel", SHARED)
@pytest.mark.parametrize("alpha", [1.0, [0.5, 2.0]])
@pytest.mark.parametrize("weighted", [False, True])
def test_kernel_ridge_matches_sklearn(kernel, alpha, weighted):
    X, Xt, y = _data()
    sw = np.random.default_rng(1).uniform(0.5, 2, X.shape[0]) if weighted else None
    gamma = 0.5 if kernel == "chi2" else None  # scikit-learn's chi2 breaks on gamma=None
    ref = SkKernelRidge(alpha=alpha, kernel=kernel, gamma=gamma).fit(X, y, sample_weight=sw)
    got = KernelRidge(alpha=alpha, kernel=kernel, gamma=gamma).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(got.predict(Xt), ref.predict(Xt), atol=1e-8, rtol=0)
    np.testing.assert_allclose(got.dual_coef_, ref.dual_coef_, atol=1e-8, rtol=1e-8)


def test_kernel_ridge_precomputed_callable_sparse_1d():
    import scipy.sparse as sp

    X, Xt, y = _data()
    K, Kt = rbf_kernel(X, gamma=0.2), rbf_kernel(Xt, X, gamma=0.2)
    np.testing.assert_allclose(
        KernelRidge(kernel="precomputed").fit(K, y[:, 0]).predict(Kt),
        SkKernelRidge(kernel="precomputed").fit(K, y[:, 0]).predict(Kt),
        atol=1e-10,
    )

    def k(a, b):
        return np.exp(-np.abs(a - b).sum())

    np.testing.assert_allclose(
        KernelRidge(kernel=k).fit(X, y).predict(Xt),
        SkKernelRidge(kernel=k).fit(X, y).predict(Xt),
        atol=1e-10,
    )
    np.testing.assert_allclose(
        KernelRidge(kernel="rbf").fit(sp.csr_matrix(X), y).predict(Xt),
        SkKernelRidge(kernel="rbf").fit(sp.csr_matrix(X), y).predict(Xt),
        atol=1e-10,
    )


def test_kernel_ridge_float32_preserved():
    X, Xt, y = _data()
    m = KernelRidge(alpha=0.1, kernel="rbf").fit(X.astype(np.float32), y.astype(np.float32))
    assert m.dual_coef_.dtype == np.float32
    ref = KernelRidge(alpha=0.1, kernel="rbf").fit(X, y).predict(Xt)
    np.testing.assert_allclose(m.predict(Xt.astype(np.float32)), ref, atol=1e-3)


def test_kernel_ridge_memory_error_points_to_nystrom():
    with pytest.raises(MemoryError, match="NystromKernelRidge"):
        check_dense_kernel_fits(10**7, 8)


def _smooth(n, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, d))
    f = np.sin(2 * X[:, 0]) * np.cos(X[:, 1]) + 0.3 * X[:, 2]
    return X, f


@pytest.mark.parametrize("precompute", [True, False])
def test_nystrom_converges_to_exact_nystrom_solution(precompute):
    X, f = _smooth(1500)
    y = f + 0.1 * np.random.default_rng(1).standard_normal(1500)
    n, lam = X.shape[0], 1e-4
    m = NystromKernelRidge(
        penalty=lam,
        n_centers=200,
        gamma=0.5,
        random_state=0,
        max_iter=200,
        tol=1e-9,
        precompute=precompute,
    ).fit(X, y)
    Knm, Kmm = rbf_kernel(X, m.centers_, gamma=0.5), rbf_kernel(m.centers_, gamma=0.5)
    c = np.linalg.solve(Knm.T @ Knm + lam * n * Kmm, Knm.T @ y)
    np.testing.assert_allclose(m.predict(X), Knm @ c, atol=1e-3)
    assert m.n_iter_ < 300


def test_nystrom_all_centers_is_kernel_ridge_and_float32():
    X, f = _smooth(400)
    n, lam = X.shape[0], 1e-3
    m = NystromKernelRidge(penalty=lam, n_centers=n, gamma=0.5, max_iter=300, tol=1e-10).fit(X, f)
    k = KernelRidge(alpha=lam * n, kernel="rbf", gamma=0.5).fit(X, f)
    np.testing.assert_allclose(m.predict(X[:50]), k.predict(X[:50]), atol=1e-5)
    m32 = NystromKernelRidge(penalty=1e-6, n_centers=150, gamma=0.5, random_state=0).fit(
        X.astype(np.float32), f.astype(np.float32)
    )
    assert m32.dual_coef_.dtype == np.float32
    assert np.mean((m32.predict(X.astype(np.float32)) - f) ** 2) < 1e-2


def test_nystrom_twenty_iterations_match_sklearn_nystroem_ridge():
    from sklearn.kernel_approximation import Nystroem
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    X, f = _smooth(4000)
    y = f + 0.1 * np.random.default_rng(2).standard_normal(4000)
    Xt, ft = _smooth(1000, seed=3)
    lam = 1e-5
    ours = NystromKernelRidge(penalty=lam, n_centers=300, gamma=0.5, random_state=0).fit(X, y)
    sk = make_pipeline(
        Nystroem(gamma=0.5, n_components=300, random_state=0), Ridge(alpha=lam * 4000)
    ).fit(X, y)
    mse_ours = np.mean((ours.predict(Xt) - ft) ** 2)
    mse_sk = np.mean((sk.predict(Xt) - ft) ** 2)
    assert mse_ours < 1.1 * mse_sk, (mse_ours, mse_sk)


def test_eigenpro_solver_agrees_with_falkon():
    """EigenPro 3 converges to FALKON's solution (same centers), closer with more epochs."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (1500, 3))
    f = np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + X[:, 2] ** 2
    y = np.column_stack([f + 0.1 * rng.standard_normal(1500), -f])  # two targets
    Xt = rng.uniform(-1, 1, (500, 3))
    kw = dict(penalty=1e-4, n_centers=100, gamma=1.0, random_state=0)
    ref = NystromKernelRidge(max_iter=200, tol=1e-12, **kw).fit(X, y).predict(Xt)
    gaps = []
    for epochs in (2, 30):
        ep = NystromKernelRidge(
            solver="eigenpro",
            max_iter=epochs,
            n_nystrom_samples=300,
            top_q=30,
            chunk_size=50,
            **kw,
        ).fit(X, y)
        assert ep.n_iter_ == epochs and ep.dual_coef_.shape == (100, 2)
        gaps.append(np.linalg.norm(ep.predict(Xt) - ref) / np.linalg.norm(ref))
    assert gaps[1] < 0.01, gaps
    assert gaps[1] < 0.5 * gaps[0], gaps
    # float32 data: float32 coefficients, same model
    ep32 = NystromKernelRidge(
        solver="eigenpro", max_iter=30, n_nystrom_samples=300, top_q=30, chunk_size=50, **kw
    ).fit(X.astype(np.float32), y[:, 0].astype(np.float32))
    assert ep32.dual_coef_.dtype == np.float32
    pred = ep32.predict(Xt.astype(np.float32))
    assert np.linalg.norm(pred - ref[:, 0]) / np.linalg.norm(ref[:, 0]) < 0.02


def test_eigenpro_preconditioner_flattens_the_spectrum():
    from sksubspace.kernel_ridge._eigenpro import data_preconditioner

    X = np.random.default_rng(0).uniform(-1, 1, (300, 2))
    K = rbf_kernel(X, gamma=1.0)
    w = np.linalg.eigvalsh(K)[::-1]
    for top_q in (8, 20):
        E, D, mu_tail = data_preconditioner(K, top_q)
        # at most top_q directions, and no deeper than a 100-fold drop of the spectrum
        q = min(top_q, int(np.sum(w[1:] >= w[0] / 100)))
        assert E.shape == (300, q) and np.isclose(mu_tail, w[q] / 300)
        # P K = K - E diag(D) E' K K... on the sample space: K - K E diag(D) E' K has the
        # top q eigenvalues of K lowered to the (q+1)-th, the rest unchanged.
        PK = K - K @ (E * D) @ E.T @ K
        top = np.sort(np.linalg.eigvalsh((PK + PK.T) / 2))[::-1]
        np.testing.assert_allclose(top[: q + 1], w[q], rtol=1e-6)
        np.testing.assert_allclose(top[q + 1 : 40], w[q + 1 : 40], rtol=1e-6, atol=1e-12)
        assert w[0] > 10 * w[q]
    assert q < 20  # this spectrum falls 100-fold within 20 directions


def test_nystrom_leverage_centers_and_gridsearch():
    X, f = _smooth(800)
    m = NystromKernelRidge(
        penalty=1e-5, n_centers=100, gamma=0.5, center_selection="leverage", random_state=0
    )
    m.fit(X, f)
    assert len(np.unique(m.center_indices_)) == 100
    assert np.mean((m.predict(X) - f) ** 2) < 1e-2
    gs = GridSearchCV(
        NystromKernelRidge(n_centers=80, random_state=0),
        {"penalty": [1e-6, 1e-1], "gamma": [0.5, 50.0]},
        cv=2,
    ).fit(X, f)
    assert gs.best_params_ == {"penalty": 1e-6, "gamma": 0.5}


def _circles(seed):
    X, lab = make_circles(1000, noise=0.03, factor=0.5, random_state=seed)
    rng = np.random.default_rng(seed)
    y = np.full(1000, np.nan)
    known = np.concatenate([rng.choice(np.flatnonzero(lab == c), 5, replace=False) for c in (0, 1)])
    y[known] = 2.0 * lab[known] - 1
    return X, y, lab, known


def test_stkr_concentric_circles_one_percent_labels():
    stkr, krr = [], []
    for seed in range(5):
        X, y, lab, known = _circles(seed)
        m = SpectrallyTransformedKernelRidge(gamma=100.0, random_state=0).fit(X, y)
        stkr.append(np.mean((m.predict(X) > 0) == lab))
        k = KernelRidge(alpha=1e-3, kernel="rbf", gamma=100.0).fit(X[known], y[known])
        krr.append(np.mean((k.predict(X) > 0) == lab))
    assert np.mean(stkr) >= 0.95, stkr
    assert np.mean(krr) < 0.85, krr
    # Inductive: new points of the same manifolds.
    Xn, labn = make_circles(300, noise=0.03, factor=0.5, random_state=99)
    X, y, lab, _ = _circles(0)
    m = SpectrallyTransformedKernelRidge(gamma=100.0, random_state=0).fit(X, y)
    assert np.mean((m.predict(Xn) > 0) == labn) >= 0.95


def test_stkr_single_power_is_kernel_ridge_on_labeled_rows():
    X, y, lab, known = _circles(0)
    m = SpectrallyTransformedKernelRidge(
        alpha=0.1, gamma=5.0, transform_coefs=[1.0], random_state=0
    ).fit(X, y)
    r = m.top_eigenvalue_
    k = KernelRidge(alpha=0.1 * r, kernel="rbf", gamma=5.0).fit(X[known], y[known])
    np.testing.assert_allclose(m.predict(X), k.predict(X), atol=1e-6)


def test_stkr_top_eigenvalue_matches_dense_eigh():
    # Two circles: the top eigenvalues of K / n come in near-equal pairs (one
    # per circle), where a single-vector power method stalls.
    X, y, _, _ = _circles(0)
    m = SpectrallyTransformedKernelRidge(gamma=100.0, random_state=0).fit(X, y)
    K = rbf_kernel(X, gamma=100.0) / X.shape[0]
    w = np.linalg.eigvalsh(K)
    assert w[-2] / w[-1] > 0.9  # the hard case
    assert abs(m.top_eigenvalue_ - w[-1]) <= 1e-5 * w[-1]


@pytest.mark.parametrize("dense_max", [8192, 100])
def test_stkr_shared_passes_equal_horner(dense_max, monkeypatch):
    # The kernel powers computed alongside the eigenvalue iteration (then
    # rescaled) give the model of Horner's rule run after it, on the dense
    # kernel and on the streamed one.
    from sksubspace.kernel_ridge import _spectral_kernel_ridge as stkr

    X, y, _, _ = _circles(0)
    monkeypatch.setattr(stkr, "_DENSE_MAX", dense_max)
    shared = SpectrallyTransformedKernelRidge(gamma=100.0, random_state=0).fit(X, y)
    monkeypatch.setattr(stkr, "_POWERS_MAX", 0)
    horner = SpectrallyTransformedKernelRidge(gamma=100.0, random_state=0).fit(X, y)
    assert shared.top_eigenvalue_ == pytest.approx(horner.top_eigenvalue_, rel=1e-12)
    np.testing.assert_allclose(shared.dual_coef_, horner.dual_coef_, rtol=1e-7, atol=1e-9)


def test_stkr_kpca_and_errors():
    X, y, lab, _ = _circles(0)
    m = SpectrallyTransformedKernelRidge(
        gamma=20.0, spectral_transform="kpca", n_components=20
    ).fit(X, y)
    assert m.predict(X).shape == (1000,)
    with pytest.raises(ValueError, match="no labeled row"):
        SpectrallyTransformedKernelRidge().fit(X, np.full(1000, np.nan))


def test_online_threshold_zero_is_kernel_ridge():
    X, f = _smooth(200)
    m = OnlineKernelRidge(alpha=0.1, gamma=1.0, threshold=0.0, batch_size=37).fit(X, f)
    k = KernelRidge(alpha=0.1, kernel="rbf", gamma=1.0).fit(X, f)
    assert m.n_basis_ == 200
    np.testing.assert_allclose(m.predict(X), k.predict(X), atol=1e-8)


def test_online_basis_sublinear_and_accurate():
    X, f = _smooth(6000)
    y = f + 0.1 * np.random.default_rng(0).standard_normal(6000)
    Xt, ft = _smooth(1000, seed=5)
    m = OnlineKernelRidge(alpha=1e-2, gamma=0.5, threshold=1e-3)
    sizes = []
    for s in range(0, 6000, 1000):
        m.partial_fit(X[s : s + 1000], y[s : s + 1000])
        sizes.append(m.n_basis_)
    assert sizes[-1] - sizes[2] < 0.2 * sizes[2], sizes  # the basis nearly stops growing
    k = KernelRidge(alpha=1e-2, kernel="rbf", gamma=0.5).fit(X[:1500], y[:1500])
    mse_online = np.mean((m.predict(Xt) - ft) ** 2)
    mse_batch = np.mean((k.predict(Xt) - ft) ** 2)
    assert mse_online < 1.1 * mse_batch, (mse_online, mse_batch)
    with pytest.raises(ValueError, match="features"):
        m.partial_fit(X[:10, :2], y[:10])


def test_invalid_parameters():
    X, f = _smooth(50)
    with pytest.raises(ValueError):
        KernelRidge(kernel="nope").fit(X, f)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="n_centers"):
            NystromKernelRidge(n_centers=100).fit(X, f)


def test_kernel_ridge_refuses_negative_sample_weight_by_name():
    X, f = _smooth(30)
    for sw in (-np.ones(30), -1.0):
        with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
            KernelRidge().fit(X, f, sample_weight=sw)
    # a scalar weight is a rescaled penalty: alpha / w
    np.testing.assert_allclose(
        KernelRidge(alpha=1.0).fit(X, f, sample_weight=4.0).predict(X),
        KernelRidge(alpha=0.25).fit(X, f).predict(X),
        rtol=1e-10,
    )


def test_stkr_names_y_when_it_holds_infinity():
    X, f = _smooth(40)
    f[3] = np.inf
    with pytest.raises(ValueError, match="Input y contains infinity"):
        SpectrallyTransformedKernelRidge(random_state=0).fit(X, f)


def test_nystrom_iterates_to_tolerance_and_warns_at_max_iter():
    X, f = _smooth(1500)
    y = f + 0.1 * np.random.default_rng(0).standard_normal(1500)
    kw = dict(n_centers=200, gamma=0.5, random_state=0)
    # the default stops at its tolerance, past the 20 iterations that used to be fixed
    model = NystromKernelRidge(penalty=1e-6, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert 20 < model.n_iter_ < model.max_iter
    exact = NystromKernelRidge(penalty=1e-6, max_iter=1000, tol=1e-10, **kw).fit(X, y)
    gap = np.linalg.norm(model.predict(X) - exact.predict(X)) / np.linalg.norm(exact.predict(X))
    assert gap < 1e-2, gap
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        NystromKernelRidge(penalty=1e-6, max_iter=5, **kw).fit(X, y)
    with warnings.catch_warnings():  # tol=None: exactly max_iter, FALKON's early stopping
        warnings.simplefilter("error", ConvergenceWarning)
        assert NystromKernelRidge(penalty=1e-6, max_iter=5, tol=None, **kw).fit(X, y).n_iter_ == 5


def test_eigenpro_with_every_sample_a_center_reaches_exact_kernel_ridge():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (200, 2))
    y = np.sin(X[:, 0]) * np.cos(X[:, 1])
    lam = 1e-3
    exact = KernelRidge(alpha=lam * 200, kernel="rbf", gamma=0.5).fit(X, y).predict(X)
    ep = NystromKernelRidge(
        penalty=lam, n_centers=200, gamma=0.5, solver="eigenpro", max_iter=100, random_state=0
    ).fit(X, y)
    gap = np.linalg.norm(ep.predict(X) - exact) / np.linalg.norm(exact)
    assert gap < 1e-4, gap  # 0.99 before the preconditioner's depth was capped


def test_nystrom_sample_weight_is_weighted_least_squares():
    X, f = _smooth(600)
    y = f + 0.1 * np.random.default_rng(3).standard_normal(600)
    w = np.random.default_rng(4).integers(0, 4, 600).astype(float)
    lam = 1e-4
    kw = dict(penalty=lam, n_centers=80, gamma=0.5, random_state=0, max_iter=500, tol=1e-12)
    for precompute in (True, False):
        m = NystromKernelRidge(precompute=precompute, **kw).fit(X, y, sample_weight=w)
        Knm, Kmm = rbf_kernel(X, m.centers_, gamma=0.5), rbf_kernel(m.centers_, gamma=0.5)
        c = np.linalg.solve(Knm.T @ (w[:, None] * Knm) + lam * w.sum() * Kmm, Knm.T @ (w * y))
        np.testing.assert_allclose(m.predict(X), Knm @ c, atol=1e-6)
    # unit weights change nothing; Dask / EigenPro refuse weights
    np.testing.assert_allclose(
        NystromKernelRidge(**kw).fit(X, y, sample_weight=np.ones(600)).predict(X),
        NystromKernelRidge(**kw).fit(X, y).predict(X),
        atol=1e-10,
    )
    with pytest.raises(ValueError, match="solver='falkon'"):
        NystromKernelRidge(solver="eigenpro", n_centers=50).fit(X, y, sample_weight=w)
    with pytest.raises(ValueError, match="Negative values"):
        NystromKernelRidge(n_centers=50).fit(X, y, sample_weight=-w)


def test_online_sample_weight_is_weighted_kernel_ridge_and_repetition():
    X, f = _smooth(200)
    w = np.random.default_rng(1).integers(0, 4, 200)
    # threshold 0: every row of positive weight joins the basis, so the model is
    # exact weighted kernel ridge (rows of weight 0 do not count at all)
    m = OnlineKernelRidge(alpha=0.1, gamma=1.0, threshold=0.0, batch_size=37)
    m.fit(X, f, sample_weight=w)
    ref = SkKernelRidge(alpha=0.1, kernel="rbf", gamma=1.0).fit(X, f, sample_weight=w)
    assert m.n_basis_ == np.count_nonzero(w)
    np.testing.assert_allclose(m.predict(X), ref.predict(X), atol=1e-8)
    # default threshold: integer weights are the rows repeated, chunk by chunk
    X, f = _smooth(600, seed=2)
    w = np.random.default_rng(3).integers(0, 4, 600)
    weighted = OnlineKernelRidge(alpha=1e-2, gamma=0.5, batch_size=64)
    repeated = OnlineKernelRidge(alpha=1e-2, gamma=0.5, batch_size=64)
    for part in np.array_split(np.arange(600), 3):
        weighted.partial_fit(X[part], f[part], sample_weight=w[part])
        repeated.partial_fit(np.repeat(X[part], w[part], axis=0), np.repeat(f[part], w[part]))
    assert weighted.n_basis_ == repeated.n_basis_
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), atol=1e-8)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        OnlineKernelRidge().fit(X, f, sample_weight=-np.ones(600))


def test_stkr_sample_weight_is_weighted_loss_on_labeled_rows():
    X, y, lab, known = _circles(0)
    w = np.zeros(1000)
    w[known] = np.random.default_rng(0).choice([0.5, 1.0, 3.0], known.size)
    m = SpectrallyTransformedKernelRidge(
        alpha=0.1, gamma=5.0, transform_coefs=[1.0], random_state=0
    ).fit(X, y, sample_weight=w)
    k = SkKernelRidge(alpha=0.1 * m.top_eigenvalue_, kernel="rbf", gamma=5.0)
    k.fit(X[known], y[known], sample_weight=w[known])
    np.testing.assert_allclose(m.predict(X), k.predict(X), atol=1e-6)
    # a labeled row of weight 0 is an unlabeled row (both transforms)
    w = np.ones(1000)
    w[known[:3]] = 0.0
    y_un = y.copy()
    y_un[known[:3]] = np.nan
    for kw in ({}, {"spectral_transform": "kpca", "n_components": 20}):
        est = SpectrallyTransformedKernelRidge(gamma=20.0, random_state=0, **kw)
        zero = est.fit(X, y, sample_weight=w).predict(X)
        unlabeled = est.fit(X, y_un).predict(X)
        np.testing.assert_allclose(zero, unlabeled, atol=1e-8)
    with pytest.raises(ValueError, match="0 on every labeled row"):
        est.fit(X, y, sample_weight=np.where(np.isnan(y), 1.0, 0.0))


@pytest.mark.parametrize("name", ["online", "stkr"])
def test_kernel_ridge_sample_weight_is_routed(name):
    import sklearn
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, f = _smooth(300)
    if name == "stkr":
        f = np.where(np.arange(300) % 10 == 0, f, np.nan)
        make = lambda: SpectrallyTransformedKernelRidge(gamma=1.0, random_state=0)  # noqa: E731
    else:
        make = lambda: OnlineKernelRidge(alpha=0.1, gamma=1.0)  # noqa: E731
    w = np.random.default_rng(0).uniform(0.1, 3.0, 300)
    with sklearn.config_context(enable_metadata_routing=True):
        est = make().set_fit_request(sample_weight=True)
        pipe = make_pipeline(FunctionTransformer(), est).fit(X, f, sample_weight=w)
    ref = make().fit(X, f, sample_weight=w).predict(X)
    np.testing.assert_array_equal(pipe.predict(X), ref)
    assert not np.allclose(make().fit(X, f).predict(X), ref)


def test_kernel_ridge_sample_weight_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    X, f = _smooth(200)
    w = np.random.default_rng(0).integers(0, 3, 200).astype(float)
    f_lab = np.where(np.arange(200) % 5 == 0, f, np.nan)
    for est, y, sw in (
        (OnlineKernelRidge(gamma=0.5), f, w),
        (SpectrallyTransformedKernelRidge(gamma=0.5, random_state=0), f_lab, w + 1),
    ):
        ours = est.fit(xs.asarray(X), xs.asarray(y), sample_weight=sw).predict(xs.asarray(X))
        ref = est.fit(X, y, sample_weight=sw).predict(X)
        assert_allclose_ref(np.asarray(ours), ref, atol=1e-10)
