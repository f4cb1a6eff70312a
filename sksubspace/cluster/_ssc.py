"""Sparse subspace clustering (SSC) by ADMM, with the affine and outlier variants."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from .._backend import device_kw, to_float, to_numpy
from .._linalg import cholesky_solve, soft_threshold
from .._sklearn_compat import Interval, StrOptions, _fit_context
from ..utils._threads import row_blocks, uses_n_jobs
from ._base import (
    BaseSubspaceClustering,
    _block_size,
    _fit_subspaces,
    _normalize_rows,
    subspace_residuals,
)
from ._ensc import enet_representation


def _right_inverse(P, lam, rho, method, xp):
    """``R -> R (lam / rho P P' + I)^-1`` for (rows, M) arrays ``R``, factored once.

    ``P`` is (M, k). With ``method="woodbury"`` only the k x k system
    ``K = (rho / lam) I + P'P`` is factored (Cholesky) and the product is
    ``R - (R P) K^-1 P'``: O(rows M k). With ``"direct"`` the M x M inverse is
    formed once (Cholesky) and applied as a product: O(rows M^2).
    """
    m, k = P.shape
    Pt = xp.matrix_transpose(P)
    if method == "woodbury":
        K = (rho / lam) * xp.eye(k, dtype=P.dtype, **device_kw(P)) + Pt @ P
        B = cholesky_solve(K, Pt)  # (k, M) = K^-1 P'

        def apply(R):
            return R - (R @ P) @ B

        return apply
    eye = xp.eye(m, dtype=P.dtype, **device_kw(P))
    Minv = cholesky_solve((lam / rho) * (P @ Pt) + eye, eye)

    def apply(R):
        return R @ Minv

    return apply


def ssc_admm(
    X,
    P,
    xp,
    *,
    lam,
    rho,
    n_self,
    affine=False,
    max_iter=200,
    tol=1e-4,
    method="auto",
    verbose=0,
):
    """ADMM for the self-expressive lasso with a zero diagonal (and affine rows).

    Solves, for targets ``X`` (N, D) and dictionary ``P`` (M, D) whose first
    ``n_self = N`` rows are the points themselves,

        min_Z  ||Z||_1 + lam / 2 ||X - Z P||_F^2
        s.t.   Z[j, j] = 0 (j < n_self),   Z[:, :n_self] 1 = 1 (affine),

    by splitting ``Z = A = C`` (Elhamifar & Vidal 2013): ``A`` takes the
    quadratic and the affine constraint, ``C`` the l1 norm and the diagonal.
    The A-step is the linear system ``A (lam P P' + rho I + rho e e') = RHS``
    (``e`` marks the first ``n_self`` columns), the same at every iteration:
    it is factored once (:func:`_right_inverse`, through the ``D + 1``
    features when that is smaller than ``M``). Stops when the largest entry
    of ``A - C``, of the change of ``C`` (scaled to at least 1 by the largest
    entry of ``C``) and, if affine, of ``A 1 - 1`` are at most ``tol``.

    Returns ``C`` (dense ``xp``), the number of iterations and whether it
    converged.
    """
    n, m = X.shape[0], P.shape[0]
    dev = device_kw(X)
    if affine:
        e = xp.astype(xp.arange(m, **dev) < n_self, X.dtype)
        Paug = xp.concat([P, (rho / lam) ** 0.5 * e[:, None]], axis=1)
    else:
        Paug = P
    if method == "auto":
        method = "woodbury" if Paug.shape[1] < m else "direct"
    solve = _right_inverse(Paug, lam, rho, method, xp)
    # scaled ADMM: U = Lambda / rho, u = delta / rho; the A-step is
    # A (lam / rho P P' + I + e e') = lam / rho X P' + C - U + (1 - u) e'
    F = solve((lam / rho) * (X @ xp.matrix_transpose(P)))  # constant part
    if affine:
        g = solve(e[None, :])  # (1, M)
        ones = xp.ones((n, 1), dtype=X.dtype, **dev)
        u = xp.zeros((n, 1), dtype=X.dtype, **dev)
    offdiag = 1.0 - xp.eye(n, m, dtype=X.dtype, **dev)
    C = xp.zeros((n, m), dtype=X.dtype, **dev)
    U = xp.zeros_like(C)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (returned)
        A = F + solve(C - U)
        if affine:
            A = A + (ones - u) * g
        V = A + U
        C_old = C
        C = soft_threshold(V, 1.0 / rho) * offdiag
        U = V - C  # = U + (A - C)
        if affine:
            row_err = xp.sum(A[:, :n_self], axis=1, keepdims=True) - ones
            u = u + row_err
        if it % 10 == 0 or it == max_iter:
            scale = max(1.0, to_float(xp.max(xp.abs(C))))
            err = max(to_float(xp.max(xp.abs(A - C))), to_float(xp.max(xp.abs(C - C_old))) / scale)
            if affine:
                err = max(err, to_float(xp.max(xp.abs(row_err))))
            if verbose:
                print(f"[SparseSubspaceClustering] iteration {it}, error {err:.2e}")
            if err <= tol:
                converged = True
                break
    return C, it, converged


def ssc_representation(
    X,
    xp,
    *,
    alpha=20.0,
    affine=False,
    outliers=False,
    error_penalty=10.0,
    max_iter=500,
    tol=1e-3,
    method="auto",
    verbose=0,
):
    """SSC self-representation (SciPy CSR) by ADMM.

    Solves ``min ||C||_1 + lam_e ||E||_1 + lam / 2 ||X - C X - E||_F^2`` with
    ``diag(C) = 0`` (and ``C 1 = 1`` if ``affine``; ``E = 0`` unless
    ``outliers``) through :func:`ssc_admm`. The error term is a lasso on the
    dictionary augmented with ``I / lam_e`` (Elhamifar & Vidal 2013, Sec. 3.3).
    Rows are scaled to unit norm first unless ``affine`` (that would move the
    points off their affine subspaces); then ``lam = alpha / mu`` where ``mu``
    is the smallest, over points, of the largest correlation of a point with
    another dictionary row (``lam`` below ``1 / mu`` gives ``C = 0``), and
    ``lam_e = error_penalty / max_j ||x_j||_1`` so that explaining a whole
    point as an error costs about ``error_penalty``. Returns ``C``, the
    number of iterations and whether the ADMM converged.
    """
    n, d = X.shape
    if not affine:
        X = _normalize_rows(X, xp)
    dev = device_kw(X)
    if outliers:
        lam_e = error_penalty / to_float(xp.max(xp.sum(xp.abs(X), axis=1)))
        P = xp.concat([X, xp.eye(d, dtype=X.dtype, **dev) / lam_e], axis=0)
    else:
        P = X
    T = xp.abs(X @ xp.matrix_transpose(P)) * (1.0 - xp.eye(n, P.shape[0], dtype=X.dtype, **dev))
    mu = to_float(xp.min(xp.max(T, axis=1)))
    del T
    lam = alpha / (mu if mu > 0 else 1.0)
    Z, n_iter, converged = ssc_admm(
        X,
        P,
        xp,
        lam=lam,
        rho=lam,
        n_self=n,
        affine=affine,
        max_iter=max_iter,
        tol=tol,
        method=method,
        verbose=verbose,
    )
    C = sp.csr_matrix(np.asarray(to_numpy(Z[:, :n])))
    C.eliminate_zeros()
    return C, n_iter, converged


def _smallest_top_correlation(Xn, xp):
    """``min_j max_{i != j} |<x_i, x_j>|`` by row blocks (memory O(block x n_samples))."""
    n = Xn.shape[0]
    Xn_t = xp.matrix_transpose(Xn)
    cols = xp.arange(n, **device_kw(Xn))[None, :]
    mu = float("inf")
    for start, stop in row_blocks(n, _block_size(n, entries=2**19)):
        T = xp.abs(Xn[start:stop, :] @ Xn_t)
        ids = xp.arange(start, stop, **device_kw(Xn))[:, None]
        T = xp.where(cols == ids, xp.zeros_like(T), T)
        mu = min(mu, to_float(xp.min(xp.max(T, axis=1))))
    return mu


def ssc_lasso_representation(X, xp, *, alpha=20.0, support_size=50, max_iter=40, verbose=0):
    """SSC self-representation (SciPy CSR) as one exact lasso per point.

    Without the affine constraint and the error term, SSC's program separates
    over points: ``min_c |c|_1 + lam/2 |x_j - sum_i c_i x_i|^2`` with
    ``c_j = 0``, ``lam = alpha / mu`` as in :func:`ssc_representation`. Each
    is solved exactly by the oracle-guided active-set method of EnSC
    (:func:`enet_representation` with ``tau=1`` and the same penalty
    ``1 / lam`` for every point), in memory O(block x n_samples). Returns
    ``C``, the largest number of active-set rounds and whether every point's
    active set settled.
    """
    Xn = _normalize_rows(X, xp)
    mu = _smallest_top_correlation(Xn, xp)
    lam = alpha / (mu if mu > 0 else 1.0)
    C, rounds, unconverged = enet_representation(
        Xn,
        xp,
        tau=1.0,
        n_nonzero=None,
        support_size=support_size,
        max_iter=max_iter,
        penalty=1.0 / lam,
        verbose=verbose,
    )
    return C, rounds, unconverged == 0


def random_walk_scores(C, n_steps=1000):
    """Outlier scores from a random walk on the representation graph.

    The walk moves from point ``i`` to ``j`` with probability proportional to
    ``|C_ij|`` (the points that ``i`` uses to represent itself). Inliers use
    only inliers of their own subspace, so the walk, started uniformly, ends
    up there; points that no one uses (outliers) lose their mass (You,
    Robinson & Vidal 2017). Returns ``-log10(n_samples * pi)`` with ``pi`` the
    walk's average distribution over ``n_steps`` steps: about 0 or below for
    inliers, large for outliers (at most 16).
    """
    n = C.shape[0]
    A = sp.csr_matrix(abs(C))
    out = np.asarray(A.sum(axis=1)).ravel()
    P = sp.diags(1.0 / np.where(out > 0, out, 1.0)) @ A
    Pt = sp.csr_matrix(P.T)
    pi = np.full(n, 1.0 / n)
    avg = np.zeros(n)
    for _ in range(n_steps):
        pi = Pt @ pi
        avg += pi
    avg *= n / n_steps
    return np.minimum(-np.log10(np.maximum(avg, 1e-300)), 16.0)


def _near_a_subspace(X, labels, bases, offsets, xp, *, residual=0.5):
    """Cluster of each unlabelled point that lies near one of the fitted subspaces.

    A point that no other point uses is transient for the random walk of
    :func:`random_walk_scores` even if it is an inlier (sparse codes leave
    some points unused); but an inlier lies near the subspace of its cluster
    while an outlier does not. Returns, for the points labelled -1 whose
    distance to the nearest fitted (affine) subspace is at most ``residual``
    times their norm (relative to that subspace's offset), that cluster, and
    -1 everywhere else (NumPy).
    """
    out = np.full(labels.shape[0], -1, dtype=np.int64)
    todo = np.flatnonzero(labels < 0)
    if todo.size == 0:
        return out
    Xt = xp.take(X, xp.asarray(todo, **device_kw(X)), axis=0)
    res = np.asarray(to_numpy(subspace_residuals(Xt, bases, offsets)), dtype=np.float64)
    sq = np.stack(
        [
            np.asarray(to_numpy(xp.sum((Xt - offsets[k, :]) ** 2, axis=1)), dtype=np.float64)
            for k in range(len(bases))
        ],
        axis=1,
    )
    best = res.argmin(axis=1)
    rows = np.arange(todo.size)
    ok = res[rows, best] <= residual**2 * sq[rows, best]
    out[todo[ok]] = best[ok]
    return out


class SparseSubspaceClustering(BaseSubspaceClustering):
    """Sparse subspace clustering (SSC) by ADMM, with affine and outlier options.

    Each point is written as a sparse combination of the other points,

    .. math::

        \\min_{C, E} \\; \\|C\\|_1 + \\lambda_e \\|E\\|_1
        + \\tfrac{\\lambda}{2} \\|X - C X - E\\|_F^2
        \\quad \\text{s.t. } \\operatorname{diag}(C) = 0
        \\;(\\text{and } C \\mathbf{1} = \\mathbf{1} \\text{ if ``affine``}),

    where rows of ``X`` are points (scaled to unit norm unless ``affine``),
    ``E = 0`` unless ``outliers=True``, ``lambda = alpha / mu`` with ``mu =
    min_j max_{i != j} |<x_i, x_j>|`` (``lambda <= 1 / mu`` gives ``C = 0``)
    and ``lambda_e = error_penalty / max_j ||x_j||_1``. Without ``affine``
    and ``outliers`` the problem separates into one lasso per point, solved
    exactly by a batched active-set method (the solver of
    :class:`ElasticNetSubspaceClustering`; memory O(block x n_samples), at
    most ``n_features`` nonzeros per code). Otherwise it is solved for all
    points at once by ADMM (Elhamifar & Vidal 2013): the linear system of its
    quadratic step is the same at every iteration and is factored once,
    through the ``n_features (+ 1)`` dimensional system (Woodbury) when that
    is smaller than ``n_samples``, so an iteration costs O(n_samples^2
    n_features) products and elementwise work, in memory O(n_samples^2) (a
    few dense n_samples x n_samples arrays): SSC by ADMM suits up to a few
    thousand points. The sparse codes ``C`` give the affinity ``|C| + |C|'``
    (rows of ``C`` scaled to unit norm) and normalized spectral clustering
    gives the labels.

    With ``outliers=True`` two things change: the codes get the sparse error
    term ``E`` (gross errors in some coordinates of a point are absorbed
    there instead of spreading over ``C``), and points that lie in no
    subspace are detected. Inliers use only inliers of their own subspace,
    whereas no inlier needs an outlier, so a random walk on the
    representation graph (from ``i`` to ``j`` with probability proportional
    to ``|C_ij|``) leaves the outliers (You, Robinson & Vidal 2017). Points
    whose ``outlier_scores_`` exceed ``outlier_threshold`` are left out of
    the spectral step; those among them that lie near the subspace of one of
    the clusters found (distance at most half their norm: inliers that no
    other point happened to use) then join that cluster, the others are
    outliers, labelled -1 and left out of the subspaces. Outliers can only be
    told apart when the subspaces are small next to the ambient space: with
    subspaces of dimension 6 in R^9, say, any point of R^9 is a combination
    of points of two subspaces, and none is flagged.

    Parameters
    ----------
    n_clusters : int or "auto", default=8
        Number of clusters; ``"auto"`` picks it from the largest eigengap of
        the normalized Laplacian (among the first 21 eigenvalues).
    alpha : float, default=20.0
        Weight of the reconstruction error relative to the smallest one that
        gives nonzero codes (larger: closer to exact self-expression; use
        smaller values for noisier data).
    affine : bool, default=False
        Add the constraint ``C 1 = 1`` (affine subspaces); the points are then
        not scaled to unit norm and ``subspace_offsets_`` are fitted.
    outliers : bool, default=False
        Model sparse errors ``E`` and detect outlying points (label -1).
    error_penalty : float, default=10.0
        About the cost of explaining a whole point as an error with
        ``outliers=True`` (larger: fewer errors); ignored otherwise.
    outlier_threshold : float, default=1.0
        With ``outliers=True``, points whose ``outlier_scores_`` exceed it
        are outliers: the random walk visits them at least ``10 **
        outlier_threshold`` times less than the average point.
    max_iter : int, default=500
        Maximum number of ADMM iterations.
    tol : float, default=1e-3
        Stop when the largest entry of ``A - C`` (the two copies of the codes),
        of the change of ``C`` over an iteration (relative to ``max(1,
        max|C|)``) and, if ``affine``, of the row sums of ``A`` minus 1 is at
        most ``tol`` (checked every 10 iterations).
    affinity : {"nearest_neighbors", "symmetrize"}, default="nearest_neighbors"
        Graph built from ``C`` (rows scaled to unit norm): the symmetrized
        ``n_neighbors``-nearest-neighbour graph of the rows of ``|C|`` (points
        that use the same points to represent themselves are neighbours, as in
        You et al.'s code), or ``|C| + |C|'``. The neighbour graph is more
        robust on real data (digits: ACC 0.84-0.88 against 0.73-0.78); on
        clean unions of subspaces the two are close (see the user guide).
    n_neighbors : int, default=None
        Neighbours of the ``"nearest_neighbors"`` affinity; None means
        ``n_samples // 50`` within [3, 30] (a point's neighbours should stay
        within its cluster).
    n_init : int, default=10
        k-means restarts of the spectral step.
    refine_iter : int, default=10
        Rounds of K-subspaces refinement of the spectral labels: fit each
        cluster's PCA subspace, move every point to the subspace that
        reconstructs it best, repeat until no label changes. It corrects the
        points near the intersections of subspaces, where the affinity is
        least reliable; 0 keeps the spectral labels.
    solver : {"auto", "admm", "active_set"}, default="auto"
        How the codes are computed. ``"active_set"`` solves the lasso of each
        point exactly with the batched active-set solver of
        :class:`ElasticNetSubspaceClustering` (the points most correlated with
        it first, then those that break its optimality conditions), in memory
        O(block x n_samples) and with at most ``n_features`` nonzeros per
        code; it needs ``affine=False`` and ``outliers=False``. ``"admm"`` runs
        ADMM on all points at once (memory O(n_samples^2)). ``"auto"`` picks
        ``"active_set"`` when it applies, else ``"admm"``.
    store_matrices : bool, default=False
        Keep ``representation_matrix_`` and ``affinity_matrix_`` as fitted
        attributes. The ADMM codes are sparse but, not being exact lasso
        solutions, carry more nonzeros per row as ``n_samples`` grows; off by
        default so that a fitted model stays small in memory and in its pickle
        (e.g. when sent back by joblib or Dask workers).
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start and k-means.
    verbose : int, default=0
        Print the ADMM error every 10 iterations.
    n_jobs : int, default=None
        Host threads over the blocks of points of the active-set solver on
        NumPy input (each block's codes are computed independently, so the
        codes do not depend on it; ADMM ignores it):
        ``None`` means the available CPUs (``joblib.cpu_count``, capped by
        ``OMP_NUM_THREADS``; 1 when called from a worker thread), ``-1`` all
        CPUs. BLAS runs on one thread while the blocks run.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (None follows the input).

    Attributes
    ----------
    labels_ : array of shape (n_samples,)
        Cluster of each training point (-1 for detected outliers).
    n_clusters_ : int
        Number of clusters found.
    representation_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        The sparse codes ``C`` (row ``j`` codes point ``j``). Only with
        ``store_matrices=True``.
    affinity_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        The graph given to spectral clustering (outliers included). Only with
        ``store_matrices=True``.
    subspaces_ : list of arrays of shape (n_features, d_k)
        Orthonormal PCA basis of each cluster (dimension keeping 95% energy).
    subspace_offsets_ : array of shape (n_clusters_, n_features)
        Offsets of the subspaces (the cluster means if ``affine``, else zero).
    outlier_scores_ : ndarray of shape (n_samples,)
        Only with ``outliers=True``: ``-log10(n_samples * pi_i)`` where
        ``pi_i`` is how often the random walk visits point ``i`` (averaged
        over 1000 steps from the uniform start); larger is more outlying.
    inlier_mask_ : ndarray of bool of shape (n_samples,)
        Only with ``outliers=True``: the points that are not outliers
        (``labels_ >= 0``).
    n_iter_ : int
        Number of ADMM iterations run (active-set rounds with
        ``solver="active_set"``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string feature names only).

    See Also
    --------
    ElasticNetSubspaceClustering : SSC's lasso plus a ridge term, solved by a
        scalable active-set method with sparse memory.
    OMPSubspaceClustering : greedy sparse codes, for large data.

    Notes
    -----
    ``predict`` assigns new points to the nearest fitted subspace (see
    :meth:`BaseSubspaceClustering.predict`); it does not flag outliers.

    References
    ----------
    E. Elhamifar and R. Vidal, "Sparse Subspace Clustering: Algorithm,
    Theory, and Applications", IEEE TPAMI 35(11), 2013.

    C. You, D. Robinson and R. Vidal, "Provable Self-Representation Based
    Outlier Detection in a Union of Subspaces", CVPR 2017.

    Examples
    --------
    >>> from sksubspace.cluster import SparseSubspaceClustering
    >>> from sksubspace.datasets import make_subspaces
    >>> from sksubspace.metrics import clustering_accuracy
    >>> X, y, _ = make_subspaces(3, 3, 20, 40, noise=0.01, outlier_fraction=0.1,
    ...                          random_state=0)
    >>> model = SparseSubspaceClustering(n_clusters=3, outliers=True, random_state=0)
    >>> labels = model.fit_predict(X)
    >>> bool((model.inlier_mask_ == (y >= 0)).all())
    True
    >>> clustering_accuracy(y[y >= 0], labels[y >= 0])
    1.0
    """

    _parameter_constraints = {
        **BaseSubspaceClustering._parameter_constraints,
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "alpha": [Interval(numbers.Real, 1, None, closed="neither")],
        "affine": ["boolean"],
        "outliers": ["boolean"],
        "error_penalty": [Interval(numbers.Real, 0, None, closed="neither")],
        "outlier_threshold": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "n_jobs": [numbers.Integral, None],
        "refine_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "store_matrices": ["boolean"],
        "solver": [StrOptions({"auto", "admm", "active_set"})],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        alpha=20.0,
        affine=False,
        outliers=False,
        error_penalty=10.0,
        outlier_threshold=1.0,
        max_iter=500,
        tol=1e-3,
        affinity="nearest_neighbors",
        n_neighbors=None,
        n_init=10,
        refine_iter=10,
        store_matrices=False,
        solver="auto",
        random_state=None,
        verbose=0,
        n_jobs=None,
        device=None,
    ):
        self.n_clusters = n_clusters
        self.alpha = alpha
        self.affine = affine
        self.outliers = outliers
        self.error_penalty = error_penalty
        self.outlier_threshold = outlier_threshold
        self.max_iter = max_iter
        self.tol = tol
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.n_init = n_init
        self.refine_iter = refine_iter
        self.store_matrices = store_matrices
        self.solver = solver
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.device = device

    @property
    def _affine_subspaces(self):
        return self.affine

    @uses_n_jobs
    def _self_representation(self, X, xp):
        needs_admm = self.affine or self.outliers
        if self.solver == "active_set" and needs_admm:
            raise ValueError(
                "solver='active_set' solves the plain lasso of SSC; affine=True and "
                "outliers=True need solver='admm' (or 'auto')."
            )
        if self.solver == "active_set" or (self.solver == "auto" and not needs_admm):
            C, self.n_iter_, converged = ssc_lasso_representation(
                X, xp, alpha=self.alpha, verbose=self.verbose
            )
            if not converged:
                warnings.warn(
                    "The active set of some point(s) did not settle within 40 rounds.",
                    ConvergenceWarning,
                )
            return C
        C, self.n_iter_, converged = ssc_representation(
            X,
            xp,
            alpha=self.alpha,
            affine=self.affine,
            outliers=self.outliers,
            error_penalty=self.error_penalty,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
        )
        if not converged:
            warnings.warn(
                f"ADMM did not reach tol={self.tol} within max_iter={self.max_iter} "
                "iterations; increase max_iter or tol.",
                ConvergenceWarning,
            )
        return C

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Cluster ``X`` (and, with ``outliers=True``, flag outlying points).

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
        xp, n_samples = ctx.xp, Xc.shape[0]
        if not self.outliers:
            self._fit_spectral(Xc, xp, ctx, W, n_samples)
        else:
            scores = random_walk_scores(C)
            keep = np.flatnonzero(scores <= self.outlier_threshold)
            n_min = 2 if self.n_clusters == "auto" else max(2, self.n_clusters)
            if keep.size < n_min:
                raise ValueError(
                    f"Only {keep.size} of {n_samples} points are inliers (outlier_scores_ <= "
                    f"outlier_threshold={self.outlier_threshold}), fewer than the "
                    f"{n_min} needed; raise outlier_threshold or use outliers=False."
                )
            W_in = sp.csr_matrix(W)[keep][:, keep]
            self._fit_spectral(Xc, xp, ctx, W_in, n_samples, keep=keep)
            labels = np.asarray(to_numpy(self.labels_), dtype=np.int64)
            bases = [ctx.asarray(U) for U in self.subspaces_]
            rescued = _near_a_subspace(Xc, labels, bases, ctx.asarray(self.subspace_offsets_), xp)
            if (rescued >= 0).any():
                labels = np.where(rescued >= 0, rescued, labels)
                bases, offsets = _fit_subspaces(
                    Xc, labels, self.n_clusters_, xp, affine=self._affine_subspaces
                )
                self.labels_ = ctx.output(xp.asarray(labels, **device_kw(Xc)))
                self.subspaces_ = [ctx.output(U) for U in bases]
                self.subspace_offsets_ = ctx.output(offsets)
            self.outlier_scores_ = scores
            self.inlier_mask_ = labels >= 0
        self._keep_matrices(ctx, C, W)
        return self
