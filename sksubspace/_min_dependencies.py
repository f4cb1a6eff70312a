"""Oldest supported versions of the runtime dependencies, and the scikit-learn check.

The floors here are the ones ``setup.cfg`` declares (``tests/test_packaging.py``
keeps the two equal) and the ones ``.ci/run`` installs for its oldest-pins job.
Nothing here imports a dependency, so ``import sksubspace`` can say what is
missing before a cryptic ``ImportError`` from deep inside a module would.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

#: Oldest supported release of each runtime dependency (as in setup.cfg).
MIN_VERSIONS = {
    "numpy": "1.24",
    "scipy": "1.10",
    "scikit-learn": "1.6",
    "joblib": "1.3",
    "threadpoolctl": "3.1",
    # 1.9, 1.10 and 1.11.0 fail on NumPy input ("Invalid integer data type 'f'"; measured
    # with numpy 1.24 and 2.4); 1.11.2 and 1.12 pass
    "array-api-compat": "1.12",
    # the compiled host kernel of the lasso / elastic-net solver (sksubspace/_lasso_numba.py)
    "numba": "0.59",
}

#: Newest scikit-learn minor release the suite has passed with; the private API
#: that ``_sklearn_compat`` imports is only known to be there up to it.
SKLEARN_TESTED_MAX = (1, 9)


def minor_version(version: str) -> tuple[int, int]:
    """``"1.6.1"`` -> ``(1, 6)`` (pre-release tags ignored)."""
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts + [0] * (2 - len(parts)))


def check_sklearn_version(version: str | None = None) -> str:
    """Raise ``ImportError("sksubspace needs scikit-learn >= 1.6 ...")`` on an older one.

    Reads the installed distribution's version without importing scikit-learn,
    unless ``version`` is given; returns it.
    """
    floor = MIN_VERSIONS["scikit-learn"]
    if version is None:
        try:
            version = _dist_version("scikit-learn")
        except PackageNotFoundError as exc:
            raise ImportError(
                f"sksubspace needs scikit-learn >= {floor}; install it with "
                "`pip install -U scikit-learn`."
            ) from exc
    if minor_version(version) < minor_version(floor):
        raise ImportError(
            f"sksubspace needs scikit-learn >= {floor} (found {version}); upgrade it with "
            "`pip install -U scikit-learn`."
        )
    return version
