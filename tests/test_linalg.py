"""Shared numerics against NumPy / SciPy references, on NumPy and array-api-strict."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import orthogonal_mp

from sksubspace import _linalg as la
from sksubspace._backend import to_numpy

from ._helpers import array_api_float32, assert_allclose_ref

try:
    import array_api_strict as xs
except ImportError:  # pragma: no cover
    xs = None

NAMESPACES = [
    "numpy",
    pytest.param(
        "array_api_strict", marks=pytest.mark.skipif(xs is None, reason="array-api-strict missing")
    ),
]


def _to(ns, a):
    return xs.asarray(a) if ns == "array_api_strict" else a


def _np(a):
    return np.asarray(to_numpy(a))


def _low_rank(m, n, r, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, r)) @ rng.standard_normal((r, n))


@pytest.mark.parametrize("ns", NAMESPACES)
def test_thresholds(ns):
    x = np.array([-3.0, -0.5, 0.0, 0.2, 2.0])
    np.testing.assert_allclose(_np(la.soft_threshold(_to(ns, x), 1.0)), [-2, 0, 0, 0, 1])
    np.testing.assert_allclose(_np(la.hard_threshold(_to(ns, x), 1.0)), [-3, 0, 0, 0, 2])
    M = np.array([[3.0, 0.1], [4.0, 0.1]])
    G = _np(la.group_soft_threshold(_to(ns, M), 1.0, axis=0))
    np.testing.assert_allclose(G[:, 0], M[:, 0] * 4 / 5)
    np.testing.assert_allclose(G[:, 1], 0)


def test_soft_threshold_is_the_l1_prox():
    # prox minimizes 1/2 (z - x)^2 + t |z|: compare with a brute-force grid.
    grid = np.linspace(-5, 5, 200001)
    for x in (-2.3, -0.4, 0.7, 3.1):
        best = grid[np.argmin(0.5 * (grid - x) ** 2 + 1.0 * np.abs(grid))]
        assert abs(la.soft_threshold(np.array(x), 1.0) - best) < 1e-4


@pytest.mark.parametrize("ns", NAMESPACES)
def test_randomized_svd_matches_exact(ns):
    A = _low_rank(300, 200, 20)
    U, s, Vt = la.randomized_svd(_to(ns, A), 20, random_state=0)
    s_ref = np.linalg.svd(A, compute_uv=False)[:20]
    assert_allclose_ref(_np(s), s_ref, rtol=1e-10)
    assert_allclose_ref(_np(U) * _np(s) @ _np(Vt), A, atol=1e-8)
    assert_allclose_ref(_np(U).T @ _np(U), np.eye(20), atol=1e-10)


def test_randomized_svd_2000_rank_50_within_1e6_of_exact():
    A = _low_rank(2000, 2000, 50, seed=1)
    U, s, Vt = la.randomized_svd(A, 50, random_state=0)
    U0, s0, Vt0 = np.linalg.svd(A, full_matrices=False)
    err = np.linalg.norm(A - (U * s) @ Vt) / np.linalg.norm(A)
    err0 = np.linalg.norm(A - (U0[:, :50] * s0[:50]) @ Vt0[:50]) / np.linalg.norm(A)
    assert abs(err - err0) < 1e-6


def _spectrum(m, n, s, seed=0):
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, len(s))))
    V, _ = np.linalg.qr(rng.standard_normal((n, len(s))))
    return (U * s) @ V.T


@pytest.mark.parametrize(
    "ns, dtype",
    [
        ("numpy", np.float64),
        ("numpy", np.float32),
        pytest.param(
            "array_api_strict",
            np.float64,
            marks=pytest.mark.skipif(xs is None, reason="array-api-strict missing"),
        ),
    ],
)
def test_randomized_svd_auto_stops_on_small_residuals(ns, dtype):
    if ns != "numpy" and dtype == np.float64 and array_api_float32():
        pytest.skip(
            "checks float64 results and 1e-4 residuals; --array-api-float32 makes them float32"
        )
    # Noisy rank 10 (gap 3x): "auto" returns triplets with ||A v - s u|| <= 1e-4 s,
    # the same values as an exact SVD and as many fixed power iterations.
    s0 = np.concatenate([np.linspace(10, 3, 10), np.linspace(1, 0.5, 110)])
    A = _spectrum(300, 150, s0).astype(dtype)
    U, s, Vt = (_np(a) for a in la.randomized_svd(_to(ns, A), 10, random_state=0))
    assert s.dtype == dtype
    res = np.linalg.norm(A @ Vt.T - U * s, axis=0)
    assert np.all(res <= 1e-4 * s)
    rtol = 1e-8 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(s, s0[:10], rtol=rtol)
    _, s7, _ = la.randomized_svd(A, 10, n_iter=7, random_state=0)
    np.testing.assert_allclose(s, s7, rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_randomized_svd_float32_and_ill_conditioned_sketch(dtype):
    # s spans 1e3: the Gram shortcut is refused (it would square the condition
    # number) and the SVD of the sketch keeps full accuracy in both dtypes.
    s0 = np.logspace(0, -3, 12)
    A = _spectrum(200, 120, s0, seed=3).astype(dtype)
    U, s, Vt = la.randomized_svd(A, 12, n_iter=2, random_state=0)
    assert U.dtype == s.dtype == Vt.dtype == dtype
    rtol = 1e-3 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(s, s0, rtol=rtol)
    np.testing.assert_allclose(U.T @ U, np.eye(12), atol=50 * np.finfo(dtype).eps)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(12), atol=50 * np.finfo(dtype).eps)
    # Well conditioned top triplets (the Gram route): same accuracy.
    U, s, Vt = la.randomized_svd(A, 3, n_iter=2, random_state=0)
    np.testing.assert_allclose(s, s0[:3], rtol=10 * np.finfo(dtype).eps ** 0.5)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(3), atol=50 * np.finfo(dtype).eps)


def test_randomized_svd_sparse_and_wide():
    # Block-diagonal: sparse storage, exact rank 5 + 5 = 10, wide.
    A = sp.block_diag(
        [_low_rank(200, 450, 5, seed=1), _low_rank(200, 450, 5, seed=2)], format="csr"
    )
    U, s, Vt = la.randomized_svd(A, 5, random_state=0)
    s_ref = np.linalg.svd(A.toarray(), compute_uv=False)[:5]
    np.testing.assert_allclose(s, s_ref, rtol=1e-6)
    assert U.shape == (400, 5) and Vt.shape == (5, 900)


@pytest.mark.parametrize("shape", [(300, 120), (120, 300)], ids=["tall", "wide"])
def test_randomized_svd_warm_start_from_right_singular_vectors(shape):
    # A flat spectrum defeats a random sketch without power iterations; the
    # exact right singular vectors as ``start`` make it exact, tall or wide.
    rng = np.random.default_rng(0)
    U0, _ = np.linalg.qr(rng.standard_normal((shape[0], 60)))
    V0, _ = np.linalg.qr(rng.standard_normal((shape[1], 60)))
    s0 = np.linspace(2.0, 1.0, 60)
    A = (U0 * s0) @ V0.T
    _, s_cold, _ = la.randomized_svd(A, 5, n_oversamples=0, n_iter=0, random_state=0)
    _, s_warm, _ = la.randomized_svd(
        A, 5, n_oversamples=0, n_iter=0, random_state=0, start=V0[:, :5]
    )
    np.testing.assert_allclose(s_warm, s0[:5], rtol=1e-12)
    assert np.max(np.abs(s_cold - s0[:5])) > 1e-2


def test_randomized_svd_signs_are_deterministic():
    A = _low_rank(100, 80, 5)
    U1, _, V1 = la.randomized_svd(A, 5, random_state=0)
    U2, _, V2 = la.randomized_svd(A, 5, random_state=1)
    np.testing.assert_allclose(U1, U2, atol=1e-8)
    np.testing.assert_allclose(V1, V2, atol=1e-8)


@pytest.mark.parametrize("ns", NAMESPACES)
def test_svt_computes_only_values_above_threshold(ns):
    rng = np.random.default_rng(0)
    A = _low_rank(400, 300, 8) + 0.01 * rng.standard_normal((400, 300))
    s_all = np.linalg.svd(A, compute_uv=False)
    tau = 0.5 * (s_all[7] + s_all[8])
    U, s, Vt = la.svt(_to(ns, A), tau, rank_guess=2, random_state=0)
    assert _np(s).shape == (8,)
    np.testing.assert_allclose(_np(s), s_all[:8] - tau, rtol=1e-6)
    # The prox of tau ||.||_* : compare with a dense SVT.
    U0, s0, Vt0 = np.linalg.svd(A, full_matrices=False)
    ref = (U0 * np.maximum(s0 - tau, 0)) @ Vt0
    assert_allclose_ref(_np(U) * _np(s) @ _np(Vt), ref, atol=1e-6)


def test_svt_everything_below_threshold_gives_empty():
    A = _low_rank(60, 60, 3)
    U, s, Vt = la.svt(A, 1e6)
    assert s.shape == (0,) and U.shape == (60, 0) and Vt.shape == (0, 60)


@pytest.mark.parametrize("ns", NAMESPACES)
def test_cholesky_and_solve(ns):
    rng = np.random.default_rng(0)
    B = rng.standard_normal((6, 6))
    A = B @ B.T + 6 * np.eye(6)
    L = la.cholesky(_to(ns, A))
    assert_allclose_ref(_np(L) @ _np(L).T, A, atol=1e-10)
    rhs = rng.standard_normal((6, 2))
    assert_allclose_ref(A @ _np(la.cholesky_solve(_to(ns, A), _to(ns, rhs))), rhs, atol=1e-10)


def test_cholesky_not_positive_definite_is_a_clear_error():
    with pytest.raises(ValueError, match="not positive definite"):
        la.cholesky(-np.eye(3))


@pytest.mark.parametrize("ns", NAMESPACES)
@pytest.mark.parametrize("largest", [True, False])
def test_eigh_topk(ns, largest):
    rng = np.random.default_rng(0)
    B = rng.standard_normal((30, 30))
    A = B + B.T
    w, V = la.eigh_topk(_to(ns, A), 4, largest=largest)
    w_ref = np.linalg.eigvalsh(A)
    w_ref = w_ref[::-1][:4] if largest else w_ref[:4]
    np.testing.assert_allclose(_np(w), w_ref, atol=1e-10)
    assert_allclose_ref(A @ _np(V), _np(V) * _np(w), atol=1e-9)


@pytest.mark.parametrize("ns", NAMESPACES)
def test_orthonormalize_is_unique_for_a_subspace(ns):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((10, 3))
    R = np.triu(rng.uniform(1, 2, (3, 3)))  # same span, positive-diagonal change of basis
    Q1, Q2 = _np(la.orthonormalize(_to(ns, A))), _np(la.orthonormalize(_to(ns, A @ R)))
    assert_allclose_ref(Q1.T @ Q1, np.eye(3), atol=1e-12)
    assert_allclose_ref(Q1, Q2, atol=1e-10)


@pytest.mark.parametrize("ns", NAMESPACES)
def test_polar_is_the_orthonormal_factor(ns):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((12, 4))
    P = _np(la.polar(_to(ns, A)))
    assert_allclose_ref(P.T @ P, np.eye(4), atol=1e-12)
    # The polar factor is the closest orthonormal matrix: A = P H with H symmetric PSD.
    H = P.T @ A
    assert_allclose_ref(H, H.T, atol=1e-10)
    assert np.linalg.eigvalsh(H).min() > 0


@pytest.mark.parametrize("ns", NAMESPACES)
def test_principal_angles_closed_form(ns):
    # span(e1, e2) and span(e1, cos t e2 + sin t e3): angles 0 and t.
    t = 1e-9
    A = np.eye(4)[:, :2]
    B = np.column_stack(
        [np.eye(4)[:, 0], np.cos(t) * np.eye(4)[:, 1] + np.sin(t) * np.eye(4)[:, 2]]
    )
    ang = _np(la.principal_angles(_to(ns, A), _to(ns, B)))
    np.testing.assert_allclose(ang, [0.0, t], atol=1e-15, rtol=1e-10)
    t = 1.2
    B[:, 1] = np.cos(t) * np.eye(4)[:, 1] + np.sin(t) * np.eye(4)[:, 2]
    np.testing.assert_allclose(
        _np(la.principal_angles(_to(ns, A), _to(ns, B))), [0.0, t], atol=1e-12
    )


def test_principal_angles_batched_and_rotation_invariant():
    rng = np.random.default_rng(0)
    U = np.stack([np.linalg.qr(rng.standard_normal((20, 3)))[0] for _ in range(500)])
    V = np.stack([np.linalg.qr(rng.standard_normal((20, 3)))[0] for _ in range(500)])
    Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    a = la.principal_angles(U, V)
    np.testing.assert_allclose(la.principal_angles(U @ Q, V), a, atol=1e-12)
    from scipy.linalg import subspace_angles

    np.testing.assert_allclose(a[7], np.sort(subspace_angles(U[7], V[7])), atol=1e-12)


@pytest.mark.parametrize("ns", NAMESPACES)
def test_batched_omp_matches_sklearn(ns):
    # Atoms of unequal norms (scikit-learn does not rescale them either); the
    # sparsity target takes the Gram form, the tolerance (up to 20 atoms) the
    # residual form (on NumPy the compiled kernel's Gram form takes both: see
    # tests/test_omp_kernel.py), and an explicit Gram matrix must change nothing.
    rng = np.random.default_rng(0)
    D = rng.standard_normal((40, 20)) * rng.uniform(0.5, 2.0, (40, 1))
    X = rng.standard_normal((100, 20))
    for kw, ref_kw in [
        ({"n_nonzero_coefs": 5}, {"n_nonzero_coefs": 5}),
        ({"n_nonzero_coefs": 5, "gram": _to(ns, D @ D.T)}, {"n_nonzero_coefs": 5}),
        ({"tol": 4.0}, {"tol": 4.0}),
    ]:
        idx, coef = la.batched_omp(_to(ns, X), _to(ns, D), **kw)
        ref = orthogonal_mp(D.T, X.T, **ref_kw).T
        codes = _np(la.omp_codes_dense(idx, coef, 40))
        np.testing.assert_array_equal(codes != 0, ref != 0)
        assert_allclose_ref(codes, ref, atol=1e-10)


def test_batched_omp_recovers_planted_support_and_respects_exclude():
    from sksubspace.datasets import make_sparse_coded_signals

    X, D, C = make_sparse_coded_signals(200, 50, 30, n_nonzero_coefs=3, random_state=0)
    idx, coef = la.batched_omp(X, D, n_nonzero_coefs=3, gram=D @ D.T)
    codes = la.omp_codes_sparse(idx, coef, 50).toarray()
    assert np.mean(np.all((codes != 0) == (C != 0), axis=1)) > 0.95
    excl = np.argmax(np.abs(C), axis=1)
    idx, _ = la.batched_omp(X, D, n_nonzero_coefs=3, exclude=excl)
    assert not np.any(idx == excl[:, None])


@pytest.mark.parametrize("ns", NAMESPACES)
def test_add_to_diagonal(ns):
    A = np.arange(9.0).reshape(3, 3)
    out = la.add_to_diagonal(_to(ns, A.copy()), 2.5)
    np.testing.assert_array_equal(_np(out), A + 2.5 * np.eye(3))
    if ns == "numpy":  # in place on a writable C-ordered array, a copy otherwise
        B = A.copy()
        assert la.add_to_diagonal(B, 1.0) is B
        F = np.asfortranarray(A)
        G = la.add_to_diagonal(F, 1.0)
        assert G is not F and np.array_equal(F, A)
        np.testing.assert_array_equal(G, A + np.eye(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_safe_matmul_is_the_dense_product_for_sparse_and_dense(dtype):
    rng = np.random.default_rng(0)
    A = sp.random(30, 20, density=0.2, random_state=0, format="csr", dtype=dtype)
    B = rng.standard_normal((30, 4)).astype(dtype)
    C = rng.standard_normal((20, 4)).astype(dtype)
    dense = A.toarray()
    for left in (A, dense):
        prod, rprod = la.safe_matmul(left, C), la.safe_rmatmul(left, B)
        assert type(prod) is np.ndarray and type(rprod) is np.ndarray
        assert prod.dtype == dtype and rprod.dtype == dtype
        np.testing.assert_allclose(prod, dense @ C, rtol=1e-5)
        np.testing.assert_allclose(rprod, dense.T @ B, rtol=1e-5)
    # a 1-d right-hand side stays 1-d
    assert la.safe_matmul(A, C[:, 0]).shape == (30,)
