"""Kernel regression: exact, Nystroem (FALKON), spectrally transformed and online kernel ridge."""

from ._kernel_ridge import KernelRidge
from ._nystrom_kernel_ridge import NystromKernelRidge
from ._online_kernel_ridge import OnlineKernelRidge
from ._spectral_kernel_ridge import SpectrallyTransformedKernelRidge

__all__ = [
    "KernelRidge",
    "NystromKernelRidge",
    "OnlineKernelRidge",
    "SpectrallyTransformedKernelRidge",
]
