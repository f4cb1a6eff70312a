"""OutlierRobustPCA against scikit-learn's PCA on adversarially contaminated samples.

10% of the samples sit far along one direction orthogonal to the inliers'
5-dimensional subspace of R^50 (the classic way to hijack PCA). Same data, same
process. Prints the largest principal angle to the true subspace for
scikit-learn's PCA, OutlierRobustPCA (batch) and OutlierRobustPCA.partial_fit
(one pass over 10 chunks), and the fit time over 4 sizes (medians of 3) to
show it grows about linearly in n_samples.

Issue #3 targets: angle < 10 degrees for ours, > 60 for PCA; partial_fit
within 5 degrees of the batch fit; near-linear time.
"""

import time

import numpy as np
from sklearn.decomposition import PCA

from sksubspace.decomposition import OutlierRobustPCA
from sksubspace.metrics import principal_angles


def adversarial(n, d=50, k=5, eps=0.1, seed=0):
    rng = np.random.default_rng(seed)
    B = np.linalg.qr(rng.standard_normal((d, k)))[0]
    X = rng.standard_normal((n, k)) * np.linspace(3, 1.5, k) @ B.T
    X += 0.3 * rng.standard_normal((n, d))
    u = rng.standard_normal(d)
    u -= B @ (B.T @ u)
    u /= np.linalg.norm(u)
    n_out = int(eps * n)
    X[:n_out] = (20 + rng.standard_normal((n_out, 1))) * u + 0.3 * rng.standard_normal((n_out, d))
    return X[rng.permutation(n)], B


def angle(V, B):
    return float(np.degrees(principal_angles(V.T, B).max()))


def median_time(fn, repeats=3):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main():
    print(
        f"{'n':>8}{'PCA deg':>10}{'ours deg':>10}{'stream deg':>12}{'stream-batch':>14}"
        f"{'PCA s':>9}{'ours s':>9}{'ratio':>8}{'ours s/1e5 rows':>17}"
    )
    for n in (10_000, 40_000, 160_000, 640_000):
        X, B = adversarial(n)
        t_pca, pca = median_time(lambda X=X: PCA(5, svd_solver="full").fit(X))
        t_us, est = median_time(lambda X=X: OutlierRobustPCA(5, random_state=0).fit(X))
        stream = OutlierRobustPCA(5, random_state=0)
        for chunk in np.array_split(X, 10):
            stream.partial_fit(chunk)
        gap = np.degrees(principal_angles(stream.components_.T, est.components_.T).max())
        print(
            f"{n:>8}{angle(pca.components_, B):>10.2f}{angle(est.components_, B):>10.2f}"
            f"{angle(stream.components_, B):>12.2f}{gap:>14.2f}{t_pca:>9.3f}{t_us:>9.3f}"
            f"{t_us / t_pca:>8.2f}{t_us / n * 1e5:>17.3f}"
        )


if __name__ == "__main__":
    main()
