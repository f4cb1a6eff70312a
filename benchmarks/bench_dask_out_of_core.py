"""Worker memory of the Dask estimators on inputs larger than a worker's memory limit.

A ``LocalCluster`` of 2 worker processes (1 thread each, ``memory_limit``
300 MB by default) fits each estimator that accepts a row-chunked Dask array
on an input of ``--gb`` gigabytes (default 1.0; ``--gb 0.2`` is the quick
mode). The inputs are planted problems written once to raw files on local
disk and read block by block by the workers (no block exists in a worker
before a task needs it, and reading is cheap enough that every pass over the
data may re-read it):

* StreamingPCA: Gaussian rows with two planted top directions;
* RobustPCA (ialm): rank 3 plus 5% gross corruptions, on ``--rpca-gb``
  (default a quarter of ``--gb``) and its own cluster of ``--rpca-memory-limit``
  (default 1 GB) workers: its multiplier is a dense copy of the input, so
  300 MB workers do not hold it (the scaling guide gives its need);
* SoftImpute (exact_als): rank 5, half the entries missing (NaN), on its own
  cluster of ``--softimpute-memory-limit`` (default 400 MB) workers: a worker
  with the libraries imported idles at about 180 MB and SoftImpute adds about
  60-80 MB, the edge of 300 MB workers (Dask pauses a worker at 80% of its
  limit, and a paused worker never resumes here: the fit hangs).

StreamingPCA is also compared with dask-ml's ``PCA(svd_solver="tsqr")`` on
the same file of blocks (several passes and an exact answer against one
pass; see the scaling guide on when to use which), in its own process,
virtual environment and cluster of 1 GB workers (``--dask-ml-python``, or
``SKSUBSPACE_DASKML_PYTHON``: an interpreter with ``dask[distributed]``,
``dask-ml`` and ``psutil``). Not in the project's environment: dask-ml pulls
in pyarrow, which pandas then imports in every worker (idle RSS about 180 ->
245 MB, above the 80% of 300 MB at which Dask pauses a worker).

For each fit it prints the wall time, the peak resident memory (RSS, the
whole process, sampled every 10 ms by a thread inside each worker) of the
busiest worker and its RSS when idle (Python, Dask, NumPy, SciPy,
scikit-learn and sksubspace imported: about 180 MB of any worker's limit),
whether a worker was restarted (killed for memory), the need that the
scaling guide's formula predicts, and the result's quality: the largest
principal angle between the fitted components and the planted subspace (and,
for SoftImpute, the relative error on the missing entries of the first
block).

Usage::

    PYTHONPATH=. python benchmarks/bench_dask_out_of_core.py [--gb 1.0]
        [--memory-limit 300MB] [--softimpute-memory-limit 400MB] [--rpca-gb GB]
        [--rpca-memory-limit 1GB]
        [--only streaming rpca softimpute]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _record import comparison, record  # noqa: E402

ESTIMATORS = ("streaming", "rpca", "softimpute")
_DEFAULT_DASKML = "/work/venvs/daskml/bin/python"  # this project's machines; else skipped
#: comparison rows for the docs' page (the estimators with a Dask peer)
ROWS = []


# -- data: planted problems written to raw files, read back by block ---------------
def _write_blocks(path, m, rows, make_block):
    with open(path, "wb") as f:
        for i, lo in enumerate(range(0, m, rows)):
            make_block(i, lo, min(m, lo + rows)).astype(np.float64).tofile(f)


def _read_block(path, lo, hi, n):
    return np.fromfile(path, dtype=np.float64, count=(hi - lo) * n, offset=lo * n * 8).reshape(
        hi - lo, n
    )


def _from_file(path, m, n, rows):
    """The file as a row-chunked Dask array whose blocks are read by the tasks that need them."""
    import dask
    import dask.array as da

    read = dask.delayed(_read_block, pure=True)
    blocks = [
        da.from_delayed(read(path, lo, min(m, lo + rows), n), (min(m, lo + rows) - lo, n), float)
        for lo in range(0, m, rows)
    ]
    return da.concatenate(blocks, axis=0)


def _max_angle_deg(V, W):
    """Largest principal angle (degrees) between the row spaces of ``V`` and ``W``."""
    Qv = np.linalg.qr(np.asarray(V, dtype=float).T)[0]
    Qw = np.linalg.qr(np.asarray(W, dtype=float).T)[0]
    s = np.linalg.svd(Qv.T @ Qw, compute_uv=False)
    return float(np.degrees(np.arccos(np.clip(s.min(), -1.0, 1.0))))


# -- worker memory: a sampling thread in each worker process ----------------------
def _start_sampler(dask_worker, interval=0.01):
    import threading

    import psutil

    if hasattr(dask_worker, "_sks_rss"):
        return os.getpid()
    proc = psutil.Process()
    state = {"peak": proc.memory_info().rss, "idle": proc.memory_info().rss}
    dask_worker._sks_rss = state

    def loop():
        while True:
            state["peak"] = max(state["peak"], proc.memory_info().rss)
            time.sleep(interval)

    threading.Thread(target=loop, daemon=True, name="sks-rss").start()
    return os.getpid()


def _import_runtime():
    """What a worker imports for any sksubspace task (NumPy, SciPy, scikit-learn, sksubspace)."""
    try:
        import sksubspace.decomposition  # noqa: F401
        import sksubspace.impute  # noqa: F401
        import sksubspace.kernel_ridge  # noqa: F401
    except ImportError:  # the dask-ml peer's environment
        import dask_ml.decomposition  # noqa: F401


def _reset_peak(dask_worker):
    import gc

    import psutil

    gc.collect()
    rss = psutil.Process().memory_info().rss
    dask_worker._sks_rss.update(peak=rss, idle=rss)
    return os.getpid()


def _read_peak(dask_worker):
    state = getattr(dask_worker, "_sks_rss", None)
    return None if state is None else (os.getpid(), state["idle"], state["peak"])


class WorkerMemory:
    """Peak RSS per worker over a ``with`` block; notices restarted workers."""

    def __init__(self, client):
        self.client = client

    def __enter__(self):
        self.client.run(_import_runtime)  # "idle" then includes the libraries' memory
        self.client.run(_start_sampler)  # restarted workers need a new one
        self.pids = set(self.client.run(_reset_peak).values())
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.elapsed = time.perf_counter() - self.t0
        res = [r for r in self.client.run(_read_peak).values() if r is not None]
        self.restarted = len(self.pids - {pid for pid, _, _ in res})
        self.idle = max((idle for _, idle, _ in res), default=float("nan"))
        self.peak = max((peak for _, _, peak in res), default=float("nan"))
        print(self.line())
        return False

    def line(self):
        out = (
            f"  time {self.elapsed:.1f} s; worker RSS peak {self.peak / 1e6:.0f} MB "
            f"(idle {self.idle / 1e6:.0f} MB)"
        )
        if self.restarted:
            out += f"; {self.restarted} worker(s) restarted (killed for memory)"
        return out


# -- the fits ---------------------------------------------------------------------
def _peer_dask_ml(python, path, m, n, rows):
    """dask-ml's tsqr PCA on the file, in ``python``'s environment: time, peaks, angle."""
    cmd = [python, os.path.abspath(__file__), "--peer", path, str(m), str(n), str(rows)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("PEER ")]
    if res.returncode or not lines:
        print(f"  FAILED: {(res.stderr.strip().splitlines() or ['?'])[-1][:300]}")
        return None
    for ln in res.stdout.splitlines():
        if ln.startswith("  time "):
            print(ln)
    return json.loads(lines[-1][5:])


def _peer_child(path, m, n, rows):
    """In the peer's environment: its own cluster of 1 GB workers, the same blocks."""
    from dask_ml.decomposition import PCA

    m, n, rows = int(m), int(n), int(rows)
    cluster, client = _cluster(1e9, quiet=True)
    X = _from_file(path, m, n, rows)
    with WorkerMemory(client) as mem:
        pca = PCA(n_components=2, svd_solver="tsqr").fit(X)
    angle = _max_angle_deg(pca.components_, np.eye(n)[:2])
    client.close()
    cluster.close()
    print("PEER " + json.dumps(dict(time=mem.elapsed, peak=mem.peak, idle=mem.idle, angle=angle)))


def bench_streaming(client, gb, tmp, limit, dask_ml=None):
    from sksubspace.decomposition import StreamingPCA

    n, rows = 100, 25_000
    m = max(rows, int(gb * 1e9 / (8 * n)) // rows * rows)
    scales = np.r_[3.0, 2.0, np.ones(n - 2)]
    path = os.path.join(tmp, "streaming.f64")
    _write_blocks(
        path,
        m,
        rows,
        lambda i, lo, hi: np.random.default_rng(i).standard_normal((hi - lo, n)) * scales,
    )
    X = _from_file(path, m, n, rows)
    _header("StreamingPCA(n_components=2, batch_size=5000)", X, limit, rows)
    with WorkerMemory(client) as mem:
        est = StreamingPCA(n_components=2, batch_size=5_000, random_state=0).fit(X)
    _predicted(mem, 2 * rows * n * 8, "R + 2b")
    angle = _max_angle_deg(est.components_, np.eye(n)[:2])
    print(f"  max angle to the planted top-2 directions: {angle:.2f} deg")
    if dask_ml:  # the Dask ecosystem's PCA, same blocks, in its own environment
        print(f"  dask-ml PCA(n_components=2, svd_solver='tsqr'), same file, {dask_ml}:")
        peer = _peer_dask_ml(dask_ml, path, m, n, rows)
        if peer is not None:
            print(f"  max angle to the planted top-2 directions: {peer['angle']:.2f} deg")
            ROWS.append(
                comparison(
                    f"{X.nbytes / 1e9:.2f} GB, 2 workers (wall time; ours 300 MB, dask-ml 1 GB)",
                    ours="StreamingPCA",
                    ours_time=mem.elapsed,
                    peer="dask-ml PCA (tsqr)",
                    peer_time=peer["time"],
                    metric="max angle to the planted subspace (deg)",
                    ours_quality=angle,
                    peer_quality=peer["angle"],
                    higher_is_better=False,
                )
            )
    os.remove(path)


def bench_rpca(client, gb, tmp, limit):
    from sksubspace.decomposition import RobustPCA

    n, r, rows = 50, 3, 20_000
    m = max(rows, int(gb * 1e9 / (8 * n)) // rows * rows)
    B = np.random.default_rng(12345).standard_normal((r, n)) / np.sqrt(r)

    def block(i, lo, hi):
        g = np.random.default_rng(i)
        L = g.standard_normal((hi - lo, r)) @ B
        hit = g.random((hi - lo, n)) < 0.05
        return L + np.where(hit, g.uniform(-5.0, 5.0, (hi - lo, n)), 0.0)

    path = os.path.join(tmp, "rpca.f64")
    _write_blocks(path, m, rows, block)
    X = _from_file(path, m, n, rows)
    _header("RobustPCA(method='ialm', tol=1e-6)", X, limit, rows)
    with WorkerMemory(client) as mem:
        est = RobustPCA(tol=1e-6, random_state=0).fit(X)
    _predicted(mem, 4 * X.nbytes / 2 + 20 * rows * n * 8, "R + 4S/W + 20b")
    print(
        f"  {est.n_iter_} iterations, rank {est.rank_}; max angle to the planted "
        f"rank-{r} row space: {_max_angle_deg(est.components_[:r], B):.2e} deg"
    )
    os.remove(path)


def bench_softimpute(client, gb, tmp, limit):
    from sksubspace.impute import SoftImpute

    n, r, rows = 100, 5, 10_000
    m = max(rows, int(gb * 1e9 / (8 * n)) // rows * rows)
    B = np.random.default_rng(54321).standard_normal((r, n))

    def truth(i, lo, hi):
        return np.random.default_rng(i).standard_normal((hi - lo, r)) @ B

    def block(i, lo, hi):
        M = truth(i, lo, hi)
        return np.where(np.random.default_rng(10**6 + i).random(M.shape) < 0.5, np.nan, M)

    path = os.path.join(tmp, "softimpute.f64")
    _write_blocks(path, m, rows, block)
    X = _from_file(path, m, n, rows)
    _header("SoftImpute(None, max_rank=10, center=False), 50% missing", X, limit, rows)
    with WorkerMemory(client) as mem:
        est = SoftImpute(None, max_rank=10, center=False, random_state=0).fit(X)
    _predicted(mem, rows * n * 8 + 16 * m * 10 / 2 + 40e6, "R + b + 16mr/W + 40 MB")
    X0, M0 = X.blocks[0].compute(), truth(0, 0, rows)
    Z0 = est.row_factors_[:rows] @ est.components_ + est.mean_
    miss = np.isnan(X0)
    err = np.linalg.norm((Z0 - M0)[miss]) / np.linalg.norm(M0[miss])
    print(
        f"  {est.n_iter_} iterations, rank {est.rank_}; max angle to the planted rank-{r} "
        f"row space {_max_angle_deg(est.components_[:r], B):.2e} deg; rel. error on the "
        f"missing entries of block 0: {err:.1e}"
    )
    os.remove(path)


def _predicted(mem, need, formula):
    """The scaling guide's per-worker need (``R`` = the measured idle RSS) next to the peak."""
    print(
        f"  the guide's {formula}: {(mem.idle + need) / 1e6:.0f} MB per worker "
        f"(measured peak {mem.peak / 1e6:.0f} MB)"
    )


def _header(what, X, limit, rows):
    print(
        f"\n[{what}] input {X.shape[0]} x {X.shape[1]} float64 = {X.nbytes / 1e9:.2f} GB "
        f"({X.nbytes / limit:.1f}x a worker's memory limit), {X.numblocks[0]} row blocks of "
        f"{rows} rows ({rows * X.shape[1] * 8 / 1e6:.0f} MB)"
    )


def _cluster(limit, quiet=False):
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        memory_limit=limit,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    if not quiet:
        print(
            f"\nLocalCluster: 2 worker processes x 1 thread, memory_limit {limit / 1e6:.0f} MB "
            "each (the machine is shared with other jobs: times are indicative)"
        )
    return cluster, Client(cluster)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0, help="input size (GB)")
    parser.add_argument("--memory-limit", default="300MB", help="per-worker memory limit")
    parser.add_argument(
        "--rpca-gb", type=float, default=None, help="RobustPCA's input (GB; default gb / 4)"
    )
    parser.add_argument(
        "--softimpute-memory-limit",
        default="400MB",
        help="SoftImpute's per-worker limit (300 MB is the edge: Dask pauses workers at 80%%)",
    )
    parser.add_argument(
        "--rpca-memory-limit",
        default="1GB",
        help="RobustPCA's per-worker limit (it needs about R + 4S/W + 20b, see the scaling guide)",
    )
    parser.add_argument("--only", nargs="+", choices=ESTIMATORS, default=list(ESTIMATORS))
    parser.add_argument(
        "--dask-ml-python",
        default=os.environ.get("SKSUBSPACE_DASKML_PYTHON", _DEFAULT_DASKML),
        help="interpreter with dask-ml for the peer run (none: skipped)",
    )
    parser.add_argument("--peer", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        return _peer_child(*args.peer)
    dask_ml = (
        args.dask_ml_python if args.dask_ml_python and os.path.exists(args.dask_ml_python) else None
    )
    if dask_ml is None:
        print("dask-ml peer skipped (no --dask-ml-python / SKSUBSPACE_DASKML_PYTHON interpreter)")

    from dask.utils import parse_bytes

    runs = {"streaming": bench_streaming, "rpca": bench_rpca, "softimpute": bench_softimpute}
    plan = []
    if "streaming" in args.only:
        plan.append((parse_bytes(args.memory_limit), args.gb, ["streaming"]))
    if "softimpute" in args.only:
        plan.append((parse_bytes(args.softimpute_memory_limit), args.gb, ["softimpute"]))
    if "rpca" in args.only:
        rpca_gb = args.gb / 4 if args.rpca_gb is None else args.rpca_gb
        plan.append((parse_bytes(args.rpca_memory_limit), rpca_gb, ["rpca"]))
    with tempfile.TemporaryDirectory(prefix="sks-dask-") as tmp:
        for limit, gb, names in plan:
            cluster, client = _cluster(limit)
            for name in names:
                try:
                    if name == "streaming":
                        bench_streaming(client, gb, tmp, limit, dask_ml=dask_ml)
                    else:
                        runs[name](client, gb, tmp, limit)
                except Exception as exc:  # a KilledWorker is a result here, not a crash
                    print(f"  FAILED: {type(exc).__name__}: {str(exc)[:300]}")
            client.close()
            cluster.close()
    if ROWS:
        record(ROWS, family="Foundation")


if __name__ == "__main__":
    main()
