"""What the kernel ridge estimators share: the kernel constraint, ``y`` and memory checks."""

from __future__ import annotations

from .._sklearn_compat import StrOptions
from ._kernels import KERNELS

KERNEL_CONSTRAINT = [StrOptions(set(KERNELS) | {"precomputed"}), callable]


def _available_bytes():
    """Free host memory (Linux ``MemAvailable``), or None when unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def check_dense_kernel_fits(n_samples, itemsize, *, on_host=True, name="KernelRidge"):
    """Raise a clear ``MemoryError`` when an ``n x n`` kernel cannot be held.

    Called before the allocation, so the process fails with advice instead of
    swapping or being killed.
    """
    need = n_samples * n_samples * itemsize
    avail = _available_bytes() if on_host else None
    if avail is not None and need > avail:
        raise MemoryError(_memory_message(n_samples, itemsize, need, avail, name))


def _memory_message(n, itemsize, need, avail, name):
    free = f"{avail / 2**30:.1f} GiB are available" if avail else "it could not be allocated"
    return (
        f"{name} needs the dense {n} x {n} kernel matrix ({need / 2**30:.1f} GiB in "
        f"float{8 * itemsize}) but {free}. Use "
        "sksubspace.kernel_ridge.NystromKernelRidge (memory O(n d + M^2)), pass float32 "
        "data to halve the memory, or subsample."
    )


def require_y(estimator, y):
    """scikit-learn's error for a supervised ``fit`` called without ``y``."""
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
