"""KSubspaces with sample_weight: the weighted objective, weight-0 points, routing."""

import numpy as np
import pytest
import sklearn
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sksubspace.cluster import KSubspaces
from sksubspace.datasets import make_subspaces
from sksubspace.metrics import clustering_accuracy, principal_angles


def _planted_with_outliers(seed=0):
    X, y, bases = make_subspaces(3, 2, 10, 60, noise=0.01, random_state=seed)
    rng = np.random.default_rng(seed)
    outliers = 3.0 * rng.standard_normal((30, 10))
    return np.vstack([X, outliers]), y, bases


def _worst_angle(model, bases):
    return max(min(principal_angles(U, B).max() for U in model.subspaces_) for B in bases)


def test_unit_weights_are_no_weights():
    X, _, _ = _planted_with_outliers()
    a = KSubspaces(3, subspace_dim=2, random_state=0).fit(X)
    b = KSubspaces(3, subspace_dim=2, random_state=0).fit(X, sample_weight=np.ones(len(X)))
    np.testing.assert_array_equal(a.labels_, b.labels_)
    for U, V in zip(a.subspaces_, b.subspaces_, strict=True):
        np.testing.assert_array_equal(U, V)
    assert a.inertia_ == b.inertia_


def test_points_of_weight_zero_do_not_shape_the_subspaces():
    X, y, bases = _planted_with_outliers()
    w = np.r_[np.ones(180), np.zeros(30)]
    weighted = KSubspaces(3, subspace_dim=2, random_state=0).fit(X, sample_weight=w)
    plain = KSubspaces(3, subspace_dim=2, random_state=0).fit(X)
    assert _worst_angle(weighted, bases) < 0.05  # the planted subspaces, noise 0.01
    assert _worst_angle(plain, bases) > 2 * _worst_angle(weighted, bases)
    assert clustering_accuracy(y, weighted.labels_[:180]) == 1.0
    # the weighted objective: inertia_ sums w_i times the squared residuals
    res = np.stack(
        [np.sum((X - X @ U @ U.T) ** 2, axis=1) for U in weighted.subspaces_], axis=1
    ).min(axis=1)
    np.testing.assert_allclose(weighted.inertia_, np.sum(w * res), rtol=1e-10)


def test_sample_weight_errors_and_routing():
    X, _, _ = _planted_with_outliers()
    with pytest.raises(ValueError, match="at least one non-zero"):
        KSubspaces(3, subspace_dim=2).fit(X, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError, match="[Nn]egative"):
        KSubspaces(3, subspace_dim=2).fit(X, sample_weight=-np.ones(len(X)))
    w = np.r_[np.ones(180), np.zeros(30)]
    with sklearn.config_context(enable_metadata_routing=True):
        est = KSubspaces(3, subspace_dim=2, random_state=0).set_fit_request(sample_weight=True)
        pipe = make_pipeline(FunctionTransformer(), est).fit(X, sample_weight=w)
    ref = KSubspaces(3, subspace_dim=2, random_state=0).fit(X, sample_weight=w)
    np.testing.assert_array_equal(pipe[-1].labels_, ref.labels_)


def test_sample_weight_on_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    X, _, _ = _planted_with_outliers()
    w = np.r_[np.ones(180), np.zeros(30)]
    ours = KSubspaces(3, subspace_dim=2, random_state=0).fit(xs.asarray(X), sample_weight=w)
    ref = KSubspaces(3, subspace_dim=2, random_state=0).fit(X, sample_weight=w)
    np.testing.assert_array_equal(np.asarray(ours.labels_), ref.labels_)
