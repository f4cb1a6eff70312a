"""Fits whose input is larger than a Dask worker's memory limit.

A ``LocalCluster`` of 2 worker processes with a small ``memory_limit``
(default 300 MB each) fits

1. StreamingPCA on a lazily generated ~1 GB Dask array (``fit`` consumes the
   row blocks one at a time: the input never exists as a whole anywhere), and
   checks the top directions against the planted ones;
2. RobustPCA on a lazily generated low-rank + sparse Dask array (blockwise
   ALM: tsqr SVT, elementwise updates, the multiplier persisted across the
   workers), and on a size that fits in memory compares it with the in-memory
   fit of the same matrix.

Usage::

    PYTHONPATH=. python benchmarks/bench_dask_out_of_core.py [--gb 1.0]
        [--memory-limit 300MB] [--rpca-rows 0] [--rpca-ref-rows 10000]
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np


def _lazy_low_rank_sparse(da, m, n, rank, *, rows_per_chunk, corruption=0.05, seed=0):
    """``A @ B + S`` generated blockwise: no block exists before a worker needs it."""
    rng = da.random.default_rng(seed)
    A = rng.standard_normal((m, rank), chunks=(rows_per_chunk, rank))
    B = np.random.default_rng(seed + 1).standard_normal((rank, n)) / np.sqrt(rank)
    L = A @ B
    hit = rng.random((m, n), chunks=(rows_per_chunk, n)) < corruption
    S = da.where(hit, rng.uniform(-5.0, 5.0, size=(m, n), chunks=(rows_per_chunk, n)), 0.0)
    return L + S, L


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0, help="StreamingPCA input size (GB)")
    parser.add_argument("--memory-limit", default="300MB", help="per-worker memory limit")
    parser.add_argument("--rpca-rows", type=int, default=0, help="rows of the big RobustPCA run")
    parser.add_argument("--rpca-ref-rows", type=int, default=10_000)
    args = parser.parse_args()

    import dask.array as da
    from dask.distributed import Client, LocalCluster
    from dask.utils import parse_bytes

    from sksubspace.decomposition import RobustPCA, StreamingPCA

    limit = parse_bytes(args.memory_limit)
    cluster = LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        memory_limit=limit,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    print(f"LocalCluster: 2 worker processes, memory_limit {limit / 1e6:.0f} MB each")

    # ---------------------------------------------------------------- StreamingPCA
    n_features = 100
    rows_per_chunk = 25_000  # 20 MB blocks
    n_rows = int(args.gb * 1e9 / (8 * n_features)) // rows_per_chunk * rows_per_chunk
    scales = np.r_[3.0, 2.0, np.ones(n_features - 2)]
    X = da.random.default_rng(0).standard_normal(
        (n_rows, n_features), chunks=(rows_per_chunk, n_features)
    )
    X = X * scales
    print(
        f"\n[StreamingPCA] input {n_rows} x {n_features} float64 = {X.nbytes / 1e9:.2f} GB "
        f"({X.nbytes / limit:.1f}x a worker's memory limit) in {X.numblocks[0]} row blocks"
    )
    t = time.perf_counter()
    spca = StreamingPCA(n_components=2, batch_size=5_000, random_state=0).fit(X)
    elapsed = time.perf_counter() - t
    cos0, cos1 = abs(spca.components_[0, 0]), abs(spca.components_[1, 1])
    print(f"  fit time {elapsed:.1f} s ({X.nbytes / 1e6 / elapsed:.0f} MB/s)")
    print(f"  |cos| to the planted top-2 directions: {cos0:.5f}, {cos1:.5f}")
    # reference on a smaller size: partial_fit over the Dask array equals
    # partial_fit over its blocks in memory
    Xs = X[: 20 * rows_per_chunk // 10]
    ref = StreamingPCA(n_components=2, random_state=0)
    for block in np.split(Xs.compute(), Xs.numblocks[0]):
        ref.partial_fit(block)
    got = StreamingPCA(n_components=2, random_state=0).partial_fit(Xs)
    print(
        f"  smaller size ({Xs.shape[0]} rows): max |dask - in-memory| of components "
        f"{np.abs(got.components_ - ref.components_).max():.1e}"
    )

    # ---------------------------------------------------------------- RobustPCA
    m_ref, n = args.rpca_ref_rows, 50
    D, L = _lazy_low_rank_sparse(da, m_ref, n, 3, rows_per_chunk=m_ref // 4)
    Dm, Lm = D.compute(), L.compute()
    t = time.perf_counter()
    mem = RobustPCA(tol=1e-6, random_state=0).fit(Dm)
    t_mem = time.perf_counter() - t
    t = time.perf_counter()
    dsk = RobustPCA(tol=1e-6, random_state=0).fit(D)
    low_rank = dsk.low_rank_.compute()
    t_dask = time.perf_counter() - t
    ref_norm = np.linalg.norm(mem.low_rank_)
    print(
        f"\n[RobustPCA] reference size {m_ref} x {n} ({D.nbytes / 1e6:.0f} MB), rank 3, 5% corrupted"
    )
    print(
        f"  in memory: {t_mem:.1f} s, {mem.n_iter_} iterations, rel. error of L vs truth "
        f"{np.linalg.norm(mem.low_rank_ - Lm) / np.linalg.norm(Lm):.1e}"
    )
    print(
        f"  Dask:      {t_dask:.1f} s, {dsk.n_iter_} iterations, rel. error of L vs truth "
        f"{np.linalg.norm(low_rank - Lm) / np.linalg.norm(Lm):.1e}"
    )
    print(
        f"  Dask vs in-memory: rel. difference of L {np.linalg.norm(low_rank - mem.low_rank_) / ref_norm:.1e}, "
        f"time ratio {t_dask / t_mem:.1f}x"
    )

    if args.rpca_rows:
        m = args.rpca_rows
        D, L = _lazy_low_rank_sparse(da, m, n, 3, rows_per_chunk=20_000)
        print(
            f"\n[RobustPCA] input {m} x {n} = {D.nbytes / 1e6:.0f} MB "
            f"({D.nbytes / limit:.1f}x a worker's memory limit), generated lazily"
        )
        t = time.perf_counter()
        big = RobustPCA(tol=1e-6, random_state=0).fit(D)
        elapsed = time.perf_counter() - t
        err = da.linalg.norm(big.low_rank_ - L) / da.linalg.norm(L)
        print(
            f"  fit time {elapsed:.1f} s, {big.n_iter_} iterations, rank {big.rank_}, "
            f"rel. error of L vs truth {float(err.compute()):.1e}"
        )

    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
