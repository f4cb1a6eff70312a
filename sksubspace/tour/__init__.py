"""The quick tour: every estimator family on generated or built-in data.

Each family contributes one module ``tour/<family>.py`` with a function
``run(out_dir) -> list[dict]``; each dict is one row of the results table with
the keys ``family``, ``estimator``, ``data``, ``metric``, ``value`` and
``seconds``. Modules may also save plots into ``out_dir``.
"""
