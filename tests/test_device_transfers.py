"""Fits stay on the device: device-to-host transfers per fit do not grow with the data.

Every estimator is fitted on array_api_strict float32 input at two sizes (``n``
and ``2n`` samples; for dictionary learners also ``k`` and ``2k`` atoms) while
:class:`tests._transfers.TransferCounter` counts each conversion to the host.
A fit may read back a small constant number of scalars per iteration (a
convergence test) and hand results to the host where the algorithm needs it
(the spectral step's eigensolver), but neither the number of transfers per
iteration may grow with the samples or atoms (a Python loop over rows or atoms
that reads each one back), nor the bytes moved faster than linearly in the
samples (a whole ``block x n`` similarity block copied to keep a few entries
per row).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, clone

from sksubspace._backend import get_namespace
from sksubspace.utils import all_estimators

from ._helpers import estimator_kind, generic_data, make_instance
from ._transfers import TransferCounter

xs = pytest.importorskip("array_api_strict")

#: Slack of the comparisons: per-iteration counts may vary by 25% + 4 reads between
#: the sizes (different iterates take different branches), bytes may grow 2.5x for 2x
#: the samples (linear growth, with room for a changed number of iterations).
COUNT_RATIO, COUNT_SLACK = 1.25, 4
BYTES_RATIO, BYTES_SLACK = 2.5, 4096

#: Parameters for the harness only: one restart, so that the iterations an
#: estimator reports (``n_iter_`` of the run it keeps) are all the iterations it ran;
#: fewer iterations where array_api_strict makes a long run slow (the count per
#: iteration is what is compared).
HARNESS_PARAMS = {
    "KSubspaces": {"n_init": 1, "random_state": 0},
    "FactorizedCompletion": {"max_iter": 40},
    "LowRankRepresentation": {"max_iter": 40},
    "GrassmannMinimumDistanceClassifier": {"max_iter": 20},
}


def _iterations(est, n_samples):
    """Iterations the fit ran, from what the estimator reports.

    ``n_iter_`` (summed over classes / targets); the chunks of a streaming fit;
    for OnlineKernelRidge the batches plus the basis joins (the ALD test is
    sequential: whether a row joins depends on the rows that joined before it,
    so each join reads one index back).
    """
    name = type(est).__name__
    if name == "StreamingPCA":
        return math.ceil(n_samples / est.batch_size)
    if name == "OnlineKernelRidge":
        return math.ceil(n_samples / est.batch_size) + est.n_basis_
    n_iter = getattr(est, "n_iter_", None)
    if n_iter is None:
        return 1
    return max(1, int(np.sum(np.asarray(n_iter))))


def _strict_data(est, n_samples):
    X, y = generic_data(est, n_samples=n_samples)
    Xs = xs.asarray(X.astype(np.float32))
    if estimator_kind(est) == "regressor":
        y = xs.asarray(y.astype(np.float32))
    return Xs, y


def count_fit(est, X, y=None):
    """Fit a clone of ``est`` and return ``(transfers, bytes, iterations, sites)``."""
    est = clone(est)
    with TransferCounter() as counter:
        est.fit(X, y)
    return counter.count, counter.nbytes, _iterations(est, X.shape[0]), counter.report()


def assert_transfers_bounded(small, large, label=""):
    """Transfers per iteration do not grow from ``small`` to ``large``; bytes at most linearly.

    ``small`` and ``large`` are :func:`count_fit` results at ``n`` and ``2n``
    samples (or ``k`` and ``2k`` atoms).
    """
    (c1, b1, it1, sites1), (c2, b2, it2, sites2) = small, large
    more_iter = max(1.0, it2 / it1)
    msg = (
        f"{label}: {c1} transfers ({b1} B) in {it1} iterations at the small size, "
        f"{c2} ({b2} B) in {it2} at twice the size.\nsmall:\n{sites1}\nlarge:\n{sites2}"
    )
    assert c2 <= COUNT_RATIO * c1 * more_iter + COUNT_SLACK, msg
    assert b2 <= BYTES_RATIO * b1 * more_iter + BYTES_SLACK, msg


# Estimators that still read the host in a loop over samples or move a quadratic
# amount of data, with where and why (the test fails the day one is fixed: strict).
_LASSO = (
    "sksubspace/_lasso.py's active-set solver reads back about 6 scalars per inner "
    "step (_lasso.py:385-515), and the inner steps grow with the samples"
)
KNOWN_GROWTH = {
    "JointSVDClustering": (
        "compression/_base.py and _clustering.py read residuals back point by point "
        "(about 13 reads per sample)"
    ),
    "LeastSquaresSubspaceClustering": (
        "the dense n x n representation goes to the host spectral step (dense affinity)"
    ),
    "OnlineDictionaryLearning": f"its sparse coding: {_LASSO}",
}
#: Known, and too slow on array_api_strict to run in the default suite (seconds per fit).
KNOWN_GROWTH_NOT_RUN = {
    "CodingRateClustering": f"its lasso steps: {_LASSO}",
    "ElasticNetSubspaceClustering": _LASSO,
    "SparseSubspaceClustering": _LASSO,
    "MultiRepresentationSubspaceClustering": f"SSC per representation: {_LASSO}",
}


def _cases():
    for name, cls in all_estimators():
        marks = []
        if name in KNOWN_GROWTH:
            marks.append(pytest.mark.xfail(reason=KNOWN_GROWTH[name], strict=True))
        if name in KNOWN_GROWTH_NOT_RUN:
            marks.append(pytest.mark.xfail(reason=KNOWN_GROWTH_NOT_RUN[name], run=False))
        yield pytest.param(cls, id=name, marks=marks)


@pytest.mark.parametrize("cls", list(_cases()))
def test_transfers_do_not_grow_with_samples(cls):
    est = make_instance(cls).set_params(**HARNESS_PARAMS.get(cls.__name__, {}))
    n = 60
    small = count_fit(est, *_strict_data(est, n))
    large = count_fit(est, *_strict_data(est, 2 * n))
    assert_transfers_bounded(small, large, cls.__name__)


#: Estimators whose sweep loops over atoms: k and 2k atoms on the same data.
@pytest.mark.parametrize("name", ["KSVD"])
def test_transfers_do_not_grow_with_atoms(name):
    cls = dict(all_estimators())[name]
    rng = np.random.RandomState(0)
    D = rng.standard_normal((16, 12))
    C = rng.standard_normal((200, 16)) * (rng.uniform(size=(200, 16)) < 0.15)
    X = xs.asarray((C @ D + 0.01 * rng.standard_normal((200, 12))).astype(np.float32))
    est = cls(n_nonzero_coefs=2, max_iter=5, tol=0.0, random_state=0)
    small = count_fit(est.set_params(n_components=6), X)
    large = count_fit(est.set_params(n_components=12), X)
    assert_transfers_bounded(small, large, f"{name} atoms")


class _PerSampleLoop(RegressorMixin, BaseEstimator):
    """A deliberately bad fit: reads every target back to the host in a Python loop."""

    def __init__(self, per_sample=True):
        self.per_sample = per_sample

    def fit(self, X, y):
        xp = get_namespace(X)
        total = 0.0
        if self.per_sample:
            for i in range(X.shape[0]):
                total += float(y[i])
        else:
            total = float(xp.sum(y))
        self.mean_ = total / X.shape[0]
        return self


@pytest.mark.parametrize("per_sample", [True, False])
def test_harness_catches_a_per_sample_loop(per_sample):
    est = _PerSampleLoop(per_sample=per_sample)
    small = count_fit(est, *_strict_data(est, 60))
    large = count_fit(est, *_strict_data(est, 120))
    assert small[0] == (60 if per_sample else 1), small[3]
    if per_sample:
        with pytest.raises(AssertionError, match="transfers"):
            assert_transfers_bounded(small, large, "per-sample loop")
    else:
        assert_transfers_bounded(small, large, "one reduction")


def test_harness_catches_a_quadratic_copy():
    """A constant number of transfers, but each copies an n x n block: bytes flag it."""

    class _Quadratic(RegressorMixin, BaseEstimator):
        def fit(self, X, y):
            xp = get_namespace(X)
            self.gram_ = np.asarray(X @ xp.matrix_transpose(X))
            return self

    est = _Quadratic()
    small = count_fit(est, *_strict_data(est, 60))
    large = count_fit(est, *_strict_data(est, 120))
    assert small[0] == large[0] == 1
    with pytest.raises(AssertionError, match="B\\)"):
        assert_transfers_bounded(small, large, "quadratic copy")


def test_counter_counts_each_kind_once():
    x = xs.asarray([1.0, 2.0, 3.0])
    with TransferCounter() as t:
        float(x[0])
        bool(x[1] > 0)
        int(xs.astype(x[2], xs.int64))
        np.asarray(x)
        np.from_dlpack(x)
        x[x > 1.5]
        xs.nonzero(x > 1.5)
        _ = x + 1  # stays on the device
        _ = x[:2]
    assert t.count == 7, t.report()
    assert t.nbytes == 8 * 5 + 2 * 3 * 8
    # Restored on exit: nothing counts afterwards.
    float(x[0])
    assert t.count == 7
