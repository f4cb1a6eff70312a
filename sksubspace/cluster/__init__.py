"""Subspace clustering: self-expressive methods, thresholding, K-subspaces, fusion of
representations and coding-rate clustering."""

from ._coding_rate import CodingRateClustering
from ._ensc import ElasticNetSubspaceClustering
from ._ksubspaces import KSubspaces
from ._lrr import LowRankRepresentation
from ._lsr import LeastSquaresSubspaceClustering
from ._multirep import MultiRepresentationSubspaceClustering
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
    "MultiRepresentationSubspaceClustering",
    "CodingRateClustering",
]
