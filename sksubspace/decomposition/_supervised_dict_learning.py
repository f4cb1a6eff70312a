"""Supervised dictionary learning with auxiliary covariates (Lee, Lyu & Yao)."""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, device_kw, from_numpy, get_namespace, to_float, to_numpy
from .._linalg import eigh_topk
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import ArrayAPISupportMixin, validate_data

__all__ = ["SupervisedDictionaryLearning"]


# ---------------------------------------------------------------------------
# Numerical core
# ---------------------------------------------------------------------------


def _log_softmax(Z, xp):
    Z = Z - xp.max(Z, axis=1, keepdims=True)
    return Z - xp.log(xp.sum(xp.exp(Z), axis=1, keepdims=True))


def _split(X, n_covariates):
    """Signals (modelled by the dictionary) and auxiliary covariates (not)."""
    p = X.shape[1] - n_covariates
    return X[:, :p], (X[:, p:] if n_covariates else None)


def _sdl_filter(Xs, Z, Y, *, n_components, xi, nu, max_iter, tol, verbose):
    """Low-rank projected gradient for supervised dictionary learning (filter form).

    Minimizes over the coefficients ``A`` (p x K), intercepts ``b``, covariate
    coefficients ``G`` (q x K) and reconstructions ``R`` (n x p)::

        F = (1/n) sum_i CE(y_i, x_i A + b + z_i G) + xi/(2n) ||X - R||_F^2
            + nu/2 (||A||^2 + ||G||^2)   s.t.  rank([A'; R]) <= r

    (``X`` centred). Each step is a majorize-minimize step: the cross-entropy
    is majorized by its quadratic upper bound with the softmax Lipschitz
    constant ``L`` while the reconstruction term is kept exact, so the
    minimizer over rank-``r`` matrices is the weighted Eckart-Young projection:
    ``V`` = top-``r`` eigenvectors of ``L A_half A_half' + xi X'X/n`` (a
    ``p x p`` matrix), ``A = V V' A_half`` and ``R = X V V'``. The objective
    decreases monotonically. Returns ``(V, A, b, G, n_iter, objective, converged)``.
    """
    xp = get_namespace(Xs, Y)
    n, p = Xs.shape
    K = Y.shape[1]
    dtype = Xs.dtype
    C = xp.matrix_transpose(Xs) @ Xs / n
    total_var = to_float(xp.sum(xp.linalg.diagonal(C)))
    # Lipschitz constant of the mean cross-entropy in (A, b, G): 0.5 lambda_max(F'F / n)
    # with F = [X, 1, Z]; X is centred so the intercept column decouples from it.
    lam = [to_float(eigh_topk(C, 1)[0][0]), 1.0]
    if Z is not None:
        Zc = Z - xp.mean(Z, axis=0, keepdims=True)
        lam.append(to_float(xp.max(xp.linalg.eigvalsh(xp.matrix_transpose(Zc) @ Zc / n))))
        lam.append(to_float(xp.max(xp.sum(Z * Z, axis=1))))
    L = 0.5 * sum(lam) + nu
    _, V = eigh_topk(C, n_components)  # start from the principal subspace
    dev = device_kw(C)
    A = xp.zeros((p, K), dtype=dtype, **dev)
    b = xp.zeros((K,), dtype=dtype, **dev)
    G = xp.zeros((Z.shape[1], K), dtype=dtype, **dev) if Z is not None else None

    def objective(A, b, G, V):
        logits = Xs @ A + b
        if G is not None:
            logits = logits + Z @ G
        logp = _log_softmax(logits, xp)
        value = -xp.sum(Y * logp) / n + 0.5 * xi * (total_var - xp.sum(V * (C @ V)))
        value = value + 0.5 * nu * xp.sum(A * A)
        if G is not None:
            value = value + 0.5 * nu * xp.sum(G * G)
        return to_float(value), logp

    obj, logp = objective(A, b, G, V)
    # Extrapolated point (Nesterov momentum, restarted whenever the objective grows).
    Ay, by, Gy, t = A, b, G, 1.0
    converged, n_iter = False, 0
    t0 = time.perf_counter()
    for n_iter in range(1, max_iter + 1):
        R = (xp.exp(logp) - Y) / n  # gradient of the mean cross-entropy w.r.t. the logits
        A_half = Ay - (xp.matrix_transpose(Xs) @ R + nu * Ay) / L
        b_new = by - xp.sum(R, axis=0) / L
        G_new = Gy - (xp.matrix_transpose(Z) @ R + nu * Gy) / L if G is not None else None
        M = L * (A_half @ xp.matrix_transpose(A_half)) + xi * C
        _, V_new = eigh_topk(M, n_components)
        A_new = V_new @ (xp.matrix_transpose(V_new) @ A_half)
        obj_new, logp_new = objective(A_new, b_new, G_new, V_new)
        if obj_new > obj and t > 1.0:
            # Momentum overshot: restart from the last iterate with a plain step.
            Ay, by, Gy, t = A, b, G, 1.0
            _, logp = objective(A, b, G, V)
            continue
        change = to_float(xp.max(xp.abs(A_new - A))) + to_float(xp.max(xp.abs(b_new - b)))
        scale = to_float(xp.max(xp.abs(A_new))) + to_float(xp.max(xp.abs(b_new)))
        t_new = 0.5 * (1.0 + (1.0 + 4.0 * t * t) ** 0.5)
        w = (t - 1.0) / t_new
        Ay = A_new + w * (A_new - A)
        by = b_new + w * (b_new - b)
        Gy = G_new + w * (G_new - G) if G is not None else None
        A, b, G, V, obj, t = A_new, b_new, G_new, V_new, obj_new, t_new
        if verbose >= 2 or (verbose and n_iter % 50 == 0):
            print(
                f"[SupervisedDictionaryLearning] iteration {n_iter}: objective {obj:.6g}, "
                f"{time.perf_counter() - t0:.2f} s"
            )
        if change <= tol * max(scale, 1e-12):
            converged = True
            break
        logits = Xs @ Ay + by
        if Gy is not None:
            logits = logits + Z @ Gy
        logp = _log_softmax(logits, xp)
    return V, A, b, G, n_iter, obj, converged


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


class SupervisedDictionaryLearning(
    ArrayAPISupportMixin,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Supervised dictionary learning: a classifier on dictionary codes, fitted jointly.

    The filter form of supervised dictionary learning (SDL) of Lee, Lyu & Yao.
    A dictionary of ``r = n_components`` orthonormal atoms ``W`` (rows of
    ``components_``) gives each signal the codes ``h = (x - mean_) W'``; a
    multinomial logistic model on the codes and on optional auxiliary covariates
    ``z`` predicts the class. Dictionary and classifier are learned together,
    so the atoms both reconstruct the signals and carry the class information:

    .. math::

        \\min_{A, b, \\Gamma, R} \\frac{1}{n} \\sum_i
        \\mathrm{CE}\\big(y_i, \\mathrm{softmax}(x_i A + b + z_i \\Gamma)\\big)
        + \\frac{\\xi}{2n} \\|X - R\\|_F^2
        + \\frac{\\nu}{2} (\\|A\\|_F^2 + \\|\\Gamma\\|_F^2)
        \\quad \\text{s.t.} \\quad \\operatorname{rank}[A^\\top; R] \\le r,

    with ``X`` centred. The rank constraint ties the classifier coefficients
    ``A = W' beta`` and the reconstructions ``R = H W`` to the same ``r`` atoms.
    ``xi -> 0`` gives reduced-rank logistic regression; large ``xi`` gives
    PCA followed by logistic regression on the scores; in between, the atoms
    trade reconstruction for discrimination. With few, noisy samples this
    low-rank model is a much better prior than a full logistic regression.

    The problem is solved by the low-rank projected gradient method of the
    paper, written as majorize-minimize steps: a gradient step on the
    classifier with the softmax Lipschitz constant, then the exact weighted
    rank-``r`` projection (an eigendecomposition of a ``p x p`` matrix). The
    objective decreases monotonically and each iteration costs two products
    with ``X``, so it runs on a GPU as well as on a CPU.

    Parameters
    ----------
    n_components : int, default=None
        Number of atoms ``r`` (at most the number of signal features);
        ``None`` means ``min(10, n_signal_features)``.
    xi : float, default=0.1
        Weight of the reconstruction error (per sample) against the
        cross-entropy.
    nu : float, default=1e-2
        Ridge penalty on the classifier coefficients.
    n_covariates : int, default=0
        The last ``n_covariates`` columns of ``X`` are auxiliary covariates:
        they enter the classifier linearly and are not modelled by the
        dictionary.
    max_iter : int, default=1000
        Maximum number of projected-gradient iterations.
    tol : float, default=1e-3
        Stop when the largest change of a classifier coefficient in one
        iteration falls below ``tol`` times the largest coefficient.
    verbose : int, default=0
        Print the objective every 50 iterations (``1``) or every iteration.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute; ``None`` follows the input.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_components_ : int
        The number of atoms used.
    components_ : array of shape (n_components_, n_signal_features)
        The atoms, orthonormal rows spanning the learned subspace.
    mean_ : array of shape (n_signal_features,)
        Mean of the training signals.
    coef_ : array of shape (n_classes, n_signal_features)
        Coefficients of the signals in the logits, ``code_coef_ @ components_``.
    code_coef_ : array of shape (n_classes, n_components_)
        Coefficients of the codes in the logits.
    covariate_coef_ : array of shape (n_classes, n_covariates)
        Coefficients of the auxiliary covariates (empty if ``n_covariates=0``).
    intercept_ : array of shape (n_classes,)
    objective_ : float
        Final value of the objective.
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only for inputs with string feature names.

    See Also
    --------
    OnlineDictionaryLearning : Unsupervised sparse dictionary learning.

    References
    ----------
    J. Lee, H. Lyu, W. Yao. "Supervised Dictionary Learning with Auxiliary
    Covariates", arXiv:2206.06774, 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sksubspace.decomposition import SupervisedDictionaryLearning
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X + 6 * np.random.RandomState(0).standard_normal(X.shape)
    >>> sdl = SupervisedDictionaryLearning(n_components=10).fit(X[:500], y[:500])
    >>> sdl.components_.shape, sdl.coef_.shape
    ((10, 64), (10, 64))
    >>> round(sdl.score(X[500:], y[500:]), 2)  # logistic regression on pixels: 0.64
    0.68
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "xi": [Interval(numbers.Real, 0, None, closed="left")],
        "nu": [Interval(numbers.Real, 0, None, closed="left")],
        "n_covariates": [Interval(numbers.Integral, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    def __init__(
        self,
        n_components=None,
        *,
        xi=0.1,
        nu=1e-2,
        n_covariates=0,
        max_iter=1000,
        tol=1e-3,
        verbose=0,
        device=None,
    ):
        self.n_components = n_components
        self.xi = xi
        self.nu = nu
        self.n_covariates = n_covariates
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the atoms and the classifier jointly.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
            Signals, followed by ``n_covariates`` auxiliary covariates.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : SupervisedDictionaryLearning
        """
        if y is None:
            raise ValueError(
                "SupervisedDictionaryLearning requires y to be passed, but the target y is None."
            )
        X, y = validate_data(self, X, y)
        y_host = np.asarray(to_numpy(y))
        check_classification_targets(y_host)
        self.classes_, codes = np.unique(y_host, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                "SupervisedDictionaryLearning needs samples of at least 2 classes; got 1 class."
            )
        p = X.shape[1] - self.n_covariates
        if p < 1:
            raise ValueError(
                f"n_covariates={self.n_covariates} leaves no signal feature in X with "
                f"{X.shape[1]} features."
            )
        r = min(10, p) if self.n_components is None else self.n_components
        if r > p:
            raise ValueError(
                f"n_components={self.n_components} must be at most the number of signal "
                f"features ({p})."
            )
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        xp = ctx.xp
        Xs, Z = _split(Xc, self.n_covariates)
        mean = xp.mean(Xs, axis=0)
        Y = from_numpy(np.eye(self.classes_.shape[0])[codes], like=Xc)
        Y = xp.astype(Y, Xc.dtype)
        V, A, b, G, n_iter, obj, converged = _sdl_filter(
            Xs - mean,
            Z,
            Y,
            n_components=r,
            xi=float(self.xi),
            nu=float(self.nu),
            max_iter=self.max_iter,
            tol=float(self.tol),
            verbose=self.verbose,
        )
        if not converged:
            warnings.warn(
                f"SupervisedDictionaryLearning did not converge in max_iter={self.max_iter} "
                "iterations; increase max_iter.",
                ConvergenceWarning,
            )
        W = xp.matrix_transpose(V)
        if G is None:
            G = xp.zeros((0, self.classes_.shape[0]), dtype=Xc.dtype, **device_kw(Xc))
        self.components_ = ctx.output(W)
        self.mean_ = ctx.output(mean)
        self.coef_ = ctx.output(xp.matrix_transpose(A))
        self.code_coef_ = ctx.output(xp.matrix_transpose(W @ A))
        self.covariate_coef_ = ctx.output(xp.matrix_transpose(G))
        self.intercept_ = ctx.output(b)
        self.objective_ = obj
        self.n_iter_ = n_iter
        self.n_components_ = r
        self._n_features_out = r
        return self

    def _prepared(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        return ctx, ctx.asarray(X)

    def _logits(self, Xc, ctx):
        xp = ctx.xp
        Xs, Z = _split(Xc, self.n_covariates)
        coef = xp.astype(ctx.asarray(self.coef_), Xc.dtype)
        mean = xp.astype(ctx.asarray(self.mean_), Xc.dtype)
        logits = (Xs - mean) @ xp.matrix_transpose(coef)
        logits = logits + xp.astype(ctx.asarray(self.intercept_), Xc.dtype)
        if Z is not None:
            G = xp.astype(ctx.asarray(self.covariate_coef_), Xc.dtype)
            logits = logits + Z @ xp.matrix_transpose(G)
        return logits

    def decision_function(self, X):
        """Logits of the classes.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)

        Returns
        -------
        scores : array of shape (n_samples, n_classes), or (n_samples,) for two
            classes (logit of the second class minus that of the first).
        """
        ctx, Xc = self._prepared(X)
        Z = self._logits(Xc, ctx)
        if Z.shape[1] == 2:
            Z = Z[:, 1] - Z[:, 0]
        return ctx.output(Z)

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        ctx, Xc = self._prepared(X)
        idx = np.argmax(np.asarray(to_numpy(self._logits(Xc, ctx))), axis=1)
        return self.classes_[idx]

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)

        Returns
        -------
        log_proba : array of shape (n_samples, n_classes)
        """
        ctx, Xc = self._prepared(X)
        return ctx.output(_log_softmax(self._logits(Xc, ctx), ctx.xp))

    def predict_proba(self, X):
        """Class probabilities ``softmax(decision_function(X))``.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)

        Returns
        -------
        proba : array of shape (n_samples, n_classes)
        """
        ctx, Xc = self._prepared(X)
        return ctx.output(ctx.xp.exp(_log_softmax(self._logits(Xc, ctx), ctx.xp)))

    def transform(self, X):
        """Codes ``(x - mean_) @ components_.T`` of the signals (covariates dropped).

        Parameters
        ----------
        X : array of shape (n_samples, n_features)

        Returns
        -------
        codes : array of shape (n_samples, n_components_)
        """
        ctx, Xc = self._prepared(X)
        xp = ctx.xp
        Xs, _ = _split(Xc, self.n_covariates)
        W = xp.astype(ctx.asarray(self.components_), Xc.dtype)
        mean = xp.astype(ctx.asarray(self.mean_), Xc.dtype)
        return ctx.output((Xs - mean) @ xp.matrix_transpose(W))
