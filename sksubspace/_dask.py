"""The one module that knows about Dask arrays (the optional ``dask`` extra).

Estimators that accept data larger than memory take a ``dask.array.Array``
whose chunks are **row blocks**: any number of chunks along the rows and one
chunk spanning all the columns. This module recognises such inputs without
importing Dask when the user never did, normalises their chunking, and hands
out the row blocks one at a time so a ``partial_fit`` loop never holds more
than one block in memory.

Dask is never required: without it, :func:`is_dask_array` is simply False.
"""

from __future__ import annotations

import importlib

import numpy as np

from ._backend import is_dask_array  # noqa: F401  (re-export: the Dask plumbing's entry)
from ._linalg import randomized_svd
from ._validation import check_random_state

__all__ = [
    "is_dask_array",
    "pick_ops",
    "import_dask_array",
    "reject_sample_weight",
    "as_row_chunked",
    "iter_row_blocks",
    "validate_dask_data",
    "map_row_blocks",
    "dask_svt",
    "DaskLowRankOps",
    "persist",
    "gather_rows",
]

_DASK_HELP = (
    "Dask arrays need the optional dask extra: `pip install sksubspace[dask]` "
    "(or `pip install 'dask[array,distributed]'`)."
)


def pick_ops(X, *, in_memory, dask):
    """The strategy object that works on ``X``: ``dask`` for a Dask array, else ``in_memory``.

    The one place where an estimator that declares ``_accepts_dask`` tells
    Dask input from in-memory input: its ``fit`` (``partial_fit``,
    ``transform``, ``predict``) asks once and calls the chosen object, whose
    methods have the same names and signatures on both sides (RobustPCA's
    ``_InMemoryOps`` / :class:`DaskLowRankOps` are the pattern). Every other
    estimator never sees a Dask array: ``validate_data`` refuses it.
    """
    return dask if is_dask_array(X) else in_memory


def reject_sample_weight(sample_weight, name):
    """Raise for ``sample_weight`` with Dask input to ``name``, which streams blocks unweighted."""
    if sample_weight is not None:
        raise ValueError(
            f"{name} supports sample_weight for in-memory X; a Dask array streams its "
            "blocks unweighted. Compute the array first."
        )


def import_dask_array():
    """``dask.array``, or an ``ImportError`` that says how to install it."""
    try:
        return importlib.import_module("dask.array")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_DASK_HELP) from exc


def as_row_chunked(X, *, name="X"):
    """Check a 2-D Dask array and give it one chunk along the columns.

    Row chunks are kept as the user made them (they are the unit of work and of
    memory); column chunks are merged, which is lazy and cheap when the number
    of columns is moderate, as it is for every estimator that accepts Dask.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
    name : str
        The parameter's name, for error messages.

    Returns
    -------
    X : dask.array.Array
        The same data, chunked by rows only.
    """
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D dask array for {name}, got {X.ndim}D with shape {X.shape}."
        )
    if any(c != c for c in X.shape):  # NaN sizes: unknown chunk lengths
        raise ValueError(
            f"{name} has unknown chunk sizes (shape {X.shape}); call "
            f"{name}.compute_chunk_sizes() first."
        )
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def iter_row_blocks(X):
    """Yield the row blocks of a Dask array as in-memory arrays, one at a time.

    Each block is computed only when the loop reaches it, so a ``partial_fit``
    over the blocks needs the memory of one block, not of the whole array.
    """
    X = as_row_chunked(X)
    for block in X.to_delayed().ravel():
        yield block.compute()


def validate_dask_data(
    estimator, X, *, reset=True, allow_nan=False, device=None, check_finite=True
):
    """``validate_data`` for a Dask array: checks without gathering the data.

    The array is made row-chunked (:func:`as_row_chunked`), integers and
    booleans become float64 (lazily), float32 and float64 are kept, and
    ``n_features_in_`` is set (``reset=True``) or checked. Infinities (and NaN
    unless ``allow_nan``) are looked for in one blockwise pass, as
    scikit-learn's ``validate_data`` does for in-memory data; pass
    ``check_finite=False`` when every block is validated anyway as it arrives
    (a ``partial_fit`` loop), to save that pass.

    ``device="gpu"`` is refused: a Dask array computes where its chunks live,
    so GPU work on Dask means CuPy chunks (``X.map_blocks(cupy.asarray)``,
    one GPU per worker) with ``device=None``.
    """
    if device == "gpu":
        raise ValueError(
            "device='gpu' does not apply to a dask array: a dask array is computed "
            "where its chunks live. Give it CuPy chunks (X.map_blocks(cupy.asarray), "
            "one GPU per worker, e.g. with dask-cuda's LocalCUDACluster) and leave "
            "device=None."
        )
    X = as_row_chunked(X)
    kind = X.dtype.kind
    if kind in "iub":
        X = X.astype("float64")
    elif kind != "f":
        raise TypeError(f"X must hold real numbers; got dtype {X.dtype}.")
    elif X.dtype.itemsize not in (4, 8):
        X = X.astype("float64")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(
            f"Found array with shape {X.shape}; at least one sample and one feature are required."
        )
    if reset:
        estimator.n_features_in_ = int(X.shape[1])
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    elif X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    if not check_finite:
        return X
    da = import_dask_array()
    bad = da.isinf(X) if allow_nan else ~da.isfinite(X)
    if bool(bad.any().compute()):
        raise ValueError("Input X contains " + ("infinity." if allow_nan else "NaN or infinity."))
    return X


def map_row_blocks(func, X, n_columns, *, dtype=None):
    """Apply an in-memory ``func`` (rows in, rows out) to each row block, lazily.

    ``func`` maps an ``(n_rows, n_features)`` block to ``(n_rows, n_columns)``;
    the result is a Dask array with the row chunks of ``X`` (e.g. a
    ``transform`` of data larger than memory, computed on the workers).
    """
    X = as_row_chunked(X)
    return X.map_blocks(
        func,
        dtype=X.dtype if dtype is None else dtype,
        chunks=(X.chunks[0], (int(n_columns),)),
    )


def dask_svt(A, threshold, *, rank_guess=None, n_iter=2, random_state=None):
    """Singular value thresholding of a row-chunked Dask array, blockwise.

    The Dask counterpart of :func:`sksubspace._linalg.svt`: returns
    ``(U, s - threshold, Vt)`` restricted to ``s > threshold``, where ``s``
    and ``Vt`` (r x n) are NumPy arrays and ``U`` (m x r) is a *lazy*
    row-chunked Dask array (persist it with whatever else reads the same
    blocks, as the robust PCA loop does).

    * Tall ``A`` (at least as many rows as columns, the usual case for data
      chunked by rows): ``s`` and ``Vt`` are exact, from
      ``dask.array.linalg.svd`` (``tsqr``: one QR per row block and one SVD of
      the stacked ``n x n`` triangular factors, a single pass over ``A``),
      and ``U = A V diag(1/s)`` is a blockwise product. Its O(m n^2) flops
      beat a randomized SVD's repeated passes when every pass means
      recomputing (or reading) the blocks.
    * Wide ``A``: the shared :func:`sksubspace._linalg.randomized_svd`, through
      which the Dask array flows lazily (products blockwise, QR by ``tsqr``),
      of rank ``rank_guess`` doubled until the smallest singular value falls
      below ``threshold``.

    Signs are not normalized (apply :func:`sksubspace._linalg.svd_flip` to
    the final factors if they are returned to a user).
    """
    import dask

    da = import_dask_array()
    threshold = float(threshold)
    m, n = A.shape
    if m >= n:
        _, s, Vt = da.linalg.svd(A)
        s, Vt = dask.compute(s, Vt)
        r = int((s > threshold).sum())
        s, Vt = s[:r], Vt[:r, :]
        U = A @ (Vt.T / s) if r else da.zeros((m, 0), dtype=A.dtype, chunks=(A.chunks[0], 0))
        return U, s - threshold, Vt
    rng = check_random_state(random_state)
    k = max(1, int(rank_guess) if rank_guess is not None else 10)
    while True:
        k = min(k, m)
        U, s, Vt = randomized_svd(
            A, k, n_oversamples=max(10, k // 4), n_iter=n_iter, random_state=rng
        )
        U, s, Vt = persist(U, s, Vt)
        s, Vt = dask.compute(s, Vt)
        if k >= m or s[-1] <= threshold:
            break
        k = 2 * k
    r = int((s > threshold).sum())
    return U[:, :r], s[:r] - threshold, Vt[:r, :]


class DaskLowRankOps:
    """The data-dependent steps of a low-rank ALM loop for a Dask array.

    Same three methods as the in-memory operations of
    ``sksubspace.decomposition._robust_pca`` (``spectral_norm``, ``svt``,
    ``persist``): the low-rank step is :func:`dask_svt` and ``dask.persist``
    materializes, on the workers, only what later steps read (the low-rank
    factors, the multiplier); every elementwise step of the loop stays lazy
    and blockwise.
    """

    @staticmethod
    def spectral_norm(D, rng):
        _, s, _ = dask_svt(D, 0.0, rank_guess=1, random_state=rng)
        return float(s[0])

    @staticmethod
    def svt(A, threshold, *, rank_guess, start, rng):
        # No warm start for the wide (randomized) case: concatenating it with
        # the random columns would split the sketch into two column chunks,
        # which tsqr refuses; a second power iteration makes up for it.
        return dask_svt(A, threshold, rank_guess=rank_guess, n_iter=2, random_state=rng)

    @staticmethod
    def persist(*arrays):
        return persist(*arrays)

    @staticmethod
    def low_rank(L, U, s, Vt):
        """``L = U diag(s) Vt`` rebuilt from the persisted ``U``.

        The ``L`` the iteration computed with reaches, through the lazy ``U``
        of the SVT, back to every earlier iteration's multiplier: kept, it
        would hold one copy of ``X`` per iteration on the workers.
        """
        return (U * s) @ Vt


def persist(*collections):
    """``dask.persist`` whose results hold only their own data.

    A persisted Dask array can still reach, through the graph objects it was
    built from, the persisted arrays it was computed from (with dask 2026.8,
    ``Y = (Y + 1).persist()`` in a loop on a ``distributed`` client kept every
    earlier ``Y``), and an iterative solver that persists its state each
    iteration would hold one more copy per iteration. Each result is rebuilt
    here from its own keys (futures on a ``dask.distributed`` cluster, NumPy
    blocks otherwise), so earlier states are freed as soon as nothing else
    refers to them (the ALM loop must also drop its own lazy references:
    :meth:`DaskLowRankOps.low_rank`). ``Delayed`` results likewise; other
    values pass through.
    """
    import dask
    from dask.core import flatten
    from dask.delayed import Delayed

    out = []
    for c in dask.persist(*collections):
        if is_dask_array(c):
            dsk = dict(c.__dask_graph__())
            own = {k: dsk[k] for k in flatten(c.__dask_keys__())}
            c = type(c)(own, c.name, c.chunks, meta=c._meta)
        elif isinstance(c, Delayed):
            c = Delayed(c.key, {c.key: dict(c.__dask_graph__())[c.key]})
        out.append(c)
    return tuple(out)


def gather_rows(X):
    """A row-chunked Dask array as one NumPy array, assembled in the calling process.

    ``X.compute()`` on a ``dask.distributed`` cluster first concatenates every
    block on one worker (its "finalize" task), which needs the whole result in
    one worker's memory; here each block travels to the caller on its own.
    """
    import dask

    blocks = dask.compute(*as_row_chunked(X).to_delayed().ravel())
    return np.concatenate([np.asarray(b) for b in blocks], axis=0)


# --- row-block computations shared by the estimators that accept Dask ---

__all__ += [
    "align_rows",
    "iter_aligned_row_blocks",
    "row_block_delayed",
    "tree_sum",
    "row_block_sum",
]


def align_rows(y, X, *, name="y"):
    """``y`` (Dask or in-memory, 1-D or 2-D) as a Dask array with the row chunks of ``X``.

    ``X`` must already be row-chunked (:func:`as_row_chunked`). An in-memory
    ``y`` is wrapped without copying; a Dask ``y`` is rechunked lazily to the
    same row blocks (and one chunk along its columns).
    """
    da = import_dask_array()
    n = X.shape[0]
    if not is_dask_array(y):
        y = np.asarray(y)
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise ValueError(
            f"{name} must have shape ({n},) or ({n}, n_targets) to match X; got {y.shape}."
        )
    chunks = (X.chunks[0],) + ((-1,) if y.ndim == 2 else ())
    if is_dask_array(y):
        return y.rechunk(chunks)
    return da.from_array(y, chunks=chunks)


def iter_aligned_row_blocks(X, y):
    """Yield ``(X_block, y_block)`` pairs, in memory, one row block at a time."""
    X = as_row_chunked(X)
    y = align_rows(y, X)
    for xb, yb in zip(X.to_delayed().ravel(), y.to_delayed().ravel(), strict=True):
        yield xb.compute(), yb.compute()


def row_block_delayed(X):
    """The row blocks of a row-chunked Dask array as ``dask.delayed`` objects.

    Nothing is computed: functions applied to them run where the blocks live
    (on the workers of a ``dask.distributed`` cluster).
    """
    return list(as_row_chunked(X).to_delayed().ravel())


def _add_all(*parts):
    """Elementwise sum of arrays, or of tuples of arrays."""
    if isinstance(parts[0], tuple):
        return tuple(_add_all(*group) for group in zip(*parts, strict=True))
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def tree_sum(parts, split_every=8):
    """Sum delayed values (arrays or tuples of arrays) in a tree of delayed additions.

    The partial sums are added on the workers, ``split_every`` at a time, so
    the caller receives one value and no worker holds more than
    ``split_every`` partial results at once.
    """
    import dask

    add = dask.delayed(_add_all, pure=True)
    parts = list(parts)
    while len(parts) > 1:
        parts = [add(*parts[i : i + split_every]) for i in range(0, len(parts), split_every)]
    return parts[0]


def row_block_sum(func, X, *others):
    """``sum_b func(X_b, *others_b)`` over the row blocks, computed where the blocks live.

    ``func`` (a picklable function) maps aligned in-memory row blocks to an
    array of a fixed shape (e.g. ``M x M``); the partial results are added by
    :func:`tree_sum`, so no worker ever holds more than one row block of ``X``
    and a few partial sums. Runs on the active Dask scheduler (a
    ``distributed.Client`` when one is set). Returns the in-memory sum.
    """
    import dask

    X = as_row_chunked(X)
    others = [align_rows(o, X, name="array") for o in others]
    blocks = [row_block_delayed(X)] + [list(o.to_delayed().ravel()) for o in others]
    parts = [dask.delayed(func)(*bs) for bs in zip(*blocks, strict=True)]
    return tree_sum(parts).compute()
