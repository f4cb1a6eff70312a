"""MultiRepresentationSubspaceClustering vs clustering the concatenated views.

Usage: PYTHONPATH=. python benchmarks/bench_multirepresentation.py [per_cluster] [seeds]

The multi-view problem of ``make_multiview_subspaces``: 4 clusters read by two
sensors of 15 features each, each cluster a random 3-dim subspace per sensor,
30% of the samples corrupted in sensor 0 and another 30% in sensor 1. What a
user would do without the estimator: cluster the concatenated readings ``X``
with scikit-learn's SpectralClustering (kNN graph) or KMeans, or with one of
our subspace clustering estimators (EnSC) on ``X``. Printed per method:
accuracy (median and min over ``seeds`` data draws), NMI (median) and fit time
(median), and the time ratio to SpectralClustering.

Measured on the idle 2-core machine, 2026-11-23 (defaults: 400 samples, 5 draws)::

  MultiRepresentation (X + sensors)  ACC 0.985 (min 0.973)  NMI 0.942  fit   1.85s  time / SpectralClustering  33.9
  EnSC on X                          ACC 0.557 (min 0.550)  NMI 0.383  fit   1.32s  time / SpectralClustering  24.3
  SpectralClustering (kNN) on X      ACC 0.807 (min 0.623)  NMI 0.580  fit   0.05s  time / SpectralClustering   1.0
  KMeans on X                        ACC 0.312 (min 0.300)  NMI 0.019  fit   0.02s  time / SpectralClustering   0.4

The fused graph is the only one that sees past both sensors' corruptions, at
~34x SpectralClustering's time (three EnSC graphs at a few hundred points,
where the active-set solver's per-round overhead dominates).
"""

import sys
import time

import numpy as np
from _record import comparison, record
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.compose import ColumnTransformer
from sklearn.metrics import normalized_mutual_info_score

from sksubspace.cluster import ElasticNetSubspaceClustering, MultiRepresentationSubspaceClustering
from sksubspace.datasets import make_multiview_subspaces
from sksubspace.metrics import clustering_accuracy

K, DIM, F = 4, 3, 15


def sensor(i):
    return (
        f"sensor{i}",
        ColumnTransformer([("cols", "passthrough", list(range(i * F, (i + 1) * F)))]),
    )


def models(seed):
    return {
        "MultiRepresentation (X + sensors)": MultiRepresentationSubspaceClustering(
            transformers=[sensor(0), sensor(1)], n_clusters=K, random_state=seed
        ),
        "EnSC on X": ElasticNetSubspaceClustering(K, random_state=seed),
        "SpectralClustering (kNN) on X": SpectralClustering(
            K, affinity="nearest_neighbors", n_neighbors=10, random_state=seed
        ),
        "KMeans on X": KMeans(K, n_init=10, random_state=seed),
    }


def main(per_cluster=100, seeds=5):
    print(
        f"{K} clusters x {per_cluster} samples, two sensors of {F} features, 30% corrupted "
        f"per sensor; medians over {seeds} data draws"
    )
    results = {}
    for seed in range(seeds):
        X, y, _ = make_multiview_subspaces(
            K, DIM, (F, F), per_cluster, corrupted_fraction=0.3, random_state=seed
        )
        for name, model in models(seed).items():
            t = time.perf_counter()
            labels = model.fit_predict(X)
            elapsed = time.perf_counter() - t
            r = results.setdefault(name, ([], [], []))
            r[0].append(clustering_accuracy(y, labels))
            r[1].append(normalized_mutual_info_score(y, labels))
            r[2].append(elapsed)
    ref = np.median(results["SpectralClustering (kNN) on X"][2])
    for name, (acc, nmi, times) in results.items():
        t = np.median(times)
        print(
            f"  {name:34s} ACC {np.median(acc):.3f} (min {np.min(acc):.3f})  NMI "
            f"{np.median(nmi):.3f}  fit {t:6.2f}s  time / SpectralClustering {t / ref:5.1f}"
        )
    ours = "MultiRepresentation (X + sensors)"
    rows = [
        comparison(
            f"{K} x {per_cluster} samples, 2 sensors, 30% corrupted each",
            ours="MultiRepresentationSubspaceClustering",
            ours_time=np.median(results[ours][2]),
            peer=name,
            peer_time=np.median(times),
            metric="ACC (median)",
            ours_quality=np.median(results[ours][0]),
            peer_quality=np.median(acc),
        )
        for name, (acc, _, times) in results.items()
        if name != ours
    ]
    record(rows, family="Subspace clustering")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:]])
