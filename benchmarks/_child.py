"""Timed jobs in child processes, at one pinned thread or at all cores.

A benchmark runs each method in a fresh child process (its own interpreter,
possibly another virtual environment) on data saved to disk, so that peers and
sksubspace are measured alike: the child times its job (CPU time of all its
threads and wall time, from ``getrusage``) and prints one ``RESULT {json}``
line; the parent adds the child's peak resident memory (``wait4``'s
``ru_maxrss``, whole process: interpreter, imports and data included).

Only the standard library is used here, so a child running in a peer's
environment can import this module too.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def n_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def thread_settings(pythonpath=None):
    """``(label, env, command prefix)``: one thread pinned to core 0, then all cores."""
    base = dict(os.environ)
    if pythonpath:
        base["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, base.get("PYTHONPATH")]))
    one = {**base, **{v: "1" for v in THREAD_VARS}}
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    every = {k: v for k, v in base.items() if k not in THREAD_VARS}
    label = "1 thread, pinned (taskset -c 0)" if pin else "1 thread (not pinned: no taskset)"
    return [(label, one, pin), (f"all {n_cores()} cores", every, [])]


def run_child(args, env, prefix=(), *, python=None, cwd=None, timeout=None):
    """Run ``python args...`` and return its RESULT dict plus ``peak_mib``, or raise."""
    cmd = [*prefix, python or sys.executable, *args]
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    t0 = time.monotonic()
    try:
        out = proc.stdout.read()
    finally:
        proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if timeout is not None and time.monotonic() - t0 > timeout:
        raise RuntimeError(f"{' '.join(cmd)} took longer than {timeout} s")
    lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(out.strip().splitlines()[-5:])
        raise RuntimeError(f"child {' '.join(cmd)} failed ({proc.returncode}):\n{tail}")
    res = json.loads(lines[-1][len("RESULT ") :])
    res["peak_mib"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return res


def timed(fn):
    """``fn()`` and its CPU (all threads) and wall seconds, measured in this process."""
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - w0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return out, cpu, wall


def _rss_mib():
    """Resident memory of this process now (MiB; Linux ``/proc``), or None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except OSError:
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_added(fn, every=0.002):
    """``fn()`` and the most resident memory (MiB) it added over what the process held before.

    A thread samples the resident size every ``every`` seconds while ``fn``
    runs (memory of every kind: NumPy, compiled kernels, BLAS buffers), so the
    number is the job's working memory, apart from the interpreter, the
    imports and the data the process already held. None where ``/proc`` is
    missing.
    """
    import threading

    before = _rss_mib()
    if before is None:
        return fn(), None
    top = [before]
    stop = threading.Event()

    def sample():
        while not stop.wait(every):
            top[0] = max(top[0], _rss_mib())

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    try:
        out = fn()
    finally:
        stop.set()
        watcher.join()
    top[0] = max(top[0], _rss_mib())
    return out, top[0] - before


def peak_mib(fn):
    """Peak traced Python-heap memory (MiB) of one ``fn()`` call (NumPy allocations included)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def report(**fields):
    """Print the child's RESULT line (JSON)."""
    print("RESULT " + json.dumps(fields), flush=True)


ROWS_ENV = "SKSUBSPACE_BENCH_CHILD_ROWS"


def collect_rows():
    """In the parent, before starting children: a file they append their rows to.

    Sets ``SKSUBSPACE_BENCH_CHILD_ROWS`` in ``os.environ`` (children started
    with a copy of it inherit it); read the rows back with :func:`read_rows`.
    """
    fd, path = tempfile.mkstemp(prefix="bench_rows_", suffix=".jsonl")
    os.close(fd)
    os.environ[ROWS_ENV] = path
    return path


def send_rows(rows):
    """In a child: append ``rows`` (``_record.comparison`` dicts) for the parent, if it asked."""
    path = os.environ.get(ROWS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)


def read_rows(path):
    """In the parent: the rows the children sent (in order); removes the file."""
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    finally:
        os.unlink(path)
        os.environ.pop(ROWS_ENV, None)
