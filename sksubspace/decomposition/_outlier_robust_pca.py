"""PCA robust to a fraction of corrupted samples, by filtering (batch and streaming)."""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, get_namespace, to_float
from .._linalg import orthonormalize, randomized_svd, svd_flip
from .._validation import check_n_components, check_random_state, validate_data

__all__ = ["OutlierRobustPCA"]

_STREAM_CUTOFF = 40.0


def _count(mask):
    xp = get_namespace(mask)
    return int(to_float(xp.sum(xp.astype(mask, xp.int64))))


def _keep_smallest(scores, n_keep):
    """Boolean mask of the ``n_keep`` smallest scores (ties broken by order)."""
    xp = get_namespace(scores)
    order = xp.argsort(scores, stable=True)
    ranks = xp.argsort(order, stable=True)
    return ranks < n_keep


def _normalized_scores(P, keep):
    """Largest squared coordinate of each row of ``P`` relative to its column's
    median over the kept rows: ``max_j P_ij^2 / median_kept P_.j^2``.

    Outliers that inflate the variance along a direction the inliers barely
    occupy score orders of magnitude above 1, while an inlier coordinate is
    about chi2_1-distributed relative to its median whatever the direction's
    variance.
    """
    xp = get_namespace(P)
    P2 = P * P
    kept = xp.sort(P2[keep], axis=0)
    med = kept[kept.shape[0] // 2, :]
    return xp.max(P2 / xp.where(med > 0, med, xp.ones_like(med)), axis=1)


def _top_subspace(Xk, V, n_power_iter):
    """Warm-started subspace iteration for the top right singular space of ``Xk``.

    ``V`` (k x d, orthonormal rows) is the previous estimate. Each step is two
    products with ``Xk`` and a thin QR: O(n d k), no SVD of the data.
    """
    xp = get_namespace(Xk)
    Q = xp.matrix_transpose(V)
    for _ in range(n_power_iter):
        Q = orthonormalize(xp.matrix_transpose(Xk) @ (Xk @ Q))
    return xp.matrix_transpose(Q)


def _ritz(Xk, V):
    """Rotate ``V`` to the principal axes of ``Xk`` within its span (a k x k SVD)."""
    xp = get_namespace(Xk)
    _, s, Wt = xp.linalg.svd(Xk @ xp.matrix_transpose(V), full_matrices=False)
    V = Wt @ V
    return s, svd_flip(xp.matrix_transpose(V))  # V as columns, sign-fixed


def _filter_pca(
    X,
    V,
    n_out,
    *,
    center,
    n_rounds,
    n_power_iter,
    verbose,
    random_state=None,
    prior=None,
    prior_mean=None,
):
    """Iterative filtering with a removal budget.

    Over ``n_rounds`` rounds, refit the top-k subspace ``V`` (warm-started
    power iterations) on the samples still kept and remove, among them, those
    of largest normalized score (:func:`_normalized_scores`): a share of the
    budget per round, or all samples scoring above ``_STREAM_CUTOFF`` if
    more, until ``n_out`` samples are removed in total. Removal is monotone (a removed sample never
    comes back), as in the filters of Diakonikolas et al.: once the outliers
    that hijacked the subspace are gone, they would score low against the
    clean subspace and must not return.

    ``prior`` (rows always kept, e.g. ``diag(s) V`` of what a stream has seen)
    and ``prior_mean`` (fixed centre) serve ``partial_fit``.
    """
    xp = get_namespace(X)
    n = X.shape[0]
    keep = xp.ones((n,), dtype=xp.bool)
    removed = 0
    for r in range(1, n_rounds + 1):
        w = xp.astype(keep, X.dtype)
        if prior_mean is not None:
            mean = prior_mean
        elif center:
            mean = xp.sum(X * w[:, None], axis=0) / float(n - removed)
        else:
            mean = xp.zeros((X.shape[1],), dtype=X.dtype)
        Xc = X - mean
        M = Xc * w[:, None]
        if prior is not None:
            M = xp.concat([prior, M], axis=0)
        V = _top_subspace(M, V, n_power_iter)
        if removed < n_out:
            scores = _normalized_scores(Xc @ xp.matrix_transpose(V), keep)
            scores = xp.where(keep, scores, xp.full_like(scores, -1.0))
            # This round's share of the budget, or more when more samples are
            # clearly outlying (remove them while they still show).
            share = (n_out * r) // n_rounds - removed
            flagged = _count(scores > _STREAM_CUTOFF)
            n_remove = min(n_out - removed, max(share, flagged))
            top = ~_keep_smallest(scores, n - n_remove)
            keep = keep & ~top
            removed += n_remove
        if verbose:
            print(f"OutlierRobustPCA: round {r:3d}, {removed} samples removed")
    w = xp.astype(keep, X.dtype)
    if prior_mean is not None:
        mean = prior_mean
    elif center:
        mean = xp.sum(X * w[:, None], axis=0) / float(n - removed)
    else:
        mean = xp.zeros((X.shape[1],), dtype=X.dtype)
    Xk = (X - mean) * w[:, None]
    M = Xk if prior is None else xp.concat([prior, Xk], axis=0)
    k = V.shape[0]
    if M.shape[0] >= M.shape[1]:  # warm-started randomized SVD with oversampling
        _, s, V = randomized_svd(
            M, k, n_iter=n_power_iter + 2, random_state=random_state, start=xp.matrix_transpose(V)
        )
        return V, s, mean, keep
    V = _top_subspace(M, V, 2 * n_power_iter)
    s, Vc = _ritz(M, V)
    return xp.matrix_transpose(Vc), s, mean, keep


class OutlierRobustPCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""PCA robust to a fraction of arbitrarily corrupted samples (filtering).

    An ``contamination`` fraction of the *samples* (rows) may be adversarial,
    e.g. far away along a wrong direction, which hijacks plain PCA. Following
    the filtering approach of Diakonikolas, Kane, Pensia & Pittas (2023), the
    estimator alternates

    * the top-``n_components`` subspace ``V`` of the samples kept, by
      warm-started power (subspace) iterations: O(n d k) per round, no full
      SVD, so the fit time grows linearly in ``n_samples``;
    * scores ``tau_i = max_j (v_j . (x_i - m))^2 / median_l (v_j . (x_l - m))^2``
      (the variance a sample adds along a current component, relative to the
      typical kept sample: large along a direction that outliers inflate and
      inliers barely occupy) and a filter that drops the
      ``ceil(contamination * n_samples)`` samples of largest score in
      ``n_rounds`` shares (a hard-threshold variant of the paper's soft
      down-weighting),

    over ``n_rounds`` rounds, removal being monotone. Outliers that inflate the variance
    along some direction are the ones with large scores, so they are removed;
    outliers that do not inflate it cannot rotate the subspace far.

    ``partial_fit`` makes one streaming pass over chunks of rows with memory
    O(n_features * n_components) besides the chunk: each chunk is filtered
    the same way against the subspace of the chunk together with the summary
    ``diag(s) V`` of the past, and the kept rows update the components by an
    incremental SVD (as in :class:`~sklearn.decomposition.IncrementalPCA`).

    Parameters
    ----------
    n_components : int, default=1
        Dimension of the subspace.
    contamination : float, default=0.1
        Fraction of samples treated as outliers (an upper bound on the true
        fraction works: a few inliers more are dropped).
    center : bool, default=True
        Center the data by the mean of the kept samples.
    n_rounds : int, default=4
        Filtering rounds: each removes a ``1 / n_rounds`` share of the
        removal budget after refitting the subspace.
    n_power_iter : int, default=2
        Power iterations per round (warm-started).
    random_state : int, RandomState instance or None, default=None
        Seeds the initial randomized SVD.
    verbose : int, default=0
        Print progress of the filtering rounds.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Principal axes of the inliers (orthonormal rows).
    explained_variance_ : ndarray of shape (n_components,)
        Variance of the kept samples along each component.
    singular_values_ : ndarray of shape (n_components,)
        Singular values of the centred kept samples.
    mean_ : ndarray of shape (n_features,)
        Mean of the kept samples (zeros when ``center=False``).
    inlier_mask_ : ndarray of shape (n_samples,)
        True for the samples kept by ``fit`` (not set by ``partial_fit``).
    n_samples_seen_ : int
        Number of samples used (kept) so far.
    n_iter_ : int
        Filtering rounds run by the last ``fit`` / ``partial_fit`` call.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string column names only).

    References
    ----------
    I. Diakonikolas, D. M. Kane, A. Pensia, T. Pittas, "Nearly-linear time and
    streaming algorithms for outlier-robust PCA", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.decomposition import OutlierRobustPCA
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 10)) * np.r_[4.0, 2.0, np.full(8, 0.3)]
    >>> X[:30] = 40.0 * np.eye(10)[5]  # 10% of samples far along a wrong axis
    >>> est = OutlierRobustPCA(n_components=2, random_state=0).fit(X)
    >>> np.round(np.abs(est.components_[:, :3]), 1)
    array([[1., 0., 0.],
           [0., 1., 0.]])
    >>> int(est.inlier_mask_[:30].sum())
    0
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "contamination": [Interval(numbers.Real, 0, 0.5, closed="left")],
        "center": ["boolean"],
        "n_rounds": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_power_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(
        self,
        n_components=1,
        *,
        contamination=0.1,
        center=True,
        n_rounds=4,
        n_power_iter=2,
        random_state=None,
        verbose=0,
        device=None,
    ):
        self.n_components = n_components
        self.contamination = contamination
        self.center = center
        self.n_rounds = n_rounds
        self.n_power_iter = n_power_iter
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    def _n_out(self, n):
        return min(n - self.n_components, math.ceil(self.contamination * n))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the robust principal subspace on all samples at once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : object
        """
        X = validate_data(self, X, ensure_min_samples=2)
        check_n_components(self.n_components, *X.shape)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        rng = check_random_state(self.random_state)
        xp = ctx.xp
        mean0 = xp.mean(Xc, axis=0) if self.center else xp.zeros_like(Xc[0, :])
        _, _, V0 = randomized_svd(Xc - mean0, self.n_components, random_state=rng)
        V, s, mean, keep = _filter_pca(
            Xc,
            V0,
            max(0, self._n_out(Xc.shape[0])),
            center=self.center,
            n_rounds=self.n_rounds,
            n_power_iter=self.n_power_iter,
            verbose=self.verbose,
            random_state=rng,
        )
        self._set_fitted(ctx, V, s, mean, _count(keep))
        self.inlier_mask_ = ctx.output(keep)
        self.n_iter_ = self.n_rounds
        self._sketch = ctx.output(s[:, None] * V)
        return self

    def _set_fitted(self, ctx, V, s, mean, n_kept):
        self.components_ = ctx.output(V)
        self.singular_values_ = ctx.output(s)
        self.explained_variance_ = ctx.output(s**2 / max(1, n_kept - 1))
        self.mean_ = ctx.output(mean)
        self.n_samples_seen_ = n_kept
        self._n_features_out = self.n_components

    def partial_fit(self, X, y=None):
        """Update the components with one chunk of rows (one streaming pass).

        Each chunk is filtered like a batch (its ``contamination`` share of
        rows of largest normalized score is removed) against the subspace
        of the chunk together with what was seen before (``diag(s) V``), then
        the kept rows are merged by an incremental SVD. A row whose energy
        along one direction of that subspace exceeds 40 times the median over
        the chunk's kept rows is dropped as well (bounded influence). The first chunk must
        hold at least ``2 * n_components`` rows.

        Parameters
        ----------
        X : array-like of shape (n_chunk, n_features)
        y : Ignored

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "components_")
        if first:
            self._validate_params()
        X = validate_data(self, X, reset=first)
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        n = Xc.shape[0]
        k = self.n_components
        if first:
            check_n_components(k, *Xc.shape)
            if n < 2 * k:
                raise ValueError(
                    f"The first chunk has {n} rows; partial_fit needs at least "
                    f"2 * n_components = {2 * k} to start."
                )
            rng = check_random_state(self.random_state)
            mean0 = xp.mean(Xc, axis=0) if self.center else xp.zeros_like(Xc[0, :])
            _, _, V = randomized_svd(Xc - mean0, k, random_state=rng)
            prior = prior_mean = None
            m_prev = 0
        else:
            V = xp.astype(ctx.asarray(self.components_), Xc.dtype)
            prior_mean = xp.astype(ctx.asarray(self.mean_), Xc.dtype)
            prior = xp.astype(ctx.asarray(self._sketch), Xc.dtype)
            m_prev = self.n_samples_seen_
        n_out = min(n - 1, math.ceil(self.contamination * n))
        V_f, _, _, keep = _filter_pca(
            Xc,
            V,
            n_out,
            center=self.center,
            n_rounds=self.n_rounds,
            n_power_iter=self.n_power_iter,
            verbose=self.verbose,
            random_state=check_random_state(self.random_state),
            prior=prior,
            prior_mean=prior_mean,
        )
        # Bounded influence: along each direction of the filter's subspace, a streamed
        # row may not carry more than _STREAM_CUTOFF times the median energy of the
        # chunk's kept rows (a chi2_1 inlier exceeds 40 medians with probability 2e-5).
        Vft = xp.matrix_transpose(V_f)
        centre = chunk_centre = prior_mean
        if first:
            w = xp.astype(keep, Xc.dtype)
            chunk_centre = xp.sum(Xc * w[:, None], axis=0) / float(_count(keep))
            centre = chunk_centre if self.center else xp.zeros_like(chunk_centre)
        ratio = _normalized_scores((Xc - centre) @ Vft, keep)
        keep = keep & (ratio <= _STREAM_CUTOFF)
        Xk = Xc[keep]
        m_new = Xk.shape[0]
        total = m_prev + m_new
        chunk_mean = xp.mean(Xk, axis=0) if self.center else xp.zeros_like(Xc[0, :])
        if first:
            stack = Xk - chunk_mean
            new_mean = chunk_mean
        elif self.center:
            new_mean = (m_prev * prior_mean + m_new * chunk_mean) / total
            correction = math.sqrt(m_prev * m_new / total) * (prior_mean - chunk_mean)
            stack = xp.concat([prior, Xk - chunk_mean, correction[None, :]], axis=0)
        else:
            new_mean = prior_mean
            stack = xp.concat([prior, Xk], axis=0)
        _, s_new, Vt_new = xp.linalg.svd(stack, full_matrices=False)
        # The summary of the past keeps a few more directions than requested
        # (memory O(n_features * n_components)), so truncation errors stay small.
        q = min(Vt_new.shape[0], max(2 * k, k + 10))
        self._sketch = ctx.output(s_new[:q, None] * Vt_new[:q, :])
        _, Vt_new = svd_flip(xp.matrix_transpose(Vt_new[:k, :]), Vt_new[:k, :])
        self._set_fitted(ctx, Vt_new, s_new[:k], new_mean, total)
        self.n_iter_ = self.n_rounds
        return self

    def transform(self, X):
        """Project onto the robust components: ``(X - mean_) @ components_.T``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Xc = ctx.asarray(X)
        V = xp.astype(ctx.asarray(self.components_), Xc.dtype)
        mean = xp.astype(ctx.asarray(self.mean_), Xc.dtype)
        return ctx.output((Xc - mean) @ xp.matrix_transpose(V))

    def inverse_transform(self, X):
        """Map coordinates back: ``X @ components_ + mean_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        if isinstance(X, (list, tuple)):
            X = np.asarray(X, dtype=float)
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        Z = ctx.asarray(X)
        V = xp.astype(ctx.asarray(self.components_), Z.dtype)
        mean = xp.astype(ctx.asarray(self.mean_), Z.dtype)
        return ctx.output(Z @ V + mean)
