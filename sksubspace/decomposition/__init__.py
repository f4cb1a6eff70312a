"""Robust PCA, outlier-robust and streaming PCA, dictionary learning and sparse coding."""

from ._ksvd import KSVD
from ._online_dict_learning import OnlineDictionaryLearning
from ._orthogonal_dict_learning import OrthogonalDictionaryLearning
from ._outlier_robust_pca import OutlierRobustPCA
from ._robust_pca import RobustPCA
from ._sparse_coding import SparseCoder, sparse_encode
from ._streaming_pca import StreamingPCA
from ._subspace_outlier_detector import SubspaceOutlierDetector
from ._supervised_dict_learning import SupervisedDictionaryLearning

__all__ = [
    "KSVD",
    "OnlineDictionaryLearning",
    "OrthogonalDictionaryLearning",
    "OutlierRobustPCA",
    "RobustPCA",
    "SparseCoder",
    "StreamingPCA",
    "SubspaceOutlierDetector",
    "SupervisedDictionaryLearning",
    "sparse_encode",
]
