"""
==========================================
Image inpainting with low-rank completion
==========================================

A natural image is close to a low-rank matrix. Here half of the pixels of a
grayscale photograph (scikit-learn's sample image, shipped with the package)
are removed at random and filled in by the three imputers of
``sksubspace.impute``: each fits a low-rank model to the pixels that remain.
The column-mean fill of scikit-learn's ``SimpleImputer`` is the baseline.
"""

import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image
from sklearn.impute import SimpleImputer

from sksubspace.impute import AltMinCompletion, FactorizedCompletion, SoftImpute

smoke = os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE") == "1"
step = 3 if smoke else 2
image = load_sample_image("china.jpg").mean(axis=2)[::step, ::step] / 255.0
rng = np.random.default_rng(0)
mask = rng.random(image.shape) < 0.5  # True where the pixel is kept
X = np.where(mask, image, np.nan)
print(f"image {image.shape}, {mask.mean():.0%} of the pixels kept")

lam0 = np.linalg.norm(np.nan_to_num(X), 2)
imputers = {
    "column mean": SimpleImputer(),
    "SoftImpute": SoftImpute(shrinkage=0.02 * lam0, max_rank=25, tol=1e-3, random_state=0),
    "AltMinCompletion": AltMinCompletion(
        rank=20, regularization=1.0, tol=1e-3, max_iter=30, random_state=0
    ),
    "FactorizedCompletion": FactorizedCompletion(
        rank=20, regularization=1.0, tol=1e-4, max_iter=100, random_state=0
    ),
}


def psnr(estimate):
    mse = np.mean((estimate[~mask] - image[~mask]) ** 2)
    return 10 * np.log10(1.0 / mse)


fig, axes = plt.subplots(2, 3, figsize=(11, 5.5))
axes[0, 0].imshow(image, cmap="gray", vmin=0, vmax=1)
axes[0, 0].set_title("original")
axes[0, 1].imshow(np.where(mask, image, 1.0), cmap="gray", vmin=0, vmax=1)
axes[0, 1].set_title("50% of the pixels removed")
for ax, (name, est) in zip(axes.ravel()[2:], imputers.items(), strict=True):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # capped iterations: ConvergenceWarning
        Z = est.fit_transform(X)
    elapsed = time.perf_counter() - t0
    ax.imshow(np.clip(Z, 0, 1), cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{name}\nPSNR {psnr(Z):.1f} dB, {elapsed:.1f} s")
    print(f"{name:22s} PSNR on the removed pixels: {psnr(Z):5.1f} dB ({elapsed:.1f} s)")
for ax in axes.ravel():
    ax.axis("off")
fig.tight_layout()
plt.show()
