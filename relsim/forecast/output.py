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
from relsim.forecast.predict import ForecastResult, accuracy, by_frequency, tracking
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


def read_covariates(path: Path) -> pd.DataFrame:
    """Read a covariates CSV: a customer id column, then numeric columns, one row per customer."""
    try:
        df = pd.read_csv(path, dtype=str)  # ids as written: "0001" stays "0001"
    except FileNotFoundError:
        raise ForecastDataError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ForecastDataError(f"{path}: cannot read CSV ({err})") from None
    key = next((k for k in ("customer_id", "ID", "id") if k in df.columns), None)
    if key is None:
        raise ForecastDataError(
            f"{path}: expected a customer_id column; it has {', '.join(map(str, df.columns))}"
        )
    df[key] = df[key].astype(str)
    if df[key].duplicated().any():
        first = df.loc[df[key].duplicated(), key].iloc[0]
        raise ForecastDataError(f"{path}: column '{key}': customer {first!r} appears twice")
    df = df.set_index(key)
    if df.shape[1] == 0:
        raise ForecastDataError(f"{path}: no covariate columns besides '{key}'")
    for col in df.columns:
        values = pd.to_numeric(df[col], errors="coerce")
        if values.isna().any():
            i = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise ForecastDataError(
                f"{path}: column '{col}': expected numbers, got {df[col].iloc[i]!r} in row "
                f"{i + 2} (code categories as 0/1 columns)"
            )
        df[col] = values.astype(float)
    df.index = df.index.str.strip()
    return df


def verdict(result: ForecastResult, acc: pd.DataFrame) -> list[str]:
    """Plain sentences: which model wins on the holdout, and any that lose to a naive one."""
    from relsim.forecast.models import display_name as name

    lines: list[str] = []
    fits = [n for n in result.fits if n != "gammagamma"]
    if len(fits) > 1:
        aic = {n: result.fits[n].aic for n in fits}
        best = min(aic, key=aic.__getitem__)
        others = ", ".join(f"{name(n)} {aic[n] - aic[best]:+.1f}" for n in fits if n != best)
        lines.append(f"In calibration {name(best)} fits best by AIC ({others}).")
    mae = acc[acc["measure"] == "mae_purchases"].set_index("model")["value"]
    if len(mae) == 0:
        return lines
    models = [m for m in mae.index if not m.startswith("naive_")]
    naive = [m for m in mae.index if m.startswith("naive_")]
    if models:
        best = min(models, key=mae.__getitem__)
        lines.append(
            f"On the holdout {name(best)} wins: mean absolute error {mae[best]:.3f} purchases "
            f"per customer ({', '.join(f'{name(m)} {mae[m]:.3f}' for m in mae.index if m != best)}"
            ")."
        )
        for m in models:
            beaten = [n for n in naive if mae[n] < mae[m]]
            if beaten:
                lines.append(
                    f"{name(m)} LOSES to the naive benchmark {', '.join(map(name, beaten))} on "
                    "the holdout "
                    f"({mae[m]:.3f} against {min(mae[n] for n in beaten):.3f})."
                )
    cover = acc[acc["measure"] == "interval_coverage_holdout"].set_index("model")["value"]
    for m, share in cover.items():
        lines.append(
            f"{name(m)}: its 95% prediction intervals held the holdout purchases of {share:.1%} of "
            "customers"
            + (
                " (below 95%: the model's own uncertainty understates what happened)."
                if share < 0.94
                else "."
            )
        )
    return lines


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
    by_frequency: pd.DataFrame | None = None
    verdict: list[str] = field(default_factory=list)
    ranking: pd.DataFrame | None = None
    cohort: pd.DataFrame | None = None
    currency: str = ""


def run_currency(folder: Path) -> str:
    """The currency of a run folder's scenario (the schema's default for older runs)."""
    from relsim.config.schema import Economics

    default = Economics().currency
    try:
        economics = read_manifest(folder)["scenario"].get("economics", {})
    except (KeyError, AttributeError):
        return default
    return str(economics.get("currency", default))


def prepare_outputs(
    result: ForecastResult,
    transactions: pd.DataFrame | None,
    source: Path,
    calibration_end: Any = None,
    firm: str | None = None,
    currency: str | None = None,
) -> ForecastOutputs:
    """Compute the accuracy, aggregate forecasts and, for a run folder, the simulation's truth.

    From a relsim run folder this adds a negative binomial regression of purchases on segment,
    channel and highest rung, Kaplan-Meier survival and cumulative incidence by cause, and
    accuracy scored against each customer's true state. ``currency`` names the amounts in
    the report (default: a run's scenario's, else none).
    """
    is_run = source.is_dir()
    if currency is None:
        currency = run_currency(source) if is_run else ""
    truth = None
    if is_run and calibration_end is not None:
        truth = simulation_truth(source, calibration_end, firm)
    track = tracking(result, transactions) if transactions is not None else None
    acc = accuracy(result, truth, track)
    out = ForecastOutputs(
        result,
        result.parameters(),
        acc,
        tracking=track,
        source=str(source),
        calibration_end=calibration_end,
        by_frequency=by_frequency(result),
        verdict=verdict(result, acc),
        currency=currency,
    )
    if truth is not None:
        from relsim.forecast.ranking import explain_ranking

        out.ranking = explain_ranking(result, truth)
    if transactions is not None:
        weekly = weekly_series(transactions)
        weeks = max(int(round(result.horizon if result.unit == "weeks" else result.horizon / 7)), 1)
        if calibration_end is not None:
            # the aggregate forecast starts where the per-customer ones do: at the end of
            # calibration, so the holdout weeks show how it did
            cut = pd.Timestamp(calibration_end)
            history = weekly[weekly.index <= cut]
        else:
            history = weekly
        for col in weekly.columns:
            try:
                out.aggregates[col] = (weekly, ets_forecast(history[col], weeks))
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


def write_outputs(folder: Path, out: ForecastOutputs) -> list[str]:
    """Write ``parameters.csv``, ``customers.parquet``, ``accuracy.csv`` and the rest.

    Each fitted model is also saved as ``models/<name>.json``, to be read back with
    :meth:`relsim.forecast.models.FittedModel.load`. Returns the names written.
    """
    written: list[str] = []

    def csv(frame: pd.DataFrame, name: str, index: bool = False) -> None:
        frame.to_csv(folder / name, index=index)
        written.append(name)

    csv(out.parameters, "parameters.csv")
    if len(out.result.customers):
        cust = out.result.customers.copy()
        cust.index = cust.index.astype(str)
        cust.to_parquet(folder / "customers.parquet")
        written.append("customers.parquet")
    if len(out.accuracy):
        csv(out.accuracy, "accuracy.csv")
    if len(out.result.tests):
        csv(out.result.tests, "tests.csv")
    if out.by_frequency is not None and len(out.by_frequency):
        csv(out.by_frequency, "by_frequency.csv")
    if out.ranking is not None:
        csv(out.ranking, "ranking.csv")
    if out.cohort is not None:
        csv(out.cohort, "survival.csv")
    for col, (_, ahead) in out.aggregates.items():
        csv(ahead.rename_axis("week"), f"aggregate_{col}.csv", index=True)
    if out.covariates is not None:
        csv(out.covariates, "covariates.csv", index=True)
    if out.defection_curves is not None:
        csv(out.defection_curves, "defection_curves.csv")
    if out.tracking is not None:
        csv(out.tracking, "tracking.csv")
    if out.result.fits:
        (folder / "models").mkdir()
        for name, fit in out.result.fits.items():
            fit.save(folder / "models" / f"{name}.json")
        written.append("models/")
    return written
