"""Group matrices that can share one truncated SVD under a relative error threshold."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, device_kw, get_namespace, to_float
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import ArrayAPISupportMixin, validate_data
from ._base import (
    _empty_svd,
    _exact_basis,
    _squared_singular_values,
    _top_energy,
    small_problem_blas,
    svd_update,
)
from ._matrices import check_matrices

__all__ = ["JointSVDClustering"]


class _Group:
    """What a group keeps while the greedy pass grows it (one per algorithm)."""

    def __init__(self, index, A, sq, tail, total, rank, algorithm):
        xp = get_namespace(A)
        self.members = [index]
        self.total = total
        self.tail_lower = tail  # sum of the members' own tails (Ky Fan lower bound)
        self.rank = rank
        self.algorithm = algorithm
        self.estimate = tail  # squared error the algorithm certifies (exact for one matrix)
        self.union = xp.sort(sq, descending=True)[:rank]
        if algorithm in ("bound", "incremental"):
            U0, s0 = _empty_svd(A.shape[0], A)
            self.U, self.s, dropped, _ = svd_update(U0, s0, A, rank)
            self.discarded = to_float(xp.sum(dropped)) if dropped.shape[0] else 0.0
        elif algorithm == "exact":
            self.gram = A @ xp.matrix_transpose(A)

    def weyl_upper(self, sq, total):
        """Weyl-type upper bound after adding a matrix with squared spectrum ``sq``."""
        xp = get_namespace(sq)
        union = xp.sort(xp.concat([self.union, sq]), descending=True)[: self.rank]
        return total - to_float(xp.sum(union)), union

    def predict(self, A, sq, total):
        """Certified squared error of the group with ``A`` added, and the new state."""
        upper, union = self.weyl_upper(sq, total)
        xp = get_namespace(A)
        if self.algorithm == "bound":
            # The group's basis kept fixed: the new matrix adds its residual outside it.
            P = xp.matrix_transpose(self.U) @ A
            err = self.discarded + max(total - self.total - to_float(xp.sum(P * P)), 0.0)
            return min(err, upper), (union, self.U, self.s, err)
        if self.algorithm == "incremental":
            U, s, dropped, _ = svd_update(self.U, self.s, A, self.rank)
            err = self.discarded + (to_float(xp.sum(dropped)) if dropped.shape[0] else 0.0)
            return min(err, upper), (union, U, s, err)
        gram = self.gram + A @ xp.matrix_transpose(A)
        w = xp.linalg.eigvalsh((gram + xp.matrix_transpose(gram)) / 2)
        n_tail = max(w.shape[0] - self.rank, 0)
        tail = to_float(xp.sum(xp.clip(w[:n_tail], 0, None))) if n_tail else 0.0
        return tail, (union, gram)

    def merge(self, index, tail, total, estimate, state):
        self.members.append(index)
        self.tail_lower += tail
        self.total = total
        self.estimate = estimate
        self.union = state[0]
        if self.algorithm in ("bound", "incremental"):
            self.U, self.s, self.discarded = state[1], state[2], state[3]
        elif self.algorithm == "exact":
            self.gram = state[1]


class JointSVDClustering(ArrayAPISupportMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    r"""Group matrices so that each group is compressed by one rank-``r`` SVD within a threshold.

    Given matrices ``A_1, ..., A_m`` with the same number of rows ``n``, find
    groups ``G`` such that the horizontal concatenation ``A_G`` of each group
    has a rank-``r`` approximation with relative Frobenius error at most
    ``error_threshold``:

    .. math::

        \frac{\min_{\mathrm{rank}(B) \le r} \|A_G - B\|_F}{\|A_G\|_F}
        \le \varepsilon .

    Each group is then stored as one basis ``U_G`` (``n x r``) and the codes
    ``U_G' A_k`` of its members, instead of one SVD per matrix.

    The matrices are visited once (largest Frobenius norm first) and each
    joins the group whose predicted error with it is smallest among those
    within the threshold, or starts a new group. Groups that the Ky Fan lower
    bound of :func:`concat_svd_error_bounds` already excludes are skipped
    without any work. ``algorithm`` chooses the prediction, from fast to exact:

    * ``"bound"``: the smaller of two upper bounds that need no SVD of a
      group: the Weyl-type bound of :func:`concat_svd_error_bounds` from the
      members' singular values (a sort of ``2r`` numbers), and the error of
      keeping the basis of the group's first matrix fixed, i.e. the group's
      error so far plus the incremental residual ``||(I - U U') A||_F^2`` of the
      new matrix (one ``r x n`` by ``n x d`` product). The fastest and most
      conservative.
    * ``"incremental"``: the error of the incremental truncated SVD of the
      group (:func:`svd_update`, ``O(n (r + d)^2)`` per trial, never forming the
      concatenation); it is the error of an actual rank-``r`` approximation, so
      it is also an upper bound.
    * ``"exact"``: the optimal error, from the eigenvalues of the group's
      ``n x n`` Gram matrix (``O(n^3)`` per trial).

    All three predictions are upper bounds on (or equal to) the optimal
    error, so **every group's true error is at most the threshold**, except
    for a matrix whose own rank-``r`` error exceeds it (it forms a group alone
    and a warning is raised). The fitted bases are the exact rank-``r`` bases
    of the groups, and ``group_errors_`` their exact errors.

    Parameters
    ----------
    error_threshold : float, default=0.1
        Largest relative Frobenius error of a group's rank-``rank`` approximation.
    rank : int, default=1
        Rank of each group's basis.
    algorithm : {"bound", "incremental", "exact"}, default="incremental"
        How the error of a candidate group is predicted (see above).
    order : {"norm", "given"}, default="norm"
        Visit the matrices by decreasing Frobenius norm, or in the given order.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy.

    Attributes
    ----------
    labels_ : array of shape (n_matrices,)
        Group of each matrix.
    n_groups_ : int
    groups_ : list of lists of int
        Members of each group, in the order they joined.
    bases_ : array of shape (n_groups, n_rows, min(rank, n_rows))
        Orthonormal basis of each group (zero columns where a group has lower
        rank than ``rank``).
    group_errors_ : ndarray of shape (n_groups,)
        Exact relative error of each group's rank-``rank`` approximation.
    predicted_errors_ : ndarray of shape (n_groups,)
        The relative error the algorithm certified for each group (at least
        ``group_errors_``).
    n_parameters_ : int
        Numbers stored: the bases plus the codes of all matrices.
    n_parameters_original_ : int
        Numbers in the matrices.
    n_features_in_ : int
        Number of rows ``n`` of each matrix.

    See Also
    --------
    concat_svd_error_bounds : the bounds behind ``algorithm="bound"``.
    IncrementalTruncatedSVD : the incremental update behind ``"incremental"``.

    Notes
    -----
    Input layouts: a list of arrays of shape ``(n, d_k)``, a 3-D array of shape
    ``(m, n, d)``, or a 2-D array of shape ``(m, n)`` read as ``m`` column
    vectors (the scikit-learn layout, in which the estimator clusters points
    by the rank-``r`` subspaces their groups span).

    References
    ----------
    "Concatenated Matrix SVD: Compression Bounds, Incremental Approximation,
    and Error-Constrained Clustering", 2026.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.compression import JointSVDClustering, concat_svd_error
    >>> rng = np.random.default_rng(0)
    >>> bases = [np.linalg.qr(rng.standard_normal((30, 3)))[0] for _ in range(2)]
    >>> mats = [bases[k % 2] @ rng.standard_normal((3, 10)) for k in range(6)]
    >>> mats = [A + 0.01 * rng.standard_normal(A.shape) for A in mats]
    >>> est = JointSVDClustering(error_threshold=0.05, rank=3).fit(mats)
    >>> est.labels_
    array([0, 1, 0, 1, 0, 1])
    >>> bool(max(est.group_errors_) <= 0.05)
    True
    """

    _parameter_constraints = {
        "error_threshold": [Interval(numbers.Real, 0, 1, closed="left")],
        "rank": [Interval(numbers.Integral, 1, None, closed="left")],
        "algorithm": [StrOptions({"bound", "incremental", "exact"})],
        "order": [StrOptions({"norm", "given"})],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"error_threshold": 0.3, "rank": 1}
    # The number of groups follows error_threshold (there is no n_clusters): the
    # three blobs of check_clustering, read as lines through the origin, need 0.2.
    _test_check_params = {"check_clustering": {"error_threshold": 0.2}}

    def __init__(
        self, error_threshold=0.1, *, rank=1, algorithm="incremental", order="norm", device=None
    ):
        self.error_threshold = error_threshold
        self.rank = rank
        self.algorithm = algorithm
        self.order = order
        self.device = device

    def _blocks(self, X, reset):
        """The matrices of ``X`` in the compute namespace, and the input layout."""
        if _is_2d(X):
            X = validate_data(self, X, reset=reset)
            ctx = compute_context(self.device, X)
            Xc = ctx.asarray(X)
            return ctx, Xc, "2d"
        blocks = check_matrices(X)
        ctx = compute_context(self.device, blocks[0])
        blocks = [ctx.asarray(b) for b in blocks]
        n = int(blocks[0].shape[0])
        if reset:
            self.n_features_in_ = n
        elif n != self.n_features_in_:
            raise ValueError(
                f"The matrices have {n} rows, but {type(self).__name__} was fitted on "
                f"matrices with {self.n_features_in_} rows."
            )
        layout = "list" if isinstance(X, (list, tuple)) else "3d"
        return ctx, blocks, layout

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Group the matrices of ``X``.

        Parameters
        ----------
        X : list of arrays of shape (n, d_k), array of shape (m, n, d), or \
                array of shape (m, n)
            The matrices (see Notes for the layouts).
        y : Ignored

        Returns
        -------
        self : object
        """
        ctx, data, layout = self._blocks(X, reset=True)
        n_rows = data.shape[1] if layout == "2d" else data[0].shape[0]
        with small_problem_blas(ctx.xp, n_rows):
            return self._fit_blocks(ctx, data, layout)

    def _fit_blocks(self, ctx, data, layout):
        xp = ctx.xp
        blocks = (
            [xp.reshape(data[i, :], (-1, 1)) for i in range(data.shape[0])]
            if (layout == "2d")
            else data
        )
        m = len(blocks)
        spectra = [_squared_singular_values(b) for b in blocks]
        totals = [to_float(xp.sum(sq)) for sq in spectra]
        tails = [
            max(t - _top_energy(sq, self.rank), 0.0) for t, sq in zip(totals, spectra, strict=True)
        ]
        visit = np.argsort(-np.asarray(totals), kind="stable") if self.order == "norm" else range(m)
        thr2 = self.error_threshold**2

        groups = []
        for i in visit:
            i = int(i)
            best, best_ratio, best_state = None, math.inf, None
            for g in groups:
                total = g.total + totals[i]
                if total == 0.0:
                    best, best_ratio, best_state, best_err = g, 0.0, None, 0.0
                    break
                if g.tail_lower + tails[i] > thr2 * total:
                    continue  # the Ky Fan lower bound already exceeds the threshold
                err, state = g.predict(blocks[i], spectra[i], total)
                if err <= thr2 * total and err / total < best_ratio:
                    best, best_ratio, best_state, best_err = g, err / total, state, err
            if best is None:
                groups.append(
                    _Group(i, blocks[i], spectra[i], tails[i], totals[i], self.rank, self.algorithm)
                )
            elif best_state is None:  # all-zero matrices
                best.members.append(i)
            else:
                best.merge(i, tails[i], best.total + totals[i], best_err, best_state)

        groups.sort(key=lambda g: min(g.members))  # number groups in input order
        labels = np.empty(m, dtype=np.int64)
        for k, g in enumerate(groups):
            labels[g.members] = k
        n = int(blocks[0].shape[0])
        r = min(self.rank, n)
        bases, errors, predicted = [], [], []
        for g in groups:
            U, _, tail, total = _exact_basis([blocks[i] for i in g.members], r)
            if U.shape[1] < r:
                U = xp.concat(
                    [U, xp.zeros((n, r - U.shape[1]), dtype=U.dtype, **device_kw(U))], axis=1
                )
            bases.append(U)
            errors.append(math.sqrt(tail / total) if total > 0 else 0.0)
            predicted.append(math.sqrt(max(g.estimate, 0.0) / total) if total > 0 else 0.0)
        over = [k for k, e in enumerate(errors) if e > self.error_threshold * (1 + 1e-6) + 1e-12]
        if over:
            warnings.warn(
                f"{len(over)} matrices have a rank-{self.rank} error above "
                f"error_threshold={self.error_threshold} on their own; each forms a group "
                "that exceeds the threshold. Increase rank or error_threshold.",
                UserWarning,
            )
        self.labels_ = ctx.output(xp.asarray(labels, **device_kw(blocks[0])))
        self.n_groups_ = len(groups)
        self.groups_ = [list(g.members) for g in groups]
        self.bases_ = ctx.output(xp.stack(bases))
        self.group_errors_ = np.asarray(errors)
        self.predicted_errors_ = np.maximum(np.asarray(predicted), self.group_errors_)
        n_cols = sum(int(b.shape[1]) for b in blocks)
        self.n_parameters_ = self.n_groups_ * n * r + r * n_cols
        self.n_parameters_original_ = n * n_cols
        self._n_features_out = self.n_groups_ * r
        return self

    def _stacked_bases(self, ctx, dtype):
        """``[U_1, ..., U_G]`` of shape (n, n_groups * r) in the compute namespace."""
        xp = ctx.xp
        B = xp.astype(ctx.asarray(self.bases_), dtype)
        G, n, r = B.shape
        return xp.reshape(xp.permute_dims(B, (1, 0, 2)), (n, G * r))

    def _scores(self, ctx, data, layout):
        """Energy of each matrix in each group's basis, shape (m, n_groups)."""
        xp = ctx.xp
        Bcat = self._stacked_bases(ctx, data[0].dtype if layout != "2d" else data.dtype)
        G, r = self.bases_.shape[0], self.bases_.shape[2]
        if layout == "2d":
            Z = data @ Bcat
            return Bcat, Z, xp.sum(xp.reshape(Z * Z, (-1, G, r)), axis=2)
        codes = [xp.matrix_transpose(Bcat) @ A for A in data]
        energy = xp.stack([xp.sum(xp.reshape(Z * Z, (G, -1)), axis=1) for Z in codes])
        return Bcat, codes, energy

    def predict(self, X):
        """The group whose basis represents each matrix best.

        Parameters
        ----------
        X : list of arrays of shape (n, d_k), array of shape (m, n, d), or \
                array of shape (m, n)

        Returns
        -------
        labels : array of shape (n_matrices,)
        """
        check_is_fitted(self)
        ctx, data, layout = self._blocks(X, reset=False)
        _, _, energy = self._scores(ctx, data, layout)
        return ctx.output(ctx.xp.argmax(energy, axis=1))

    def transform(self, X):
        """Codes of each matrix in its group's basis, in a block layout.

        Matrix ``A`` assigned to group ``g`` (by :meth:`predict`) is coded as
        ``U_g' A`` in rows ``g * r`` to ``(g + 1) * r`` of an array of
        ``n_groups * r`` rows, the other rows being zero, so that
        :meth:`inverse_transform` is one product with the stacked bases.

        Parameters
        ----------
        X : list of arrays of shape (n, d_k), array of shape (m, n, d), or \
                array of shape (m, n)

        Returns
        -------
        codes : array of shape (m, n_groups * r), array of shape \
                (m, n_groups * r, d), or list of arrays of shape (n_groups * r, d_k)
            Same layout as ``X``.
        """
        check_is_fitted(self)
        ctx, data, layout = self._blocks(X, reset=False)
        xp = ctx.xp
        Bcat, codes, energy = self._scores(ctx, data, layout)
        G, r = self.bases_.shape[0], self.bases_.shape[2]
        label = xp.argmax(energy, axis=1)
        group_of_row = xp.reshape(
            xp.broadcast_to(xp.reshape(xp.arange(G, **device_kw(energy)), (G, 1)), (G, r)), (-1,)
        )
        mask = xp.astype(group_of_row[None, :] == label[:, None], energy.dtype)  # (m, G r)
        if layout == "2d":
            return ctx.output(codes * mask)
        out = [Z * mask[i, :][:, None] for i, Z in enumerate(codes)]
        if layout == "3d":
            return ctx.output(xp.stack(out))
        return [ctx.output(Z) for Z in out]

    def inverse_transform(self, X):
        """Matrices from their block codes: ``[U_1, ..., U_G] @ code``.

        Parameters
        ----------
        X : array of shape (m, n_groups * r), array of shape \
                (m, n_groups * r, d), or list of arrays of shape (n_groups * r, d_k)
            Output of :meth:`transform`.

        Returns
        -------
        matrices : same layout as the input of :meth:`transform`
        """
        check_is_fitted(self)
        codes = X if isinstance(X, (list, tuple)) else [X]
        codes = [np.asarray(Z) if isinstance(Z, (list, np.ndarray)) else Z for Z in codes]
        ctx = compute_context(self.device, codes[0])
        xp = ctx.xp
        codes = [ctx.asarray(Z) for Z in codes]
        Bcat = self._stacked_bases(ctx, codes[0].dtype)
        if isinstance(X, (list, tuple)):
            return [ctx.output(Bcat @ Z) for Z in codes]
        Z = codes[0]
        if Z.ndim == 2:
            return ctx.output(Z @ xp.matrix_transpose(Bcat))
        return ctx.output(xp.stack([Bcat @ Z[i, ...] for i in range(Z.shape[0])]))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


def _is_2d(X):
    """A 2-D (or invalid 1-D) array, nested lists included, not a collection of matrices."""
    if isinstance(X, (list, tuple)):
        first = X[0] if X else None
        return isinstance(first, (list, tuple)) and (not first or np.isscalar(first[0]))
    return (X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim) <= 2
