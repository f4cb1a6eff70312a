"""Count device-to-host transfers of array_api_strict arrays (a stand-in for a GPU).

On a GPU every conversion of a device array to host data is a synchronizing
copy: ``float(x)``, ``int(x)``, ``bool(x)`` (an ``if`` on a 0-d array),
``np.asarray(x)`` / ``np.from_dlpack(x)`` (``sksubspace._backend.to_numpy``),
using an array as an index (``__index__``), and every operation whose output
shape depends on the data (boolean-mask indexing, ``nonzero``, ``unique_*``),
which must read a count back before it can allocate. :class:`TransferCounter`
patches exactly those points of ``array_api_strict`` and records each with
the line of sksubspace (or of the test) that caused it, so a fit can be
checked to stay on the device except for a small constant number of reads per
iteration.

Nested conversions (``to_numpy`` tries ``__dlpack__``, falls back on
``__array__``) count once: only the outermost successful call is recorded.
"""

from __future__ import annotations

import collections
import functools
import sys
import traceback

__all__ = ["TransferCounter"]

#: Array methods that hand data to the host.
_CONVERSIONS = (
    "__array__",
    "__dlpack__",
    "__float__",
    "__int__",
    "__bool__",
    "__index__",
    "__complex__",
)

#: Namespace functions whose output shape depends on the data (a read-back on a GPU).
_DATA_DEPENDENT = ("nonzero", "unique_all", "unique_counts", "unique_inverse", "unique_values")


def _nbytes(x):
    size = 1
    for n in x.shape:
        size *= n
    return size * x.dtype._np_dtype.itemsize


def _is_mask(key, array_type, bool_dtype):
    keys = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, array_type) and k.dtype == bool_dtype for k in keys)


class TransferCounter:
    """Context manager counting device-to-host transfers of ``array_api_strict`` arrays.

    Attributes
    ----------
    count : int
        Transfers recorded so far.
    nbytes : int
        Bytes they moved (whole arrays for ``__array__`` / ``__dlpack__``, 8
        for a scalar or a data-dependent size).
    sites : collections.Counter
        ``"path:line (kind)"`` of the first sksubspace / tests frame of each
        transfer, with its number of occurrences.

    Examples
    --------
    >>> import array_api_strict as xs
    >>> with TransferCounter() as t:
    ...     _ = float(xs.sum(xs.ones(3)))
    >>> t.count
    1
    """

    def __init__(self):
        import array_api_strict

        self._xs = array_api_strict
        self._array_type = type(array_api_strict.asarray(0.0))
        self.count = 0
        self.nbytes = 0
        self.sites = collections.Counter()
        self._depth = 0
        self._saved = []

    def reset(self):
        self.count = 0
        self.nbytes = 0
        self.sites.clear()

    def _site(self, kind):
        for frame in reversed(traceback.extract_stack(limit=40)[:-2]):
            name = frame.filename.replace("\\", "/")
            if name.endswith(("sksubspace/_backend.py", "tests/_transfers.py")):
                continue  # report who asked for the conversion, not the helper
            if "/sksubspace/" in name or "/tests/" in name:
                short = name.split("/sksubspace/")[-1] if "/sksubspace/" in name else name
                short = short.split("/tests/")[-1]
                return f"{short}:{frame.lineno} ({kind})"
        return f"? ({kind})"

    def _wrap(self, func, kind, when=None):
        counter = self

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if counter._depth or (when is not None and not when(*args, **kwargs)):
                return func(*args, **kwargs)
            counter._depth += 1
            try:
                out = func(*args, **kwargs)
            finally:
                counter._depth -= 1
            counter.count += 1
            counter.nbytes += _nbytes(args[0]) if kind in ("array", "dlpack") else 8
            counter.sites[counter._site(kind)] += 1
            return out

        return wrapper

    def _patch(self, owner, name, new):
        self._saved.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, new)

    def __enter__(self):
        cls = self._array_type
        for name in _CONVERSIONS:
            if name in cls.__dict__:
                self._patch(cls, name, self._wrap(cls.__dict__[name], name.strip("_")))
        array_type = self._array_type
        self._patch(
            cls,
            "__getitem__",
            self._wrap(
                cls.__dict__["__getitem__"],
                "boolean mask",
                when=lambda self_, key: _is_mask(key, array_type, self._xs.bool),
            ),
        )
        module = sys.modules[self._xs.__name__]
        for name in _DATA_DEPENDENT:
            if name in module.__dict__:
                self._patch(module, name, self._wrap(module.__dict__[name], name))
        return self

    def __exit__(self, *exc):
        while self._saved:
            owner, name, old = self._saved.pop()
            setattr(owner, name, old)
        return False

    def report(self, top=8):
        """The most frequent transfer sites, one per line."""
        return "\n".join(f"{n:5d}  {site}" for site, n in self.sites.most_common(top))
