"""decomposition."""

from ._robust_pca import RobustPCA

__all__ = [
    "RobustPCA",
]
