"""Build-time generation of the code-dependent pages of the sksubspace docs.

Nothing here needs editing when an estimator, an example folder or a benchmark
is added: the pages are regenerated from the code on every build.

* ``api/``: one page per public submodule of :mod:`sksubspace` (the names in
  ``sksubspace.__all__``), listing every name of that submodule's ``__all__``
  in autosummary tables (estimators, other classes, functions); autosummary
  then writes one stub page per name into ``api/generated/``.
* ``benchmarks/results.rst.inc``: one section per ``benchmarks/bench_*.py``,
  with the script's docstring and the recorded output
  ``benchmarks/<name>.txt`` included literally (or a note when there is none
  yet; ``doc/_tools/run_benchmarks.py`` records them).
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
        "   :maxdepth: 2",
        "",
    ]
    lines += [f"   sksubspace.{sub}" for sub in submodules]
    lines += [""]
    lines += _heading("Summary", "-")
    for sub in submodules:
        groups = public_names(sub)
        names = groups["estimators"] + groups["classes"] + groups["functions"]
        if not names:
            continue
        lines += [f":mod:`sksubspace.{sub}`", ""]
        lines += [
            "   " + ", ".join(f":obj:`~sksubspace.{sub}.{name}`" for name in names),
            "",
        ]
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
        "   :widths: 16 18 38 28",
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


def benchmarks_include(root=ROOT, doc_dir=DOC_DIR):
    """reStructuredText with one section per benchmark script."""
    scripts = benchmark_scripts(root)
    if not scripts:
        return ".. note::\n\n   No benchmark scripts found in ``benchmarks/``.\n"
    lines = []
    for script in scripts:
        name = script.stem
        lines += [f".. _{name}:", ""]
        lines += _heading(name.removeprefix("bench_").replace("_", " ").capitalize(), "-")
        lines += [f"Script: ``benchmarks/{script.name}``", ""]
        doc = _script_docstring(script)
        if doc:
            lines += [".. code-block:: none", ""]
            lines += [f"   {line}" if line else "" for line in doc.splitlines()]
            lines += [""]
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
    _write_if_changed(doc_dir / "benchmarks" / "results.rst.inc", benchmarks_include(ROOT, doc_dir))


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
