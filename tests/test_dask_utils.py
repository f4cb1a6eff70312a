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
