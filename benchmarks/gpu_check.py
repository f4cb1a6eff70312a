"""One-command GPU check: every estimator on CuPy vs NumPy, answers and times.

``make gpu-check`` runs this script. For every public estimator it fits the
same data twice, with NumPy (``device=None``) and on the GPU
(``device="gpu"``, which hands NumPy back), at two sizes, and prints:

* whether the answers agree (labels up to a permutation for clusterers,
  ``predict`` / ``transform`` / ``decision_function`` / ``score_samples`` within a
  relative tolerance of their scale otherwise);
* the CPU and GPU wall times of ``fit`` + the inference method, and their ratio;
* the crossover: the first size at which the GPU is faster.

On a machine without CuPy or a CUDA device it says why and exits 0, so it is
safe to run anywhere. The whole check stays under about 8 minutes on one GPU:
an estimator's large size is skipped when its NumPy time at the small size,
scaled quadratically, predicts more than ``--budget`` seconds, and no large size
is started after ``--deadline`` seconds.

Usage::

    python benchmarks/gpu_check.py            # sizes 2,000 and 10,000
    python benchmarks/gpu_check.py --quick    # sizes 500 and 2,000
    python benchmarks/gpu_check.py --dry-run  # the harness on NumPy only (no GPU needed)
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.base import clone, is_classifier, is_clusterer, is_regressor  # noqa: E402

from sksubspace._backend import gpu_unavailable_reason, to_numpy  # noqa: E402
from sksubspace.metrics import clustering_accuracy  # noqa: E402
from sksubspace.utils import all_estimators  # noqa: E402

# Estimators that need more than (X, y) to be constructed or fitted.
_SKIP = {
    "SparseCoder": "needs a dictionary",
    "MutualSubspaceClassifier": "takes image sets, not rows",
    "GrassmannDiscriminantAnalysis": "takes image sets, not rows",
    "GrassmannMinimumDistanceClassifier": "takes image sets, not rows",
    "MultiRepresentationSubspaceClustering": "checked through its base estimator (EnSC)",
}
_METHODS = ("predict", "transform", "decision_function", "score_samples")


def make_data(estimator, n_samples, n_features=64, n_groups=5, dim=4, seed=0):
    """Points near ``n_groups`` subspaces of dimension ``dim``, with labels or a target."""
    rng = np.random.default_rng(seed)
    bases = [np.linalg.qr(rng.standard_normal((n_features, dim)))[0] for _ in range(n_groups)]
    y = np.arange(n_samples) % n_groups
    coef = rng.standard_normal((n_samples, dim))
    X = np.stack([bases[g] @ c for g, c in zip(y, coef, strict=True)])
    X += 0.01 * rng.standard_normal(X.shape)
    if is_regressor(estimator):
        y = np.sin(X[:, 0]) + X[:, 1] + 0.1 * rng.standard_normal(n_samples)
    return X, y


def _instance(cls):
    params = dict(getattr(cls, "_test_init_params", {}))
    est = cls(**params)
    if "n_clusters" in est.get_params():
        est.set_params(n_clusters=5)
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    return est


def _run(est, X, y):
    t0 = time.perf_counter()
    if is_clusterer(est) and not hasattr(est, "predict"):
        out = est.fit_predict(X, y)
        method = "fit_predict"
    else:
        est.fit(X, y)
        method = next((m for m in _METHODS if hasattr(est, m)), None)
        out = getattr(est, method)(X) if method else None
    return time.perf_counter() - t0, method, out


def _agree(est, a, b):
    """A short verdict on whether the NumPy and the GPU answers agree."""
    if a is None:
        return "n/a"
    a = np.asarray(to_numpy(a))
    b = np.asarray(to_numpy(b))
    if is_clusterer(est) or is_classifier(est) and a.ndim == 1:
        score = clustering_accuracy(a, b) if is_clusterer(est) else float(np.mean(a == b))
        return f"{'ok' if score >= 0.99 else 'DIFFER'} (agreement {score:.3f})"
    if a.shape != b.shape:
        return f"DIFFER (shapes {a.shape} vs {b.shape})"
    scale = max(np.abs(a).max(), 1e-30)
    err = np.abs(a.astype(float) - b.astype(float)).max() / scale
    # Subspace outputs are defined up to sign / rotation: compare projectors then.
    if err > 1e-4 and a.ndim == 2 and a.shape[1] < a.shape[0]:
        qa, qb = np.linalg.qr(a)[0], np.linalg.qr(b)[0]
        err = np.linalg.norm(qa @ (qa.T @ qb) - qb, 2)
    return f"{'ok' if err <= 1e-4 else 'DIFFER'} (rel. err {err:.1e})"


def check(sizes, budget, device="gpu", deadline=420.0):
    rows = []
    start = time.perf_counter()
    for name, cls in all_estimators():
        if name in _SKIP:
            print(f"{name:38s} skipped: {_SKIP[name]}", flush=True)
            continue
        cpu_prev, n_prev = 0.0, sizes[0]
        for n in sizes:
            predicted = cpu_prev * (n / n_prev) ** 2
            if predicted > budget or (n != sizes[0] and time.perf_counter() - start > deadline):
                print(f"{name:38s} n={n:>6d}  skipped (time budget)", flush=True)
                continue
            est = _instance(cls)
            X, y = make_data(est, n)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cpu_t, method, cpu_out = _run(clone(est), X, y)
                    gpu_est = clone(est).set_params(device=device)
                    _run(clone(gpu_est), X[: min(n, 200)], y[: min(n, 200)])  # warm up
                    gpu_t, _, gpu_out = _run(gpu_est, X, y)
            except Exception as exc:  # report and go on with the next estimator
                print(f"{name:38s} n={n:>6d}  ERROR {type(exc).__name__}: {exc}", flush=True)
                traceback.print_exc(limit=2)
                break
            cpu_prev, n_prev = cpu_t, n
            verdict = _agree(est, cpu_out, gpu_out)
            rows.append((name, n, cpu_t, gpu_t))
            print(
                f"{name:38s} n={n:>6d}  {method or '-':17s} numpy {cpu_t:8.3f} s  "
                f"gpu {gpu_t:8.3f} s  speed-up {cpu_t / gpu_t:6.2f}x  {verdict}",
                flush=True,
            )
    print("\nCrossover (first size at which the GPU is faster):")
    for name in dict.fromkeys(r[0] for r in rows):
        faster = [n for (m, n, c, g) in rows if m == name and g < c]
        where = f"n = {faster[0]}" if faster else f"not within n <= {max(sizes)}"
        print(f"  {name:38s} {where}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 500 and 2,000")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="no GPU needed: run the harness with device='cpu' on both sides (sizes 200, 400)",
    )
    parser.add_argument(
        "--budget", type=float, default=60.0, help="skip a size predicted above this NumPy time"
    )
    parser.add_argument(
        "--deadline", type=float, default=420.0, help="start no large size after this many seconds"
    )
    args = parser.parse_args(argv)
    if args.dry_run:
        check((200, 400), args.budget, device="cpu", deadline=args.deadline)
        return 0
    reason = gpu_unavailable_reason()
    if reason is not None:
        print(f"gpu-check: no GPU to check on this machine ({reason}); nothing to do.")
        return 0
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    print(f"GPU: {props['name'].decode()}  CuPy {cupy.__version__}  NumPy {np.__version__}")
    check((500, 2000) if args.quick else (2000, 10000), args.budget, deadline=args.deadline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
