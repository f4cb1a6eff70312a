"""The machinery every self-expressive subspace clustering method shares.

self-representation ``C`` (one method per estimator) -> affinity ``W`` (sparse
where ``C`` is sparse) -> normalized spectral clustering
(:func:`sksubspace.cluster._spectral.spectral_clustering`) -> optional K-subspaces
refinement of the labels (``refine_labels``) -> per-cluster subspaces (PCA
of each cluster) -> ``predict`` of new points by the residual to each subspace.
"""

from __future__ import annotations

import numbers
from abc import abstractmethod

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.neighbors import kneighbors_graph
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, device_kw, get_namespace, is_numpy, to_numpy
from .._linalg import normalize_rows as _normalize_rows
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import ArrayAPISupportMixin, validate_data
from ._spectral import spectral_clustering

#: cumulative energy a cluster's PCA basis keeps (see ``_fit_subspaces``)
_ENERGY = 0.95

#: entries per dense block of (block x n_samples) work arrays
_BLOCK_ENTRIES = 2**22


def _block_size(n_samples, n_rows=None, entries=_BLOCK_ENTRIES):
    """Rows per block so that a (block, n_samples) array has about ``entries`` entries."""
    b = max(1, entries // max(1, n_samples))
    return int(min(b, n_rows if n_rows is not None else n_samples))


def _top_indices(A, k, xp):
    """Column indices of the ``k`` largest entries of each row of ``A`` (any order)."""
    k = min(k, A.shape[1])
    if is_numpy(xp):
        return np.argpartition(-np.asarray(A), k - 1, axis=1)[:, :k]
    return xp.argsort(-A, axis=1)[:, :k]


def _n_neighbors(n_neighbors, n_samples):
    """Neighbours of the kNN affinity: ``n_samples // 50`` within [3, 30] when None."""
    if n_neighbors is not None:
        return n_neighbors
    return int(min(30, max(3, n_samples // 50)))


def _check_n_clusters(n_clusters, n_samples):
    if n_clusters != "auto" and n_clusters > n_samples:
        raise ValueError(
            f"n_clusters={n_clusters} must be at most n_samples={n_samples}; lower "
            "n_clusters or pass more samples."
        )


def affinity_from_representation(C, *, affinity="symmetrize", n_neighbors=3, xp=None):
    """Symmetric affinity graph from a self-representation matrix ``C``.

    The rows of ``C`` are first scaled to unit l2 norm (so every point weighs
    the same), then

    * ``"symmetrize"``: ``W = |C| + |C|'``;
    * ``"nearest_neighbors"``: the symmetrized k-nearest-neighbour graph of the
      normalized rows of ``|C|`` (points that use the same points to represent
      themselves are neighbours).

    ``C`` may be a SciPy sparse matrix (the result is sparse CSR) or a dense
    array of any namespace (the result is dense in that namespace, except for
    the kNN graph, always SciPy sparse).
    """
    if sp.issparse(C):
        C = sp.csr_matrix(abs(C))
        norms = np.sqrt(np.asarray(C.multiply(C).sum(axis=1)).ravel())
        C = sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ C
        if affinity == "symmetrize":
            return sp.csr_matrix(C + C.T)
        A = sparse_knn_graph(C, n_neighbors)
        return sp.csr_matrix(0.5 * (A + A.T))
    xp = get_namespace(C) if xp is None else xp
    C = _normalize_rows(xp.abs(C), xp)
    if affinity == "symmetrize":
        return C + xp.matrix_transpose(C)
    A = kneighbors_graph(
        np.asarray(to_numpy(C)), n_neighbors=min(n_neighbors, C.shape[0] - 1), include_self=False
    )
    return sp.csr_matrix(0.5 * (A + A.T))


def sparse_knn_graph(C, n_neighbors, entries=2**19):
    """k-nearest-neighbour connectivity graph of the rows of a sparse ``C`` (Euclidean).

    ``kneighbors_graph(C, n_neighbors, include_self=False)`` of scikit-learn
    (the same neighbours, up to ties), with the squared distances
    ``|c_i|^2 + |c_j|^2 - 2 <c_i, c_j>`` of a block of rows taken from one
    sparse product at a time: dense work arrays of about ``entries`` entries
    (scikit-learn's distance chunks on sparse input are much larger).
    """
    C = sp.csr_matrix(C)
    n = C.shape[0]
    k = min(n_neighbors, n - 1)
    sq = np.asarray(C.multiply(C).sum(axis=1)).ravel()
    Ct = sp.csr_matrix(C.T)
    step = max(1, entries // max(n, 1))
    cols = np.empty((n, k), dtype=np.int64)
    for a in range(0, n, step):
        z = min(a + step, n)
        d2 = (C[a:z] @ Ct).toarray()
        d2 *= -2.0
        d2 += sq[a:z, None]
        d2 += sq[None, :]
        d2[np.arange(z - a), np.arange(a, z)] = np.inf  # not its own neighbour
        cols[a:z] = np.argpartition(d2, k - 1, axis=1)[:, :k]
    return sp.csr_matrix((np.ones(n * k), cols.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))


def _fit_subspaces(X, labels, n_clusters, xp, *, affine=False, dims=None):
    """Orthonormal basis (and offset) of each cluster by PCA.

    The dimension of cluster ``k`` is ``dims[k]`` when given, else the
    smallest that keeps 95% of its energy; at most ``min(n_k, n_features - 1)``
    (a basis of the whole space would reconstruct every point). Empty clusters
    get an empty basis.
    """
    n_features = X.shape[1]
    bases, offsets = [], []
    for k in range(n_clusters):
        idx = np.flatnonzero(labels == k)
        Xk = xp.take(X, xp.asarray(idx, **device_kw(X)), axis=0)
        mu = (
            xp.mean(Xk, axis=0)
            if (affine and idx.size)
            else xp.zeros(n_features, dtype=X.dtype, **device_kw(X))
        )
        if idx.size == 0:
            bases.append(xp.zeros((n_features, 0), dtype=X.dtype, **device_kw(X)))
            offsets.append(mu)
            continue
        _, s, Vt = xp.linalg.svd(Xk - mu, full_matrices=False)
        energy = np.cumsum(np.asarray(to_numpy(s), dtype=np.float64) ** 2)
        total = energy[-1] if energy.size and energy[-1] > 0 else 1.0
        d = int(np.searchsorted(energy / total, _ENERGY) + 1) if dims is None else int(dims[k])
        d = max(1, min(d, idx.size, n_features - 1))
        bases.append(xp.matrix_transpose(Vt[:d, :]))
        offsets.append(mu)
    return bases, xp.stack(offsets)


def refine_labels(X, labels, n_clusters, xp, *, max_iter=10, affine=False, weights=None):
    """K-subspaces rounds started from a clustering (spectral clustering's labels).

    Fits each cluster's PCA subspace, assigns every point to the subspace that
    reconstructs it best, and repeats (Lloyd iterations of K-subspaces, so with
    the dimensions fixed the total squared residual never increases). The
    dimensions are chosen by the 95% energy rule of :func:`_fit_subspaces`
    and kept until the labels settle; they are then re-estimated on the
    settled clusters, and the rounds go on while that changes them, at most
    ``max_iter`` rounds in all. Self-expressive affinities decide which
    points belong together but are least reliable near the intersections of
    subspaces, where the residual to the fitted subspaces is the sharper test
    (K-subspaces started from a graph clustering, as in Lipor, Hong, Tan &
    Balzano, "Subspace clustering using ensembles of K-subspaces", 2021).

    ``X`` may also be a list of representations of the same points (views);
    each cluster then has a subspace in every view and points are assigned by
    :func:`view_residuals` with ``weights``.

    ``labels`` is a host int array; returns the refined labels and the number
    of rounds that changed them.
    """
    # One view is the plain case: dividing each point's residuals by its own
    # squared norm (view_residuals) does not change which subspace is nearest.
    views = list(X) if isinstance(X, (list, tuple)) else [X]

    def fit(labels, dims=None):
        return [
            _fit_subspaces(
                V, labels, n_clusters, xp, affine=affine, dims=None if dims is None else dims[v]
            )
            for v, V in enumerate(views)
        ]

    def dims_of(models):
        return [[U.shape[1] for U in bases] for bases, _ in models]

    labels = np.asarray(labels, dtype=np.int64)
    models = fit(labels)
    dims = dims_of(models)
    changed = 0
    for _ in range(max_iter):
        res = view_residuals(views, models, weights)
        new = np.asarray(to_numpy(xp.argmin(res, axis=1)), dtype=np.int64)
        if np.array_equal(new, labels):  # settled: are the dimensions still right?
            models = fit(labels)
            new_dims = dims_of(models)
            if new_dims == dims:
                break
            dims = new_dims
            continue
        labels, changed = new, changed + 1
        models = fit(labels, dims)
    return labels, changed


def subspace_residuals(X, bases, offsets):
    """Squared distance of each row of ``X`` to each affine subspace.

    ``bases[k]`` is an orthonormal (n_features, d_k) basis and ``offsets[k]``
    its offset; returns an (n_samples, n_clusters) array.
    """
    xp = get_namespace(X)
    cols = []
    for k, U in enumerate(bases):
        R = X - offsets[k, :]
        P = R @ U
        cols.append(xp.sum(R * R, axis=1) - xp.sum(P * P, axis=1))
    return xp.stack(cols, axis=1)


def view_residuals(views, models, weights=None):
    """Residuals of points to each cluster's subspaces, summed over representations.

    ``views[v]`` is an (n_samples, n_features_v) representation of the same
    points and ``models[v] = (bases, offsets)`` the clusters' subspaces in it.
    Each view's squared residual (:func:`subspace_residuals`) is divided by
    the point's squared norm in that view, so that views of any scale weigh
    alike (a linear residual is then in [0, 1]), and the views are summed with
    ``weights`` (equal when None): an (n_samples, n_clusters) array.
    """
    xp = get_namespace(*views)
    weights = [1.0] * len(views) if weights is None else [float(w) for w in weights]
    total = None
    for V, (bases, offsets), w in zip(views, models, weights, strict=True):
        res = subspace_residuals(V, bases, offsets)
        sq = xp.sum(V * V, axis=1)
        sq = xp.where(sq > 0, sq, xp.ones_like(sq))
        term = res * (w / sq)[:, None]
        total = term if total is None else total + term
    return total


class BaseSubspaceClustering(ArrayAPISupportMixin, ClusterMixin, BaseEstimator):
    """Self-expressive subspace clustering: representation, affinity, spectral step.

    Subclasses implement ``_self_representation(X, xp)`` returning the
    (n_samples, n_samples) matrix ``C`` with ``x_i ~ sum_j C_ij x_j`` and
    ``C_ii = 0``, either SciPy sparse (host) or a dense array of ``xp``.
    """

    _parameter_constraints = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "affinity": [StrOptions({"symmetrize", "nearest_neighbors"})],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_init": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    _test_init_params = {"n_clusters": 3}
    #: whether the clusters are affine (offsets fitted) rather than linear subspaces
    _affine_subspaces = False

    @abstractmethod
    def _self_representation(self, X, xp):
        """Return the self-representation ``C`` (sparse host or dense ``xp``)."""

    def _min_samples(self):
        return 2

    def _refine_iter(self):
        """Rounds of :func:`refine_labels` after the spectral step.

        Estimators exposing a ``refine_iter`` parameter use it; the others
        keep the spectral labels.
        """
        return getattr(self, "refine_iter", 0)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Cluster ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points near a union of subspaces, one per row.
        y : Ignored

        Returns
        -------
        self : object
            Fitted estimator.
        """
        ctx, Xc, C, W = self._representation_graph(X)
        self._fit_spectral(Xc, ctx.xp, ctx, W, Xc.shape[0])
        self._keep_matrices(ctx, C, W)
        return self

    def _representation_graph(self, X):
        """Validate ``X``; its self-representation ``C`` and affinity ``W``.

        Returns ``(ctx, Xc, C, W)`` with ``Xc`` the data in the compute namespace.
        """
        X = validate_data(self, X, ensure_min_samples=self._min_samples())
        _check_n_clusters(self.n_clusters, X.shape[0])
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        C = self._self_representation(Xc, ctx.xp)
        W = affinity_from_representation(
            C, affinity=self.affinity, n_neighbors=_n_neighbors(self.n_neighbors, X.shape[0])
        )
        return ctx, Xc, C, W

    def _keep_matrices(self, ctx, C, W):
        """Keep ``C`` and ``W`` as fitted attributes unless ``store_matrices`` says not to.

        Estimators whose matrices can grow faster than ``n_samples`` (dense, or
        sparse without a cap on nonzeros per row) expose ``store_matrices``:
        fitted models must pickle small (joblib / Dask workers send them back).
        """
        if getattr(self, "store_matrices", True):
            self.representation_matrix_ = C if sp.issparse(C) else ctx.output(C)
            self.affinity_matrix_ = W if sp.issparse(W) else ctx.output(W)

    def _fit_spectral(self, Xc, xp, ctx, W, n_samples, keep=None, n_clusters=None):
        """Spectral step, per-cluster subspaces and the fitted labels.

        ``n_clusters`` overrides the ``n_clusters`` parameter (an estimator
        that settled the count earlier, e.g. from its initial graph).
        """
        labels, n_clusters, ev = spectral_clustering(
            W,
            self.n_clusters if n_clusters is None else n_clusters,
            n_init=self.n_init,
            random_state=self.random_state,
            max_clusters=min(20, n_samples - 1),
        )
        labels = np.asarray(labels, dtype=np.int64)
        Xfit = Xc
        refine_iter = self._refine_iter()
        if refine_iter:
            Xg = Xc if keep is None else xp.take(Xc, xp.asarray(keep, **device_kw(Xc)), axis=0)
            labels, _ = refine_labels(
                Xg, labels, n_clusters, xp, max_iter=refine_iter, affine=self._affine_subspaces
            )
        if keep is not None:  # some points (outliers) were left out of the graph
            full = np.full(n_samples, -1, dtype=np.int64)
            full[keep] = labels
            labels = full
        bases, offsets = _fit_subspaces(Xfit, labels, n_clusters, xp, affine=self._affine_subspaces)
        self.n_clusters_ = int(n_clusters)
        self.labels_ = ctx.output(xp.asarray(labels, **device_kw(Xc)))
        self.subspaces_ = [ctx.output(U) for U in bases]
        self.subspace_offsets_ = ctx.output(offsets)

    def predict(self, X):
        """Assign each point to the cluster whose subspace reconstructs it best.

        The label of ``x`` is ``argmin_k ||x - o_k - U_k U_k' (x - o_k)||``
        where ``U_k`` (``subspaces_[k]``) is the PCA basis of the k-th fitted
        cluster and ``o_k`` its offset (zero for linear subspaces). This is an
        inductive rule: on the training points it may differ from ``labels_``
        where a point is closer to another cluster's subspace.

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
        offsets = ctx.asarray(self.subspace_offsets_)
        res = subspace_residuals(Xc, bases, offsets)
        return ctx.output(xp.argmin(res, axis=1))

    def fit_predict(self, X, y=None):
        """Fit and return ``labels_`` (the transductive clustering of ``X``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        labels : array of shape (n_samples,)
        """
        return self.fit(X).labels_
