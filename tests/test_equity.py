"""Customer equity: the ladder chain's values, its estimation, and what it adds to a run."""

import math

import numpy as np
import pytest

from relsim.analysis.economics import daily_ledger
from relsim.analysis.equity import STATES, LadderChain, customer_equity, estimate_chain
from relsim.analysis.metrics import run_metrics
from relsim.model.rates import YEAR

N = len(STATES)


def chain(q: np.ndarray, m: np.ndarray, delta: float = 0.1) -> LadderChain:
    exits = -q.sum(axis=1)
    return LadderChain(q, exits, m, np.zeros(N), np.ones(N), delta)


def test_a_rung_with_only_exits_is_worth_margin_over_hazard_plus_discount():
    # Gupta & Lehmann (2003) in continuous time: m / (h + delta), and over H years
    # m / (h + delta) * (1 - exp(-(h + delta) H)).
    h = np.array([0.5, 0.3, 0.2, 0.1, 0.05])
    m = np.array([100.0, 200.0, 300.0, 400.0, 500.0])
    c = chain(-np.diag(h), m)
    assert c.values() == pytest.approx(m / (h + 0.1))
    assert c.values(3.0) == pytest.approx(m / (h + 0.1) * (1 - np.exp(-(h + 0.1) * 3.0)))


def test_a_move_up_the_ladder_values_by_first_step_analysis():
    # customer -> client at rate a; exits h0 and h1: v1 = m1/(h1+d), v0 = (m0 + a v1)/(a+h0+d)
    a, h0, h1, d = 2.0, 0.4, 0.25, 0.08
    q = np.zeros((N, N))
    q[0, 1], q[0, 0], q[1, 1] = a, -(a + h0), -h1
    for k in range(2, N):
        q[k, k] = -1.0
    m = np.array([50.0, 120.0, 0.0, 0.0, 0.0])
    v = chain(q, m, d).values()
    v1 = 120.0 / (h1 + d)
    assert v[1] == pytest.approx(v1)
    assert v[0] == pytest.approx((50.0 + a * v1) / (a + h0 + d))


def test_finite_horizon_values_match_a_monte_carlo_of_the_chain():
    # Simulate the chain itself (jump by jump, independent of the matrix formula) and
    # compare the mean discounted reward over 2 years with the formula, within 4 standard
    # errors of the Monte Carlo mean.
    rng = np.random.default_rng(99)
    q = np.zeros((N, N))
    rates = {(0, 1): 3.0, (1, 2): 0.6, (2, 1): 0.3, (2, 3): 0.4, (3, 4): 0.3, (4, 3): 0.2}
    exits = np.array([0.8, 0.5, 0.3, 0.2, 0.1])
    for (i, j), r in rates.items():
        q[i, j] = r
    q -= np.diag(q.sum(axis=1) + exits)
    m = np.array([10.0, 100.0, 160.0, 220.0, 300.0])
    d, horizon, start = 0.1, 2.0, 1
    expected = chain(q, m, d).values(horizon)[start]
    totals = np.empty(20000)
    for k in range(len(totals)):
        t, s, total = 0.0, start, 0.0
        while s >= 0 and t < horizon:
            out = -q[s, s]
            stay = min(rng.exponential(1 / out), horizon - t)
            total += m[s] * (math.exp(-d * t) - math.exp(-d * (t + stay))) / d
            t += stay
            if t >= horizon:
                break
            p = np.append(np.clip(q[s], 0, None), exits[s]) / out
            nxt = rng.choice(N + 1, p=p)
            s = -1 if nxt == N else nxt
        totals[k] = total
    se = totals.std(ddof=1) / math.sqrt(len(totals))
    assert abs(totals.mean() - expected) < 4 * se


def test_the_chain_sees_the_same_customer_years_as_the_ledger(small_run):
    sc, tables = small_run.scenario, small_run.tables()
    c = estimate_chain(sc, tables, sc.market.focal)
    ledger = daily_ledger(sc, tables, sc.market.focal)
    assert c.exposure_years.sum() == pytest.approx(ledger["customer_days"].sum() / YEAR)
    # Every rate is a count over the exposure: the exits add up to the relationships that
    # ended in the window (counted from the customers table).
    cu = tables["customers"]
    ended = cu[(cu["firm"] == sc.market.focal) & (cu["end_day"] > 0)]
    assert (c.exit_rates * c.exposure_years).sum() == pytest.approx(len(ended))


def test_equity_values_the_higher_rungs_more_and_enters_the_objective(default_run):
    # The mechanisms predict it: higher rungs buy more of their wallet here and defect less,
    # so a supporter is worth more than a client, an advocate more, a partner most.
    sc, tables = default_run.scenario, default_run.tables()
    eq = customer_equity(sc, tables, sc.market.focal)
    values = [eq[f"value_{s}"] for s in STATES[1:]]
    assert values == sorted(values) and values[0] > 0
    m = run_metrics(sc, tables)
    assert m["profit_plus_equity"] == pytest.approx(m["profit"] + m["customer_equity"])
    rate = sc.economics.discount_rate_per_year
    assert m["customer_equity_npv"] == pytest.approx(
        m["customer_equity"] * (1 + rate) ** (-sc.simulation.days / YEAR)
    )
