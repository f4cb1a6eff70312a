"""Compressing collections of matrices: incremental SVD, grouping under a threshold, CoSpaDi."""

from __future__ import annotations

import time
import warnings

import numpy as np

from . import row


def _row(estimator, data, metric, value, t0):
    """A row timed from ``t0`` (a ``time.perf_counter()`` reading) to now."""
    return row("compression", estimator, data, metric, value, time.perf_counter() - t0)


def run(out_dir):
    from sksubspace.compression import (
        IncrementalTruncatedSVD,
        JointSVDClustering,
        concat_svd_error,
        cospadi_compress,
        low_rank_compress,
    )

    warnings.simplefilter("ignore")
    rows = []
    rng = np.random.default_rng(0)

    # Incremental truncated SVD over blocks of rows: the tracked error vs the optimum.
    X = rng.standard_normal((4000, 20)) @ rng.standard_normal((20, 200))
    X += 0.1 * rng.standard_normal(X.shape)
    t0 = time.perf_counter()
    est = IncrementalTruncatedSVD(20)
    for block in np.array_split(X, 20):
        est.partial_fit(block)
    s = np.linalg.svd(X, compute_uv=False)
    optimal = np.sqrt(np.sum(s[20:] ** 2) / np.sum(s**2))
    rows.append(
        _row(
            "IncrementalTruncatedSVD",
            "4000 x 200 rank 20 + noise, 20 blocks",
            "tracked / optimal error",
            est.relative_error_ / optimal,
            t0,
        )
    )

    # Grouping planted matrices: three groups of four sharing a rank-3 basis.
    bases = [np.linalg.qr(rng.standard_normal((40, 3)))[0] for _ in range(3)]
    labels = np.arange(12) % 3
    mats = [bases[g] @ rng.standard_normal((3, 15)) for g in labels]
    mats = [A + 0.02 * rng.standard_normal(A.shape) for A in mats]
    for algorithm in ("bound", "incremental", "exact"):
        t0 = time.perf_counter()
        grouping = JointSVDClustering(0.1, rank=3, algorithm=algorithm).fit(mats)
        worst = max(concat_svd_error([mats[i] for i in g], 3) for g in grouping.groups_)
        rows.append(
            _row(
                f"JointSVDClustering({algorithm!r})",
                "12 matrices 40 x 15, 3 planted groups",
                "groups (worst error <= 0.1)",
                grouping.n_groups_ if worst <= 0.1 else np.nan,
                t0,
            )
        )

    # CoSpaDi vs data-aware SVD on a union-of-subspaces weight matrix, equal storage.
    W = np.hstack([rng.standard_normal((16, 2)) @ rng.standard_normal((2, 50)) for _ in range(4)])
    Xc = rng.standard_normal((300, 16)) * np.linspace(2, 0.2, 16)

    def output_error(M):
        return np.linalg.norm(Xc @ (W - M)) / np.linalg.norm(Xc @ W)

    t0 = time.perf_counter()
    D, C = cospadi_compress(W, Xc, n_atoms=12, n_nonzero_coefs=2, random_state=0)
    data = "W 16 x 200 in 4 planes, 992 numbers"
    rows.append(_row("cospadi_compress", data, "layer output error", output_error(D @ C), t0))
    t0 = time.perf_counter()
    A, B = low_rank_compress(W, Xc, rank=4)
    rows.append(
        _row("low_rank_compress (data-aware)", data, "layer output error", output_error(A @ B), t0)
    )
    return rows
