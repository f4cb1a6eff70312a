"""Kernel blocks for the kernel regression family, written once for any array namespace.

Every kernel that scikit-learn's ``pairwise_kernels`` knows is computed here from
GEMM (``linear``, ``rbf``, ``polynomial``, ``sigmoid``, ``cosine``) or from a
row-chunked broadcast (``laplacian``, ``chi2``, ``additive_chi2``) on the array
namespace of the inputs (NumPy, CuPy, array-API), with the same formulas and
defaults as scikit-learn so that results agree to rounding. Callable kernels and
SciPy sparse inputs are handed to scikit-learn on the host.

The estimators never hold an ``n x M`` block for large ``n``: ``kernel_matmul``
and ``kernel_gram`` stream row chunks of the kernel.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas
from sklearn.metrics.pairwise import pairwise_kernels

from .._backend import device_kw, from_numpy, get_namespace, is_numpy, to_numpy
from .._validation import ArrayAPISupportMixin
from ..utils._threads import effective_n_threads, row_blocks, threaded_block_map, threaded_block_sum

__all__ = [
    "KERNELS",
    "kernel_params",
    "pairwise_kernel",
    "kernel_diag",
    "kernel_matmul",
    "kernel_gram",
    "kernel_normal_matmul",
    "chunk_rows",
]

#: Kernel names shared with ``sklearn.metrics.pairwise.PAIRWISE_KERNEL_FUNCTIONS``.
KERNELS = (
    "additive_chi2",
    "chi2",
    "cosine",
    "laplacian",
    "linear",
    "poly",
    "polynomial",
    "rbf",
    "sigmoid",
)

# Parameters each kernel uses (as scikit-learn's ``KERNEL_PARAMS``).
_USES = {
    "additive_chi2": (),
    "chi2": ("gamma",),
    "cosine": (),
    "laplacian": ("gamma",),
    "linear": (),
    "poly": ("gamma", "degree", "coef0"),
    "polynomial": ("gamma", "degree", "coef0"),
    "rbf": ("gamma",),
    "sigmoid": ("gamma", "coef0"),
}

# Elements of a temporary block (rows x columns [x features]) streamed at a time.
_BLOCK_ELEMENTS = 1 << 22
# Elements of one kernel block of a streamed pass (kernel_matmul, kernel_gram, ...):
# 1M entries (8 MiB in float64) per thread, so that a block, its promotion and its
# products stay in the last-level cache while the threads share it.
STREAM_ELEMENTS = 1 << 20


def kernel_params(kernel, n_features, *, gamma=None, degree=3, coef0=1, kernel_params=None):
    """The parameters ``kernel`` uses, with scikit-learn's defaults resolved.

    ``gamma=None`` means ``1 / n_features`` (``1.0`` for ``chi2``), as in
    scikit-learn. For a callable kernel, ``kernel_params`` is returned.
    """
    if callable(kernel):
        return dict(kernel_params or {})
    if kernel == "precomputed":
        return {}
    params = {"gamma": gamma, "degree": degree, "coef0": coef0}
    out = {k: params[k] for k in _USES[kernel]}
    if "gamma" in out and out["gamma"] is None:
        out["gamma"] = 1.0 if kernel == "chi2" else 1.0 / n_features
    return out


class KernelParamsMixin(ArrayAPISupportMixin):
    """Resolved kernel parameters (``_params``) for estimators with scikit-learn's
    ``kernel``, ``gamma``, ``degree``, ``coef0`` and ``kernel_params``.
    """

    def _params(self, n_features=None):
        return kernel_params(
            self.kernel,
            self.n_features_in_ if n_features is None else n_features,
            gamma=self.gamma,
            degree=self.degree,
            coef0=self.coef0,
            kernel_params=self.kernel_params,
        )


def chunk_rows(n_rows, n_cols, n_features=1, budget=_BLOCK_ELEMENTS):
    """Row-chunk size so that a ``chunk x n_cols (x n_features)`` block has ~``budget`` elements."""
    return int(max(1, min(n_rows, budget // max(1, n_cols * n_features))))


def _sq_norms(X, xp):
    return xp.sum(X * X, axis=1)


def _inplace(fn_name, K, xp):
    """Apply an elementwise function, in place on NumPy (no second n x n block)."""
    if is_numpy(xp):
        getattr(np, fn_name)(K, out=K)
        return K
    return getattr(xp, fn_name)(K)


def _host_kernel(X, Y, kernel, params):
    """Callable kernels and SciPy sparse inputs: scikit-learn's ``pairwise_kernels`` on the host."""
    like = X if not sp.issparse(X) else (Y if Y is not None and not sp.issparse(Y) else None)
    Xh = X if sp.issparse(X) else to_numpy(X)
    Yh = None if Y is None else (Y if sp.issparse(Y) else to_numpy(Y))
    K = pairwise_kernels(Xh, Yh, metric=kernel, filter_params=True, **params)
    if like is None or is_numpy(get_namespace(like)):
        return K
    return from_numpy(K, like)


def _l1_like(X, Y, xp, kind):
    """Row-chunked ``sum_k f(x_k, y_k)`` for the laplacian and chi2 kernels."""
    n, m, d = X.shape[0], Y.shape[0], X.shape[1]
    step = chunk_rows(n, m, d)
    blocks = []
    for start in range(0, n, step):
        Xb = X[start : min(start + step, n), None, :]
        if kind == "l1":
            D = xp.sum(xp.abs(Xb - Y[None, :, :]), axis=2)
        else:  # chi2: sum (x - y)^2 / (x + y), 0 / 0 := 0
            num = (Xb - Y[None, :, :]) ** 2
            den = Xb + Y[None, :, :]
            safe = xp.where(den == 0, xp.ones_like(den), den)
            D = xp.sum(xp.where(den == 0, xp.zeros_like(num), num / safe), axis=2)
        blocks.append(D)
    return blocks[0] if len(blocks) == 1 else xp.concat(blocks, axis=0)


def _threaded_kernel(X, Y, kernel, params, n_threads):
    """A large NumPy kernel matrix filled by row blocks on host threads.

    The elementwise part of a kernel (``exp``, ``tanh``, powers) runs on one
    core in NumPy; blocks of rows share it among ``n_threads``. Each block is
    the kernel of its rows against all of ``Y`` (``X`` when ``Y`` is None),
    with the rbf diagonal set as :func:`pairwise_kernel` sets it for ``Y=None``
    (distance exactly 0). One output array, plus a block per thread.
    """
    n = X.shape[0]
    Yr = X if Y is None else Y
    step = chunk_rows(n, Yr.shape[0], budget=STREAM_ELEMENTS)
    blocks = row_blocks(n, step)

    def block(i, j):
        Kb = pairwise_kernel(X[i:j], Yr, kernel, **params)
        if Y is None and kernel == "rbf":
            Kb[np.arange(j - i), np.arange(i, j)] = 1.0
        return Kb

    first = block(*blocks[0])
    K = np.empty((n, Yr.shape[0]), dtype=first.dtype)
    K[: first.shape[0]] = first

    def fill(i, j):
        K[i:j] = block(i, j)

    threaded_block_map(fill, blocks[1:], n_threads)
    return K


def pairwise_kernel(X, Y=None, kernel="rbf", **params):
    """Kernel block ``K[i, j] = k(X[i], Y[j])`` in the namespace of ``X``.

    Parameters
    ----------
    X : array of shape (n, d)
    Y : array of shape (m, d) or None
        ``None`` means ``Y = X`` (the diagonal of distance kernels is then
        exact).
    kernel : str or callable
        One of :data:`KERNELS`, or a callable ``k(x, y) -> float`` evaluated by
        scikit-learn on the host.
    **params
        ``gamma``, ``degree``, ``coef0`` as resolved by :func:`kernel_params`
        (``gamma`` must be set), or the callable's keyword arguments.

    Returns
    -------
    K : array of shape (n, m), the dtype of ``X``.
    """
    if callable(kernel) or sp.issparse(X) or (Y is not None and sp.issparse(Y)):
        return _host_kernel(X, Y, kernel, params)
    xp = get_namespace(X) if Y is None else get_namespace(X, Y)
    m = X.shape[0] if Y is None else Y.shape[0]
    # Large outputs with several row blocks: fill them on host threads.
    if (
        is_numpy(xp)
        and X.shape[0] * m >= 4 * STREAM_ELEMENTS
        and X.shape[0] >= 4 * chunk_rows(X.shape[0], m, budget=STREAM_ELEMENTS)
    ):
        n_threads = effective_n_threads()
        if n_threads > 1:
            return _threaded_kernel(X, Y, kernel, params, n_threads)
    same = Y is None
    Y = X if same else Y
    if kernel in ("chi2", "additive_chi2"):
        if to_numpy(xp.min(X)) < 0 or (not same and to_numpy(xp.min(Y)) < 0):
            raise ValueError(
                f"The {kernel} kernel needs non-negative inputs; X has negative values."
            )
    if kernel == "cosine":
        nx = xp.sqrt(_sq_norms(X, xp))
        nx = xp.where(nx == 0, xp.ones_like(nx), nx)
        Xn = X / nx[:, None]
        if same:
            Yn = Xn
        else:
            ny = xp.sqrt(_sq_norms(Y, xp))
            Yn = Y / xp.where(ny == 0, xp.ones_like(ny), ny)[:, None]
        return Xn @ xp.matrix_transpose(Yn)
    if kernel == "linear":
        return X @ xp.matrix_transpose(Y)
    if kernel in ("poly", "polynomial", "sigmoid"):
        K = X @ xp.matrix_transpose(Y)
        K *= params["gamma"]
        K += params["coef0"]
        if kernel == "sigmoid":
            return _inplace("tanh", K, xp)
        degree = params["degree"]
        if is_numpy(xp):
            np.power(K, degree, out=K)
            return K
        return K**degree
    if kernel == "rbf":
        # ||x||^2 - 2 <x, y> + ||y||^2 by GEMM, clipped at 0 as in scikit-learn.
        K = X @ xp.matrix_transpose(Y)
        K *= -2.0
        K += _sq_norms(X, xp)[:, None]
        K += _sq_norms(Y, xp)[None, :]
        K = _clip0(K, xp)
        if same:
            K = _zero_diag(K, xp)
        K *= -params["gamma"]
        return _inplace("exp", K, xp)
    if kernel == "laplacian":
        K = _l1_like(X, Y, xp, "l1")
        K *= -params["gamma"]
        return _inplace("exp", K, xp)
    if kernel == "chi2":
        K = _l1_like(X, Y, xp, "chi2")
        K *= -params["gamma"]
        return _inplace("exp", K, xp)
    if kernel == "additive_chi2":
        return -_l1_like(X, Y, xp, "chi2")
    raise ValueError(f"Unknown kernel {kernel!r}; expected one of {KERNELS} or a callable.")


def _clip0(K, xp):
    if is_numpy(xp):
        np.maximum(K, 0, out=K)
        return K
    return xp.where(K < 0, xp.zeros_like(K), K)


def _zero_diag(K, xp):
    if is_numpy(xp):
        np.fill_diagonal(K, 0)
        return K
    n = K.shape[0]
    eye = xp.eye(n, dtype=xp.bool, **device_kw(K))
    return xp.where(eye, xp.zeros_like(K), K)


def kernel_diag(X, kernel="rbf", **params):
    """The diagonal ``k(x_i, x_i)`` without forming the kernel block."""
    if callable(kernel) or sp.issparse(X):
        Xh = X if sp.issparse(X) else to_numpy(X)
        d = np.array(
            [_host_kernel(Xh[i : i + 1], None, kernel, params)[0, 0] for i in range(Xh.shape[0])]
        )
        return d if sp.issparse(X) or is_numpy(get_namespace(X)) else from_numpy(d, X)
    xp = get_namespace(X)
    n = X.shape[0]
    if kernel in ("rbf", "laplacian", "chi2"):
        return xp.ones(n, dtype=X.dtype, **device_kw(X))
    if kernel == "additive_chi2":
        return xp.zeros(n, dtype=X.dtype, **device_kw(X))
    sq = _sq_norms(X, xp)
    if kernel == "linear":
        return sq
    if kernel == "cosine":
        return xp.where(sq == 0, xp.zeros_like(sq), xp.ones_like(sq))
    inner = params["gamma"] * sq + params["coef0"]
    if kernel == "sigmoid":
        return xp.tanh(inner)
    return inner ** params["degree"]


def block_threads(xp, n_threads=None):
    """Host threads for a streamed loop: NumPy shares blocks among threads, others run in order."""
    return effective_n_threads(n_threads) if is_numpy(xp) else 1


def kernel_matmul(X, Y, V, kernel="rbf", *, chunk_size=None, n_threads=None, **params):
    """``K(X, Y) @ V`` streamed in row chunks of ``X`` (never the full block).

    Memory is ``O(chunk_size * len(Y))`` per thread. On NumPy the chunks are
    shared among ``n_threads`` host threads (default: the available CPUs, see
    :func:`sksubspace.utils._threads.effective_n_threads`).
    """
    xp = get_namespace(V)
    n = X.shape[0]
    step = chunk_size or chunk_rows(n, Y.shape[0], budget=STREAM_ELEMENTS)
    if step >= n:
        return pairwise_kernel(X, Y, kernel, **params) @ V
    out = threaded_block_map(
        lambda i, j: pairwise_kernel(X[i:j, ...], Y, kernel, **params) @ V,
        row_blocks(n, step),
        block_threads(xp, n_threads),
    )
    return xp.concat(out, axis=0)


def kernel_normal_matmul(
    X,
    C,
    V=None,
    Y=None,
    kernel="rbf",
    *,
    chunk_size=None,
    dtype=None,
    n_threads=None,
    row_scale=None,
    **params,
):
    """``K' (K V)`` (or ``K' Y`` when ``V`` is None) for ``K = K(X, C)``, streamed.

    The normal-equation product of Nystroem least squares, one pass over the
    rows of ``X``: each ``chunk_size x M`` kernel block is formed, promoted to
    ``dtype`` (the precision of the products and of the sum, e.g. float64 for
    float32 data) and dropped. Memory is ``O(chunk_size * M)`` per thread; on
    NumPy the blocks are shared among ``n_threads`` host threads.
    ``row_scale`` (length ``n``, e.g. square roots of sample weights) scales
    the rows of ``K``; ``Y`` is taken as given (scale it the same way).
    """
    if (V is None) == (Y is None):
        raise ValueError("Pass exactly one of V (for K'(K V)) and Y (for K'Y).")
    xp = get_namespace(C)
    n, M = X.shape[0], C.shape[0]
    step = chunk_size or chunk_rows(n, M, budget=STREAM_ELEMENTS)
    dtype = C.dtype if dtype is None else dtype

    def fold(i, j, acc):
        Kb = xp.astype(pairwise_kernel(X[i:j, ...], C, kernel, **params), dtype)
        if row_scale is not None:
            Kb = Kb * row_scale[i:j, None]
        rhs = Kb @ V if V is not None else Y[i:j, ...]
        g = xp.matrix_transpose(Kb) @ rhs
        return g if acc is None else acc + g

    return threaded_block_sum(fold, row_blocks(n, step), block_threads(xp, n_threads))


def kernel_gram(
    X,
    C,
    Y=None,
    kernel="rbf",
    *,
    chunk_size=None,
    dtype=None,
    n_threads=None,
    row_scale=None,
    **params,
):
    """``H = K_nM' K_nM`` and ``b = K_nM' Y`` in one streamed pass over the rows of ``X``.

    ``K_nM = K(X, C)`` is formed ``chunk_size`` rows at a time, so memory is
    ``O(M^2 + chunk_size * M)`` per thread. On NumPy the symmetric rank-k
    update uses BLAS ``syrk`` (half the flops of a GEMM) and the blocks are
    shared among ``n_threads`` host threads, each with its own ``H``.
    ``dtype`` (e.g. float64 for float32 data) is the precision of the
    accumulation; blocks are promoted one chunk at a time. ``row_scale`` as in
    :func:`kernel_normal_matmul`.
    """
    xp = get_namespace(C)
    n, M = X.shape[0], C.shape[0]
    step = chunk_size or chunk_rows(n, M, budget=STREAM_ELEMENTS)
    dtype = C.dtype if dtype is None else dtype
    syrk = None
    if is_numpy(xp) and not sp.issparse(X):
        syrk = blas.dsyrk if dtype == np.float64 else blas.ssyrk

    def fold(i, j, acc):
        H, b = (None, None) if acc is None else acc
        Kb = xp.astype(pairwise_kernel(X[i:j, ...], C, kernel, **params), dtype)
        if row_scale is not None:
            Kb = Kb * row_scale[i:j, None]
        if syrk is not None:
            if H is None:
                H = np.zeros((M, M), dtype=dtype, order="F")
            Kb = np.ascontiguousarray(Kb)
            # (Kb')(Kb')' with Kb' Fortran-ordered: no copy; upper triangle of H.
            H = syrk(1.0, Kb.T, beta=1.0, c=H, trans=0, lower=0, overwrite_c=1)
        else:
            G = xp.matrix_transpose(Kb) @ Kb
            H = G if H is None else H + G
        if Y is not None:
            g = xp.matrix_transpose(Kb) @ Y[i:j, ...]
            b = g if b is None else b + g
        return H, b

    H, b = threaded_block_sum(fold, row_blocks(n, step), block_threads(xp, n_threads))
    if syrk is not None:
        H = _fill_lower(H)
    return H, b


def _fill_lower(H, block=256):
    """Copy the upper triangle of ``H`` onto its lower one, in place, a block of columns at a time.

    Returns ``H.T``: for the symmetric result it is the same matrix, C-ordered
    when ``H`` is Fortran-ordered (no ``M x M`` temporary either way).
    """
    M = H.shape[0]
    for i in range(0, M, block):
        j = min(i + block, M)
        D = H[i:j, i:j]
        D[...] = np.triu(D) + np.triu(D, 1).T
        H[j:, i:j] = H[i:j, j:].T
    return H.T
