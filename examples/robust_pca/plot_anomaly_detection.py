"""
========================================================================
Anomaly detection by the residual to a subspace, against IsolationForest
========================================================================

Normal samples often live near a low-dimensional subspace (features of
images of one product, sensor readings driven by a few factors). The
SubspaceAD recipe fits a principal subspace to normal samples and scores a
new sample by its distance to it.
:class:`~sksubspace.decomposition.SubspaceOutlierDetector` packages it as a
scikit-learn outlier detector (``score_samples``, ``decision_function``,
``predict`` with ``contamination``).

Here normal samples lie near a 5-dimensional subspace of R^50; anomalies are
normal samples pushed off the subspace by a small perturbation. Their norm
is typical, so density- or isolation-based detectors hardly see them; the
residual to the subspace does. With ``robust=True`` the subspace is fitted by
:class:`~sksubspace.decomposition.OutlierRobustPCA`, which keeps working when
the training set itself holds outliers.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score, roc_curve

from sksubspace.decomposition import SubspaceOutlierDetector

rng = np.random.default_rng(0)
d, k = 50, 5
B = rng.standard_normal((k, d))


def normal(n):
    return rng.standard_normal((n, k)) @ B + 0.1 * rng.standard_normal((n, d))


X_train = normal(500)
# A few training samples are gross outliers along one direction.
w = rng.standard_normal(d)
X_train = np.vstack([X_train, 40 * w / np.linalg.norm(w) + rng.standard_normal((25, d))])
X_test = np.vstack([normal(300), normal(30) + 0.6 * rng.standard_normal((30, d))])
y_test = np.r_[np.ones(300), -np.ones(30)]

models = {
    "SubspaceOutlierDetector (robust)": SubspaceOutlierDetector(
        n_components=k, robust=True, random_state=0
    ),
    "SubspaceOutlierDetector": SubspaceOutlierDetector(n_components=k),
    "IsolationForest": IsolationForest(random_state=0),
}
fig, ax = plt.subplots(figsize=(5, 4))
for name, model in models.items():
    scores = model.fit(X_train).score_samples(X_test)
    auc = roc_auc_score(y_test, scores)
    fpr, tpr, _ = roc_curve(y_test == -1, -scores)
    ax.plot(fpr, tpr, label=f"{name}: AUC {auc:.3f}")
    print(f"{name:<34} ROC AUC {auc:.3f}")
ax.plot([0, 1], [0, 1], "k:", lw=0.8)
ax.set_xlabel("false positive rate")
ax.set_ylabel("true positive rate")
ax.set_title("Anomalies off a 5-dim subspace of R^50")
ax.legend(fontsize=8, loc="lower right")
fig.tight_layout()
plt.show()
