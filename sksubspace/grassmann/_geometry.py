"""Geometry of the Grassmann manifold on orthonormal (Stiefel) bases, batched.

A point of the Grassmannian ``Gr(n, k)`` (a ``k``-dimensional subspace of
``R^n``) is stored as an ``(n, k)`` array with orthonormal columns; a stack of
points is an ``(..., n, k)`` array. Leading dimensions are batch dimensions
everywhere, so thousands of subspaces (or pairs) go through one call without a
Python loop. Subspaces are never stored as ``n x n`` projection matrices
(``O(n k)`` memory per point instead of ``O(n^2)``).

Every function is written once against the array API (NumPy, CuPy,
array_api_strict). Principal angles and distances come from
:mod:`sksubspace.metrics`; orthonormalisation and the polar factor from
:mod:`sksubspace._linalg`.

References
----------
Edelman, Arias & Smith, "The geometry of algorithms with orthogonality
constraints", SIAM J. Matrix Anal. Appl. 20(2), 1998.
Absil, Mahony & Sepulchre, "Optimization Algorithms on Matrix Manifolds", 2008.
Draper, Kirby, Marks, Marrinan & Peterson, "A flag representation for finite
collections of subspaces of mixed dimensions", Linear Algebra Appl., 2014.
Hamm & Lee, "Grassmann discriminant analysis", ICML 2008.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._backend import device_kw, from_numpy, get_namespace, to_float, to_numpy
from .._linalg import machine_eps, orthonormalize, polar
from .._sklearn_compat import Interval, StrOptions, validate_params
from ..metrics import principal_angles, subspace_distance
from ..metrics._subspace import _DISTANCES

__all__ = [
    "binet_cauchy_kernel",
    "flag_mean",
    "grassmann_exp",
    "grassmann_geodesic",
    "grassmann_log",
    "karcher_mean",
    "pairwise_subspace_distances",
    "principal_angles",
    "project_tangent",
    "projection_kernel",
    "retract",
    "subspace_distance",
]


def _mT(A):
    return get_namespace(A).matrix_transpose(A)


def _check_same_shape(U, V, names=("U", "V")):
    """Bases of one Grassmannian: same (n, k) trailing shape, batch dims broadcasting."""
    if U.ndim < 2 or V.ndim < 2 or tuple(U.shape[-2:]) != tuple(V.shape[-2:]):
        raise ValueError(
            f"{names[0]} and {names[1]} must be (..., n, k) arrays with the same n and k; "
            f"got shapes {tuple(U.shape)} and {tuple(V.shape)}."
        )


@validate_params({"U": ["array-like"], "G": ["array-like"]}, prefer_skip_nested_validation=True)
def project_tangent(U, G):
    """Project ``G`` on the (horizontal) tangent space of the Grassmannian at ``U``.

    ``G - U (U' G)``: the Riemannian gradient of a function of ``span(U)``
    whose Euclidean gradient is ``G``, and the vector transport by projection.

    Parameters
    ----------
    U : array of shape (..., n, k)
        Orthonormal bases.
    G : array of shape (..., n, k)

    Returns
    -------
    H : array of shape (..., n, k) with ``U' H = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import project_tangent
    >>> U = np.eye(3)[:, :1]
    >>> project_tangent(U, np.ones((3, 1))).ravel()
    array([0., 1., 1.])
    """
    _check_same_shape(U, G, ("U", "G"))
    return G - U @ (_mT(U) @ G)


@validate_params(
    {"U": ["array-like"], "H": ["array-like"], "method": [StrOptions({"qr", "polar"})]},
    prefer_skip_nested_validation=True,
)
def retract(U, H, *, method="qr"):
    """Retraction ``R_U(H)``: an orthonormal basis close to ``U + H``.

    Parameters
    ----------
    U : array of shape (..., n, k)
        Orthonormal bases.
    H : array of shape (..., n, k)
        Tangent vectors (steps).
    method : {"qr", "polar"}, default="qr"
        ``"qr"``: the Q factor of ``U + H`` (with ``diag(R) >= 0``);
        ``"polar"``: its orthogonal polar factor (the closest orthonormal
        matrix, a second-order retraction). Both agree with the exponential
        map to first order and return columns orthonormal to machine precision.

    Returns
    -------
    U_new : array of shape (..., n, k)

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import retract
    >>> U = np.eye(3)[:, :2]
    >>> H = np.array([[0.0, 0.0], [0.0, 0.0], [0.1, 0.0]])
    >>> V = retract(U, H, method="polar")
    >>> np.allclose(V.T @ V, np.eye(2))
    True
    """
    _check_same_shape(U, H, ("U", "H"))
    if method == "qr":
        return orthonormalize(U + H)
    if method == "polar":
        return polar(U + H)
    raise ValueError(f"method must be 'qr' or 'polar'; got {method!r}.")


@validate_params(
    {"U": ["array-like"], "H": ["array-like"], "t": [Real, "array-like"]},
    prefer_skip_nested_validation=True,
)
def grassmann_exp(U, H, t=1.0):
    """Riemannian exponential map ``Exp_U(t H)`` on the Grassmannian.

    With the thin SVD ``H = Q diag(s) V'`` (Edelman, Arias & Smith 1998, Thm 2.3)::

        Exp_U(t H) = U V cos(t s) V' + Q sin(t s) V'

    Parameters
    ----------
    U : array of shape (..., n, k)
        Orthonormal bases.
    H : array of shape (..., n, k)
        Horizontal tangent vectors (``U' H = 0``; see :func:`project_tangent`).
    t : float, default=1.0
        Step along the geodesic.

    Returns
    -------
    V : array of shape (..., n, k)
        Orthonormal bases of the end points.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import grassmann_exp, principal_angles
    >>> U = np.eye(3)[:, :1]
    >>> H = np.array([[0.0], [0.3], [0.0]])
    >>> float(np.round(principal_angles(U, grassmann_exp(U, H))[0], 12))
    0.3
    """
    _check_same_shape(U, H, ("U", "H"))
    xp = get_namespace(U, H)
    Q, s, Vt = xp.linalg.svd(H, full_matrices=False)
    ts = t * s
    V = _mT(Vt)
    Y = (U @ V) * xp.cos(ts)[..., None, :] @ Vt + Q * xp.sin(ts)[..., None, :] @ Vt
    return Y


@validate_params({"U": ["array-like"], "V": ["array-like"]}, prefer_skip_nested_validation=True)
def grassmann_log(U, V):
    """Riemannian logarithm ``Log_U(V)``: the tangent vector at ``U`` pointing to ``V``.

    Computed from the SVD ``U' V = A cos(theta) B'`` (the principal angles
    ``theta`` and vectors): with ``R = (I - U U') V B``, whose columns have norms
    ``sin(theta)``, ``Log_U(V) = R diag(theta / sin(theta)) A'``, the angles
    taken as ``atan2(sin, cos)`` so that small and large angles are both
    accurate. ``||Log_U(V)||_F`` is the geodesic distance. Defined when no
    principal angle is ``pi / 2`` (``V`` outside the cut locus of ``U``).

    Parameters
    ----------
    U, V : arrays of shape (..., n, k)
        Orthonormal bases (broadcasting over the batch dimensions).

    Returns
    -------
    H : array of shape (..., n, k) with ``U' H = 0`` and ``Exp_U(H) = span(V)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import grassmann_log
    >>> U = np.eye(2)[:, :1]
    >>> V = np.array([[np.cos(0.4)], [np.sin(0.4)]])
    >>> np.round(grassmann_log(U, V).ravel(), 12)
    array([0. , 0.4])
    """
    _check_same_shape(U, V)
    xp = get_namespace(U, V)
    A, cos, Bt = xp.linalg.svd(_mT(U) @ V, full_matrices=False)
    VB = V @ _mT(Bt)
    R = VB - U @ (_mT(U) @ VB)
    sin = xp.linalg.vector_norm(R, axis=-2)
    theta = xp.atan2(sin, cos)
    tiny = sin <= machine_eps(U.dtype)
    scale = xp.where(tiny, xp.ones_like(sin), theta / xp.where(tiny, xp.ones_like(sin), sin))
    return (R * scale[..., None, :]) @ _mT(A)


@validate_params(
    {"U": ["array-like"], "V": ["array-like"], "t": [Real, "array-like"]},
    prefer_skip_nested_validation=True,
)
def grassmann_geodesic(U, V, t):
    """Point at time ``t`` on the geodesic from ``span(U)`` (t=0) to ``span(V)`` (t=1).

    Parameters
    ----------
    U, V : arrays of shape (..., n, k)
        Orthonormal bases.
    t : float
        Time; values outside [0, 1] extrapolate.

    Returns
    -------
    W : array of shape (..., n, k)
        Orthonormal basis with ``d(U, W) = t d(U, V)`` for ``0 <= t <= 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import grassmann_geodesic, subspace_distance
    >>> U, V = np.eye(3)[:, :1], np.array([[0.0], [0.6], [0.8]])
    >>> W = grassmann_geodesic(U, V, 0.25)
    >>> bool(np.isclose(subspace_distance(U, W), 0.25 * subspace_distance(U, V)))
    True
    """
    return grassmann_exp(U, grassmann_log(U, V), t)


@validate_params(
    {
        "U": ["array-like"],
        "weights": ["array-like", None],
        "init": ["array-like", None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "return_n_iter": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def karcher_mean(U, *, weights=None, init=None, max_iter=100, tol=1e-10, return_n_iter=False):
    """Karcher (Frechet) mean of subspaces for the geodesic distance.

    Minimises ``sum_i w_i d_geo(M, U_i)^2`` by Riemannian gradient descent with
    unit step: ``M <- Exp_M(sum_i w_i Log_M(U_i))`` (the fixed-point iteration of
    Karcher 1977 / Absil et al. 2004), all logarithms in one batched call.

    Parameters
    ----------
    U : array of shape (m, n, k)
        Orthonormal bases of the ``m`` subspaces.
    weights : array of shape (m,), optional
        Non-negative weights (normalised to sum to one). Uniform by default.
    init : array of shape (n, k), optional
        Starting point; the :func:`flag_mean` by default (close to the answer).
    max_iter : int, default=100
    tol : float, default=1e-10
        Stop when the Riemannian gradient norm falls below ``tol``.
    return_n_iter : bool, default=False

    Returns
    -------
    M : array of shape (n, k)
        Orthonormal basis of the mean.
    n_iter : int
        Only when ``return_n_iter``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import karcher_mean
    >>> t = np.array([0.1, 0.3])
    >>> U = np.stack([np.array([[np.cos(a)], [np.sin(a)]]) for a in t])
    >>> M = karcher_mean(U)
    >>> bool(np.isclose(abs(M[1, 0] / M[0, 0]), np.tan(0.2)))
    True
    """
    xp = get_namespace(U)
    if U.ndim != 3:
        raise ValueError(f"U must be a stack of bases of shape (m, n, k); got {tuple(U.shape)}.")
    m = U.shape[0]
    if weights is None:
        w = xp.full((m,), 1.0 / m, dtype=U.dtype, **device_kw(U))
    else:
        w_host = np.asarray(to_numpy(weights), dtype=np.float64)
        if w_host.shape != (m,) or (w_host < 0).any() or w_host.sum() <= 0:
            raise ValueError(
                f"weights must be {m} non-negative numbers with a positive sum; got {w_host!r}."
            )
        w = from_numpy(w_host / w_host.sum(), like=U)
    M = flag_mean(U, U.shape[-1], weights=weights) if init is None else init
    n_iter, grad_norm = 0, float("inf")
    while n_iter < max_iter:
        n_iter += 1
        H = xp.sum(w[:, None, None] * grassmann_log(xp.expand_dims(M, axis=0), U), axis=0)
        M = orthonormalize(grassmann_exp(M, H))
        grad_norm = to_float(xp.linalg.matrix_norm(H))
        if grad_norm < tol:
            break
    else:
        warnings.warn(
            f"karcher_mean did not converge in max_iter={max_iter} iterations (gradient "
            f"norm {grad_norm:.3g} > tol={tol}); increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return (M, n_iter) if return_n_iter else M


@validate_params(
    {
        "U": ["array-like"],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "weights": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def flag_mean(U, n_components=None, *, weights=None):
    """Flag mean of subspaces (Draper et al. 2014).

    The ``n_components`` leading left singular vectors of the concatenation
    ``[sqrt(w_1) U_1, ..., sqrt(w_m) U_m]``: the subspace minimising the sum of
    squared chordal distances ``sum_i w_i ||sin theta(M, U_i)||^2``. One SVD, no
    iteration; subspaces of different dimensions may be mixed by zero-padding.

    Parameters
    ----------
    U : array of shape (m, n, k)
        Orthonormal bases.
    n_components : int, optional
        Dimension of the mean (``k`` by default).
    weights : array of shape (m,), optional

    Returns
    -------
    M : array of shape (n, n_components)

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import flag_mean
    >>> U = np.stack([np.eye(3)[:, [0]], np.eye(3)[:, [0]], np.eye(3)[:, [1]]])
    >>> np.abs(flag_mean(U)).ravel()
    array([1., 0., 0.])
    """
    xp = get_namespace(U)
    m, n, k = U.shape
    n_components = k if n_components is None else n_components
    if weights is not None:
        w = xp.asarray(weights, dtype=U.dtype, **device_kw(U))
        U = U * xp.sqrt(w / xp.sum(w))[:, None, None]
    wide = xp.reshape(xp.permute_dims(U, (1, 0, 2)), (n, m * k))
    Q, _, _ = xp.linalg.svd(wide, full_matrices=False)
    return orthonormalize(Q[:, :n_components])


def _cross_gram(A, B):
    """All ``A_i' B_j`` as an array of shape (m1, m2, k1, k2), from one product."""
    xp = get_namespace(A, B)
    m1, n, k1 = A.shape
    m2, _, k2 = B.shape
    At = xp.reshape(_mT(A), (m1 * k1, n))
    Bw = xp.reshape(xp.permute_dims(B, (1, 0, 2)), (n, m2 * k2))
    G = xp.reshape(At @ Bw, (m1, k1, m2, k2))
    return xp.permute_dims(G, (0, 2, 1, 3))


def _check_stacks(A, B):
    B = A if B is None else B
    if A.ndim != 3 or B.ndim != 3:
        raise ValueError(
            "Expected stacks of bases of shape (m, n_features, k); got shapes "
            f"{tuple(A.shape)} and {tuple(B.shape)}."
        )
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"Both stacks must live in the same ambient space; got {A.shape[1]} and "
            f"{B.shape[1]} rows."
        )
    return A, B


@validate_params(
    {"A": ["array-like"], "B": ["array-like", None]}, prefer_skip_nested_validation=True
)
def projection_kernel(A, B=None):
    """Projection kernel ``k(A_i, B_j) = ||A_i' B_j||_F^2 = sum cos^2 theta``.

    Positive definite on the Grassmannian (Hamm & Lee 2008): the Frobenius inner
    product of the projectors ``A_i A_i'`` and ``B_j B_j'``. All pairs come from
    one matrix product (no loop over pairs).

    Parameters
    ----------
    A : array of shape (m1, n, k1)
        Orthonormal bases.
    B : array of shape (m2, n, k2), optional
        Orthonormal bases; ``A`` when omitted.

    Returns
    -------
    K : array of shape (m1, m2)

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import projection_kernel
    >>> A = np.stack([np.eye(3)[:, :2], np.eye(3)[:, 1:]])
    >>> projection_kernel(A)
    array([[2., 1.],
           [1., 2.]])
    """
    A, B = _check_stacks(A, B)
    xp = get_namespace(A, B)
    G = _cross_gram(A, B)
    return xp.sum(G * G, axis=(2, 3))


@validate_params(
    {"A": ["array-like"], "B": ["array-like", None]}, prefer_skip_nested_validation=True
)
def binet_cauchy_kernel(A, B=None):
    """Binet-Cauchy kernel ``k(A_i, B_j) = det(A_i' B_j)^2 = prod cos^2 theta``.

    Positive definite on the Grassmannian (Hamm & Lee 2008; Wolf & Shashua
    2003). All pairs come from one matrix product and one batched determinant.

    Parameters
    ----------
    A : array of shape (m1, n, k)
        Orthonormal bases.
    B : array of shape (m2, n, k), optional
        Orthonormal bases of the same dimension ``k``; ``A`` when omitted.

    Returns
    -------
    K : array of shape (m1, m2)

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import binet_cauchy_kernel
    >>> A = np.stack([np.eye(3)[:, :2], np.eye(3)[:, 1:]])
    >>> binet_cauchy_kernel(A)
    array([[1., 0.],
           [0., 1.]])
    """
    A, B = _check_stacks(A, B)
    if A.shape[2] != B.shape[2]:
        raise ValueError(
            "The Binet-Cauchy kernel needs subspaces of one dimension; got "
            f"{A.shape[2]} and {B.shape[2]}."
        )
    xp = get_namespace(A, B)
    d = xp.linalg.det(_cross_gram(A, B))
    return d * d


@validate_params(
    {
        "A": ["array-like"],
        "B": ["array-like", None],
        "metric": [StrOptions(set(_DISTANCES))],
        "chunk_size": [Interval(Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def pairwise_subspace_distances(A, B=None, *, metric="geodesic", chunk_size=None):
    """Distances between every subspace of ``A`` and every subspace of ``B``.

    Batched :func:`sksubspace.metrics.subspace_distance` over all pairs, in
    row chunks so that memory stays bounded (about ``chunk_size * m2 * n * k``
    numbers at a time).

    Parameters
    ----------
    A : array of shape (m1, n, k1)
        Orthonormal bases.
    B : array of shape (m2, n, k2), optional
        Orthonormal bases; ``A`` when omitted.
    metric : {"geodesic", "chordal", "projection", "binet-cauchy", "procrustes"}
    chunk_size : int, optional
        Rows of ``A`` per batch; chosen for about 8 MB per batch by default.

    Returns
    -------
    D : array of shape (m1, m2)

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.grassmann import pairwise_subspace_distances
    >>> A = np.stack([np.eye(3)[:, :1], np.eye(3)[:, 1:2]])
    >>> np.round(pairwise_subspace_distances(A), 6)
    array([[0.      , 1.570796],
           [1.570796, 0.      ]])
    """
    A, B = _check_stacks(A, B)
    xp = get_namespace(A, B)
    m1, n, k1 = A.shape
    m2 = B.shape[0]
    if chunk_size is None:
        chunk_size = max(1, int(1e6 // max(1, m2 * n * max(k1, B.shape[2]))))
    rows = []
    for start in range(0, m1, chunk_size):
        Ai = xp.expand_dims(A[start : min(start + chunk_size, m1), ...], axis=1)
        Bi = xp.expand_dims(B, axis=0)
        rows.append(subspace_distance(Ai, Bi, metric=metric, orthonormal=True))
    return xp.concat(rows, axis=0)
