"""
=========================================================
Grouping a network's matrices under an error threshold
=========================================================

We train a small :class:`~sklearn.neural_network.MLPClassifier` on digits and
collect matrices with the same number of rows (the 128 units of its first
hidden layer): the hidden activations of each digit class (10 matrices of
128 x ~125), and the weights into and out of those units cut into blocks of 16
columns (8 matrices of 128 x 16).

:class:`~sksubspace.compression.JointSVDClustering` groups matrices that can
share one rank-``r`` basis with relative error at most the threshold. We count
the groups each algorithm forms, and compare the numbers stored with one
rank-``r`` SVD per matrix and with one SVD of everything at the smallest rank
that meets the threshold.
"""

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sksubspace.compression import JointSVDClustering

smoke = os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE") == "1"
warnings.simplefilter("ignore")

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.3, random_state=0, stratify=y
)
mlp = MLPClassifier((128, 64), max_iter=15 if smoke else 30, batch_size=128, random_state=0)
mlp.fit(X_train, y_train)
print(f"MLP test accuracy: {mlp.score(X_test, y_test):.3f}")

W1, W2 = mlp.coefs_[0], mlp.coefs_[1]  # (64, 128), (128, 64)
H1 = np.maximum(X_train @ W1 + mlp.intercepts_[0], 0)  # first hidden layer
collections = {  # name: (matrices, rank, thresholds)
    "class activations": (
        [H1[y_train == c].T for c in range(10)],
        4,
        [0.3] if smoke else [0.25, 0.3, 0.35, 0.4, 0.5],
    ),
    "weight blocks": (
        [W1.T[:, j : j + 16] for j in range(0, 64, 16)]
        + [W2[:, j : j + 16] for j in range(0, 64, 16)],
        8,
        [0.8] if smoke else [0.6, 0.7, 0.8, 0.9],
    ),
}


def smallest_rank_storage(A, threshold):
    """Numbers kept by a truncated SVD of ``A`` at the smallest rank meeting the threshold."""
    s2 = np.linalg.svd(A, compute_uv=False) ** 2
    tails = np.sqrt(np.maximum(s2.sum() - np.cumsum(s2), 0) / s2.sum())
    r = int(np.argmax(tails <= threshold)) + 1
    return r * (A.shape[0] + A.shape[1])


fig, axes = plt.subplots(2, 2, figsize=(10, 7))
for row, (name, (mats, rank, thresholds)) in enumerate(collections.items()):
    n, n_cols = mats[0].shape[0], sum(A.shape[1] for A in mats)
    original = n * n_cols
    per_matrix = (len(mats) * n * rank + rank * n_cols) / original
    groups = {alg: [] for alg in ("bound", "incremental", "exact")}
    grouped, one_svd = [], []
    print(f"\n{name}: {len(mats)} matrices of {n} rows, {original} numbers, rank {rank}")
    print(f"  one rank-{rank} SVD per matrix keeps {per_matrix:.3f} of them")
    for thr in thresholds:
        for alg in groups:
            est = JointSVDClustering(thr, rank=rank, algorithm=alg).fit(mats)
            groups[alg].append(est.n_groups_)
        grouped.append(est.n_parameters_ / original)  # the exact algorithm's groups
        one_svd.append(smallest_rank_storage(np.hstack(mats), thr) / original)
        print(
            f"  threshold {thr:.2f}: groups (bound, incremental, exact) "
            f"{[g[-1] for g in groups.values()]}, worst group error "
            f"{est.group_errors_.max():.3f}; storage grouped {grouped[-1]:.3f}, "
            f"one SVD of all {one_svd[-1]:.3f}"
        )
    for alg, g in groups.items():
        axes[row, 0].plot(thresholds, g, "o-", label=alg)
    axes[row, 0].set_title(f"{name}: groups at rank {rank}")
    axes[row, 0].set_ylabel("number of groups")
    axes[row, 1].plot(thresholds, grouped, "o-", label=f"grouped, rank {rank}")
    axes[row, 1].plot(thresholds, one_svd, "s-", label="one SVD of all, smallest rank")
    axes[row, 1].axhline(per_matrix, color="gray", ls="--", label=f"one rank-{rank} SVD each")
    axes[row, 1].set_title(f"{name}: numbers stored / original")
    for ax in axes[row]:
        ax.set_xlabel("relative error threshold")
        ax.legend()
fig.tight_layout()
plt.show()
