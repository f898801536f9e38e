"""Docking: with constant hazards the model must agree with what queueing theory predicts.

With every switching hazard constant (neglect with a zero ramp, dissatisfaction from its base
rate, no service failures, no contacts, no referrals) and paid acquisition from a pool so large
that its rate ``A`` is effectively fixed, the focal firm is an M/M/infinity queue: the number
of customers at time t is Poisson with mean ``(A/H)(1 - exp(-H t))``, where ``H`` is the total
hazard, and each defection's cause is a multinomial draw with probabilities ``h_c / H``.
"""

import math

import numpy as np
import pytest

import relsim
from relsim.config.schema import validate
from relsim.model.causes import CAUSE_LABELS

HAZARDS = {"relocation": 0.3, "other": 0.2, "neglect": 1.0, "dissatisfaction": 0.5}


def constant_hazard_scenario(people: int, firms: int, extra: list[str]) -> relsim.Scenario:
    sets = [
        f"simulation.people={people}", "simulation.days=1095",
        f"switching.relocation_per_year={HAZARDS['relocation']}",
        f"switching.other_per_year={HAZARDS['other']}",
        f"switching.neglect_max_per_year={HAZARDS['neglect']}", "switching.neglect_ramp_days=0",
        f"switching.dissatisfaction_base_per_year={HAZARDS['dissatisfaction']}",
        "switching.defector_joins_rival=0",
        "ladder.bond={customer=1,client=1,supporter=1,advocate=1,partner=1}",
        "ladder.price_barrier={customer=0,client=0,supporter=0,advocate=0,partner=0}",
        "ladder.referrals_per_year={customer=0,client=0,supporter=0,advocate=0,partner=0}",
    ]
    for f in ["focal", "rival"][:firms]:
        sets += [f"firms.{f}.service_failure_prob=0", f"firms.{f}.account_managers=0",
                 f"firms.{f}.initial_customers=0", f"firms.{f}.promotion.depth=0"]
    sc = relsim.load_scenario(overrides=sets + extra)
    if firms == 1:
        data = sc.to_dict()
        del data["firms"]["rival"]
        sc = validate(data, relsim.Scenario)
    return sc


def test_steady_state_customer_count_is_acquisition_rate_over_total_hazard():
    budget, cpa = 7300.0, 1.0  # 20 acquisitions a day while the pool is large
    sc = constant_hazard_scenario(200_000, 1, [
        f"firms.focal.acquisition_budget_per_year={budget}",
        f"firms.focal.cost_per_acquisition={cpa}"])
    res = relsim.simulate(sc, seed=3)
    ts = res.timeseries
    # the acquisition rate the model should have used, from the pool it actually had
    s = budget / 365.0 / cpa
    pool = ts["pool"].to_numpy()[:-1]
    rate = float(np.mean(pool * -np.expm1(-s / pool)))
    h = sum(HAZARDS.values()) / 365.0
    t = ts["day"].to_numpy()
    expected = rate / h * (1.0 - np.exp(-h * t))
    # At the end the count is Poisson: four standard deviations either way.
    end_mean = expected[-1]
    assert abs(ts["active"].iloc[-1] - end_mean) < 4.0 * math.sqrt(end_mean)
    # Averaged over the last year, the error shrinks (autocorrelation time 1/h = 0.5 years, so
    # at least one independent sample per half year): the same four-sigma band still holds.
    last = t >= 730
    assert abs(ts["active"][last].mean() - expected[last].mean()) < 4.0 * math.sqrt(
        expected[last].mean() / 2.0)


def test_cause_shares_equal_hazard_shares():
    # Two firms, equal prices, no promotions and a price slope of zero: comparing prices ends in
    # a switch with the constant probability logistic(intercept) at each occasion.
    occasions, intercept = 2.0, 0.0
    sc = constant_hazard_scenario(20_000, 2, [
        f"switching.price_occasions_per_year={occasions}",
        f"switching.price_intercept={intercept}", "switching.price_slope=0",
        "firms.focal.initial_customers=6000", "firms.rival.initial_customers=6000",
        "firms.focal.acquisition_budget_per_year=5000",
        "firms.rival.acquisition_budget_per_year=5000"])
    res = relsim.simulate(sc, seed=4)
    hz = dict(HAZARDS, price=occasions / (1.0 + math.exp(-intercept)))
    total = sum(hz.values())
    ended = res.customers[res.customers["cause"].notna()]
    n = len(ended)
    assert n > 10_000
    shares = ended["cause"].value_counts(normalize=True)
    for cause in CAUSE_LABELS:
        p = hz[cause] / total
        se = math.sqrt(p * (1 - p) / n)
        assert shares[cause] == pytest.approx(p, abs=4 * se), cause
