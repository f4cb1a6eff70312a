"""
=====================================================
Pipelines, grid search and the GPU switch
=====================================================

Every sksubspace estimator is a scikit-learn estimator: it goes into a
:class:`~sklearn.pipeline.Pipeline`, is tuned by
:class:`~sklearn.model_selection.GridSearchCV` (here with two worker
processes) and is cloned and pickled like any other.

The same script runs on a GPU by flipping one parameter: ``device="gpu"``
makes each sksubspace step move its data to the GPU with CuPy, compute
there and hand NumPy back, so the rest of the pipeline does not change. On a
machine without CuPy or a GPU we keep ``device=None`` (follow the input:
NumPy, the CPU).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

from sksubspace._backend import gpu_available
from sksubspace.grassmann import SubspaceClassifier

device = "gpu" if gpu_available() else None
print(f"computing with device={device!r}")

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)

# %%
# A Pipeline tuned by GridSearchCV
# --------------------------------
# Each digit class is modelled by a linear subspace (CLAFIC); the subspace
# dimension is the one hyper-parameter.
pipe = make_pipeline(Normalizer(), SubspaceClassifier(device=device))
grid = {"subspaceclassifier__n_components": [1, 2, 4, 6, 8, 10, 12, 16]}
search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X_train, y_train)
print(f"best subspace dimension: {search.best_params_}")
print(f"test accuracy: {search.score(X_test, y_test):.4f}")

# %%
# Cross-validated accuracy against the subspace dimension
# -------------------------------------------------------
dims = np.array(grid["subspaceclassifier__n_components"])
mean = search.cv_results_["mean_test_score"]
std = search.cv_results_["std_test_score"]
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.errorbar(dims, mean, yerr=std, marker="o")
ax.set_xlabel("subspace dimension per class")
ax.set_ylabel("3-fold CV accuracy")
ax.set_title("SubspaceClassifier on digits")
fig.tight_layout()
plt.show()
