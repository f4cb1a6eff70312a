"""Subspace clustering of several representations of the same samples, fused graphs."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted

from .._backend import compute_context, device_kw, from_numpy
from .._sklearn_compat import Interval, StrOptions, _fit_context
from .._validation import ArrayAPISupportMixin, validate_data
from ._base import (
    BaseSubspaceClustering,
    _check_n_clusters,
    _fit_subspaces,
    refine_labels,
    view_residuals,
)
from ._ensc import ElasticNetSubspaceClustering
from ._spectral import normalized_affinity, spectral_clustering

#: name of the view that is ``X`` itself
INPUT_VIEW = "input"


def _named_transformers(transformers):
    """``[(name, transformer), ...]`` from transformers or (name, transformer) pairs."""
    named, counts = [], {}
    for i, entry in enumerate(transformers):
        name, t = entry if isinstance(entry, tuple) and len(entry) == 2 else (None, entry)
        if not (hasattr(t, "fit") and hasattr(t, "transform")):
            raise TypeError(
                "Each entry of transformers must be a transformer (with fit and transform) "
                f"or a (name, transformer) pair; entry {i} is {entry!r}."
            )
        if name is None:
            name = type(t).__name__.lower()
            counts[name] = counts.get(name, 0) + 1
            if counts[name] > 1:
                name = f"{name}-{counts[name]}"
        named.append((str(name), t))
    names = [n for n, _ in named]
    if len(set(names)) != len(names) or INPUT_VIEW in names:
        raise ValueError(
            f"The names of the transformers must be unique and differ from {INPUT_VIEW!r}; "
            f"got {names}."
        )
    return named


def fuse_normalized_affinities(affinities, weights, xp):
    """``sum_v w_v D_v^-1/2 W_v D_v^-1/2``: sparse when every ``W_v`` is.

    With weights summing to one, ``I`` minus the result is the weighted mean of
    the views' normalized Laplacians. Dense affinities are in namespace ``xp``;
    sparse ones are SciPy matrices, made dense in ``xp`` when a view is dense.
    """
    normalized = [normalized_affinity(W)[0] for W in affinities]
    dense = [M for M in normalized if not sp.issparse(M)]
    total = None
    for M, w in zip(normalized, weights, strict=True):
        if dense and sp.issparse(M):
            M = from_numpy(M.toarray(), like=dense[0])
        term = M * float(w)
        total = term if total is None else total + term
    return sp.csr_matrix(total) if sp.issparse(total) else total


class MultiRepresentationSubspaceClustering(ArrayAPISupportMixin, ClusterMixin, BaseEstimator):
    """Subspace clustering of several representations of the samples, one fused graph.

    A base subspace clustering ``estimator`` builds its self-expressive
    affinity ``W_v`` on each representation (view) ``v`` of the same samples:
    ``X`` itself (``include_input=True``) and the output of each transformer,
    fitted on ``X`` (PCA, kernel maps such as
    :class:`~sklearn.kernel_approximation.Nystroem`, a network's layers wrapped
    in a :class:`~sklearn.preprocessing.FunctionTransformer`, ...). The views'
    normalized Laplacians are averaged, multi-view style,

    .. math::

        L = \\sum_v w_v \\left(I - D_v^{-1/2} W_v D_v^{-1/2}\\right),
        \\qquad \\sum_v w_v = 1,

    (sparse when the views' affinities are), and one spectral step (the
    eigenvectors of the smallest eigenvalues of ``L``, rows normalized,
    k-means) gives the labels. A pair of points needs to be strongly
    connected in only some of the views to end up together, and a view's
    wrong edges are diluted by the others.

    Each cluster gets a PCA subspace in every view (``subspaces_``); with
    ``refine_iter`` the labels are refined by K-subspaces rounds with the
    residual rule of ``predict`` below. A new point ``x`` is assigned by its residuals to the
    clusters' subspaces summed over the views, each view's squared residual
    divided by the squared norm of the point in that view (views of any scale
    weigh alike):

    .. math::

        \\hat k(x) = \\arg\\min_k \\sum_v w_v
        \\frac{\\|\\phi_v(x) - o_{vk} - U_{vk} U_{vk}^\\top (\\phi_v(x) - o_{vk})\\|^2}
        {\\|\\phi_v(x)\\|^2}.

    With one view (and the same ``refine_iter``) this is the base estimator
    exactly: same labels, same ``predict``.

    Parameters
    ----------
    estimator : BaseSubspaceClustering instance or None, default=None
        The subspace clustering estimator run on each view (a clone per view;
        only its representation and affinity are used). Its ``n_clusters``
        and ``device`` are replaced by this estimator's. ``None`` uses
        ``ElasticNetSubspaceClustering()``. The base estimator's own outlier
        handling (:class:`SparseSubspaceClustering` with ``outliers=True``) is
        not used: every point is labelled.
    transformers : list of transformers or (name, transformer) pairs, default=None
        The representations besides ``X``: each is cloned and fitted on ``X``
        as given (in the input's namespace), its output moved to the compute
        device. Most scikit-learn transformers take NumPy only: with them,
        pass NumPy input and ``device="gpu"`` to cluster on a GPU. Views keep
        the order ``X`` (when ``include_input``), then ``transformers``;
        ``None`` means none.
    include_input : bool, default=True
        Whether ``X`` itself is a view (named ``"input"``).
    weights : array-like of shape (n_views,) or None, default=None
        Non-negative weight of each view (normalized to sum to one); equal when
        None.
    n_clusters : int or "auto", default=8
        Number of clusters; ``"auto"`` picks it from the largest gap of the
        eigenvalues of the fused Laplacian (among the first 21).
    n_init : int, default=10
        k-means restarts of the spectral step.
    refine_iter : int, default=0
        Rounds of K-subspaces refinement of the spectral labels (as the base
        estimators' ``refine_iter``), each point moved to the cluster of
        smallest summed normalized residual (the rule of ``predict``). The
        base estimator's own ``refine_iter`` is not used. Refinement needs
        every view to be a union of low-dimensional subspaces: in a view of
        few features (e.g. a PCA with 20 components) the clusters' subspaces
        fill the space and the residuals stop telling the clusters apart, so
        the default keeps the spectral labels.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start and k-means.
    device : {None, "cpu", "gpu"}, default=None
        Where to compute (None follows the input); passed on to the base
        estimator.

    Attributes
    ----------
    labels_ : array of shape (n_samples,)
        Cluster of each training point.
    n_clusters_ : int
        Number of clusters found (``n_clusters`` unless ``"auto"``).
    affinity_matrix_ : scipy.sparse.csr_matrix or array of shape (n_samples, n_samples)
        The fused normalized affinity ``sum_v w_v D_v^-1/2 W_v D_v^-1/2``
        (``I`` minus the fused Laplacian); sparse when every view's affinity
        is. A dense one is kept only if the base estimator's
        ``store_matrices`` allows it.
    transformers_ : list of (str, transformer)
        The fitted transformers, with their names.
    view_names_ : list of str
        Name of each view, in order (``"input"`` for ``X``).
    weights_ : ndarray of shape (n_views,)
        The views' weights, summing to one.
    subspaces_ : list of lists of arrays
        ``subspaces_[v][k]`` is the orthonormal PCA basis (n_features_v, d) of
        cluster ``k`` in view ``v``.
    subspace_offsets_ : list of arrays
        ``subspace_offsets_[v]`` holds the clusters' offsets in view ``v``
        (zero for linear subspaces).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string feature names only).

    See Also
    --------
    ElasticNetSubspaceClustering, OMPSubspaceClustering : base estimators.

    References
    ----------
    L. Sindičić and I. Kopriva, "Multilayer graph approach to deep subspace
    clustering", arXiv:2401.17033, 2024 (subspace clustering of the input and
    of each layer of a network, fused multilayer graph, out-of-sample
    assignment).

    X. Dong, P. Frossard, P. Vandergheynst and N. Nefedov, "Clustering with
    multi-layer graphs: a spectral perspective", IEEE Transactions on Signal
    Processing, 60(11), 2012 (the mean of normalized Laplacians).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sksubspace.cluster import (
    ...     MultiRepresentationSubspaceClustering, OMPSubspaceClustering)
    >>> from sksubspace.datasets import make_subspaces
    >>> from sksubspace.metrics import clustering_accuracy
    >>> X, y, _ = make_subspaces(3, 3, 20, 60, noise=0.01, random_state=0)
    >>> model = MultiRepresentationSubspaceClustering(
    ...     OMPSubspaceClustering(n_nonzero=5), transformers=[PCA(12)],
    ...     n_clusters=3, random_state=0).fit(X)
    >>> model.view_names_
    ['input', 'pca']
    >>> clustering_accuracy(y, model.labels_)
    1.0
    >>> clustering_accuracy(y, model.predict(X))
    1.0
    """

    _parameter_constraints = {
        "estimator": [BaseSubspaceClustering, None],
        "transformers": [list, tuple, None],
        "include_input": ["boolean"],
        "weights": ["array-like", None],
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_init": [Interval(numbers.Integral, 1, None, closed="left")],
        "refine_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "gpu"}), None],
    }

    # a second view so that the common checks run the fusion; the identity map
    # works in every namespace (NumPy, CuPy, array-api-strict), unlike most
    # scikit-learn transformers
    _test_init_params = {"n_clusters": 3, "transformers": [FunctionTransformer()]}

    def __init__(
        self,
        estimator=None,
        *,
        transformers=None,
        include_input=True,
        weights=None,
        n_clusters=8,
        n_init=10,
        refine_iter=0,
        random_state=None,
        device=None,
    ):
        self.estimator = estimator
        self.transformers = transformers
        self.include_input = include_input
        self.weights = weights
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.refine_iter = refine_iter
        self.random_state = random_state
        self.device = device

    def _base_estimator(self):
        base = ElasticNetSubspaceClustering() if self.estimator is None else self.estimator
        return clone(base).set_params(n_clusters=self.n_clusters, device=self.device)

    def _view_weights(self, n_views):
        if n_views == 0:
            raise ValueError(
                "There is no view to cluster: pass transformers or set include_input=True."
            )
        if self.weights is None:
            return np.full(n_views, 1.0 / n_views)
        w = np.asarray(self.weights, dtype=np.float64).ravel()
        if w.shape[0] != n_views:
            raise ValueError(
                f"weights has {w.shape[0]} entries but there are {n_views} views "
                "(X itself when include_input=True, then one per transformer)."
            )
        if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(
                f"weights must be finite, non-negative and not all zero; got {w.tolist()}."
            )
        return w / w.sum()

    def _views(self, X, ctx):
        """The representations of ``X`` (fitted transformers), in the compute namespace."""
        views = [X] if self.include_input else []
        views += [t.transform(X) for _, t in self.transformers_]
        Xc = ctx.asarray(X)
        out = []
        for V in views:
            V = ctx.asarray(V)
            if not sp.issparse(V) and V.dtype != Xc.dtype:
                V = ctx.xp.astype(V, Xc.dtype)
            out.append(V)
        return out

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Cluster ``X`` from its fused representations' graphs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The samples, one per row.
        y : Ignored

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X = validate_data(self, X, ensure_min_samples=2)
        _check_n_clusters(self.n_clusters, X.shape[0])
        base = self._base_estimator()
        base._validate_params()  # its fit, which would, is not called
        named = _named_transformers(self.transformers or [])
        names = [INPUT_VIEW] * bool(self.include_input) + [name for name, _ in named]
        weights = self._view_weights(len(names))
        ctx = compute_context(self.device, X)
        xp = ctx.xp
        self.transformers_ = [(name, clone(t).fit(X)) for name, t in named]
        views = self._views(X, ctx)
        self.view_names_ = names
        affinities = []
        for V in views:
            _, _, _, W = clone(base)._representation_graph(V)
            affinities.append(W)
        M = fuse_normalized_affinities(affinities, weights, xp)
        n_samples = X.shape[0]
        labels, n_clusters, _ = spectral_clustering(
            M,
            self.n_clusters,
            n_init=self.n_init,
            random_state=self.random_state,
            max_clusters=min(20, n_samples - 1),
            normalized=True,
        )
        labels = np.asarray(labels, dtype=np.int64)
        affine = base._affine_subspaces
        if self.refine_iter:
            labels, _ = refine_labels(
                views,
                labels,
                n_clusters,
                xp,
                max_iter=self.refine_iter,
                affine=affine,
                weights=weights,
            )
        models = [_fit_subspaces(V, labels, n_clusters, xp, affine=affine) for V in views]
        self.weights_ = weights
        self.n_clusters_ = int(n_clusters)
        self.labels_ = ctx.output(xp.asarray(labels, **device_kw(views[0])))
        self.subspaces_ = [[ctx.output(U) for U in bases] for bases, _ in models]
        self.subspace_offsets_ = [ctx.output(offsets) for _, offsets in models]
        if sp.issparse(M) or getattr(base, "store_matrices", True):
            self.affinity_matrix_ = M if sp.issparse(M) else ctx.output(M)
        return self

    def predict(self, X):
        """Assign each point by its normalized residuals summed over the views.

        The label of ``x`` is ``argmin_k sum_v w_v r_vk(x) / |phi_v(x)|^2``
        where ``phi_v(x)`` is the point in view ``v`` (``x`` itself or the
        fitted transformer's output), ``r_vk`` its squared distance to the
        ``k``-th cluster's subspace in that view (``subspaces_[v][k]``,
        offsets ``subspace_offsets_[v]``) and ``w_v`` the view's weight.
        An inductive rule: on the training points it may differ from
        ``labels_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : array of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        ctx = compute_context(self.device, X)
        views = self._views(X, ctx)
        models = [
            ([ctx.asarray(U) for U in bases], ctx.asarray(offsets))
            for bases, offsets in zip(self.subspaces_, self.subspace_offsets_, strict=True)
        ]
        res = view_residuals(views, models, self.weights_)
        return ctx.output(ctx.xp.argmin(res, axis=1))
