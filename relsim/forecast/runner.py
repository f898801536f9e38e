"""Writing a forecast's outputs: parameters, per-customer predictions, accuracy, report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from relsim.forecast.aggregate import defection_curves, ets_forecast, frequency_glm, weekly_series
from relsim.forecast.data import ForecastDataError, check_summary
from relsim.forecast.predict import ForecastResult, accuracy, tracking
from relsim.forecast.report import write_forecast_report
from relsim.forecast.truth import simulation_truth
from relsim.runio import focal_firm, read_manifest, write_atomically


def read_summary(path: Path) -> pd.DataFrame:
    """Read an RFM summary CSV.

    It has ``frequency``, ``recency``, ``T`` and optionally ``monetary_value``; an ``ID`` or
    ``customer_id`` column becomes the index.
    """
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise ForecastDataError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ForecastDataError(f"{path}: cannot read CSV ({err})") from None
    for key in ("customer_id", "ID", "id"):
        if key in df.columns:
            df = df.set_index(key)
            break
    return check_summary(df, str(path))


def write_forecast(result: ForecastResult, transactions: pd.DataFrame | None, out: Path,
                   source: Path, calibration_end=None, firm: str | None = None) -> Path:
    """Write ``parameters.csv``, ``customers.parquet``, ``accuracy.csv`` and ``report.html``.

    From a relsim run directory also ``covariates.csv`` (negative binomial regression of
    purchases on segment, channel and highest rung) and ``defection_curves.csv``
    (Kaplan-Meier survival and cumulative incidence by cause); and the accuracy includes the
    forecasts scored against the simulation's truth.
    """
    is_run = source.is_dir()
    truth = None
    if is_run and calibration_end is not None:
        truth = simulation_truth(source, calibration_end, firm)
    track = tracking(result, transactions) if transactions is not None else None
    acc = accuracy(result, truth, track)
    params = result.parameters()
    aggregates: dict[str, tuple] = {}
    if transactions is not None:
        weekly = weekly_series(transactions)
        weeks = max(int(round(result.horizon if result.unit == "weeks"
                              else result.horizon / 7)), 1)
        for col in weekly.columns:
            try:
                aggregates[col] = (weekly, ets_forecast(weekly[col], weeks))
            except ForecastDataError:
                pass  # too short a history for an aggregate model; the rest still stands

    def fill(tmp: Path) -> None:
        params.to_csv(tmp / "parameters.csv", index=False)
        cust = result.customers.copy()
        cust.index = cust.index.astype(str)
        cust.to_parquet(tmp / "customers.parquet")
        acc.to_csv(tmp / "accuracy.csv", index=False)
        for col, (_, ahead) in aggregates.items():
            ahead.rename_axis("week").to_csv(tmp / f"aggregate_{col}.csv")
        if is_run:
            meta = read_manifest(source)
            name = firm or focal_firm(meta)
            cust_tab = pd.read_parquet(source / "customers.parquet")
            own = cust_tab[cust_tab["firm"].astype(str) == name].copy()
            days = float(meta["scenario"]["simulation"]["days"])
            own["exposure"] = (own["end_day"].fillna(days) - own["start_day"]) / 7.0
            try:
                glm = frequency_glm(own, ["segment", "channel", "highest_rung"])
            except ForecastDataError:
                glm = None  # too few customers for a regression; the forecasts still stand
            if glm is not None:
                pd.DataFrame({"estimate": glm.params, "std_error": glm.bse,
                              "rate_ratio": np.exp(glm.params)}
                             ).rename_axis("term").to_csv(tmp / "covariates.csv")
            defection_curves(own, days).to_csv(tmp / "defection_curves.csv", index=False)
        if track is not None:
            track.to_csv(tmp / "tracking.csv", index=False)
        write_forecast_report(result, params, acc, aggregates, tmp / "report.html", str(source),
                              track, calibration_end)

    return write_atomically(out, fill)
