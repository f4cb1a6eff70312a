"""The one module that imports scikit-learn's private API.

sksubspace builds on scikit-learn's parameter validation (``Interval``,
``StrOptions``, ``validate_params``), ``_fit_context`` and
``_check_sample_weight``, which are not public and may move between releases.
Every estimator imports them from here, so a scikit-learn release that moves
one breaks a single import with advice instead of thirty with a traceback. The
supported range is ``MIN_VERSIONS["scikit-learn"]`` to ``SKLEARN_TESTED_MAX``
(:mod:`sksubspace._min_dependencies`); ``tests/test_packaging.py`` fails on a
newer scikit-learn until the suite has passed with it and the bound is raised.
"""

from __future__ import annotations

from ._min_dependencies import SKLEARN_TESTED_MAX, check_sklearn_version

_VERSION = check_sklearn_version()

try:
    from sklearn.base import _fit_context
    from sklearn.utils._param_validation import Interval, StrOptions, validate_params
    from sklearn.utils.validation import _check_sample_weight
except ImportError as exc:  # only on a scikit-learn newer than the tested range
    major, minor = SKLEARN_TESTED_MAX
    raise ImportError(
        f"scikit-learn {_VERSION} moved a private API that sksubspace uses ({exc}); "
        f"sksubspace is tested up to scikit-learn {major}.{minor}: install "
        f"`scikit-learn<{major}.{minor + 1}` or a newer sksubspace."
    ) from exc

__all__ = ["Interval", "StrOptions", "_check_sample_weight", "_fit_context", "validate_params"]
