"""Low-rank representation (LRR) by inexact ALM in the row space of the data."""

from __future__ import annotations

import numbers
import warnings

from sklearn.exceptions import ConvergenceWarning

from .._backend import device_kw, move_like, to_float
from .._linalg import group_soft_threshold, svt
from .._sklearn_compat import Interval
from .._validation import check_random_state
from ._base import BaseSubspaceClustering, _normalize_rows


def lrr_representation(
    X,
    xp,
    *,
    alpha=1.0,
    max_iter=500,
    tol=1e-6,
    mu=1e-6,
    mu_growth=1.1,
    mu_max=1e10,
    random_state=None,
    verbose=0,
):
    """LRR self-representation by inexact ALM, never forming an N x N SVD.

    With ``Y = X'`` (samples as columns) solves

        min_{Z, E}  ||Z||_* + alpha ||E||_{2,1}   s.t.  Y = Y Z + E.

    The minimizer lies in the row space of ``Y``: with the thin SVD
    ``Y' = Q S V'`` (rank ``r <= min(N, D)``), ``Z = Q J`` where ``J`` (r, N)
    solves the same problem with the dictionary ``A = Y Q = V S`` (Liu et al.
    2013, Theorem 3.1). The ALM iterations then work on r x N matrices: an SVT
    of an r x N matrix, a diagonal solve (``A'A = S^2``) and a column-wise
    group shrinkage of the errors. Returns the dense ``C = Z'`` (row ``j``
    codes point ``j``), the column-error matrix ``E'`` (N, D), the number of
    iterations and whether the stopping rule was met.
    """
    n, d = X.shape
    Y = xp.matrix_transpose(X)  # (D, N)
    Q, s, Vt = xp.linalg.svd(X, full_matrices=False)  # X = Q S V'
    s_max = to_float(xp.max(s)) if s.shape[0] else 0.0
    r = int(to_float(xp.sum(xp.astype(s > s_max * max(n, d) * 1e-12, xp.int64))))
    r = max(r, 1)
    Q, s, V = Q[:, :r], s[:r], xp.matrix_transpose(Vt[:r, :])
    A = V * s[None, :]  # (D, r) = Y Q
    At = xp.matrix_transpose(A)
    inv_diag = 1.0 / (s * s + 1.0)  # (A'A + I)^-1, diagonal
    AtY = At @ Y  # (r, N)
    rng = check_random_state(random_state)
    J = xp.zeros((r, n), dtype=X.dtype, **device_kw(X))
    Z = xp.zeros_like(J)
    E = xp.zeros_like(Y)
    Y1 = xp.zeros_like(Y)
    Y2 = xp.zeros_like(J)
    rank = 1
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (returned)
        U, sig, Wt = svt(Z + Y2 / mu, 1.0 / mu, rank_guess=rank + 5, random_state=rng)
        rank = max(1, int(sig.shape[0]))
        J = (U * sig[None, :]) @ Wt
        Z = inv_diag[:, None] * (AtY - At @ E + J + (At @ Y1 - Y2) / mu)
        R = Y - A @ Z
        E = group_soft_threshold(R + Y1 / mu, alpha / mu, axis=0)
        leq1 = R - E
        leq2 = Z - J
        err = max(to_float(xp.max(xp.abs(leq1))), to_float(xp.max(xp.abs(leq2))))
        if verbose and it % 10 == 0:
            print(f"[LowRankRepresentation] iteration {it}, rank {rank}, error {err:.2e}")
        if err < tol:
            converged = True
            break
        Y1 = Y1 + mu * leq1
        Y2 = Y2 + mu * leq2
        mu = min(mu_max, mu * mu_growth)
    C = xp.matrix_transpose(Q @ Z)  # (N, N), row j codes point j
    return C, xp.matrix_transpose(E), it, converged


class LowRankRepresentation(BaseSubspaceClustering):
    """Low-rank representation (LRR) subspace clustering.

    Finds the lowest-rank self-representation of the points, with
    sample-specific (column-sparse) errors,

    .. math::

        \\min_{Z, E} \\; \\|Z\\|_* + \\alpha \\|E\\|_{2,1}
        \\quad \\text{s.t. } Y = Y Z + E, \\quad Y = X',

    where ``||.||_*`` is the nuclear norm and ``||E||_{2,1}`` the sum of the
    l2 norms of the columns of ``E`` (one per point; rows of ``X`` are first
    scaled to unit norm). The problem is solved by inexact ALM (Liu et al.
    2013) in the row space of the data: with ``X = Q S V'`` (thin SVD,
    rank ``r``), ``Z = Q J`` and the iterations work on r x n_samples
    matrices (SVT of an r x n_samples matrix, a diagonal solve), never an
    n_samples x n_samples SVD. The representation ``C = Z'`` (dense) gives
    the affinity ``|C| + |C|'`` (rows scaled to unit norm) and normalized
    spectral clustering the labels. Exact for independent subspaces (``Z`` is
    then block diagonal); memory is O(n_samples^2) for the final ``C`` only.

    Parameters
    ----------
    n_clusters : int or "auto", default=8
        Number of clusters; ``"auto"`` picks it from the largest eigengap.
    alpha : float, default=1.0
        Weight of the column-sparse errors (larger: fewer points treated as
        corrupted).
    max_iter : int, default=500
        Maximum number of ALM iterations.
    tol : float, default=1e-6
        Stop when the largest entry of both constraint residuals is below it.
    affinity : {"symmetrize", "nearest_neighbors"}, default="symmetrize"
        Graph built from ``C``.
    n_neighbors : int, default=3
        Neighbours of the ``"nearest_neighbors"`` affinity.
    n_init : int, default=10
        k-means restarts of the spectral step.
    store_matrices : bool, default=False
        Keep ``representation_matrix_`` and ``affinity_matrix_`` as fitted
        attributes. Both are dense ``n_samples x n_samples`` arrays; off by
        default so that a fitted model stays small in memory and in its pickle
        (e.g. when sent back by joblib or Dask workers).
    random_state : int, RandomState instance or None, default=None
        Seeds the randomized SVT (used when the rank is large), the
        eigensolver start and k-means.
    verbose : int, default=0
        Print the ALM residual every 10 iterations.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (None follows the input).

    Attributes
    ----------
    labels_ : array of shape (n_samples,)
        Cluster of each training point.
    n_clusters_ : int
        Number of clusters found.
    representation_matrix_ : array of shape (n_samples, n_samples)
        The dense representation ``C = Z'`` (row ``j`` codes point ``j``;
        its diagonal is not constrained to zero). Only with
        ``store_matrices=True``.
    affinity_matrix_ : array of shape (n_samples, n_samples)
        The graph given to spectral clustering. Only with
        ``store_matrices=True``.
    errors_ : array of shape (n_samples, n_features)
        The errors ``E'`` (one row per point, of the unit-norm points); rows
        with a large norm flag corrupted points.
    subspaces_ : list of arrays of shape (n_features, d_k)
        Orthonormal PCA basis of each cluster (dimension keeping 95% energy).
    subspace_offsets_ : array of shape (n_clusters_, n_features)
        Offsets of the subspaces (zero: they are linear).
    n_iter_ : int
        Number of ALM iterations run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string feature names only).

    References
    ----------
    G. Liu, Z. Lin, S. Yan, J. Sun, Y. Yu and Y. Ma, "Robust Recovery of
    Subspace Structures by Low-Rank Representation", IEEE TPAMI 35(1), 2013.

    Examples
    --------
    >>> from sksubspace.cluster import LowRankRepresentation
    >>> from sksubspace.datasets import make_subspaces
    >>> from sksubspace.metrics import clustering_accuracy
    >>> X, y, _ = make_subspaces(3, 3, 20, 30, noise=0.01, random_state=0)
    >>> model = LowRankRepresentation(n_clusters=3, random_state=0)
    >>> clustering_accuracy(y, model.fit_predict(X))
    1.0
    """

    _parameter_constraints = {
        **BaseSubspaceClustering._parameter_constraints,
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "store_matrices": ["boolean"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        alpha=1.0,
        max_iter=500,
        tol=1e-6,
        affinity="symmetrize",
        n_neighbors=3,
        n_init=10,
        store_matrices=False,
        random_state=None,
        verbose=0,
        device=None,
    ):
        self.n_clusters = n_clusters
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.n_init = n_init
        self.store_matrices = store_matrices
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    def _self_representation(self, X, xp):
        C, E, self.n_iter_, converged = lrr_representation(
            _normalize_rows(X, xp),
            xp,
            alpha=self.alpha,
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
            verbose=self.verbose,
        )
        if not converged:
            warnings.warn(
                f"The ALM did not reach tol={self.tol} within max_iter={self.max_iter} "
                "iterations; increase max_iter or tol.",
                ConvergenceWarning,
            )
        self._errors = E
        return C

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
        super().fit(X, y)
        E = self.__dict__.pop("_errors")
        # back in the namespace of the input, like the other fitted attributes
        self.errors_ = move_like(E, self.labels_)
        return self
