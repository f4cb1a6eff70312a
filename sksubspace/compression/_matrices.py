"""Validation of a collection of matrices with a common number of rows."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_array

from .._backend import get_namespace
from .._validation import FLOAT_DTYPES, _check_array_api, _is_host


def _check_one(A, name):
    if _is_host(A):
        return check_array(A, dtype=FLOAT_DTYPES, input_name=name)
    return _check_array_api(
        A, name=name, ensure_2d=True, allow_nan=False, ensure_min_samples=1, dtype="float"
    )


def check_matrices(matrices):
    """A list of 2-D float arrays of one namespace with the same number of rows.

    Parameters
    ----------
    matrices : list of arrays of shape (n, d_k), or array of shape (m, n, d)
        The collection.

    Returns
    -------
    blocks : list of arrays of shape (n, d_k)
        Views of the input where possible, float32 only if all inputs are.
    """
    if isinstance(matrices, (list, tuple)):
        if len(matrices) == 0:
            raise ValueError("matrices is empty; pass at least one matrix.")
        blocks = [_check_one(A, f"matrices[{i}]") for i, A in enumerate(matrices)]
    else:
        arr = np.asarray(matrices) if _is_host(matrices) else matrices
        if arr.ndim != 3:
            raise ValueError(
                "matrices must be a list of 2-D arrays or a 3-D array of shape "
                f"(n_matrices, n_rows, n_columns); got an array with {arr.ndim} dimension(s)."
            )
        if arr.shape[0] == 0:
            raise ValueError("matrices is empty; pass at least one matrix.")
        if _is_host(arr):
            arr = check_array(arr, dtype=FLOAT_DTYPES, allow_nd=True, input_name="matrices")
        blocks = [_check_one(arr[i, ...], f"matrices[{i}]") for i in range(arr.shape[0])]
    xp = get_namespace(*blocks)
    rows = {int(b.shape[0]) for b in blocks}
    if len(rows) > 1:
        raise ValueError(
            "All matrices must have the same number of rows (they are concatenated "
            f"horizontally); got row counts {sorted(rows)}."
        )
    if any(b.dtype != blocks[0].dtype for b in blocks):
        dtype = xp.float64
        blocks = [xp.astype(b, dtype) for b in blocks]
    return blocks
