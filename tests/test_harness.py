"""The estimator contract, shown on a tiny reference estimator and checked.

``_TinyPCA`` is the pattern every sksubspace estimator follows (see
CONTRIBUTING.md): scikit-learn's parameter validation, our ``validate_data``
(NumPy, SciPy, CuPy, array API), the ``device`` switch through
``compute_context``, numerics on ``ctx.xp`` only, fitted attributes handed
back with ``ctx.output``.
"""

import numbers

import numpy as np
import pytest
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.estimator_checks import check_estimator
from sklearn.utils.validation import check_is_fitted

from sksubspace._backend import compute_context, to_numpy
from sksubspace._linalg import randomized_svd
from sksubspace._validation import check_n_components, validate_data

from ._helpers import assert_allclose_ref, generic_data
from .test_common import _outputs, _outputs_strict


class _TinyPCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(self, n_components=2, *, random_state=None, device=None):
        self.n_components = n_components
        self.random_state = random_state
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        X = validate_data(self, X)
        check_n_components(self.n_components, *X.shape)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        xp = ctx.xp
        mean = xp.mean(Xc, axis=0)
        _, s, Vt = randomized_svd(Xc - mean, self.n_components, random_state=self.random_state)
        self.mean_ = ctx.output(mean)
        self.components_ = ctx.output(Vt)
        self.singular_values_ = ctx.output(s)
        self._n_features_out = self.n_components
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        mean, V = ctx.asarray(self.mean_), ctx.asarray(self.components_)
        return ctx.output((Xc - mean) @ ctx.xp.matrix_transpose(V))


def test_reference_estimator_passes_sklearn_checks():
    check_estimator(_TinyPCA(n_components=1))


def test_reference_estimator_array_api_strict():
    pytest.importorskip("array_api_strict")
    import array_api_strict as xs

    est = _TinyPCA(random_state=0)
    X, y = generic_data(est)
    ref = _outputs(_TinyPCA(random_state=0), X, y)
    got = _outputs_strict(est, xs.asarray(X), y, "transformer")
    assert_allclose_ref(got["transform"], ref["transform"], rtol=1e-8, atol=1e-10)
    assert isinstance(est.components_, type(xs.asarray([1.0])))


def test_reference_estimator_device_cpu_hands_back_input_namespace():
    xs = pytest.importorskip("array_api_strict")
    X, _ = generic_data(_TinyPCA())
    est = _TinyPCA(random_state=0, device="cpu").fit(xs.asarray(X))
    Z = est.transform(xs.asarray(X))
    assert isinstance(Z, type(xs.asarray([1.0])))
    # Fitted on array_api_strict, applied to NumPy: attributes are moved, not a crash.
    np.testing.assert_allclose(est.transform(X), to_numpy(Z), atol=1e-12)


def test_reference_estimator_rejects_bad_rank():
    X, _ = generic_data(_TinyPCA())
    with pytest.raises(ValueError, match="n_components=20 must be at most"):
        _TinyPCA(n_components=20).fit(X[:, :5])
