"""Host threads over row blocks, for streamed NumPy loops whose work is elementwise.

NumPy's ufuncs (``exp``, ``tanh``, ...) run on one core and release the GIL, so
a loop over row blocks whose time goes into them (kernel blocks formed on the
fly) runs nearly ``n_threads`` times faster when the blocks are shared among
threads. BLAS is limited to one thread meanwhile so that the two levels of
threading do not compete for the cores. Other namespaces (CuPy: one device
stream) run the blocks in order.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import joblib
from threadpoolctl import threadpool_limits

from ._progress import progress_bar

__all__ = [
    "block_pool",
    "effective_n_threads",
    "n_jobs_context",
    "row_blocks",
    "threaded_block_map",
    "threaded_block_sum",
    "uses_n_jobs",
]


_N_JOBS = contextvars.ContextVar("sksubspace_n_jobs", default=None)


def effective_n_threads(n_threads=None):
    """Threads to use: the one rule for every threaded loop of sksubspace.

    ``n_threads`` (or, when it is None, the ``n_jobs`` of the estimator whose
    method is running, see :func:`n_jobs_context`) follows scikit-learn's
    ``n_jobs``: a positive count, or ``-1`` for all available CPUs (``-2`` all
    but one, ...). Available CPUs come from ``joblib.cpu_count()``, which
    respects the process's affinity and container (cgroup) CPU limits.

    ``None`` (the default) takes the available CPUs, capped by
    ``OMP_NUM_THREADS`` when set (as for scikit-learn's OpenMP code; joblib's
    process workers set it to their share of the cores). Off the main thread
    the default is 1: the caller is then already one of several threads (a
    Dask worker, joblib's threading backend), and the process-wide BLAS limit
    taken while blocks run (threadpoolctl) must not be entered and left by
    concurrent callers.
    """
    if n_threads is None:
        n_threads = _N_JOBS.get()
    n_cpus = max(1, joblib.cpu_count())
    if n_threads is not None:
        n_threads = int(n_threads)
        if n_threads == 0:
            raise ValueError("n_jobs == 0 has no meaning; use None, a positive count or -1.")
        return max(1, n_threads if n_threads > 0 else n_cpus + 1 + n_threads)
    if threading.current_thread() is not threading.main_thread():
        return 1
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        n_cpus = min(n_cpus, int(env))
    return n_cpus


@contextlib.contextmanager
def n_jobs_context(n_jobs):
    """Within the block, :func:`effective_n_threads` defaults to ``n_jobs``.

    A meaningless ``n_jobs`` (0) raises here, whether or not a threaded loop runs.
    """
    if n_jobs is not None:
        effective_n_threads(n_jobs)
    token = _N_JOBS.set(n_jobs)
    try:
        yield
    finally:
        _N_JOBS.reset(token)


def uses_n_jobs(method):
    """Run an estimator method under ``n_jobs_context(self.n_jobs)``."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with n_jobs_context(getattr(self, "n_jobs", None)):
            return method(self, *args, **kwargs)

    return wrapper


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


@contextlib.contextmanager
def block_pool(n_threads):
    """A pool of host threads kept over many row-block loops, or None for one thread.

    Yields ``map_rows(fn, X)``: ``[fn(X[a:b]) for a, b in blocks]`` over
    ``n_threads`` equal row blocks of ``X``, in order, run on the pool. For
    loops too short to pay for a pool and a BLAS limit each time (a
    minibatch): :func:`threaded_block_map` takes both per call. BLAS is held
    at one thread while the pool lives.
    """
    if n_threads <= 1:
        yield None
        return
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(n_threads) as pool:

        def map_rows(fn, X):
            blocks = row_blocks(X.shape[0], -(-X.shape[0] // n_threads))
            return list(pool.map(lambda b: fn(X[b[0] : b[1]]), blocks))

        yield map_rows
