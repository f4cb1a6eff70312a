"""What the Grassmann estimators share: label handling, class subspaces, scores, mixins.

An estimator's own file never serves its siblings; what two or more of them use
lives here.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from .._backend import as_index, from_numpy, get_namespace, to_numpy
from .._linalg import machine_eps, max_abs_scale, svd_flip
from .._validation import ArrayAPISupportMixin


class _SubspaceClassifierMixin(ArrayAPISupportMixin, ClassifierMixin):
    """Mixin for classifiers that model each class as a subspace through the origin.

    Declares scikit-learn's ``poor_score`` tag: the isotropic blobs of its
    accuracy check carry no subspace structure (on 2-d input each sample is a
    sign-blind line through the origin), so that check's score does not apply.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


#: Subspace dimension that ``n_components=None`` caps at, for tabular and set input.
DEFAULT_TABULAR_COMPONENTS = 10
DEFAULT_SET_COMPONENTS = 5


def resolve_tabular_components(n_components, n_features):
    """The class-subspace dimension for tabular ``X``.

    ``None`` means ``min(10, n_features - 1)`` (at least 1): a subspace as wide
    as the space would give every class the same score. An integer must be at
    most ``n_features``.
    """
    if n_components is None:
        return max(1, min(DEFAULT_TABULAR_COMPONENTS, n_features - 1))
    if n_components > n_features:
        raise ValueError(
            f"n_components={n_components} must be at most n_features={n_features}; "
            "lower n_components."
        )
    return int(n_components)


def _require_y(estimator, y):
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )


def _encode_labels(y):
    """Host labels -> (classes, integer codes)."""
    y = np.asarray(to_numpy(y))
    check_classification_targets(y)
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes


def _class_subspaces(X, codes, n_classes, n_components):
    """Per-class uncentred PCA bases, stacked as (n_classes, n_features, n_components).

    The basis of class ``c`` spans the leading eigenvectors of the class
    autocorrelation ``X_c' X_c``. A class whose rank is below ``n_components``
    gets zero columns in place of the missing directions (they add nothing to a
    projection norm).
    """
    xp = get_namespace(X)
    grams, scales = [], []
    for c in range(n_classes):
        Xc = xp.take(X, as_index(np.flatnonzero(codes == c), X), axis=0)
        # the subspace does not see the class's scale: its Gram on X_c / 2^e (exact)
        # stays within range for data of size 1e200 or 1e-200
        scales.append(max_abs_scale(Xc))
        Xc = Xc / scales[-1]
        grams.append(xp.matrix_transpose(Xc) @ Xc)
    evals, evecs = xp.linalg.eigh(xp.stack(grams))  # ascending, batched
    evals = xp.flip(evals, axis=-1)[:, :n_components]
    evecs = svd_flip(xp.flip(evecs, axis=-1)[:, :, :n_components])
    eps = machine_eps(X.dtype)
    keep = xp.astype(evals > 100 * eps * xp.max(evals, axis=1, keepdims=True) * X.shape[1], X.dtype)
    with np.errstate(over="ignore"):  # inf where the true eigenvalue overflows
        sq_scales = np.square(np.asarray(scales, dtype=np.float64))
        evals = evals * keep * from_numpy(sq_scales, like=evals)[:, None]
    return evecs * keep[:, None, :], evals


def _projection_norms(S, X):
    """``||S_c' x_i||`` for every class basis and sample: shape (n_samples, n_classes)."""
    xp = get_namespace(S, X)
    A = X @ S  # (C, n, k) by broadcasting (n, d) @ (C, d, k)
    return xp.matrix_transpose(xp.linalg.vector_norm(A, axis=-1))


def _softmax(Z):
    xp = get_namespace(Z)
    Z = Z - xp.max(Z, axis=1, keepdims=True)
    E = xp.exp(Z)
    return E / xp.sum(E, axis=1, keepdims=True)


def _fit_scale(scores, codes, sample_weight=None):
    """Temperature ``s > 0`` minimising the cross-entropy of ``softmax(s * scores)``.

    A one-dimensional problem on the host (``scores`` is n x n_classes); the
    cross-entropy is averaged with ``sample_weight`` when given.
    """
    S = np.asarray(to_numpy(scores), dtype=np.float64)
    n = S.shape[0]

    def nll(log_s):
        Z = np.exp(log_s) * S
        Z = Z - Z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(Z).sum(axis=1))
        return float(np.average(lse - Z[np.arange(n), codes], weights=sample_weight))

    res = minimize_scalar(nll, bounds=(-5.0, 8.0), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(res.x))


def _predict_from_scores(classes, scores):
    idx = np.argmax(np.asarray(to_numpy(scores)), axis=1)
    return classes[idx]


def _binary_or_full(scores):
    """scikit-learn's convention: one column of margins for two classes."""
    if scores.shape[1] == 2:
        return scores[:, 1] - scores[:, 0]
    return scores
