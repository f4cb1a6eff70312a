"""
=========================================
Subspace clustering of handwritten digits
=========================================

Images of one digit lie near a low-dimensional subspace. We cluster
scikit-learn's digits (1,797 images of 8x8 pixels, rows scaled to unit norm)
into 10 groups with every subspace clustering estimator *at its defaults*, and
compare them with :class:`~sklearn.cluster.KMeans` and
:class:`~sklearn.cluster.SpectralClustering` on a nearest-neighbour graph, by
accuracy (best one-to-one matching of clusters to digits) and normalized
mutual information. The figure shows the affinity matrix of the most accurate
self-expressive method, with the images sorted by digit (a block-diagonal
affinity means that each image is written with images of its own digit), and
its confusion matrix.
"""

import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import confusion_matrix, normalized_mutual_info_score
from sklearn.preprocessing import normalize

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
X = normalize(X)  # each image scaled to unit norm

models = {
    "KMeans": KMeans(10, n_init=10, random_state=0),
    "SpectralClustering (kNN)": SpectralClustering(
        10, affinity="nearest_neighbors", random_state=0
    ),
    "SSC (ADMM)": SparseSubspaceClustering(10, random_state=0),
    "EnSC": ElasticNetSubspaceClustering(10, random_state=0),
    "SSC-OMP": OMPSubspaceClustering(10, random_state=0),
    "LSR": LeastSquaresSubspaceClustering(10, random_state=0, store_matrices=True),
    "LRR": LowRankRepresentation(10, random_state=0),
    "TSC": ThresholdingSubspaceClustering(10, random_state=0),
    "KSubspaces": KSubspaces(10, random_state=0),
}

# %%
# Fit every model, recording accuracy, NMI and time. Iterative solvers that
# stop at their iteration cap raise a ConvergenceWarning (and scikit-learn's
# spectral embedding warns when the kNN graph is disconnected): we catch the
# warnings and say so in the table rather than let them interrupt the output.
results = {}
print(f"{'method':26s} {'ACC':>6s} {'NMI':>6s} {'time':>7s}")
for name, model in models.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        labels = model.fit_predict(X)
        seconds = time.perf_counter() - t0
    acc = clustering_accuracy(y, labels)
    nmi = normalized_mutual_info_score(y, labels)
    results[name] = (acc, labels)
    note = ""
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        note = "  (stopped at its iteration cap: ConvergenceWarning)"
    elif caught:
        note = f"  ({caught[0].category.__name__}: {str(caught[0].message)[:50]})"
    print(f"{name:26s} {acc:6.3f} {nmi:6.3f} {seconds:6.2f}s{note}")

# %%
# The affinity of the most accurate self-expressive model, images sorted by
# digit, and its confusion matrix (rows: digits, columns: clusters matched to
# digits).
self_expressive = [n for n, m in models.items() if hasattr(m, "affinity_matrix_")]
best = max(self_expressive, key=lambda n: results[n][0])
W = models[best].affinity_matrix_
W = W.toarray() if hasattr(W, "toarray") else np.asarray(W)
order = np.argsort(y, kind="stable")
W = W[np.ix_(order, order)]

acc, labels = results[best]
C = confusion_matrix(y, labels)
# relabel clusters by their best matching digit (Hungarian matching, as in ACC)
from scipy.optimize import linear_sum_assignment  # noqa: E402

rows, cols = linear_sum_assignment(-C)
C = C[:, cols[np.argsort(rows)]]

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4.6))
ax0.imshow(np.sqrt(W / W.max()), cmap="Greys", interpolation="nearest")
ax0.set_title(f"{best}: affinity, images sorted by digit")
ticks = np.searchsorted(y[order], np.arange(10))
ax0.set_xticks(ticks, [str(d) for d in range(10)])
ax0.set_yticks(ticks, [str(d) for d in range(10)])
ax1.imshow(C, cmap="Blues")
for i in range(C.shape[0]):
    for j in range(C.shape[1]):
        ax1.text(j, i, C[i, j], ha="center", va="center", fontsize=7)
ax1.set_xlabel("cluster (matched to a digit)")
ax1.set_ylabel("digit")
ax1.set_xticks(range(10))
ax1.set_yticks(range(10))
ax1.set_title(f"{best}: confusion matrix, ACC {acc:.3f}")
fig.tight_layout()
plt.show()
