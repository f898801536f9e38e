"""Docking: in special cases the model must agree with what theory predicts.

With every switching hazard constant (neglect with a zero ramp, dissatisfaction from its base
rate, no service failures, no contacts, no referrals) and paid acquisition from a pool so large
that its rate ``A`` is effectively fixed, the focal firm is an M/M/infinity queue: the number
of customers at time t is Poisson with mean ``(A/H)(1 - exp(-H t))``, where ``H`` is the total
hazard, and each defection's cause is a multinomial draw with probabilities ``h_c / H``; a
relationship's tenure is exponential with mean ``1 / H``. With referral-only acquisition and
no churn, adoption follows the Bass (1969) curve with p = 0 and q = the referral rate.
"""

import math

import numpy as np
import pytest
from sampling import t_two

import relsim
from relsim.config.schema import validate
from relsim.model.causes import CAUSE_LABELS

HAZARDS = {"relocation": 0.3, "other": 0.2, "neglect": 1.0, "dissatisfaction": 0.5}


def constant_hazard_scenario(people: int, firms: int, extra: list[str]) -> relsim.Scenario:
    sets = [
        f"simulation.people={people}",
        "simulation.days=1095",
        "simulation.warmup_days=0",
        f"switching.relocation_per_year={HAZARDS['relocation']}",
        f"switching.other_per_year={HAZARDS['other']}",
        f"switching.neglect_max_per_year={HAZARDS['neglect']}",
        "switching.neglect_ramp_days=0",
        f"switching.dissatisfaction_base_per_year={HAZARDS['dissatisfaction']}",
        "switching.defector_joins_rival=0",
        "ladder.bond={customer=1,client=1,supporter=1,advocate=1,partner=1}",
        "ladder.price_barrier={customer=0,client=0,supporter=0,advocate=0,partner=0}",
        "ladder.referrals_per_year={customer=0,client=0,supporter=0,advocate=0,partner=0}",
    ]
    for f in ["focal", "rival"][:firms]:
        sets += [
            f"firms.{f}.service_failure_prob=0",
            f"firms.{f}.account_managers=0",
            f"firms.{f}.initial_customers=0",
            f"firms.{f}.promotion.depth=0",
        ]
    sc = relsim.load_scenario(overrides=sets + extra)
    if firms == 1:
        data = sc.to_dict()
        del data["firms"]["rival"]
        sc = validate(data, relsim.Scenario)
    return sc


def test_steady_state_customer_count_is_acquisition_rate_over_total_hazard():
    budget, cpa = 7300.0, 1.0  # 20 acquisitions a day while the pool is large
    sc = constant_hazard_scenario(
        200_000,
        1,
        [
            f"firms.focal.acquisition_budget_per_year={budget}",
            f"firms.focal.cost_per_acquisition={cpa}",
        ],
    )
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
        expected[last].mean() / 2.0
    )


def test_cause_shares_equal_hazard_shares():
    # Two firms, equal prices, no promotions and a price slope of zero: comparing prices ends in
    # a switch with the constant probability logistic(intercept) at each occasion.
    occasions, intercept = 2.0, 0.0
    sc = constant_hazard_scenario(
        20_000,
        2,
        [
            f"switching.price_occasions_per_year={occasions}",
            f"switching.price_intercept={intercept}",
            "switching.price_slope=0",
            "firms.focal.initial_customers=6000",
            "firms.rival.initial_customers=6000",
            "firms.focal.acquisition_budget_per_year=5000",
            "firms.rival.acquisition_budget_per_year=5000",
        ],
    )
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


def _tenure_mle(res) -> tuple[float, float]:
    """Mean tenure by maximum likelihood (exposure over exits, right-censored), and its SE."""
    cu = res.customers
    horizon = res.scenario.simulation.days
    exposure = (cu["end_day"].fillna(horizon) - cu["start_day"]).sum() / 365.0
    exits = int(cu["end_day"].notna().sum())
    mean = exposure / exits
    return mean, mean / math.sqrt(exits)  # SE of an exponential mean from `exits` events


def test_mean_tenure_is_one_over_the_hazard_and_halving_the_hazard_doubles_it():
    # Every one of 20,000 people is a customer from day 0 and leaves only by relocation, at a
    # constant 10% a year, then at 5%.
    means = {}
    for hazard in (0.10, 0.05):
        sc = relsim.load_scenario(
            overrides=[
                "simulation.people=20000",
                "simulation.days=1095",
                "simulation.warmup_days=0",
                f"switching.relocation_per_year={hazard}",
                "switching.other_per_year=0",
                "switching.neglect_max_per_year=0",
                "switching.dissatisfaction_per_grievance_per_year=0",
                "switching.price_occasions_per_year=0",
                "firms.focal.initial_customers=20000",
                "firms.rival.initial_customers=0",
                "firms.focal.service_failure_prob=0",
                "firms.focal.acquisition_budget_per_year=0",
                "firms.rival.acquisition_budget_per_year=0",
                "firms.focal.account_managers=0",
                "ladder.referrals_per_year={customer=0,client=0,supporter=0,advocate=0,partner=0}",
            ]
        )
        means[hazard] = _tenure_mle(relsim.simulate(sc, seed=12))
        mean, se = means[hazard]
        assert abs(mean - 1.0 / hazard) < 4 * se, (hazard, mean, se)
    (m10, s10), (m5, s5) = means[0.10], means[0.05]
    ratio = m5 / m10
    se = ratio * math.sqrt((s10 / m10) ** 2 + (s5 / m5) ** 2)  # delta method, independent runs
    assert abs(ratio - 2.0) < 4 * se, (ratio, se)


def test_referral_only_adoption_follows_the_bass_curve():
    # One firm, no exits, no churn, no paid acquisition: each customer refers at rate q a year
    # and a referral wins whoever it reaches in the pool, so dN/dt = q N (M - N) / M: the Bass
    # model with p = 0 (a logistic from N0).
    people, n0, q = 5_000, 100, 1.5
    sc = constant_hazard_scenario(
        people,
        1,
        [
            "switching.relocation_per_year=0",
            "switching.other_per_year=0",
            "switching.neglect_max_per_year=0",
            "switching.dissatisfaction_base_per_year=0",
            f"ladder.referrals_per_year={{customer={q},client={q},supporter={q},advocate={q},"
            f"partner={q}}}",
            f"firms.focal.initial_customers={n0}",
            "firms.focal.acquisition_budget_per_year=0",
        ],
    )
    paths = []
    for rep in range(10):  # independent replications: the SE of the mean path, with 9 df
        ts = relsim.simulate(sc, seed=21, replication=rep).timeseries
        paths.append(ts["active"].to_numpy())
    paths = np.array(paths, dtype=float)
    t = np.arange(paths.shape[1]) / 365.0
    bass = people * n0 * np.exp(q * t) / (people - n0 + n0 * np.exp(q * t))
    # The model steps a day at a time: the discrete logistic is the exact expectation of its
    # drift; the continuous curve differs from it by less than the discretisation allowance.
    discrete = np.empty_like(bass)
    discrete[0] = n0
    for d in range(1, len(discrete)):
        n = discrete[d - 1]
        discrete[d] = n + q / 365.0 * n * (people - n) / people
    allowance = np.abs(discrete - bass)
    mean, sd = paths.mean(axis=0), paths.std(axis=0, ddof=1)
    for day in (180, 365, 730, 1095):
        se = sd[day] / math.sqrt(len(paths))
        assert abs(mean[day] - bass[day]) < t_two(len(paths) - 1) * se + allowance[day] + 1e-9, (
            day,
            mean[day],
            bass[day],
            se,
        )
    # and the curve is not met trivially: adoption grew from 2% of the market to most of it
    assert mean[1095] > 30 * n0
