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
from sklearn.utils.validation import check_is_fitted, check_random_state

from .._backend import (
    compute_context,
    device_kw,
    get_namespace,
    has_float64,
    is_numpy,
    to_float,
    to_numpy,
)
from .._linalg import safe_matmul, svd_flip
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
        self.device = {}  # device= keyword of arrays made next to the data

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
        obj.device = device_kw(X)
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
    def global_mean(self):
        if self.sparse:
            return float(np.mean(self.values))
        return to_float(self.xp.sum(self.X0)) / self.n_observed

    def value_range(self):
        """``(min, max)`` of the observed values (floats)."""
        if self.sparse:
            return float(np.min(self.values)), float(np.max(self.values))
        xp = self.xp
        observed = self.W > 0
        big = xp.asarray(np.inf, dtype=self.dtype, **self.device)
        lo = to_float(xp.min(xp.where(observed, self.X0, big)))
        hi = to_float(xp.max(xp.where(observed, self.X0, -big)))
        return lo, hi

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

    # -- regularized biases --------------------------------------------------
    def row_counts(self):
        if self.sparse:
            return np.bincount(self.rows, minlength=self.shape[0]).astype(self.dtype)
        return self.xp.sum(self.W, axis=1)

    def column_counts(self):
        if self.sparse:
            return np.bincount(self.cols, minlength=self.shape[1]).astype(self.dtype)
        return self.xp.sum(self.W, axis=0)

    def _sums_and_pattern(self):
        """Row and column sums of the observed values and the 0/1 pattern (cached, sparse)."""
        m, n = self.shape
        if not hasattr(self, "_pattern"):
            self._pattern = self._csr(np.ones_like(self.values))
            self._pattern_t = self._pattern.T.tocsr()
        if getattr(self, "_sums_of", None) is not self.values:
            # The values are replaced, never modified in place, when they change.
            self._sums_of = self.values
            self._sums = (
                np.bincount(self.rows, weights=self.values, minlength=m).astype(self.dtype),
                np.bincount(self.cols, weights=self.values, minlength=n).astype(self.dtype),
            )
        return self._sums, self._pattern, self._pattern_t

    def _row_sums(self, col_shift):
        """Per row, the sum over its observed entries of ``x_ij - col_shift[j]``."""
        if self.sparse:
            (rows, _), P, _ = self._sums_and_pattern()
            return rows - P @ col_shift
        return self.xp.sum(self.X0, axis=1) - self.W @ col_shift

    def _column_sums(self, row_shift):
        if self.sparse:
            (_, cols), _, Pt = self._sums_and_pattern()
            return cols - Pt @ row_shift
        return self.xp.sum(self.X0, axis=0) - row_shift @ self.W

    def fit_biases(self, ridge, max_iter=100, tol=1e-5, start=None):
        """Regularized row and column effects ``(b, c)`` of the observed values.

        Minimizes ``sum_Omega (x_ij - b_i - c_j)^2 + ridge (||b||^2 + ||c||^2)``
        by exact alternating updates ``b_i = sum_j (x_ij - c_j) / (n_i + ridge)``
        (the baseline predictor of Koren 2010); ``ridge`` acts as a pseudo-count.
        A row or column with no observed entry gets zero. ``start``: the
        column effects to start from (a warm start).
        """
        xp = self.xp
        rc = self.row_counts() + ridge
        cc = self.column_counts() + ridge
        rc = xp.where(rc > 0, rc, xp.ones_like(rc))
        cc = xp.where(cc > 0, cc, xp.ones_like(cc))
        c = xp.zeros(self.shape[1], dtype=self.dtype, **self.device) if start is None else start
        b = self._row_sums(c) / rc
        for _ in range(max_iter):
            c_new = self._column_sums(b) / cc
            b = self._row_sums(c_new) / rc
            delta = to_float(xp.max(xp.abs(c_new - c))) if c.shape[0] else 0.0
            c = c_new
            if delta <= tol * (to_float(xp.max(xp.abs(c))) + 1e-300):
                break
        return b, c

    def shifted(self, b, c):
        """A copy holding ``x_ij - b_i - c_j`` at the observed entries."""
        out = _Observed(self.shape, self.dtype, self.xp)
        out.n_observed = self.n_observed
        out.sparse = self.sparse
        if self.sparse:
            out.rows, out.cols, out.indptr = self.rows, self.cols, self.indptr
            out.values = self.values - b[self.rows] - c[self.cols]
        else:
            out.W = self.W
            out.X0 = self.W * (self.X0 - b[:, None] - c)
        return out

    def biased_operands(self, b, c):
        """``(W, X - 1 c', W', (X - b 1')')`` at the observed entries.

        The operands of the row and column half-steps of a fit with row
        biases ``b`` and column biases ``c``, as :meth:`ridge_operands`.
        """
        xp = self.xp
        if not self.sparse:
            Wt = xp.matrix_transpose(self.W)
            return (
                self.W,
                self.W * (self.X0 - c),
                Wt,
                Wt * (xp.matrix_transpose(self.X0) - b),
            )
        if not hasattr(self, "_t_order"):
            # The transposed pattern and the permutation from row-major order.
            self._t_order = np.lexsort((self.rows, self.cols))
            counts = np.bincount(self.cols, minlength=self.shape[1])
            self._t_indptr = np.zeros(self.shape[1] + 1, dtype=np.int64)
            np.cumsum(counts, out=self._t_indptr[1:])
            self._t_indices = self.rows[self._t_order]
        Xr = self._csr(self.values - c[self.cols])
        t = self._t_order
        Xt = sp.csr_matrix(
            (self.values[t] - b[self._t_indices], self._t_indices, self._t_indptr),
            shape=self.shape[::-1],
        )
        return None, Xr, None, Xt

    def center(self, mode, n_alternations=10):
        """Remove column means (``"columns"``) or row and column effects (``"both"``).

        ``"both"`` alternates row and column centring of the observed entries
        (the additive part of bi-scaling, Hastie et al. 2015, Section 6).
        Returns the column means and row offsets removed.
        """
        xp = self.xp
        mean = self.column_means()
        # A column with no observed entry is predicted by the global mean (not 0).
        mean = xp.where(self.column_counts() > 0, mean, xp.full_like(mean, self.global_mean()))
        self.subtract(mean)
        offsets = xp.zeros(self.shape[0], dtype=self.dtype, **self.device)
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


class Biases:
    """Regularized row and column effects fitted jointly with the low-rank part.

    The model is ``x_ij ~ row[i] + col[j] + (A B')_ij`` (the global mean
    removed beforehand) with the penalty ``ridge (||row||^2 + ||col||^2)``;
    the solvers update ``row`` and ``col`` in place.
    """

    def __init__(self, ridge, row, col):
        self.ridge = float(ridge)
        self.row = row
        self.col = col

    def copy(self):
        return Biases(self.ridge, self.row, self.col)


def biased_ridge_rows(W, Xc, basis, ridge, bias_ridge, xp):
    """:func:`ridge_rows` on ``[basis, 1]``: every row's factor and its bias, jointly.

    Returns ``(A, b)``; the factor coefficients get ``ridge``, the bias
    ``bias_ridge``.
    """
    r = basis.shape[1]
    dev = device_kw(basis)
    ones = xp.ones((basis.shape[0], 1), dtype=basis.dtype, **dev)
    penalty = xp.asarray([float(ridge)] * r + [float(bias_ridge)], dtype=basis.dtype, **dev)
    Ab = ridge_rows(W, Xc, xp.concat([basis, ones], axis=1), penalty, xp)
    return Ab[:, :r], Ab[:, r]


def relative_change(U1, d1, V1, U2, d2, V2, xp):
    """``||Z1 - Z2||_F / ||Z1||_F`` for ``Z = U diag(d) V'`` with orthonormal factors.

    Computed from the factors in ``O((m + n) r^2)`` (the square root of Hastie
    et al. 2015, eq. 16): ``n1 + n2 - 2 cross``, which cancels. Below float64
    (where the namespace has float64) it is formed in float64 and without
    taking the factors as exactly orthonormal: float32 factors are so only to
    ~1e-7, which after the square root (~3e-4) would decide a ``tol`` of 1e-4.
    """
    empty = U1.shape[1] == 0 or U2.shape[1] == 0
    if not empty and d1.dtype != xp.float64 and has_float64(xp, d1):
        U1, d1, V1, U2, d2, V2 = (xp.astype(a, xp.float64) for a in (U1, d1, V1, U2, d2, V2))
        n1 = _factor_inner(U1, d1, V1, U1, d1, V1, xp)
        n2 = _factor_inner(U2, d2, V2, U2, d2, V2, xp)
    else:
        n1, n2 = xp.sum(d1 * d1), xp.sum(d2 * d2)
    cross = 0.0 if empty else _factor_inner(U1, d1, V1, U2, d2, V2, xp)
    num = to_float(n1 + n2 - 2 * cross)
    den = to_float(n1)
    return math.sqrt(max(num, 0.0) / max(den, 1e-300))


def _factor_inner(U1, d1, V1, U2, d2, V2, xp):
    """``<Z1, Z2>_F`` for ``Z = U diag(d) V'``, in ``O((m + n) r^2)``."""
    UU = xp.matrix_transpose(U1) @ U2
    VV = xp.matrix_transpose(V2) @ V1
    return xp.sum(d1 * xp.linalg.diagonal((UU * d2) @ VV))


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
        return xp.zeros((m, 0), dtype=basis.dtype, **device_kw(basis))
    # Singular Gram matrices (rows with fewer than r observed entries) get a tiny jitter.
    scale = to_float(xp.max(xp.sum(basis * basis, axis=0)))
    floor = 1e-10 * max(scale, 1e-300)
    if isinstance(ridge, numbers.Real):
        ridge = max(float(ridge), floor)
        eye = ridge * xp.eye(r, dtype=basis.dtype, **device_kw(basis))
    else:
        # One ridge per coefficient (e.g. a factor's and a bias's).
        dev = device_kw(basis)
        ridge = xp.clip(xp.asarray(ridge, dtype=basis.dtype, **dev), floor, None)
        eye = xp.eye(r, dtype=basis.dtype, **dev) * ridge
    if sp.issparse(Xc):
        return _ridge_rows_csr(sp.csr_matrix(Xc), basis, eye)
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
        GW = safe_matmul(W[start:stop, :], BB)
        if is_numpy(xp):
            G = np.empty((stop - start, r, r), dtype=GW.dtype)
            G[:, iu, ju] = GW
            G[:, ju, iu] = GW
        else:
            G = xp.reshape(GW, (stop - start, r, r))
        G = G + eye
        rhs = safe_matmul(Xc[start:stop, :], basis)
        parts.append(xp.linalg.solve(G, rhs[:, :, None])[:, :, 0])
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)


# Up to this rank _ridge_rows_csr forms the Gram matrices by one sparse product.
_SPMM_MAX_RANK = 24
# Elements of the gathered factor rows held at once by _ridge_rows_csr (32 MB in float64).
_GATHER_ELEMS = 1 << 22


# Rows with more observed entries than this are grouped into buckets whose
# lengths grow geometrically by _BUCKET_RATIO (and padded to the longest).
_EXACT_COUNTS = 16
_BUCKET_RATIO = 1.25


def _count_buckets(counts):
    """Bucket id of every row count: exact up to 16, then geometric (ratio 1.25)."""
    big = counts > _EXACT_COUNTS
    ids = counts.astype(np.int64)
    ratio = np.log(_BUCKET_RATIO)
    ids[big] = (
        _EXACT_COUNTS + 1 + np.floor(np.log(counts[big] / _EXACT_COUNTS) / ratio).astype(np.int64)
    )
    return ids


def _csr_normal_groups(X, basis):
    """Yield ``(rows, G, rhs)``: the normal equations of the rows of a CSR matrix.

    ``G[t] = B_o' B_o`` and ``rhs[t] = B_o' x_o`` for row ``rows[t]`` with
    observed (stored) columns ``o``. Rows are grouped by their number of
    observed entries (exactly up to 16, then in buckets of lengths growing
    by 25%, padded with a zero factor row to the bucket's longest: at most
    a quarter more work, but a few dozen groups instead of one per distinct
    count, whose Python overhead dominated on ratings matrices); for a
    group, the factor rows at the observed columns are gathered into a
    ``(rows, k, r)`` array and the products come from batched ``matmul``
    (BLAS). This reads the small ``n x r`` basis instead of the
    ``n x r^2`` outer products that a sparse product ``W @ (B * B)``
    streams through cache for every observed entry, several times faster on
    large matrices. Rows with no observed entry are skipped.
    """
    m, r = X.shape[0], basis.shape[1]
    indptr, indices, data = X.indptr, X.indices, X.data
    counts = np.diff(indptr)
    order = np.argsort(counts, kind="stable")
    sorted_counts = counts[order]
    buckets = _count_buckets(sorted_counts)
    bounds = np.flatnonzero(np.diff(buckets)) + 1
    padded = np.concatenate([basis, np.zeros((1, r), dtype=basis.dtype)])
    pad_col = basis.shape[0]
    values = np.concatenate([data.astype(basis.dtype, copy=False), np.zeros(1, basis.dtype)])
    cols = np.concatenate([indices, [pad_col]])
    nnz = data.shape[0]
    for start, stop in zip(np.r_[0, bounds], np.r_[bounds, m], strict=True):
        k = int(sorted_counts[stop - 1])
        if k == 0:
            continue
        uniform = k == int(sorted_counts[start])
        step = max(1, _GATHER_ELEMS // (k * (r + 1)))
        for lo in range(start, stop, step):
            rows = order[lo : min(lo + step, stop)]
            idx = indptr[rows][:, None] + np.arange(k)
            if not uniform:
                # Entries past a row's count point at the zero row / zero value.
                idx = np.where(np.arange(k) < counts[rows][:, None], idx, nnz)
            idx = idx.ravel()
            T = padded[cols[idx]].reshape(rows.shape[0], k, r)
            Tt = T.transpose(0, 2, 1)
            x = values[idx].reshape(rows.shape[0], k, 1)
            yield rows, Tt @ T, (Tt @ x)[:, :, 0]


def _ridge_rows_csr(X, basis, eye):
    """:func:`ridge_rows` for a CSR matrix (stored entries = observed), NumPy only.

    ``eye`` is the (diagonal) ridge matrix added to every row's Gram matrix.
    """
    m, r = X.shape[0], basis.shape[1]
    G = np.empty((m, r, r), dtype=basis.dtype)
    G[:] = eye  # rows with no observed entry solve eye a = 0
    if r <= _SPMM_MAX_RANK:
        # Small rank (measured faster up to about 24 on MovieLens-100K and on
        # 1000 x 1000 with 10% observed): one sparse product with the row-wise outer products
        # (upper triangles, n x r(r+1)/2, small enough to stay in cache)
        # beats gathering batches of tiny matrices.
        iu, ju = np.triu_indices(r)
        pattern = sp.csr_matrix((np.ones_like(X.data), X.indices, X.indptr), shape=X.shape)
        GW = np.asarray(pattern @ (basis[:, iu] * basis[:, ju]))
        diag = np.diagonal(eye).copy()
        G[:, iu, ju] = GW
        G[:, ju, iu] = GW
        G[:, np.arange(r), np.arange(r)] += diag
        rhs = np.asarray(X @ basis)
    else:
        rhs = np.zeros((m, r), dtype=basis.dtype)
        for rows, Gk, rk in _csr_normal_groups(X, basis):
            G[rows] += Gk
            rhs[rows] = rk
    # One batched solve (per-call overhead dominated one solve per group).
    return np.linalg.solve(G, rhs[:, :, None])[:, :, 0]


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


def fold_in(Xn, basis, ridge, mean, missing_values, xp, *, row_offsets=False, bias_ridge=None):
    """Ridge fold-in of new rows against column factors.

    For every row ``x`` with observed set ``o``, solves
    ``min_a ||x_o - mean_o - r - B_o a||^2 + ridge ||a||^2`` (see
    :func:`ridge_rows`), where the row offset ``r`` is the mean of
    ``x_o - mean_o`` when ``row_offsets`` and zero otherwise. With
    ``bias_ridge`` the offset is a regularized bias fitted jointly with
    ``a`` (penalty ``bias_ridge r^2``), as in the fit with ``center="biases"``;
    a row with no observed entry gets ``a = 0`` and ``r = 0``. ``Xn`` is dense
    with missing entries, or SciPy sparse (stored = observed). Returns the
    row factors ``A`` and the offsets.
    """
    if bias_ridge is not None:
        if sp.issparse(Xn):
            Xn = sp.csr_matrix(Xn)
            Xc = sp.csr_matrix((Xn.data - mean[Xn.indices], Xn.indices, Xn.indptr), shape=Xn.shape)
            W = None
        else:
            observed = ~_is_missing(Xn, missing_values, xp)
            W = xp.astype(observed, basis.dtype)
            Xc = xp.where(observed, Xn - mean, xp.zeros_like(Xn))
        return biased_ridge_rows(W, Xc, basis, ridge, bias_ridge, xp)
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
        offsets = xp.zeros(Xn.shape[0], dtype=basis.dtype, **device_kw(Xn))
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
        check_observed(obs)
        self.value_range_ = obs.value_range()
        mode = self._center_mode()
        self.intercept_ = 0.0
        if mode is None:
            mean = xp.zeros(obs.shape[1], dtype=obs.dtype, **obs.device)
            offsets = xp.zeros(obs.shape[0], dtype=obs.dtype, **obs.device)
        elif mode == "biases":
            self.intercept_ = obs.global_mean()
            obs.subtract(xp.full(obs.shape[1], self.intercept_, dtype=obs.dtype, **obs.device))
            b, c = self._initial_biases(obs)
            if self._fits_biases_jointly():
                self.biases_ = Biases(self.bias_shrinkage_, b, c)
            else:
                obs = obs.shifted(b, c)
            mean, offsets = c + self.intercept_, b
        else:
            mean, offsets = obs.center(mode)
        return obs, mean, offsets, xp

    def _center_mode(self):
        if self.center is False or self.center is None:
            return None
        if self.center in ("both", "biases"):
            return self.center
        return "columns"

    def _fits_biases_jointly(self):
        """Whether ``_fit_factors`` refits the biases with the factors (``center="biases"``)."""
        return False

    def _initial_biases(self, obs):
        """Regularized row and column biases of the bias-only model; sets ``bias_shrinkage_``.

        ``bias_shrinkage="auto"`` picks the ridge with the smallest error on a
        held-out tenth of the observed entries (fixed seed unless
        ``random_state`` is given).
        """
        from ._path import choose_bias_shrinkage, split_observed

        ridge = self.bias_shrinkage
        if ridge == "auto":
            if obs.n_observed < 10:
                ridge = 1.0
            else:
                rng = check_random_state(0 if self.random_state is None else self.random_state)
                train, (hr, hc, hv) = split_observed(obs, 0.1, rng)
                ridge = choose_bias_shrinkage(train, (hr, hc, hv))
        self.bias_shrinkage_ = float(ridge)
        return obs.fit_biases(self.bias_shrinkage_)

    def _clip(self, Z, xp):
        if not self.clip:
            return Z
        lo, hi = self.value_range_
        return xp.clip(Z, lo, hi)

    def _context(self, X):
        if sp.issparse(X):
            return compute_context("cpu" if self.device == "gpu" else self.device, np.empty(0))
        return compute_context(self.device, X)

    def _fit(self, X):
        X = self._check_input(X, reset=True)
        ctx = self._context(X)
        obs, mean, offsets, xp = self._observe(X, ctx)
        U, s, Vt = self._fit_factors(obs, xp)
        if self._center_mode() == "biases" and self._fits_biases_jointly():
            mean, offsets = self.biases_.col + self.intercept_, self.biases_.row
            del self.biases_
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
        Z = self._clip(Z + ctx.asarray(self.row_offsets_)[:, None], ctx.xp)
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
            bias_ridge=self.bias_shrinkage_ if self._center_mode() == "biases" else None,
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
        Z = self._clip(A @ ctx.xp.matrix_transpose(basis) + mean, ctx.xp)
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
        return self._clip(out, np)


def check_observed(obs, what="X"):
    """Raise a clear error when there is no observed entry to fit."""
    if obs.n_observed == 0:
        raise ValueError(
            f"{what} has no observed entry (every entry is missing): there is nothing to "
            "complete the matrix from."
        )


# rank=None of the fixed-rank estimators: this, or less on smaller data.
DEFAULT_RANK = 10


def _default_rank(rank, shape):
    """``rank``, or ``min(DEFAULT_RANK, *shape)`` for ``None``."""
    return min(DEFAULT_RANK, *shape) if rank is None else rank


def _check_rank(rank, shape, name):
    limit = min(shape)
    if isinstance(rank, numbers.Integral) and rank > limit:
        raise ValueError(
            f"{name}={rank} must be at most min(n_samples, n_features)={limit} for data with "
            f"n_samples={shape[0]}, n_features={shape[1]}; lower {name}."
        )
    return rank


# The fixed shrinkage of ``shrinkage=None``, as a fraction of ``lambda_0``.
DEFAULT_SHRINKAGE_RATIO = 1e-3

# Working rank of the ALS solvers when ``max_rank=None`` (their memory and
# time grow as r^2 per observed entry or per row): at most this, and at most
# the rank whose (n_samples + n_features) * r factor entries get
# OBSERVED_PER_PARAMETER observed entries each.
DEFAULT_ALS_RANK = 50
OBSERVED_PER_PARAMETER = 4


def _working_rank(max_rank, shape, solver="svd", n_observed=None):
    if max_rank is not None:
        return min(max_rank, min(shape))
    if solver == "svd":
        return min(shape)
    rank = min(min(shape), DEFAULT_ALS_RANK)
    if n_observed is not None:
        identifiable = n_observed // (OBSERVED_PER_PARAMETER * (shape[0] + shape[1]))
        rank = min(rank, max(2, identifiable))
    return rank
