"""Kernel regression: exact, Nystroem (FALKON), spectrally transformed and online kernel ridge."""

from ._kernel_ridge import KernelRidge
from ._nystrom_kernel_ridge import NystromKernelRidge

__all__ = ["KernelRidge", "NystromKernelRidge"]
