"""Sparse subspace clustering by orthogonal matching pursuit (SSC-OMP)."""

from __future__ import annotations

import numbers

import scipy.sparse as sp

from .._backend import is_numpy
from .._linalg import batched_omp, omp_codes_sparse
from .._sklearn_compat import Interval
from ..utils._threads import effective_n_threads, row_blocks, threaded_block_map
from ._base import BaseSubspaceClustering, _block_size, _dev, _normalize_rows


def omp_representation(X, xp, *, n_nonzero=10, tol=1e-6, verbose=0):
    """SSC-OMP self-representation as a SciPy CSR matrix.

    Rows of ``X`` are scaled to unit norm; each is coded by batched OMP over
    all the other rows (``exclude`` = itself), in blocks of rows so that the
    work arrays are O(block x n_samples).
    """
    n = X.shape[0]
    Xn = _normalize_rows(X, xp)

    def code_block(start, stop):
        ids = xp.arange(start, stop, **_dev(X, xp))
        idx, coef = batched_omp(
            Xn[start:stop, :],
            Xn,
            n_nonzero_coefs=n_nonzero,
            tol=tol**2,
            exclude=ids,
        )
        if verbose > 1:
            print(f"[OMPSubspaceClustering] coded points {start}-{stop} of {n}")
        return omp_codes_sparse(idx, coef, n)

    # Blocks are independent: on NumPy they are shared among host threads.
    n_threads = effective_n_threads() if is_numpy(xp) else 1
    blocks = row_blocks(n, _block_size(n))
    parts = threaded_block_map(
        code_block, blocks, n_threads, verbose=verbose, desc="[OMPSubspaceClustering] coding"
    )
    return sp.csr_matrix(sp.vstack(parts))


class OMPSubspaceClustering(BaseSubspaceClustering):
    """Sparse subspace clustering by orthogonal matching pursuit (SSC-OMP).

    Each point (scaled to unit norm) is approximated greedily by at most
    ``n_nonzero`` other points,

    .. math::

        \\min_{c_j} \\|x_j - \\textstyle\\sum_{i \\ne j} c_{ij} x_i\\|_2
        \\quad \\text{s.t.} \\quad \\|c_j\\|_0 \\le k,

    stopping early once the residual norm is below ``tol``. The codes form a
    sparse matrix ``C``; the affinity ``|C| + |C|'`` (rows of ``C`` scaled to
    unit norm) goes to normalized spectral clustering. The pursuit is batched
    over blocks of points (matrix-matrix products and batched Cholesky updates,
    :func:`sksubspace._linalg.batched_omp`), so memory is O(block x n_samples)
    and the affinity has at most ``2 n_nonzero`` entries per row.

    Parameters
    ----------
    n_clusters : int or "auto", default=8
        Number of clusters; ``"auto"`` picks it from the largest eigengap of
        the normalized Laplacian (among the first 21 eigenvalues).
    n_nonzero : int, default=10
        Maximum number of points used to represent each point (about the
        subspace dimension).
    tol : float, default=1e-6
        Stop a point's pursuit once its residual norm (relative, points are
        unit norm) is at most ``tol``.
    affinity : {"symmetrize", "nearest_neighbors"}, default="symmetrize"
        Graph built from ``C``: ``|C| + |C|'`` or the kNN graph of the rows of
        ``C``.
    n_neighbors : int, default=3
        Neighbours of the ``"nearest_neighbors"`` affinity.
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
    verbose : int, default=0
        A progress bar over the points with rate and ETA (tqdm's when
        installed); ``verbose >= 2`` also prints a line per block of points.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (None follows the input).

    Attributes
    ----------
    labels_ : array of shape (n_samples,)
        Cluster of each training point.
    n_clusters_ : int
        Number of clusters found (``n_clusters`` unless ``"auto"``).
    representation_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        The OMP codes ``C`` (row ``j`` codes point ``j``).
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
    C. You, D. Robinson and R. Vidal, "Scalable Sparse Subspace Clustering by
    Orthogonal Matching Pursuit", CVPR 2016.

    Examples
    --------
    >>> from sksubspace.cluster import OMPSubspaceClustering
    >>> from sksubspace.datasets import make_subspaces
    >>> from sksubspace.metrics import clustering_accuracy
    >>> X, y, _ = make_subspaces(3, 3, 20, 60, noise=0.01, random_state=0)
    >>> model = OMPSubspaceClustering(n_clusters=3, n_nonzero=5, random_state=0).fit(X)
    >>> clustering_accuracy(y, model.labels_)
    1.0
    >>> bool((model.predict(X) == model.labels_).mean() > 0.99)
    True
    """

    _parameter_constraints = {
        **BaseSubspaceClustering._parameter_constraints,
        "n_nonzero": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "refine_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        n_nonzero=10,
        tol=1e-6,
        affinity="symmetrize",
        n_neighbors=3,
        n_init=10,
        refine_iter=10,
        random_state=None,
        verbose=0,
        device=None,
    ):
        self.n_clusters = n_clusters
        self.n_nonzero = n_nonzero
        self.tol = tol
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.n_init = n_init
        self.refine_iter = refine_iter
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    def _self_representation(self, X, xp):
        return omp_representation(
            X, xp, n_nonzero=self.n_nonzero, tol=self.tol, verbose=self.verbose
        )
