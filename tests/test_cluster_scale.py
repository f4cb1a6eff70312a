"""Subspace clustering: the exact batched EnSC solver, K-subspaces refinement,
and the textbook intersecting-subspaces problem."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet

from sksubspace.cluster import (
    ElasticNetSubspaceClustering,
    OMPSubspaceClustering,
    ThresholdingSubspaceClustering,
    _ensc,
)
from sksubspace.cluster._base import _fit_subspaces, refine_labels, subspace_residuals
from sksubspace.cluster._ensc import enet_representation
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy

from ._helpers import assert_allclose_ref

try:
    import array_api_strict as xs
except ImportError:  # pragma: no cover
    xs = None


def _sklearn_enet(A, x, lam, tau):
    """``min 1/2 |x - A'c|^2 + lam (tau |c|_1 + (1 - tau)/2 |c|^2)`` by scikit-learn."""
    d = A.shape[1]  # sklearn divides the data term by the number of samples
    model = ElasticNet(
        alpha=lam / d, l1_ratio=tau, fit_intercept=False, tol=1e-14, max_iter=200_000
    )
    return model.fit(A.T, x).coef_


@pytest.mark.parametrize("support_size", [16, 74])
def test_active_set_representation_is_the_full_elastic_net(support_size):
    # With 16 slots the first supports (the most correlated points) miss part
    # of the solution: violators must enter round after round until the
    # optimality conditions hold over ALL points; with 74 = n - 1 one round does.
    X, _, _ = make_subspaces(3, 4, 15, 25, noise=0.02, random_state=2)
    gamma, tau = 30.0, 0.8
    C, rounds, unconverged = enet_representation(
        X, np, gamma=gamma, tau=tau, n_nonzero=None, support_size=support_size
    )
    assert unconverged == 0
    assert rounds >= 2 if support_size == 16 else rounds == 1
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    C = C.toarray()
    for j in range(0, 75, 7):
        others = np.delete(np.arange(75), j)
        A = Xn[others]
        lam = np.abs(A @ Xn[j]).max() / (tau * gamma)
        np.testing.assert_allclose(C[j, others], _sklearn_enet(A, Xn[j], lam, tau), atol=1e-6)
        assert C[j, j] == 0


def test_full_support_grows_to_the_exact_codes():
    # support_size=3 is far below the solution's ~10 nonzeros (tau=0.3 spreads
    # the codes): the sets double when full, and the codes are the exact ones
    X, _, _ = make_subspaces(2, 5, 12, 40, noise=0.05, random_state=0)
    small, _, unconverged = enet_representation(X, np, tau=0.3, n_nonzero=None, support_size=3)
    full, rounds, _ = enet_representation(X, np, tau=0.3, n_nonzero=None, support_size=79)
    assert unconverged == 0 and rounds == 1
    assert small.getnnz(axis=1).max() > 3
    np.testing.assert_allclose(small.toarray(), full.toarray(), atol=1e-9)


@pytest.mark.parametrize(
    "tau, penalty, kept, ambient",
    [
        (0.9, None, None, 15),
        (0.3, None, 0, 15),
        (0.3, None, 400, 15),
        (1.0, None, None, 15),
        (1.0, 0.05, 0, 15),
        (1.0, None, None, 9),
    ],
    ids=["enet", "enet-nothing-kept", "enet-some-kept", "lasso", "ssc-penalty", "lasso-in-R9"],
)
def test_host_rounds_match_the_batched_solver(tau, penalty, kept, ambient, monkeypatch):
    # The compiled oracle rounds (residual form, state kept from round to
    # round, single-precision scans checked near the threshold) give the
    # codes of the batched array solver, whether each point's inverse Gram
    # matrix is kept (default), rebuilt every round (kept=0), or kept for
    # some points only while the sets grow (kept=400 entries). In R^9 the
    # lasso's active sets fill the space (joins along null directions, nearly
    # singular systems that leaves refactorize rather than downdate).
    if ambient == 9:  # the textbook problem, smaller: 5 of dim 6, pairwise intersecting
        X, _, _ = make_subspaces(5, 6, 9, 40, noise=0.01, random_state=0)
    else:
        X, _, _ = make_subspaces(3, 4, ambient, 30, noise=0.05, random_state=1)
    kw = dict(tau=tau, penalty=penalty, n_nonzero=None, support_size=4)
    if kept is not None:
        monkeypatch.setattr(_ensc, "_HOST_INVERSE_ENTRIES", kept)
    host, rounds, unconverged = enet_representation(X, np, **kw)
    assert rounds >= 3 and unconverged == 0
    monkeypatch.setattr(_ensc, "oracle_kernel", lambda: None)
    batched, _, _ = enet_representation(X, np, **kw)
    assert host.nnz > 4 * X.shape[0]
    np.testing.assert_allclose(host.toarray(), batched.toarray(), atol=1e-9)


def test_host_scan_rechecks_single_precision_scores_near_the_threshold():
    # The rounds scan single-precision correlations; one that rounding pushes
    # over the threshold must not count (nor one pushed under it be missed).
    from sksubspace._lasso import _rtol, oracle_kernel

    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 6))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    R = X[:1].copy()  # point 0, zero codes: its residual is itself
    exact = np.abs(X @ R[0])
    exact[0] = 0.0
    j = int(np.argmax(exact))
    slack = 8 * float(np.finfo(np.float32).eps)
    K = 4

    def status_of(thr, shift):
        score = (X @ R[0]).astype(np.float32)[None, :]
        score[0, j] += np.float32(np.sign(score[0, j]) * shift)
        status = np.zeros(1, dtype=np.int64)
        oracle_kernel()(
            X, score, np.zeros(1, np.int64), np.zeros(1, np.int64), np.full(1, 0.1),
            np.zeros(1), np.full(1, 1e-9), np.full(1, thr), slack, np.full(1, K), False,
            _rtol(np.float64, np), np.zeros((1, K), np.int64), np.zeros((1, K)),
            np.zeros((1, K)), np.zeros((1, K)), np.zeros(1, np.int64), np.zeros(1, np.int64),
            np.ones(1, bool), np.ones(1, bool), np.full(1, -1), np.zeros((0, K, K)), R.copy(),
            status,
        )  # fmt: skip
        return int(status[0])

    top = exact[j]
    band = 0.5 * slack  # |R[0]| = 1
    assert status_of(top + 1e-9, +band) == 0  # looks like a violator, is not
    assert status_of(top - 1e-9, -band) == 1  # looks settled, is violated
    assert status_of(top + 1e-9, 0.0) == 0 and status_of(top - 1e-9, 0.0) == 1


def test_unsettled_active_set_warns():
    X, _, _ = make_subspaces(2, 5, 12, 40, noise=0.05, random_state=0)
    est = ElasticNetSubspaceClustering(2, tau=0.3, support_size=3, max_iter=1, random_state=0)
    with pytest.warns(ConvergenceWarning, match="increase max_iter or support_size"):
        est.fit(X)


@pytest.mark.skipif(xs is None, reason="array-api-strict missing")
def test_ensc_array_api_strict_matches_numpy():
    X, _, _ = make_subspaces(3, 3, 10, 20, noise=0.01, random_state=0)
    ref, _, _ = enet_representation(X, np, support_size=10)
    got, _, _ = enet_representation(xs.asarray(X), xs, support_size=10)
    assert_allclose_ref(got.toarray(), ref.toarray(), atol=1e-9)


def test_refine_labels_lowers_the_residual_and_recovers_the_planted_labels():
    X, y, _ = make_subspaces(4, 3, 8, 60, noise=0.01, random_state=0)
    rng = np.random.RandomState(0)
    start = y.copy()
    flip = rng.rand(y.size) < 0.15  # 15% of the points in a wrong cluster
    start[flip] = (y[flip] + 1 + rng.randint(0, 3, flip.sum())) % 4

    def cost(labels):
        bases, offsets = _fit_subspaces(X, labels, 4, np, dims=[3] * 4)
        return subspace_residuals(X, bases, offsets)[np.arange(y.size), labels].sum()

    labels, changed = refine_labels(X, start, 4, np)
    assert changed >= 1
    assert clustering_accuracy(y, labels) == 1.0
    assert cost(labels) < 0.5 * cost(start)
    # already right: nothing moves
    same, changed = refine_labels(X, y, 4, np)
    assert changed == 0 and np.array_equal(same, y)


@pytest.fixture(scope="module")
def textbook():
    """5 intersecting subspaces of dim 6 in R^9, 200 points each, noise 0.01."""
    X, y, _ = make_subspaces(5, 6, 9, 200, noise=0.01, random_state=0)
    return X, y


@pytest.mark.parametrize(
    "est",
    [
        ElasticNetSubspaceClustering(5, random_state=0),
        OMPSubspaceClustering(5, random_state=0),
        ThresholdingSubspaceClustering(5, n_neighbors=10, random_state=0),
    ],
    ids=["EnSC", "SSC-OMP", "TSC"],
)
def test_textbook_intersecting_subspaces(est, textbook):
    # Pairs of these subspaces share 3 of their 6 dimensions: the spectral
    # labels alone are 54% (TSC) to 97% (EnSC) right; the K-subspaces
    # refinement of the defaults recovers every subspace.
    X, y = textbook
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X)
    assert clustering_accuracy(y, est.labels_) >= 0.99
    assert all(U.shape == (9, 6) for U in est.subspaces_)
    spectral_only = clustering_accuracy(y, est.set_params(refine_iter=0).fit_predict(X))
    assert spectral_only < 0.99


@pytest.fixture(scope="module")
def digits_baselines():
    """Digits (rows L2-normalized) and the ACC of scikit-learn's KMeans and SpectralClustering."""
    from sklearn.cluster import KMeans, SpectralClustering
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import normalize

    X, y = load_digits(return_X_y=True)
    X = normalize(X)
    km = KMeans(10, n_init=10, random_state=0).fit(X)
    sc = SpectralClustering(10, affinity="nearest_neighbors", random_state=0).fit(X)
    return X, y, max(clustering_accuracy(y, km.labels_), clustering_accuracy(y, sc.labels_))


@pytest.mark.parametrize("name", ["ssc", "ensc"])
def test_defaults_beat_kmeans_and_spectral_clustering_on_digits(name, digits_baselines):
    # real data with the default parameters (only n_clusters given): the
    # neighbour graph of the codes and the elastic net's tau=0.9 win here
    from sksubspace.cluster import SparseSubspaceClustering

    X, y, best_baseline = digits_baselines
    cls = SparseSubspaceClustering if name == "ssc" else ElasticNetSubspaceClustering
    acc = clustering_accuracy(y, cls(10, random_state=0).fit(X).labels_)
    assert acc > best_baseline + 0.02
