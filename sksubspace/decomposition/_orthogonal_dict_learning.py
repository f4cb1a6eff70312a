"""Complete orthogonal dictionary learning by l_p-norm maximization.

Batch: the generalized power method of Shen, Xue, Zhang, Letaief & Lau (l_p,
any integer p > 2; p = 4 is the MSP algorithm of Zhai et al. 2020). Stream:
stochastic Frank-Wolfe over the convex hull of the orthogonal group (the
spectral-norm unit ball), following Xue & Lau.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_random_state

from .._backend import compute_context, from_numpy, get_namespace, to_float
from .._linalg import max_abs_scale, polar
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import validate_data
from ._sparse_coding import _CODER_CONSTRAINTS, _CodingMixin, _encode

__all__ = ["OrthogonalDictionaryLearning"]


def _lp_gradient(X, A, p):
    """``((X A')^{o(p-1)})' X / n``: half the Euclidean gradient of ``||X A'||_p^p / n``.

    ``z^{o(p-1)}`` is ``sign(z) |z|^{p-1}`` (the derivative of ``|z|^p / p``).
    """
    xp = get_namespace(X, A)
    Z = X @ xp.matrix_transpose(A)
    if p % 2 == 0:
        W = Z ** (p - 1)
    else:
        W = xp.abs(Z) ** (p - 2) * Z
    return xp.matrix_transpose(W) @ X / X.shape[0]


def _lp_objective(X, A, p):
    xp = get_namespace(X, A)
    Z = X @ xp.matrix_transpose(A)
    return to_float(xp.sum(xp.abs(Z) ** p)) / X.shape[0]


def _random_orthogonal(d, rng, like):
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    Q = Q * np.sign(np.diag(R))[None, :]
    return from_numpy(Q, like=like)


class OrthogonalDictionaryLearning(
    _CodingMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Complete orthogonal dictionary learning by l_p-norm maximization.

    For signals ``X = C D`` with sparse codes ``C`` and an orthogonal
    dictionary ``D``, the orthogonal ``A`` maximizing

    .. math::

        \\max_{A \\in O(d)} \\frac{1}{n} \\|X A^\\top\\|_p^p

    recovers ``D`` up to signed permutation (Shen et al.): sparse codes have
    large l_p norms (p > 2). ``fit`` runs the generalized power method
    ``A <- polar((X A')^{o(p-1)}' X)`` (one matrix product and one SVD of a
    d x d matrix per iteration; p = 4 is MSP). ``partial_fit`` runs the
    online variant: stochastic Frank-Wolfe with averaged gradients over the
    spectral-norm ball (the convex hull of the orthogonal group) as in Xue &
    Lau, whose linear oracle is again a polar factor. ``components_`` holds
    ``A`` (atoms as rows, so ``X ~ (X A') A``); ``transform`` computes
    ``X A'`` and sparsifies it with the chosen ``transform_algorithm``
    (thresholds are exact for an orthogonal dictionary).

    Parameters
    ----------
    p : int, default=3
        The exponent (an integer greater than 2; 3 performed best in Shen et
        al., 4 is MSP).
    max_iter : int, default=100
        Maximum power iterations in ``fit``.
    tol : float, default=1e-6
        Stop when the root-mean-square change of ``A`` per atom is below ``tol``.
    transform_algorithm : {"omp", "lasso", "l0", "threshold", "hard_threshold"}, \
            default="hard_threshold"
        Sparsifier applied to ``X A'`` in ``transform``.
    transform_n_nonzero_coefs : int, default=None
        Atoms per signal for ``"omp"``.
    transform_alpha : float, default=None
        Threshold / penalty; ``None`` means 0 for ``"hard_threshold"`` and
        ``"threshold"`` (plain analysis coefficients ``X A'``), 1 otherwise.
    transform_max_iter : int, default=1000
    positive_code : bool, default=False
        Nonnegative codes (not with OMP).
    verbose : int, default=0
    random_state : int, RandomState instance or None, default=None
        The random orthogonal initialization.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute; ``None`` follows the input.

    Attributes
    ----------
    components_ : array of shape (n_features, n_features)
        The orthogonal dictionary ``A`` (atoms as rows).
    n_components_ : int
    objective_ : float
        ``||X A'||_p^p / n`` at the end of ``fit``.
    n_iter_ : int
        Power iterations (``fit``) or minibatches (``partial_fit``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only for inputs with string feature names.

    References
    ----------
    Y. Shen, Y. Xue, J. Zhang, K. B. Letaief, V. Lau. "Complete Dictionary
    Learning via l_p-norm Maximization", UAI 2020.
    Y. Zhai, Z. Yang, Z. Liao, J. Wright, Y. Ma. "Complete Dictionary Learning
    via l4-Norm Maximization over the Orthogonal Group", JMLR 2020.
    Y. Xue, V. Lau. "Online Orthogonal Dictionary Learning Based on
    Frank-Wolfe Method", IEEE TNNLS 2023.

    Examples
    --------
    >>> from sksubspace.datasets import make_sparse_coded_signals
    >>> from sksubspace.decomposition import OrthogonalDictionaryLearning
    >>> X, D, C = make_sparse_coded_signals(2000, n_features=10, orthogonal=True,
    ...                                     density=0.1, random_state=0)
    >>> odl = OrthogonalDictionaryLearning(random_state=0).fit(X)
    >>> score = np.sum((odl.components_ @ D.T) ** 4) / 10  # 1 for exact recovery
    >>> bool(score > 0.99)
    True
    """

    _parameter_constraints = {
        "p": [Interval(numbers.Integral, 3, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        **_CODER_CONSTRAINTS,
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"random_state": 0, "max_iter": 20, "tol": 1e-4}

    def __init__(
        self,
        p=3,
        *,
        max_iter=100,
        tol=1e-6,
        transform_algorithm="hard_threshold",
        transform_n_nonzero_coefs=None,
        transform_alpha=None,
        transform_max_iter=1000,
        positive_code=False,
        verbose=0,
        random_state=None,
        device=None,
    ):
        self.p = p
        self.max_iter = max_iter
        self.tol = tol
        self.transform_algorithm = transform_algorithm
        self.transform_n_nonzero_coefs = transform_n_nonzero_coefs
        self.transform_alpha = transform_alpha
        self.transform_max_iter = transform_max_iter
        self.positive_code = positive_code
        self.verbose = verbose
        self.random_state = random_state
        self.device = device

    def _publish(self, A, ctx):
        self.components_ = ctx.output(A)
        self.n_components_ = A.shape[0]
        self._n_features_out = A.shape[0]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the orthogonal dictionary from ``X`` by the l_p power method.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : OrthogonalDictionaryLearning
        """
        X = validate_data(self, X)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        xp = ctx.xp
        d = Xc.shape[1]
        # the polar factor does not see the scale of X: iterate on X / 2^e (exact), so
        # that the p-th powers of data of size 1e120 or 1e-120 stay within range
        x_scale = max_abs_scale(Xc)
        if x_scale != 1.0:
            Xc = Xc / x_scale
        rng = check_random_state(self.random_state)
        A = _random_orthogonal(d, rng, Xc)
        converged = False
        it = 0
        for it in range(1, self.max_iter + 1):
            A_new = polar(_lp_gradient(Xc, A, self.p))
            change = to_float(xp.linalg.vector_norm(A_new - A)) / np.sqrt(d)
            A = A_new
            if self.verbose:
                print(f"[OrthogonalDictionaryLearning] iteration {it}: change {change:.3g}")
            if change <= self.tol:
                converged = True
                break
        if not converged:
            warnings.warn(
                f"OrthogonalDictionaryLearning did not converge in max_iter={self.max_iter} "
                "iterations; increase max_iter.",
                ConvergenceWarning,
            )
        self.n_iter_ = it
        with np.errstate(over="ignore"):  # inf where the true objective overflows
            self.objective_ = float(_lp_objective(Xc, A, self.p) * np.float64(x_scale) ** self.p)
        self._publish(A, ctx)
        return self

    def partial_fit(self, X, y=None):
        """One online Frank-Wolfe step on the minibatch ``X``.

        With ``t`` the number of minibatches seen, the averaged gradient is
        ``G <- (1 - rho_t) G + rho_t grad_t`` with ``rho_t = t^(-1/2)``, and the
        relaxed iterate moves towards the linear oracle
        ``A <- (1 - gamma_t) A + gamma_t polar(G)`` with ``gamma_t = t^(-3/4)``.
        ``components_`` is the orthogonal polar factor of ``A``.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : OrthogonalDictionaryLearning
        """
        first = not hasattr(self, "_A_relaxed")
        if first:
            self._validate_params()
        X = validate_data(self, X, reset=first)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        if first:
            rng = check_random_state(self.random_state)
            self._A_relaxed = _random_orthogonal(Xc.shape[1], rng, Xc)
            self._G = None
            self.n_iter_ = 0
        A = ctx.asarray(self._A_relaxed)
        self.n_iter_ += 1
        t = self.n_iter_
        grad = _lp_gradient(Xc, polar(A), self.p)
        rho, gamma = t**-0.5, t**-0.75
        G = grad if self._G is None else (1 - rho) * ctx.asarray(self._G) + rho * grad
        A = (1 - gamma) * A + gamma * polar(G)
        self._G, self._A_relaxed = G, A
        A_orth = polar(A)
        self.objective_ = _lp_objective(Xc, A_orth, self.p)
        self._publish(A_orth, ctx)
        return self

    def _transform_codes(self, X, D, ctx):
        alpha = self.transform_alpha
        if alpha is None:
            alpha = 0.0 if self.transform_algorithm in ("threshold", "hard_threshold") else None
        return _encode(
            X,
            D,
            algorithm=self.transform_algorithm,
            n_nonzero_coefs=self.transform_n_nonzero_coefs,
            alpha=alpha,
            max_iter=self.transform_max_iter,
            positive=self.positive_code,
        )
