"""SupervisedDictionaryLearning: against logistic regression, limits, covariates, errors."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from sksubspace.decomposition import SupervisedDictionaryLearning


@pytest.fixture(scope="module")
def noisy_digits():
    X, y = load_digits(return_X_y=True)
    X = X + 8.0 * np.random.RandomState(1).standard_normal(X.shape)
    return train_test_split(X, y, train_size=300, test_size=600, random_state=1, stratify=y)


def test_beats_logistic_regression_on_noisy_digits(noisy_digits):
    Xtr, Xte, ytr, yte = noisy_digits
    sdl = SupervisedDictionaryLearning(n_components=10).fit(Xtr, ytr)
    lr = LogisticRegression(max_iter=2000).fit(Xtr, ytr)
    acc_sdl, acc_lr = sdl.score(Xte, yte), lr.score(Xte, yte)
    assert acc_sdl >= acc_lr + 0.03, (acc_sdl, acc_lr)
    # The fitted model is what its attributes say.
    W = sdl.components_
    np.testing.assert_allclose(W @ W.T, np.eye(10), atol=1e-8)
    np.testing.assert_allclose(sdl.coef_, sdl.code_coef_ @ W, atol=1e-8)
    codes = sdl.transform(Xte)
    np.testing.assert_allclose(codes, (Xte - sdl.mean_) @ W.T)
    logits = codes @ sdl.code_coef_.T + sdl.intercept_
    np.testing.assert_allclose(sdl.decision_function(Xte), logits, atol=1e-8)
    proba = sdl.predict_proba(Xte)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), sdl.predict_log_proba(Xte), atol=1e-10)
    assert sdl.covariate_coef_.shape == (10, 0)


def test_large_xi_is_pca_then_logistic_regression(noisy_digits):
    """xi -> infinity pins the atoms to the principal subspace; the classifier is then
    scikit-learn's multinomial logistic regression on the PCA scores (C = 1 / (nu n))."""
    Xtr, Xte, ytr, _ = noisy_digits
    r, nu = 6, 0.5
    sdl = SupervisedDictionaryLearning(r, xi=1e4, nu=nu, tol=1e-6, max_iter=3000).fit(Xtr, ytr)
    pca = PCA(r).fit(Xtr)
    cos = np.linalg.svd(sdl.components_ @ pca.components_.T, compute_uv=False)
    assert cos.min() > 1 - 1e-6
    lr = LogisticRegression(C=1.0 / (nu * len(ytr)), tol=1e-10, max_iter=10000)
    lr.fit(pca.transform(Xtr), ytr)
    np.testing.assert_allclose(
        sdl.predict_proba(Xte), lr.predict_proba(pca.transform(Xte)), atol=2e-3
    )


def test_supervision_moves_atoms_toward_the_discriminative_direction():
    """The class signal lives in a low-variance direction: PCA's top atoms miss it, SDL's do not."""
    rng = np.random.RandomState(0)
    n, p = 400, 20
    y = rng.randint(0, 2, n)
    X = rng.standard_normal((n, p)) * np.r_[np.full(3, 5.0), np.ones(p - 3)]
    X[:, 10] += 1.5 * (2 * y - 1)
    sdl = SupervisedDictionaryLearning(3, xi=0.01).fit(X, y)
    pca = PCA(3).fit(X)
    assert np.linalg.norm(pca.components_[:, 10]) < 0.3
    assert np.linalg.norm(sdl.components_[:, 10]) > 0.9
    assert sdl.score(X, y) > 0.85
    assert sdl.decision_function(X).shape == (n,)


def test_auxiliary_covariates_enter_the_classifier_only():
    rng = np.random.RandomState(0)
    n = 300
    signals = rng.standard_normal((n, 12))
    z = rng.standard_normal((n, 1))
    y = (z[:, 0] + 0.1 * rng.standard_normal(n) > 0).astype(int)
    X = np.hstack([signals, z])
    sdl = SupervisedDictionaryLearning(2, n_covariates=1).fit(X, y)
    assert sdl.components_.shape == (2, 12)
    assert sdl.mean_.shape == (12,)
    assert sdl.covariate_coef_.shape == (2, 1)
    assert sdl.covariate_coef_[1, 0] - sdl.covariate_coef_[0, 0] > 1.0
    assert sdl.score(X, y) > 0.9
    assert sdl.transform(X).shape == (n, 2)
    # Without the covariate, the signals alone carry no information.
    assert SupervisedDictionaryLearning(2).fit(signals, y).score(signals, y) < 0.7


def test_float32_preserved_and_string_labels():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((90, 6)).astype(np.float32)
    y = np.array(["a", "b", "c"])[np.argmax(X[:, :3], axis=1)]
    sdl = SupervisedDictionaryLearning(3).fit(X, y)
    assert sdl.components_.dtype == np.float32
    assert sdl.predict_proba(X).dtype == np.float32
    assert set(sdl.predict(X)) <= {"a", "b", "c"}
    assert sdl.score(X, y) > 0.8


def test_errors_and_convergence_warning():
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((30, 4)), np.arange(30) % 2
    with pytest.raises(ValueError, match="at most the number of signal features"):
        SupervisedDictionaryLearning(5).fit(X, y)
    with pytest.raises(ValueError, match="leaves no signal feature"):
        SupervisedDictionaryLearning(1, n_covariates=4).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        SupervisedDictionaryLearning(2).fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="requires y"):
        SupervisedDictionaryLearning(2).fit(X, None)
    with pytest.raises(ValueError, match="Unknown label type"):
        SupervisedDictionaryLearning(2).fit(X, rng.standard_normal(30))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        sdl = SupervisedDictionaryLearning(2, max_iter=2, tol=0).fit(X, y)
    assert sdl.n_iter_ == 2
    assert any("did not converge" in str(w.message) for w in rec)
    with pytest.raises(ValueError, match="features"):
        sdl.predict(X[:, :3])
