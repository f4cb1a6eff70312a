"""Robust PCA family: low rank + sparse, outlier-robust PCA, streaming PCA, detection."""

from __future__ import annotations

import time
from functools import partial

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksubspace.datasets import make_low_rank_sparse
from sksubspace.decomposition import (
    OutlierRobustPCA,
    RobustPCA,
    StreamingPCA,
    SubspaceOutlierDetector,
)
from sksubspace.metrics import principal_angles, relative_error

from . import row

_row = partial(row, "robust_pca")


def run(out_dir):
    rows = []
    rng = np.random.default_rng(0)

    # RobustPCA: planted low rank + sparse, 20% missing entries on top.
    D, L, S = make_low_rank_sparse(400, 300, 10, corruption=0.05, random_state=0)
    Dm = D.copy()
    Dm[rng.random(D.shape) < 0.2] = np.nan
    t0 = time.perf_counter()
    rpca = RobustPCA(random_state=0).fit(Dm)
    rows.append(
        _row(
            "RobustPCA",
            "400x300 rank 10, 5% corrupt, 20% NaN",
            "rel. error of L",
            relative_error(rpca.low_rank_, L),
            time.perf_counter() - t0,
        )
    )
    # Robust transform of new corrupted rows inside a Pipeline (denoise -> classify).
    y = (L[:, 0] > 0).astype(int)
    pipe = make_pipeline(RobustPCA(random_state=0), LogisticRegression())
    t0 = time.perf_counter()
    pipe.fit(D[:300], y[:300])
    acc = pipe.score(D[300:], y[300:])
    rows.append(
        _row(
            "Pipeline(RobustPCA, LogisticRegression)",
            "corrupted rows",
            "accuracy",
            acc,
            time.perf_counter() - t0,
        )
    )

    # OutlierRobustPCA: 10% adversarial samples far along a wrong direction.
    d, k, n = 50, 5, 2000
    B = np.linalg.qr(rng.standard_normal((d, k)))[0]
    X = rng.standard_normal((n, k)) * np.linspace(3, 1.5, k) @ B.T + 0.3 * rng.standard_normal(
        (n, d)
    )
    u = rng.standard_normal(d)
    u -= B @ (B.T @ u)
    u /= np.linalg.norm(u)
    X[:200] = 20 * u + 0.3 * rng.standard_normal((200, d))
    t0 = time.perf_counter()
    orpca = OutlierRobustPCA(k, random_state=0).fit(X)
    t_orpca = time.perf_counter() - t0
    angle = np.degrees(principal_angles(orpca.components_.T, B).max())
    angle_pca = np.degrees(principal_angles(PCA(k).fit(X).components_.T, B).max())
    rows.append(
        _row("OutlierRobustPCA", "2000x50, 10% adversarial", "max angle (deg)", angle, t_orpca)
    )
    t0 = time.perf_counter()
    orpca_irls = OutlierRobustPCA(k, method="irls", random_state=0).fit(X)
    t_irls = time.perf_counter() - t0
    angle_irls = np.degrees(principal_angles(orpca_irls.components_.T, B).max())
    rows.append(
        _row(
            "OutlierRobustPCA(method='irls')",
            "2000x50, 10% adversarial",
            "max angle (deg)",
            angle_irls,
            t_irls,
        )
    )
    rows.append(
        _row("PCA (scikit-learn)", "2000x50, 10% adversarial", "max angle (deg)", angle_pca, 0)
    )

    # StreamingPCA: top eigenvector, gap 20, random-order chunks.
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    Xs = rng.standard_normal((5000, d)) * np.sqrt(np.r_[20.0, np.ones(d - 1)]) @ Q.T
    t0 = time.perf_counter()
    spca = StreamingPCA(random_state=0)
    for chunk in np.array_split(Xs, 50):
        spca.partial_fit(chunk)
    corr = abs(spca.components_[0] @ Q[:, 0])
    rows.append(
        _row("StreamingPCA", "5000x50, gap 20, 50 chunks", "|corr|", corr, time.perf_counter() - t0)
    )

    # SubspaceOutlierDetector in a Pipeline.
    Bd = rng.standard_normal((k, d))
    train = rng.standard_normal((500, k)) @ Bd + 0.1 * rng.standard_normal((500, d))
    test = np.vstack(
        [
            rng.standard_normal((200, k)) @ Bd + 0.1 * rng.standard_normal((200, d)),
            rng.standard_normal((20, k)) @ Bd + 0.6 * rng.standard_normal((20, d)),
        ]
    )
    y_test = np.r_[np.ones(200), -np.ones(20)]
    det = make_pipeline(StandardScaler(), SubspaceOutlierDetector())
    t0 = time.perf_counter()
    det.fit(train)
    auc = roc_auc_score(y_test, det.score_samples(test))
    rows.append(
        _row(
            "Pipeline(StandardScaler, SubspaceOutlierDetector)",
            "anomalies off a 5-dim subspace of R^50",
            "ROC AUC",
            auc,
            time.perf_counter() - t0,
        )
    )

    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), layout="constrained")
    for ax, (img, title) in zip(
        axes,
        [
            (Dm[:60, :60], "data (NaN white)"),
            (rpca.low_rank_[:60, :60], "low rank L"),
            (rpca.sparse_[:60, :60], "sparse S"),
        ],
        strict=True,
    ):
        im = ax.imshow(img, cmap="RdBu_r", vmin=-4, vmax=4)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes, shrink=0.85, label="entry value")
    fig.suptitle("RobustPCA with 20% missing entries (top-left 60 x 60)")
    fig.savefig(out_dir / "robust_pca_decomposition.png", dpi=100)
    plt.close(fig)
    return rows
