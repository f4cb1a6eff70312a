"""Weight-matrix compression that keeps a layer's outputs on calibration inputs.

``W`` (``d_in x d_out``) acts on inputs ``x`` as ``x W``. Given calibration
inputs ``X`` (``n x d_in``), the compressed ``W_hat`` should minimize the
error of the layer's outputs, ``||X W - X W_hat||_F``, not ``||W - W_hat||_F``.
With the Cholesky factorization ``X'X + ridge I = L L'`` this is
``||L' W - L' W_hat||_F``: the problem becomes an ordinary one on the whitened
weights ``L' W``, whose solution is mapped back by ``L'^{-1}``.

* :func:`cospadi_compress` -- ``W_hat = D C`` with a dense dictionary ``D`` and
  a column-sparse ``C`` (K-SVD with OMP on the whitened weights; CoSpaDi);
* :func:`low_rank_compress` -- ``W_hat = A B`` of rank ``r`` (truncated SVD of
  ``W``, or of ``L' W`` when ``X`` is given: the data-aware SVD).

Both take the fraction of parameters removed, ``compression``, as the knob,
and count every stored number: ``r (d_in + d_out)`` for ``A B``, and
``d_in k + 2 s d_out`` for ``D C`` with ``k`` atoms and ``s`` nonzeros per
column of ``C`` (a value and an index each).
"""

from __future__ import annotations

import math
import numbers
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array

from .._backend import device_kw, get_namespace, solve_triangular, to_float
from .._linalg import cholesky
from .._sklearn_compat import Interval, validate_params
from .._validation import FLOAT_DTYPES, _check_array_api, _is_host
from ..decomposition import KSVD

__all__ = ["cospadi_compress", "low_rank_compress", "sparse_dictionary_size"]


def _check_2d(A, name):
    if _is_host(A):
        return check_array(A, dtype=FLOAT_DTYPES, input_name=name)
    return _check_array_api(
        A, name=name, ensure_2d=True, allow_nan=False, ensure_min_samples=1, dtype="float"
    )


def _check_weights(W, X):
    W = _check_2d(W, "W")
    if X is None:
        return W, None
    X = _check_2d(X, "X")
    if X.shape[1] != W.shape[0]:
        raise ValueError(
            f"X has {X.shape[1]} columns but W has {W.shape[0]} rows; the layer computes "
            "X @ W, so X must have shape (n_samples, W.shape[0])."
        )
    get_namespace(W, X)  # one namespace
    if X.dtype != W.dtype:
        xp = get_namespace(W)
        X, W = xp.astype(X, xp.float64), xp.astype(W, xp.float64)
    return W, X


def _whitening(X, ridge):
    """Lower Cholesky factor ``L`` of ``X'X + ridge * mean(diag) * I``."""
    xp = get_namespace(X)
    G = xp.matrix_transpose(X) @ X
    return cholesky((G + xp.matrix_transpose(G)) / 2, jitter=ridge)


def _unwhiten(L, A):
    """``L'^{-1} A`` (``None`` for ``L`` means no whitening)."""
    return A if L is None else solve_triangular(L, A, lower=True, trans=True)


@validate_params(
    {
        "d_in": [Interval(numbers.Integral, 1, None, closed="left")],
        "d_out": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_atoms": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_nonzero_coefs": [Interval(numbers.Integral, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def sparse_dictionary_size(d_in, d_out, n_atoms, n_nonzero_coefs):
    """Numbers stored by ``D C``: ``d_in * n_atoms + 2 * n_nonzero_coefs * d_out``.

    The dictionary ``D`` is dense; each of the ``d_out`` columns of ``C`` keeps
    ``n_nonzero_coefs`` values and as many atom indices.

    Parameters
    ----------
    d_in, d_out : int
        Shape of the weight matrix.
    n_atoms : int
        Atoms (columns of ``D``).
    n_nonzero_coefs : int
        Nonzeros per column of ``C``.

    Returns
    -------
    size : int

    Examples
    --------
    >>> from sksubspace.compression import sparse_dictionary_size
    >>> sparse_dictionary_size(64, 128, n_atoms=32, n_nonzero_coefs=8)
    4096
    """
    return int(d_in * n_atoms + 2 * n_nonzero_coefs * d_out)


def _budget(d_in, d_out, compression):
    return (1.0 - compression) * d_in * d_out


def _sparse_shape(d_in, d_out, compression, n_atoms, n_nonzero_coefs):
    """``(k, s)`` within the budget; ``k`` about ``4 s`` when neither is given.

    A few atoms per column out of a larger dictionary: on the layers we tried
    (random and trained weights, 20-50% compression) ``k / s`` between 4 and 8
    beat ``k / s = 2``, which is close to a low-rank model.
    """
    if n_atoms is not None and n_nonzero_coefs is not None:
        return int(n_atoms), int(n_nonzero_coefs)
    budget = _budget(d_in, d_out, compression)
    if n_nonzero_coefs is None and n_atoms is None:
        s = max(1, math.floor(budget / (4 * d_in + 2 * d_out)))
    elif n_nonzero_coefs is None:
        s = max(1, math.floor((budget - d_in * n_atoms) / (2 * d_out)))
        return int(n_atoms), min(s, int(n_atoms))
    else:
        s = int(n_nonzero_coefs)
    k = math.floor((budget - 2 * s * d_out) / d_in)
    if k < s:
        raise ValueError(
            f"compression={compression} leaves no room for {s} nonzero coefficient(s) per "
            f"column with at least as many atoms (d_in={d_in}, d_out={d_out}); lower "
            "compression or n_nonzero_coefs."
        )
    return int(k), int(s)


@validate_params(
    {
        "W": ["array-like"],
        "X": ["array-like", None],
        "compression": [Interval(numbers.Real, 0, 1, closed="left")],
        "n_atoms": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_nonzero_coefs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "ridge": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def cospadi_compress(
    W,
    X=None,
    *,
    compression=0.3,
    n_atoms=None,
    n_nonzero_coefs=None,
    max_iter=20,
    ridge=1e-6,
    random_state=None,
):
    r"""Calibration-guided sparse dictionary compression of a weight matrix (CoSpaDi).

    Approximates ``W`` (``d_in x d_out``) by ``D C`` with a dense dictionary
    ``D`` (``d_in x k``) and a column-sparse ``C`` (``k x d_out``, at most ``s``
    nonzeros per column), solving

    .. math::

        \min_{D, C} \|X W - X D C\|_F \quad \text{s.t. } \|c_j\|_0 \le s ,

    a union-of-subspaces model: each column of ``W`` lives in the span of its
    own ``s`` atoms, where a rank-``r`` factorization forces all columns into
    one subspace. With ``X'X + ridge I = L L'`` the objective is
    ``||L' W - (L' D) C||_F``, an ordinary dictionary learning problem on the
    whitened weights ``L' W``: :class:`~sksubspace.decomposition.KSVD` (batched
    OMP coding and rank-1 atom updates) learns the whitened atoms ``L' D``
    from the columns of ``L' W``, a least-squares refit of the atoms for the
    final codes follows, and ``D`` is recovered by a triangular solve. Without
    ``X`` the weights themselves are approximated.

    Parameters
    ----------
    W : array of shape (d_in, d_out)
        Weight matrix; the layer computes ``X @ W``.
    X : array of shape (n_samples, d_in), default=None
        Calibration inputs of the layer.
    compression : float in [0, 1), default=0.3
        Fraction of the ``d_in * d_out`` parameters removed; the factors store
        at most ``(1 - compression) d_in d_out`` numbers, counted by
        :func:`sparse_dictionary_size`. Ignored when both ``n_atoms`` and
        ``n_nonzero_coefs`` are given.
    n_atoms : int, default=None
        Number of atoms ``k``; by default as many as the budget leaves.
    n_nonzero_coefs : int, default=None
        Nonzeros per column of ``C``, ``s``; by default chosen with the budget
        so that ``k`` is about ``4 s``.
    max_iter : int, default=20
        K-SVD iterations.
    ridge : float, default=1e-6
        Added to the diagonal of ``X'X`` (relative to its mean diagonal)
        before the Cholesky factorization.
    random_state : int, RandomState instance or None, default=None
        Initial atoms of K-SVD.

    Returns
    -------
    D : array of shape (d_in, k)
        Dense dictionary.
    C : array of shape (k, d_out)
        Coefficients, at most ``s`` nonzeros per column (stored dense).

    See Also
    --------
    low_rank_compress : the (data-aware) truncated SVD at the same budget.

    References
    ----------
    D. Makhov, D. Shopkhoev, M. Zhussip, A. Ali, S. Lefkimmiatis. "CoSpaDi:
    Compressing LLMs via Calibration-Guided Sparse Dictionary Learning", 2025.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.compression import cospadi_compress, low_rank_compress
    >>> rng = np.random.default_rng(0)
    >>> bases = [rng.standard_normal((16, 2)) for _ in range(4)]
    >>> W = np.hstack([b @ rng.standard_normal((2, 50)) for b in bases])
    >>> X = rng.standard_normal((200, 16))
    >>> D, C = cospadi_compress(W, X, n_atoms=8, n_nonzero_coefs=2, random_state=0)
    >>> A, B = low_rank_compress(W, X, rank=4)   # the same number of parameters
    >>> err = lambda M: np.linalg.norm(X @ (W - M)) / np.linalg.norm(X @ W)
    >>> bool(err(D @ C) < 0.5 * err(A @ B))
    True
    """
    W, X = _check_weights(W, X)
    xp = get_namespace(W)
    d_in, d_out = W.shape
    k, s = _sparse_shape(d_in, d_out, compression, n_atoms, n_nonzero_coefs)
    s = min(s, k, d_in)
    L = _whitening(X, ridge) if X is not None else None
    Y = W if L is None else xp.matrix_transpose(L) @ W

    ksvd = KSVD(
        n_components=k,
        n_nonzero_coefs=s,
        max_iter=max_iter,
        transform_n_nonzero_coefs=s,
        random_state=random_state,
    )
    signals = xp.matrix_transpose(Y)  # columns of L'W as samples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ksvd.fit(signals)
    codes = ksvd.transform(signals)  # (d_out, k)
    C = xp.matrix_transpose(codes)
    Dw = xp.matrix_transpose(ksvd.components_)
    # Least-squares atoms for the final codes (the MOD step): never worse.
    CCt = C @ codes
    scale = to_float(xp.max(xp.linalg.diagonal(CCt))) if k else 0.0
    if scale > 0:
        eye = xp.eye(k, dtype=C.dtype, **device_kw(C))
        Dw = xp.matrix_transpose(
            xp.linalg.solve(CCt + 1e-12 * scale * eye, C @ xp.matrix_transpose(Y))
        )
    return _unwhiten(L, Dw), C


@validate_params(
    {
        "W": ["array-like"],
        "X": ["array-like", None],
        "compression": [Interval(numbers.Real, 0, 1, closed="left")],
        "rank": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "ridge": [Interval(numbers.Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def low_rank_compress(W, X=None, *, compression=0.3, rank=None, ridge=1e-6):
    r"""Rank-``r`` factorization ``W ~ A B``, data-aware when calibration inputs are given.

    Without ``X``: the truncated SVD of ``W``, optimal for ``||W - A B||_F``.
    With ``X``: the truncated SVD of the whitened weights ``L' W`` (with
    ``X'X + ridge I = L L'``), mapped back by ``A = L'^{-1} U_r S_r``, optimal
    for ``||X W - X A B||_F`` among rank-``r`` matrices (the data-aware SVD).

    Parameters
    ----------
    W : array of shape (d_in, d_out)
        Weight matrix; the layer computes ``X @ W``.
    X : array of shape (n_samples, d_in), default=None
        Calibration inputs.
    compression : float in [0, 1), default=0.3
        Fraction of the ``d_in * d_out`` parameters removed: ``r`` is the
        largest rank with ``r (d_in + d_out) <= (1 - compression) d_in d_out``
        (at least 1). Ignored when ``rank`` is given.
    rank : int, default=None
        The rank ``r``.
    ridge : float, default=1e-6
        Relative ridge added to ``X'X``.

    Returns
    -------
    A : array of shape (d_in, r)
    B : array of shape (r, d_out)

    See Also
    --------
    cospadi_compress : a dictionary with column-sparse codes at the same budget.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.compression import low_rank_compress
    >>> rng = np.random.default_rng(0)
    >>> W = rng.standard_normal((20, 30))
    >>> X = rng.standard_normal((100, 20)) * np.linspace(5, 0.1, 20)
    >>> plain = low_rank_compress(W, rank=5)
    >>> aware = low_rank_compress(W, X, rank=5)
    >>> err = lambda f: np.linalg.norm(X @ (W - f[0] @ f[1]))
    >>> bool(err(aware) <= err(plain))
    True
    """
    W, X = _check_weights(W, X)
    xp = get_namespace(W)
    d_in, d_out = W.shape
    if rank is None:
        rank = max(1, math.floor(_budget(d_in, d_out, compression) / (d_in + d_out)))
    r = min(int(rank), d_in, d_out)
    L = _whitening(X, ridge) if X is not None else None
    Y = W if L is None else xp.matrix_transpose(L) @ W
    U, s, Vt = xp.linalg.svd(Y, full_matrices=False)
    return _unwhiten(L, U[:, :r] * s[None, :r]), Vt[:r, :]
