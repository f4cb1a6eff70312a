"""Scores of how well planted structure was recovered."""

from __future__ import annotations

from numbers import Real

import numpy as np

from .._backend import to_numpy
from .._sklearn_compat import Interval, validate_params


@validate_params(
    {"estimate": ["array-like"], "truth": ["array-like"]}, prefer_skip_nested_validation=True
)
def relative_error(estimate, truth):
    """``||estimate - truth||_F / ||truth||_F`` (a Python float).

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.metrics import relative_error
    >>> relative_error(np.array([3.0, 4.0]), np.array([3.0, 0.0]))
    1.3333333333333333
    """
    estimate, truth = np.asarray(to_numpy(estimate)), np.asarray(to_numpy(truth))
    if estimate.shape != truth.shape:
        raise ValueError(f"Shapes differ: {estimate.shape} and {truth.shape}.")
    return float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))


@validate_params(
    {
        "dictionary": ["array-like"],
        "true_dictionary": ["array-like"],
        "threshold": [Interval(Real, 0, 1, closed="both")],
    },
    prefer_skip_nested_validation=True,
)
def dictionary_recovery_score(dictionary, true_dictionary, *, threshold=0.99):
    """Fraction of true atoms matched by a learned atom with ``|cosine| >= threshold``.

    Atoms are rows (scikit-learn's ``components_`` convention); signs and
    order do not matter.

    Returns
    -------
    score : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.metrics import dictionary_recovery_score
    >>> D = np.eye(3)
    >>> dictionary_recovery_score(-D[::-1], D)
    1.0
    """
    A = np.asarray(to_numpy(dictionary), dtype=float)
    B = np.asarray(to_numpy(true_dictionary), dtype=float)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[1]:
        raise ValueError(
            "Dictionaries must be 2-d with atoms as rows and the same number of "
            f"features; got {A.shape} and {B.shape}."
        )
    A = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-300)
    B = B / np.maximum(np.linalg.norm(B, axis=1, keepdims=True), 1e-300)
    best = np.abs(B @ A.T).max(axis=1)
    return float(np.mean(best >= threshold))
