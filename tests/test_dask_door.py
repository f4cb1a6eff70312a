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


def _dask_twin(name):
    """An instance of a Dask estimator with settings its Dask path supports."""
    params = {
        "NystromKernelRidge": dict(n_centers=20, random_state=0),
        "OnlineKernelRidge": dict(),
        "RobustPCA": dict(max_iter=10, random_state=0),
        "SoftImpute": dict(shrinkage=None, center="columns", max_rank=3, random_state=0),
        "StreamingPCA": dict(n_components=3, random_state=0),
    }[name]
    return dict(all_estimators())[name](**params)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", sorted(DASK_ESTIMATORS))
def test_dask_estimators_match_numpy_on_the_door_data(name):
    """The issue's table: 60 x 8 data in 3 row chunks give the in-memory model's outputs."""
    import dask

    rng = np.random.RandomState(0)
    X = rng.randn(60, 8)
    y = X @ rng.randn(8) + 0.1 * rng.randn(60)
    Xd = da.from_array(X, chunks=(20, 8))
    # StreamingPCA.fit shuffles across the whole array in memory and within blocks for Dask;
    # partial_fit streams the same row blocks either way.
    method = "partial_fit" if name == "StreamingPCA" else "fit"
    with dask.config.set(scheduler="sync"):
        ref = getattr(_dask_twin(name), method)(X, y)
        est = getattr(_dask_twin(name), method)(Xd, y)
        if name == "StreamingPCA":
            ref = _dask_twin(name)
            for block in np.split(X, 3):
                ref.partial_fit(block)
        out = "predict" if hasattr(est, "predict") else "transform"
        got = getattr(est, out)(Xd)
        assert isinstance(got, da.Array)  # lazy, blockwise
        got = got.compute()
    want = getattr(ref, out)(X)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8 * np.abs(want).max())
