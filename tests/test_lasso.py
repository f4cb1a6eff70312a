"""The shared exact lasso / elastic-net solver (``sksubspace._lasso.lasso_gram``).

Every NumPy test runs twice: through the compiled host kernel
(``_lasso_numba.py``) and through the batched array formulation that other
namespaces use (the kernel switched off).
"""

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, Lasso, lars_path

import sksubspace._lasso as _lasso_module
from sksubspace._lasso import lasso_gram

from ._helpers import assert_allclose_ref

try:
    import array_api_strict as xs
except ImportError:  # pragma: no cover
    xs = None


@pytest.fixture(autouse=True, params=["kernel", "batched"])
def host_path(request, monkeypatch):
    """Run the test through the compiled kernel, then through the batched path."""
    if request.param == "batched":
        monkeypatch.setattr(_lasso_module, "_HOST", None)
    else:
        assert _lasso_module._host_kernel() is not None  # numba is a dependency
    return request.param


def test_kernel_and_batched_paths_agree_step_for_step(host_path):
    # the same algorithm: same codes (to rounding) and the same iteration count
    if host_path == "batched":
        pytest.skip("compares both paths once")
    rng = np.random.RandomState(7)
    D, X = _problem(60, 20, 200, seed=7)
    G, B = D @ D.T, X @ D.T
    l1 = 0.2 * np.abs(B).max(axis=1)
    valid = rng.rand(200, 60) > 0.2
    for l2, positive in [(0.0, False), (0.05, False), (0.0, True)]:
        init = np.where(valid & (rng.rand(200, 60) < 0.1), rng.standard_normal((200, 60)), 0.0)
        args = (G, B, l1, l2)
        kw = dict(init=init, valid=valid, positive=positive)
        coef, conv, n_iter = lasso_gram(*args, **kw)
        kernel = _lasso_module._HOST
        _lasso_module._HOST = None
        try:
            ref, conv_ref, n_ref = lasso_gram(*args, **kw)
        finally:
            _lasso_module._HOST = kernel
        assert conv.all() and conv_ref.all() and n_iter == n_ref
        np.testing.assert_allclose(coef, ref, atol=1e-10)
        assert not coef[~valid].any()


def _problem(n_atoms, n_features, n_signals, seed):
    rng = np.random.RandomState(seed)
    D = rng.standard_normal((n_atoms, n_features))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    return D, rng.standard_normal((n_signals, n_features))


def _sklearn(D, X, l1, l2):
    """``min 1/2 |x - c D|^2 + l1 |c|_1 + l2/2 |c|^2`` by scikit-learn's coordinate descent."""
    d = D.shape[1]  # scikit-learn divides the data term by the number of samples
    if l2 == 0:
        model = Lasso(alpha=l1 / d, fit_intercept=False, tol=1e-14, max_iter=200_000)
    else:
        alpha = (l1 + l2) / d
        model = ElasticNet(
            alpha=alpha, l1_ratio=l1 / (l1 + l2), fit_intercept=False, tol=1e-14, max_iter=200_000
        )
    return np.array([model.fit(D.T, x).coef_ for x in X])


@pytest.mark.parametrize(
    ("n_atoms", "n_features", "l1", "l2"),
    [(30, 12, 0.3, 0.0), (12, 30, 0.5, 0.0), (40, 15, 0.2, 0.1), (10, 25, 1.0, 0.5)],
)
def test_matches_sklearn_lasso_and_elastic_net(n_atoms, n_features, l1, l2):
    # over- and under-complete dictionaries, lasso and elastic net
    D, X = _problem(n_atoms, n_features, 15, seed=n_atoms)
    coef, converged, _ = lasso_gram(D @ D.T, X @ D.T, l1, l2)
    assert converged.all()
    np.testing.assert_allclose(coef, _sklearn(D, X, l1, l2), atol=1e-7)


def test_matches_the_lars_path():
    # the exact lasso at every knot of scikit-learn's LARS-lasso path
    D, X = _problem(25, 10, 1, seed=3)
    alphas, _, coefs = lars_path(D.T, X[0], method="lasso")
    d = D.shape[1]
    for a, ref in zip(alphas[1:-1], coefs.T[1:-1], strict=True):
        coef, converged, _ = lasso_gram(D @ D.T, X @ D.T, a * d)
        assert converged.all()
        np.testing.assert_allclose(coef[0], ref, atol=1e-7)


def test_per_problem_gram_penalties_mask_and_warm_start():
    # one Gram matrix per problem, per-problem penalties, masked coordinates
    rng = np.random.RandomState(0)
    b, s = 6, 12
    G, q, l1, l2, refs = [], [], [], [], []
    valid = np.ones((b, s), dtype=bool)
    valid[3, 7:] = False
    for i in range(b):
        d = 8 if i % 2 else 20
        A = rng.standard_normal((s, d))
        A[~valid[i]] = 0.0
        x = rng.standard_normal(d)
        lam, tau = rng.uniform(0.05, 1.0), [1.0, 0.6][i % 2]
        G.append(A @ A.T)
        q.append(A @ x)
        l1.append(lam * tau)
        l2.append(lam * (1 - tau))
        refs.append(np.where(valid[i], _sklearn(A, x[None], lam * tau, lam * (1 - tau))[0], 0.0))
    args = (np.array(G), np.array(q), np.array(l1), np.array(l2))
    coef, converged, n_iter = lasso_gram(*args, valid=valid)
    assert converged.all()
    np.testing.assert_allclose(coef, np.array(refs), atol=1e-7)
    assert np.all(coef[3, 7:] == 0)
    # from the solution, nothing moves; from a wrong point, the same solution
    same, _, n_warm = lasso_gram(*args, valid=valid, init=coef)
    np.testing.assert_allclose(same, coef, atol=1e-12)
    assert n_warm <= 2 < n_iter
    warm = np.where(valid, rng.standard_normal((b, s)), 0.0)
    again, converged, _ = lasso_gram(*args, valid=valid, init=warm)
    assert converged.all()
    np.testing.assert_allclose(again, coef, atol=1e-7)


def test_zero_solution_and_float32():
    D, X = _problem(10, 20, 8, seed=1)
    B = X @ D.T
    big = np.abs(B).max() * 1.01  # above the largest correlation: all zero
    coef, converged, _ = lasso_gram(D @ D.T, B, big)
    assert converged.all() and not coef.any()
    c32, converged, _ = lasso_gram(
        (D @ D.T).astype(np.float32), B.astype(np.float32), np.float32(0.4)
    )
    assert c32.dtype == np.float32 and converged.all()
    np.testing.assert_allclose(c32, lasso_gram(D @ D.T, B, 0.4)[0], atol=1e-4)


def test_many_problems_in_chunks_match_one_by_one():
    D, X = _problem(40, 16, 700, seed=5)  # more problems than one host chunk
    G, B = D @ D.T, X @ D.T
    l1 = np.linspace(0.1, 1.0, 700)
    coef, converged, _ = lasso_gram(G, B, l1)
    assert converged.all()
    for i in (0, 350, 699):
        np.testing.assert_allclose(coef[i], lasso_gram(G, B[i : i + 1], l1[i])[0][0], atol=1e-10)


@pytest.mark.skipif(xs is None, reason="array-api-strict missing")
@pytest.mark.parametrize("batched", [False, True])
def test_array_api_strict_matches_numpy(batched):
    D, X = _problem(20, 8, 10, seed=2)
    G, B = D @ D.T, X @ D.T
    if batched:
        G = np.broadcast_to(G, (10, 20, 20)).copy()
    ref, _, _ = lasso_gram(G, B, 0.3, 0.05)
    got, converged, _ = lasso_gram(xs.asarray(G), xs.asarray(B), 0.3, 0.05)
    assert bool(xs.all(converged))
    assert_allclose_ref(np.asarray(got), ref, atol=1e-10)


def test_nonnegative_codes_and_the_dictionary_factor():
    D, X = _problem(30, 12, 10, seed=4)  # more atoms than features
    G, B = D @ D.T, X @ D.T
    coef, converged, _ = lasso_gram(G, B, 0.2, positive=True)
    assert converged.all() and (coef >= 0).all()
    d = D.shape[1]
    lasso = Lasso(alpha=0.2 / d, positive=True, fit_intercept=False, tol=1e-14, max_iter=200_000)
    ref = np.array([lasso.fit(D.T, x).coef_ for x in X])
    np.testing.assert_allclose(coef, ref, atol=1e-7)
    # gradient updates through the factor D of G = D D' give the same codes
    D2, X2 = _problem(64, 16, 20, seed=6)
    plain, _, _ = lasso_gram(D2 @ D2.T, X2 @ D2.T, 0.3)
    factored, _, _ = lasso_gram(D2 @ D2.T, X2 @ D2.T, 0.3, factor=D2)
    np.testing.assert_allclose(factored, plain, atol=1e-10)
