"""Randomized truncated SVD (sksubspace._linalg) against numpy.linalg.svd.

Same planted 2000 x 2000 rank-50 matrix, same process. Prints the median time
of each over repeats, the ratio, and the relative reconstruction error of both.
Goal: time ratio at most 0.2 with error within 1e-6 of the exact SVD.
"""

import time

import numpy as np

from sksubspace._linalg import randomized_svd


def median_time(fn, repeats=5):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main(n=2000, rank=50):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, n))
    t_np, (U0, s0, Vt0) = median_time(lambda: np.linalg.svd(A, full_matrices=False), repeats=3)
    t_rs, (U, s, Vt) = median_time(lambda: randomized_svd(A, rank, random_state=0))
    norm = np.linalg.norm(A)
    err_np = np.linalg.norm(A - (U0[:, :rank] * s0[:rank]) @ Vt0[:rank]) / norm
    err_rs = np.linalg.norm(A - (U * s) @ Vt) / norm
    print(f"matrix {n}x{n}, rank {rank}")
    print(f"{'method':<28}{'median s':>10}{'rel. error':>14}")
    print(f"{'numpy.linalg.svd (full)':<28}{t_np:>10.3f}{err_np:>14.2e}")
    print(f"{'sksubspace randomized_svd':<28}{t_rs:>10.3f}{err_rs:>14.2e}")
    print(
        f"time ratio (ours / numpy): {t_rs / t_np:.3f}   |error difference|: {abs(err_rs - err_np):.1e}"
    )


if __name__ == "__main__":
    main()
