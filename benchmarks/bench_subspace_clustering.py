"""Subspace clustering at scale: EnSC, SSC-OMP and KSubspaces vs scikit-learn KMeans / SpectralClustering.

The "Done when" problem is 20 subspaces of dim 10 in R^100, 2,500 points each
(50,000 points), noise 0.05. ``--per-subspace`` sets the points per subspace
(default 2500). Prints time (fits untraced), the process's max RSS, accuracy,
and with ``--memory`` the peak of traced Python allocations (NumPy included)
in a second, untimed fit of each.

    PYTHONPATH=. python benchmarks/bench_subspace_clustering.py --per-subspace 500

Measured on the idle 2-core machine with ``--per-subspace 100`` (2,000 points):
SSC-OMP 1.5 s, EnSC 3.4 s, KSubspaces (10 restarts) 7.3 s, all ACC 1.0;
scikit-learn KMeans 0.6 s, ACC 0.23 (KSubspaces / KMeans time ratio 12.7).
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc

from sklearn.cluster import KMeans, SpectralClustering

from sksubspace.cluster import ElasticNetSubspaceClustering, KSubspaces, OMPSubspaceClustering
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _record import comparison, record  # noqa: E402


def run(name, est, X, y, memory=False):
    t0 = time.perf_counter()
    labels = est.fit_predict(X)
    seconds = time.perf_counter() - t0
    acc = clustering_accuracy(y, labels)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced = ""
    if memory:  # a second, untimed fit: tracing slows Python-heavy fits many times over
        tracemalloc.start()
        est.fit_predict(X)
        traced = f"  peak traced {tracemalloc.get_traced_memory()[1] / 2**20:8.0f} MiB"
        tracemalloc.stop()
    print(
        f"{name:28s} time {seconds:8.1f} s{traced}  max RSS so far {rss:7.0f} MiB  ACC {acc:.4f}",
        flush=True,
    )
    return seconds, acc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-subspace", type=int, default=2500)
    parser.add_argument(
        "--spectral", action="store_true", help="also run sklearn SpectralClustering"
    )
    parser.add_argument("--skip-ensc", action="store_true")
    parser.add_argument(
        "--memory", action="store_true", help="also trace Python allocations (an extra fit each)"
    )
    args = parser.parse_args()
    X, y, _ = make_subspaces(20, 10, 100, args.per_subspace, noise=0.05, random_state=0)
    print(f"data: {X.shape[0]} points, 20 subspaces of dim 10 in R^100, noise 0.05")
    k = 20

    def run_(name, est):
        return run(name, est, X, y, memory=args.memory)

    ours = {
        "OMPSubspaceClustering": run_(
            "OMPSubspaceClustering", OMPSubspaceClustering(k, random_state=0)
        ),
        "ElasticNetSubspaceClustering": run_(
            "ElasticNetSubspaceClustering", ElasticNetSubspaceClustering(k, random_state=0)
        ),
        "KSubspaces": run_("KSubspaces", KSubspaces(k, subspace_dim=10, random_state=0)),
    }
    peers = {"KMeans": run_("sklearn KMeans", KMeans(k, n_init=10, random_state=0))}
    if args.spectral:
        peers["SpectralClustering"] = run(
            "sklearn SpectralClustering",
            SpectralClustering(k, affinity="nearest_neighbors", n_neighbors=10, random_state=0),
            X,
            y,
        )
    record(
        [
            comparison(
                f"{X.shape[0]} points, 20 subspaces of dim 10 in R^100",
                ours=name,
                ours_time=t,
                peer=peer,
                peer_time=t_p,
                metric="clustering accuracy",
                ours_quality=acc,
                peer_quality=acc_p,
            )
            for name, (t, acc) in ours.items()
            for peer, (t_p, acc_p) in peers.items()
        ],
        family="Subspace clustering",
    )
    t_omp = ours["OMPSubspaceClustering"][0]
    t_en = ours["ElasticNetSubspaceClustering"][0]
    t_ks, t_km = ours["KSubspaces"][0], peers["KMeans"][0]
    if t_en is not None:
        print(f"time ratio EnSC / SSC-OMP: {t_en / t_omp:.2f}")
    print(f"time ratio SSC-OMP / KMeans: {t_omp / t_km:.2f}")
    print(f"time ratio KSubspaces / KMeans: {t_ks / t_km:.2f}")


if __name__ == "__main__":
    main()
