"""decomposition."""

from ._outlier_robust_pca import OutlierRobustPCA
from ._robust_pca import RobustPCA
from ._streaming_pca import StreamingPCA
from ._subspace_outlier_detector import SubspaceOutlierDetector

__all__ = [
    "OutlierRobustPCA",
    "RobustPCA",
    "StreamingPCA",
    "SubspaceOutlierDetector",
]
