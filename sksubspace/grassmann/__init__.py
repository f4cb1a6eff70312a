"""Grassmann geometry and subspace classifiers.

Subspaces as class representations: the subspace method (CLAFIC), the
Grassmann Class Representation (GCR), the mutual subspace method for image
sets, Grassmann discriminant analysis and the minimum-distance-to-mean
classifier, over a batched geometry module (principal angles, distances,
exponential and logarithm maps, retractions, Karcher and flag means, kernels).
"""

from ._embedding import SubspaceEmbedding
from ._gcr import GrassmannClassRepresentation
from ._gda import GrassmannDiscriminantAnalysis
from ._geometry import (
    binet_cauchy_kernel,
    flag_mean,
    grassmann_exp,
    grassmann_geodesic,
    grassmann_log,
    karcher_mean,
    pairwise_subspace_distances,
    principal_angles,
    project_tangent,
    projection_kernel,
    retract,
    subspace_distance,
)
from ._minimum_distance import GrassmannMinimumDistanceClassifier
from ._msm import MutualSubspaceClassifier
from ._subspace_classifier import SubspaceClassifier

__all__ = [
    "GrassmannClassRepresentation",
    "GrassmannDiscriminantAnalysis",
    "GrassmannMinimumDistanceClassifier",
    "MutualSubspaceClassifier",
    "SubspaceClassifier",
    "SubspaceEmbedding",
    "binet_cauchy_kernel",
    "flag_mean",
    "grassmann_exp",
    "grassmann_geodesic",
    "grassmann_log",
    "karcher_mean",
    "pairwise_subspace_distances",
    "principal_angles",
    "project_tangent",
    "projection_kernel",
    "retract",
    "subspace_distance",
]
