"""StreamingPCA: planted top eigenvectors from random-order streams."""

import numpy as np
import pytest

from sksubspace.decomposition import StreamingPCA

from ._helpers import assert_allclose_ref


def planted(R, n=4000, d=40, seed=0):
    """Rows with covariance Q diag(R, 1, ..., 1) Q': gap R = s1^2 / s2^2."""
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    X = rng.standard_normal((n, d)) * np.sqrt(np.r_[R, np.ones(d - 1)]) @ Q.T
    return X, Q[:, 0]


@pytest.mark.parametrize("R", [5, 20, 100])
def test_streaming_top_eigenvector_random_order(R):
    X, v = planted(R)
    est = StreamingPCA(random_state=0)
    for chunk in np.array_split(X, 40):
        est.partial_fit(chunk)
    assert abs(est.components_[0] @ v) >= 1 - 2 / R
    assert est.n_samples_seen_ == X.shape[0]
    np.testing.assert_allclose(est.explained_variance_[0], R, rtol=0.2)
    # fit shuffles and streams the same way.
    assert abs(StreamingPCA(random_state=1).fit(X).components_[0] @ v) >= 1 - 2 / R


def test_streaming_heavy_rows_are_kept_exactly():
    # The top direction lives in a handful of heavy rows only.
    rng = np.random.default_rng(0)
    d = 40
    X = rng.standard_normal((3000, d))
    v = np.zeros(d)
    v[7] = 1.0
    heavy = 60.0 * v + rng.standard_normal((5, d))
    X = np.vstack([X, heavy])[rng.permutation(3005)]
    est = StreamingPCA(random_state=0)
    for chunk in np.array_split(X, 30):
        est.partial_fit(chunk)
    assert est.n_heavy_ >= 5
    assert abs(est.components_[0] @ v) > 0.99
    ref = np.linalg.eigh(X.T @ X)[1][:, -1]
    assert abs(est.components_[0] @ ref) > 0.99


def test_streaming_several_components_and_transform():
    rng = np.random.default_rng(0)
    d = 30
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    X = rng.standard_normal((4000, d)) * np.sqrt(np.r_[50.0, 20.0, np.ones(d - 2)]) @ Q.T
    est = StreamingPCA(n_components=2, random_state=0).fit(X)
    np.testing.assert_allclose(np.abs(est.components_ @ Q[:, :2]), np.eye(2), atol=0.05)
    np.testing.assert_allclose(est.transform(X), X @ est.components_.T)
    assert est.transform(X.astype(np.float32)).dtype == np.float32


def test_streaming_errors():
    X, _ = planted(5, n=50, d=4)
    with pytest.raises(ValueError, match="n_components=5 must be at most"):
        StreamingPCA(n_components=5).partial_fit(X)
    est = StreamingPCA().partial_fit(X)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :3])


def test_streaming_and_orpca_partial_fit_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    from sksubspace.decomposition import OutlierRobustPCA

    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 10))
    X[::100] *= 20.0  # heavy rows
    for cls in (StreamingPCA, OutlierRobustPCA):
        ref, got = cls(random_state=0), cls(random_state=0)
        for chunk in np.array_split(X, 3):
            ref.partial_fit(chunk)
            got.partial_fit(xs.asarray(chunk))
        assert isinstance(got.components_, type(xs.asarray([1.0])))
        assert_allclose_ref(np.asarray(got.components_), ref.components_, atol=1e-8)


def test_streaming_state_pickles_on_the_host_and_resumes():
    # The state stays in the compute namespace between chunks; a pickle holds it on
    # the host when the computation runs elsewhere than the input (device="cpu" on
    # array_api_strict input here, device="gpu" on NumPy input on a GPU machine), and
    # the stream resumes from it exactly.
    import pickle

    xs = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 10)) * np.r_[4.0, 2.0, np.ones(8)]
    X[::50] *= 10.0  # heavy rows, so the stored rows travel too
    chunks = [xs.asarray(c) for c in np.array_split(X, 4)]
    ref = StreamingPCA(2, random_state=0, device="cpu")
    for chunk in chunks:
        ref.partial_fit(chunk)
    est = StreamingPCA(2, random_state=0, device="cpu")
    for chunk in chunks[:2]:
        est.partial_fit(chunk)
    est = pickle.loads(pickle.dumps(est))
    assert isinstance(est._V, np.ndarray) and est.n_heavy_ > 0
    for chunk in chunks[2:]:
        est.partial_fit(chunk)
    np.testing.assert_allclose(
        np.asarray(est.components_), np.asarray(ref.components_), rtol=1e-12, atol=1e-12
    )


def test_streaming_inverse_transform_projects_on_the_components():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((300, 3)) @ rng.standard_normal((3, 10))  # rank 3
    est = StreamingPCA(n_components=3, random_state=0).fit(X)
    back = est.inverse_transform(est.transform(X))
    # the round trip is the orthogonal projection on the components' span
    np.testing.assert_allclose(back, X @ est.components_.T @ est.components_, atol=1e-10)
    np.testing.assert_allclose(est.components_ @ (X - back).T, 0.0, atol=1e-9)
    assert est.inverse_transform(est.transform(X.astype(np.float32))).dtype == np.float32
    with pytest.raises(ValueError, match="3 components"):
        est.inverse_transform(X)


def _two_groups(n=2000, d=20, seed=0):
    """Group A varies most along e1 (variance 9), group B along e2 (variance 16)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d)) * np.r_[3.0, np.ones(d - 1)]
    B = rng.standard_normal((n, d)) * np.r_[1.0, 4.0, np.ones(d - 2)]
    return np.vstack([A, B]), np.r_[np.full(n, 4.0), np.ones(n)]


def test_streaming_sample_weight_targets_the_weighted_second_moment():
    X, w = _two_groups()
    lam, E = np.linalg.eigh(X.T @ (w[:, None] * X) / w.sum())
    weighted = StreamingPCA(random_state=0).fit(X, sample_weight=w)
    # the weights move the top direction from e2 (unweighted: 8.5 vs 5) to e1 (7.4 vs 4)
    assert abs(weighted.components_[0] @ E[:, -1]) > 0.98 and abs(E[0, -1]) > 0.99
    np.testing.assert_allclose(weighted.explained_variance_[0], lam[-1], rtol=0.1)
    assert abs(StreamingPCA(random_state=0).fit(X).components_[0, 1]) > 0.98
    assert weighted.n_samples_seen_ == X.shape[0]
    # integer weights: the same target as the repeated rows
    reps = w.astype(int)
    repeated = StreamingPCA(random_state=0).fit(np.repeat(X, reps, axis=0))
    assert abs(weighted.components_[0] @ repeated.components_[0]) > 0.98
    np.testing.assert_allclose(weighted.explained_variance_, repeated.explained_variance_, rtol=0.1)
    # partial_fit with weights per chunk, zero weights drop rows
    est = StreamingPCA(random_state=0)
    w0 = np.where(np.arange(X.shape[0]) % 7 == 0, 0.0, w)
    order = np.random.default_rng(1).permutation(X.shape[0])
    for idx in np.array_split(order, 40):
        est.partial_fit(X[idx], sample_weight=w0[idx])
    assert abs(est.components_[0, 0]) > 0.98
    # all weights 1 is the unweighted fit, exactly
    ones = StreamingPCA(random_state=0).fit(X[:500], sample_weight=np.ones(500))
    np.testing.assert_array_equal(
        ones.components_, StreamingPCA(random_state=0).fit(X[:500]).components_
    )


def test_streaming_sample_weight_errors_and_routing():
    import sklearn
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, w = _two_groups(n=200)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        StreamingPCA().fit(X, sample_weight=-w)
    with pytest.raises(ValueError, match="at least one non-zero|positive sum"):
        StreamingPCA().fit(X, sample_weight=np.zeros(X.shape[0]))
    with pytest.raises(ValueError, match="at least one non-zero|positive sum"):
        StreamingPCA().partial_fit(X, sample_weight=np.zeros(X.shape[0]))
    # metadata routing: the weights reach fit through a pipeline
    with sklearn.config_context(enable_metadata_routing=True):
        pca = StreamingPCA(2, random_state=0).set_fit_request(sample_weight=True)
        pipe = make_pipeline(FunctionTransformer(), pca).fit(X, sample_weight=w)
    ref = StreamingPCA(2, random_state=0).fit(X, sample_weight=w)
    np.testing.assert_array_equal(pipe[-1].components_, ref.components_)
    assert not np.allclose(StreamingPCA(2, random_state=0).fit(X).components_, ref.components_)


def test_streaming_sample_weight_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    X, w = _two_groups(n=150)
    w = w * (np.arange(300) % 5 > 0)  # some rows of weight 0
    ours = StreamingPCA(2, random_state=0).fit(xs.asarray(X), sample_weight=w)
    ref = StreamingPCA(2, random_state=0).fit(X, sample_weight=w)
    assert isinstance(ours.components_, type(xs.asarray(X)))
    assert_allclose_ref(np.asarray(ours.components_), ref.components_, atol=1e-12)
