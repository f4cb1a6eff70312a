"""The quick tour: every estimator family on generated or built-in data.

Run it with ``python -m sksubspace.tour`` (or the ``sksubspace-tour`` command,
or ``make tour`` in a checkout); it needs matplotlib for the plots
(``pip install sksubspace[tour]``). It prints each family's rows as they
finish, then the whole table, and writes the table, the plots and a one-page
``index.html`` into ``tour_output/``.

Each family contributes one module ``sksubspace/tour/<family>.py`` with a
function ``run(out_dir) -> list[dict]``; each dict is one row of the results
table with the keys ``family``, ``estimator``, ``data``, ``metric``, ``value``
and ``seconds``. Modules may also save plots (``.png``) into ``out_dir``. A new
family is one new module and one new entry in :data:`FAMILIES`.
"""

# The families in the order the tour runs and shows them (module names).
FAMILIES = (
    "foundation",
    "subspace_clustering",
    "robust_pca",
    "dictionary_learning",
    "matrix_completion",
    "kernel_ridge",
    "grassmann",
    "matrix_compression",
)


def row(family, estimator, data, metric, value, seconds):
    """One row of the results table (the dict every family's ``run`` returns a list of)."""
    return dict(
        family=family,
        estimator=estimator,
        data=data,
        metric=metric,
        value=float(value),
        seconds=float(seconds),
    )


def main(argv=None):
    """Run the tour from the command line; returns the exit status."""
    from ._run import main as _main

    return _main(argv)
