"""SoftImpute on Dask arrays, fitted block by block on a two-process LocalCluster."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sksubspace.datasets import make_low_rank_completion
from sksubspace.impute import SoftImpute


def _plain(shrinkage=None, **kw):
    """SoftImpute with the settings a Dask array accepts (the defaults are in-memory only)."""
    kw.setdefault("center", False)
    return SoftImpute(shrinkage, **kw)


da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")
key_split = pytest.importorskip("dask.utils").key_split


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def data():
    return make_low_rank_completion(240, 50, 3, observed_fraction=0.6, random_state=0)


def _fit(est):
    return est.row_factors_ @ est.components_ + est.mean_ + est.row_offsets_[:, None]


def test_dask_fit_matches_in_memory_and_runs_on_the_workers(client, data):
    X, M, mask = data
    kw = dict(max_rank=3, tol=1e-6, random_state=0)
    ref = _plain(**kw).fit(X)
    dX = da.from_array(X, chunks=(60, 25))  # 4 row blocks; column chunks are merged
    with distributed.get_task_stream(client) as ts:
        est = _plain(**kw).fit(dX)
    Zr, Zd = _fit(ref), _fit(est)
    np.testing.assert_allclose(Zd, Zr, atol=1e-6 * np.abs(Zr).max())
    assert est.rank_ == ref.rank_ == 3
    assert est.n_features_in_ == 50
    # lambda_0 from the Dask sketch equals the in-memory one.
    np.testing.assert_allclose(est.shrinkage_, ref.shrinkage_, rtol=1e-6)
    assert isinstance(est.components_, np.ndarray)
    # The row half-steps ran as tasks, one per block per iteration, on both workers.
    als = [t for t in ts.data if key_split(t["key"]) == "als_block"]
    assert len(als) >= 4 * est.n_iter_
    assert len({t["worker"] for t in als}) == 2
    # Inductive and transductive outputs are lazy and equal the in-memory ones.
    Zt = est.transform(da.from_array(X[:70], chunks=(30, 50)))
    assert isinstance(Zt, da.Array)
    np.testing.assert_allclose(Zt.compute(), ref.transform(X[:70]), atol=1e-4)
    held = ~mask
    err = np.linalg.norm((Zd - M)[held]) / np.linalg.norm(M[held])
    assert err < 5e-3


def test_dask_centring_and_lazy_fit_transform(client, data):
    X, M, mask = data
    kw = dict(center="both", max_rank=3, tol=1e-6, random_state=0)
    ref = _plain(**kw).fit(X)
    est = _plain(**kw)
    Zt = est.fit_transform(da.from_array(X, chunks=(80, 50)))
    assert isinstance(Zt, da.Array)
    np.testing.assert_allclose(est.mean_, ref.mean_, atol=1e-10)
    np.testing.assert_allclose(est.row_offsets_, ref.row_offsets_, atol=1e-10)
    Zr = _fit(ref)
    np.testing.assert_allclose(_fit(est), Zr, atol=1e-6 * np.abs(Zr).max())
    np.testing.assert_allclose(Zt.compute(), ref.fit_transform(X), atol=1e-6 * np.abs(Zr).max())


def test_dask_random_init(client, data):
    # Different random streams; both reach the planted matrix.
    X, M, mask = data
    est = _plain(max_rank=3, init="random", random_state=0)
    est.fit(da.from_array(X, chunks=(80, 50)))
    Z = _fit(est)
    assert np.linalg.norm((Z - M)[~mask]) / np.linalg.norm(M[~mask]) < 5e-3


def test_dask_float32_and_errors(client, data):
    X, M, mask = data
    dX = da.from_array(X.astype(np.float32), chunks=(120, 50))
    est = _plain(0.5, max_rank=4, tol=1e-5, random_state=0).fit(dX)
    assert est.components_.dtype == np.float32 and est.row_factors_.dtype == np.float32
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        _plain(max_rank=4, max_iter=1, random_state=0).fit(dX)
    with pytest.raises(ValueError, match="blockwise solver='exact_als'"):
        _plain(solver="svd").fit(dX)
    with pytest.raises(ValueError, match="shrinkage='auto'"):
        SoftImpute(max_rank=4).fit(dX)
    with pytest.raises(ValueError, match="center='biases'"):
        SoftImpute(0.5, max_rank=4).fit(dX)
    with pytest.raises(ValueError, match="max_rank=60 must be at most"):
        _plain(max_rank=60).fit(dX)
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        _plain(max_rank=4).fit(da.from_array(bad, chunks=(120, 50)))
    with pytest.raises(ValueError, match="expecting 50 features"):
        est.transform(da.from_array(X[:, :10], chunks=(120, 10)))
