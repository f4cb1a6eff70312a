"""Batched OMP on NumPy: the compiled Gram-form kernel, the batched array path.

Both paths run the Gram-form tests (the ``host_path`` fixture), against
scikit-learn's ``orthogonal_mp_gram`` and against each other; few signals on
many atoms take the residual form, also against scikit-learn.
"""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import orthogonal_mp, orthogonal_mp_gram

import sksubspace._linalg as la


@pytest.fixture(params=["kernel", "batched"])
def host_path(request, monkeypatch):
    """Run the test through the compiled kernel, then through the batched path."""
    if request.param == "batched":
        monkeypatch.setattr(la, "_omp_kernel", lambda: None)
    else:
        assert la._omp_kernel() is not None  # numba is a dependency
    return request.param


def _sklearn_codes(D, X, **kw):
    G = D @ D.T
    with warnings.catch_warnings():  # "ended prematurely" on exactly coded signals
        warnings.simplefilter("ignore", RuntimeWarning)
        return orthogonal_mp_gram(G, D @ X.T, **kw).T.reshape(X.shape[0], -1)


def _random(n_atoms=60, d=20, n=150, seed=0):
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((n_atoms, d)) * rng.uniform(0.5, 2.0, (n_atoms, 1))
    return D, rng.standard_normal((n, d))


def _overcomplete_dct(d=16, n=120, k=3, seed=0):
    """A twice overcomplete DCT dictionary (unit atoms, coherent pairs) and exactly k-sparse signals."""
    grid = (np.arange(d) + 0.5)[:, None] * np.arange(2 * d)[None, :] * np.pi / (2 * d)
    D = np.cos(grid).T
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    C = np.zeros((n, 2 * d))
    for i in range(n):
        C[i, rng.choice(2 * d, k, replace=False)] = rng.uniform(1, 2, k) * rng.choice([-1, 1], k)
    return D, C @ D


def _codes(X, D, **kw):
    idx, coef = la.batched_omp(X, D, gram=D @ D.T, **kw)
    assert idx.dtype == np.int64 and coef.dtype == X.dtype
    return la.omp_codes_dense(idx, coef, D.shape[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_supports_and_coefficients_as_sklearn(host_path, dtype):
    # more atoms than features, atoms of unequal norms
    D, X = _random()
    codes = _codes(X.astype(dtype), D.astype(dtype), n_nonzero_coefs=6)
    ref = _sklearn_codes(D, X, n_nonzero_coefs=6)
    np.testing.assert_array_equal(codes != 0, ref != 0)
    np.testing.assert_allclose(codes, ref, atol=1e-10 if dtype == np.float64 else 2e-4)


def test_tolerance_mode_matches_sklearn(host_path):
    D, X = _random(seed=1)
    tol = 0.2 * np.mean(np.sum(X * X, axis=1))
    codes = _codes(X, D, tol=tol)
    ref = _sklearn_codes(D, X, tol=tol, norms_squared=np.sum(X * X, axis=1))
    np.testing.assert_array_equal(codes != 0, ref != 0)
    np.testing.assert_allclose(codes, ref, atol=1e-10)
    assert np.all(np.sum((X - codes @ D) ** 2, axis=1) <= tol * (1 + 1e-9))
    assert len(np.unique(np.count_nonzero(codes, axis=1))) > 2  # tol, not k, decides


def test_structured_dictionary_stops_on_exact_fit(host_path):
    # exactly 3-sparse signals in a coherent dictionary: the pursuit recovers
    # them and stops once the residual is zero to rounding, as scikit-learn does
    D, X = _overcomplete_dct()
    codes = _codes(X, D, n_nonzero_coefs=8)
    ref = _sklearn_codes(D, X, n_nonzero_coefs=8)
    np.testing.assert_array_equal(codes != 0, ref != 0)
    np.testing.assert_allclose(codes, ref, atol=1e-10)
    fit = np.count_nonzero(codes, axis=1) < 8
    assert fit.mean() > 0.5  # most stop early ...
    np.testing.assert_allclose(codes[fit] @ D, X[fit], atol=1e-10)  # ... on an exact fit


def test_atom_in_the_span_ends_the_pursuit(host_path):
    # atom 2 = atom 0 + atom 1: once both are chosen it adds nothing, and
    # whatever is left is orthogonal to all others
    D = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    X = np.array([[3.0, -2.0, 0.0], [2.0, 2.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.5, 1e-3]])
    idx, coef = la.batched_omp(X, D, n_nonzero_coefs=3, gram=D @ D.T)
    np.testing.assert_array_equal(idx[:3], [[0, 1, -1], [2, -1, -1], [-1, -1, -1]])
    np.testing.assert_allclose(coef[:3], [[3.0, -2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    codes = la.omp_codes_dense(idx, coef, 4)
    np.testing.assert_allclose(codes[3] @ D, X[3], atol=1e-12)


def test_exclude_matches_sklearn_without_the_banned_atom(host_path):
    D, X = _random(n_atoms=40, n=60, seed=2)
    ban = np.random.default_rng(2).integers(-1, 40, size=60)  # -1: nothing banned
    ban[:10] = _codes(X[:10], D, n_nonzero_coefs=1).nonzero()[1]  # ban the first pick
    codes = _codes(X, D, n_nonzero_coefs=5, exclude=ban)
    for i, b in enumerate(ban):
        keep = np.flatnonzero(np.arange(40) != b)
        ref = np.zeros(40)
        ref[keep] = _sklearn_codes(D[keep], X[i : i + 1], n_nonzero_coefs=5)[0]
        np.testing.assert_array_equal(codes[i] != 0, ref != 0)
        np.testing.assert_allclose(codes[i], ref, atol=1e-10)


def test_kernel_and_batched_paths_agree(monkeypatch):
    # same picks in the same order and the same coefficients, every option,
    # over several blocks of the kernel
    monkeypatch.setattr(la, "_OMP_HOST_BLOCK_ENTRIES", 64 * 60)
    D, X = _random(n=400, seed=3)
    ban = np.arange(400) % 70 - 10
    sq = np.sum(X * X, axis=1)
    runs = [
        {"n_nonzero_coefs": 7},
        {"tol": 0.3 * float(np.median(sq)), "exclude": ban},
        {"n_nonzero_coefs": 4, "tol": 0.5 * float(np.median(sq))},
    ]
    for dtype in (np.float64, np.float32):
        Xd, Dd = X.astype(dtype), D.astype(dtype)
        for kw in runs:
            out = la.batched_omp(Xd, Dd, gram=Dd @ Dd.T, **kw)
            with monkeypatch.context() as m:
                m.setattr(la, "_omp_kernel", lambda: None)
                ref = la.batched_omp(Xd, Dd, gram=Dd @ Dd.T, **kw)
            np.testing.assert_array_equal(out[0], ref[0])
            assert out[1].dtype == dtype
            atol = 1e-10 if dtype == np.float64 else 1e-4
            np.testing.assert_allclose(out[1], ref[1], atol=atol)


def test_few_signals_on_many_atoms_take_the_residual_form(monkeypatch):
    # forming the Gram matrix would cost more than the pursuit: no kernel
    def gram_form(*args):
        raise AssertionError("the Gram form ran")

    monkeypatch.setattr(la, "_omp_gram_host", gram_form)
    D, X = _random(n_atoms=300, n=8, seed=4)
    ban = np.arange(8) * 7
    assert np.all(np.sum(X * X, axis=1) > 5.0)
    for kw, ref_kw in [
        ({"n_nonzero_coefs": 5}, {"n_nonzero_coefs": 5}),
        ({"tol": 5.0}, {"tol": 5.0}),  # every |x|^2 above it (scikit-learn picks one atom anyway)
    ]:
        idx, coef = la.batched_omp(X, D, exclude=ban, **kw)
        codes = la.omp_codes_dense(idx, coef, 300)
        for i, b in enumerate(ban):
            keep = np.flatnonzero(np.arange(300) != b)
            ref = np.zeros(300)
            ref[keep] = orthogonal_mp(D[keep].T, X[i], **ref_kw)
            np.testing.assert_array_equal(codes[i] != 0, ref != 0)
            np.testing.assert_allclose(codes[i], ref, atol=1e-10)
