"""
===================================================
Supervised dictionary learning on noisy digits
===================================================

Handwritten digits (8x8 pixels) are buried in heavy Gaussian noise and only
500 of them are used for training. Logistic regression on the raw pixels has
64 x 10 coefficients to fit and learns much of the noise.
:class:`~sksubspace.decomposition.SupervisedDictionaryLearning` fits a
dictionary of 10 atoms and a logistic model on the codes *jointly*: the atoms
must reconstruct the digits and carry the class information, a far better
prior than a full linear model. We compare test accuracies against the noise
level, with PCA followed by logistic regression (atoms learned without the
labels) as the unsupervised counterpart, and show the learned atoms.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sksubspace.decomposition import SupervisedDictionaryLearning

warnings.simplefilter("ignore")
X0, y0 = load_digits(return_X_y=True)
sigmas = [0.0, 6.0, 12.0]
models = {
    "LogisticRegression (raw pixels)": lambda: LogisticRegression(max_iter=3000),
    "PCA(10) + LogisticRegression": lambda: make_pipeline(
        PCA(10), LogisticRegression(max_iter=3000)
    ),
    "SupervisedDictionaryLearning(10)": lambda: SupervisedDictionaryLearning(10),
}
scores = {name: [] for name in models}
for sigma in sigmas:
    X = X0 + sigma * np.random.RandomState(0).standard_normal(X0.shape)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y0, train_size=500, test_size=1000, random_state=0, stratify=y0
    )
    for name, make in models.items():
        scores[name].append(make().fit(Xtr, ytr).score(Xte, yte))
    print(
        f"noise sigma {sigma:4.1f}: "
        + ", ".join(f"{name.split(' ')[0]} {s[-1]:.3f}" for name, s in scores.items())
    )
sdl = SupervisedDictionaryLearning(10).fit(Xtr, ytr)

# %%
# Accuracy against the noise level, and the atoms learned at the highest noise.
fig = plt.figure(figsize=(10, 4))
ax = fig.add_subplot(1, 2, 1)
for name, s in scores.items():
    ax.plot(sigmas, s, "o-", label=name)
ax.set_xlabel("noise standard deviation (pixels range 0-16)")
ax.set_ylabel("test accuracy (500 training digits)")
ax.legend(fontsize=8)
for j in range(10):
    a = fig.add_subplot(2, 10, 6 + j if j < 5 else 11 + j)
    a.imshow(sdl.components_[j].reshape(8, 8), cmap="RdBu_r")
    a.set_xticks([])
    a.set_yticks([])
fig.suptitle(f"Supervised atoms at sigma = {sigmas[-1]:g}", x=0.75)
fig.tight_layout()
plt.show()
