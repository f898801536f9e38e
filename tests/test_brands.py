"""``relsim brands``: a purchase panel CSV and a run folder through the same measures."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from test_dirichlet import T, _panel

from relsim.analysis.dirichlet import Dirichlet
from relsim.cli import main


def test_a_small_panel_counted_by_hand(tmp_path, capsys):
    # a: x x y   b: x   c: y y   (and a fourth panel member who bought nothing)
    rows = [("a", "x"), ("a", "x"), ("a", "y"), ("b", "x"), ("c", "y"), ("c", "y")]
    csv = tmp_path / "panel.csv"
    pd.DataFrame(
        {
            "shopper": [r[0] for r in rows],
            "day": [f"2024-01-0{i + 1}" for i in range(len(rows))],
            "store": [r[1] for r in rows],
        }
    ).to_csv(csv, index=False)
    args = ["brands", str(csv), "--panel-size", "4", "--customer-col", "shopper"]
    assert main([*args, "--date-col", "day", "--firm-col", "store", "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index(["firm", "source"])
    x, y = table.loc[("x", "observed")], table.loc[("y", "observed")]
    assert x["market_share"] == pytest.approx(3 / 6) and y["market_share"] == pytest.approx(3 / 6)
    assert x["penetration"] == pytest.approx(2 / 4) and y["penetration"] == pytest.approx(2 / 4)
    assert x["purchases_per_buyer"] == pytest.approx(3 / 2)
    assert x["category_purchases_per_buyer"] == pytest.approx((3 + 1) / 2)  # a: 3, b: 1
    assert x["scr"] == pytest.approx(3 / 4) and y["scr"] == pytest.approx(3 / 5)
    assert x["sole_buyers"] == pytest.approx(1 / 2) and y["sole_buyers"] == pytest.approx(1 / 2)
    assert x["dup_y"] == pytest.approx(1 / 2) and y["dup_x"] == pytest.approx(1 / 2)
    assert set(table.index.get_level_values("source")) == {"observed", "dirichlet"}


def test_a_panel_from_the_dirichlet_process_gives_its_parameters_back(tmp_path, capsys):
    """Through the CSV reader, the window and the fit: S within four of the estimator's
    standard deviations at this size (2.0% at 40,000 people, so about 2.8% at 20,000)."""
    d = Dirichlet(1.456, 0.78, 1.295, T["shares"], T["brands"])
    purchases, _ = _panel(d, 20_000, np.random.default_rng(11))
    rng = np.random.default_rng(12)
    purchases["date"] = pd.Timestamp("1973-01-01") + pd.to_timedelta(
        rng.integers(0, 91, len(purchases)), unit="D"
    )
    csv = tmp_path / "toothpaste.csv"
    purchases.to_csv(csv, index=False)
    assert main(["brands", str(csv), "--panel-size", "20000"]) == 0
    out = capsys.readouterr().out
    S = float(out.split("S = ")[1].split()[0])
    assert S == pytest.approx(1.295, rel=4 * 0.028)


@pytest.mark.parametrize(
    "rows, extra, needle",
    [
        ([("a", "x"), ("a", "x"), ("b", "x")], [], "at least two"),
        ([("a", "x"), ("b", "y")], [], "no repeat buyers"),
        ([("a", "x"), ("a", "y")], ["--firm-col", "brand"], "missing column(s) brand"),
        ([("a", "x"), ("a", "y"), ("b", "")], [], "without a firm"),
    ],
)
def test_panels_that_cannot_be_measured_exit_2_in_one_line(tmp_path, capsys, rows, extra, needle):
    csv = tmp_path / "p.csv"
    pd.DataFrame(
        {"customer_id": [r[0] for r in rows], "date": "2024-01-01", "firm": [r[1] for r in rows]}
    ).to_csv(csv, index=False)
    assert main(["brands", str(csv), "--panel-size", "10", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and str(csv) in err and len(err.splitlines()) == 1


def test_a_csv_needs_the_panel_size(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    csv.write_text("customer_id,date,firm\na,2024-01-01,x\n")
    assert main(["brands", str(csv)]) == 2
    assert "--panel-size" in capsys.readouterr().err


def test_a_run_folder_is_measured_on_its_static_panel(tmp_path, capsys):
    """The panel is everyone in the market through the window; in today's exclusive market a
    person buys from one firm at a time, so nearly all of a firm's buyers in a quarter are its
    sole buyers (the switchers of one quarter are few), far from the Dirichlet's polygamy."""
    out = tmp_path / "run"
    sets = ["simulation.people=1500", "simulation.days=120", "simulation.warmup_days=0"]
    sets += ["firms.focal.initial_customers=600", "firms.rival.initial_customers=600"]
    args = ["run", "relsim:baseline", "--out", str(out), "--no-report"]
    assert main([*args, *[a for s in sets for a in ("--set", s)]]) == 0
    capsys.readouterr()
    assert main(["brands", str(out), "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index(["firm", "source"])
    tx = pd.read_parquet(out / "transactions.parquet")
    ev = pd.read_parquet(out / "events.parquet")
    during = (ev["day"] > 0) & (ev["day"] < 91)
    moved = ev[during & ev["event"].isin(["entered_market", "left_market"])]
    # the people there when the window opened, less those of them who left in it
    left = set(moved.loc[moved["event"] == "left_market", "customer_id"])
    entered = set(moved.loc[moved["event"] == "entered_market", "customer_id"])
    panel = 1500 - len(left - entered)
    tx = tx[(tx["day"] < 91) & ~tx["customer_id"].isin(moved["customer_id"])]
    buyers = tx.groupby("firm", observed=True)["customer_id"].nunique()
    for firm in ("focal", "rival"):
        row = table.loc[(firm, "observed")]
        assert row["penetration"] == pytest.approx(buyers[firm] / panel)
        assert row["sole_buyers"] > 0.9


def test_the_report_is_written_and_a_users_file_is_never_replaced(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    rows = [("a", "x"), ("a", "x"), ("a", "y"), ("b", "x"), ("c", "y"), ("c", "y"), ("d", "z")]
    pd.DataFrame(
        {"customer_id": [r[0] for r in rows], "date": "2024-01-01", "firm": [r[1] for r in rows]}
    ).to_csv(csv, index=False)
    page = tmp_path / "brands.html"
    args = ["brands", str(csv), "--panel-size", "10", "--out", str(page)]
    assert main(args) == 0
    assert "Double jeopardy" in page.read_text() and "NBD-Dirichlet" in page.read_text()
    assert main(args) == 0  # its own report is replaced
    mine = tmp_path / "mine.html"
    mine.write_text("my notes")
    capsys.readouterr()
    assert main([*args[:-1], str(mine)]) == 2
    assert mine.read_text() == "my notes"
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
