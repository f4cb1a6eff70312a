"""The subspace method (CLAFIC): one PCA subspace per class."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, from_numpy, get_namespace, to_numpy
from .._linalg import normalize_rows
from .._sklearn_compat import Interval, StrOptions, _check_sample_weight, _fit_context
from .._validation import validate_data
from ._base import (
    _binary_or_full,
    _class_subspaces,
    _encode_labels,
    _fit_scale,
    _predict_from_scores,
    _projection_norms,
    _require_y,
    _softmax,
    _SubspaceClassifierMixin,
    resolve_tabular_components,
)


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
    n_components : int, default=None
        Dimension ``k`` of every class subspace (at most ``n_features``);
        ``None`` means ``min(10, n_features - 1)`` (at least 1). A class with
        fewer than ``k`` linearly independent samples gets a subspace of its
        rank. Tune it with ``GridSearchCV``.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy and
        hands results back in the input's namespace.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_components_ : int
        The subspace dimension used.
    subspaces_ : array of shape (n_classes, n_features, n_components_)
        Orthonormal bases of the class subspaces (columns).
    explained_variance_ : array of shape (n_classes, n_components_)
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
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(self, n_components=None, *, device=None):
        self.n_components = n_components
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit one subspace per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: the subspace of class ``c`` spans the leading
            eigenvectors of ``sum_{i in c} w_i x_i x_i'``, and the softmax
            temperature maximises the weighted likelihood (an integer weight
            counts as that many copies of the sample).

        Returns
        -------
        self : SubspaceClassifier
        """
        _require_y(self, y)
        X, y = validate_data(self, X, y)
        self.classes_, codes = _encode_labels(y)
        self.n_components_ = resolve_tabular_components(self.n_components, X.shape[1])
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        sw = None
        counts = np.bincount(codes, minlength=self.classes_.shape[0]).astype(np.float64)
        if sample_weight is not None:
            sw = _check_sample_weight(
                to_numpy(sample_weight), np.empty((X.shape[0], 0)), ensure_non_negative=True
            )
            counts = np.bincount(codes, weights=sw, minlength=self.classes_.shape[0])
            Xw = Xc * from_numpy(np.sqrt(sw), like=Xc)[:, None]
        else:
            Xw = Xc
        S, evals = _class_subspaces(Xw, codes, self.classes_.shape[0], self.n_components_)
        counts = from_numpy(np.where(counts > 0, counts, 1.0), like=evals)
        self.explained_variance_ = ctx.output(evals / counts[:, None])
        self.subspaces_ = ctx.output(S)
        self.scale_ = _fit_scale(self._scores(Xc, S), codes, sw)
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
