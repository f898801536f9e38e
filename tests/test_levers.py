"""Strategy levers act through their mechanisms: trial and coupons, win-back, targeting,
partnership programmes; each test states what the mechanism implies and checks it."""

import math

import numpy as np
import pytest
from sampling import assert_above, assert_near, mean_difference_se, proportion_se, rate_se

import relsim
from conftest import small
from relsim.analysis.metrics import run_metrics
from relsim.analysis.tables import events_table
from relsim.model.market import Market
from relsim.model.records import Channel, EventKind


def metrics(sc, seed=3, replication=0):
    return run_metrics(sc, relsim.simulate(sc, seed=seed, replication=replication).tables())


def test_trial_without_a_coupon_is_the_scenarios_trial_probability():
    # Every reached prospect tries with probability logistic(trial_logit) = 0.10 when nobody
    # holds a coupon, so trials ~ Binomial(reached, 0.10).
    sc = small(**{"firms.focal.acquisition_budget_per_year": 60000})
    res = relsim.simulate(sc, seed=21)
    ts = res.timeseries[res.timeseries["firm"] == "focal"]
    reached, tried = ts["reached"].sum(), ts["acquired_paid"].sum()
    p = 1 / (1 + math.exp(-sc.population.trial_logit))
    assert p == pytest.approx(0.10, abs=1e-4)
    se = math.sqrt(p * (1 - p) / reached)
    assert reached > 2000
    assert abs(tried / reached - p) < 4 * se


def test_a_coupon_raises_trial_to_the_logistic_of_its_depth():
    # With a coupon of depth d every reached prospect tries with probability
    # logistic(trial_logit + coupon_response * s * d), s the person's price sensitivity. Make
    # s the same for everyone (a Gamma of shape 10^8 about 1: sd 10^-4) and trials are
    # Binomial(reached, that probability): a value, checked two-sided.
    sc = small(
        **{
            "firms.focal.acquisition_budget_per_year": 60000,
            "firms.focal.coupon.depth": 0.2,
            "population.price_sensitivity_shape": 1e8,
        }
    )
    res = relsim.simulate(sc, seed=21)
    ts = res.timeseries[res.timeseries["firm"] == "focal"]
    reached, tried = ts["reached"].sum(), ts["acquired_coupon"].sum()
    pop = sc.population
    p = 1 / (1 + math.exp(-(pop.trial_logit + pop.coupon_response * 1.0 * 0.2)))
    assert reached > 1000
    assert_near(tried / reached, p, proportion_se(p, reached))


def test_the_coupon_acquired_repeat_less_and_leave_over_price():
    # Same streams (common random numbers), one lever: a 20% coupon. Those it brings in have
    # the coupon price as their reference, so the full price that follows is a rise: fewer
    # buy again and more leave over price. A direction; the margins are the sampling error of
    # the two proportions and of the two Poisson counts.
    base = small(**{"firms.focal.acquisition_budget_per_year": 60000})
    coupon = small(
        **{"firms.focal.acquisition_budget_per_year": 60000, "firms.focal.coupon.depth": 0.2}
    )
    mb, mc = metrics(base), metrics(coupon)
    p_paid, n_paid = mb["second_purchase_rate_paid"], mb["acquired_paid"]
    p_cou, n_cou = mc["second_purchase_rate_coupon"], mc["acquired_coupon"]
    assert_above(
        p_paid, p_cou, math.hypot(proportion_se(p_paid, n_paid), proportion_se(p_cou, n_cou))
    )
    rb, sb = rate_se(mb["lost_price"], mb["customer_years"])
    rc, sc_ = rate_se(mc["lost_price"], mc["customer_years"])
    assert_above(rc, rb, math.hypot(sb, sc_))


def test_coupon_trial_purchase_is_made_at_the_coupon_price():
    sc = small(
        **{
            "firms.focal.coupon.depth": 0.2,
            "firms.focal.promotion.depth": 0.0,
            "firms.focal.acquisition_budget_per_year": 60000,
        }
    )
    res = relsim.simulate(sc, seed=4)
    cu = res.customers[(res.customers["channel"] == "coupon")].set_index("relationship_id")
    tx = res.transactions[res.transactions["relationship_id"].isin(cu.index)]
    first = tx[tx["day"].to_numpy() == cu.loc[tx["relationship_id"], "start_day"].to_numpy()]
    assert len(first) == len(cu)
    # at list price 1 the discount is 20% of the list amount, up to rounding to cents
    at_list = first["amount"] + first["discount"]
    assert np.abs(first["discount"] - 0.2 * at_list).max() <= 0.011
    later = tx[~tx.index.isin(first.index)]
    assert (later["discount"] == 0).all()  # no promotion, no loyalty discount: full price


def test_win_back_wins_only_former_customers_of_the_firm():
    sc = small(**{"firms.focal.win_back.budget_per_year": 30000})
    res = relsim.simulate(sc, seed=8)
    wb = res.customers[(res.customers["channel"] == Channel.WIN_BACK.label)]
    assert len(wb) > 5
    assert wb["returning"].all() and (wb["firm"] == "focal").all()
    base = relsim.simulate(small(), seed=8)
    assert (base.customers["channel"] == Channel.WIN_BACK.label).sum() == 0
    ts = res.timeseries[res.timeseries["firm"] == "focal"]
    assert ts["win_back_offers"].sum() >= len(wb)


def _contacts_by_tier(sc, seed=2):
    """Contacts per relationship of the focal firm's day-0 customers, by value tier."""
    m = Market(sc, seed=seed)
    m.run()
    firm = m.firms[0]
    ev = events_table(m)
    ev = ev[(ev["event"] == EventKind.CONTACT.label) & (ev["firm"] == "focal")]
    counts = ev.groupby("relationship_id").size()
    tiers = {"let_go": [], "middle": [], "hold": []}
    for r in m.relationships:
        if r.firm is firm and r.start == 0.0 and r.active:
            v = r.person.rate * r.person.basket
            tier = (
                "let_go" if v < firm.let_go_below else "hold" if v >= firm.hold_from else "middle"
            )
            tiers[tier].append(int(counts.get(r.id, 0)))
    return {k: np.array(v) for k, v in tiers.items()}


def test_let_go_tier_gets_no_contacts_and_hold_tier_gets_more():
    # Cadences alone (no spare contacts): the hold tier is due twice as often.
    sc = small(
        **{
            "firms.focal.targeting.let_go_share": 0.5,
            "firms.focal.targeting.hold_share": 0.2,
            "firms.focal.targeting.hold_cadence_factor": 0.5,
            "firms.focal.account_managers": 20,
            "firms.focal.contact_policy.spare": '"none"',
        }
    )
    tiers = _contacts_by_tier(sc)
    # enough let-go customers that a contact policy leaking into the tier would show
    assert len(tiers["let_go"]) >= 30 and (tiers["let_go"] == 0).all()
    # more contacts for the hold tier (a direction: its rungs, hence cadences, differ from
    # the middle's, so the ratio is not exactly 2); the margin is the two means' standard error
    h, mid = tiers["hold"], tiers["middle"]
    assert_above(h.mean(), mid.mean(), mean_difference_se(h, mid))


def test_spare_capacity_goes_where_the_policy_says():
    # A team with capacity to spare: by "value" the top tier gets the spare contacts, so it is
    # contacted at the ceiling and the rest at their cadence; with "none" nobody gets extra.
    base = {
        "firms.focal.targeting.hold_share": 0.2,
        "firms.focal.account_managers": 20,
        "firms.focal.contact_policy.max_per_year": 24,
    }
    by_value = _contacts_by_tier(small(**base, **{"firms.focal.contact_policy.spare": '"value"'}))
    none = _contacts_by_tier(small(**base, **{"firms.focal.contact_policy.spare": '"none"'}))
    # nobody is contacted more often than the ceiling allows (24 a year, one a year more at
    # most for the first contact), and the cadences alone (45-90 days) give at most 365/45
    assert by_value["hold"].max() <= 25 and none["hold"].max() <= 365 / 45 + 1
    # spare contacts raise the hold tier's count (a direction, beyond the means' errors)
    h, n = by_value["hold"], none["hold"]
    assert_above(h.mean(), n.mean(), mean_difference_se(h, n))


def test_partnership_programme_strengthens_members_bonds_and_referrals():
    base = small()
    prog = small(
        **{
            "firms.focal.partnership.from_rung": '"advocate"',
            "firms.focal.partnership.bond_factor": 0.5,
            "firms.focal.partnership.referral_factor": 3.0,
        }
    )
    fb, fp = Market(base, seed=1).firms[0], Market(prog, seed=1).firms[0]
    # advocate = 4, partner = 5: halved hazards, tripled referrals; other rungs untouched
    assert fp.bond[4] == pytest.approx(0.5 * fb.bond[4]) and fp.bond[2] == fb.bond[2]
    assert fp.referrals[5] == pytest.approx(3 * fb.referrals[5])
    mb, mp = metrics(base, seed=6), metrics(prog, seed=6)
    # more referrals won (a direction; the margin is the two Poisson counts' error)
    nb, np_ = mb["acquired_referral"], mp["acquired_referral"]
    assert_above(np_, nb, math.sqrt(nb + np_))
