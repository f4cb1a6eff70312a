"""
===================================================
Incremental truncated SVD and concatenation bounds
===================================================

Blocks of columns arrive one at a time from a subspace that drifts slowly.
:class:`~sksubspace.compression.IncrementalTruncatedSVD` keeps a rank-8 SVD of
everything seen with Brand's update and knows the exact error of the
approximation it tracks (the energy dropped at each update). We compare it with
the optimal rank-8 error of the concatenation so far, and with the bounds of
:func:`~sksubspace.compression.concat_svd_error_bounds`: the Weyl-type bounds
need only each block's singular values, the incremental ones follow the
updates and are much tighter.
"""

import matplotlib.pyplot as plt
import numpy as np

from sksubspace.compression import (
    IncrementalTruncatedSVD,
    concat_svd_error,
    concat_svd_error_bounds,
)

rng = np.random.default_rng(0)
n, rank, n_blocks = 60, 8, 25
basis = np.linalg.qr(rng.standard_normal((n, rank)))[0]
blocks = []
for _ in range(n_blocks):
    basis = np.linalg.qr(basis + 0.02 * rng.standard_normal((n, rank)))[0]  # drift
    blocks.append(basis @ rng.standard_normal((rank, 20)) + 0.05 * rng.standard_normal((n, 20)))

est = IncrementalTruncatedSVD(n_components=rank)
tracked, exact, weyl, incremental = [], [], [], []
for t, B in enumerate(blocks, start=1):
    est.partial_fit(B.T)  # samples are rows: the block's columns are samples
    tracked.append(est.relative_error_)
    exact.append(concat_svd_error(blocks[:t], rank))
    weyl.append(concat_svd_error_bounds(blocks[:t], rank, method="weyl"))
    incremental.append(concat_svd_error_bounds(blocks[:t], rank, method="incremental"))
weyl, incremental = np.array(weyl), np.array(incremental)

print(f"after {n_blocks} blocks: exact {exact[-1]:.4f}, tracked {tracked[-1]:.4f}")
print(f"  Weyl bounds        [{weyl[-1, 0]:.4f}, {weyl[-1, 1]:.4f}]")
print(f"  incremental bounds [{incremental[-1, 0]:.4f}, {incremental[-1, 1]:.4f}]")

steps = np.arange(1, n_blocks + 1)
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.fill_between(steps, weyl[:, 0], weyl[:, 1], color="C0", alpha=0.15, label="Weyl bounds")
ax.fill_between(
    steps, incremental[:, 0], incremental[:, 1], color="C1", alpha=0.3, label="incremental bounds"
)
ax.plot(steps, exact, "k-", label="optimal rank-8 error")
ax.plot(steps, tracked, "C3--", label="IncrementalTruncatedSVD (tracked)")
ax.set_xlabel("blocks concatenated")
ax.set_ylabel("relative Frobenius error")
ax.set_title("Rank-8 error of a growing concatenation")
ax.legend()
fig.tight_layout()
plt.show()
