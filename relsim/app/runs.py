"""One run of the teaching page, boiled down to what the page draws (a small JSON document).

Everything the page shows, the animated bucket included, comes from these series, so playing,
stepping or comparing runs costs no further simulation:

* weekly stocks on each rung, inflow by channel (paid advertising and coupons, referral,
  switched from the rival, won back) and outflow by cause;
* monthly profit after every cost line;
* the key figures, worded for a class (``None`` where a figure has no value, say utilisation
  without managers: the page writes "no managers", never "nan");
* customer equity at the end over horizons of 1 to 10 years (the ladder chain of
  :mod:`relsim.analysis.equity`, estimated from the run's last year), beside profit, because
  profit over two years ignores the customers a strategy leaves behind;
* the weekly rung of a sample of people, for the view of customers climbing and falling.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd

from relsim.analysis.economics import daily_ledger, period_ledger
from relsim.analysis.equity import STATES, estimate_chain
from relsim.analysis.metrics import brand_metric_names, run_metrics
from relsim.analysis.simulation import simulate
from relsim.app.levers import SEED, check_levers, scenario_for
from relsim.model.causes import CAUSE_LABELS
from relsim.model.rates import YEAR

#: Inflow channels as the page names them: timeseries columns summed into each.
CHANNELS: dict[str, tuple[str, ...]] = {
    "paid": ("acquired_paid", "acquired_coupon"),
    "referral": ("acquired_referral",),
    "switched from the rival": ("acquired_switch",),
    "won back": ("acquired_win_back",),
}
HORIZONS = tuple(range(1, 11))
WEEK = 7
#: People followed in the ladder view.
SAMPLE = 60
#: Ladder view states below the rungs.
PROSPECT, WITH_RIVAL = 0, -1


def _clean(x: Any) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _weekly(ts: pd.DataFrame, days: float) -> tuple[np.ndarray, pd.DataFrame]:
    """Week ends (days 7, 14, ... and the last day) and the rows of the week-end days."""
    ends = np.arange(WEEK, days + 1, WEEK, dtype=float)
    if ends[-1] != days:
        ends = np.append(ends, float(days))
    return ends, ts.set_index("day")


def _people(tables: dict[str, pd.DataFrame], firm: str, ends: np.ndarray) -> dict[str, Any]:
    """Weekly ladder state of a sample of the people who were ever the firm's customers."""
    cu = tables["customers"]
    ours = cu[cu["firm"] == firm]
    ids = np.sort(ours["customer_id"].unique())
    rng = np.random.default_rng(SEED)
    chosen = np.sort(rng.choice(ids, size=min(SAMPLE, len(ids)), replace=False))
    index = {int(c): i for i, c in enumerate(chosen)}
    state = np.full((len(chosen), len(ends)), PROSPECT, dtype=int)
    mine = cu[cu["customer_id"].isin(chosen)]
    for rel in mine[mine["firm"] != firm].itertuples():
        end = rel.end_day if rel.end_day == rel.end_day else math.inf
        live = (ends >= rel.start_day) & (ends < end)
        state[index[int(rel.customer_id)], live] = WITH_RIVAL
    ev = tables["events"]
    ev = ev[(ev["firm"] == firm) & ev["customer_id"].isin(chosen)]
    moves = ev[ev["event"].isin(("acquired", "rung_up", "rung_down"))].sort_values("day")
    rung_no = {label: i + 1 for i, label in enumerate(STATES)}
    # One pass over the events (not one filter per relationship): moves in day order and
    # each relationship's first event, by relationship.
    moves_of = dict(tuple(moves.groupby("relationship_id", sort=False, observed=True)))
    first_from = ev.drop_duplicates("relationship_id").set_index("relationship_id")["rung_from"]
    no_moves = moves.iloc[:0]
    left: list[list[Any]] = []
    for rel in mine[mine["firm"] == firm].itertuples():
        i = index[int(rel.customer_id)]
        end = rel.end_day if rel.end_day == rel.end_day else math.inf
        own = moves_of.get(rel.relationship_id, no_moves)
        first = first_from.get(rel.relationship_id)
        start_rung = str(first) if first is not None and str(first) in rung_no else str(rel.rung)
        if len(own) and own["event"].iloc[0] == "acquired":
            start_rung = str(own["rung_to"].iloc[0])
        days = [rel.start_day, *own["day"].tolist(), math.inf]
        rungs = [start_rung, *own["rung_to"].astype(str).tolist()]
        for lo, hi, rung in zip(days[:-1], days[1:], rungs, strict=True):
            live = (ends >= lo) & (ends < min(hi, end))
            state[i, live] = rung_no.get(rung, 1)
        if end < math.inf and isinstance(rel.cause, str):
            week = int(np.searchsorted(ends, end))
            if week < len(ends):
                left.append([i, week, rel.cause])
    return {"state": state.tolist(), "left": left}


def run_payload(levers: dict[str, Any]) -> dict[str, Any]:
    """Simulate one setting of the levers and reduce the run to what the page draws.

    Parameters
    ----------
    levers : dict
        Lever key to value; checked by :func:`relsim.app.levers.check_levers`.

    Returns
    -------
    dict
        A JSON-ready document: ``levers``, ``weeks`` (ISO dates of the week ends),
        ``stock`` (rung to weekly level), ``inflow`` (channel to weekly count), ``outflow``
        (cause to weekly count), ``months`` and ``profit`` (per month), ``figures``,
        ``equity`` (per horizon in years), ``people`` and ``seconds`` (compute time).
    """
    started = time.perf_counter()
    lv = check_levers(levers)
    sc = scenario_for(lv)
    tables = simulate(sc, seed=SEED).tables()
    firm = sc.market.focal
    days = sc.simulation.days
    ts = tables["timeseries"]
    ts = ts[ts["firm"] == firm].sort_values("day")
    ends, by_day = _weekly(ts, days)
    bins = np.searchsorted(ends, ts["day"].to_numpy(dtype=float), side="left")
    flows = ts.assign(_week=bins)
    flows = (
        flows[(flows["day"] > 0) & (flows["_week"] < len(ends))]
        .groupby("_week")
        .sum(numeric_only=True)
    )
    flows = flows.reindex(range(len(ends)), fill_value=0)
    dates = pd.Timestamp(sc.simulation.start_date) + pd.to_timedelta(ends, unit="D")
    stock = {r: by_day[r].reindex(ends, method="ffill").astype(int).tolist() for r in STATES}
    inflow = {
        name: flows[list(cols)].sum(axis=1).astype(int).tolist() for name, cols in CHANNELS.items()
    }
    outflow = {c: flows[f"lost_{c}"].astype(int).tolist() for c in CAUSE_LABELS}

    ledger = period_ledger(daily_ledger(sc, tables, firm), "month")
    # The page shows no brand measures: the Dirichlet is not fitted for it.
    m = run_metrics(sc, tables, brands=dict.fromkeys(brand_metric_names(), math.nan))
    chain = estimate_chain(sc, tables, firm, until=days, window=YEAR)
    last = np.array([stock[r][-1] for r in STATES], dtype=float)
    equity = [float(last @ chain.values(h)) for h in HORIZONS]

    won = float(sum(m[col] for cols in CHANNELS.values() for col in cols))
    # What winning a new customer costs is the run's own figure (metrics.cost_per_acquired):
    # advertising with its coupons over the customers it brought. Referrals and switchers
    # from the rival cost no channel money; win-back offers go to former customers and are
    # shown on their own line.
    bought = m["acquired_paid"] + m["acquired_coupon"]
    managers = lv["managers"]
    figures = {
        "profit": m["profit"],
        "revenue": m["revenue"],
        "costs": m["total_costs"],
        "customers_start": m["customers_start"],
        "customers_end": m["customers_end"],
        "won": won,
        "won_by_channel": {k: float(sum(inflow[k])) for k in CHANNELS},
        "lost": m["lost_total"],
        "lost_by_cause": {c: m[f"lost_{c}"] for c in CAUSE_LABELS},
        "kept_a_year": m["retention_rate"],
        "spent_winning": m["acquisition_spend"],
        "spent_winning_back": m["win_back"],
        "bought": bought,
        # every paying channel's cost (ads, coupons, win-back) over the customers it won
        "cost_per_bought": _finite_or_none(m["cost_per_acquired"]),
        "managers_busy": m["account_manager_utilisation"] if managers else None,
        "contacts_per_customer_year": m["contacts_per_customer_year"],
        "staff_cost": m["sales_managers"] + m["service_desk"],
        "discounts": m["discounts"],
    }
    return {
        "levers": lv,
        "days": days,
        "weeks": [d.strftime("%Y-%m-%d") for d in dates],
        "stock": stock,
        "inflow": inflow,
        "outflow": outflow,
        "months": [pd.Timestamp(p).strftime("%Y-%m") for p in ledger["period"]],
        "profit": [round(float(x), 2) for x in ledger["profit"]],
        "figures": {
            k: ({kk: _clean(vv) for kk, vv in v.items()} if isinstance(v, dict) else _clean(v))
            for k, v in figures.items()
        },
        "equity": {"years": list(HORIZONS), "value": [_clean(e) for e in equity]},
        "people": _people(tables, firm, ends),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _finite_or_none(x: float) -> float | None:
    # JSON has no NaN: a ratio over nothing is shown as "none"
    return float(x) if np.isfinite(x) else None
