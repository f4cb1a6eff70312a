"""The Dask helpers: recognition without importing Dask, row chunking, block iteration."""

import numpy as np
import pytest

from sksubspace._dask import as_row_chunked, is_dask_array, iter_row_blocks

da = pytest.importorskip("dask.array")


def test_is_dask_array():
    X = np.ones((4, 3))
    assert not is_dask_array(X)
    assert is_dask_array(da.from_array(X, chunks=2))


def test_as_row_chunked_merges_column_chunks_and_keeps_rows():
    X = np.arange(60.0).reshape(12, 5)
    dX = as_row_chunked(da.from_array(X, chunks=(4, 2)))
    assert dX.chunks == ((4, 4, 4), (5,))
    np.testing.assert_array_equal(dX.compute(), X)


def test_as_row_chunked_rejects_bad_input():
    with pytest.raises(ValueError, match="2D dask array for X"):
        as_row_chunked(da.ones(5, chunks=2))
    dX = da.ones((10, 3), chunks=(5, 3))
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        as_row_chunked(dX[dX[:, 0] > 0])


def test_iter_row_blocks_yields_blocks_in_order():
    X = np.random.default_rng(0).normal(size=(11, 3))
    blocks = list(iter_row_blocks(da.from_array(X, chunks=(4, 3))))
    assert [b.shape[0] for b in blocks] == [4, 4, 3]
    assert all(isinstance(b, np.ndarray) for b in blocks)
    np.testing.assert_array_equal(np.vstack(blocks), X)


class _Est:
    pass


def test_validate_dask_data_checks_lazily_and_sets_n_features():
    from sksubspace._dask import validate_dask_data

    est = _Est()
    X = da.from_array(np.arange(24, dtype=np.int64).reshape(8, 3), chunks=(4, 1))
    dX = validate_dask_data(est, X)
    assert is_dask_array(dX) and dX.dtype == np.float64 and dX.chunks == ((4, 4), (3,))
    assert est.n_features_in_ == 3
    assert validate_dask_data(est, X.astype(np.float32), reset=False).dtype == np.float32
    with pytest.raises(ValueError, match="expecting 3 features"):
        validate_dask_data(est, da.ones((4, 2), chunks=2), reset=False)
    bad = np.ones((6, 3))
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        validate_dask_data(est, da.from_array(bad, chunks=3))
    validate_dask_data(est, da.from_array(bad, chunks=3), allow_nan=True)
    bad[4, 1] = np.inf
    with pytest.raises(ValueError, match="contains infinity"):
        validate_dask_data(est, da.from_array(bad, chunks=3), allow_nan=True)
    with pytest.raises(ValueError, match="CuPy chunks"):
        validate_dask_data(est, da.ones((4, 2), chunks=2), device="gpu")
    with pytest.raises(TypeError, match="real numbers"):
        validate_dask_data(est, da.from_array(np.array([["a", "b"]]), chunks=1))


def test_map_row_blocks_keeps_row_chunks():
    from sksubspace._dask import map_row_blocks

    X = np.random.default_rng(0).normal(size=(10, 4))
    V = np.random.default_rng(1).normal(size=(4, 2))
    out = map_row_blocks(lambda B: B @ V, da.from_array(X, chunks=(3, 2)), 2)
    assert out.chunks == ((3, 3, 3, 1), (2,))
    np.testing.assert_allclose(out.compute(), X @ V)


@pytest.mark.parametrize("shape, chunks", [((300, 40), (100, 40)), ((40, 300), (10, 300))])
def test_dask_svt_matches_the_in_memory_svt(shape, chunks):
    """Tall: exact SVD by tsqr; wide: randomized, the rank guess doubled."""
    from sksubspace._dask import dask_svt
    from sksubspace._linalg import svt

    rng = np.random.default_rng(0)
    A = rng.normal(size=(shape[0], 6)) @ rng.normal(size=(6, shape[1]))
    A += 0.01 * rng.normal(size=shape)
    thr = 1.0
    U, s, Vt = svt(A, thr, rank_guess=2, random_state=0)
    dU, ds, dVt = dask_svt(da.from_array(A, chunks=chunks), thr, rank_guess=2, random_state=0)
    assert ds.shape == s.shape == (6,)
    assert isinstance(ds, np.ndarray) and isinstance(dVt, np.ndarray)
    assert dU.chunks[0] == da.from_array(A, chunks=chunks).chunks[0]
    np.testing.assert_allclose(ds, s, rtol=1e-8)
    np.testing.assert_allclose(((dU * ds) @ dVt).compute(), (U * s) @ Vt, atol=1e-6)
