"""Generators of planted problems with known truth."""

from ._samples_generator import (
    make_image_sets,
    make_low_rank_completion,
    make_low_rank_sparse,
    make_multiview_subspaces,
    make_sparse_coded_signals,
    make_subspaces,
)

__all__ = [
    "make_image_sets",
    "make_low_rank_completion",
    "make_low_rank_sparse",
    "make_multiview_subspaces",
    "make_sparse_coded_signals",
    "make_subspaces",
]
