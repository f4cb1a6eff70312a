"""The one module that knows about NumPy, CuPy and other array-API namespaces.

Everything else in sksubspace is written once against an array namespace ``xp``
(the array API standard, through ``array-api-compat``) and asks this module for
the few operations the standard lacks (triangular solves, conversion to and from
NumPy, the device switch).

Semantics
---------
* **Everything follows X.** A CuPy input is computed on the GPU and CuPy comes
  back; a NumPy input is computed on the CPU and NumPy comes back; any other
  array-API namespace (e.g. ``array_api_strict``) is computed with that
  namespace.
* **The device switch.** Estimators take ``device=None | "cpu" | "gpu"``.
  ``None`` follows the input. ``"gpu"`` computes on the GPU with CuPy whatever
  the input is, and hands results (and fitted attributes) back in the
  namespace of the input, so a NumPy ``Pipeline`` or ``GridSearchCV`` can use
  the GPU and still sees NumPy. ``"cpu"`` computes with NumPy. The switch is a
  plain string parameter, so it survives ``clone``, pickling and joblib workers.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from array_api_compat import (
    array_namespace,
    is_cupy_array,
    is_cupy_namespace,
    is_numpy_namespace,
)
from array_api_compat import device as _device_of

__all__ = [
    "ComputeContext",
    "compute_context",
    "get_namespace",
    "is_numpy",
    "to_numpy",
    "gpu_available",
    "gpu_unavailable_reason",
    "solve_triangular",
    "cho_solve",
    "lu_basis",
    "to_float",
    "from_numpy",
    "as_index",
    "as_namespace",
    "device_of",
    "device_kw",
    "move_like",
    "dense_like",
    "is_cupy",
    "is_cupy_namespace",
    "is_sparse",
]

_GPU_HELP = (
    "device='gpu' needs CuPy and a CUDA GPU. Install the GPU extra with "
    "`pip install sksubspace[gpu]` (or `pip install cupy-cuda12x`) on a machine "
    "with an NVIDIA GPU, or use device=None / 'cpu'."
)

DEVICE_OPTIONS = {None, "cpu", "gpu"}


def _import_cupy():
    try:
        return importlib.import_module("cupy")
    except Exception:  # ImportError, or a CUDA runtime error at import
        return None


def gpu_unavailable_reason() -> str | None:
    """Why the GPU cannot be used (``None`` when CuPy sees a CUDA device).

    Tells apart "CuPy is not installed", "CuPy fails to import" and "CuPy is
    installed but finds no driver or device", keeping CUDA's own message.
    """
    try:
        cupy = importlib.import_module("cupy")
    except ImportError as exc:
        if getattr(exc, "name", None) == "cupy":
            return "CuPy is not installed"
        return f"CuPy is installed but fails to import: {exc}"
    except Exception as exc:  # a CUDA runtime error at import
        return f"CuPy is installed but fails to import: {type(exc).__name__}: {exc}"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return (
            f"CuPy is installed but finds no usable CUDA driver/device: {type(exc).__name__}: {exc}"
        )
    return None if count > 0 else "CuPy is installed but sees no CUDA device"


def gpu_available() -> bool:
    """Return True when CuPy imports and sees at least one CUDA device."""
    return gpu_unavailable_reason() is None


def get_namespace(*arrays):
    """Array namespace of the (non-None, non-sparse) ``arrays``.

    SciPy sparse matrices and Python scalars count as NumPy. Arrays from two
    different namespaces raise a clear ``TypeError``.
    """
    dense = [a for a in arrays if a is not None and not sp.issparse(a)]
    dense = [a for a in dense if not isinstance(a, (int, float, complex, list, tuple))]
    if not dense:
        return array_namespace(np.empty(0))
    try:
        return array_namespace(*dense)
    except TypeError as exc:
        kinds = sorted({type(a).__module__.split(".")[0] for a in dense})
        raise TypeError(
            f"Arrays from different libraries were mixed ({', '.join(kinds)}). "
            "Pass all inputs from the same library (e.g. all NumPy or all CuPy); "
            "to compute on the GPU from NumPy inputs use device='gpu'."
        ) from exc


def is_dask_array(X) -> bool:
    """True when ``X`` is a ``dask.array.Array`` (never imports Dask itself)."""
    mod = sys.modules.get("dask.array")
    return mod is not None and isinstance(X, mod.Array)


def is_numpy(xp) -> bool:
    """True when ``xp`` is NumPy (plain or array-api-compat wrapped)."""
    return is_numpy_namespace(xp)


def to_numpy(x, dtype=None):
    """Copy any supported array (NumPy, CuPy, array-API) to a NumPy array.

    ``dtype`` converts on the host (no copy when it already matches). An
    array-API array on a device NumPy cannot read (array-api-strict's
    ``device1``, say) is first moved to its namespace's default device.
    """
    if x is None or sp.issparse(x):
        return x
    if isinstance(x, np.ndarray) or np.isscalar(x):
        return np.asarray(x, dtype=dtype)
    if is_cupy(x):  # cupy arrays and cupyx.scipy.sparse matrices
        x = x.get()
        return x if dtype is None or sp.issparse(x) else np.asarray(x, dtype=dtype)
    try:
        out = np.from_dlpack(x)
    except Exception:
        try:
            out = np.asarray(x)
        except Exception:  # on a device the buffer protocol cannot reach
            info = array_namespace(x).__array_namespace_info__()
            out = np.asarray(x.to_device(info.default_device()))
    return np.asarray(out, dtype=dtype)


def to_float(x) -> float:
    """A Python float from a 0-d array of any namespace (synchronizes a GPU)."""
    return float(to_numpy(x))


def _is_cupyx_sparse(x) -> bool:
    return type(x).__module__.startswith("cupyx")


def is_cupy(x) -> bool:
    """True for a CuPy array or a ``cupyx.scipy.sparse`` matrix (never imports CuPy)."""
    return is_cupy_array(x) or _is_cupyx_sparse(x)


def is_sparse(x) -> bool:
    """True for a SciPy or a ``cupyx.scipy.sparse`` matrix."""
    return sp.issparse(x) or _is_cupyx_sparse(x)


def dense_like(A):
    """A dense array of ``A``'s namespace, device and dtype (``A`` itself when dense).

    Sparse matrices stand for their dense namespace: an empty NumPy array for
    SciPy, an empty CuPy array for ``cupyx.scipy.sparse``. Used as ``like=`` for
    random draws and dtypes.
    """
    if sp.issparse(A):
        return np.empty(0, dtype=A.dtype)
    if _is_cupyx_sparse(A):
        return _import_cupy().empty(0, dtype=A.dtype)
    return A


def as_namespace(x, xp, device=None):
    """Move ``x`` (any namespace, or SciPy sparse) into namespace ``xp`` on ``device``."""
    if x is None:
        return None
    if sp.issparse(x):
        if is_numpy(xp):
            return x
        if is_cupy_namespace(xp):
            cupyx_sparse = importlib.import_module("cupyx.scipy.sparse")
            return cupyx_sparse.csr_matrix(x.tocsr())
        return xp.asarray(x.toarray(), device=device)
    if array_namespace(x) is xp or (is_numpy(xp) and isinstance(x, np.ndarray)):
        return x
    host = to_numpy(x)
    if is_cupy_namespace(xp):
        cupy = _import_cupy()
        return cupy.asarray(host)
    if device is not None:
        return xp.asarray(host, device=device)
    return xp.asarray(host)


@dataclass(frozen=True)
class ComputeContext:
    """Where a computation runs and where its results go back to.

    Attributes
    ----------
    xp : namespace
        The namespace that does the computation.
    out_xp : namespace
        The namespace of the user's input; results are handed back in it.
    device : object
        Device of the computation within ``xp`` (``None`` for NumPy/CuPy's default).
    out_device : object
        Device of the user's input within ``out_xp``, where results go back
        (``None`` for NumPy/CuPy's default).
    """

    xp: Any
    out_xp: Any
    device: Any = None
    out_device: Any = None

    @property
    def on_gpu(self) -> bool:
        return is_cupy_namespace(self.xp)

    @property
    def moves(self) -> bool:
        """True when inputs and outputs cross between namespaces."""
        return self.xp is not self.out_xp

    def asarray(self, x):
        """Move an input array (any namespace, or SciPy sparse) to the compute namespace."""
        return as_namespace(x, self.xp, self.device)

    def output(self, x):
        """Hand a computed array back in the user's namespace."""
        if x is None or not self.moves:
            return x
        if is_sparse(x):
            return x.get() if hasattr(x, "get") else x
        return as_namespace(x, self.out_xp, self.out_device)


def compute_context(device, *arrays) -> ComputeContext:
    """Resolve the ``device`` parameter of an estimator against its inputs.

    Parameters
    ----------
    device : {None, "cpu", "gpu"}
        ``None`` follows the inputs, ``"cpu"`` computes with NumPy and
        ``"gpu"`` with CuPy (raising a clear error when unavailable).
    *arrays : arrays
        The inputs (e.g. ``X``); their namespace is where results go back.

    Returns
    -------
    ctx : ComputeContext
    """
    if device not in DEVICE_OPTIONS:
        raise ValueError(f"device must be None, 'cpu' or 'gpu'; got {device!r}.")
    out_xp = get_namespace(*arrays)
    dense = [a for a in arrays if a is not None and not sp.issparse(a)]
    out_dev = device_kw(dense[0]).get("device") if dense else None
    if device is None:
        return ComputeContext(out_xp, out_xp, out_dev, out_dev)
    if device == "cpu":
        return ComputeContext(array_namespace(np.empty(0)), out_xp, None, out_dev)
    reason = gpu_unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"{_GPU_HELP} ({reason}.)")
    cupy = _import_cupy()
    return ComputeContext(array_namespace(cupy.empty(0)), out_xp, None, out_dev)


# --------------------------------------------------------------------------
# Operations the array API standard lacks, dispatched per namespace.
# --------------------------------------------------------------------------


def solve_triangular(A, B, *, lower=True, trans=False, xp=None):
    """Solve ``A X = B`` (or ``A' X = B`` with ``trans``) for triangular ``A``.

    SciPy on NumPy, ``cupyx.scipy.linalg`` on CuPy and a general solve on any
    other namespace (correct, only slower).
    """
    xp = get_namespace(A, B) if xp is None else xp
    if is_numpy(xp):
        return scipy.linalg.solve_triangular(
            A, B, lower=lower, trans=1 if trans else 0, check_finite=False
        )
    if is_cupy_namespace(xp):
        cpx_linalg = importlib.import_module("cupyx.scipy.linalg")
        return cpx_linalg.solve_triangular(A, B, lower=lower, trans=1 if trans else 0)
    A = A.T if trans else A
    return xp.linalg.solve(A, B)


def lu_basis(Y):
    """A well-conditioned basis ``P`` of the span of the columns of ``Y`` and ``T``, ``Y = P T``.

    Between power iterations only the span matters, and the unit lower
    trapezoidal factor ``P L`` of a pivoted LU is as good a basis as a QR's
    ``Q`` at a fraction of the cost (the trick of fbpca). NumPy and CuPy
    factor with LAPACK / cuSOLVER; namespaces without an LU use a QR.
    """
    xp = get_namespace(Y)
    if is_numpy(xp):
        return scipy.linalg.lu(Y, permute_l=True, check_finite=False)
    if is_cupy_namespace(xp):
        return importlib.import_module("cupyx.scipy.linalg").lu(Y, permute_l=True)
    return xp.linalg.qr(Y)


def cho_solve(L, B, *, xp=None):
    """Solve ``(L L') X = B`` given the lower Cholesky factor ``L``."""
    Y = solve_triangular(L, B, lower=True, xp=xp)
    return solve_triangular(L, Y, lower=True, trans=True, xp=xp)


def from_numpy(arr, like):
    """Move the NumPy array ``arr`` to the namespace, device and dtype of ``like``."""
    xp = get_namespace(like)
    if is_numpy(xp):
        return np.asarray(arr, dtype=like.dtype)
    dev = None if is_cupy_namespace(xp) else _device_of(like)
    out = as_namespace(np.asarray(arr), xp, dev)
    return xp.astype(out, like.dtype) if xp.isdtype(out.dtype, "real floating") else out


def as_index(idx, like):
    """Host integer indices (or a boolean mask) as an array of ``like``'s namespace and device.

    Integers come as int64, booleans stay boolean; NumPy input stays NumPy.
    """
    idx = np.asarray(idx)
    if idx.dtype != np.bool_:
        idx = idx.astype(np.int64, copy=False)
    like = dense_like(like)
    if isinstance(like, np.ndarray):
        return idx
    return as_namespace(idx, get_namespace(like), None if is_cupy(like) else _device_of(like))


def move_like(x, like):
    """``x`` (any namespace) moved to the namespace and device of ``like``, dtype unchanged."""
    return as_namespace(x, get_namespace(like), device_kw(like).get("device"))


def device_of(x):
    """The device of an array (``"cpu"`` for NumPy and SciPy sparse)."""
    if sp.issparse(x) or isinstance(x, np.ndarray):
        return "cpu"
    return _device_of(x)


def device_kw(x):
    """``device=`` keyword that creates an array next to ``x``: ``xp.zeros(n, **device_kw(x))``.

    Empty for NumPy, SciPy sparse and CuPy (CuPy creates on its current
    device), so those paths are unchanged; ``{"device": x.device}`` for any
    other namespace (e.g. array-api-strict's second device).
    """
    if isinstance(x, np.ndarray) or sp.issparse(x) or is_cupy(x):
        return {}
    return {"device": _device_of(x)}


def has_float64(xp, x=None) -> bool:
    """Whether namespace ``xp`` has float64 (on ``x``'s device when given; array API inspection)."""
    info = getattr(xp, "__array_namespace_info__", None)
    if info is None:
        return hasattr(xp, "float64")
    try:
        dtypes = info().dtypes(device=getattr(x, "device", None), kind="real floating")
    except Exception:  # a namespace without the inspection API's dtypes()
        return hasattr(xp, "float64")
    return "float64" in dtypes
