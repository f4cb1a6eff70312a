"""
===========================================================
Online kernel ridge on a stream: a basis that stops growing
===========================================================

:class:`~sksubspace.kernel_ridge.OnlineKernelRidge` learns from a stream with
``partial_fit``. A new point joins the basis only when its feature vector is
not already well approximated by the span of the basis (approximate linear
dependence, ALD, with tolerance ``threshold``), so on a smooth problem the basis
size levels off and every update costs the same however many points came
before. We stream rows of a planted smooth regression in chunks, and plot the
basis size, the time per update and the test error against the number of rows
seen, next to batch :class:`~sksubspace.kernel_ridge.KernelRidge` fitted on the
first 2,000 rows.
"""

import os
import time

import matplotlib.pyplot as plt
import numpy as np

from sksubspace.kernel_ridge import KernelRidge, OnlineKernelRidge

smoke = os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE") == "1"
n_stream, chunk = (6_000, 1_000) if smoke else (30_000, 2_000)
rng = np.random.default_rng(0)


def planted(n):
    X = rng.uniform(-1, 1, (n, 3))
    f = np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + X[:, 2] ** 2
    return X, f + 0.1 * rng.standard_normal(n), f


X, y, _ = planted(n_stream)
Xt, _, ft = planted(2000)

model = OnlineKernelRidge(alpha=1e-2, gamma=1.0, threshold=1e-3)
seen, basis, us_per_update, mse = [], [], [], []
for start in range(0, n_stream, chunk):
    t = time.perf_counter()
    model.partial_fit(X[start : start + chunk], y[start : start + chunk])
    us_per_update.append((time.perf_counter() - t) / chunk * 1e6)
    seen.append(model.n_seen_)
    basis.append(model.n_basis_)
    mse.append(np.mean((model.predict(Xt) - ft) ** 2))
    print(
        f"t={seen[-1]:6d}  basis {basis[-1]:4d}  {us_per_update[-1]:6.1f} us/update  "
        f"test MSE {mse[-1]:.5f}"
    )

batch = KernelRidge(alpha=1e-2, kernel="rbf", gamma=1.0).fit(X[:2000], y[:2000])
batch_mse = np.mean((batch.predict(Xt) - ft) ** 2)
print(f"batch KernelRidge on the first 2,000 rows: test MSE {batch_mse:.5f}")

fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
axes[0].plot(seen, basis, "o-")
axes[0].set(xlabel="rows seen", ylabel="basis size", title="Basis (ALD) levels off")
axes[1].plot(seen, us_per_update, "o-")
axes[1].set(xlabel="rows seen", ylabel="microseconds", title="Time per update", ylim=(0, None))
axes[2].semilogy(seen, mse, "o-", label="OnlineKernelRidge")
axes[2].axhline(batch_mse, color="k", ls="--", label="batch KRR, 2,000 rows")
axes[2].set(xlabel="rows seen", ylabel="test MSE", title="Test error")
axes[2].legend()
fig.tight_layout()
plt.show()
