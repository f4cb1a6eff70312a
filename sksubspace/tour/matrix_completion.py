"""Matrix completion: the three imputers of sksubspace.impute on generated data.

Each imputer runs inside a Pipeline in front of a regressor (features with
missing entries -> completed features -> Ridge), and alone on a planted
low-rank matrix (relative error on the missing entries). SoftImpute also runs
on sparse input and inductively (fit on 80% of the rows, transform the rest).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from sksubspace.datasets import make_low_rank_completion
from sksubspace.impute import AltMinCompletion, FactorizedCompletion, SoftImpute


def _held_out(Z, M, mask):
    return float(np.linalg.norm((Z - M)[~mask]) / np.linalg.norm(M[~mask]))


def run(out_dir):
    rows = []
    X, M, mask = make_low_rank_completion(600, 400, 5, observed_fraction=0.2, random_state=0)
    estimators = {
        "SoftImpute(max_rank=10)": SoftImpute(max_rank=10, random_state=0),
        "AltMinCompletion(rank=5)": AltMinCompletion(rank=5, random_state=0),
        "FactorizedCompletion(rank=8)": FactorizedCompletion(rank=8, random_state=0),
    }
    errors = {}
    for name, est in estimators.items():
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Z = est.fit_transform(X)
        errors[name] = _held_out(Z, M, mask)
        rows.append(
            dict(
                family="matrix_completion",
                estimator=name,
                data="600x400 rank 5, 20% observed",
                metric="relative error (missing entries)",
                value=errors[name],
                seconds=time.perf_counter() - t0,
            )
        )

    # Sparse input (stored entries = observed) and inductive transform.
    r, c = np.nonzero(mask)
    Xs = sp.csr_matrix((X[r, c], (r, c)), shape=X.shape)
    t0 = time.perf_counter()
    est = SoftImpute(max_rank=10, random_state=0).fit(Xs[:480])
    Z = est.transform(Xs[480:])
    rows.append(
        dict(
            family="matrix_completion",
            estimator="SoftImpute sparse, inductive",
            data="fit 480 rows, transform 120",
            metric="relative error (missing entries)",
            value=_held_out(Z, M[480:], mask[480:]),
            seconds=time.perf_counter() - t0,
        )
    )

    # In a Pipeline before a regressor: the target depends on the full rows.
    rng = np.random.default_rng(1)
    Mp = M[:300, :200]
    y = Mp @ rng.standard_normal(200) / np.sqrt(200) + 0.1 * rng.standard_normal(300)
    Xp = np.where(rng.random(Mp.shape) < 0.7, Mp, np.nan)
    for name, est in estimators.items():
        pipe = make_pipeline(est, Ridge(alpha=1e-3))
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = cross_val_score(pipe, Xp, y, cv=3).mean()
        rows.append(
            dict(
                family="matrix_completion",
                estimator=f"Pipeline({name}, Ridge)",
                data="300x200, 30% missing features",
                metric="R^2 (3-fold CV)",
                value=float(score),
                seconds=time.perf_counter() - t0,
            )
        )

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
    ax.bar(range(len(errors)), list(errors.values()))
    ax.set_xticks(range(len(errors)), [n.split("(")[0] for n in errors], rotation=15, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("relative error, missing entries")
    fig.savefig(out_dir / "matrix_completion_errors.png", dpi=100)
    plt.close(fig)
    return rows
