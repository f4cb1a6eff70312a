"""Least squares regression subspace clustering (LSR)."""

from __future__ import annotations

import numbers

from .._linalg import cholesky_solve
from .._sklearn_compat import Interval
from ._base import BaseSubspaceClustering


def lsr_representation(X, xp, *, alpha=0.1, zero_diagonal=True):
    """LSR self-representation (dense ``xp`` array), in closed form.

    Without the diagonal constraint ``C = (G + alpha I)^-1 G`` with the Gram
    matrix ``G = X X'``, computed through the features (Woodbury):
    ``C = X (X'X + alpha I)^-1 X'``. With it (LSR1 of Lu et al.),
    ``C = -P diag(P)^-1`` off the diagonal, ``P = (G + alpha I)^-1 =
    (I - X (X'X + alpha I)^-1 X') / alpha``.
    """
    n, d = X.shape
    Xt = xp.matrix_transpose(X)
    K = Xt @ X + alpha * xp.eye(d, dtype=X.dtype)
    B = cholesky_solve(K, Xt)  # (d, n) = (X'X + alpha I)^-1 X'
    H = X @ B  # X (X'X + alpha I)^-1 X'
    if not zero_diagonal:
        return H
    eye = xp.eye(n, dtype=X.dtype)
    P = (eye - H) / alpha
    dP = xp.sum(P * eye, axis=0)
    C = -P / dP[None, :]
    C = xp.matrix_transpose(C)  # row j codes point j
    return C * (1.0 - eye)


class LeastSquaresSubspaceClustering(BaseSubspaceClustering):
    """Least squares regression subspace clustering (LSR).

    Solves the ridge self-representation

    .. math::

        \\min_C \\|X - C X\\|_F^2 + \\alpha \\|C\\|_F^2
        \\quad (\\text{and } \\operatorname{diag}(C) = 0
        \\text{ with ``zero_diagonal=True``})

    in closed form (through the ``n_features x n_features`` system, Woodbury),
    then clusters the affinity ``|C| + |C|'`` (rows scaled to unit norm) by
    normalized spectral clustering. ``C`` is dense: memory is
    O(n_samples^2), so LSR suits up to about 10^4 points. Exact for
    independent subspaces (grouping effect).

    Parameters
    ----------
    n_clusters : int or "auto", default=8
        Number of clusters; ``"auto"`` picks it from the largest eigengap.
    alpha : float, default=0.1
        Ridge penalty.
    zero_diagonal : bool, default=True
        Forbid points from representing themselves (LSR1); ``False`` is LSR2.
    affinity : {"symmetrize", "nearest_neighbors"}, default="symmetrize"
        Graph built from ``C``.
    n_neighbors : int, default=3
        Neighbours of the ``"nearest_neighbors"`` affinity.
    n_init : int, default=10
        k-means restarts of the spectral step.
    store_matrices : bool, default=False
        Keep the dense ``representation_matrix_`` and ``affinity_matrix_``
        (``n_samples x n_samples`` each) as fitted attributes. Off by default
        so that a fitted model stays O(n_samples * n_features) in memory and
        in its pickle (e.g. when sent back by joblib or Dask workers).
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
    representation_matrix_ : array of shape (n_samples, n_samples)
        The dense representation ``C`` (row ``j`` codes point ``j``); only
        with ``store_matrices=True``.
    affinity_matrix_ : array of shape (n_samples, n_samples)
        The graph given to spectral clustering; only with
        ``store_matrices=True``.
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
    C.-Y. Lu, H. Min, Z.-Q. Zhao, L. Zhu, D.-S. Huang and S. Yan, "Robust and
    Efficient Subspace Segmentation via Least Squares Regression", ECCV 2012.

    Examples
    --------
    >>> from sksubspace.cluster import LeastSquaresSubspaceClustering
    >>> from sksubspace.datasets import make_subspaces
    >>> from sksubspace.metrics import clustering_accuracy
    >>> X, y, _ = make_subspaces(3, 3, 20, 60, noise=0.01, random_state=0)
    >>> model = LeastSquaresSubspaceClustering(n_clusters=3, random_state=0)
    >>> clustering_accuracy(y, model.fit_predict(X))
    1.0
    """

    _parameter_constraints = {
        **BaseSubspaceClustering._parameter_constraints,
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "zero_diagonal": ["boolean"],
        "store_matrices": ["boolean"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        alpha=0.1,
        zero_diagonal=True,
        affinity="symmetrize",
        n_neighbors=3,
        n_init=10,
        store_matrices=False,
        random_state=None,
        device=None,
    ):
        self.n_clusters = n_clusters
        self.alpha = alpha
        self.zero_diagonal = zero_diagonal
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.n_init = n_init
        self.store_matrices = store_matrices
        self.random_state = random_state
        self.device = device

    def _self_representation(self, X, xp):
        return lsr_representation(X, xp, alpha=self.alpha, zero_diagonal=self.zero_diagonal)
