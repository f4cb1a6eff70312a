"""Subspace clustering: self-expressive methods, thresholding and K-subspaces."""

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
]
