"""
=====================================================
Scaling out with Dask: a grid search and a Dask array
=====================================================

sksubspace runs on `Dask <https://www.dask.org>`_ in two ways:

* a :class:`~sklearn.model_selection.GridSearchCV` sends its fits to Dask
  workers through joblib's ``"dask"`` backend, and gives the same results as
  the local run;
* :class:`~sksubspace.decomposition.StreamingPCA` and
  :class:`~sksubspace.decomposition.RobustPCA` fit a ``dask.array.Array``
  chunked by rows, block by block, without gathering it.

Here a :class:`~dask.distributed.LocalCluster` of two workers stands in for
a real cluster (the code is the same with ``Client("scheduler-address:8786")``).
"""

import logging

import joblib
import matplotlib.pyplot as plt
import numpy as np
from dask import array as da
from dask.distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV

from sksubspace.datasets import make_low_rank_sparse, make_subspaces
from sksubspace.decomposition import RobustPCA, StreamingPCA
from sksubspace.grassmann import SubspaceClassifier

# Two workers; ``processes=False`` keeps them in this process so the script
# runs anywhere (a script using worker processes needs an
# ``if __name__ == "__main__":`` guard). Threads in one process share its
# memory, so no per-worker ``memory_limit`` is set: Dask would compare the
# whole process's memory with it and pause the workers once the process
# grew past it (a real cluster gives each worker process its own limit).
cluster = LocalCluster(
    n_workers=2,
    processes=False,
    threads_per_worker=1,
    memory_limit=0,
    dashboard_address=":0",
    silence_logs=logging.ERROR,
)
client = Client(cluster)

# %%
# A grid search on the Dask workers
# ---------------------------------
# Points on three 2-dimensional subspaces of R^10, one class per subspace.
# The same search runs locally and on the cluster: the scores agree.
X, y, _ = make_subspaces(3, 2, 10, 40, noise=0.05, random_state=0)
grid = {"n_components": [1, 2, 3, 5]}
local = GridSearchCV(SubspaceClassifier(), grid, cv=3).fit(X, y)
with joblib.parallel_config(backend="dask"):
    remote = GridSearchCV(SubspaceClassifier(), grid, cv=3).fit(X, y)
print(f"best parameters, local: {local.best_params_}, on Dask: {remote.best_params_}")
gap = np.abs(local.cv_results_["mean_test_score"] - remote.cv_results_["mean_test_score"])
print(f"largest score difference: {gap.max():.1e}")

# %%
# StreamingPCA on a Dask array, one block at a time
# -------------------------------------------------
# 10 blocks of 5,000 rows, generated lazily on the workers: the client
# holds one block at a time. The top direction is the first axis.
rng = da.random.default_rng(0)
scales = np.r_[4.0, 2.0, np.ones(18)]
Xd = rng.standard_normal((50_000, 20), chunks=(5_000, 20)) * scales
print(f"Dask array: {Xd.nbytes / 1e6:.0f} MB in {Xd.numblocks[0]} row blocks")
spca = StreamingPCA(n_components=2, random_state=0).fit(Xd)
print(f"|first component| along axis 0: {abs(spca.components_[0, 0]):.4f}")

# %%
# RobustPCA on a Dask array: blockwise ALM
# ----------------------------------------
# A tall low-rank matrix with 5% gross corruptions, chunked by rows. Each
# ALM iteration is a tsqr SVD over the blocks plus elementwise updates;
# the low-rank and sparse parts stay on the cluster as Dask arrays.
D, L, S = make_low_rank_sparse(600, 40, 2, corruption=0.05, random_state=0)
Dd = da.from_array(D, chunks=(300, 40))
rpca = RobustPCA(tol=1e-4, random_state=0).fit(Dd)
ref = RobustPCA(tol=1e-4, random_state=0).fit(D)
low_rank = rpca.low_rank_.compute()
print(f"rank {rpca.rank_} in {rpca.n_iter_} iterations (in memory: {ref.n_iter_})")
print(f"relative error of L: {np.linalg.norm(low_rank - L) / np.linalg.norm(L):.1e}")
print(
    "Dask vs in-memory fit: "
    f"{np.linalg.norm(low_rank - ref.low_rank_) / np.linalg.norm(ref.low_rank_):.1e}"
)

# %%
# The results
# -----------
fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
dims = grid["n_components"]
axes[0].plot(dims, local.cv_results_["mean_test_score"], "o-", label="local")
axes[0].plot(dims, remote.cv_results_["mean_test_score"], "x--", label="Dask workers")
axes[0].set_xlabel("n_components")
axes[0].set_ylabel("CV accuracy")
axes[0].set_title("GridSearchCV")
axes[0].legend()
axes[1].bar(np.arange(20), np.abs(spca.components_[0]))
axes[1].set_xlabel("feature")
axes[1].set_title("StreamingPCA: |first component|")
sparse = rpca.sparse_[:200].compute()
axes[2].imshow(np.abs(sparse.T) > 1e-8, aspect="auto", cmap="gray_r", interpolation="nearest")
axes[2].set_xlabel("sample (first 200)")
axes[2].set_ylabel("feature")
axes[2].set_title("RobustPCA: support of sparse_")
fig.tight_layout()
plt.show()

client.close()
cluster.close()
