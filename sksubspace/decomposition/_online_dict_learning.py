"""Online dictionary learning (Mairal, Bach, Ponce & Sapiro, JMLR 2010)."""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_random_state

from .._backend import (
    as_index,
    compute_context,
    device_kw,
    from_numpy,
    get_namespace,
    is_numpy,
    to_float,
    to_numpy,
)
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import validate_data
from ..utils._progress import progress_bar
from ..utils._threads import block_pool, effective_n_threads, uses_n_jobs
from ._dict_init import (
    _atoms_to_replace,
    _check_dictionary_size,
    _init_dictionary,
    _normalize_rows,
    _replace_atoms,
)
from ._sparse_coding import _CODER_CONSTRAINTS, _CodingMixin, _encode

__all__ = ["OnlineDictionaryLearning"]


# ---------------------------------------------------------------------------
# Numerical core
# ---------------------------------------------------------------------------


def _batch_cost(Xb, C, D, alpha, penalty, xp):
    """Sum over the batch of ``0.5 ||x - c D||^2 + alpha * pen(c)``."""
    R = Xb - C @ D
    cost = 0.5 * xp.sum(R * R)
    if penalty == "lasso":
        cost = cost + alpha * xp.sum(xp.abs(C))
    elif penalty == "l0":
        cost = cost + alpha * xp.sum(xp.astype(C != 0, C.dtype))
    return cost


def _forgetting_factor(n_seen, n_batch, rho=10.0):
    """Weight ``(1 - 1/t)^rho`` of the past statistics at step ``t`` (Mairal et al. 2010, sec. 3.4).

    Time is counted in signals: after ``n_seen`` signals, a batch of
    ``n_batch`` more scales the past by ``(n_seen / (n_seen + n_batch))^rho``,
    which is ``(1 - 1/t)^rho`` for batches of equal size, and a short batch
    (the last one of an epoch) forgets in proportion to its size. With
    ``rho > 1`` the codes of the first (poor) dictionaries are forgotten
    quickly; the effective memory grows like ``n_seen / (rho + 1)`` signals.
    """
    return (n_seen / (n_seen + n_batch)) ** rho


def _update_dictionary(D, A, B, *, dead, replacements, positive):
    """One pass of block-coordinate descent on the atoms (rows of ``D``).

    Minimizes ``0.5 tr(D' A D) - tr(D' B)`` over atoms in the unit ball, atom
    by atom: ``d_j <- proj(d_j + (b_j - a_j D) / A_jj)``. Atoms in ``dead``
    (``A_jj`` ~ 0, never used) are replaced by the rows of ``replacements``.
    """
    xp = get_namespace(D)
    if is_numpy(xp):
        return _update_dictionary_numpy(
            D, A, B, dead=dead, replacements=replacements, positive=positive
        )
    D = xp.asarray(D, copy=True)
    r = 0
    for j in range(D.shape[0]):
        if dead[j]:
            dj = replacements[r, :]
            r += 1
        else:
            dj = D[j, :] + (B[j, :] - A[j, :] @ D) / A[j, j]
        if positive:
            dj = xp.clip(dj, 0, None)
        norm = xp.linalg.vector_norm(dj)
        D[j, :] = dj / xp.where(norm > 1, norm, xp.ones_like(norm))
    return D


def _update_dictionary_numpy(D, A, B, *, dead, replacements, positive):
    """:func:`_update_dictionary` on NumPy arrays, in place on a copy.

    The same sweep without the per-call overhead of the array-API wrappers
    (a few microseconds per atom instead of tens): ``gemv`` and in-place row
    updates only.
    """
    D = np.array(D, copy=True)
    A, B = np.asarray(A), np.asarray(B)
    r = 0
    for j in range(D.shape[0]):
        if dead[j]:
            dj = np.array(replacements[r], copy=True)
            r += 1
        else:
            dj = D[j] + (B[j] - A[j] @ D) / A[j, j]
        if positive:
            np.maximum(dj, 0, out=dj)
        norm = np.sqrt(dj @ dj)
        D[j] = dj / norm if norm > 1 else dj
    return D


#: Signals x atoms per block of a minibatch coded on its own thread: smaller
#: blocks cost more in thread hand-offs than they save.
_MIN_BLOCK_ENTRIES = 1 << 16


def _coding_threads(n_rows, n_atoms, xp):
    """A :func:`~sksubspace.utils._threads.block_pool` for minibatches of ``n_rows``
    signals coded on ``n_atoms`` atoms (yields None: code in one piece).

    NumPy only, and only when a minibatch splits into blocks of at least
    :data:`_MIN_BLOCK_ENTRIES` (signals x atoms). The compiled coders release
    the GIL, so the blocks run in parallel; the pool (and its one-thread BLAS
    limit) lives for the whole fit: taking them per minibatch costs about a
    millisecond.
    """
    n_threads = effective_n_threads() if is_numpy(xp) else 1
    return block_pool(min(n_threads, n_rows * n_atoms // _MIN_BLOCK_ENTRIES))


class OnlineDictionaryLearning(
    _CodingMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Dictionary learning by the online algorithm of Mairal et al. (2010).

    Learns atoms ``D`` (rows of ``components_``, in the unit ball) and sparse
    codes ``C`` for

    .. math::

        \\min_{D, C} \\frac{1}{n} \\sum_i \\frac{1}{2} \\|x_i - c_i D\\|_2^2
        + \\alpha \\|c_i\\|_1 \\quad \\text{s.t. } \\|d_j\\|_2 \\le 1,

    by alternating, on minibatches, (1) sparse coding of the batch with the
    batched solvers of :func:`sparse_encode` (the exact active-set lasso solver
    by default, or batched OMP / iterative hard thresholding), (2) updating the sufficient
    statistics ``A = sum c' c`` and ``B = sum c' x`` (each signal weighted by
    ``1 / batch_size``, the past scaled by the forgetting factor of Mairal et
    al. with time counted in signals, so a short last batch of an epoch counts
    by its size), and (3) one pass of
    block-coordinate descent over the atoms. Atoms that are never used are
    resampled from the batch. All coding is matrix-matrix work, so large
    batches run at BLAS (or GPU) speed.

    Parameters
    ----------
    n_components : int, default=None
        Number of atoms; ``None`` means ``n_features``.
    alpha : float, default=1.0
        Weight of the sparsity penalty during ``fit``.
    max_iter : int, default=10
        Maximum number of passes over the data (epochs).
    batch_size : int, default=256
        Signals per minibatch.
    fit_algorithm : {"lasso", "omp", "l0"}, default="lasso"
        Coding during ``fit``: l1 penalty (exact active-set solver), OMP with
        ``fit_n_nonzero_coefs`` atoms, or l0 penalty (iterative hard thresholding).
    fit_n_nonzero_coefs : int, default=None
        Atoms per signal when ``fit_algorithm="omp"``; ``None`` means
        ``max(1, n_features // 10)``.
    fit_max_iter : int, default=100
        Iterations of the l0 solver for each minibatch (the lasso is solved
        exactly).
    tol : float, default=1e-3
        Stop when the root-mean-square change of the atoms in one step falls
        below ``tol``. ``0`` disables this criterion.
    max_no_improvement : int, default=10
        Stop after this many minibatches without improvement of the smoothed
        batch objective (``None`` disables it).
    shuffle : bool, default=True
        Shuffle the signals before each epoch.
    dict_init : array of shape (n_components, n_features), default=None
        Initial atoms; random (normalized) signals by default.
    positive_code : bool, default=False
        Nonnegative codes (in ``fit`` and ``transform``; not with OMP).
    positive_dict : bool, default=False
        Nonnegative atoms.
    transform_algorithm : {"omp", "lasso", "l0", "threshold", "hard_threshold"}, \
            default="omp"
        Coding in ``transform``; see :func:`sparse_encode`.
    transform_n_nonzero_coefs : int, default=None
        Atoms per signal for ``transform_algorithm="omp"``.
    transform_alpha : float, default=None
        Penalty / threshold / OMP tolerance in ``transform``; ``None`` means
        ``alpha`` for the penalized algorithms.
    transform_max_iter : int, default=1000
        Iterations of the lasso / l0 solvers in ``transform``.
    callback : callable, default=None
        Called after every minibatch as ``callback(info)`` with a dict holding
        ``step``, ``epoch``, ``batch_cost``, ``ewa_cost`` and ``components``
        (the current atoms, in the compute namespace). Returning ``True`` stops
        the fit.
    verbose : int, default=0
        Print the smoothed objective after every epoch, under a progress bar
        over the epochs (``verbose=1``), or after every minibatch (``verbose>=2``).
    random_state : int, RandomState instance or None, default=None
        Initialization, shuffling and atom resampling.
    n_jobs : int, default=None
        Host threads coding each minibatch by blocks of signals on NumPy input
        (every signal is coded on its own, so the codes do not depend on it;
        only minibatches of at least ``2**16`` signals x atoms are split):
        ``None`` means the available CPUs (``joblib.cpu_count``, capped by
        ``OMP_NUM_THREADS``; 1 when called from a worker thread), ``-1`` all
        CPUs. BLAS runs on one thread during a threaded fit.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute; ``None`` follows the input.

    Attributes
    ----------
    components_ : array of shape (n_components, n_features)
        The atoms (rows), each of norm at most 1.
    n_components_ : int
    n_iter_ : int
        Epochs started.
    n_steps_ : int
        Minibatches processed (also counts ``partial_fit`` calls).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only for inputs with string feature names.

    References
    ----------
    J. Mairal, F. Bach, J. Ponce, G. Sapiro. "Online Learning for Matrix
    Factorization and Sparse Coding", JMLR 11, 2010.

    Examples
    --------
    >>> from sksubspace.datasets import make_sparse_coded_signals
    >>> from sksubspace.decomposition import OnlineDictionaryLearning
    >>> X, D, C = make_sparse_coded_signals(500, 12, 8, n_nonzero_coefs=2, random_state=0)
    >>> odl = OnlineDictionaryLearning(12, alpha=0.1, batch_size=100, random_state=0)
    >>> code = odl.fit_transform(X)
    >>> code.shape
    (500, 12)
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "fit_algorithm": [StrOptions({"lasso", "omp", "l0"})],
        "fit_n_nonzero_coefs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "fit_max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "max_no_improvement": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "shuffle": ["boolean"],
        "dict_init": ["array-like", None],
        "positive_dict": ["boolean"],
        **_CODER_CONSTRAINTS,
        "callback": [callable, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"n_components": 3, "max_iter": 5, "batch_size": 20, "random_state": 0}

    def __init__(
        self,
        n_components=None,
        *,
        alpha=1.0,
        max_iter=10,
        batch_size=256,
        fit_algorithm="lasso",
        fit_n_nonzero_coefs=None,
        fit_max_iter=100,
        tol=1e-3,
        max_no_improvement=10,
        shuffle=True,
        dict_init=None,
        positive_code=False,
        positive_dict=False,
        transform_algorithm="omp",
        transform_n_nonzero_coefs=None,
        transform_alpha=None,
        transform_max_iter=1000,
        callback=None,
        verbose=0,
        random_state=None,
        n_jobs=None,
        device=None,
    ):
        self.n_components = n_components
        self.alpha = alpha
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.fit_algorithm = fit_algorithm
        self.fit_n_nonzero_coefs = fit_n_nonzero_coefs
        self.fit_max_iter = fit_max_iter
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.shuffle = shuffle
        self.dict_init = dict_init
        self.positive_code = positive_code
        self.positive_dict = positive_dict
        self.transform_algorithm = transform_algorithm
        self.transform_n_nonzero_coefs = transform_n_nonzero_coefs
        self.transform_alpha = transform_alpha
        self.transform_max_iter = transform_max_iter
        self.callback = callback
        self.verbose = verbose
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device

    # -- state ------------------------------------------------------------

    def _check_params(self):
        if self.positive_code and self.fit_algorithm == "omp":
            raise ValueError("positive_code=True is not supported with fit_algorithm='omp'.")

    def _init_state(self, Xc, rng):
        k = _check_dictionary_size(self.n_components, Xc.shape[1])
        xp = get_namespace(Xc)
        D = _init_dictionary(Xc, k, rng, self.dict_init)
        if self.positive_dict:
            D = _normalize_rows(xp.clip(D, 0, None), xp)
        self._D = D
        self._A = xp.zeros((k, k), dtype=Xc.dtype, **device_kw(Xc))
        self._B = xp.zeros((k, Xc.shape[1]), dtype=Xc.dtype, **device_kw(Xc))
        self._ewa_cost = None
        self._ewa_cost_min = None
        self._no_improvement = 0
        self._n_seen = 0
        self.n_steps_ = 0

    def _step(self, Xb, rng, threads=None):
        """Code one minibatch, update the statistics and the atoms; returns the batch cost.

        ``threads`` (from :func:`_coding_threads`) codes the minibatch by row blocks.
        """
        xp = get_namespace(Xb)
        D = self._D
        bs = Xb.shape[0]
        G = D @ xp.matrix_transpose(D)

        def code(X):
            """Codes of the signals ``X``, their sums ``C'C`` and ``C'X``, and their cost."""
            C = _encode(
                X,
                D,
                algorithm=self.fit_algorithm,
                n_nonzero_coefs=self.fit_n_nonzero_coefs,
                alpha=self.alpha if self.fit_algorithm != "omp" else None,
                max_iter=self.fit_max_iter,
                tol=1e-4,
                positive=self.positive_code,
                gram=G,
            )
            Ct = xp.matrix_transpose(C)
            cost = _batch_cost(X, C, D, self.alpha, self.fit_algorithm, xp)
            return C, Ct @ C, Ct @ X, cost

        if threads is None:
            C, CtC, CtX, cost = code(Xb)
        else:  # NumPy: the blocks' parts summed
            parts = threads(code, Xb)
            C = np.concatenate([part[0] for part in parts])
            CtC, CtX, cost = (sum(part[i] for part in parts) for i in (1, 2, 3))
        cost = cost / bs  # the mean over the minibatch
        # Every signal adds c'c / batch_size: a short batch (the end of an epoch, or
        # a small partial_fit call) weighs by its size, not as much as a full one.
        beta = _forgetting_factor(self._n_seen, bs)
        self._n_seen += bs
        self._A = beta * self._A + CtC / self.batch_size
        self._B = beta * self._B + CtX / self.batch_size
        diag = np.asarray(to_numpy(xp.linalg.diagonal(self._A)))
        dead = diag <= 1e-6
        replacements = None
        if dead.any():
            picks = rng.choice(bs, size=int(dead.sum()), replace=True)
            host = np.asarray(to_numpy(Xb))[picks]
            host = host + 0.01 * (host.std() or 1.0) * rng.standard_normal(host.shape)
            replacements = from_numpy(host, like=Xb)
            if self.verbose >= 2:
                print(f"{int(dead.sum())} unused atoms resampled.")
        self._D = _update_dictionary(
            D, self._A, self._B, dead=dead, replacements=replacements, positive=self.positive_dict
        )
        self.n_steps_ += 1
        if self.n_steps_ % 10 == 0:
            self._clear_dictionary(Xb, C, D)
        return cost, D

    def _clear_dictionary(self, Xb, C, D_old):
        """Restart near-duplicate atoms on the worst coded signals of the batch.

        Their sufficient statistics are reset, so the restarted atoms are
        learned from the following batches only.
        """
        xp = get_namespace(Xb)
        bad = _atoms_to_replace(self._D, np.ones(self._D.shape[0]))
        if not bad:
            return
        R = Xb - C @ D_old
        worst = np.argsort(-np.asarray(to_numpy(xp.sum(R * R, axis=1))))[: len(bad)]
        self._D = _replace_atoms(self._D, bad, np.asarray(to_numpy(Xb))[worst])
        for j in bad[: worst.size]:
            self._A[j, :] = 0.0
            self._A[:, j] = 0.0
            self._B[j, :] = 0.0
        if self.verbose >= 2:
            print(f"{len(bad)} near-duplicate atoms restarted.")

    def _update_ewa(self, cost, n_samples, bs):
        """Exponentially weighted average of the batch costs (weight ``bs / n``), every step."""
        w = min(bs / (n_samples + 1), 1.0)
        self._ewa_cost = cost if self._ewa_cost is None else (1 - w) * self._ewa_cost + w * cost

    def _converged(self, D_old):
        """scikit-learn's early stopping: small atom change or no smoothed improvement.

        Called only after the warm-up; the smoothed cost itself is updated from the
        first step on, so its minimum is not that of one noisy batch.
        """
        xp = get_namespace(self._D)
        change = to_float(xp.linalg.vector_norm(self._D - D_old)) / np.sqrt(self._D.shape[0])
        if self.tol > 0 and change <= self.tol:
            return "small dictionary change"
        if self._ewa_cost_min is None or self._ewa_cost < self._ewa_cost_min:
            self._ewa_cost_min, self._no_improvement = self._ewa_cost, 0
        else:
            self._no_improvement += 1
        if self.max_no_improvement is not None and self._no_improvement >= self.max_no_improvement:
            return "no improvement of the smoothed objective"
        return None

    def _publish(self, ctx):
        self.components_ = ctx.output(self._D)
        self.n_components_ = self._D.shape[0]
        self._n_features_out = self.n_components_

    # -- fit ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    @uses_n_jobs
    def fit(self, X, y=None):
        """Learn the dictionary from ``X``.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : OnlineDictionaryLearning
        """
        self._check_params()
        X = validate_data(self, X)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        xp = ctx.xp
        rng = check_random_state(self.random_state)
        self._init_state(Xc, rng)
        n = Xc.shape[0]
        bs = min(self.batch_size, n)
        n_batches = int(np.ceil(n / bs))
        stop, t0 = None, time.perf_counter()
        epoch = 0
        with _coding_threads(bs, self._D.shape[0], xp) as threads:
            epochs = progress_bar(
                range(1, self.max_iter + 1),
                desc="[OnlineDictionaryLearning]",
                unit="epochs",
                verbose=self.verbose,
            )
            for epoch in epochs:
                order = rng.permutation(n) if self.shuffle else np.arange(n)
                order_x = as_index(order, Xc)
                for b in range(n_batches):
                    Xb = xp.take(Xc, order_x[b * bs : min((b + 1) * bs, n)], axis=0)
                    cost, D_old = self._step(Xb, rng, threads)
                    cost = to_float(cost)
                    self._update_ewa(cost, n, bs)
                    # No stopping during the first epoch (at most 100 steps): the atoms
                    # and the smoothed cost are still far from their limits.
                    if self.n_steps_ > min(100, n / bs):
                        stop = self._converged(D_old)
                    if self.verbose >= 2:
                        print(f"step {self.n_steps_}: batch cost {cost:.6g}, ewa {self._ewa_cost}")
                    if self.callback is not None:
                        info = dict(
                            step=self.n_steps_,
                            epoch=epoch,
                            batch_cost=cost,
                            ewa_cost=self._ewa_cost,
                            components=self._D,
                        )
                        if self.callback(info):
                            stop = "callback"
                    if stop:
                        break
                if self.verbose:
                    epochs.write(
                        f"[OnlineDictionaryLearning] epoch {epoch}, {self.n_steps_} steps, "
                        f"smoothed cost {self._ewa_cost}, {time.perf_counter() - t0:.2f} s"
                    )
                if stop:
                    break
        if self.verbose and stop:
            print(f"[OnlineDictionaryLearning] stopped: {stop}.")
        if stop is None and self.max_no_improvement is not None and self.tol > 0:
            warnings.warn(
                f"OnlineDictionaryLearning did not meet its stopping criteria in "
                f"max_iter={self.max_iter} epochs; increase max_iter.",
                ConvergenceWarning,
            )
        self.n_iter_ = epoch
        self._publish(ctx)
        return self

    @uses_n_jobs
    def partial_fit(self, X, y=None):
        """Update the dictionary with one minibatch ``X``.

        The first call initializes the atoms from ``X`` (or ``dict_init``).

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : OnlineDictionaryLearning
        """
        first = not hasattr(self, "_D")
        if first:
            self._validate_params()
            self._check_params()
        X = validate_data(self, X, reset=first)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        rng = getattr(self, "_rng", None) or check_random_state(self.random_state)
        self._rng = rng
        if first:
            self._init_state(Xc, rng)
            self.n_iter_ = 0
        else:
            self._D = ctx.asarray(self._D)
            self._A, self._B = ctx.asarray(self._A), ctx.asarray(self._B)
        with _coding_threads(Xc.shape[0], self._D.shape[0], ctx.xp) as threads:
            self._step(Xc, rng, threads)
        self._publish(ctx)
        return self

    def _transform_codes(self, X, D, ctx):
        alpha = self.transform_alpha
        if alpha is None and self.transform_algorithm in ("lasso", "l0"):
            alpha = self.alpha
        return _encode(
            X,
            D,
            algorithm=self.transform_algorithm,
            n_nonzero_coefs=self.transform_n_nonzero_coefs,
            alpha=alpha,
            max_iter=self.transform_max_iter,
            positive=self.positive_code,
        )
