"""Accuracy of a clustering up to a permutation of the labels."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics.cluster import contingency_matrix
from sklearn.utils.validation import check_consistent_length, column_or_1d

from .._backend import to_numpy
from .._sklearn_compat import validate_params


@validate_params(
    {"labels_true": ["array-like"], "labels_pred": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def clustering_accuracy(labels_true, labels_pred):
    """Fraction of points correctly clustered under the best label matching.

    The matching of predicted to true labels maximizes the agreement
    (Hungarian algorithm on the contingency matrix), as in the subspace
    clustering literature. Label names need not agree, and the two labelings
    may have different numbers of clusters.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)

    Returns
    -------
    accuracy : float in [0, 1]

    Examples
    --------
    >>> from sksubspace.metrics import clustering_accuracy
    >>> clustering_accuracy([0, 0, 1, 1, 2], [1, 1, 0, 0, 0])
    0.8
    """
    labels_true = column_or_1d(to_numpy(np.asarray(to_numpy(labels_true))))
    labels_pred = column_or_1d(to_numpy(np.asarray(to_numpy(labels_pred))))
    check_consistent_length(labels_true, labels_pred)
    if labels_true.size == 0:
        raise ValueError("labels_true and labels_pred must not be empty.")
    C = contingency_matrix(labels_true, labels_pred)
    rows, cols = linear_sum_assignment(-C)
    return float(C[rows, cols].sum() / labels_true.size)


@validate_params(
    {"labels_true": ["array-like"], "labels_pred": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def subspace_clustering_error(labels_true, labels_pred):
    """``1 - clustering_accuracy``: the error rate reported by subspace clustering papers.

    Examples
    --------
    >>> from sksubspace.metrics import subspace_clustering_error
    >>> subspace_clustering_error([0, 0, 1, 1], [1, 1, 0, 2])
    0.25
    """
    return 1.0 - clustering_accuracy(labels_true, labels_pred)
