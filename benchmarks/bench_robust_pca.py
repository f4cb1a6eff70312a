"""RobustPCA (inexact ALM and AccAltProj) against PyPI ``rpca`` and one dense SVD.

Same planted matrices (``make_low_rank_sparse``: n x n, rank r, 5% gross
corruption) for every method, in one process per thread setting: 500 x 500
rank 25 and 1000 x 1000 rank 50 (issue #17). Each row prints the median wall
time over interleaved repetitions, its ratio to one ``numpy.linalg.svd`` of
the same matrix and to ``rpca``, the CPU time, the peak memory of one fit
(tracemalloc), the relative error of the recovered low-rank part, its rank
and the iteration count.

* ``RobustPCA(method="altproj", n_components=r, tol=1e-5)``: ours, AccAltProj
  with the rank given, and the same with the rank estimated from the data;
* ``rpca.RobustPCA(n_components=r + 1, tol=1e-5)``: AccAltProj of the PyPI
  package, which centres the columns first, so the column mean of the
  corruptions adds one dimension to the low-rank part: it needs ``r + 1``
  (with ``r`` its error stalls near 1e-2); its error is measured on
  ``low_rank_ + mean_``. Both stop at the same relative residual 1e-5;
* ``RobustPCA()``: ours, the convex default (inexact ALM, ``tol=1e-7``).

Both sides run at one thread pinned to one core (OMP / OPENBLAS / MKL threads
= 1, ``sched_setaffinity``), then both at all cores; each setting is a fresh
child process. The machine may be shared with other jobs: ratios from the
same run are what to read. ``--tall`` adds the 20000 x 500 tall case and
20% missing entries (ours only); ``--tensorly`` adds
``tensorly.decomposition.robust_pca`` (slow: full SVDs).

Usage: ``PYTHONPATH=. python benchmarks/bench_robust_pca.py [--repeats 3] [--quick]``
(``--quick``: the 500 x 500 matrix only, for the docs' quick run).
"""

import argparse
import contextlib
import io
import os
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _child import collect_rows, peak_mib, read_rows, send_rows, timed  # noqa: E402
from _record import comparison, record  # noqa: E402

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
SIZES = ((500, 25), (1000, 50))


def quiet(fn):
    def run():
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return fn()

    return run


def methods_for(D, rank, tensorly):
    """name -> (fit function, (low-rank estimate, rank, iterations) of its result)."""
    import numpy as np

    from sksubspace.decomposition import RobustPCA

    ours = lambda e: (e.low_rank_, e.rank_, e.n_iter_)  # noqa: E731
    methods = {
        "ours altproj (rank r)": (
            lambda: RobustPCA(method="altproj", n_components=rank, tol=1e-5, random_state=0).fit(D),
            ours,
        ),
        "ours altproj (rank est.)": (
            lambda: RobustPCA(method="altproj", tol=1e-5, random_state=0).fit(D),
            ours,
        ),
    }
    try:
        from rpca import RobustPCA as AccAltProj

        methods["rpca (AccAltProj, r+1)"] = (
            quiet(lambda: AccAltProj(n_components=rank + 1, tol=1e-5, verbose=False).fit(D)),
            lambda m: (m.low_rank_ + m.mean_, rank + 1, int(m.end_iter_)),
        )
    except ImportError:
        print("rpca not installed: `pip install rpca` (the bench extra)")
    methods["ours ialm (default)"] = (lambda: RobustPCA(random_state=0).fit(D), ours)
    if tensorly:
        from tensorly.decomposition import robust_pca

        lam = 1 / np.sqrt(max(D.shape))
        methods["tensorly robust_pca"] = (
            quiet(
                lambda: robust_pca(D, reg_E=2 * lam, tol=1e-7, n_iter_max=100, return_errors=True)
            ),
            lambda out: (
                out[0],
                int(np.linalg.matrix_rank(out[0], tol=1e-6 * out[0].max())),
                len(out[2]),
            ),
        )
    return methods


def child(repeats, tensorly, threads, sizes):
    import numpy as np

    from sksubspace.datasets import make_low_rank_sparse
    from sksubspace.metrics import relative_error

    print(
        f"{'matrix':<22}{'method':<27}{'wall s':>8}{'cpu s':>8}{'/svd':>7}{'/rpca':>7}"
        f"{'MiB':>6}{'rel err L':>11}{'rank':>6}{'iters':>6}"
    )
    label = "1 thread, pinned" if threads == 1 else f"all {threads} cores"
    rows = []
    for n, rank in sizes:
        D, L, _ = make_low_rank_sparse(n, n, rank, corruption=0.05, random_state=0)
        name = f"{n}x{n} rank {rank}"
        methods = methods_for(D, rank, tensorly)
        methods = {
            "numpy.linalg.svd": (lambda D=D: np.linalg.svd(D, full_matrices=False), None)
        } | (methods)
        walls = {m: [] for m in methods}
        cpus = {m: [] for m in methods}
        outs = {}
        for r in range(repeats):  # interleaved
            for m, (fn, _) in methods.items():
                if m.startswith("tensorly") and r:
                    continue  # one run is enough (and long)
                outs[m], c, w = timed(fn)
                walls[m].append(w)
                cpus[m].append(c)
        t_svd = float(np.median(walls["numpy.linalg.svd"]))
        t_ref = float(np.median(walls.get("rpca (AccAltProj, r+1)", [np.nan])))
        errs = {}
        for m, (fn, unpack) in methods.items():
            t = float(np.median(walls[m]))
            if unpack is None:
                err, rk, it, mib = float("nan"), n, 1, peak_mib(fn)
            else:
                Lh, rk, it = unpack(outs[m])
                err, mib = relative_error(Lh, L), peak_mib(fn)
                errs[m] = err
            print(
                f"{name:<22}{m:<27}{t:>8.3f}{np.median(cpus[m]):>8.2f}{t / t_svd:>7.2f}"
                f"{t / t_ref:>7.2f}{mib:>6.0f}{err:>11.2e}{rk:>6}{it:>6}",
                flush=True,
            )
        peers = [m for m in errs if not m.startswith("ours")]
        rows += [  # CPU times (all threads): on a shared machine the steadier measure
            comparison(
                f"{name}, {label} (CPU time)",
                ours=m.removeprefix("ours "),
                ours_time=np.median(cpus[m]),
                peer=p,
                peer_time=np.median(cpus[p]),
                metric="relative error of L",
                ours_quality=errs[m],
                peer_quality=errs[p],
                higher_is_better=False,
            )
            for p in peers
            for m in errs
            if m.startswith("ours")
        ]
    send_rows(rows)


def tall_and_missing():
    import numpy as np

    from sksubspace.datasets import make_low_rank_sparse
    from sksubspace.decomposition import RobustPCA
    from sksubspace.metrics import relative_error

    D, L, _ = make_low_rank_sparse(20000, 500, 20, corruption=0.05, random_state=1)
    Dm, Lm, _ = make_low_rank_sparse(1000, 1000, 50, corruption=0.05, random_state=0)
    Dm[np.random.default_rng(0).random(Dm.shape) < 0.2] = np.nan
    for label, X, Lx in (("tall 20000x500 rank 20", D, L), ("1000x1000 r50 20% NaN", Dm, Lm)):
        for method in ("ialm", "altproj"):
            est, _, t = timed(lambda X=X, m=method: RobustPCA(method=m, random_state=0).fit(X))
            print(
                f"{label:<24}{'ours ' + method:<27}{t:>8.3f}  rel err L "
                f"{relative_error(est.low_rank_, Lx):.2e}, rank {est.rank_}, iters {est.n_iter_}"
            )


def main(repeats, tall, tensorly, quick):
    rows_file = collect_rows()
    ncpu = len(os.sched_getaffinity(0))
    print(
        "robust PCA: sksubspace RobustPCA vs PyPI rpca (AccAltProj); numpy.linalg.svd as the unit"
    )
    print(
        "make_low_rank_sparse n x n, rank r, 5% corruption; tol 1e-5 (altproj, rpca), 1e-7 (ialm)"
    )
    print(f"medians of {repeats} interleaved repetitions; the machine may be shared by other jobs")
    for threads in (1, ncpu):
        label = "1 thread, pinned to one core" if threads == 1 else f"all {ncpu} cores"
        print(f"\n== both at {label} ==", flush=True)
        env = dict(os.environ, **{v: str(threads) for v in THREAD_VARS})
        args = [sys.executable, __file__, "--child", str(threads), "--repeats", str(repeats)]
        args += ["--tensorly"] if tensorly else []
        subprocess.run(args + (["--quick"] if quick else []), env=env, check=True)
    record(read_rows(rows_file), family="Robust PCA")
    if tall:
        print("\n== larger cases, library default threads ==", flush=True)
        tall_and_missing()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tall", action="store_true")
    parser.add_argument("--tensorly", action="store_true")
    parser.add_argument("--quick", action="store_true", help="the 500 x 500 matrix only")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child == 1:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        child(args.repeats, args.tensorly, args.child, SIZES[:1] if args.quick else SIZES)
    else:
        main(args.repeats, args.tall, args.tensorly, args.quick)
