"""Minimum distance to the class means on the Grassmannian (Grassmann MDM)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context
from .._sklearn_compat import Interval, StrOptions, _fit_context
from ._base import (
    _binary_or_full,
    _encode_labels,
    _fit_scale,
    _predict_from_scores,
    _require_y,
    _softmax,
    _SubspaceClassifierMixin,
)
from ._geometry import flag_mean, karcher_mean, pairwise_subspace_distances
from ._sets import (
    check_set_components,
    resolve_set_components,
    set_bases,
    sets_namespace_example,
    sets_to_namespace,
    validate_sets,
)


class GrassmannMinimumDistanceClassifier(_SubspaceClassifierMixin, BaseEstimator):
    """Nearest class mean on the Grassmannian (the Grassmann counterpart of MDM).

    Each sample is a set of vectors, summarised by its ``n_components``-
    dimensional subspace ``U_i``. Each class is represented by the Karcher
    (Frechet) mean of its training subspaces for the geodesic distance
    (or their flag mean), and a set goes to the class of the nearest mean::

        M_c = argmin_M sum_{i in c} d(M, U_i)^2,
        y(X) = argmin_c d(span(X), M_c).

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the subspace of each set (at most the smallest set size
        and n_features); ``None`` means ``min(5, smallest set size, n_features)``.
    mean : {"karcher", "flag"}, default="karcher"
        Class mean: the Karcher mean (geodesic distance, iterative) or the flag
        mean (chordal distance, one SVD).
    metric : {"geodesic", "chordal", "projection", "binet-cauchy", "procrustes"}, \
default="geodesic"
        Distance used to compare a set to the class means.
    max_iter : int, default=100
        Iterations of the Karcher mean.
    tol : float, default=1e-10
        Stop the Karcher mean once the Riemannian gradient norm is below ``tol``.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy.

    Attributes
    ----------
    n_components_ : int
        The dimension of the set subspaces used.
    classes_ : ndarray of shape (n_classes,)
    means_ : array of shape (n_classes, n_features, n_components_)
        Orthonormal bases of the class means.
    n_iter_ : ndarray of shape (n_classes,)
        Karcher mean iterations per class (zeros for the flag mean).
    scale_ : float
        Softmax temperature of ``predict_proba`` on ``-distance^2``.
    n_features_in_ : int

    Notes
    -----
    ``X`` is a 3-d array ``(n_sets, set_size, n_features)``, a list of 2-d
    arrays of varying sizes, or a 2-d array read as sets of one vector (see
    :class:`MutualSubspaceClassifier`).

    References
    ----------
    A. Barachant, S. Bonnet, M. Congedo and C. Jutten, "Multiclass
    brain-computer interface classification by Riemannian geometry", IEEE
    Trans. Biomed. Eng., 2012 (MDM on SPD matrices).
    H. Karcher, "Riemannian center of mass and mollifier smoothing", Comm. Pure
    Appl. Math., 1977.

    Examples
    --------
    >>> from sksubspace.datasets import make_image_sets
    >>> from sksubspace.grassmann import GrassmannMinimumDistanceClassifier
    >>> X, y, _ = make_image_sets(n_classes=4, n_sets_per_class=10, random_state=0)
    >>> mdm = GrassmannMinimumDistanceClassifier(n_components=5).fit(X[:20], y[:20])
    >>> mdm.means_.shape
    (4, 100, 5)
    >>> mdm.score(X[20:], y[20:])
    1.0
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "mean": [StrOptions({"karcher", "flag"})],
        "metric": [StrOptions({"geodesic", "chordal", "projection", "binet-cauchy", "procrustes"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(
        self,
        n_components=None,
        *,
        mean="karcher",
        metric="geodesic",
        max_iter=100,
        tol=1e-10,
        device=None,
    ):
        self.n_components = n_components
        self.mean = mean
        self.metric = metric
        self.max_iter = max_iter
        self.tol = tol
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Compute the mean subspace of every class.

        Parameters
        ----------
        X : array of shape (n_sets, set_size, n_features), list of arrays of \
shape (set_size_i, n_features), or array of shape (n_sets, n_features)
            Training sets (see Notes).
        y : array-like of shape (n_sets,)

        Returns
        -------
        self : GrassmannMinimumDistanceClassifier
        """
        _require_y(self, y)
        sets, y = validate_sets(self, X, y)
        self.n_components_ = resolve_set_components(self.n_components, sets, self.n_features_in_)
        self.classes_, codes = _encode_labels(y)
        ctx = compute_context(self.device, sets_namespace_example(sets))
        xp = ctx.xp
        B = set_bases(sets_to_namespace(sets, ctx), self.n_components_)
        means, n_iter = [], []
        for c in range(self.classes_.shape[0]):
            Bc = xp.take(B, ctx.asarray(np.flatnonzero(codes == c)), axis=0)
            if self.mean == "flag":
                means.append(flag_mean(Bc))
                n_iter.append(0)
            else:
                M, it = karcher_mean(Bc, max_iter=self.max_iter, tol=self.tol, return_n_iter=True)
                means.append(M)
                n_iter.append(it)
        M = xp.stack(means)
        self.means_ = ctx.output(M)
        self.n_iter_ = np.asarray(n_iter)
        self.scale_ = _fit_scale(self._scores(B, M), codes)
        return self

    def _scores(self, B, M):
        D = pairwise_subspace_distances(B, M, metric=self.metric)
        return -D * D

    def _validated_scores(self, X):
        check_is_fitted(self)
        sets = validate_sets(self, X, reset=False)
        check_set_components(self.n_components_, sets, self.n_features_in_)
        ctx = compute_context(self.device, sets_namespace_example(sets))
        B = set_bases(sets_to_namespace(sets, ctx), self.n_components_)
        return ctx, self._scores(B, ctx.asarray(self.means_))

    def decision_function(self, X):
        """Minus the squared distance to each class mean.

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        scores : array of shape (n_sets, n_classes), or (n_sets,) for two classes.
        """
        ctx, scores = self._validated_scores(X)
        return ctx.output(_binary_or_full(scores))

    def predict(self, X):
        """Class of the nearest mean.

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        y : ndarray of shape (n_sets,)
        """
        _, scores = self._validated_scores(X)
        return _predict_from_scores(self.classes_, scores)

    def predict_proba(self, X):
        """``softmax(-scale_ * distance^2)`` over the classes.

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        proba : array of shape (n_sets, n_classes)
        """
        ctx, scores = self._validated_scores(X)
        return ctx.output(_softmax(self.scale_ * scores))
