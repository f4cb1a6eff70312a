"""Sparse dictionary learning: every estimator of the family on planted data."""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from sksubspace.datasets import make_sparse_coded_signals
from sksubspace.decomposition import (
    KSVD,
    OnlineDictionaryLearning,
    OrthogonalDictionaryLearning,
    SparseCoder,
    SupervisedDictionaryLearning,
)
from sksubspace.metrics import dictionary_recovery_score


def run(out_dir):
    rows = []
    warnings.simplefilter("ignore")
    X, D, C = make_sparse_coded_signals(3000, 24, 16, n_nonzero_coefs=3, random_state=0)
    data = "3000 signals, 24 atoms in R^16"
    for name, est in [
        ("KSVD", KSVD(24, n_nonzero_coefs=3, max_iter=20, random_state=0)),
        (
            "OnlineDictionaryLearning",
            OnlineDictionaryLearning(
                24,
                fit_algorithm="omp",
                fit_n_nonzero_coefs=3,
                batch_size=200,
                max_iter=15,
                tol=0,
                max_no_improvement=None,
                random_state=0,
            ),
        ),
    ]:
        t0 = time.perf_counter()
        est.fit(X)
        rows.append(
            dict(
                family="dictionary",
                estimator=name,
                data=data,
                metric="atoms recovered",
                value=dictionary_recovery_score(est.components_, D),
                seconds=time.perf_counter() - t0,
            )
        )

    Xo, Do, _ = make_sparse_coded_signals(
        20000, n_features=50, orthogonal=True, density=0.1, random_state=0
    )
    t0 = time.perf_counter()
    A = OrthogonalDictionaryLearning(random_state=0).fit(Xo).components_
    rows.append(
        dict(
            family="dictionary",
            estimator="OrthogonalDictionaryLearning",
            data="20000 x 50, Bernoulli(0.1)",
            metric="||A D0||_4^4 / n",
            value=float(np.sum((A @ Do.T) ** 4) / 50),
            seconds=time.perf_counter() - t0,
        )
    )

    # Sparse codes as features in a Pipeline: the sign of the first 12 atoms' total code.
    y = (C[:, :12].sum(axis=1) > 0).astype(int)
    t0 = time.perf_counter()
    pipe = make_pipeline(SparseCoder(D, transform_n_nonzero_coefs=3), LogisticRegression())
    acc = cross_val_score(pipe, X, y, cv=3).mean()
    rows.append(
        dict(
            family="dictionary",
            estimator="SparseCoder + LogisticRegression",
            data=data,
            metric="accuracy",
            value=acc,
            seconds=time.perf_counter() - t0,
        )
    )

    # Supervised dictionary learning on noisy digits, against logistic regression on pixels.
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    Xd, yd = load_digits(return_X_y=True)
    Xd = Xd + 8.0 * np.random.RandomState(0).standard_normal(Xd.shape)
    Xtr, Xte, ytr, yte = train_test_split(
        Xd, yd, train_size=400, test_size=800, random_state=0, stratify=yd
    )
    for name, model in [
        ("LogisticRegression (noisy pixels)", LogisticRegression(max_iter=2000)),
        (
            "SupervisedDictionaryLearning",
            make_pipeline(StandardScaler(with_std=False), SupervisedDictionaryLearning(10)),
        ),
    ]:
        t0 = time.perf_counter()
        acc = model.fit(Xtr, ytr).score(Xte, yte)
        rows.append(
            dict(
                family="dictionary",
                estimator=name,
                data="digits + N(0, 8^2) noise, 400 train",
                metric="test accuracy",
                value=acc,
                seconds=time.perf_counter() - t0,
            )
        )

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 4), layout="constrained")
    im = ax.imshow(np.abs(A @ Do.T), cmap="gray_r", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, shrink=0.8, label="|cosine|")
    ax.set_xlabel("planted atom")
    ax.set_ylabel("learnt atom")
    ax.set_title("Orthogonal dictionary: |A D0'| is\na signed permutation", fontsize=10)
    fig.savefig(out_dir / "dictionary_orthogonal_recovery.png", dpi=100)
    plt.close(fig)
    return rows
