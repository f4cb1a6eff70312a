"""Machine-readable results of a benchmark, for the figures and summary of the docs.

The convention: a ``benchmarks/bench_<name>.py`` script collects one row per
comparison (ours against one peer on one workload) and calls :func:`record`
once at the end::

    from _record import comparison, record

    rows = [comparison("Gr(50, 4), 5000 pairs", ours_time=0.01, peer="scipy loop",
                       peer_time=0.9, metric="max |diff|", ours_quality=1e-15,
                       peer_quality=0.0, higher_is_better=False)]
    record(rows, family="Grassmann classifiers")

When the script runs under ``doc/_tools/run_benchmarks.py`` (which sets
``SKSUBSPACE_BENCH_JSON``), ``record`` writes the rows as JSON next to the
recorded text, ``doc/benchmarks/bench_<name>.json``; the benchmarks page draws
a figure (time ratio and quality, ours against each peer, per workload) and the
summary table at its top from these files. Run by hand, ``record`` does nothing
unless that variable names a file.

``family`` is the family's name as in the landing page's table ("Subspace
clustering", "Robust PCA", "Dictionary learning", "Matrix completion", "Kernel
regression", "Grassmann classifiers", "Foundation"): the summary table has one
row per family. Row keys: ``workload`` (size and data, e.g. ``"digits, 70/30 split"``), ``ours``
(our estimator), ``ours_time`` (seconds, median), ``peer`` (the alternative),
``peer_time``, ``metric`` (quality measure), ``ours_quality``, ``peer_quality``
(``None`` when not measured) and ``higher_is_better``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

ENV = "SKSUBSPACE_BENCH_JSON"


def comparison(
    workload,
    *,
    ours_time,
    peer,
    peer_time,
    ours="sksubspace",
    metric=None,
    ours_quality=None,
    peer_quality=None,
    higher_is_better=True,
):
    """One row: ours against ``peer`` on ``workload`` (times in seconds)."""

    def num(x):
        return None if x is None or not math.isfinite(float(x)) else float(x)

    return dict(
        workload=str(workload),
        ours=str(ours),
        ours_time=num(ours_time),
        peer=str(peer),
        peer_time=num(peer_time),
        metric=metric,
        ours_quality=num(ours_quality),
        peer_quality=num(peer_quality),
        higher_is_better=bool(higher_is_better),
    )


def record(rows, *, family, path=None):
    """Write ``rows`` (from :func:`comparison`) for the docs; returns the path or None."""
    path = path or os.environ.get(ENV)
    if not path:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"family": family, "rows": list(rows)}, indent=1) + "\n")
    return path
