"""Set-valued estimators of sksubspace.grassmann: MSM, SubspaceEmbedding, GDA, minimum distance.

scikit-learn's common checks (tests/test_common.py) only feed 2-d arrays, which
these estimators read as sets of one vector; the set forms (3-d arrays, ragged
lists) are tested here.
"""

import numpy as np
import pytest
import scipy.linalg
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sksubspace._backend import to_numpy
from sksubspace.datasets import make_image_sets
from sksubspace.grassmann import (
    GrassmannDiscriminantAnalysis,
    GrassmannMinimumDistanceClassifier,
    MutualSubspaceClassifier,
    SubspaceEmbedding,
    karcher_mean,
    principal_angles,
    projection_kernel,
)

from ._helpers import assert_allclose_ref, working_dtype

try:
    import array_api_strict as xs
except ImportError:  # pragma: no cover
    xs = None

SET_CLASSIFIERS = [
    MutualSubspaceClassifier,
    GrassmannDiscriminantAnalysis,
    GrassmannMinimumDistanceClassifier,
]


@pytest.fixture(scope="module")
def image_sets():
    """The issue's setting (10 classes, sets of 20-50 vectors in R^100, nuisance), ragged."""
    X, y, bases = make_image_sets(n_classes=10, n_sets_per_class=12, ragged=True, random_state=0)
    rng = np.random.RandomState(0)
    test = np.zeros(len(y), dtype=bool)
    for c in range(10):
        test[rng.permutation(np.flatnonzero(y == c))[:6]] = True
    split = lambda mask: [X[i] for i in np.flatnonzero(mask)]  # noqa: E731
    return split(~test), y[~test], split(test), y[test], bases


def test_image_set_accuracy(image_sets):
    Xtr, ytr, Xte, yte, _ = image_sets
    scores = {
        cls.__name__: cls(n_components=5).fit(Xtr, ytr).score(Xte, yte) for cls in SET_CLASSIFIERS
    }
    assert min(scores.values()) >= 0.95, scores
    assert scores["GrassmannDiscriminantAnalysis"] >= scores["MutualSubspaceClassifier"]


def test_msm_class_subspaces_recover_the_planted_ones(image_sets):
    Xtr, ytr, _, _, bases = image_sets
    msm = MutualSubspaceClassifier(n_components=5).fit(Xtr, ytr)
    # The nuisance directions change from set to set: the flag mean keeps the class span.
    theta = principal_angles(msm.subspaces_, bases, orthonormal=True)
    assert np.degrees(theta.max()) < 10
    sim = msm.decision_function(Xte := Xtr[:5])
    assert sim.shape == (5, 10) and sim.min() >= 0 and sim.max() <= 1 + 1e-12
    np.testing.assert_allclose(msm.predict_proba(Xte).sum(axis=1), 1.0)


@pytest.mark.parametrize("cls", SET_CLASSIFIERS)
def test_set_forms_agree_and_row_mixing_invariance(cls):
    X, y, _ = make_image_sets(
        n_classes=3, n_sets_per_class=6, n_features=20, set_size=12, random_state=1
    )
    est = cls(n_components=3).fit(X, y)
    ref = est.decision_function(X)
    # A list of the same sets gives the same model and scores.
    est_list = cls(n_components=3).fit(list(X), y)
    np.testing.assert_allclose(est_list.decision_function(list(X)), ref, atol=1e-10)
    # Mixing the vectors of a set by an orthogonal matrix keeps its span: same scores.
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((12, 12)))[0]
    np.testing.assert_allclose(est.decision_function(Q @ X), ref, atol=1e-8)


def test_set_input_errors():
    X, y, _ = make_image_sets(
        n_classes=2, n_sets_per_class=3, n_features=10, set_size=(4, 6), ragged=True, random_state=0
    )
    msm = MutualSubspaceClassifier(n_components=5)
    with pytest.raises(ValueError, match="smallest set"):
        msm.fit(X, y)
    with pytest.raises(ValueError, match="same number of features"):
        msm.set_params(n_components=2).fit([X[0], X[1][:, :5]] + X[2:], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        msm.fit(X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        bad = [x.copy() for x in X]
        bad[1][0, 0] = np.nan
        msm.fit(bad, y)
    msm.fit(X, y)
    with pytest.raises(ValueError, match="expecting 10 features"):
        msm.predict([x[:, :8] for x in X])


def test_embedding_outputs_and_pipelines():
    X, y, _ = make_image_sets(
        n_classes=4,
        n_sets_per_class=10,
        n_features=30,
        set_size=(10, 20),
        ragged=True,
        random_state=6,
    )
    Xtr, ytr, Xte, yte = X[::2], y[::2], X[1::2], y[1::2]
    emb = SubspaceEmbedding(n_components=5, output="basis").fit(Xtr)
    U = emb.transform(Xte)
    assert U.shape == (len(Xte), 5, 30)
    np.testing.assert_allclose(
        U @ U.transpose(0, 2, 1), np.broadcast_to(np.eye(5), (len(Xte), 5, 5)), atol=1e-12
    )
    # The span is that of the 5 leading right singular vectors of each set.
    V = np.stack([np.linalg.svd(x, full_matrices=False)[2][:5].T for x in Xte])
    assert principal_angles(U.transpose(0, 2, 1), V, orthonormal=True).max() < 1e-6
    # Chained into a set classifier, the bases are the same subspaces.
    pipe = make_pipeline(SubspaceEmbedding(5, output="basis"), MutualSubspaceClassifier(5)).fit(
        Xtr, ytr
    )
    direct = MutualSubspaceClassifier(5).fit(Xtr, ytr)
    np.testing.assert_allclose(
        pipe.decision_function(Xte), direct.decision_function(Xte), atol=1e-10
    )
    # The projection embedding: inner products are the projection kernel.
    P = SubspaceEmbedding(5).fit_transform(Xte)
    assert P.shape == (len(Xte), 30 * 31 // 2)
    np.testing.assert_allclose(P @ P.T, projection_kernel(V), atol=1e-10)
    lin = make_pipeline(SubspaceEmbedding(5), LogisticRegression(max_iter=500)).fit(Xtr, ytr)
    assert lin.score(Xte, yte) >= 0.95


def test_gda_matches_generalized_eigenproblem():
    X, y, _ = make_image_sets(
        n_classes=3, n_sets_per_class=8, n_features=15, set_size=10, random_state=2
    )
    gda = GrassmannDiscriminantAnalysis(n_components=2, alpha=1e-2).fit(X, y)
    B = np.stack([np.linalg.svd(x, full_matrices=False)[2][:2].T for x in X])
    K = projection_kernel(B)
    N = len(y)
    Vm = (y[:, None] == y[None, :]) / np.bincount(y)[y][None, :]
    between = K @ (Vm - np.ones((N, N)) / N) @ K
    within = K @ (np.eye(N) - Vm) @ K
    within += 1e-2 * np.trace(within) / N * np.eye(N)
    w = scipy.linalg.eigh(between, within, eigvals_only=True)[::-1][:2]
    np.testing.assert_allclose(gda.eigenvalues_, w, rtol=1e-6)
    Z = gda.transform(X)
    assert Z.shape == (N, 2)
    # The discriminant directions are within-class-scatter orthonormal.
    A = gda.dual_coef_
    np.testing.assert_allclose(A.T @ within @ A, np.eye(2), atol=1e-8)
    assert gda.score(X, y) == 1.0


def test_minimum_distance_means_are_karcher_means():
    X, y, _ = make_image_sets(
        n_classes=3, n_sets_per_class=6, n_features=20, set_size=10, random_state=3
    )
    mdm = GrassmannMinimumDistanceClassifier(n_components=3).fit(X, y)
    B = np.stack([np.linalg.svd(x, full_matrices=False)[2][:3].T for x in X])
    for c in range(3):
        M = karcher_mean(B[y == c])
        assert principal_angles(mdm.means_[c], M, orthonormal=True).max() < 1e-8
    assert (mdm.n_iter_ < 100).all()
    flag = GrassmannMinimumDistanceClassifier(n_components=3, mean="flag", metric="chordal").fit(
        X, y
    )
    assert flag.score(X, y) == 1.0


def test_gridsearch_over_k_on_sets():
    X, y, _ = make_image_sets(
        n_classes=3, n_sets_per_class=6, n_features=20, set_size=10, class_dim=3, random_state=4
    )
    search = GridSearchCV(MutualSubspaceClassifier(), {"n_components": [1, 3]}, cv=3).fit(X, y)
    assert search.best_params_["n_components"] == 3
    assert search.best_score_ == 1.0


@pytest.mark.skipif(xs is None, reason="array-api-strict missing")
@pytest.mark.parametrize("cls", SET_CLASSIFIERS + [SubspaceEmbedding])
def test_sets_on_array_api_strict(cls):
    X, y, _ = make_image_sets(
        n_classes=3, n_sets_per_class=4, n_features=12, set_size=8, random_state=5
    )
    Xr = X.astype(working_dtype())  # NumPy at the strict arrays' dtype (--array-api-float32)
    ref = cls(n_components=2).fit(Xr, y)
    est = cls(n_components=2).fit(xs.asarray(X), y)
    method = "transform" if cls is SubspaceEmbedding else "decision_function"
    got = getattr(est, method)(xs.asarray(X))
    assert isinstance(got, type(xs.asarray([1.0])))
    assert_allclose_ref(to_numpy(got), getattr(ref, method)(Xr), atol=1e-8)
    # device="cpu" computes with NumPy and hands back array_api_strict.
    est = cls(n_components=2, device="cpu").fit(xs.asarray(X), y)
    assert isinstance(getattr(est, method)(xs.asarray(X)), type(xs.asarray([1.0])))


@pytest.mark.parametrize("shape", [(7, 12, 30), (7, 40, 6)])  # wide and tall sets
def test_set_bases_match_the_svd(shape):
    from sksubspace.grassmann._sets import set_bases

    rng = np.random.default_rng(0)
    sets = rng.standard_normal(shape) * np.linspace(3.0, 0.5, shape[2])
    B = set_bases(sets, 3)
    Vt = np.linalg.svd(sets, full_matrices=False)[2][:, :3]
    np.testing.assert_allclose(
        np.swapaxes(B, 1, 2) @ B, np.broadcast_to(np.eye(3), (7, 3, 3)), atol=1e-12
    )
    # the same leading directions, in the same order (up to sign)
    np.testing.assert_allclose(np.abs(np.einsum("sdk,skd->sk", B, Vt)), 1.0, atol=1e-8)
