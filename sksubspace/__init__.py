"""sksubspace: scikit-learn-compatible subspace and low-rank estimators on CPU and GPU."""

from ._min_dependencies import check_sklearn_version as _check_sklearn_version

__version__ = "0.1.0.dev0"

# A clear message on scikit-learn < 1.6 instead of an ImportError from a submodule.
_check_sklearn_version()

__all__ = [
    "cluster",
    "compression",
    "datasets",
    "decomposition",
    "grassmann",
    "impute",
    "kernel_ridge",
    "metrics",
    "utils",
]


def __getattr__(name):
    # Public submodules load lazily: `import sksubspace` stays cheap.
    if name in __all__:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'sksubspace' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
