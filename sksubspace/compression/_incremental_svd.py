"""Truncated SVD of a matrix seen one block of samples at a time (Brand's update)."""

from __future__ import annotations

import math
import numbers

from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, to_float
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import validate_data
from ._base import _empty_svd, small_problem_blas, svd_update

__all__ = ["IncrementalTruncatedSVD"]


class IncrementalTruncatedSVD(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Rank-``k`` truncated SVD updated block by block, never holding all the data.

    The samples seen so far, stacked as the columns of ``A = X'``
    (``n_features x n_samples_seen``), are summarized by a rank-``k`` basis
    ``U`` and singular values ``s``. Each call to :meth:`partial_fit` appends
    the new samples as a block of columns ``B`` of ``A`` with Brand's update
    (:func:`svd_update`): project ``B`` on ``U``, take the QR factorization of
    the incremental residual ``B - U U' B``, compute the SVD of the small
    ``(k + c) x (k + c)`` core and truncate it to rank ``k``. Memory and time per
    block are ``O(n_features (k + c))`` and ``O(n_features (k + c)^2)``.

    While ``n_components`` is at least the rank of the data seen nothing is
    truncated and the result is the exact SVD of the concatenation (the
    ``components_`` and ``singular_values_`` of :class:`TruncatedSVD` on all
    the samples, up to signs). Otherwise the energy dropped by each update is
    recorded: the errors of successive updates are orthogonal, so
    ``residual_norm_`` is exactly the Frobenius error of the tracked rank-``k``
    approximation of ``X``, an upper bound on both the optimal rank-``k``
    error and ``||X - X V' V||_F`` for ``V = components_``.

    Like :class:`~sklearn.decomposition.TruncatedSVD` the data are not
    centred.

    Parameters
    ----------
    n_components : int, default=2
        Rank ``k`` kept (at most ``n_features``).
    batch_size : int, default=None
        Samples per update in :meth:`fit`; ``None`` means ``5 * n_features``.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy.

    Attributes
    ----------
    components_ : array of shape (n_components_, n_features)
        Right singular vectors of ``X`` (orthonormal rows).
    singular_values_ : array of shape (n_components_,)
        Tracked singular values, descending.
    n_components_ : int
        Rank kept: ``min(n_components, rank of the data seen)``.
    residual_norm_ : float
        Frobenius error of the tracked approximation (0 when nothing was
        truncated).
    relative_error_ : float
        ``residual_norm_ / ||X||_F``.
    n_samples_seen_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only for inputs with string feature names.

    See Also
    --------
    svd_update : the update of one block, as a function.
    concat_svd_error_bounds : bounds on the optimal error of a concatenation.

    References
    ----------
    M. Brand. "Fast low-rank modifications of the thin singular value
    decomposition", Linear Algebra Appl. 415, 2006. "Concatenated Matrix SVD:
    Compression Bounds, Incremental Approximation, and Error-Constrained
    Clustering", 2026.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.compression import IncrementalTruncatedSVD
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 4)) @ rng.standard_normal((4, 20))
    >>> est = IncrementalTruncatedSVD(n_components=4)
    >>> for chunk in np.array_split(X, 10):
    ...     est = est.partial_fit(chunk)
    >>> s = np.linalg.svd(X, compute_uv=False)[:4]
    >>> bool(np.allclose(est.singular_values_, s))
    True
    >>> est.residual_norm_ < 1e-8
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(self, n_components=2, *, batch_size=None, device=None):
        self.n_components = n_components
        self.batch_size = batch_size
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit on ``X`` in blocks of ``batch_size`` samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : object
        """
        if hasattr(self, "_U"):
            del self._U
        X = validate_data(self, X)
        batch = self.batch_size or 5 * X.shape[1]
        for lo in range(0, X.shape[0], batch):
            self._partial_fit(X[lo : min(lo + batch, X.shape[0]), :])
        return self

    def partial_fit(self, X, y=None):
        """Append the samples of ``X`` (one block of columns of ``X'``).

        Parameters
        ----------
        X : array-like of shape (n_block, n_features)
        y : Ignored

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "_U")
        if first:
            self._validate_params()
        X = validate_data(self, X, reset=first)
        return self._partial_fit(X)

    def _partial_fit(self, X):
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        d = Xc.shape[1]
        if not hasattr(self, "_U"):
            if self.n_components > d:
                raise ValueError(
                    f"n_components={self.n_components} must be at most n_features={d}; "
                    "lower n_components."
                )
            U, s = _empty_svd(d, Xc)
            self._discarded_sq = 0.0
            self._total_sq = 0.0
            self.n_samples_seen_ = 0
        else:
            U = xp.astype(ctx.asarray(self._U), Xc.dtype)
            s = xp.astype(ctx.asarray(self.singular_values_), Xc.dtype)
        with small_problem_blas(xp, d):
            U, s, dropped, _ = svd_update(U, s, xp.matrix_transpose(Xc), self.n_components)
        self._discarded_sq += to_float(xp.sum(dropped)) if dropped.shape[0] else 0.0
        self._total_sq += to_float(xp.sum(Xc * Xc))
        self.n_samples_seen_ += Xc.shape[0]
        self._U = ctx.output(U)
        self.singular_values_ = ctx.output(s)
        self.components_ = ctx.output(xp.matrix_transpose(U))
        self.n_components_ = int(U.shape[1])
        self._n_features_out = self.n_components_
        self.residual_norm_ = math.sqrt(self._discarded_sq)
        self.relative_error_ = (
            self.residual_norm_ / math.sqrt(self._total_sq) if self._total_sq > 0 else 0.0
        )
        return self

    def transform(self, X):
        """Project on the components: ``X @ components_.T``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : array of shape (n_samples, n_components_)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        U = xp.astype(ctx.asarray(self._U), Xc.dtype)
        return ctx.output(Xc @ U)

    def inverse_transform(self, X):
        """Map codes back to feature space: ``X @ components_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)

        Returns
        -------
        X_original : array of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Z = ctx.asarray(X)
        U = xp.astype(ctx.asarray(self._U), Z.dtype)
        return ctx.output(Z @ xp.matrix_transpose(U))
