"""A run's records turned into its four tables, with ordinary purchases drawn in bulk.

- ``transactions``: one row per purchase (customer id, firm, date, amount), the shape of a
  real transaction file, plus the relationship, rung and whether the episode failed;
- ``events``: every state change, with rung and cause;
- ``customers``: one row per relationship, with the person's latent traits;
- ``timeseries``: per firm and day, customers by rung, acquisitions by channel, losses by
  cause, revenue and the account team's work.

The purchases of a relationship between two state changes are a Poisson process of known
rate, so they are drawn here in one vectorised pass (count per segment, then uniform times),
and joined with the purchases that were events in their own right. Spend per purchase is the
person's mean basket times the firm's price at that moment (list price, promotion, loyalty
discount, the coupon or win-back offer of a first purchase) times gamma noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsim.model.causes import CAUSE_LABELS, Cause
from relsim.model.ladder import RELATIONSHIP_RUNGS, RUNG_LABELS
from relsim.model.market import Market
from relsim.model.records import Channel, EventKind

CHANNEL_LABELS = tuple(c.label for c in Channel)
EVENT_LABELS = tuple(k.label for k in EventKind)


def _categorical(codes: np.ndarray, labels: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(labels))


def _dates(start: pd.Timestamp, days: np.ndarray) -> pd.Series:
    # Millisecond resolution is plenty for purchases and keeps the arithmetic exact enough.
    return start + pd.to_timedelta(np.round(np.asarray(days) * 86_400_000.0), unit="ms")


def _price_factor(m: Market, firm_idx: np.ndarray, rung: np.ndarray, t: np.ndarray) -> np.ndarray:
    factor = np.empty(len(t))
    for f in m.firms:
        sel = firm_idx == f.index
        fr = f.rates
        x = np.full(sel.sum(), fr.price_index)
        tt = t[sel]
        if fr.promo_depth > 0.0:
            promo = np.mod(tt - fr.promo_offset, fr.promo_every) < fr.promo_length
            x = np.where(promo, x * (1.0 - fr.promo_depth), x)
        x = np.where(rung[sel] >= fr.loyalty_from, x * (1.0 - fr.loyalty_depth), x)
        factor[sel] = x
    return factor


def transactions_table(m: Market) -> pd.DataFrame:
    """Draw the bulk purchases and return every purchase of the run, in time order.

    Parameters
    ----------
    m : Market
        A market that has run.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id, firm, date, amount, relationship_id, day, rung, failed,
        discount``.
    """
    log, rng = m.log, m.purchases_rng
    seg_rel = np.asarray(log.seg_rel, dtype=np.int64)
    start = np.asarray(log.seg_start, dtype=float)
    length = np.asarray(log.seg_end, dtype=float) - start
    counts = rng.poisson(np.asarray(log.seg_rate, dtype=float) * length)
    which = np.repeat(np.arange(len(seg_rel)), counts)
    bulk_t = start[which] + rng.random(len(which)) * length[which]

    rel = np.concatenate([seg_rel[which], np.asarray(log.buy_rel, dtype=np.int64)])
    t = np.concatenate([bulk_t, np.asarray(log.buy_time, dtype=float)])
    rung = np.concatenate([np.asarray(log.seg_rung, dtype=np.int64)[which],
                           np.asarray(log.buy_rung, dtype=np.int64)])
    failed = np.concatenate([np.zeros(len(which), dtype=bool),
                             np.asarray(log.buy_failed, dtype=bool)])
    offer = np.concatenate([np.zeros(len(which)), np.asarray(log.buy_offer, dtype=float)])
    order = np.lexsort((rel, t))
    rel, t, rung, failed, offer = rel[order], t[order], rung[order], failed[order], offer[order]

    rels = m.relationships
    person = np.fromiter((r.person.id for r in rels), dtype=np.int64, count=len(rels))
    firm = np.fromiter((r.firm.index for r in rels), dtype=np.int64, count=len(rels))
    basket = np.fromiter((r.person.basket for r in rels), dtype=float, count=len(rels))
    f_idx = firm[rel]
    shape = m.rates.spend_shape
    noise = rng.gamma(shape, 1.0 / shape, len(t)) if shape > 0 else np.ones(len(t))
    at_list = basket[rel] * noise * np.array([f.rates.price_index for f in m.firms])[f_idx]
    amount = np.round(basket[rel] * _price_factor(m, f_idx, rung, t) * (1.0 - offer) * noise, 2)

    start_date = pd.Timestamp(m.scenario.simulation.start_date)
    return pd.DataFrame({
        "customer_id": person[rel],
        "firm": pd.Categorical.from_codes(f_idx, categories=[f.name for f in m.firms]),
        "date": _dates(start_date, t),
        "amount": amount,
        "relationship_id": rel,
        "day": t,
        "rung": _categorical(rung, RUNG_LABELS),
        "failed": failed,
        # Given away at this purchase by promotions, loyalty discounts, coupons, win-back offers.
        "discount": np.round(np.maximum(at_list - amount, 0.0), 2),
    })


def events_table(m: Market) -> pd.DataFrame:
    """Every state change of the run, in the order it happened.

    Returns
    -------
    pandas.DataFrame
        Columns ``day, date, customer_id, relationship_id, firm, event, rung_from, rung_to,
        cause, channel`` (codes of -1 become missing values).
    """
    cols = list(zip(*m.log.events, strict=True)) if m.log.events else [()] * 9
    # Faded grievances are logged when next looked at, so restore time order (stably).
    order = np.argsort(np.asarray(cols[0], dtype=float), kind="stable")
    t, person, rel, firm, kind, r0, r1, cause, channel = (np.asarray(c)[order] for c in cols)
    start_date = pd.Timestamp(m.scenario.simulation.start_date)
    return pd.DataFrame({
        "day": t.astype(float),
        "date": _dates(start_date, t.astype(float)),
        "customer_id": person.astype(np.int64),
        "relationship_id": rel.astype(np.int64),
        "firm": pd.Categorical.from_codes(firm.astype(np.int64),
                                          categories=[f.name for f in m.firms]),
        "event": _categorical(kind, EVENT_LABELS),
        "rung_from": _categorical(r0, RUNG_LABELS),
        "rung_to": _categorical(r1, RUNG_LABELS),
        "cause": _categorical(cause, CAUSE_LABELS),
        "channel": _categorical(channel, CHANNEL_LABELS),
    })


def customers_table(m: Market, transactions: pd.DataFrame) -> pd.DataFrame:
    """One row per relationship: how it began and ended, what it bought, who the person is.

    Parameters
    ----------
    m : Market
        A market that has run.
    transactions : pandas.DataFrame
        Its :func:`transactions_table`.

    Returns
    -------
    pandas.DataFrame
    """
    rels = m.relationships
    n = len(rels)
    by_rel = transactions.groupby("relationship_id", observed=True)["amount"]
    purchases = by_rel.size().reindex(range(n), fill_value=0).to_numpy()
    revenue = by_rel.sum().reindex(range(n), fill_value=0.0).to_numpy()
    start_date = pd.Timestamp(m.scenario.simulation.start_date)
    start = np.array([r.start for r in rels], dtype=float)
    end = np.array([r.end for r in rels], dtype=float)
    seg_names = m.factory.segment_names
    df = pd.DataFrame({
        "relationship_id": np.arange(n, dtype=np.int64),
        "customer_id": np.array([r.person.id for r in rels], dtype=np.int64),
        "firm": pd.Categorical.from_codes(np.array([r.firm.index for r in rels], dtype=np.int64),
                                          categories=[f.name for f in m.firms]),
        "start_day": start,
        "start_date": _dates(start_date, start),
        "channel": _categorical([r.channel for r in rels], CHANNEL_LABELS),
        "returning": np.array([r.returning for r in rels], dtype=bool),
        "end_day": end,
        "end_date": _dates(start_date, end),
        "cause": _categorical([r.cause for r in rels], CAUSE_LABELS),
        "rung": _categorical([r.rung if r.active else -1 for r in rels], RUNG_LABELS),
        "highest_rung": _categorical([r.max_rung for r in rels], RUNG_LABELS),
        "purchases": purchases.astype(np.int64),
        "revenue": np.round(revenue, 2),
        "service_failures": np.array([r.failures for r in rels], dtype=np.int64),
        "complaints": np.array([r.complaints for r in rels], dtype=np.int64),
        "segment": pd.Categorical.from_codes(np.array([r.person.segment for r in rels],
                                                      dtype=np.int64), categories=list(seg_names)),
        "true_purchases_per_year": np.array([r.person.rate * 365.0 for r in rels]),
        "true_basket": np.array([r.person.basket for r in rels]),
        "price_sensitivity": np.array([r.person.price_sensitivity for r in rels]),
        "complaint_propensity": np.array([r.person.complaint_propensity for r in rels]),
    })
    return df


SNAPSHOT_COLUMNS = (
    ["day", "firm_index"]
    + [r.label for r in RELATIONSHIP_RUNGS]
    + [f"acquired_{c.label}" for c in Channel]
    + [f"lost_{c.label}" for c in Cause]
    + ["contacts", "contact_delay_days", "reached", "win_back_offers", "pool"]
)


def timeseries_table(m: Market, transactions: pd.DataFrame) -> pd.DataFrame:
    """Per firm and day: the stock by rung and the day's flows (acquired, lost, revenue).

    Row ``d`` holds the stock at the start of day ``d`` and the flows during day ``d - 1``
    (so on day 0 the flows are the initial customers). The cumulative columns
    ``acquired_to_date`` and ``lost_to_date`` satisfy ``acquired_to_date - lost_to_date == active``.

    Returns
    -------
    pandas.DataFrame
    """
    snap = pd.DataFrame(m.log.snapshots, columns=SNAPSHOT_COLUMNS)
    rung_cols = [r.label for r in RELATIONSHIP_RUNGS]
    acq_cols = [f"acquired_{c.label}" for c in Channel]
    lost_cols = [f"lost_{c.label}" for c in Cause]
    snap["active"] = snap[rung_cols].sum(axis=1)
    snap["acquired_to_date"] = snap[acq_cols].sum(axis=1)
    snap["lost_to_date"] = snap[lost_cols].sum(axis=1)
    flows = acq_cols + lost_cols + ["contacts", "contact_delay_days", "reached",
                                    "win_back_offers"]
    diffs = snap.groupby("firm_index")[flows].diff().fillna(snap[flows])
    snap[flows] = diffs
    served = snap["contacts"]
    snap["contact_delay_days"] = np.where(served > 0,
                                          snap["contact_delay_days"] / served.clip(lower=1), np.nan)
    day_of = np.ceil(transactions["day"].to_numpy())  # a purchase during day d-1 lands in row d
    firm_of = transactions["firm"].cat.codes.to_numpy()
    sales = (pd.DataFrame({"day": day_of, "firm_index": firm_of,
                           "revenue": transactions["amount"].to_numpy()})
             .groupby(["firm_index", "day"])["revenue"].agg(["sum", "size"]))
    key = pd.MultiIndex.from_arrays([snap["firm_index"], snap["day"]])
    sales = sales.reindex(key, fill_value=0)
    snap["revenue"] = np.round(sales["sum"].to_numpy(), 2)
    snap["purchases"] = sales["size"].to_numpy().astype(np.int64)
    start_date = pd.Timestamp(m.scenario.simulation.start_date)
    snap.insert(1, "date", _dates(start_date, snap["day"].to_numpy()))
    snap.insert(2, "firm", pd.Categorical.from_codes(snap["firm_index"].to_numpy(),
                                                     categories=[f.name for f in m.firms]))
    snap = snap.drop(columns="firm_index")
    for c in acq_cols + lost_cols + ["contacts", "reached", "win_back_offers"]:
        snap[c] = snap[c].astype(np.int64)
    snap["acquired_to_date"] = snap["acquired_to_date"].astype(np.int64)
    return snap
