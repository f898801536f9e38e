"""Economics: what a firm's relationships earn and cost, in money, per period and in total.

The lecture notes' Table 7.3 computes one buyer's profitability from the average sale, the
purchases per year, the profit from sales and the costs of the relationship (delivery, bonuses
to store staff, returns, the database, sales managers' salaries, other). Here every one of
those lines, and the cost of every strategy lever, is computed from a run's tables and the
firm's :class:`~relsim.config.schema.Costs`: a daily ledger first, then periods (month, quarter
or year), then totals with NPV, realised customer lifetime value by acquisition channel, cost
per acquired customer and per retained customer-year. Table 7.2's four groups of buyers by
value and frequency are in :func:`value_frequency_groups`.

Discounts (promotions, loyalty, coupons, win-back offers) are already missing from revenue,
because customers paid the lower price; they are shown as memo lines, never subtracted twice.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from relsim.analysis.tables import (
    SALES_BLOCK,
    day_cuts,
    firm_rows,
    has_money,
    money,
    stored_money,
    sums_by_key,
)
from relsim.config.schema import PERIODS, Scenario
from relsim.model.causes import Cause
from relsim.model.ladder import RELATIONSHIP_RUNGS, Rung
from relsim.model.rates import YEAR
from relsim.model.records import Channel

#: Cost lines, in the order reports show them: the levers' costs, then Table 7.3's lines.
COST_LINES = (
    "acquisition",  # the paid-acquisition budget
    "coupons",  # printing and handing out coupons
    "win_back",  # win-back offers
    "delivery",  # Table 7.3, 5.1.1
    "staff_bonuses",  # 5.1.2
    "returns",  # 5.1.3
    "database",
    "sales_managers",  # account managers' salaries
    "service_desk",
    "service_quality",
    "partnership",
    "other",
    "setup",
)
#: Lines spent on keeping customers rather than winning them.
RETENTION_LINES = ("sales_managers", "service_desk", "service_quality", "partnership")
#: Lines spent on winning new customers.
ACQUISITION_LINES = ("acquisition", "coupons")
#: Discounts given away at the till, kept as memo lines.
DISCOUNT_LINES = ("discounts", "loyalty_discounts", "offer_discounts")

OFFER_CHANNELS = (Channel.COUPON.label, Channel.WIN_BACK.label)
PAID_CHANNELS = (Channel.PAID.label, Channel.COUPON.label)


def _relationship_lookup(customers: pd.DataFrame, least: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Channel codes (-1 if unknown) and start days, indexed by relationship id.

    Relationship ids are small non-negative integers: they are looked up by position. The
    arrays are at least ``least`` long.
    """
    from relsim.analysis.tables import CHANNEL_LABELS, label_codes

    rid = customers["relationship_id"].to_numpy()
    size = max(int(rid.max(initial=-1)) + 1, least)
    channel = np.full(size, -1, dtype=np.int64)
    start = np.full(size, np.nan)
    channel[rid] = label_codes(customers["channel"], CHANNEL_LABELS)
    start[rid] = customers["start_day"].to_numpy(dtype=float)
    return channel, start


def _firm_sales(
    transactions: pd.DataFrame, customers: pd.DataFrame, firm: str, scenario: Scenario, n_days: int
) -> pd.DataFrame:
    """Per day: revenue, purchases, failed episodes and the discounts given.

    A table in time order is summed a block of whole days at a time (:func:`day_cuts`): each
    day's rows are summed in the same order as in one pass over the table, so the sums are the
    same to the bit, and the temporary columns are a block's, not the whole table's.
    """
    days = pd.RangeIndex(n_days)
    day = transactions["day"]
    if day.is_monotonic_increasing:
        cuts = day_cuts(day.to_numpy(), SALES_BLOCK, last=n_days - 1)
    else:
        cuts = [0, len(transactions)]
    rel = transactions["relationship_id"].to_numpy()
    lookup = _relationship_lookup(customers, int(rel.max(initial=-1)) + 1)
    parts = [
        _block_sales(firm_rows(transactions.iloc[a:b], firm), lookup, firm, scenario, n_days)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    ]
    parts = [p for p in parts if len(p)] or parts[:1]
    out = pd.concat(parts) if len(parts) > 1 else parts[0]
    return out.reindex(days, fill_value=0)


def _block_sales(
    tx: pd.DataFrame,
    lookup: tuple[np.ndarray, np.ndarray],
    firm: str,
    scenario: Scenario,
    n_days: int,
) -> pd.DataFrame:
    """Per day present in ``tx`` (one firm's rows): the sales columns of :func:`_firm_sales`."""
    st = scenario.firms[firm]
    k = np.minimum(np.floor(tx["day"].to_numpy()).astype(np.int64), n_days - 1)
    amount = money(tx, "amount")
    loyal_from = int(Rung[st.loyalty_discount.from_rung.upper()])
    depth = st.loyalty_discount.depth
    rung = tx["rung"].cat.codes.to_numpy()
    loyalty = np.where(rung >= loyal_from, amount * depth / (1.0 - depth), 0.0)
    # The first purchase of a coupon or win-back relationship was made at the offer's price.
    ids = tx["relationship_id"].to_numpy()
    channel, started = lookup[0][ids], lookup[1][ids]
    first = tx["day"].to_numpy() == started
    offer_depth = np.select(
        [channel == Channel.COUPON, channel == Channel.WIN_BACK],
        [st.coupon.depth, st.win_back.depth],
        0.0,
    )
    offer = np.where(first & (offer_depth > 0), amount * offer_depth / (1.0 - offer_depth), 0.0)

    # One column at a time against the day's code (not one wide frame of every column).
    def per_day(values: np.ndarray) -> pd.Series:
        return pd.Series(values).groupby(k).sum()

    return pd.DataFrame(
        {
            "revenue": per_day(amount),
            "purchases": pd.Series(k).groupby(k).size(),
            "failed": per_day(tx["failed"].to_numpy(dtype=int)),
            "discounts": per_day(
                money(tx, "discount") if has_money(tx, "discount") else np.zeros(len(k))
            ),
            "loyalty_discounts": per_day(loyalty),
            "offer_discounts": per_day(offer),
        }
    )


def daily_ledger(scenario: Scenario, tables: dict[str, pd.DataFrame], firm: str) -> pd.DataFrame:
    """One row per simulated day: activity, revenue, every cost line and profit.

    Parameters
    ----------
    scenario : Scenario
        The scenario the run simulated (for the firm's strategy and costs).
    tables : dict of pandas.DataFrame
        The run's ``transactions``, ``customers`` and ``timeseries``.
    firm : str
        Whose ledger.

    Returns
    -------
    pandas.DataFrame
        Indexed by day; columns ``date, length, customer_days, member_days, revenue,
        gross_margin``, the :data:`COST_LINES`, ``total_costs, profit``, the discount memo
        lines, and the day's acquisitions by channel and losses by cause.
    """
    if firm not in scenario.firms:
        raise KeyError(f"no firm '{firm}' in scenario '{scenario.name}'")
    st, c = scenario.firms[firm], scenario.firms[firm].costs
    ts = tables["timeseries"]
    ts = ts[ts["firm"] == firm].sort_values("day").reset_index(drop=True)
    day = ts["day"].to_numpy()
    n = len(ts) - 1
    rung_cols = [r.label for r in RELATIONSHIP_RUNGS]
    members_from = int(Rung[st.partnership.from_rung.upper()])
    member_cols = [r.label for r in RELATIONSHIP_RUNGS if r >= members_from]
    active = ts[rung_cols].sum(axis=1).to_numpy(dtype=float)
    members = ts[member_cols].sum(axis=1).to_numpy(dtype=float)
    length = np.diff(day)
    # Stock during a day: the mean of its opening and closing counts.
    d = pd.DataFrame(
        {
            "date": ts["date"].iloc[:n].to_numpy(),
            "length": length,
            "customer_days": 0.5 * (active[:-1] + active[1:]) * length,
            "member_days": 0.5 * (members[:-1] + members[1:]) * length,
        }
    )
    flows = ts.iloc[1:].reset_index(drop=True)
    for col in ["reached", "win_back_offers"]:
        d[col] = flows[col].to_numpy()
    for ch in Channel:
        d[f"acquired_{ch.label}"] = flows[f"acquired_{ch.label}"].to_numpy()
    for cause in Cause:
        d[f"lost_{cause.label}"] = flows[f"lost_{cause.label}"].to_numpy()
    sales = _firm_sales(tables["transactions"], tables["customers"], firm, scenario, n)
    for col in ["revenue", "purchases", "failed", *DISCOUNT_LINES]:
        d[col] = sales[col].to_numpy()
    years = length / YEAR
    d["gross_margin"] = c.gross_margin * d["revenue"]
    d["acquisition"] = st.acquisition_budget_per_year * years
    d["coupons"] = st.coupon.cost_per_coupon * d["reached"] * (st.coupon.depth > 0)
    d["win_back"] = st.win_back.cost_per_offer * d["win_back_offers"]
    d["delivery"] = c.delivery_per_purchase * d["purchases"]
    d["staff_bonuses"] = c.staff_bonus_share * d["revenue"]
    d["returns"] = c.returns_per_failure * d["failed"]
    d["database"] = c.database_per_customer_year * d["customer_days"] / YEAR
    d["sales_managers"] = c.account_manager_salary_per_year * st.account_managers * years
    d["service_desk"] = c.desk_staff_salary_per_year * st.service_desk_staff * years
    d["service_quality"] = c.service_quality_per_year * years
    d["partnership"] = (
        st.partnership.fixed_cost_per_year * years
        + st.partnership.cost_per_member_per_year * d["member_days"] / YEAR
    )
    d["other"] = c.other_per_year * years
    d["setup"] = 0.0
    if n:
        d.loc[0, "setup"] = c.setup_cost
    d["total_costs"] = d[list(COST_LINES)].sum(axis=1)
    d["profit"] = d["gross_margin"] - d["total_costs"]
    return d


def period_ledger(daily: pd.DataFrame, period: str = "month") -> pd.DataFrame:
    """Sum a :func:`daily_ledger` by month, quarter or year.

    Parameters
    ----------
    daily : pandas.DataFrame
        From :func:`daily_ledger`.
    period : {"month", "quarter", "year"}
        Length of the periods.

    Returns
    -------
    pandas.DataFrame
        One row per period (``period`` holds its first date), with ``customers`` (the mean
        number of active customers) and ``cumulative_profit``.
    """
    if period not in PERIODS:
        raise ValueError(f"period: expected one of {', '.join(PERIODS)}, got {period!r}")
    dates = pd.to_datetime(daily["date"])
    key = dates.dt.to_period(PERIODS[period][0]).dt.start_time
    out = daily.drop(columns="date").groupby(key.rename("period")).sum().reset_index()
    out["customers"] = out["customer_days"] / out["length"]
    out["cumulative_profit"] = out["profit"].cumsum()
    return out


def npv(daily: pd.DataFrame, rate_per_year: float) -> float:
    """Net present value of the daily profits, each discounted from the middle of its day."""
    t = daily["length"].cumsum().to_numpy() - 0.5 * daily["length"].to_numpy()
    return float((daily["profit"].to_numpy() * (1.0 + rate_per_year) ** (-t / YEAR)).sum())


def realised_clv(scenario: Scenario, tables: dict[str, pd.DataFrame], firm: str) -> pd.DataFrame:
    """Each relationship's realised value to the firm within the run, discounted to day 0.

    Margin on every purchase less its delivery, bonus and return costs, less the database cost
    of the days it lasted; truncated at the end of the run (the relationships still open are
    worth more than this).

    Returns
    -------
    pandas.DataFrame
        ``relationship_id, channel, start_day, clv``.
    """
    c = scenario.firms[firm].costs
    r = scenario.economics.discount_rate_per_year
    all_tx = tables["transactions"]
    cu = tables["customers"]
    cu = cu[cu["firm"] == firm]
    horizon = float(scenario.simulation.days)
    # Within the measured window only: a relationship from the warm-up counts from day 0.
    years = (cu["end_day"].fillna(horizon) - cu["start_day"].clip(lower=0.0)).to_numpy() / YEAR
    ids = cu["relationship_id"].to_numpy()
    rel_all = all_tx["relationship_id"].to_numpy()
    size = int(max(rel_all.max(initial=-1), ids.max(initial=-1))) + 1
    # Relationship ids are small non-negative integers: sum the purchases by position, one
    # block of rows after another and each in row order (np.add.at adds one value at a time,
    # as a single bincount would: the same sums, with a block's temporaries).
    total = np.zeros(size)
    for a in range(0, max(len(all_tx), 1), SALES_BLOCK):
        tx = firm_rows(all_tx.iloc[a : a + SALES_BLOCK], firm)
        disc = (1.0 + r) ** (-tx["day"].to_numpy() / YEAR)
        per_purchase = (
            (c.gross_margin - c.staff_bonus_share) * money(tx, "amount")
            - c.delivery_per_purchase
            - c.returns_per_failure * tx["failed"].to_numpy()
        )
        np.add.at(total, tx["relationship_id"].to_numpy(), per_purchase * disc)
    clv = total[ids] - c.database_per_customer_year * years
    return pd.DataFrame(
        {
            "relationship_id": cu["relationship_id"].to_numpy(),
            "channel": cu["channel"].astype(str).to_numpy(),
            "start_day": cu["start_day"].to_numpy(),
            "clv": clv,
        }
    )


def value_frequency_groups(
    transactions: pd.DataFrame,
    firm: str,
    horizon_days: float,
    cuts: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """The lecture notes' Table 7.2: buyers in four groups by purchase value and frequency.

    Each of the firm's buyers is placed by purchases per month and mean purchase value, high
    or low against the cut points (by default the medians over buyers).

    Parameters
    ----------
    transactions : pandas.DataFrame
        A run's (or any) transactions with ``customer_id, firm, day, amount``.
    firm : str
        Whose buyers.
    horizon_days : float
        Length of the observation window.
    cuts : tuple of float, optional
        (purchases per month, mean purchase value) separating low from high.

    Returns
    -------
    pandas.DataFrame
        One row per group: buyers, share of buyers, share of revenue, mean purchases per
        month, mean purchase value, revenue per buyer per year.
    """
    mine = (transactions["firm"] == firm).to_numpy()  # no copy of the firm's rows
    amount, cents = stored_money(transactions, "amount")
    g = sums_by_key(transactions["customer_id"].to_numpy(), amount, mask=mine, cents=cents)
    per_month = g["size"] / (horizon_days / YEAR * 12.0)
    value = g["sum"] / g["size"]
    f_cut, v_cut = cuts if cuts is not None else (float(per_month.median()), float(value.median()))
    hi_f, hi_v = per_month >= f_cut, value >= v_cut
    names = {
        (True, True): "1. high value, high frequency",
        (False, True): "2. low value, high frequency",
        (True, False): "3. high value, low frequency",
        (False, False): "4. low value, low frequency",
    }
    group = pd.Series([names[(v, f)] for v, f in zip(hi_v, hi_f, strict=True)], index=g.index)
    total = g["sum"].sum()
    rows = []
    for name in sorted(names.values()):
        sel = group == name
        rows.append(
            {
                "group": name,
                "buyers": int(sel.sum()),
                "share_of_buyers": float(sel.mean()) if len(sel) else math.nan,
                "share_of_revenue": float(g.loc[sel, "sum"].sum() / total) if total else math.nan,
                "purchases_per_month": float(per_month[sel].mean()) if sel.any() else math.nan,
                "mean_purchase_value": float(value[sel].mean()) if sel.any() else math.nan,
                "revenue_per_buyer_year": (
                    float(g.loc[sel, "sum"].mean() / (horizon_days / YEAR))
                    if sel.any()
                    else math.nan
                ),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["cuts"] = {"purchases_per_month": f_cut, "mean_purchase_value": v_cut}
    return out
