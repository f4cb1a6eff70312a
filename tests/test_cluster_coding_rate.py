"""CodingRateClustering (shallow MLC): hand gradients, Sinkhorn, training, recovery, API."""

import warnings

import array_api_compat.numpy as xnp
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sksubspace.cluster import CodingRateClustering
from sksubspace.cluster._coding_rate import (
    batch_rate_reduction,
    coding_rate,
    membership_rate,
    normalize_rows_backward,
    sinkhorn_backward,
    sinkhorn_symmetric,
)
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy

from ._helpers import assert_allclose_ref


def _numeric_grad(f, P, h=1e-6):
    """Central finite differences of the scalar ``f`` at every entry of ``P``."""
    G = np.zeros_like(P)
    for idx in np.ndindex(P.shape):
        E = np.zeros_like(P)
        E[idx] = h
        G[idx] = (f(P + E) - f(P - E)) / (2 * h)
    return G


def _unit_rows(A):
    return A / np.linalg.norm(A, axis=1, keepdims=True)


@pytest.fixture
def small():
    rng = np.random.RandomState(0)
    n, p, d, m = 10, 6, 4, 3
    X = rng.standard_normal((n, p))
    W = rng.standard_normal((p, d))
    C = _unit_rows(rng.standard_normal((n, m)))
    Z = _unit_rows(X @ W)
    K = np.exp((C @ C.T - 1.0) / 0.3)
    Pi, _ = sinkhorn_symmetric(K, xnp, tol=1e-14)
    return rng, X, W, C, Z, Pi


def test_coding_rate_gradient(small):
    _, _, _, _, Z, _ = small
    value, grad = coding_rate(Z, 0.5, xnp)
    n, d = Z.shape
    ref = 0.5 * np.linalg.slogdet(np.eye(d) + d / (n * 0.25) * Z.T @ Z)[1]
    np.testing.assert_allclose(value, ref, rtol=1e-12)
    # the d x d form equals the n x n form of the papers
    np.testing.assert_allclose(
        value, 0.5 * np.linalg.slogdet(np.eye(n) + d / (n * 0.25) * Z @ Z.T)[1], rtol=1e-12
    )
    num = _numeric_grad(lambda A: coding_rate(A, 0.5, xnp)[0], Z)
    np.testing.assert_allclose(grad, num, atol=1e-8)


def test_membership_rate_gradients(small):
    _, _, _, _, Z, Pi = small
    n, d = Z.shape
    value, gz, gpi = membership_rate(Z, Pi, 0.5, xnp)
    ref = sum(
        np.linalg.slogdet(np.eye(d) + d / 0.25 * Z.T @ np.diag(Pi[i]) @ Z)[1] for i in range(n)
    ) / (2 * n)
    np.testing.assert_allclose(value, ref, rtol=1e-12)
    np.testing.assert_allclose(
        gz, _numeric_grad(lambda A: membership_rate(A, Pi, 0.5, xnp)[0], Z), atol=1e-8
    )
    np.testing.assert_allclose(
        gpi, _numeric_grad(lambda P: membership_rate(Z, P, 0.5, xnp)[0], Pi), atol=1e-8
    )
    # with the uniform membership every point codes the whole batch: R_c = R
    U = np.full((n, n), 1.0 / n)
    np.testing.assert_allclose(membership_rate(Z, U, 0.5, xnp)[0], coding_rate(Z, 0.5, xnp)[0])


def test_normalize_rows_gradient(small):
    rng, X, W, _, _, _ = small
    Y = X @ W
    G0 = rng.standard_normal(Y.shape)
    norms = np.linalg.norm(Y, axis=1, keepdims=True)
    got = normalize_rows_backward(G0, Y / norms, norms, xnp)
    num = _numeric_grad(lambda A: np.sum(G0 * _unit_rows(A)), Y)
    np.testing.assert_allclose(got, num, atol=1e-8)


def test_sinkhorn_is_doubly_stochastic_and_its_gradient(small):
    rng, _, _, C, _, Pi = small
    np.testing.assert_allclose(Pi.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(Pi.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(Pi, Pi.T, atol=1e-15)
    assert (Pi > 0).all()
    # sparse input keeps its support (and the same scaling on it)
    Ks = sp.csr_matrix(np.where(np.abs(C @ C.T) > 0.3, np.exp((C @ C.T - 1) / 0.3), 0.0))
    Ps, _ = sinkhorn_symmetric(Ks, np, tol=1e-10)
    assert sp.issparse(Ps) and Ps.nnz == Ks.nnz
    np.testing.assert_allclose(np.asarray(Ps.sum(axis=1)).ravel(), 1.0, atol=1e-9)
    np.testing.assert_allclose(np.asarray(Ps.sum(axis=0)).ravel(), 1.0, atol=1e-9)
    # implicit gradient through the scaling of exp(S / t) against finite differences
    t = 0.3
    G0 = rng.standard_normal(Pi.shape)
    S = C @ C.T

    def f(S_):
        P, _ = sinkhorn_symmetric(np.exp((S_ - 1.0) / t), xnp, tol=1e-14)
        return np.sum(G0 * P)

    np.testing.assert_allclose(sinkhorn_backward(Pi, G0, t, xnp), _numeric_grad(f, S), atol=1e-7)


def test_batch_rate_reduction_gradients(small):
    _, X, W, C, _, _ = small

    def f(W_, C_):
        return batch_rate_reduction(X, W_, C_, 0.5, 0.3, xnp, sinkhorn_tol=1e-14)[0]

    value, gW, gC, Pi, r = batch_rate_reduction(X, W, C, 0.5, 0.3, xnp, sinkhorn_tol=1e-14)
    assert 0 < value < r
    np.testing.assert_allclose(gW, _numeric_grad(lambda A: f(A, C), W), atol=1e-8)
    np.testing.assert_allclose(gC, _numeric_grad(lambda A: f(W, A), C), atol=1e-8)


@pytest.fixture(scope="module")
def independent():
    """5 independent subspaces of dim 5 in R^50, plus held-out points."""
    X, y, _ = make_subspaces(5, 5, 50, 120, noise=0.01, random_state=0)
    return X[:500], y[:500], X[500:], y[500:]


@pytest.fixture(scope="module")
def fitted(independent):
    X = independent[0]
    return CodingRateClustering(5, n_components=20, random_state=0).fit(X)


def test_planted_recovery_predict_and_training(fitted, independent):
    X, y, X_new, y_new = independent
    est = fitted
    assert clustering_accuracy(y, est.labels_) >= 0.99
    assert clustering_accuracy(y_new, est.predict(X_new)) >= 0.99
    assert est.n_clusters_ == 5
    # training increases the rate reduction
    curve = np.asarray(est.loss_curve_)
    assert len(curve) == est.n_iter_ >= 2
    assert curve[-1] > curve[0] + 0.5
    assert np.all(np.diff(curve) > -0.05 * np.abs(curve[:-1]))
    # the learned membership: doubly stochastic, symmetric, almost no mass across subspaces
    Pi = est.membership_
    assert sp.issparse(Pi)
    np.testing.assert_allclose(np.asarray(Pi.sum(axis=1)).ravel(), 1.0, atol=1e-6)
    assert abs(Pi - Pi.T).max() < 1e-12
    Pc = Pi.tocoo()
    assert Pc.data[y[Pc.row] != y[Pc.col]].sum() / Pc.data.sum() < 0.01
    codes = est.membership_codes_
    np.testing.assert_allclose(np.linalg.norm(codes, axis=1), 1.0)


def test_transform_linearizes(fitted, independent):
    X, y, X_new, _ = independent
    Z = fitted.transform(X_new)
    assert Z.shape == (X_new.shape[0], 20)
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1.0)
    assert fitted.components_.shape == (20, 50)
    assert list(fitted.get_feature_names_out()) == [f"codingrateclustering{i}" for i in range(20)]

    # the features of different subspaces move apart from where PCA started them
    # (mean |cos| 0.12 -> 0.075), and each cluster's features keep its dimension
    def between(Z):
        return np.mean([np.abs(Z[y == a] @ Z[y == b].T).mean() for a in range(5) for b in range(a)])

    V = np.linalg.svd(X, full_matrices=False)[2][:20].T
    assert between(fitted.transform(X)) < 0.7 * between(_unit_rows(X @ V))
    assert [U.shape[1] for U in fitted.subspaces_] == [5] * 5


def test_auto_n_clusters(independent):
    X, y, _, _ = independent
    est = CodingRateClustering("auto", max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    assert est.n_clusters_ == 5
    assert clustering_accuracy(y, est.labels_) >= 0.99


def test_knn_init_float32_and_convergence_warning():
    X, y, _ = make_subspaces(3, 2, 10, 40, noise=0.01, random_state=0)
    est = CodingRateClustering(3, init="knn", max_iter=2, tol=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        est.fit(X.astype(np.float32))
    assert est.n_iter_ == 2
    assert est.components_.dtype == np.float32
    assert est.membership_codes_.dtype == np.float32
    assert est.transform(X.astype(np.float32)).dtype == np.float32
    assert clustering_accuracy(y, est.labels_) >= 0.95


def test_verbose_prints_progress(capsys):
    X, _, _ = make_subspaces(2, 2, 6, 20, noise=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        CodingRateClustering(2, max_iter=2, verbose=1, random_state=0).fit(X)
    assert "epoch 2: rate reduction" in capsys.readouterr().out


def test_bad_input_is_a_clear_error():
    X, _, _ = make_subspaces(2, 2, 6, 10, random_state=0)
    with pytest.raises(ValueError, match="n_components=7 must be at most n_features=6"):
        CodingRateClustering(2, n_components=7).fit(X)
    with pytest.raises(ValueError, match="n_clusters=30 must be at most"):
        CodingRateClustering(30).fit(X)
    with pytest.raises(ValueError, match="temperature"):
        CodingRateClustering(2, temperature=0.0).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        CodingRateClustering(2).fit(np.where(np.arange(6) == 0, np.nan, X))
    est = CodingRateClustering(2, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    with pytest.raises(ValueError, match="features"):
        est.transform(X[:, :4])


def test_array_api_strict_transform_and_predict():
    xs = pytest.importorskip("array_api_strict")
    X, _, _ = make_subspaces(3, 2, 10, 30, noise=0.01, random_state=0)
    params = dict(n_clusters=3, max_iter=3, tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = CodingRateClustering(**params).fit(X)
        est = CodingRateClustering(**params).fit(xs.asarray(X))
    Z = est.transform(xs.asarray(X))
    assert isinstance(Z, type(xs.asarray([1.0])))
    assert_allclose_ref(np.asarray(Z), ref.transform(X), rtol=1e-6, atol=1e-8)
    assert_allclose_ref(est.loss_curve_, ref.loss_curve_, rtol=1e-8)
    assert clustering_accuracy(ref.predict(X), np.asarray(est.predict(xs.asarray(X)))) == 1.0
