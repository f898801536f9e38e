"""``relsim brands``: brand performance measures of a run or a panel, beside the Dirichlet's."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from relsim.cli._common import positive_float
from relsim.errors import InputError


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "brands",
        help="brand performance measures (penetration, purchases per buyer, duplication, sole "
        "buyers) beside the NBD-Dirichlet's",
        description="Measure, per firm and over a window, market share, penetration, purchases "
        "per buyer, category purchases per buyer, share of category requirements, sole buyers "
        "and duplication of purchase, and set beside them the NBD-Dirichlet's theoretical values "
        "fitted to the same window (M and K from the category's penetration and buying rate, S "
        "from the firms' penetrations, as the NBDdirichlet package fits them).",
    )
    p.add_argument(
        "source", help="a run folder, or a purchase panel CSV/Parquet (a row a purchase)"
    )
    p.add_argument(
        "--days",
        type=positive_float,
        default=91.0,
        help="length of the window in days (default 91, a quarter), from the run's first "
        "measured day or the panel's first purchase",
    )
    p.add_argument(
        "--panel-size",
        type=int,
        help="people in the panel, buyers or not (needed for a CSV: penetration counts those "
        "who bought nothing)",
    )
    p.add_argument("--customer-col", default="customer_id")
    p.add_argument("--date-col", default="date")
    p.add_argument("--firm-col", default="firm", help="the store or brand of each purchase")
    p.add_argument("--date-format", help="strftime format of the dates, e.g. %%Y%%m%%d")
    p.add_argument("--sep", help="CSV separator (default: sniffed)")
    p.add_argument("--out", help="also write the brands report (an HTML page) to this file")
    p.add_argument(
        "--format",
        choices=["table", "csv"],
        default="table",
        help="a table for reading (default) or CSV on standard output: one row per firm and "
        "source (observed, dirichlet)",
    )
    p.set_defaults(func=main)


def _run_window(source: Path, days: float) -> tuple[Any, int, list[str]]:
    """A run's purchases in its first ``days`` measured days, by its static panel.

    The panel is the people in the market for the whole window (a static panel, as the
    Dirichlet's sources use): those who left or arrived in it are left out with their purchases.
    """
    from relsim.analysis.brands import static_panel
    from relsim.errors import RunDirError
    from relsim.storage.rundir import read_manifest, read_table

    meta = read_manifest(source)
    horizon = float(meta["scenario"]["simulation"]["days"])
    if days > horizon:
        raise RunDirError(f"--days {days:g}: the run {source} measured only {horizon:g} days")
    people = int(meta["scenario"]["simulation"]["people"])
    tx = read_table(source, "transactions", ["customer_id", "firm", "day"])
    ev = read_table(source, "events", ["customer_id", "day", "event"])
    panel, size = static_panel(tx, ev, people, 0.0, days)
    firms = list(meta["scenario"]["firms"])
    return panel, size, firms


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    import pandas as pd

    from relsim.analysis.brands import PanelError, brand_table, dirichlet_for, observed_measures
    from relsim.forecast.data import Columns, read_transactions

    source = Path(args.source)
    if not source.exists():
        raise InputError(f"{source}: no such file or folder")
    if args.out:
        from relsim.storage.signature import check_signed_target

        check_signed_target(Path(args.out), "--out")  # before any work: never a user's file
    firms: list[str] | None = None
    if source.is_dir():
        purchases, panel_size, firms = _run_window(source, args.days)
        where, column = str(source), "firm"
    else:
        if args.panel_size is None:
            raise InputError(
                f"{source}: --panel-size: expected the number of panel members, buyers or not "
                "(penetration counts those who bought nothing)"
            )
        if args.panel_size < 1:
            raise InputError(f"--panel-size {args.panel_size}: expected a positive whole number")
        cols = Columns(args.customer_col, args.date_col, None, args.firm_col)
        tx = read_transactions(source, cols, args.date_format, sep=args.sep)
        start = tx["date"].min()
        end = start + pd.Timedelta(days=args.days)
        purchases = tx.loc[tx["date"] < end, ["customer_id", "firm"]]
        panel_size, where, column = args.panel_size, str(source), args.firm_col
    try:
        observed, category = observed_measures(purchases, panel_size, firms)
        fit = dirichlet_for(observed, category)
    except PanelError as err:
        raise InputError(f"{where}: column '{column}': {err}") from None
    table = brand_table(observed, fit)
    if args.out:
        from relsim.reporting.brands_report import write_brands_report

        write_brands_report(Path(args.out), where, args.days, observed, category, fit, table)
    if args.format == "csv":
        print(table.to_csv(index=False, float_format="%.6g"), end="")
        return 0
    d = fit.model
    print(
        f"Brand performance over {args.days:g} days of {where}: {panel_size:,} panel members, "
        f"{category.buyers:,} category buyers ({category.penetration:.1%}), "
        f"{category.buy_rate:.2f} purchases per buyer"
    )
    print(f"  NBD-Dirichlet fitted: M = {d.M:.3f}, K = {d.K:.3f}, S = {d.S:.3f}")
    measures = ["market_share", "penetration", "purchases_per_buyer", "scr", "sole_buyers"]
    theory = d.measures()[measures[1:]].reindex(observed.index).add_suffix(" (D)")
    show = pd.concat([observed[measures], theory], axis=1)
    order = [c for m in measures for c in (m, f"{m} (D)") if c in show.columns]
    print(show[order].round(3).to_string())
    gaps = (observed[measures[1:]] - d.measures()[measures[1:]].reindex(observed.index)).abs()
    print(
        "  fit (mean absolute deviation, observed - Dirichlet): "
        + "; ".join(f"{m} {gaps[m].mean():.3f}" for m in measures[1:])
    )
    if fit.at_bound:
        print(f"  no S reproduces the penetration of: {', '.join(fit.at_bound)}")
    if args.out:
        print(f"  report written to {args.out}")
    return 0
