"""Randomized truncated SVD (sksubspace._linalg) against fbpca and numpy.linalg.svd.

Two workloads of issue #17, in float64 and float32, on the same matrices in
one process per thread setting:

* 2000 x 2000 of exact rank 50 (``n_components=50``),
* 10000 x 2000 of rank 20 plus Gaussian noise at 10% of the signal's entry
  scale (``n_components=20``).

Ours is ``randomized_svd(A, k)`` with its defaults (10 oversamples, adaptive
power iterations); the peer is ``fbpca.pca(A, k, raw=True)`` with its defaults
(``k + 2`` columns, 2 power iterations, LU between them). Each row prints the
median wall time over interleaved repetitions, its ratio to one
``numpy.linalg.svd`` of the same matrix and to fbpca, the CPU time, the peak
memory of one call (tracemalloc), the relative reconstruction error
``||A - U S V'||_F / ||A||_F`` next to the optimal one (truncated exact SVD)
and the largest relative error of the singular values.

Both sides run at one thread pinned to one core (OMP / OPENBLAS / MKL threads
= 1, ``sched_setaffinity``), then both at all cores; each setting is a fresh
child process. The machine may be shared with other jobs: ratios from the
same run are what to read.

Usage: ``PYTHONPATH=. python benchmarks/bench_randomized_svd.py [--repeats 5] [--quick]``
(``--quick``: 2 repetitions and the tall matrix 5000 x 2000, for the docs' quick run).
"""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _child import collect_rows, peak_mib, read_rows, send_rows, timed  # noqa: E402
from _record import comparison, record  # noqa: E402

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def workloads(tall=10000):
    import numpy as np

    rng = np.random.default_rng(0)
    A1 = rng.standard_normal((2000, 50)) @ rng.standard_normal((50, 2000))
    A2 = rng.standard_normal((tall, 20)) @ rng.standard_normal((20, 2000))
    A2 += 0.1 * np.sqrt(20) * rng.standard_normal(A2.shape)
    return [("2000x2000 rank 50", A1, 50), (f"{tall}x2000 rank 20 + noise", A2, 20)]


def child(repeats, threads, tall):
    import numpy as np

    from sksubspace._linalg import randomized_svd

    try:
        import importlib.metadata

        import fbpca

        print(f"fbpca {importlib.metadata.version('fbpca')}")
    except ImportError:
        fbpca = None
        print("fbpca not installed: `pip install fbpca` (the bench extra)")
    print(
        f"{'workload':<28}{'dtype':>8}{'method':>10}{'wall s':>9}{'cpu s':>8}{'/svd':>8}"
        f"{'/fbpca':>8}{'MiB':>7}{'rel err':>11}{'optimal':>11}{'sv err':>9}"
    )
    label = "1 thread, pinned" if threads == 1 else f"all {threads} cores"
    rows = []
    for name, A64, k in workloads(tall):
        for dtype in (np.float64, np.float32):
            A = A64.astype(dtype)
            (U0, s0, Vt0), c_svd, t_svd = timed(lambda A=A: np.linalg.svd(A, full_matrices=False))
            norm = np.linalg.norm(A.astype(np.float64))
            opt = np.linalg.norm(A - (U0[:, :k] * s0[:k]) @ Vt0[:k]) / norm
            s_ref = s0[:k].astype(np.float64)
            del U0, Vt0
            methods = {"ours": lambda A=A, k=k: randomized_svd(A, k, random_state=0)}
            if fbpca is not None:
                methods["fbpca"] = lambda A=A, k=k: fbpca.pca(A, k, raw=True)
            walls = {m: [] for m in methods}
            cpus = {m: [] for m in methods}
            outs = {}
            for _ in range(repeats):  # interleaved
                for m, fn in methods.items():
                    outs[m], c, w = timed(fn)
                    walls[m].append(w)
                    cpus[m].append(c)
            t_fb = float(np.median(walls["fbpca"])) if "fbpca" in walls else float("nan")
            dt = np.dtype(dtype).name
            print(
                f"{name:<28}{dt:>8}{'numpy.svd':>10}{t_svd:>9.3f}{c_svd:>8.2f}{1.0:>8.3f}"
                f"{t_svd / t_fb:>8.2f}{'':>7}{opt:>11.2e}{opt:>11.2e}{0.0:>9.0e}"
            )
            errs = {}
            for m, fn in methods.items():
                U, s, Vt = outs[m]
                err = errs[m] = np.linalg.norm(A - (U * s) @ Vt) / norm
                sv_err = float(np.max(np.abs(s.astype(np.float64) - s_ref) / s_ref))
                t = float(np.median(walls[m]))
                print(
                    f"{name:<28}{dt:>8}{m:>10}{t:>9.3f}{np.median(cpus[m]):>8.2f}"
                    f"{t / t_svd:>8.3f}{t / t_fb:>8.2f}{peak_mib(fn):>7.0f}{err:>11.2e}"
                    f"{opt:>11.2e}{sv_err:>9.0e}"
                )
            # CPU times (all threads): on a shared machine the steadier measure
            peers = {"numpy.linalg.svd": (c_svd, opt)}
            if "fbpca" in cpus:
                peers["fbpca.pca"] = (float(np.median(cpus["fbpca"])), errs["fbpca"])
            rows += [
                comparison(
                    f"{name}, {dt}, {label} (CPU time)",
                    ours="randomized_svd",
                    ours_time=float(np.median(cpus["ours"])),
                    peer=peer,
                    peer_time=t_peer,
                    metric="relative error ||A - USV'||/||A||",
                    ours_quality=errs["ours"],
                    peer_quality=e_peer,
                    higher_is_better=False,
                )
                for peer, (t_peer, e_peer) in peers.items()
            ]
    send_rows(rows)


def main(repeats, tall):
    rows_file = collect_rows()
    ncpu = len(os.sched_getaffinity(0))
    print("randomized truncated SVD: sksubspace vs fbpca (and numpy.linalg.svd as the unit)")
    print(f"medians of {repeats} interleaved repetitions; the machine may be shared by other jobs")
    for threads in (1, ncpu):
        label = "1 thread, pinned to one core" if threads == 1 else f"all {ncpu} cores"
        print(f"\n== both at {label} ==", flush=True)
        env = dict(os.environ, **{v: str(threads) for v in THREAD_VARS})
        args = [sys.executable, __file__, "--child", str(threads), "--repeats", str(repeats)]
        subprocess.run(args + ["--tall", str(tall)], env=env, check=True)
    record(read_rows(rows_file), family="Foundation")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=None, help="default 5 (2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="2 repeats, tall matrix 5000 x 2000")
    parser.add_argument("--tall", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 5)
    tall = args.tall or (5000 if args.quick else 10000)
    if args.child:
        if args.child == 1:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        child(repeats, args.child, tall)
    else:
        main(repeats, tall)
