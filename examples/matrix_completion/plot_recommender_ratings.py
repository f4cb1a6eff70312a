"""
=================================================
Recommender-style ratings: RMSE versus rank and λ
=================================================

Ratings of users for items are generated from a low-rank model with noise,
rounded to a 1-5 scale, and only a few percent are observed. The ratings are
kept in a SciPy sparse matrix whose stored entries are the observed ones:
nothing is densified. A fifth of the observed ratings is held out.

* ``soft_impute_path`` fits SoftImpute along a warm-started path of
  shrinkage values λ and reports the held-out error along it (the error is
  U-shaped: too little shrinkage overfits the noise, too much shrinks the
  signal).
* ``AltMinCompletion`` fits the rank-k model for several k; the held-out
  error is predicted with ``predict_entries`` (row, column pairs).
"""

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp

from sksubspace.impute import AltMinCompletion, SoftImpute, soft_impute_path

smoke = os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE") == "1"
n_users, n_items, true_rank = (400, 200, 4) if smoke else (1000, 400, 4)
rng = np.random.default_rng(0)
taste = rng.standard_normal((n_users, true_rank))
profile = rng.standard_normal((n_items, true_rank))
scores = (
    3 + 0.6 * taste @ profile.T / np.sqrt(true_rank) + 0.3 * rng.standard_normal((n_users, n_items))
)
ratings = np.clip(np.round(scores), 1, 5)

observed = rng.random((n_users, n_items)) < 0.15
rows, cols = np.nonzero(observed)
test = rng.random(rows.size) < 0.2
train = sp.csr_matrix(
    (ratings[rows[~test], cols[~test]], (rows[~test], cols[~test])), shape=ratings.shape
)
truth = ratings[rows[test], cols[test]]
print(f"{n_users} users x {n_items} items, {train.nnz} training ratings, {truth.size} held out")


def rmse(pred):
    return float(np.sqrt(np.mean((pred - truth) ** 2)))


print(f"baseline (global mean): RMSE {rmse(np.full(truth.shape, train.data.mean())):.3f}")

# SoftImpute: a warm-started path, scored on an inner validation split.
fit_params = dict(max_rank=12, center=True, tol=1e-3, random_state=0)
path = soft_impute_path(train, n_shrinkages=8, min_ratio=0.02, **fit_params)
test_rmse = []
for lam in path.shrinkages:
    est = SoftImpute(lam, **fit_params).fit(train)
    test_rmse.append(rmse(est.predict_entries(rows[test], cols[test])))
best = SoftImpute(path.best_shrinkage, **fit_params).fit(train)
print(
    f"SoftImpute, lambda chosen on the validation split: rank {best.rank_}, "
    f"RMSE {rmse(best.predict_entries(rows[test], cols[test])):.3f}"
)

# AltMinCompletion over the rank.
ranks = [1, 2, 4, 6, 10]
altmin_rmse = []
for k in ranks:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = AltMinCompletion(rank=k, regularization=5.0, center=True, tol=1e-3, random_state=0)
        est.fit(train)
    altmin_rmse.append(rmse(est.predict_entries(rows[test], cols[test])))
print("AltMinCompletion RMSE by rank:", dict(zip(ranks, np.round(altmin_rmse, 3), strict=True)))

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
axes[0].semilogx(path.shrinkages, path.validation_rmse, "o-", label="validation split")
axes[0].semilogx(path.shrinkages, test_rmse, "s--", label="held-out test")
axes[0].axvline(path.best_shrinkage, color="k", lw=0.8)
axes[0].set_xlabel("shrinkage λ")
axes[0].set_ylabel("RMSE")
axes[0].set_title("SoftImpute path")
axes[0].legend()
axes[1].plot(ranks, altmin_rmse, "o-")
axes[1].axvline(true_rank, color="k", lw=0.8)
axes[1].set_xlabel("rank k")
axes[1].set_ylabel("held-out RMSE")
axes[1].set_title("AltMinCompletion")
fig.tight_layout()
plt.show()
