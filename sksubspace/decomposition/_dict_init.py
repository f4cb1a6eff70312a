"""Dictionary initialization and checks shared by the dictionary learners."""

from __future__ import annotations

import numpy as np

from .._backend import from_numpy, get_namespace, to_numpy
from .._linalg import normalize_rows as _normalize_rows


def _init_dictionary(X, n_components, rng, dict_init=None):
    """Unit-norm atoms (rows): ``dict_init``, or random signals of ``X`` plus a little noise.

    Random draws are made on the host and moved to ``X``'s namespace, so every
    backend starts from the same atoms. Zero signals are replaced by Gaussian
    directions.
    """
    xp = get_namespace(X)
    n, d = X.shape
    if dict_init is not None:
        D = xp.astype(from_numpy(np.asarray(to_numpy(dict_init), dtype=float), like=X), X.dtype)
        if D.shape != (n_components, d):
            raise ValueError(
                f"dict_init must have shape (n_components, n_features)=({n_components}, {d}); "
                f"got {tuple(D.shape)}."
            )
        return _normalize_rows(D, xp)
    rows = rng.choice(n, size=n_components, replace=n_components > n)
    noise = rng.standard_normal((n_components, d))
    host_rows = np.asarray(to_numpy(X))[rows] if n_components <= n else None
    if host_rows is None:
        host_rows = np.asarray(to_numpy(X))[rows]
    scale = np.linalg.norm(host_rows, axis=1, keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    host = host_rows / scale + 0.01 * noise / np.sqrt(d)
    zero = np.linalg.norm(host_rows, axis=1) == 0
    host[zero] = noise[zero]
    return _normalize_rows(from_numpy(host, like=X), xp)


def _check_dictionary_size(n_components, n_features):
    """Default number of atoms: as many as features (a complete dictionary)."""
    return n_features if n_components is None else int(n_components)


def _atoms_to_replace(D, usage, *, coherence=0.95, min_usage=1):
    """Indices of atoms that are (nearly) duplicates of an earlier atom or rarely used.

    The "dictionary clearing" step of K-SVD implementations (Rubinstein's
    ksvdbox): such atoms waste capacity and are better restarted on signals
    the dictionary represents badly. Decided on the host from the small
    ``n_atoms x n_atoms`` Gram matrix.
    """
    xp = get_namespace(D)
    G = np.abs(np.asarray(to_numpy(D @ xp.matrix_transpose(D))))
    usage = np.asarray(to_numpy(usage))
    bad = []
    keep = []
    for j in range(G.shape[0]):
        if usage[j] < min_usage or (keep and G[j, keep].max() > coherence):
            bad.append(j)
        else:
            keep.append(j)
    return bad


def _replace_atoms(D, bad, signals):
    """Rows ``bad`` of ``D`` set to the normalized rows of ``signals`` (host array)."""
    xp = get_namespace(D)
    if not bad or signals.shape[0] == 0:
        return D
    bad = bad[: signals.shape[0]]
    norms = np.linalg.norm(signals, axis=1, keepdims=True)
    rows = from_numpy(signals[: len(bad)] / np.where(norms > 0, norms, 1.0)[: len(bad)], like=D)
    D = xp.asarray(D, copy=True)
    for r, j in enumerate(bad):
        D[j, :] = rows[r, :]
    return D
