"""SSC (ADMM) and LRR (inexact ALM): planted recovery, references, outliers, errors."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso

from sksubspace.cluster import LowRankRepresentation, SparseSubspaceClustering
from sksubspace.cluster._ssc import (
    random_walk_scores,
    ssc_admm,
    ssc_lasso_representation,
    ssc_representation,
)
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy

from ._helpers import assert_allclose_ref


@pytest.fixture(scope="module")
def independent():
    """5 independent subspaces of dim 5 in R^50, plus held-out points."""
    X, y, _ = make_subspaces(5, 5, 50, 80, noise=0.01, random_state=0)
    return X[:300], y[:300], X[300:], y[300:]


def _wrong_mass(C, y):
    Cc = sp.coo_matrix(abs(C))
    return Cc.data[y[Cc.row] != y[Cc.col]].sum() / Cc.data.sum()


# --- SparseSubspaceClustering -------------------------------------------------


def test_ssc_independent_subspaces(independent):
    X, y, X_new, y_new = independent
    est = SparseSubspaceClustering(5, random_state=0, store_matrices=True).fit(X)
    assert clustering_accuracy(y, est.labels_) == 1.0
    assert clustering_accuracy(y_new, est.predict(X_new)) >= 0.99
    C = est.representation_matrix_
    assert sp.issparse(C) and sp.issparse(est.affinity_matrix_)
    assert np.allclose(C.diagonal(), 0)
    assert _wrong_mass(C, y) < 0.01
    # sparse: about subspace_dim codes per point, not n_samples
    assert C.nnz / X.shape[0] < 15
    assert all(U.shape == (50, 5) for U in est.subspaces_)
    auto = SparseSubspaceClustering("auto", random_state=0).fit(X)
    assert auto.n_clusters_ == 5
    assert clustering_accuracy(y, auto.labels_) == 1.0


def test_ssc_intersecting_subspaces():
    # 5 subspaces of dim 6 in R^9 (pairwise intersecting), fewer points than
    # the textbook problem: the spectral labels are mostly right near the
    # intersections only; the K-subspaces refinement corrects them.
    X, y, _ = make_subspaces(5, 6, 9, 80, noise=0.01, random_state=0)
    est = SparseSubspaceClustering(5, random_state=0).fit(X)
    assert clustering_accuracy(y, est.labels_) >= 0.99
    assert clustering_accuracy(y, est.predict(X)) >= 0.99
    spectral_only = SparseSubspaceClustering(5, refine_iter=0, random_state=0).fit(X)
    assert clustering_accuracy(y, spectral_only.labels_) < 0.99


def _lasso_objective(C, X, lam):
    return np.abs(C).sum() + lam / 2 * ((X - C @ X) ** 2).sum()


def test_ssc_admm_matches_per_point_lasso():
    # each row of C solves min |c|_1 + lam/2 |x_j - c X|^2 over c_j = 0
    X, _, _ = make_subspaces(3, 2, 8, 10, noise=0.05, random_state=0)
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    n, d = X.shape
    lam = 30.0
    C, _, converged = ssc_admm(X, X, np, lam=lam, rho=lam, n_self=n, max_iter=20000, tol=1e-9)
    assert converged
    ref = np.zeros((n, n))
    for j in range(n):
        others = np.delete(np.arange(n), j)
        # sklearn: 1/(2 d) |x - A'c|^2 + a |c|_1, i.e. ours divided by lam d
        lasso = Lasso(alpha=1.0 / (lam * d), fit_intercept=False, tol=1e-12, max_iter=100000)
        ref[j, others] = lasso.fit(X[others].T, X[j]).coef_
    assert abs(_lasso_objective(C, X, lam) / _lasso_objective(ref, X, lam) - 1) < 1e-6
    np.testing.assert_allclose(C, ref, atol=1e-4)


def test_ssc_active_set_and_admm_give_the_same_codes():
    # the default path (one exact lasso per point) and a tightly converged
    # ADMM solve the same program
    X, y, _ = make_subspaces(3, 3, 12, 25, noise=0.05, random_state=0)
    C_as, _, converged = ssc_lasso_representation(X, np, alpha=20.0, support_size=10)
    assert converged
    C_admm, _, converged = ssc_representation(X, np, alpha=20.0, max_iter=20000, tol=1e-9)
    assert converged
    np.testing.assert_allclose(C_as.toarray(), C_admm.toarray(), atol=1e-5)
    assert C_as.nnz < 12 * X.shape[0]  # exact lasso codes: at most n_features per point
    est = SparseSubspaceClustering(3, random_state=0).fit(X)
    ref = SparseSubspaceClustering(3, solver="admm", random_state=0).fit(X)
    assert clustering_accuracy(y, est.labels_) >= clustering_accuracy(y, ref.labels_)
    with pytest.raises(ValueError, match="need solver='admm'"):
        SparseSubspaceClustering(3, solver="active_set", affine=True).fit(X)


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("errors", [False, True])
def test_ssc_woodbury_and_direct_paths_agree(affine, errors):
    X, _, _ = make_subspaces(3, 2, 6, 15, noise=0.05, random_state=1)
    n, d = X.shape
    P = np.vstack([X, 2.0 * np.eye(d)]) if errors else X
    kw = dict(lam=20.0, rho=20.0, n_self=n, affine=affine, max_iter=60, tol=0.0)
    Cw, it_w, _ = ssc_admm(X, P, np, method="woodbury", **kw)
    Cd, it_d, _ = ssc_admm(X, P, np, method="direct", **kw)
    assert it_w == it_d == 60
    np.testing.assert_allclose(Cw, Cd, atol=1e-9)
    assert np.abs(Cw).sum() > 1.0  # a nontrivial solution was compared


def test_ssc_affine_subspaces():
    X, y, _ = make_subspaces(3, 2, 6, 40, noise=0.01, affine=True, random_state=0)
    est = SparseSubspaceClustering(3, affine=True, random_state=0, store_matrices=True).fit(X)
    assert clustering_accuracy(y, est.labels_) == 1.0
    # the codes are affine combinations
    np.testing.assert_allclose(
        np.asarray(est.representation_matrix_.sum(axis=1)).ravel(), 1, atol=2e-2
    )
    # offsets are fitted (affine subspaces do not pass through the origin)
    assert np.linalg.norm(est.subspace_offsets_, axis=1).min() > 0.1
    assert clustering_accuracy(y, est.predict(X)) >= 0.99


def test_ssc_outliers_are_detected_and_left_out():
    X, y, _ = make_subspaces(4, 3, 30, 50, noise=0.01, outlier_fraction=0.1, random_state=0)
    inlier = y >= 0
    est = SparseSubspaceClustering(4, outliers=True, random_state=0).fit(X)
    np.testing.assert_array_equal(est.inlier_mask_, inlier)
    assert np.all(est.labels_[~inlier] == -1)
    assert clustering_accuracy(y[inlier], est.labels_[inlier]) == 1.0
    # scores separate the two groups with a margin
    assert est.outlier_scores_[~inlier].min() > est.outlier_scores_[inlier].max() + 1.0
    # without the option the outliers get labels (and no scores)
    plain = SparseSubspaceClustering(4, random_state=0).fit(X)
    assert plain.labels_.min() == 0 and not hasattr(plain, "outlier_scores_")


def test_ssc_sparse_errors_absorb_gross_corruption():
    # a few coordinates of some points are grossly corrupted: the l1 error term
    # takes them, the codes of those points stay inside their subspace
    X, y, _ = make_subspaces(3, 3, 30, 40, noise=0.01, random_state=0)
    rng = np.random.RandomState(0)
    bad = rng.choice(X.shape[0], 20, replace=False)
    for i in bad:
        X[i, rng.choice(30, 2, replace=False)] += rng.choice([-1.0, 1.0], 2)
    # a low error_penalty: a gross error costs less than a few extra codes
    robust = SparseSubspaceClustering(
        3, outliers=True, error_penalty=2.0, random_state=0, store_matrices=True
    ).fit(X)
    plain = SparseSubspaceClustering(3, random_state=0, store_matrices=True).fit(X)
    rows = sp.csr_matrix(robust.representation_matrix_)[bad]
    rows_plain = sp.csr_matrix(plain.representation_matrix_)[bad]
    yb = y[bad]

    def wrong(R):
        R = sp.coo_matrix(abs(R))
        return R.data[yb[R.row] != y[R.col]].sum() / R.data.sum()

    assert wrong(rows) < 0.05 < wrong(rows_plain)
    # the other points are clustered exactly (corrupted ones may be flagged)
    ok = robust.labels_ >= 0
    assert ok.sum() >= X.shape[0] - bad.size
    assert clustering_accuracy(y[ok], robust.labels_[ok]) == 1.0


def test_random_walk_scores_transient_points():
    # 0 <-> 1 form a closed class; 2 points to it and nobody points to 2
    C = sp.csr_matrix(np.array([[0, 1.0, 0], [1.0, 0, 0], [0.5, 0.5, 0]]))
    s = random_walk_scores(C)
    assert s[2] >= 15 and abs(s[0] - np.log10(2 / 3)) < 1e-2 < abs(s[0]) + 1


def test_ssc_convergence_warning_and_n_iter():
    X, _, _ = make_subspaces(2, 2, 6, 15, noise=0.01, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        est = SparseSubspaceClustering(2, max_iter=3, solver="admm", random_state=0).fit(X)
    assert est.n_iter_ == 3


def test_ssc_errors_on_bad_input():
    X, _, _ = make_subspaces(2, 2, 6, 5, random_state=0)
    with pytest.raises(ValueError, match="n_clusters=20 must be at most"):
        SparseSubspaceClustering(20).fit(X)
    with pytest.raises(ValueError, match="alpha"):
        SparseSubspaceClustering(2, alpha=0.5).fit(X)  # below 1 the codes are all zero
    with pytest.raises(ValueError, match="NaN"):
        SparseSubspaceClustering(2).fit(np.full((10, 3), np.nan))


# --- LowRankRepresentation -----------------------------------------------------


def test_lrr_independent_subspaces(independent):
    X, y, X_new, y_new = independent
    est = LowRankRepresentation(5, random_state=0, store_matrices=True).fit(X)
    assert clustering_accuracy(y, est.labels_) == 1.0
    assert clustering_accuracy(y_new, est.predict(X_new)) >= 0.99
    assert est.representation_matrix_.shape == (300, 300)
    assert _wrong_mass(est.representation_matrix_, y) < 0.05
    assert est.errors_.shape == X.shape
    auto = LowRankRepresentation("auto", random_state=0).fit(X)
    assert auto.n_clusters_ == 5


def test_lrr_noiseless_is_the_shape_interaction_matrix():
    # without noise and with a large error weight, the LRR minimizer is V V'
    # (V: right singular vectors of X' = left ones of X; Liu et al., Thm 3.1)
    X, _, _ = make_subspaces(3, 2, 20, 10, random_state=0)
    est = LowRankRepresentation(
        3, alpha=100.0, tol=1e-9, max_iter=2000, random_state=0, store_matrices=True
    ).fit(X)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    U = np.linalg.svd(Xn, full_matrices=False)[0][:, :6]
    np.testing.assert_allclose(est.representation_matrix_, U @ U.T, atol=1e-5)
    assert np.abs(est.errors_).max() < 1e-5


def test_lrr_column_errors_flag_corrupted_points():
    X, y, _ = make_subspaces(3, 3, 30, 40, noise=0.01, random_state=0)
    rng = np.random.RandomState(0)
    bad = rng.choice(X.shape[0], 6, replace=False)
    X[bad] = rng.standard_normal((6, 30))
    est = LowRankRepresentation(3, alpha=0.3, random_state=0).fit(X)
    norms = np.linalg.norm(est.errors_, axis=1)
    good = np.setdiff1d(np.arange(X.shape[0]), bad)
    assert norms[bad].min() > 5 * norms[good].max()
    assert clustering_accuracy(y[good], est.labels_[good]) >= 0.98


def test_lrr_convergence_warning_and_errors():
    X, _, _ = make_subspaces(2, 2, 6, 15, noise=0.01, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        est = LowRankRepresentation(2, max_iter=2).fit(X)
    assert est.n_iter_ == 2
    with pytest.raises(ValueError, match="alpha"):
        LowRankRepresentation(2, alpha=-1.0).fit(X)
    with pytest.raises(ValueError, match="n_clusters=40 must be at most"):
        LowRankRepresentation(40).fit(X)


@pytest.mark.parametrize("cls", [SparseSubspaceClustering, LowRankRepresentation])
def test_float32_preserved(cls):
    X, y, _ = make_subspaces(3, 2, 10, 20, noise=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # float32 may stall at tol
        est = cls(3, random_state=0).fit(X.astype(np.float32))
    assert est.subspaces_[0].dtype == np.float32
    assert clustering_accuracy(y, est.labels_) == 1.0


def test_ssc_more_features_than_samples_uses_the_direct_path():
    # n_features + 1 > n_samples: the ADMM's n_samples x n_samples system is
    # factored (affine=True: the default lasso path has no such system)
    X, y, _ = make_subspaces(3, 2, 100, 10, noise=0.01, random_state=0)
    est = SparseSubspaceClustering(3, affine=True, random_state=0).fit(X)
    assert clustering_accuracy(y, est.labels_) == 1.0


# both namespaces run the same iterations; on this tiny problem with outliers the
# ADMM stops at max_iter, which does not matter for the comparison
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "params", [dict(affine=True), dict(outliers=True)], ids=["affine", "outliers"]
)
def test_ssc_options_on_array_api_strict(params):
    xs = pytest.importorskip("array_api_strict")
    X, y, _ = make_subspaces(3, 2, 12, 20, noise=0.01, outlier_fraction=0.1, random_state=0)
    ref = SparseSubspaceClustering(3, random_state=0, store_matrices=True, **params).fit(X)
    got = SparseSubspaceClustering(3, random_state=0, store_matrices=True, **params).fit(
        xs.asarray(X)
    )
    assert type(got.labels_).__module__.startswith("array_api_strict")
    labels = np.asarray(got.labels_)
    assert clustering_accuracy(ref.labels_, labels) == 1.0
    np.testing.assert_array_equal(labels == -1, ref.labels_ == -1)
    assert_allclose_ref(
        got.representation_matrix_.toarray(), ref.representation_matrix_.toarray(), atol=1e-8
    )


@pytest.mark.parametrize("cls", [SparseSubspaceClustering, LowRankRepresentation])
def test_n_by_n_matrices_are_kept_only_on_request(cls):
    X, y, _ = make_subspaces(3, 3, 20, 60, noise=0.01, random_state=0)
    est = cls(3, random_state=0).fit(X)
    assert not hasattr(est, "representation_matrix_")
    assert not hasattr(est, "affinity_matrix_")
    kept = cls(3, random_state=0, store_matrices=True).fit(X)
    assert kept.representation_matrix_.shape == (X.shape[0], X.shape[0])
    np.testing.assert_array_equal(est.labels_, kept.labels_)
