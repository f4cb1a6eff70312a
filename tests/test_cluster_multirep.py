"""MultiRepresentationSubspaceClustering: fused views, reduction to one view, predict, errors."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from sksubspace.cluster import (
    ElasticNetSubspaceClustering,
    LeastSquaresSubspaceClustering,
    MultiRepresentationSubspaceClustering,
    OMPSubspaceClustering,
)
from sksubspace.cluster._multirep import fuse_normalized_affinities
from sksubspace.cluster._spectral import normalized_affinity
from sksubspace.datasets import make_multiview_subspaces, make_subspaces
from sksubspace.metrics import clustering_accuracy

from ._helpers import array_api_device, assert_allclose_ref


def sensor(i, n_features=15):
    """The columns of sensor ``i`` (a picklable transformer)."""
    cols = list(range(i * n_features, (i + 1) * n_features))
    return (f"sensor{i}", ColumnTransformer([("cols", "passthrough", cols)]))


def test_fused_views_beat_every_single_view():
    # Each representation alone mislabels about a quarter of the points (its
    # corrupted ones, and X mixes both corruptions); no point is corrupted in
    # both sensors, so the fused graph has the right edges for every point.
    X, y, _ = make_multiview_subspaces(random_state=0)
    # the lasso codes and the |C| + |C|' graph (EnSC's defaults until the kNN
    # graph of tau=0.9 codes, which repairs part of a single view on its own)
    base = ElasticNetSubspaceClustering(tau=1.0, affinity="symmetrize", random_state=0)
    kw = dict(n_clusters=4, random_state=0)
    single = [
        MultiRepresentationSubspaceClustering(base, **kw).fit(X),
        MultiRepresentationSubspaceClustering(
            base, transformers=[sensor(0)], include_input=False, **kw
        ).fit(X),
        MultiRepresentationSubspaceClustering(
            base, transformers=[sensor(1)], include_input=False, **kw
        ).fit(X),
    ]
    accs = [clustering_accuracy(y, m.labels_) for m in single]
    # measured: 0.58, 0.78, 0.79 (seeds 0-3: at most 0.79)
    assert max(accs) <= 0.85
    fused = MultiRepresentationSubspaceClustering(
        base, transformers=[sensor(0), sensor(1)], **kw
    ).fit(X)
    assert fused.view_names_ == ["input", "sensor0", "sensor1"]
    # measured: 0.978 (seeds 0-3: 0.973-0.990)
    assert clustering_accuracy(y, fused.labels_) >= 0.95
    assert sp.issparse(fused.affinity_matrix_)
    np.testing.assert_allclose(fused.weights_, 1 / 3)
    assert [len(s) for s in fused.subspaces_] == [4, 4, 4]
    assert fused.subspaces_[1][0].shape[0] == 15 and fused.subspace_offsets_[0].shape == (4, 30)


def test_make_multiview_subspaces():
    X, y, corrupted = make_multiview_subspaces(3, 2, (6, 5), 30, random_state=0)
    assert X.shape == (90, 11) and y.shape == (90,)
    assert corrupted.sum(axis=0).tolist() == [27, 27] and corrupted.sum(axis=1).max() == 1
    # the clean readings of a cluster span its 2-dim subspace, the corrupted ones do not
    for v, cols in enumerate((slice(0, 6), slice(6, 11))):
        for k in range(3):
            clean = X[(y == k) & ~corrupted[:, v], cols]
            s = np.linalg.svd(clean, compute_uv=False)
            assert s[2] < 0.05 * s[0]
            bad = X[(y == k) & corrupted[:, v], cols]
            assert np.linalg.svd(bad, compute_uv=False)[2] > 0.2
    with pytest.raises(ValueError, match="must be disjoint"):
        make_multiview_subspaces(view_dims=(5, 5, 5), corrupted_fraction=0.4)
    with pytest.raises(ValueError, match="more than subspace_dim=3"):
        make_multiview_subspaces(view_dims=(15, 3))


@pytest.mark.parametrize(
    "base",
    [
        OMPSubspaceClustering(5, n_nonzero=6, random_state=0),
        LeastSquaresSubspaceClustering(5, store_matrices=True, random_state=0),
    ],
    ids=["omp-refined", "lsr-dense"],
)
def test_one_view_is_the_base_estimator(base):
    X, _, _ = make_subspaces(5, 6, 9, 60, noise=0.01, random_state=0)
    ref = base.fit(X)
    model = MultiRepresentationSubspaceClustering(
        base, n_clusters=5, refine_iter=getattr(base, "refine_iter", 0), random_state=0
    ).fit(X)
    assert clustering_accuracy(ref.labels_, model.labels_) == 1.0
    np.testing.assert_array_equal(model.predict(X), ref.predict(X))
    W = ref.affinity_matrix_
    expected = normalized_affinity(W)[0]
    got = model.affinity_matrix_
    assert sp.issparse(got) == sp.issparse(W)
    if sp.issparse(got):
        got, expected = got.toarray(), expected.toarray()
    np.testing.assert_allclose(got, expected, atol=1e-12)


@pytest.fixture(scope="module")
def independent():
    """5 independent subspaces of dim 5 in R^50, plus held-out points."""
    X, y, _ = make_subspaces(5, 5, 50, 80, noise=0.01, random_state=0)
    return X[:300], y[:300], X[300:], y[300:]


def test_predict_held_out_and_auto(independent):
    X, y, X_new, y_new = independent
    model = MultiRepresentationSubspaceClustering(
        OMPSubspaceClustering(n_nonzero=5),
        transformers=[PCA(25, random_state=0)],
        n_clusters="auto",
        random_state=0,
    ).fit(X)
    assert model.n_clusters_ == 5
    assert clustering_accuracy(y, model.labels_) >= 0.99
    assert clustering_accuracy(y_new, model.predict(X_new)) >= 0.99
    assert [U.shape for U in model.subspaces_[1]] == [(25, 5)] * 5


def test_weights_scale_invariant_and_used(independent):
    X, _, _, _ = independent
    X = X[:150]
    kw = dict(transformers=[PCA(20, random_state=0)], n_clusters=5, random_state=0)
    base = OMPSubspaceClustering(n_nonzero=3)
    a = MultiRepresentationSubspaceClustering(base, weights=[1.0, 2.0], **kw).fit(X)
    b = MultiRepresentationSubspaceClustering(base, weights=[3.0, 6.0], **kw).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.weights_, [1 / 3, 2 / 3])
    np.testing.assert_allclose(a.affinity_matrix_.toarray(), b.affinity_matrix_.toarray())
    # a zero weight removes a view from the graph and from predict
    c = MultiRepresentationSubspaceClustering(base, weights=[1.0, 0.0], **kw).fit(X)
    d = MultiRepresentationSubspaceClustering(base, n_clusters=5, random_state=0).fit(X)
    np.testing.assert_allclose(c.affinity_matrix_.toarray(), d.affinity_matrix_.toarray())
    np.testing.assert_array_equal(c.labels_, d.labels_)
    np.testing.assert_array_equal(c.predict(X), d.predict(X))


def test_fusing_dense_and_sparse_affinities():
    rng = np.random.default_rng(0)
    W1 = rng.uniform(size=(20, 20))
    W1 = W1 + W1.T
    W2 = sp.random(20, 20, density=0.3, random_state=0)
    W2 = sp.csr_matrix(W2 + W2.T)
    mixed = fuse_normalized_affinities([W1, W2], [0.25, 0.75], np)
    dense = fuse_normalized_affinities([W1, W2.toarray()], [0.25, 0.75], np)
    np.testing.assert_allclose(mixed, dense, atol=1e-14)
    assert sp.issparse(fuse_normalized_affinities([W2, W2], [0.5, 0.5], np))


def test_float32_preserved():
    X, _, _ = make_subspaces(3, 2, 10, 20, random_state=0)
    model = MultiRepresentationSubspaceClustering(
        OMPSubspaceClustering(n_nonzero=2), transformers=[PCA(6)], n_clusters=3, random_state=0
    ).fit(X.astype(np.float32))
    assert all(U.dtype == np.float32 for bases in model.subspaces_ for U in bases)


def test_errors_on_bad_input():
    X, _, _ = make_subspaces(3, 2, 10, 20, random_state=0)
    with pytest.raises(InvalidParameterError, match="'estimator' parameter"):
        MultiRepresentationSubspaceClustering(KMeans(3), n_clusters=3).fit(X)
    with pytest.raises(TypeError, match="entry 1 is LogisticRegression"):
        MultiRepresentationSubspaceClustering(
            transformers=[PCA(3), LogisticRegression()], n_clusters=3
        ).fit(X)
    with pytest.raises(ValueError, match="weights has 1 entries but there are 2 views"):
        MultiRepresentationSubspaceClustering(
            transformers=[PCA(3)], weights=[1.0], n_clusters=3
        ).fit(X)
    with pytest.raises(ValueError, match="non-negative"):
        MultiRepresentationSubspaceClustering(
            transformers=[PCA(3)], weights=[1.0, -1.0], n_clusters=3
        ).fit(X)
    with pytest.raises(ValueError, match="no view"):
        MultiRepresentationSubspaceClustering(include_input=False, n_clusters=3).fit(X)
    with pytest.raises(ValueError, match="must be unique"):
        MultiRepresentationSubspaceClustering(
            transformers=[("p", PCA(3)), ("p", PCA(4))], n_clusters=3
        ).fit(X)
    with pytest.raises(ValueError, match="n_clusters=100 must be at most"):
        MultiRepresentationSubspaceClustering(n_clusters=100).fit(X)
    # the base estimator's parameters are validated too
    with pytest.raises(InvalidParameterError, match="n_nonzero"):
        MultiRepresentationSubspaceClustering(OMPSubspaceClustering(n_nonzero=0)).fit(X)


def test_array_api_strict_matches_numpy(request):
    xs = pytest.importorskip("array_api_strict")
    if array_api_device() not in (None, "CPU_DEVICE"):
        request.applymarker(
            pytest.mark.xfail(
                raises=RuntimeError,
                strict=True,
                reason="the view is scikit-learn's PCA, which reads its input with NumPy "
                "(array_api_dispatch off), and array-api-strict refuses to convert an array "
                "on a non-CPU device",
            )
        )
    X, _, _ = make_subspaces(3, 2, 12, 20, noise=0.01, random_state=0)
    params = dict(transformers=[PCA(6, random_state=0)], n_clusters=3, refine_iter=3)
    base = LeastSquaresSubspaceClustering(store_matrices=True)
    ref = MultiRepresentationSubspaceClustering(base, random_state=0, **params).fit(X)
    got = MultiRepresentationSubspaceClustering(base, random_state=0, **params).fit(xs.asarray(X))
    assert type(got.labels_).__module__.startswith("array_api_strict")
    assert clustering_accuracy(ref.labels_, np.asarray(got.labels_)) == 1.0
    dense = [
        A.toarray() if sp.issparse(A) else np.asarray(A)
        for A in (got.affinity_matrix_, ref.affinity_matrix_)
    ]
    assert_allclose_ref(*dense, atol=1e-8)
    pred = got.predict(xs.asarray(X))
    assert type(pred).__module__.startswith("array_api_strict")
    np.testing.assert_array_equal(clustering_accuracy(ref.predict(X), np.asarray(pred)), 1.0)
