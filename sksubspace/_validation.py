"""Input checks that accept NumPy, SciPy sparse, CuPy and any array-API array alike.

NumPy and SciPy inputs go through scikit-learn's own ``validate_data`` (so error
messages, feature names and ``n_features_in_`` behave exactly as users know
them); arrays of other namespaces get the same checks written against the
array API, without a trip through NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import (
    check_array,
    check_random_state,  # noqa: F401  (re-export)
)
from sklearn.utils.validation import validate_data as _sk_validate_data

from ._backend import get_namespace, is_dask_array, is_numpy, to_float

FLOAT_DTYPES = (np.float64, np.float32)


def _is_host(X) -> bool:
    """True for inputs scikit-learn validates itself (NumPy, lists, pandas, SciPy)."""
    if X is None or sp.issparse(X) or isinstance(X, (np.ndarray, list, tuple)):
        return True
    mod = type(X).__module__.split(".")[0]
    if mod in ("pandas", "polars", "pyarrow"):
        return True
    try:
        return is_numpy(get_namespace(X))
    except TypeError:
        return True


def _check_array_api(X, *, name, ensure_2d, allow_nan, ensure_min_samples, dtype):
    xp = get_namespace(X)
    if ensure_2d and X.ndim != 2:
        raise ValueError(
            f"Expected a 2D array for {name}, got a {X.ndim}D array instead. Reshape "
            "your data with X.reshape(-1, 1) for a single feature or "
            "X.reshape(1, -1) for a single sample."
        )
    if dtype is not None and not xp.isdtype(X.dtype, "real floating"):
        if xp.isdtype(X.dtype, ("integral", "bool")):
            X = xp.astype(X, xp.float64)
        else:
            raise TypeError(f"{name} must hold real numbers; got dtype {X.dtype}.")
    if X.shape[0] < ensure_min_samples:
        raise ValueError(
            f"Found array with {X.shape[0]} sample(s) (shape={tuple(X.shape)}) while a "
            f"minimum of {ensure_min_samples} is required."
        )
    if xp.isdtype(X.dtype, "real floating"):
        bad = ~xp.isfinite(X) if not allow_nan else xp.isinf(X)
        if to_float(xp.sum(xp.astype(bad, X.dtype))) > 0:
            what = "infinity" if allow_nan else "NaN or infinity"
            raise ValueError(f"Input {name} contains {what}.")
    return X


def accepts_dask(estimator) -> bool:
    """Whether ``estimator`` declares that it takes row-chunked Dask arrays.

    An estimator declares it with the class attribute ``_accepts_dask = True``
    and routes Dask input to its Dask strategy *before* :func:`validate_data`;
    every other estimator is refused at :func:`validate_data`.
    """
    return bool(getattr(estimator, "_accepts_dask", False))


def _refuse_dask(estimator, **arrays):
    """Raise a ``TypeError`` naming the estimators that take Dask arrays."""
    for name, arr in arrays.items():
        if arr is not None and is_dask_array(arr):
            from .utils import all_estimators

            takers = ", ".join(n for n, cls in all_estimators() if accepts_dask(cls))
            raise TypeError(
                f"{type(estimator).__name__} does not take Dask arrays ({name} is a "
                f"dask.array.Array). Compute it first ({name}.compute()) if it fits in "
                f"memory, or use an estimator that works block by block on Dask: {takers}."
            )


def validate_data(
    estimator,
    X,
    y=None,
    *,
    reset=True,
    accept_sparse=False,
    allow_nan=False,
    ensure_min_samples=1,
    ensure_min_features=1,
    dtype="float",
    **check_params,
):
    """Validate ``X`` (and ``y``) for ``estimator`` whatever their namespace.

    Sets or checks ``n_features_in_`` (and ``feature_names_in_`` for NumPy /
    pandas inputs) like scikit-learn's ``validate_data``. Float32 and float64
    are preserved; other numeric types become float64.

    Parameters
    ----------
    estimator : estimator instance
    X : array-like or sparse matrix of shape (n_samples, n_features)
    y : array-like or None
        Validated alongside ``X`` only for host (NumPy) inputs; for other
        namespaces ``y`` is returned after a length check.
    reset : bool
        True in ``fit``, False in ``predict`` / ``transform``.
    accept_sparse : bool or str or list of str
        Sparse formats allowed (as in scikit-learn).
    allow_nan : bool
        Let NaN through (missing values).
    dtype : "float" or None
        ``"float"`` keeps float32/float64 and casts other numbers to float64.
    """
    _refuse_dask(estimator, X=X, y=y)
    ensure_all_finite = "allow-nan" if allow_nan else True
    if _is_host(X):
        kwargs = dict(
            accept_sparse=accept_sparse,
            ensure_all_finite=ensure_all_finite,
            ensure_min_samples=ensure_min_samples,
            ensure_min_features=ensure_min_features,
            **check_params,
        )
        if dtype == "float":
            kwargs["dtype"] = FLOAT_DTYPES
        if y is None:
            return _sk_validate_data(estimator, X, reset=reset, **kwargs)
        return _sk_validate_data(estimator, X, y, reset=reset, **kwargs)

    X = _check_array_api(
        X,
        name="X",
        ensure_2d=check_params.get("ensure_2d", True),
        allow_nan=allow_nan,
        ensure_min_samples=ensure_min_samples,
        dtype=dtype,
    )
    n_features = X.shape[1] if X.ndim == 2 else 1
    if n_features < ensure_min_features:
        raise ValueError(
            f"Found array with {n_features} feature(s) (shape={tuple(X.shape)}) while "
            f"a minimum of {ensure_min_features} is required."
        )
    if reset:
        estimator.n_features_in_ = n_features
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    elif hasattr(estimator, "n_features_in_") and n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    if y is None:
        return X
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {X.shape[0]} and {y.shape[0]}."
        )
    return X, y


def check_codes(X, n_components, *, name="X"):
    """Validate a 2-d array of ``n_components`` columns (codes / scores for ``inverse_transform``).

    NumPy-like input goes through scikit-learn's ``check_array`` (float32 / float64
    kept); other namespaces get the same checks against the array API.
    """
    if _is_host(X):
        X = check_array(X, dtype=FLOAT_DTYPES, input_name=name)
    else:
        X = _check_array_api(
            X, name=name, ensure_2d=True, allow_nan=False, ensure_min_samples=1, dtype="float"
        )
    if X.shape[1] != n_components:
        raise ValueError(
            f"{name} has {X.shape[1]} columns but the model has {n_components} components."
        )
    return X


def check_n_components(n_components, n_samples, n_features, *, name="n_components"):
    """Check a requested rank against the data shape with a clear message."""
    limit = min(n_samples, n_features)
    if isinstance(n_components, numbers.Integral) and n_components > limit:
        raise ValueError(
            f"{name}={n_components} must be at most min(n_samples, n_features)={limit} "
            f"for data of shape ({n_samples}, {n_features}); lower {name}."
        )
    return n_components


class ArrayAPISupportMixin:
    """Declares scikit-learn's ``array_api_support`` tag for a sksubspace estimator.

    Every estimator computes on the array namespace of its input (NumPy, CuPy,
    any array-API library); one that cannot declares
    ``check_array_api_strict`` in ``_expected_failed_checks`` and gets ``False``.
    Put it first among the bases (before ``BaseEstimator``), or in a family's base.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        declined = "check_array_api_strict" in getattr(self, "_expected_failed_checks", {})
        tags.array_api_support = not declined
        return tags
