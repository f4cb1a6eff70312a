"""
==========================================================
Semi-supervised regression with 1% of labels (STKR)
==========================================================

Two concentric circles, 1,000 points, 10 labels (NaN targets mark the others).
Kernel ridge on the labeled points alone sees 10 isolated bumps; spectrally
transformed kernel ridge (:class:`~sksubspace.kernel_ridge.SpectrallyTransformedKernelRidge`)
uses the unlabeled points through powers of the kernel, which spread each label
along its circle, and predicts new points (it is inductive).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_circles

from sksubspace.kernel_ridge import KernelRidge, SpectrallyTransformedKernelRidge

X, labels = make_circles(1000, noise=0.03, factor=0.5, random_state=0)
rng = np.random.default_rng(0)
known = np.concatenate([rng.choice(np.flatnonzero(labels == c), 5, replace=False) for c in (0, 1)])
y = np.full(1000, np.nan)
y[known] = 2.0 * labels[known] - 1

stkr = SpectrallyTransformedKernelRidge(gamma=100.0, random_state=0).fit(X, y)
krr = KernelRidge(alpha=1e-3, kernel="rbf", gamma=100.0).fit(X[known], y[known])

xx, yy = np.meshgrid(np.linspace(-1.3, 1.3, 120), np.linspace(-1.3, 1.3, 120))
grid = np.c_[xx.ravel(), yy.ravel()]
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, model, name in zip(axes, (krr, stkr), ("KernelRidge on 10 labels", "STKR"), strict=True):
    acc = np.mean((model.predict(X) > 0) == labels)
    ax.contourf(xx, yy, np.sign(model.predict(grid)).reshape(xx.shape), cmap="coolwarm", alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=labels, s=4, cmap="coolwarm")
    ax.scatter(X[known, 0], X[known, 1], c="k", marker="*", s=120)
    ax.set_title(f"{name}: accuracy {acc:.3f}")
    print(f"{name}: accuracy {acc:.3f}")
fig.tight_layout()
plt.show()
