"""
================================================
The affinity matrix of a union of subspaces
================================================

Five subspaces of dimension 5 in R^50. The SSC-OMP and EnSC affinities
connect points almost only within their own subspace: sorted by the true
label, they are block diagonal, which is what lets spectral clustering (and
the eigengap count, ``n_clusters="auto"``) recover the subspaces.
"""

import matplotlib.pyplot as plt
import numpy as np

from sksubspace.cluster import ElasticNetSubspaceClustering, OMPSubspaceClustering
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy

X, y, _ = make_subspaces(5, 5, 50, 80, noise=0.05, random_state=0)
order = np.argsort(y, kind="stable")

fig, axes = plt.subplots(1, 2, figsize=(8, 4))
for ax, model in zip(
    axes,
    [
        OMPSubspaceClustering("auto", n_nonzero=5, random_state=0),
        ElasticNetSubspaceClustering("auto", random_state=0),
    ],
    strict=True,
):
    model.fit(X)
    W = model.affinity_matrix_.toarray()[np.ix_(order, order)]
    ax.imshow(W > 0, cmap="Greys", interpolation="nearest")
    name = type(model).__name__
    acc = clustering_accuracy(y, model.labels_)
    ax.set_title(f"{name}\n{model.n_clusters_} clusters found, ACC {acc:.2f}", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
