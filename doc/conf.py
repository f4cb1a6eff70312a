"""Sphinx configuration of the sksubspace documentation.

Build with ``sphinx-build -W -b html doc doc/_build/html`` (or ``make doc``).
Everything that depends on the code is generated at build time, so a new
estimator, example folder or benchmark shows up without editing this folder:

* the API reference from each public submodule's ``__all__``
  (``_ext/sksubspace_docs.py``, written to ``api/``),
* the example gallery from ``../examples`` (sphinx-gallery, every ``plot_*.py`` runs),
* the benchmarks page from ``../benchmarks/bench_*.py`` and the recorded outputs in
  ``benchmarks/<name>.txt`` (``_tools/run_benchmarks.py`` regenerates them).
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the checkout, so the docs describe this tree's code
sys.path.insert(0, str(HERE / "_ext"))

from sksubspace_docs import gallery_subsection_order  # noqa: E402

import sksubspace  # noqa: E402

# -- Project -----------------------------------------------------------------
project = "sksubspace"
copyright = "the sksubspace developers"
author = "the sksubspace developers"
release = sksubspace.__version__
version = ".".join(release.split(".")[:2])

# -- Extensions --------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax shipped inside the package and copied into _static/mathjax, so that
    # formulas render offline (no CDN); it sets mathjax_path.
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sksubspace_docs",
]
if os.environ.get("SKSUBSPACE_DOC_INTERSPHINX"):  # needs the network; off by default
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "cupy": ("https://docs.cupy.dev/en/stable", None),
    }

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_templates",
    "_tools",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*/*.ipynb",
    "sg_execution_times.rst",
]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # numpydoc docstrings carry the types
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False  # the class template lists methods itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
add_function_parentheses = False

# -- Gallery -----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    # Every plot_*.py is executed (and must run in the test suite too).
    "filename_pattern": r"[\\/]plot_[^\\/]*\.py$",
    "ignore_pattern": r"__init__\.py",
    # One subsection per folder of examples/, families in a fixed order, new folders last.
    "subsection_order": gallery_subsection_order(ROOT / "examples"),
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "doc_module": ("sksubspace",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sksubspace": None},
    "remove_config_comments": True,
    "show_memory": False,
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "default_thumb_file": None,
    "capture_repr": ("_repr_html_", "__repr__"),
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sksubspace {release}"
html_static_path = ["_static"]
html_css_files = ["sksubspace.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "navigation_with_keys": False,
}
html_sidebars = {"index": [], "install": [], "quick_start": [], "benchmarks/index": []}
html_show_sourcelink = False
html_copy_source = False
