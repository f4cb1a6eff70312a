"""Find every public estimator of sksubspace (used by the common tests and the docs)."""

from __future__ import annotations

import importlib
import inspect

from sklearn.base import BaseEstimator

_SUBMODULES = ("cluster", "compression", "decomposition", "grassmann", "impute", "kernel_ridge")

_TYPE_MIXINS = {
    "classifier": "ClassifierMixin",
    "regressor": "RegressorMixin",
    "transformer": "TransformerMixin",
    "cluster": "ClusterMixin",
    "outlier_detector": "OutlierMixin",
}


def all_estimators(type_filter=None):
    """List the public estimators of sksubspace as ``(name, class)`` pairs.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "cluster",
        "outlier_detector"} or list of them, default=None
        Keep only estimators with the matching scikit-learn mixin.

    Returns
    -------
    estimators : list of (str, type), sorted by name

    Examples
    --------
    >>> from sksubspace.utils import all_estimators
    >>> isinstance(all_estimators(), list)
    True
    """
    found = {}
    for sub in _SUBMODULES:
        module = importlib.import_module(f"sksubspace.{sub}")
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
                and not name.startswith("_")
            ):
                found[name] = obj
    items = sorted(found.items())
    if type_filter is None:
        return items
    filters = [type_filter] if isinstance(type_filter, str) else list(type_filter)
    unknown = set(filters) - set(_TYPE_MIXINS)
    if unknown:
        raise ValueError(
            f"type_filter must be among {sorted(_TYPE_MIXINS)}; got {sorted(unknown)}."
        )
    wanted = {_TYPE_MIXINS[f] for f in filters}
    return [
        (name, cls)
        for name, cls in items
        if any(base.__name__ in wanted for base in inspect.getmro(cls))
    ]
