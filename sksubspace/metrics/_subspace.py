"""Principal angles and distances between subspaces (batched)."""

from __future__ import annotations

from .._backend import get_namespace
from .._linalg import orthonormalize
from .._linalg import principal_angles as _principal_angles
from .._sklearn_compat import StrOptions, validate_params

_DISTANCES = ("geodesic", "chordal", "projection", "binet-cauchy", "procrustes")


def _as_basis(A, orthonormal):
    xp = get_namespace(A)
    A = xp.asarray(A)
    if A.ndim < 2:
        raise ValueError(f"A subspace basis must be an (n, k) array; got shape {tuple(A.shape)}.")
    return A if orthonormal else orthonormalize(A)


@validate_params(
    {"A": ["array-like"], "B": ["array-like"], "orthonormal": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def principal_angles(A, B, *, orthonormal=False):
    """Principal angles (radians, ascending) between ``span(A)`` and ``span(B)``.

    Parameters
    ----------
    A : array of shape (..., n_features, k1)
    B : array of shape (..., n_features, k2)
        Bases as columns; leading dimensions are batch dimensions.
    orthonormal : bool, default=False
        Set True when the columns are already orthonormal (skips a QR).

    Returns
    -------
    angles : array of shape (..., min(k1, k2))

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.metrics import principal_angles
    >>> A = np.eye(3)[:, :2]
    >>> B = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> np.round(np.degrees(principal_angles(A, B)), 6)
    array([ 0., 45.])
    """
    A = _as_basis(A, orthonormal)
    B = _as_basis(B, orthonormal)
    if A.shape[-2] != B.shape[-2]:
        raise ValueError(
            f"Both bases must live in the same ambient space; got {A.shape[-2]} and "
            f"{B.shape[-2]} rows."
        )
    return _principal_angles(A, B)


@validate_params(
    {
        "A": ["array-like"],
        "B": ["array-like"],
        "metric": [StrOptions(set(_DISTANCES))],
        "orthonormal": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def subspace_distance(A, B, *, metric="geodesic", orthonormal=False):
    """Distance between subspaces from their principal angles ``theta``.

    metric:

    * ``"geodesic"`` (arc length on the Grassmannian): ``||theta||_2``
    * ``"chordal"``: ``||sin theta||_2``, the Frobenius distance of the
      projectors divided by sqrt(2)
    * ``"projection"``: ``max sin theta``, the spectral distance of the projectors
    * ``"binet-cauchy"``: ``sqrt(1 - prod cos^2 theta)``
    * ``"procrustes"``: ``2 ||sin(theta / 2)||_2``, the smallest Frobenius
      distance between orthonormal bases of the two subspaces

    Examples
    --------
    >>> import numpy as np
    >>> from sksubspace.metrics import subspace_distance
    >>> A, B = np.eye(4)[:, :2], np.eye(4)[:, 1:3]
    >>> round(float(subspace_distance(A, B)), 6) == round(np.pi / 2, 6)
    True
    """
    if metric not in _DISTANCES:
        raise ValueError(f"metric must be one of {_DISTANCES}; got {metric!r}.")
    theta = principal_angles(A, B, orthonormal=orthonormal)
    xp = get_namespace(theta)
    if metric == "geodesic":
        return xp.linalg.vector_norm(theta, axis=-1)
    if metric == "chordal":
        return xp.linalg.vector_norm(xp.sin(theta), axis=-1)
    if metric == "projection":
        return xp.max(xp.sin(theta), axis=-1)
    if metric == "binet-cauchy":
        return xp.sqrt(xp.clip(1.0 - xp.prod(xp.cos(theta) ** 2, axis=-1), 0.0, None))
    return 2.0 * xp.linalg.vector_norm(xp.sin(theta / 2.0), axis=-1)
