"""
==========================================================
Image-set classification with principal angles
==========================================================

Each sample is a *set* of vectors (think of the frames of a face video): the
vectors of a set span the class subspace plus a nuisance subspace of their own
(lighting, pose), with noise. ``make_image_sets`` draws such sets, of 20 to 50
vectors in R^100, for 10 classes, as a list of arrays of varying sizes.

A set is summarised by its 5-dimensional principal subspace and compared with
the others through the *principal angles* between subspaces:

* ``MutualSubspaceClassifier`` (MSM): mean ``cos^2`` of the smallest principal
  angles to each class subspace;
* ``GrassmannDiscriminantAnalysis`` (GDA): kernel discriminant analysis with
  the projection kernel ``sum cos^2 theta``;
* ``GrassmannMinimumDistanceClassifier``: nearest Karcher mean for the
  geodesic distance ``||theta||``;
* ``SubspaceEmbedding`` + ``LogisticRegression``: a linear classifier on the
  isometric (projection) embedding of the Grassmannian.
"""

import os
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sksubspace.datasets import make_image_sets
from sksubspace.grassmann import (
    GrassmannDiscriminantAnalysis,
    GrassmannMinimumDistanceClassifier,
    MutualSubspaceClassifier,
    SubspaceEmbedding,
    principal_angles,
)

smoke = os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE") == "1"
X, y, true_bases = make_image_sets(
    n_classes=10, n_sets_per_class=12 if smoke else 20, ragged=True, random_state=0
)
idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.5, stratify=y, random_state=0)
X_train, y_train = [X[i] for i in idx_train], y[idx_train]
X_test, y_test = [X[i] for i in idx_test], y[idx_test]
print(f"{len(X_train)} training sets, sizes {min(map(len, X))} to {max(map(len, X))} vectors")

# %%
# Four classifiers of sets
# ------------------------
models = {
    "MSM": MutualSubspaceClassifier(n_components=5),
    "GDA (projection kernel)": GrassmannDiscriminantAnalysis(n_components=5),
    "nearest Karcher mean": GrassmannMinimumDistanceClassifier(n_components=5),
    "embedding + logistic": make_pipeline(
        SubspaceEmbedding(n_components=5), LogisticRegression(max_iter=1000)
    ),
}
for name, model in models.items():
    t0 = time.perf_counter()
    model.fit(X_train, y_train)
    print(
        f"{name:25s} accuracy {model.score(X_test, y_test):.3f}  ({time.perf_counter() - t0:.2f} s)"
    )

# %%
# Principal angles between a test set and the class subspaces
# -----------------------------------------------------------
# The class subspaces learnt by MSM (flag means of the training sets) are close
# to the planted ones. A test set makes small angles with its own class subspace
# and angles near 90 degrees with the others.
msm = models["MSM"]
print(
    "largest angle between learnt and planted class subspaces: "
    f"{np.degrees(principal_angles(msm.subspaces_, true_bases).max()):.1f} degrees"
)
test_basis = SubspaceEmbedding(n_components=5, output="basis").fit_transform(X_test[:1])[0].T
angles = np.degrees(principal_angles(test_basis[None], msm.subspaces_, orthonormal=True))

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for c in range(10):
    own = c == y_test[0]
    axes[0].plot(
        np.arange(1, 6),
        angles[c],
        "o-" if own else ".--",
        color="tab:red" if own else "grey",
        label=f"own class ({c})" if own else None,
    )
axes[0].set_xlabel("principal angle index")
axes[0].set_ylabel("angle (degrees)")
axes[0].set_title("one test set vs the 10 class subspaces")
axes[0].legend()

order = np.argsort(y_test, kind="stable")
sim = msm.decision_function([X_test[i] for i in order])
im = axes[1].imshow(sim, aspect="auto", cmap="viridis", interpolation="nearest")
axes[1].set_xlabel("class subspace")
axes[1].set_ylabel("test sets (sorted by class)")
axes[1].set_title("MSM similarity: mean cos$^2$ of the 3 smallest angles")
fig.colorbar(im, ax=axes[1])
fig.tight_layout()

# %%
# The discriminant space of GDA
# -----------------------------
gda = models["GDA (projection kernel)"]
Z = gda.transform(X_test)
fig, ax = plt.subplots(figsize=(5, 4))
sc = ax.scatter(Z[:, 0], Z[:, 1], c=y_test, cmap="tab10", s=20)
ax.set_xlabel("discriminant 1")
ax.set_ylabel("discriminant 2")
ax.set_title("GDA: test sets in the first two discriminants")
fig.colorbar(sc, ax=ax, label="class")
fig.tight_layout()
plt.show()
