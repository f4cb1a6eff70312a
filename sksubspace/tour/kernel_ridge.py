"""Kernel regression: exact, Nystroem (FALKON), spectrally transformed and online kernel ridge."""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import make_circles
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksubspace.kernel_ridge import (
    KernelRidge,
    NystromKernelRidge,
    OnlineKernelRidge,
    SpectrallyTransformedKernelRidge,
)


def _planted(n, rng):
    X = rng.uniform(-1, 1, (n, 5))
    f = np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + X[:, 2] ** 2
    return X, f + 0.1 * rng.standard_normal(n), f


def run(out_dir):
    rng = np.random.default_rng(0)
    X, y, _ = _planted(20000, rng)
    Xt, _, ft = _planted(2000, rng)
    rows = []
    models = {
        "KernelRidge": (
            make_pipeline(StandardScaler(), KernelRidge(alpha=0.03, kernel="rbf", gamma=0.1)),
            3000,
        ),
        "NystromKernelRidge (M=500)": (
            make_pipeline(
                StandardScaler(), NystromKernelRidge(1e-6, n_centers=500, gamma=0.1, random_state=0)
            ),
            20000,
        ),
        "OnlineKernelRidge": (
            make_pipeline(
                StandardScaler(), OnlineKernelRidge(alpha=1e-2, gamma=0.1, threshold=1e-3)
            ),
            20000,
        ),
    }
    for name, (model, n) in models.items():
        t = time.perf_counter()
        model.fit(X[:n], y[:n])
        secs = time.perf_counter() - t
        rows.append(
            dict(
                family="kernel_ridge",
                estimator=name,
                data=f"planted smooth, n={n}, d=5",
                metric="test MSE",
                value=float(np.mean((model.predict(Xt) - ft) ** 2)),
                seconds=secs,
            )
        )

    Xc, labels = make_circles(1000, noise=0.03, factor=0.5, random_state=0)
    known = np.concatenate(
        [rng.choice(np.flatnonzero(labels == c), 5, replace=False) for c in (0, 1)]
    )
    yc = np.full(1000, np.nan)
    yc[known] = 2.0 * labels[known] - 1
    t = time.perf_counter()
    stkr = SpectrallyTransformedKernelRidge(gamma=100.0, random_state=0).fit(Xc, yc)
    pred = stkr.predict(Xc)
    rows.append(
        dict(
            family="kernel_ridge",
            estimator="SpectrallyTransformedKernelRidge",
            data="circles, 1% labels",
            metric="accuracy",
            value=float(np.mean((pred > 0) == labels)),
            seconds=time.perf_counter() - t,
        )
    )

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4), layout="constrained")
    ax.scatter(Xc[:, 0], Xc[:, 1], c=np.sign(pred), s=4, cmap="coolwarm")
    ax.scatter(Xc[known, 0], Xc[known, 1], c="k", marker="*", s=80)
    ax.set_title("STKR: predicted class (color) from 10 labels (stars)", fontsize=9)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    fig.savefig(out_dir / "kernel_ridge_stkr.png", dpi=100)
    plt.close(fig)
    return rows
