"""Clustering accuracy, subspace distances and recovery scores."""

from ._clustering import clustering_accuracy, subspace_clustering_error
from ._recovery import dictionary_recovery_score, relative_error
from ._subspace import principal_angles, subspace_distance

__all__ = [
    "clustering_accuracy",
    "dictionary_recovery_score",
    "principal_angles",
    "relative_error",
    "subspace_clustering_error",
    "subspace_distance",
]
