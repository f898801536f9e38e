"""Paid acquisition has diminishing returns as the pool of non-customers thins."""

import math

import pytest

from conftest import small
from relsim.model import Market


@pytest.fixture(scope="module")
def firm():
    sc = small(**{"firms.focal.acquisition_budget_per_year": 36500,
                  "firms.focal.cost_per_acquisition": 10})
    return Market(sc, seed=1).firms[0]  # spends 100 a day at 10 an acquisition


def test_rate_is_budget_over_cost_while_the_pool_is_large(firm):
    assert firm.paid_acquisition_rate(10_000_000) == pytest.approx(10.0, rel=1e-5)


def test_rate_falls_as_the_pool_thins_and_never_exceeds_the_pool(firm):
    rates = [firm.paid_acquisition_rate(p) for p in (100_000, 1_000, 100, 10, 1, 0)]
    assert rates == sorted(rates, reverse=True)
    assert all(r <= p for r, p in zip(rates, (100_000, 1_000, 100, 10, 1, 0), strict=True))
    # each person in the pool is reached with probability 1 - exp(-spend / (cost * pool))
    assert rates[3] == pytest.approx(10 * (1 - math.exp(-1.0)))
    # the cost of the marginal acquisition rises: 1000 people cost more each than 100,000
    assert 100 / rates[1] > 100 / rates[0]
