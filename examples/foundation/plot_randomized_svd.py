"""
=====================================
Randomized SVD versus the exact SVD
=====================================

Most estimators in sksubspace need only the leading singular triplets of a
large matrix. The randomized range finder with power iterations (Halko,
Martinsson & Tropp, 2011) computes them with a handful of matrix products.
Here we compare it with ``numpy.linalg.svd`` on matrices with fast and slow
spectral decay: with a few power iterations the leading singular values agree
to many digits, at a fraction of the time.
"""

import time

import matplotlib.pyplot as plt
import numpy as np

from sksubspace._linalg import randomized_svd

rng = np.random.default_rng(0)
n, k = 1000, 30
U0 = np.linalg.qr(rng.standard_normal((n, n)))[0]
V0 = np.linalg.qr(rng.standard_normal((n, n)))[0]

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
for ax, decay in zip(axes, [0.8, 0.98], strict=True):
    s_true = decay ** np.arange(n)
    A = (U0 * s_true) @ V0.T
    t0 = time.perf_counter()
    s_exact = np.linalg.svd(A, compute_uv=False)
    t_exact = time.perf_counter() - t0
    ax.semilogy(s_exact[: 2 * k], "k-", label=f"exact ({t_exact:.2f} s)")
    for n_iter in (0, 2, 6):
        t0 = time.perf_counter()
        _, s, _ = randomized_svd(A, k, n_iter=n_iter, random_state=0)
        t = time.perf_counter() - t0
        ax.semilogy(s, ".", label=f"randomized, {n_iter} power it. ({t:.2f} s)")
    ax.set_title(f"singular values decay like {decay}^i")
    ax.set_xlabel("index")
    ax.legend(fontsize=7)
fig.tight_layout()
plt.show()
