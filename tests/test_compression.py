"""Compressing collections of matrices: incremental SVD, concatenation bounds, clustering."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from sksubspace.compression import (
    IncrementalTruncatedSVD,
    JointSVDClustering,
    concat_svd_error,
    concat_svd_error_bounds,
    cospadi_compress,
    low_rank_compress,
    sparse_dictionary_size,
    svd_update,
)

from ._helpers import assert_allclose_ref, tol_for


def _projector(U):
    return U @ U.T


def _true_error(blocks, rank):
    s = np.linalg.svd(np.hstack(blocks), compute_uv=False)
    return np.sqrt(np.sum(s[rank:] ** 2) / np.sum(s**2))


# --------------------------------------------------------------------------
# Incremental truncated SVD
# --------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [[5, 5, 5, 5], [1, 7, 2, 13], [30, 3]])
def test_svd_update_exact_without_truncation(sizes):
    # Nothing truncated: the tracked SVD is the SVD of the concatenation.
    rng = np.random.default_rng(0)
    blocks = [rng.standard_normal((12, c)) for c in sizes]
    U, s = np.zeros((12, 0)), np.zeros(0)
    for B in blocks:
        U, s, dropped, _ = svd_update(U, s, B, rank=12)
        np.testing.assert_allclose(dropped, 0.0, atol=1e-20)
    A = np.hstack(blocks)
    Uref, sref, _ = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(s, sref, rtol=1e-12)
    np.testing.assert_allclose(_projector(U[:, :5]), _projector(Uref[:, :5]), atol=1e-10)
    np.testing.assert_allclose(U.T @ U, np.eye(U.shape[1]), atol=1e-12)


def test_incremental_truncated_svd_matches_numpy_svd():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 6)) @ rng.standard_normal((6, 15))
    est = IncrementalTruncatedSVD(n_components=6, batch_size=17).fit(X)
    _, s, Vt = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(est.singular_values_, s[:6], rtol=1e-10)
    np.testing.assert_allclose(_projector(est.components_.T), _projector(Vt[:6].T), atol=1e-10)
    assert est.residual_norm_ < 1e-8 * np.linalg.norm(X)
    np.testing.assert_allclose(est.inverse_transform(est.transform(X)), X, atol=1e-9)
    # partial_fit over the same chunks gives the same model
    inc = IncrementalTruncatedSVD(n_components=6)
    for lo in range(0, 200, 17):
        inc.partial_fit(X[lo : lo + 17])
    np.testing.assert_allclose(inc.singular_values_, est.singular_values_, rtol=1e-12)
    assert inc.n_samples_seen_ == 200


def test_incremental_truncated_svd_tracks_its_error():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 20)) * np.linspace(3, 0.1, 20)
    est = IncrementalTruncatedSVD(n_components=5, batch_size=10).fit(X)
    s = np.linalg.svd(X, compute_uv=False)
    optimal = np.sqrt(np.sum(s[5:] ** 2))
    V = est.components_
    projected = np.linalg.norm(X - X @ V.T @ V)
    # the tracked error is that of an actual rank-5 approximation: the norm
    # identity holds exactly and it bounds the optimal and projection errors
    np.testing.assert_allclose(
        est.residual_norm_**2, np.sum(X * X) - np.sum(est.singular_values_**2), rtol=1e-9
    )
    assert optimal <= projected + 1e-9 <= est.residual_norm_ + 2e-9
    assert est.residual_norm_ < 1.1 * optimal
    np.testing.assert_allclose(est.relative_error_, est.residual_norm_ / np.linalg.norm(X))


def test_incremental_truncated_svd_float32_and_errors():
    X = np.random.default_rng(3).standard_normal((40, 6)).astype(np.float32)
    est = IncrementalTruncatedSVD(n_components=3).fit(X)
    assert est.components_.dtype == np.float32
    assert est.transform(X).dtype == np.float32
    with pytest.raises(ValueError, match="n_components=7 must be at most n_features=6"):
        IncrementalTruncatedSVD(n_components=7).fit(X)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :5])


def test_incremental_truncated_svd_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    X = np.random.default_rng(4).standard_normal((50, 8))
    ref = IncrementalTruncatedSVD(n_components=3, batch_size=7).fit(X)
    got = IncrementalTruncatedSVD(n_components=3, batch_size=7).fit(xs.asarray(X))
    np.testing.assert_allclose(np.asarray(got.singular_values_), ref.singular_values_)
    assert got.residual_norm_ == pytest.approx(ref.residual_norm_)


# --------------------------------------------------------------------------
# Bounds on the error of a concatenation
# --------------------------------------------------------------------------


def _random_collections():
    rng = np.random.default_rng(5)
    out = []
    for trial in range(12):
        n = int(rng.integers(4, 16))
        m = int(rng.integers(1, 6))
        if trial % 3 == 0:  # unstructured
            blocks = [rng.standard_normal((n, int(rng.integers(1, 9)))) for _ in range(m)]
        elif trial % 3 == 1:  # shared low-rank subspace plus noise
            base = rng.standard_normal((n, 2))
            blocks = [
                base @ rng.standard_normal((2, 6)) + 0.1 * rng.standard_normal((n, 6))
                for _ in range(m)
            ]
        else:  # decaying spectra with different scales
            blocks = [
                rng.standard_normal((n, 5)) * np.geomspace(1, 1e-3, 5) * rng.uniform(0.1, 10)
                for _ in range(m)
            ]
        out.append((blocks, int(rng.integers(1, n))))
    return out


@pytest.mark.parametrize("method", ["weyl", "incremental"])
def test_bounds_hold(method):
    for blocks, rank in _random_collections():
        exact = _true_error(blocks, rank)
        assert concat_svd_error(blocks, rank) == pytest.approx(exact, abs=1e-7)
        lo, hi = concat_svd_error_bounds(blocks, rank, method=method)
        assert lo - 1e-9 <= exact <= hi + 1e-9, (lo, exact, hi)
        lo_abs, hi_abs = concat_svd_error_bounds(blocks, rank, method=method, relative=False)
        norm = np.linalg.norm(np.hstack(blocks))
        assert hi_abs == pytest.approx(hi * norm)


def test_bounds_tight_on_orthogonal_blocks():
    # Mutually orthogonal column spaces: the spectrum of the concatenation is the
    # union of the blocks' spectra, and both upper bounds are the true error.
    rng = np.random.default_rng(6)
    Q = np.linalg.qr(rng.standard_normal((20, 12)))[0]
    blocks = [Q[:, 4 * k : 4 * k + 4] @ rng.standard_normal((4, 7)) for k in range(3)]
    for rank in (1, 3, 5, 8):
        exact = _true_error(blocks, rank)
        assert concat_svd_error_bounds(blocks, rank)[1] == pytest.approx(exact, rel=1e-9)
        inc = concat_svd_error_bounds(blocks, rank, method="incremental")[1]
        assert inc == pytest.approx(exact, rel=1e-9)


def test_bounds_tight_on_shared_subspace():
    # Heads in one common r-dimensional subspace, tails orthogonal to it and to
    # each other: the Ky Fan lower bound (the sum of the blocks' own errors) is exact.
    rng = np.random.default_rng(7)
    Q = np.linalg.qr(rng.standard_normal((20, 8)))[0]
    U, T = Q[:, :2], Q[:, 2:]
    blocks = [
        np.hstack([10 * U @ rng.standard_normal((2, 6)), T[:, [k]] @ rng.standard_normal((1, 3))])
        for k in range(4)
    ]
    exact = _true_error(blocks, 2)
    for method in ("weyl", "incremental"):
        lo, hi = concat_svd_error_bounds(blocks, 2, method=method)
        assert lo == pytest.approx(exact, rel=1e-8)
    # and with no tails at all every bound is 0
    heads = [U @ rng.standard_normal((2, 5)) for _ in range(3)]
    for method in ("weyl", "incremental"):
        lo, hi = concat_svd_error_bounds(heads, 2, method=method)
        assert lo == pytest.approx(0, abs=1e-7)
        if method == "incremental":
            assert hi == pytest.approx(0, abs=1e-7)


def test_incremental_bound_tighter_than_weyl_on_similar_blocks():
    rng = np.random.default_rng(8)
    base = rng.standard_normal((30, 3))
    blocks = [base @ rng.standard_normal((3, 10)) + 0.05 * rng.standard_normal((30, 10))]
    blocks += [base @ rng.standard_normal((3, 10)) + 0.05 * rng.standard_normal((30, 10))]
    exact = _true_error(blocks, 3)
    weyl_lo, weyl = concat_svd_error_bounds(blocks, 3)
    inc_lo, inc = concat_svd_error_bounds(blocks, 3, method="incremental")
    assert weyl_lo <= inc_lo <= exact <= inc < weyl
    assert inc < 1.05 * exact
    # no oversampling: the upper bound is the tracked rank-3 error
    _, inc0 = concat_svd_error_bounds(blocks, 3, method="incremental", n_oversamples=0)
    est = IncrementalTruncatedSVD(3, batch_size=10).fit(np.hstack(blocks).T)
    assert inc0 == pytest.approx(est.relative_error_, rel=1e-9)


def test_bounds_input_validation():
    with pytest.raises(ValueError, match="same number of rows"):
        concat_svd_error([np.ones((3, 2)), np.ones((4, 2))], 1)
    with pytest.raises(ValueError, match="3-D array"):
        concat_svd_error(np.ones((3, 2)), 1)
    with pytest.raises(ValueError, match="empty"):
        concat_svd_error([], 1)
    with pytest.raises(ValueError, match="NaN"):
        concat_svd_error([np.full((3, 2), np.nan)], 1)


def test_bounds_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    blocks, rank = _random_collections()[1]
    for method in ("weyl", "incremental"):
        ref = concat_svd_error_bounds(blocks, rank, method=method)
        got = concat_svd_error_bounds([xs.asarray(b) for b in blocks], rank, method=method)
        # the bounds are tails sqrt(||A||^2 - sum s_i^2), which cancel: float32
        # loses ~||A||^2 / tail^2 more digits than the singular values
        assert_allclose_ref(got, ref, rtol=1e-8, atol=1e-12, factor=1e4)
    # the same cancellation: float32's relative error ~ eps / (2 err^2) ~ 3e-3 at err ~ 5e-3
    assert concat_svd_error([xs.asarray(b) for b in blocks], rank) == pytest.approx(
        concat_svd_error(blocks, rank), rel=tol_for(1e-6, factor=3e4)
    )


# --------------------------------------------------------------------------
# Error-constrained clustering of matrices
# --------------------------------------------------------------------------


def _planted_matrices(seed=0, n_groups=3, per_group=4, n=30, r=3, noise=0.01):
    rng = np.random.default_rng(seed)
    bases = [np.linalg.qr(rng.standard_normal((n, r)))[0] for _ in range(n_groups)]
    labels = np.arange(n_groups * per_group) % n_groups
    mats = [bases[g] @ rng.standard_normal((r, int(rng.integers(5, 12)))) for g in labels]
    mats = [A + noise * rng.standard_normal(A.shape) for A in mats]
    return mats, labels


@pytest.mark.parametrize("algorithm", ["bound", "incremental", "exact"])
def test_clustering_recovers_planted_groups(algorithm):
    mats, labels = _planted_matrices()
    est = JointSVDClustering(error_threshold=0.1, rank=3, algorithm=algorithm).fit(mats)
    assert adjusted_rand_score(labels, est.labels_) == 1.0
    assert est.n_groups_ == 3
    for g, members in enumerate(est.groups_):
        exact = _true_error([mats[i] for i in members], 3)
        assert est.group_errors_[g] == pytest.approx(exact, rel=1e-6)
        assert est.predicted_errors_[g] >= est.group_errors_[g] - 1e-12
    np.testing.assert_array_equal(est.predict(mats), est.labels_)
    # compression: each matrix is U_g U_g' A, exactly the group's projection
    rec = est.inverse_transform(est.transform(mats))
    for A, R, g in zip(mats, rec, est.labels_, strict=True):
        U = est.bases_[g]
        np.testing.assert_allclose(R, U @ (U.T @ A), atol=1e-10)
    n_cols = sum(A.shape[1] for A in mats)
    assert est.n_parameters_ == 3 * 30 * 3 + 3 * n_cols
    assert est.n_parameters_original_ == 30 * n_cols


@pytest.mark.parametrize("algorithm", ["bound", "incremental", "exact"])
@pytest.mark.parametrize("threshold", [0.3, 0.6, 0.8])
def test_clustering_guarantee_on_random_matrices(algorithm, threshold):
    # Every group's TRUE optimal error stays below the threshold.
    rng = np.random.default_rng(int(threshold * 10))
    base = rng.standard_normal((15, 4))
    mats = [
        base @ rng.standard_normal((4, int(rng.integers(2, 8))))
        + rng.uniform(0.1, 1.5) * rng.standard_normal((15, int(rng.integers(2, 8))))[:, :1]
        + 0.3 * rng.standard_normal((15, 1))
        for _ in range(15)
    ]
    mats = [A + 0.2 * rng.standard_normal(A.shape) for A in mats]
    est = JointSVDClustering(error_threshold=threshold, rank=4, algorithm=algorithm).fit(mats)
    for members in est.groups_:
        assert _true_error([mats[i] for i in members], 4) <= threshold + 1e-12
    assert sorted(i for g in est.groups_ for i in g) == list(range(15))
    if threshold >= 0.6:
        assert est.n_groups_ < 15  # something was merged


def test_clustering_exact_merges_at_least_as_much_as_bound():
    mats, _ = _planted_matrices(seed=1, noise=0.08)
    n_groups = {
        alg: JointSVDClustering(0.25, rank=3, algorithm=alg).fit(mats).n_groups_
        for alg in ("bound", "incremental", "exact")
    }
    assert n_groups["exact"] <= n_groups["incremental"] <= n_groups["bound"]


def test_clustering_layouts_agree():
    mats, labels = _planted_matrices(seed=2, per_group=3)
    cube = np.stack([A[:, :5] for A in mats])
    est = JointSVDClustering(0.1, rank=3).fit(cube)
    lst = JointSVDClustering(0.1, rank=3).fit(list(cube))
    np.testing.assert_array_equal(est.labels_, lst.labels_)
    Z = est.transform(cube)
    assert Z.shape == (cube.shape[0], est.n_groups_ * 3, 5)
    np.testing.assert_allclose(np.stack(lst.transform(list(cube))), Z)
    np.testing.assert_allclose(est.inverse_transform(Z), np.stack(lst.inverse_transform(list(Z))))
    # 2-D input: each row is one column vector
    X = np.vstack([A.T for A in mats[:3]])
    vec = JointSVDClustering(0.05, rank=3).fit(X)
    assert vec.transform(X).shape == (X.shape[0], vec.n_groups_ * 3)
    assert vec.n_features_in_ == 30


def test_clustering_warns_and_validates():
    rng = np.random.default_rng(3)
    mats = [rng.standard_normal((10, 10)) for _ in range(3)]
    with pytest.warns(UserWarning, match="on their own"):
        JointSVDClustering(0.1, rank=1).fit(mats)
    with pytest.raises(ValueError, match="same number of rows"):
        JointSVDClustering().fit([np.ones((3, 2)), np.ones((4, 2))])
    est = JointSVDClustering(0.9, rank=2).fit(mats)
    with pytest.raises(ValueError, match="rows"):
        est.transform([np.ones((4, 2))])


def test_clustering_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    mats, _ = _planted_matrices(seed=4, per_group=2)
    for algorithm in ("bound", "incremental", "exact"):
        ref = JointSVDClustering(0.1, rank=3, algorithm=algorithm).fit(mats)
        got = JointSVDClustering(0.1, rank=3, algorithm=algorithm).fit(
            [xs.asarray(A) for A in mats]
        )
        np.testing.assert_array_equal(np.asarray(got.labels_), ref.labels_)
        assert_allclose_ref(got.group_errors_, ref.group_errors_, rtol=1e-8)
        Z = got.transform([xs.asarray(A) for A in mats])
        assert isinstance(Z[0], type(xs.asarray([1.0])))


# --------------------------------------------------------------------------
# Calibration-guided compression of a weight matrix (CoSpaDi, data-aware SVD)
# --------------------------------------------------------------------------


def _output_error(X, W, M):
    return np.linalg.norm(X @ (W - M)) / np.linalg.norm(X @ W)


def test_compression_exact_at_full_budget():
    rng = np.random.default_rng(10)
    W = rng.standard_normal((8, 20))
    X = rng.standard_normal((50, 8))
    D, C = cospadi_compress(W, X, n_atoms=8, n_nonzero_coefs=8, random_state=0)
    assert _output_error(X, W, D @ C) < 1e-8
    for calib in (None, X):
        A, B = low_rank_compress(W, calib, rank=8)
        np.testing.assert_allclose(A @ B, W, atol=1e-8)


def test_data_aware_svd_beats_plain_svd_on_calibration_data():
    rng = np.random.default_rng(11)
    W = rng.standard_normal((20, 30))
    X = rng.standard_normal((200, 20)) @ rng.standard_normal((20, 20)) * np.geomspace(5, 0.05, 20)
    for rank in (1, 4, 10):
        A, B = low_rank_compress(W, rank=rank)
        Aw, Bw = low_rank_compress(W, X, rank=rank, ridge=1e-12)
        assert _output_error(X, W, Aw @ Bw) <= _output_error(X, W, A @ B) + 1e-12
        # plain SVD is the optimum in the weight metric
        assert np.linalg.norm(W - A @ B) <= np.linalg.norm(W - Aw @ Bw) + 1e-12
    # the optimum: the tail of the whitened weights' spectrum
    L = np.linalg.cholesky(X.T @ X)
    s = np.linalg.svd(L.T @ W, compute_uv=False)
    Aw, Bw = low_rank_compress(W, X, rank=4, ridge=0.0)
    np.testing.assert_allclose(
        np.linalg.norm(X @ (W - Aw @ Bw)), np.sqrt(np.sum(s[4:] ** 2)), rtol=1e-8
    )


def test_cospadi_beats_low_rank_on_union_of_subspaces():
    rng = np.random.default_rng(12)
    d_in, d_out, n_sub, dim = 16, 200, 4, 2
    bases = [rng.standard_normal((d_in, dim)) for _ in range(n_sub)]
    W = np.hstack([b @ rng.standard_normal((dim, d_out // n_sub)) for b in bases])
    W = W[:, rng.permutation(d_out)]
    X = rng.standard_normal((300, d_in)) * np.linspace(2, 0.2, d_in)
    k, s = 12, dim  # 50% more atoms than the union needs
    D, C = cospadi_compress(W, X, n_atoms=k, n_nonzero_coefs=s, random_state=0)
    assert D.shape == (d_in, k) and C.shape == (k, d_out)
    assert np.count_nonzero(C, axis=0).max() <= s
    budget = sparse_dictionary_size(d_in, d_out, k, s)
    rank = budget // (d_in + d_out)
    A, B = low_rank_compress(W, X, rank=rank)
    assert rank * (d_in + d_out) <= budget
    sparse_err, low_rank_err = _output_error(X, W, D @ C), _output_error(X, W, A @ B)
    # K-SVD may stop in a local minimum short of the exact union of subspaces;
    # at the same number of parameters it still halves the low-rank error.
    assert sparse_err < 0.5 * low_rank_err
    assert low_rank_err > 0.3


@pytest.mark.parametrize("compression", [0.2, 0.35, 0.5])
def test_compression_knob_respects_budget(compression):
    rng = np.random.default_rng(13)
    W = rng.standard_normal((24, 40))
    X = rng.standard_normal((100, 24))
    D, C = cospadi_compress(W, X, compression=compression, max_iter=3, random_state=0)
    s = int(np.count_nonzero(C, axis=0).max())
    assert sparse_dictionary_size(24, 40, D.shape[1], s) <= (1 - compression) * 24 * 40
    A, B = low_rank_compress(W, X, compression=compression)
    assert A.shape[1] * (24 + 40) <= (1 - compression) * 24 * 40
    assert (A.shape[1] + 1) * (24 + 40) > (1 - compression) * 24 * 40


def test_compression_input_validation():
    W = np.ones((4, 3))
    with pytest.raises(ValueError, match="X must have shape"):
        low_rank_compress(W, np.ones((5, 3)))
    with pytest.raises(ValueError, match="leaves no room"):
        cospadi_compress(W, compression=0.9, n_nonzero_coefs=3)
    with pytest.raises(ValueError, match="compression"):
        low_rank_compress(W, compression=1.5)


def test_compression_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(14)
    W = rng.standard_normal((10, 16))
    X = rng.standard_normal((40, 10))
    A, B = low_rank_compress(xs.asarray(W), xs.asarray(X), rank=3)
    A0, B0 = low_rank_compress(W, X, rank=3)
    assert_allclose_ref(np.asarray(A @ B), A0 @ B0, atol=1e-10)
    D, C = cospadi_compress(
        xs.asarray(W), xs.asarray(X), n_atoms=10, n_nonzero_coefs=10, random_state=0
    )
    assert isinstance(D, type(xs.asarray([1.0])))
    assert _output_error(X, W, np.asarray(D @ C)) < tol_for(1e-8)


@pytest.mark.gpu
def test_compression_on_gpu_matches_cpu():
    from sksubspace._backend import gpu_available

    if not gpu_available():
        pytest.skip("needs CuPy and a CUDA GPU")
    import cupy

    mats, _ = _planted_matrices(seed=5, per_group=2)
    gpu_mats = [cupy.asarray(A) for A in mats]
    for method in ("weyl", "incremental"):
        np.testing.assert_allclose(
            concat_svd_error_bounds(gpu_mats, 3, method=method),
            concat_svd_error_bounds(mats, 3, method=method),
            rtol=1e-8,
        )
    for algorithm in ("bound", "incremental", "exact"):
        ref = JointSVDClustering(0.1, rank=3, algorithm=algorithm).fit(mats)
        got = JointSVDClustering(0.1, rank=3, algorithm=algorithm).fit(gpu_mats)
        np.testing.assert_array_equal(got.labels_.get(), ref.labels_)
        assert isinstance(got.transform(gpu_mats)[0], cupy.ndarray)
    rng = np.random.default_rng(15)
    W, X = rng.standard_normal((12, 30)), rng.standard_normal((60, 12))
    A, B = low_rank_compress(cupy.asarray(W), cupy.asarray(X), rank=4)
    A0, B0 = low_rank_compress(W, X, rank=4)
    np.testing.assert_allclose((A @ B).get(), A0 @ B0, atol=1e-8)
    D, C = cospadi_compress(cupy.asarray(W), cupy.asarray(X), n_atoms=12, n_nonzero_coefs=12)
    assert _output_error(X, W, (D @ C).get()) < 1e-8


def test_clustering_given_order_and_new_matrices():
    mats, labels = _planted_matrices(seed=6)
    est = JointSVDClustering(0.1, rank=3, order="given").fit(mats)
    assert adjusted_rand_score(labels, est.labels_) == 1.0
    assert est.labels_[0] == 0  # groups are numbered in input order
    # new matrices from the planted subspaces go to their group, and compress well
    rng = np.random.default_rng(7)
    fresh = [mats[i] @ rng.standard_normal((mats[i].shape[1], 4)) for i in range(3)]
    np.testing.assert_array_equal(est.predict(fresh), est.labels_[:3])
    rec = est.inverse_transform(est.transform(fresh))
    for A, R in zip(fresh, rec, strict=True):
        assert np.linalg.norm(A - R) <= 0.1 * np.linalg.norm(A)


def test_public_functions_validate_their_parameters():
    from sklearn.utils._param_validation import InvalidParameterError

    from sksubspace.compression import sparse_dictionary_size, svd_update

    U = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 2)))[0]
    with pytest.raises(InvalidParameterError, match="rank"):
        svd_update(U, np.ones(2), np.ones((6, 3)), 0)
    with pytest.raises(InvalidParameterError, match="n_atoms"):
        sparse_dictionary_size(8, 8, 0, 2)
    assert sparse_dictionary_size(8, 10, 4, 2) == 8 * 4 + 2 * 2 * 10
