"""
===========================================================
Sparse dictionary vs low-rank compression of a network
===========================================================

The two hidden-layer weight matrices of an
:class:`~sklearn.neural_network.MLPClassifier` trained on digits
(64 x 128 and 128 x 64) are compressed to 50-80% of their parameters by

* a plain truncated SVD of the weights,
* a data-aware truncated SVD (of ``L' W`` with ``X'X = L L'`` for the layer's
  calibration inputs ``X``: :func:`~sksubspace.compression.low_rank_compress`),
* CoSpaDi, a dense dictionary times column-sparse codes learned by K-SVD in the
  same whitened metric (:func:`~sksubspace.compression.cospadi_compress`),

each at the same number of stored numbers (indices of the sparse codes
included). The calibration inputs are the training images and the first
hidden layer's activations on them; we report the test accuracy of the
compressed network and the relative error of each layer's pre-activations on
the test images.

On these small layers, whose whitened weights have fast-decaying spectra, the
data-aware SVD gives the smallest output error at equal storage; CoSpaDi is
between it and the plain SVD in error and matches the data-aware SVD in
accuracy. Its union-of-subspaces model pays off when columns of the weights
fall into different subspaces (the planted case of the tests, and the
paper's large language-model layers).
"""

import copy
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sksubspace.compression import cospadi_compress, low_rank_compress

smoke = os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE") == "1"
warnings.simplefilter("ignore")

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.3, random_state=0, stratify=y
)
mlp = MLPClassifier((128, 64), max_iter=15 if smoke else 30, batch_size=128, random_state=0)
mlp.fit(X_train, y_train)
print(f"MLP test accuracy: {mlp.score(X_test, y_test):.3f}")


def hidden(net, X):
    return np.maximum(X @ net.coefs_[0] + net.intercepts_[0], 0)


calibration = [X_train, hidden(mlp, X_train)]  # inputs of layers 1 and 2
test_inputs = [X_test, hidden(mlp, X_test)]
methods = {
    "plain SVD": lambda W, X, c: np.dot(*low_rank_compress(W, compression=c)),
    "data-aware SVD": lambda W, X, c: np.dot(*low_rank_compress(W, X, compression=c)),
    "CoSpaDi": lambda W, X, c: np.dot(
        *cospadi_compress(W, X, compression=c, max_iter=10, random_state=0)
    ),
}
compressions = [0.3] if smoke else [0.2, 0.3, 0.4, 0.5]
accuracy = {m: [] for m in methods}
layer_error = {m: [] for m in methods}
for c in compressions:
    for name, compress in methods.items():
        net = copy.deepcopy(mlp)
        errors = []
        for layer in (0, 1):
            W = mlp.coefs_[layer]
            W_hat = compress(W, calibration[layer], c)
            net.coefs_[layer] = W_hat
            Xt = test_inputs[layer]
            errors.append(np.linalg.norm(Xt @ (W - W_hat)) / np.linalg.norm(Xt @ W))
        accuracy[name].append(net.score(X_test, y_test))
        layer_error[name].append(np.mean(errors))
    print(
        f"compression {c:.0%}: "
        + "; ".join(f"{m} acc {accuracy[m][-1]:.3f} err {layer_error[m][-1]:.3f}" for m in methods)
    )

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for name in methods:
    axes[0].plot(compressions, accuracy[name], "o-", label=name)
    axes[1].plot(compressions, layer_error[name], "o-", label=name)
axes[0].axhline(mlp.score(X_test, y_test), color="gray", ls="--", label="uncompressed")
axes[0].set_ylabel("test accuracy")
axes[1].set_ylabel("layer output error (test, mean of 2 layers)")
for ax in axes:
    ax.set_xlabel("fraction of parameters removed")
    ax.legend()
fig.tight_layout()
plt.show()
