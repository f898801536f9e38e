"""One flat record of figures per run: what comparisons and experiments put side by side.

Every figure is a plain float measured from a run's tables for one firm (the focal firm by
default), so replications stack into a table with a fixed schema (one row per scenario and
replication) that means and confidence intervals are computed from. Money figures come from
:mod:`relsim.analysis.economics`; the rest measure the relationship dynamics: retention, the
cause mix, attention and complaints, tenure, repeat purchasing, trial, and the source facts.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from relsim.analysis.economics import (
    ACQUISITION_LINES,
    COST_LINES,
    DISCOUNT_LINES,
    RETENTION_LINES,
    daily_ledger,
    npv,
    realised_clv,
)
from relsim.analysis.equity import EQUITY_MEASURES, customer_equity
from relsim.analysis.patterns import FACT_MEASURES, fact_measures
from relsim.analysis.tables import CHANNEL_LABELS, SALES_BLOCK, firm_rows, label_codes
from relsim.config.schema import Scenario
from relsim.model.causes import CAUSE_LABELS, LEAVES_MARKET, Cause
from relsim.model.ladder import RELATIONSHIP_RUNGS
from relsim.model.rates import YEAR
from relsim.model.records import Channel

#: A relationship must have had this many days to buy again to count in a repeat rate.
SECOND_PURCHASE_WINDOW = 90.0


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def repeat_purchase_rate(
    transactions: pd.DataFrame, firm: str, horizon_days: float, cohort: np.ndarray | None = None
) -> float:
    """Share of a year's buyers who buy from the firm again the next year (pooled over years).

    Parameters
    ----------
    transactions : pandas.DataFrame
        With ``customer_id, firm, day`` (and ``relationship_id`` when ``cohort`` is given).
    firm : str
        Whose customers.
    horizon_days : float
        Length of the run; only whole years count.
    cohort : numpy.ndarray, optional
        Relationship ids: when given, only these relationships count, each followed as itself
        (a person won back later is a new relationship), so the rate says whether the existing
        customers kept buying, unmixed with new ones and with win-backs.

    Returns
    -------
    float
        NaN when the run is shorter than two years.
    """
    n_years = int(horizon_days // YEAR)
    if n_years < 2:
        return math.nan

    def blocks():
        # (id, year) of each purchase inside the whole years, a block of rows at a time: who
        # bought when is a set, so blocks give exactly what the whole table gives.
        for a in range(0, max(len(transactions), 1), ROW_BLOCK):
            tx = firm_rows(transactions.iloc[a : a + ROW_BLOCK], firm)
            if cohort is None:
                ids = tx["customer_id"].to_numpy()
                day = tx["day"].to_numpy()
            else:
                keep = tx["relationship_id"].isin(cohort).to_numpy()
                ids = tx["relationship_id"].to_numpy()[keep]
                day = tx["day"].to_numpy()[keep]
            year = (day // YEAR).astype(np.int64)
            inside = (year >= 0) & (year < n_years)
            yield np.asarray(ids, dtype=np.int64)[inside], year[inside]

    count, low, high = 0, 0, -1
    for ids, _ in blocks():
        if len(ids):
            count += len(ids)
            low, high = min(low, int(ids.min())), max(high, int(ids.max()))
    if not count:
        return math.nan
    # Who bought in which year, as a grid of ids by years.
    if low < 0 or high > 4 * count:  # a real file's ids: make them dense
        parts = list(blocks())
        ids = np.unique(np.concatenate([i for i, _ in parts]), return_inverse=True)[1]
        bought = np.zeros((int(ids.max()) + 1, n_years), dtype=bool)
        bought[ids, np.concatenate([y for _, y in parts])] = True
    else:
        bought = np.zeros((high + 1, n_years), dtype=bool)
        for ids, year in blocks():
            bought[ids, year] = True
    kept = int((bought[:, :-1] & bought[:, 1:]).sum())
    return _ratio(kept, int(bought[:, :-1].sum()))


#: Purchases looked at once by the metrics that go through the table block by block.
ROW_BLOCK = SALES_BLOCK


@functools.lru_cache(maxsize=32)
def _sensitivity_terciles(shape: float) -> np.ndarray:
    """Cut points of the thirds of Gamma(shape, 1/shape), the population's price sensitivity."""
    from scipy.special import gammaincinv

    return np.array([gammaincinv(shape, q) / shape for q in (1 / 3, 2 / 3)])


def _existing(customers: pd.DataFrame) -> pd.Series:
    """Relationships already running when the measured window began (day 0)."""
    if "existing" in customers.columns:
        return customers["existing"].astype(bool)
    return customers["start_day"] <= 0.0


def lost_destinations(customers: pd.DataFrame, firm: str, horizon: float) -> dict[str, float]:
    """Where the customers a firm lost in the measured window went.

    A relationship that ended for a cause that takes the person out of the market
    (relocation, other exits) went *out of the market*; one followed the same day by the same
    person's relationship with another firm, won by switching, went *to that rival*; the rest
    went *back to the pool* of prospects, whom any firm may win later.

    Returns
    -------
    dict of str to float
        ``lost_to_rivals``, ``lost_out_of_market``, ``lost_to_pool`` (they add up to the
        relationships ended in the window) and ``lost_to_<firm>`` for every other firm.
    """
    # only the columns read here are copied with the rows
    customers = customers[["customer_id", "firm", "start_day", "end_day", "channel", "cause"]]
    end = customers["end_day"]
    ended = customers[(customers["firm"] == firm) & (end >= 0) & (end <= horizon)]
    cause = label_codes(ended["cause"], CAUSE_LABELS)
    out = pd.Series(np.isin(cause, [int(c) for c in LEAVES_MARKET]), index=ended.index)
    # The next relationship of the same person, when it began by switching on the day of the end.
    switch = label_codes(customers["channel"], CHANNEL_LABELS) == Channel.SWITCH
    switched = customers[switch].drop_duplicates(["customer_id", "start_day"])
    nxt = ended[["customer_id", "end_day"]].merge(
        switched[["customer_id", "start_day", "firm"]].rename(columns={"firm": "to"}),
        left_on=["customer_id", "end_day"],
        right_on=["customer_id", "start_day"],
        how="left",
    )
    to = nxt["to"].astype(object).where(~out.to_numpy())
    m = {
        "lost_out_of_market": float(out.sum()),
        "lost_to_rivals": float(to.notna().sum()),
        "lost_to_pool": float((~out.to_numpy() & to.isna().to_numpy()).sum()),
    }
    firms = customers["firm"]
    names = firms.cat.categories if isinstance(firms.dtype, pd.CategoricalDtype) else firms.unique()
    for other in sorted({str(f) for f in names} - {firm}):
        m[f"lost_to_{other}"] = float((to == other).sum())
    return m


#: Days of the window at the end of a run over which the brand measures are taken (a quarter).
BRAND_WINDOW_DAYS = 91.0
#: The focal firm's brand performance measures, observed and as the Dirichlet has them.
BRAND_MEASURES = ("market_share", "penetration", "purchases_per_buyer", "scr", "sole_buyers")


def wallet_lost(customers: pd.DataFrame, firm: str, horizon: float) -> dict[str, float]:
    """Category purchases a year the firm lost with the relationships that ended, by cause.

    A relationship that ends takes with it the firm's share of the person's category
    purchases: in a repertoire market the firm's share of the repertoire, in an exclusive one
    the rung's share of wallet. Beside the cause mix (relationships ended by cause), this is
    share of wallet lost by cause: a neglected light buyer counts for less than a heavy one.

    Returns
    -------
    dict of str to float
        ``wallet_lost_<cause>`` (purchases a year) and ``wallet_share_<cause>`` (their share
        of all the purchases lost) for every cause.
    """
    names = [f"wallet_{kind}_{c.label}" for kind in ("lost", "share") for c in Cause]
    if "share_of_wallet" not in customers.columns:  # a run stored before relsim recorded it
        return dict.fromkeys(names, math.nan)
    end = customers["end_day"]
    ended = customers[(customers["firm"] == firm) & (end >= 0) & (end <= horizon)]
    lost = ended["true_purchases_per_year"] * ended["share_of_wallet"]
    by_cause = lost.groupby(label_codes(ended["cause"], CAUSE_LABELS)).sum()
    total = float(lost.sum())
    m: dict[str, float] = {}
    for c in Cause:
        m[f"wallet_lost_{c.label}"] = float(by_cause.get(int(c), 0.0))
    for c in Cause:
        m[f"wallet_share_{c.label}"] = _ratio(m[f"wallet_lost_{c.label}"], total)
    return m


def brand_metrics(
    scenario: Scenario, tables: dict[str, pd.DataFrame]
) -> dict[str, dict[str, float]]:
    """Every firm's brand performance measures over the run's last quarter, and the Dirichlet's.

    The panel is the people in the market for the whole window
    (:func:`relsim.analysis.brands.static_panel`); the NBD-Dirichlet is fitted once to the
    whole market's window as NBDdirichlet fits it
    (:func:`relsim.analysis.brands.dirichlet_for`), and a firm's deviation from it, observed
    minus theoretical, is its excess loyalty (Fader & Schmittlein 1993): what the firm's
    relationships buy beyond what its size alone gives it.

    Parameters
    ----------
    scenario : Scenario
        The scenario the run simulated.
    tables : dict of pandas.DataFrame
        The run's ``transactions`` (every firm's: the Dirichlet is the market's) and
        ``events``.

    Returns
    -------
    dict of str to dict of str to float
        Per firm, ``brand_<measure>`` and ``dirichlet_<measure>`` for :data:`BRAND_MEASURES`,
        ``excess_<measure>`` for the per-buyer ones, and the fitted ``dirichlet_S``. When no
        Dirichlet fits the window (fewer than two firms with buyers, or everyone in the panel
        bought), the theoretical and excess values are missing and the observed ones stand.
        The window is the run's last 91 days, or the whole run if it is shorter.
    """
    from relsim.analysis.brands import PanelError, dirichlet_for, observed_measures, static_panel

    firms = list(scenario.firms)
    horizon = float(scenario.simulation.days)
    start = max(0.0, horizon - BRAND_WINDOW_DAYS)
    purchases, size = static_panel(
        tables["transactions"], tables["events"], scenario.simulation.people, start, horizon
    )
    try:
        observed, category = observed_measures(purchases, size, firms)
    except PanelError:  # nobody bought in the window
        return {f: dict.fromkeys(brand_metric_names(), math.nan) for f in firms}
    try:
        fit = dirichlet_for(observed, category)
        theory = fit.model.measures().reindex(observed.index)
        concentration = float(fit.model.S)
    except PanelError:  # the observed measures stand; no theory to set beside them
        theory = pd.DataFrame(math.nan, index=observed.index, columns=list(BRAND_MEASURES))
        concentration = math.nan
    out: dict[str, dict[str, float]] = {}
    for firm in firms:
        m: dict[str, float] = {}
        for name in BRAND_MEASURES:
            m[f"brand_{name}"] = float(observed.at[firm, name])
        for name in BRAND_MEASURES:
            m[f"dirichlet_{name}"] = float(theory.at[firm, name])
        for name in BRAND_MEASURES[2:]:
            m[f"excess_{name}"] = m[f"brand_{name}"] - m[f"dirichlet_{name}"]
        m["dirichlet_S"] = concentration
        out[firm] = m
    return out


def brand_metric_names() -> list[str]:
    """The names :func:`brand_metrics` returns, in its order."""
    return [
        *(f"brand_{n}" for n in BRAND_MEASURES),
        *(f"dirichlet_{n}" for n in BRAND_MEASURES),
        *(f"excess_{n}" for n in BRAND_MEASURES[2:]),
        "dirichlet_S",
    ]


def run_metrics(
    scenario: Scenario,
    tables: dict[str, pd.DataFrame],
    firm: str | None = None,
    daily: pd.DataFrame | None = None,
    brands: dict[str, float] | None = None,
) -> dict[str, float]:
    """Measure one run: money, stock and flows, retention, causes, tenure, trial, CLV.

    Parameters
    ----------
    scenario : Scenario
        The scenario the run simulated.
    tables : dict of pandas.DataFrame
        The run's ``transactions``, ``customers`` and ``timeseries``.
    firm : str, optional
        Whose figures; the focal firm by default.
    daily : pandas.DataFrame, optional
        The firm's :func:`~relsim.analysis.economics.daily_ledger`, when the caller has it.
    brands : dict of str to float, optional
        The firm's :func:`brand_metrics`, when the caller has them (they need every firm's
        purchases: a caller that passes only the firm's must pass these).

    Returns
    -------
    dict of str to float
    """
    firm = firm or scenario.market.focal
    horizon = float(scenario.simulation.days)
    # The measures below take the firm's purchases from the whole table themselves, a block
    # at a time: a copy of the firm's rows would cost as much as the table's biggest columns.
    if daily is None:
        daily = daily_ledger(scenario, tables, firm)
    m: dict[str, float] = {}
    for col in ["revenue", "gross_margin", *COST_LINES, "total_costs", "profit", *DISCOUNT_LINES]:
        m[col] = float(daily[col].sum())
    m["npv"] = npv(daily, scenario.economics.discount_rate_per_year)
    m["profit_margin"] = _ratio(m["profit"], m["revenue"])

    ts = tables["timeseries"]
    ts = ts[ts["firm"] == firm]
    m["customers_start"] = float(ts["active"].iloc[0])
    m["customers_end"] = float(ts["active"].iloc[-1])
    cy = float(daily["customer_days"].sum() / YEAR)
    m["customer_years"] = cy
    for ch in Channel:
        if ch is not Channel.INITIAL:
            m[f"acquired_{ch.label}"] = float(daily[f"acquired_{ch.label}"].sum())
    m["acquired_new"] = sum(
        m[f"acquired_{ch.label}"] for ch in Channel if ch is not Channel.INITIAL
    )
    lost_total = float(sum(daily[f"lost_{c.label}"].sum() for c in Cause))
    m["lost_total"] = lost_total
    for c in Cause:
        lost = float(daily[f"lost_{c.label}"].sum())
        m[f"lost_{c.label}"] = lost
        m[f"defections_{c.label}_per_customer_year"] = _ratio(lost, cy)
        m[f"cause_share_{c.label}"] = _ratio(lost, lost_total)
    churn = _ratio(lost_total, cy)
    m["churn_per_customer_year"] = churn
    # Share of customers kept over a year at the run's average defection hazard.
    m["retention_rate"] = math.exp(-churn) if not math.isnan(churn) else math.nan
    m["purchases_per_customer_year"] = _ratio(float(daily["purchases"].sum()), cy)
    st = scenario.firms[firm]
    flows = ts.iloc[1:]
    contacts = float(flows["contacts"].sum())
    spare = float(flows["spare_contacts"].sum())
    m["contacts_per_customer_year"] = _ratio(contacts, cy)
    m["spare_contacts_per_customer_year"] = _ratio(spare, cy)
    # The mean gap between contacts a customer gets: attention actually paid.
    m["days_between_contacts"] = _ratio(cy * YEAR, contacts)
    due = flows["contacts"] - flows["spare_contacts"]
    m["contact_delay_days"] = _ratio(
        float((flows["contact_delay_days"] * due).sum()), float(due.sum())
    )
    capacity = st.account_managers / st.contact_duration_days * horizon
    m["account_manager_utilisation"] = _ratio(contacts, capacity)
    filed = float(flows["complaints"].sum())
    resolved = float(flows["complaints_resolved"].sum())
    abandoned = float(flows["complaints_abandoned"].sum())
    m["complaints_per_customer_year"] = _ratio(filed, cy)
    m["complaint_wait_days"] = _ratio(
        float(
            (
                flows["complaint_wait_days"]
                * (flows["complaints_resolved"] + flows["complaints_abandoned"])
            ).sum()
        ),
        resolved + abandoned,
    )
    m["complaint_resolution_days"] = _ratio(
        float((flows["complaint_resolution_days"] * flows["complaints_resolved"]).sum()), resolved
    )
    m["complaints_abandoned_share"] = _ratio(abandoned, resolved + abandoned)
    ev = tables["events"]
    recovered = float(((ev["firm"] == firm) & (ev["event"] == "recovered")).sum())
    m["complaints_recovered_share"] = _ratio(recovered, resolved + abandoned)

    paid = m["acquired_paid"] + m["acquired_coupon"]
    m["acquisition_spend"] = sum(m[line] for line in ACQUISITION_LINES)
    m["cost_per_acquired"] = _ratio(m["acquisition_spend"], paid)
    m["retention_spend"] = sum(m[line] for line in RETENTION_LINES) + m["loyalty_discounts"]
    m["cost_per_retained_customer_year"] = _ratio(m["retention_spend"], cy)
    m["acquisition_retention_cost_ratio"] = _ratio(
        m["cost_per_acquired"], m["cost_per_retained_customer_year"]
    )
    m["cost_per_win_back"] = _ratio(m["win_back"], m["acquired_win_back"])
    m["trial_rate"] = _ratio(paid, float(daily["reached"].sum()))

    cu = tables["customers"]
    cu = cu[cu["firm"] == firm]
    channel = cu["channel"].astype(str)
    existing = _existing(cu)
    early = ~existing & (cu["start_day"] <= horizon - SECOND_PURCHASE_WINDOW)
    for ch in (Channel.PAID, Channel.COUPON, Channel.REFERRAL, Channel.WIN_BACK):
        sel = early & (channel == ch.label)
        m[f"second_purchase_rate_{ch.label}"] = (
            float((cu.loc[sel, "purchases"] >= 2).mean()) if sel.any() else math.nan
        )
    # Within thirds of the population's price sensitivity, averaged with equal weights (the
    # composition of paid triers, whose trial does not depend on sensitivity): a gap that
    # remains is not the composition effect of Neslin & Shoemaker (1989).
    cuts = _sensitivity_terciles(scenario.population.price_sensitivity_shape)
    stratum = np.digitize(cu["price_sensitivity"].to_numpy(), cuts)
    for ch in (Channel.PAID, Channel.COUPON):
        sel = (early & (channel == ch.label)).to_numpy()
        rates = [
            float((cu["purchases"].to_numpy()[sel & (stratum == k)] >= 2).mean())
            if (sel & (stratum == k)).any()
            else math.nan
            for k in range(3)
        ]
        m[f"second_purchase_rate_{ch.label}_stratified"] = float(np.mean(rates))
    m.update(lost_destinations(tables["customers"], firm, horizon))
    m.update(wallet_lost(tables["customers"], firm, horizon))
    m.update(brands if brands is not None else brand_metrics(scenario, tables)[firm])
    initial = cu[existing]
    tenure = initial["end_day"].fillna(horizon).clip(upper=horizon)
    m["tenure_existing_days"] = float(tenure.mean()) if len(tenure) else math.nan
    m["existing_kept_share"] = float(initial["end_day"].isna().mean()) if len(initial) else math.nan
    m["repeat_purchase_rate"] = repeat_purchase_rate(tables["transactions"], firm, horizon)
    m["repeat_purchase_rate_existing"] = repeat_purchase_rate(
        tables["transactions"], firm, horizon, initial["relationship_id"].to_numpy()
    )

    clv = realised_clv(scenario, tables, firm)
    new = clv[clv["start_day"] > 0]
    m["clv_new"] = float(new["clv"].mean()) if len(new) else math.nan
    for ch in Channel:
        sel = clv["channel"] == ch.label
        m[f"clv_{ch.label}"] = float(clv.loc[sel, "clv"].mean()) if sel.any() else math.nan
    last = ts.iloc[-1]
    for r in RELATIONSHIP_RUNGS:
        m[f"customers_end_{r.label}"] = float(last[r.label])
    m.update(fact_measures(tables, firm, horizon))
    m.update(customer_equity(scenario, tables, firm))
    # The default objective of comparisons: profit so far plus the value of the base left.
    m["profit_plus_equity"] = m["profit"] + m["customer_equity"]
    m["npv_plus_equity"] = m["npv"] + m["customer_equity_npv"]
    return m


def metric_names() -> list[str]:
    """The names of every figure :func:`run_metrics` returns, in its order.

    Known without running anything, so experiment claims and sweep outputs can be checked
    before any computing starts (a test keeps this list and :func:`run_metrics` in step).
    """
    names = [
        "revenue",
        "gross_margin",
        *COST_LINES,
        "total_costs",
        "profit",
        *DISCOUNT_LINES,
        "npv",
        "profit_margin",
        "customers_start",
        "customers_end",
        "customer_years",
    ]
    names += [f"acquired_{ch.label}" for ch in Channel if ch is not Channel.INITIAL]
    names += ["acquired_new", "lost_total"]
    for c in Cause:
        names += [
            f"lost_{c.label}",
            f"defections_{c.label}_per_customer_year",
            f"cause_share_{c.label}",
        ]
    names += [
        "churn_per_customer_year",
        "retention_rate",
        "purchases_per_customer_year",
        "contacts_per_customer_year",
        "spare_contacts_per_customer_year",
        "days_between_contacts",
        "contact_delay_days",
        "account_manager_utilisation",
        "complaints_per_customer_year",
        "complaint_wait_days",
        "complaint_resolution_days",
        "complaints_abandoned_share",
        "complaints_recovered_share",
        "acquisition_spend",
        "cost_per_acquired",
        "retention_spend",
        "cost_per_retained_customer_year",
        "acquisition_retention_cost_ratio",
        "cost_per_win_back",
        "trial_rate",
    ]
    names += [
        f"second_purchase_rate_{ch.label}"
        for ch in (Channel.PAID, Channel.COUPON, Channel.REFERRAL, Channel.WIN_BACK)
    ]
    names += [
        f"second_purchase_rate_{ch.label}_stratified" for ch in (Channel.PAID, Channel.COUPON)
    ]
    # lost_to_<firm> for every other firm follows these three; it depends on the scenario
    names += ["lost_out_of_market", "lost_to_rivals", "lost_to_pool"]
    names += [f"wallet_{kind}_{c.label}" for kind in ("lost", "share") for c in Cause]
    names += brand_metric_names()
    names += [
        "tenure_existing_days",
        "existing_kept_share",
        "repeat_purchase_rate",
        "repeat_purchase_rate_existing",
        "clv_new",
    ]
    names += [f"clv_{ch.label}" for ch in Channel]
    names += [f"customers_end_{r.label}" for r in RELATIONSHIP_RUNGS]
    names += list(FACT_MEASURES)
    names += [*EQUITY_MEASURES, "profit_plus_equity", "npv_plus_equity"]
    return names
