"""
=========================================
Subspace clustering of handwritten digits
=========================================

Images of one digit lie near a low-dimensional subspace. We cluster
scikit-learn's digits (8x8 images) with the subspace clustering estimators and
compare them with KMeans and SpectralClustering by accuracy (best label
matching) and normalized mutual information.
"""

import os
import time

from sklearn.cluster import KMeans, SpectralClustering
from sklearn.datasets import load_digits
from sklearn.metrics import normalized_mutual_info_score

from sksubspace.cluster import (
    ElasticNetSubspaceClustering,
    KSubspaces,
    LeastSquaresSubspaceClustering,
    LowRankRepresentation,
    OMPSubspaceClustering,
    SparseSubspaceClustering,
    ThresholdingSubspaceClustering,
)
from sksubspace.metrics import clustering_accuracy

X, y = load_digits(return_X_y=True)
if os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE"):
    X, y = X[:300], y[:300]
X = X / 16.0

models = {
    "KMeans": KMeans(10, n_init=10, random_state=0),
    "SpectralClustering (kNN)": SpectralClustering(
        10, affinity="nearest_neighbors", n_neighbors=10, random_state=0
    ),
    "SSC-OMP": OMPSubspaceClustering(10, n_nonzero=5, random_state=0),
    "EnSC": ElasticNetSubspaceClustering(10, gamma=20, tau=0.9, support_size=30, random_state=0),
    "LSR": LeastSquaresSubspaceClustering(10, alpha=10.0, random_state=0),
    "TSC": ThresholdingSubspaceClustering(10, n_neighbors=10, random_state=0),
    "K-subspaces": KSubspaces(10, subspace_dim=5, n_init=3, random_state=0),
    "LRR": LowRankRepresentation(10, alpha=0.1, random_state=0),
    "SSC (ADMM)": SparseSubspaceClustering(10, alpha=5.0, max_iter=200, random_state=0),
}
print(f"{'method':26s} {'ACC':>6s} {'NMI':>6s} {'time':>7s}")
for name, model in models.items():
    t0 = time.perf_counter()
    labels = model.fit_predict(X)
    t = time.perf_counter() - t0
    acc = clustering_accuracy(y, labels)
    nmi = normalized_mutual_info_score(y, labels)
    print(f"{name:26s} {acc:6.3f} {nmi:6.3f} {t:6.2f}s")
