"""SoftImpute on make_low_rank_completion against one dense SVD and fancyimpute.

Goal: 2000 x 2000, rank 10, 10% observed, no noise, default
parameters apart from ``max_rank=20``; relative RMSE on the held-out entries at
most 0.01 and a fit at most 0.5x the time of one ``numpy.linalg.svd`` of the
zero-filled matrix (measured in the same process). fancyimpute's SoftImpute
(the widely used Python implementation) runs on the same data when it imports.

Usage: ``PYTHONPATH=. python benchmarks/bench_soft_impute.py [n] [repeats]``
(``BENCH_SOLVERS=exact_als`` skips the slower softImpute-ALS row).
"""

import os
import sys
import time
import warnings

import numpy as np

from sksubspace.datasets import make_low_rank_completion
from sksubspace.impute import SoftImpute


def held_out_rel_rmse(Z, M, mask):
    return float(np.linalg.norm((Z - M)[~mask]) / np.linalg.norm(M[~mask]))


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main(n=2000, repeats=3):
    X, M, mask = make_low_rank_completion(n, n, 10, observed_fraction=0.1, random_state=0)
    print(f"data: {n} x {n}, rank 10, {mask.mean():.1%} observed, no noise")
    X0 = np.nan_to_num(X)
    t_svd, _ = timed(lambda: np.linalg.svd(X0), 2)
    print(f"numpy.linalg.svd(zero-filled): {t_svd:.2f} s (median)")

    print(
        f"{'method':45s} {'rel. RMSE':>10s} {'time (s)':>9s} {'x svd':>7s} {'iter':>5s} {'rank':>5s}"
    )

    def report(name, err, t, it="", rk=""):
        print(f"{name:45s} {err:10.4f} {t:9.2f} {t / t_svd:7.2f} {it!s:>5s} {rk!s:>5s}", flush=True)

    solvers = os.environ.get("BENCH_SOLVERS", "exact_als,als").split(",")
    for solver in solvers:
        reps = repeats if solver == "exact_als" else 1
        est = SoftImpute(max_rank=20, solver=solver, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, Z = timed(lambda est=est: est.fit_transform(X), reps)
        name = f"sksubspace SoftImpute(solver={solver!r})"
        report(name, held_out_rel_rmse(Z, M, mask), t, est.n_iter_, est.rank_)
        if solver == "exact_als":
            # Inductive use: fit on 80% of the rows, transform the other 20%.
            cut = int(0.8 * n)
            t0 = time.perf_counter()
            Zi = SoftImpute(max_rank=20, random_state=0).fit(X[:cut]).transform(X[cut:])
            ti = time.perf_counter() - t0
            trans = held_out_rel_rmse(Z[cut:], M[cut:], mask[cut:])
            ind = held_out_rel_rmse(Zi, M[cut:], mask[cut:])
            print(
                f"inductive (fit {cut} rows, transform {n - cut}): rel. RMSE {ind:.4f} vs "
                f"transductive {trans:.4f} on the same rows (ratio {ind / trans:.2f}), {ti:.2f} s"
            )

    try:
        import fancyimpute.soft_impute
        import fancyimpute.solver
        from fancyimpute import SoftImpute as FancySoftImpute
    except Exception as exc:  # noqa: BLE001
        print(f"fancyimpute: does not import ({type(exc).__name__}: {exc})")
        return
    # fancyimpute 0.7 calls check_array(force_all_finite=...), a keyword that
    # scikit-learn >= 1.8 removed: its fit_transform raises a TypeError as
    # installed. Translate the keyword so that it can be timed at all.
    from sklearn.utils import check_array

    def _check_array(X, force_all_finite=True, **kw):
        return check_array(X, ensure_all_finite=force_all_finite, **kw)

    fancyimpute.solver.check_array = _check_array
    fancyimpute.soft_impute.check_array = _check_array
    print("fancyimpute: fit_transform needed a shim (force_all_finite -> ensure_all_finite)")
    fancy = FancySoftImpute(max_rank=20, verbose=False)
    t, Z = timed(lambda: fancy.fit_transform(X), 1)
    report("fancyimpute SoftImpute(max_rank=20)", held_out_rel_rmse(Z, M, mask), t)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    main(n, repeats)
