"""Test-suite configuration.

``--array-api-device=NAME`` (or ``SKSUBSPACE_ARRAY_API_DEVICE=NAME``) and
``--array-api-float32`` (or ``SKSUBSPACE_ARRAY_API_FLOAT32=1``) rerun every
array-api-strict test on another of its devices (e.g. ``device1``) and/or on
float32: ``array_api_strict.asarray`` called by a test without ``device=``
puts the array on that device, float64 data it converts without ``dtype=``
becomes float32, and a test may read results back with ``np.asarray``. Calls
from sksubspace itself are left alone, so an array the package creates
without the input's device still fails ("arrays from two different devices"),
and so does an implicit host copy. Comparisons with float64 references go
through ``tests/_helpers.py``'s ``assert_allclose_ref`` / ``tol_for``, which
keep the given tolerances in float64 and scale them by float32's eps here::

    pytest tests/test_common.py -k strict --array-api-device=device1 --array-api-float32
"""

import os
import sys


def pytest_addoption(parser):
    group = parser.getgroup("sksubspace")
    group.addoption(
        "--array-api-device",
        default=os.environ.get("SKSUBSPACE_ARRAY_API_DEVICE") or None,
        help="array-api-strict device the tests' arrays go to (e.g. device1)",
    )
    group.addoption(
        "--array-api-float32",
        action="store_true",
        default=os.environ.get("SKSUBSPACE_ARRAY_API_FLOAT32", "") not in ("", "0"),
        help="the tests' float64 array-api-strict arrays become float32",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs CuPy and a CUDA GPU (skipped otherwise)")
    config.addinivalue_line("markers", "slow: slower end-to-end test")
    device = config.getoption("--array-api-device")
    float32 = config.getoption("--array-api-float32")
    if device or float32:
        # tests/_helpers.py reads these (xdist workers see the same options)
        if device:
            os.environ["SKSUBSPACE_ARRAY_API_DEVICE"] = device
        if float32:
            os.environ["SKSUBSPACE_ARRAY_API_FLOAT32"] = "1"
        _redirect_array_api_strict(device, float32)


def pytest_report_header(config):
    device = config.getoption("--array-api-device")
    if device or config.getoption("--array-api-float32"):
        dtype = "float32" if config.getoption("--array-api-float32") else "as given"
        return f"array-api-strict test arrays: device={device or 'default'}, dtype={dtype}"
    return None


def _in_package():
    """True when sksubspace is on the call stack (its arrays must follow the input)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("sksubspace"):
            return True
        frame = frame.f_back
    return False


def _redirect_array_api_strict(device_name, float32):
    try:
        import array_api_strict as xs
        from array_api_strict._array_object import Array
    except ImportError:
        return
    default = xs.Device(device_name) if device_name else None
    cpu = xs.Device("CPU_DEVICE")
    original_asarray, original_array = xs.asarray, Array.__array__

    def asarray(obj, /, *, dtype=None, device=None, copy=None):
        if _in_package():
            return original_asarray(obj, dtype=dtype, device=device, copy=copy)
        out = original_asarray(obj, dtype=dtype, device=device or default, copy=copy)
        if float32 and dtype is None and out.dtype == xs.float64:
            out = xs.astype(out, xs.float32)
        return out

    def __array__(self, dtype=None, copy=None):
        # A test reads results on the host (np.asarray, assert_allclose) as with
        # to_numpy; the package itself still may not convert implicitly.
        if self.device != cpu and not _in_package():
            self = self.to_device(cpu)
        return original_array(self, dtype=dtype, copy=copy)

    asarray.__doc__ = original_asarray.__doc__
    xs.asarray = asarray
    Array.__array__ = __array__
