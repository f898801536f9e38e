"""Per-customer forecasts: expected purchases, probability alive, expected spend and CLV.

One call fits the chosen buy-till-you-die models to the calibration period and predicts each
customer's purchases over a horizon (the holdout period, when there is one), their probability
of being alive, the expected value of a purchase and their discounted lifetime value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from relsim.errors import ForecastDataError
from relsim.forecast.data import calibration_holdout, check_summary, rfm_summary
from relsim.forecast.fitters import bgnbd, gammagamma, paretonbd

FREQUENCY_MODELS = {"bgnbd": bgnbd.fit_bgnbd, "paretonbd": paretonbd.fit_paretonbd}
MODELS = (*FREQUENCY_MODELS, "gammagamma")


def expected_purchases(model: str, params, t, summary: pd.DataFrame) -> np.ndarray:
    """Conditional expected purchases in the next ``t`` time units for each customer."""
    fn = {
        "bgnbd": bgnbd.conditional_expected_purchases,
        "paretonbd": paretonbd.conditional_expected_purchases,
    }[model]
    return fn(np.asarray(params), t, summary["frequency"], summary["recency"], summary["T"])


def probability_alive(model: str, params, summary: pd.DataFrame) -> np.ndarray:
    """Probability that each customer is still alive at the end of calibration."""
    p = np.asarray(params)
    if model == "bgnbd":
        return bgnbd.probability_alive(p, summary["frequency"], summary["recency"], summary["T"])
    return paretonbd.ParetoNBDModel(
        summary["frequency"], summary["recency"], summary["T"]
    ).probability_alive(p)


def clv(
    model: str,
    params,
    summary: pd.DataFrame,
    spend: np.ndarray,
    horizon: float,
    margin: float,
    discount_rate: float,
    step: float,
) -> np.ndarray:
    """Discounted expected margin over ``horizon``, in steps of ``step`` time units.

    ``discount_rate`` is per step; each step's expected purchases (a difference of
    conditional expectations) are discounted to the end of the step.
    """
    edges = np.arange(step, horizon + step / 2, step)
    cum = np.column_stack([expected_purchases(model, params, t, summary) for t in edges])
    per_step = np.diff(np.column_stack([np.zeros(len(summary)), cum]), axis=1)
    discount = (1.0 + discount_rate) ** -np.arange(1, len(edges) + 1)
    return margin * spend * (per_step * discount).sum(axis=1)


@dataclass
class ForecastResult:
    """Fitted models and forecasts of one transaction log."""

    summary: pd.DataFrame
    fits: dict = field(default_factory=dict)
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)
    horizon: float = 0.0
    unit: str = "weeks"
    has_holdout: bool = False

    def parameters(self) -> pd.DataFrame:
        """Every model's estimates with standard errors and 95% intervals."""
        rows = []
        for name, res in self.fits.items():
            ci = np.asarray(res.conf_int())
            for i, p in enumerate(res.model.param_names):
                rows.append(
                    {
                        "model": name,
                        "parameter": p,
                        "estimate": res.params[i],
                        "std_error": res.bse[i],
                        "ci_low": ci[i, 0],
                        "ci_high": ci[i, 1],
                        "loglik": res.llf,
                        "aic": res.aic,
                        "bic": res.bic,
                        "converged": res.mle_retvals["converged"],
                    }
                )
        return pd.DataFrame(rows)


def forecast(
    transactions: pd.DataFrame,
    calibration_end=None,
    horizon: float | None = None,
    unit: str = "weeks",
    models: tuple[str, ...] = MODELS,
    margin: float = 0.3,
    discount_rate: float = 0.01,
    source: str = "<data>",
) -> ForecastResult:
    """Fit buy-till-you-die models and forecast each customer.

    Parameters
    ----------
    transactions : pandas.DataFrame
        ``customer_id``, ``date`` and optionally ``amount``.
    calibration_end : date-like, optional
        End of the calibration period; what follows is the holdout. Without it the models are
        fitted on everything and forecast ``horizon`` ahead.
    horizon : float, optional
        Forecast horizon in ``unit`` (default: the holdout's length, or 52 weeks).
    unit : {"weeks", "days"}
        Time unit.
    models : tuple of str
        Any of ``bgnbd``, ``paretonbd``, ``gammagamma``.
    margin : float
        Share of spend that is margin, for CLV.
    discount_rate : float
        Discount rate per 4 weeks (or 28 days), for CLV.
    source : str
        Name of the data, for error messages.

    Returns
    -------
    ForecastResult
    """
    if calibration_end is None:
        summary = rfm_summary(transactions, transactions["date"].max(), unit, source)
        has_holdout = False
        horizon = horizon or (52.0 if unit == "weeks" else 364.0)
    else:
        summary = calibration_holdout(transactions, calibration_end, unit=unit, source=source)
        has_holdout = True
        horizon = horizon or float(summary["duration_holdout"].iloc[0])
    return forecast_from_summary(
        summary, horizon, unit, models, margin, discount_rate, has_holdout, source
    )


def forecast_from_summary(
    summary: pd.DataFrame,
    horizon: float,
    unit: str = "weeks",
    models: tuple[str, ...] = MODELS,
    margin: float = 0.3,
    discount_rate: float = 0.01,
    has_holdout: bool = False,
    source: str = "<data>",
) -> ForecastResult:
    """Fit and forecast from an RFM summary; see :func:`forecast`.

    The summary has ``frequency``, ``recency``, ``T`` and optionally ``monetary_value`` and
    ``frequency_holdout``.
    """
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ForecastDataError(
            f"--model: unknown model(s) {', '.join(unknown)}; expected {', '.join(MODELS)}"
        )
    check_summary(summary, source)
    result = ForecastResult(summary=summary, horizon=horizon, unit=unit, has_holdout=has_holdout)
    out = pd.DataFrame(index=summary.index)
    for col in ("frequency", "recency", "T", "monetary_value", "frequency_holdout"):
        if col in summary.columns:
            out[col] = summary[col]
    spend = None
    if "gammagamma" in models and "monetary_value" in summary.columns:
        gg = gammagamma.fit_gamma_gamma(summary)
        result.fits["gammagamma"] = gg
        spend = gammagamma.conditional_expected_spend(
            np.asarray(gg.params), summary["frequency"], summary["monetary_value"]
        )
        out["expected_spend"] = spend
    step = 4.0 if unit == "weeks" else 28.0
    for name in models:
        if name not in FREQUENCY_MODELS:
            continue
        res = FREQUENCY_MODELS[name](summary)
        result.fits[name] = res
        out[f"{name}_expected_purchases"] = expected_purchases(name, res.params, horizon, summary)
        out[f"{name}_p_alive"] = probability_alive(name, res.params, summary)
        if spend is not None:
            out[f"{name}_clv"] = clv(
                name, res.params, summary, spend, horizon, margin, discount_rate, step
            )
    result.customers = out
    return result


def unconditional_purchases(model: str, params, t) -> np.ndarray:
    """E[X(t)]: expected repeat purchases within ``t`` of a customer's first purchase."""
    t = np.asarray(t, dtype=float)
    if model == "bgnbd":
        return bgnbd.expected_purchases(params, t)
    r, alpha, s, beta = params
    if abs(s - 1.0) < 1e-9:
        return r * beta / alpha * np.log1p(t / beta)
    return r * beta / (alpha * (s - 1)) * (1.0 - (beta / (beta + t)) ** (s - 1))


def tracking(result: ForecastResult, transactions: pd.DataFrame) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort, actual and per model, weekly.

    The model curve adds up each customer's E[X(t - first purchase)] (Fader, Hardie & Lee
    2005, Figure 2); after the calibration end it is a forecast of the holdout.
    """
    cohort = transactions[transactions["customer_id"].isin(result.summary.index)]
    days = (
        cohort.assign(day=cohort["date"].dt.normalize())
        .drop_duplicates(["customer_id", "day"])
        .sort_values("day")
    )
    first = days.groupby("customer_id")["day"].transform("min")
    repeats = days.loc[days["day"] > first, "day"]
    starts = days.groupby("customer_id")["day"].min()
    grid = pd.date_range(starts.min(), days["day"].max(), freq="7D")
    per = 7.0 if result.unit == "weeks" else 1.0
    out = pd.DataFrame(
        {"date": grid, "actual": np.searchsorted(repeats.to_numpy(), grid.to_numpy(), side="right")}
    )
    age = (grid.to_numpy()[:, None] - starts.to_numpy()[None, :]) / np.timedelta64(1, "D") / per
    for name, res in result.fits.items():
        if name in FREQUENCY_MODELS:
            ex = unconditional_purchases(name, np.asarray(res.params), np.clip(age, 0, None))
            out[name] = np.where(age > 0, ex, 0.0).sum(axis=1)
    return out


def accuracy(
    result: ForecastResult, truth: pd.DataFrame | None = None, track: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Holdout accuracy of each frequency model, and against the simulation's truth if given.

    Parameters
    ----------
    result : ForecastResult
        With a holdout period.
    truth : pandas.DataFrame, optional
        Indexed by customer id with ``alive`` (bool, really a customer at calibration end) and
        ``true_purchases_per_year`` (the person's latent purchase rate), from a simulated run.
    track : pandas.DataFrame, optional
        From :func:`tracking`: adds the cumulative purchases at the end, predicted and actual.

    Returns
    -------
    pandas.DataFrame
        One row per model and measure.
    """
    rows = []
    cust = result.customers
    for name in result.fits:
        if name not in FREQUENCY_MODELS:
            continue
        pred = cust[f"{name}_expected_purchases"]
        if result.has_holdout:
            err = pred - cust["frequency_holdout"]
            rows += [
                {"model": name, "measure": "mae_purchases", "value": float(err.abs().mean())},
                {
                    "model": name,
                    "measure": "rmse_purchases",
                    "value": float(np.sqrt((err**2).mean())),
                },
                {"model": name, "measure": "total_predicted", "value": float(pred.sum())},
                {
                    "model": name,
                    "measure": "total_actual",
                    "value": float(cust["frequency_holdout"].sum()),
                },
            ]
        if truth is not None:
            t = truth.reindex(cust.index)
            p_alive = cust[f"{name}_p_alive"]
            alive = t["alive"].astype(float)
            rows.append(
                {
                    "model": name,
                    "measure": "brier_p_alive_vs_truth",
                    "value": float(((p_alive - alive) ** 2).mean()),
                }
            )
            rows.append(
                {"model": name, "measure": "share_alive_predicted", "value": float(p_alive.mean())}
            )
            rows.append(
                {"model": name, "measure": "share_alive_true", "value": float(alive.mean())}
            )
            # does the model rank people by how often they really buy?
            rank = pred.rank().corr(t["true_purchases_per_year"].rank())
            rows.append(
                {"model": name, "measure": "rank_correlation_with_true_rate", "value": float(rank)}
            )
        if track is not None and name in track.columns:
            rows.append(
                {
                    "model": name,
                    "measure": "cumulative_purchases_predicted",
                    "value": float(track[name].iloc[-1]),
                }
            )
            rows.append(
                {
                    "model": name,
                    "measure": "cumulative_purchases_actual",
                    "value": float(track["actual"].iloc[-1]),
                }
            )
    return pd.DataFrame(rows, columns=["model", "measure", "value"])
