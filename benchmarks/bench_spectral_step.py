"""The spectral step: ours vs scikit-learn's ``spectral_clustering`` on the same graphs.

Usage: PYTHONPATH=. python benchmarks/bench_spectral_step.py [--full | --quick] [--repeats 3]

(``--quick``, the docs' quick run: 2 repeats.)

Graphs: the TSC affinity (``n_neighbors=10``) of the issue's problem, 10
subspaces of dim 5 in R^30, 300 unit-norm points each plus noise 0.05 (3,000
points, one connected component per subspace), and of 20 subspaces of dim 10
in R^100, 500 each (10,000 points, 20 components); ``--full`` adds 20 subspaces
of dim 5 in R^30, 2,500 each (50,000 points). Each graph is used as it is
("components") and with 0.1% extra weak edges (weight 0.05) between random
points of different subspaces ("nearly disconnected": one component whose
smallest Laplacian eigenvalues are close but distinct).

Each row: ACC of the labels, the number of Laplacian eigenvalues below 1e-6
among the ``n_clusters`` computed (= the number of components when the step is
exact), wall and CPU time of the spectral step (medians, ours and the peer
interleaved), the time ratio, and the peak of traced Python/NumPy memory.
"before" is the step as it was on main (ARPACK ``eigsh(which="LA")`` on the
whole normalized affinity): on graphs with several components it finds only
some of the zero eigenvalues and merges clusters. The peer is
``sklearn.cluster.spectral_clustering`` (ARPACK in shift-invert mode,
``assign_labels="kmeans"``). Both modes run in fresh processes: 1 thread pinned
to one core (``taskset -c 0``, BLAS/OpenMP threads 1), then all cores. The
machine is shared with other jobs: times are indicative, ratios come from the
same run.

Measured on the shared 2-core machine, 2026-12-04, 1 thread pinned (CPU time
of the step, ACC, zero eigenvalues found)::

  3k components   ours 0.05 s  1.000 10/10   main 0.10 s 0.684  5/10   sklearn 0.10 s 1.000
  10k components  ours 0.15 s  1.000 20/20   main 0.44 s 0.876 10/20   sklearn 0.84 s 1.000
  50k components  ours 0.7 s   1.000 20/20   main 4.6 s  0.910 12/20   sklearn 11.8 s 1.000
  50k nearly disconnected: ours 2.5 s ACC 1.000, main 2.3 s ACC 1.000

(50k from ``--full``, one run.) On nearly disconnected graphs all three agree
(ARPACK resolves close eigenvalues); only exact multiplicities defeat it.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg
from sklearn.cluster import KMeans
from sklearn.cluster import spectral_clustering as sk_spectral_clustering

from sksubspace.cluster._base import affinity_from_representation
from sksubspace.cluster._spectral import normalized_affinity, spectral_clustering
from sksubspace.cluster._tsc import tsc_representation
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _child import collect_rows, read_rows, send_rows  # noqa: E402
from _record import comparison, record  # noqa: E402

PROBLEMS = {
    "3k": (10, 5, 30, 300),
    "10k": (20, 10, 100, 500),
    "50k": (20, 5, 30, 2500),
}


def make_graphs(names, path):
    rng = np.random.default_rng(0)
    arrays = {}
    for name in names:
        X, y, _ = make_subspaces(*PROBLEMS[name], noise=0.05, random_state=0)
        W = affinity_from_representation(tsc_representation(X, np, n_neighbors=10))
        n = W.shape[0]
        m = int(0.001 * W.nnz)
        r, c = rng.integers(0, n, m), rng.integers(0, n, m)
        keep = y[r] != y[c]
        E = sp.coo_matrix((np.full(keep.sum(), 0.05), (r[keep], c[keep])), shape=(n, n))
        for kind, G in (("components", W), ("nearly disconnected", sp.csr_matrix(W + E + E.T))):
            G = sp.csr_matrix(G)
            key = f"{name}|{kind}"
            arrays[key + "|data"], arrays[key + "|indices"] = G.data, G.indices
            arrays[key + "|indptr"] = G.indptr
            arrays[key + "|y"] = y
    np.savez(path, **arrays)


def before(W, k, random_state=0):
    """main's step: ARPACK on the whole normalized affinity, k-means on the rows."""
    M, _ = normalized_affinity(W)
    v0 = np.random.RandomState(random_state).uniform(-1, 1, M.shape[0])
    mu, V = scipy.sparse.linalg.eigsh(M, k=k, which="LA", v0=v0, tol=1e-8)
    V = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-300)
    labels = KMeans(k, n_init=10, random_state=random_state).fit_predict(V)
    return labels, 1.0 - mu


def ours(W, k):
    labels, _, ev = spectral_clustering(W, k, n_init=10, random_state=0)
    return labels, ev


def peer(W, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "graph is not fully connected"
        return sk_spectral_clustering(W, n_clusters=k, random_state=0), None


def peer_eigenvalues(W, k):
    """Rayleigh quotients of scikit-learn's embedding (not timed; it returns no eigenvalues)."""
    from sklearn.manifold import spectral_embedding

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        V = spectral_embedding(W, n_components=k, random_state=0, drop_first=False)
    deg = np.asarray(W.sum(axis=1)).ravel()
    U = V * np.sqrt(deg)[:, None]  # the embedding is D^-1/2 times the eigenvectors
    U /= np.linalg.norm(U, axis=0)
    L = sp.identity(W.shape[0]) - normalized_affinity(W)[0]
    return np.einsum("ij,ij->j", U, L @ U)


def measure(fn, W, k):
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    labels, ev = fn(W, k)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if ev is None:
        ev = peer_eigenvalues(W, k)
    return wall, cpu, peak, labels, np.asarray(ev)


def child(path, repeats, mode):
    data = np.load(path)
    keys = sorted({k.rsplit("|", 1)[0] for k in data.files}, key=lambda s: (len(s), s))
    print(f"--- {mode} ---", flush=True)
    records = []
    for key in keys:
        y = data[key + "|y"]
        n = y.size
        W = sp.csr_matrix((data[key + "|data"], data[key + "|indices"], data[key + "|indptr"]))
        k = int(y.max()) + 1
        rows = {"ours": [], "before (main)": [], "sklearn": []}
        for _ in range(repeats):  # interleaved
            for name, fn in (("ours", ours), ("before (main)", before), ("sklearn", peer)):
                rows[name].append(measure(fn, W, k))
        t_peer = np.median([r[0] for r in rows["sklearn"]])
        c_peer = np.median([r[1] for r in rows["sklearn"]])
        print(f"{key.replace('|', ', ')}: n={n}, n_clusters={k}", flush=True)
        acc = {}
        for name, runs in rows.items():
            wall = np.median([r[0] for r in runs])
            cpu = np.median([r[1] for r in runs])
            peak = max(r[2] for r in runs) / 2**20
            labels, ev = runs[-1][3], runs[-1][4]
            acc[name] = clustering_accuracy(y, labels)
            print(
                f"  {name:14s} ACC {acc[name]:.3f}  "
                f"zero eigenvalues {int(np.sum(ev < 1e-6)):2d}/{k}  "
                f"wall {wall:7.2f} s  CPU {cpu:7.2f} s  "
                f"wall ratio to sklearn {wall / t_peer:5.2f}  CPU ratio {cpu / c_peer:5.2f}  "
                f"peak {peak:6.0f} MiB",
                flush=True,
            )
        records.append(
            comparison(
                f"{key.replace('|', ', ')}, n={n}, {mode} (CPU time)",
                ours="spectral step",
                ours_time=np.median([r[1] for r in rows["ours"]]),
                peer="sklearn spectral_clustering",
                peer_time=c_peer,
                metric="clustering accuracy",
                ours_quality=acc["ours"],
                peer_quality=acc["sklearn"],
            )
        )
    send_rows(records)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="add the 50,000-point graph")
    parser.add_argument("--quick", action="store_true", help="2 repeats")
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (2 with --quick)")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "MODE"))
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 3)
    if args.child:
        child(args.child[0], repeats, args.child[1])
        return
    names = ["3k", "10k"] + ["50k"] * args.full
    print(__doc__.split("\n\n")[0])
    print(f"graphs: {', '.join(names)}; medians of {repeats}; shared machine")
    rows_file = collect_rows()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "graphs.npz")
        make_graphs(names, path)
        me = [sys.executable, __file__, "--repeats", str(repeats), "--child", path]
        one = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        subprocess.run(
            ["taskset", "-c", "0", *me, "1 thread pinned to core 0"],
            env={**os.environ, **one},
            check=True,
        )
        subprocess.run([*me, f"all {os.cpu_count()} cores"], check=True)
    record(read_rows(rows_file), family="Subspace clustering")


if __name__ == "__main__":
    main()
