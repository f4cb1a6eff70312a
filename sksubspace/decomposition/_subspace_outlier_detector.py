"""Outlier detection by the residual to a principal subspace (SubspaceAD)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, get_namespace, to_numpy
from .._linalg import row_norms, svd_flip
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import ArrayAPISupportMixin, validate_data
from ._outlier_robust_pca import OutlierRobustPCA

__all__ = ["SubspaceOutlierDetector"]


def _n_kept(s, n_components, n_features):
    """Number of components: an int, or the smallest explaining a variance fraction."""
    s = np.asarray(to_numpy(s), dtype=np.float64)
    s2 = (s / max(s.max(initial=0.0), np.finfo(np.float64).tiny)) ** 2  # no overflow at 1e200
    limit = max(1, min(s2.shape[0], n_features - 1))
    if isinstance(n_components, numbers.Integral):
        return int(min(n_components, s2.shape[0]))
    total = s2.sum()
    if total <= 0:
        return 1
    ratio = np.cumsum(s2) / total
    return int(min(np.searchsorted(ratio, n_components) + 1, limit))


class SubspaceOutlierDetector(ArrayAPISupportMixin, OutlierMixin, BaseEstimator):
    r"""Outlier detection by the distance to a principal subspace (SubspaceAD).

    Fits a principal subspace to (mostly) normal samples and scores a sample
    by minus the norm of its residual to that subspace:

    .. math::

        \mathrm{score}(x) = -\|(I - V^\top V)(x - m)\|_2,

    where ``m`` is ``location_`` and the rows of ``V`` are ``components_``.
    Normal samples lie close to the subspace (score near 0), anomalies off it
    get very negative scores. ``predict`` thresholds ``decision_function =
    score_samples - offset_`` at 0, returning +1 (inlier) or -1 (outlier), as
    scikit-learn's :class:`~sklearn.ensemble.IsolationForest` does.

    Parameters
    ----------
    n_components : int or float, default=0.99
        Dimension of the subspace; a float in (0, 1) keeps the fewest
        principal components that explain that fraction of the variance
        (capped at ``n_features - 1`` so a residual remains).
    contamination : "auto" or float, default=0.1
        Expected fraction of outliers in the training data; sets ``offset_``
        to that quantile of the training scores (as in scikit-learn's
        ``EllipticEnvelope``). ``"auto"`` uses a robust
        cut instead: ``median + 3 * 1.4826 * MAD`` of the training residual
        norms (the 3-sigma rule under a normal-ish residual distribution).
    robust : bool, default=False
        Fit the subspace with :class:`OutlierRobustPCA` (filtering samples
        with large projected variance) instead of a plain SVD, for training
        data that already holds some outliers.
    random_state : int, RandomState instance or None, default=None
        Used by the robust fit only.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
        Mean of the training samples (inlier mean when ``robust=True``).
    components_ : ndarray of shape (n_components_, n_features)
        Orthonormal basis of the normal subspace.
    n_components_ : int
        Dimension of the subspace.
    offset_ : float
        ``decision_function = score_samples - offset_``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string column names only).

    References
    ----------
    SubspaceAD: training-free few-shot anomaly detection (PCA of normal
    features keeping 99% of the variance, anomaly score = residual norm).

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.decomposition import SubspaceOutlierDetector
    >>> rng = np.random.default_rng(0)
    >>> B = rng.standard_normal((3, 20))
    >>> X = rng.standard_normal((200, 3)) @ B + 0.01 * rng.standard_normal((200, 20))
    >>> det = SubspaceOutlierDetector(n_components=3, contamination="auto").fit(X)
    >>> det.predict(np.vstack([X[:2], rng.standard_normal((2, 20))]))
    array([ 1,  1, -1, -1])
    """

    _parameter_constraints = {
        "n_components": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="neither"),
        ],
        "contamination": [
            StrOptions({"auto"}),
            Interval(numbers.Real, 0, 0.5, closed="right"),
        ],
        "robust": ["boolean"],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(
        self,
        n_components=0.99,
        *,
        contamination=0.1,
        robust=False,
        random_state=None,
        device=None,
    ):
        self.n_components = n_components
        self.contamination = contamination
        self.robust = robust
        self.random_state = random_state
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the normal subspace and the decision threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples, mostly normal.
        y : Ignored

        Returns
        -------
        self : object
        """
        X = validate_data(self, X, ensure_min_samples=2)
        n_samples, n_features = X.shape
        if isinstance(self.n_components, numbers.Integral) and self.n_components > min(
            n_samples, n_features
        ):
            raise ValueError(
                f"n_components={self.n_components} must be at most min(n_samples, "
                f"n_features)={min(n_samples, n_features)}; lower n_components."
            )
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        location = xp.mean(Xc, axis=0)
        U, s, Vt = xp.linalg.svd(Xc - location, full_matrices=False)
        U, Vt = svd_flip(U, Vt)
        k = _n_kept(s, self.n_components, n_features)
        V = Vt[:k, :]
        if self.robust:
            contamination = 0.1 if self.contamination == "auto" else self.contamination
            orpca = OutlierRobustPCA(
                n_components=k, contamination=contamination, random_state=self.random_state
            ).fit(Xc)
            V, location = orpca.components_, orpca.mean_
        self.location_ = ctx.output(location)
        self.components_ = ctx.output(V)
        self.n_components_ = k
        residual = np.asarray(to_numpy(self._residual_norm(Xc, location, V, xp)), dtype=float)
        if self.contamination == "auto":
            med = np.median(residual)
            self.offset_ = -float(med + 3 * 1.4826 * np.median(np.abs(residual - med)))
        else:
            self.offset_ = float(np.percentile(-residual, 100 * self.contamination))
        return self

    @staticmethod
    def _residual_norm(X, location, V, xp):
        Xc = X - location
        R = Xc - (Xc @ xp.matrix_transpose(V)) @ V
        return row_norms(R)  # no overflow / underflow at 1e200 / 1e-200

    def score_samples(self, X):
        """Minus the norm of the residual to the fitted subspace (higher is more normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        location = xp.astype(ctx.asarray(self.location_), Xc.dtype)
        V = xp.astype(ctx.asarray(self.components_), Xc.dtype)
        return ctx.output(-self._residual_norm(Xc, location, V, xp))

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        decision : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, -1 for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        decision = self.decision_function(X)
        xp = get_namespace(decision)
        return 1 - 2 * xp.astype(decision < 0, xp.int64)
