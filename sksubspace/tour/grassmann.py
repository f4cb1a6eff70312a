"""Grassmann classifiers: subspaces as class representations, on generated data."""

from __future__ import annotations

import time
import warnings
from functools import partial

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

from sksubspace.datasets import make_image_sets, make_subspaces
from sksubspace.grassmann import (
    GrassmannClassRepresentation,
    GrassmannDiscriminantAnalysis,
    GrassmannMinimumDistanceClassifier,
    MutualSubspaceClassifier,
    SubspaceClassifier,
    SubspaceEmbedding,
    grassmann_log,
    principal_angles,
    projection_kernel,
)

from . import row

_row = partial(row, "grassmann")


def run(out_dir):
    rows = []
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    # Vectors: classes are noisy 3-d subspaces of R^30 (intersecting pairwise is fine).
    X, y, _ = make_subspaces(6, 3, 30, 150, noise=0.8, random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
    data = "6 noisy 3-d subspaces of R^30"
    for name, est in [
        ("SubspaceClassifier", SubspaceClassifier(n_components=3)),
        ("GrassmannClassRepresentation", GrassmannClassRepresentation(3, random_state=0)),
        ("LogisticRegression (reference)", LogisticRegression(max_iter=2000)),
    ]:
        pipe = make_pipeline(Normalizer(), est)
        t0 = time.perf_counter()
        pipe.fit(Xtr, ytr)
        rows.append(_row(name, data, "accuracy", pipe.score(Xte, yte), time.perf_counter() - t0))

    # Sets: the image-set generator, ragged sets of 20-50 vectors in R^100.
    S, ys, bases = make_image_sets(n_classes=10, n_sets_per_class=10, ragged=True, random_state=0)
    itr, ite = train_test_split(np.arange(len(ys)), test_size=0.5, stratify=ys, random_state=0)
    Str, Ste = [S[i] for i in itr], [S[i] for i in ite]
    data = "image sets, 10 classes, R^100"
    for name, est in [
        ("MutualSubspaceClassifier", MutualSubspaceClassifier(5)),
        (
            "SubspaceEmbedding(basis) + MSM",
            make_pipeline(SubspaceEmbedding(5, output="basis"), MutualSubspaceClassifier(5)),
        ),
        ("GrassmannDiscriminantAnalysis", GrassmannDiscriminantAnalysis(5)),
        ("GrassmannMinimumDistanceClassifier", GrassmannMinimumDistanceClassifier(5)),
        (
            "SubspaceEmbedding(projection) + LogisticRegression",
            make_pipeline(SubspaceEmbedding(5), LogisticRegression(max_iter=1000)),
        ),
    ]:
        t0 = time.perf_counter()
        est.fit(Str, ys[itr])
        rows.append(_row(name, data, "accuracy", est.score(Ste, ys[ite]), time.perf_counter() - t0))

    # Geometry: batched over 5000 pairs.
    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.standard_normal((5000, 50, 4)))[0]
    V = np.linalg.qr(rng.standard_normal((5000, 50, 4)))[0]
    t0 = time.perf_counter()
    H = grassmann_log(U, V)
    seconds = time.perf_counter() - t0
    err = np.max(
        np.abs(
            np.linalg.norm(H, axis=(1, 2))
            - np.linalg.norm(principal_angles(U, V, orthonormal=True), axis=1)
        )
    )
    rows.append(
        _row("grassmann_log (5000 pairs)", "Gr(50, 4)", "max | ||Log|| - d_geo |", err, seconds)
    )
    t0 = time.perf_counter()
    K = projection_kernel(U[:1000], V[:1000])
    rows.append(
        _row(
            "projection_kernel (1000 x 1000)",
            "Gr(50, 4)",
            "mean kernel",
            K.mean(),
            time.perf_counter() - t0,
        )
    )

    import matplotlib.pyplot as plt

    msm = MutualSubspaceClassifier(5).fit(Str, ys[itr])
    fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
    im = ax.imshow(
        np.degrees(principal_angles(msm.subspaces_[:, None], bases[None])[..., 0]), cmap="magma"
    )
    fig.colorbar(im, ax=ax, shrink=0.85, label="degrees")
    ax.set_xlabel("planted class subspace")
    ax.set_ylabel("learnt class subspace")
    ax.set_title("Smallest principal angle", fontsize=10)
    fig.savefig(out_dir / "grassmann_principal_angles.png", dpi=100)
    plt.close(fig)
    return rows
