"""Batched OMP (sksubspace) vs scikit-learn SparseCoder(transform_algorithm="omp") and SPAMS.

8x8 patches of china.jpg, a 256-atom dictionary of normalized random patches,
5 atoms per patch. Same process, same data; supports are compared.
Usage: PYTHONPATH=. python benchmarks/bench_sparse_coding.py [n_patches] [repeats]
"""

import sys
import time

import numpy as np
from sklearn.decomposition import SparseCoder as SkSparseCoder

from sksubspace.decomposition import sparse_encode

sys.path.insert(0, "benchmarks")
from _patches import china_patches  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
X = china_patches(n)
rng = np.random.RandomState(1)
D = china_patches(5000, random_state=1)[rng.choice(5000, 256, replace=False)]
D /= np.linalg.norm(D, axis=1, keepdims=True)
k = 5


def timed(f):
    ts, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), out


t_ours, C_ours = timed(lambda: sparse_encode(X, D, algorithm="omp", n_nonzero_coefs=k))
sk = SkSparseCoder(D, transform_algorithm="omp", transform_n_nonzero_coefs=k)
t_sk, C_sk = timed(lambda: sk.transform(X))
same = np.mean(np.all((C_ours != 0) == (C_sk != 0), axis=1))
err = lambda C: np.linalg.norm(X - C @ D) / np.linalg.norm(X)  # noqa: E731
print(f"{n} patches x 64, 256 atoms, {k} nonzeros, median of {repeats}")
print(f"sksubspace batched OMP : {t_ours:8.3f} s  rel. error {err(C_ours):.5f}")
print(f"sklearn SparseCoder omp: {t_sk:8.3f} s  rel. error {err(C_sk):.5f}")
print(f"speed-up {t_sk / t_ours:.1f}x; identical supports on {100 * same:.3f}% of patches")
try:
    import spams

    Xf, Df = np.asfortranarray(X.T), np.asfortranarray(D.T)
    t_sp, C_sp = timed(lambda: spams.omp(Xf, Df, L=k, numThreads=1))
    C_sp = np.asarray(C_sp.todense()).T
    same_sp = np.mean(np.all((C_ours != 0) == (C_sp != 0), axis=1))
    print(
        f"SPAMS omp (1 thread)   : {t_sp:8.3f} s  rel. error {err(C_sp):.5f}; "
        f"ours/SPAMS time {t_ours / t_sp:.2f}; same supports {100 * same_sp:.3f}%"
    )
except ImportError:
    print("SPAMS: not installed (pip install spams-bin did not succeed here)")
