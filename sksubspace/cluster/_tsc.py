"""Thresholding-based subspace clustering (TSC)."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from .._backend import device_kw, to_numpy
from .._sklearn_compat import Interval
from ._base import BaseSubspaceClustering, _block_size, _normalize_rows, _top_indices


def tsc_representation(X, xp, *, n_neighbors=10):
    """TSC graph (SciPy CSR): each point's ``q`` nearest by absolute cosine.

    Weights are ``exp(-2 arccos |cos|)``; computed in blocks of rows so that
    memory is O(block x n_samples). The top-``q`` selection and the weights
    stay on the device of ``X``: each block hands only its ``block x q``
    indices and weights to the host (two reads per block), where the graph is
    assembled for the spectral step.
    """
    n = X.shape[0]
    q = int(min(n_neighbors, n - 1))
    Xn = _normalize_rows(X, xp)
    XnT = xp.matrix_transpose(Xn)
    dev = device_kw(X)
    cols = xp.arange(n, **dev)[None, :]
    block = _block_size(n)
    rows, col_idx, vals = [], [], []
    for start in range(0, n, block):
        stop = min(n, start + block)
        S = xp.abs(Xn[start:stop, :] @ XnT)
        own = xp.arange(start, stop, **dev)[:, None] == cols
        S = xp.where(own, xp.asarray(-1.0, dtype=S.dtype, **dev), S)
        idx = _top_indices(S, q, xp)
        sim = xp.clip(xp.take_along_axis(S, idx, axis=1), 0.0, 1.0)
        rows.append(np.repeat(np.arange(start, stop), q))
        col_idx.append(np.asarray(to_numpy(idx), dtype=np.int64).ravel())
        vals.append(np.asarray(to_numpy(xp.exp(-2.0 * xp.acos(sim)))).ravel())
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(col_idx))), shape=(n, n)
    )


class ThresholdingSubspaceClustering(BaseSubspaceClustering):
    """Thresholding-based subspace clustering (TSC).

    Each point (rows scaled to unit norm) is linked to the ``n_neighbors``
    points with the largest absolute cosine similarity ``|<x_i, x_j>|``, with
    weight ``exp(-2 arccos |<x_i, x_j>|)``. The graph ``C`` is symmetrized
    (``|C| + |C|'`` after scaling rows to unit norm) and clustered by
    normalized spectral clustering. Cheap (one product per block of points,
    O(block x n_samples) memory) and a strong baseline when every subspace is
    densely sampled.

    Parameters
    ----------
    n_clusters : int or "auto", default=8
        Number of clusters; ``"auto"`` picks it from the largest eigengap.
    n_neighbors : int, default=10
        Number of points each point is linked to (``q``); roughly the
        subspace dimension up to a few times it.
    affinity : {"symmetrize", "nearest_neighbors"}, default="symmetrize"
        Graph built from ``C``.
    n_init : int, default=10
        k-means restarts of the spectral step.
    refine_iter : int, default=10
        Rounds of K-subspaces refinement of the spectral labels: fit each
        cluster's PCA subspace, move every point to the subspace that
        reconstructs it best, repeat until no label changes. It corrects the
        points near the intersections of subspaces, where the affinity is
        least reliable; 0 keeps the spectral labels.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start and k-means.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (None follows the input).

    Attributes
    ----------
    labels_ : array of shape (n_samples,)
        Cluster of each training point.
    n_clusters_ : int
        Number of clusters found.
    representation_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        The thresholded similarity graph.
    affinity_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        The graph given to spectral clustering.
    subspaces_ : list of arrays of shape (n_features, d_k)
        Orthonormal PCA basis of each cluster (dimension keeping 95% energy).
    subspace_offsets_ : array of shape (n_clusters_, n_features)
        Offsets of the subspaces (zero: they are linear).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string feature names only).

    References
    ----------
    R. Heckel and H. Boelcskei, "Robust Subspace Clustering via
    Thresholding", IEEE Trans. Information Theory 61(11), 2015.

    Examples
    --------
    >>> from sksubspace.cluster import ThresholdingSubspaceClustering
    >>> from sksubspace.datasets import make_subspaces
    >>> from sksubspace.metrics import clustering_accuracy
    >>> X, y, _ = make_subspaces(3, 3, 20, 60, noise=0.01, random_state=0)
    >>> model = ThresholdingSubspaceClustering(n_clusters=3, n_neighbors=5, random_state=0)
    >>> clustering_accuracy(y, model.fit_predict(X))
    1.0
    """

    _parameter_constraints = {
        **BaseSubspaceClustering._parameter_constraints,
        "refine_iter": [Interval(numbers.Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        n_neighbors=10,
        affinity="symmetrize",
        n_init=10,
        refine_iter=10,
        random_state=None,
        device=None,
    ):
        self.n_clusters = n_clusters
        self.n_neighbors = n_neighbors
        self.affinity = affinity
        self.n_init = n_init
        self.refine_iter = refine_iter
        self.random_state = random_state
        self.device = device

    def _self_representation(self, X, xp):
        return tsc_representation(X, xp, n_neighbors=self.n_neighbors)
