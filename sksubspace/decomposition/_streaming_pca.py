"""Top eigenvectors of X'X from a stream of row chunks (Oja with heavy rows kept)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, from_numpy, get_namespace, to_numpy
from .._dask import (
    iter_row_blocks,
    map_row_blocks,
    pick_ops,
    reject_sample_weight,
    validate_dask_data,
)
from .._linalg import eigh_topk, orthonormalize, svd_flip
from .._sklearn_compat import Interval, StrOptions, _check_sample_weight, _fit_context
from .._validation import (
    ArrayAPISupportMixin,
    check_codes,
    check_n_components,
    check_random_state,
    validate_data,
)

__all__ = ["StreamingPCA"]


def _oja_step(V, X, eta):
    """One block Oja step ``V <- orth(V + eta X'X V)``."""
    xp = get_namespace(V, X)
    return orthonormalize(V + eta * (xp.matrix_transpose(X) @ (X @ V)))


class StreamingPCA(
    ArrayAPISupportMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    r"""Top eigenvectors of ``X'X`` from rows arriving in chunks (streaming PCA).

    Rows are seen once, in chunks passed to ``partial_fit``, with memory
    O(n_features * (n_components + max_heavy)). Following "Approximating the
    Top Eigenvector in Random Order Streams":

    * **heavy rows** (squared norm at least ``heavy_ratio`` times the running
      mean squared norm) are stored exactly (at most ``max_heavy`` of them,
      the heaviest kept), since a single heavy row can carry the top
      direction and an Oja step would over- or under-weight it;
    * the other rows drive a block **Oja** update
      ``V <- orth(V + eta_t X_t' X_t V)`` with the step
      ``eta_t = learning_rate / (lambda_t * n_t)``, where ``n_t`` is the
      number of rows seen and ``lambda_t`` the running estimate of the top
      eigenvalue per row. Early chunks thus act as power iterations and the
      step then decays like ``1/t`` relative to the signal, a schedule whose
      constant ``learning_rate`` (default 4) keeps ``eta_t (lambda_1 -
      lambda_2) > 1/2`` down to small eigen-gaps, where a fixed step fails;
    * the components are the top eigenvectors of the covariance restricted
      to the span of ``V`` and the heavy rows: the light rows' covariance
      along ``V`` (tracked as a k x k matrix) plus the heavy rows exactly.

    The estimate targets the uncentred second moment ``X'X`` (as the paper);
    centre the data beforehand if needed. With ``sample_weight`` it targets
    the weighted second moment ``X' diag(w) X``: each row enters as
    ``sqrt(w_i) x_i`` (a row of weight 2 counts as the row twice), rows
    are called heavy by their own norm, and rows of weight 0 are dropped. Rows should come in random order
    (``fit`` shuffles them).

    **Data larger than memory.** ``fit`` and ``partial_fit`` accept a
    ``dask.array.Array`` chunked by rows: its row blocks are computed (on the
    Dask workers, when a ``dask.distributed`` client is active) and consumed
    one at a time, so the memory needed here is one block plus the
    O(n_features * (n_components + max_heavy)) state. ``fit`` visits the
    blocks in random order and shuffles the rows within each block (a global
    shuffle would need the whole array); ``partial_fit`` takes each block as
    one chunk, in order. ``transform`` of a Dask array is a lazy Dask array.

    Parameters
    ----------
    n_components : int, default=1
        Number of eigenvectors.
    learning_rate : float, default=4.0
        Constant of the ``1/t`` Oja schedule.
    heavy_ratio : float, default=10.0
        A row is heavy when its squared norm is at least this times the
        running mean squared norm.
    max_heavy : int, default=50
        Most heavy rows stored.
    batch_size : int, default=100
        Chunk size used by ``fit``.
    random_state : int, RandomState instance or None, default=None
        Initial subspace and the shuffling in ``fit``.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Estimated top eigenvectors of ``X'X`` (orthonormal rows).
    explained_variance_ : ndarray of shape (n_components,)
        Estimated eigenvalues of ``X'X / n_samples_seen_`` (of
        ``X' diag(w) X / sum(w)`` with ``sample_weight``).
    n_samples_seen_ : int
        Rows seen.
    n_heavy_ : int
        Heavy rows stored.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string column names only).

    References
    ----------
    "Approximating the Top Eigenvector in Random Order Streams" (heavy rows
    stored, Oja on the rest). E. Oja, "Simplified neuron model as a principal
    component analyzer", J. Math. Biology, 1982.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.decomposition import StreamingPCA
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 20)) * np.r_[5.0, np.ones(19)]
    >>> est = StreamingPCA(random_state=0)
    >>> for chunk in np.array_split(X, 20):
    ...     est = est.partial_fit(chunk)
    >>> bool(abs(est.components_[0, 0]) > 0.99)
    True
    """

    # Deterministic shuffles, so device=None and "cpu" stream rows in one order.
    _test_init_params = {"random_state": 0}
    _expected_failed_checks = {
        "check_sample_weight_equivalence_on_dense_data": (
            "fit streams the rows in a random order drawn for n_samples rows, so repeating "
            "rows changes the order and the Oja iterate: the same second moment, not the "
            "same iterate (tests/test_streaming_pca.py checks the weighted second moment)"
        ),
    }

    # Row-chunked Dask input is routed to a Dask strategy before validate_data.
    _accepts_dask = True
    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "heavy_ratio": [Interval(numbers.Real, 1, None, closed="left")],
        "max_heavy": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(
        self,
        n_components=1,
        *,
        learning_rate=4.0,
        heavy_ratio=10.0,
        max_heavy=50,
        batch_size=100,
        random_state=None,
        device=None,
    ):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.heavy_ratio = heavy_ratio
        self.max_heavy = max_heavy
        self.batch_size = batch_size
        self.random_state = random_state
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Stream the rows of ``X`` in random order, in chunks of ``batch_size``.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            A Dask array (chunked by rows) is streamed block by block, never
            held in memory as a whole.
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Nonnegative row weights (in-memory ``X`` only): the target is
            ``X' diag(sample_weight) X``.

        Returns
        -------
        self : object
        """
        for name in ("_V", "components_"):
            if hasattr(self, name):
                delattr(self, name)
        rng = check_random_state(self.random_state)
        pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps).fit(self, X, sample_weight, rng)
        return self

    def _partial_fit_shuffled(self, X, rng, sw=None):
        """Stream the rows of ``X`` in random order, in chunks of ``batch_size``.

        Returns the compute context of the last chunk.
        """
        xp = get_namespace(X)
        order = rng.permutation(X.shape[0])
        index_like = xp.astype(X[:0, 0], xp.int64)  # integers on the device of X
        Xp = xp.take(X, from_numpy(order, like=index_like), axis=0)
        sw = None if sw is None else sw[order]
        for lo in range(0, X.shape[0], self.batch_size):
            hi = min(lo + self.batch_size, X.shape[0])
            ctx = self._partial_fit(Xp[lo:hi, :], rng, None if sw is None else sw[lo:hi])
        return ctx

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the estimate with one chunk of rows.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_chunk, n_features)
            A Dask array (chunked by rows) is consumed one row block at a
            time, each block being one chunk of the stream.
        y : Ignored
        sample_weight : array-like of shape (n_chunk,), default=None
            Nonnegative row weights (in-memory ``X`` only), as in ``fit``.

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "_V")
        if first:
            self._validate_params()
        ops = pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps)
        ops.partial_fit(self, X, sample_weight, first)
        return self

    def _partial_fit(self, X, rng, sw=None):
        """One chunk; ``sw`` the rows' weights on the host (None: all 1).

        The state (``V``, the light rows' covariance ``C``, the heavy rows
        ``H`` and the running scalars) stays where the computation runs from
        one chunk to the next, also with ``device="gpu"`` on NumPy input: a
        chunk reads back at most one pair of numbers (how many rows are heavy
        and the light rows' weight), which the data-dependent size of ``H``
        needs. Returns the compute context (for :meth:`_finish`).
        """
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        n, d = Xc.shape
        k = self.n_components
        if not hasattr(self, "_V"):
            if k > d:
                raise ValueError(f"n_components={k} must be at most n_features={d}.")
            # created next to X (its namespace, device and dtype)
            self._V = orthonormalize(from_numpy(rng.standard_normal((d, k)), like=Xc))
            self._C = from_numpy(np.zeros((k, k)), like=Xc)
            self._H = from_numpy(np.zeros((0, d)), like=Xc)
            self._sq_total = from_numpy(np.zeros(()), like=Xc)
            self._lam = from_numpy(np.zeros(()), like=Xc)  # 0 until the first light chunk
            self._weight_seen = 0.0
            self.n_samples_seen_ = 0
        self._state_moves = ctx.moves
        V, C, H, sq_total, lam_run = (
            xp.astype(ctx.asarray(getattr(self, a)), Xc.dtype)
            for a in ("_V", "_C", "_H", "_sq_total", "_lam")
        )

        sq = xp.sum(Xc * Xc, axis=1)  # a row is heavy by its own norm, whatever its weight
        if sw is None:
            Xw, wsq, w_chunk, wdev = Xc, sq, float(n), None
        else:
            wdev = from_numpy(sw, like=Xc)
            root = xp.sqrt(wdev)
            Xw, wsq, w_chunk = Xc * root[:, None], sq * wdev, float(sw.sum())
        seen = self._weight_seen + w_chunk  # rows seen (their total weight)
        if seen <= 0:  # no row of positive weight yet: nothing to learn from
            self.n_samples_seen_ += n
            return ctx
        sq_total = sq_total + xp.sum(wsq)
        L, w_light = Xw, w_chunk
        if self.max_heavy > 0:
            heavy = sq >= self.heavy_ratio * (sq_total / seen)
            if sw is not None:
                heavy = heavy & (wdev > 0)
            light = xp.astype(~heavy, Xc.dtype)
            w_rows = light if sw is None else light * wdev
            # the one read of the chunk: the number of heavy rows, the light rows' weight
            n_heavy, w_light = (
                float(v)
                for v in to_numpy(xp.stack([xp.sum(xp.astype(heavy, Xc.dtype)), xp.sum(w_rows)]))
            )
            n_heavy = int(round(n_heavy))
            if n_heavy:
                first = xp.argsort(xp.astype(heavy, xp.int8), descending=True, stable=True)
                H = xp.concat([H, xp.take(Xw, first[:n_heavy], axis=0)], axis=0)
                if H.shape[0] > self.max_heavy:  # keep the heaviest
                    order = xp.argsort(-xp.sum(H * H, axis=1), stable=True)
                    H = xp.take(H, order[: self.max_heavy], axis=0)
                L = Xw * light[:, None]  # heavy rows zeroed: the same L'L as dropping them
                if n_heavy == n:
                    w_light = 0.0
        if w_light > 0:
            XV = L @ V
            lam_chunk = xp.max(xp.linalg.svdvals(XV)) ** 2 / w_light
            lam = xp.where(lam_run == 0.0, lam_chunk, lam_run)
            lam = xp.where(lam > 0, lam, xp.ones_like(lam))  # (a zero chunk: any step will do)
            eta = self.learning_rate / (lam * seen)
            V_new = _oja_step(V, L, eta)
            # Light-row covariance along V, carried into the new basis.
            R = xp.matrix_transpose(V_new) @ V
            XVn = L @ V_new
            C = R @ C @ xp.matrix_transpose(R) + xp.matrix_transpose(XVn) @ XVn
            V = V_new
            lam_now = xp.max(xp.linalg.eigvalsh(C)) / seen
            lam_run = xp.where(lam_run == 0.0, lam_now, 0.5 * (lam_run + lam_now))

        self._V, self._C, self._H = V, C, H
        self._sq_total, self._lam = sq_total, lam_run
        self._weight_seen = seen
        self.n_samples_seen_ += n
        self.n_heavy_ = int(H.shape[0])
        return ctx

    def _finish(self, ctx):
        """Components from the state: once per call of ``fit`` / ``partial_fit``.

        The top eigenvectors of the covariance restricted to ``span([V, H'])``.
        """
        if not hasattr(self, "_V") or self._weight_seen <= 0:
            return self
        xp = ctx.xp
        V, C, H = (ctx.asarray(getattr(self, a)) for a in ("_V", "_C", "_H"))
        if H.shape[0] > 0:
            Q = orthonormalize(xp.concat([V, xp.matrix_transpose(H)], axis=1))
            P = xp.matrix_transpose(Q) @ V
            HQ = H @ Q
            M = P @ C @ xp.matrix_transpose(P) + xp.matrix_transpose(HQ) @ HQ
        else:
            Q, M = V, C
        k = self.n_components
        w, E = eigh_topk((M + xp.matrix_transpose(M)) / 2, k)
        self.components_ = ctx.output(xp.matrix_transpose(svd_flip(Q @ E)))
        self.explained_variance_ = ctx.output(w / self._weight_seen)
        self._n_features_out = k
        return self

    def __getstate__(self):
        # The state lives where the computation runs (the GPU with device="gpu"); a
        # pickle holds it on the host, and the next partial_fit moves it back.
        state = super().__getstate__()
        if state.get("_state_moves"):
            for key in ("_V", "_C", "_H", "_sq_total", "_lam"):
                if key in state:
                    state[key] = to_numpy(state[key])
        return state

    def transform(self, X):
        """Project onto the components: ``X @ components_.T``.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray or dask.array.Array of shape (n_samples, n_components)
            A lazy Dask array (same row chunks) for Dask input.
        """
        check_is_fitted(self)
        return pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps).transform(self, X)

    def inverse_transform(self, X):
        """Back to the input space: ``X @ components_`` (the projection of the data
        on the components' span, as ``transform`` followed by this).

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_components)

        Returns
        -------
        X_original : ndarray or dask.array.Array of shape (n_samples, n_features)
            A lazy Dask array (same row chunks) for Dask input.
        """
        check_is_fitted(self)
        return pick_ops(X, in_memory=_InMemoryOps, dask=_DaskOps).inverse_transform(self, X)


class _InMemoryOps:
    """StreamingPCA's steps that depend on where the data live: in memory.

    :class:`_DaskOps` has the same methods for a row-chunked Dask array; the
    estimator picks one of the two once per call (:func:`sksubspace._dask.pick_ops`).
    """

    @staticmethod
    def fit(est, X, sample_weight, rng):
        X = validate_data(est, X)
        check_n_components(est.n_components, *X.shape)
        est._finish(est._partial_fit_shuffled(X, rng, _weights(sample_weight, X)))

    @staticmethod
    def partial_fit(est, X, sample_weight, first):
        X = validate_data(est, X, reset=first)
        sw = _weights(sample_weight, X)
        rng = check_random_state(est.random_state) if first else None
        est._finish(est._partial_fit(X, rng, sw))

    @staticmethod
    def transform(est, X):
        X = validate_data(est, X, reset=False)
        ctx = compute_context(est.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        V = xp.astype(ctx.asarray(est.components_), Xc.dtype)
        return ctx.output(Xc @ xp.matrix_transpose(V))

    @staticmethod
    def inverse_transform(est, X):
        X = check_codes(X, est.components_.shape[0])
        ctx = compute_context(est.device, X)
        Z = ctx.asarray(X)
        return ctx.output(Z @ ctx.xp.astype(ctx.asarray(est.components_), Z.dtype))


class _DaskOps:
    """StreamingPCA on a row-chunked Dask array: the blocks are streamed one at a time.

    ``fit`` visits the blocks in random order (each one computed only when it
    is reached, then shuffled and streamed in memory); ``partial_fit``
    streams them in order; ``transform`` / ``inverse_transform`` are lazy.
    """

    @staticmethod
    def fit(est, X, sample_weight, rng):
        reject_sample_weight(sample_weight, "StreamingPCA")
        X = validate_dask_data(est, X, check_finite=False)
        check_n_components(est.n_components, *X.shape)
        blocks = X.to_delayed().ravel()
        ctx = None
        for b in rng.permutation(len(blocks)):
            block = validate_data(est, blocks[b].compute(), reset=False)
            ctx = est._partial_fit_shuffled(block, rng)
        est._finish(ctx)

    @staticmethod
    def partial_fit(est, X, sample_weight, first):
        reject_sample_weight(sample_weight, "StreamingPCA")
        X = validate_dask_data(est, X, reset=first, check_finite=False)
        for block in iter_row_blocks(X):
            est.partial_fit(block)

    @staticmethod
    def transform(est, X):
        X = validate_dask_data(est, X, reset=False, check_finite=False)
        Vt = np.asarray(est.components_, dtype=X.dtype).T
        return map_row_blocks(_Project(Vt), X, Vt.shape[1])

    @staticmethod
    def inverse_transform(est, X):
        k = est.components_.shape[0]
        if X.ndim != 2 or X.shape[1] != k:
            raise ValueError(f"X must have shape (n_samples, {k}); got {tuple(X.shape)}.")
        V = np.asarray(est.components_, dtype=X.dtype)
        return map_row_blocks(_Project(V), X, V.shape[1])


def _weights(sample_weight, X):
    """Host float64 weights of the rows of ``X`` (None when not given)."""
    if sample_weight is None:
        return None
    sw = _check_sample_weight(
        to_numpy(sample_weight), np.empty((X.shape[0], 0)), ensure_non_negative=True
    )
    if not sw.sum() > 0:  # (recent scikit-learn says so itself)
        raise ValueError("sample_weight must have a positive sum (every weight is 0).")
    return sw


class _Project:
    """``block @ Vt`` as a picklable callable for ``map_blocks``."""

    def __init__(self, Vt):
        self.Vt = Vt

    def __call__(self, block):
        return block @ self.Vt.astype(block.dtype, copy=False)
