"""SSC (exact lasso per point, and ADMM) and LRR (row-space inexact ALM) on the "Done when" problems.

* SSC: 5 intersecting subspaces of dim 6 in R^9, 200 points each, noise 0.01,
  against the reference way of solving the same lasso: one scikit-learn
  ``Lasso`` per point in a Python loop (same objective, same spectral step).
  Then 10% outliers (ACC on the inliers), with and without ``outliers=True``.
* LRR: 5 independent subspaces of dim 5 in R^50, 200 points each, against the
  textbook inexact ALM on the n x n problem (an n x n SVD per iteration), on a
  smaller size (``--naive-per-subspace``) because that one is slow.

Prints accuracy and seconds (medians over ``--repeats``) and the time ratios.

    PYTHONPATH=. python benchmarks/bench_ssc_lrr.py --repeats 3
"""

import argparse
import os
import sys
import time

import numpy as np
from sklearn.linear_model import Lasso

from sksubspace.cluster import LowRankRepresentation, SparseSubspaceClustering
from sksubspace.cluster._base import affinity_from_representation
from sksubspace.cluster._spectral import spectral_clustering
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _record import comparison, record  # noqa: E402


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def ssc_per_point_lasso(X, alpha=20.0, n_clusters=5):
    """The same SSC lasso, one point at a time with scikit-learn (reference)."""
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    n, d = Xn.shape
    G = np.abs(Xn @ Xn.T)
    np.fill_diagonal(G, 0)
    lam = alpha / G.max(axis=1).min()
    C = np.zeros((n, n))
    lasso = Lasso(alpha=1.0 / (lam * d), fit_intercept=False, tol=1e-4, max_iter=10000)
    for j in range(n):
        others = np.delete(np.arange(n), j)
        C[j, others] = lasso.fit(Xn[others].T, Xn[j]).coef_
    W = affinity_from_representation(C)
    labels, _, _ = spectral_clustering(W, n_clusters, random_state=0)
    return labels


def lrr_naive(X, alpha=1.0, tol=1e-6, max_iter=500, n_clusters=5):
    """Inexact ALM for LRR on the n x n problem (dictionary X, n x n SVDs)."""
    Y = (X / np.linalg.norm(X, axis=1, keepdims=True)).T
    d, n = Y.shape
    mu, rho, mu_max = 1e-6, 1.1, 1e10
    inv_a = np.linalg.inv(Y.T @ Y + np.eye(n))
    YtY = Y.T @ Y
    Z = np.zeros((n, n))
    J = np.zeros((n, n))
    E = np.zeros((d, n))
    Y1, Y2 = np.zeros((d, n)), np.zeros((n, n))
    for _ in range(max_iter):
        U, s, Vt = np.linalg.svd(Z + Y2 / mu, full_matrices=False)
        keep = s > 1 / mu
        J = (U[:, keep] * (s[keep] - 1 / mu)) @ Vt[keep]
        Z = inv_a @ (YtY - Y.T @ E + J + (Y.T @ Y1 - Y2) / mu)
        R = Y - Y @ Z
        T = R + Y1 / mu
        norms = np.linalg.norm(T, axis=0)
        E = T * np.clip(norms - alpha / mu, 0, None) / np.where(norms > 0, norms, 1)
        l1, l2 = R - E, Z - J
        if max(np.abs(l1).max(), np.abs(l2).max()) < tol:
            break
        Y1, Y2, mu = Y1 + mu * l1, Y2 + mu * l2, min(mu_max, mu * rho)
    W = affinity_from_representation(Z.T)
    labels, _, _ = spectral_clustering(W, n_clusters, random_state=0)
    return labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--naive-per-subspace", type=int, default=60)
    args = parser.parse_args()
    r = args.repeats

    X, y, _ = make_subspaces(5, 6, 9, 200, noise=0.01, random_state=0)
    print("SSC: 5 subspaces of dim 6 in R^9, 200 points each, noise 0.01", flush=True)
    ssc = {}
    for solver, label in (("auto", "exact lasso per point"), ("admm", "ADMM")):
        t, model = timed(
            lambda s=solver: SparseSubspaceClustering(5, solver=s, random_state=0).fit(X), r
        )
        if solver == "auto":
            t_ours = t
        ssc[f"SSC ({label})"] = (t, clustering_accuracy(y, model.labels_))
        print(
            f"  SparseSubspaceClustering {'(' + label + ')':23s} {t:7.1f} s  ACC labels_ "
            f"{clustering_accuracy(y, model.labels_):.4f}  ACC predict(X) "
            f"{clustering_accuracy(y, model.predict(X)):.4f}",
            flush=True,
        )
    t_ref, labels = timed(lambda: ssc_per_point_lasso(X), 1)
    print(
        f"  per-point sklearn Lasso loop     {t_ref:7.1f} s  ACC {clustering_accuracy(y, labels):.4f}"
    )
    print(f"  time ratio per-point sklearn Lasso / ours: {t_ref / t_ours:.1f}", flush=True)
    acc_ref = clustering_accuracy(y, labels)
    rows = [
        comparison(
            "1000 points, 5 subspaces of dim 6 in R^9",
            ours=name,
            ours_time=t,
            peer="sklearn Lasso per point",
            peer_time=t_ref,
            metric="clustering accuracy",
            ours_quality=acc,
            peer_quality=acc_ref,
        )
        for name, (t, acc) in ssc.items()
    ]

    for dims in [(5, 6, 9), (5, 5, 50)]:
        X, y, _ = make_subspaces(*dims, 200, noise=0.01, outlier_fraction=0.1, random_state=0)
        inl = y >= 0
        print(f"SSC with 10% outliers: {dims[0]} subspaces of dim {dims[1]} in R^{dims[2]}")
        for outliers in (False, True):
            t, m = timed(
                lambda o=outliers, X=X: SparseSubspaceClustering(5, outliers=o, random_state=0).fit(
                    X
                ),
                r,
            )
            extra = ""
            if outliers:
                flagged = ~m.inlier_mask_
                extra = (
                    f"  outliers found {np.sum(flagged & ~inl)}/{np.sum(~inl)}, "
                    f"inliers flagged {np.sum(flagged & inl)}/{np.sum(inl)}"
                )
            print(
                f"  outliers={outliers!s:5s} {t:7.1f} s  ACC on inliers "
                f"{clustering_accuracy(y[inl], m.labels_[inl]):.4f}  predict "
                f"{clustering_accuracy(y[inl], m.predict(X[inl])):.4f}{extra}",
                flush=True,
            )

    X, y, _ = make_subspaces(5, 5, 50, 200, noise=0.01, random_state=0)
    print("LRR: 5 independent subspaces of dim 5 in R^50, 200 points each, noise 0.01")
    t_lrr, m = timed(lambda: LowRankRepresentation(5, random_state=0).fit(X), r)
    print(
        f"  LowRankRepresentation (row space) {t_lrr:7.1f} s  ACC "
        f"{clustering_accuracy(y, m.labels_):.4f}  ({m.n_iter_} iterations)",
        flush=True,
    )
    k = args.naive_per_subspace
    Xs, ys, _ = make_subspaces(5, 5, 50, k, noise=0.01, random_state=0)
    print(f"LRR, {5 * k} points: row-space ALM vs the n x n ALM")
    t_small, m = timed(lambda: LowRankRepresentation(5, random_state=0).fit(Xs), r)
    t_naive, labels = timed(lambda: lrr_naive(Xs), 1)
    print(f"  row space {t_small:7.1f} s  ACC {clustering_accuracy(ys, m.labels_):.4f}")
    print(f"  n x n     {t_naive:7.1f} s  ACC {clustering_accuracy(ys, labels):.4f}")
    print(f"  time ratio n x n / row space: {t_naive / t_small:.1f}")
    rows.append(
        comparison(
            f"{5 * k} points, 5 subspaces of dim 5 in R^50",
            ours="LRR (row-space ALM)",
            ours_time=t_small,
            peer="textbook n x n inexact ALM",
            peer_time=t_naive,
            metric="clustering accuracy",
            ours_quality=clustering_accuracy(ys, m.labels_),
            peer_quality=clustering_accuracy(ys, labels),
        )
    )
    record(rows, family="Subspace clustering")


if __name__ == "__main__":
    main()
