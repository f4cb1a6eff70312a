"""Progress bars for long ``verbose`` loops: tqdm when installed, plain text otherwise.

``progress_bar(...)`` returns a :class:`ProgressBar` that is silent unless
``verbose`` is set. With `tqdm <https://tqdm.github.io>`_ installed (the
``progress`` extra: ``pip install sksubspace[progress]``) it draws tqdm's bar
with rate and ETA; without it, it prints one plain line at most every
``min_interval`` seconds (and a last one when it closes), with the same facts::

    [EnSC] coding: 4096/10000 rows (41%), 812 rows/s, 5.0 s elapsed, ETA 7.3 s

Use it as an iterable wrapper or update it by hand; close it (or use it as a
context manager) so that the last line is printed::

    for epoch in progress_bar(range(max_iter), desc="epochs", verbose=self.verbose):
        ...

    with progress_bar(total=n, desc="coding", unit="rows", verbose=verbose) as bar:
        for start, stop in blocks:
            ...
            bar.update(stop - start)
"""

from __future__ import annotations

import sys
import threading
import time

__all__ = ["ProgressBar", "progress_bar"]


def _format_seconds(seconds):
    """``'42.0 s'``, ``'3 min 05 s'`` or ``'2 h 07 min'``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _format_rate(rate, unit):
    if rate >= 100:
        return f"{rate:.0f} {unit}/s"
    if rate >= 1 or rate == 0:
        return f"{rate:.3g} {unit}/s"
    return f"{1 / rate:.3g} s/{unit}"


def _tqdm_class():
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


class ProgressBar:
    """A progress bar over ``total`` units: tqdm's, a plain-text one, or a silent one.

    Build it with :func:`progress_bar`. Iterating over it iterates over the
    wrapped iterable and counts one unit per item; :meth:`update` counts by
    hand. :meth:`write` prints a line without breaking the bar.
    """

    def __init__(self, iterable, total, desc, unit, backend, file, min_interval):
        if total is None and iterable is not None:
            try:
                total = len(iterable)
            except TypeError:
                total = None
        self.iterable = iterable
        self.total = total
        self.desc = desc
        self.unit = unit
        self.backend = backend  # "tqdm", "text" or "off"
        self.file = file
        self.min_interval = min_interval
        self.n = 0
        self._printed_n = None  # the count of the last plain-text line
        self.postfix = ""
        self._closed = False
        self._start = self._last_print = time.perf_counter()
        self._tqdm = None
        self._lock = threading.Lock()  # blocks may finish on several threads
        if backend == "tqdm":
            self._tqdm = _tqdm_class()(
                total=total,
                desc=desc,
                unit=unit,
                file=file,
                mininterval=min(min_interval, 0.5),
                dynamic_ncols=True,
                leave=True,
            )

    # -- counting -------------------------------------------------------------
    def __iter__(self):
        if self.iterable is None:
            raise TypeError("this progress bar wraps no iterable; call update() instead")
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def update(self, n=1):
        """Count ``n`` more units done (safe to call from several threads)."""
        with self._lock:
            self.n += n
            if self._tqdm is not None:
                self._tqdm.update(n)
            elif self.backend == "text":
                now = time.perf_counter()
                if now - self._last_print >= self.min_interval:
                    self._last_print = now
                    self._printed_n = self.n
                    self._print(self.line(now))

    def set_postfix(self, text):
        """Show ``text`` (e.g. the current objective) after the counts."""
        self.postfix = str(text)
        if self._tqdm is not None:
            self._tqdm.set_postfix_str(self.postfix, refresh=False)

    def write(self, text):
        """Print ``text`` on its own line (above tqdm's bar); printed even when silent."""
        if self._tqdm is not None:
            self._tqdm.write(str(text), file=self.file)
        else:
            print(text, file=self.file if self.file is not None else sys.stdout, flush=True)

    def close(self):
        """Finish the bar: tqdm's last refresh, or the plain-text last line."""
        if self._closed:
            return
        self._closed = True
        if self._tqdm is not None:
            self._tqdm.close()
        elif self.backend == "text" and self._printed_n != self.n:
            self._print(self.line(time.perf_counter()))  # unless that line was just printed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- plain text -----------------------------------------------------------
    def line(self, now=None):
        """The plain-text progress line: counts, percentage, rate, elapsed, ETA."""
        now = time.perf_counter() if now is None else now
        elapsed = now - self._start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        head = f"{self.desc}: " if self.desc else ""
        if self.total:
            counts = f"{self.n}/{self.total} {self.unit} ({100 * self.n / self.total:.0f}%)"
        else:
            counts = f"{self.n} {self.unit}"
        parts = [
            head + counts,
            _format_rate(rate, self.unit),
            f"{_format_seconds(elapsed)} elapsed",
        ]
        if self.total and 0 < self.n < self.total and rate > 0:
            parts.append(f"ETA {_format_seconds((self.total - self.n) / rate)}")
        if self.postfix:
            parts.append(self.postfix)
        return ", ".join(parts)

    def _print(self, text):
        print(text, file=self.file if self.file is not None else sys.stderr, flush=True)


def progress_bar(
    iterable=None,
    *,
    total=None,
    desc=None,
    unit="it",
    verbose=1,
    use_tqdm=None,
    file=None,
    min_interval=1.0,
):
    """A progress bar with rate and ETA, shown only when ``verbose`` is set.

    Parameters
    ----------
    iterable : iterable, default=None
        What to iterate over (one unit per item); ``None`` to count with
        :meth:`ProgressBar.update`.
    total : int, default=None
        Number of units; ``len(iterable)`` when it has one. Without a total the
        bar shows counts and rate but no percentage or ETA.
    desc : str, default=None
        Label in front of the counts, e.g. ``"[EnSC] coding"``.
    unit : str, default="it"
        Name of one unit, e.g. ``"rows"`` or ``"epochs"``.
    verbose : int or bool, default=1
        Silent when false (the bar still counts and still iterates).
    use_tqdm : bool, default=None
        ``None`` uses tqdm when it is installed, ``False`` always the plain
        text, ``True`` requires tqdm.
    file : file-like, default=None
        Where the bar goes; standard error by default.
    min_interval : float, default=1.0
        Plain text: the least number of seconds between two printed lines.

    Returns
    -------
    bar : ProgressBar

    Examples
    --------
    >>> import io
    >>> from sksubspace.utils._progress import progress_bar
    >>> out = io.StringIO()
    >>> total = 0
    >>> for k in progress_bar(range(4), desc="sum", verbose=1, use_tqdm=False, file=out):
    ...     total += k
    >>> total
    6
    >>> out.getvalue().startswith("sum: 4/4 it (100%)")
    True
    """
    if not verbose:
        backend = "off"
    elif use_tqdm is False:
        backend = "text"
    elif _tqdm_class() is not None:
        backend = "tqdm"
    elif use_tqdm:
        raise ImportError("use_tqdm=True needs tqdm: pip install tqdm (or sksubspace[progress]).")
    else:
        backend = "text"
    return ProgressBar(iterable, total, desc, unit, backend, file, min_interval)
