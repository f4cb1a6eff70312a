"""
====================================================================
Exact kernel ridge vs Nystroem kernel ridge (FALKON) vs scikit-learn
====================================================================

Test error and fit time against the number of training rows for
scikit-learn's :class:`~sklearn.kernel_ridge.KernelRidge` (dense ``n x n``
solve), our :class:`~sksubspace.kernel_ridge.KernelRidge` (the same model, one
``n x n`` array in memory) and :class:`~sksubspace.kernel_ridge.NystromKernelRidge`
(M = 300 centers, preconditioned conjugate gradient, memory ``O(n d + M^2)``).
The exact solvers grow like ``n^3``; the Nystroem solver stays nearly linear
in ``n`` at the same error.
"""

import os
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.kernel_ridge import KernelRidge as SkKernelRidge

from sksubspace.kernel_ridge import KernelRidge, NystromKernelRidge

smoke = os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE")
sizes = [500, 1000, 2000] if smoke else [1000, 2000, 4000, 8000]
rng = np.random.default_rng(0)


def planted(n):
    X = rng.uniform(-1, 1, (n, 5))
    f = np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + X[:, 2] ** 2
    return X, f + 0.1 * rng.standard_normal(n), f


Xt, _, ft = planted(2000)
lam, gamma = 1e-5, 0.5
models = {
    "scikit-learn KernelRidge": lambda n: SkKernelRidge(alpha=lam * n, kernel="rbf", gamma=gamma),
    "KernelRidge": lambda n: KernelRidge(alpha=lam * n, kernel="rbf", gamma=gamma),
    "NystromKernelRidge (M=300)": lambda n: NystromKernelRidge(
        penalty=lam, n_centers=300, gamma=gamma, random_state=0
    ),
}
err = {k: [] for k in models}
sec = {k: [] for k in models}
for n in sizes:
    X, y, _ = planted(n)
    for name, make in models.items():
        t = time.perf_counter()
        model = make(n).fit(X, y)
        sec[name].append(time.perf_counter() - t)
        err[name].append(np.mean((model.predict(Xt) - ft) ** 2))
        print(f"n={n:5d} {name:28s} MSE {err[name][-1]:.5f}  {sec[name][-1]:.2f}s")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
for name in models:
    axes[0].loglog(sizes, err[name], "o-", label=name)
    axes[1].loglog(sizes, sec[name], "o-", label=name)
axes[0].set(xlabel="n", ylabel="test MSE")
axes[1].set(xlabel="n", ylabel="fit time (s)")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()
