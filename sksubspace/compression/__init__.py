"""Compressing collections of matrices: one truncated SVD shared by many matrices
(incremental updates, error bounds, error-constrained clustering) and
calibration-guided sparse dictionary compression of weight matrices."""

from ._base import svd_update
from ._bounds import concat_svd_error, concat_svd_error_bounds
from ._clustering import JointSVDClustering
from ._cospadi import cospadi_compress, low_rank_compress, sparse_dictionary_size
from ._incremental_svd import IncrementalTruncatedSVD

__all__ = [
    "IncrementalTruncatedSVD",
    "JointSVDClustering",
    "concat_svd_error",
    "concat_svd_error_bounds",
    "cospadi_compress",
    "low_rank_compress",
    "sparse_dictionary_size",
    "svd_update",
]
