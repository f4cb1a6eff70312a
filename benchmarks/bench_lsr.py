"""LSR through the smaller Gram matrix vs the textbook n x n closed form.

Usage: PYTHONPATH=. python benchmarks/bench_lsr.py [--repeats 3] [--quick]
(``--quick``: one repetition).

Data: the issue's problems, 10 subspaces of dim 5 in R^30, 300 unit-norm points
each plus noise 0.05 (3,000 points), and 20 subspaces of dim 10 in R^100, 500
each (10,000 points). "ours" is ``LeastSquaresSubspaceClustering`` with its
defaults (the factor ``Z`` with ``Z Z' = X (X'X + alpha I)^-1 X'`` from the
D x D Gram matrix, the 20 largest codes of each row, the sparse spectral step).
"n x n form" is the textbook LSR1 (Lu et al. 2012): ``P = (X X' + alpha I)^-1``,
``C = -P diag(P)^-1`` off the diagonal, dense, then the same spectral step on
the dense affinity ``|C| + |C|'``; it is what main computed (through Woodbury,
but still with dense n x n matrices; at 10,000 points it did not finish in
1,200 s), run here at 3,000 points only. Printed: ACC, wall and CPU time of
``fit`` (medians, interleaved), the time ratio, and the peak of traced memory.
Both modes run in fresh processes: 1 thread pinned to one core (``taskset -c
0``, BLAS/OpenMP threads 1), then all cores. The machine is shared with other
jobs: times are indicative, ratios come from the same run.

Measured on the shared 2-core machine, 2026-12-04, 1 thread pinned: 3,000
points ours 0.25 CPU-s vs the n x n form 2.82 CPU-s (both ACC 1.0; peak traced
198 vs 498 MiB); 10,000 points ours 2.5 CPU-s, 8.0 s wall, ACC 1.0 (main did
not finish in 1,200 s). The peak is the blocks of ``Z Z'`` rows (2^22 entries
each and their temporaries), not the n x n matrix.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np
from _record import comparison, record

from sksubspace.cluster import LeastSquaresSubspaceClustering
from sksubspace.cluster._base import affinity_from_representation
from sksubspace.cluster._spectral import spectral_clustering
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy

PROBLEMS = {"3k": ((10, 5, 30, 300), 10), "10k": ((20, 10, 100, 500), 20)}


def n_by_n_form(X, k, alpha=0.1):
    n = X.shape[0]
    P = np.linalg.inv(X @ X.T + alpha * np.eye(n))
    C = (-P / np.diag(P)[None, :]).T
    np.fill_diagonal(C, 0.0)
    W = affinity_from_representation(C)
    return spectral_clustering(W, k, random_state=0)[0]


def ours(X, k):
    return LeastSquaresSubspaceClustering(k, random_state=0).fit(X).labels_


def measure(fn, X, k):
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    labels = fn(X, k)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return wall, cpu, peak, labels


def child(repeats, mode, rows_path=None):
    print(f"--- {mode} ---", flush=True)
    rows = []
    for name, (args, k) in PROBLEMS.items():
        X, y, _ = make_subspaces(*args, noise=0.05, random_state=0)
        methods = {"ours": ours}
        if name == "3k":
            methods["n x n form"] = n_by_n_form
        runs = {m: [] for m in methods}
        for _ in range(repeats):  # interleaved
            for m, fn in methods.items():
                runs[m].append(measure(fn, X, k))
        print(f"{name}: n={X.shape[0]}, n_features={X.shape[1]}, n_clusters={k}", flush=True)
        ref = np.median([r[0] for r in runs.get("n x n form", runs["ours"])])
        for m, rs in runs.items():
            wall = np.median([r[0] for r in rs])
            cpu = np.median([r[1] for r in rs])
            peak = max(r[2] for r in rs) / 2**20
            ratio = f"  wall ratio to n x n form {wall / ref:5.2f}" if "n x n form" in runs else ""
            print(
                f"  {m:11s} ACC {clustering_accuracy(y, rs[-1][3]):.3f}  wall {wall:7.2f} s  "
                f"CPU {cpu:7.2f} s{ratio}  peak {peak:7.0f} MiB",
                flush=True,
            )
        if "n x n form" in runs:  # for the docs: CPU-time medians, ACC of the last run
            med = {m: np.median([r[1] for r in rs]) for m, rs in runs.items()}
            acc = {m: clustering_accuracy(y, rs[-1][3]) for m, rs in runs.items()}
            rows.append(
                comparison(
                    f"{X.shape[0]:,} points, {mode} (CPU time)",
                    ours="LeastSquaresSubspaceClustering",
                    ours_time=med["ours"],
                    peer="LSR1 n x n closed form",
                    peer_time=med["n x n form"],
                    metric="ACC",
                    ours_quality=acc["ours"],
                    peer_quality=acc["n x n form"],
                )
            )
    if rows_path:
        with open(rows_path, "w") as f:
            json.dump(rows, f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repetition")
    parser.add_argument("--child", metavar="MODE")
    parser.add_argument("--rows", help=argparse.SUPPRESS)  # child: where its rows go (JSON)
    args = parser.parse_args()
    if args.quick:
        args.repeats = 1
    if args.child:
        child(args.repeats, args.child, args.rows)
        return
    print(__doc__.split("\n\n")[0])
    print(f"medians of {args.repeats}; shared machine")
    one = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows_path = os.path.join(tmp, "rows.json")
        me = [sys.executable, __file__, "--repeats", str(args.repeats), "--rows", rows_path]
        subprocess.run(
            ["taskset", "-c", "0", *me, "--child", "1 thread pinned to core 0"],
            env={**os.environ, **one},
            check=True,
        )
        with open(rows_path) as f:
            rows += json.load(f)
        subprocess.run([*me, "--child", f"all {os.cpu_count()} cores"], check=True)
        with open(rows_path) as f:
            rows += json.load(f)
    record(rows, family="Subspace clustering")


if __name__ == "__main__":
    main()
