"""Host threads over row blocks: same sums as the sequential loop, used by the kernel passes."""

import numpy as np
import pytest

from sksubspace.kernel_ridge import NystromKernelRidge
from sksubspace.kernel_ridge._kernels import (
    kernel_gram,
    kernel_matmul,
    kernel_normal_matmul,
    pairwise_kernel,
)
from sksubspace.utils._threads import (
    block_pool,
    effective_n_threads,
    row_blocks,
    threaded_block_map,
    threaded_block_sum,
)


def test_row_blocks_cover_rows_once():
    assert row_blocks(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert row_blocks(3, 8) == [(0, 3)]


@pytest.mark.parametrize("n_threads", [1, 2, 3, 16])
def test_threaded_block_sum_and_map_match_the_loop(n_threads):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((103, 4))
    blocks = row_blocks(103, 10)

    def fold(i, j, acc):
        part = (A[i:j].sum(axis=0), A[i:j].T @ A[i:j])
        return part if acc is None else (acc[0] + part[0], acc[1] + part[1])

    s, G = threaded_block_sum(fold, blocks, n_threads)
    np.testing.assert_allclose(s, A.sum(axis=0))
    np.testing.assert_allclose(G, A.T @ A)
    parts = threaded_block_map(lambda i, j: A[i:j] * 2, blocks, n_threads)
    np.testing.assert_array_equal(np.concatenate(parts), 2 * A)


def test_effective_n_threads_follows_omp_num_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert effective_n_threads() == 1
    assert effective_n_threads(3) == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert effective_n_threads() >= 1


def test_effective_n_threads_is_one_off_the_main_thread(monkeypatch):
    # Inside a worker thread (Dask, joblib threading) the blocks run in order.
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    with ThreadPoolExecutor(1) as ex:
        assert ex.submit(effective_n_threads).result() == 1
        assert ex.submit(effective_n_threads, 3).result() == 3


@pytest.mark.parametrize("n_threads", [1, 2])
def test_streamed_kernel_passes_match_the_dense_kernel(n_threads):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((500, 3)).astype(np.float32)
    C = X[:40]
    V = rng.standard_normal((40, 2))
    Y = rng.standard_normal((500, 2))
    K = pairwise_kernel(X, C, "rbf", gamma=0.5).astype(np.float64)
    kw = dict(chunk_size=37, dtype=np.float64, n_threads=n_threads, gamma=0.5)
    np.testing.assert_allclose(kernel_normal_matmul(X, C, V, kernel="rbf", **kw), K.T @ (K @ V))
    np.testing.assert_allclose(kernel_normal_matmul(X, C, Y=Y, kernel="rbf", **kw), K.T @ Y)
    H, b = kernel_gram(X, C, Y, "rbf", **kw)
    np.testing.assert_allclose(H, K.T @ K, rtol=1e-10)
    np.testing.assert_allclose(b, K.T @ Y, rtol=1e-10)
    out = kernel_matmul(
        X, C, V.astype(np.float32), "rbf", chunk_size=37, n_threads=n_threads, gamma=0.5
    )
    np.testing.assert_allclose(out, K @ V, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="exactly one of V"):
        kernel_normal_matmul(X, C, V, Y, kernel="rbf", gamma=0.5)


def test_nystrom_fit_is_the_same_on_one_or_two_threads(monkeypatch):
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (3000, 4))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    est = NystromKernelRidge(
        n_centers=300, penalty=1e-6, gamma=1.0, precompute=False, random_state=0
    )
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    one = est.fit(X, y).predict(X)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    two = est.fit(X, y).predict(X)
    np.testing.assert_allclose(two, one, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["ensc", "omp"])
def test_subspace_codes_are_the_same_on_one_or_two_threads(name, monkeypatch):
    from sksubspace import _linalg
    from sksubspace.cluster import ElasticNetSubspaceClustering, OMPSubspaceClustering, _ensc
    from sksubspace.datasets import make_subspaces

    # Small blocks, so that 300 points make several of them.
    monkeypatch.setattr(_ensc, "_ENSC_BLOCK_ENTRIES", 40 * 300)
    monkeypatch.setattr(_linalg, "_OMP_BLOCK_ENTRIES", 40 * 300)
    X, _, _ = make_subspaces(3, 3, 15, 100, noise=0.01, random_state=0)
    est = (
        ElasticNetSubspaceClustering(3, random_state=0)
        if name == "ensc"
        else OMPSubspaceClustering(3, n_nonzero=3, random_state=0)
    )
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    one = est.fit(X).representation_matrix_.toarray()
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    two = est.fit(X).representation_matrix_.toarray()
    np.testing.assert_allclose(two, one, rtol=0, atol=1e-12)
    assert np.count_nonzero(one) > 300


@pytest.mark.parametrize(
    "kernel", ["rbf", "laplacian", "chi2", "additive_chi2", "linear", "poly", "sigmoid", "cosine"]
)
def test_large_kernel_matrix_on_threads_equals_one_thread(kernel, monkeypatch):
    from sksubspace.kernel_ridge import _kernels
    from sksubspace.kernel_ridge._kernels import kernel_params

    monkeypatch.setattr(_kernels, "STREAM_ELEMENTS", 2000)  # many blocks on a small matrix
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, (300, 4))
    Y = rng.uniform(0, 1, (120, 4))
    params = kernel_params(kernel, 4, gamma=0.7)
    for other in (None, Y):
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        one = pairwise_kernel(X, other, kernel, **params)
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        two = pairwise_kernel(X, other, kernel, **params)
        assert two.shape == one.shape and two.dtype == one.dtype
        np.testing.assert_allclose(two, one, rtol=1e-12, atol=1e-14)
        if other is None and kernel in ("rbf", "laplacian", "chi2"):
            np.testing.assert_array_equal(np.diag(two), 1.0)


def test_n_jobs_is_resolved_in_one_place(monkeypatch):
    import joblib

    from sksubspace.utils._threads import n_jobs_context

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert effective_n_threads(-1) == joblib.cpu_count()  # explicit n_jobs beats the env cap
    assert effective_n_threads(-joblib.cpu_count() - 5) == 1
    with pytest.raises(ValueError, match="n_jobs == 0"):
        effective_n_threads(0)
    with n_jobs_context(3):
        assert effective_n_threads() == 3
        assert effective_n_threads(2) == 2
    assert effective_n_threads() == 1


def test_kernel_ridge_n_jobs_reaches_the_kernel_blocks(monkeypatch):
    from sksubspace.kernel_ridge import _kernels

    seen = []
    real = _kernels.threaded_block_sum

    def spy(fn, blocks, n_threads=1):
        seen.append(n_threads)
        return real(fn, blocks, n_threads)

    monkeypatch.setattr(_kernels, "threaded_block_sum", spy)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (1200, 4))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    kw = dict(n_centers=100, penalty=1e-4, gamma=1.0, random_state=0, chunk_size=100)
    one = NystromKernelRidge(precompute=True, n_jobs=1, **kw).fit(X, y)
    assert seen == [1]
    two = NystromKernelRidge(precompute=True, n_jobs=2, **kw).fit(X, y)
    assert seen == [1, 2]
    # the same model up to the summation order (CG stops at tol=1e-3 in both)
    np.testing.assert_allclose(two.predict(X), one.predict(X), atol=1e-5)


@pytest.mark.parametrize("name", ["ensc", "omp", "ssc"])
def test_subspace_clustering_n_jobs_reaches_the_block_loop(name, monkeypatch):
    from sksubspace import _linalg
    from sksubspace.cluster import (
        ElasticNetSubspaceClustering,
        OMPSubspaceClustering,
        SparseSubspaceClustering,
        _ensc,
    )
    from sksubspace.datasets import make_subspaces
    from sksubspace.utils import _threads

    seen = []
    real = _threads.threaded_block_map

    def spy(fn, blocks, n_threads=1, **kw):
        seen.append(n_threads)
        return real(fn, blocks, n_threads, **kw)

    monkeypatch.setattr(_ensc, "threaded_block_map", spy)
    monkeypatch.setattr(_linalg, "threaded_block_map", spy)
    # small blocks, so that 300 points make several of them
    monkeypatch.setattr(_ensc, "_ENSC_BLOCK_ENTRIES", 40 * 300)
    monkeypatch.setattr(_linalg, "_OMP_BLOCK_ENTRIES", 40 * 300)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # n_jobs, not the environment, decides
    X, _, _ = make_subspaces(3, 3, 15, 100, noise=0.01, random_state=0)
    make = {
        "ensc": lambda n_jobs: ElasticNetSubspaceClustering(3, random_state=0, n_jobs=n_jobs),
        "omp": lambda n_jobs: OMPSubspaceClustering(3, n_nonzero=3, random_state=0, n_jobs=n_jobs),
        "ssc": lambda n_jobs: SparseSubspaceClustering(
            3, solver="active_set", store_matrices=True, random_state=0, n_jobs=n_jobs
        ),
    }[name]
    one = make(1).fit(X)
    assert seen == [1]
    two = make(2).fit(X)
    assert seen == [1, 2]
    np.testing.assert_allclose(
        two.representation_matrix_.toarray(),
        one.representation_matrix_.toarray(),
        rtol=0,
        atol=1e-12,
    )
    np.testing.assert_array_equal(two.labels_, one.labels_)
    assert effective_n_threads() == 1  # the estimator's n_jobs does not leak out of fit


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2"])
def test_subspace_clustering_rejects_bad_n_jobs(n_jobs):
    from sksubspace.cluster import OMPSubspaceClustering
    from sksubspace.datasets import make_subspaces

    X, _, _ = make_subspaces(3, 3, 10, 20, random_state=0)
    error = ValueError  # InvalidParameterError is a ValueError
    with pytest.raises(error, match="n_jobs"):
        OMPSubspaceClustering(3, n_jobs=n_jobs).fit(X)


def test_block_pool_maps_row_blocks_in_order():
    X = np.arange(21.0).reshape(7, 3)
    with block_pool(1) as run:
        assert run is None
    with block_pool(3) as run:
        parts = run(lambda B: B.sum(axis=1), X)
        again = run(lambda B: B.shape[0], X)  # the pool serves many loops
    assert len(parts) == 3 and again == [3, 3, 1]
    np.testing.assert_array_equal(np.concatenate(parts), X.sum(axis=1))
