"""The GPU check and the GPU error messages, on a machine without a GPU."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from sksubspace import _backend
from sksubspace._backend import compute_context, gpu_available, gpu_unavailable_reason

ROOT = Path(__file__).resolve().parents[1]


class _BrokenRuntime:
    class cuda:  # noqa: N801 - mimics cupy.cuda
        class runtime:  # noqa: N801
            @staticmethod
            def getDeviceCount():
                raise RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is too old")


def test_gpu_error_keeps_the_real_cause(monkeypatch):
    real = importlib.import_module

    def fake_import(name, *args, **kwargs):
        if name == "cupy":
            return _BrokenRuntime
        return real(name, *args, **kwargs)

    monkeypatch.setattr(_backend.importlib, "import_module", fake_import)
    reason = gpu_unavailable_reason()
    assert "installed but finds no usable CUDA driver" in reason
    assert "cudaErrorInsufficientDriver" in reason
    assert not gpu_available()
    with pytest.raises(RuntimeError, match="cudaErrorInsufficientDriver"):
        compute_context("gpu")


def test_gpu_error_says_when_cupy_is_missing(monkeypatch):
    real = importlib.import_module

    def fake_import(name, *args, **kwargs):
        if name == "cupy":
            raise ModuleNotFoundError("No module named 'cupy'", name="cupy")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(_backend.importlib, "import_module", fake_import)
    assert gpu_unavailable_reason() == "CuPy is not installed"
    with pytest.raises(RuntimeError, match="pip install sksubspace\\[gpu\\].*not installed"):
        compute_context("gpu")


@pytest.mark.skipif(gpu_available(), reason="checks the no-GPU path")
def test_gpu_check_without_a_gpu_says_so_and_exits_0():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "no GPU to check on this machine" in out.stdout
