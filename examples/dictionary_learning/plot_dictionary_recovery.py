"""
=============================
Dictionary recovery curves
=============================

Signals are drawn from a planted dictionary with sparse codes. We plot the
fraction of planted atoms recovered (absolute cosine at least 0.99) by K-SVD and online
dictionary learning against the number of signals, and the l_4 recovery score
``||A D0||_4^4 / n`` of :class:`~sksubspace.decomposition.OrthogonalDictionaryLearning`
(p = 3 and the MSP case p = 4) against the number of signals.
"""

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np

from sksubspace.datasets import make_sparse_coded_signals
from sksubspace.decomposition import KSVD, OnlineDictionaryLearning, OrthogonalDictionaryLearning
from sksubspace.metrics import dictionary_recovery_score

smoke = os.environ.get("SKSUBSPACE_EXAMPLE_SMOKE") == "1"
sizes = [250, 500, 1000, 2000] if smoke else [250, 500, 1000, 2000, 4000]
warnings.simplefilter("ignore")

ksvd_scores, odl_scores = [], []
for n in sizes:
    X, D, _ = make_sparse_coded_signals(n, 24, 16, n_nonzero_coefs=3, random_state=0)
    ksvd = KSVD(24, n_nonzero_coefs=3, max_iter=20, random_state=0).fit(X)
    odl = OnlineDictionaryLearning(
        24,
        fit_algorithm="omp",
        fit_n_nonzero_coefs=3,
        batch_size=200,
        max_iter=15,
        tol=0,
        max_no_improvement=None,
        random_state=0,
    ).fit(X)
    ksvd_scores.append(dictionary_recovery_score(ksvd.components_, D))
    odl_scores.append(dictionary_recovery_score(odl.components_, D))

orth = {3: [], 4: []}
for n in sizes:
    X, D, _ = make_sparse_coded_signals(
        n, n_features=20, orthogonal=True, density=0.1, random_state=0
    )
    for p in orth:
        A = OrthogonalDictionaryLearning(p=p, random_state=0).fit(X).components_
        orth[p].append(np.sum((A @ D.T) ** 4) / 20)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
axes[0].semilogx(sizes, ksvd_scores, "o-", label="KSVD")
axes[0].semilogx(sizes, odl_scores, "s-", label="OnlineDictionaryLearning (OMP)")
axes[0].set_title("24 atoms in R^16, 3-sparse codes")
axes[0].set_ylabel("fraction of atoms recovered")
for p, s in orth.items():
    axes[1].semilogx(sizes, s, "o-", label=f"p = {p}")
axes[1].set_title("orthogonal 20 x 20, Bernoulli(0.1)-Gaussian")
axes[1].set_ylabel("||A D0||_4^4 / n")
for ax in axes:
    ax.set_xlabel("number of signals")
    ax.legend()
fig.tight_layout()
plt.show()
