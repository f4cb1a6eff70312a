"""Grassmann geometry and the subspace classifiers: closed forms, invariances, references."""

import warnings

import numpy as np
import pytest
import scipy.linalg
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split

from sksubspace._backend import to_numpy
from sksubspace.datasets import make_subspaces
from sksubspace.grassmann import (
    GrassmannClassRepresentation,
    SubspaceClassifier,
    binet_cauchy_kernel,
    flag_mean,
    grassmann_exp,
    grassmann_geodesic,
    grassmann_log,
    karcher_mean,
    pairwise_subspace_distances,
    principal_angles,
    project_tangent,
    projection_kernel,
    retract,
    subspace_distance,
)
from sksubspace.grassmann._gcr import _loss_and_grads

from ._helpers import assert_allclose_ref

try:
    import array_api_strict as xs
except ImportError:  # pragma: no cover
    xs = None


def _bases(m, n, k, seed=0):
    rng = np.random.default_rng(seed)
    return np.linalg.qr(rng.standard_normal((m, n, k)))[0]


def _rotations(m, k, seed=1):
    rng = np.random.default_rng(seed)
    return np.linalg.qr(rng.standard_normal((m, k, k)))[0]


def _close_subspaces(U, V, tol):
    np.testing.assert_array_less(principal_angles(U, V, orthonormal=True), tol)


# --------------------------------------------------------------------------- geometry


def test_exp_log_closed_form_on_a_circle():
    # span(e1) -> span(cos t e1 + sin t e2): Log is t e2, the geodesic is the rotation.
    t = np.linspace(0.05, 1.5, 30)
    U = np.broadcast_to(np.eye(3)[:, :1], (30, 3, 1))
    V = np.stack([[[np.cos(a)], [np.sin(a)], [0.0]] for a in t])
    H = grassmann_log(U, V)
    np.testing.assert_allclose(H[:, 1, 0], t, atol=1e-12)
    np.testing.assert_allclose(H[:, [0, 2], 0], 0.0, atol=1e-12)
    W = grassmann_geodesic(U, V, 0.5)
    np.testing.assert_allclose(np.abs(W[:, :2, 0]), np.c_[np.cos(t / 2), np.sin(t / 2)], atol=1e-12)


def test_exp_log_round_trip_batched():
    U, V = _bases(2000, 12, 3, seed=0), _bases(2000, 12, 3, seed=1)
    H = grassmann_log(U, V)
    assert H.shape == U.shape
    np.testing.assert_allclose(np.swapaxes(U, 1, 2) @ H, 0.0, atol=1e-12)  # horizontal
    # ||Log_U(V)||_F is the geodesic distance; Exp_U(Log_U(V)) spans V.
    np.testing.assert_allclose(
        np.linalg.norm(H, axis=(1, 2)), subspace_distance(U, V, orthonormal=True), atol=1e-10
    )
    _close_subspaces(grassmann_exp(U, H), V, 1e-9)
    # Log is basis-independent in V and equivariant in U.
    Q = _rotations(2000, 3)
    np.testing.assert_allclose(grassmann_log(U, V @ Q), H, atol=1e-10)
    np.testing.assert_allclose(grassmann_log(U @ Q, V), H @ Q, atol=1e-10)


def test_geodesic_splits_the_distance():
    U, V = _bases(200, 8, 2, seed=2), _bases(200, 8, 2, seed=3)
    d = subspace_distance(U, V, orthonormal=True)
    for t in (0.0, 0.3, 1.0):
        W = grassmann_geodesic(U, V, t)
        np.testing.assert_allclose(
            W.swapaxes(1, 2) @ W, np.broadcast_to(np.eye(2), W.shape[:1] + (2, 2)), atol=1e-12
        )
        np.testing.assert_allclose(subspace_distance(U, W, orthonormal=True), t * d, atol=1e-10)
        np.testing.assert_allclose(
            subspace_distance(W, V, orthonormal=True), (1 - t) * d, atol=1e-10
        )


def test_principal_angles_match_scipy_and_distances_are_metrics():
    A, B = _bases(50, 10, 3, seed=4), _bases(50, 10, 2, seed=5)
    ref = np.stack([np.sort(scipy.linalg.subspace_angles(a, b)) for a, b in zip(A, B, strict=True)])
    np.testing.assert_allclose(principal_angles(A, B, orthonormal=True), ref, atol=1e-10)
    U = _bases(40, 7, 3, seed=6)
    for metric in ("geodesic", "chordal", "projection", "procrustes"):
        D = pairwise_subspace_distances(U, metric=metric, chunk_size=7)
        np.testing.assert_allclose(D, D.T, atol=1e-12)
        np.testing.assert_allclose(np.diag(D), 0.0, atol=1e-7)
        # triangle inequality over all triples
        assert (D[:, None, :] <= D[:, :, None] + D[None, :, :] + 1e-10).all()
    Q = _rotations(40, 3)
    np.testing.assert_allclose(
        pairwise_subspace_distances(U @ Q), pairwise_subspace_distances(U), atol=1e-10
    )


def test_kernels_closed_forms_and_invariance():
    A, B = _bases(30, 9, 3, seed=7), _bases(20, 9, 3, seed=8)
    theta = principal_angles(A[:, None], B[None, :], orthonormal=True)
    K = projection_kernel(A, B)
    np.testing.assert_allclose(K, np.sum(np.cos(theta) ** 2, axis=-1), atol=1e-12)
    np.testing.assert_allclose(
        binet_cauchy_kernel(A, B), np.prod(np.cos(theta) ** 2, axis=-1), atol=1e-12
    )
    np.testing.assert_allclose(projection_kernel(A @ _rotations(30, 3), B), K, atol=1e-12)
    # Gram matrices are symmetric positive semi-definite.
    for kern in (projection_kernel, binet_cauchy_kernel):
        G = kern(A)
        np.testing.assert_allclose(G, G.T, atol=1e-12)
        assert np.linalg.eigvalsh(G).min() > -1e-10
    with pytest.raises(ValueError, match="one dimension"):
        binet_cauchy_kernel(A, _bases(2, 9, 2))
    with pytest.raises(ValueError, match="same ambient space"):
        projection_kernel(A, _bases(2, 8, 3))


def test_retractions_are_orthonormal_and_first_order():
    U = _bases(100, 10, 3, seed=9)
    H = project_tangent(U, np.random.default_rng(0).standard_normal(U.shape))
    np.testing.assert_allclose(U.swapaxes(1, 2) @ H, 0.0, atol=1e-12)
    for method in ("qr", "polar"):
        errs = []
        for t in (1e-2, 1e-3):
            R = retract(U, t * H, method=method)
            np.testing.assert_allclose(
                R.swapaxes(1, 2) @ R, np.broadcast_to(np.eye(3), (100, 3, 3)), atol=1e-12
            )
            errs.append(np.max(subspace_distance(R, grassmann_exp(U, t * H), orthonormal=True)))
        assert errs[1] < errs[0] / 50  # second-order agreement with Exp (error O(t^2))
    with pytest.raises(ValueError, match="method"):
        retract(U, H, method="cayley")


def test_karcher_and_flag_means():
    # Points symmetric about a centre on geodesics through it: the centre is the mean.
    rng = np.random.default_rng(3)
    M0 = _bases(1, 10, 2, seed=10)[0]
    H = project_tangent(M0, 0.3 * rng.standard_normal((6, 10, 2)))
    U = grassmann_exp(np.broadcast_to(M0, (12, 10, 2)), np.concatenate([H, -H]))
    M, n_iter = karcher_mean(U, return_n_iter=True)
    _close_subspaces(M, M0, 1e-8)
    assert n_iter < 50
    # First-order condition for arbitrary data, and rotation equivariance.
    V = _bases(15, 10, 2, seed=11)[:, :, :] * 1.0
    V = orthonormalize_stack(V[0:1] + 0.4 * V)
    Mv = karcher_mean(V)
    np.testing.assert_allclose(np.sum(grassmann_log(Mv[None], V), axis=0), 0.0, atol=1e-9)
    O = _rotations(1, 10)[0]
    _close_subspaces(karcher_mean(O @ V), O @ Mv, 1e-8)
    # Flag mean: leading eigenvectors of sum_i U_i U_i'.
    F = flag_mean(V)
    w, E = np.linalg.eigh(np.sum(V @ V.swapaxes(1, 2), axis=0))
    _close_subspaces(F, E[:, -2:], 1e-10)


def orthonormalize_stack(A):
    return np.linalg.qr(A)[0]


@pytest.mark.skipif(xs is None, reason="array-api-strict missing")
def test_geometry_on_array_api_strict():
    U, V = _bases(20, 6, 2, seed=12), _bases(20, 6, 2, seed=13)
    Us, Vs = xs.asarray(U), xs.asarray(V)
    for fn in (grassmann_log, projection_kernel, binet_cauchy_kernel, pairwise_subspace_distances):
        got = fn(Us, Vs)
        assert isinstance(got, type(Us))
        assert_allclose_ref(to_numpy(got), fn(U, V), atol=1e-12)
    assert_allclose_ref(
        to_numpy(grassmann_exp(Us, Vs * 0.1)), grassmann_exp(U, V * 0.1), atol=1e-12
    )
    assert_allclose_ref(to_numpy(karcher_mean(Us)), karcher_mean(U), atol=1e-10)
    assert_allclose_ref(
        to_numpy(retract(Us, Vs, method="polar")), retract(U, V, method="polar"), atol=1e-12
    )


# ------------------------------------------------------------------ SubspaceClassifier


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def test_subspace_classifier_recovers_planted_subspaces():
    X, y, bases = make_subspaces(4, 3, 20, 100, noise=0.05, random_state=0)
    clf = SubspaceClassifier(n_components=3).fit(X, y)
    theta = principal_angles(clf.subspaces_, bases, orthonormal=True)
    assert theta.max() < 0.05
    Xt, yt, _ = make_subspaces(4, 3, 20, 50, noise=0.05, random_state=0)
    assert clf.score(Xt, yt) == 1.0
    # Scores are squared cosines, invariant to the basis of each subspace.
    s = clf.decision_function(X)
    assert s.min() >= 0 and s.max() <= 1 + 1e-12
    clf.subspaces_ = clf.subspaces_ @ _rotations(4, 3)
    np.testing.assert_allclose(clf.decision_function(X), s, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_subspace_classifier_digits_gridsearch(digits_split):
    Xtr, Xte, ytr, yte = digits_split
    search = GridSearchCV(SubspaceClassifier(), {"n_components": [8, 15]}, cv=3).fit(Xtr, ytr)
    assert search.best_estimator_.score(Xte, yte) >= 0.98


def test_subspace_classifier_errors_and_dtype():
    X, y, _ = make_subspaces(2, 2, 5, 10, random_state=0)
    with pytest.raises(ValueError, match="n_components=6 must be at most"):
        SubspaceClassifier(n_components=6).fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        SubspaceClassifier(n_components=2).fit(X, None)
    clf = SubspaceClassifier(n_components=2).fit(X.astype(np.float32), y)
    assert clf.subspaces_.dtype == np.float32
    # A class of rank 1 gets a 1-d subspace (a zero column), not arbitrary directions.
    X1 = np.r_[X, np.ones((3, 5)) * np.arange(1, 4)[:, None]]
    clf = SubspaceClassifier(n_components=2).fit(X1, np.r_[y, [7, 7, 7]])
    np.testing.assert_allclose(clf.subspaces_[2][:, 1], 0.0)
    np.testing.assert_allclose(np.abs(clf.subspaces_[2][:, 0]), np.full(5, 5**-0.5))


# ------------------------------------------------------- GrassmannClassRepresentation


@pytest.mark.parametrize("feature_map", [False, True])
def test_gcr_gradients_match_finite_differences(feature_map):
    rng = np.random.default_rng(0)
    n, d, C, k = 12, 6, 3, 2
    X = rng.standard_normal((n, d))
    Y = np.eye(C)[rng.integers(0, C, n)]
    S = _bases(C, d, k, seed=14)
    W = np.eye(d) + 0.1 * rng.standard_normal((d, d)) if feature_map else None
    log_s = np.asarray(np.log(3.0))
    loss, G_S, g_log, G_W = _loss_and_grads(S, log_s, W, X, Y, True, True, feature_map)
    dS, eps = rng.standard_normal(S.shape), 1e-6

    def f(S_, ls_, W_):
        return float(_loss_and_grads(S_, ls_, W_, X, Y, True, False, False)[0])

    fd = (f(S + eps * dS, log_s, W) - f(S - eps * dS, log_s, W)) / (2 * eps)
    np.testing.assert_allclose(fd, np.sum(G_S * dS), rtol=1e-6)
    fd = (f(S, log_s + eps, W) - f(S, log_s - eps, W)) / (2 * eps)
    np.testing.assert_allclose(fd, g_log, rtol=1e-6)
    if feature_map:
        dW = rng.standard_normal(W.shape)
        fd = (f(S, log_s, W + eps * dW) - f(S, log_s, W - eps * dW)) / (2 * eps)
        np.testing.assert_allclose(fd, np.sum(G_W * dW), rtol=1e-6)


@pytest.mark.parametrize("retraction", ["qr", "polar"])
def test_gcr_stays_orthonormal_after_every_step(retraction):
    X, y, _ = make_subspaces(3, 2, 10, 40, noise=0.3, random_state=1)
    # batch_size = n_samples: every partial_fit call is exactly one Riemannian step.
    clf = GrassmannClassRepresentation(
        n_components=3, retraction=retraction, batch_size=len(y), learning_rate=0.5, random_state=0
    )
    eye = np.eye(3)
    for _ in range(20):
        clf.partial_fit(X, y, classes=np.unique(y))
        S = clf.subspaces_
        assert np.abs(S.swapaxes(1, 2) @ S - eye).max() < 1e-10
    assert clf.n_iter_ == 20
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_gcr_logits_invariant_to_basis_change():
    X, y, _ = make_subspaces(3, 2, 10, 30, noise=0.2, random_state=2)
    clf = GrassmannClassRepresentation(n_components=2, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    logits = clf.decision_function(X)
    clf.subspaces_ = clf.subspaces_ @ _rotations(3, 2, seed=5)
    np.testing.assert_allclose(clf.decision_function(X), logits, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_gcr_improves_on_its_clafic_initialisation(digits_split):
    # With small subspaces the generative CLAFIC fit leaves room that the
    # discriminative training fills (here about +1.5 points of accuracy).
    Xtr, Xte, ytr, yte = digits_split
    clafic = SubspaceClassifier(n_components=4).fit(Xtr, ytr)
    gcr = GrassmannClassRepresentation(n_components=4, max_iter=15, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gcr.fit(Xtr, ytr)
    assert gcr.loss_curve_[-1] < 0.1 * gcr.loss_curve_[0]
    assert gcr.score(Xte, yte) >= clafic.score(Xte, yte) + 0.01
    assert gcr.score(Xte, yte) >= 0.975


def test_gcr_feature_map_and_dtype():
    X, y, _ = make_subspaces(3, 2, 8, 30, noise=0.3, random_state=3)
    clf = GrassmannClassRepresentation(
        n_components=2, feature_map=True, max_iter=30, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X.astype(np.float32), y)
    assert clf.subspaces_.dtype == np.float32 and clf.feature_map_.dtype == np.float32
    assert clf.feature_map_.shape == (8, 8)
    assert not np.allclose(clf.feature_map_, np.eye(8))  # the map was trained
    assert clf.score(X, y) > 0.9


def test_gcr_errors():
    X, y, _ = make_subspaces(2, 2, 5, 10, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        GrassmannClassRepresentation(n_components=2).partial_fit(X, y)
    clf = GrassmannClassRepresentation(n_components=2).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="n_components=9 must be at most"):
        GrassmannClassRepresentation(n_components=9).fit(X, y)


def test_geometry_input_errors():
    U = _bases(3, 6, 2)
    with pytest.raises(ValueError, match="same n and k"):
        grassmann_log(U, _bases(3, 6, 3))
    with pytest.raises(ValueError, match="same n and k"):
        grassmann_exp(U, np.zeros((3, 5, 2)))
    with pytest.raises(ValueError, match="non-negative"):
        karcher_mean(U, weights=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="stack of bases"):
        karcher_mean(U[0])
    # Weighted Karcher mean: all weight on one point gives that point.
    _close_subspaces(karcher_mean(U, weights=[0.0, 1.0, 0.0]), U[1], 1e-8)


def test_gcr_verbose_and_convergence_warning(capsys):
    X, y, _ = make_subspaces(2, 2, 6, 20, noise=0.2, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        GrassmannClassRepresentation(n_components=2, max_iter=2, verbose=1, random_state=0).fit(
            X, y
        )
    assert "[GCR] epoch 2" in capsys.readouterr().out
    clf = GrassmannClassRepresentation(n_components=2, tol=10.0, n_iter_no_change=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)  # a loose tolerance stops early, without a warning
    assert clf.n_iter_ == 3


def test_gcr_partial_fit_on_a_stream(digits_split):
    Xtr, Xte, ytr, yte = digits_split
    clf = GrassmannClassRepresentation(n_components=8, batch_size=64, random_state=0)
    classes = np.unique(ytr)
    for _epoch in range(3):
        for batch in np.array_split(np.arange(len(ytr)), 5):
            clf.partial_fit(Xtr[batch], ytr[batch], classes=classes)
    assert clf.n_iter_ == 15
    assert clf.score(Xte, yte) >= 0.96


def test_karcher_mean_warns_when_max_iter_comes_first():
    rng = np.random.RandomState(0)
    U = np.stack([np.linalg.qr(rng.standard_normal((6, 2)))[0] for _ in range(5)])
    with pytest.warns(ConvergenceWarning, match="karcher_mean did not converge"):
        _, n_iter = karcher_mean(U, max_iter=1, return_n_iter=True)
    assert n_iter == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        karcher_mean(U)


def test_subspace_classifier_sample_weight_is_repetition_and_is_routed():
    import sklearn
    from sklearn.model_selection import KFold, cross_validate

    rng = np.random.RandomState(0)
    bases = rng.standard_normal((3, 2, 8))
    y = np.repeat([0, 1, 2], 30)
    X = np.einsum("ni,nid->nd", rng.standard_normal((90, 2)), bases[y])
    X += 0.3 * rng.standard_normal(X.shape)
    w = rng.randint(0, 4, size=90)
    weighted = SubspaceClassifier(n_components=2).fit(X, y, sample_weight=w)
    repeated = SubspaceClassifier(n_components=2).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    for attr in ("explained_variance_",):
        np.testing.assert_allclose(getattr(weighted, attr), getattr(repeated, attr), rtol=1e-10)
    np.testing.assert_allclose(
        np.abs(np.einsum("cdk,cdl->ckl", weighted.subspaces_, repeated.subspaces_)),
        np.broadcast_to(np.eye(2), (3, 2, 2)),
        atol=1e-8,
    )
    np.testing.assert_allclose(weighted.scale_, repeated.scale_, rtol=1e-6)
    with pytest.raises(ValueError, match="Negative values"):
        SubspaceClassifier().fit(X, y, sample_weight=-np.ones(90))
    # metadata routing: the weights reach fit inside cross_validate
    with sklearn.config_context(enable_metadata_routing=True):
        clf = SubspaceClassifier(n_components=2).set_fit_request(sample_weight=True)
        clf = clf.set_score_request(sample_weight=False)
        cv = KFold(3, shuffle=True, random_state=0)
        res = cross_validate(
            clf, X, y, params={"sample_weight": w + 1}, cv=cv, return_estimator=True
        )
    train = next(iter(cv.split(X)))[0]
    ref = SubspaceClassifier(n_components=2).fit(X[train], y[train], sample_weight=w[train] + 1)
    np.testing.assert_allclose(res["estimator"][0].explained_variance_, ref.explained_variance_)
    assert res["test_score"].mean() > 0.8


def test_public_geometry_functions_validate_their_parameters():
    from sklearn.utils._param_validation import InvalidParameterError

    from sksubspace.grassmann import flag_mean, pairwise_subspace_distances, retract

    U = np.stack([np.eye(4)[:, :2], np.eye(4)[:, 1:3]])
    with pytest.raises(InvalidParameterError, match="max_iter"):
        karcher_mean(U, max_iter=0)
    with pytest.raises(InvalidParameterError, match="method"):
        retract(U[0], U[1], method="cayley")
    with pytest.raises(InvalidParameterError, match="metric"):
        pairwise_subspace_distances(U, metric="euclidean")
    with pytest.raises(InvalidParameterError, match="n_components"):
        flag_mean(U, 0)
    from sksubspace.metrics import dictionary_recovery_score, subspace_distance

    with pytest.raises(InvalidParameterError, match="metric"):
        subspace_distance(U[0], U[1], metric="euclidean")
    with pytest.raises(InvalidParameterError, match="threshold"):
        dictionary_recovery_score(U[0].T, U[0].T, threshold=2.0)
