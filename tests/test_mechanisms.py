"""Direction of effect: a lever moves the cause it acts on, the way its mechanism says.

Each comparison runs the same seed (common random numbers: the same people, the same draws)
with one lever changed. The levers are moved far enough that the effect is many standard
errors of the Poisson counts involved.
"""

import functools
import math

import numpy as np
from sampling import assert_above, assert_near, t_one, t_two, z_one

import relsim
from conftest import small
from relsim.analysis.metrics import run_metrics


@functools.cache
def _losses(overrides: tuple[tuple[str, object], ...], reps: int) -> dict[str, int]:
    total: dict[str, int] = {}
    for rep in range(reps):
        sc = small(**{"simulation.days": 730, **dict(overrides)})
        res = relsim.simulate(sc, seed=21, replication=rep)
        cu = res.customers
        ended = cu[(cu["firm"] == "focal") & cu["cause"].notna()]
        for cause, n in ended["cause"].value_counts().items():
            total[cause] = total.get(cause, 0) + int(n)
    return total


def focal_losses(reps: int = 1, **overrides) -> dict[str, int]:
    """The focal firm's defections by cause over two years, summed over ``reps`` replications
    (each scenario simulated once per test process)."""
    return _losses(tuple(sorted(overrides.items())), reps)


def assert_falls(counts: list[int]) -> None:
    """Each count beyond the next by more than the two Poisson counts' error (a direction)."""
    for a, b in zip(counts, counts[1:], strict=False):
        assert_above(a, b, math.sqrt(a + b))


def test_more_account_managers_cut_the_neglect_defection_rate():
    # Two-hour contacts: one manager can make about 1,460 a year for some 5,000 due, so the
    # team goes from none, to overloaded, to ample. The claim is about the hazard, so compare
    # defections per customer-year (a count also grows with the customers kept).
    rates = []
    for k in (0, 1, 6):
        res = relsim.simulate(
            small(
                **{
                    "simulation.days": 730,
                    "firms.focal.account_managers": k,
                    "firms.focal.contact_duration_days": 0.25,
                }
            ),
            seed=21,
        )
        own = res.timeseries[res.timeseries["firm"] == "focal"]
        exposure = own["active"].iloc[:-1].sum() / 365.0
        n = int(own["lost_neglect"].iloc[1:].sum())
        rates.append((n / exposure, n / exposure**2))  # rate and its Poisson variance
    for (a, va), (b, vb) in zip(rates, rates[1:], strict=False):
        assert_above(a, b, math.sqrt(va + vb))


def test_a_deeper_rival_promotion_raises_price_defections():
    # three replications each: the step from 0.1 to none is some 30 defections a run
    counts = [
        focal_losses(3, **{"firms.rival.promotion.depth": d})["price"] for d in (0.3, 0.1, 0.0)
    ]
    assert_falls(counts)


def test_better_service_cuts_dissatisfaction_defections():
    counts = [
        focal_losses(**{"firms.focal.service_failure_prob": q})["dissatisfaction"]
        for q in (0.08, 0.03, 0.005)
    ]
    assert_falls(counts)


def test_a_loyalty_discount_cuts_price_defections():
    base = focal_losses()["price"]
    loyal = focal_losses(
        **{
            "firms.focal.loyalty_discount.depth": 0.15,
            "firms.focal.loyalty_discount.from_rung": '"client"',
        }
    )["price"]
    assert_falls([base, loyal])


def test_relocation_is_exogenous_to_strategy():
    # Staff do not keep people from moving house: relocations per customer-year are the same
    # with no account manager and with four (they differ in how many customers there are).
    rates = []
    for k in (0, 4):
        sc = small(**{"simulation.days": 730, "firms.focal.account_managers": k})
        res = relsim.simulate(sc, seed=21)
        own = res.timeseries[res.timeseries["firm"] == "focal"]
        exposure = own["active"].iloc[:-1].sum() / 365.0
        n = int(own["lost_relocation"].iloc[1:].sum())
        rates.append((n / exposure, n / exposure**2))  # rate and its Poisson variance
    (a, va), (b, vb) = rates
    assert_near(a, b, math.sqrt(va + vb))
    # both are the scenario's relocation hazard
    hazard = small().switching.relocation_per_year
    for r, v in rates:
        assert_near(r, hazard, math.sqrt(v))


def test_an_unstaffed_desk_leaves_every_complaint_unhandled():
    # Nobody to pick a complaint up: each one waits out the caller's patience and is abandoned.
    # So none is resolved, and every complaint filed more than a patience before the end is
    # abandoned (those filed in the last days are still waiting when the run ends).
    sc = small(**{"firms.focal.service_desk_staff": 0})
    res = relsim.simulate(sc, seed=8)
    ev = res.events[res.events["firm"] == "focal"]
    ts = res.timeseries[res.timeseries["firm"] == "focal"]
    patience = sc.recovery.patience_days
    filed_early = int(ts.loc[ts["day"] < sc.simulation.days - patience, "complaints"].sum())
    abandoned = int((ev["event"] == "complaint_abandoned").sum())
    assert (ev["event"] == "complaint_resolved").sum() == 0
    assert filed_early > 100  # enough complaints for the count to mean something
    assert filed_early <= abandoned <= int(ts["complaints"].sum())


def _rate(res, column):
    own = res.timeseries[res.timeseries["firm"] == "focal"]
    exposure = own["active"].iloc[:-1].sum() / 365.0
    n = int(own[column].iloc[1:].sum())
    return n / exposure, n / exposure**2  # rate per customer-year and its Poisson variance


def test_the_marginal_account_manager_matters_less_as_staff_grows():
    # Attention is spent: each manager's contacts go first to due contacts, then to the most
    # neglected. Going from one manager to two must cut the neglect rate by more than going
    # from four to eight (diminishing returns), and eight must be no worse than four.
    rates = {}
    for k in (1, 2, 4, 8):
        sc = small(**{"simulation.days": 730, "firms.focal.account_managers": k})
        rates[k] = _rate(relsim.simulate(sc, seed=31), "lost_neglect")
    (r1, v1), (r2, v2), (r4, v4), (r8, v8) = (rates[k] for k in (1, 2, 4, 8))
    first, last = r1 - r2, r4 - r8
    assert_above(first, last, math.sqrt(v1 + v2 + v4 + v8))
    # "no worse": eight managers' rate is not above four's beyond the two rates' error
    assert r8 - r4 <= z_one() * math.sqrt(v4 + v8), rates


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang's C formula): C(c, a) / (c mu - lam)."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def test_the_desks_waits_are_erlangs_and_a_second_clerk_recovers_more_complaints():
    # Complaints come from many customers' independent failures (close to Poisson), each is
    # handled in an exponential time (0.6 days on average) by the first free clerk, first come
    # first served: with callers who never give up, an M/M/c queue, whose mean wait Erlang's C
    # formula gives at each replication's own arrival rate. Six independent replications per
    # team size, so the check is a two-sided t-test of the mean gap over replications.

    handling = 0.6
    for staff in (1, 2):
        gaps = []
        for rep in range(6):
            sc = small(
                **{
                    "simulation.days": 365,
                    "firms.focal.service_desk_staff": staff,
                    "firms.focal.complaint_handling_days": handling,
                    "recovery.patience_days": 1e6,
                }
            )
            m = run_metrics(sc, relsim.simulate(sc, seed=32, replication=rep).tables())
            lam = m["complaints_per_customer_year"] * m["customer_years"] / 365.0
            gaps.append(m["complaint_wait_days"] - erlang_c_wait(lam, 1 / handling, staff))
        gaps = np.array(gaps)
        se = gaps.std(ddof=1) / math.sqrt(len(gaps))
        assert abs(gaps.mean()) <= t_two(len(gaps) - 1) * se, (staff, gaps)
    # With patience of 3 days a second clerk picks complaints up sooner, so more of them undo
    # their grievance (recovery falls with the time to resolve): a direction, not a value,
    # tested on the paired differences of six replications (common random numbers), with a
    # slower desk (0.9 days a complaint: one clerk is 60% busy, two are 30%).
    # (That fewer customers then leave over dissatisfaction is a difference of about a tenth in
    # a few hundred defections: experiments/sweeps/desk_curve.toml measures it.)
    diffs = []
    for rep in range(6):
        shares = []
        for staff in (1, 2):
            sc = small(
                **{
                    "simulation.days": 730,
                    "firms.focal.service_desk_staff": staff,
                    "firms.focal.complaint_handling_days": 0.9,
                }
            )
            m = run_metrics(sc, relsim.simulate(sc, seed=32, replication=rep).tables())
            shares.append(m["complaints_recovered_share"])
        diffs.append(shares[1] - shares[0])
    d = np.array(diffs)
    se = d.std(ddof=1) / math.sqrt(len(d))
    assert d.mean() > t_one(len(d) - 1) * se, d
