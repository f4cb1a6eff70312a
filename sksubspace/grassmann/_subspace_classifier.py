"""The subspace method (CLAFIC): one PCA subspace per class."""

from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._backend import (
    _as_namespace,
    compute_context,
    device_of,
    from_numpy,
    get_namespace,
    to_numpy,
)
from .._linalg import machine_eps, max_abs_scale, normalize_rows, svd_flip
from .._validation import validate_data
from ._base import _SubspaceClassifierMixin

# ---------------------------------------------------------------------------
# Numerical cores shared by the subspace classifiers of this family
# ---------------------------------------------------------------------------


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
        Xc = xp.take(X, _codes_like(np.flatnonzero(codes == c), X), axis=0)
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


def _device(X):
    """Device of ``X`` to pass to ``xp`` creation functions (None on the host)."""
    dev = device_of(X)
    return None if dev == "cpu" else dev


def _codes_like(codes, X):
    """Integer host array (class codes, indices) moved to the namespace and device of ``X``."""
    return _as_namespace(np.asarray(codes, dtype=np.int64), get_namespace(X), _device(X))


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


def _fit_scale(scores, codes):
    """Temperature ``s > 0`` minimising the cross-entropy of ``softmax(s * scores)``.

    A one-dimensional problem on the host (``scores`` is n x n_classes).
    """
    S = np.asarray(to_numpy(scores), dtype=np.float64)
    n = S.shape[0]

    def nll(log_s):
        Z = np.exp(log_s) * S
        Z = Z - Z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(Z).sum(axis=1))
        return float(np.mean(lse - Z[np.arange(n), codes]))

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


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


class SubspaceClassifier(_SubspaceClassifierMixin, BaseEstimator):
    """Subspace method (CLAFIC): classify by the largest projection on class subspaces.

    Each class ``c`` is represented by the span ``S_c`` of the ``n_components``
    leading eigenvectors of its (uncentred) autocorrelation matrix
    ``sum_{i in c} x_i x_i'``, i.e. the subspace minimising the reconstruction
    error ``sum_{i in c} ||x_i - S_c S_c' x_i||^2``. A sample goes to the class
    whose subspace it is closest to in angle::

        score_c(x) = ||S_c' x||^2 / ||x||^2 = cos^2 angle(x, S_c),
        y(x) = argmax_c score_c(x).

    Probabilities are ``softmax(scale_ * score(x))`` with the temperature
    ``scale_`` fitted by maximum likelihood on the training set.

    Parameters
    ----------
    n_components : int, default=10
        Dimension ``k`` of every class subspace (at most ``n_features``). A
        class with fewer than ``k`` linearly independent samples gets a
        subspace of its rank. Tune it with ``GridSearchCV``.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy and
        hands results back in the input's namespace.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    subspaces_ : array of shape (n_classes, n_features, n_components)
        Orthonormal bases of the class subspaces (columns).
    explained_variance_ : array of shape (n_classes, n_components)
        Eigenvalues of the class autocorrelation matrices divided by the class
        size (the mean squared projection on each basis vector).
    scale_ : float
        Softmax temperature used by ``predict_proba``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string feature names.

    See Also
    --------
    GrassmannClassRepresentation : the same model trained discriminatively.

    References
    ----------
    S. Watanabe and N. Pakvasa, "Subspace method of pattern recognition",
    Proc. 1st Int. Joint Conf. on Pattern Recognition, 1973.
    E. Oja, "Subspace Methods of Pattern Recognition", Research Studies Press, 1983.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sksubspace.grassmann import SubspaceClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = SubspaceClassifier(n_components=12).fit(X[::2], y[::2])
    >>> round(clf.score(X[1::2], y[1::2]), 2)
    0.99
    >>> clf.subspaces_.shape
    (10, 64, 12)
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"n_components": 1}

    def __init__(self, n_components=10, *, device=None):
        self.n_components = n_components
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit one subspace per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : SubspaceClassifier
        """
        _require_y(self, y)
        X, y = validate_data(self, X, y)
        if self.n_components > X.shape[1]:
            raise ValueError(
                f"n_components={self.n_components} must be at most n_features="
                f"{X.shape[1]}; lower n_components."
            )
        self.classes_, codes = _encode_labels(y)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        S, evals = _class_subspaces(Xc, codes, self.classes_.shape[0], self.n_components)
        counts = from_numpy(np.bincount(codes).astype(np.float64), like=evals)
        self.explained_variance_ = ctx.output(evals / counts[:, None])
        self.subspaces_ = ctx.output(S)
        self.scale_ = _fit_scale(self._scores(Xc, S), codes)
        return self

    def _scores(self, X, S):
        # squared cosines from unit rows: no ||x||^2 to overflow or underflow
        norms = _projection_norms(S, normalize_rows(X))
        return norms * norms

    def _validated_scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        return ctx, self._scores(Xc, ctx.asarray(self.subspaces_))

    def decision_function(self, X):
        """Squared cosines ``||S_c' x||^2 / ||x||^2`` of the angles to each class subspace.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : array of shape (n_samples, n_classes), or (n_samples,) with two
            classes (score of the second class minus that of the first).
        """
        ctx, scores = self._validated_scores(X)
        return ctx.output(_binary_or_full(scores))

    def predict(self, X):
        """Class of the subspace closest in angle to each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        _, scores = self._validated_scores(X)
        return _predict_from_scores(self.classes_, scores)

    def predict_proba(self, X):
        """``softmax(scale_ * scores)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : array of shape (n_samples, n_classes)
        """
        ctx, scores = self._validated_scores(X)
        return ctx.output(_softmax(self.scale_ * scores))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        proba = self.predict_proba(X)
        return get_namespace(proba).log(proba)
