"""Subspace clustering: self-expressive methods, thresholding and K-subspaces."""

from ._coding_rate import CodingRateClustering
from ._ensc import ElasticNetSubspaceClustering
from ._ksubspaces import KSubspaces
from ._lrr import LowRankRepresentation
from ._lsr import LeastSquaresSubspaceClustering
from ._omp import OMPSubspaceClustering
from ._ssc import SparseSubspaceClustering
from ._tsc import ThresholdingSubspaceClustering

__all__ = [
    "ElasticNetSubspaceClustering",
    "KSubspaces",
    "LeastSquaresSubspaceClustering",
    "OMPSubspaceClustering",
    "ThresholdingSubspaceClustering",
    "SparseSubspaceClustering",
    "LowRankRepresentation",
    "CodingRateClustering",
]
