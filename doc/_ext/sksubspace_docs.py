"""Build-time generation of the code-dependent pages of the sksubspace docs.

Nothing here needs editing when an estimator, an example folder or a benchmark
is added: the pages are regenerated from the code on every build.

* ``api/``: one page per public submodule of :mod:`sksubspace` (the names in
  ``sksubspace.__all__``), listing every name of that submodule's ``__all__``
  in autosummary tables (estimators, other classes, functions); autosummary
  then writes one stub page per name into ``api/generated/``.
* ``benchmarks/results.rst.inc``: a summary table (one row per family, from
  the recorded rows ``benchmarks/<name>.json``), then one section per
  ``benchmarks/bench_*.py`` with the script's docstring, a verdict and a
  figure drawn from its rows (``benchmarks/generated/<name>.png``) and the
  recorded output ``benchmarks/<name>.txt`` included literally (or a note when
  there is none yet; ``doc/_tools/run_benchmarks.py`` records them).
* :func:`gallery_subsection_order`: the order of the gallery's subsections
  (one per folder of ``examples/``), used by ``conf.py``.

The functions that compute the page contents are plain Python (no Sphinx
import), so ``tests/test_docs.py`` checks them without building the site.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
from pathlib import Path

DOC_DIR = Path(__file__).resolve().parent.parent
ROOT = DOC_DIR.parent

# Reading order of the public submodules (any other public submodule follows).
SUBMODULE_ORDER = (
    "cluster",
    "decomposition",
    "impute",
    "kernel_ridge",
    "grassmann",
    "compression",
    "datasets",
    "metrics",
    "utils",
)

# Title of each submodule's API page and the user guide pages that explain it.
SUBMODULE_INFO = {
    "cluster": ("Subspace clustering", ["user_guide/subspace_clustering"]),
    "decomposition": (
        "Robust PCA and dictionary learning",
        ["user_guide/robust_pca", "user_guide/dictionary_learning"],
    ),
    "impute": ("Matrix completion", ["user_guide/matrix_completion"]),
    "kernel_ridge": ("Kernel regression", ["user_guide/kernel_ridge"]),
    "grassmann": ("Grassmann classifiers and geometry", ["user_guide/grassmann"]),
    "compression": ("Compressing collections of matrices", ["user_guide/matrix_compression"]),
    "datasets": ("Planted-problem generators", ["user_guide/datasets_metrics"]),
    "metrics": ("Metrics", ["user_guide/datasets_metrics"]),
    "utils": ("Utilities", ["user_guide/gpu"]),
}

# Gallery subsections (folders of examples/) in reading order; others follow.
GALLERY_ORDER = (
    "foundation",
    "subspace_clustering",
    "robust_pca",
    "dictionary_learning",
    "matrix_completion",
    "kernel_ridge",
    "grassmann",
    "compression",
)


# --------------------------------------------------------------------------
# What is public
# --------------------------------------------------------------------------


def public_submodules():
    """Names of the public submodules of sksubspace, in reading order."""
    import sksubspace

    names = list(sksubspace.__all__)
    ordered = [n for n in SUBMODULE_ORDER if n in names]
    return ordered + sorted(n for n in names if n not in ordered)


def _is_estimator(obj):
    from sklearn.base import BaseEstimator

    return inspect.isclass(obj) and issubclass(obj, BaseEstimator)


def public_names(submodule):
    """The public names of ``sksubspace.<submodule>``, sorted into kinds.

    Returns
    -------
    groups : dict
        ``{"estimators": [...], "classes": [...], "functions": [...],
        "data": [...]}``, each a sorted list of names from ``__all__``.

    Raises
    ------
    AttributeError
        When ``__all__`` names something the module does not define.
    """
    module = importlib.import_module(f"sksubspace.{submodule}")
    groups = {"estimators": [], "classes": [], "functions": [], "data": []}
    for name in getattr(module, "__all__", []):
        if not hasattr(module, name):
            raise AttributeError(
                f"sksubspace.{submodule}.__all__ lists {name!r}, which the module does not define."
            )
        obj = getattr(module, name)
        if _is_estimator(obj):
            groups["estimators"].append(name)
        elif inspect.isclass(obj):
            groups["classes"].append(name)
        elif callable(obj):
            groups["functions"].append(name)
        else:
            groups["data"].append(name)
    return {kind: sorted(names) for kind, names in groups.items()}


# --------------------------------------------------------------------------
# API reference pages
# --------------------------------------------------------------------------

_SECTIONS = (
    ("estimators", "Estimators", "class.rst"),
    ("classes", "Classes", "class.rst"),
    ("functions", "Functions", "function.rst"),
)


def _heading(text, char):
    return [text, char * len(text), ""]


def api_module_page(submodule):
    """reStructuredText of the API page of ``sksubspace.<submodule>``."""
    module = importlib.import_module(f"sksubspace.{submodule}")
    full = f"sksubspace.{submodule}"
    title, guides = SUBMODULE_INFO.get(submodule, (submodule.replace("_", " ").capitalize(), []))
    lines = [f".. _api_{submodule}:", ""]
    lines += _heading(f":mod:`{full}`: {title}", "=")
    lines += [f".. module:: {full}", ""]
    summary = inspect.getdoc(module) or ""
    summary = summary.strip().split("\n\n")[0].strip()
    if summary and summary.rstrip(".").lower() != submodule.replace("_", " "):
        lines += [summary, ""]
    if guides:
        links = ", ".join(f":doc:`/{g}`" for g in guides)
        lines += [f"User guide: {links}.", ""]
    groups = public_names(submodule)
    if not any(groups.values()):
        lines += ["This module has no public names yet.", ""]
    for kind, heading, template in _SECTIONS:
        if not groups[kind]:
            continue
        lines += _heading(heading, "-")
        lines += [
            ".. autosummary::",
            "   :toctree: generated/",
            f"   :template: {template}",
            "   :nosignatures:",
            "",
        ]
        lines += [f"   {name}" for name in groups[kind]]
        lines += [""]
    if groups["data"]:
        lines += _heading("Constants", "-")
        lines += [f".. autodata:: {name}" for name in groups["data"]] + [""]
    return "\n".join(lines)


def api_index_page(submodules):
    """reStructuredText of the API reference's index page."""
    lines = [".. _api_reference:", ""]
    lines += _heading("API reference", "=")
    lines += [
        "Every public name of sksubspace, one page per submodule. This reference is",
        "generated from each submodule's ``__all__`` and the docstrings at build time.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    lines += [f"   sksubspace.{sub}" for sub in submodules]
    lines += [""]
    lines += _heading("Summary", "-")
    lines += ["Every public name with the first line of its docstring.", ""]
    for sub in submodules:
        groups = public_names(sub)
        names = groups["estimators"] + groups["classes"] + groups["functions"]
        if not names:
            continue
        lines += [
            f".. rubric:: :mod:`sksubspace.{sub}`",
            "",
            f".. currentmodule:: sksubspace.{sub}",
            "",
            ".. autosummary::",
            "   :nosignatures:",
            "",
        ]
        lines += [f"   {name}" for name in names] + [""]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Feature table of the landing page
# --------------------------------------------------------------------------

# (family, user guide page, submodule, highlights, which public names belong to it)
FAMILIES = (
    (
        "Subspace clustering",
        "user_guide/subspace_clustering",
        "cluster",
        "sparse / low-rank self-representation, spectral clustering, ``predict`` for new "
        "points, ``n_clusters='auto'``, per-cluster bases",
        None,
    ),
    (
        "Robust PCA",
        "user_guide/robust_pca",
        "decomposition",
        "low rank + sparse with missing values and a robust ``transform``; corrupted "
        "samples; streams; anomaly scores",
        lambda name: "PCA" in name or "Outlier" in name,
    ),
    (
        "Dictionary learning",
        "user_guide/dictionary_learning",
        "decomposition",
        "online and K-SVD dictionaries, orthogonal dictionaries by l_p maximization, "
        "batched sparse coding (OMP, lasso, l0)",
        lambda name: not ("PCA" in name or "Outlier" in name),
    ),
    (
        "Matrix completion",
        "user_guide/matrix_completion",
        "impute",
        "dense (NaN) or sparse input, imputer convention with inductive ``transform``",
        None,
    ),
    (
        "Kernel regression",
        "user_guide/kernel_ridge",
        "kernel_ridge",
        "exact, Nystroem / FALKON for millions of rows, semi-supervised, online",
        None,
    ),
    (
        "Grassmann classifiers",
        "user_guide/grassmann",
        "grassmann",
        "subspaces as classes or as samples; principal angles, distances, means",
        None,
    ),
    (
        "Compressing collections of matrices",
        "user_guide/matrix_compression",
        "compression",
        "one SVD shared by many matrices (incremental updates, error bounds, grouping under "
        "an error threshold); calibration-guided sparse dictionary compression (CoSpaDi)",
        None,
    ),
    (
        "Foundation",
        "user_guide/datasets_metrics",
        "datasets metrics",
        "planted-problem generators; clustering accuracy, subspace distances, recovery scores",
        None,
    ),
)


def families_table():
    """reStructuredText of the landing page's feature table, from the code."""
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 14 24 36 26",
        "   :class: feature-table",
        "",
        "   * - Family",
        "     - Module",
        "     - Estimators and functions",
        "     - Highlights",
    ]
    public = set(public_submodules())
    for family, guide, modules, highlights, keep in FAMILIES:
        modules = [m for m in modules.split() if m in public]
        if not modules:
            continue
        names = []
        for sub in modules:
            groups = public_names(sub)
            objs = groups["estimators"] + groups["classes"]
            if family == "Foundation":
                objs += groups["functions"]
            elif keep is not None:
                objs += groups["functions"]
            objs = [n for n in objs if keep is None or keep(n)]
            names += [f":obj:`~sksubspace.{sub}.{n}`" for n in objs]
        title = f":doc:`{family} <{guide}>`" if guide else family
        lines += [
            f"   * - {title}",
            "     - " + ", ".join(f":mod:`sksubspace.{m}`" for m in modules),
            "     - " + (", ".join(names) if names else "(in development)"),
            f"     - {highlights}",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Benchmarks page
# --------------------------------------------------------------------------


def benchmark_scripts(root=ROOT):
    """The ``benchmarks/bench_*.py`` scripts, sorted by name."""
    return sorted((Path(root) / "benchmarks").glob("bench_*.py"))


def _script_docstring(path):
    try:
        return ast.get_docstring(ast.parse(Path(path).read_text(encoding="utf-8"))) or ""
    except SyntaxError:
        return ""


def load_benchmark_results(doc_dir=DOC_DIR):
    """``{name: data}`` of every ``benchmarks/<name>.json`` (see ``benchmarks/_record.py``)."""
    import json

    results = {}
    for path in sorted((Path(doc_dir) / "benchmarks").glob("bench_*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        rows = [r for r in data.get("rows", []) if r.get("ours_time") and r.get("peer_time")]
        if rows:
            results[path.stem] = dict(data, rows=rows)
    return results


# Below this, a lower-is-better measure (a relative error, a distance) is at float64
# round-off level: two such values are ties, whatever their ratio (float32 round-off,
# near 1e-7, is not: it can decide a comparison).
ROUNDOFF = 1e-9


def _quality_sign(row, rtol=0.01):
    """+1 when ours is better than the peer, -1 when worse, 0 within ``rtol`` (or unknown).

    Two values of a lower-is-better measure that are both below
    :data:`ROUNDOFF` are equal (both at round-off level).
    """
    ours, peer = row.get("ours_quality"), row.get("peer_quality")
    if ours is None or peer is None:
        return 0
    higher = row.get("higher_is_better", True)
    if not higher and max(abs(ours), abs(peer)) <= ROUNDOFF:
        return 0
    diff = (ours - peer) * (1 if higher else -1)
    if abs(diff) <= rtol * max(abs(ours), abs(peer), 1e-300):
        return 0
    return 1 if diff > 0 else -1


def _ratio(x):
    """A time ratio for people: 3 significant digits, no exponent (0.0031, 4,190)."""
    return f"{x:,.0f}" if x >= 1000 else f"{x:.3g}" if x >= 1e-4 else f"{x:.1e}"


def _ratio_text(ratios):
    lo, hi = min(ratios), max(ratios)
    return f"{_ratio(lo)}x" if lo == hi else f"{_ratio(lo)}-{_ratio(hi)}x"


def _workloads(n):
    return {1: "the workload", 2: "both workloads"}.get(n, f"all {n} workloads")


def benchmark_verdict_clauses(rows):
    """One clause per peer (per our method and peer when a script times several of ours).

    Written from the numbers: faster or slower (how often, the range of the
    time ratio ours/peer), and better, as good or worse quality, naming every
    workload where ours is worse.
    """
    several = len({r["ours"] for r in rows}) > 1
    groups = {}
    for r in rows:
        groups.setdefault((r["ours"] if several else None, r["peer"]), []).append(r)
    parts = []
    for (ours, peer), group in groups.items():
        ratios = [r["ours_time"] / r["peer_time"] for r in group]
        n, faster = len(group), sum(x < 1 for x in ratios)
        if faster == n:
            speed = f"faster on {_workloads(n)}"
        elif faster == 0:
            speed = f"slower on {_workloads(n)}"
        else:
            speed = f"faster on {faster} of {n} workloads, slower on {n - faster}"
        who = f"{ours} against {peer}" if ours else f"against {peer}"
        text = f"{who}: {speed} (time ratio ours/peer {_ratio_text(ratios)})"
        signs = [_quality_sign(r) for r in group if r.get("peer_quality") is not None]
        if signs:
            metric = group[0].get("metric") or "quality"
            worse = [r for r in group if _quality_sign(r) < 0]
            if worse:
                text += f"; worse {metric} on " + ", ".join(
                    f"{r['workload']} ({r['ours_quality']:.4g} vs {r['peer_quality']:.4g})"
                    for r in worse
                )
            elif all(x > 0 for x in signs):
                text += f"; better {metric}"
            elif any(x > 0 for x in signs):
                text += f"; {metric} as good or better"
            else:
                text += f"; same {metric}"
        parts.append(text)
    return parts


def benchmark_verdict(rows):
    """The verdict as one sentence (:func:`benchmark_verdict_clauses` joined)."""
    parts = benchmark_verdict_clauses(rows)
    return "Verdict: " + "; ".join(parts) + "." if parts else ""


def benchmark_figure(name, data, path):
    """Draw ``path``: time ratio ours/peer (left) and quality (right), one row per comparison.

    The quality panel shows ours and the peer as two markers per row (log
    scale when the values span more than two decades, as errors do), one
    panel per quality measure when a script reports several.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    rows = data["rows"]
    labels = [_wrap(f"{r['ours']} vs {r['peer']}") + "\n" + _wrap(r["workload"]) for r in rows]
    ratios = [r["ours_time"] / r["peer_time"] for r in rows]
    y = list(range(len(rows)))[::-1]
    metrics = list(dict.fromkeys(r.get("metric") or "quality" for r in rows if _has_quality(r)))
    height = 1.2 + 0.2 * sum(label.count("\n") + 1 for label in labels)
    fig, axes = plt.subplots(
        1,
        1 + max(len(metrics), 1),
        figsize=(9 + 2.5 * max(len(metrics) - 1, 0), height),
        sharey=True,
        layout="constrained",
        width_ratios=(1.3, *([1] * max(len(metrics), 1))),
    )
    ax_t, q_axes = axes[0], axes[1:]
    colors = ["#2a7d2a" if x < 1 else "#b03030" for x in ratios]
    # bars from 1 (equal time): to the left when ours is faster, to the right when slower
    ax_t.barh(y, [x - 1.0 for x in ratios], left=1.0, color=colors, height=0.6)
    ax_t.axvline(1.0, color="k", lw=1)
    ax_t.set_xscale("log")
    lo, hi = min(ratios + [1.0]), max(ratios + [1.0])
    ax_t.set_xlim(lo / 4, hi * 4)
    # readable ticks on short ranges too (matplotlib would label the minor ticks)
    ticks = [t for t in _RATIO_TICKS if lo / 4 <= t <= hi * 4]
    if hi / lo > 100:  # wide range: powers of ten only
        ticks = [t for t in ticks if f"{t:g}".strip("0.").startswith("1")]
    ax_t.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax_t.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    for yi, x in zip(y, ratios, strict=True):
        ax_t.text(
            x, yi, f" {_ratio(x)}x ", va="center", ha="left" if x >= 1 else "right", fontsize=8
        )
    ax_t.set_yticks(y, labels, fontsize=8)
    ax_t.set_ylim(-0.7, len(rows) - 0.3)
    ax_t.set_xlabel("time ratio ours / peer (log; < 1: ours faster)")
    ax_t.set_title("Time (green: ours faster, red: slower)", fontsize=10)

    if not metrics:
        ax = q_axes[0]
        ax.text(
            0.5,
            0.5,
            "no quality measure recorded",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_xticks([])
        ax.set_title("Quality", fontsize=10)
    for ax, metric in zip(q_axes, metrics, strict=False):
        pts = [
            (yi, r)
            for yi, r in zip(y, rows, strict=True)
            if _has_quality(r) and (r.get("metric") or "quality") == metric
        ]
        values = [
            v for _, r in pts for v in (r["ours_quality"], r.get("peer_quality")) if v is not None
        ]
        positive = [v for v in values if v > 0]
        log = len(positive) == len(values) and max(positive) / min(positive) > 100
        for yi, r in pts:
            ax.plot(r["ours_quality"], yi, "o", color="#1f5fa8", ms=7, zorder=3)
            if r.get("peer_quality") is not None:
                ax.plot(r["peer_quality"], yi, "D", color="#888888", ms=6, zorder=2)
                ax.plot(
                    [r["ours_quality"], r["peer_quality"]],
                    [yi, yi],
                    color="#cccccc",
                    lw=1,
                    zorder=1,
                )
            text = f"{r['ours_quality']:.3g}"
            if r.get("peer_quality") is not None:
                text += f" vs {r['peer_quality']:.3g}"
            ax.annotate(
                text,
                (r["ours_quality"], yi),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
        for yi, r in zip(y, rows, strict=True):
            if not _has_quality(r):
                ax.text(
                    0.02,
                    yi,
                    "not measured",
                    va="center",
                    fontsize=7,
                    color="#888888",
                    transform=ax.get_yaxis_transform(),
                )
        if log:
            ax.set_xscale("log")
        ax.margins(x=0.35)
        better = "higher" if pts[0][1].get("higher_is_better", True) else "lower"
        ax.set_xlabel(
            _wrap(f"{metric}{' (log)' if log else ''}: {better} is better", 36), fontsize=9
        )
        ax.set_title("Quality (blue: ours, grey: peer)", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{name}: ours against each peer ({data.get('mode', '?')} mode)", fontsize=11)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


_RATIO_TICKS = [10.0**k * m for k in range(-5, 5) for m in (1, 2, 5)]


def _wrap(text, width=40):
    """``text`` on lines of at most ``width`` characters (a figure's row label)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _has_quality(row):
    return row.get("ours_quality") is not None


# Order of the families in the summary table (others follow, by name).
SUMMARY_ORDER = [f[0] for f in FAMILIES]


def benchmarks_summary(results):
    """reStructuredText of the summary table: one row per family, its hardest peer."""
    families = {}
    for name, data in results.items():
        families.setdefault(data.get("family") or "Other", []).append((name, data))
    if not families:
        return []
    order = sorted(
        families,
        key=lambda f: (SUMMARY_ORDER.index(f) if f in SUMMARY_ORDER else len(SUMMARY_ORDER), f),
    )
    lines = [
        ".. list-table:: One row per family: its strongest peer (the best quality against",
        "   ours, then the closest to us in time: the largest median time ratio ours/peer),",
        "   our time ratio to it (below 1: ours faster) and how our quality compares.",
        "   :header-rows: 1",
        "   :widths: 18 24 24 20 14",
        "   :class: bench-summary",
        "",
        "   * - Family",
        "     - Benchmarks",
        "     - Strongest peer",
        "     - Time ratio ours/peer",
        "     - Quality",
    ]
    import statistics

    for family in order:
        by_peer = {}
        for _, data in families[family]:
            for r in data["rows"]:
                by_peer.setdefault(r["peer"], []).append(r)
        # the strongest peer: the best quality against ours (how often it wins
        # minus how often it loses), then the closest to us in time
        peer, rows = max(
            by_peer.items(),
            key=lambda kv: (
                -sum(_quality_sign(r) for r in kv[1]) / len(kv[1]),
                statistics.median(r["ours_time"] / r["peer_time"] for r in kv[1]),
            ),
        )
        ratios = [r["ours_time"] / r["peer_time"] for r in rows]
        signs = [_quality_sign(r) for r in rows if r.get("ours_quality") is not None]
        if not signs:
            quality = "not measured"
        elif any(x < 0 for x in signs):
            quality = f"ours worse on {sum(x < 0 for x in signs)} of {len(signs)}"
        elif all(x > 0 for x in signs):
            quality = "ours better"
        elif any(x > 0 for x in signs):
            quality = "ours as good or better"
        else:
            quality = "the same"
        links = ", ".join(f":ref:`{name}`" for name, _ in families[family])
        lines += [
            f"   * - {family}",
            f"     - {links}",
            f"     - {peer}",
            f"     - {_ratio(statistics.median(ratios))}x"
            + (f" (median; {_ratio_text(ratios)})" if len(ratios) > 1 else ""),
            f"     - {quality}",
        ]
    return lines + [""]


# Words of benchmark names written as acronyms in their section titles.
ACRONYMS = {"pca": "PCA", "svd": "SVD", "lsr": "LSR", "ssc": "SSC", "lrr": "LRR", "omp": "OMP"}


def benchmark_title(name):
    """Section title of ``bench_<name>``: ``bench_ssc_lrr`` -> "SSC LRR"."""
    words = name.removeprefix("bench_").split("_")
    words = [ACRONYMS.get(w, w) for w in words]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def benchmarks_include(root=ROOT, doc_dir=DOC_DIR, figures=False):
    """reStructuredText: the summary table, then one section per benchmark script.

    With ``figures``, also draws ``benchmarks/generated/<name>.png`` for every
    script with recorded rows (when its JSON or this module is newer than the figure).
    """
    scripts = benchmark_scripts(root)
    if not scripts:
        return ".. note::\n\n   No benchmark scripts found in ``benchmarks/``.\n"
    results = load_benchmark_results(doc_dir)
    lines = _heading("Summary", "-")
    summary = benchmarks_summary(results)
    lines += summary or [
        "No benchmark has recorded its rows yet (``benchmarks/_record.py``).",
        "",
    ]
    for script in scripts:
        name = script.stem
        lines += [f".. _{name}:", ""]
        lines += _heading(benchmark_title(name), "-")
        lines += [f"Script: ``benchmarks/{script.name}``", ""]
        doc = _script_docstring(script)
        if doc:
            lines += [".. code-block:: none", ""]
            lines += [f"   {line}" if line else "" for line in doc.splitlines()]
            lines += [""]
        if name in results:
            data = results[name]
            clauses = benchmark_verdict_clauses(data["rows"])
            if len(clauses) == 1:
                lines += [f"**Verdict:** {clauses[0]}.", ""]
            else:
                lines += ["**Verdict:**", ""] + [f"* {c[0].upper()}{c[1:]}." for c in clauses]
                lines += [""]
            png = Path(doc_dir) / "benchmarks" / "generated" / f"{name}.png"
            json_path = Path(doc_dir) / "benchmarks" / f"{name}.json"
            # redrawn when its rows or this drawing code changed since
            newest = max(json_path.stat().st_mtime, Path(__file__).stat().st_mtime)
            if figures and (not png.is_file() or png.stat().st_mtime < newest):
                benchmark_figure(name, data, png)
            lines += [
                f".. figure:: generated/{name}.png",
                f"   :alt: {name}: time ratio and quality against each peer",
                "   :width: 100%",
                "",
            ]
        result = Path(doc_dir) / "benchmarks" / f"{name}.txt"
        if result.is_file():
            lines += [
                "Recorded output:",
                "",
                f".. literalinclude:: {name}.txt",
                "   :language: none",
                "",
            ]
        else:
            lines += [
                ".. note::",
                "",
                "   No recorded output yet. Run ``python doc/_tools/run_benchmarks.py",
                f"   {name}`` (or ``make bench``) to record ``doc/benchmarks/{name}.txt``.",
                "",
            ]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Gallery
# --------------------------------------------------------------------------


def gallery_subsection_order(examples_dir):
    """Subsection order for sphinx-gallery: known families first, then the rest.

    Returns paths relative to ``doc/`` (what ``conf.py``'s ``subsection_order``
    expects), ending with ``"*"`` so that a folder added later is never an error.
    """
    examples_dir = Path(examples_dir)
    present = sorted(p.name for p in examples_dir.iterdir() if p.is_dir())
    ordered = [n for n in GALLERY_ORDER if n in present]
    ordered += [n for n in present if n not in ordered]
    return [f"../examples/{name}" for name in ordered] + ["*"]


def remove_stale_gallery_pages(doc_dir=DOC_DIR, examples_dir=ROOT / "examples"):
    """Delete generated gallery pages whose example or folder no longer exists.

    sphinx-gallery never deletes its output, so a renamed example would leave
    a page outside every toctree (a warning, hence an error with ``-W``).
    """
    import shutil

    gallery = Path(doc_dir) / "auto_examples"
    if not gallery.is_dir():
        return
    keep = {"index.rst", "sg_execution_times.rst"}
    for sub in gallery.iterdir():
        if not sub.is_dir() or sub.name == "images":
            continue
        source = Path(examples_dir) / sub.name
        if not source.is_dir():
            shutil.rmtree(sub)
            continue
        for page in sub.glob("*.rst"):
            if page.name not in keep and not (source / f"{page.stem}.py").is_file():
                page.unlink()


# --------------------------------------------------------------------------
# Sphinx glue
# --------------------------------------------------------------------------


def _write_if_changed(path, text):
    """Write ``text`` to ``path`` unless identical (keeps incremental builds fast)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def generate_pages(doc_dir=DOC_DIR):
    """Write ``api/*.rst`` and ``benchmarks/results.rst.inc`` under ``doc_dir``.

    Pages (and autosummary stubs) of names that are no longer public are
    removed, so a renamed estimator leaves no orphan page behind.
    """
    doc_dir = Path(doc_dir)
    api_dir = doc_dir / "api"
    submodules = public_submodules()
    pages, stubs = {"index.rst"}, set()
    _write_if_changed(api_dir / "index.rst", api_index_page(submodules))
    for sub in submodules:
        pages.add(f"sksubspace.{sub}.rst")
        _write_if_changed(api_dir / f"sksubspace.{sub}.rst", api_module_page(sub))
        for kind, _, _ in _SECTIONS:
            stubs.update(f"sksubspace.{sub}.{name}.rst" for name in public_names(sub)[kind])
    for stale in api_dir.glob("*.rst"):  # a submodule that went away
        if stale.name not in pages:
            stale.unlink()
    for stale in (api_dir / "generated").glob("*.rst"):
        if stale.name not in stubs:
            stale.unlink()
    _write_if_changed(api_dir / "families.rst.inc", families_table())
    _write_if_changed(
        doc_dir / "benchmarks" / "results.rst.inc", benchmarks_include(ROOT, doc_dir, figures=True)
    )


_FOREIGN_ROLE = re.compile(r":(?:ref|term|doc):`([^`<]*?)\s*(?:<[^>]*>)?`")


def strip_foreign_refs(app, what, name, obj, options, lines):
    """Turn scikit-learn's own cross-references into plain text.

    Estimators inherit methods (``set_output``, ``get_metadata_routing``,
    ``set_fit_request``...) whose docstrings point into scikit-learn's user
    guide and glossary, which do not exist on this site.
    """
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith("sklearn"):
        return
    lines[:] = [_FOREIGN_ROLE.sub(r"\1", line) for line in lines]


_PARAM_LINE = re.compile(r"^(\s*[\w*][\w*, ]* : )(.+)$")
_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")
_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*?)_(?![\w\\])")


def escape_type_underscores(app, what, name, obj, options, lines):
    """Escape fitted-attribute names in numpydoc type specs.

    ``components_ : ndarray of shape (rank_, n_features)`` is valid numpydoc,
    but reStructuredText reads ``rank_`` as a link to a target named "rank"
    (an error). Runs before numpydoc and only touches the type part of
    ``name : type`` lines, outside inline literals.
    """
    for i, line in enumerate(lines):
        match = _PARAM_LINE.match(line)
        if not match or "_" not in match.group(2):
            continue
        parts = _LITERAL.split(match.group(2))
        parts = [
            part if k % 2 else _TRAILING_UNDERSCORE.sub(r"\1\\_", part)
            for k, part in enumerate(parts)
        ]
        lines[i] = match.group(1) + "".join(parts)


def warn_dangling_sksubspace_refs(app, env, node, contnode):
    """With ``SKSUBSPACE_DOC_STRICT_REFS=1``, warn about references to missing names.

    The user guide names estimators by their public path; after an estimator
    is renamed or removed, such a reference silently renders as plain text.
    The strict mode turns each into a warning (an error under ``-W``).
    """
    if not os.environ.get("SKSUBSPACE_DOC_STRICT_REFS") or node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    module = node.get("py:module") or ""
    if "." not in target and module.startswith("sksubspace"):
        target = f"{module}.{target}"
    if target.startswith("sksubspace"):
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            "reference to %s, which is not documented", target, location=node
        )
    return None


def _on_config_inited(app, config):
    generate_pages(Path(app.srcdir))
    remove_stale_gallery_pages(Path(app.srcdir))


def setup(app):
    # At config-inited, before the environment lists the source files and
    # before autosummary (at builder-inited) scans them for stubs to write.
    app.connect("config-inited", _on_config_inited)
    app.connect("autodoc-process-docstring", strip_foreign_refs)
    app.connect("missing-reference", warn_dangling_sksubspace_refs)
    # Before numpydoc (priority 500) turns the sections into reStructuredText.
    app.connect("autodoc-process-docstring", escape_type_underscores, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
