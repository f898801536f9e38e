"""``relsim forecast``: buy-till-you-die forecasts of any transaction log, simulated or real."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from relsim.cli._common import date, positive_float, share
from relsim.errors import InputError


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "forecast",
        help="fit BG/NBD, Pareto/NBD and Gamma-Gamma to a "
        "transaction log and forecast each customer",
        description="Fit buy-till-you-die models to a run folder, a CSV or "
        "Parquet transaction log, or an RFM summary, and forecast each customer.",
    )
    p.add_argument(
        "source",
        help="a run folder, a transactions CSV/Parquet, or (with --summary) an RFM summary CSV",
    )
    p.add_argument(
        "--calibration-end",
        type=date,
        help="end of the calibration period (YYYY-MM-DD); what follows is the holdout",
    )
    p.add_argument(
        "--horizon",
        type=positive_float,
        help="forecast horizon in --unit (default: the holdout's length, or a year)",
    )
    p.add_argument(
        "--model",
        action="append",
        choices=["bgnbd", "paretonbd", "gammagamma"],
        help="a model to fit (repeatable; default all three)",
    )
    p.add_argument("--unit", choices=["weeks", "days"], default="weeks")
    p.add_argument("--out", help="output folder (default: results/forecasts/<source>)")
    p.add_argument(
        "--summary",
        action="store_true",
        help="SOURCE is an RFM summary (columns frequency, recency, T, optionally monetary_value)",
    )
    p.add_argument("--customer-col", default="customer_id")
    p.add_argument("--date-col", default="date")
    p.add_argument("--amount-col", default="amount", help="'' if the data have no amounts")
    p.add_argument("--date-format", help="strftime format of the dates, e.g. %%Y%%m%%d")
    p.add_argument(
        "--sep", default=",", help="CSV separator (a regex such as '\\s+' for whitespace)"
    )
    p.add_argument(
        "--no-header",
        action="store_true",
        help="the CSV has no header line; name columns by number (--customer-col 0 ...)",
    )
    p.add_argument("--firm", help="in a run folder, whose customers (default: focal)")
    p.add_argument("--margin", type=share, default=0.3, help="margin share of spend for CLV")
    p.add_argument(
        "--discount-rate", type=share, default=0.01, help="discount rate per 4 weeks for CLV"
    )
    p.set_defaults(func=main)


# A century: beyond it a customer's expected purchases no longer change, and dates overflow.
MAX_HORIZON_DAYS = 36500


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    from relsim.forecast.data import Columns, read_transactions
    from relsim.forecast.output import prepare_outputs, read_summary, write_outputs
    from relsim.forecast.predict import forecast, forecast_from_summary
    from relsim.reporting.forecast_report import write_forecast_report
    from relsim.storage.names import slugify
    from relsim.storage.ownership import check_output, write_owned_dir

    source = Path(args.source)
    if args.out:
        out = Path(args.out)
    else:  # a digest of the source's full path and the options: other questions, other folders
        from relsim.storage.provenance import digest

        options = {k: v for k, v in vars(args).items() if k not in ("func", "out")}
        key = digest({"source": str(source.resolve()), **options}, 8)
        out = (
            Path("results")
            / "forecasts"
            / f"{slugify(source.stem or source.name, 'forecast')}-{key}"
        )
    if args.horizon and args.horizon * (7 if args.unit == "weeks" else 1) > MAX_HORIZON_DAYS:
        raise InputError(
            f"--horizon: expected at most {MAX_HORIZON_DAYS // 365} years in --unit "
            f"{args.unit}, got {args.horizon:g}"
        )
    check_output(out, "forecast")
    models = tuple(args.model) if args.model else ("bgnbd", "paretonbd", "gammagamma")
    if args.summary:
        summary = read_summary(source)
        horizon = args.horizon or (52.0 if args.unit == "weeks" else 364.0)
        result = forecast_from_summary(
            summary, horizon, args.unit, models, args.margin, args.discount_rate, source=str(source)
        )
        transactions = None
    else:
        cols = Columns(args.customer_col, args.date_col, args.amount_col or None)
        transactions = read_transactions(
            source, cols, args.date_format, args.firm, sep=args.sep, header=not args.no_header
        )
        result = forecast(
            transactions,
            args.calibration_end,
            args.horizon,
            args.unit,
            models,
            args.margin,
            args.discount_rate,
            source=str(source),
        )
    outputs = prepare_outputs(result, transactions, source, args.calibration_end, args.firm)

    def fill(tmp: Path) -> None:
        write_outputs(tmp, outputs)
        write_forecast_report(outputs, tmp / "report.html")

    write_owned_dir(out, "forecast", fill)
    acc = outputs.accuracy
    print(
        f"relsim forecast: {source}, {len(result.summary):,} customers, "
        f"horizon {result.horizon:g} {result.unit}"
    )
    for name, res in result.fits.items():
        params = ", ".join(
            f"{p}={v:.4g}" for p, v in zip(res.model.param_names, res.params, strict=True)
        )
        flag = "" if res.mle_retvals["converged"] else "  (DID NOT CONVERGE)"
        print(f"  {name}: {params}; log-likelihood {res.llf:.1f}{flag}")
    for _, row in acc[
        acc["measure"].isin(["mae_purchases", "total_predicted", "total_actual"])
    ].iterrows():
        print(f"  {row['model']} {row['measure']}: {row['value']:.3f}")
    print(f"  written to {out}/ (parameters.csv, customers.parquet, accuracy.csv, report.html)")
    return 0
