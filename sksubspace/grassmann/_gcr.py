"""Grassmann Class Representation: class subspaces trained by Riemannian SGD."""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._backend import (
    as_index,
    compute_context,
    device_kw,
    from_numpy,
    get_namespace,
    to_float,
    to_numpy,
)
from .._linalg import normalize_rows, orthonormalize
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import validate_data
from ._base import (
    _binary_or_full,
    _class_subspaces,
    _encode_labels,
    _fit_scale,
    _predict_from_scores,
    _projection_norms,
    _require_y,
    _softmax,
    _SubspaceClassifierMixin,
    resolve_tabular_components,
)
from ._geometry import project_tangent, retract


def _features(X, W, normalize):
    """Features entering the subspace head: ``X W`` (or ``X``), optionally unit-normalised."""
    Z = X if W is None else X @ W
    if not normalize:
        return Z, None
    return normalize_rows(Z, return_norms=True)


def _loss_and_grads(S, log_scale, W, X, onehot, normalize, want_scale, want_map):
    """Cross-entropy of ``softmax(s ||S_c' u||)`` and its Euclidean gradients.

    Returns ``(loss, G_S, g_log_scale, G_W)`` with ``G_S`` of shape
    (n_classes, p, k); the scale and map gradients are None when not wanted.
    """
    xp = get_namespace(X)
    n = X.shape[0]
    U, nz = _features(X, W, normalize)
    A = U @ S  # (C, n, k)
    r = xp.linalg.vector_norm(A, axis=-1)  # (C, n)
    s = xp.exp(log_scale)
    logits = s * xp.matrix_transpose(r)  # (n, C)
    zmax = xp.max(logits, axis=1, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(logits - zmax), axis=1)) + zmax[:, 0]
    loss = xp.mean(lse - xp.sum(logits * onehot, axis=1))
    D = (_softmax(logits) - onehot) / n  # dL/dlogits
    r_safe = xp.where(r > 0, r, xp.ones_like(r))
    B = (s * xp.matrix_transpose(D) / r_safe)[..., None] * A  # dL/dA, (C, n, k)
    G_S = xp.matrix_transpose(U) @ B
    g_log = s * xp.sum(D * xp.matrix_transpose(r)) if want_scale else None
    G_W = None
    if want_map:
        gU = xp.sum(B @ xp.matrix_transpose(S), axis=0)  # (n, p)
        if normalize:
            gU = (gU - U * xp.sum(gU * U, axis=1, keepdims=True)) / nz
        G_W = xp.matrix_transpose(X) @ gU
    return loss, G_S, g_log, G_W


class GrassmannClassRepresentation(_SubspaceClassifierMixin, BaseEstimator):
    """Grassmann Class Representation (GCR): a softmax classifier with subspace classes.

    Each class ``c`` is a ``k``-dimensional subspace with orthonormal basis
    ``S_c`` (a point of the Grassmannian ``Gr(p, k)``). The logit of a sample is
    the norm of its projection on the class subspace, times a temperature::

        logit_c(x) = s ||S_c' u(x)||,   u(x) = z / ||z||,   z = W' x  (or x),

    and the model minimises the softmax cross-entropy
    ``-(1/n) sum_i log softmax(logit(x_i))_{y_i}`` over the subspaces (and the
    temperature ``s`` and linear feature map ``W`` when they are learnt).

    The subspaces are trained by Riemannian SGD with momentum: the Euclidean
    gradient ``G`` is projected on the tangent space (``G - S S' G``), the
    momentum buffer is updated, the step is retracted onto the manifold by QR or
    polar decomposition, and the momentum is transported to the new point by
    projection. Bases stay orthonormal to machine precision after every step.
    The subspaces start from the subspace method (CLAFIC), the temperature from
    its maximum-likelihood calibration. Logits are invariant to a change of
    basis ``S_c -> S_c Q`` (only the subspaces matter).

    Parameters
    ----------
    n_components : int, default=None
        Dimension ``k`` of every class subspace (at most the feature
        dimension); ``None`` means ``min(10, n_features - 1)`` (at least 1).
    scale : "auto" or float, default="auto"
        Temperature ``s``: "auto" learns it, starting from the maximum-likelihood
        calibration of the CLAFIC initialisation (clipped to [1, 100]) and
        changing it by at most 5% per step; a float fixes it (16 to 64 suits
        normalised features).
    normalize : bool, default=True
        Normalise features to unit norm before the head (logits are then
        ``s`` times the cosine of the angle to each class subspace).
    feature_map : bool, default=False
        Learn a linear map ``W`` (``n_features x n_features``, started at the
        identity) before the subspace head, trained jointly by SGD with momentum.
    retraction : {"qr", "polar"}, default="qr"
        Retraction onto the Stiefel manifold after each step.
    learning_rate : float, default=0.05
        Step size of the (Riemannian) SGD.
    momentum : float, default=0.9
        Momentum coefficient (0 for plain SGD).
    batch_size : int, default=128
        Minibatch size (capped at ``n_samples``).
    max_iter : int, default=50
        Maximum number of epochs of :meth:`fit`.
    tol : float, default=1e-4
        Training stops once the epoch loss has not decreased by more than
        ``tol`` for ``n_iter_no_change`` consecutive epochs.
    n_iter_no_change : int, default=5
    random_state : int, RandomState instance or None, default=None
        Shuffling of the minibatches (and random completion of classes whose
        rank is below ``n_components``).
    verbose : int, default=0
        Print the loss after every epoch.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute: ``None`` follows the input, ``"gpu"`` uses CuPy and
        hands results back in the input's namespace.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_components_ : int
        The subspace dimension used.
    subspaces_ : array of shape (n_classes, n_features, n_components_)
        Orthonormal bases of the class subspaces (in feature-map space).
    scale_ : float
        The temperature ``s``.
    feature_map_ : array of shape (n_features, n_features) or None
        The learnt map ``W`` (features are ``(X / input_scale_) @ W``).
    input_scale_ : float
        Root-mean-square norm of the training samples, divided out before the
        feature map (keeps the step size independent of the units of ``X``).
    loss_curve_ : list of float
        Mean training loss of every epoch.
    n_iter_ : int
        Number of epochs run (by :meth:`fit`, or cumulated by :meth:`partial_fit`).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string feature names.

    See Also
    --------
    SubspaceClassifier : the generative subspace method used as initialisation.

    References
    ----------
    H. Wang, Z. Li and W. Zhang, "Get the Best of Both Worlds: Improving Accuracy
    and Transferability by Grassmann Class Representation", ICCV 2023.
    P.-A. Absil, R. Mahony and R. Sepulchre, "Optimization Algorithms on Matrix
    Manifolds", Princeton University Press, 2008.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sksubspace.grassmann import GrassmannClassRepresentation
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = GrassmannClassRepresentation(n_components=8, random_state=0)
    >>> clf = clf.fit(X[::2], y[::2])
    >>> clf.score(X[1::2], y[1::2]) > 0.97
    True
    >>> S = clf.subspaces_[0]
    >>> bool(np.allclose(S.T @ S, np.eye(8), atol=1e-10))
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "scale": [StrOptions({"auto"}), Interval(numbers.Real, 0, None, closed="neither")],
        "normalize": ["boolean"],
        "feature_map": ["boolean"],
        "retraction": [StrOptions({"qr", "polar"})],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }
    _test_init_params = {"max_iter": 5, "random_state": 0}  # speed only

    def __init__(
        self,
        n_components=None,
        *,
        scale="auto",
        normalize=True,
        feature_map=False,
        retraction="qr",
        learning_rate=0.05,
        momentum=0.9,
        batch_size=128,
        max_iter=50,
        tol=1e-4,
        n_iter_no_change=5,
        random_state=None,
        verbose=0,
        device=None,
    ):
        self.n_components = n_components
        self.scale = scale
        self.normalize = normalize
        self.feature_map = feature_map
        self.retraction = retraction
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    # ------------------------------------------------------------------ fit

    def _validate_xy(self, X, y, reset):
        _require_y(self, y)
        X, y = validate_data(self, X, y, reset=reset)
        if reset:
            self.n_components_ = resolve_tabular_components(self.n_components, X.shape[1])
        return X, y

    def _initialize(self, Xc, codes, n_classes, rng):
        """CLAFIC subspaces, calibrated temperature, identity map (compute namespace)."""
        xp = get_namespace(Xc)
        sq = to_float(xp.mean(xp.sum(Xc * Xc, axis=1)))
        self.input_scale_ = float(np.sqrt(sq)) if sq > 0 else 1.0
        Xs = Xc / self.input_scale_
        d = Xs.shape[1]
        W = xp.eye(d, dtype=Xs.dtype, **device_kw(Xs)) if self.feature_map else None
        U, _ = _features(Xs, W, self.normalize)
        S, evals = _class_subspaces(U, codes, n_classes, self.n_components_)
        # Classes of rank below k (or absent from a first partial_fit batch) are
        # completed with random directions, so that every basis is orthonormal.
        missing = xp.astype(evals <= 0, Xs.dtype)[:, None, :]
        noise = from_numpy(rng.standard_normal(tuple(S.shape)), like=Xs)
        S = orthonormalize(S + missing * noise)
        if self.scale == "auto":
            present = np.isin(np.arange(n_classes), codes)
            scale = _fit_scale(_projection_norms(S, U), codes) if present.all() else 16.0
            scale = float(np.clip(scale, 1.0, 30.0))
        else:
            scale = float(self.scale)
        self._S, self._W = S, W
        self._log_scale = xp.asarray(float(np.log(scale)), dtype=Xs.dtype, **device_kw(Xs))
        self._VS = xp.zeros_like(S)
        self._VW = None if W is None else xp.zeros_like(W)
        self.loss_curve_ = []
        self.n_iter_ = 0

    def _epoch(self, Xs, codes, n_classes, rng):
        """One pass of minibatch Riemannian SGD with momentum; returns the mean loss."""
        xp = get_namespace(Xs)
        n = Xs.shape[0]
        codes_x = as_index(codes, Xs)
        onehot_all = xp.astype(
            codes_x[:, None] == xp.arange(n_classes, **device_kw(Xs))[None, :], Xs.dtype
        )
        bs = min(self.batch_size, n)
        perm = rng.permutation(n)
        lr, mom = float(self.learning_rate), float(self.momentum)
        learn_scale = self.scale == "auto"
        total = 0.0 * self._log_scale
        n_batches = 0
        for start in range(0, n, bs):
            idx = as_index(perm[start : start + bs], Xs)
            Xb, Yb = xp.take(Xs, idx, axis=0), xp.take(onehot_all, idx, axis=0)
            loss, G_S, g_log, G_W = _loss_and_grads(
                self._S, self._log_scale, self._W, Xb, Yb, self.normalize, learn_scale,
                self._W is not None,
            )  # fmt: skip
            # Riemannian gradient, momentum (already at the current point), retraction,
            # then transport of the momentum to the new point by projection.
            self._VS = mom * self._VS + project_tangent(self._S, G_S)
            self._S = retract(self._S, -lr * self._VS, method=self.retraction)
            self._VS = project_tangent(self._S, self._VS)
            if learn_scale:
                # Trust region on the temperature: at most a 5% change per step (its
                # gradient grows with the temperature itself).
                step = xp.clip(lr * g_log, -0.05, 0.05)
                self._log_scale = self._log_scale - step
            if G_W is not None:
                self._VW = mom * self._VW + G_W
                self._W = self._W - lr * self._VW
            total = total + loss
            n_batches += 1
        return to_float(total) / n_batches

    def _publish(self, ctx):
        self.subspaces_ = ctx.output(self._S)
        self.feature_map_ = None if self._W is None else ctx.output(self._W)
        self.scale_ = float(np.exp(to_float(self._log_scale)))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the class subspaces by Riemannian SGD, starting from CLAFIC.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : GrassmannClassRepresentation
        """
        X, y = self._validate_xy(X, y, reset=True)
        self.classes_, codes = _encode_labels(y)
        n_classes = self.classes_.shape[0]
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        rng = self._rng = check_random_state(self.random_state)
        self._initialize(Xc, codes, n_classes, rng)
        Xs = Xc / self.input_scale_
        best, stall, t0 = np.inf, 0, time.perf_counter()
        for epoch in range(self.max_iter):
            loss = self._epoch(Xs, codes, n_classes, rng)
            self.loss_curve_.append(loss)
            self.n_iter_ = epoch + 1
            if self.verbose:
                print(
                    f"[GCR] epoch {epoch + 1}: loss {loss:.6f} ({time.perf_counter() - t0:.2f} s)"
                )
            stall = stall + 1 if loss > best - self.tol else 0
            best = min(best, loss)
            if stall >= self.n_iter_no_change:
                break
        else:
            warnings.warn(
                f"GrassmannClassRepresentation did not converge in max_iter={self.max_iter} "
                "epochs; increase max_iter or the learning rate.",
                ConvergenceWarning,
            )
        self._publish(ctx)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """One epoch of Riemannian SGD over the minibatches of ``(X, y)``.

        The first call initialises the model (CLAFIC on this batch for the
        classes it holds, random subspaces for the others) and needs
        ``classes``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All the classes; required on the first call, ignored afterwards.

        Returns
        -------
        self : GrassmannClassRepresentation
        """
        first = not hasattr(self, "_S")
        X, y = self._validate_xy(X, y, reset=first)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self.classes_ = np.unique(np.asarray(classes))
        y = np.asarray(to_numpy(y))
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y holds labels {unknown.tolist()} that are not in classes={self.classes_.tolist()}."
            )
        codes = np.searchsorted(self.classes_, y)
        ctx = compute_context(self.device, X)
        Xc = ctx.asarray(X)
        if first:
            self._rng = check_random_state(self.random_state)
            self._initialize(Xc, codes, self.classes_.shape[0], self._rng)
        else:
            self._move_state(ctx)
        loss = self._epoch(Xc / self.input_scale_, codes, self.classes_.shape[0], self._rng)
        self.loss_curve_.append(loss)
        self.n_iter_ += 1
        self._publish(ctx)
        return self

    def _move_state(self, ctx):
        """Bring the optimiser state to the compute namespace of this call."""
        self._S, self._VS = ctx.asarray(self._S), ctx.asarray(self._VS)
        self._log_scale = ctx.asarray(self._log_scale)
        if self._W is not None:
            self._W, self._VW = ctx.asarray(self._W), ctx.asarray(self._VW)

    # ------------------------------------------------------------ inference

    def _logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        Xs = ctx.asarray(X) / self.input_scale_
        W = None if self.feature_map_ is None else ctx.asarray(self.feature_map_)
        U, _ = _features(Xs, W, self.normalize)
        return ctx, self.scale_ * _projection_norms(ctx.asarray(self.subspaces_), U)

    def decision_function(self, X):
        """Logits ``s ||S_c' u(x)||``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        logits : array of shape (n_samples, n_classes), or (n_samples,) with
            two classes (second minus first).
        """
        ctx, logits = self._logits(X)
        return ctx.output(_binary_or_full(logits))

    def predict(self, X):
        """Class with the largest logit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        _, logits = self._logits(X)
        return _predict_from_scores(self.classes_, logits)

    def predict_proba(self, X):
        """Softmax of the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : array of shape (n_samples, n_classes)
        """
        ctx, logits = self._logits(X)
        return ctx.output(_softmax(logits))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        proba = self.predict_proba(X)
        return get_namespace(proba).log(proba)
