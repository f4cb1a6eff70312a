"""NystromKernelRidge (FALKON) vs scikit-learn's Nystroem + Ridge, same process, same data.

Usage: PYTHONPATH=. python benchmarks/bench_nystrom_kernel_ridge.py [n] [M] [repeats] [big_n] [big_M]
Planted smooth regression in d=10. Prints test MSE, median fit time and the
peak traced memory (tracemalloc) of both, then the large case for ours only
(fit time, peak memory).

Measured on the shared 2-core machine (heavily loaded, 2026-11-23), n=40,000
instead of 100,000 because scikit-learn's Nystroem + Ridge holds several
n x M float64 blocks and the machine's per-run memory budget is 3 GB:
  sklearn Nystroem+Ridge : test MSE 0.031435  fit 69.82s  peak 1286 MiB
  NystromKernelRidge     : test MSE 0.031470  fit 16.24s  peak 249 MiB
  MSE ratio 1.0011  time ratio ours/sklearn 0.23  memory ratio 0.194
Large case, ours only (n=1,000,000 with M=5,000 did not fit in the time left on
the shared machine; this smaller one did):
  large: n=300000 M=3000 float32: fit 93.2s  test MSE 0.026053  peak traced
  511 MiB  process max RSS 695 MiB
"""

import sys
import time
import tracemalloc

import numpy as np
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from sksubspace.kernel_ridge import NystromKernelRidge

GAMMA, PENALTY = 0.1, 1e-7


def data(n, d=10, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d)).astype(dtype)
    f = np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + X[:, 2] ** 2 + 0.5 * X[:, 3] * X[:, 4]
    return X, (f + 0.1 * rng.standard_normal(n)).astype(dtype), f


def timed(make, X, y, repeats):
    times = []
    for _ in range(repeats):
        m = make()
        t = time.perf_counter()
        m.fit(X, y)
        times.append(time.perf_counter() - t)
    tracemalloc.start()
    m = make().fit(X, y)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return m, float(np.median(times)), peak


def main(n=100_000, M=2000, repeats=1, big_n=0, big_M=5000):
    X, y, _ = data(n)
    Xt, _, ft = data(5000, seed=1)

    def sk():
        return make_pipeline(
            Nystroem(gamma=GAMMA, n_components=M, random_state=0), Ridge(alpha=PENALTY * n)
        )

    def ours():
        return NystromKernelRidge(penalty=PENALTY, n_centers=M, gamma=GAMMA, random_state=0)

    m_us, t_us, p_us = timed(ours, X, y, repeats)
    m_sk, t_sk, p_sk = timed(sk, X, y, repeats)
    e_us = np.mean((m_us.predict(Xt) - ft) ** 2)
    e_sk = np.mean((m_sk.predict(Xt) - ft) ** 2)
    print(f"n={n} d=10 M={M} rbf gamma={GAMMA} penalty={PENALTY}, median of {repeats}")
    print(f"sklearn Nystroem+Ridge : test MSE {e_sk:.6f}  fit {t_sk:.2f}s  peak {p_sk:.0f} MiB")
    print(f"NystromKernelRidge     : test MSE {e_us:.6f}  fit {t_us:.2f}s  peak {p_us:.0f} MiB")
    print(
        f"MSE ratio {e_us / e_sk:.4f}  time ratio ours/sklearn {t_us / t_sk:.2f}  "
        f"memory ratio {p_us / p_sk:.3f}"
    )
    if big_n:
        import resource

        Xb, yb, _ = data(big_n, dtype=np.float32)
        m, t_big, p_big = timed(
            lambda: NystromKernelRidge(
                penalty=PENALTY, n_centers=big_M, gamma=GAMMA, random_state=0
            ),
            Xb,
            yb,
            1,
        )
        e_big = np.mean((m.predict(Xt.astype(np.float32)) - ft) ** 2)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
        print(
            f"large: n={big_n} M={big_M} float32: fit {t_big:.1f}s  test MSE {e_big:.6f}  "
            f"peak traced {p_big:.0f} MiB  process max RSS {rss:.0f} MiB"
        )


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:]])
