"""K-subspaces: Lloyd-style alternation between assignment and per-cluster PCA."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, device_kw, to_float, to_numpy
from .._sklearn_compat import Interval, StrOptions, _check_sample_weight, _fit_context
from .._validation import ArrayAPISupportMixin, check_random_state, validate_data
from ._base import _check_n_clusters, _normalize_rows, subspace_residuals


def _pca_basis(Xk, d, xp):
    _, _, Vt = xp.linalg.svd(Xk, full_matrices=False)
    return xp.matrix_transpose(Vt[:d, :])


def _seed_bases(Xn, n_clusters, d, rng, xp):
    """Each basis: PCA of a random point and its 2d most aligned points (|cos|).

    The neighbours are found on the device of ``Xn`` (one product and a sort
    for all seeds); the seeds are drawn on the host, so every backend starts
    from the same points.
    """
    n = Xn.shape[0]
    seeds = xp.asarray(rng.choice(n, n_clusters, replace=False), **device_kw(Xn))
    sim = xp.abs(xp.take(Xn, seeds, axis=0) @ xp.matrix_transpose(Xn))
    near = xp.argsort(-sim, axis=1, stable=True)[:, : min(n, 2 * d + 1)]
    return [_pca_basis(xp.take(Xn, near[k, :], axis=0), d, xp) for k in range(n_clusters)]


def estimate_subspace_dim(X, rng, *, n_points=200, n_neighbors=None):
    """Dimension of the subspaces near which the rows of ``X`` lie, from local PCA.

    For up to ``n_points`` random points, the ``n_neighbors`` rows most
    aligned with it (largest ``|cos|``, sign-aligned, the point included)
    span mostly its own subspace. Their singular values drop after the
    subspace dimension ``d`` to the noise level; the position of the largest
    ratio ``s_i / s_{i+1}`` estimates ``d``. Nearest neighbours crowd around
    the point itself, so the uncentered neighbourhood may show its largest
    drop after ``s_1``; the centered one (the cap of the sphere, ``d``
    directions of spread) does not, but may lose one direction to the
    curvature. Each gives a median over the points; the estimate is the
    larger of the two, in ``[1, n_features - 1]``.

    ``n_neighbors`` defaults to ``max(20, n_features // 2)`` (capped by
    ``n_samples - 1``). Host NumPy work on an ``(n_points, n_samples)``
    block.
    """
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    if p < 2:
        return 1
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    Xn = X / np.where(norms > 0, norms, 1.0)
    q = int(min(n - 1, n_neighbors or max(20, p // 2)))
    pts = rng.choice(n, min(n, n_points), replace=False)
    S = Xn[pts] @ Xn.T
    S[np.arange(pts.size), pts] = 0.0
    near = np.argpartition(-np.abs(S), q - 1, axis=1)[:, :q]
    dims = np.empty((pts.size, 2), dtype=np.int64)
    for r, i in enumerate(pts):
        nb = np.vstack([Xn[near[r]] * np.sign(S[r, near[r]])[:, None], Xn[i]])
        for c, A in enumerate((nb, nb - nb.mean(axis=0))):
            s = np.linalg.svd(A, compute_uv=False)[: min(q, p) - 1]
            if s.size < 2 or s[0] <= 0:
                dims[r, c] = 1
                continue
            ratio = s[:-1] / np.maximum(s[1:], 1e-12 * s[0])
            dims[r, c] = int(np.argmax(ratio)) + 1
    d = int(np.max(np.round(np.median(dims, axis=0))))
    return max(1, min(d, p - 1))


def k_subspaces(X, n_clusters, d, rng, xp, *, max_iter=100, sample_weight=None):
    """One run of K-subspaces; returns labels, bases, total residual, iterations.

    With ``sample_weight`` (a NumPy array, non-negative) each basis is the PCA
    of its points scaled by the square roots of their weights, so the total
    residual minimized is ``sum_i w_i ||x_i - P x_i||^2``; points of weight 0
    are assigned but shape no subspace.

    The labels stay on the device of ``X``: each iteration reads back one
    small vector (the cluster sizes and the number of changed labels), which
    the convergence test and the slicing of each cluster's rows need; the
    points are grouped by cluster with a sort on the device.
    """
    dev = device_kw(X)
    Xn = _normalize_rows(X, xp)
    bases = _seed_bases(Xn, n_clusters, d, rng, xp)
    zeros = xp.zeros((n_clusters, X.shape[1]), dtype=X.dtype, **dev)
    clusters = xp.arange(n_clusters, **dev)
    if sample_weight is not None:
        root = xp.asarray(np.sqrt(sample_weight), dtype=X.dtype, **dev)
        X_fit = X * root[:, None]  # sqrt(w) x: the weighted PCA of each cluster
        pool = np.flatnonzero(sample_weight > 0)
        weighted = xp.asarray(sample_weight > 0, **dev)
    else:
        X_fit, pool, weighted = X, np.arange(X.shape[0]), None
    labels = None
    converged = False
    for it in range(1, max_iter + 1):  # noqa: B007 (returned)
        new = xp.argmin(subspace_residuals(X, bases, zeros), axis=1)
        # points of weight 0 sort after every cluster (key n_clusters): they shape none
        key = new if weighted is None else xp.where(weighted, new, n_clusters)
        sizes = xp.sum(xp.astype(key[:, None] == clusters[None, :], xp.int64), axis=0)
        n_changed = (
            xp.sum(xp.astype(new != labels, xp.int64))
            if labels is not None
            else xp.asarray(X.shape[0], dtype=xp.int64, **dev)
        )
        # the one read of the iteration: cluster sizes and the convergence test
        stats = np.asarray(to_numpy(xp.concat([sizes, n_changed[None]])), dtype=np.int64)
        if stats[-1] == 0:
            converged = True
            break
        labels = new
        order = xp.argsort(key, stable=True)
        ends = np.cumsum(stats[:-1])
        for k in range(n_clusters):
            idx = order[int(ends[k] - stats[k]) : int(ends[k])]
            if stats[k] < d:  # (nearly) empty cluster: reseed at a random point
                extra = rng.choice(pool, min(d, pool.size), replace=False)
                idx = xp.concat([idx, xp.asarray(extra, dtype=idx.dtype, **dev)])
            bases[k] = _pca_basis(xp.take(X_fit, idx, axis=0), d, xp)
    res = xp.min(subspace_residuals(X, bases, zeros), axis=1)
    if sample_weight is not None:
        res = res * xp.asarray(sample_weight, dtype=X.dtype, **dev)
    cost = to_float(xp.sum(res))
    return labels, bases, cost, it, converged


class KSubspaces(ArrayAPISupportMixin, ClusterMixin, BaseEstimator):
    """K-subspaces (k-planes) clustering.

    Minimizes the total squared distance of the points to their subspace,

    .. math::

        \\min_{\\{U_k\\}, \\text{labels}} \\sum_i \\|x_i - U_{k(i)} U_{k(i)}' x_i\\|^2,
        \\quad U_k \\in \\mathbb{R}^{p \\times d},\\; U_k'U_k = I,

    by Lloyd-style alternation: assign each point to the nearest subspace,
    then replace each subspace by the top-``subspace_dim`` PCA basis of its
    points, until the assignment no longer changes. Each of the ``n_init``
    runs starts from bases fitted to a random point and its most aligned
    neighbours (absolute cosine); the run with the smallest total residual is
    kept. Inductive: ``predict`` assigns new points to the nearest subspace.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of subspaces.
    subspace_dim : int or "auto", default="auto"
        Dimension of every subspace. ``"auto"`` estimates it once from the
        data by local PCA (:func:`estimate_subspace_dim`: the largest drop
        of the singular values of the neighbourhoods of 200 random points);
        the estimate is ``subspace_dim_``. It is right when the subspaces
        have about the same dimension and each point's nearest neighbours
        by absolute cosine lie mostly in its own subspace; pass the
        dimension when it is known.
    n_init : int, default=10
        Number of restarts.
    max_iter : int, default=100
        Maximum alternations per restart.
    random_state : int, RandomState instance or None, default=None
        Seeds the initializations.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (None follows the input).

    Attributes
    ----------
    labels_ : array of shape (n_samples,)
        Subspace of each training point.
    subspaces_ : list of arrays of shape (n_features, subspace_dim_)
        Orthonormal bases of the subspaces.
    subspace_dim_ : int
        Dimension of the subspaces (``subspace_dim`` or its estimate).
    inertia_ : float
        Total squared residual of the kept run (weighted by ``sample_weight``).
    n_iter_ : int
        Alternations of the kept run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string feature names only).

    References
    ----------
    P. S. Bradley and O. L. Mangasarian, "k-Plane Clustering", J. Global
    Optimization 16, 2000; R. Vidal, "Subspace Clustering", IEEE Signal
    Processing Magazine 28(2), 2011.

    Examples
    --------
    >>> from sksubspace.cluster import KSubspaces
    >>> from sksubspace.datasets import make_subspaces
    >>> from sksubspace.metrics import clustering_accuracy
    >>> X, y, _ = make_subspaces(3, 2, 20, 60, noise=0.01, random_state=0)
    >>> model = KSubspaces(n_clusters=3, random_state=0).fit(X)
    >>> model.subspace_dim_  # estimated from the data
    2
    >>> clustering_accuracy(y, model.labels_)
    1.0
    """

    _parameter_constraints = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "subspace_dim": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_init": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"n_clusters": 3}
    _expected_failed_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "integer weights give the objective of repeated rows, but the random "
            "initializations draw from a different number of rows"
        ),
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        subspace_dim="auto",
        n_init=10,
        max_iter=100,
        random_state=None,
        device=None,
    ):
        self.n_clusters = n_clusters
        self.subspace_dim = subspace_dim
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the subspaces.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each point in the objective
            ``sum_i w_i ||x_i - P_k(i) x_i||^2``: each subspace is the weighted
            PCA of its points. Points of weight 0 get a label but do not shape
            any subspace; integer weights act as repeated points.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X = validate_data(self, X, ensure_min_samples=2)
        n, p = X.shape
        _check_n_clusters(self.n_clusters, n)
        if self.subspace_dim != "auto" and self.subspace_dim >= p:
            raise ValueError(
                f"subspace_dim={self.subspace_dim} must be smaller than n_features={p}."
            )
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        rng = check_random_state(self.random_state)
        sw = None
        if sample_weight is not None:
            sw = _check_sample_weight(
                to_numpy(sample_weight), np.empty((n, 0)), ensure_non_negative=True
            )
        if self.subspace_dim == "auto":
            d = estimate_subspace_dim(to_numpy(X), rng)
        else:
            d = int(self.subspace_dim)
        d = int(min(d, n))
        best = None
        for _ in range(self.n_init):
            run = k_subspaces(
                Xc, self.n_clusters, d, rng, xp, max_iter=self.max_iter, sample_weight=sw
            )
            if best is None or run[2] < best[2]:
                best = run
        labels, bases, cost, n_iter, converged = best
        if not converged:
            warnings.warn(
                f"KSubspaces did not converge within max_iter={self.max_iter}; increase it.",
                ConvergenceWarning,
            )
        self.labels_ = ctx.output(xp.astype(labels, xp.int64))
        self.subspaces_ = [ctx.output(U) for U in bases]
        self.subspace_dim_ = d
        self.inertia_ = float(cost)
        self.n_iter_ = int(n_iter)
        return self

    def predict(self, X):
        """Index of the nearest subspace of each point.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : array of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        bases = [ctx.asarray(U) for U in self.subspaces_]
        zeros = xp.zeros((len(bases), Xc.shape[1]), dtype=Xc.dtype, **device_kw(Xc))
        return ctx.output(xp.argmin(subspace_residuals(Xc, bases, zeros), axis=1))
