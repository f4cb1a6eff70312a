"""Batched OMP: sksubspace ``batched_omp`` / ``sparse_encode(algorithm="omp")`` vs SPAMS ``omp``.

8x8 patches of china.jpg (centered, scaled), a dictionary of 256 unit-norm
patches, 5 atoms per patch (issue 17's row: 20,000 signals). Each method runs in
its own child process on the same saved data, both at one thread pinned to a
core (``taskset -c 0``, ``*_NUM_THREADS=1``, SPAMS ``numThreads=1``) and both
at all cores (SPAMS ``numThreads=-1``). A child makes one warm-up call on the
data, then times three (median); children of the two methods alternate and the
medians over them are printed: CPU time of the call (all threads), wall time,
the child's
peak resident memory (``ru_maxrss``: interpreter and data included), relative
error, and how many patches get exactly scikit-learn's support
(``orthogonal_mp_gram`` on the first 2,000 patches, computed here).
``batched_omp`` returns the chosen atoms and their coefficients, as SPAMS
returns a sparse matrix; ``sparse_encode`` returns the dense (n, 256) array
(41 MB here: filling fresh pages of it is most of the difference). On NumPy
``batched_omp`` runs a compiled kernel (Numba), whose import (LLVM) adds about
95 MiB to our children's peak memory.

SPAMS (``pip install spams-bin``) runs under this interpreter, or under
``--spams-python`` (a virtual environment that has it); without it only
sksubspace runs. The recorded run uses an interpreter with both (project
dependencies, Numba included, and ``spams-bin``) for the runner and the script.

    PYTHONPATH=. python benchmarks/bench_sparse_coding.py [--n 20000] [--repeats 5]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _child import report, run_child, thread_settings, timed  # noqa: E402
from _patches import china_patches  # noqa: E402
from _record import comparison, record  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N_CHECK = 2000  # patches whose supports are compared with scikit-learn's


def child(method, path, n_threads):
    data = np.load(path)
    X, D, k = data["X"], data["D"], int(data["k"])
    if method == "batched_omp":  # the pursuit itself: indices and coefficients
        from sksubspace._linalg import batched_omp, omp_codes_dense

        def code(X):
            return batched_omp(X, D, n_nonzero_coefs=k)

        def dense(out):
            return omp_codes_dense(*out, D.shape[0])
    elif method == "sparse_encode":  # the public function: a dense (n, n_atoms) array
        from sksubspace.decomposition import sparse_encode

        def code(X):
            return sparse_encode(X, D, algorithm="omp", n_nonzero_coefs=k)

        def dense(out):
            return out
    else:  # SPAMS: a sparse CSC matrix of codes
        import spams

        Xf, Df = np.asfortranarray(X.T), np.asfortranarray(D.T)

        def code(X):
            return spams.omp(Xf, Df, L=k, numThreads=n_threads)

        def dense(out):
            return out.T.toarray()

    out = code(X)  # warm-up on the same data: lazy imports, thread pools, memory
    cpu, wall = [], []
    for _ in range(3):
        del out
        out, c, w = timed(lambda: code(X))
        cpu.append(c)
        wall.append(w)
    C = dense(out)
    err = np.linalg.norm(X - C @ D) / np.linalg.norm(X)
    supports = [sorted(np.flatnonzero(row).tolist()) for row in C[:N_CHECK]]
    report(
        cpu=float(np.median(cpu)), wall=float(np.median(wall)), err=float(err), supports=supports
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="patches (default 20,000)")
    parser.add_argument("--atoms", type=int, default=256)
    parser.add_argument("--k", type=int, default=5, help="atoms per patch")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one run per method")
    parser.add_argument("--spams-python", default=None, help="interpreter that imports spams")
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "NPZ", "THREADS"))
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], args.child[1], int(args.child[2]))
    if args.quick:
        args.repeats = 1

    from sklearn.linear_model import orthogonal_mp_gram

    X = china_patches(args.n)
    rng = np.random.RandomState(1)
    D = china_patches(5000, random_state=1)[rng.choice(5000, args.atoms, replace=False)]
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    with warnings.catch_warnings():  # "ended prematurely" on a few patches
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = orthogonal_mp_gram(D @ D.T, D @ X[:N_CHECK].T, n_nonzero_coefs=args.k).T
    ref_supports = [sorted(np.flatnonzero(row).tolist()) for row in ref]

    spams_python = args.spams_python or sys.executable
    methods = [("batched_omp", sys.executable), ("sparse_encode", sys.executable)]
    probe = subprocess.run([spams_python, "-c", "import spams"], capture_output=True)
    if probe.returncode == 0:
        methods.append(("SPAMS", spams_python))
    else:
        print("SPAMS: not importable (pip install spams-bin, or pass --spams-python)\n")

    print(
        f"{args.n} patches (8x8 china.jpg), {args.atoms} unit atoms, {args.k} atoms per patch; "
        f"median of {args.repeats} interleaved runs per method; machine shared with others"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npz")
        np.savez(path, X=X, D=D, k=args.k)
        for label, env, prefix in thread_settings(pythonpath=ROOT):
            threads = 1 if "1 thread" in label else -1
            runs = {m: [] for m, _ in methods}
            for _ in range(args.repeats):
                for m, py in methods:
                    cmd = [os.path.abspath(__file__), "--child", m, path, str(threads)]
                    runs[m].append(run_child(cmd, env, prefix, python=py))
            print(f"\n{label}")
            print(
                f"  {'method':14s} {'CPU s':>7s} {'wall s':>7s} {'peak MiB':>9s} "
                f"{'rel. err':>9s} {'sklearn supports':>17s}"
            )
            med, err = {}, {}
            for m, rs in runs.items():
                cpu = float(np.median([r["cpu"] for r in rs]))
                wall = float(np.median([r["wall"] for r in rs]))
                peak = max(r["peak_mib"] for r in rs)
                same = np.mean(
                    [a == b for a, b in zip(rs[0]["supports"], ref_supports, strict=True)]
                )
                med[m] = (cpu, wall)
                err[m] = rs[0]["err"]
                print(
                    f"  {m:14s} {cpu:7.3f} {wall:7.3f} {peak:9.0f} {rs[0]['err']:9.5f} "
                    f"{100 * same:16.2f}%"
                )
            if "SPAMS" in med:
                for m in ("batched_omp", "sparse_encode"):
                    (c0, w0), (c1, w1) = med[m], med["SPAMS"]
                    print(f"  {m} / SPAMS: CPU {c0 / c1:.2f}, wall {w0 / w1:.2f}")
                rows.append(
                    comparison(
                        f"OMP, {args.n} 8x8 patches, {args.atoms} atoms, k={args.k}, {label}",
                        ours="batched_omp",
                        ours_time=med["batched_omp"][0],
                        peer="SPAMS omp",
                        peer_time=med["SPAMS"][0],
                        metric="relative error",
                        ours_quality=err["batched_omp"],
                        peer_quality=err["SPAMS"],
                        higher_is_better=False,
                    )
                )
    record(rows, family="Dictionary learning")


if __name__ == "__main__":
    main()
