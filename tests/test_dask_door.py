"""One door for Dask: estimators that do not declare Dask support refuse it at once."""

import numpy as np
import pytest

from sksubspace._validation import accepts_dask
from sksubspace.utils import all_estimators

da = pytest.importorskip("dask.array")

DASK_ESTIMATORS = {
    "NystromKernelRidge",
    "OnlineKernelRidge",
    "RobustPCA",
    "SoftImpute",
    "StreamingPCA",
}


def _instance(cls):
    params = dict(getattr(cls, "_test_init_params", {}))
    if cls.__name__ == "SparseCoder":
        params["dictionary"] = np.eye(8)
    return cls(**params)


def test_the_dask_estimators_are_the_declared_ones():
    declared = {name for name, cls in all_estimators() if accepts_dask(cls)}
    assert declared == DASK_ESTIMATORS


@pytest.mark.parametrize(
    "name, cls",
    [(n, c) for n, c in all_estimators() if not accepts_dask(c)],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_dask_input_is_refused_with_a_clear_error(name, cls):
    rng = np.random.RandomState(0)
    X = rng.randn(60, 8)
    y = (rng.randn(60) > 0).astype(int)
    est = _instance(cls)
    with pytest.raises(TypeError, match=r"does not take Dask arrays.*X\.compute\(\).*RobustPCA"):
        est.fit(da.from_array(X, chunks=(20, 8)), y)
    # a model fitted in memory refuses Dask input at predict / transform time too
    est.fit(X, y)
    for method in ("predict", "transform", "decision_function", "score_samples"):
        if hasattr(est, method):
            with pytest.raises(TypeError, match="does not take Dask arrays"):
                getattr(est, method)(da.from_array(X, chunks=(20, 8)))
            break
