"""OnlineDictionaryLearning vs SPAMS ``trainDL``: same patches, epochs and threads.

8x8 patches of china.jpg (centered, scaled to unit norm), 256 atoms, lasso
penalty ``lambda = 0.15`` (SPAMS' usual 1.2 / sqrt(64)), minibatches of 512, one
epoch over 20,000 and 100,000 patches and three epochs over 20,000. Both sides run in their own process on the same saved patches (SPAMS
from its own virtual environment: ``pip install spams-bin``; set
``SPAMS_PYTHON`` to its interpreter, default ``/work/venvs/lasso/bin/python``):
at one thread pinned to one core (``taskset -c 0``, BLAS/OpenMP threads = 1)
and at all cores. Printed: CPU time and wall time of the fit (medians over
interleaved repetitions; ours after a tiny warm-up fit that loads the
compiled lasso kernel, a one-time cost per process printed beside it, as
SPAMS loads its library at import), peak memory of the process, and the held-out
objective ``mean 0.5 |x - c D|^2 + lambda |c|_1`` of each dictionary on 2,000
other patches, with exact lasso codes (ours, for both). SPAMS runs
``n // 512`` minibatches per epoch (it drops the remainder), ours all ``n``
signals.
Usage: PYTHONPATH=. python benchmarks/bench_dict_learning.py [N | NxEPOCHS ...]
[--full] (default ``20000 100000 20000x3``; ``--full`` adds ``100000x3``).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _patches import china_patches  # noqa: E402
from _record import comparison, record  # noqa: E402

from sksubspace.decomposition import sparse_encode  # noqa: E402

LAM, K, BATCH, REPEATS = 0.15, 256, 512, 3
SPAMS_PYTHON = os.environ.get("SPAMS_PYTHON", "/work/venvs/lasso/bin/python")

OURS = """
import json, resource, sys, time, warnings
import numpy as np
from sksubspace.decomposition import OnlineDictionaryLearning
X = np.load(sys.argv[1])["X"]
# one-time per process: loading the compiled lasso kernel (Numba's cache), timed apart
t = time.process_time()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    OnlineDictionaryLearning(8, batch_size=64, max_iter=1, random_state=0).fit(X[:64])
load = time.process_time() - t
t, w = time.process_time(), time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    D = OnlineDictionaryLearning(
        {k}, alpha={lam}, batch_size={batch}, max_iter=int(sys.argv[4]), tol=0,
        max_no_improvement=None,
        random_state=0,
    ).fit(X).components_
cpu, wall = time.process_time() - t, time.perf_counter() - w
np.save(sys.argv[2], D)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")]  # exec resets it
rss = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(cpu=cpu, wall=wall, rss=rss, load=load)))
"""

SPAMS = """
import json, resource, sys, time
import numpy as np
import spams
X = np.load(sys.argv[1])["X"]
threads, epochs = int(sys.argv[3]), int(sys.argv[4])
Xf = np.asfortranarray(X.T)
t, w = time.process_time(), time.perf_counter()
D = spams.trainDL(Xf, K={k}, lambda1={lam}, iter=epochs * max(1, X.shape[0] // {batch}),
                  batchsize={batch}, numThreads=threads, verbose=False)
cpu, wall = time.process_time() - t, time.perf_counter() - w
np.save(sys.argv[2], np.ascontiguousarray(D.T))
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")]  # exec resets it
rss = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(cpu=cpu, wall=wall, rss=rss)))
"""


def run(python, code, data, out, threads, epochs):
    env = dict(os.environ)
    n = "1" if threads == 1 else str(os.cpu_count())
    env.update(OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, MKL_NUM_THREADS=n)
    cmd = [python, "-c", code, data, out, n, str(epochs)]
    if threads == 1 and shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def objective(D, X_eval):
    C = sparse_encode(X_eval, D, algorithm="lasso", alpha=LAM)
    return float(np.mean(0.5 * np.sum((X_eval - C @ D) ** 2, axis=1) + LAM * np.abs(C).sum(1)))


def workloads(argv):
    """``(n_patches, epochs)`` pairs from ``N`` / ``NxEPOCHS`` arguments."""
    specs = [a for a in argv if not a.startswith("-")] or ["20000", "100000", "20000x3"]
    if "--full" in argv:
        specs.append("100000x3")
    runs = []
    for spec in specs:
        n, _, epochs = spec.partition("x")
        runs.append((int(n), int(epochs or 1)))
    return runs


def main():
    work = workloads(sys.argv[1:])
    have_spams = os.path.exists(SPAMS_PYTHON)
    X_eval = china_patches(2000, random_state=7)
    X_eval /= np.linalg.norm(X_eval, axis=1, keepdims=True)
    ours_code = OURS.format(k=K, lam=LAM, batch=BATCH)
    spams_code = SPAMS.format(k=K, lam=LAM, batch=BATCH)
    print(
        f"8x8 patches of china.jpg (unit norm), {K} atoms, lambda={LAM}, batch {BATCH}, "
        f"medians of {REPEATS} interleaved runs; the machine was shared with "
        "other jobs (wall times are inflated, CPU times less so)."
    )
    if not have_spams:
        print(f"SPAMS interpreter {SPAMS_PYTHON} not found: ours only (pip install spams-bin).")
    else:
        version = subprocess.run(
            [SPAMS_PYTHON, "-c", "import importlib.metadata as m; print(m.version('spams-bin'))"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(f"SPAMS: spams-bin {version or '?'} ({SPAMS_PYTHON}), trainDL's defaults otherwise.")
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, epochs in work:
            data = os.path.join(tmp, f"patches_{n}.npz")
            if not os.path.exists(data):
                X = china_patches(n)
                X /= np.linalg.norm(X, axis=1, keepdims=True)
                np.savez(data, X=X)
            for threads in (1, os.cpu_count()):
                rows = {"sksubspace": [], "SPAMS trainDL": []}
                for _ in range(REPEATS):
                    out = os.path.join(tmp, "D_ours.npy")
                    r = run(sys.executable, ours_code, data, out, threads, epochs)
                    rows["sksubspace"].append((r, objective(np.load(out), X_eval)))
                    if have_spams:
                        out = os.path.join(tmp, "D_spams.npy")
                        r = run(SPAMS_PYTHON, spams_code, data, out, threads, epochs)
                        rows["SPAMS trainDL"].append((r, objective(np.load(out), X_eval)))
                per = "1 epoch" if epochs == 1 else f"{epochs} epochs"
                print(f"\n{n} patches, {per}, {threads} thread(s):")
                med, objs = {}, {}
                for name, runs in rows.items():
                    if not runs:
                        continue
                    cpu = np.median([r["cpu"] for r, _ in runs])
                    wall = np.median([r["wall"] for r, _ in runs])
                    rss = max(r["rss"] for r, _ in runs) / 1024
                    obj = np.median([f for _, f in runs])
                    med[name], objs[name] = cpu, obj
                    print(
                        f"  {name:14s} CPU {cpu:7.2f} s  wall {wall:7.2f} s  peak {rss:6.0f} MB  "
                        f"held-out objective {obj:.4f}"
                    )
                    if "load" in runs[0][0]:
                        load = np.median([r["load"] for r, _ in runs])
                        print(f"  {'':14s} (+ {load:.2f} CPU-s once per process: kernel load)")
                if len(med) == 2:
                    print(
                        "  CPU-time ratio sksubspace / SPAMS: "
                        f"{med['sksubspace'] / med['SPAMS trainDL']:.2f}"
                    )
                    table.append(
                        comparison(
                            f"{n} patches, 256 atoms, {per}, {threads} thread(s), CPU time",
                            ours="OnlineDictionaryLearning",
                            ours_time=med["sksubspace"],
                            peer="SPAMS trainDL",
                            peer_time=med["SPAMS trainDL"],
                            metric="held-out objective",
                            ours_quality=objs["sksubspace"],
                            peer_quality=objs["SPAMS trainDL"],
                            higher_is_better=False,
                        )
                    )
    record(table, family="Dictionary learning")


if __name__ == "__main__":
    main()
