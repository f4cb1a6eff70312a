"""Dask: model selection on a cluster and data larger than memory.

A ``LocalCluster`` of two worker *processes* (one thread each) is started
once for the module and stopped at its end, so everything here crosses a
process boundary: estimators are pickled to the workers and results back.
"""

import logging
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import adjusted_rand_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksubspace._backend import gpu_available
from sksubspace.cluster import KSubspaces
from sksubspace.datasets import make_subspaces
from sksubspace.decomposition import KSVD, SubspaceOutlierDetector
from sksubspace.grassmann import SubspaceClassifier
from sksubspace.impute import SoftImpute
from sksubspace.kernel_ridge import KernelRidge
from sksubspace.utils import all_estimators

from ._helpers import estimator_kind, generic_data, make_instance

joblib = pytest.importorskip("joblib")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    """Two worker processes, one thread each, no dashboard (no fixed port)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "port in use" style notices of a busy machine
        cluster = distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            memory_limit="1GB",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


# ---------------------------------------------------------------------------
# Model selection: the dask joblib backend gives the local results
# ---------------------------------------------------------------------------


def _subspace_data(seed=0):
    X, y, _ = make_subspaces(3, 2, 10, 30, noise=0.02, random_state=seed)
    return X, y


def _outlier_search():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.standard_normal((12, 3)))[0]
    inliers = rng.standard_normal((150, 3)) @ basis.T + 0.05 * rng.standard_normal((150, 12))
    outliers = rng.standard_normal((30, 12))
    X = np.vstack([inliers, outliers])
    y = np.r_[np.ones(150), -np.ones(30)]
    order = rng.permutation(180)
    X, y = X[order], y[order]

    def auc(model, X_, y_):
        return roc_auc_score(y_, model.score_samples(X_))

    search = GridSearchCV(
        SubspaceOutlierDetector(),
        {"n_components": [1, 3], "robust": [False, True]},
        cv=StratifiedKFold(3),
        scoring=auc,
    )
    return search, X, y


def _impute_search():
    rng = np.random.default_rng(1)
    F = rng.standard_normal((120, 3)) @ rng.standard_normal((3, 15))
    y = F[:, 0] + 0.1 * rng.standard_normal(120)
    X = F.copy()
    X[rng.random(X.shape) < 0.2] = np.nan
    pipe = make_pipeline(SoftImpute(max_iter=50, random_state=0), Ridge(alpha=1.0))
    return GridSearchCV(pipe, {"softimpute__shrinkage": [0.1, 1.0, 5.0]}, cv=3), X, y


def _cluster_search(cls, grid):
    X, y = _subspace_data()

    def ari(model, X_, y_):
        return adjusted_rand_score(y_, model.fit_predict(X_))

    return GridSearchCV(cls, grid, cv=2, scoring=ari), X, y


def _kernel_ridge_search():
    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, size=(150, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.05 * rng.standard_normal(150)
    grid = {"alpha": [1e-3, 1e-1], "gamma": [0.1, 1.0]}
    return GridSearchCV(KernelRidge(kernel="rbf"), grid, cv=3), X, y


def _grassmann_search():
    X, y = _subspace_data(seed=3)
    return GridSearchCV(SubspaceClassifier(), {"n_components": [1, 2, 4]}, cv=3), X, y


def _dictionary_search():
    X, y = _subspace_data(seed=4)
    pipe = make_pipeline(
        KSVD(n_nonzero_coefs=2, max_iter=5, random_state=0),
        StandardScaler(),
        LogisticRegression(max_iter=500),
    )
    grid = {"ksvd__n_components": [6, 12], "ksvd__n_nonzero_coefs": [1, 2]}
    return RandomizedSearchCV(pipe, grid, n_iter=3, cv=3, random_state=0), X, y


SEARCHES = {
    "SubspaceOutlierDetector": _outlier_search,
    "SoftImpute-Pipeline": _impute_search,
    "KSubspaces": lambda: _cluster_search(
        KSubspaces(3, n_init=3, random_state=0), {"subspace_dim": [1, 2]}
    ),
    "KernelRidge": _kernel_ridge_search,
    "SubspaceClassifier": _grassmann_search,
    "KSVD-RandomizedSearch": _dictionary_search,
}


@pytest.mark.parametrize("name", list(SEARCHES))
def test_search_on_dask_backend_equals_local(client, name):
    search, X, y = SEARCHES[name]()
    local = clone(search).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = clone(search).fit(X, y)
    assert remote.best_params_ == local.best_params_
    for key in ("mean_test_score", "std_test_score", "split0_test_score"):
        np.testing.assert_allclose(remote.cv_results_[key], local.cv_results_[key], rtol=1e-8)
    assert [str(p) for p in remote.cv_results_["params"]] == [
        str(p) for p in local.cv_results_["params"]
    ]
    # the searches are not trivial: the scores differ across the grid
    assert np.ptp(local.cv_results_["mean_test_score"]) > 0


def test_device_switch_is_a_grid_parameter_on_workers(client):
    """``device`` travels to the workers as a plain string (clone + pickle)."""
    X, y = _subspace_data(seed=5)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), SubspaceClassifier(n_components=2)),
        {"subspaceclassifier__device": [None, "cpu"]},
        cv=3,
    )
    with joblib.parallel_config(backend="dask"):
        search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    np.testing.assert_allclose(scores[0], scores[1], rtol=1e-10)


@pytest.mark.skipif(gpu_available(), reason="checks the error of a worker without a GPU")
def test_gpu_switch_on_a_worker_without_gpu_is_a_clear_error(client):
    X, y = _subspace_data(seed=6)
    est = SubspaceClassifier(n_components=2, device="gpu")
    fut = client.submit(lambda e: clone(e).fit(X, y), est)
    with pytest.raises(RuntimeError, match="device='gpu' needs CuPy"):
        fut.result()


# ---------------------------------------------------------------------------
# Fitted estimators pickle small (no n x n state unless asked for)
# ---------------------------------------------------------------------------


#: smaller settings for the slowest fits (the audit is about the fitted state)
_FAST = {"ElasticNetSubspaceClustering": {"n_nonzero": 8, "support_size": 8, "max_iter": 5}}


def _fit_small(cls, n_samples):
    est = make_instance(cls).set_params(**_FAST.get(cls.__name__, {}))
    X, y = generic_data(est, n_samples=n_samples, n_features=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if estimator_kind(est) in ("classifier", "regressor"):
            est.fit(X, y)
        else:
            est.fit(X)
    return est


def _square_arrays(obj, n, path="est", seen=None):
    """Paths of the dense (n, n) arrays in a fitted state, and sparse ones with nnz > 32 n."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if sp.issparse(obj):
        return [path] if obj.shape == (n, n) and obj.nnz > 32 * n else []
    if hasattr(obj, "shape") and hasattr(obj, "dtype"):
        return [path] if sum(dim >= n for dim in obj.shape) >= 2 else []
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        items = vars(obj).items()
    else:
        return []
    return [p for k, v in items for p in _square_arrays(v, n, f"{path}.{k}", seen)]


@pytest.mark.parametrize("name, cls", all_estimators(), ids=[n for n, _ in all_estimators()])
def test_fitted_state_has_no_n_by_n_matrix(name, cls):
    """No dense n x n array in a fitted model (nor a dense-ish sparse one), and its
    pickle grows at most linearly: doubling n_samples never quadruples it.

    Estimators that keep their training data (kernel methods, the transductive
    low-rank split ``RobustPCA.low_rank_``) grow like n * d.
    """
    small, large = _fit_small(cls, 99), _fit_small(cls, 198)
    assert _square_arrays(large, 198) == []
    size_small, size_large = len(pickle.dumps(small)), len(pickle.dumps(large))
    assert size_large <= 2.6 * size_small, (
        f"{name}: fitted pickle grew from {size_small} to {size_large} bytes when "
        "n_samples doubled (quadratic state?)"
    )
    # a dense 198 x 198 float64 matrix alone would take 313,632 bytes
    assert size_large <= 100_000, f"{name}: fitted pickle is {size_large} bytes"


# ---------------------------------------------------------------------------
# Data larger than memory: Dask arrays chunked by rows
# ---------------------------------------------------------------------------


def test_robust_pca_on_dask_matches_in_memory(client):
    from sksubspace.datasets import make_low_rank_sparse
    from sksubspace.decomposition import RobustPCA

    X, L, _ = make_low_rank_sparse(240, 16, 2, corruption=0.05, random_state=0)
    X[np.random.default_rng(1).random(X.shape) < 0.05] = np.nan  # robust completion too
    params = dict(max_iter=4, center=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a ConvergenceWarning when max_iter is reached
        ref = RobustPCA(**params).fit(X)
        est = RobustPCA(**params)
        coords = est.fit_transform(da.from_array(X, chunks=(120, 16)))
    # the n x d results stay on the cluster, lazily; the small ones are NumPy
    assert all(isinstance(a, da.Array) for a in (est.low_rank_, est.sparse_, coords))
    assert isinstance(est.components_, np.ndarray) and isinstance(est.mean_, np.ndarray)
    assert est.rank_ == ref.rank_ and abs(est.n_iter_ - ref.n_iter_) <= 1
    low_rank = est.low_rank_.compute()
    rel = np.linalg.norm(low_rank - ref.low_rank_) / np.linalg.norm(ref.low_rank_)
    assert rel < 1e-5
    np.testing.assert_allclose(est.sparse_.compute(), ref.sparse_, atol=1e-4)
    np.testing.assert_allclose(est.components_, ref.components_, atol=1e-5)
    np.testing.assert_allclose(coords.compute(), ref.fit_transform(X), atol=1e-4)
    # robust transform and inverse_transform of Dask arrays: blockwise, same values
    dX_new = da.from_array(X[:50], chunks=(20, 16))
    W = est.transform(dX_new)
    assert isinstance(W, da.Array) and W.chunks[0] == (20, 20, 10)
    np.testing.assert_allclose(W.compute(), est.transform(X[:50]), atol=1e-10)
    np.testing.assert_allclose(
        est.inverse_transform(W).compute(), est.inverse_transform(W.compute()), atol=1e-10
    )


def _held_futures(client, at_most, wait=10.0):
    """The client's futures once the releases of dropped ones have gone through.

    A dropped future is released by the client's event loop, so the count can
    lag a moment behind; it is read again until it is at most ``at_most``.
    """
    import gc
    import time

    deadline = time.monotonic() + wait
    while True:
        gc.collect()
        n = len(client.futures)
        if n <= at_most or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


def test_iterations_do_not_pile_up_on_the_workers(client, monkeypatch):
    """Persisted states are freed: memory per worker does not grow with the iterations."""
    import gc

    from sksubspace._dask import DaskLowRankOps, persist
    from sksubspace.datasets import make_low_rank_sparse
    from sksubspace.decomposition import RobustPCA

    (Y,) = persist(da.zeros((40, 3), chunks=(10, 3)))
    gc.collect()
    held = len(client.futures)
    for _ in range(5):
        Y, total = persist(Y + 1, Y.sum())
    del total
    assert _held_futures(client, held) == held  # only the 4 blocks of the last Y
    np.testing.assert_array_equal(Y.compute(), np.full((40, 3), 5.0))
    del Y
    gc.collect()
    held = len(client.futures)
    # RobustPCA's ALM loop: count what the client holds at each iteration's SVT.
    counts = []
    svt = DaskLowRankOps.svt

    def counting_svt(*args, **kwargs):
        counts.append(_held_futures(client, held + 20) - held)
        return svt(*args, **kwargs)

    monkeypatch.setattr(DaskLowRankOps, "svt", staticmethod(counting_svt))
    X, _, _ = make_low_rank_sparse(240, 16, 2, corruption=0.05, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
        est = RobustPCA(max_iter=6, random_state=0).fit(da.from_array(X, chunks=(60, 16)))
    assert est.n_iter_ == 6 and len(counts) == 6
    # This and the previous multiplier, the left factor (4 blocks each) and a few scalars,
    # the same from the third iteration on; a loop that kept every multiplier held 4 more
    # blocks per iteration (27 at the sixth).
    assert max(counts) <= 20 and counts[-1] <= counts[2], counts


def test_robust_pca_dask_refuses_gpu_switch():
    from sksubspace.decomposition import RobustPCA

    with pytest.raises(ValueError, match="CuPy chunks"):
        RobustPCA(device="gpu").fit(da.ones((10, 3), chunks=5))


def test_streaming_pca_consumes_dask_chunks(client):
    from sksubspace.decomposition import StreamingPCA

    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 12)) * np.r_[6.0, 3.0, np.ones(10)]
    dX = da.from_array(X, chunks=(500, 12))
    # partial_fit over a Dask array = partial_fit over its row blocks, in order
    ref = StreamingPCA(2, random_state=0)
    for block in np.split(X, 6):
        ref.partial_fit(block)
    est = StreamingPCA(2, random_state=0).partial_fit(dX)
    np.testing.assert_allclose(est.components_, ref.components_, atol=1e-12)
    assert est.n_samples_seen_ == 3000
    # fit streams the blocks (shuffled) and finds the top directions
    fitted = StreamingPCA(2, random_state=0).fit(dX)
    assert abs(fitted.components_[0, 0]) > 0.999 and abs(fitted.components_[1, 1]) > 0.99
    Z = fitted.transform(dX)
    assert isinstance(Z, da.Array)
    np.testing.assert_allclose(Z.compute(), fitted.transform(X), atol=1e-12)
