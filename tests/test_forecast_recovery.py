"""Parameter recovery: each fitter recovers the parameters of data from its own process.

The estimate should lie within four of its own standard errors of the truth; with four
parameters that fails by chance with probability about 4 * 6e-5 for a correct fitter.
"""

import numpy as np
import pytest

from relsim.forecast.fitters.bgnbd import fit_bgnbd
from relsim.forecast.fitters.gammagamma import GammaGammaModel
from relsim.forecast.fitters.paretonbd import fit_paretonbd
from relsim.forecast.synthetic import bgnbd_sample, gammagamma_sample, paretonbd_sample


def assert_recovers(res, truth):
    est, se = np.asarray(res.params), np.asarray(res.bse)
    assert res.mle_retvals["converged"]
    assert np.all(np.abs(est - truth) < 4 * se), (est, se, truth)


def test_bgnbd_recovers_its_parameters():
    rng = np.random.default_rng(101)
    truth = np.array([0.5, 6.0, 0.8, 3.0])
    data = bgnbd_sample(truth, rng.uniform(30, 52, 6000), rng)
    assert_recovers(fit_bgnbd(data), truth)


def test_paretonbd_recovers_its_parameters():
    rng = np.random.default_rng(202)
    truth = np.array([0.6, 8.0, 0.7, 10.0])
    data = paretonbd_sample(truth, rng.uniform(30, 52, 6000), rng)
    assert_recovers(fit_paretonbd(data), truth)


def test_gamma_gamma_recovers_its_parameters():
    rng = np.random.default_rng(303)
    truth = np.array([5.0, 4.0, 12.0])
    x = rng.integers(1, 12, 4000)
    res = GammaGammaModel(x, gammagamma_sample(truth, x, rng)).fit()
    assert_recovers(res, truth)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bgnbd_recovery_is_not_one_lucky_seed(seed):
    rng = np.random.default_rng(seed)
    truth = np.array([0.8, 4.0, 1.2, 2.5])
    data = bgnbd_sample(truth, rng.uniform(20, 40, 3000), rng)
    assert_recovers(fit_bgnbd(data), truth)
