"""Sparse coding and dictionary learning: references, planted recovery, errors."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.decomposition import sparse_encode as sk_sparse_encode
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import orthogonal_mp_gram
from sklearn.utils._param_validation import InvalidParameterError

from sksubspace.datasets import make_sparse_coded_signals
from sksubspace.decomposition import (
    KSVD,
    OnlineDictionaryLearning,
    OrthogonalDictionaryLearning,
    SparseCoder,
    sparse_encode,
)
from sksubspace.decomposition._online_dict_learning import _forgetting_factor
from sksubspace.metrics import dictionary_recovery_score

from ._helpers import assert_allclose_ref


def _lasso_objective(X, C, D, alpha):
    return 0.5 * np.sum((X - C @ D) ** 2) + alpha * np.abs(C).sum()


def _lp_score(A, D):
    """``||A D0||_4^4 / n`` with atoms as rows: 1 for recovery up to signed permutation."""
    return float(np.sum((A @ D.T) ** 4) / D.shape[0])


@pytest.fixture(scope="module")
def coded():
    return make_sparse_coded_signals(300, 40, 20, n_nonzero_coefs=3, noise=0.01, random_state=0)


# --------------------------------------------------------------------------- sparse coding


def test_omp_matches_scikit_learn_supports_and_values(coded):
    X, D, _ = coded
    ours = sparse_encode(X, D, algorithm="omp", n_nonzero_coefs=4)
    ref = orthogonal_mp_gram(D @ D.T, D @ X.T, n_nonzero_coefs=4).T
    np.testing.assert_array_equal(ours != 0, ref != 0)
    np.testing.assert_allclose(ours, ref, atol=1e-10)


def test_omp_tolerance_stops_on_residual(coded):
    X, D, _ = coded
    code = sparse_encode(X, D, algorithm="omp", alpha=0.05)
    res = np.sum((X - code @ D) ** 2, axis=1)
    assert np.all(res <= 0.05 + 1e-12)
    ref = orthogonal_mp_gram(D @ D.T, D @ X.T, tol=0.05, norms_squared=np.sum(X**2, axis=1)).T
    # identical supports up to ties at the stopping boundary
    assert np.sum(np.any((code != 0) != (ref != 0), axis=1)) <= 1


@pytest.mark.parametrize("positive", [False, True])
def test_lasso_matches_scikit_learn_objective(coded, positive):
    X, D, _ = coded
    alpha = 0.05
    ours = sparse_encode(X, D, algorithm="lasso", alpha=alpha, positive=positive, tol=1e-10)
    ref = sk_sparse_encode(
        X, D, algorithm="lasso_cd", alpha=alpha, positive=positive, max_iter=5000
    )
    f_ours, f_ref = _lasso_objective(X, ours, D, alpha), _lasso_objective(X, ref, D, alpha)
    assert f_ours <= f_ref * (1 + 1e-6)
    np.testing.assert_allclose(ours, ref, atol=2e-3)
    if positive:
        assert ours.min() >= 0


def test_thresholds_follow_their_formulas(coded):
    X, D, _ = coded
    B = X @ D.T
    soft = sparse_encode(X, D, algorithm="threshold", alpha=0.3)
    np.testing.assert_allclose(soft, np.sign(B) * np.maximum(np.abs(B) - 0.3, 0))
    hard = sparse_encode(X, D, algorithm="hard_threshold", alpha=0.3)
    np.testing.assert_allclose(hard, np.where(np.abs(B) > 0.3, B, 0))
    pos = sparse_encode(X, D, algorithm="threshold", alpha=0.3, positive=True)
    np.testing.assert_allclose(pos, np.maximum(B - 0.3, 0))


def test_l0_is_exact_hard_threshold_for_orthogonal_dictionary():
    X, D, _ = make_sparse_coded_signals(
        200, n_features=12, orthogonal=True, density=0.2, random_state=1
    )
    alpha = 0.2
    code = sparse_encode(X, D, algorithm="l0", alpha=alpha)
    B = X @ D.T
    np.testing.assert_allclose(code, np.where(np.abs(B) > np.sqrt(2 * alpha), B, 0), atol=1e-10)


def test_l0_sparser_than_lasso_at_equal_residual(coded):
    # "Beyond l1": at (about) the same reconstruction error the l0 codes use fewer atoms.
    X, D, _ = coded
    l1 = sparse_encode(X, D, algorithm="lasso", alpha=0.02)
    err_l1 = np.linalg.norm(X - l1 @ D)
    best = None
    for a in np.geomspace(1e-4, 0.2, 25):
        c = sparse_encode(X, D, algorithm="l0", alpha=a, max_iter=300)
        if np.linalg.norm(X - c @ D) <= err_l1:
            best = c
    assert best is not None
    assert (best != 0).sum() < (l1 != 0).sum()


def test_sparse_encode_errors(coded):
    X, D, _ = coded
    with pytest.raises(ValueError, match="20 features but the dictionary atoms have 19"):
        sparse_encode(X, D[:, :19])
    with pytest.raises(ValueError, match="positive=True is not supported"):
        sparse_encode(X, D, algorithm="omp", positive=True)
    # bad arguments: scikit-learn's InvalidParameterError naming the parameter
    bad = [
        ({"algorithm": "lars"}, "'algorithm' parameter of sparse_encode must be a str among"),
        ({"n_nonzero_coefs": 0}, "'n_nonzero_coefs' parameter of sparse_encode must be an int"),
        ({"n_nonzero_coefs": 2.5}, "'n_nonzero_coefs' parameter"),
        ({"alpha": -0.1}, "'alpha' parameter of sparse_encode must be a float in the range"),
        ({"max_iter": 0}, "'max_iter' parameter"),
        ({"tol": -1.0}, "'tol' parameter"),
        ({"positive": "yes"}, "'positive' parameter"),
        ({"device": "tpu"}, "'device' parameter"),
    ]
    for kwargs, message in bad:
        with pytest.raises(InvalidParameterError, match=message):
            sparse_encode(X, D, **kwargs)
    with pytest.raises(InvalidParameterError, match="'X' parameter of sparse_encode"):
        sparse_encode(3.0, D)
    # lists of rows are array-like
    np.testing.assert_array_equal(
        sparse_encode(X[:3].tolist(), D.tolist(), n_nonzero_coefs=2),
        sparse_encode(X[:3], D, n_nonzero_coefs=2),
    )


def test_sparse_coder_transform_dtype_and_errors(coded):
    X, D, _ = coded
    coder = SparseCoder(D, transform_algorithm="omp", transform_n_nonzero_coefs=3)
    np.testing.assert_allclose(
        coder.fit_transform(X), sparse_encode(X, D, n_nonzero_coefs=3), atol=1e-12
    )
    code32 = coder.fit_transform(X.astype(np.float32))
    assert code32.dtype == np.float32
    again = pickle.loads(pickle.dumps(coder))
    np.testing.assert_allclose(again.transform(X), coder.transform(X), atol=1e-6)
    rec = coder.inverse_transform(coder.transform(X))
    assert np.linalg.norm(rec - X) < 0.2 * np.linalg.norm(X)
    with pytest.raises(ValueError, match="dictionary atoms have 20"):
        SparseCoder(D).fit(X[:, :5])
    with pytest.raises(ValueError, match="X has 5 features"):
        coder.transform(X[:, :5])
    with pytest.raises(ValueError, match="positive_code=True is not supported"):
        SparseCoder(D, positive_code=True).fit(X)


def test_sparse_encode_array_api_strict(coded):
    xs = pytest.importorskip("array_api_strict")
    X, D, _ = coded
    for alg, kw in [("omp", {"n_nonzero_coefs": 3}), ("lasso", {"alpha": 0.05})]:
        ref = sparse_encode(X, D, algorithm=alg, **kw)
        got = sparse_encode(xs.asarray(X), xs.asarray(D), algorithm=alg, **kw)
        assert isinstance(got, type(xs.asarray([1.0])))
        assert_allclose_ref(np.asarray(got), ref, atol=1e-8)


# --------------------------------------------------------------------------- learners


@pytest.fixture(scope="module")
def planted():
    return make_sparse_coded_signals(3000, 24, 16, n_nonzero_coefs=3, random_state=0)


def test_online_dictionary_learning_recovers_planted_atoms(planted):
    X, D, _ = planted
    odl = OnlineDictionaryLearning(
        24,
        fit_algorithm="omp",
        fit_n_nonzero_coefs=3,
        batch_size=200,
        max_iter=15,
        tol=0,
        max_no_improvement=None,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        odl.fit(X)
    assert dictionary_recovery_score(odl.components_, D) >= 0.9
    assert odl.n_steps_ == 15 * 15 and odl.n_iter_ == 15
    np.testing.assert_array_less(np.linalg.norm(odl.components_, axis=1), 1 + 1e-10)


def test_online_dictionary_learning_default_stopping_is_not_premature(planted):
    """The smoothed cost is averaged from the first step: seeded by one noisy batch after
    the warm-up, it used to stop the fit on 'no improvement' short of recovery (0.92)."""
    X, D, _ = planted
    odl = OnlineDictionaryLearning(
        24, fit_algorithm="omp", fit_n_nonzero_coefs=3, batch_size=100, max_iter=20, random_state=0
    ).fit(X)
    assert dictionary_recovery_score(odl.components_, D) >= 0.95
    assert odl.n_iter_ < 20  # and it does stop early


def test_online_dictionary_learning_lasso_decreases_objective(planted):
    X, D, _ = planted
    costs = []
    odl = OnlineDictionaryLearning(
        24,
        alpha=0.05,
        batch_size=300,
        max_iter=4,
        random_state=0,
        callback=lambda info: costs.append(info["batch_cost"]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        odl.fit(X)
    assert np.mean(costs[-5:]) < 0.7 * np.mean(costs[:3])
    # the learned dictionary beats its random initialization on the full objective
    code = sparse_encode(X, odl.components_, algorithm="lasso", alpha=0.05)
    init = X[np.random.RandomState(0).choice(3000, 24)]
    init /= np.linalg.norm(init, axis=1, keepdims=True)
    code0 = sparse_encode(X, init, algorithm="lasso", alpha=0.05)
    assert _lasso_objective(X, code, odl.components_, 0.05) < 0.7 * _lasso_objective(
        X, code0, init, 0.05
    )


def test_online_dictionary_learning_partial_fit_and_callback_stop(planted):
    X, D, _ = planted
    odl = OnlineDictionaryLearning(24, fit_algorithm="omp", fit_n_nonzero_coefs=3, random_state=0)
    for _ in range(8):
        for b in range(0, 3000, 300):
            odl.partial_fit(X[b : b + 300])
    assert odl.n_steps_ == 80
    assert dictionary_recovery_score(odl.components_, D) >= 0.8
    stopper = OnlineDictionaryLearning(
        24, batch_size=100, max_iter=50, random_state=0, callback=lambda info: info["step"] >= 3
    ).fit(X)
    assert stopper.n_steps_ == 3


def test_online_dictionary_learning_short_batch_counts_by_its_size(planted):
    """Every signal adds ``c'c / batch_size`` and the past is forgotten in signal time,
    ``(n_seen / (n_seen + m))^rho``: a short batch (the end of an epoch) does not weigh
    as much as a full one (it used to be normalized by its own size)."""
    X, _, _ = planted
    odl = OnlineDictionaryLearning(24, alpha=0.05, batch_size=200, random_state=0)
    odl.partial_fit(X[:200])
    A1, B1, D1 = odl._A.copy(), odl._B.copy(), odl.components_.copy()
    short = X[200:220]
    odl.partial_fit(short)
    C = sparse_encode(short, D1, algorithm="lasso", alpha=0.05)
    beta = (200 / 220) ** 10
    np.testing.assert_allclose(odl._A, beta * A1 + C.T @ C / 200, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(odl._B, beta * B1 + C.T @ short / 200, rtol=1e-8, atol=1e-12)
    # in signal time, two half batches forget as much as one full batch
    f = _forgetting_factor
    assert f(1000, 100) * f(1100, 100) == pytest.approx(f(1000, 200))
    assert f(3 * 256, 256) == pytest.approx((1 - 1 / 4) ** 10)


@pytest.mark.parametrize("fit_algorithm", ["lasso", "omp"])
def test_online_dictionary_learning_threads_do_not_change_the_atoms(fit_algorithm):
    """Minibatches of 2048 signals x 64 atoms are coded in two blocks on two threads."""
    X, _, _ = make_sparse_coded_signals(4096, 64, 32, n_nonzero_coefs=3, random_state=1)
    fits = [
        OnlineDictionaryLearning(
            64,
            alpha=0.1,
            fit_algorithm=fit_algorithm,
            fit_n_nonzero_coefs=3,
            batch_size=2048,
            max_iter=2,
            tol=0,
            max_no_improvement=None,
            random_state=0,
            n_jobs=n_jobs,
        )
        for n_jobs in (1, 2)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one, two = (odl.fit(X).components_ for odl in fits)
    np.testing.assert_allclose(two, one, rtol=1e-8, atol=1e-10)
    with pytest.raises(ValueError, match="n_jobs == 0"):
        OnlineDictionaryLearning(8, n_jobs=0).fit(X)


def test_online_dictionary_learning_positive_and_float32(planted):
    X, _, _ = planted
    Xp = np.abs(X).astype(np.float32)
    odl = OnlineDictionaryLearning(
        10,
        alpha=0.1,
        batch_size=500,
        max_iter=2,
        positive_code=True,
        positive_dict=True,
        transform_algorithm="lasso",
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        code = odl.fit_transform(Xp)
    assert odl.components_.dtype == np.float32 and code.dtype == np.float32
    assert odl.components_.min() >= 0 and code.min() >= 0
    with pytest.raises(ValueError, match="not supported with fit_algorithm='omp'"):
        OnlineDictionaryLearning(fit_algorithm="omp", positive_code=True).fit(X)


def test_ksvd_recovers_planted_atoms(planted):
    X, D, _ = planted
    ksvd = KSVD(24, n_nonzero_coefs=3, max_iter=30, tol=1e-6, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ksvd.fit(X)
    assert dictionary_recovery_score(ksvd.components_, D) >= 0.9
    np.testing.assert_allclose(np.linalg.norm(ksvd.components_, axis=1), 1, atol=1e-10)
    code = ksvd.transform(X)
    assert (code != 0).sum(axis=1).max() <= 3


def test_ksvd_array_api_strict_matches_numpy(planted):
    xs = pytest.importorskip("array_api_strict")
    X, _, _ = planted
    X = X[:300]
    ref = KSVD(12, n_nonzero_coefs=2, max_iter=3, tol=0, random_state=0).fit(X)
    got = KSVD(12, n_nonzero_coefs=2, max_iter=3, tol=0, random_state=0).fit(xs.asarray(X))
    assert_allclose_ref(np.asarray(got.components_), ref.components_, atol=1e-8)


@pytest.mark.parametrize("p", [3, 4])
def test_orthogonal_dictionary_learning_recovers(p):
    X, D, _ = make_sparse_coded_signals(
        4000, n_features=20, orthogonal=True, density=0.1, random_state=0
    )
    odl = OrthogonalDictionaryLearning(p=p, random_state=0).fit(X)
    A = odl.components_
    np.testing.assert_allclose(A @ A.T, np.eye(20), atol=1e-10)
    assert _lp_score(A, D) >= 0.99
    # hard thresholding of X A' is the planted code up to signed permutation
    code = odl.transform(X)
    np.testing.assert_allclose(code @ A, X, atol=1e-8)


def test_orthogonal_dictionary_learning_online_frank_wolfe():
    X, D, _ = make_sparse_coded_signals(
        20000, n_features=10, orthogonal=True, density=0.1, random_state=0
    )
    odl = OrthogonalDictionaryLearning(random_state=0)
    scores = []
    for b in range(0, 20000, 250):
        odl.partial_fit(X[b : b + 250])
        scores.append(_lp_score(odl.components_, D))
    assert scores[-1] >= 0.9
    assert scores[-1] > scores[0]
    assert odl.n_iter_ == 80


def test_learners_reject_bad_input(planted):
    X, _, _ = planted
    with pytest.raises(ValueError, match="dict_init must have shape"):
        KSVD(24, dict_init=np.ones((3, 16))).fit(X)
    with pytest.raises(ValueError):
        OrthogonalDictionaryLearning(p=2).fit(X)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        OnlineDictionaryLearning(4).fit(Xn)
