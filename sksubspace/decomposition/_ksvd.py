"""K-SVD dictionary learning (Aharon, Elad & Bruckstein 2006), approximate atom updates."""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_random_state

from .._backend import (
    compute_context,
    get_namespace,
    is_cupy_namespace,
    is_numpy,
    to_float,
    to_numpy,
)
from .._linalg import batched_omp, max_abs_scale, normalize_rows, omp_codes_dense
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import validate_data
from ._dict_init import (
    _atoms_to_replace,
    _check_dictionary_size,
    _init_dictionary,
    _replace_atoms,
)
from ._sparse_coding import _CODER_CONSTRAINTS, _CodingMixin, _encode

__all__ = ["KSVD"]


def _fancy_indexing(xp):
    """NumPy and CuPy index with integer arrays (a fast path on the used signals only)."""
    return is_numpy(xp) or is_cupy_namespace(xp)


def _ksvd_atom_updates(X, D, C, counts, replacements):
    """One sweep of approximate K-SVD atom updates (Rubinstein, Zibulevsky & Elad 2008).

    For each atom ``j`` and the signals ``I`` that use it, with ``E`` the
    residual of ``I`` without atom ``j``: ``d_j <- E' g / ||E' g||`` and
    ``g <- E d_j`` (one step of the power method on the rank-1 SVD of ``E``),
    computed without forming ``E``. Unused atoms take the next row of
    ``replacements`` (the worst represented signals). ``D`` and ``C`` are
    updated in place and returned; ``counts`` (host) holds how many signals
    use each atom (``C != 0``).

    The sweep is sequential by design (each atom is updated against the atoms
    updated before it), but no atom reads anything back from the device: on
    NumPy / CuPy the signals of every atom come from one ``nonzero`` of the
    whole support, grouped by atom, and each atom gathers and scatters its
    rows; other namespaces, which have no scatter, update the whole column
    ``C[:, j]`` masked by its support.
    """
    xp = get_namespace(X, D)
    used = C != 0
    if _fancy_indexing(xp):
        # (atom, signal) pairs in row-major order of used': grouped by atom, signals ascending
        _, signals = xp.nonzero(xp.matrix_transpose(used))
    ends = np.cumsum(counts)
    r = 0
    for j in range(D.shape[0]):
        if counts[j] == 0:
            D[j, :] = replacements[r % replacements.shape[0], :]
            r += 1
            continue
        D[j, :] = 0.0
        if _fancy_indexing(xp):
            idx = signals[int(ends[j] - counts[j]) : int(ends[j])]
            XI, CI = X[idx, :], C[idx, :]
            g = C[idx, j]
        else:  # generic namespaces: masked products over all signals
            XI, CI, g = X, C, C[:, j]
        d = g @ XI - (g @ CI) @ D
        d = d / xp.linalg.vector_norm(d)
        g = XI @ d - CI @ (D @ d)
        D[j, :] = d
        if _fancy_indexing(xp):
            C[idx, j] = g
        else:
            C[:, j] = xp.where(used[:, j], g, xp.zeros_like(g))
    return D, C


class KSVD(_CodingMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """K-SVD: dictionary learning with OMP coding and rank-1 atom updates.

    Solves

    .. math::

        \\min_{D, C} \\|X - C D\\|_F^2 \\quad \\text{s.t. }
        \\|c_i\\|_0 \\le s,\\ \\|d_j\\|_2 = 1,

    by alternating batched OMP coding of all signals (``s = n_nonzero_coefs``)
    with a sweep over the atoms, each updated with the signals that use it by
    the approximate rank-1 step of Rubinstein et al. (one power iteration on
    the residual, with the codes of those signals updated at the same time).
    Atoms no signal uses are replaced by the worst represented signals.

    Parameters
    ----------
    n_components : int, default=None
        Number of atoms; ``None`` means ``n_features``.
    n_nonzero_coefs : int, default=None
        Atoms per signal ``s``; ``None`` means ``max(1, n_features // 10)``.
    max_iter : int, default=100
        Maximum number of coding + update sweeps.
    tol : float, default=1e-4
        Stop when the relative decrease of the residual norm after coding is
        below ``tol``.
    dict_init : array of shape (n_components, n_features), default=None
        Initial atoms; random normalized signals by default.
    transform_algorithm : {"omp", "lasso", "l0", "threshold", "hard_threshold"}, \
            default="omp"
        Coding in ``transform``; see :func:`sparse_encode`.
    transform_n_nonzero_coefs : int, default=None
        Atoms per signal in ``transform``; ``None`` means ``n_nonzero_coefs``.
    transform_alpha : float, default=None
        Penalty / threshold / OMP tolerance in ``transform``.
    transform_max_iter : int, default=1000
    positive_code : bool, default=False
        Nonnegative codes in ``transform`` (not with OMP).
    verbose : int, default=0
        Print the residual after every sweep.
    random_state : int, RandomState instance or None, default=None
        Initialization.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute; ``None`` follows the input.

    Attributes
    ----------
    components_ : array of shape (n_components, n_features)
        Unit-norm atoms (rows).
    n_components_ : int
    error_ : list of float
        Root-mean-square residual after each coding step.
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only for inputs with string feature names.

    References
    ----------
    M. Aharon, M. Elad, A. Bruckstein. "K-SVD: An Algorithm for Designing
    Overcomplete Dictionaries for Sparse Representation", IEEE TSP 54(11), 2006.
    R. Rubinstein, M. Zibulevsky, M. Elad. "Efficient Implementation of the
    K-SVD Algorithm using Batch Orthogonal Matching Pursuit", Technion 2008.

    Examples
    --------
    >>> from sksubspace.datasets import make_sparse_coded_signals
    >>> from sksubspace.decomposition import KSVD
    >>> X, D, C = make_sparse_coded_signals(500, 12, 8, n_nonzero_coefs=2, random_state=0)
    >>> ksvd = KSVD(12, n_nonzero_coefs=2, random_state=0).fit(X)
    >>> ksvd.transform(X).shape
    (500, 12)
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_nonzero_coefs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "dict_init": ["array-like", None],
        **_CODER_CONSTRAINTS,
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"n_components": 3, "n_nonzero_coefs": 1, "max_iter": 5, "random_state": 0}

    def __init__(
        self,
        n_components=None,
        *,
        n_nonzero_coefs=None,
        max_iter=100,
        tol=1e-4,
        dict_init=None,
        transform_algorithm="omp",
        transform_n_nonzero_coefs=None,
        transform_alpha=None,
        transform_max_iter=1000,
        positive_code=False,
        verbose=0,
        random_state=None,
        device=None,
    ):
        self.n_components = n_components
        self.n_nonzero_coefs = n_nonzero_coefs
        self.max_iter = max_iter
        self.tol = tol
        self.dict_init = dict_init
        self.transform_algorithm = transform_algorithm
        self.transform_n_nonzero_coefs = transform_n_nonzero_coefs
        self.transform_alpha = transform_alpha
        self.transform_max_iter = transform_max_iter
        self.positive_code = positive_code
        self.verbose = verbose
        self.random_state = random_state
        self.device = device

    def _sparsity(self, n_features):
        s = self.n_nonzero_coefs if self.n_nonzero_coefs is not None else n_features // 10
        return max(1, int(s))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the dictionary from ``X``.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : KSVD
        """
        X = validate_data(self, X)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        xp = ctx.xp
        n, d = Xc.shape
        k = _check_dictionary_size(self.n_components, d)
        s = self._sparsity(d)
        rng = check_random_state(self.random_state)
        # unit atoms do not depend on the scale of X: fit on X / 2^e (exact), so that
        # data of size 1e-150 or 1e150 neither underflows nor overflows in the squares
        x_scale = max_abs_scale(Xc)
        if x_scale != 1.0:
            Xc = Xc / x_scale
        D = _init_dictionary(Xc, k, rng, self.dict_init)
        self.error_ = []
        scale = np.sqrt(n * d) / x_scale
        t0 = time.perf_counter()
        converged = False
        it = 0
        for it in range(1, self.max_iter + 1):
            idx, coef = batched_omp(Xc, D, n_nonzero_coefs=s)
            C = omp_codes_dense(idx, coef, k)
            R = Xc - C @ D
            res = xp.sum(R * R, axis=1)
            err = np.sqrt(to_float(xp.sum(res))) / scale
            self.error_.append(err)
            if self.verbose:
                print(
                    f"[KSVD] iteration {it}: rms residual {err:.6g}, {time.perf_counter() - t0:.2f} s"
                )
            if it > 1 and self.error_[-2] - err <= self.tol * max(self.error_[-2], 1e-300):
                converged = True
                break
            # worst represented signals replace unused atoms; one read of the atoms' usage
            counts = np.asarray(to_numpy(xp.sum(xp.astype(C != 0, xp.int64), axis=0)))
            n_unused = int(np.sum(counts == 0))
            order = xp.argsort(-res, stable=True)
            replacements = None
            if n_unused:
                replacements = normalize_rows(xp.take(Xc, order[:n_unused], axis=0))
            D, C = _ksvd_atom_updates(Xc, xp.asarray(D, copy=True), C, counts, replacements)
            # dictionary clearing: restart near-duplicate and rarely used atoms
            usage = xp.sum(xp.astype(C != 0, xp.int64), axis=0)
            bad = _atoms_to_replace(D, usage, min_usage=min(4, max(1, n * s // (4 * k))))
            if bad:  # a few rows to the host, only when atoms are restarted
                worst = xp.take(Xc, order[n_unused : n_unused + len(bad)], axis=0)
                D = _replace_atoms(D, bad, np.asarray(to_numpy(worst)))
        if not converged and self.tol > 0:
            warnings.warn(
                f"KSVD did not converge in max_iter={self.max_iter} iterations (relative "
                f"residual decrease above tol={self.tol}); increase max_iter.",
                ConvergenceWarning,
            )
        self.n_iter_ = it
        self.components_ = ctx.output(D)
        self.n_components_ = k
        self._n_features_out = k
        return self

    def _transform_codes(self, X, D, ctx):
        k = self.transform_n_nonzero_coefs
        if k is None:
            k = self._sparsity(X.shape[1])
        return _encode(
            X,
            D,
            algorithm=self.transform_algorithm,
            n_nonzero_coefs=k,
            alpha=self.transform_alpha,
            max_iter=self.transform_max_iter,
            positive=self.positive_code,
        )
