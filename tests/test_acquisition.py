"""Paid acquisition has diminishing returns as the pool of non-customers thins."""

import math

import pytest

import relsim
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
    # the two limits of diminishing returns: a budget that could reach the pool many times
    # over reaches (nearly) all of it; a pool far larger than the budget's reach costs
    # cost_per_reach a prospect
    spend_reach = 100 / (10 * trial(firm))  # prospects the day's spend would buy undiluted
    assert rates[-2] == pytest.approx(1.0, abs=1e-6)  # 1 person, 1,000 reaches' worth
    assert firm.reach_rate(10_000_000) == pytest.approx(spend_reach, rel=1e-4)
    # the cost of the marginal acquisition rises: 1000 people cost more each than 100,000
    assert 100 / rates[1] > 100 / rates[0]


def test_a_years_paid_acquisitions_are_the_budget_over_the_cost():
    # End to end: the market's pool (some 1,200 prospects) is large against the day's reach
    # (ten prospects), so paid acquisitions over a year are Poisson with mean budget / cost
    # (3,650 / 10 = 365) up to the pool's dilution, 1 - exp(-10/1200) (0.4%), below the
    # count's sampling error (5%). Two-sided.
    from sampling import assert_near

    sc = small(
        **{
            "firms.focal.acquisition_budget_per_year": 3650,
            "firms.focal.cost_per_acquisition": 10,
        }
    )
    res = relsim.simulate(sc, seed=5)
    ts = res.timeseries[res.timeseries["firm"] == "focal"]
    n = float(ts["acquired_paid"].sum())
    expected = 3650 / 10 * sc.simulation.days / 365
    assert_near(n, expected, math.sqrt(expected))
