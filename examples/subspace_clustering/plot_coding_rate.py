"""
======================================================
Coding rate clustering: linearizing handwritten digits
======================================================

:class:`~sksubspace.cluster.CodingRateClustering` is a shallow form of
"Unsupervised Manifold Linearizing and Clustering" (MLC): it learns a linear
feature map and a doubly stochastic membership of the points by maximizing
the coding rate reduction, starting from the clustering of an EnSC graph.
The images of one digit do not lie on one linear subspace (strokes vary in
thickness, slant and position), so the membership the EnSC graph gives is
only a start; training moves each point's membership toward the points whose
features it can code with few dimensions.

We compare it on scikit-learn's digits with KMeans, SpectralClustering and
EnSC, by accuracy (best label matching) and normalized mutual information,
then look at what it learned: the rate reduction per epoch and the
correlations of the learned features.
"""

import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import normalized_mutual_info_score

from sksubspace.cluster import CodingRateClustering, ElasticNetSubspaceClustering
from sksubspace.metrics import clustering_accuracy

X, y = load_digits(return_X_y=True)
if os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE"):
    X, y = X[:300], y[:300]
X = X / 16.0

crc = CodingRateClustering(10, gamma=20, tau=0.9, random_state=0)
models = {
    "KMeans": KMeans(10, n_init=10, random_state=0),
    "SpectralClustering (kNN)": SpectralClustering(
        10, affinity="nearest_neighbors", n_neighbors=10, random_state=0
    ),
    "EnSC": ElasticNetSubspaceClustering(10, gamma=20, tau=0.9, support_size=30, random_state=0),
    "CodingRateClustering": crc,
}
print(f"{'method':26s} {'ACC':>6s} {'NMI':>6s} {'time':>7s}")
for name, model in models.items():
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = model.fit_predict(X)
    t = time.perf_counter() - t0
    acc = clustering_accuracy(y, labels)
    nmi = normalized_mutual_info_score(y, labels)
    print(f"{name:26s} {acc:6.3f} {nmi:6.3f} {t:6.2f}s")

# %%
# On the full data set (1,797 images) this prints about ACC 0.79 / NMI 0.74
# for KMeans, 0.81 / 0.85 for SpectralClustering, 0.79 / 0.82 for EnSC and
# 0.89 / 0.87 for CodingRateClustering, whose starting point, the spectral
# clustering of the same EnSC graph, is at 0.79 / 0.83: the gain is the
# training. Other seeds (``random_state``, which orders the mini-batches)
# give 0.87 to 0.94. On unions of *linear* subspaces there is nothing to
# linearize and EnSC is already exact; there the estimator only matches it.
#
# ``predict`` assigns new images to the nearest cluster subspace of their
# learned features (``transform``). Fitted on the first 1,491 images, it
# labels the 306 others. This prints about ACC 0.82 on the training images
# (the fit is sensitive to the data and the mini-batch order, like the seeds
# above) and 0.75 on the held-out ones: the subspaces of the learned features
# are a coarser rule than the membership graph.

n_train = int(0.83 * len(X))
held_out = CodingRateClustering(10, gamma=20, tau=0.9, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    held_out.fit(X[:n_train])
print(f"training images: ACC {clustering_accuracy(y[:n_train], held_out.labels_):.3f}")
print(f"held-out images: ACC {clustering_accuracy(y[n_train:], held_out.predict(X[n_train:])):.3f}")
Z = crc.transform(X)

# %%
# The rate reduction increases over the epochs, and the learned features of
# different digits are closer to orthogonal than the principal components
# the map started from (absolute cosines, points sorted by digit).

order = np.argsort(y, kind="stable")
V = np.linalg.svd(X, full_matrices=False)[2][: Z.shape[1]].T
Z0 = X @ V
Z0 /= np.linalg.norm(Z0, axis=1, keepdims=True)

fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
axes[0].plot(np.arange(1, len(crc.loss_curve_) + 1), crc.loss_curve_, marker="o")
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("rate reduction (mean over batches)")
for ax, F, title in [
    (axes[1], Z0, "PCA features (start)"),
    (axes[2], Z, "learned features"),
]:
    F = F[order]
    ax.imshow(np.abs(F @ F.T), cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(f"|cos| of {title}", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
