"""Foundation: the shared numerics every family stands on."""

from __future__ import annotations

import time

import numpy as np

from sksubspace._linalg import randomized_svd
from sksubspace.cluster._spectral import spectral_clustering
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy


def run(out_dir):
    rows = []
    rng = np.random.default_rng(0)
    A = rng.standard_normal((2000, 50)) @ rng.standard_normal((50, 2000))
    t0 = time.perf_counter()
    U, s, Vt = randomized_svd(A, 50, random_state=0)
    t_rand = time.perf_counter() - t0
    err = np.linalg.norm(A - (U * s) @ Vt) / np.linalg.norm(A)
    rows.append(
        dict(
            family="foundation",
            estimator="randomized_svd (rank 50)",
            data="2000x2000 rank 50",
            metric="relative error",
            value=err,
            seconds=t_rand,
        )
    )

    # Union of subspaces -> absolute cosine affinity -> normalized spectral clustering.
    X, y, _ = make_subspaces(3, 2, 20, 100, noise=0.01, random_state=0)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    t0 = time.perf_counter()
    W = np.abs(Xn @ Xn.T) ** 8
    labels, _, ev = spectral_clustering(W, 3, random_state=0)
    rows.append(
        dict(
            family="foundation",
            estimator="spectral_clustering(|cos|^8)",
            data="3 planes in R^20",
            metric="accuracy",
            value=clustering_accuracy(y, labels),
            seconds=time.perf_counter() - t0,
        )
    )

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 3.2), layout="constrained")
    ax.semilogy(np.linalg.svd(A, compute_uv=False)[:80], "k.", label="exact")
    ax.semilogy(s, "r+", label="randomized")
    ax.set_xlabel("index")
    ax.set_ylabel("singular value")
    ax.set_title("Randomized SVD of a rank-50 matrix", fontsize=10)
    ax.legend(loc="center right")
    fig.savefig(out_dir / "foundation_singular_values.png", dpi=100)
    plt.close(fig)
    return rows
