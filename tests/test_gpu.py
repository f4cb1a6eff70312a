"""GPU tests: run on a real CUDA device with CuPy; skipped cleanly without one."""

import numpy as np
import pytest
from sklearn.base import clone

from sksubspace._backend import gpu_available, to_numpy

from ._helpers import all_instances, estimator_kind, expected_failed_checks, generic_data

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not gpu_available(), reason="needs CuPy and a CUDA GPU"),
]

INSTANCES = all_instances()


def test_shared_linalg_on_gpu():
    import cupy

    from sksubspace import _linalg as la

    rng = np.random.default_rng(0)
    A = rng.standard_normal((500, 20)) @ rng.standard_normal((20, 400))
    U, s, Vt = la.randomized_svd(cupy.asarray(A), 20, random_state=0)
    assert isinstance(s, cupy.ndarray)
    np.testing.assert_allclose(s.get(), np.linalg.svd(A, compute_uv=False)[:20], rtol=1e-8)
    D = rng.standard_normal((50, 30))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    X = rng.standard_normal((200, 30))
    i_cpu, c_cpu = la.batched_omp(X, D, n_nonzero_coefs=4)
    i_gpu, c_gpu = la.batched_omp(cupy.asarray(X), cupy.asarray(D), n_nonzero_coefs=4)
    np.testing.assert_array_equal(i_gpu.get(), i_cpu)
    np.testing.assert_allclose(c_gpu.get(), c_cpu, atol=1e-8)


@pytest.mark.parametrize("estimator", INSTANCES, ids=[type(e).__name__ for e in INSTANCES])
@pytest.mark.parametrize("mode", ["cupy_input", "device_gpu"])
def test_estimator_on_gpu_matches_cpu(estimator, mode):
    import cupy

    reason = expected_failed_checks(estimator).get("check_gpu")
    if reason:
        pytest.skip(reason)
    X, y = generic_data(estimator)
    kind = estimator_kind(estimator)
    cpu = clone(estimator)
    gpu = clone(estimator)
    if mode == "cupy_input":
        Xg, yg = cupy.asarray(X), (cupy.asarray(y) if kind == "regressor" else y)
    else:
        gpu.set_params(device="gpu")
        Xg, yg = X, y
    if kind == "cluster":
        from sksubspace.metrics import clustering_accuracy

        assert clustering_accuracy(cpu.fit_predict(X), to_numpy(gpu.fit_predict(Xg))) == 1.0
        return
    cpu.fit(X, y)
    gpu.fit(Xg, yg)
    for method in ("predict", "transform", "decision_function", "score_samples"):
        if hasattr(cpu, method):
            out = getattr(gpu, method)(Xg)
            if mode == "device_gpu":
                assert isinstance(out, np.ndarray), "device='gpu' must hand NumPy back"
            np.testing.assert_allclose(
                np.asarray(to_numpy(out), dtype=float),
                np.asarray(getattr(cpu, method)(X), dtype=float),
                rtol=1e-5,
                atol=1e-6,
            )
