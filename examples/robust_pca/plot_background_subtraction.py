"""
=========================================================
Background subtraction in a video with Robust PCA
=========================================================

A video is a matrix whose columns are the frames. A static background is the
same in every frame: a rank-one (here, slowly lit: low-rank) part. Moving
objects cover few pixels of each frame: a sparse part. Principal Component
Pursuit (:class:`~sksubspace.decomposition.RobustPCA`) splits the two without
being told where the objects are.

We generate a video of a textured scene with a slowly changing illumination
and two blobs moving across it, and show frames, the low-rank background
``L`` and the sparse foreground ``S``.
"""

import time

import matplotlib.pyplot as plt
import numpy as np

from sksubspace.decomposition import RobustPCA

h, w, n_frames = 48, 64, 60
yy, xx = np.mgrid[0:h, 0:w]

# Static scene: smooth texture; illumination drifts slowly over time (rank 2).
scene = np.sin(xx / 6.0) * np.cos(yy / 9.0) + 0.5 * np.sin((xx + yy) / 13.0)
gradient = xx / w
light = 1.0 + 0.2 * np.sin(np.linspace(0, np.pi, n_frames))

frames = []
for t in range(n_frames):
    frame = light[t] * scene + 0.3 * np.cos(2 * np.pi * t / n_frames) * gradient
    for x0, y0, vx, vy, r in [(5, 10, 0.9, 0.3, 5), (60, 35, -0.8, -0.2, 4)]:
        cx, cy = x0 + vx * t, y0 + vy * t
        frame = np.where((xx - cx) ** 2 + (yy - cy) ** 2 < r**2, 2.5, frame)
    frames.append(frame.ravel())
D = np.array(frames).T  # pixels x frames: frames are columns

t0 = time.perf_counter()
rpca = RobustPCA(random_state=0).fit(D)
print(
    f"{D.shape[0]} pixels x {D.shape[1]} frames: rank {rpca.rank_}, "
    f"{rpca.n_iter_} iterations, {time.perf_counter() - t0:.2f} s"
)
L, S = rpca.low_rank_, rpca.sparse_

fig, axes = plt.subplots(3, 4, figsize=(10, 6))
for col, t in enumerate([0, 20, 40, 59]):
    for row, (img, name) in enumerate([(D, "frame"), (L, "background L"), (S, "foreground S")]):
        ax = axes[row, col]
        ax.imshow(img[:, t].reshape(h, w), cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
        if col == 0:
            ax.set_ylabel(name)
    axes[0, col].set_title(f"t = {t}")
fig.suptitle("Robust PCA: video = low rank background + sparse moving objects")
fig.tight_layout()
plt.show()
