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
