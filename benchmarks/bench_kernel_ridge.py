"""KernelRidge (sksubspace) vs scikit-learn's KernelRidge, same process, same data.

Usage: PYTHONPATH=. python benchmarks/bench_kernel_ridge.py [n] [repeats] [big_n]
Prints test MSE of both, their fit times (median) and the time ratio, and the
peak extra memory of each fit (tracemalloc). With ``big_n``, first a float32
fit of ours at that size in a child process, with its peak RSS against the
size of one ``n x n`` float32 kernel (the fit holds exactly one: the kernel is
built in place and the Cholesky factor overwrites it).

Measured on the shared 2-core machine (heavily loaded, 2026-11-23), n=10,000:
  scikit-learn KernelRidge: test MSE 0.017468  fit 62.87s  peak 858 MiB
  sksubspace   KernelRidge: test MSE 0.017468  fit 47.86s  peak 764 MiB
  max |prediction difference| 2.17e-13; time ratio 0.76, memory ratio 0.89

Re-run on the idle machine (2026-11-23, after the kernel passes went to host
threads; ``... 10000 3``):
  scikit-learn KernelRidge: test MSE 0.017468  fit 10.42s  peak 858 MiB
  sksubspace   KernelRidge: test MSE 0.017468  fit 6.16s  peak 764 MiB
  max |prediction difference| 2.17e-13; time ratio 0.59, memory ratio 0.89
  (float32 fit at n=10,000: 3.81 s; 3.10 s once large kernel matrices were
  filled by row blocks on host threads, float64 unchanged at 6.19 s: the
  Cholesky factorization dominates)

Float32 at large n (2026-11-23, machine load average ~20 on 2 cores,
OPENBLAS_NUM_THREADS=1, so the time is ~10x what an idle machine gives):
  KernelRidge float32 n=26000: fit 1021.1s  test MSE 0.009040  coef float32
  peak RSS 2745 MiB (base 134, fit 2611; one n x n float32 kernel = 2579 MiB)
The fit holds one n x n float32 array and ~32 MiB more (no float64 copy, no
second n x n temporary). Re-run at n = 30,000 once the machine was idle
(load average 0, default BLAS threads; ``... 0 1 30000``):
  KernelRidge float32 n=30000: fit 77.6s  test MSE 0.008574  coef float32
  peak RSS 3605 MiB (base 134, fit 3471; one n x n float32 kernel = 3433 MiB)
"""

import sys
import time
import tracemalloc

import numpy as np
from _record import comparison, record
from sklearn.kernel_ridge import KernelRidge as SkKernelRidge

from sksubspace.kernel_ridge import KernelRidge


def data(n, d=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d))
    f = np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + X[:, 2] ** 2
    return X, f + 0.1 * rng.standard_normal(n), f


def run(model, X, y, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - t)
    tracemalloc.start()
    model.fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return float(np.median(times)), peak / 2**20


def _big_child(n, queue):
    """Float32 fit at size n in a fresh process: time, test MSE, peak RSS."""
    import resource

    X, y, _ = data(n)
    X, y = X.astype(np.float32), y.astype(np.float32)
    Xt, _, ft = data(2000, seed=1)
    model = KernelRidge(alpha=1e-2, kernel="rbf", gamma=0.5)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    t = time.perf_counter()
    model.fit(X, y)
    fit = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    mse = float(np.mean((model.predict(Xt.astype(np.float32)) - ft) ** 2))
    queue.put((fit, mse, base, peak, model.dual_coef_.dtype.name))


def big(n):
    """KernelRidge float32 at size n, in a child process (peak memory = its ru_maxrss)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_big_child, args=(n, queue))
    proc.start()
    fit, mse, base, peak, dtype = queue.get()
    proc.join()
    kernel = n * n * 4 / 2**20
    print(
        f"KernelRidge float32 n={n}: fit {fit:.1f}s  test MSE {mse:.6f}  coef {dtype}  "
        f"peak RSS {peak:.0f} MiB (base {base:.0f}, fit {peak - base:.0f}; "
        f"one n x n float32 kernel = {kernel:.0f} MiB)"
    )


def main(n=10_000, repeats=3, big_n=0):
    if big_n:
        big(big_n)
    if not n:
        return
    X, y, _ = data(n)
    Xt, _, ft = data(2000, seed=1)
    kw = dict(alpha=1e-2, kernel="rbf", gamma=0.5)
    t_sk, m_sk = run(SkKernelRidge(**kw), X, y, repeats)
    sk = SkKernelRidge(**kw).fit(X, y)
    t_us, m_us = run(KernelRidge(**kw), X, y, repeats)
    us = KernelRidge(**kw).fit(X, y)
    mse_sk = np.mean((sk.predict(Xt) - ft) ** 2)
    mse_us = np.mean((us.predict(Xt) - ft) ** 2)
    print(f"n={n} d=10 rbf, median of {repeats} fits")
    print(f"scikit-learn KernelRidge: test MSE {mse_sk:.6f}  fit {t_sk:.2f}s  peak {m_sk:.0f} MiB")
    print(f"sksubspace   KernelRidge: test MSE {mse_us:.6f}  fit {t_us:.2f}s  peak {m_us:.0f} MiB")
    print(f"max |prediction difference| {np.abs(sk.predict(Xt) - us.predict(Xt)).max():.2e}")
    print(f"time ratio ours/sklearn {t_us / t_sk:.2f}, memory ratio {m_us / m_sk:.2f}")
    rows = [
        comparison(
            f"n={n:,}, d=10, rbf",
            ours="KernelRidge",
            ours_time=t_us,
            peer="scikit-learn KernelRidge",
            peer_time=t_sk,
            metric="test MSE",
            ours_quality=mse_us,
            peer_quality=mse_sk,
            higher_is_better=False,
        )
    ]
    X32 = X.astype(np.float32)
    t = time.perf_counter()
    KernelRidge(**kw).fit(X32, y.astype(np.float32))
    print(f"sksubspace KernelRidge float32 fit at n={n}: {time.perf_counter() - t:.2f}s")
    record(rows, family="Kernel regression")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
