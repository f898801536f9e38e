"""A run's records turned into its four tables, with ordinary purchases drawn in bulk.

- ``transactions``: one row per purchase (customer id, firm, date, amount), the shape of a
  real transaction file, plus the relationship, rung and whether the episode failed;
- ``events``: every state change, with rung and cause;
- ``customers``: one row per relationship, with the person's latent traits;
- ``timeseries``: per firm and day, customers by rung, acquisitions by channel, losses by
  cause, revenue and the work of the account team and the service desk.

Only the measured window is tabled: the warm-up (``simulation.warmup_days``) is left out
of every table, and day 0 is the first day after it. A relationship that began in the
warm-up has a negative ``start_day`` and counts as an existing customer.

The purchases of a relationship between two state changes are a Poisson process of known
rate, so they are drawn here in one vectorised pass (count per segment, then uniform times),
and joined with the purchases that were events in their own right. Spend per purchase is the
person's mean basket times the firm's price at that moment (list price, promotion, loyalty
discount, the coupon or win-back offer of a first purchase) times gamma noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from relsim.model.causes import CAUSE_LABELS, Cause
from relsim.model.ladder import RELATIONSHIP_RUNGS, RUNG_LABELS
from relsim.model.market import Market
from relsim.model.records import Channel, EventKind, RunLog

CHANNEL_LABELS = tuple(c.label for c in Channel)
EVENT_LABELS = tuple(k.label for k in EventKind)


def _categorical(codes: np.ndarray | list[int], labels: tuple[str, ...]) -> pd.Categorical:
    # Integer codes are taken as they are: a 64-bit copy of every purchase's rung code was the
    # peak of building a big table (the categorical keeps 8-bit codes either way).
    arr = np.asarray(codes)
    if arr.dtype.kind != "i":
        arr = arr.astype(np.int64)
    return pd.Categorical.from_codes(arr, categories=list(labels))


def label_codes(series: pd.Series, labels: tuple[str, ...] | list[str]) -> np.ndarray:
    """Each value's position in ``labels`` (-1 for anything else, missing values included).

    The tables' label columns are categoricals: their codes are mapped through the
    categories, which costs nothing next to turning every value into a string (the slow
    path, kept for a column of another type).
    """
    pos = {label: i for i, label in enumerate(labels)}
    if isinstance(series.dtype, pd.CategoricalDtype):
        lut = np.array([pos.get(str(c), -1) for c in series.cat.categories] + [-1], dtype=np.int64)
        return lut[series.cat.codes.to_numpy()]  # code -1 (missing) takes the last entry, -1
    return np.array([pos.get(v, -1) if isinstance(v, str) else -1 for v in series], dtype=np.int64)


def firm_rows(df: pd.DataFrame, firm: str) -> pd.DataFrame:
    """The rows of one firm; the frame itself when it holds no other firm's (no copy)."""
    mask = (df["firm"] == firm).to_numpy()
    return df if mask.all() else df[mask]


def _dates(start: pd.Timestamp, days: np.ndarray) -> pd.Series:
    # Millisecond resolution is plenty for purchases and keeps the arithmetic exact enough.
    return start + pd.to_timedelta(np.round(np.asarray(days) * 86_400_000.0), unit="ms")


def _col(values, dtype=None) -> np.ndarray:
    """A record column (``array.array``) as a numpy array of its own type, without copying.

    With ``dtype`` the values are converted to it when the column's type is another.
    """
    own = np.dtype(values.typecode)
    a = np.frombuffer(values, dtype=own) if len(values) else np.empty(0, dtype=own)
    return a if dtype is None or a.dtype == dtype else a.astype(dtype)


def _price_factor(m: Market, firm_idx: np.ndarray, rung: np.ndarray, t: np.ndarray) -> np.ndarray:
    factor = np.empty(len(t))
    # Element by element, so a block of rows at a time: the temporaries are a block's.
    for a in range(0, len(t), SALES_BLOCK):
        b = a + SALES_BLOCK
        fi, rg, tb = firm_idx[a:b], rung[a:b], t[a:b]
        out = factor[a:b]
        for f in m.firms:
            sel = fi == f.index
            fr = f.rates
            x = np.full(sel.sum(), fr.price_index)
            tt = tb[sel]
            if fr.promo_depth > 0.0:
                promo = np.mod(tt - fr.promo_offset, fr.promo_every) < fr.promo_length
                x = np.where(promo, x * (1.0 - fr.promo_depth), x)
            x = np.where(rg[sel] >= fr.loyalty_from, x * (1.0 - fr.loyalty_depth), x)
            out[sel] = x
    return factor


def transactions_table(m: Market, compact: bool = False) -> pd.DataFrame:
    """Draw the bulk purchases and return every purchase of the measured window, in time order.

    Parameters
    ----------
    m : Market
        A market that has run.
    compact : bool
        Leave out ``date`` (it follows from ``day``), hold the ids as 32-bit integers and
        the money as whole cents (``amount_cents`` in 32 bits, ``discount_cents`` in
        unsigned 16, each widened when a value needs it; read them with :func:`money`):
        25 bytes a purchase instead of 51, the same values.
        :func:`as_written` restores the table's written form a row group at a time.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id, firm, date, amount, relationship_id, day, rung, failed,
        discount``; ``day`` counts from the end of the warm-up.
    """
    log, rng, w = m.log, m.purchases_rng, m.warmup
    reg = m.register()
    person, basket, firm_of = reg["person"], reg["basket"], reg["firm"]
    # Memory: a purchase's columns are built in place and its money a block of rows at a
    # time, each temporary freed as soon as it is used, so the peak stays near the table
    # itself. The random draws and the arithmetic are those of one vectorised pass, in the
    # same order (a generator's draws in chunks are its draws at once): the same seed gives
    # the same numbers (tests/test_reference_tables.py).
    seg_rel = _col(log.seg_rel)
    # Only the part of each segment inside the measured window is drawn.
    start = np.maximum(_col(log.seg_start, np.float64), w)
    length = np.maximum(_col(log.seg_end, np.float64) - start, 0.0)
    counts = rng.poisson(_col(log.seg_rate, np.float64) * length)
    index_type = np.int32 if len(seg_rel) < 2**31 else np.int64
    which = np.repeat(np.arange(len(seg_rel), dtype=index_type), counts)
    n_bulk = len(which)
    bulk_t = rng.random(n_bulk)
    bulk_t *= length[which]
    bulk_t += start[which]  # start + u * length, as one expression would compute it
    del start, length, counts

    buy_t = _col(log.buy_time, np.float64)
    keep = buy_t >= w
    n = n_bulk + int(keep.sum())
    t = np.empty(n)
    t[:n_bulk] = bulk_t
    t[n_bulk:] = buy_t[keep]
    del bulk_t
    # Relationship ids sort the same in 32 bits (all a real market needs) as in 64.
    rel = np.empty(n, dtype=np.int32 if len(basket) < 2**31 else np.int64)
    rel[:n_bulk] = seg_rel[which]
    rel[n_bulk:] = _col(log.buy_rel)[keep]
    rung = np.empty(n, dtype=np.int8)
    rung[:n_bulk] = _col(log.seg_rung, np.int8)[which]
    rung[n_bulk:] = _col(log.buy_rung, np.int8)[keep]
    del which
    order = np.lexsort((rel, t))
    t = t[order]
    rel = rel[order]
    rung = rung[order]
    # Failed episodes and offers belong to the purchases that were events (after the bulk).
    evented = np.flatnonzero(order >= n_bulk)
    source = order[evented] - n_bulk
    del order
    failed = np.zeros(n, dtype=bool)
    failed[evented] = _col(log.buy_failed, np.int8)[keep][source].astype(bool)
    offer_of = _col(log.buy_offer, np.float64)[keep][source]
    del source

    f_idx = firm_of[rel]
    shape = m.rates.spend_shape
    list_price = np.array([f.rates.price_index for f in m.firms])
    # A compact table holds whole cents: every amount is rounded to cents, and
    # round(x, 2) is rint(x * 100) / 100 in numpy, so the cents give back the same floats.
    amount = np.empty(n, dtype=np.int32 if compact else np.float64)
    # A discount is never negative and rarely above 655.35: two bytes a purchase, until one is.
    discount: np.ndarray = np.empty(n, dtype=np.uint16 if compact else np.float64)
    for a in range(0, n, SALES_BLOCK):
        b = min(a + SALES_BLOCK, n)
        r, fb = rel[a:b], f_idx[a:b]
        noise = rng.gamma(shape, 1.0 / shape, b - a) if shape > 0 else np.ones(b - a)
        offer = np.zeros(b - a)
        i, j = np.searchsorted(evented, (a, b))
        offer[evented[i:j] - a] = offer_of[i:j]
        # amount = round(basket * price factor * (1 - offer) * noise, 2), left to right
        am = np.empty(b - a) if compact else amount[a:b]
        am[:] = basket[r]
        am *= _price_factor(m, fb, rung[a:b], t[a:b])
        np.subtract(1.0, offer, out=offer)
        am *= offer
        am *= noise
        np.round(am, 2, out=am)
        # given away at this purchase: round(max(basket * noise * list price - amount, 0), 2)
        di = np.empty(b - a) if compact else discount[a:b]
        di[:] = basket[r]
        di *= noise
        di *= list_price[fb]
        di -= am
        np.maximum(di, 0.0, out=di)
        np.round(di, 2, out=di)
        if compact:
            amount, discount = _put_cents(amount, am, a), _put_cents(discount, di, a)
    del evented, offer_of

    t -= w  # the day, counted from the end of the warm-up
    start_date = pd.Timestamp(m.scenario.simulation.start_date)
    ids = _id_type(compact, max(m.factory.next_id, len(basket)))
    customer: np.ndarray = person.astype(ids)[rel]
    rel = rel.astype(ids, copy=False)
    return pd.DataFrame(
        {
            "customer_id": customer,
            "firm": pd.Categorical.from_codes(f_idx, categories=[f.name for f in m.firms]),
            **({} if compact else {"date": _dates(start_date, t)}),
            ("amount_cents" if compact else "amount"): amount,
            "relationship_id": rel,
            "day": t,
            "rung": _categorical(rung, RUNG_LABELS),
            "failed": failed,
            # Given away at this purchase: promotions, loyalty discounts, coupons, win-back offers.
            ("discount_cents" if compact else "discount"): discount,
        },
        copy=False,
    )


#: The integer types a column of cents is widened through when a value does not fit.
CENTS_TYPES = (np.uint16, np.int32, np.int64)


def _put_cents(column: np.ndarray, values: np.ndarray, at: int) -> np.ndarray:
    """Store money rounded to cents as whole cents from row ``at``.

    Returns the column, widened to the first of :data:`CENTS_TYPES` (after its own) that
    holds the values: an unsigned 16-bit column takes up to 655.35, a 32-bit one up to
    21 million.
    """
    cents = np.rint(values * 100.0)  # exact: values * 100 is within an ulp of a whole number
    if len(cents):
        low, high = cents.min(), cents.max()
        info = np.iinfo(column.dtype)
        if low < info.min or high > info.max:
            wider = next(
                t
                for t in CENTS_TYPES
                if np.iinfo(t).bits > info.bits
                and np.iinfo(t).min <= low
                and high <= np.iinfo(t).max
            )
            column = column.astype(wider)
    column[at : at + len(cents)] = cents
    return column


def money(df: pd.DataFrame, name: str) -> np.ndarray:
    """A money column of a purchases table in currency units, whichever form the table is in.

    Parameters
    ----------
    df : pandas.DataFrame
        A transactions table or some of its rows, written or compact (which holds
        ``amount_cents`` and ``discount_cents``).
    name : str
        ``"amount"`` or ``"discount"``.

    Returns
    -------
    numpy.ndarray
        Float64 values: the column itself, or a compact table's cents over 100 (the same
        floats, to the bit). A missing column raises ``KeyError``.
    """
    return in_units(*stored_money(df, name))


def stored_money(df: pd.DataFrame, name: str) -> tuple[np.ndarray, bool]:
    """A money column as stored, and whether in cents: for reading it a block at a time."""
    if name in df.columns:
        return df[name].to_numpy(), False
    return df[name + "_cents"].to_numpy(), True


def in_units(values: np.ndarray, cents: bool) -> np.ndarray:
    """Stored money (some of :func:`stored_money`'s values) in currency units."""
    return values / 100.0 if cents else values


def has_money(df: pd.DataFrame, name: str) -> bool:
    """Whether ``df`` holds the money column ``name``, in either form."""
    return name in df.columns or name + "_cents" in df.columns


def _id_type(compact: bool, n: int) -> type:
    """The integer type ids are held in: 32 bits in a compact table when they fit."""
    return np.int32 if compact and n < 2**31 else np.int64


#: Where a compact table's ``date`` goes back when it is written (after this column).
DATE_AFTER = {"transactions": "firm", "events": "day"}


def as_written(name: str, start_date: str | pd.Timestamp) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The function that turns a row group of a compact table into its written form.

    ``date`` is put back from ``day`` (as :func:`transactions_table` computes it), the ids
    become 64-bit again and the cents money, so a run folder holds the same files whether
    its tables were compact in memory or not.
    """
    start = pd.Timestamp(start_date)

    def shape(part: pd.DataFrame) -> pd.DataFrame:
        if name not in DATE_AFTER or "date" in part.columns:
            return part
        # Column by column into a new frame, nothing consolidated: no copy of the group
        # beyond the columns that change.
        cols: dict[str, object] = {}
        for col in part.columns:
            values = part[col]
            if col in ("customer_id", "relationship_id"):
                values = values.astype(np.int64)
            if col.endswith("_cents"):
                col = col.removesuffix("_cents")
                values = money(part, col)
            cols[col] = values
            if col == DATE_AFTER[name]:
                cols["date"] = _dates(start, part["day"].to_numpy()).to_numpy()
        return pd.DataFrame(cols, copy=False)

    return shape


def _event_columns(log: RunLog, warmup: float) -> dict[str, np.ndarray]:
    """The measured window's events as columns, in time order."""
    t = _col(log.ev_time, np.float64)
    # int8 as recorded: each column is widened only when it becomes a categorical
    codes = _col(log.ev_codes, np.int8).reshape(-1, len(RunLog.EVENT_CODES))
    keep = t >= warmup
    # Faded grievances are logged when next looked at, so restore time order (stably).
    order = np.flatnonzero(keep)[np.argsort(t[keep], kind="stable")]
    cols = {
        "day": t[order] - warmup,
        "customer_id": _col(log.ev_person)[order],
        "relationship_id": _col(log.ev_rel)[order],
    }
    for j, name in enumerate(RunLog.EVENT_CODES):
        cols[name] = codes[:, j][order]
    return cols


def events_table(m: Market, compact: bool = False) -> pd.DataFrame:
    """Every state change of the measured window, in the order it happened.

    ``compact`` leaves out ``date`` and holds the ids as 32-bit integers, as
    :func:`transactions_table` does.

    Returns
    -------
    pandas.DataFrame
        Columns ``day, date, customer_id, relationship_id, firm, event, rung_from, rung_to,
        cause, channel`` (codes of -1 become missing values).
    """
    c = _event_columns(m.log, m.warmup)
    start_date = pd.Timestamp(m.scenario.simulation.start_date)
    ids = _id_type(compact, max(m.factory.next_id, len(m.register()["person"])))
    return pd.DataFrame(
        {
            "day": c["day"],
            **({} if compact else {"date": _dates(start_date, c["day"])}),
            "customer_id": c["customer_id"].astype(ids, copy=False),
            "relationship_id": c["relationship_id"].astype(ids, copy=False),
            "firm": pd.Categorical.from_codes(c["firm"], categories=[f.name for f in m.firms]),
            "event": _categorical(c["kind"], EVENT_LABELS),
            "rung_from": _categorical(c["rung_from"], RUNG_LABELS),
            "rung_to": _categorical(c["rung_to"], RUNG_LABELS),
            "cause": _categorical(c["cause"], CAUSE_LABELS),
            "channel": _categorical(c["channel"], CHANNEL_LABELS),
        }
    )


def customers_table(
    m: Market, transactions: pd.DataFrame, events: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per relationship alive in the measured window: its course, its buying, its person.

    Parameters
    ----------
    m : Market
        A market that has run.
    transactions : pandas.DataFrame
        Its :func:`transactions_table`.
    events : pandas.DataFrame, optional
        Its :func:`events_table`, for the service failures and complaints in the window.

    Returns
    -------
    pandas.DataFrame
        ``start_day`` and ``end_day`` count from the end of the warm-up (negative: before);
        ``existing`` marks relationships that were already running on day 0;
        ``share_of_wallet`` is the firm's share of the person's category purchases when the
        relationship ended (or at the run's end, if open).
    """
    reg = m.register()
    w = m.warmup
    ids = np.flatnonzero(~(reg["end"] < w))  # still open, or ended inside the window
    amount, cents = stored_money(transactions, "amount")
    by_rel = sums_by_key(transactions["relationship_id"].to_numpy(), amount, cents=cents)
    purchases = by_rel["size"].reindex(ids, fill_value=0).to_numpy()
    revenue = by_rel["sum"].reindex(ids, fill_value=0.0).to_numpy()
    failures = complaints = np.zeros(len(ids), dtype=np.int64)
    if events is not None:
        kinds = label_codes(events["event"], EVENT_LABELS)
        for kind, name in (
            (EventKind.SERVICE_FAILURE, "failures"),
            (EventKind.COMPLAINT, "complaints"),
        ):
            n = events.loc[kinds == kind].groupby("relationship_id").size()
            counts = n.reindex(ids, fill_value=0).to_numpy().astype(np.int64)
            if name == "failures":
                failures = counts
            else:
                complaints = counts
    start_date = pd.Timestamp(m.scenario.simulation.start_date)
    start = reg["start"][ids] - w
    end = reg["end"][ids] - w
    seg_names = m.factory.segment_names

    def codes(name: str) -> np.ndarray:
        return reg[name][ids].astype(np.int64)

    return pd.DataFrame(
        {
            "relationship_id": ids.astype(np.int64),
            "customer_id": reg["person"][ids].astype(np.int64),
            "firm": pd.Categorical.from_codes(codes("firm"), categories=[f.name for f in m.firms]),
            "start_day": start,
            "start_date": _dates(start_date, start),
            "existing": start <= 0.0,
            "channel": _categorical(codes("channel"), CHANNEL_LABELS),
            "returning": reg["returning"][ids],
            "end_day": end,
            "end_date": _dates(start_date, end),
            "cause": _categorical(codes("cause"), CAUSE_LABELS),
            "rung": _categorical(codes("rung"), RUNG_LABELS),
            "highest_rung": _categorical(codes("max_rung"), RUNG_LABELS),
            "share_of_wallet": reg["share"][ids],
            "purchases": purchases.astype(np.int64),
            "revenue": np.round(revenue, 2),
            "service_failures": failures,
            "complaints": complaints,
            "segment": pd.Categorical.from_codes(codes("segment"), categories=list(seg_names)),
            "true_purchases_per_year": reg["rate"][ids] * 365.0,
            "true_basket": reg["basket"][ids],
            "price_sensitivity": reg["price_sensitivity"][ids],
            "complaint_propensity": reg["complaint_propensity"][ids],
        }
    )


RUNG_COLUMNS = [r.label for r in RELATIONSHIP_RUNGS]
#: Counters a snapshot records, cumulative since the start of the warm-up.
FLOW_COLUMNS = (
    [f"acquired_{c.label}" for c in Channel]
    + [f"lost_{c.label}" for c in Cause]
    + [
        "contacts",
        "spare_contacts",
        "contact_delay_days",
        "complaints",
        "complaints_resolved",
        "complaints_abandoned",
        "complaint_wait_days",
        "complaint_resolution_days",
        "reached",
        "win_back_offers",
    ]
)
SNAPSHOT_COLUMNS = ["day", "firm_index", *RUNG_COLUMNS, *FLOW_COLUMNS, "pool"]
_COUNTS = [c for c in FLOW_COLUMNS if not c.endswith("_days")]
#: The snapshot columns that are not counts: the time and the sums of days.
_SNAPSHOT_FLOATS = {"day", *(c for c in FLOW_COLUMNS if c.endswith("_days"))}


def snapshot_frame(m: Market) -> pd.DataFrame:
    """The daily snapshots of the whole run (warm-up included), with each day's flows.

    Row ``d`` holds the stock at the start of day ``d`` and the flows during day ``d - 1``;
    the first row's flows are the initial customers. ``contact_delay_days``,
    ``complaint_wait_days`` and ``complaint_resolution_days`` become means per contact,
    per complaint that ended (resolved or abandoned) and per resolved complaint.
    """
    rows = _col(m.log.snapshots).reshape(-1, len(SNAPSHOT_COLUMNS))
    snap = pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)
    for c in SNAPSHOT_COLUMNS:  # recorded as floats, counts are whole numbers
        if c not in _SNAPSHOT_FLOATS:
            snap[c] = snap[c].astype(np.int64)
    snap["active"] = snap[RUNG_COLUMNS].sum(axis=1)
    diffs = snap.groupby("firm_index")[FLOW_COLUMNS].diff().fillna(snap[FLOW_COLUMNS])
    snap[FLOW_COLUMNS] = diffs
    for col, per in (
        ("contact_delay_days", snap["contacts"] - snap["spare_contacts"]),
        ("complaint_wait_days", snap["complaints_resolved"] + snap["complaints_abandoned"]),
        ("complaint_resolution_days", snap["complaints_resolved"]),
    ):
        snap[col] = np.where(per > 0, snap[col] / per.clip(lower=1), np.nan)
    for c in _COUNTS:
        snap[c] = snap[c].astype(np.int64)
    return snap


def sums_by_key(
    keys: np.ndarray,
    values: np.ndarray,
    block: int | None = None,
    mask: np.ndarray | None = None,
    cents: bool = False,
) -> pd.DataFrame:
    """``pd.Series(values).groupby(keys).agg(["sum", "size"])``, with less memory.

    With ``mask``, of the rows it marks only (without copying the columns first); with
    ``cents``, ``values`` are whole cents, summed as currency units (each over 100).

    Grouping a whole table allocates several 8-byte arrays per row. The keys are split into
    ranges of values holding about ``block`` rows each: every key's rows fall in one range,
    in their order, so each key's sum is the one a single grouping gives, to the bit (pandas
    sums a group's values in row order, with compensation, whatever the other groups). Each
    range costs one pass of two comparisons over the keys.
    """
    block = KEY_BLOCK if block is None else block
    n = len(keys) if mask is None else int(np.count_nonzero(mask))
    parts = max(1, -(-n // block))
    if parts == 1:
        if mask is not None:
            keys, values = keys[mask], values[mask]
        return pd.Series(in_units(values, cents)).groupby(keys).agg(["sum", "size"])
    edges = _key_ranges(keys, mask, parts)
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        sel = keys >= a
        sel &= keys < b
        if mask is not None:
            sel &= mask
        if sel.any():
            v = in_units(values[sel], cents)
            out.append(pd.Series(v).groupby(keys[sel]).agg(["sum", "size"]))
    if not out:  # the mask marks no row
        return pd.Series(in_units(values[:0], cents)).groupby(keys[:0]).agg(["sum", "size"])
    return pd.concat(out).sort_index()


def _key_ranges(keys: np.ndarray, mask: np.ndarray | None, parts: int) -> np.ndarray:
    """Edges that split the (marked) rows into ``parts`` ranges of keys with equal rows.

    From the count of rows per key, taken a block of rows at a time: a customer who bought
    for three years has many more rows than one won last month, so ranges of equal width
    would not hold equal rows. Keys spread far wider than the rows (a real file's ids) are
    split into ranges of equal width instead.
    """
    low, high = int(keys.min()), int(keys.max()) + 1
    span = high - low
    if span > 4 * len(keys) + 1024:
        return np.unique(np.linspace(low, high, parts + 1).round().astype(np.int64))
    counts = np.zeros(span, dtype=np.int64)
    for a in range(0, len(keys), SALES_BLOCK):
        k = keys[a : a + SALES_BLOCK]
        if mask is not None:
            k = k[mask[a : a + SALES_BLOCK]]
        counts += np.bincount(k.astype(np.int64) - low, minlength=span)
    cum = np.cumsum(counts)
    # each cut after the key at which the running count passes the next share of the rows
    cuts = low + 1 + np.searchsorted(cum, cum[-1] * np.arange(1, parts) / parts)
    return np.unique(np.concatenate([[low], cuts, [high]]).astype(np.int64))


#: Purchases drawn, summed or read at once: bounds the temporary arrays of a big table's
#: passes (a few 8-byte columns of a block, about 10 MB) at little cost in time.
SALES_BLOCK = 1 << 18
#: Purchases per range of keys in :func:`sums_by_key` on average. Larger than a block: each
#: range costs a pass over every key, so the passes grow with the square of the table.
KEY_BLOCK = 1 << 19


def day_cuts(day: np.ndarray, block: int, last: float = math.inf, ceil: bool = False) -> list[int]:
    """Row positions that cut a table in time order into blocks of about ``block`` rows.

    No cut falls inside a day: the day of a row, ``floor(day)`` capped at ``last`` (or, with
    ``ceil``, ``ceil(day)``: the time series' row a purchase lands in), is never the same on
    both sides of a cut. An empty table is one empty block.
    """
    n = len(day)
    if n == 0:
        return [0, 0]

    # The first row of day d: the first value >= d (floor), or the first value > d - 1 (ceil).
    def first_row(d: int) -> int:
        if ceil:
            return int(np.searchsorted(day, d - 1, side="right"))
        return int(np.searchsorted(day, d, side="left"))

    cuts = [0]
    while cuts[-1] < n:
        a = cuts[-1]
        if a + block >= n:
            cuts.append(n)
            break
        x = day[a + block]
        d = math.ceil(x) if ceil else math.floor(x)
        if d >= last:  # the days from ``last`` on are one day: the rest is one block
            cuts.append(n)
            break
        b = first_row(d)
        if b <= a:  # one day holds more than a block: take the whole day
            b = first_row(d + 1)
        cuts.append(b)
    return cuts


def daily_sales(transactions: pd.DataFrame) -> pd.DataFrame:
    """Revenue (``sum``) and purchases (``size``) per firm and row of the time series.

    A purchase during day ``d - 1`` (at a time ``t`` with ``d - 1 <= t < d``) lands in row
    ``d``, the convention of every flow in the time series. A table in time order (as
    :func:`transactions_table` makes it) is summed a block of whole days at a time: every
    (firm, day) group then lies in one block, its rows summed in the same order, so the sums
    are those of one grouping of the whole table, without its temporary arrays (several
    8-byte columns per purchase, the peak of a big run).
    """
    day = transactions["day"]
    days = day.to_numpy()
    firm_of = transactions["firm"].cat.codes.to_numpy()
    amount, cents = stored_money(transactions, "amount")
    if day.is_monotonic_increasing:
        cuts = day_cuts(days, SALES_BLOCK)
    else:
        cuts = [0, len(days)]
    parts = [
        pd.DataFrame(
            {
                "day": np.floor(days[a:b]) + 1,
                "firm_index": firm_of[a:b],
                "revenue": in_units(amount[a:b], cents),
            }
        )
        .groupby(["firm_index", "day"])["revenue"]
        .agg(["sum", "size"])
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    ]
    return pd.concat(parts).sort_index()


def timeseries_table(
    m: Market, transactions: pd.DataFrame, snapshots: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per firm and day of the measured window: the stock by rung and the day's flows.

    Row ``d`` holds the stock at the start of day ``d`` and the flows during day ``d - 1``
    (times ``t`` with ``d - 1 <= t < d``), the same line between days that the events and
    customers tables draw. Row 0 of a run with a warm-up has no flows: the day before it is
    warm-up, which is not tabled; on day 0 of a run without warm-up, the flows are the initial
    customers. So the flows summed over the rows are the window's events. The cumulative
    columns ``acquired_to_date`` and ``lost_to_date`` count from day 0, so
    ``active[d] - active[0] == acquired_to_date[d] - lost_to_date[d]`` for ``d > 0``.

    Returns
    -------
    pandas.DataFrame
    """
    snap = snapshot_frame(m) if snapshots is None else snapshots.copy()
    snap = snap[snap["day"] >= m.warmup].reset_index(drop=True)
    snap["day"] = snap["day"] - m.warmup
    acq = [f"acquired_{c.label}" for c in Channel]
    lost = [f"lost_{c.label}" for c in Cause]
    if m.warmup > 0:
        # row 0's flows happened on the warm-up's last day, outside the window
        first = snap["day"] == 0
        means = ["contact_delay_days", "complaint_wait_days", "complaint_resolution_days"]
        snap.loc[first, [c for c in FLOW_COLUMNS if c not in means]] = 0
        snap.loc[first, means] = np.nan
    later = snap["day"] > 0
    by_firm = snap.assign(
        a=snap[acq].sum(axis=1).where(later, 0), b=snap[lost].sum(axis=1).where(later, 0)
    ).groupby("firm_index")
    snap["acquired_to_date"] = by_firm["a"].cumsum().astype(np.int64)
    snap["lost_to_date"] = by_firm["b"].cumsum().astype(np.int64)
    sales = daily_sales(transactions)
    key = pd.MultiIndex.from_arrays([snap["firm_index"], snap["day"]])
    sales = sales.reindex(key, fill_value=0)
    snap["revenue"] = np.round(sales["sum"].to_numpy(), 2)
    snap["purchases"] = sales["size"].to_numpy().astype(np.int64)
    start_date = pd.Timestamp(m.scenario.simulation.start_date)
    snap.insert(1, "date", _dates(start_date, snap["day"].to_numpy()))
    snap.insert(
        2,
        "firm",
        pd.Categorical.from_codes(
            snap["firm_index"].to_numpy(), categories=[f.name for f in m.firms]
        ),
    )
    return snap.drop(columns="firm_index")
