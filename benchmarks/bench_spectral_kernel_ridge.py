"""SpectrallyTransformedKernelRidge vs scikit-learn's LabelSpreading and KernelRidge, 1% labels.

Usage: PYTHONPATH=. python benchmarks/bench_spectral_kernel_ridge.py [n] [repeats]

Two semi-supervised problems whose classes are manifolds (concentric circles,
two moons), ``n`` training points of which 1% are labeled (targets +-1, NaN
for the others), and 2,000 held-out points. Three models on the same data:

* STKR (``SpectrallyTransformedKernelRidge``, rbf base kernel, the default
  polynomial transform) fitted on all ``n`` rows, predicting the held-out
  points inductively;
* scikit-learn's ``LabelSpreading`` (the tool a scikit-learn user would pick
  for this, rbf and kNN graphs), transductive, with its ``predict`` for the
  held-out points;
* scikit-learn's ``KernelRidge`` on the labeled rows only (what ignoring the
  unlabeled rows gives).

Printed per problem: held-out accuracy of sign(prediction) (medians over
``repeats`` label draws), fit time (median) and the time ratio ours /
LabelSpreading.
"""

import sys
import time

import numpy as np
from sklearn.datasets import make_circles, make_moons
from sklearn.kernel_ridge import KernelRidge
from sklearn.semi_supervised import LabelSpreading

from sksubspace.kernel_ridge import SpectrallyTransformedKernelRidge

PROBLEMS = {
    # name: (generator, rbf gamma)
    "circles": (lambda n, s: make_circles(n, noise=0.03, factor=0.5, random_state=s), 100.0),
    "moons": (lambda n, s: make_moons(n, noise=0.05, random_state=s), 20.0),
}


def _labels(labels, frac, rng):
    """Targets +-1 on ``frac`` of the rows (at least one per class), NaN elsewhere."""
    n = labels.size
    per = max(1, int(round(frac * n / 2)))
    known = np.concatenate(
        [rng.choice(np.flatnonzero(labels == c), per, replace=False) for c in (0, 1)]
    )
    y = np.full(n, np.nan)
    y[known] = 2.0 * labels[known] - 1
    return y, known


def _models(gamma):
    return {
        "STKR": lambda: SpectrallyTransformedKernelRidge(gamma=gamma, random_state=0),
        "LabelSpreading rbf": lambda: LabelSpreading(kernel="rbf", gamma=gamma, max_iter=1000),
        "LabelSpreading knn": lambda: LabelSpreading(kernel="knn", n_neighbors=10, max_iter=1000),
        "KernelRidge (labeled)": lambda: KernelRidge(alpha=1e-3, kernel="rbf", gamma=gamma),
    }


def _fit_score(name, model, X, y, known, labels, Xt, yt):
    t = time.perf_counter()
    if name.startswith("LabelSpreading"):
        model.fit(X, np.where(np.isnan(y), -1, (y > 0).astype(int)))
        elapsed = time.perf_counter() - t
        return np.mean(model.predict(Xt) == yt), elapsed
    if name.startswith("KernelRidge"):
        model.fit(X[known], y[known])
    else:
        model.fit(X, y)
    elapsed = time.perf_counter() - t
    return np.mean((model.predict(Xt) > 0) == yt), elapsed


def main(n=4000, repeats=3, frac=0.01):
    print(f"n={n} training rows, {frac:.0%} labeled, 2,000 held-out rows, medians of {repeats}")
    for problem, (make, gamma) in PROBLEMS.items():
        X, labels = make(n, 0)
        Xt, yt = make(2000, 1)
        results = {name: ([], []) for name in _models(gamma)}
        for r in range(repeats):
            y, known = _labels(labels, frac, np.random.default_rng(r))
            for name, factory in _models(gamma).items():
                acc, t = _fit_score(name, factory(), X, y, known, labels, Xt, yt)
                results[name][0].append(acc)
                results[name][1].append(t)
        print(f"\n{problem} (rbf gamma={gamma})")
        ref = np.median(results["LabelSpreading rbf"][1])
        for name, (accs, times) in results.items():
            t = np.median(times)
            print(
                f"  {name:22s} held-out accuracy {np.median(accs):.3f} "
                f"(min {np.min(accs):.3f})  fit {t:7.3f}s  time / LabelSpreading rbf {t / ref:6.2f}"
            )


if __name__ == "__main__":
    conv = [int, int, float]
    main(*[c(a) for c, a in zip(conv, sys.argv[1:], strict=False)])
