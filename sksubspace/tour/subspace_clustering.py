"""Subspace clustering: every estimator of sksubspace.cluster on a planted problem."""

from __future__ import annotations

import time

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

from sksubspace.cluster import (
    CodingRateClustering,
    ElasticNetSubspaceClustering,
    KSubspaces,
    LeastSquaresSubspaceClustering,
    LowRankRepresentation,
    OMPSubspaceClustering,
    SparseSubspaceClustering,
    ThresholdingSubspaceClustering,
)
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy


def run(out_dir):
    X, y, _ = make_subspaces(5, 5, 50, 100, noise=0.05, random_state=0)
    X_new, y_new = X[400:], y[400:]
    X, y = X[:400], y[:400]
    models = [
        OMPSubspaceClustering(5, n_nonzero=5, random_state=0),
        ElasticNetSubspaceClustering(5, random_state=0),
        LeastSquaresSubspaceClustering(5, random_state=0),
        ThresholdingSubspaceClustering(5, n_neighbors=10, random_state=0),
        KSubspaces(5, subspace_dim=5, random_state=0),
        SparseSubspaceClustering(5, random_state=0),
        LowRankRepresentation(5, random_state=0),
        CodingRateClustering(5, n_components=20, random_state=0),
    ]
    rows = []
    for model in models:
        pipe = make_pipeline(Normalizer(), model)
        t0 = time.perf_counter()
        labels = pipe.fit_predict(X)
        seconds = time.perf_counter() - t0
        name = type(model).__name__
        rows.append(
            dict(
                family="subspace_clustering",
                estimator=name,
                data="5 subspaces dim 5 in R^50",
                metric="accuracy",
                value=clustering_accuracy(y, labels),
                seconds=seconds,
            )
        )
        rows.append(
            dict(
                family="subspace_clustering",
                estimator=f"{name}.predict",
                data="held-out points",
                metric="accuracy",
                value=clustering_accuracy(y_new, pipe.predict(X_new)),
                seconds=0.0,
            )
        )

    rows += _multirepresentation()

    import matplotlib.pyplot as plt

    order = np.argsort(y, kind="stable")
    W = models[1].affinity_matrix_.toarray()[np.ix_(order, order)]
    fig, ax = plt.subplots(figsize=(4.8, 4), layout="constrained")
    W = np.abs(W)
    vmax = np.quantile(W[W > 0], 0.95)  # a few large entries would wash the rest out
    im = ax.imshow(W, cmap="Greys", vmin=0, vmax=vmax, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, extend="max", label="|affinity|")
    ax.set_title("EnSC affinity, points sorted by true subspace", fontsize=9)
    ax.set_xlabel("point")
    ax.set_ylabel("point")
    fig.savefig(out_dir / "subspace_clustering_affinity.png", dpi=100)
    plt.close(fig)
    return rows


def _multirepresentation():
    """Fused views beat each single one on two sensors failing on other samples."""
    from sklearn.compose import ColumnTransformer

    from sksubspace.cluster import MultiRepresentationSubspaceClustering
    from sksubspace.datasets import make_multiview_subspaces

    X, y, _ = make_multiview_subspaces(random_state=0)
    sensors = [
        (
            f"sensor{i}",
            ColumnTransformer([("cols", "passthrough", list(range(15 * i, 15 * i + 15)))]),
        )
        for i in range(2)
    ]
    runs = {
        "X only": dict(),
        "sensor 0 only": dict(transformers=sensors[:1], include_input=False),
        "sensor 1 only": dict(transformers=sensors[1:], include_input=False),
        "fused (X + sensors)": dict(transformers=sensors),
    }
    rows = []
    for name, params in runs.items():
        model = MultiRepresentationSubspaceClustering(
            ElasticNetSubspaceClustering(random_state=0), n_clusters=4, random_state=0, **params
        )
        t0 = time.perf_counter()
        labels = model.fit_predict(X)
        rows.append(
            dict(
                family="subspace_clustering",
                estimator=f"MultiRepresentationSubspaceClustering ({name})",
                data="2 sensors, 4 subspaces dim 3 in R^15 each, 30% corrupted per sensor",
                metric="accuracy",
                value=clustering_accuracy(y, labels),
                seconds=time.perf_counter() - t0,
            )
        )
    return rows
