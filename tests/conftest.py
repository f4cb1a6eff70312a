"""Test-suite configuration.

``--array-api-device=NAME`` (or ``SKSUBSPACE_ARRAY_API_DEVICE=NAME``) and
``--array-api-float32`` (or ``SKSUBSPACE_ARRAY_API_FLOAT32=1``) rerun every
array-api-strict test on another of its devices (e.g. ``device1``) and/or on
float32: ``array_api_strict.asarray`` called from a test module without
``device=`` puts the array on that device, and float64 data it converts
without ``dtype=`` becomes float32. Calls from sksubspace itself are left
alone, so an array the package creates without the input's device still
fails ("arrays from two different devices")::

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
        _redirect_array_api_strict(device, float32)


def pytest_report_header(config):
    device = config.getoption("--array-api-device")
    if device or config.getoption("--array-api-float32"):
        dtype = "float32" if config.getoption("--array-api-float32") else "as given"
        return f"array-api-strict test arrays: device={device or 'default'}, dtype={dtype}"
    return None


def _redirect_array_api_strict(device_name, float32):
    try:
        import array_api_strict as xs
    except ImportError:
        return
    default = xs.Device(device_name) if device_name else None
    original = xs.asarray

    def asarray(obj, /, *, dtype=None, device=None, copy=None):
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if not caller.startswith("tests"):
            return original(obj, dtype=dtype, device=device, copy=copy)
        out = original(obj, dtype=dtype, device=device or default, copy=copy)
        if float32 and dtype is None and out.dtype == xs.float64:
            out = xs.astype(out, xs.float32)
        return out

    asarray.__doc__ = original.__doc__
    xs.asarray = asarray
