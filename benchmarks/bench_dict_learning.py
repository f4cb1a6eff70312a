"""OnlineDictionaryLearning vs scikit-learn MiniBatchDictionaryLearning: time to the same objective.

8x8 patches of china.jpg, 256 atoms, alpha=1 for both. scikit-learn runs one
epoch (fit_algorithm="cd", batch_size=256); its objective
``mean 0.5 ||x - c D||^2 + alpha ||c||_1`` is evaluated on a fixed held-out
set of patches with accurate lasso codes. Ours runs until the same evaluation
is within 1% of it (evaluation time excluded) and reports the time, for each
configuration ``BATCHxFISTA_ITERS`` given (all in the same process as sklearn).
Usage: PYTHONPATH=. python benchmarks/bench_dict_learning.py [n_patches] [configs]
e.g. ``... 100000 1024x30,1024x15``.
"""

import sys
import time
import warnings

import numpy as np
from sklearn.decomposition import MiniBatchDictionaryLearning

from sksubspace.decomposition import OnlineDictionaryLearning, sparse_encode

sys.path.insert(0, "benchmarks")
from _patches import china_patches  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
configs = sys.argv[2] if len(sys.argv) > 2 else "1024x10,2048x10"
configs = [tuple(int(v) for v in c.split("x")) for c in configs.split(",")]
alpha, k = 1.0, 256
X = china_patches(n)
X_eval = china_patches(1000, random_state=7)


def objective(D):
    C = sparse_encode(X_eval, D, algorithm="lasso", alpha=alpha, max_iter=2000, tol=1e-6)
    return float(np.mean(0.5 * np.sum((X_eval - C @ D) ** 2, axis=1) + alpha * np.abs(C).sum(1)))


t0 = time.perf_counter()
sk = MiniBatchDictionaryLearning(
    k, alpha=alpha, batch_size=256, max_iter=1, fit_algorithm="cd", random_state=0
).fit(X)
t_sk = time.perf_counter() - t0
f_sk = objective(sk.components_)
print(f"{n} patches, {k} atoms, alpha={alpha}")
print(f"sklearn MiniBatchDictionaryLearning (1 epoch): {t_sk:8.2f} s, objective {f_sk:.5f}")


def run(batch_size, fit_max_iter):
    state = {"t": 0.0, "last": time.perf_counter(), "f": None, "reached": None}

    def callback(info):
        now = time.perf_counter()
        state["t"] += now - state["last"]
        stop = False
        if info["step"] % 2 == 0 if info["step"] <= 40 else info["step"] % 5 == 0:
            f = objective(np.asarray(info["components"]))
            state["f"] = f
            if f <= 1.01 * f_sk and state["reached"] is None:
                state["reached"] = state["t"]
                stop = True
        state["last"] = time.perf_counter()
        return stop

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state["last"] = time.perf_counter()
        ours = OnlineDictionaryLearning(
            k,
            alpha=alpha,
            batch_size=batch_size,
            fit_max_iter=fit_max_iter,
            max_iter=5,
            tol=0,
            max_no_improvement=None,
            callback=callback,
            random_state=0,
        ).fit(X)
    tag = f"batch {batch_size}, {fit_max_iter} FISTA its"
    if state["reached"] is not None:
        print(
            f"sksubspace OnlineDictionaryLearning ({tag}) reached {state['f']:.5f} "
            f"(<= 1.01 x sklearn) in {state['reached']:8.2f} s ({ours.n_steps_} steps, "
            f"{ours.n_steps_ * batch_size} patches); time ratio ours / sklearn = "
            f"{state['reached'] / t_sk:.3f}"
        )
    else:
        print(
            f"sksubspace ({tag}) did not reach 1.01 x sklearn's objective: {state['f']:.5f} "
            f"after {state['t']:.2f} s ({ours.n_steps_} steps)"
        )


for batch_size, fit_max_iter in configs:
    run(batch_size, fit_max_iter)
