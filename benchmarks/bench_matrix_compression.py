"""Compressing collections of matrices: incremental SVD, error-constrained grouping, CoSpaDi.

Usage: PYTHONPATH=. python benchmarks/bench_matrix_compression.py [--full | --quick]
(``--quick``: one repetition of part 1 instead of three).

Three parts, all on NumPy:

1. **Incremental truncated SVD** (:class:`IncrementalTruncatedSVD`, Brand's
   update over blocks of rows) against what users run instead on the same
   data: scikit-learn's ``TruncatedSVD`` (randomized, on the whole matrix),
   ``numpy.linalg.svd`` of the whole matrix, and scikit-learn's
   ``IncrementalPCA`` fed the same blocks (it centres the data, so its error is
   measured on the centred matrix). Printed: relative error of the rank-k
   approximation, median wall time and CPU time over interleaved repeats,
   peak traced memory (tracemalloc). Run twice in fresh processes: every
   method at 1 thread pinned to one core (``taskset -c 0``, BLAS threads 1),
   then every method at all cores (``IncrementalTruncatedSVD`` limits its
   own updates to one BLAS thread for at most 512 features: many small
   factorizations, where BLAS threads cost more than they save).
2. **Error-constrained grouping** (:class:`JointSVDClustering`) of the matrices
   of an ``MLPClassifier`` trained on digits: per threshold, groups formed by
   each algorithm and their time, the worst true group error, and the numbers
   stored against one rank-r SVD per matrix and one SVD of everything at the
   smallest rank that meets the threshold.
3. **CoSpaDi vs plain and data-aware truncated SVD** on the MLP's two hidden
   weight matrices at 20-50% compression (equal numbers stored, code indices
   counted): test accuracy and relative layer-output error on test inputs.

The machine is shared with other jobs: timings are medians of interleaved
repetitions, and ratios come from the same run.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
from _record import comparison, record

FULL = "--full" in sys.argv
QUICK = "--quick" in sys.argv
ROWS = []  # this process's rows for the docs (see _record.py)


def measure(fn):
    """(wall seconds, CPU seconds, peak traced MiB, result) of one call."""
    tracemalloc.start()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return wall, cpu, peak, out


# ---------------------------------------------------------------------------
# 1. incremental truncated SVD (run in a child process per thread setting)
# ---------------------------------------------------------------------------


def part_incremental(repeats=3):
    from sklearn.decomposition import IncrementalPCA, TruncatedSVD

    from sksubspace.compression import IncrementalTruncatedSVD

    n, d, k, block = (20000, 500, 20, 500) if FULL else (5000, 300, 20, 250)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, k)) @ rng.standard_normal((k, d)) * np.geomspace(1, 0.1, d)
    X += 0.05 * rng.standard_normal((n, d))
    norm = np.linalg.norm(X)
    Xc = X - X.mean(axis=0)

    def ours():
        est = IncrementalTruncatedSVD(k)
        for lo in range(0, n, block):
            est.partial_fit(X[lo : lo + block])
        return est.components_

    def ipca():
        est = IncrementalPCA(k)
        for lo in range(0, n, block):
            est.partial_fit(X[lo : lo + block])
        return est.components_

    def tsvd():
        return TruncatedSVD(k, random_state=0).fit(X).components_

    def full_svd():
        return np.linalg.svd(X, full_matrices=False)[2][:k]

    methods = {
        "IncrementalTruncatedSVD (ours)": (ours, X),
        "IncrementalPCA (sklearn)": (ipca, Xc),
        "TruncatedSVD (sklearn, whole X)": (tsvd, X),
        "numpy.linalg.svd (whole X)": (full_svd, X),
    }
    runs = {name: [] for name in methods}
    for _ in range(repeats):  # interleaved
        for name, (fn, _) in methods.items():
            runs[name].append(measure(fn))
    s = np.linalg.svd(X, compute_uv=False)
    optimal = np.sqrt(np.sum(s[k:] ** 2)) / norm
    print(f"  X {n} x {d}, rank {k}, blocks of {block} rows; optimal rank-{k} error {optimal:.5f}")
    print(f"  {'method':<34}{'rel. error':>11}{'wall s':>9}{'cpu s':>8}{'peak MiB':>10}")
    t_ours = np.median([r[0] for r in runs["IncrementalTruncatedSVD (ours)"]])
    errors, cpus = {}, {}
    for name, (_, M) in methods.items():
        V = runs[name][-1][3]
        err = np.linalg.norm(M - M @ V.T @ V) / np.linalg.norm(M)
        wall = np.median([r[0] for r in runs[name]])
        cpu = np.median([r[1] for r in runs[name]])
        peak = np.median([r[2] for r in runs[name]])
        print(f"  {name:<34}{err:>11.5f}{wall:>9.3f}{cpu:>8.3f}{peak:>10.1f}")
        if name != "IncrementalTruncatedSVD (ours)":
            print(f"  {'':<34}time ratio ours / this: {t_ours / wall:.2f}")
        errors[name], cpus[name] = err, cpu
    ours = "IncrementalTruncatedSVD (ours)"
    for name in list(methods)[1:]:  # the parent fills in {threads}
        ROWS.append(
            comparison(
                f"{n:,} x {d}, rank {k}, blocks of {block}, {{threads}}, CPU time",
                ours="IncrementalTruncatedSVD",
                ours_time=cpus[ours],
                peer=name,
                peer_time=cpus[name],
                metric="relative error",
                ours_quality=errors[ours],
                peer_quality=errors[name],
                higher_is_better=False,
            )
        )


def run_child(threads, parts, label):
    """Run ``parts`` in a child process; its rows, with ``label`` as their ``{threads}``."""
    env = dict(os.environ)
    cmd = [sys.executable, __file__, "--child", *parts]
    cmd += ["--full"] if FULL else ["--quick"] if QUICK else []
    if threads == 1:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
        cmd = ["taskset", "-c", "0", *cmd]
    with tempfile.TemporaryDirectory() as tmp:
        rows_path = os.path.join(tmp, "rows.json")
        out = subprocess.run(
            [*cmd, "--rows", rows_path], env=env, capture_output=True, text=True, check=True
        )
        print(out.stdout, end="")
        with open(rows_path) as f:
            rows = json.load(f)
    for row in rows:
        row["workload"] = row["workload"].format(threads=label)
    return rows


# ---------------------------------------------------------------------------
# The MLP and its matrices
# ---------------------------------------------------------------------------


def train_mlp():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.3, random_state=0, stratify=y
    )
    t0 = time.perf_counter()
    mlp = MLPClassifier((128, 64), max_iter=30, batch_size=128, random_state=0)
    mlp.fit(X_train, y_train)
    print(
        f"MLPClassifier (128, 64) on digits: {time.perf_counter() - t0:.1f} s to train, "
        f"test accuracy {mlp.score(X_test, y_test):.3f}"
    )
    return mlp, X_train, X_test, y_train, y_test


def hidden(net, X):
    return np.maximum(X @ net.coefs_[0] + net.intercepts_[0], 0)


def smallest_rank_storage(A, threshold):
    s2 = np.linalg.svd(A, compute_uv=False) ** 2
    tails = np.sqrt(np.maximum(s2.sum() - np.cumsum(s2), 0) / s2.sum())
    r = int(np.argmax(tails <= threshold)) + 1
    return r * (A.shape[0] + A.shape[1])


def part_grouping(mlp, X_train, y_train):
    from sksubspace.compression import JointSVDClustering, concat_svd_error

    H1 = hidden(mlp, X_train)
    W1, W2 = mlp.coefs_[0], mlp.coefs_[1]
    collections = {
        "class activations of hidden layer 1 (10 x 128 x ~125)": (
            [H1[y_train == c].T for c in range(10)],
            4,
            [0.25, 0.3, 0.35, 0.4, 0.5],
        ),
        "weights in/out of hidden layer 1, 16-column blocks (8 x 128 x 16)": (
            [W1.T[:, j : j + 16] for j in range(0, 64, 16)]
            + [W2[:, j : j + 16] for j in range(0, 64, 16)],
            8,
            [0.6, 0.7, 0.8, 0.9],
        ),
    }
    for name, (mats, rank, thresholds) in collections.items():
        n, n_cols = mats[0].shape[0], sum(A.shape[1] for A in mats)
        original = n * n_cols
        per_matrix = len(mats) * n * rank + rank * n_cols
        print(f"\n  {name}, rank {rank}: {original} numbers")
        print(
            f"  one rank-{rank} SVD per matrix: {per_matrix / original:.3f} of them, worst "
            f"error {max(concat_svd_error([A], rank) for A in mats):.3f}; one rank-{rank} SVD "
            f"of all: {(n * rank + rank * n_cols) / original:.3f}, error "
            f"{concat_svd_error(mats, rank):.3f}"
        )
        print(
            f"  {'threshold':>9}  {'groups b/i/e':>13}  {'time b/i/e (s)':>20}  "
            f"{'worst err':>9}  {'grouped':>8}  {'one SVD, smallest rank':>22}"
        )
        for thr in thresholds:
            groups, times = [], []
            for alg in ("bound", "incremental", "exact"):
                wall, _, _, est = measure(
                    lambda a=alg, t=thr, r=rank, m=mats: JointSVDClustering(
                        t, rank=r, algorithm=a
                    ).fit(m)
                )
                groups.append(est.n_groups_)
                times.append(wall)
            print(
                f"  {thr:>9.2f}  {'/'.join(map(str, groups)):>13}  "
                f"{'/'.join(f'{t:.3f}' for t in times):>20}  {est.group_errors_.max():>9.3f}  "
                f"{est.n_parameters_ / original:>8.3f}  "
                f"{smallest_rank_storage(np.hstack(mats), thr) / original:>22.3f}"
            )


def part_cospadi(mlp, X_train, X_test, y_test):
    import copy

    from sksubspace.compression import cospadi_compress, low_rank_compress

    calibration = [X_train, hidden(mlp, X_train)]
    test_inputs = [X_test, hidden(mlp, X_test)]
    methods = {
        "plain SVD": lambda W, X, c: low_rank_compress(W, compression=c),
        "data-aware SVD": lambda W, X, c: low_rank_compress(W, X, compression=c),
        "CoSpaDi": lambda W, X, c: cospadi_compress(
            W, X, compression=c, max_iter=10, random_state=0
        ),
    }
    base = mlp.score(X_test, y_test)
    print(f"\n  uncompressed test accuracy {base:.3f}")
    print(
        f"  {'removed':>7}  {'method':<15}{'accuracy':>9}{'err layer 1':>12}{'err layer 2':>12}"
        f"{'time s':>8}"
    )
    for c in (0.2, 0.3, 0.4, 0.5):
        results = {}
        for name, compress in methods.items():
            net = copy.deepcopy(mlp)
            errs, wall = [], 0.0
            for layer in (0, 1):
                W = mlp.coefs_[layer]
                t, _, _, (F, G) = measure(
                    lambda W=W, L=layer, f=compress, c=c: f(W, calibration[L], c)
                )
                wall += t
                net.coefs_[layer] = F @ G
                Xt = test_inputs[layer]
                errs.append(np.linalg.norm(Xt @ (W - F @ G)) / np.linalg.norm(Xt @ W))
            print(
                f"  {c:>7.0%}  {name:<15}{net.score(X_test, y_test):>9.3f}"
                f"{errs[0]:>12.4f}{errs[1]:>12.4f}{wall:>8.2f}"
            )
            results[name] = (wall, net.score(X_test, y_test))
        for name in ("plain SVD", "data-aware SVD"):
            ROWS.append(
                comparison(
                    f"MLP on digits, {c:.0%} removed, {{threads}}",
                    ours="CoSpaDi",
                    ours_time=results["CoSpaDi"][0],
                    peer=f"{name} (truncated)",
                    peer_time=results[name][0],
                    metric="test accuracy",
                    ours_quality=results["CoSpaDi"][1],
                    peer_quality=results[name][1],
                )
            )


def main():
    warnings.simplefilter("ignore")
    if "--child" in sys.argv:
        if "incremental" in sys.argv:
            part_incremental(repeats=1 if QUICK else 3)
        if "mlp" in sys.argv:
            mlp, X_train, X_test, y_train, y_test = train_mlp()
            print(
                "\n2. Error-constrained grouping (JointSVDClustering; b/i/e = bound/incremental/exact)"
            )
            part_grouping(mlp, X_train, y_train)
            print("\n3. CoSpaDi vs truncated SVDs at equal storage")
            part_cospadi(mlp, X_train, X_test, y_test)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  (peak RSS of this process: {peak:.0f} MiB)")
        with open(sys.argv[sys.argv.index("--rows") + 1], "w") as f:
            json.dump(ROWS, f)
        return
    print("The machine was shared with other jobs while this ran.")
    print("\n1. Incremental truncated SVD, every method at 1 thread pinned to one core")
    rows = run_child(1, ["incremental"], "1 thread pinned")
    print(f"\n1. Incremental truncated SVD, every method at all {os.cpu_count()} cores")
    rows += run_child(None, ["incremental"], f"all {os.cpu_count()} cores")
    print("\nParts 2 and 3 at 1 thread pinned to one core (times are per fit)")
    rows += run_child(1, ["mlp"], "1 thread pinned")
    record(rows, family="Compressing collections of matrices")


if __name__ == "__main__":
    main()
