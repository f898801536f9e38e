"""Forecasts from discrete-time and contractual data: BG/BB summaries and sBG cohorts.

BG/BB data are counts of customers sharing a pattern of transactions over n opportunities
(lifetimes' ``frequency, recency, periods, weights``); an sBG cohort is its survivors period
by period. Neither comes from a transaction log, so they have their own path to the same
outputs a forecast folder holds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from relsim.errors import ForecastDataError
from relsim.forecast.intervals import LEVEL, customer_intervals, parameter_draws
from relsim.forecast.models import fit_model
from relsim.forecast.output import ForecastOutputs
from relsim.forecast.predict import ForecastResult


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise ForecastDataError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ForecastDataError(f"{path}: cannot read CSV ({err})") from None


def read_bgbb_summary(path: Path) -> pd.DataFrame:
    """A BG/BB summary: ``frequency``, ``recency``, ``periods`` and optional ``weights``."""
    df = _read_csv(path)
    for col in ("frequency", "recency", "periods"):
        if col not in df.columns:
            raise ForecastDataError(
                f"{path}: missing column '{col}' (a BG/BB summary has frequency, recency, "
                "periods and optionally weights)"
            )
    cols = [c for c in ("frequency", "recency", "periods", "weights") if c in df.columns]
    for col in cols:
        values = pd.to_numeric(df[col], errors="coerce")
        if values.isna().any() or (values < 0).any() or (values != np.floor(values)).any():
            raise ForecastDataError(f"{path}: column '{col}': expected whole numbers >= 0")
        df[col] = values
    bad = (df["frequency"] > df["periods"]) | (df["recency"] > df["periods"])
    bad |= (df["frequency"] > 0) & (df["recency"] < df["frequency"])
    bad |= (df["frequency"] == 0) & (df["recency"] != 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ForecastDataError(
            f"{path}: row {i + 2}: expected frequency <= recency <= periods (recency 0 without "
            "transactions)"
        )
    if (df["frequency"] == 0).all():
        raise ForecastDataError(f"{path}: no customer transacted; nothing can be estimated")
    return df[cols].astype(float)


def bgbb_outputs(
    path: Path, horizon: float | None, penalizer: float, draws: int, seed: int
) -> ForecastOutputs:
    """Fit BG/BB to a summary file and forecast each pattern's next ``horizon`` opportunities."""
    data = read_bgbb_summary(path)
    future = float(horizon or 5)
    fit = fit_model("bgbb", data, penalizer=penalizer, source=str(path))
    result = ForecastResult(summary=data, horizon=future, unit="opportunities")
    result.fits["bgbb"] = fit
    if fit.boundary:
        result.notes.append(
            f"BG/BB: parameter(s) {', '.join(fit.boundary)} reached a bound: not identified."
        )
    cust = data.copy()
    x, tx, n = (data[c].to_numpy(float) for c in ("frequency", "recency", "periods"))
    cust["bgbb_expected_purchases"] = fit.expected_purchases(future, x, tx, n)
    cust["bgbb_p_alive"] = fit.p_alive(x, tx, n)
    if draws > 0:
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        band = customer_intervals(fit, data, future, rng, draws)
        for col in band.columns:
            cust[f"bgbb_{col}"] = band[col]
    result.customers = cust
    weights = data["weights"] if "weights" in data.columns else pd.Series(1.0, index=data.index)
    fit_table = None
    periods = np.unique(n)
    if len(periods) == 1:
        # calibration fit: customers by number of transactions, actual against the model
        k = int(periods[0])
        actual = (
            weights.groupby(data["frequency"].astype(int)).sum().reindex(range(k + 1), fill_value=0)
        )
        total = float(weights.sum())
        expected = [total * fit.probability_of_purchases([k], j)[0] for j in range(k + 1)]
        fit_table = pd.DataFrame(
            {"transactions": range(k + 1), "actual": actual.to_numpy(), "bgbb": expected}
        )
    out = ForecastOutputs(result, result.parameters(), pd.DataFrame(), source=str(path))
    out.by_frequency = fit_table
    total_expected = float(np.dot(cust["bgbb_expected_purchases"], weights))
    out.verdict = [
        f"BG/BB over {int(weights.sum()):,} customers: mean P(alive) "
        f"{np.average(cust['bgbb_p_alive'], weights=weights):.3f}; expected transactions in "
        f"the next {future:g} opportunities {total_expected:,.0f}."
    ]
    return out


def cohort_outputs(path: Path, horizon: float | None, penalizer: float) -> ForecastOutputs:
    """Fit the sBG model to a cohort file and project its survival ``horizon`` periods on."""
    from relsim.forecast.fitters import sbg

    frame = _read_csv(path)
    survivors = sbg.check_cohort(frame, str(path))
    fit = fit_model("sbg", frame, penalizer=penalizer, source=str(path))
    k = len(survivors) - 1
    ahead = int(horizon) if horizon else k
    t = np.arange(k + ahead + 1)
    start = survivors[0]
    table = pd.DataFrame({"period": t})
    table["survivors"] = np.append(survivors, np.full(ahead, np.nan))
    table["expected_survivors"] = start * fit.survival(t)
    draws = parameter_draws(fit, 400, np.random.default_rng(0))
    if draws.exact:
        curves = np.array([start * sbg.survival(v, t) for v in draws.values])
        q = ((1 - LEVEL) / 2, (1 + LEVEL) / 2)
        table["expected_low"], table["expected_high"] = np.quantile(curves, q, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = table["survivors"] / table["survivors"].shift(1)
    table["retention_observed"] = observed
    table.loc[0, "retention_observed"] = np.nan
    table["retention_expected"] = np.append(np.nan, fit.retention_rate(t[1:]))
    table["calibration"] = t <= k
    result = ForecastResult(
        summary=pd.DataFrame({"survivors": survivors}), horizon=float(ahead), unit="periods"
    )
    result.fits["sbg"] = fit
    out = ForecastOutputs(result, result.parameters(), pd.DataFrame(), source=str(path))
    out.cohort = table
    out.verdict = [
        f"sBG: retention rises from {table['retention_expected'].iloc[1]:.3f} in period 1 to "
        f"{table['retention_expected'].iloc[-1]:.3f} in period {t[-1]} as the cohort sorts "
        f"itself; {table['expected_survivors'].iloc[-1]:,.0f} of {start:,.0f} expected after "
        f"{t[-1]} periods."
    ]
    return out
