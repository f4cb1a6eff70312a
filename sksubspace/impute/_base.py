"""Machinery shared by the matrix completion estimators.

The observed entries of ``X`` are held in one of two forms, chosen once per fit:

* dense: the zero-filled matrix ``X0`` and the 0/1 mask ``W`` (any array-API
  namespace, so the same code runs on NumPy, CuPy and array_api_strict);
* sparse (NumPy only): the observed values with their row and column indices
  and a CSR pattern, so that a residual ``P_Omega(X - A B')`` costs
  ``O(|Omega| r)`` and the dense ``m x n`` matrix is never formed.

Every estimator ends with a factorization ``Z = row_factors_ @ components_ +
mean_`` and folds new rows in with the same batched ridge solve.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, get_namespace, is_numpy, to_float, to_numpy
from .._linalg import svd_flip
from .._validation import ArrayAPISupportMixin, validate_data

# Above this observed fraction a dense NumPy input is kept dense (masked
# products are then as cheap as sparse ones); below, it is stored sparse.
_SPARSE_BELOW = 0.3
# Entries per chunk when gathering factor rows at observed positions.
_CHUNK = 1 << 18


def _is_missing(X, missing_values, xp):
    if isinstance(missing_values, float) and math.isnan(missing_values):
        return xp.isnan(X)
    return X == missing_values


class _Observed:
    """The observed entries of a matrix, dense (masked) or sparse (indexed)."""

    def __init__(self, shape, dtype, xp):
        self.shape = shape
        self.dtype = dtype
        self.xp = xp
        self.sparse = False

    # -- construction -----------------------------------------------------
    @classmethod
    def from_dense(cls, X, missing_values, xp, *, allow_sparse=True):
        obj = cls(tuple(X.shape), X.dtype, xp)
        miss = _is_missing(X, missing_values, xp)
        observed = ~miss
        n_obs = int(to_float(xp.sum(xp.astype(observed, xp.int64))))
        obj.n_observed = n_obs
        if allow_sparse and is_numpy(xp) and n_obs < _SPARSE_BELOW * X.shape[0] * X.shape[1]:
            rows, cols = np.nonzero(np.asarray(observed))
            return cls._from_coo(X.shape, np.asarray(X)[rows, cols], rows, cols, X.dtype)
        obj.W = xp.astype(observed, X.dtype)
        obj.X0 = xp.where(observed, X, xp.zeros_like(X))
        return obj

    @classmethod
    def from_sparse(cls, X):
        X = sp.csr_matrix(X)
        X.sum_duplicates()
        rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
        return cls._from_coo(X.shape, X.data, rows, X.indices.astype(np.int64), X.dtype)

    @classmethod
    def _from_coo(cls, shape, values, rows, cols, dtype):
        obj = cls(tuple(shape), dtype, get_namespace(np.empty(0)))
        obj.sparse = True
        order = np.lexsort((cols, rows))
        obj.rows, obj.cols = rows[order], cols[order]
        obj.values = np.ascontiguousarray(values[order], dtype=dtype)
        obj.n_observed = obj.values.shape[0]
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(obj.rows, minlength=shape[0]), out=indptr[1:])
        obj.indptr = indptr
        return obj

    # -- centring -----------------------------------------------------------
    def column_means(self):
        xp = self.xp
        if self.sparse:
            n = self.shape[1]
            counts = np.bincount(self.cols, minlength=n)
            sums = np.bincount(self.cols, weights=self.values, minlength=n)
            return (sums / np.maximum(counts, 1)).astype(self.dtype)
        counts = xp.sum(self.W, axis=0)
        return xp.sum(self.X0, axis=0) / xp.where(counts > 0, counts, xp.ones_like(counts))

    def subtract(self, mean):
        """Observed values minus ``mean[column]`` (in place on a copy)."""
        if self.sparse:
            self.values = self.values - mean[self.cols]
        else:
            self.X0 = self.W * (self.X0 - mean)
        return self

    def row_means(self):
        xp = self.xp
        if self.sparse:
            m = self.shape[0]
            counts = np.bincount(self.rows, minlength=m)
            sums = np.bincount(self.rows, weights=self.values, minlength=m)
            return (sums / np.maximum(counts, 1)).astype(self.dtype)
        counts = xp.sum(self.W, axis=1)
        return xp.sum(self.X0, axis=1) / xp.where(counts > 0, counts, xp.ones_like(counts))

    def subtract_rows(self, offsets):
        """Observed values minus ``offsets[row]``."""
        if self.sparse:
            self.values = self.values - offsets[self.rows]
        else:
            self.X0 = self.W * (self.X0 - offsets[:, None])
        return self

    def center(self, mode, n_alternations=10):
        """Remove column means (``"columns"``) or row and column effects (``"both"``).

        ``"both"`` alternates row and column centring of the observed entries
        (the additive part of bi-scaling, Hastie et al. 2015, Section 6).
        Returns the column means and row offsets removed.
        """
        xp = self.xp
        mean = self.column_means()
        self.subtract(mean)
        offsets = xp.zeros(self.shape[0], dtype=self.dtype)
        if mode == "both":
            for _ in range(n_alternations):
                r = self.row_means()
                self.subtract_rows(r)
                offsets = offsets + r
                c = self.column_means()
                self.subtract(c)
                mean = mean + c
        return mean, offsets

    # -- products -----------------------------------------------------------
    def _csr(self, data):
        return sp.csr_matrix((data, self.cols, self.indptr), shape=self.shape)

    def ridge_operands(self):
        """``(W, Xc, W', Xc')``: mask and values for row-wise and column-wise ridge solves.

        For sparse data the masks are ``None`` (the pattern of the CSR values
        is the mask, see :func:`ridge_rows`).
        """
        xp = self.xp
        if self.sparse:
            X = self._csr(self.values)
            return None, X, None, X.T.tocsr()
        return self.W, self.X0, xp.matrix_transpose(self.W), xp.matrix_transpose(self.X0)

    def zero_filled(self):
        """``P_Omega(X)`` as a dense array or a CSR matrix."""
        return self._csr(self.values) if self.sparse else self.X0

    def entries(self, A, B, rows=None, cols=None):
        """``(A @ B.T)[rows, cols]`` (default: at the observed entries), chunked."""
        rows = self.rows if rows is None else rows
        cols = self.cols if cols is None else cols
        out = np.empty(rows.shape[0], dtype=A.dtype)
        for start in range(0, rows.shape[0], _CHUNK):
            stop = start + _CHUNK
            out[start:stop] = np.einsum(
                "ij,ij->i", A[rows[start:stop]], B[cols[start:stop]], optimize=False
            )
        return out

    def residual(self, A, B):
        """``P_Omega(X - A @ B.T)``: a dense array or a CSR matrix."""
        if self.sparse:
            return self._csr(self.values - self.entries(A, B))
        return self.W * (self.X0 - A @ self.xp.matrix_transpose(B))

    def residual_sq(self, A, B):
        """Squared Frobenius norm of the observed residual (a float)."""
        if self.sparse:
            r = self.values - self.entries(A, B)
            return float(r @ r)
        R = self.residual(A, B)
        return to_float(self.xp.sum(R * R))


def _rmatmul(S, M, xp):
    """``S.T @ M`` for a dense array or a SciPy sparse ``S``."""
    if sp.issparse(S):
        return np.asarray(S.T @ M)
    return xp.matrix_transpose(S) @ M


def _matmul(S, M):
    if sp.issparse(S):
        return np.asarray(S @ M)
    return S @ M


def relative_change(U1, d1, V1, U2, d2, V2, xp):
    """``||Z1 - Z2||_F / ||Z1||_F`` for ``Z = U diag(d) V'`` with orthonormal factors.

    Computed from the factors in ``O((m + n) r^2)`` (the square root of Hastie
    et al. 2015, eq. 16).
    """
    n1 = xp.sum(d1 * d1)
    n2 = xp.sum(d2 * d2)
    if U1.shape[1] == 0 or U2.shape[1] == 0:
        cross = 0.0
    else:
        UU = xp.matrix_transpose(U1) @ U2
        VV = xp.matrix_transpose(V2) @ V1
        cross = xp.sum(d1 * xp.linalg.diagonal((UU * d2) @ VV))
    num = to_float(n1 + n2 - 2 * cross)
    den = to_float(n1)
    return math.sqrt(max(num, 0.0) / max(den, 1e-300))


def svd_of_product(A, B, xp):
    """``(U, d, V)`` with ``A @ B.T = U diag(d) V.T`` (orthonormal ``U``, ``V``), in ``O((m + n) r^2)``."""
    Qa, Ra = xp.linalg.qr(A)
    Qb, Rb = xp.linalg.qr(B)
    u, d, vt = xp.linalg.svd(Ra @ xp.matrix_transpose(Rb))
    return Qa @ u, d, Qb @ xp.matrix_transpose(vt)


def ridge_rows(W, Xc, basis, ridge, xp):
    """Row-wise ridge regressions on a shared basis, batched.

    For every row ``i`` solves ``min_a sum_j W_ij (Xc_ij - B_j a)^2 + ridge ||a||^2``,
    i.e. ``(B' diag(W_i) B + ridge I) a_i = B' Xc_i`` with ``Xc`` zero where
    ``W`` is zero. ``W`` and ``Xc`` are dense arrays; or ``Xc`` is a SciPy
    sparse matrix whose stored entries are the observed ones and ``W`` is
    ignored (pass ``None``). Dense: the ``r x r`` systems are built with one
    product ``W @ (B * B)`` (``B * B`` the row-wise outer products,
    ``n x r^2``) per batch of rows and solved together. Sparse: see
    :func:`_ridge_rows_csr`. Cost ``O(|Omega| r^2 + m r^3)``.
    """
    m = Xc.shape[0]
    r = basis.shape[1]
    if r == 0:
        return xp.zeros((m, 0), dtype=basis.dtype)
    # Singular Gram matrices (rows with fewer than r observed entries) get a tiny jitter.
    scale = to_float(xp.max(xp.sum(basis * basis, axis=0)))
    ridge = max(float(ridge), 1e-10 * max(scale, 1e-300))
    if sp.issparse(Xc):
        return _ridge_rows_csr(sp.csr_matrix(Xc), basis, ridge)
    eye = xp.eye(r, dtype=basis.dtype)
    step = max(1, (1 << 22) // (r * r))
    if is_numpy(xp):
        # Only the upper triangle of each Gram matrix: half the products.
        iu, ju = np.triu_indices(r)
        BB = basis[:, iu] * basis[:, ju]
    else:
        BB = xp.reshape(basis[:, :, None] * basis[:, None, :], (basis.shape[0], r * r))
    parts = []
    for start in range(0, m, step):
        stop = min(start + step, m)
        GW = _matmul(W[start:stop, :], BB)
        if is_numpy(xp):
            G = np.empty((stop - start, r, r), dtype=GW.dtype)
            G[:, iu, ju] = GW
            G[:, ju, iu] = GW
        else:
            G = xp.reshape(GW, (stop - start, r, r))
        G = G + ridge * eye
        rhs = _matmul(Xc[start:stop, :], basis)
        parts.append(xp.linalg.solve(G, rhs[:, :, None])[:, :, 0])
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)


# Elements of the gathered factor rows held at once by _ridge_rows_csr (32 MB in float64).
_GATHER_ELEMS = 1 << 22


def _csr_normal_groups(X, basis):
    """Yield ``(rows, G, rhs)``: the normal equations of the rows of a CSR matrix.

    ``G[t] = B_o' B_o`` and ``rhs[t] = B_o' x_o`` for row ``rows[t]`` with
    observed (stored) columns ``o``. Rows are grouped by their number of
    observed entries ``k``; for a group, the factor rows at the observed
    columns are gathered into a ``(rows, k, r)`` array and the products come
    from batched ``matmul`` (BLAS). This reads the small ``n x r`` basis
    instead of the ``n x r^2`` outer products that a sparse product
    ``W @ (B * B)`` streams through cache for every observed entry, several
    times faster on large matrices. Rows with no observed entry are skipped.
    """
    m, r = X.shape[0], basis.shape[1]
    indptr, indices, data = X.indptr, X.indices, X.data
    counts = np.diff(indptr)
    order = np.argsort(counts, kind="stable")
    sorted_counts = counts[order]
    bounds = np.flatnonzero(np.diff(sorted_counts)) + 1
    for start, stop in zip(np.r_[0, bounds], np.r_[bounds, m], strict=True):
        k = int(sorted_counts[start])
        if k == 0:
            continue
        step = max(1, _GATHER_ELEMS // (k * (r + 1)))
        for lo in range(start, stop, step):
            rows = order[lo : min(lo + step, stop)]
            idx = (indptr[rows][:, None] + np.arange(k)).ravel()
            T = basis[indices[idx]].reshape(rows.shape[0], k, r)
            Tt = T.transpose(0, 2, 1)
            x = data[idx].reshape(rows.shape[0], k, 1).astype(basis.dtype, copy=False)
            yield rows, Tt @ T, (Tt @ x)[:, :, 0]


def _ridge_rows_csr(X, basis, ridge):
    """:func:`ridge_rows` for a CSR matrix (stored entries = observed), NumPy only."""
    out = np.zeros((X.shape[0], basis.shape[1]), dtype=basis.dtype)
    eye = ridge * np.eye(basis.shape[1], dtype=basis.dtype)
    for rows, G, rhs in _csr_normal_groups(X, basis):
        G += eye
        out[rows] = np.linalg.solve(G, rhs[:, :, None])[:, :, 0]
    return out


def normal_equations(W, Xc, basis):
    """Per-row ``(B' diag(W_i) B, B' Xc_i)`` of :func:`ridge_rows`, NumPy only.

    Returns ``G`` of shape ``(m, r, r)`` and ``rhs`` of shape ``(m, r)``.
    Sums of these over blocks of the *other* dimension give the normal
    equations of the whole matrix (used by the blockwise Dask fit). ``Xc``
    dense with mask ``W``, or CSR (``W`` ignored).
    """
    m, r = Xc.shape[0], basis.shape[1]
    if sp.issparse(Xc):
        G = np.zeros((m, r, r), dtype=basis.dtype)
        rhs = np.zeros((m, r), dtype=basis.dtype)
        for rows, Gk, rk in _csr_normal_groups(sp.csr_matrix(Xc), basis):
            G[rows] = Gk
            rhs[rows] = rk
        return G, rhs
    BB = (basis[:, :, None] * basis[:, None, :]).reshape(basis.shape[0], r * r)
    return (W @ BB).reshape(m, r, r), Xc @ basis


def fold_in(Xn, basis, ridge, mean, missing_values, xp, *, row_offsets=False):
    """Ridge fold-in of new rows against column factors.

    For every row ``x`` with observed set ``o``, solves
    ``min_a ||x_o - mean_o - r - B_o a||^2 + ridge ||a||^2`` (see
    :func:`ridge_rows`), where the row offset ``r`` is the mean of
    ``x_o - mean_o`` when ``row_offsets`` and zero otherwise. ``Xn`` is dense
    with missing entries, or SciPy sparse (stored = observed). Returns the
    row factors ``A`` and the offsets.
    """
    if sp.issparse(Xn):
        Xn = sp.csr_matrix(Xn)
        W = None  # the pattern of Xc
        data = Xn.data - mean[Xn.indices]
        rows = np.repeat(np.arange(Xn.shape[0]), np.diff(Xn.indptr))
        offsets = np.zeros(Xn.shape[0], dtype=basis.dtype)
        if row_offsets:
            counts = np.maximum(np.diff(Xn.indptr), 1)
            offsets = (np.bincount(rows, weights=data, minlength=Xn.shape[0]) / counts).astype(
                basis.dtype
            )
            data = data - offsets[rows]
        Xc = sp.csr_matrix((data, Xn.indices, Xn.indptr), shape=Xn.shape)
    else:
        observed = ~_is_missing(Xn, missing_values, xp)
        W = xp.astype(observed, basis.dtype)
        Xc = xp.where(observed, Xn - mean, xp.zeros_like(Xn))
        offsets = xp.zeros(Xn.shape[0], dtype=basis.dtype)
        if row_offsets:
            counts = xp.sum(W, axis=1)
            offsets = xp.sum(Xc, axis=1) / xp.where(counts > 0, counts, xp.ones_like(counts))
            Xc = W * (Xc - offsets[:, None])
    return ridge_rows(W, Xc, basis, ridge, xp), offsets


def factors_from(U, s, Vt, xp):
    """Sort, sign-fix and drop the zero singular triplets of ``U diag(s) Vt``."""
    if s.shape[0] == 0:
        return U, s, Vt
    order = xp.argsort(-s, stable=True)
    U, s, Vt = xp.take(U, order, axis=1), xp.take(s, order), xp.take(Vt, order, axis=0)
    r = int(to_float(xp.sum(xp.astype(s > 0, xp.int64))))
    U, s, Vt = U[:, :r], s[:r], Vt[:r, :]
    if r:
        U, Vt = svd_flip(U, Vt)
    return U, s, Vt


class _BaseCompletion(ArrayAPISupportMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Input handling, fold-in ``transform`` and entry prediction.

    Subclasses implement ``_fit_factors(obs, ctx)`` returning ``(U, s, Vt)``
    (``Z - mean = U diag(s) Vt``) and ``_fold_in_ridge()``.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        return tags

    def _validate_missing(self):
        mv = self.missing_values
        return isinstance(mv, float) and math.isnan(mv)

    def _check_input(self, X, reset):
        X = validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=("csr", "csc", "coo"),
            allow_nan=self._validate_missing(),
        )
        if sp.issparse(X) and not np.all(np.isfinite(X.data)):
            raise ValueError(
                "Sparse input X holds NaN or infinity among its stored entries; in sparse "
                "input the stored entries are the observed ones, so store only finite values."
            )
        return X

    def _observe(self, X, ctx):
        if sp.issparse(X):
            obs = _Observed.from_sparse(X)
            xp = get_namespace(np.empty(0))
        else:
            Xc = ctx.asarray(X)
            xp = ctx.xp
            obs = _Observed.from_dense(Xc, self.missing_values, xp)
        mode = self._center_mode()
        if mode is None:
            mean = xp.zeros(obs.shape[1], dtype=obs.dtype)
            offsets = xp.zeros(obs.shape[0], dtype=obs.dtype)
        else:
            mean, offsets = obs.center(mode)
        return obs, mean, offsets, xp

    def _center_mode(self):
        if self.center is False or self.center is None:
            return None
        return "both" if self.center == "both" else "columns"

    def _context(self, X):
        if sp.issparse(X):
            return compute_context("cpu" if self.device == "gpu" else self.device, np.empty(0))
        return compute_context(self.device, X)

    def _fit(self, X):
        X = self._check_input(X, reset=True)
        ctx = self._context(X)
        obs, mean, offsets, xp = self._observe(X, ctx)
        U, s, Vt = self._fit_factors(obs, xp)
        U, s, Vt = factors_from(U, s, Vt, xp)
        self.rank_ = int(s.shape[0])
        self.mean_ = ctx.output(mean)
        self.row_offsets_ = ctx.output(offsets)
        self.components_ = ctx.output(Vt)
        self.singular_values_ = ctx.output(s)
        self.row_factors_ = ctx.output(U * s)
        return X, ctx

    def fit(self, X, y=None):
        """Fit the low-rank completion on the observed entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse matrix
            Missing entries are ``missing_values`` (NaN by default); in a
            sparse matrix, the stored entries are the observed ones.
        y : Ignored

        Returns
        -------
        self : object
        """
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return the completion of the training rows (transductive).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse matrix
        y : Ignored

        Returns
        -------
        X_completed : ndarray of shape (n_samples, n_features)
        """
        X, ctx = self._fit(X)
        Z = ctx.asarray(self.row_factors_) @ ctx.asarray(self.components_) + ctx.asarray(self.mean_)
        Z = Z + ctx.asarray(self.row_offsets_)[:, None]
        return ctx.output(self._merge(X, Z, ctx))

    def _merge(self, X, Z, ctx):
        """Keep the observed entries of ``X`` in ``Z`` when ``keep_observed``."""
        if not self.keep_observed:
            return Z
        if sp.issparse(X):
            X = sp.csr_matrix(X)
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            Z = np.array(Z, copy=True)
            Z[rows, X.indices] = X.data
            return Z
        xp = ctx.xp
        Xc = ctx.asarray(X)
        return xp.where(_is_missing(Xc, self.missing_values, xp), Z, Xc)

    def _basis(self, xp, ctx):
        s = ctx.asarray(self.singular_values_)
        return xp.matrix_transpose(ctx.asarray(self.components_)) * xp.sqrt(s)

    def _fold(self, X):
        check_is_fitted(self)
        X = self._check_input(X, reset=False)
        ctx = self._context(X)
        xp = ctx.xp
        mean = ctx.asarray(self.mean_)
        basis = self._basis(xp, ctx)
        Xn = X if sp.issparse(X) else ctx.asarray(X)
        A, offsets = fold_in(
            Xn,
            basis,
            self._fold_in_ridge(),
            mean,
            self.missing_values,
            xp,
            row_offsets=self._center_mode() == "both",
        )
        return X, ctx, A, basis, mean + offsets[:, None]

    def transform(self, X):
        """Complete new rows: fold each one in against the fitted column factors.

        Each row's observed entries are fitted by a ridge regression on the
        column factors (the same ridge as the fit's row update), and the row is
        completed from that fit. Rows with nothing missing are returned as
        they are (with ``keep_observed=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse matrix

        Returns
        -------
        X_completed : ndarray of shape (n_samples, n_features)
            Dense; for sparse input use :meth:`predict_entries` to avoid
            forming it.
        """
        X, ctx, A, basis, mean = self._fold(X)
        Z = A @ ctx.xp.matrix_transpose(basis) + mean
        return ctx.output(self._merge(X, Z, ctx))

    def transform_factors(self, X):
        """Row factors of new rows: ``transform(X) ~ transform_factors(X) @ components_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse matrix

        Returns
        -------
        factors : ndarray of shape (n_samples, rank_)
            Same scale as :attr:`row_factors_` (the completion is
            ``factors @ components_ + mean_``, plus each row's offset with
            ``center="both"``).
        """
        X, ctx, A, basis, mean = self._fold(X)
        return ctx.output(A * ctx.xp.sqrt(ctx.asarray(self.singular_values_)))

    def predict_entries(self, rows, cols, X=None):
        """Predicted values at ``(rows[k], cols[k])`` without forming the dense matrix.

        Parameters
        ----------
        rows, cols : array-like of int of shape (n_entries,)
            Row and column indices.
        X : array-like or sparse matrix of shape (n_samples, n_features), default=None
            None: ``rows`` index the training rows (transductive prediction).
            Otherwise ``rows`` index the rows of ``X``, which are folded in
            first (as in :meth:`transform`).

        Returns
        -------
        values : ndarray of shape (n_entries,)
        """
        check_is_fitted(self)
        rows = np.asarray(to_numpy(rows)).astype(np.int64, copy=False).ravel()
        cols = np.asarray(to_numpy(cols)).astype(np.int64, copy=False).ravel()
        if rows.shape != cols.shape:
            raise ValueError(
                f"rows and cols must have the same length; got {rows.shape} and {cols.shape}."
            )
        n_rows = self.row_factors_.shape[0] if X is None else X.shape[0]
        if rows.size and (rows.min() < 0 or rows.max() >= n_rows):
            raise ValueError(f"rows must be in [0, {n_rows}).")
        if cols.size and (cols.min() < 0 or cols.max() >= self.n_features_in_):
            raise ValueError(f"cols must be in [0, {self.n_features_in_}).")
        mean = np.asarray(to_numpy(self.mean_))
        if X is None:
            A = np.asarray(to_numpy(self.row_factors_))
            offsets = np.asarray(to_numpy(self.row_offsets_))
        else:
            _, ctx, A, _, full_mean = self._fold(X)
            A = np.asarray(to_numpy(A * ctx.xp.sqrt(ctx.asarray(self.singular_values_))))
            offsets = np.asarray(to_numpy(full_mean[:, 0])) - mean[0]
        V = np.asarray(to_numpy(self.components_)).T
        out = np.empty(rows.shape[0], dtype=A.dtype)
        for start in range(0, rows.shape[0], _CHUNK):
            r, c = rows[start : start + _CHUNK], cols[start : start + _CHUNK]
            out[start : start + _CHUNK] = np.einsum("ij,ij->i", A[r], V[c]) + mean[c] + offsets[r]
        return out


def _check_rank(rank, shape, name):
    limit = min(shape)
    if isinstance(rank, numbers.Integral) and rank > limit:
        raise ValueError(
            f"{name}={rank} must be at most min(n_samples, n_features)={limit} for data with "
            f"n_samples={shape[0]}, n_features={shape[1]}; lower {name}."
        )
    return rank
