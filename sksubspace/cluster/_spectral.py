"""The spectral step of the clustering family: embedding, cluster count, labels.

Every graph-based estimator of :mod:`sksubspace.cluster` ends here: the
affinity ``W`` is normalized to ``M = D^-1/2 W D^-1/2``, its leading
eigenvectors (those of the smallest eigenvalues of the normalized Laplacian
``L = I - M``) embed the points, and k-means on the unit-normalized rows
gives the labels (Ng, Jordan & Weiss 2001).

The eigensolver works one connected component at a time. A graph with ``c``
components has the eigenvalue 0 of ``L`` ``c`` times; a Krylov solver
(ARPACK) started from one vector finds only one vector of a repeated
eigenvalue in exact arithmetic, and in practice a few, so on a graph with
one component per subspace it returned 6 of 10 zero eigenvalues and merged
clusters. Per component the trivial eigenvector is known in closed form
(``sqrt(deg)``) and the other eigenvalues are simple or merely close, which
ARPACK resolves; the spectrum of ``L`` is the union of the components'.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state

from .._backend import get_namespace, is_numpy, to_numpy
from .._linalg import eigh_topk, svd_flip

#: components up to this size are solved by a dense eigendecomposition
_DENSE_MAX = 2000

#: below this a Laplacian eigenvalue is zero up to rounding (one per component)
_ZERO = 1e-8


def normalized_affinity(W):
    """``D^-1/2 W D^-1/2`` (dense or SciPy sparse) and the degree vector.

    Points of degree 0 keep a zero row (their Laplacian eigenvalue is 1).
    """
    if sp.issparse(W):
        W = sp.csr_matrix(W)
        deg = np.asarray(W.sum(axis=1)).ravel()
        inv = 1.0 / np.sqrt(np.where(deg > 0, deg, 1.0))
        Dm = sp.diags(inv)
        return Dm @ W @ Dm, deg
    xp = get_namespace(W)
    deg = xp.sum(W, axis=1)
    inv = 1.0 / xp.sqrt(xp.where(deg > 0, deg, xp.ones_like(deg)))
    return W * inv[:, None] * inv[None, :], deg


def _top_eigenpairs(M, k, rng):
    """The ``k`` largest eigenpairs of the symmetric host matrix ``M`` (descending)."""
    n = M.shape[0]
    if n <= _DENSE_MAX or k >= n - 1:
        dense = M.toarray() if sp.issparse(M) else np.asarray(M)
        return eigh_topk(dense, k)
    mu, V = scipy.sparse.linalg.eigsh(M, k=k, which="LA", v0=rng.uniform(-1, 1, n), tol=1e-8)
    order = np.argsort(mu)[::-1]
    return mu[order], svd_flip(V[:, order])


def _component_pairs(M, idx, k, deg, normalized, rng):
    """Leading eigenpairs of the block of ``M`` on the component ``idx``."""
    k = min(k, idx.size)
    if k == 1 and not normalized and deg[idx].min() > 0:
        # D^-1/2 W D^-1/2 sqrt(deg) = sqrt(deg) on a connected component
        v = np.sqrt(deg[idx])
        return np.ones(1), (v / np.linalg.norm(v))[:, None]
    if idx.size == M.shape[0]:
        block = M
    elif sp.issparse(M):
        block = M[idx][:, idx]
    else:
        block = M[np.ix_(idx, idx)]
    return _top_eigenpairs(block, k, rng)


def spectral_embedding(affinity, n_components, *, random_state=None, normalized=False):
    """Leading eigenvectors of the normalized affinity ``D^-1/2 W D^-1/2``.

    Equivalently the eigenvectors of the smallest eigenvalues of the
    normalized Laplacian ``L = I - D^-1/2 W D^-1/2`` (Ng, Jordan & Weiss
    2001). With ``normalized=True`` the affinity is taken as already
    normalized (a matrix ``M`` standing for ``D^-1/2 W D^-1/2``, e.g. a
    weighted mean of several normalized affinities, so that ``I - M`` is the
    mean of their normalized Laplacians) and is used as it is.

    On the host (SciPy sparse or NumPy) the graph is split into connected
    components first and each is solved on its own: a component of ``m``
    points contributes at most ``n_components - n_comp + 1`` eigenpairs
    (the others contribute at least their eigenvalue 0), the first of which
    is ``sqrt(deg)`` in closed form, so a graph with several components gets
    exactly one zero eigenvalue and one indicator-like vector per component.
    Components of up to 2,000 points use a dense eigendecomposition, larger
    ones ARPACK (``eigsh``, only sparse or dense products). The eigenpairs of
    all components are pooled and the ``n_components`` smallest Laplacian
    eigenvalues kept (ties, as between the zero eigenvalues of more
    components than ``n_components``, go to the larger components; points of
    a component left out then have a zero row). A dense array of another
    namespace (CuPy) is decomposed as a whole on its device.

    Parameters
    ----------
    affinity : array or sparse matrix of shape (n_samples, n_samples)
        Symmetric non-negative affinity.
    n_components : int
        Number of eigenpairs.
    random_state : int, RandomState instance or None
        Seeds ARPACK's start vector.
    normalized : bool, default=False
        Whether ``affinity`` is already ``D^-1/2 W D^-1/2``.

    Returns
    -------
    eigenvalues : ndarray of shape (n_components,)
        Laplacian eigenvalues, ascending.
    embedding : array of shape (n_samples, n_components)
        Rows are the spectral coordinates.
    """
    if normalized:
        M, deg = affinity, None
    else:
        M, deg = normalized_affinity(affinity)
    n = M.shape[0]
    k = min(n_components, n)
    if not sp.issparse(M) and not is_numpy(get_namespace(M)):
        mu, V = eigh_topk(M, k)
        return 1.0 - mu, V
    rng = check_random_state(random_state)
    n_comp, comp = connected_components(M, directed=False)
    if n_comp == 1:
        mu, V = _top_eigenpairs(M, k, rng)
        return 1.0 - mu, V
    members = np.argsort(comp, kind="stable")
    sizes = np.bincount(comp, minlength=n_comp)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    need = max(1, k - n_comp + 1)
    pairs = []  # (eigenvalue of L rounded below _ZERO, -component size, vectors entry, column)
    vectors = []
    for c in np.argsort(-sizes, kind="stable"):
        idx = members[starts[c] : starts[c + 1]]
        mu, Vc = _component_pairs(M, idx, need, deg, normalized, rng)
        for j, m in enumerate(np.asarray(mu)):
            lam = max(0.0, 1.0 - float(m))
            pairs.append((lam if lam >= _ZERO else 0.0, -idx.size, len(vectors), j, lam))
        vectors.append((idx, Vc))
    pairs.sort()
    E = np.zeros((n, k))
    ev = np.empty(k)
    for col, (_, _, v, j, lam) in enumerate(pairs[:k]):
        idx, Vc = vectors[v]
        E[idx, col] = Vc[:, j]
        ev[col] = lam
    return ev, E


#: a gap is clear when it is this many times every other candidate gap ...
_CLEAR_RATIO = 2.0
#: ... and this fraction of the eigenvalue above it
_CLEAR_RELATIVE = 0.25


def eigengap_n_clusters(eigenvalues, max_clusters=None, *, return_clarity=False):
    """Number of clusters from the ascending Laplacian eigenvalues ``l_0 <= l_1 <= ...``.

    The count is the ``k`` of the largest gap ``l_k - l_{k-1}`` over
    ``2 <= k <= max_clusters`` (and ``k >= c`` when the graph has ``c > 1``
    connected components, i.e. ``c`` zero eigenvalues). The first gap
    ``l_1 - l_0`` is left out: on a connected graph ``l_1`` measures how
    strongly the whole graph holds together (dense representations such as
    LRR's lift every eigenvalue but ``l_0`` far from zero), not where a
    group of cluster eigenvalues ends, and taking it returned 1 cluster on
    data with 10. So the count is never 1 unless fewer than three
    eigenvalues are given.

    The gap is *clear* when it is at least twice every other candidate gap
    and at least a quarter of the eigenvalue above it
    (``(l_k - l_{k-1}) / l_k >= 0.25``; 1 for an exact count of
    components). Points from a single subspace, or a graph that does not
    separate the clusters, give no clear gap (the spectrum of one subspace
    still has steps, from the symmetry of the sphere).

    Returns ``k``, and with ``return_clarity=True`` also whether the gap is
    clear and the two measures ``(ratio to the next largest gap, relative
    gap)``.
    """
    ev = np.maximum(np.asarray(to_numpy(eigenvalues), dtype=np.float64), 0.0)
    if max_clusters is not None:
        ev = ev[: max_clusters + 1]
    if ev.size < 3:
        k, clear, measures = 1, False, (0.0, 0.0)
    else:
        gaps = np.diff(ev)  # gaps[k - 1] = l_k - l_{k-1}
        n_zero = int(np.sum(ev < _ZERO))
        ks = np.arange(min(max(2, n_zero), ev.size - 1), ev.size)
        cand = gaps[ks - 1]
        best = int(np.argmax(cand))
        k = int(ks[best])
        others = np.delete(cand, best)
        ratio = cand[best] / others.max() if others.size and others.max() > 0 else np.inf
        relative = cand[best] / ev[k] if ev[k] > 0 else 0.0
        clear = bool(ratio >= _CLEAR_RATIO and relative >= _CLEAR_RELATIVE)
        measures = (float(ratio), float(relative))
    return (k, clear, measures) if return_clarity else k


def spectral_clustering(
    affinity, n_clusters, *, n_init=10, random_state=None, max_clusters=20, normalized=False
):
    """Normalized spectral clustering of an affinity graph.

    Embeds with :func:`spectral_embedding`, normalizes the rows to unit length
    and runs k-means on them (on the host: the embedding is n x k). With
    ``n_clusters="auto"`` the count comes from :func:`eigengap_n_clusters` on
    the first ``max_clusters + 1`` Laplacian eigenvalues; a ``UserWarning``
    says when its eigengap is not clear. ``normalized`` is passed to :func:`spectral_embedding` (the
    affinity is already ``D^-1/2 W D^-1/2``, or a weighted mean of such
    matrices).

    Returns
    -------
    labels : NumPy int array of shape (n_samples,)
    n_clusters : int
    eigenvalues : the Laplacian eigenvalues that were computed (ascending)
    """
    n = affinity.shape[0]
    if n_clusters == "auto":
        ev, V = spectral_embedding(
            affinity, min(max_clusters + 1, n), random_state=random_state, normalized=normalized
        )
        n_clusters, clear, measures = eigengap_n_clusters(ev, max_clusters, return_clarity=True)
        if not clear:
            _warn_unclear_count(n_clusters, measures, ev)
        V = V[:, :n_clusters]
    else:
        ev, V = spectral_embedding(
            affinity, n_clusters, random_state=random_state, normalized=normalized
        )
    E = np.asarray(to_numpy(V), dtype=np.float64)
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    E = E / np.where(norms > 0, norms, 1.0)
    km = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=random_state)
    labels = km.fit_predict(E)
    return labels, n_clusters, ev


def _warn_unclear_count(k, measures, ev):
    """Say that ``n_clusters="auto"`` is a guess here (see :func:`eigengap_n_clusters`)."""
    shown = np.array2string(np.asarray(ev[: min(len(ev), 12)]), precision=3)
    warnings.warn(
        f"n_clusters='auto' chose {k} cluster{'s' * (k != 1)} without a clear eigengap "
        f"(gap {measures[0]:.2f} times the next largest, {measures[1]:.2f} of the "
        f"eigenvalue above it; Laplacian eigenvalues {shown}). The data may form a "
        "single cluster, or the affinity may not separate the clusters; pass "
        "n_clusters explicitly.",
        UserWarning,
        stacklevel=3,
    )
