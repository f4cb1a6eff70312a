"""Sets of vectors -> their subspaces, as a transformer for Pipelines."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import as_index, compute_context, from_numpy, get_namespace
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import ArrayAPISupportMixin
from ._sets import (
    check_set_components,
    resolve_set_components,
    set_bases,
    sets_namespace_example,
    sets_to_namespace,
    validate_sets,
)


def _projection_embedding(B):
    """Upper triangle of ``B B'`` (off-diagonal entries times sqrt 2), flattened.

    The isometric embedding of the Grassmannian in symmetric matrices: the inner
    product of two embeddings is the projection kernel ``||B_i' B_j||_F^2`` and
    their Euclidean distance is ``sqrt(2)`` times the chordal distance.
    """
    xp = get_namespace(B)
    d = B.shape[-2]
    P = B @ xp.matrix_transpose(B)
    rows, cols = np.triu_indices(d)
    weights = np.where(rows == cols, 1.0, np.sqrt(2.0))
    Pf = xp.reshape(P, (P.shape[0], d * d))
    out = xp.take(Pf, as_index(rows * d + cols, P), axis=1)
    return out * from_numpy(weights, like=out)


class SubspaceEmbedding(ArrayAPISupportMixin, TransformerMixin, BaseEstimator):
    """Map every set of vectors to its subspace (an orthonormal basis), for Pipelines.

    A set of vectors (rows) is summarised by the span of its ``n_components``
    leading right singular vectors, the subspace closest to the set in the
    least-squares sense. ``transform`` returns either

    * ``output="basis"``: the orthonormal bases as sets of ``n_components``
      orthonormal row vectors, a 3-d array ``(n_sets, n_components,
      n_features)``: a valid set input for the other estimators of
      :mod:`sksubspace.grassmann` (which then recover exactly these subspaces),
      so the SVD of large sets is done once, in a Pipeline step; or
    * ``output="projection"``: the flattened upper triangle of the projector
      ``U U'`` (off-diagonal entries times ``sqrt(2)``), a 2-d array of
      ``n_features (n_features + 1) / 2`` columns whose inner products are the
      projection kernel: the isometric embedding of the Grassmannian, for any
      scikit-learn estimator downstream (e.g. a linear classifier in the
      feature space of the projection kernel).

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the subspace of each set (at most the smallest set size
        and n_features); ``None`` means ``min(5, smallest set size, n_features)``.
    output : {"basis", "projection"}, default="projection"
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy.

    Attributes
    ----------
    n_components_ : int
        The dimension of the set subspaces used.
    n_features_in_ : int

    Notes
    -----
    ``X`` is a 3-d array ``(n_sets, set_size, n_features)``, a list of 2-d
    arrays of varying sizes, or a 2-d array read as sets of one vector (see
    :class:`MutualSubspaceClassifier`). ``fit`` learns nothing but the number of
    features (the map is fixed). scikit-learn's common checks run on the 2-d
    form with the default ``output="projection"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import SubspaceEmbedding
    >>> rng = np.random.default_rng(0)
    >>> sets = rng.standard_normal((6, 10, 4))
    >>> U = SubspaceEmbedding(n_components=2, output="basis").fit_transform(sets)
    >>> U.shape
    (6, 2, 4)
    >>> bool(np.allclose(U[0] @ U[0].T, np.eye(2)))
    True
    >>> SubspaceEmbedding(n_components=2).fit_transform(sets).shape
    (6, 10)
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "output": [StrOptions({"basis", "projection"})],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(self, n_components=None, *, output="projection", device=None):
        self.n_components = n_components
        self.output = output
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the sets and record the number of features.

        Parameters
        ----------
        X : array of shape (n_sets, set_size, n_features), list of arrays of \
shape (set_size_i, n_features), or array of shape (n_sets, n_features)
        y : ignored

        Returns
        -------
        self : SubspaceEmbedding
        """
        sets = validate_sets(self, X)
        self.n_components_ = resolve_set_components(self.n_components, sets, self.n_features_in_)
        d = self.n_features_in_
        self._n_features_out = (
            d * (d + 1) // 2 if self.output == "projection" else self.n_components_ * d
        )
        return self

    def transform(self, X):
        """Orthonormal bases (or their projection embeddings) of the sets.

        Parameters
        ----------
        X : sets, see :meth:`fit`

        Returns
        -------
        Z : array of shape (n_sets, n_components, n_features) for
            ``output="basis"``, or (n_sets, n_features (n_features + 1) / 2)
            for ``output="projection"``.
        """
        check_is_fitted(self)
        sets = validate_sets(self, X, reset=False)
        check_set_components(self.n_components_, sets, self.n_features_in_)
        ctx = compute_context(self.device, sets_namespace_example(sets))
        B = set_bases(sets_to_namespace(sets, ctx), self.n_components_)
        if self.output == "basis":
            return ctx.output(ctx.xp.matrix_transpose(B))
        return ctx.output(_projection_embedding(B))

    def get_feature_names_out(self, input_features=None):
        """Names ``subspaceembedding{i}`` of the output columns (``output="projection"``)."""
        check_is_fitted(self)
        name = type(self).__name__.lower()
        return np.asarray([f"{name}{i}" for i in range(self._n_features_out)], dtype=object)
