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
import sys

__all__ = ["is_dask_array", "import_dask_array", "as_row_chunked", "iter_row_blocks"]

_DASK_HELP = (
    "Dask arrays need the optional dask extra: `pip install sksubspace[dask]` "
    "(or `pip install 'dask[array,distributed]'`)."
)


def is_dask_array(X) -> bool:
    """True when ``X`` is a ``dask.array.Array`` (never imports Dask itself)."""
    if "dask.array" not in sys.modules:
        return False
    return isinstance(X, sys.modules["dask.array"].Array)


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
        import numpy as np

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
