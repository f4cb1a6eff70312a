"""
===========================================
Image denoising with a learned dictionary
===========================================

We learn 100 atoms on 7x7 patches of a noisy grayscale version of
``china.jpg`` with :class:`~sksubspace.decomposition.OnlineDictionaryLearning`,
code every patch with batched OMP (2 atoms) and average the overlapping
reconstructions. The PSNR of the noisy and denoised images is printed and the
atoms are shown.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image
from sklearn.feature_extraction.image import extract_patches_2d, reconstruct_from_patches_2d

from sksubspace.decomposition import OnlineDictionaryLearning

img = load_sample_image("china.jpg").astype(float) @ [0.299, 0.587, 0.114] / 255.0
img = img[100:228, 200:328]  # a 128 x 128 crop keeps the example fast
rng = np.random.RandomState(0)
noisy = img + 0.075 * rng.standard_normal(img.shape)


def psnr(a, b):
    return 10 * np.log10(1.0 / np.mean((a - b) ** 2))


patches = extract_patches_2d(noisy, (7, 7)).reshape(-1, 49)
mean = patches.mean(axis=1, keepdims=True)
P = patches - mean
t0 = time.perf_counter()
odl = OnlineDictionaryLearning(
    100,
    alpha=0.5,
    batch_size=512,
    max_iter=2,
    fit_max_iter=30,
    tol=0,
    max_no_improvement=None,
    transform_n_nonzero_coefs=2,
    random_state=0,
)
import warnings  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    code = odl.fit_transform(P)
rec = code @ odl.components_ + mean
denoised = reconstruct_from_patches_2d(rec.reshape(-1, 7, 7), img.shape)
print(f"fit + coding: {time.perf_counter() - t0:.1f} s")
print(f"PSNR noisy {psnr(noisy, img):.2f} dB, denoised {psnr(denoised, img):.2f} dB")

fig, axes = plt.subplots(1, 3, figsize=(9, 3.3))
for ax, im, title in zip(
    axes,
    [img, noisy, denoised],
    ["clean", f"noisy {psnr(noisy, img):.1f} dB", f"denoised {psnr(denoised, img):.1f} dB"],
    strict=True,
):
    ax.imshow(im, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()

fig, axes = plt.subplots(10, 10, figsize=(5, 5))
for atom, ax in zip(odl.components_, axes.ravel(), strict=True):
    ax.imshow(atom.reshape(7, 7), cmap="gray")
    ax.axis("off")
fig.suptitle("learned atoms")
plt.show()
