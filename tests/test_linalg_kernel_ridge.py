"""The kernel ridge family's solvers: spd_solve, conjugate_gradient."""

import numpy as np
import pytest

from sksubspace.kernel_ridge._solvers import conjugate_gradient, spd_solve

from ._helpers import assert_allclose_ref


def _spd(n=40, seed=0):
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((n, n))
    return G @ G.T + n * np.eye(n), rng.standard_normal((n, 3))


def test_spd_solve_in_place_and_strict():
    A, B = _spd()
    ref = np.linalg.solve(A, B)
    np.testing.assert_allclose(spd_solve(A.copy(), B), ref, rtol=1e-10)
    A2 = A.copy()
    np.testing.assert_allclose(spd_solve(A2, B, overwrite_a=True), ref, rtol=1e-10)
    assert not np.allclose(A2, A)  # the factor was written over A
    xs = pytest.importorskip("array_api_strict")
    got = spd_solve(xs.asarray(A), xs.asarray(B))
    assert_allclose_ref(np.asarray(got), ref, rtol=1e-10)


def test_spd_solve_rejects_indefinite():
    with pytest.raises(ValueError, match="not positive definite"):
        spd_solve(-np.eye(3), np.ones((3, 1)))


def test_conjugate_gradient_columns_and_preconditioner():
    A, B = _spd()
    ref = np.linalg.solve(A, B)
    X, n_iter, ok = conjugate_gradient(lambda V: A @ V, B, max_iter=200, tol=1e-12)
    assert ok and n_iter <= 60
    np.testing.assert_allclose(X, ref, rtol=1e-8, atol=1e-10)
    d = np.diag(A)
    Xp, n_p, ok = conjugate_gradient(
        lambda V: A @ V, B, precond=lambda R: R / d[:, None], max_iter=200, tol=1e-12
    )
    np.testing.assert_allclose(Xp, ref, rtol=1e-8, atol=1e-10)
    _, n_few, ok = conjugate_gradient(lambda V: A @ V, B, max_iter=2, tol=1e-12)
    assert not ok and n_few == 2
