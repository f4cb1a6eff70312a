"""Sparse subspace clustering by orthogonal matching pursuit (SSC-OMP)."""

from __future__ import annotations

import numbers

from .._backend import device_kw
from .._linalg import batched_omp, omp_codes_sparse
from .._sklearn_compat import Interval
from ..utils._threads import uses_n_jobs
from ._base import BaseSubspaceClustering


def omp_representation(X, xp, *, n_nonzero=10, tol=1e-6, verbose=0):
    """SSC-OMP self-representation as a SciPy CSR matrix.

    Each point is coded by batched OMP over all the *other* points, as they
    are (atoms are not rescaled: with noise of equal level on every point, a
    point of larger norm is a cleaner atom, and the plain correlation
    ``|<r, x_j>|`` prefers it, as in You et al.'s code and scikit-learn's
    :func:`~sklearn.linear_model.orthogonal_mp`). A point's pursuit stops
    after ``n_nonzero`` atoms or once ``||r|| <= tol ||x||``: the target is
    coded at unit norm, then its coefficients are scaled back.
    """
    n = X.shape[0]
    norms = xp.linalg.vector_norm(X, axis=1)
    norms = xp.where(norms > 0, norms, xp.ones_like(norms))
    idx, coef = batched_omp(
        X / norms[:, None],
        X,
        n_nonzero_coefs=n_nonzero,
        tol=tol**2,
        exclude=xp.arange(n, **device_kw(X)),
        verbose=verbose,
        desc="[OMPSubspaceClustering] coding",
    )
    return omp_codes_sparse(idx, coef * norms[:, None], n)


class OMPSubspaceClustering(BaseSubspaceClustering):
    """Sparse subspace clustering by orthogonal matching pursuit (SSC-OMP).

    Each point is approximated greedily by at most ``n_nonzero`` other points,

    .. math::

        \\min_{c_j} \\|x_j - \\textstyle\\sum_{i \\ne j} c_{ij} x_i\\|_2
        \\quad \\text{s.t.} \\quad \\|c_j\\|_0 \\le k,

    stopping early once the residual norm is below ``tol`` times the point's
    norm. Each step picks the point most correlated with the residual,
    ``|<r_j, x_i>|``, with the points as they are (as in the authors' code and
    scikit-learn's :func:`~sklearn.linear_model.orthogonal_mp`): under noise of
    equal level on every point, points of larger norm make a smaller angle
    with their subspace, and they are preferred as atoms. Do not scale the rows to unit norm
    beforehand unless their norms carry no information (that drops the
    accuracy at the authors' noisy setting from about 0.9 to 0.35). The codes
    form a sparse matrix ``C``; the affinity ``|C| + |C|'`` (rows of ``C``
    scaled to unit norm) goes to normalized spectral clustering. The pursuit is
    batched over blocks of points (matrix-matrix products, no per-step solves,
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
        Stop a point's pursuit once its residual norm is at most ``tol``
        times the point's norm.
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
        A progress bar over the blocks of points with rate and ETA (tqdm's
        when installed).
    n_jobs : int, default=None
        Host threads over the blocks of points on NumPy input (each block's
        codes are computed independently, so the codes do not depend on it):
        ``None`` means the available CPUs (``joblib.cpu_count``, capped by
        ``OMP_NUM_THREADS``; 1 when called from a worker thread), ``-1`` all
        CPUs. BLAS runs on one thread while the blocks run.
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
        "n_jobs": [numbers.Integral, None],
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
        n_jobs=None,
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
        self.n_jobs = n_jobs
        self.device = device

    @uses_n_jobs
    def _self_representation(self, X, xp):
        return omp_representation(
            X, xp, n_nonzero=self.n_nonzero, tol=self.tol, verbose=self.verbose
        )
