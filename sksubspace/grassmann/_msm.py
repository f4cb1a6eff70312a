"""Mutual subspace method: image sets compared to class subspaces by principal angles."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, get_namespace
from .._sklearn_compat import Interval, StrOptions, _fit_context
from ..metrics import principal_angles
from ._base import (
    _binary_or_full,
    _encode_labels,
    _fit_scale,
    _predict_from_scores,
    _require_y,
    _softmax,
    _SubspaceClassifierMixin,
)
from ._geometry import flag_mean
from ._sets import (
    check_set_components,
    resolve_set_components,
    set_bases,
    sets_namespace_example,
    sets_to_namespace,
    validate_sets,
)


def _msm_similarity(B, S, n_angles):
    """Mean of ``cos^2`` of the ``n_angles`` smallest principal angles, all pairs at once.

    ``B`` (n_sets, d, k), ``S`` (n_classes, d, kc) -> (n_sets, n_classes).
    """
    xp = get_namespace(B, S)
    theta = principal_angles(xp.expand_dims(B, axis=1), xp.expand_dims(S, axis=0), orthonormal=True)
    c = xp.cos(theta[..., : min(n_angles, theta.shape[-1])])
    return xp.mean(c * c, axis=-1)


class MutualSubspaceClassifier(_SubspaceClassifierMixin, BaseEstimator):
    """Mutual subspace method (MSM): classify sets of vectors by principal angles.

    Every sample is a *set* of vectors (e.g. the frames of a face video). A set
    is summarised by the span of its ``n_components`` leading right singular
    vectors; a class by the flag mean of its training set subspaces (the
    ``n_class_components`` leading eigenvectors of ``sum_i U_i U_i'``). The
    similarity of a set to a class is the mean ``cos^2`` of the ``n_angles``
    smallest principal angles between the two subspaces::

        sim_c(X) = (1 / m) sum_{j <= m} cos^2 theta_j(span(X), S_c),
        y(X) = argmax_c sim_c(X).

    With ``n_angles=1`` this is the classical MSM similarity ``cos^2 theta_1``.
    All set-class pairs go through one batched computation.

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the subspace of each set (at most the smallest set size
        and n_features); ``None`` means ``min(5, smallest set size, n_features)``.
    n_class_components : int, default=None
        Dimension of each class subspace; ``n_components`` when None.
    n_angles : int, default=3
        Number of smallest principal angles averaged (capped at the smaller
        of the two dimensions).
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy.

    Attributes
    ----------
    n_components_ : int
        The dimension of the set subspaces used.
    classes_ : ndarray of shape (n_classes,)
    subspaces_ : array of shape (n_classes, n_features, n_class_components)
        Orthonormal bases of the class subspaces.
    scale_ : float
        Softmax temperature of ``predict_proba`` (fitted by maximum likelihood).
    n_features_in_ : int

    Notes
    -----
    ``X`` is a 3-d array ``(n_sets, set_size, n_features)``, a list of 2-d
    arrays ``(set_size_i, n_features)`` of varying sizes, or a 2-d array
    ``(n_sets, n_features)`` read as sets of one vector (lines; then
    ``n_components`` must be 1). scikit-learn's common checks exercise only
    the 2-d form; the set forms are tested in ``tests/test_grassmann_sets.py``.

    References
    ----------
    O. Yamaguchi, K. Fukui and K. Maeda, "Face recognition using temporal image
    sequence", IEEE Int. Conf. on Automatic Face and Gesture Recognition, 1998.

    Examples
    --------
    >>> from sksubspace.datasets import make_image_sets
    >>> from sksubspace.grassmann import MutualSubspaceClassifier
    >>> X, y, _ = make_image_sets(n_classes=4, n_sets_per_class=10, random_state=0)
    >>> X.shape
    (40, 22, 100)
    >>> clf = MutualSubspaceClassifier(n_components=5).fit(X[:20], y[:20])
    >>> clf.score(X[20:], y[20:])
    1.0
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_class_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_angles": [Interval(numbers.Integral, 1, None, closed="left")],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(self, n_components=None, *, n_class_components=None, n_angles=3, device=None):
        self.n_components = n_components
        self.n_class_components = n_class_components
        self.n_angles = n_angles
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit one subspace per class from the training sets.

        Parameters
        ----------
        X : array of shape (n_sets, set_size, n_features), list of arrays of \
shape (set_size_i, n_features), or array of shape (n_sets, n_features)
            Training sets (see Notes).
        y : array-like of shape (n_sets,)

        Returns
        -------
        self : MutualSubspaceClassifier
        """
        _require_y(self, y)
        sets, y = validate_sets(self, X, y)
        self.n_components_ = resolve_set_components(self.n_components, sets, self.n_features_in_)
        kc = self.n_components_ if self.n_class_components is None else self.n_class_components
        if kc > self.n_features_in_:
            raise ValueError(
                f"n_class_components={kc} must be at most n_features={self.n_features_in_}."
            )
        self.classes_, codes = _encode_labels(y)
        ctx = compute_context(self.device, sets_namespace_example(sets))
        xp = ctx.xp
        B = set_bases(sets_to_namespace(sets, ctx), self.n_components_)
        S = xp.stack(
            [
                flag_mean(xp.take(B, ctx.asarray(np.flatnonzero(codes == c)), axis=0), kc)
                for c in range(self.classes_.shape[0])
            ]
        )
        self.subspaces_ = ctx.output(S)
        self.scale_ = _fit_scale(_msm_similarity(B, S, self.n_angles), codes)
        return self

    def _similarity(self, X):
        check_is_fitted(self)
        sets = validate_sets(self, X, reset=False)
        check_set_components(self.n_components_, sets, self.n_features_in_)
        ctx = compute_context(self.device, sets_namespace_example(sets))
        B = set_bases(sets_to_namespace(sets, ctx), self.n_components_)
        return ctx, _msm_similarity(B, ctx.asarray(self.subspaces_), self.n_angles)

    def decision_function(self, X):
        """MSM similarities (mean ``cos^2`` of the smallest principal angles).

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        sim : array of shape (n_sets, n_classes), or (n_sets,) for two classes
            (second minus first).
        """
        ctx, sim = self._similarity(X)
        return ctx.output(_binary_or_full(sim))

    def predict(self, X):
        """Class of the most similar class subspace.

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        y : ndarray of shape (n_sets,)
        """
        _, sim = self._similarity(X)
        return _predict_from_scores(self.classes_, sim)

    def predict_proba(self, X):
        """``softmax(scale_ * similarities)``.

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        proba : array of shape (n_sets, n_classes)
        """
        ctx, sim = self._similarity(X)
        return ctx.output(_softmax(self.scale_ * sim))
