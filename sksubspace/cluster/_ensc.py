"""Elastic net subspace clustering (EnSC) with a batched active-set solver."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval

from .._backend import from_numpy, to_numpy
from .._linalg import soft_threshold
from ._base import BaseSubspaceClustering, _block_size, _dev, _normalize_rows, _top_indices


def _take_rows(A, idx, xp):
    """``A[i, idx[i, j]]`` for every row ``i`` (take_along_axis in any namespace)."""
    n_rows, n_cols = A.shape
    offs = xp.reshape(xp.arange(n_rows, dtype=idx.dtype, **_dev(A, xp)) * n_cols, (-1, 1))
    flat = xp.take(xp.reshape(A, (-1,)), xp.reshape(idx + offs, (-1,)))
    return xp.reshape(flat, idx.shape)


def enet_cd(G, q, l1, l2, c, xp, *, max_iter=100, tol=1e-4):
    """Batched cyclic coordinate descent for ``min_c 1/2 c'Gc - q'c + l2/2 |c|^2 + l1 |c|_1``.

    ``G`` is a stack (b, s, s) of PSD matrices, ``q`` (b, s), ``l1`` and ``l2``
    (b,) penalties, ``c`` (b, s) the warm start. Coordinate ``k`` of all ``b``
    problems is updated at once, so a sweep is ``s`` vectorized steps. Stops
    when no coefficient moved by more than ``tol`` times the largest one in a
    sweep. Returns the solution and the number of sweeps.
    """
    c = xp.asarray(c, copy=True)
    s = G.shape[1]
    diag = xp.stack([G[:, k, k] for k in range(s)], axis=1) + l2[:, None]
    diag = xp.where(diag > 0, diag, xp.ones_like(diag))
    Gc = (G @ c[..., None])[..., 0]  # kept up to date
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (returned)
        moved = xp.zeros_like(l1)
        for k in range(s):
            old = c[:, k]
            g = q[:, k] - Gc[:, k] + G[:, k, k] * old
            new = soft_threshold(g, l1) / diag[:, k]
            step = new - old
            c[:, k] = new
            Gc = Gc + G[:, k, :] * step[:, None]  # G is symmetric: a contiguous row
            moved = xp.maximum(moved, xp.abs(step))
        scale = xp.max(xp.abs(c), axis=1)
        if bool(to_numpy(xp.all(moved <= tol * scale))):
            break
    return c, it


def _merge_support(S, c, cand, score, thr, s):
    """New active sets (host, NumPy): nonzeros first, then violators, then old zeros.

    Returns the new (b, s) index array, a mask of valid slots, per row the
    number of violators that were not yet in the support, and the positions
    of the chosen entries in ``concat(S, cand)``.
    """
    b = S.shape[0]
    idx = np.concatenate([S, cand], axis=1)
    violating = score > thr[:, None]
    prio_old = np.where(S < 0, -2.0, np.where(c != 0, 2.0 + np.abs(c), 0.0))
    prio_cand = np.where(violating, 1.0 + score / (score.max() + 1.0), -1.0)
    prio = np.concatenate([prio_old, prio_cand], axis=1)
    rows = np.repeat(np.arange(b), idx.shape[1])
    flat_idx, flat_prio = idx.ravel(), prio.ravel()
    order = np.lexsort((-flat_prio, flat_idx, rows))
    dup = np.zeros(order.size, dtype=bool)
    dup[1:] = (rows[order][1:] == rows[order][:-1]) & (flat_idx[order][1:] == flat_idx[order][:-1])
    in_old = np.zeros(order.size, dtype=bool)
    in_old_flat = np.zeros((b, idx.shape[1]), dtype=bool)
    in_old_flat[:, : S.shape[1]] = S >= 0
    in_old_flat = in_old_flat.ravel()
    # a violator that is already in the support is not new
    first = ~dup
    grp = np.cumsum(first) - 1
    grp_has_old = np.zeros(grp[-1] + 1, dtype=bool)
    np.logical_or.at(grp_has_old, grp, in_old_flat[order])
    in_old[order] = grp_has_old[grp]
    new_violator = (~in_old) & (flat_prio >= 1.0) & (flat_prio < 2.0)
    n_new = new_violator.reshape(b, -1).sum(axis=1)
    flat_prio[order[dup]] = -3.0
    prio = flat_prio.reshape(b, -1)
    top = np.argsort(-prio, axis=1, kind="stable")[:, :s]
    S_new = np.take_along_axis(idx, top, axis=1)
    valid = np.take_along_axis(prio, top, axis=1) >= 0
    return np.where(valid, S_new, -1), valid, n_new, top


def enet_representation(
    X,
    xp,
    *,
    gamma=50.0,
    tau=1.0,
    n_nonzero=50,
    support_size=50,
    max_iter=40,
    inner_max_iter=100,
    verbose=0,
):
    """EnSC self-representation (SciPy CSR) by the batched active-set solver.

    For each point ``x_j`` (rows scaled to unit norm) solves

        min_c  lam_j (tau |c|_1 + (1 - tau)/2 |c|^2) + 1/2 |x_j - sum_i c_i x_i|^2,
        c_j = 0,

    with ``lam_j = max_{i != j} |<x_i, x_j>| / (tau * gamma)`` (``gamma`` times the
    smallest penalty that gives a nonzero solution). The problem of a block of
    points is solved on small active sets (at most ``support_size`` points,
    started at the most correlated ones): solve there (batched coordinate descent), add the
    points whose correlation with the residual breaks the optimality
    condition ``|<x_i, r>| <= lam_j tau``, repeat (the oracle-guided active set
    of You et al. 2016). Returns the matrix and the largest number of active-set
    rounds.
    """
    n, d = X.shape
    Xn = _normalize_rows(X, xp)
    s = int(min(support_size, n - 1))
    block = _block_size(n)
    rows_all, cols_all, vals_all = [], [], []
    worst_rounds = 0
    unconverged = 0
    dev = _dev(X, xp)
    for start in range(0, n, block):
        stop = min(n, start + block)
        b = stop - start
        Xb = Xn[start:stop, :]
        Gb = Xb @ xp.matrix_transpose(Xn)  # (b, n) correlations
        ids = np.arange(start, stop)
        self_mask = xp.asarray(np.arange(n)[None, :] == ids[:, None], **dev)
        absG = xp.where(self_mask, xp.zeros_like(Gb), xp.abs(Gb))
        lam = xp.max(absG, axis=1) / (tau * gamma)
        l1, l2 = lam * tau, lam * (1.0 - tau)
        S = np.asarray(to_numpy(_top_indices(absG, s, xp)), dtype=np.int64)
        valid = np.ones_like(S, dtype=bool)
        c = xp.zeros((b, s), dtype=X.dtype)
        thr = np.asarray(to_numpy(l1), dtype=np.float64) * (1.0 + 1e-4) + 1e-12
        for rnd in range(1, max_iter + 1):
            Sx = from_numpy(np.where(valid, S, 0), like=xp.zeros(1, dtype=xp.int64, **dev))
            A = xp.reshape(xp.take(Xn, xp.reshape(Sx, (-1,)), axis=0), (b, s, d))
            A = A * from_numpy(valid.astype(np.float64), like=Xb)[..., None]
            G = A @ xp.matrix_transpose(A)
            q = xp.sum(A * Xb[:, None, :], axis=2)
            c, _ = enet_cd(G, q, l1, l2, c, xp, max_iter=inner_max_iter)
            r = Xb - xp.sum(c[..., None] * A, axis=1)
            score = xp.abs(r @ xp.matrix_transpose(Xn))
            score = xp.where(self_mask, xp.zeros_like(score), score)
            cand = _top_indices(score, s, xp)
            cand_np = np.asarray(to_numpy(cand), dtype=np.int64)
            score_np = np.asarray(to_numpy(_take_rows(score, cand, xp)), dtype=np.float64)
            c_np = np.asarray(to_numpy(c))
            S_new, valid_new, n_new, top = _merge_support(S, c_np, cand_np, score_np, thr, s)
            worst_rounds = max(worst_rounds, rnd)
            if not n_new.any():
                break
            # carry the coefficients over to the new supports (warm start)
            c_carry = np.take_along_axis(np.concatenate([c_np, 0 * c_np], axis=1), top, axis=1)
            S, valid, c = S_new, valid_new, from_numpy(c_carry, like=Xb)
        else:
            unconverged += 1
        c_np = np.where(valid, np.asarray(to_numpy(c)), 0.0)
        if n_nonzero is not None and n_nonzero < s:
            keep = np.argsort(-np.abs(c_np), axis=1)[:, :n_nonzero]
            mask = np.zeros_like(c_np, dtype=bool)
            np.put_along_axis(mask, keep, True, axis=1)
            c_np = np.where(mask, c_np, 0.0)
        nz = c_np != 0
        rows_all.append(np.nonzero(nz)[0] + start)
        cols_all.append(S[nz])
        vals_all.append(c_np[nz])
        if verbose:
            print(f"[ElasticNetSubspaceClustering] coded {stop}/{n} points ({rnd} rounds)")
    C = sp.csr_matrix(
        (np.concatenate(vals_all), (np.concatenate(rows_all), np.concatenate(cols_all))),
        shape=(n, n),
    )
    return C, worst_rounds, unconverged


class ElasticNetSubspaceClustering(BaseSubspaceClustering):
    """Elastic net subspace clustering (EnSC) with a batched active-set solver.

    Each point ``x_j`` (rows scaled to unit norm) is written as a combination
    of the other points with an elastic net penalty,

    .. math::

        \\min_{c_j} \\; \\lambda_j \\big(\\tau \\|c_j\\|_1
        + \\tfrac{1 - \\tau}{2} \\|c_j\\|_2^2\\big)
        + \\tfrac12 \\|x_j - \\textstyle\\sum_{i} c_{ij} x_i\\|_2^2,
        \\quad c_{jj} = 0,

    with :math:`\\lambda_j = \\max_{i \\ne j} |\\langle x_i, x_j\\rangle| /
    (\\tau\\gamma)`: ``gamma`` is how many times smaller the penalty is than
    the smallest one giving an all-zero ``c_j``. ``tau=1`` is the lasso of SSC;
    smaller ``tau`` connects more points of the same subspace.

    The points are processed in blocks; each block solves its problems on
    small active sets (at most ``support_size`` points per problem, started
    at the most correlated points): a batched coordinate-descent solve on the active sets,
    then the points whose correlation with the residual breaks the optimality
    condition ``|<x_i, r_j>| <= lambda_j tau`` join, until none does (the
    oracle-guided active set of You et al.). The codes, capped at
    ``n_nonzero`` largest per point, form a sparse ``C``; the affinity
    ``|C| + |C|'`` (rows of ``C`` scaled to unit norm) goes to normalized
    spectral clustering. Memory is O(block x n_samples + n_samples x n_nonzero).

    Parameters
    ----------
    n_clusters : int or "auto", default=8
        Number of clusters; ``"auto"`` picks it from the largest eigengap of
        the normalized Laplacian (among the first 21 eigenvalues).
    gamma : float, default=50.0
        Inverse relative penalty (larger: denser, more accurate fits; 5 to 500
        work).
    tau : float in (0, 1], default=1.0
        Balance of l1 (``tau=1``: lasso) and squared l2 penalties.
    n_nonzero : int, default=50
        Coefficients kept per point (the largest in magnitude).
    support_size : int, default=50
        Maximum size of each point's active set.
    max_iter : int, default=40
        Maximum active-set rounds per block.
    affinity : {"symmetrize", "nearest_neighbors"}, default="symmetrize"
        Graph built from ``C``.
    n_neighbors : int, default=3
        Neighbours of the ``"nearest_neighbors"`` affinity.
    n_init : int, default=10
        k-means restarts of the spectral step.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start and k-means.
    verbose : int, default=0
        Print progress per block of points.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (None follows the input).

    Attributes
    ----------
    labels_ : array of shape (n_samples,)
        Cluster of each training point.
    n_clusters_ : int
        Number of clusters found.
    representation_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        The codes ``C`` (row ``j`` codes point ``j``).
    affinity_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        The graph given to spectral clustering.
    subspaces_ : list of arrays of shape (n_features, d_k)
        Orthonormal PCA basis of each cluster (dimension keeping 95% energy).
    subspace_offsets_ : array of shape (n_clusters_, n_features)
        Offsets of the subspaces (zero: they are linear).
    n_iter_ : int
        Largest number of active-set rounds a block needed.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string feature names only).

    References
    ----------
    C. You, C.-G. Li, D. Robinson and R. Vidal, "Oracle Based Active Set
    Algorithm for Scalable Elastic Net Subspace Clustering", CVPR 2016.

    Examples
    --------
    >>> from sksubspace.cluster import ElasticNetSubspaceClustering
    >>> from sksubspace.datasets import make_subspaces
    >>> from sksubspace.metrics import clustering_accuracy
    >>> X, y, _ = make_subspaces(3, 3, 20, 60, noise=0.01, random_state=0)
    >>> model = ElasticNetSubspaceClustering(n_clusters=3, random_state=0).fit(X)
    >>> clustering_accuracy(y, model.labels_)
    1.0
    """

    _parameter_constraints = {
        **BaseSubspaceClustering._parameter_constraints,
        "gamma": [Interval(numbers.Real, 0, None, closed="neither")],
        "tau": [Interval(numbers.Real, 0, 1, closed="right")],
        "n_nonzero": [Interval(numbers.Integral, 1, None, closed="left")],
        "support_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        gamma=50.0,
        tau=1.0,
        n_nonzero=50,
        support_size=50,
        max_iter=40,
        affinity="symmetrize",
        n_neighbors=3,
        n_init=10,
        random_state=None,
        verbose=0,
        device=None,
    ):
        self.n_clusters = n_clusters
        self.gamma = gamma
        self.tau = tau
        self.n_nonzero = n_nonzero
        self.support_size = support_size
        self.max_iter = max_iter
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.n_init = n_init
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    def _self_representation(self, X, xp):
        C, self.n_iter_, unconverged = enet_representation(
            X,
            xp,
            gamma=self.gamma,
            tau=self.tau,
            n_nonzero=self.n_nonzero,
            support_size=self.support_size,
            max_iter=self.max_iter,
            verbose=self.verbose,
        )
        if unconverged:
            warnings.warn(
                f"The active set did not settle within max_iter={self.max_iter} rounds "
                f"for {unconverged} block(s) of points; increase max_iter or support_size.",
                ConvergenceWarning,
            )
        return C
