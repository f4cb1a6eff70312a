"""The spectral step of the clustering family: exact embeddings, the eigengap count."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import SpectralClustering
from sklearn.metrics import adjusted_rand_score

from sksubspace.cluster import (
    ElasticNetSubspaceClustering,
    KSubspaces,
    LeastSquaresSubspaceClustering,
    ThresholdingSubspaceClustering,
    _spectral,
)
from sksubspace.cluster._ksubspaces import estimate_subspace_dim
from sksubspace.cluster._lsr import lsr_representation
from sksubspace.cluster._spectral import (
    eigengap_n_clusters,
    normalized_affinity,
    spectral_clustering,
    spectral_embedding,
)
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy


def _block_graph(sizes, degree, rng):
    """Disjoint random graphs (about ``degree`` edges per node) of the given sizes."""
    n = sum(sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    comp = np.repeat(np.arange(len(sizes)), sizes)
    rows = np.repeat(np.arange(n), degree)
    cols = starts[comp[rows]] + rng.integers(0, np.asarray(sizes)[comp[rows]])
    W = sp.coo_matrix((rng.uniform(0.5, 1.0, rows.size), (rows, cols)), shape=(n, n))
    return (W + W.T).tocsr(), comp


@pytest.fixture
def arpack(monkeypatch):
    """Graphs (components) above 100 nodes go to ARPACK, as above 2,000 by default."""
    monkeypatch.setattr(_spectral, "_DENSE_MAX", 100)


@pytest.fixture(scope="module")
def tsc_graph():
    """TSC affinity of 8 subspaces of dim 3 in R^30 (480 points): 8 components."""
    X, y, _ = make_subspaces(8, 3, 30, 60, noise=0.05, random_state=0)
    est = ThresholdingSubspaceClustering(8, refine_iter=0, random_state=0).fit(X)
    return X, y, est


def test_spectral_clustering_dense_sparse_and_auto():
    rng = np.random.default_rng(0)
    blocks = [rng.uniform(0.5, 1.0, (30, 30)) for _ in range(3)]
    W = np.zeros((90, 90))
    for k, b in enumerate(blocks):
        W[30 * k : 30 * (k + 1), 30 * k : 30 * (k + 1)] = (b + b.T) / 2
    W += 0.01 * rng.uniform(size=(90, 90))
    W = (W + W.T) / 2
    y = np.repeat(np.arange(3), 30)
    for A in (W, sp.csr_matrix(W)):
        labels, k, ev = spectral_clustering(A, 3, random_state=0)
        assert k == 3 and clustering_accuracy(y, labels) == 1.0
    labels, k, ev = spectral_clustering(W, "auto", random_state=0)
    assert k == 3


def _block_spectrum(W, comp, k):
    """The k smallest normalized-Laplacian eigenvalues, from each block densely."""
    M = normalized_affinity(W)[0].toarray()
    ev = [1.0 - scipy.linalg.eigvalsh(M[np.ix_(comp == c, comp == c)]) for c in np.unique(comp)]
    return np.sort(np.concatenate(ev))[:k]


def test_every_component_gets_its_zero_eigenvalue(arpack):
    # 30 disjoint random graphs: ARPACK on the whole graph found only a few of
    # the 30 zero eigenvalues; per component all are exact.
    rng = np.random.default_rng(0)
    W, comp = _block_graph([20] * 25 + [120] * 5, 6, rng)
    assert connected_components(W)[0] == 30
    ev, V = spectral_embedding(W, 31, random_state=0)
    np.testing.assert_allclose(ev[:30], 0.0, atol=1e-10)
    assert ev[30] > 0.05
    np.testing.assert_allclose(V.T @ V, np.eye(31), atol=1e-8)
    labels, k, _ = spectral_clustering(W, "auto", random_state=0, max_clusters=40)
    assert k == 30 and clustering_accuracy(comp, labels) == 1.0
    # more eigenpairs than components: the others come from within the
    # components (ARPACK on the large ones), ascending, as the blocks' spectra
    ev_big, _ = spectral_embedding(W, 36, random_state=0)
    np.testing.assert_allclose(ev_big, _block_spectrum(W, comp, 36), atol=1e-8)


def test_more_components_than_clusters_keeps_the_largest():
    rng = np.random.default_rng(1)
    W, comp = _block_graph([600, 500, 400, 5, 5], 6, rng)
    ev, V = spectral_embedding(W, 3, random_state=0)
    np.testing.assert_allclose(ev, 0.0, atol=1e-10)
    small = comp >= 3
    assert np.all(V[small] == 0) and np.all(np.abs(V[~small]).sum(axis=1) > 0)


def test_tsc_components_match_sklearn(tsc_graph, arpack):
    # The TSC graph has one component per subspace; our labels and
    # scikit-learn's spectral clustering of the same affinity agree.
    _, y, est = tsc_graph
    W = est.affinity_matrix_
    assert connected_components(W)[0] == 8
    ev, _ = spectral_embedding(W, 9, random_state=0)
    np.testing.assert_allclose(ev[:8], 0.0, atol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "graph is not fully connected"
        ref = SpectralClustering(8, affinity="precomputed", random_state=0).fit_predict(W)
    assert clustering_accuracy(y, est.labels_) == clustering_accuracy(y, ref) == 1.0
    assert adjusted_rand_score(est.labels_, ref) == 1.0


def test_nearly_disconnected_graph_matches_dense(tsc_graph, arpack):
    # weak links between the subspaces make one component whose smallest
    # eigenvalues are close but distinct: ARPACK resolves them all
    _, y, est = tsc_graph
    rng = np.random.default_rng(0)
    n = y.size
    r, c = rng.integers(0, n, 20), rng.integers(0, n, 20)
    E = sp.coo_matrix((np.full(20, 0.05), (r, c)), shape=(n, n))
    W = (est.affinity_matrix_ + E + E.T).tocsr()
    assert connected_components(W)[0] == 1
    ev, _ = spectral_embedding(W, 9, random_state=0)
    M = normalized_affinity(W)[0].toarray()
    ref = 1.0 - scipy.linalg.eigh(M, eigvals_only=True, subset_by_index=(n - 9, n - 1))[::-1]
    np.testing.assert_allclose(ev, ref, atol=1e-7)
    labels, k, _ = spectral_clustering(W, "auto", random_state=0)
    assert k == 8 and clustering_accuracy(y, labels) == 1.0


def test_ensc_affinity_matches_sklearn():
    X, y, _ = make_subspaces(4, 3, 30, 40, noise=0.05, random_state=0)
    est = ElasticNetSubspaceClustering(4, refine_iter=0, random_state=0).fit(X)
    W = est.affinity_matrix_
    ref = SpectralClustering(4, affinity="precomputed", random_state=0).fit_predict(W)
    assert clustering_accuracy(y, est.labels_) == clustering_accuracy(y, ref) == 1.0
    assert adjusted_rand_score(est.labels_, ref) == 1.0


def test_spectral_embedding_of_an_already_normalized_affinity():
    # normalized=True takes D^-1/2 W D^-1/2 as given: the same embedding as from W,
    # dense and sparse; the mean of two normalized affinities (the mean of the
    # normalized Laplacians) keeps the clusters both graphs share.
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 20)
    W1 = (y[:, None] == y[None, :]) * rng.uniform(0.5, 1.0, (60, 60))
    W1 = (W1 + W1.T) / 2 + 0.01
    for A in (W1, sp.csr_matrix(W1)):
        M, _ = normalized_affinity(A)
        ev, V = spectral_embedding(A, 3, random_state=0)
        ev_n, V_n = spectral_embedding(M, 3, random_state=0, normalized=True)
        np.testing.assert_allclose(ev_n, ev, atol=1e-12)
        np.testing.assert_allclose(np.abs(V_n.T @ V), np.eye(3), atol=1e-8)
    # a second graph of another scale with the same clusters
    W2 = (y[:, None] == y[None, :]) * rng.uniform(0.0, 100.0, (60, 60))
    W2 = (W2 + W2.T) / 2 + 1.0
    fused = 0.5 * (normalized_affinity(W1)[0] + normalized_affinity(W2)[0])
    labels, k, ev = spectral_clustering(fused, "auto", random_state=0, normalized=True)
    assert k == 3 and clustering_accuracy(y, labels) == 1.0
    assert ev[2] < 0.05 < 0.5 < ev[3]  # the mean Laplacian: 3 small eigenvalues, a gap
    # normalizing the fused matrix again would be another operator
    ev_twice, _ = spectral_embedding(fused, 3, normalized=False)
    assert not np.allclose(ev_twice, ev[:3], atol=1e-6)


# --- n_clusters="auto" ----------------------------------------------------------


def test_eigengap_rule():
    # a first eigenvalue far from 0 (a dense graph) is not a count of 1
    ev = np.array([0.0, 0.70, 0.71, 0.72, 0.88, 0.89, 0.895])
    assert eigengap_n_clusters(ev) == 4
    k, clear, _ = eigengap_n_clusters(ev, return_clarity=True)
    assert not clear  # the gap is only 18% of the eigenvalue above it
    # exact components: the count of zeros, clear
    k, clear, (ratio, rel) = eigengap_n_clusters(
        np.r_[np.zeros(5), 0.2, 0.21, 0.22], return_clarity=True
    )
    assert (k, clear, rel) == (5, True, 1.0)
    # at least the number of components, even if a later gap is larger
    assert eigengap_n_clusters(np.r_[np.zeros(3), 0.01, 0.02, 0.5]) == 5
    assert eigengap_n_clusters(np.r_[0.0, 0.5]) == 1
    # max_clusters bounds the count
    assert eigengap_n_clusters(np.r_[np.zeros(6), 0.5], max_clusters=4) == 4


@pytest.mark.parametrize(
    "est",
    [
        ThresholdingSubspaceClustering("auto", random_state=0),
        ElasticNetSubspaceClustering("auto", random_state=0),
        LeastSquaresSubspaceClustering("auto", random_state=0),
    ],
    ids=["TSC", "EnSC", "LSR"],
)
def test_auto_finds_ten_subspaces(est):
    # the setting, 40 instead of 300 points per subspace: on main
    # EnSC and LSR returned 1 cluster here
    X, y, _ = make_subspaces(10, 5, 30, 40, noise=0.05, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a clear gap
        est.fit(X)
    assert est.n_clusters_ == 10
    assert clustering_accuracy(y, est.labels_) == 1.0


@pytest.mark.parametrize("tau", [1.0, 0.9])
def test_auto_finds_five_on_the_textbook_problem(tau):
    # 5 subspaces of dim 6 in R^9, pairwise intersecting (tests/test_cluster_scale.py)
    X, y, _ = make_subspaces(5, 6, 9, 200, noise=0.01, random_state=0)
    est = ElasticNetSubspaceClustering("auto", gamma=50.0, tau=tau, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a clear gap
        est.fit(X)
    assert est.n_clusters_ == 5
    assert clustering_accuracy(y, est.labels_) == 1.0


def test_auto_without_a_gap_warns():
    # a random graph has no cluster structure: the count is a guess, and says so
    rng = np.random.default_rng(0)
    W, _ = _block_graph([200], 8, rng)
    with pytest.warns(UserWarning, match="without a clear eigengap"):
        _, k, _ = spectral_clustering(W, "auto", n_init=2, random_state=0, max_clusters=10)
    assert k > 1


# --- LSR through the ambient dimension -------------------------------------------


def _lsr_hat_form(X, alpha, zero_diagonal):
    """The n x n form of LSR (Lu et al.): C = (G + alpha I)^-1 G, or LSR1."""
    n = X.shape[0]
    G = X @ X.T
    P = np.linalg.inv(G + alpha * np.eye(n))
    if not zero_diagonal:
        return P @ G
    C = -P / np.diag(P)[None, :]
    np.fill_diagonal(C, 0.0)
    return C.T


@pytest.mark.parametrize("shape", [(60, 20), (20, 60)], ids=["tall", "wide"])
@pytest.mark.parametrize("zero_diagonal", [True, False])
def test_lsr_matches_the_n_by_n_form(shape, zero_diagonal):
    rng = np.random.default_rng(0)
    X = rng.standard_normal(shape)
    ref = _lsr_hat_form(X, 0.3, zero_diagonal)
    C = lsr_representation(X, np, alpha=0.3, zero_diagonal=zero_diagonal)
    np.testing.assert_allclose(C, ref, atol=1e-10)
    # sparse: the 5 largest entries of each row, same values
    S = lsr_representation(X, np, alpha=0.3, zero_diagonal=zero_diagonal, n_nonzero=5)
    assert sp.issparse(S) and S.nnz == 5 * shape[0]
    S = S.toarray()
    np.testing.assert_allclose(S[S != 0], ref[S != 0], atol=1e-10)
    off = np.abs(np.where(np.eye(shape[0], dtype=bool), 0.0, ref))
    kth = -np.sort(-off, axis=1)[:, 4]
    assert np.all(np.abs(S).max(axis=1) <= off.max(axis=1) + 1e-12)
    assert np.all(np.abs(np.where(S != 0, S, np.inf)).min(axis=1) >= kth - 1e-12)


def test_lsr_float32_and_sparse_graph():
    X, y, _ = make_subspaces(4, 3, 30, 50, noise=0.01, random_state=0)
    est = LeastSquaresSubspaceClustering(4, store_matrices=True, random_state=0)
    est.fit(X.astype(np.float32))
    assert est.representation_matrix_.dtype == np.float32
    assert sp.issparse(est.affinity_matrix_)
    assert est.representation_matrix_.nnz == 20 * X.shape[0]
    assert clustering_accuracy(y, est.labels_) == 1.0


# --- KSubspaces' subspace dimension ----------------------------------------------


@pytest.mark.parametrize(
    "args, dim", [((10, 5, 30, 100), 5), ((5, 6, 9, 200), 6), ((4, 2, 10, 50), 2)]
)
def test_estimate_subspace_dim(args, dim):
    X, y, _ = make_subspaces(*args, noise=0.02, random_state=0)
    assert estimate_subspace_dim(X, np.random.RandomState(0)) == dim
    est = KSubspaces(args[0], random_state=0).fit(X)
    assert est.subspace_dim_ == dim
    assert all(U.shape == (args[2], dim) for U in est.subspaces_)
    assert clustering_accuracy(y, est.labels_) >= 0.99


@pytest.mark.parametrize("entries", [2**19, 700])
def test_sparse_knn_graph_is_scikit_learns(entries):
    # the same neighbours as kneighbors_graph (rows of several norms, one
    # zero row), whatever the block size
    from sklearn.neighbors import kneighbors_graph

    from sksubspace.cluster._base import sparse_knn_graph

    C = sp.random(300, 300, density=0.04, random_state=0, format="lil")
    C[7] = 0
    C = sp.csr_matrix(abs(C))
    for k in (3, 10):
        got = sparse_knn_graph(C, k, entries=entries)
        ref = kneighbors_graph(C, k, include_self=False)
        assert got.nnz == ref.nnz == 300 * k
        assert abs(got - ref).sum() == 0
