"""Subspace clustering at 50,000 points: EnSC and SSC-OMP vs scikit-learn.

The "Done when" problem of the subspace clustering family: 20 subspaces of
dim 10 in R^100, 2,500 points each (50,000 points), noise 0.05. Each method
runs in its own subprocess (fresh interpreter, data regenerated from the same
seed) so that its peak memory is its own: the script prints the wall time of
``fit_predict`` (data generation excluded), the subprocess's maximum resident
set size (``resource.getrusage``, everything the process held: interpreter,
data, work arrays) and the clustering accuracy.

scikit-learn's ``SpectralClustering`` (kNN affinity, ARPACK) runs on a random
subsample (``--spectral-samples``, default 10,000 points) because at 50,000
points its dense steps are out of reach of a laptop; ``KMeans`` runs on all
points. Use ``--per-subspace`` for a smaller problem and ``--methods`` to pick
methods (``ensc,omp,kmeans,spectral``).

    PYTHONPATH=. python benchmarks/bench_subspace_clustering_scale.py
    PYTHONPATH=. python benchmarks/bench_subspace_clustering_scale.py --per-subspace 250

One run at 50,000 points on a shared 2-core machine, EnSC in one process and
SSC-OMP (then KMeans, SpectralClustering) in another at the same time, so
each had about one core:

    ElasticNetSubspaceClustering   time 518.5 s  max RSS 439 MiB  ACC 1.0000
    OMPSubspaceClustering          time 658.2 s  max RSS 387 MiB  ACC 1.0000
    sklearn KMeans                 time  26.7 s  max RSS 285 MiB  ACC 0.1563
    sklearn SpectralClustering     time   2.2 s  max RSS 285 MiB  ACC 1.0000  (10,000 points)

SSC-OMP re-run alone on the idle machine (both cores, ``--methods omp``):

    OMPSubspaceClustering (SSC-OMP)    time    298.6 s  max RSS     388 MiB  ACC 1.0000

Since EnSC and SSC-OMP code their blocks of points on host threads (one per
core), idle machine, ``--methods ensc,omp`` (one method at a time)::

    ElasticNetSubspaceClustering       time    119.6 s  max RSS     659 MiB  ACC 1.0000
    OMPSubspaceClustering (SSC-OMP)    time    220.7 s  max RSS     600 MiB  ACC 1.0000

(two blocks in flight at once: the peak memory grows by about one block's
work arrays.) At 100,000 points (``--per-subspace 5000 --methods ensc``)::

    ElasticNetSubspaceClustering       time    431.1 s  max RSS     736 MiB  ACC 1.0000
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _record import comparison, record  # noqa: E402

N_SUBSPACES, DIM, AMBIENT, NOISE = 20, 10, 100, 0.05


def _data(per_subspace):
    from sksubspace.datasets import make_subspaces

    X, y, _ = make_subspaces(N_SUBSPACES, DIM, AMBIENT, per_subspace, noise=NOISE, random_state=0)
    return X, y


def _child(method, per_subspace, spectral_samples):
    """Fit one method; print a JSON line with time, max RSS and accuracy."""
    from sklearn.cluster import KMeans, SpectralClustering

    from sksubspace.cluster import ElasticNetSubspaceClustering, OMPSubspaceClustering
    from sksubspace.metrics import clustering_accuracy

    X, y = _data(per_subspace)
    n = X.shape[0]
    if method == "spectral" and spectral_samples < n:
        idx = np.random.RandomState(0).choice(n, spectral_samples, replace=False)
        X, y = X[idx], y[idx]
    est = {
        "ensc": ElasticNetSubspaceClustering(N_SUBSPACES, random_state=0),
        "omp": OMPSubspaceClustering(N_SUBSPACES, random_state=0),
        "kmeans": KMeans(N_SUBSPACES, n_init=10, random_state=0),
        "spectral": SpectralClustering(
            N_SUBSPACES, affinity="nearest_neighbors", n_neighbors=10, random_state=0
        ),
    }[method]
    t0 = time.perf_counter()
    labels = est.fit_predict(X)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB (Linux)
    out = {"n": int(X.shape[0]), "seconds": seconds, "rss_mib": rss}
    out["acc"] = float(clustering_accuracy(y, labels))
    print(json.dumps(out), flush=True)


NAMES = {
    "ensc": "ElasticNetSubspaceClustering",
    "omp": "OMPSubspaceClustering (SSC-OMP)",
    "kmeans": "sklearn KMeans",
    "spectral": "sklearn SpectralClustering",
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-subspace", type=int, default=2500)
    parser.add_argument("--methods", default="ensc,omp,kmeans,spectral")
    parser.add_argument("--spectral-samples", type=int, default=10_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.per_subspace, args.spectral_samples)
        return
    n = N_SUBSPACES * args.per_subspace
    print(
        f"data: {n} points, {N_SUBSPACES} subspaces of dim {DIM} in R^{AMBIENT}, noise {NOISE}",
        flush=True,
    )
    results = {}
    for method in args.methods.split(","):
        cmd = [sys.executable, __file__, "--child", method]
        cmd += ["--per-subspace", str(args.per_subspace)]
        cmd += ["--spectral-samples", str(args.spectral_samples)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{NAMES[method]:34s} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results[method] = r
        note = "" if r["n"] == n else f"  (random subsample of {r['n']} points)"
        print(
            f"{NAMES[method]:34s} time {r['seconds']:8.1f} s  max RSS {r['rss_mib']:7.0f} MiB"
            f"  ACC {r['acc']:.4f}{note}",
            flush=True,
        )
    rows = []
    for ours in ("ensc", "omp"):
        for peer in ("kmeans", "spectral"):
            # a peer run on a subsample is printed, not compared: not the same data
            if ours in results and peer in results and results[peer]["n"] == n:
                o, p = results[ours], results[peer]
                rows.append(
                    comparison(
                        f"{n} points, 20 subspaces of dim 10",
                        ours=NAMES[ours],
                        ours_time=o["seconds"],
                        peer=NAMES[peer],
                        peer_time=p["seconds"],
                        metric="clustering accuracy",
                        ours_quality=o["acc"],
                        peer_quality=p["acc"],
                    )
                )
    record(rows, family="Subspace clustering")
    if "ensc" in results and "omp" in results:
        print(
            f"time ratio EnSC / SSC-OMP: {results['ensc']['seconds'] / results['omp']['seconds']:.2f}"
        )
    if "omp" in results and "kmeans" in results:
        print(
            f"time ratio SSC-OMP / KMeans: {results['omp']['seconds'] / results['kmeans']['seconds']:.2f}"
        )


if __name__ == "__main__":
    main()
