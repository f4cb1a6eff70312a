"""Sparse coding against a fixed dictionary: batched OMP, lasso, l0 and thresholds.

Every solver here codes all signals at once with matrix-matrix products (the
Gram matrix ``D D'`` and the correlations ``X D'``), so the same code is fast on
a CPU with BLAS and on a GPU, and runs on any array-API namespace. The private
:func:`_encode` is the core that every dictionary learner of the family calls;
:func:`sparse_encode` and :class:`SparseCoder` are its public faces.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, device_kw, get_namespace, to_float
from .._lasso import lasso_gram
from .._linalg import batched_omp, hard_threshold, omp_codes_dense
from .._sklearn_compat import Interval, StrOptions, _fit_context, validate_params
from .._validation import ArrayAPISupportMixin, validate_data

__all__ = ["SparseCoder", "sparse_encode"]

ALGORITHMS = ("omp", "lasso", "l0", "threshold", "hard_threshold")


# ---------------------------------------------------------------------------
# Numerical core (arrays in, arrays out, one namespace)
# ---------------------------------------------------------------------------


def _lipschitz(G, xp):
    """Largest eigenvalue of the Gram matrix (step size of iterative hard thresholding)."""
    lam = to_float(xp.max(xp.linalg.eigvalsh(G)))
    return max(lam, float(np.finfo(np.float64).tiny))


def _prox_l1(V, threshold, positive, xp):
    if positive:
        return xp.clip(V - threshold, 0, None)
    # S_t(v) = v - clip(v, -t, t): two passes over V instead of sign * max(|v| - t, 0).
    return V - xp.clip(V, -threshold, threshold)


def _prox_l0(V, threshold, positive, xp):
    if positive:
        V = xp.clip(V, 0, None)
    return hard_threshold(V, threshold)


def _iterative_hard_thresholding(B, G, *, alpha, positive, max_iter, tol, init, L=None):
    """Batched iterative hard thresholding for ``min_C 0.5 ||X - C D||^2 + alpha ||C||_0``.

    Works on ``B = X D'`` and ``G = D D'`` only (Blumensath & Davies 2008): it
    decreases the l0-penalized objective monotonically with step ``1/L``.
    Convergence is checked every 10 iterations (one host synchronization).

    Returns ``(C, n_iter)``.
    """
    xp = get_namespace(B, G)
    L = _lipschitz(G, xp) if L is None else L
    C = xp.zeros_like(B) if init is None else init
    thr = math.sqrt(2.0 * alpha / L)
    # The gradient step C - (C G - B) / L as one product: C (I - G / L) + B / L.
    M = -G / L
    M = M + xp.eye(G.shape[0], dtype=G.dtype, **device_kw(G))
    B_L = B / L
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        C_new = _prox_l0(C @ M + B_L, thr, positive, xp)
        if n_iter % 10 == 0 or n_iter == max_iter:
            delta = to_float(xp.max(xp.abs(C_new - C)))
            scale = to_float(xp.max(xp.abs(C_new)))
            C = C_new
            if delta <= tol * max(scale, 1e-12):
                break
        else:
            C = C_new
    return C, n_iter


def _encode(
    X,
    D,
    *,
    algorithm="omp",
    n_nonzero_coefs=None,
    alpha=None,
    max_iter=1000,
    tol=1e-6,
    positive=False,
    init=None,
    gram=None,
):
    """Codes ``C`` (n_samples, n_atoms) of the rows of ``X`` on the atoms (rows) of ``D``.

    No input validation: callers validate. ``gram`` (``D D'``) may be passed
    when the same dictionary codes many batches.
    """
    xp = get_namespace(X, D)
    n_atoms = D.shape[0]
    if algorithm == "omp":
        if positive:
            raise ValueError(
                "positive=True is not supported with algorithm='omp'; use "
                "algorithm='lasso' or 'l0' for nonnegative codes."
            )
        if alpha is not None:  # scikit-learn's convention: alpha is the residual tolerance
            idx, coef = batched_omp(X, D, tol=float(alpha), gram=gram)
        else:
            k = n_nonzero_coefs if n_nonzero_coefs is not None else max(1, X.shape[1] // 10)
            idx, coef = batched_omp(X, D, n_nonzero_coefs=int(k), gram=gram)
        return omp_codes_dense(idx, coef, n_atoms)

    alpha = 1.0 if alpha is None else float(alpha)
    B = X @ xp.matrix_transpose(D)
    if algorithm == "threshold":
        return _prox_l1(B, alpha, positive, xp)
    if algorithm == "hard_threshold":
        return _prox_l0(B, alpha, positive, xp)
    G = D @ xp.matrix_transpose(D) if gram is None else gram
    if algorithm == "lasso":  # exact, by the shared active-set solver
        C, _, _ = lasso_gram(G, B, alpha, positive=positive, init=init, factor=D)
        return C
    L = _lipschitz(G, xp)
    if init is None:
        # Iterative hard thresholding only finds a local minimum: start it from the
        # lasso whose soft threshold equals the l0 threshold (exact if D is orthogonal).
        init, _, _ = lasso_gram(G, B, math.sqrt(2.0 * alpha * L), positive=positive)
    C, _ = _iterative_hard_thresholding(
        B, G, alpha=alpha, positive=positive, max_iter=max_iter, tol=tol, init=init, L=L
    )
    return C


# ---------------------------------------------------------------------------
# Public function
# ---------------------------------------------------------------------------


@validate_params(
    {
        "X": ["array-like"],
        "dictionary": ["array-like"],
        "algorithm": [StrOptions(set(ALGORITHMS))],
        "n_nonzero_coefs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "alpha": [Interval(numbers.Real, 0, None, closed="left"), None],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "positive": ["boolean"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    },
    prefer_skip_nested_validation=True,
)
def sparse_encode(
    X,
    dictionary,
    *,
    algorithm="omp",
    n_nonzero_coefs=None,
    alpha=None,
    max_iter=1000,
    tol=1e-6,
    positive=False,
    device=None,
):
    """Sparse codes of the rows of ``X`` on the atoms (rows) of ``dictionary``.

    Finds ``C`` such that ``X ~ C @ dictionary`` by one of

    * ``"omp"``: orthogonal matching pursuit, greedy ``min ||x - c D||^2`` s.t.
      ``||c||_0 <= n_nonzero_coefs``, for all signals at once with batched
      Cholesky updates of the Gram matrix (Rubinstein, Zibulevsky & Elad 2008).
      If ``alpha`` is given it is the tolerance on the squared residual norm and
      overrides ``n_nonzero_coefs`` (scikit-learn's convention).
    * ``"lasso"``: ``min_c 0.5 ||x - c D||^2 + alpha ||c||_1``, solved exactly
      for all signals at once by an active-set method on the Gram matrix
      (:func:`sksubspace._lasso.lasso_gram`).
    * ``"l0"``: ``min_c 0.5 ||x - c D||^2 + alpha ||c||_0`` by iterative hard
      thresholding (the l0 penalty gives sparser codes than l1 at the same
      reconstruction error; "Beyond l1 sparse coding").
    * ``"threshold"``: soft thresholding of the correlations, ``S_alpha(x D')``.
    * ``"hard_threshold"``: hard thresholding of the correlations (keep
      ``|x d_j| > alpha``); exact l0 coding for an orthogonal dictionary.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Signals as rows (NumPy, CuPy or any array-API array).
    dictionary : array of shape (n_atoms, n_features)
        Atoms as rows (normalized atoms are expected by ``"omp"`` and the
        threshold algorithms).
    algorithm : {"omp", "lasso", "l0", "threshold", "hard_threshold"}, default="omp"
    n_nonzero_coefs : int, default=None
        Number of atoms per signal for ``"omp"``; ``None`` means
        ``max(1, n_features // 10)``.
    alpha : float, default=None
        Penalty (``"lasso"``, ``"l0"``), threshold (``"threshold"``,
        ``"hard_threshold"``), or residual tolerance (``"omp"``). ``None``
        means 1.0 except for ``"omp"``, which then uses ``n_nonzero_coefs``.
    max_iter : int, default=1000
        Iterations of the ``"l0"`` solver (iterative hard thresholding).
    tol : float, default=1e-6
        Stop the ``"l0"`` solver when the largest change of a code entry is
        below ``tol`` times the largest entry. The lasso is solved exactly.
    positive : bool, default=False
        Constrain the codes to be nonnegative (not with ``"omp"``).
    device : {None, "cpu", "gpu"}, default=None
        Where to compute; ``None`` follows ``X``. Codes come back in the
        namespace of ``X``.

    Returns
    -------
    code : array of shape (n_samples, n_atoms)

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.decomposition import sparse_encode
    >>> D = np.eye(4)[:3]
    >>> sparse_encode(np.array([[0.0, 3.0, 0.1, 0.0]]), D, n_nonzero_coefs=1)
    array([[0., 3., 0.]])
    """
    if not hasattr(X, "ndim"):  # a list of rows
        X = np.asarray(X)
    if not hasattr(dictionary, "ndim"):
        dictionary = np.asarray(dictionary)
    if X.ndim != 2 or dictionary.ndim != 2:
        raise ValueError(
            f"X and dictionary must be 2-d; got shapes {tuple(X.shape)} and "
            f"{tuple(dictionary.shape)}."
        )
    if X.shape[1] != dictionary.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features but the dictionary atoms have "
            f"{dictionary.shape[1]}; atoms are the rows of dictionary."
        )
    ctx = compute_context(device, X)
    Xc = ctx.asarray(X)
    xp = ctx.xp
    if not xp.isdtype(Xc.dtype, "real floating"):
        Xc = xp.astype(Xc, xp.float64)
    D = xp.astype(ctx.asarray(dictionary), Xc.dtype)
    code = _encode(
        Xc,
        D,
        algorithm=algorithm,
        n_nonzero_coefs=n_nonzero_coefs,
        alpha=alpha,
        max_iter=max_iter,
        tol=tol,
        positive=positive,
    )
    return ctx.output(code)


# ---------------------------------------------------------------------------
# Transformer with a fixed dictionary
# ---------------------------------------------------------------------------

_CODER_CONSTRAINTS = {
    "transform_algorithm": [StrOptions(set(ALGORITHMS))],
    "transform_n_nonzero_coefs": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "transform_alpha": [Interval(numbers.Real, 0, None, closed="left"), None],
    "transform_max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
    "positive_code": ["boolean"],
}


class _CodingMixin(ArrayAPISupportMixin, TransformerMixin):
    """``transform`` through :func:`_encode` with the ``transform_*`` parameters.

    A ``TransformerMixin`` itself, so that scikit-learn wraps this ``transform``
    for ``set_output`` (it wraps only methods a subclass of it defines).
    """

    def _transform_codes(self, X, D, ctx):
        return _encode(
            X,
            D,
            algorithm=self.transform_algorithm,
            n_nonzero_coefs=self.transform_n_nonzero_coefs,
            alpha=self.transform_alpha,
            max_iter=self.transform_max_iter,
            positive=self.positive_code,
        )

    def transform(self, X):
        """Sparse codes of ``X`` on the learned (or given) atoms.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)

        Returns
        -------
        code : array of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        D = ctx.xp.astype(ctx.asarray(self.components_), Xc.dtype)
        return ctx.output(self._transform_codes(Xc, D, ctx))

    def inverse_transform(self, X):
        """Signals ``code @ components_`` from codes.

        Parameters
        ----------
        X : array of shape (n_samples, n_components)

        Returns
        -------
        X_original : array of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        ctx = compute_context(self.device, X)
        C = ctx.asarray(X)
        xp = ctx.xp
        if not xp.isdtype(C.dtype, "real floating"):
            C = xp.astype(C, xp.float64)
        D = xp.astype(ctx.asarray(self.components_), C.dtype)
        if C.ndim != 2 or C.shape[1] != D.shape[0]:
            raise ValueError(
                f"Codes must have shape (n_samples, {D.shape[0]}); got {tuple(C.shape)}."
            )
        return ctx.output(C @ D)


class SparseCoder(_CodingMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Sparse coding of signals on a fixed dictionary.

    Transforms each row ``x`` into a code ``c`` with ``x ~ c @ dictionary``,
    solving one of the problems of :func:`sparse_encode` for all rows at once
    (batched OMP with Cholesky updates, exact batched active-set lasso, iterative hard
    thresholding, or one-shot soft / hard thresholds). ``fit`` only checks the
    input; the dictionary is a parameter.

    Parameters
    ----------
    dictionary : array of shape (n_components, n_features)
        The atoms, as rows (unit norm for ``"omp"`` and the thresholds).
    transform_algorithm : {"omp", "lasso", "l0", "threshold", "hard_threshold"}, \
            default="omp"
        The coding problem; see :func:`sparse_encode`.
    transform_n_nonzero_coefs : int, default=None
        Atoms per signal for ``"omp"``; ``None`` means ``max(1, n_features // 10)``.
    transform_alpha : float, default=None
        Penalty, threshold or OMP residual tolerance; see :func:`sparse_encode`.
    transform_max_iter : int, default=1000
        Iterations of the lasso / l0 solvers.
    positive_code : bool, default=False
        Nonnegative codes (not with ``"omp"``).
    device : {None, "cpu", "gpu"}, default=None
        Where to compute; ``None`` follows the input.

    Attributes
    ----------
    components_ : array of shape (n_components, n_features)
        The dictionary, in the namespace of the input seen by ``fit``.
    n_components_ : int
    n_features_in_ : int

    See Also
    --------
    sparse_encode : The function behind ``transform``.
    OnlineDictionaryLearning : Learns the dictionary from data.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.decomposition import SparseCoder
    >>> D = np.array([[1.0, 0.0], [0.6, 0.8]])
    >>> coder = SparseCoder(D, transform_n_nonzero_coefs=1)
    >>> coder.fit_transform(np.array([[1.2, 1.6], [0.0, 0.0]]))
    array([[0., 2.],
           [0., 0.]])
    """

    _parameter_constraints = {
        "dictionary": ["array-like"],
        **_CODER_CONSTRAINTS,
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"dictionary": np.random.RandomState(0).standard_normal((5, 8))}
    # The dictionary fixes the number of features, so each generic check gets a
    # dictionary as wide as the data it fits (as scikit-learn does for its own
    # SparseCoder).
    _test_check_params = {
        check: {"dictionary": np.random.RandomState(0).standard_normal((5, width))}
        for width, checks in {
            1: [
                "check_fit2d_1feature",
            ],
            2: [
                "check_estimators_fit_returns_self",
                "check_estimators_overwrite_params",
                "check_fit_check_is_fitted",
                "check_fit_idempotent",
                "check_n_features_in",
                "check_readonly_memmap_input",
            ],
            3: [
                "check_dict_unchanged",
                "check_dont_overwrite_parameters",
                "check_estimators_nan_inf",
                "check_estimators_pickle",
                "check_f_contiguous_array_estimator",
                "check_fit2d_predict1d",
                "check_fit_score_takes_y",
                "check_methods_sample_order_invariance",
                "check_methods_subset_invariance",
                "check_pipeline_consistency",
                "check_transformer_data_not_an_array",
                "check_transformer_general",
                "check_transformer_preserve_dtypes",
            ],
            4: [
                "check_n_features_in_after_fitting",
                "check_positive_only_tag_during_fit",
            ],
            5: [
                "check_estimators_dtypes",
            ],
            10: [
                "check_dtype_object",
                "check_fit2d_1sample",
            ],
        }.items()
        for check in checks
    }

    def __init__(
        self,
        dictionary,
        *,
        transform_algorithm="omp",
        transform_n_nonzero_coefs=None,
        transform_alpha=None,
        transform_max_iter=1000,
        positive_code=False,
        device=None,
    ):
        self.dictionary = dictionary
        self.transform_algorithm = transform_algorithm
        self.transform_n_nonzero_coefs = transform_n_nonzero_coefs
        self.transform_alpha = transform_alpha
        self.transform_max_iter = transform_max_iter
        self.positive_code = positive_code
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check ``X`` against the dictionary (nothing is learned).

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : SparseCoder
        """
        X = validate_data(self, X)
        ctx = compute_context(self.device, X)
        D = ctx.asarray(self.dictionary)
        xp = ctx.xp
        if D.ndim != 2:
            raise ValueError(f"dictionary must be 2-d; got shape {tuple(D.shape)}.")
        if D.shape[1] != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features but the dictionary atoms have {D.shape[1]}; "
                "atoms are the rows of dictionary."
            )
        if self.positive_code and self.transform_algorithm == "omp":
            raise ValueError("positive_code=True is not supported with transform_algorithm='omp'.")
        D = xp.astype(D, X.dtype if xp.isdtype(X.dtype, "real floating") else xp.float64)
        self.components_ = ctx.output(D)
        self.n_components_ = D.shape[0]
        self._n_features_out = D.shape[0]
        return self
