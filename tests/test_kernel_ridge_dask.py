"""Kernel ridge on Dask arrays: blockwise on a LocalCluster, equal to the in-memory fits."""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sksubspace.kernel_ridge import NystromKernelRidge, OnlineKernelRidge  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _data(n=900, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d))
    f = np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + X[:, 2] ** 2
    return X, f + 0.1 * rng.standard_normal(n)


@pytest.mark.parametrize("precompute", [True, False])
def test_nystrom_dask_matches_in_memory(client, precompute):
    X, y = _data()
    kw = dict(penalty=1e-4, n_centers=60, gamma=1.0, random_state=0, precompute=precompute)
    # precompute: one Dask pass, solved to convergence; streamed: one Dask pass per
    # iteration, so a few iterations compared with the same few in memory.
    kw.update(max_iter=300, tol=1e-10) if precompute else kw.update(max_iter=4)
    ref = NystromKernelRidge(**kw).fit(X, y)
    Xd = da.from_array(X, chunks=(300, 1))  # column chunks are merged, rows kept
    with distributed.get_task_stream(client) as ts:
        model = NystromKernelRidge(**kw).fit(Xd, da.from_array(y, chunks=200))
    np.testing.assert_array_equal(model.center_indices_, ref.center_indices_)
    np.testing.assert_allclose(model.predict(X), ref.predict(X), rtol=1e-6, atol=1e-6)
    # the kernel blocks were computed by tasks on the worker processes, one per row chunk
    block_tasks = [t for t in ts.data if "block" in t["key"]]
    assert len(block_tasks) >= 3 and all(
        t["worker"] in client.scheduler_info()["workers"] for t in block_tasks
    )
    # lazy predict on the row chunks
    pred = model.predict(Xd)
    assert isinstance(pred, da.Array) and pred.chunks == ((300, 300, 300),)
    np.testing.assert_allclose(pred.compute(), model.predict(X), rtol=1e-10, atol=1e-12)


def test_nystrom_dask_multioutput_float32(client):
    X, y = _data(600)
    Y = np.column_stack([y, 2 * y]).astype(np.float32)
    X32 = X.astype(np.float32)
    kw = dict(penalty=1e-4, n_centers=50, gamma=1.0, random_state=1)
    ref = NystromKernelRidge(**kw).fit(X32, Y)
    model = NystromKernelRidge(**kw).fit(da.from_array(X32, chunks=(250, 3)), Y)
    assert model.dual_coef_.dtype == np.float32 and model.dual_coef_.shape == (50, 2)
    # float32 sums in another order (row blocks, threads) move each coefficient of this
    # ill-conditioned solve by up to ~1e-3 of the largest one; float32 vs float64 differ by
    # ~1e-4 in norm. Compare in norm, at the float32 scale, not entry by entry.
    ref64 = NystromKernelRidge(**kw).fit(X, Y.astype(np.float64))
    scale = np.linalg.norm(ref64.dual_coef_)
    assert np.linalg.norm(model.dual_coef_ - ref.dual_coef_) <= 1e-3 * scale
    assert np.linalg.norm(model.dual_coef_ - ref64.dual_coef_) <= 1e-3 * scale
    pred = model.predict(da.from_array(X32, chunks=(250, 3))).compute()
    assert pred.shape == (600, 2)
    np.testing.assert_allclose(pred, ref64.predict(X), rtol=0, atol=1e-3 * np.abs(Y).max())


def test_nystrom_dask_errors(client):
    X, y = _data(200)
    Xd = da.from_array(X, chunks=(100, 3))
    with pytest.raises(ValueError, match="center_selection='uniform'"):
        NystromKernelRidge(n_centers=20, center_selection="leverage").fit(Xd, y)
    with pytest.raises(ValueError, match="solver='falkon'"):
        NystromKernelRidge(n_centers=20, solver="eigenpro").fit(Xd, y)
    with pytest.raises(ValueError, match="shape"):
        NystromKernelRidge(n_centers=20).fit(Xd, y[:150])
    bad = X.copy()
    bad[150, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        NystromKernelRidge(n_centers=20, random_state=0).fit(da.from_array(bad, chunks=100), y)


def test_online_dask_chunk_by_chunk_matches_in_memory(client):
    X, y = _data(1200)
    kw = dict(alpha=1e-2, gamma=1.0, threshold=1e-3, batch_size=128)
    ref = OnlineKernelRidge(**kw).fit(X, y)
    model = OnlineKernelRidge(**kw).fit(da.from_array(X, chunks=(300, 3)), y)
    assert model.n_seen_ == 1200 and model.n_basis_ == ref.n_basis_
    np.testing.assert_allclose(model.dual_coef_, ref.dual_coef_, rtol=1e-8, atol=1e-10)
    # partial_fit over two Dask pieces (y Dask too) continues the same stream
    part = OnlineKernelRidge(**kw)
    part.partial_fit(da.from_array(X[:700], chunks=250), da.from_array(y[:700], chunks=250))
    part.partial_fit(da.from_array(X[700:], chunks=250), y[700:])
    np.testing.assert_allclose(part.predict(X[:50]), ref.predict(X[:50]), rtol=1e-8, atol=1e-10)


def _gram(Xb, yb):
    return np.concatenate([Xb.T @ Xb, Xb.T @ yb[:, None]], axis=1)


def test_row_block_sum_and_align_rows(client):
    from sksubspace._dask import align_rows, row_block_sum

    X, y = _data(700)
    Xd = da.from_array(X, chunks=(100, 2))  # 7 row blocks: an odd tree
    out = row_block_sum(_gram, Xd, da.from_array(y, chunks=300))
    np.testing.assert_allclose(out, _gram(X, y), rtol=1e-12)
    Yd = align_rows(np.column_stack([y, y]), da.from_array(X, chunks=(100, 3)))
    assert Yd.chunks == ((100,) * 7, (2,))
    with pytest.raises(ValueError, match=r"shape \(700,\) or \(700, n_targets\)"):
        align_rows(y[:-1], Xd)
