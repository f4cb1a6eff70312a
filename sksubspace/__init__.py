"""sksubspace: scikit-learn-compatible subspace and low-rank estimators on CPU and GPU."""

__version__ = "0.1.0.dev0"

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
