"""Grassmann family: batched geometry and subspace classifiers against the usual alternatives.

1. Principal angles / geodesic distances of N subspace pairs: our batched
   ``sksubspace.grassmann.subspace_distance`` against a Python loop over
   ``scipy.linalg.subspace_angles``; then the full m x m distance and
   projection-kernel matrices against the same loop. Agreement and time ratio.
2. Digits (70/30 stratified split): SubspaceClassifier (k tuned by 3-fold CV),
   GrassmannClassRepresentation and LogisticRegression (softmax) on the same
   split: accuracy and fit time (medians over repeats).
3. Image sets (``make_image_sets``: 10 classes, sets of 20-50 vectors in
   R^100 with nuisance): MSM, GDA and the nearest Karcher mean against
   LogisticRegression on the mean vector of each set.

Run: ``PYTHONPATH=. python benchmarks/bench_grassmann.py`` (``--quick`` for
smaller sizes). Timings on a shared machine are noisy: medians and same-process
ratios are printed.
"""

import sys
import time
import warnings

import numpy as np
import scipy.linalg
from _record import comparison, record
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksubspace.datasets import make_image_sets
from sksubspace.grassmann import (
    GrassmannClassRepresentation,
    GrassmannDiscriminantAnalysis,
    GrassmannMinimumDistanceClassifier,
    MutualSubspaceClassifier,
    SubspaceClassifier,
    pairwise_subspace_distances,
    projection_kernel,
    subspace_distance,
)

ROWS = []  # for the docs' figure and summary (see _record.py)


def median_time(fn, repeats=3):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def bench_geometry(n_pairs, m, n=50, k=4):
    print(f"== geometry: Gr({n}, {k})")
    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.standard_normal((n_pairs, n, k)))[0]
    V = np.linalg.qr(rng.standard_normal((n_pairs, n, k)))[0]
    t_ours, d_ours = median_time(lambda: subspace_distance(U, V, orthonormal=True))
    t_loop, d_loop = median_time(
        lambda: np.array(
            [np.linalg.norm(scipy.linalg.subspace_angles(a, b)) for a, b in zip(U, V, strict=True)]
        ),
        repeats=1,
    )
    print(
        f"{n_pairs} pairs, geodesic distance: batched {t_ours:.4f} s, scipy loop {t_loop:.4f} s, "
        f"ratio {t_ours / t_loop:.3f}, max |diff| {np.max(np.abs(d_ours - d_loop)):.2e}"
    )
    ROWS.append(
        comparison(
            f"geodesic distance, {n_pairs} pairs",
            ours="subspace_distance",
            ours_time=t_ours,
            peer="scipy subspace_angles loop",
            peer_time=t_loop,
        )
    )
    A = U[:m]
    t_ours, D = median_time(lambda: pairwise_subspace_distances(A))
    t_kern, K = median_time(lambda: projection_kernel(A))

    def loop():
        D0 = np.zeros((m, m))
        K0 = np.zeros((m, m))
        for i in range(m):
            for j in range(m):
                th = scipy.linalg.subspace_angles(A[i], A[j])
                D0[i, j] = np.linalg.norm(th)
                K0[i, j] = np.sum(np.cos(th) ** 2)
        return D0, K0

    t_loop, (D0, K0) = median_time(loop, repeats=1)
    print(
        f"{m} x {m} distance matrix: batched {t_ours:.4f} s, scipy double loop {t_loop:.3f} s "
        f"(distances and kernel), ratio {t_ours / t_loop:.4f}, max |diff| "
        f"{np.max(np.abs(D - D0)):.2e}"
    )
    ROWS.append(
        comparison(
            f"{m} x {m} distance matrix",
            ours="pairwise_subspace_distances",
            ours_time=t_ours,
            peer="scipy subspace_angles loop",
            peer_time=t_loop,
        )
    )
    print(
        f"{m} x {m} projection kernel: batched {t_kern:.4f} s, ratio to the loop "
        f"{t_kern / t_loop:.5f}, max |diff| {np.max(np.abs(K - K0)):.2e}"
    )


def bench_digits(repeats):
    print("== digits, 70/30 stratified split")
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    search = GridSearchCV(SubspaceClassifier(), {"n_components": list(range(4, 25, 2))}, cv=3)
    search.fit(Xtr, ytr)
    k = search.best_params_["n_components"]
    models = {
        "LogisticRegression (softmax)": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=2000)
        ),
        f"SubspaceClassifier (k={k}, CV-tuned)": SubspaceClassifier(k),
        "GrassmannClassRepresentation (k=10)": GrassmannClassRepresentation(10, random_state=0),
        "GCR (k=10, feature map)": GrassmannClassRepresentation(
            10, feature_map=True, random_state=0
        ),
    }
    ref = None
    for name, model in models.items():
        t, fitted = median_time(lambda m=model: m.fit(Xtr, ytr), repeats=repeats)
        if ref is None:
            ref, ref_acc = t, fitted.score(Xte, yte)
        else:
            ROWS.append(
                comparison(
                    "digits, 70/30 split",
                    ours=name,
                    ours_time=t,
                    peer="LogisticRegression",
                    peer_time=ref,
                    metric="accuracy",
                    ours_quality=fitted.score(Xte, yte),
                    peer_quality=ref_acc,
                )
            )
        print(
            f"{name:38s} accuracy {fitted.score(Xte, yte):.4f}  fit {t:.3f} s "
            f"(x{t / ref:.1f} LogisticRegression)"
        )


def bench_sets(repeats):
    print("== image sets: 10 classes, 20 sets per class, 20-50 vectors in R^100")
    X, y, _ = make_image_sets(n_classes=10, n_sets_per_class=20, ragged=True, random_state=0)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.5, stratify=y, random_state=0)
    Xtr, Xte = [X[i] for i in tr], [X[i] for i in te]
    mean_tr = np.stack([x.mean(axis=0) for x in Xtr])
    mean_te = np.stack([x.mean(axis=0) for x in Xte])
    t, lr = median_time(
        lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(
            mean_tr, y[tr]
        ),
        repeats=repeats,
    )
    t_lr, acc_lr = t, lr.score(mean_te, y[te])
    print(f"{'LogisticRegression on set means':38s} accuracy {acc_lr:.4f}  fit {t:.3f} s")
    for name, model in [
        ("MutualSubspaceClassifier", MutualSubspaceClassifier(5)),
        ("GrassmannDiscriminantAnalysis", GrassmannDiscriminantAnalysis(5)),
        ("GrassmannMinimumDistanceClassifier", GrassmannMinimumDistanceClassifier(5)),
    ]:
        t, fitted = median_time(lambda m=model: m.fit(Xtr, y[tr]), repeats=repeats)
        t_pred, acc = median_time(lambda f=fitted: f.score(Xte, y[te]), repeats=repeats)
        print(f"{name:38s} accuracy {acc:.4f}  fit {t:.3f} s  predict {t_pred:.3f} s")
        ROWS.append(
            comparison(
                "image sets, 10 classes",
                ours=name,
                ours_time=t,
                peer="LogisticRegression on set means",
                peer_time=t_lr,
                metric="accuracy",
                ours_quality=acc,
                peer_quality=acc_lr,
            )
        )


def main():
    quick = "--quick" in sys.argv
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    bench_geometry(n_pairs=1000 if quick else 5000, m=60 if quick else 200)
    bench_digits(repeats=1 if quick else 3)
    bench_sets(repeats=1 if quick else 3)
    record(ROWS, family="Grassmann classifiers")


if __name__ == "__main__":
    main()
