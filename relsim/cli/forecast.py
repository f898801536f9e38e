"""``relsim forecast``: buy-till-you-die forecasts of any transaction log, simulated or real."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from relsim.cli._common import currency, date, positive_float, share
from relsim.errors import InputError


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "forecast",
        help="fit buy-till-you-die models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma, "
        "sBG) and forecast each customer",
        description="Fit buy-till-you-die models to a run folder, a CSV or Parquet transaction "
        "log, an RFM summary (--summary; with --model bgbb, a discrete-time summary with "
        "periods and weights) or a cohort's survivors (--model sbg), and forecast each "
        "customer with 95%% intervals.",
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
        choices=["bgnbd", "mbgnbd", "paretonbd", "gammagamma", "bgbb", "sbg"],
        help="a model to fit (repeatable; default bgnbd, paretonbd, gammagamma); bgbb needs "
        "--summary with columns frequency, recency, periods (and weights); sbg reads a cohort "
        "file with columns period, survivors",
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
        "--sep",
        help="CSV separator (a regex such as '\\s+' for whitespace; default: sniffed)",
    )
    p.add_argument("--decimal", default=".", help="decimal mark of the amounts, e.g. ','")
    p.add_argument(
        "--covariates",
        help="CSV with one row per customer (customer_id, then numeric columns) for BG/NBD, "
        "MBG/NBD and Pareto/NBD; tested against the fit without them",
    )
    p.add_argument(
        "--penalizer",
        type=float,
        default=0.0,
        help="L2 penalty on the parameters for small data (e.g. 0.001; default 0)",
    )
    p.add_argument(
        "--intervals",
        type=int,
        default=200,
        help="parameter draws for the per-customer 95%% intervals (0: none; default 200)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of those draws")
    p.add_argument(
        "--no-header",
        action="store_true",
        help="the CSV has no header line; name columns by number (--customer-col 0 ...)",
    )
    p.add_argument("--firm", help="in a run folder, whose customers (default: focal)")
    p.add_argument(
        "--currency",
        type=currency,
        help="what the amounts are in, for the report: a symbol or code such as $ or EUR "
        "(default: a run's scenario's, else none)",
    )
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
    from relsim.forecast.output import (
        prepare_outputs,
        read_covariates,
        read_summary,
        write_outputs,
    )
    from relsim.forecast.predict import DEFAULT_MODELS, forecast, forecast_from_summary
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
    if not math.isfinite(args.penalizer) or args.penalizer < 0:
        raise InputError(f"--penalizer: expected a number >= 0, got {args.penalizer:g}")
    if args.intervals < 0:
        raise InputError(f"--intervals: expected a count >= 0, got {args.intervals}")
    check_output(out, "forecast", whole=True)
    models = tuple(dict.fromkeys(args.model)) if args.model else None
    if models and ({"sbg", "bgbb"} & set(models)) and len(models) > 1:
        raise InputError("--model: sbg and bgbb are fitted alone (their data differ)")
    if models == ("sbg",):
        from relsim.forecast.discrete import cohort_outputs

        outputs = cohort_outputs(source, args.horizon, args.penalizer)
    elif models == ("bgbb",):
        from relsim.forecast.discrete import bgbb_outputs

        if not args.summary:
            raise InputError(
                "--model bgbb: give --summary and a file with columns frequency, recency, "
                "periods (and optionally weights)"
            )
        outputs = bgbb_outputs(source, args.horizon, args.penalizer, args.intervals, args.seed)
    else:
        models = models or DEFAULT_MODELS
        covariates = read_covariates(Path(args.covariates)) if args.covariates else None
        if args.summary:
            summary = read_summary(source)
            horizon = args.horizon or (52.0 if args.unit == "weeks" else 364.0)
            result = forecast_from_summary(
                summary,
                horizon,
                args.unit,
                models,
                args.margin,
                args.discount_rate,
                source=str(source),
                covariates=covariates,
                penalizer=args.penalizer,
                interval_draws=args.intervals,
                seed=args.seed,
            )
            transactions = None
        else:
            cols = Columns(args.customer_col, args.date_col, args.amount_col or None)
            transactions = read_transactions(
                source,
                cols,
                args.date_format,
                args.firm,
                sep=args.sep,
                header=not args.no_header,
                decimal=args.decimal,
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
                covariates=covariates,
                penalizer=args.penalizer,
                interval_draws=args.intervals,
                seed=args.seed,
            )
        outputs = prepare_outputs(
            result, transactions, source, args.calibration_end, args.firm, args.currency
        )

    def fill(tmp: Path) -> None:
        written = write_outputs(tmp, outputs)
        write_forecast_report(outputs, tmp / "report.html")
        files.extend([*written, "report.html"])

    files: list[str] = []
    write_owned_dir(out, "forecast", fill)
    result = outputs.result
    print(
        f"relsim forecast: {source}, {result.summary_size():,} "
        f"{'cohort members' if models == ('sbg',) else 'customers'}, "
        f"horizon {result.horizon:g} {result.unit}"
    )
    for name, fit in result.fits.items():
        params = ", ".join(f"{p}={v:.4g}" for p, v in fit.params.items())
        flag = "" if fit.converged else "  (NOT CONVERGED)"
        if fit.boundary:
            flag = f"  (NOT CONVERGED: {', '.join(fit.boundary)} at a bound)"
        elif not fit.identified:
            flag = "  (NOT CONVERGED: singular information matrix, estimates not identified)"
        print(f"  {name}: {params}; log-likelihood {fit.loglik:.1f}{flag}")
    for line in outputs.verdict:
        print(f"  {line}")
    for note in result.notes:
        print(f"  note: {note}")
    print(f"  written to {out}/ ({', '.join(files)})")
    return 0
