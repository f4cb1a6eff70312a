import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from sksubspace import _backend as be

from ._helpers import assert_allclose_ref


def test_numpy_follows_input():
    X = np.ones((3, 2))
    ctx = be.compute_context(None, X)
    assert be.is_numpy(ctx.xp) and not ctx.moves
    assert ctx.output(ctx.asarray(X)) is X


def test_sparse_counts_as_numpy():
    ctx = be.compute_context(None, sp.eye(3, format="csr"))
    assert be.is_numpy(ctx.xp)


def test_array_api_strict_follows_input():
    xs = pytest.importorskip("array_api_strict")
    X = xs.asarray(np.ones((3, 2)))
    ctx = be.compute_context(None, X)
    assert ctx.xp is be.get_namespace(X)
    Y = ctx.asarray(np.zeros((2, 2)))
    assert isinstance(Y, type(X))


def test_cpu_switch_moves_and_hands_back():
    xs = pytest.importorskip("array_api_strict")
    X = xs.asarray(np.arange(6.0).reshape(3, 2))
    ctx = be.compute_context("cpu", X)
    assert be.is_numpy(ctx.xp) and ctx.moves
    Xc = ctx.asarray(X)
    assert isinstance(Xc, np.ndarray)
    back = ctx.output(Xc * 2)
    assert isinstance(back, type(X))
    np.testing.assert_array_equal(be.to_numpy(back), np.arange(6.0).reshape(3, 2) * 2)


def test_bad_device_value():
    with pytest.raises(ValueError, match="device must be None, 'cpu' or 'gpu'"):
        be.compute_context("cuda", np.ones((2, 2)))


@pytest.mark.skipif(be.gpu_available(), reason="a GPU is present")
def test_gpu_without_cupy_raises_clear_error():
    with pytest.raises(RuntimeError, match="pip install sksubspace\\[gpu\\]"):
        be.compute_context("gpu", np.ones((2, 2)))


def test_mixed_namespaces_rejected_clearly():
    xs = pytest.importorskip("array_api_strict")
    with pytest.raises(TypeError, match="different libraries"):
        be.get_namespace(np.ones(2), xs.asarray([1.0, 2.0]))


def test_context_pickles():
    ctx = be.compute_context(None, np.ones((2, 2)))
    assert pickle.loads(pickle.dumps(ctx.device)) == ctx.device


@pytest.mark.parametrize("trans", [False, True])
def test_triangular_and_cholesky_solves(trans):
    rng = np.random.default_rng(0)
    L = np.tril(rng.standard_normal((5, 5))) + 5 * np.eye(5)
    B = rng.standard_normal((5, 3))
    X = be.solve_triangular(L, B, lower=True, trans=trans)
    np.testing.assert_allclose((L.T if trans else L) @ X, B, atol=1e-12)
    np.testing.assert_allclose(L @ L.T @ be.cho_solve(L, B), B, atol=1e-10)


def test_triangular_solve_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(0)
    L = np.tril(rng.standard_normal((4, 4))) + 4 * np.eye(4)
    B = rng.standard_normal((4, 2))
    X = be.cho_solve(xs.asarray(L), xs.asarray(B))
    assert_allclose_ref(L @ L.T @ be.to_numpy(X), B, atol=1e-10)


def test_from_numpy_keeps_dtype_of_like():
    like = np.zeros(2, dtype=np.float32)
    assert be.from_numpy(np.ones(3), like).dtype == np.float32


def test_device_helpers_follow_a_second_device():
    xs = pytest.importorskip("array_api_strict")
    dev = xs.Device("device1")
    X = xs.asarray(np.arange(6.0, dtype=np.float32).reshape(3, 2), device=dev)
    xp = be.get_namespace(X)
    assert be.device_kw(np.ones(2)) == {} and be.device_kw(sp.eye(2, format="csr")) == {}
    assert xp.zeros(2, **be.device_kw(X)).device == dev
    idx = be.as_index([2, 0], X)
    assert idx.device == dev and idx.dtype == xp.int64
    np.testing.assert_array_equal(be.to_numpy(xp.take(X, idx, axis=0)), [[4, 5], [0, 1]])
    mask = be.as_index(np.array([True, False, True]), X)
    assert mask.dtype == xp.bool and mask.device == dev
    assert isinstance(be.as_index([1], np.ones(2)), np.ndarray)
    # to_numpy reads a device NumPy cannot see; dtype= converts on the host
    host = be.to_numpy(X, dtype=np.float64)
    assert host.dtype == np.float64 and host[2, 1] == 5.0
    # from_numpy / move_like land on the device of `like`
    assert be.from_numpy(np.ones(2), like=X).device == dev
    labels = xs.asarray([0, 1], device=dev)
    moved = be.move_like(np.array([1.5, 2.5]), labels)
    assert moved.device == dev and moved.dtype == xp.float64


def test_cpu_switch_hands_back_on_the_input_device():
    xs = pytest.importorskip("array_api_strict")
    dev = xs.Device("device1")
    X = xs.asarray(np.ones((3, 2)), device=dev)
    ctx = be.compute_context("cpu", X)
    assert be.is_numpy(ctx.xp) and ctx.out_device == dev
    assert ctx.output(np.zeros(2)).device == dev
    assert be.compute_context(None, X).device == dev


def test_dense_like_and_is_sparse():
    A = sp.random(4, 3, density=0.5, format="csr", random_state=0, dtype=np.float32)
    like = be.dense_like(A)
    assert isinstance(like, np.ndarray) and like.dtype == np.float32
    assert be.is_sparse(A) and not be.is_sparse(np.ones(2)) and not be.is_cupy(np.ones(2))
    X = np.ones((2, 2))
    assert be.dense_like(X) is X
