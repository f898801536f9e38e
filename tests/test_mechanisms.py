"""Direction of effect: a lever moves the cause it acts on, the way its mechanism says.

Each comparison runs the same seed (common random numbers: the same people, the same draws)
with one lever changed. The levers are moved far enough that the effect is many standard
errors of the Poisson counts involved.
"""

import math

import pytest

import relsim
from conftest import small


def focal_losses(**overrides) -> dict[str, int]:
    res = relsim.simulate(small(**{"simulation.days": 730, **overrides}), seed=21)
    ended = res.customers[(res.customers["firm"] == "focal") & res.customers["cause"].notna()]
    return ended["cause"].value_counts().to_dict()


def assert_falls(counts: list[int]) -> None:
    for a, b in zip(counts, counts[1:], strict=False):
        assert a > b + 2 * math.sqrt(a + b), counts


def test_more_account_managers_cut_the_neglect_defection_rate():
    # Two-hour contacts: one manager can make about 1,460 a year for some 5,000 due, so the
    # team goes from none, to overloaded, to ample. The claim is about the hazard, so compare
    # defections per customer-year (a count also grows with the customers kept).
    rates = []
    for k in (0, 1, 6):
        res = relsim.simulate(small(**{"simulation.days": 730, "firms.focal.account_managers": k,
                                       "firms.focal.contact_duration_days": 0.25}), seed=21)
        own = res.timeseries[res.timeseries["firm"] == "focal"]
        exposure = own["active"].iloc[:-1].sum() / 365.0
        n = int(own["lost_neglect"].iloc[1:].sum())
        rates.append((n / exposure, n / exposure**2))  # rate and its Poisson variance
    for (a, va), (b, vb) in zip(rates, rates[1:], strict=False):
        assert a > b + 3 * math.sqrt(va + vb), rates


def test_a_deeper_rival_promotion_raises_price_defections():
    counts = [focal_losses(**{"firms.rival.promotion.depth": d})["price"] for d in (0.3, 0.1, 0.0)]
    assert_falls(counts)


def test_better_service_cuts_dissatisfaction_defections():
    counts = [focal_losses(**{"firms.focal.service_failure_prob": q})["dissatisfaction"]
              for q in (0.08, 0.03, 0.005)]
    assert_falls(counts)


def test_a_loyalty_discount_cuts_price_defections():
    base = focal_losses()["price"]
    loyal = focal_losses(**{"firms.focal.loyalty_discount.depth": 0.15,
                            "firms.focal.loyalty_discount.from_rung": '"client"'})["price"]
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
    assert abs(a - b) < 4 * math.sqrt(va + vb), rates
    # both are the scenario's relocation hazard
    hazard = small().switching.relocation_per_year
    for r, v in rates:
        assert abs(r - hazard) < 4 * math.sqrt(v), (r, hazard)


@pytest.mark.parametrize("staff, abandoned_share_at_most", [(0, 1.0), (3, 0.05)])
def test_an_unstaffed_desk_leaves_every_complaint_unhandled(staff, abandoned_share_at_most):
    res = relsim.simulate(small(**{"firms.focal.service_desk_staff": staff}), seed=8)
    ev = res.events[res.events["firm"] == "focal"]
    resolved = (ev["event"] == "complaint_resolved").sum()
    abandoned = (ev["event"] == "complaint_abandoned").sum()
    assert resolved + abandoned > 50
    share = abandoned / (resolved + abandoned)
    if staff == 0:
        assert resolved == 0
    assert share <= abandoned_share_at_most
