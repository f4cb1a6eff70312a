"""PCA robust to a fraction of corrupted samples, by filtering (batch and streaming)."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, device_kw, get_namespace, to_float
from .._linalg import orthonormalize, principal_angles, randomized_svd, svd_flip
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import (
    ArrayAPISupportMixin,
    check_n_components,
    check_random_state,
    validate_data,
)

__all__ = ["OutlierRobustPCA"]

_STREAM_CUTOFF = 40.0
# A sample keeps full weight in the IRLS while its Beta log-likelihood is within
# this of the maximum (about 3 standard deviations for a near-Gaussian Beta).
_LIKELIHOOD_CUTOFF = 4.5
_MAD_TO_SD = 1.4826
# Smallest standard deviation of the inliers' log-odds the Beta fit may take
# (noise-free inliers all have ratio 1).
_MIN_SCALE = 0.1


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
    polish=True,
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
    and ``prior_mean`` (fixed centre) serve ``partial_fit``. Without
    ``polish`` the final accurate SVD is skipped (``s`` is None): the IRLS
    starting from ``V`` refits the subspace anyway.
    """
    xp = get_namespace(X)
    n = X.shape[0]
    keep = xp.ones((n,), dtype=xp.bool, **device_kw(X))
    removed = 0
    for r in range(1, n_rounds + 1):
        w = xp.astype(keep, X.dtype)
        if prior_mean is not None:
            mean = prior_mean
        elif center:
            mean = xp.sum(X * w[:, None], axis=0) / float(n - removed)
        else:
            mean = xp.zeros((X.shape[1],), dtype=X.dtype, **device_kw(X))
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
        mean = xp.zeros((X.shape[1],), dtype=X.dtype, **device_kw(X))
    Xk = (X - mean) * w[:, None]
    M = Xk if prior is None else xp.concat([prior, Xk], axis=0)
    if not polish:
        return V, None, mean, keep
    V, s = _polish(M, V, n_power_iter, random_state)
    return V, s, mean, keep


def _polish(M, V, n_power_iter, random_state):
    """Accurate top-k right singular pairs of ``M`` warm-started at ``V`` (k x d)."""
    xp = get_namespace(M)
    k = V.shape[0]
    if M.shape[0] >= M.shape[1]:  # warm-started randomized SVD with oversampling
        _, s, V = randomized_svd(
            M, k, n_iter=n_power_iter + 2, random_state=random_state, start=xp.matrix_transpose(V)
        )
        return V, s
    V = _top_subspace(M, V, 2 * n_power_iter)
    s, Vc = _ritz(M, V)
    return xp.matrix_transpose(Vc), s


def _reconstruction_ratios(Xc, V):
    """``||V (x_i - m)||^2 / ||x_i - m||^2`` in [0, 1] (1 for a row at the centre)."""
    xp = get_namespace(Xc)
    P = Xc @ xp.matrix_transpose(V)
    num = xp.sum(P * P, axis=1)
    den = xp.sum(Xc * Xc, axis=1)
    ratio = num / xp.where(den > 0, den, xp.ones_like(den))
    return xp.clip(xp.where(den > 0, ratio, xp.ones_like(ratio)), 0.0, 1.0)


def _weighted_median(x, weights):
    """Median of ``x`` under nonnegative ``weights`` (a Python float)."""
    xp = get_namespace(x)
    order = xp.argsort(x)
    cum = xp.cumulative_sum(xp.take(weights, order))
    i = min(_count(cum < 0.5 * cum[-1]), x.shape[0] - 1)
    return to_float(xp.take(x, order)[i])


def _fit_beta_logit(loc, scale):
    """``(a, b)`` of the Beta law whose log-odds ``log(r / (1 - r))`` have mean
    ``loc`` and standard deviation ``scale``:
    ``digamma(a) - digamma(b) = loc`` and ``trigamma(a) + trigamma(b) = scale**2``
    (two scalar equations, solved by Newton on ``(log a, log b)`` from the
    large-parameter approximation ``log(a / b) = loc``, ``1/a + 1/b = scale**2``).
    """
    var = scale * scale
    t = np.log([(1.0 + math.exp(loc)) / var, (1.0 + math.exp(-loc)) / var])
    for _ in range(50):
        a, b = np.exp(t)
        f = np.array(
            [
                special.digamma(a) - special.digamma(b) - loc,
                special.polygamma(1, [a, b]).sum() - var,
            ]
        )
        t1, t2 = special.polygamma(1, [a, b]) * [a, b]
        u1, u2 = special.polygamma(2, [a, b]) * [a, b]
        step = np.linalg.solve([[t1, -t2], [u1, u2]], f)
        t = t - np.clip(step, -1.0, 1.0)
        if np.abs(step).max() < 1e-10:
            break
    a, b = np.exp(t)
    return float(a), float(b)


def _beta_weights(ratios, weights):
    """Sample weights from a Beta likelihood of the reconstruction ratios.

    The ratios ``r`` of the inliers are modelled as ``Beta(a, b)``, fitted
    robustly on the log-odds scale ``y = log(r / (1 - r))`` (where the law is
    close to symmetric): the weighted median and scaled median absolute
    deviation of ``y`` are matched to its mean and standard deviation, so
    the samples already down-weighted and the few outliers an initialization
    may have kept do not shape the fit (the standard deviation is at least
    ``_MIN_SCALE``). The log-likelihood of ``y`` is
    ``l(r) = a log r + b log(1 - r)`` (up to a constant), maximal at the
    Beta mean ``r* = a / (a + b)``. A sample with ``r >= r*``, or whose
    likelihood is within ``exp(-_LIKELIHOOD_CUTOFF)`` of the maximum, keeps
    weight 1; below, the weight is its likelihood relative to that level,
    ``exp(l(r) - l(r*) + _LIKELIHOOD_CUTOFF)``. The weight is thus
    nondecreasing in the ratio: samples the subspace reconstructs poorly (an
    adversarial outlier has a ratio near 0) are down-weighted, well
    reconstructed ones never are.

    Returns the weights and ``(a, b)``.
    """
    xp = get_namespace(ratios)
    # Ratios are known to a few ulps: within sqrt(eps) of 0 or 1 they are 0 or 1.
    delta = math.sqrt(float(xp.finfo(ratios.dtype).eps))
    v = xp.clip(ratios, delta, 1.0 - delta)
    y = xp.log(v) - xp.log1p(-v)
    loc = _weighted_median(y, weights)
    scale = max(_MAD_TO_SD * _weighted_median(xp.abs(y - loc), weights), _MIN_SCALE)
    a, b = _fit_beta_logit(loc, scale)
    r_star = min(max(a / (a + b), delta), 1.0 - delta)
    vm = xp.minimum(v, r_star)
    loglik = a * (xp.log(vm) - math.log(r_star)) + b * (xp.log1p(-vm) - math.log1p(-r_star))
    return xp.exp(xp.minimum(loglik + _LIKELIHOOD_CUTOFF, 0.0)), (a, b)


def _irls_pca(X, V, mean, weights, *, center, max_iter, tol, n_power_iter, verbose, prior=None):
    """Iteratively reweighted PCA with Beta-likelihood sample weights.

    Starting from the subspace ``V`` (k x d), centre ``mean`` and ``weights``,
    alternate a weighted PCA refit (the weighted mean when ``center``, else
    ``mean`` stays fixed; then warm-started power iterations on the rows
    ``sqrt(w_i) (x_i - m)``: O(n d k) per iteration) and new weights from the
    reconstruction ratios of the refit (:func:`_beta_weights`), until the
    largest principal angle between successive subspaces (radians) or the
    largest change of a weight is at most ``tol``. ``prior`` (rows of
    weight 1 stacked on top, e.g. the summary ``diag(s) V`` of what a stream
    has seen) serves ``partial_fit``.

    Returns ``V, mean, weights, n_iter, converged``.
    """
    xp = get_namespace(X)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        if center:
            mean = xp.sum(X * weights[:, None], axis=0) / xp.sum(weights)
        M = (X - mean) * xp.sqrt(weights)[:, None]
        if prior is not None:
            M = xp.concat([prior, M], axis=0)
        V_new = _top_subspace(M, V, n_power_iter)
        angles = principal_angles(xp.matrix_transpose(V), xp.matrix_transpose(V_new))
        move = to_float(xp.max(angles))
        V = V_new
        new_weights, (a, b) = _beta_weights(_reconstruction_ratios(X - mean, V), weights)
        change = to_float(xp.max(xp.abs(new_weights - weights)))
        weights = new_weights
        if verbose:
            print(
                f"OutlierRobustPCA(irls): iteration {n_iter:3d}, subspace moved {move:.2e} rad, "
                f"weights by {change:.2e}, Beta(a={a:.3g}, b={b:.3g}), "
                f"total weight {to_float(xp.sum(weights)):.1f}"
            )
        # The first refit uses the initial weights: only later moves are
        # evidence that the reweighting has settled. Weights that no longer
        # change are a fixed point too (the subspace may still creep towards
        # the top singular space under a small gap: the caller's final SVD
        # finishes that).
        if n_iter > 1 and min(move, change) <= tol:
            converged = True
            break
    if center:
        mean = xp.sum(X * weights[:, None], axis=0) / xp.sum(weights)
    return V, mean, weights, n_iter, converged


def _warn_irls(est):
    warnings.warn(
        f"OutlierRobustPCA(method='irls') did not converge in max_iter={est.max_iter} "
        f"iterations (the subspace and the weights still move by more than "
        f"tol={est.tol:.1e}); "
        "increase max_iter or tol.",
        ConvergenceWarning,
    )


class OutlierRobustPCA(
    ArrayAPISupportMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    r"""PCA robust to a fraction of arbitrarily corrupted samples (filtering or IRLS).

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

    ``method="irls"`` follows the Flag Aggregator (Almasi et al., 2024):
    the quality of a sample is its reconstruction ratio
    ``r_i = ||V (x_i - m)||^2 / ||x_i - m||^2`` in [0, 1] (near 1 for an
    inlier, near 0 for a sample far along a wrong direction), modelled by a
    Beta likelihood, and the subspace is refitted by iteratively reweighted
    least squares. Starting from the filter's subspace and inliers (the
    reweighting needs a robust start: from plain PCA the outliers would be the
    best reconstructed samples), it alternates

    * a weighted PCA refit: ``m = sum_i w_i x_i / sum_i w_i`` and the top
      subspace of the rows ``sqrt(w_i) (x_i - m)`` (warm-started power
      iterations);
    * ``Beta(a, b)`` fitted to the ratios on the log-odds scale
      ``log(r / (1 - r))`` (its weighted median and scaled median absolute
      deviation matched to the mean and standard deviation of the Beta law's
      log-odds: robust to the outliers) and weights
      ``w_i = min(1, exp(l(r_i) - l(r*) + 4.5))`` for ``r_i`` below
      ``r* = a / (a + b)``, where ``l(r) = a log r + b log(1 - r)`` is the
      log-likelihood of the log-odds (maximal at ``r*``), and ``w_i = 1``
      above it,

    until the subspace moves by at most ``tol`` radians (largest principal
    angle between successive fits) or no weight changes by more than
    ``tol``; a final SVD of the weighted samples gives the components. The
    weights are nondecreasing in the ratio, so poorly reconstructed samples
    are down-weighted and well reconstructed ones never are; samples within
    the likelihood region of the inliers keep full weight, so
    ``contamination`` only has to bound the outlier fraction for the start,
    and the inliers the filter dropped come back (the components and
    variances are those of the inliers' PCA, where the filter with an
    overestimated ``contamination`` underestimates the variances). Each
    iteration costs O(n d k). Unlike the aggregator, which normalizes its
    samples (gradients), the refit keeps the samples' scale, so the
    components, mean and variances are those of a (weighted) PCA.

    ``partial_fit`` makes one streaming pass over chunks of rows with memory
    O(n_features * n_components) besides the chunk: each chunk is filtered
    the same way against the subspace of the chunk together with the summary
    ``diag(s) V`` of the past (with ``method="irls"``, its rows are then
    reweighted against that subspace), and the kept (weighted) rows update
    the components by an incremental SVD (as in
    :class:`~sklearn.decomposition.IncrementalPCA`).

    Parameters
    ----------
    n_components : int, default=1
        Dimension of the subspace.
    contamination : float, default=0.1
        Fraction of samples treated as outliers (an upper bound on the true
        fraction works: a few inliers more are dropped, or, with
        ``method="irls"``, reweighted back in).
    center : bool, default=True
        Center the data by the mean of the kept samples.
    n_rounds : int, default=4
        Filtering rounds: each removes a ``1 / n_rounds`` share of the
        removal budget after refitting the subspace.
    n_power_iter : int, default=2
        Power iterations per round or IRLS iteration (warm-started).
    method : {"filter", "irls"}, default="filter"
        ``"filter"``: hard removal of the ``contamination`` share of samples
        (Diakonikolas et al.). ``"irls"``: then soft Beta-likelihood weights
        of the reconstruction ratios by iteratively reweighted least squares
        (Flag Aggregator).
    max_iter : int, default=100
        Maximum number of IRLS iterations (``method="irls"`` only).
    tol : float, default=1e-4
        The IRLS stops when, in one iteration, the subspace moves by at most
        ``tol`` radians (largest principal angle) or no sample weight changes
        by more than ``tol`` (``method="irls"`` only).
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
        Variance of the kept (weighted) samples along each component.
    singular_values_ : ndarray of shape (n_components,)
        Singular values of the centred kept samples (rows scaled by the
        square roots of the weights).
    mean_ : ndarray of shape (n_features,)
        Mean of the kept (weighted) samples (zeros when ``center=False``).
    sample_weight_ : ndarray of shape (n_samples,)
        Weight of each sample in the fit, in [0, 1]: 0 or 1 for
        ``method="filter"``, the final IRLS weights for ``method="irls"``
        (set by ``fit``, not by ``partial_fit``).
    inlier_mask_ : ndarray of shape (n_samples,)
        True for the samples kept by ``fit``, ``sample_weight_ >= 0.5`` (not
        set by ``partial_fit``).
    n_samples_seen_ : int or float
        Number of samples used (kept) so far; the total weight (a float) for
        ``method="irls"``.
    n_iter_ : int
        Filtering rounds (``method="filter"``) or IRLS iterations (``"irls"``,
        of the last chunk for ``partial_fit``) run by the last ``fit`` /
        ``partial_fit`` call.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string column names only).

    References
    ----------
    I. Diakonikolas, D. M. Kane, A. Pensia, T. Pittas, "Nearly-linear time and
    streaming algorithms for outlier-robust PCA", ICML 2023.

    H. Almasi, H. Mishra, B. Vamanan, S. N. Ravi, "Flag Aggregator: Scalable
    distributed training under failures and augmented losses using convex
    optimization", ICLR 2024.

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

    The IRLS variant keeps (nearly) all the inliers even when
    ``contamination`` overestimates the outlier fraction:

    >>> irls = OutlierRobustPCA(2, contamination=0.2, method="irls", random_state=0).fit(X)
    >>> np.round(np.abs(irls.components_[:, :3]), 1)
    array([[1., 0., 0.],
           [0., 1., 0.]])
    >>> float(irls.sample_weight_[:30].max()) < 1e-12, bool(irls.inlier_mask_[30:].mean() > 0.9)
    (True, True)
    >>> int(est.set_params(contamination=0.2).fit(X).inlier_mask_[30:].sum())  # the filter's
    240
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "contamination": [Interval(numbers.Real, 0, 0.5, closed="left")],
        "center": ["boolean"],
        "n_rounds": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_power_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "method": [StrOptions({"filter", "irls"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
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
        method="filter",
        max_iter=100,
        tol=1e-4,
        random_state=None,
        verbose=0,
        device=None,
    ):
        self.n_components = n_components
        self.contamination = contamination
        self.center = center
        self.n_rounds = n_rounds
        self.n_power_iter = n_power_iter
        self.method = method
        self.max_iter = max_iter
        self.tol = tol
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
            polish=self.method == "filter",
        )
        if self.method == "filter":
            weights = xp.astype(keep, Xc.dtype)
            n_used, n_iter = _count(keep), self.n_rounds
        else:
            V, mean, weights, n_iter, converged = _irls_pca(
                Xc,
                V,
                mean,
                xp.astype(keep, Xc.dtype),
                center=self.center,
                max_iter=self.max_iter,
                tol=self.tol,
                n_power_iter=self.n_power_iter,
                verbose=self.verbose,
            )
            if not converged:
                _warn_irls(self)
            V, s = _polish((Xc - mean) * xp.sqrt(weights)[:, None], V, self.n_power_iter, rng)
            keep = weights >= 0.5
            n_used = to_float(xp.sum(weights))
        self._set_fitted(ctx, V, s, mean, n_used)
        self.inlier_mask_ = ctx.output(keep)
        self.sample_weight_ = ctx.output(weights)
        self.n_iter_ = n_iter
        self._sketch = ctx.output(s[:, None] * V)
        return self

    def _set_fitted(self, ctx, V, s, mean, n_kept):
        self.components_ = ctx.output(V)
        self.singular_values_ = ctx.output(s)
        self.explained_variance_ = ctx.output(s**2 / max(1.0, n_kept - 1))
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
        the chunk's kept rows is dropped as well (bounded influence). With
        ``method="irls"`` the chunk's rows are then reweighted (IRLS with
        Beta-likelihood weights, see the class docstring) against the
        subspace of the chunk and the past, and merged with their weights; the
        weights are per chunk, and the stream's mean moves by the chunks'
        weighted means. The first chunk must hold at least
        ``2 * n_components`` rows.

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
        weights = xp.astype(keep, Xc.dtype)
        n_iter = self.n_rounds
        if self.method == "irls":
            # Reweight the chunk's rows against the chunk and the past together;
            # the centre moves with the weights on the first chunk only.
            _, _, weights, n_iter, converged = _irls_pca(
                Xc,
                V_f,
                centre,
                weights,
                center=self.center and first,
                max_iter=self.max_iter,
                tol=self.tol,
                n_power_iter=self.n_power_iter,
                verbose=self.verbose,
                prior=prior,
            )
            if not converged:
                _warn_irls(self)
            m_new = to_float(xp.sum(weights))
        else:
            m_new = _count(keep)
        sel = weights > 0
        Xk, wk = Xc[sel], weights[sel]
        total = m_prev + m_new
        if self.center:
            chunk_mean = xp.sum(Xk * wk[:, None], axis=0) / m_new
        else:
            chunk_mean = xp.zeros_like(Xc[0, :])
        Xk = (Xk - chunk_mean) * xp.sqrt(wk)[:, None]
        if first:
            stack = Xk
            new_mean = chunk_mean
        elif self.center:
            new_mean = (m_prev * prior_mean + m_new * chunk_mean) / total
            correction = math.sqrt(m_prev * m_new / total) * (prior_mean - chunk_mean)
            stack = xp.concat([prior, Xk, correction[None, :]], axis=0)
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
        self.n_iter_ = n_iter
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
