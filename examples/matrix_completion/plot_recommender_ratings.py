"""
=========================================================
Recommender ratings: user and item biases plus low rank
=========================================================

Ratings of users for items, kept in a SciPy sparse matrix whose stored
entries are the observed ones (nothing is densified). A fifth of the ratings
is held out and predicted with ``predict_entries`` (user, item pairs).

The data are **MovieLens-100K** (943 users, 1682 items, 100,000 ratings) when
the ``recbole==1.2.1`` wheel, which ships them, is found (``pip download
--no-deps recbole==1.2.1 -d /work/ext/wheels``, or its path in
``SKSUBSPACE_ML100K_WHEEL``); otherwise ratings generated from user and item
biases plus a low-rank taste model, rounded to 1-5. The script prints which.

``SoftImpute()`` with its defaults is what a recommender user calls: it fits
regularized user and item biases jointly with a low-rank part and chooses the
shrinkage on a held-out tenth of the training ratings (the curve on the
left), then refits on all of them. A user or item with no rating is predicted
by the biases (``intercept_ + mean_ - intercept_`` for a new user). The bias
model alone (a shrinkage so large that the low-rank part is zero) and the
global mean are the baselines.
"""

import glob
import io
import os
import zipfile

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp

from sksubspace.impute import SoftImpute

smoke = os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE") == "1"


def movielens_wheel():
    """The recbole wheel holding MovieLens-100K, or None (never downloaded here)."""
    candidates = [os.environ.get("SKSUBSPACE_ML100K_WHEEL", "")]
    candidates += sorted(glob.glob("/work/ext/wheels/recbole-1.2.1-*.whl"))
    return next((c for c in candidates if c and os.path.exists(c)), None)


def generated_ratings(n_users, n_items, rng):
    user_bias = 0.5 * rng.standard_normal(n_users)
    item_bias = 0.7 * rng.standard_normal(n_items)
    taste = rng.standard_normal((n_users, 4)) @ rng.standard_normal((4, n_items)) / 2
    scores = 3.5 + user_bias[:, None] + item_bias + 0.5 * taste
    scores += 0.5 * rng.standard_normal(scores.shape)
    observed = rng.random(scores.shape) < 0.08
    users, items = np.nonzero(observed)
    return users, items, np.clip(np.round(scores[users, items]), 1, 5)


rng = np.random.default_rng(0)
wheel = None if smoke else movielens_wheel()
if wheel is not None:
    with zipfile.ZipFile(wheel) as z:
        raw = z.read("recbole/dataset_example/ml-100k/ml-100k.inter").decode()
    table = np.loadtxt(io.StringIO(raw), skiprows=1, usecols=(0, 1, 2))
    users = np.unique(table[:, 0], return_inverse=True)[1]
    items = np.unique(table[:, 1], return_inverse=True)[1]
    ratings = table[:, 2]
    print(f"Data: MovieLens-100K, read from {os.path.basename(wheel)}")
else:
    users, items, ratings = generated_ratings(*((300, 200) if smoke else (943, 1682)), rng)
    why = "a quick run" if smoke else "the recbole wheel with MovieLens-100K was not found"
    print(f"Data: generated ratings ({why})")

shape = (users.max() + 1, items.max() + 1)
test = rng.random(ratings.size) < 0.2
train = sp.csr_matrix((ratings[~test], (users[~test], items[~test])), shape=shape)
truth = ratings[test]
print(f"{shape[0]} users x {shape[1]} items, {train.nnz} training ratings, {truth.size} held out")


def rmse(pred):
    return float(np.sqrt(np.mean((pred - truth) ** 2)))


scores = {"global mean": rmse(np.full(truth.shape, train.data.mean()))}
biases_only = SoftImpute(1e12).fit(train)  # the low-rank part is zero: the bias model
scores["biases only"] = rmse(biases_only.predict_entries(users[test], items[test]))
est = SoftImpute().fit(train)
scores["SoftImpute()"] = rmse(est.predict_entries(users[test], items[test]))
for name, value in scores.items():
    print(f"{name:>14}: test RMSE {value:.3f}")
print(
    f"SoftImpute(): rank {est.rank_}, shrinkage {est.shrinkage_:.3g} chosen among "
    f"{est.shrinkage_path_.size}, bias pseudo-count {est.bias_shrinkage_:g}"
)

# A new user who rated three items: fold the row in, then predict all items.
new = sp.csr_matrix(([5.0, 4.0, 1.0], ([0, 0, 0], [0, 1, 2])), shape=(1, shape[1]))
pred = est.predict_entries(np.zeros(shape[1], dtype=int), np.arange(shape[1]), X=new)
print(f"new user: predictions from {pred.min():.2f} to {pred.max():.2f}")
# A user with no rating at all gets the bias model: global mean plus item bias.
cold = est.transform(sp.csr_matrix((1, shape[1])))
print(f"cold-start user equals the item biases: {np.allclose(cold[0], est.mean_)}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
axes[0].semilogx(est.shrinkage_path_, est.validation_rmse_, "o-")
axes[0].axvline(est.shrinkage_, color="k", lw=0.8, label="chosen (one-SE rule)")
axes[0].set_xlabel("shrinkage λ")
axes[0].set_ylabel("validation RMSE")
axes[0].set_title("shrinkage='auto': the held-out path")
axes[0].legend()
axes[1].barh(list(scores), list(scores.values()))
axes[1].set_xlim(0.8 * min(scores.values()), 1.02 * max(scores.values()))
axes[1].set_xlabel("test RMSE")
axes[1].set_title("held-out ratings")
fig.tight_layout()
plt.show()
