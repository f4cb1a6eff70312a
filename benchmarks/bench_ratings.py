"""Matrix completion on real ratings: SoftImpute's defaults against recommender baselines.

MovieLens-100K (943 users x 1682 items, 100,000 ratings on 1-5), read from the
``recbole==1.2.1`` wheel (see ``benchmarks/_movielens.py``), random 80/20 splits
of the ratings (seeds 0..4); test RMSE and MAE of the held-out ratings, fit
wall and CPU time (lambda selection included for ours), medians over the
splits. Every model sees the same training ratings:

* global training mean;
* ``SoftImpute()`` with its defaults on the CSR ratings matrix (regularized
  user and item biases fitted jointly with the low-rank part,
  ``shrinkage="auto"`` on a held-out tenth of the training ratings, then the
  refit on all), scored with ``predict_entries``; and with ``clip=True``;
* scikit-surprise ``BaselineOnly``, ``SVD`` (and ``SVDpp`` with ``--full``),
  and fancyimpute's ``SoftImpute`` on the dense NaN matrix (defaults), in
  their own environment (``--peer-python``; scikit-surprise needs numpy < 2,
  fancyimpute scikit-learn < 1.6), one process per split on the same saved
  ``.npz`` split. fancyimpute runs on the first split only unless ``--full``.

Ours and the peers alternate split by split. Everything runs at one thread
pinned to one core (surprise is single-threaded Cython); ours is also timed at
all cores. Peak memory: tracemalloc peak of our fit, peak RSS of the peer
process.

``--quick`` (the docs' quick run): 3 splits and no fancyimpute (at ~70 s a split
it would take most of the run; ``bench_soft_impute.py`` compares it on planted data).

Usage: ``PYTHONPATH=. python benchmarks/bench_ratings.py [--splits 5] [--full | --quick]
[--peer-python /work/venvs/ratings/bin/python]``
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _movielens import load_ml100k  # noqa: E402
from _record import comparison, record  # noqa: E402

from sksubspace.impute import SoftImpute  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def split(users, items, ratings, seed):
    test = np.random.default_rng(seed).random(ratings.size) < 0.2
    shape = (int(users.max()) + 1, int(items.max()) + 1)
    return {
        "shape": np.array(shape),
        "train_rows": users[~test],
        "train_cols": items[~test],
        "train_values": ratings[~test],
        "test_rows": users[test],
        "test_cols": items[test],
        "test_values": ratings[test],
    }


def scores(pred, truth):
    err = pred - truth
    return float(np.sqrt(np.mean(err**2))), float(np.mean(np.abs(err)))


def run_ours(d, threads, **params):
    X = sp.csr_matrix(
        (d["train_values"], (d["train_rows"], d["train_cols"])), shape=tuple(d["shape"])
    )
    est = SoftImpute(**params)
    with threadpool_limits(threads), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tracemalloc.start()
        t0, c0 = time.perf_counter(), time.process_time()
        est.fit(X)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    rmse, mae = scores(est.predict_entries(d["test_rows"], d["test_cols"]), d["test_values"])
    note = f"rank {est.rank_}, lambda {est.shrinkage_:.1f}, {est.n_iter_} it"
    if caught:
        note += f", {len(caught)} warning(s)"
    return {"rmse": rmse, "mae": mae, "wall": wall, "cpu": cpu, "peak_mib": peak, "note": note}


def run_peers(d, names, python, workdir, seed):
    path = os.path.join(workdir, f"split{seed}.npz")
    np.savez(path, **d)
    out = os.path.join(workdir, f"peers{seed}.json")
    env = dict(os.environ, **ONE_THREAD)
    cmd = ["taskset", "-c", "0", python, os.path.join(HERE, "_ratings_peers.py"), path, out]
    proc = subprocess.run(cmd + names, env=env, capture_output=True, text=True)
    if proc.returncode:
        print(f"  peers failed on split {seed}: {proc.stderr.strip().splitlines()[-1:]}")
        return {}
    with open(out) as f:
        return json.load(f)


def main(n_splits=5, full=False, peer_python=None, fancyimpute=True):
    data = load_ml100k()
    if data is None:
        print("MovieLens-100K not found: pip download --no-deps recbole==1.2.1 -d /work/ext/wheels")
        return
    users, items, ratings = data
    print(
        f"MovieLens-100K: {users.max() + 1} users x {items.max() + 1} items, {ratings.size} "
        f"ratings; {n_splits} random 80/20 splits; machine shared with other jobs "
        "(wall times noisy: CPU times and same-run ratios are the comparison)"
    )
    peers_all = ["BaselineOnly", "SVD"] + (["SVDpp"] if full else [])
    have_peers = peer_python is not None and os.path.exists(peer_python)
    if not have_peers:
        print(f"peer environment not found ({peer_python}): ours only")
    ours = {
        "SoftImpute() [defaults]": dict(),
        "SoftImpute(clip=True)": dict(clip=True),
    }
    results = {}

    def add(name, res):
        results.setdefault(name, []).append(res)

    os.sched_setaffinity(0, {0}) if hasattr(os, "sched_setaffinity") else None
    with tempfile.TemporaryDirectory() as workdir:
        for seed in range(n_splits):
            d = split(users, items, ratings, seed)
            mean = float(np.mean(d["train_values"]))
            rmse, mae = scores(np.full(d["test_values"].shape, mean), d["test_values"])
            add("global training mean", {"rmse": rmse, "mae": mae})
            for name, params in ours.items():
                add(name, run_ours(d, 1, **params))
            if have_peers:
                first = fancyimpute and seed == 0
                names = peers_all + (["fancyimpute"] if full or first else [])
                for name, res in run_peers(d, names, peer_python, workdir, seed).items():
                    add(name if name != "fancyimpute" else "fancyimpute SoftImpute()", res)
        all_cores = sorted(os.sched_getaffinity(0) | set(range(os.cpu_count() or 1)))
        os.sched_setaffinity(0, set(all_cores))
        for seed in range(n_splits):
            d = split(users, items, ratings, seed)
            add(f"SoftImpute() [defaults, {len(all_cores)} cores]", run_ours(d, None))

    print(
        f"\n{'model (same splits; medians)':<40}{'RMSE':>8}{'MAE':>8}{'wall s':>8}{'CPU s':>8}"
        f"{'peak MiB':>9}{'splits':>7}  notes"
    )
    for name, runs in results.items():
        med = {k: np.median([r[k] for r in runs]) for k in runs[0] if k != "note"}
        wall = f"{med['wall']:8.2f}" if "wall" in med else f"{'-':>8}"
        cpu = f"{med['cpu']:8.2f}" if "cpu" in med else f"{'-':>8}"
        mem = med.get("peak_mib", med.get("peak_rss_mib"))
        mem = f"{mem:9.0f}" if mem is not None else f"{'-':>9}"
        note = runs[len(runs) // 2].get("note", "")
        if "peak_rss_mib" in med:
            note = "peak = process RSS"
        print(
            f"{name:<40}{med['rmse']:8.4f}{med['mae']:8.4f}{wall}{cpu}{mem}{len(runs):>7}  {note}"
        )
    base = results.get("SoftImpute() [defaults]")
    if base:
        record(
            [
                comparison(
                    f"MovieLens-100K 80/20, {len(runs)} split(s), 1 thread, pinned (CPU time)",
                    ours="SoftImpute() [defaults]",
                    ours_time=np.median([r["cpu"] for r in base]),
                    peer=name,
                    peer_time=np.median([r["cpu"] for r in runs]),
                    metric="test RMSE",
                    ours_quality=np.median([r["rmse"] for r in base]),
                    peer_quality=np.median([r["rmse"] for r in runs]),
                    higher_is_better=False,
                )
                for name, runs in results.items()
                if "cpu" in runs[0] and not name.startswith("SoftImpute")
            ],
            family="Matrix completion",
        )
    for peer in ("BaselineOnly", "SVD"):
        if base and peer in results:
            ours_t = [r["wall"] for r in base]
            peer_t = [r["wall"] for r in results[peer]]
            ratio = np.median(np.array(ours_t[: len(peer_t)]) / np.array(peer_t))
            cpu_r = np.median(
                np.array([r["cpu"] for r in base][: len(peer_t)])
                / np.array([r["cpu"] for r in results[peer]])
            )
            d_rmse = np.median(
                np.array([r["rmse"] for r in base][: len(peer_t)])
                - np.array([r["rmse"] for r in results[peer]])
            )
            print(
                f"SoftImpute() vs {peer}: RMSE difference {d_rmse:+.4f} (median over splits), "
                f"fit time ratio {ratio:.2f} wall, {cpu_r:.2f} CPU (1 thread each)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="SVDpp, fancyimpute on every split")
    parser.add_argument("--quick", action="store_true", help="3 splits, no fancyimpute")
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("SKSUBSPACE_PEER_PYTHON", "/work/venvs/ratings/bin/python"),
    )
    args = parser.parse_args()
    splits = 3 if args.quick and args.splits == parser.get_default("splits") else args.splits
    main(splits, args.full, args.peer_python, fancyimpute=not args.quick)
