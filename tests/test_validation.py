import numpy as np
import pytest
from sklearn.base import BaseEstimator

from sksubspace._validation import check_n_components, validate_data


class _Est(BaseEstimator):
    pass


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtypes_preserved(dtype):
    X = np.ones((3, 2), dtype=dtype)
    assert validate_data(_Est(), X).dtype == dtype


def test_ints_become_float64():
    assert validate_data(_Est(), np.ones((3, 2), dtype=int)).dtype == np.float64


def test_nan_rejected_unless_allowed():
    X = np.array([[1.0, np.nan], [2.0, 3.0]])
    with pytest.raises(ValueError, match="NaN"):
        validate_data(_Est(), X)
    assert np.isnan(validate_data(_Est(), X, allow_nan=True)).any()


def test_array_api_strict_checks_match_sklearn():
    xs = pytest.importorskip("array_api_strict")
    est = _Est()
    X = validate_data(est, xs.asarray(np.ones((4, 3))))
    assert est.n_features_in_ == 3 and isinstance(X, type(xs.asarray([1.0])))
    with pytest.raises(ValueError, match="X has 2 features, but _Est is expecting 3"):
        validate_data(est, xs.asarray(np.ones((4, 2))), reset=False)
    with pytest.raises(ValueError, match="NaN"):
        validate_data(est, xs.asarray(np.array([[np.nan, 1.0]])))
    with pytest.raises(ValueError, match="2D"):
        validate_data(est, xs.asarray(np.ones(3)))
    Xi = validate_data(est, xs.asarray(np.ones((2, 2), dtype=np.int64)))
    assert Xi.dtype == xs.float64


def test_check_n_components_message():
    with pytest.raises(ValueError, match="n_components=5 must be at most"):
        check_n_components(5, 3, 10)
    assert check_n_components(3, 3, 10) == 3
