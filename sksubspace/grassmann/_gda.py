"""Grassmann discriminant analysis: kernel discriminant analysis over set subspaces."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import (
    as_index,
    compute_context,
    device_kw,
    from_numpy,
    get_namespace,
    solve_triangular,
)
from .._linalg import cholesky, eigh_topk
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
from ._geometry import binet_cauchy_kernel, projection_kernel
from ._sets import (
    check_set_components,
    resolve_set_components,
    set_bases,
    sets_namespace_example,
    sets_to_namespace,
    validate_sets,
)

_KERNELS = {"projection": projection_kernel, "binet-cauchy": binet_cauchy_kernel}


def _kda(K, codes, n_classes, n_discriminants, alpha):
    """Regularised kernel discriminant directions (Hamm & Lee 2008, eq. 10).

    Maximises ``a' K (V - 1 1'/N) K a / a' (K (I - V) K + s^2 I) a`` with ``V`` the
    block-diagonal class-averaging matrix, through the Cholesky factor of the
    denominator: returns ``A`` (N, n_discriminants) and the eigenvalues.
    """
    xp = get_namespace(K)
    N = K.shape[0]
    onehot = xp.astype(
        as_index(codes, K)[:, None] == xp.arange(n_classes, **device_kw(K))[None, :], K.dtype
    )
    counts = from_numpy(np.bincount(codes, minlength=n_classes).astype(np.float64), like=K)
    KY = K @ onehot  # (N, C): sums of kernel columns per class
    KVK = (KY / counts[None, :]) @ xp.matrix_transpose(KY)
    k1 = xp.sum(K, axis=1, keepdims=True)
    between = KVK - (k1 @ xp.matrix_transpose(k1)) / N
    within = K @ K - KVK
    reg = alpha * xp.sum(xp.linalg.diagonal(within)) / N + 1e-12
    within = within + reg * xp.eye(N, dtype=K.dtype, **device_kw(K))
    L = cholesky(0.5 * (within + xp.matrix_transpose(within)))
    Linv_B = solve_triangular(L, between, lower=True, xp=xp)
    C = solve_triangular(L, xp.matrix_transpose(Linv_B), lower=True, xp=xp)
    w, Y = eigh_topk(0.5 * (C + xp.matrix_transpose(C)), n_discriminants)
    A = solve_triangular(L, Y, lower=True, trans=True, xp=xp)
    return A, w


class GrassmannDiscriminantAnalysis(_SubspaceClassifierMixin, TransformerMixin, BaseEstimator):
    """Grassmann discriminant analysis (GDA): kernel LDA over the subspaces of sets.

    Each sample is a set of vectors, summarised by its ``n_components``-
    dimensional subspace ``U_i``. A positive definite Grassmann kernel
    (projection ``||U_i' U_j||_F^2`` or Binet-Cauchy ``det(U_i' U_j)^2``) gives the
    Gram matrix ``K``, and regularised kernel discriminant analysis finds the
    coefficients ``a`` maximising the Rayleigh quotient (Hamm & Lee 2008)::

        a' K (V - 1 1' / N) K a  /  a' (K (I - V) K + sigma^2 I) a,

    ``V`` averaging within classes. ``transform`` maps a set to the
    discriminant coordinates ``k(U, U_train) A``; ``predict`` assigns the class of
    the nearest class centroid there.

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the subspace of each set (at most the smallest set size
        and n_features); ``None`` means ``min(5, smallest set size, n_features)``.
    kernel : {"projection", "binet-cauchy"}, default="projection"
    n_discriminants : int, default=None
        Dimension of the discriminant space; ``n_classes - 1`` when None.
    alpha : float, default=1e-3
        Regularisation ``sigma^2`` relative to the mean diagonal of the
        within-class scatter ``K (I - V) K``.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy.

    Attributes
    ----------
    n_components_ : int
        The dimension of the set subspaces used.
    classes_ : ndarray of shape (n_classes,)
    bases_ : array of shape (n_train_sets, n_features, n_components_)
        Subspaces of the training sets (the kernel needs them at prediction).
    dual_coef_ : array of shape (n_train_sets, n_discriminants)
        The discriminant coefficients ``A``.
    eigenvalues_ : array of shape (n_discriminants,)
        Generalised Rayleigh quotients of the discriminant directions.
    centroids_ : array of shape (n_classes, n_discriminants)
        Class means in the discriminant space.
    scale_ : float
        Softmax temperature of ``predict_proba``.
    n_features_in_ : int

    Notes
    -----
    ``X`` is a 3-d array ``(n_sets, set_size, n_features)``, a list of 2-d
    arrays of varying sizes, or a 2-d array read as sets of one vector (see
    :class:`MutualSubspaceClassifier`). Fitting costs ``O(N^3)`` in the number
    of training sets.

    References
    ----------
    J. Hamm and D. D. Lee, "Grassmann discriminant analysis: a unifying view on
    subspace-based learning", ICML 2008.

    Examples
    --------
    >>> from sksubspace.datasets import make_image_sets
    >>> from sksubspace.grassmann import GrassmannDiscriminantAnalysis
    >>> X, y, _ = make_image_sets(n_classes=4, n_sets_per_class=10, random_state=0)
    >>> gda = GrassmannDiscriminantAnalysis(n_components=5).fit(X[:20], y[:20])
    >>> gda.transform(X[20:]).shape
    (20, 3)
    >>> gda.score(X[20:], y[20:])
    1.0
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "kernel": [StrOptions(set(_KERNELS))],
        "n_discriminants": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(
        self,
        n_components=None,
        *,
        kernel="projection",
        n_discriminants=None,
        alpha=1e-3,
        device=None,
    ):
        self.n_components = n_components
        self.kernel = kernel
        self.n_discriminants = n_discriminants
        self.alpha = alpha
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the kernel discriminant directions.

        Parameters
        ----------
        X : array of shape (n_sets, set_size, n_features), list of arrays of \
shape (set_size_i, n_features), or array of shape (n_sets, n_features)
            Training sets (see Notes).
        y : array-like of shape (n_sets,)

        Returns
        -------
        self : GrassmannDiscriminantAnalysis
        """
        _require_y(self, y)
        sets, y = validate_sets(self, X, y)
        self.n_components_ = resolve_set_components(self.n_components, sets, self.n_features_in_)
        self.classes_, codes = _encode_labels(y)
        n_classes = self.classes_.shape[0]
        if n_classes < 2:
            raise ValueError(
                f"GrassmannDiscriminantAnalysis needs at least 2 classes; got {n_classes} class(es)."
            )
        r = n_classes - 1 if self.n_discriminants is None else self.n_discriminants
        N = codes.shape[0]
        if r > N:
            raise ValueError(f"n_discriminants={r} must be at most the number of sets ({N}).")
        ctx = compute_context(self.device, sets_namespace_example(sets))
        xp = ctx.xp
        B = set_bases(sets_to_namespace(sets, ctx), self.n_components_)
        K = _KERNELS[self.kernel](B)
        A, w = _kda(K, codes, n_classes, r, float(self.alpha))
        Z = K @ A
        onehot = xp.astype(
            as_index(codes, Z)[:, None] == xp.arange(n_classes, **device_kw(Z))[None, :],
            Z.dtype,
        )
        counts = from_numpy(np.bincount(codes).astype(np.float64), like=Z)
        centroids = (xp.matrix_transpose(onehot) @ Z) / counts[:, None]
        self.bases_ = ctx.output(B)
        self.dual_coef_ = ctx.output(A)
        self.eigenvalues_ = ctx.output(w)
        self.centroids_ = ctx.output(centroids)
        self._n_features_out = r
        self.scale_ = _fit_scale(self._scores(Z, centroids), codes)
        return self

    @staticmethod
    def _scores(Z, centroids):
        """Minus half the squared distances to the class centroids."""
        xp = get_namespace(Z, centroids)
        diff = xp.expand_dims(Z, axis=1) - xp.expand_dims(centroids, axis=0)
        return -0.5 * xp.sum(diff * diff, axis=-1)

    def _embed(self, X):
        check_is_fitted(self)
        sets = validate_sets(self, X, reset=False)
        check_set_components(self.n_components_, sets, self.n_features_in_)
        ctx = compute_context(self.device, sets_namespace_example(sets))
        B = set_bases(sets_to_namespace(sets, ctx), self.n_components_)
        K = _KERNELS[self.kernel](B, ctx.asarray(self.bases_))
        return ctx, K @ ctx.asarray(self.dual_coef_)

    def transform(self, X):
        """Discriminant coordinates ``k(U, U_train) A`` of the sets.

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        Z : array of shape (n_sets, n_discriminants)
        """
        ctx, Z = self._embed(X)
        return ctx.output(Z)

    def decision_function(self, X):
        """Minus half the squared distance to each class centroid.

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        scores : array of shape (n_sets, n_classes), or (n_sets,) for two classes.
        """
        ctx, Z = self._embed(X)
        return ctx.output(_binary_or_full(self._scores(Z, ctx.asarray(self.centroids_))))

    def predict(self, X):
        """Class of the nearest centroid in the discriminant space.

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        y : ndarray of shape (n_sets,)
        """
        ctx, Z = self._embed(X)
        return _predict_from_scores(self.classes_, self._scores(Z, ctx.asarray(self.centroids_)))

    def predict_proba(self, X):
        """``softmax(scale_ * decision)`` over the classes.

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        proba : array of shape (n_sets, n_classes)
        """
        ctx, Z = self._embed(X)
        scores = self._scores(Z, ctx.asarray(self.centroids_))
        return ctx.output(_softmax(self.scale_ * scores))

    def get_feature_names_out(self, input_features=None):
        """Names ``grassmanndiscriminantanalysis{i}`` of the discriminant coordinates."""
        check_is_fitted(self)
        name = type(self).__name__.lower()
        return np.asarray([f"{name}{i}" for i in range(self._n_features_out)], dtype=object)
