"""The rank-r error of a concatenation of matrices: exact, and bounded from its blocks."""

from __future__ import annotations

import math
import numbers

from .._backend import get_namespace, to_float
from .._sklearn_compat import Interval, StrOptions, validate_params
from ._base import (
    _empty_svd,
    _exact_basis,
    _squared_singular_values,
    _top_energy,
    small_problem_blas,
    svd_update,
)
from ._matrices import check_matrices

__all__ = ["concat_svd_error", "concat_svd_error_bounds"]


def _ratio(value_sq, total_sq, relative):
    value = math.sqrt(max(value_sq, 0.0))
    if not relative:
        return value
    return value / math.sqrt(total_sq) if total_sq > 0 else 0.0


@validate_params(
    {
        "matrices": ["array-like", list],
        "rank": [Interval(numbers.Integral, 1, None, closed="left")],
        "relative": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def concat_svd_error(matrices, rank, *, relative=True):
    """Optimal rank-``rank`` error of the horizontal concatenation of ``matrices``.

    ``min ||A - A_r||_F`` over rank-``rank`` matrices ``A_r``, for
    ``A = [A_1, ..., A_m]``: the square root of the tail energy
    ``sum_{i > rank} sigma_i(A)^2``, computed from the ``n x n`` Gram matrix
    ``sum_k A_k A_k'`` or from ``A`` itself, whichever is smaller.

    Parameters
    ----------
    matrices : list of arrays of shape (n, d_k), or array of shape (m, n, d)
        Matrices with the same number of rows ``n``.
    rank : int
        Rank of the approximation.
    relative : bool, default=True
        Divide by ``||A||_F``.

    Returns
    -------
    error : float

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.compression import concat_svd_error
    >>> A = np.diag([3.0, 2.0, 1.0])
    >>> concat_svd_error([A[:, :1], A[:, 1:]], rank=2, relative=False)
    1.0
    """
    blocks = check_matrices(matrices)
    _, _, tail, total = _exact_basis(blocks, rank)
    return _ratio(tail, total, relative)


@validate_params(
    {
        "matrices": ["array-like", list],
        "rank": [Interval(numbers.Integral, 1, None, closed="left")],
        "method": [StrOptions({"weyl", "incremental"})],
        "n_oversamples": [Interval(numbers.Integral, 0, None, closed="left"), None],
        "relative": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def concat_svd_error_bounds(matrices, rank, *, method="weyl", n_oversamples=None, relative=True):
    r"""Lower and upper bounds on the optimal rank-``rank`` error of a concatenation.

    Let ``A = [A_1, ..., A_m]`` and ``e(A)^2 = sum_{i > r} sigma_i(A)^2`` the
    optimal squared error of a rank-``r`` approximation (``r = rank``).

    ``method="weyl"`` uses only the singular values of each block, computed
    once per block, so it needs no product between blocks and does not depend
    on their order:

    * **upper**: ``e(A)^2 <= ||A||_F^2 - top_r(union_k sigma(A_k)^2)``.
      Appending columns never decreases singular values (Weyl monotonicity of
      ``A A' = sum_k A_k A_k'``), and more generally the ``r`` largest values
      of the union of the blocks' squared spectra are a lower bound on the
      top-``r`` energy of ``A``: if they are made of ``r_k`` values of block
      ``k`` (``sum r_k = r``), the span of those blocks' top singular vectors
      has dimension at most ``r`` and captures at least that energy. The bound
      is an equality when the blocks' column spaces are mutually orthogonal.
    * **lower**: ``e(A)^2 >= sum_k e(A_k)^2`` (Ky Fan: the top-``r`` energy of a
      sum of positive semidefinite matrices is at most the sum of their
      top-``r`` energies). It is an equality when all the blocks share the
      same top-``r`` left singular subspace with their tails orthogonal to it,
      and in particular when every block has rank at most ``r`` in one common
      ``r``-dimensional subspace (then both sides are 0).

    ``method="incremental"`` runs the incremental truncated SVD
    (:func:`svd_update`) over the blocks in the given order, keeping rank
    ``k = r + n_oversamples``; let ``s`` be its singular values and ``E`` the
    error of the rank-``k`` approximation ``A_k`` it tracks (``||E||_F^2`` is
    the summed discarded energy). ``A_k`` is ``A`` projected on a
    ``k``-dimensional row space, so ``s_i <= sigma_i(A)``, and ``E`` is
    orthogonal to ``A_k`` (``A A' = A_k A_k' + E E'``):

    * **upper**: ``e(A)^2 <= ||A||_F^2 - sum_{i <= r} s_i^2``, the error of the
      best rank-``r`` part of the tracked approximation. With
      ``n_oversamples=0`` it is the exact error of the tracked rank-``r``
      approximation, at most the summed squared incremental residuals
      ``||(I - U_{t-1} U_{t-1}') A_t||_F^2``. It equals ``e(A)`` when nothing is
      truncated or the blocks' column spaces are mutually orthogonal.
    * **lower**: by Ky Fan, ``top_r(A A') <= sum_{i <= r} s_i^2 + top_r(E E')``,
      and ``top_r(E E') <= min(||E||_F^2, (sum_t ||D_t||_{(r)})^2)``, where
      ``||D_t||_{(r)}`` is the root of the ``r`` largest energies discarded at
      update ``t`` (the triangle inequality of the Ky Fan ``(r, 2)``-norm);
      the larger of this and the Weyl lower bound is returned. Oversampling
      makes ``E`` small, so the two bounds close in on ``e(A)``.

    Parameters
    ----------
    matrices : list of arrays of shape (n, d_k), or array of shape (m, n, d)
        Matrices with the same number of rows ``n``.
    rank : int
        Rank ``r`` of the approximation.
    method : {"weyl", "incremental"}, default="weyl"
        Which bounds (see above).
    n_oversamples : int, default=None
        Extra rank tracked by ``method="incremental"``; ``None`` means
        ``rank``.
    relative : bool, default=True
        Divide both bounds by ``||A||_F``.

    Returns
    -------
    lower, upper : float
        ``lower <= e(A) <= upper``.

    See Also
    --------
    concat_svd_error : the exact error.

    References
    ----------
    "Concatenated Matrix SVD: Compression Bounds, Incremental Approximation,
    and Error-Constrained Clustering", 2026.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.compression import concat_svd_error, concat_svd_error_bounds
    >>> rng = np.random.default_rng(0)
    >>> blocks = [rng.standard_normal((20, 5)) for _ in range(4)]
    >>> lo, hi = concat_svd_error_bounds(blocks, rank=3)
    >>> bool(lo <= concat_svd_error(blocks, rank=3) <= hi)
    True
    """
    blocks = check_matrices(matrices)
    with small_problem_blas(get_namespace(*blocks), blocks[0].shape[0]):
        return _bounds(blocks, rank, method, n_oversamples, relative)


def _bounds(blocks, rank, method, n_oversamples, relative):
    xp = get_namespace(*blocks)
    spectra = [_squared_singular_values(b) for b in blocks]
    total = sum(to_float(xp.sum(sq)) for sq in spectra)
    block_tails = sum(to_float(xp.sum(sq)) - _top_energy(sq, rank) for sq in spectra)
    lower = max(block_tails, 0.0)
    if method == "weyl":
        union = xp.concat(spectra) if spectra else None
        upper = total - _top_energy(union, rank)
    else:
        n = blocks[0].shape[0]
        U, s = _empty_svd(n, blocks[0])
        k = rank + (rank if n_oversamples is None else n_oversamples)
        discarded, ky_fan = 0.0, 0.0
        for B in blocks:
            U, s, dropped, _ = svd_update(U, s, B, k)
            if dropped.shape[0]:
                discarded += to_float(xp.sum(dropped))
                ky_fan += math.sqrt(_top_energy(dropped, rank))
        upper = total - _top_energy(s * s, rank)
        lower = max(lower, upper - min(discarded, ky_fan * ky_fan))
    upper = max(upper, lower)  # rounding
    return _ratio(lower, total, relative), _ratio(upper, total, relative)
