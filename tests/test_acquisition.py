"""Paid acquisition has diminishing returns as the pool of non-customers thins."""

import math

import pytest

from conftest import small
from relsim.model.market import Market


@pytest.fixture(scope="module")
def firm():
    sc = small(
        **{"firms.focal.acquisition_budget_per_year": 36500, "firms.focal.cost_per_acquisition": 10}
    )
    return Market(sc, seed=1).firms[0]  # spends 100 a day at 10 an acquisition


def trial(firm):
    return 1.0 / (1.0 + math.exp(-firm.trial_logit))


def test_acquisitions_are_budget_over_cost_while_the_pool_is_large(firm):
    # reach is bought at cost_per_acquisition * P(trial) per prospect, so without coupons the
    # expected acquisitions per day are spend / cost_per_acquisition
    assert firm.reach_rate(10_000_000) * trial(firm) == pytest.approx(10.0, rel=1e-5)


def test_reach_falls_as_the_pool_thins_and_never_exceeds_the_pool(firm):
    pools = (100_000, 1_000, 100, 10, 1, 0)
    rates = [firm.reach_rate(p) for p in pools]
    assert rates == sorted(rates, reverse=True)
    assert all(r <= p for r, p in zip(rates, pools, strict=True))
    # each person in the pool is reached with probability 1 - exp(-spend / (cost * pool))
    per_reach = 10 * trial(firm)
    assert rates[3] == pytest.approx(10 * (1 - math.exp(-100 / per_reach / 10)))
    # the cost of the marginal acquisition rises: 1000 people cost more each than 100,000
    assert 100 / rates[1] > 100 / rates[0]
