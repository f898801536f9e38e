"""Invariants every run must satisfy, whatever the scenario and seed."""

import numpy as np
import pandas as pd
import pytest

from relsim.model.causes import CAUSE_LABELS
from relsim.model.ladder import RUNG_LABELS


def test_acquired_minus_lost_equals_active_at_every_step(small_run):
    ts = small_run.timeseries
    assert len(ts) == 2 * (365 + 1)
    for _, own in ts.groupby("firm", observed=True):
        # flows counted from day 0: the stock moves by what was won less what was lost
        np.testing.assert_array_equal(
            own["acquired_to_date"] - own["lost_to_date"], own["active"] - own["active"].iloc[0]
        )
    # and the day's flows add up to the change in stock
    for _, own in ts.groupby("firm", observed=True):
        acquired = own.filter(like="acquired_").drop(columns="acquired_to_date").sum(axis=1)
        lost = own[[f"lost_{c}" for c in CAUSE_LABELS]].sum(axis=1)
        np.testing.assert_array_equal(own["active"].diff().iloc[1:], (acquired - lost).iloc[1:])


def test_stock_by_rung_matches_the_customers_table_at_the_end(small_run):
    ts, cust = small_run.timeseries, small_run.customers
    last = ts[ts["day"] == ts["day"].max()].set_index("firm")
    open_rels = cust[cust["end_day"].isna()]
    counts = open_rels.groupby(["firm", "rung"], observed=False).size().unstack(fill_value=0)
    for firm in last.index:
        for rung in RUNG_LABELS[1:]:
            assert last.loc[firm, rung] == counts.loc[firm, rung]


def test_no_purchase_outside_a_relationship(small_run):
    tx, cust = small_run.transactions, small_run.customers.set_index("relationship_id")
    rel = cust.loc[tx["relationship_id"]]
    end = rel["end_day"].fillna(small_run.scenario.simulation.days).to_numpy()
    assert (tx["day"].to_numpy() >= rel["start_day"].to_numpy()).all()
    assert (tx["day"].to_numpy() <= end).all()
    assert (tx["customer_id"].to_numpy() == rel["customer_id"].to_numpy()).all()
    assert (tx["firm"].astype(str).to_numpy() == rel["firm"].astype(str).to_numpy()).all()
    # every purchase count in the customers table is the count of its transactions
    counts = tx.groupby("relationship_id").size().reindex(cust.index, fill_value=0)
    np.testing.assert_array_equal(counts.to_numpy(), cust["purchases"].to_numpy())


def test_a_person_is_a_customer_of_at_most_one_firm_at_a_time(small_run):
    cust = small_run.customers.sort_values(["customer_id", "start_day", "relationship_id"])
    end = cust["end_day"].fillna(np.inf)
    same = cust["customer_id"].to_numpy()[1:] == cust["customer_id"].to_numpy()[:-1]
    # the next relationship of the same person starts no earlier than the previous one ends
    assert (cust["start_day"].to_numpy()[1:][same] >= end.to_numpy()[:-1][same]).all()


def test_ladder_moves_one_rung_at_a_time(small_run):
    ev = small_run.events
    moves = ev[ev["event"].isin(["rung_up", "rung_down"])]
    assert len(moves) > 100
    step = moves["rung_to"].cat.codes.astype(int) - moves["rung_from"].cat.codes.astype(int)
    assert set(step[moves["event"] == "rung_up"]) == {1}
    assert set(step[moves["event"] == "rung_down"]) == {-1}


def test_a_new_customer_becomes_a_client_only_by_buying_again(small_run):
    ev, tx = small_run.events, small_run.transactions
    to_client = ev[(ev["event"] == "rung_up") & (ev["rung_from"] == "customer")]
    bought = tx.set_index(["relationship_id", "day"]).index
    keys = pd.MultiIndex.from_arrays([to_client["relationship_id"], to_client["day"]])
    assert keys.isin(bought).all()


def test_every_defection_has_exactly_one_cause(small_run):
    cust, ev = small_run.customers, small_run.events
    ended = cust["end_day"].notna()
    assert (cust.loc[ended, "cause"].notna()).all()
    assert (cust.loc[~ended, "cause"].isna()).all()
    assert set(cust.loc[ended, "cause"].astype(str)) <= set(CAUSE_LABELS)
    defections = ev[ev["event"] == "defected"]
    assert defections["relationship_id"].is_unique
    assert set(defections["relationship_id"]) == set(cust.loc[ended, "relationship_id"])
    assert defections["cause"].notna().all()


def test_people_who_leave_the_market_are_replaced(small_run):
    ev = small_run.events
    left = (ev["event"] == "left_market").sum()
    entered = (ev["event"] == "entered_market").sum()
    assert left > 0
    assert entered == small_run.scenario.simulation.people + left


def test_transactions_have_the_shape_of_a_real_transaction_file(small_run):
    tx = small_run.transactions
    assert list(tx.columns[:4]) == ["customer_id", "firm", "date", "amount"]
    assert pd.api.types.is_datetime64_any_dtype(tx["date"])
    assert (tx["amount"] > 0).all()
    assert tx["date"].is_monotonic_increasing


def test_won_back_customers_really_were_customers_of_that_firm_before(small_run):
    cust = small_run.customers
    back = cust[cust["returning"]]
    assert len(back) > 0
    first = cust.groupby(["customer_id", "firm"], observed=True)["start_day"].min()
    starts = first.loc[list(zip(back["customer_id"], back["firm"], strict=True))].to_numpy()
    assert (starts < back["start_day"].to_numpy()).all()


@pytest.fixture(scope="module", params=[0, 90], ids=["no-warm-up", "warm-up"])
def window_run(request):
    import relsim
    from conftest import small

    sc = small(**{"simulation.warmup_days": request.param, "simulation.days": 200})
    return relsim.simulate(sc, seed=4242), 200


def test_the_three_tables_draw_the_same_line_around_the_window(window_run):
    # Each table is built from its own record (daily counters, the event log, relationships,
    # purchases); over the window [0, days) they must count the very same flows.
    result, days = window_run
    t = result.tables()
    ts, ev, cu, tx = t["timeseries"], t["events"], t["customers"], t["transactions"]
    for firm in ts["firm"].unique():
        f = ts[ts["firm"] == firm]
        e = ev[ev["firm"] == firm]
        c = cu[cu["firm"] == firm]
        began = c[(c["start_day"] >= 0) & (c["start_day"] < days)]
        ended = c[(c["end_day"] >= 0) & (c["end_day"] < days)]
        acquired = e[e["event"] == "acquired"]
        defected = e[e["event"] == "defected"]
        assert len(acquired) == len(began)
        for ch in began["channel"].astype(str).unique():
            n = int(f[f"acquired_{ch}"].sum())
            assert (
                n
                == (acquired["channel"].astype(str) == ch).sum()
                == (began["channel"].astype(str) == ch).sum()
            ), ch
        for cause in CAUSE_LABELS:
            n = int(f[f"lost_{cause}"].sum())
            assert (
                n
                == (defected["cause"].astype(str) == cause).sum()
                == (ended["cause"].astype(str) == cause).sum()
            ), cause
        # stocks: row d is the start of day d, before anything at time d (which is a flow of
        # row d + 1); only a run without warm-up has its initial customers in row 0
        warm = result.scenario.simulation.warmup_days > 0
        for d in (0, 1, days // 2, days):
            open_at = c["start_day"] < d
            if d == 0 and not warm:
                open_at |= c["channel"].astype(str) == "initial"
            still = c["end_day"].isna() | (c["end_day"] >= d)
            assert int(f.loc[f["day"] == d, "active"].iloc[0]) == int((open_at & still).sum()), d
        # money: a purchase at time t is in row floor(t) + 1
        p = tx[tx["firm"] == firm]
        assert int(f["purchases"].sum()) == len(p)
        assert f["revenue"].sum() == pytest.approx(p["amount"].sum(), abs=0.01 * len(f))
        rows = np.floor(p["day"].to_numpy()) + 1
        per_row = pd.Series(1, index=rows).groupby(level=0).sum()
        got = f.set_index("day")["purchases"]
        assert (got.reindex(per_row.index).to_numpy() == per_row.to_numpy()).all()
