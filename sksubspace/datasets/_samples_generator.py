"""Planted low-dimensional structure: unions of subspaces, low rank + sparse, ...

All generators return NumPy arrays (move them with ``cupy.asarray`` for the
GPU) and follow scikit-learn's conventions: samples are rows, ``random_state``
makes them reproducible.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state


def _orth(rng, n, k):
    Q, R = np.linalg.qr(rng.standard_normal((n, k)))
    return Q * np.sign(np.diag(R))


def _check_positive(**kwargs):
    for name, value in kwargs.items():
        if value is None or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")


def _check_fraction(name, value, *, closed=True):
    if not (0 <= value <= 1 if closed else 0 <= value < 1):
        raise ValueError(f"{name} must lie in [0, 1]; got {value!r}.")


def make_subspaces(
    n_subspaces=5,
    subspace_dim=6,
    ambient_dim=9,
    n_samples_per_subspace=200,
    *,
    noise=0.0,
    outlier_fraction=0.0,
    affine=False,
    random_state=None,
):
    """Points drawn from a union of random linear (or affine) subspaces.

    Each subspace is the span of an orthonormal basis drawn from a Gaussian
    matrix. Points have Gaussian coefficients in that basis and are scaled to
    the unit sphere, then get isotropic Gaussian noise of standard deviation
    ``noise / sqrt(ambient_dim)`` (so ``noise`` is the expected noise norm).
    Outliers are uniform on the unit sphere of the ambient space, labelled -1.
    With ``affine=True`` each subspace is shifted by a random offset.

    Parameters
    ----------
    n_subspaces : int, default=5
    subspace_dim : int, default=6
        Dimension of every subspace (``subspace_dim < ambient_dim``; with
        ``n_subspaces * subspace_dim > ambient_dim`` the subspaces intersect).
    ambient_dim : int, default=9
    n_samples_per_subspace : int, default=200
    noise : float, default=0.0
    outlier_fraction : float in [0, 1), default=0.0
        Fraction of the returned points that are outliers.
    affine : bool, default=False
    random_state : int, RandomState instance or None

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
    y : ndarray of shape (n_samples,)
        Subspace index of each point, -1 for outliers.
    bases : ndarray of shape (n_subspaces, ambient_dim, subspace_dim)
        Orthonormal bases of the subspaces.

    Examples
    --------
    >>> from sksubspace.datasets import make_subspaces
    >>> X, y, bases = make_subspaces(3, 2, 10, 50, random_state=0)
    >>> X.shape, bases.shape
    ((150, 10), (3, 10, 2))
    """
    _check_positive(
        n_subspaces=n_subspaces,
        subspace_dim=subspace_dim,
        ambient_dim=ambient_dim,
        n_samples_per_subspace=n_samples_per_subspace,
    )
    if subspace_dim >= ambient_dim:
        raise ValueError(
            f"subspace_dim={subspace_dim} must be smaller than ambient_dim={ambient_dim}."
        )
    _check_fraction("outlier_fraction", outlier_fraction, closed=False)
    rng = check_random_state(random_state)
    bases = np.stack([_orth(rng, ambient_dim, subspace_dim) for _ in range(n_subspaces)])
    blocks, labels = [], []
    for k, U in enumerate(bases):
        C = rng.standard_normal((n_samples_per_subspace, subspace_dim))
        C /= np.linalg.norm(C, axis=1, keepdims=True)
        pts = C @ U.T
        if affine:
            pts = pts + rng.standard_normal(ambient_dim)
        blocks.append(pts)
        labels.append(np.full(n_samples_per_subspace, k))
    X = np.vstack(blocks)
    y = np.concatenate(labels)
    X += noise / np.sqrt(ambient_dim) * rng.standard_normal(X.shape)
    if outlier_fraction > 0:
        n_in = X.shape[0]
        n_out = int(round(outlier_fraction * n_in / (1 - outlier_fraction)))
        O = rng.standard_normal((n_out, ambient_dim))
        O /= np.linalg.norm(O, axis=1, keepdims=True)
        X = np.vstack([X, O])
        y = np.concatenate([y, np.full(n_out, -1)])
    perm = rng.permutation(X.shape[0])
    return X[perm], y[perm], bases


def make_multiview_subspaces(
    n_subspaces=4,
    subspace_dim=3,
    view_dims=(15, 15),
    n_samples_per_subspace=100,
    *,
    corrupted_fraction=0.3,
    noise=0.01,
    random_state=None,
):
    """Samples read by several sensors (views), each failing on other samples.

    In view ``v`` (``view_dims[v]`` features) the samples of cluster ``k`` lie
    on a random ``subspace_dim``-dimensional subspace (drawn as in
    :func:`make_subspaces`: unit-norm points, Gaussian noise of expected norm
    ``noise``), independently of the other views. A fraction
    ``corrupted_fraction`` of the samples has view ``v``'s reading replaced by
    a random unit vector; the corrupted samples of different views are
    disjoint, so every sample is clean in all views but at most one. Each view
    alone then mislabels its corrupted samples, and ``X`` (the views side by
    side) is hurt by every view's corruption: the planted problem of
    multi-view clustering (see
    :class:`~sksubspace.cluster.MultiRepresentationSubspaceClustering`).

    Parameters
    ----------
    n_subspaces : int, default=4
        Number of clusters.
    subspace_dim : int, default=3
        Dimension of each cluster's subspace in every view.
    view_dims : sequence of int, default=(15, 15)
        Number of features of each view (each larger than ``subspace_dim``).
    n_samples_per_subspace : int, default=100
        Samples per cluster.
    corrupted_fraction : float, default=0.3
        Fraction of the samples corrupted in each view;
        ``corrupted_fraction * len(view_dims)`` is at most 1.
    noise : float, default=0.01
        Expected norm of the Gaussian noise added to the clean readings.
    random_state : int, RandomState instance or None
        Seeds the draws.

    Returns
    -------
    X : ndarray of shape (n_samples, sum(view_dims))
        The views side by side (view ``v`` in the columns
        ``sum(view_dims[:v])`` to ``sum(view_dims[:v + 1])``).
    y : ndarray of shape (n_samples,)
        Cluster of each sample.
    corrupted : ndarray of shape (n_samples, n_views), dtype bool
        Whether a sample's reading in a view was replaced by noise.

    Examples
    --------
    >>> from sksubspace.datasets import make_multiview_subspaces
    >>> X, y, corrupted = make_multiview_subspaces(3, 2, (10, 8), 20, random_state=0)
    >>> X.shape, corrupted.sum(axis=0).tolist(), int(corrupted.sum(axis=1).max())
    ((60, 18), [18, 18], 1)
    """
    view_dims = [int(d) for d in view_dims]
    _check_positive(
        n_subspaces=n_subspaces,
        subspace_dim=subspace_dim,
        n_samples_per_subspace=n_samples_per_subspace,
    )
    if not view_dims or min(view_dims) <= subspace_dim:
        raise ValueError(
            f"view_dims={view_dims} must hold at least one view, each with more than "
            f"subspace_dim={subspace_dim} features."
        )
    _check_fraction("corrupted_fraction", corrupted_fraction)
    if corrupted_fraction * len(view_dims) > 1:
        raise ValueError(
            f"corrupted_fraction={corrupted_fraction} times {len(view_dims)} views exceeds 1: "
            "the corrupted samples of the views must be disjoint."
        )
    rng = check_random_state(random_state)
    y = np.repeat(np.arange(n_subspaces), n_samples_per_subspace)
    n = y.size
    m = int(round(corrupted_fraction * n))
    order = rng.permutation(n)
    corrupted = np.zeros((n, len(view_dims)), dtype=bool)
    views = []
    for v, dim in enumerate(view_dims):
        bases = np.stack([_orth(rng, dim, subspace_dim) for _ in range(n_subspaces)])
        coef = rng.standard_normal((n, subspace_dim))
        coef /= np.linalg.norm(coef, axis=1, keepdims=True)
        V = np.einsum("nij,nj->ni", bases[y], coef)
        V += noise / np.sqrt(dim) * rng.standard_normal(V.shape)
        bad = order[v * m : (v + 1) * m]
        G = rng.standard_normal((m, dim))
        V[bad] = G / np.linalg.norm(G, axis=1, keepdims=True)
        corrupted[bad, v] = True
        views.append(V)
    perm = rng.permutation(n)
    return np.hstack(views)[perm], y[perm], corrupted[perm]


def make_low_rank_sparse(
    n_samples=1000,
    n_features=1000,
    rank=50,
    *,
    corruption=0.05,
    magnitude=None,
    noise=0.0,
    random_state=None,
):
    """A matrix ``D = L + S (+ noise)`` with ``L`` of given rank and ``S`` sparse.

    ``L = A B'`` with standard Gaussian ``A`` (n_samples x rank) and ``B``
    (n_features x rank), scaled by ``1/sqrt(rank)`` so entries of ``L`` have unit
    variance. ``S`` has a ``corruption`` fraction of nonzero entries at uniformly
    random positions, each uniform in ``[-magnitude, magnitude]`` (default 5,
    i.e. up to five standard deviations of the entries of ``L``).

    Returns
    -------
    D, L, S : ndarrays of shape (n_samples, n_features)

    Examples
    --------
    >>> from sksubspace.datasets import make_low_rank_sparse
    >>> D, L, S = make_low_rank_sparse(100, 80, 5, corruption=0.1, random_state=0)
    >>> int(np.linalg.matrix_rank(L)), float(np.mean(S != 0)) == 0.1
    (5, True)
    """
    _check_positive(n_samples=n_samples, n_features=n_features, rank=rank)
    if rank > min(n_samples, n_features):
        raise ValueError(f"rank={rank} must be at most min(n_samples, n_features).")
    _check_fraction("corruption", corruption)
    rng = check_random_state(random_state)
    magnitude = 5.0 if magnitude is None else magnitude
    L = rng.standard_normal((n_samples, rank)) @ rng.standard_normal((rank, n_features))
    L /= np.sqrt(rank)
    S = np.zeros_like(L)
    n_bad = int(round(corruption * L.size))
    pos = rng.choice(L.size, n_bad, replace=False)
    S.flat[pos] = rng.uniform(-magnitude, magnitude, n_bad)
    D = L + S + noise * rng.standard_normal(L.shape)
    return D, L, S


def make_low_rank_completion(
    n_samples=2000,
    n_features=2000,
    rank=10,
    *,
    observed_fraction=0.1,
    noise=0.0,
    random_state=None,
):
    """A low-rank matrix seen through a uniformly random mask.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The observed matrix (with noise where ``noise > 0``), NaN where missing.
    M : ndarray
        The full noiseless low-rank matrix (unit-variance entries).
    mask : bool ndarray
        True where observed.

    Examples
    --------
    >>> from sksubspace.datasets import make_low_rank_completion
    >>> X, M, mask = make_low_rank_completion(50, 40, 3, observed_fraction=0.5, random_state=0)
    >>> bool(np.isnan(X).any()), round(float(mask.mean()), 1)
    (True, 0.5)
    """
    _check_positive(n_samples=n_samples, n_features=n_features, rank=rank)
    _check_fraction("observed_fraction", observed_fraction)
    rng = check_random_state(random_state)
    M = rng.standard_normal((n_samples, rank)) @ rng.standard_normal((rank, n_features))
    M /= np.sqrt(rank)
    mask = rng.random_sample(M.shape) < observed_fraction
    X = M + noise * rng.standard_normal(M.shape)
    X[~mask] = np.nan
    return X, M, mask


def make_image_sets(
    n_classes=10,
    n_sets_per_class=20,
    *,
    n_features=100,
    class_dim=5,
    set_size=(20, 50),
    nuisance_dim=2,
    nuisance_scale=0.3,
    noise=0.05,
    ragged=False,
    random_state=None,
):
    """Sets of vectors drawn from class subspaces with per-set nuisance variation.

    Each class has a ``class_dim``-dimensional subspace. A set of class ``c``
    draws its vectors from that subspace plus a random ``nuisance_dim``-
    dimensional subspace specific to the set (lighting, pose...), weighted by
    ``nuisance_scale``, plus isotropic noise: like the frames of one face
    video under changing conditions.

    Parameters
    ----------
    set_size : int or (int, int)
        Vectors per set, or a range to draw from (inclusive).
    ragged : bool, default=False
        Return a list of 2-d arrays of varying size (True) or a 3-d array
        truncated to the smallest set size (False).

    Returns
    -------
    sets : ndarray (n_sets, set_size, n_features) or list of ndarrays
    y : ndarray of shape (n_sets,)
    bases : ndarray of shape (n_classes, n_features, class_dim)

    Examples
    --------
    >>> from sksubspace.datasets import make_image_sets
    >>> sets, y, bases = make_image_sets(3, 4, set_size=10, random_state=0)
    >>> sets.shape, y.shape, bases.shape
    ((12, 10, 100), (12,), (3, 100, 5))
    """
    _check_positive(
        n_classes=n_classes,
        n_sets_per_class=n_sets_per_class,
        n_features=n_features,
        class_dim=class_dim,
    )
    rng = check_random_state(random_state)
    lo, hi = (set_size, set_size) if np.isscalar(set_size) else set_size
    if not 1 <= lo <= hi:
        raise ValueError(f"set_size must be positive with min <= max; got {set_size!r}.")
    bases = np.stack([_orth(rng, n_features, class_dim) for _ in range(n_classes)])
    sets, y = [], []
    for c in range(n_classes):
        for _ in range(n_sets_per_class):
            m = int(rng.randint(lo, hi + 1))
            coef = rng.standard_normal((m, class_dim))
            S = coef @ bases[c].T
            if nuisance_dim > 0:
                N = _orth(rng, n_features, nuisance_dim)
                S += (
                    nuisance_scale
                    * rng.standard_normal((m, nuisance_dim))
                    @ N.T
                    * np.sqrt(class_dim / nuisance_dim)
                )
            S += noise * rng.standard_normal(S.shape)
            sets.append(S)
            y.append(c)
    perm = rng.permutation(len(sets))
    sets = [sets[i] for i in perm]
    y = np.asarray(y)[perm]
    if not ragged:
        m = min(s.shape[0] for s in sets)
        sets = np.stack([s[:m] for s in sets])
    return sets, y, bases


def make_sparse_coded_signals(
    n_samples=20000,
    n_components=128,
    n_features=64,
    *,
    n_nonzero_coefs=5,
    density=None,
    orthogonal=False,
    noise=0.0,
    random_state=None,
):
    """Signals ``X = C D (+ noise)`` from a planted dictionary and sparse codes.

    ``D`` has unit-norm Gaussian atoms as rows (``orthogonal=True`` draws a
    random orthogonal ``n_features x n_features`` matrix instead). Codes are
    Bernoulli-Gaussian: either exactly ``n_nonzero_coefs`` nonzeros per signal
    at random positions, or, when ``density`` is given, each entry nonzero with
    probability ``density`` (the Bernoulli(theta)-Gaussian model of l_p
    dictionary learning).

    Returns
    -------
    X : ndarray (n_samples, n_features)
    D : ndarray (n_components, n_features)
    C : ndarray (n_samples, n_components)

    Examples
    --------
    >>> from sksubspace.datasets import make_sparse_coded_signals
    >>> X, D, C = make_sparse_coded_signals(100, 20, 10, n_nonzero_coefs=3, random_state=0)
    >>> X.shape, int((C != 0).sum(axis=1).max())
    ((100, 10), 3)
    """
    rng = check_random_state(random_state)
    if orthogonal:
        n_components = n_features
        D = _orth(rng, n_features, n_features).T
    else:
        _check_positive(n_components=n_components, n_features=n_features)
        D = rng.standard_normal((n_components, n_features))
        D /= np.linalg.norm(D, axis=1, keepdims=True)
    if density is not None:
        _check_fraction("density", density)
        C = rng.standard_normal((n_samples, n_components)) * (
            rng.random_sample((n_samples, n_components)) < density
        )
    else:
        if not 1 <= n_nonzero_coefs <= n_components:
            raise ValueError(
                f"n_nonzero_coefs must be in [1, n_components]; got {n_nonzero_coefs}."
            )
        C = np.zeros((n_samples, n_components))
        support = np.argsort(rng.random_sample((n_samples, n_components)), axis=1)[
            :, :n_nonzero_coefs
        ]
        np.put_along_axis(C, support, rng.standard_normal((n_samples, n_nonzero_coefs)), axis=1)
    X = C @ D + noise * rng.standard_normal((n_samples, D.shape[1]))
    return X, D, C
