"""Aggregate forecasts: weekly purchases and revenue with ETS, and purchase counts by covariate.

- Weekly purchases and revenue are forecast with statsmodels' ETS on the log scale (additive
  errors, damped additive trend), with prediction intervals.
- Purchase frequency against customer covariates (segment, channel, rung, ...) is a negative
  binomial regression with the customer's exposure time as offset (statsmodels GLM).
- Time to defection by cause, when the source records causes: Kaplan-Meier survival and the
  cumulative incidence of each cause (statsmodels ``SurvfuncRight`` and ``CumIncidenceRight``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from relsim.errors import ForecastDataError


def weekly_series(transactions: pd.DataFrame) -> pd.DataFrame:
    """Purchases and revenue per week (weeks ending on Sunday), gaps filled with zeros."""
    tx = transactions.set_index("date")
    cols = {"purchases": ("customer_id", "size")}
    if "amount" in tx.columns:
        cols["revenue"] = ("amount", "sum")
    weekly = tx.resample("W").agg(**cols).fillna(0.0)
    # Keep whole weeks only: a part week at either end would look like a collapse in demand.
    first, last = transactions["date"].min(), transactions["date"].max()
    if first.normalize() != (weekly.index[0] - pd.Timedelta(days=6)).normalize():
        weekly = weekly.iloc[1:]
    if last.normalize() < weekly.index[-1].normalize():
        weekly = weekly.iloc[:-1]
    return weekly


def ets_forecast(series: pd.Series, horizon: int, alpha: float = 0.05) -> pd.DataFrame:
    """Forecast a weekly series ``horizon`` weeks ahead with a damped-trend ETS model.

    The model is fitted to ``log(1 + y)``: weekly purchases and revenue are counts and sums
    whose spread grows with their level, and on the log scale an additive error is close to
    right and the interval cannot go below zero. Quantiles carry over to the original scale
    unchanged, so the point forecast is the median.

    Returns
    -------
    pandas.DataFrame
        ``median``, ``pi_lower`` and ``pi_upper`` (the 1 - alpha prediction interval),
        indexed by week, starting the week after the series ends.
    """
    y = series.astype(float)
    if len(y) < 10:
        raise ForecastDataError(
            f"only {len(y)} weeks of data; at least 10 are needed for an aggregate forecast"
        )
    model = ETSModel(np.log1p(y.clip(lower=0.0)), error="add", trend="add", damped_trend=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat series
        fit = model.fit(disp=False)
    pred = fit.get_prediction(start=len(y), end=len(y) + horizon - 1)
    frame = pred.summary_frame(alpha=alpha)
    return pd.DataFrame(
        {
            "median": np.expm1(frame["mean"].to_numpy()),
            "pi_lower": np.maximum(np.expm1(frame["pi_lower"].to_numpy()), 0.0),
            "pi_upper": np.expm1(frame["pi_upper"].to_numpy()),
        },
        index=pd.date_range(y.index[-1] + pd.Timedelta(weeks=1), periods=horizon, freq="W"),
    )


def frequency_glm(
    customers: pd.DataFrame,
    covariates: list[str],
    count: str = "purchases",
    exposure: str = "exposure",
):
    """Negative binomial regression of purchase counts on covariates, exposure as offset.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer with the count, the exposure time and the covariates.
    covariates : list of str
        Column names; categorical ones enter as dummies.
    count : str
        Column of purchase counts.
    exposure : str
        Column of each customer's time at risk (its log is the offset).

    Returns
    -------
    statsmodels results of ``smf.negativebinomial`` (dispersion estimated with the rest).
    """
    data = customers[[count, exposure, *covariates]].dropna()
    data = data[data[exposure] > 0].copy()
    for c in covariates:
        if isinstance(data[c].dtype, pd.CategoricalDtype):
            # an empty level would make the dummies collinear with the intercept
            data[c] = data[c].cat.remove_unused_categories()
    if len(data) < len(covariates) + 5:
        raise ForecastDataError("too few customers for a frequency regression")
    terms = " + ".join(
        f"C({c})" if not pd.api.types.is_numeric_dtype(data[c]) else c for c in covariates
    )
    model = smf.negativebinomial(f"{count} ~ {terms}", data, offset=np.log(data[exposure]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(disp=False, maxiter=200)


def defection_curves(customers: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
    """Kaplan-Meier survival of relationships and cumulative incidence of each cause.

    Parameters
    ----------
    customers : pandas.DataFrame
        A run's customers table (``start_day``, ``end_day``, ``cause``).
    horizon_days : float
        End of observation, where open relationships are censored.

    Returns
    -------
    pandas.DataFrame
        ``day``, ``survival`` and one ``incidence_<cause>`` column per cause.
    """
    end = customers["end_day"].fillna(horizon_days)
    duration = (end - customers["start_day"]).to_numpy()
    # Only causes that occur: a cause with no event has no incidence curve of its own.
    causes = customers["cause"].astype("category").cat.remove_unused_categories()
    labels = list(causes.cat.categories)
    status = np.where(customers["cause"].isna(), 0, causes.cat.codes.to_numpy() + 1)
    km = SurvfuncRight(duration, (status > 0).astype(int))
    grid = np.linspace(0, float(duration.max()), 200)
    out = pd.DataFrame(
        {"day": grid, "survival": np.interp(grid, km.surv_times, km.surv_prob, left=1.0)}
    )
    ci = CumIncidenceRight(duration, status)
    for k, label in enumerate(labels):
        out[f"incidence_{label}"] = np.interp(grid, ci.times, ci.cinc[k], left=0.0)
    return out
