"""Economics: the ledger adds up, every cost line follows its definition, NPV discounts."""

import math

import msgspec
import numpy as np
import pandas as pd
import pytest

import relsim
from conftest import small
from relsim.analysis.economics import (
    daily_ledger,
    npv,
    period_ledger,
    realised_clv,
    value_frequency_groups,
)
from relsim.analysis.metrics import run_metrics


@pytest.fixture(scope="module")
def run():
    sc = small(
        **{
            "firms.focal.loyalty_discount.depth": 0.05,
            "firms.focal.loyalty_discount.from_rung": '"client"',
            "firms.focal.coupon.depth": 0.2,
            "firms.focal.win_back.budget_per_year": 20000,
            "firms.focal.partnership.from_rung": '"advocate"',
            "firms.focal.partnership.cost_per_member_per_year": 30,
            "firms.focal.partnership.fixed_cost_per_year": 1000,
            "firms.focal.costs.setup_cost": 12345,
        }
    )
    return sc, relsim.simulate(sc, seed=5)


@pytest.fixture(scope="module")
def daily(run):
    sc, res = run
    return daily_ledger(sc, res.tables(), "focal")


def test_a_firm_without_customers_loses_exactly_its_fixed_costs():
    # No customers, no acquisition: nothing is sold, so the profit over the run is minus the
    # salaries, the desk, the other costs and the setup, for days / 365 years: a sum anyone can
    # do by hand from the scenario.
    sc = small(
        **{
            "firms.focal.initial_customers": 0,
            "firms.focal.acquisition_budget_per_year": 0,
            "firms.focal.costs.setup_cost": 5000,
            # nobody comes over from the rival either
            "switching.defector_joins_rival": 0,
            "switching.price_occasions_per_year": 0,
        }
    )
    led = daily_ledger(sc, relsim.simulate(sc, seed=2).tables(), "focal")
    c, st = sc.firms["focal"].costs, sc.firms["focal"]
    years = sc.simulation.days / 365.0
    fixed = (
        c.account_manager_salary_per_year * st.account_managers
        + c.desk_staff_salary_per_year * st.service_desk_staff
        + c.other_per_year
    ) * years
    assert led["revenue"].sum() == 0
    assert led["profit"].sum() == pytest.approx(-(fixed + 5000), rel=1e-12)


def test_revenue_and_purchases_are_the_firms_transactions(run, daily):
    _, res = run
    tx = res.transactions[res.transactions["firm"] == "focal"]
    assert daily["revenue"].sum() == pytest.approx(tx["amount"].sum())
    assert daily["purchases"].sum() == len(tx)
    assert daily["failed"].sum() == tx["failed"].sum()


def test_cost_lines_follow_their_definitions(run, daily):
    sc, res = run
    st, c = sc.firms["focal"], sc.firms["focal"].costs
    years = sc.simulation.days / 365.0
    assert daily["sales_managers"].sum() == pytest.approx(
        c.account_manager_salary_per_year * st.account_managers * years
    )
    assert daily["service_desk"].sum() == pytest.approx(
        c.desk_staff_salary_per_year * st.service_desk_staff * years
    )
    assert daily["acquisition"].sum() == pytest.approx(st.acquisition_budget_per_year * years)
    assert daily["setup"].sum() == pytest.approx(12345) and daily["setup"].iloc[0] == 12345
    cy = daily["customer_days"].sum() / 365.0
    assert daily["database"].sum() == pytest.approx(c.database_per_customer_year * cy)
    assert daily["delivery"].sum() == pytest.approx(
        c.delivery_per_purchase * daily["purchases"].sum()
    )
    assert daily["returns"].sum() == pytest.approx(c.returns_per_failure * daily["failed"].sum())
    assert daily["staff_bonuses"].sum() == pytest.approx(
        c.staff_bonus_share * daily["revenue"].sum()
    )
    ts = res.timeseries[res.timeseries["firm"] == "focal"]
    assert daily["coupons"].sum() == pytest.approx(st.coupon.cost_per_coupon * ts["reached"].sum())
    assert daily["win_back"].sum() == pytest.approx(
        st.win_back.cost_per_offer * ts["win_back_offers"].sum()
    )
    members = daily["member_days"].sum() / 365.0
    assert daily["partnership"].sum() == pytest.approx(1000 * years + 30 * members)


def test_customer_days_integrate_the_active_count(run, daily):
    _, res = run
    active = res.timeseries.loc[res.timeseries["firm"] == "focal", "active"].to_numpy()
    # trapezoid rule over days of length one
    assert daily["customer_days"].sum() == pytest.approx(
        np.trapezoid(active) if hasattr(np, "trapezoid") else np.trapz(active)
    )


def test_loyalty_discount_memo_is_what_the_discount_took(run, daily):
    _, res = run
    tx = res.transactions[
        (res.transactions["firm"] == "focal") & (res.transactions["rung"].cat.codes >= 2)
    ]
    # the customer paid (1 - 0.05) of the price, so the discount was amount * 0.05 / 0.95
    assert daily["loyalty_discounts"].sum() == pytest.approx(tx["amount"].sum() * 0.05 / 0.95)
    assert daily["discounts"].sum() >= daily["loyalty_discounts"].sum() - 1.0


def test_periods_add_up_to_the_days(daily):
    for period in ("month", "quarter", "year"):
        led = period_ledger(daily, period)
        assert led["profit"].sum() == pytest.approx(daily["profit"].sum())
        assert led["cumulative_profit"].iloc[-1] == pytest.approx(daily["profit"].sum())
    with pytest.raises(ValueError, match="period"):
        period_ledger(daily, "week")


def test_npv_discounts_and_equals_profit_at_rate_zero(daily):
    assert npv(daily, 0.0) == pytest.approx(daily["profit"].sum())
    constant = pd.DataFrame({"length": [1.0] * 730, "profit": [1.0] * 730})
    # a unit a day for two years at 10%: close to the continuous annuity 730 * (1-1.1^-2)/(2 ln 1.1)
    expected = 365 * (1 - 1.1**-2) / math.log(1.1)
    assert npv(constant, 0.10) == pytest.approx(expected, rel=1e-4)


def test_metrics_report_every_cost_line_and_consistent_ratios(run):
    sc, res = run
    m = run_metrics(sc, res.tables())
    cu = res.customers[res.customers["firm"] == "focal"]
    # The same figures from another table: relationships begun by paid acquisition, and the
    # ones that ended, counted in the customers table rather than the daily counters.
    won = int(cu["channel"].isin(["paid", "coupon"]).sum())
    assert m["acquired_paid"] + m["acquired_coupon"] == won
    years = sc.simulation.days / 365.0
    budget = sc.firms["focal"].acquisition_budget_per_year * years
    ts = res.timeseries[res.timeseries["firm"] == "focal"]
    coupons = sc.firms["focal"].coupon.cost_per_coupon * ts["reached"].iloc[1:].sum()
    assert m["cost_per_acquired"] == pytest.approx((budget + coupons) / won, rel=1e-9)
    ended = cu[cu["end_day"].notna()]
    assert m["lost_total"] == len(ended)
    for c in ("relocation", "price", "dissatisfaction", "neglect", "other"):
        assert m[f"cause_share_{c}"] == pytest.approx((ended["cause"] == c).mean())
    assert m["acquired_coupon"] > 0 and m["acquired_paid"] == 0  # every reached got a coupon
    assert math.isnan(m["repeat_purchase_rate"])  # a one-year run has no "next year"


def test_realised_clv_sums_to_the_ledgers_variable_margin(run):
    # Two roads to the same money: the realised CLV sums each relationship's purchases and
    # its exact time in the window; the firm's daily ledger sums each day's purchases and
    # counts a day's customers as the mean of its opening and closing stock. Undiscounted,
    # the purchases' lines (margin less bonuses, delivery and returns) agree to rounding; the
    # database cost differs only where a relationship began or ended inside a day, by at most
    # half a day each (the trapezoid's error on a step).
    sc, res = run
    sc0 = msgspec.structs.replace(
        sc, economics=msgspec.structs.replace(sc.economics, discount_rate_per_year=0.0)
    )
    c = sc.firms["focal"].costs
    clv = realised_clv(sc0, res.tables(), "focal")
    lg = daily_ledger(sc0, res.tables(), "focal").sum(numeric_only=True)
    cu = res.customers[res.customers["firm"] == "focal"]
    years = (cu["end_day"].fillna(sc.simulation.days) - cu["start_day"].clip(lower=0)).sum()
    clv_database = c.database_per_customer_year * years / 365.0
    purchases = lg["gross_margin"] - lg["staff_bonuses"] - lg["delivery"] - lg["returns"]
    assert clv["clv"].sum() + clv_database == pytest.approx(purchases, rel=1e-9)
    steps = int((cu["start_day"] > 0).sum() + cu["end_day"].notna().sum())
    bound = c.database_per_customer_year / 365.0 * 0.5 * steps
    assert abs(clv_database - lg["database"]) <= bound, (clv_database, lg["database"], bound)


def test_table_7_2_groups_split_buyers_by_value_and_frequency(run):
    _, res = run
    g = value_frequency_groups(res.transactions, "focal", 365.0)
    assert len(g) == 4 and g["share_of_buyers"].sum() == pytest.approx(1.0)
    assert g["share_of_revenue"].sum() == pytest.approx(1.0)
    by = g.set_index("group")
    assert (
        by.loc["1. high value, high frequency", "revenue_per_buyer_year"]
        > by.loc["4. low value, low frequency", "revenue_per_buyer_year"]
    )
    cuts = g.attrs["cuts"]
    assert (
        by.loc["2. low value, high frequency", "purchases_per_month"] >= cuts["purchases_per_month"]
    )
    assert (
        by.loc["3. high value, low frequency", "mean_purchase_value"] >= cuts["mean_purchase_value"]
    )


def test_repeat_purchase_rate_counts_buyers_kept_from_one_year_to_the_next():
    from relsim.analysis.metrics import repeat_purchase_rate

    rng = np.random.default_rng(5)
    n = 3000
    for ids in (rng.integers(0, 400, n), rng.integers(0, 400, n) * 10_000_019):  # dense, sparse
        tx = pd.DataFrame({"customer_id": ids, "firm": "f", "day": rng.uniform(0, 3 * 365, n)})
        year = (tx["day"] // 365).astype(int)
        buyers = [set(tx.loc[year == y, "customer_id"]) for y in range(3)]
        # The definition, counted with sets: kept buyers over buyers, pooled over years 0-1, 1-2.
        expected = (len(buyers[0] & buyers[1]) + len(buyers[1] & buyers[2])) / (
            len(buyers[0]) + len(buyers[1])
        )
        assert repeat_purchase_rate(tx, "f", 3 * 365) == pytest.approx(expected)
