"""SoftImpute on large sparse input: time and peak memory.

The issue's target: a 100000 x 20000 matrix of rank 20 with 4 million observed
entries (stored in a SciPy CSR matrix: the stored entries are the observed
ones) fits in under 10 minutes on 2 cores with peak memory under 4 GB. The
dense matrix (16 GB in float64) is never formed.

Peak memory is reported two ways: the peak of the Python allocations during
the fit (``tracemalloc``, which NumPy and SciPy report to) and the peak
resident set size of the whole process (``ru_maxrss``, data generation
included).

``max_iter`` is capped (15 by default) so that the run fits the time budget
on a shared 2-core machine; the printed ConvergenceWarning says when the cap
was reached.

Usage: ``PYTHONPATH=. python benchmarks/bench_soft_impute_sparse.py [m n n_observed rank max_iter]``
"""

import resource
import sys
import time
import tracemalloc
import warnings

import numpy as np
import scipy.sparse as sp

from sksubspace.impute import SoftImpute


def make_sparse_problem(m, n, n_obs, rank, n_test, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, rank)) / rank**0.25
    B = rng.standard_normal((n, rank)) / rank**0.25
    rows = rng.integers(0, m, n_obs + n_test)
    cols = rng.integers(0, n, n_obs + n_test)
    vals = np.einsum("ij,ij->i", A[rows], B[cols])
    X = sp.csr_matrix((vals[:n_obs], (rows[:n_obs], cols[:n_obs])), shape=(m, n))
    X.sum_duplicates()
    return X, (rows[n_obs:], cols[n_obs:], vals[n_obs:])


def main(m=100_000, n=20_000, n_obs=4_000_000, rank=20, max_iter=15):
    X, (tr, tc, tv) = make_sparse_problem(m, n, n_obs, rank, n_test=100_000)
    print(f"data: {m} x {n}, rank {rank}, {X.nnz} observed entries (CSR), float64")
    print(f"SoftImpute(max_rank={rank}, max_iter={max_iter}), default solver and shrinkage")
    est = SoftImpute(max_rank=rank, max_iter=max_iter, random_state=0, verbose=1)
    tracemalloc.start()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X)
    t_fit = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pred = est.predict_entries(tr, tc)
    rel = np.sqrt(np.mean((pred - tv) ** 2)) / np.sqrt(np.mean(tv**2))
    maxrss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"fit time: {t_fit:.1f} s ({est.n_iter_} iterations, rank {est.rank_})")
    print(f"peak traced allocation during fit: {peak / 1024**3:.2f} GB")
    print(f"peak resident set size of the process: {maxrss_gb:.2f} GB")
    print(f"relative RMSE on 100000 held-out entries: {rel:.2e}")
    for w in caught:
        print(f"warning: {w.message}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
