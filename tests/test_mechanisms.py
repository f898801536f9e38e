"""Direction of effect: a lever moves the cause it acts on, the way its mechanism says.

Each comparison runs the same seed (common random numbers: the same people, the same draws)
with one lever changed. The levers are moved far enough that the effect is many standard
errors of the Poisson counts involved.
"""

import math

import relsim
from conftest import small
from relsim.analysis.metrics import run_metrics


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
        assert a > b + 3 * math.sqrt(va + vb), rates


def test_a_deeper_rival_promotion_raises_price_defections():
    counts = [focal_losses(**{"firms.rival.promotion.depth": d})["price"] for d in (0.3, 0.1, 0.0)]
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
    assert abs(a - b) < 4 * math.sqrt(va + vb), rates
    # both are the scenario's relocation hazard
    hazard = small().switching.relocation_per_year
    for r, v in rates:
        assert abs(r - hazard) < 4 * math.sqrt(v), (r, hazard)


def test_an_unstaffed_desk_leaves_every_complaint_unhandled_and_a_staffed_one_few():
    counts = {}
    for staff in (0, 3):
        res = relsim.simulate(small(**{"firms.focal.service_desk_staff": staff}), seed=8)
        ev = res.events[res.events["firm"] == "focal"]
        counts[staff] = (
            (ev["event"] == "complaint_resolved").sum(),
            (ev["event"] == "complaint_abandoned").sum(),
        )
    resolved, abandoned = counts[0]
    assert resolved == 0 and abandoned > 50
    resolved, abandoned = counts[3]
    assert resolved > 50 and abandoned <= 0.05 * (resolved + abandoned)


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
    assert first - last > 3 * math.sqrt(v1 + v2 + v4 + v8), rates
    assert r8 < r4 + 3 * math.sqrt(v4 + v8), rates


def test_a_second_desk_clerk_shortens_waits_and_recovers_more_complaints():
    # A desk near capacity (0.6 days per complaint): with a second clerk complaints are
    # picked up sooner and more of them undo their grievance. (That fewer customers then leave
    # over dissatisfaction is a difference of about a tenth in a few hundred defections: it is
    # measured with replications in experiments/sweeps/desk_curve.toml, not in one run.)
    out = {}
    for staff in (1, 2):
        sc = small(
            **{
                "simulation.days": 730,
                "firms.focal.service_desk_staff": staff,
                "firms.focal.complaint_handling_days": 0.6,
            }
        )
        out[staff] = run_metrics(sc, relsim.simulate(sc, seed=32).tables())
    m1, m2 = out[1], out[2]
    assert m2["complaint_wait_days"] < 0.5 * m1["complaint_wait_days"]
    # ~500 complaints each: a recovered share's standard error is about 0.02
    assert m2["complaints_recovered_share"] > m1["complaints_recovered_share"] + 0.03
