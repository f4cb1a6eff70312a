"""Estimators whose model does not depend on the scale of X give it at 1e-150 .. 1e200.

Each case failed before: NaN atoms (KSVD at 1e-150), ``LinAlgError`` (orthogonal
dictionary learning at 1e120, the subspace classifier at 1e200), NaN / inf scores.
"""

import warnings

import numpy as np
import pytest

from sksubspace.decomposition import KSVD, OrthogonalDictionaryLearning, SubspaceOutlierDetector
from sksubspace.grassmann import SubspaceClassifier


def _data():
    rng = np.random.RandomState(0)
    return rng.standard_normal((60, 8)), np.repeat([0, 1, 2], 20)


@pytest.mark.parametrize("scale", [1e-150, 1e150])
def test_ksvd_atoms_do_not_depend_on_scale(scale):
    X, _ = _data()
    kw = dict(n_components=4, n_nonzero_coefs=2, max_iter=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning (10 sweeps)
        ref = KSVD(**kw).fit(X)
        got = KSVD(**kw).fit(X * scale)
    np.testing.assert_allclose(got.components_, ref.components_, atol=1e-12)
    np.testing.assert_allclose(np.array(got.error_) / scale, ref.error_, rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-120, 1e120])
def test_orthogonal_dictionary_does_not_depend_on_scale(scale):
    X, _ = _data()
    ref = OrthogonalDictionaryLearning(random_state=0, max_iter=30, tol=1e-8)
    got = OrthogonalDictionaryLearning(random_state=0, max_iter=30, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.fit(X)
        got.fit(X * scale)
    np.testing.assert_allclose(got.components_, ref.components_, atol=1e-10)


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_subspace_classifier_scores_are_scale_free(scale):
    X, y = _data()
    ref = SubspaceClassifier(n_components=2).fit(X, y)
    big = SubspaceClassifier(n_components=2).fit(X * scale, y)
    np.testing.assert_allclose(big.subspaces_, ref.subspaces_, atol=1e-10)
    for model in (ref, big):
        # squared cosines: the same at any scale of the query
        np.testing.assert_allclose(
            model.decision_function(X * scale), ref.decision_function(X), atol=1e-12
        )
        np.testing.assert_allclose(model.predict_proba(X * scale), ref.predict_proba(X), atol=1e-10)


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_subspace_outlier_scores_scale_with_x(scale):
    X, _ = _data()
    ref = SubspaceOutlierDetector().fit(X)
    got = SubspaceOutlierDetector().fit(X * scale)
    scores = got.score_samples(X * scale)
    assert np.all(np.isfinite(scores))
    np.testing.assert_allclose(scores / scale, ref.score_samples(X), rtol=1e-10)
    np.testing.assert_array_equal(got.predict(X * scale), ref.predict(X))


def test_row_helpers_are_exact_at_extreme_scales():
    from sksubspace._linalg import machine_eps, max_abs_scale, normalize_rows, row_norms

    X, _ = _data()
    X[3] = 0.0
    ref = np.linalg.norm(X, axis=1)
    for scale in (1e-200, 1.0, 1e200):
        np.testing.assert_allclose(row_norms(X * scale) / scale, ref, rtol=1e-14)
        U, norms = normalize_rows(X * scale, return_norms=True)
        np.testing.assert_allclose(np.linalg.norm(U, axis=1), ref > 0, rtol=1e-14)
        s = max_abs_scale(X * scale)
        assert 0.5 <= np.abs(X * scale).max() / s < 1.0 and np.log2(s).is_integer()
    np.testing.assert_allclose(
        normalize_rows(X * 3, at_most_one=True), X * 3 / np.maximum(3 * ref, 1)[:, None], rtol=1e-14
    )
    assert max_abs_scale(np.zeros((2, 2))) == 1.0
    assert machine_eps(np.float32) == np.finfo(np.float32).eps
    assert machine_eps(np.dtype("float64")) == np.finfo(np.float64).eps
