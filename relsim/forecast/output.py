"""A forecast's outputs: parameters, per-customer predictions, accuracy, aggregates, tracking.

:func:`prepare_outputs` computes everything a forecast folder holds; :func:`write_outputs`
writes it (the command line writes the folder atomically, with the report from
:mod:`relsim.reporting.forecast_report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsim.errors import ForecastDataError
from relsim.forecast.aggregate import defection_curves, ets_forecast, frequency_glm, weekly_series
from relsim.forecast.data import check_summary
from relsim.forecast.predict import ForecastResult, accuracy, tracking
from relsim.forecast.truth import simulation_truth
from relsim.storage.rundir import focal_firm, read_manifest, read_table


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


@dataclass
class ForecastOutputs:
    """Everything a forecast folder holds besides the report."""

    result: ForecastResult
    parameters: pd.DataFrame
    accuracy: pd.DataFrame
    aggregates: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict)
    tracking: pd.DataFrame | None = None
    covariates: pd.DataFrame | None = None
    defection_curves: pd.DataFrame | None = None
    source: str = ""
    calibration_end: Any = None


def prepare_outputs(
    result: ForecastResult,
    transactions: pd.DataFrame | None,
    source: Path,
    calibration_end: Any = None,
    firm: str | None = None,
) -> ForecastOutputs:
    """Compute the accuracy, aggregate forecasts and, for a run folder, the simulation's truth.

    From a relsim run folder this adds a negative binomial regression of purchases on segment,
    channel and highest rung, Kaplan-Meier survival and cumulative incidence by cause, and
    accuracy scored against each customer's true state.
    """
    is_run = source.is_dir()
    truth = None
    if is_run and calibration_end is not None:
        truth = simulation_truth(source, calibration_end, firm)
    track = tracking(result, transactions) if transactions is not None else None
    out = ForecastOutputs(
        result,
        result.parameters(),
        accuracy(result, truth, track),
        tracking=track,
        source=str(source),
        calibration_end=calibration_end,
    )
    if transactions is not None:
        weekly = weekly_series(transactions)
        weeks = max(int(round(result.horizon if result.unit == "weeks" else result.horizon / 7)), 1)
        for col in weekly.columns:
            try:
                out.aggregates[col] = (weekly, ets_forecast(weekly[col], weeks))
            except ForecastDataError:
                pass  # too short a history for an aggregate model; the rest still stands
    if is_run:
        meta = read_manifest(source)
        name = firm or focal_firm(meta)
        cust_tab = read_table(source, "customers")
        own = cust_tab[cust_tab["firm"].astype(str) == name].copy()
        days = float(meta["scenario"]["simulation"]["days"])
        # Weeks inside the measured window: a relationship from the warm-up counts from day 0
        # (its purchases before were not tabled).
        own["exposure"] = (own["end_day"].fillna(days) - own["start_day"].clip(lower=0.0)) / 7.0
        try:
            glm = frequency_glm(own, ["segment", "channel", "highest_rung"])
        except ForecastDataError:
            glm = None  # too few customers for a regression; the forecasts still stand
        if glm is not None:
            out.covariates = pd.DataFrame(
                {"estimate": glm.params, "std_error": glm.bse, "rate_ratio": np.exp(glm.params)}
            ).rename_axis("term")
        # Survival from the start of a relationship: only those begun in the window, whose
        # whole course was observed (the others are left-truncated).
        out.defection_curves = defection_curves(own[own["start_day"] >= 0], days)
    return out


def write_outputs(folder: Path, out: ForecastOutputs) -> None:
    """Write ``parameters.csv``, ``customers.parquet``, ``accuracy.csv`` and the rest."""
    out.parameters.to_csv(folder / "parameters.csv", index=False)
    cust = out.result.customers.copy()
    cust.index = cust.index.astype(str)
    cust.to_parquet(folder / "customers.parquet")
    out.accuracy.to_csv(folder / "accuracy.csv", index=False)
    for col, (_, ahead) in out.aggregates.items():
        ahead.rename_axis("week").to_csv(folder / f"aggregate_{col}.csv")
    if out.covariates is not None:
        out.covariates.to_csv(folder / "covariates.csv")
    if out.defection_curves is not None:
        out.defection_curves.to_csv(folder / "defection_curves.csv", index=False)
    if out.tracking is not None:
        out.tracking.to_csv(folder / "tracking.csv", index=False)
