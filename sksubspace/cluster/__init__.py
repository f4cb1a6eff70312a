"""Subspace clustering: self-expressive methods, thresholding and K-subspaces."""

from ._ensc import ElasticNetSubspaceClustering
from ._omp import OMPSubspaceClustering

__all__ = [
    "ElasticNetSubspaceClustering",
    "OMPSubspaceClustering",
]
