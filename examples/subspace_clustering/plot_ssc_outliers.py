"""
=====================================================
Sparse subspace clustering with outliers
=====================================================

Four subspaces of dimension 4 in R^30, 60 points each, plus 10% outliers
drawn uniformly on the sphere. :class:`~sksubspace.cluster.SparseSubspaceClustering`
with ``outliers=True`` scores each point by a random walk on its sparse
representation graph: inliers only use inliers of their own subspace, and no
inlier needs an outlier, so the walk leaves the outliers. The flagged points
get the label -1 and stay out of the spectral step. Plain SSC has to put the
outliers in some cluster; the outlier-aware fit separates them, and
:class:`~sksubspace.cluster.LowRankRepresentation` (LRR) is shown for
comparison on the same data.
"""

import matplotlib.pyplot as plt
import numpy as np

from sksubspace.cluster import LowRankRepresentation, SparseSubspaceClustering
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy

X, y, _ = make_subspaces(4, 4, 30, 60, noise=0.02, outlier_fraction=0.1, random_state=0)
inlier = y >= 0

robust = SparseSubspaceClustering(4, outliers=True, random_state=0).fit(X)
plain = SparseSubspaceClustering(4, store_matrices=True, random_state=0).fit(X)
lrr = LowRankRepresentation(4, random_state=0).fit(X)

flagged = ~robust.inlier_mask_
print(f"outliers found: {np.sum(flagged & ~inlier)} of {np.sum(~inlier)}")
print(f"inliers wrongly flagged: {np.sum(flagged & inlier)} of {np.sum(inlier)}")
for name, model in [("SSC, outliers=True", robust), ("SSC", plain), ("LRR", lrr)]:
    acc = clustering_accuracy(y[inlier], model.labels_[inlier])
    print(f"{name:20s} accuracy on the inliers: {acc:.3f}")

# %%
# The outlier scores of the two groups, and the SSC affinity sorted by the
# true subspace (outliers last): the outliers' rows use points of every
# subspace, while no inlier uses an outlier (empty bottom-right columns).
order = np.argsort(np.where(inlier, y, 99), kind="stable")
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
bins = np.linspace(robust.outlier_scores_.min(), robust.outlier_scores_.max(), 30)
axes[0].hist(robust.outlier_scores_[inlier], bins=bins, label="inliers")
axes[0].hist(robust.outlier_scores_[~inlier], bins=bins, label="outliers")
axes[0].axvline(robust.outlier_threshold, color="k", ls="--", label="threshold")
axes[0].set_xlabel("outlier score (-log10 of relative random-walk visits)")
axes[0].legend()
C = abs(plain.representation_matrix_).toarray()[np.ix_(order, order)]
axes[1].imshow(C > 0, cmap="Greys", interpolation="nearest")
axes[1].set_title("SSC codes |C| > 0 (sorted, outliers last)", fontsize=9)
axes[1].set_xticks([])
axes[1].set_yticks([])
fig.tight_layout()
plt.show()
