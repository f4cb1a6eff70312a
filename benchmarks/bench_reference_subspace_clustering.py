"""sksubspace.cluster vs the reference EnSC / SSC-OMP code of You et al. on their synthetic setting.

Data (You et al.'s own synthetic setting): 10 subspaces of dimension 5 in R^30,
300 points each, points uniform on the unit sphere of their subspace plus
Gaussian noise of standard deviation 0.05 per coordinate; ``--full`` adds 20
subspaces of dimension 10 in R^100, 500 points each (10,000 points; there
EnSC, SSC, SSC-OMP at ``n_nonzero=5``, TSC, LSR, the baselines and the
reference). Each is
saved once to an ``.npz`` and every method runs in its own child process on it:
ours under this interpreter (every estimator of ``sksubspace.cluster``
practical at this size, at its defaults, SSC-OMP also at the reference's
``n_nonzero=5``; scikit-learn's KMeans and SpectralClustering as baselines),
the reference (``ElasticNetSubspaceClustering(algorithm="spams", gamma=50,
tau=0.9)`` and ``SparseSubspaceClusteringOMP(n_nonzero=5)``) under its own
interpreter, from its own checkout. Both at one thread pinned to a core
(``taskset -c 0``, ``*_NUM_THREADS=1``) and both at all cores. Printed: ACC,
NMI, CPU time of ``fit`` (all threads), wall time and the child's peak
resident memory (``ru_maxrss``: interpreter, imports and data included;
ours includes Numba's ~110 MiB and scikit-learn 1.9's import of pandas,
installed here by the test extra: ~30 MiB), the resident memory the fit
itself adds (``fit MiB``: sampled while it runs, over what the process held
before it), and for ours the one-time CPU time of a
tiny warm-up fit that loads the compiled kernels (``load``: once per
process, outside the timed fit, as the reference's library loads at import),
medians over ``--repeats`` interleaved runs for the methods that take under
10 CPU-s (one run for slower ones).

The reference is not part of this project. Clone it outside the repository and
give an interpreter that has its dependencies (``spams-bin``, ``progressbar2``,
scikit-learn, SciPy)::

    git clone https://github.com/ChongYou/subspace-clustering /path/to/subspace-clustering
    python -m venv /path/to/ref-venv
    /path/to/ref-venv/bin/pip install spams-bin progressbar2 scikit-learn scipy
    PYTHONPATH=. python benchmarks/bench_reference_subspace_clustering.py \\
        --reference /path/to/subspace-clustering --reference-python /path/to/ref-venv/bin/python

or set ``SKSUBSPACE_REFERENCE`` and ``SKSUBSPACE_REFERENCE_PYTHON``. Without
them (or when the checkout cannot be imported) the reference rows are skipped.
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import warnings
from contextlib import redirect_stderr

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _child import report, rss_added, run_child, thread_settings, timed  # noqa: E402
from _record import comparison, record  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THIS = os.path.abspath(__file__)

OURS = [
    "SSC",
    "EnSC",
    "SSC-OMP (n_nonzero=5)",
    "SSC-OMP (defaults)",
    "LSR",
    "LRR",
    "TSC",
    "KSubspaces",
    "sklearn KMeans",
    "sklearn SpectralClustering",
]
REFERENCE = ["reference EnSC (spams)", "reference SSC-OMP"]
PAIRS = [("EnSC", "reference EnSC (spams)"), ("SSC-OMP (n_nonzero=5)", "reference SSC-OMP")]
QUICK = ["TSC", "LSR", "sklearn KMeans", "sklearn SpectralClustering"]


def ours(name, k):
    from sklearn.cluster import KMeans, SpectralClustering

    from sksubspace import cluster as sc

    return {
        "SSC": lambda: sc.SparseSubspaceClustering(k, random_state=0),
        "EnSC": lambda: sc.ElasticNetSubspaceClustering(k, random_state=0),
        "SSC-OMP (n_nonzero=5)": lambda: sc.OMPSubspaceClustering(k, n_nonzero=5, random_state=0),
        "SSC-OMP (defaults)": lambda: sc.OMPSubspaceClustering(k, random_state=0),
        "LSR": lambda: sc.LeastSquaresSubspaceClustering(k, random_state=0),
        "LRR": lambda: sc.LowRankRepresentation(k, random_state=0),
        "TSC": lambda: sc.ThresholdingSubspaceClustering(k, random_state=0),
        "KSubspaces": lambda: sc.KSubspaces(k, random_state=0),
        "sklearn KMeans": lambda: KMeans(k, n_init=10, random_state=0),
        "sklearn SpectralClustering": lambda: SpectralClustering(
            k, affinity="nearest_neighbors", random_state=0
        ),
    }[name]()


def reference(name, k):
    """The reference's estimators (run from its checkout, the working directory)."""
    sys.path.insert(0, os.getcwd())
    from cluster.selfrepresentation import ElasticNetSubspaceClustering, SparseSubspaceClusteringOMP

    if name == "reference EnSC (spams)":
        return ElasticNetSubspaceClustering(
            n_clusters=k, algorithm="spams", gamma=50, tau=0.9, random_state=0
        )
    return SparseSubspaceClusteringOMP(n_clusters=k, n_nonzero=5, random_state=0)


def child(name, path):
    data = np.load(path)
    X, k = data["X"], int(data["k"])
    est = reference(name, k) if name in REFERENCE else ours(name, k)
    load = 0.0
    if name not in REFERENCE:
        # once per process: loading the compiled kernels (Numba's cache) on a
        # tiny fit, timed apart (the reference loads its library at import)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, load, _ = timed(lambda: ours(name, k).fit(X[: 20 * k]))
    with warnings.catch_warnings(record=True) as caught, redirect_stderr(io.StringIO()):
        warnings.simplefilter("always")  # the reference's progress bar goes to stderr
        (_, cpu, wall), added = rss_added(lambda: timed(lambda: est.fit(X)))
    warned = [f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught]
    labels = np.asarray(est.labels_).tolist()
    report(cpu=cpu, wall=wall, labels=labels, warnings=warned[:1], load=load, added=added)


def make_data(full):
    from sksubspace.datasets import make_subspaces

    # make_subspaces' noise is the expected noise norm: std 0.05 per coordinate
    sets = [("3,000 points: 10 subspaces of dim 5 in R^30, noise std 0.05", 10, 5, 30, 300)]
    if full:
        sets.append(
            ("10,000 points: 20 subspaces of dim 10 in R^100, noise std 0.05", 20, 10, 100, 500)
        )
    for title, k, dim, ambient, per in sets:
        X, y, _ = make_subspaces(
            k, dim, ambient, per, noise=0.05 * np.sqrt(ambient), random_state=0
        )
        yield title, k, X, y


def reference_ready(path, python):
    if not path:
        return "no reference checkout given (--reference or SKSUBSPACE_REFERENCE)"
    if not os.path.isdir(os.path.join(path, "cluster")):
        return f"{path} is not a checkout of ChongYou/subspace-clustering"
    probe = subprocess.run(
        [python, "-c", "import cluster.selfrepresentation"],
        cwd=path,
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"{python} cannot import it: {probe.stderr.strip().splitlines()[-1]}"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="add the 10,000-point set")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reference", default=os.environ.get("SKSUBSPACE_REFERENCE"))
    parser.add_argument(
        "--reference-python", default=os.environ.get("SKSUBSPACE_REFERENCE_PYTHON", sys.executable)
    )
    parser.add_argument("--only", nargs="*", help="run only these methods (names as printed)")
    parser.add_argument(
        "--quick", action="store_true", help="one run each; EnSC, SSC-OMP, the baselines"
    )
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "NPZ"))
    args = parser.parse_args()
    if args.child:
        return child(*args.child)

    from sklearn.metrics import normalized_mutual_info_score

    from sksubspace.metrics import clustering_accuracy

    methods = [(m, sys.executable, None) for m in OURS]
    why = reference_ready(args.reference, args.reference_python)
    if why:
        print(f"reference skipped: {why}")
        print(
            "  (git clone https://github.com/ChongYou/subspace-clustering outside the repository)"
        )
    else:
        methods += [(m, args.reference_python, args.reference) for m in REFERENCE]
    if args.quick:
        args.repeats = 1
        args.only = args.only or [m for pair in PAIRS for m in pair] + QUICK
    if args.only:
        methods = [m for m in methods if m[0] in args.only]
    print("machine shared with other jobs: compare ratios within one run, not across runs")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for title, k, X, y in make_data(args.full):
            path = os.path.join(tmp, f"data_{k}.npz")
            np.savez(path, X=X, k=k)
            here = methods
            if X.shape[0] > 3000 and not args.only:
                # the large set: the pairs, SSC and the fast ones (LRR, KSubspaces
                # and the default SSC-OMP only at 3,000 points)
                keep = {m for pair in PAIRS for m in pair} | set(QUICK) | {"SSC"}
                here = [m for m in methods if m[0] in keep]
            for label, env, prefix in thread_settings(pythonpath=ROOT):
                print(f"\n{title}; {label}")
                runs = {m: [] for m, _, _ in here}
                for rep in range(args.repeats):
                    for m, py, cwd in here:
                        if rep and min(r["cpu"] for r in runs[m]) > 10:
                            continue  # slow: one run
                        runs[m].append(
                            run_child([THIS, "--child", m, path], env, prefix, python=py, cwd=cwd)
                        )
                print(
                    f"  {'method':28s} {'ACC':>6s} {'NMI':>6s} {'CPU s':>8s} {'wall s':>8s} "
                    f"{'peak MiB':>9s} {'fit MiB':>8s} {'runs':>4s} {'load CPU s':>10s}"
                )
                med, accs = {}, {}
                for m, rs in runs.items():
                    cpu = float(np.median([r["cpu"] for r in rs]))
                    wall = float(np.median([r["wall"] for r in rs]))
                    peak = max(r["peak_mib"] for r in rs)
                    added = max(r.get("added") or 0.0 for r in rs)
                    labels = np.asarray(rs[0]["labels"])
                    acc = clustering_accuracy(y, labels)
                    nmi = normalized_mutual_info_score(y, labels)
                    med[m] = (cpu, wall, peak, added)
                    accs[m] = acc
                    load = float(np.median([r.get("load", 0.0) for r in rs]))
                    print(
                        f"  {m:28s} {acc:6.3f} {nmi:6.3f} {cpu:8.2f} {wall:8.2f} {peak:9.0f} "
                        f"{added:8.0f} {len(rs):4d} {load:10.2f}"
                    )
                for m, rs in runs.items():
                    for w in rs[0].get("warnings", []):
                        print(f"  note: {m} warned: {w}")
                for ours, ref in PAIRS:
                    if ours in med and ref in med:
                        (c0, w0, p0, a0), (c1, w1, p1, a1) = med[ours], med[ref]
                        print(
                            f"  {ours} / {ref}: CPU {c0 / c1:.2f}, wall {w0 / w1:.2f}, "
                            f"peak memory {p0 / p1:.2f}, memory the fit adds {a0 / max(a1, 1):.2f}"
                        )
                        rows.append(
                            comparison(
                                f"{title.split(':')[0]}, {label} (CPU time)",
                                ours=ours,
                                ours_time=c0,
                                peer=ref,
                                peer_time=c1,
                                metric="ACC",
                                ours_quality=accs[ours],
                                peer_quality=accs[ref],
                            )
                        )
    record(rows, family="Subspace clustering")


if __name__ == "__main__":
    main()
