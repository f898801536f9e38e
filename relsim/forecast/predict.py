"""Per-customer forecasts: expected purchases, probability alive, expected spend and CLV.

One call fits the chosen buy-till-you-die models to the calibration period and predicts each
customer's purchases over a horizon (the holdout period, when there is one), their probability
of being alive, the expected value of a purchase and their discounted lifetime value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from relsim.errors import ForecastDataError
from relsim.forecast.data import calibration_holdout, check_summary, rfm_summary
from relsim.forecast.intervals import customer_intervals, parameter_draws
from relsim.forecast.models import FREQUENCY_MODELS, SPECS, FittedModel, fit_model

MODELS = (*FREQUENCY_MODELS, "gammagamma")
#: The models fitted when none are named.
DEFAULT_MODELS = ("bgnbd", "paretonbd", "gammagamma")
#: Spend whose purchases vary less than this (coefficient of variation) is treated as constant.
CONSTANT_SPEND = 1e-6


def expected_purchases(model: str, params, t, summary: pd.DataFrame) -> np.ndarray:
    """Conditional expected purchases in the next ``t`` time units for each customer."""
    fn = SPECS[model].conditional
    assert fn is not None
    return fn(np.asarray(params), t, summary["frequency"], summary["recency"], summary["T"])


def probability_alive(model: str, params, summary: pd.DataFrame) -> np.ndarray:
    """Probability that each customer is still alive at the end of calibration."""
    fn = SPECS[model].p_alive
    assert fn is not None
    return fn(np.asarray(params), summary["frequency"], summary["recency"], summary["T"])


def clv_steps(horizon: float, discount_rate: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Step ends over ``horizon`` and each step's discount factor (discounted to its end)."""
    edges = np.arange(step, horizon + step / 2, step)
    if len(edges) == 0 or edges[-1] < horizon - 1e-9:
        edges = np.append(edges, horizon)
    discount = (1.0 + discount_rate) ** -(edges / step)
    return edges, discount


def clv(
    fit: FittedModel,
    summary: pd.DataFrame,
    spend: np.ndarray,
    horizon: float,
    margin: float,
    discount_rate: float,
    step: float,
    covariates: pd.DataFrame | None = None,
) -> np.ndarray:
    """Discounted expected margin over ``horizon``, in steps of ``step`` time units.

    ``discount_rate`` is per step; each step's expected purchases (a difference of
    conditional expectations) are discounted to the end of the step.
    """
    edges, discount = clv_steps(horizon, discount_rate, step)
    x, tx, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    fn = fit.spec.conditional
    assert fn is not None
    cum = fn(fit.individual(covariates), edges[:, None], x, tx, T)
    per_step = np.diff(np.vstack([np.zeros(len(summary)), cum]), axis=0)
    return margin * spend * (per_step * discount[:, None]).sum(axis=0)


@dataclass
class ForecastResult:
    """Fitted models and forecasts of one transaction log.

    ``notes`` are plain sentences on what happened that a reader must know: a model that
    stepped aside, a fit on a boundary, amounts left out.
    """

    summary: pd.DataFrame
    fits: dict[str, FittedModel] = field(default_factory=dict)
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)
    horizon: float = 0.0
    unit: str = "weeks"
    has_holdout: bool = False
    notes: list[str] = field(default_factory=list)
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    covariates: pd.DataFrame | None = None

    def summary_size(self) -> int:
        """Customers behind the summary (weighted rows count their weights)."""
        if "weights" in self.summary.columns:
            return int(self.summary["weights"].sum())
        if "survivors" in self.summary.columns:
            return int(self.summary["survivors"].iloc[0])
        return len(self.summary)

    def parameters(self) -> pd.DataFrame:
        """Every model's estimates with standard errors and 95% intervals."""
        rows = []
        for name, fit in self.fits.items():
            ci = fit.conf_int()
            for p in fit.params.index:
                rows.append(
                    {
                        "model": name,
                        "parameter": p,
                        "estimate": fit.params[p],
                        "std_error": fit.bse[p],
                        "ci_low": ci.loc[p, "low"],
                        "ci_high": ci.loc[p, "high"],
                        "loglik": fit.loglik,
                        "aic": fit.aic,
                        "bic": fit.bic,
                        "converged": fit.converged,
                        "boundary": ",".join(fit.boundary),
                    }
                )
        return pd.DataFrame(rows)


def forecast(
    transactions: pd.DataFrame,
    calibration_end=None,
    horizon: float | None = None,
    unit: str = "weeks",
    models: tuple[str, ...] = DEFAULT_MODELS,
    margin: float = 0.3,
    discount_rate: float = 0.01,
    source: str = "<data>",
    columns=None,
    date_format: str | None = None,
    covariates: pd.DataFrame | None = None,
    penalizer: float = 0.0,
    interval_draws: int = 200,
    seed: int = 0,
) -> ForecastResult:
    """Fit buy-till-you-die models to a transaction log and forecast each customer.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase: customer, date (datetime, timezone-aware or text) and
        optionally amount.
    calibration_end : date-like, optional
        End of the calibration period; what follows is the holdout. Without it the models are
        fitted on everything and forecast ``horizon`` ahead.
    horizon : float, optional
        Forecast horizon in ``unit`` (default: the holdout's length, or 52 weeks).
    unit : {"weeks", "days"}
        Time unit.
    models : tuple of str
        Any of ``bgnbd``, ``mbgnbd``, ``paretonbd``, ``gammagamma``.
    margin : float
        Share of spend that is margin, for CLV.
    discount_rate : float
        Discount rate per 4 weeks (or 28 days), for CLV.
    source : str
        Name of the data, for error messages.
    columns : relsim.forecast.Columns or dict, optional
        Which columns hold customer, date and amount (default ``customer_id``, ``date``,
        ``amount``); e.g. ``{"customer": "cust", "date": "when", "amount": "value"}``.
    date_format : str, optional
        ``strftime`` format of text dates (inferred if omitted).
    covariates : pandas.DataFrame, optional
        Time-invariant numeric covariates indexed by customer id, for BG/NBD, MBG/NBD and
        Pareto/NBD.
    penalizer : float
        L2 penalty for small data.
    interval_draws : int
        Parameter draws for the per-customer intervals (0: none).
    seed : int
        Seed of those draws.

    Returns
    -------
    ForecastResult
    """
    from relsim.forecast.data import Columns, clean_transactions

    if columns is not None or not _is_clean(transactions):
        cols = columns if isinstance(columns, Columns) else Columns(**(columns or {}))
        if cols.amount and cols.amount not in transactions.columns and columns is None:
            cols = Columns(cols.customer, cols.date, None)
        transactions = clean_transactions(transactions, cols, date_format, source)
    if calibration_end is not None:
        calibration_end = pd.Timestamp(calibration_end)
        if calibration_end.tzinfo is not None:  # dates are held in UTC without a zone
            calibration_end = calibration_end.tz_convert("UTC").tz_localize(None)
    if calibration_end is None:
        summary = rfm_summary(transactions, transactions["date"].max(), unit, source)
        has_holdout = False
        horizon = horizon or (52.0 if unit == "weeks" else 364.0)
    else:
        summary = calibration_holdout(transactions, calibration_end, unit=unit, source=source)
        has_holdout = True
        horizon = horizon or float(summary["duration_holdout"].iloc[0])
    notes = list(transactions.attrs.get("notes", []))
    if summary.attrs.get("returns_days"):
        notes.append(
            f"{summary.attrs['returns_days']:,} customer-day(s) whose amounts net to zero or less "
            "after returns were not counted as purchases; other returns were netted per day."
        )
    summary.attrs["notes"] = notes
    end = calibration_end if calibration_end is not None else transactions["date"].max()
    recent = recent_purchases(transactions, end, horizon, unit)
    return forecast_from_summary(
        summary,
        horizon,
        unit,
        models,
        margin,
        discount_rate,
        has_holdout,
        source,
        covariates=covariates,
        penalizer=penalizer,
        interval_draws=interval_draws,
        seed=seed,
        recent=recent,
    )


def _is_clean(df: pd.DataFrame) -> bool:
    """Whether the frame is already in the standard form of :func:`read_transactions`."""
    return (
        "customer_id" in df.columns
        and "date" in df.columns
        and pd.api.types.is_datetime64_any_dtype(df["date"])
        and not isinstance(df["date"].dtype, pd.DatetimeTZDtype)
    )


def _spend_model(
    summary: pd.DataFrame, result: ForecastResult, penalizer: float, source: str
) -> tuple[FittedModel | None, np.ndarray | None]:
    """Fit Gamma-Gamma, or step aside with a note; the expected spend per purchase either way."""
    if "monetary_value" not in summary.columns:
        return None, None
    m = summary["monetary_value"].to_numpy(dtype=float)
    x = summary["frequency"].to_numpy(dtype=float)
    usable = (x > 0) & np.isfinite(m) & (m > 0)
    fallback_mean = float(np.nanmean(m[usable])) if usable.any() else np.nan
    # each customer's own mean where they have one, else the population's
    fallback = np.where(usable, m, fallback_mean)
    values = m[usable]
    if usable.sum() >= 3 and values.std() <= CONSTANT_SPEND * values.mean():
        result.notes.append(
            f"Gamma-Gamma stepped aside: every repeat purchase is worth the same "
            f"({values.mean():.2f}), so spend has no variation to model; CLV uses that value."
        )
        return None, np.full(len(m), values.mean())
    try:
        fit = fit_model("gammagamma", summary[usable], penalizer=penalizer, source=source)
    except ForecastDataError as err:
        result.notes.append(f"Gamma-Gamma stepped aside: {err}; CLV uses observed mean spend.")
        return None, fallback
    if fit.boundary or not np.isfinite(fit.cov.to_numpy()).all():
        why = (
            f"parameter(s) {', '.join(fit.boundary)} at a bound"
            if fit.boundary
            else "its information matrix is singular"
        )
        result.notes.append(
            f"Gamma-Gamma stepped aside: {why} (spend barely varies within customers); "
            "CLV uses each customer's observed mean spend."
        )
        return None, fallback
    spend = fit.expected_spend(np.maximum(x, 0), np.where(np.isfinite(m), m, 0.0))
    if not np.isfinite(spend).all():
        result.notes.append(
            "Gamma-Gamma: q <= 1, so spend has no finite population mean; customers without "
            "repeat purchases get the observed mean spend."
        )
        spend = np.where(np.isfinite(spend), spend, fallback_mean)
    if (~np.isfinite(m)).any():
        result.notes.append(
            f"{int((~np.isfinite(m)).sum()):,} customer(s) with unusable amounts were left out "
            "of the spend model only."
        )
    result.fits["gammagamma"] = fit
    return fit, spend


def forecast_from_summary(
    summary: pd.DataFrame,
    horizon: float,
    unit: str = "weeks",
    models: tuple[str, ...] = DEFAULT_MODELS,
    margin: float = 0.3,
    discount_rate: float = 0.01,
    has_holdout: bool = False,
    source: str = "<data>",
    covariates: pd.DataFrame | None = None,
    penalizer: float = 0.0,
    interval_draws: int = 200,
    seed: int = 0,
    recent: pd.Series | None = None,
) -> ForecastResult:
    """Fit and forecast from an RFM summary; see :func:`forecast`.

    The summary has ``frequency``, ``recency``, ``T`` and optionally ``monetary_value`` and
    ``frequency_holdout``. ``recent`` (repeat purchases in the calibration's last
    ``horizon``, by customer) adds the last-period naive benchmark. With ``covariates``
    each frequency model is fitted with and without them, and a likelihood-ratio test of the
    covariates is kept in ``tests``.
    """
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ForecastDataError(
            f"--model: unknown model(s) {', '.join(unknown)}; expected {', '.join(MODELS)}"
        )
    check_summary(summary, source)
    result = ForecastResult(summary=summary, horizon=horizon, unit=unit, has_holdout=has_holdout)
    result.notes.extend(summary.attrs.get("notes", []))
    cov = None
    if covariates is not None:
        cov = align_covariates(covariates, summary, source)
        result.covariates = cov
    out = pd.DataFrame(index=summary.index)
    for col in ("frequency", "recency", "T", "monetary_value", "frequency_holdout"):
        if col in summary.columns:
            out[col] = summary[col]
    spend_fit, spend = (None, None)
    if "gammagamma" in models:
        spend_fit, spend = _spend_model(summary, result, penalizer, source)
        if spend is not None:
            out["expected_spend"] = spend
    step = 4.0 if unit == "weeks" else 28.0
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    tests = []
    for name in models:
        if name not in FREQUENCY_MODELS:
            continue
        fit = fit_model(name, summary, cov, penalizer, source)
        if cov is not None:
            plain = fit_model(name, summary, None, penalizer, source)
            tests.append(likelihood_ratio(name, plain, fit))
        result.fits[name] = fit
        if fit.boundary:
            result.notes.append(
                f"{SPECS[name].title}: parameter(s) {', '.join(fit.boundary)} reached a bound of "
                "their range, so the data do not identify them (e.g. no heterogeneity in purchase "
                "rates); the fit is marked not converged and forecasts use the limiting formulas."
            )
        elif not fit.converged:
            result.notes.append(
                f"{SPECS[name].title} did not converge; do not trust its forecasts."
            )
        x, tx, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        fn = fit.spec.conditional
        assert fn is not None
        with np.errstate(all="ignore"):
            pred = fn(fit.individual(cov), horizon, x, tx, T)
            alive = fit.p_alive(x, tx, T, cov)
        out[f"{name}_expected_purchases"] = _finite(pred, f"{name} expected purchases")
        out[f"{name}_p_alive"] = _finite(alive, f"{name} P(alive)")
        if spend is not None:
            with np.errstate(all="ignore"):
                value = clv(fit, summary, spend, horizon, margin, discount_rate, step, cov)
            out[f"{name}_clv"] = _finite(value, f"{name} CLV")
        if interval_draws > 0:
            band = customer_intervals(
                fit,
                summary,
                horizon,
                rng,
                interval_draws,
                spend_fit if spend is not None else None,
                clv_steps(horizon, discount_rate, step) if spend is not None else None,
                margin,
                cov,
                spend,
            )
            for col in band.columns:
                out[f"{name}_{col}"] = band[col]
            if not parameter_draws(fit, 1, np.random.default_rng(0)).exact:
                result.notes.append(
                    f"{SPECS[name].title}: the covariance of the estimates is singular, so its "
                    "intervals show the purchase process only, not parameter uncertainty."
                )
    for name, values in naive_forecasts(summary, horizon, recent).items():
        out[name] = values
    result.customers = out
    result.tests = pd.DataFrame(
        tests,
        columns=["model", "test", "statistic", "df", "p_value", "loglik_without", "loglik_with"],
    )
    return result


def _finite(values: np.ndarray, what: str) -> np.ndarray:
    """Forecasts are numbers or the forecast fails loudly; never silent NaN."""
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all():
        bad = int((~np.isfinite(values)).sum())
        raise ForecastDataError(
            f"{what}: {bad:,} value(s) could not be computed at these estimates; "
            "try --penalizer 0.001 or another model"
        )
    return values


def align_covariates(covariates: pd.DataFrame, summary: pd.DataFrame, source: str) -> pd.DataFrame:
    """Covariates in the summary's customer order, numeric, with none missing."""
    cov = covariates.copy()
    cov.index = cov.index.astype(str)
    bad = [c for c in cov.columns if not pd.api.types.is_numeric_dtype(cov[c])]
    if bad:
        raise ForecastDataError(
            f"{source}: covariate column(s) {', '.join(map(str, bad))}: expected numbers "
            "(code categories as 0/1 columns)"
        )
    ids = summary.index.astype(str)
    missing = ~ids.isin(cov.index)
    if missing.any():
        raise ForecastDataError(
            f"{source}: {int(missing.sum()):,} customer(s) have no covariates, the first "
            f"{ids[missing][0]!r}"
        )
    cov = cov.loc[ids]
    if not np.isfinite(cov.to_numpy(dtype=float)).all():
        raise ForecastDataError(f"{source}: covariates must be finite numbers")
    constant = [c for c in cov.columns if cov[c].std() == 0]
    if constant:
        raise ForecastDataError(
            f"{source}: covariate column(s) {', '.join(map(str, constant))} do not vary"
        )
    cov.index = summary.index
    return cov


def likelihood_ratio(name: str, without: FittedModel, with_: FittedModel) -> dict:
    """Likelihood-ratio test of the covariates: 2 (LL_with - LL_without) ~ chi2(extra params)."""
    from scipy.stats import chi2

    df = len(with_.params) - len(without.params)
    stat = max(2.0 * (with_.loglik - without.loglik), 0.0)
    return {
        "model": name,
        "test": "covariates (likelihood ratio)",
        "statistic": stat,
        "df": df,
        "p_value": float(chi2.sf(stat, df)),
        "loglik_without": without.loglik,
        "loglik_with": with_.loglik,
    }


#: Customers whose tracking curves are computed at once when each has parameters of their own.
TRACKING_BLOCK = 8192


def tracking(result: ForecastResult, transactions: pd.DataFrame) -> pd.DataFrame:
    """Weekly repeat purchases of the calibration cohort, actual and per model.

    The model curve adds up each customer's E[X(t - first purchase)] (Fader, Hardie & Lee
    2005, Figures 2 and 3); after the calibration end it is a forecast of the holdout. Columns
    ``date``, ``actual`` and one per model are cumulative; ``weekly_actual`` and
    ``weekly_<model>`` are the week's own purchases (the incremental tracking plot).
    """
    cohort = transactions[transactions["customer_id"].isin(result.summary.index.astype(str))]
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
    # Without covariates a customer's curve depends only on the first purchase's day, so the
    # customers who started on one day are counted together (weeks x start days, not weeks x
    # customers: a log of 100,000 customers would otherwise hold 10 million ages a model).
    day_of_start, size = np.unique(starts.to_numpy(), return_counts=True)
    grid_days = grid.to_numpy()[:, None]
    for name, fit in result.fits.items():
        if name in FREQUENCY_MODELS:
            if fit.covariates:
                total = np.zeros(len(grid))
                cov = result.covariates.copy() if result.covariates is not None else None
                if cov is not None:
                    cov.index = cov.index.astype(str)
                for j in range(0, len(starts), TRACKING_BLOCK):  # per customer, by blocks
                    block = starts.iloc[j : j + TRACKING_BLOCK]
                    params: Any = fit.base_params
                    if cov is not None:
                        params = fit.individual(cov.reindex(block.index.astype(str)))
                    age = (grid_days - block.to_numpy()[None, :]) / np.timedelta64(1, "D") / per
                    ex = SPECS[name].conditional(  # type: ignore[misc]
                        params, np.clip(age, 0, None), 0.0, 0.0, 0.0
                    )
                    total += np.where(age > 0, ex, 0.0).sum(axis=1)
                out[name] = total
            else:
                fn = fit.spec.unconditional
                assert fn is not None
                age = (grid_days - day_of_start[None, :]) / np.timedelta64(1, "D") / per
                ex = fn(fit.base_params, np.clip(age, 0, None))
                out[name] = (np.where(age > 0, ex, 0.0) * size).sum(axis=1)
    for col in [c for c in out.columns if c != "date"]:
        out[f"weekly_{col}"] = np.diff(np.concatenate([[0.0], out[col].to_numpy(float)]))
    return out


def recent_purchases(
    transactions: pd.DataFrame, end: pd.Timestamp, length: float, unit: str
) -> pd.Series:
    """Each customer's repeat purchase days in the last ``length`` (in ``unit``) up to ``end``."""
    from relsim.forecast.data import UNITS, purchase_days

    end_of_day = end.normalize() + pd.Timedelta(days=1)
    start = end_of_day - pd.Timedelta(days=length * UNITS[unit])
    days = purchase_days(transactions[transactions["date"] < end_of_day])
    first = days.groupby("customer_id")["day"].transform("min")
    recent = days[(days["day"] >= start) & (days["day"] > first)]
    return recent.groupby("customer_id").size()


def naive_forecasts(
    summary: pd.DataFrame, horizon: float, recent: pd.Series | None = None
) -> dict[str, np.ndarray]:
    """The benchmarks a model must beat to be worth having.

    ``naive_rate``: each customer's calibration rate of repeat purchases, frequency / T,
    extrapolated over the horizon. ``naive_last_period``: the purchases each customer made in
    the last ``horizon`` of calibration, repeated (when the transactions are at hand).
    """
    x, T = summary["frequency"].to_numpy(float), summary["T"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(T > 0, x / T, 0.0)
    out = {"naive_rate": rate * horizon}
    if recent is not None:
        out["naive_last_period"] = recent.reindex(summary.index, fill_value=0).to_numpy(float)
    return out


def by_frequency(result: ForecastResult, top: int = 7) -> pd.DataFrame:
    """Calibration versus holdout: mean holdout purchases, actual and predicted, by frequency.

    The conditional-expectations table of Fader, Hardie & Lee (2005, Figure 4): customers are
    grouped by their repeat purchases in calibration (``top`` and more together; in deciles
    when most customers have more than ``top``).
    """
    cust = result.customers
    if not result.has_holdout:
        return pd.DataFrame()
    freq = cust["frequency"]
    if freq.quantile(0.9) > top:
        # heavy buyers (a simulated market): about ten groups of equal size instead
        edges = np.unique(np.quantile(freq, np.linspace(0, 1, 11)).round())
        code = np.clip(np.searchsorted(edges, freq, side="right") - 1, 0, max(len(edges) - 2, 0))
        hi = np.append(edges[1:] - 1, freq.max())
        labels = [
            f"{int(edges[i])}-{int(max(hi[i], edges[i]))}" for i in range(max(len(edges) - 1, 1))
        ]
        if len(edges) > 1:
            labels[-1] = f"{int(edges[-2])}-{int(freq.max())}"
    else:
        code = freq.clip(upper=top).astype(int).to_numpy()
        labels = [str(i) for i in range(top)] + [f"{top}+"]
    cols = {"customers": ("frequency", "size"), "actual": ("frequency_holdout", "mean")}
    for c in cust.columns:
        if c.endswith("_expected_purchases") or c.startswith("naive_"):
            cols[c.removesuffix("_expected_purchases")] = (c, "mean")
    table = cust.assign(group=code).groupby("group").agg(**cols)
    table.insert(0, "calibration_purchases", [labels[int(i)] for i in table.index])
    return table.reset_index(drop=True)


def accuracy(
    result: ForecastResult, truth: pd.DataFrame | None = None, track: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Holdout accuracy of each model and of the naive benchmarks, and against the truth.

    Parameters
    ----------
    result : ForecastResult
        With a holdout period for the holdout measures.
    truth : pandas.DataFrame, optional
        Indexed by customer id with ``alive`` (bool, really a customer at calibration end) and
        ``true_purchases_per_year`` (the person's latent purchase rate), from a simulated run.
    track : pandas.DataFrame, optional
        From :func:`tracking`: adds the cumulative purchases at the end, predicted and actual.

    Returns
    -------
    pandas.DataFrame
        One row per model (or benchmark) and measure.
    """
    rows: list[dict] = []
    cust = result.customers

    def add(model: str, measure: str, value: float) -> None:
        rows.append({"model": model, "measure": measure, "value": float(value)})

    predictors = {
        name: cust[f"{name}_expected_purchases"] for name in result.fits if name in FREQUENCY_MODELS
    }
    for c in cust.columns:
        if c.startswith("naive_"):
            predictors[c] = cust[c]
    for name, pred in predictors.items():
        if result.has_holdout:
            actual = cust["frequency_holdout"]
            err = pred - actual
            add(name, "mae_purchases", err.abs().mean())
            add(name, "rmse_purchases", np.sqrt((err**2).mean()))
            add(name, "total_predicted", pred.sum())
            add(name, "total_actual", actual.sum())
            if pred.std() > 0 and actual.std() > 0:
                add(name, "correlation_with_holdout", np.corrcoef(pred, actual)[0, 1])
            low, high = f"{name}_expected_purchases_low", f"{name}_expected_purchases_high"
            if low in cust:
                inside = (actual >= cust[low]) & (actual <= cust[high])
                add(name, "interval_coverage_holdout", inside.mean())
        if truth is not None:
            t = truth.reindex(cust.index.astype(str))
            rank = pred.rank().corr(
                pd.Series(t["true_purchases_per_year"].to_numpy(), index=pred.index).rank()
            )
            add(name, "rank_correlation_with_true_rate", rank)
            if name in result.fits:
                p_alive = cust[f"{name}_p_alive"].to_numpy()
                alive = t["alive"].astype(float).to_numpy()
                add(name, "brier_p_alive_vs_truth", ((p_alive - alive) ** 2).mean())
                add(name, "share_alive_predicted", p_alive.mean())
                add(name, "share_alive_true", alive.mean())
        if track is not None and name in track.columns:
            add(name, "cumulative_purchases_predicted", track[name].iloc[-1])
            add(name, "cumulative_purchases_actual", track["actual"].iloc[-1])
    for name, fit in result.fits.items():
        add(name, "loglik", fit.loglik)
        add(name, "aic", fit.aic)
        add(name, "bic", fit.bic)
    return pd.DataFrame(rows, columns=["model", "measure", "value"])
