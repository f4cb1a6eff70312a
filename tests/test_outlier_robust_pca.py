"""OutlierRobustPCA and SubspaceOutlierDetector: planted recovery, streaming, detection."""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksubspace.decomposition import OutlierRobustPCA, SubspaceOutlierDetector
from sksubspace.metrics import principal_angles

from ._helpers import assert_allclose_ref


def adversarial(n=1000, d=50, k=5, eps=0.1, seed=0):
    """Inliers near a k-dim subspace; an eps fraction far along one wrong direction."""
    rng = np.random.default_rng(seed)
    B = np.linalg.qr(rng.standard_normal((d, k)))[0]
    X = rng.standard_normal((n, k)) * np.linspace(3, 1.5, k) @ B.T
    X += 0.3 * rng.standard_normal((n, d))
    u = rng.standard_normal(d)
    u -= B @ (B.T @ u)
    u /= np.linalg.norm(u)
    n_out = int(eps * n)
    X[:n_out] = (20 + rng.standard_normal((n_out, 1))) * u + 0.3 * rng.standard_normal((n_out, d))
    perm = rng.permutation(n)
    return X[perm], B, perm < n_out


def max_angle_deg(V, B):
    return float(np.degrees(principal_angles(V.T, B).max()))


def test_orpca_resists_adversarial_samples():
    X, B, outlier = adversarial()
    assert max_angle_deg(PCA(5).fit(X).components_, B) > 60
    est = OutlierRobustPCA(5, random_state=0).fit(X)
    assert max_angle_deg(est.components_, B) < 10
    assert not est.inlier_mask_[outlier].any()
    np.testing.assert_allclose(est.components_ @ est.components_.T, np.eye(5), atol=1e-10)
    Xin = X[est.inlier_mask_]
    np.testing.assert_allclose(est.mean_, Xin.mean(axis=0), atol=1e-12)
    ref = PCA(5).fit(Xin)
    np.testing.assert_allclose(est.explained_variance_, ref.explained_variance_, rtol=1e-4)
    Z = est.transform(X)
    np.testing.assert_allclose(Z, (X - est.mean_) @ est.components_.T)
    np.testing.assert_allclose(est.inverse_transform(Z)[~outlier], X[~outlier], atol=2.5)


def test_orpca_partial_fit_matches_batch():
    X, B, _ = adversarial()
    batch = OutlierRobustPCA(5, random_state=0).fit(X)
    stream = OutlierRobustPCA(5, random_state=0)
    for chunk in np.array_split(X, 10):
        stream.partial_fit(chunk)
    assert max_angle_deg(stream.components_, B) < 10
    angle = np.degrees(principal_angles(stream.components_.T, batch.components_.T).max())
    assert angle < 5
    assert stream._sketch.shape[0] <= 2 * 5 + 10  # memory O(n_features * n_components)


def test_orpca_without_contamination_is_pca():
    X, _, _ = adversarial(n=300, eps=0.0)
    est = OutlierRobustPCA(3, contamination=0.0, n_power_iter=20, random_state=0).fit(X)
    ref = PCA(3).fit(X)
    assert np.degrees(principal_angles(est.components_.T, ref.components_.T).max()) < 1e-3
    assert est.inlier_mask_.all()


def test_orpca_float32_and_errors():
    X, _, _ = adversarial(n=200)
    est = OutlierRobustPCA(2, random_state=0).fit(X.astype(np.float32))
    assert est.components_.dtype == np.float32
    with pytest.raises(ValueError, match="n_components=60 must be at most"):
        OutlierRobustPCA(60).fit(X)
    with pytest.raises(ValueError, match="at least"):
        OutlierRobustPCA(5).partial_fit(X[:8])


def test_orpca_irls_resists_adversarial_samples():
    X, B, outlier = adversarial()
    assert max_angle_deg(PCA(5).fit(X).components_, B) > 60
    est = OutlierRobustPCA(5, method="irls", random_state=0).fit(X)
    assert max_angle_deg(est.components_, B) < 10
    w = est.sample_weight_
    assert w.shape == (X.shape[0],) and w.min() >= 0 and w.max() <= 1
    assert w[outlier].max() < 1e-6  # ratio near 0: likelihood far below the inliers'
    assert np.mean(w[~outlier] >= 0.5) > 0.97
    np.testing.assert_array_equal(est.inlier_mask_, w >= 0.5)
    assert 2 <= est.n_iter_ < est.max_iter
    np.testing.assert_allclose(est.components_ @ est.components_.T, np.eye(5), atol=1e-10)
    # The fit is the weighted PCA of the samples with the final weights.
    mean = w @ X / w.sum()
    np.testing.assert_allclose(est.mean_, mean, atol=1e-12)
    C = (X - mean).T @ ((X - mean) * w[:, None]) / (w.sum() - 1)
    evals, evecs = np.linalg.eigh(C)
    np.testing.assert_allclose(est.explained_variance_, evals[::-1][:5], rtol=1e-6)
    angle = principal_angles(est.components_.T, evecs[:, ::-1][:, :5]).max()
    assert np.degrees(angle) < 1e-3
    np.testing.assert_allclose(est.n_samples_seen_, w.sum())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_orpca_irls_noise_free_inliers_keep_full_weight(dtype):
    # Inliers exactly on a 3-dim subspace: ratios are 1 up to rounding, which
    # must not split them; the outliers lie orthogonal to it.
    rng = np.random.default_rng(0)
    B = np.linalg.qr(rng.standard_normal((20, 3)))[0]
    X = rng.standard_normal((200, 3)) @ B.T
    u = rng.standard_normal(20)
    u -= B @ (B.T @ u)
    X[:20] = 30 * u / np.linalg.norm(u)
    est = OutlierRobustPCA(3, method="irls", random_state=0).fit(X.astype(dtype))
    np.testing.assert_array_equal(est.sample_weight_[20:], 1.0)
    assert est.sample_weight_[:20].max() == 0.0
    assert max_angle_deg(est.components_.astype(float), B) < (1e-3 if dtype == np.float32 else 1e-8)


def test_orpca_irls_and_filter_agree():
    X, _, _ = adversarial(seed=1)
    f = OutlierRobustPCA(5, random_state=0).fit(X)
    g = OutlierRobustPCA(5, method="irls", random_state=0).fit(X)
    assert np.degrees(principal_angles(f.components_.T, g.components_.T).max()) < 1
    np.testing.assert_allclose(g.explained_variance_, f.explained_variance_, rtol=0.05)
    # Every sample the filter removed that irls keeps is an inlier, and vice versa.
    assert np.mean(f.inlier_mask_ == g.inlier_mask_) > 0.97


def test_orpca_irls_takes_back_inliers_an_overestimated_contamination_dropped():
    X, _, outlier = adversarial(seed=2)
    ref = PCA(5).fit(X[~outlier])  # the PCA of the inliers
    f = OutlierRobustPCA(5, contamination=0.25, random_state=0).fit(X)
    g = OutlierRobustPCA(5, contamination=0.25, method="irls", random_state=0).fit(X)
    assert f.inlier_mask_.sum() == 750  # 150 inliers dropped with the outliers
    assert not g.inlier_mask_[outlier].any()
    assert g.inlier_mask_[~outlier].mean() > 0.97
    # The filter keeps the inliers of small projected variance: variances too low.
    assert np.all(f.explained_variance_ < 0.9 * ref.explained_variance_)
    np.testing.assert_allclose(g.explained_variance_, ref.explained_variance_, rtol=0.03)
    assert max_angle_deg(g.components_, ref.components_.T) < 0.5
    assert max_angle_deg(f.components_, ref.components_.T) > 1


def test_orpca_irls_partial_fit_matches_batch():
    X, B, _ = adversarial()
    batch = OutlierRobustPCA(5, method="irls", random_state=0).fit(X)
    stream = OutlierRobustPCA(5, method="irls", random_state=0)
    for chunk in np.array_split(X, 10):
        stream.partial_fit(chunk)
    assert max_angle_deg(stream.components_, B) < 10
    angle = np.degrees(principal_angles(stream.components_.T, batch.components_.T).max())
    assert angle < 5
    np.testing.assert_allclose(stream.explained_variance_, batch.explained_variance_, rtol=0.05)
    np.testing.assert_allclose(stream.mean_, batch.mean_, atol=0.05)
    assert stream._sketch.shape[0] <= 2 * 5 + 10
    assert not hasattr(stream, "sample_weight_")


def test_orpca_irls_convergence_warning_float32_and_errors():
    X, B, _ = adversarial(n=300)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        est = OutlierRobustPCA(5, method="irls", max_iter=1, random_state=0).fit(X)
    assert est.n_iter_ == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = OutlierRobustPCA(5, method="irls", random_state=0).fit(X.astype(np.float32))
    assert est.components_.dtype == np.float32 and est.sample_weight_.dtype == np.float32
    assert max_angle_deg(est.components_.astype(float), B) < 10
    with pytest.raises(ValueError, match="'method' parameter"):
        OutlierRobustPCA(method="median").fit(X)
    with pytest.raises(ValueError, match="'tol' parameter"):
        OutlierRobustPCA(method="irls", tol=-1.0).fit(X)
    with pytest.raises(ValueError, match="'max_iter' parameter"):
        OutlierRobustPCA(method="irls", max_iter=0).partial_fit(X)


def test_orpca_irls_array_api_strict_matches_numpy():
    xs = pytest.importorskip("array_api_strict")
    X, _, _ = adversarial(n=300, d=20, k=3)
    ref = OutlierRobustPCA(3, method="irls", random_state=0).fit(X)
    got = OutlierRobustPCA(3, method="irls", random_state=0).fit(xs.asarray(X))
    assert isinstance(got.sample_weight_, type(xs.asarray([1.0])))
    assert_allclose_ref(np.asarray(got.components_), ref.components_, atol=1e-8)
    assert_allclose_ref(np.asarray(got.sample_weight_), ref.sample_weight_, atol=1e-8)
    ref, got = OutlierRobustPCA(3, method="irls"), OutlierRobustPCA(3, method="irls")
    for chunk in np.array_split(X, 3):
        ref.partial_fit(chunk)
        got.partial_fit(xs.asarray(chunk))
    assert_allclose_ref(np.asarray(got.components_), ref.components_, atol=1e-8)


@parametrize_with_checks([OutlierRobustPCA(method="irls", random_state=0)])
def test_orpca_irls_sklearn_compatible(estimator, check):
    check(estimator)


def planted_anomalies(seed=0):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((5, 50))
    train = rng.standard_normal((300, 5)) @ B + 0.1 * rng.standard_normal((300, 50))
    inl = rng.standard_normal((200, 5)) @ B + 0.1 * rng.standard_normal((200, 50))
    out = rng.standard_normal((20, 5)) @ B + 0.1 * rng.standard_normal((20, 50))
    out += 0.5 * rng.standard_normal((20, 50))  # off the subspace
    y = np.r_[np.ones(200), -np.ones(20)]
    return train, np.vstack([inl, out]), y


def test_detector_auc_and_predict():
    train, test, y = planted_anomalies()
    det = SubspaceOutlierDetector().fit(train)
    assert det.n_components_ == 5  # 99% of the variance
    assert roc_auc_score(y, det.score_samples(test)) >= 0.95
    det = SubspaceOutlierDetector(contamination="auto").fit(train)
    assert np.mean(det.predict(test) == y) > 0.95
    dec = det.decision_function(test)
    np.testing.assert_allclose(dec, det.score_samples(test) - det.offset_)
    # contamination sets the share of training samples flagged.
    det = SubspaceOutlierDetector(contamination=0.05).fit(train)
    assert abs(np.mean(det.predict(train) == -1) - 0.05) < 0.01


def test_detector_robust_fit_on_contaminated_training():
    train, test, y = planted_anomalies()
    rng = np.random.default_rng(1)
    w = rng.standard_normal(50)
    train = np.vstack([train, 30.0 * w / np.linalg.norm(w) + rng.standard_normal((30, 50))])
    plain = SubspaceOutlierDetector(n_components=5).fit(train)
    robust = SubspaceOutlierDetector(n_components=5, robust=True, random_state=0).fit(train)
    assert roc_auc_score(y, robust.score_samples(test)) >= 0.95
    assert roc_auc_score(y, robust.score_samples(test)) >= roc_auc_score(
        y, plain.score_samples(test)
    )


def test_detector_pipeline_gridsearch_scoring():
    train, test, y = planted_anomalies()
    X = np.vstack([train, test])
    yy = np.r_[np.ones(len(train)), y]

    def auc(model, X_, y_):
        return roc_auc_score(y_, model.score_samples(X_))

    pipe = make_pipeline(StandardScaler(), SubspaceOutlierDetector())
    search = GridSearchCV(
        pipe,
        {"subspaceoutlierdetector__n_components": [1, 5]},
        scoring=auc,
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, yy)
    assert search.best_params_["subspaceoutlierdetector__n_components"] == 5
    assert search.best_score_ > 0.9


def test_detector_errors():
    with pytest.raises(ValueError, match="n_components=9 must be at most"):
        SubspaceOutlierDetector(n_components=9).fit(np.ones((5, 8)) + np.eye(5, 8))
