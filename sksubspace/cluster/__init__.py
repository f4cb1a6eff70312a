"""Subspace clustering: self-expressive methods and thresholding."""

from ._ensc import ElasticNetSubspaceClustering
from ._lsr import LeastSquaresSubspaceClustering
from ._omp import OMPSubspaceClustering
from ._tsc import ThresholdingSubspaceClustering

__all__ = [
    "ElasticNetSubspaceClustering",
    "LeastSquaresSubspaceClustering",
    "OMPSubspaceClustering",
    "ThresholdingSubspaceClustering",
]
