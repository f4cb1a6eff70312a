"""Host threads over row blocks, for streamed NumPy loops whose work is elementwise.

NumPy's ufuncs (``exp``, ``tanh``, ...) run on one core and release the GIL, so
a loop over row blocks whose time goes into them (kernel blocks formed on the
fly) runs nearly ``n_threads`` times faster when the blocks are shared among
threads. BLAS is limited to one thread meanwhile so that the two levels of
threading do not compete for the cores. Other namespaces (CuPy: one device
stream) run the blocks in order.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import threadpool_limits

__all__ = ["effective_n_threads", "row_blocks", "threaded_block_sum", "threaded_block_map"]


def effective_n_threads(n_threads=None):
    """Threads to use: ``n_threads`` if given, else the CPUs this process may run on.

    ``OMP_NUM_THREADS``, when set, caps the default (as for scikit-learn's
    OpenMP code; joblib's process workers set it to their share of the cores).
    Off the main thread the default is 1: the caller is then already one of
    several threads (a Dask worker, joblib's threading backend), and the
    process-wide BLAS limit taken while blocks run must not be entered and
    left by concurrent callers.
    """
    if n_threads is not None:
        return max(1, int(n_threads))
    if threading.current_thread() is not threading.main_thread():
        return 1
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        n = min(n, int(env))
    return max(1, n)


def row_blocks(n_rows, step):
    """``(start, stop)`` of consecutive row blocks of at most ``step`` rows."""
    return [(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


def _add(total, part):
    if total is None:
        return part
    if isinstance(total, tuple):
        return tuple(_add(t, p) for t, p in zip(total, part, strict=True))
    if part is None:
        return total
    total += part
    return total


def threaded_block_sum(fn, blocks, n_threads=1):
    """Sum of ``fn(start, stop, acc)`` over ``blocks``, each thread with its own total.

    ``fn`` folds one block into ``acc`` (``None`` for a thread's first block)
    and returns the new total: an array, or a tuple of arrays (or ``None``)
    added entry by entry. Thread ``t`` takes blocks ``t, t + n_threads, ...``;
    the per-thread totals are added at the end, so the result equals the
    sequential sum up to the order of floating point additions.
    """
    n_threads = max(1, min(int(n_threads), len(blocks)))

    def run(part):
        acc = None
        for start, stop in part:
            acc = fn(start, stop, acc)
        return acc

    if n_threads == 1:
        return run(blocks)
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(n_threads) as ex:
        parts = list(ex.map(run, [blocks[t::n_threads] for t in range(n_threads)]))
    total = None
    for part in parts:
        total = _add(total, part)
    return total


def threaded_block_map(fn, blocks, n_threads=1, *, verbose=0, desc=None):
    """``[fn(start, stop) for start, stop in blocks]`` in order, on ``n_threads`` threads.

    With ``verbose``, a progress bar over the rows (``desc`` its label) shows
    the rate and the time left.
    """
    from ._progress import progress_bar

    n_threads = max(1, min(int(n_threads), len(blocks)))
    total = sum(stop - start for start, stop in blocks)
    with progress_bar(total=total, desc=desc, unit="rows", verbose=verbose) as bar:

        def run(block):
            out = fn(*block)
            bar.update(block[1] - block[0])
            return out

        if n_threads == 1:
            return [run(block) for block in blocks]
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(n_threads) as ex:
            return list(ex.map(run, blocks))
