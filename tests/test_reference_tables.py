"""A change detector: a small reference run's tables, value by value, against stored digests.

These digests were written by the program itself, so they are no evidence that a number is
right; they show that a change meant to alter only how values are stored altered no value.

The storage of a run (typed columns, compact dtypes, tables streamed to Parquet) may change how
values are held, never the values: the same scenario and seed must give the same numbers, both
in memory (``simulate(...).tables()``) and in the run folder ``relsim run`` writes, and the same
metrics to the last bit (a sum taken in another order would differ). The digests hash each
column's values in a canonical form (integers and floats as float64 bytes, labels as text, dates
as nanoseconds, missing values marked), so a change of dtype alone passes and a change of any
value fails. A change that is meant to change the numbers (a new mechanism, a new random stream,
a NumPy release that changes a sampler's stream) updates the file deliberately:

    python tests/test_reference_tables.py      # rewrites tests/data/reference_tables.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import relsim

sys.path.insert(0, str(Path(__file__).parent))
from conftest import SMALL_SETS, small  # noqa: E402

REFERENCE = Path(__file__).parent / "data" / "reference_tables.json"
SEED = 11
# A warm-up, so the cut between warm-up and measured window is covered too.
OVERRIDES = {"simulation.warmup_days": 60, "simulation.days": 300}


def column_digest(values: pd.Series) -> str:
    """SHA-256 of a column's values, independent of how they are stored."""
    s = values.reset_index(drop=True)
    missing = s.isna().to_numpy()
    if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype):
        body = "\x1f".join("" if m else str(v) for v, m in zip(s, missing, strict=True))
        data = body.encode()
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        data = s.astype("datetime64[ns]").to_numpy().view(np.int64).tobytes()
    else:
        data = np.where(missing, 0.0, s.to_numpy(dtype=np.float64, na_value=0.0)).tobytes()
    return hashlib.sha256(data + missing.tobytes()).hexdigest()[:16]


def table_digests(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """Per table, per column (in order), the column's digest; plus the row count."""
    return {
        name: {"rows": str(len(df)), **{c: column_digest(df[c]) for c in df.columns}}
        for name, df in sorted(tables.items())
    }


def reference_run() -> relsim.SimulationResult:
    return relsim.simulate(small(**OVERRIDES), seed=SEED)


def reference_digests(result: relsim.SimulationResult) -> dict[str, dict[str, str]]:
    """The tables' digests and, per firm, every metric of :func:`run_metrics` to the bit."""
    from relsim.analysis.metrics import run_metrics

    tables = result.tables()
    out = table_digests(tables)
    for firm in result.scenario.firms:
        m = run_metrics(result.scenario, tables, firm)
        out[f"metrics {firm}"] = {k: float(v).hex() for k, v in m.items()}
    return out


# Customer equity solves a linear system on the ladder chain: LAPACK's kernels (chosen by CPU
# and library build) may round the last bits differently, so these agree to 1e-12 relative;
# every other metric is a sum or ratio of the tables' values and must agree to the bit.
LINEAR_ALGEBRA = {
    "customer_equity",
    "customer_equity_npv",
    "equity_per_customer",
    "profit_plus_equity",
    "npv_plus_equity",
}


def assert_metrics_match(got: dict[str, str], expected: dict[str, str]) -> None:
    assert got.keys() == expected.keys()
    for k, v in got.items():
        if k in LINEAR_ALGEBRA or k.startswith("value_"):
            a, b = float.fromhex(v), float.fromhex(expected[k])
            assert abs(a - b) <= 1e-12 * max(abs(b), 1.0), (k, a, b)
        elif k.startswith(("dirichlet_", "excess_")):
            # fitted by a root finder and quadrature, whose last bits follow the machine's
            # libm: a few units in the last place, not a change of the model
            a, b = float.fromhex(v), float.fromhex(expected[k])
            assert abs(a - b) <= 1e-9 * max(abs(b), 1.0), (k, a, b)
        else:
            assert v == expected[k], (k, float.fromhex(v), float.fromhex(expected[k]))


def test_the_reference_run_gives_the_stored_values_in_memory_and_on_disk(tmp_path):
    from relsim.cli import main
    from relsim.storage.rundir import TABLES, read_table

    expected = json.loads(REFERENCE.read_text())
    got = reference_digests(reference_run())
    for firm in relsim.load_scenario().firms:
        key = f"metrics {firm}"
        assert_metrics_match(got.pop(key), expected[key])
    assert got == {k: v for k, v in expected.items() if not k.startswith("metrics ")}
    # conftest.small() on the command line: later --set values win
    sets = [*SMALL_SETS, *(f"{k}={v}" for k, v in OVERRIDES.items())]
    sets = [x for kv in sets for x in ("--set", kv)]
    out = tmp_path / "run"
    assert main(["run", "--seed", str(SEED), "--out", str(out), *sets]) == 0
    on_disk = {name: read_table(out, name) for name in TABLES}
    assert table_digests(on_disk) == {k: v for k, v in expected.items() if k in TABLES}


if __name__ == "__main__":
    digests = reference_digests(reference_run())
    REFERENCE.write_text(json.dumps(digests, indent=1, sort_keys=False) + "\n")
    print(f"wrote {REFERENCE}")


def test_daily_sales_summed_by_blocks_of_days_equal_one_grouping(monkeypatch):
    from relsim.analysis import tables

    tx = reference_run().transactions
    whole = (
        pd.DataFrame(
            {
                # a purchase at time t lands in row floor(t) + 1 (during day d - 1: row d)
                "day": np.floor(tx["day"].to_numpy()) + 1,
                "firm_index": tx["firm"].cat.codes.to_numpy(),
                "revenue": tx["amount"].to_numpy(),
            }
        )
        .groupby(["firm_index", "day"])["revenue"]
        .agg(["sum", "size"])
    )
    monkeypatch.setattr(tables, "SALES_BLOCK", 997)  # many blocks, cut inside busy days
    blocked = tables.daily_sales(tx)
    assert blocked.index.equals(whole.index)
    assert (blocked["size"].to_numpy() == whole["size"].to_numpy()).all()
    # to the bit: each day's purchases are summed in the same order
    assert (
        blocked["sum"].to_numpy().view(np.int64) == whole["sum"].to_numpy().view(np.int64)
    ).all()
    # a table out of time order is grouped whole: the same groups (sums in another order)
    again = tables.daily_sales(tx.sample(frac=1.0, random_state=1))
    assert again.index.equals(whole.index)
    assert (again["size"].to_numpy() == whole["size"].to_numpy()).all()
    np.testing.assert_allclose(again["sum"].to_numpy(), whole["sum"].to_numpy(), rtol=1e-12)


def test_the_reference_metrics_hold_when_the_table_is_read_by_small_blocks(monkeypatch):
    from relsim.analysis import economics, equity, metrics, tables

    # blocks of whole days, many of them: each day's purchases still summed in one order
    monkeypatch.setattr(economics, "SALES_BLOCK", 997)
    monkeypatch.setattr(metrics, "ROW_BLOCK", 1013)
    monkeypatch.setattr(tables, "SALES_BLOCK", 1009)
    monkeypatch.setattr(tables, "KEY_BLOCK", 1021)  # sums_by_key's parts
    monkeypatch.setattr(equity, "SALES_BLOCK", 1019)
    expected = json.loads(REFERENCE.read_text())
    got = reference_digests(reference_run())
    # the purchases' money drawn a block of rows at a time: the same draws and amounts
    assert got["transactions"] == expected["transactions"]
    assert got["customers"] == expected["customers"]  # revenue per relationship, by parts
    for firm in relsim.load_scenario().firms:
        key = f"metrics {firm}"
        assert_metrics_match(got[key], expected[key])
    assert got["timeseries"] == expected["timeseries"]


def test_a_table_written_by_row_groups_is_the_file_to_parquet_writes(tmp_path):
    from relsim.storage.rundir import dictionary_columns, write_table

    tx = reference_run().transactions
    write_table(tx, tmp_path / "streamed.parquet", rows_per_group=1000)
    dictionary = dictionary_columns(tx.columns)
    assert "day" not in dictionary and "date" not in dictionary and "amount" in dictionary
    tx.to_parquet(
        tmp_path / "whole.parquet", index=False, row_group_size=1000, use_dictionary=dictionary
    )
    assert len(tx) > 3000  # several groups
    streamed = (tmp_path / "streamed.parquet").read_bytes()
    assert streamed == (tmp_path / "whole.parquet").read_bytes()
    # and the values read back are the table's
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "streamed.parquet"), tx)


def test_sums_by_ranges_of_keys_equal_one_grouping_to_the_bit():
    from relsim.analysis.tables import sums_by_key

    tx = reference_run().transactions
    amount = tx["amount"].to_numpy()
    for col in ("customer_id", "relationship_id"):
        keys = tx[col].to_numpy()
        whole = pd.Series(amount).groupby(keys).agg(["sum", "size"])
        ranges = sums_by_key(keys, amount, block=500)
        assert len(amount) > 10 * 500  # many ranges
        assert ranges.index.equals(whole.index)
        assert (ranges["size"].to_numpy() == whole["size"].to_numpy()).all()
        assert (
            ranges["sum"].to_numpy().view(np.int64) == whole["sum"].to_numpy().view(np.int64)
        ).all()
    # of marked rows only, in cents; and keys spread far wider than the rows (a real file's)
    mine = (tx["firm"] == "focal").to_numpy()
    keys = tx["customer_id"].to_numpy()
    cents = np.rint(amount * 100.0).astype(np.int32)
    for k in (keys, keys * 1_000_003 - 7):
        whole = pd.Series(amount[mine]).groupby(k[mine]).agg(["sum", "size"])
        ranges = sums_by_key(k, cents, block=700, mask=mine, cents=True)
        assert ranges.index.equals(whole.index)
        assert (ranges["size"].to_numpy() == whole["size"].to_numpy()).all()
        assert (
            ranges["sum"].to_numpy().view(np.int64) == whole["sum"].to_numpy().view(np.int64)
        ).all()


def test_ranges_of_keys_hold_about_a_block_of_rows_each():
    from relsim.analysis.tables import _key_ranges

    keys = reference_run().transactions["customer_id"].to_numpy()
    sizes = np.bincount(keys)
    edges = _key_ranges(keys, None, 8)
    rows = np.array([sizes[a:b].sum() for a, b in zip(edges[:-1], edges[1:], strict=True)])
    assert rows.sum() == len(keys)
    # equal shares, give or take the rows of the one key at each cut
    assert np.abs(rows - len(keys) / 8).max() <= 2 * sizes.max()
    # also when the rows crowd into a few keys, where ranges of equal width would not be
    skewed = np.repeat(np.arange(1000), np.arange(1000, 0, -1))
    sizes = np.bincount(skewed)
    edges = _key_ranges(skewed, None, 8)
    rows = np.array([sizes[a:b].sum() for a, b in zip(edges[:-1], edges[1:], strict=True)])
    assert np.abs(rows - len(skewed) / 8).max() <= 2 * sizes.max()
    assert sizes[:125].sum() > 1.8 * len(skewed) / 8  # the first of 8 equal widths


def test_metrics_of_a_firm_without_purchases(tmp_path):
    from relsim.analysis.metrics import run_metrics

    result = reference_run()
    tables = result.tables()
    tx = tables["transactions"]
    tables["transactions"] = tx[tx["firm"] == "rival"].reset_index(drop=True)
    m = run_metrics(result.scenario, tables, "focal")
    assert m["revenue"] == 0.0 and m["delivery"] == 0.0
    tables["transactions"] = tx.iloc[:0]  # no purchases at all
    assert run_metrics(result.scenario, tables, "rival")["revenue"] == 0.0


def test_compact_tables_give_the_same_metrics_and_the_same_files(tmp_path):
    from relsim.analysis.simulation import result_of
    from relsim.analysis.tables import as_written, money
    from relsim.cli import main
    from relsim.model.market import Market
    from relsim.storage.rundir import ROW_GROUP, TABLES, dictionary_columns, write_table

    sc = small(**OVERRIDES)
    market = Market(sc, SEED)
    market.run()
    compact = result_of(market, compact=True)
    assert "date" not in compact.transactions and "date" not in compact.events
    assert compact.transactions["relationship_id"].dtype == np.int32
    # money in whole cents, 4 bytes an amount and 2 a discount: the same floats once read back
    full_tx = reference_run().transactions
    for col, held in (("amount", np.int32), ("discount", np.uint16)):
        assert compact.transactions[f"{col}_cents"].dtype == held
        assert col not in compact.transactions
        back = money(compact.transactions, col)
        assert (back.view(np.int64) == full_tx[col].to_numpy().view(np.int64)).all()
    expected = json.loads(REFERENCE.read_text())
    got = reference_digests(compact)
    for firm in sc.firms:
        assert_metrics_match(got[f"metrics {firm}"], expected[f"metrics {firm}"])
    # written back a group at a time, the files are those of the full tables, byte for byte
    full = reference_run().tables()
    for name in TABLES:
        write_table(
            compact.tables()[name],
            tmp_path / f"{name}-compact.parquet",
            rows_per_group=1000,
            shape=as_written(name, sc.simulation.start_date),
        )
        full[name].to_parquet(
            tmp_path / f"{name}.parquet",
            index=False,
            row_group_size=1000,
            use_dictionary=dictionary_columns(full[name].columns),
        )
        written = (tmp_path / f"{name}-compact.parquet").read_bytes()
        assert written == (tmp_path / f"{name}.parquet").read_bytes(), name
    # and relsim run writes them so
    sets = [*SMALL_SETS, *(f"{k}={v}" for k, v in OVERRIDES.items())]
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--seed",
                str(SEED),
                "--out",
                str(out),
                "--no-report",
                *[x for kv in sets for x in ("--set", kv)],
            ]
        )
        == 0
    )
    for name in TABLES:
        full[name].to_parquet(
            tmp_path / f"{name}-whole.parquet",
            index=False,
            row_group_size=ROW_GROUP,
            use_dictionary=dictionary_columns(full[name].columns),
        )
        assert (out / f"{name}.parquet").read_bytes() == (
            tmp_path / f"{name}-whole.parquet"
        ).read_bytes(), name


def test_compacting_the_account_teams_queues_often_changes_nothing(monkeypatch):
    from relsim.model import staff

    expected = table_digests(reference_run().tables())
    monkeypatch.setattr(staff, "COMPACT_EVERY", 7)  # and the team's size is smaller still
    monkeypatch.setattr(staff.AccountTeam, "_compact", _counted(staff.AccountTeam._compact))
    assert table_digests(reference_run().tables()) == expected
    assert _counted.calls > 10


def _counted(f):
    def wrapper(self):
        _counted.calls += 1
        return f(self)

    return wrapper


_counted.calls = 0


def test_release_keeps_what_the_tables_read_and_lets_the_model_go(monkeypatch):
    """After ``Market.release`` the relationships are gone but their register holds them."""
    import gc

    from relsim.model import market as market_module
    from relsim.model.market import Market
    from relsim.model.relationship import Relationship

    # a market this small is left to the collector's schedule; a big one is collected at once
    monkeypatch.setattr(market_module, "COLLECT_FROM", 0)

    market = Market(small(**OVERRIDES), SEED)
    market.run()
    rels = market.relationships
    expected = {
        "person": [r.person.id for r in rels],
        "firm": [r.firm.index for r in rels],
        "start": [r.start for r in rels],
        "end": [r.end for r in rels],
        "rung": [r.rung if r.active else -1 for r in rels],
        "cause": [r.cause for r in rels],
        "basket": [r.person.basket for r in rels],
    }
    assert len(rels) > 100 and any(not r.active for r in rels) and any(r.active for r in rels)
    del rels
    market.release()
    reg = market.register()
    for name, values in expected.items():
        np.testing.assert_array_equal(reg[name], np.array(values, dtype=reg[name].dtype), name)
    ours = [o for o in gc.get_objects() if isinstance(o, Relationship) and o.firm in market.firms]
    assert ours == [] and market.relationships == []
    # The firms' staff went too: their last counters and queues would pin the model's arenas.
    assert all(not hasattr(f, "team") and not hasattr(f, "desk") for f in market.firms)
    market.release()  # twice is harmless
    assert market.register() is reg


def test_the_ladder_chain_margins_are_one_sum_whatever_the_blocks(monkeypatch):
    from relsim.analysis import equity

    result = reference_run()
    sc, tables = result.scenario, result.tables()
    for firm in sc.firms:
        # a window that starts inside the table, so the slice and the day mask both matter
        whole = equity.estimate_chain(sc, tables, firm, window=400.0)
        with monkeypatch.context() as mp:
            mp.setattr(equity, "SALES_BLOCK", 997)
            blocked = equity.estimate_chain(sc, tables, firm, window=400.0)
        # to the bit: the purchases are added one after another in the same order
        assert (blocked.margins.view(np.int64) == whole.margins.view(np.int64)).all()
        # and the same as one weighted count of the window's purchases, computed here from
        # the table: margin per purchase of the rung it was made on, first purchases left out
        c = sc.firms[firm].costs
        tx = tables["transactions"]
        tx = tx[(tx["firm"] == firm) & (tx["day"] > sc.simulation.days - 400.0)]
        start = tables["customers"].set_index("relationship_id")["start_day"]
        later = tx["day"].to_numpy() != start.reindex(tx["relationship_id"]).to_numpy()
        net = (
            (c.gross_margin - c.staff_bonus_share) * tx["amount"]
            - c.delivery_per_purchase
            - c.returns_per_failure * tx["failed"]
        )[later]
        per_rung = net.groupby(tx["rung"].astype(str).to_numpy()[later]).sum()
        exposure = whole.exposure_years
        for i, state in enumerate(equity.STATES):
            if exposure[i] > 0:
                assert whole.margins[i] == pytest.approx(per_rung.get(state, 0.0) / exposure[i])


def test_discounts_above_655_35_widen_the_unsigned_16_bit_column():
    from relsim.analysis.tables import _put_cents

    col = np.zeros(4, dtype=np.uint16)
    col = _put_cents(col, np.array([655.35, 0.01]), 0)  # the largest that fits, exactly
    assert col.dtype == np.uint16 and list(col[:2]) == [65535, 1]
    col = _put_cents(col, np.array([655.36, 3.0]), 2)
    assert col.dtype == np.int32
    assert list(col) == [65535, 1, 65536, 300]
    assert (col / 100.0 == np.array([655.35, 0.01, 655.36, 3.0])).all()


def test_cents_that_do_not_fit_in_32_bits_widen_the_column():
    from relsim.analysis.tables import _put_cents

    col = np.zeros(4, dtype=np.int32)
    col = _put_cents(col, np.array([12.34, 0.07]), 0)
    assert col.dtype == np.int32 and list(col[:2]) == [1234, 7]
    big = np.array([30_000_000.01, 5.5])  # 3,000,000,001 cents
    col = _put_cents(col, big, 2)
    assert col.dtype == np.int64
    assert list(col) == [1234, 7, 3_000_000_001, 550]
    assert (col / 100.0 == np.array([12.34, 0.07, 30_000_000.01, 5.5])).all()
