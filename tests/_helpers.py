"""Shared helpers for the test-suite: estimator instances and generic data."""

from __future__ import annotations

import os

import numpy as np
from sklearn.base import is_classifier, is_clusterer, is_outlier_detector, is_regressor

from sksubspace.utils import all_estimators


def make_instance(cls):
    """An instance of ``cls`` with the small parameters it declares for tests.

    An estimator may define ``_test_init_params`` (a dict) so that the common
    checks run fast and on their tiny data (e.g. ``n_clusters=2``).
    """
    return cls(**getattr(cls, "_test_init_params", {}))


#: Known gaps shared by every estimator (scikit-learn runs this check only when
#: SCIPY_ARRAY_API=1). Namespace agreement with NumPy is what
#: ``test_array_api_strict_matches_numpy`` checks; scikit-learn's check also wants
#: ``predict`` labels and index attributes (``center_indices_``, masks) in the input
#: namespace, where this project keeps them on the host, and arrays on a second
#: array_api_strict device, which several estimators still create on the default one.
PROJECT_EXPECTED_FAILED_CHECKS = {
    "check_array_api_input": (
        "labels / index attributes are host NumPy by design and non-default devices are "
        "not yet followed everywhere; namespace agreement is test_array_api_strict_matches_numpy"
    ),
}


def expected_failed_checks(estimator):
    """Checks an estimator declares it cannot pass, with the reason.

    Declared as ``_expected_failed_checks = {check_name: reason}`` on the class;
    our own checks (``check_array_api_strict``, ``check_pipeline_gridsearch``)
    use the same mechanism. ``PROJECT_EXPECTED_FAILED_CHECKS`` applies to all.
    """
    return {**PROJECT_EXPECTED_FAILED_CHECKS, **getattr(estimator, "_expected_failed_checks", {})}


def per_check_params(estimator, check):
    """Parameters an estimator needs for one scikit-learn check.

    Declared as ``_test_check_params = {check_name: params}`` on the class, the
    way scikit-learn's own test suite gives e.g. ``SparseCoder`` a dictionary as
    wide as the data each check fits.
    """
    name = getattr(check, "func", check).__name__
    return dict(getattr(estimator, "_test_check_params", {}).get(name, {}))


def all_instances():
    return [make_instance(cls) for _, cls in all_estimators()]


def generic_data(estimator, n_samples=60, n_features=8, seed=0):
    """Data every tabular estimator can fit: points near 3 lines in R^8, with labels."""
    rng = np.random.RandomState(seed)
    bases = rng.standard_normal((3, n_features))
    y = np.repeat(np.arange(3), n_samples // 3)
    X = rng.standard_normal((n_samples, 1)) * bases[y] + 0.05 * rng.standard_normal(
        (n_samples, n_features)
    )
    if is_regressor(estimator):
        y = X @ rng.standard_normal(n_features) + 0.1 * rng.standard_normal(n_samples)
    return X, y


def estimator_kind(estimator):
    if is_classifier(estimator):
        return "classifier"
    if is_regressor(estimator):
        return "regressor"
    if is_clusterer(estimator):
        return "cluster"
    if is_outlier_detector(estimator):
        return "outlier"
    return "transformer"


def array_api_float32():
    """Whether the suite runs with ``--array-api-float32`` (conftest.py sets the variable).

    Then the tests' float64 array-api-strict arrays become float32 while their
    NumPy references stay float64.
    """
    return os.environ.get("SKSUBSPACE_ARRAY_API_FLOAT32", "") not in ("", "0")


def array_api_device():
    """The array-api-strict device named by ``--array-api-device`` (None: the default)."""
    return os.environ.get("SKSUBSPACE_ARRAY_API_DEVICE") or None


#: A float32 result against a float64 reference is off by about the problem's
#: condition number times float32's eps; 1e3 eps (1.2e-4) by default.
FLOAT32_EPS_FACTOR = 1e3


def assert_allclose_ref(
    actual, desired, *, rtol=1e-7, atol=0.0, err_msg="", dtype=None, factor=None
):
    """``assert_allclose`` of a result against a float64 reference, dtype-aware.

    When the result was computed in float64 (the default run) the tolerances
    are exactly ``rtol`` / ``atol``. When it was computed in a lower precision
    (``dtype``, else the lower of ``actual``'s dtype and :func:`working_dtype`,
    float32 under ``--array-api-float32``) they become at least ``factor``
    (default :data:`FLOAT32_EPS_FACTOR`) times that dtype's eps, relative and
    relative to the reference's largest entry: float32 rounding errors scale
    with the problem, not with each entry.
    """
    actual = np.asarray(actual)
    desired = np.asarray(desired)
    if dtype is None:
        dtype = max((actual.dtype, np.dtype(working_dtype())), key=_eps_or_zero)
    work = np.dtype(dtype)
    if work.kind in "fc" and np.finfo(work).eps > np.finfo(np.float64).eps:
        slack = (FLOAT32_EPS_FACTOR if factor is None else factor) * float(np.finfo(work).eps)
        scale = float(np.max(np.abs(desired))) if desired.size else 0.0
        rtol, atol = max(rtol, slack), max(atol, slack * scale)
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=atol, err_msg=err_msg)


def tol_for(value, factor=None):
    """A bound that float64 meets at ``value``, for the working dtype.

    ``value`` in the default run; under ``--array-api-float32`` at least
    ``factor`` (default :data:`FLOAT32_EPS_FACTOR`) times float32's eps.
    """
    if working_dtype() == np.float64:
        return value
    return max(
        value, (FLOAT32_EPS_FACTOR if factor is None else factor) * float(np.finfo(np.float32).eps)
    )


def _eps_or_zero(dtype):
    return float(np.finfo(dtype).eps) if np.dtype(dtype).kind in "fc" else 0.0


def working_dtype():
    """The dtype the tests' array-api-strict arrays are computed in."""
    return np.float32 if array_api_float32() else np.float64
