"""decomposition."""

from ._ksvd import KSVD
from ._online_dict_learning import OnlineDictionaryLearning
from ._orthogonal_dict_learning import OrthogonalDictionaryLearning
from ._sparse_coding import SparseCoder, sparse_encode

__all__ = [
    "KSVD",
    "OnlineDictionaryLearning",
    "OrthogonalDictionaryLearning",
    "SparseCoder",
    "sparse_encode",
]
