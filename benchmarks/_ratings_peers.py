"""Peers of bench_ratings.py, run in their own environment on a saved split.

Usage: ``python _ratings_peers.py split.npz out.json name [name ...]`` with names
among ``BaselineOnly``, ``SVD``, ``SVDpp`` (scikit-surprise) and
``fancyimpute`` (its SoftImpute on the dense NaN matrix, default parameters;
needs scikit-learn < 1.6). Each is fitted as its users call it, with default
parameters; writes test RMSE / MAE, fit wall and CPU time and peak RSS.
"""

import json
import resource
import sys
import time
import types

import numpy as np


def surprise_model(name, d):
    import pandas as pd
    import surprise

    tr = pd.DataFrame({"u": d["train_rows"], "i": d["train_cols"], "r": d["train_values"]})
    reader = surprise.Reader(rating_scale=(1, 5))
    trainset = surprise.Dataset.load_from_df(tr, reader).build_full_trainset()
    algo = getattr(surprise, name)(random_state=0) if name != "BaselineOnly" else None
    if algo is None:
        algo = surprise.BaselineOnly(verbose=False)

    def fit():
        algo.fit(trainset)

    def predict():
        return np.array(
            [
                algo.predict(int(u), int(i)).est
                for u, i in zip(d["test_rows"], d["test_cols"], strict=True)
            ]
        )

    return fit, predict


def fancy_model(d):
    # fancyimpute 0.7 imports cvxpy for NuclearNormMinimization only.
    sys.modules.setdefault("cvxpy", types.ModuleType("cvxpy"))
    from fancyimpute import SoftImpute

    m, n = (int(v) for v in d["shape"])
    X = np.full((m, n), np.nan)
    X[d["train_rows"], d["train_cols"]] = d["train_values"]
    out = {}

    def fit():
        out["Z"] = SoftImpute(verbose=False).fit_transform(X)

    def predict():
        return out["Z"][d["test_rows"], d["test_cols"]]

    return fit, predict


def main(split, dest, names):
    d = dict(np.load(split))
    truth = d["test_values"]
    results = {}
    for name in names:
        fit, predict = fancy_model(d) if name == "fancyimpute" else surprise_model(name, d)
        t0, c0 = time.perf_counter(), time.process_time()
        fit()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        err = predict() - truth
        results[name] = {
            "rmse": float(np.sqrt(np.mean(err**2))),
            "mae": float(np.mean(np.abs(err))),
            "wall": wall,
            "cpu": cpu,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    with open(dest, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
