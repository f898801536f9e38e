"""Why forecasts rank simulated customers as they do: measured against the simulation's truth.

A simulated run knows each person's latent purchase rate and whether they were still a
customer at the end of calibration. A buy-till-you-die forecast is the product of two
estimates, the rate while alive and the probability of being alive; this module scores each
part on its own, and the naive rate, by rank correlation with the true rate, among all
customers and among those really still customers, so a poor overall ranking can be traced to
the part that causes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsim.forecast.predict import ForecastResult


def _rank_corr(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(pd.Series(a).rank().corr(pd.Series(b).rank()))


def explain_ranking(result: ForecastResult, truth: pd.DataFrame) -> pd.DataFrame:
    """Rank correlations with the true purchase rate, by predictor and group of customers.

    Predictors: each model's forecast, its rate while alive (the posterior mean
    ``(r + x) / (alpha + T)``), its P(alive), the naive rate x / T, and, with a holdout, the
    purchases customers actually made (how far any forecast could get: behaviour over a
    finite holdout is itself a noisy measure of the rate).

    Returns
    -------
    pandas.DataFrame
        ``predictor``, ``group`` (``all`` or ``still customers``), ``customers`` and
        ``rank_correlation``.
    """
    cust = result.customers
    t = truth.reindex(cust.index.astype(str))
    rate = t["true_purchases_per_year"].to_numpy(dtype=float)
    alive = t["alive"].fillna(False).to_numpy(dtype=bool)
    x, T = cust["frequency"].to_numpy(float), cust["T"].to_numpy(float)
    predictors: dict[str, np.ndarray] = {}
    for name, fit in result.fits.items():
        if fit.spec.kind != "continuous":
            continue
        predictors[f"{name} forecast"] = cust[f"{name}_expected_purchases"].to_numpy(float)
        p = fit.individual(result.covariates)
        predictors[f"{name} rate while alive"] = (p[0] + x) / (p[1] + T)
        predictors[f"{name} P(alive)"] = cust[f"{name}_p_alive"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        predictors["naive rate x/T"] = np.where(T > 0, x / T, 0.0)
    if result.has_holdout:
        predictors["actual holdout purchases"] = cust["frequency_holdout"].to_numpy(float)
    rows = []
    ok = np.isfinite(rate)
    for label, mask in (("all", ok), ("still customers", ok & alive)):
        for name, values in predictors.items():
            rows.append(
                {
                    "predictor": name,
                    "group": label,
                    "customers": int(mask.sum()),
                    "rank_correlation": _rank_corr(values[mask], rate[mask]),
                }
            )
    return pd.DataFrame(rows)


def ranking_sentences(table: pd.DataFrame) -> list[str]:
    """What the table says, in sentences for the report."""
    from relsim.forecast.models import display_name

    if table is None or table.empty:
        return []
    r = table.set_index(["group", "predictor"])["rank_correlation"]
    out = []
    models = sorted({p.split(" ")[0] for p in table["predictor"] if p.endswith(" forecast")})
    naive = r.get(("all", "naive rate x/T"), float("nan"))
    for m in models:
        fc = r.get(("all", f"{m} forecast"), float("nan"))
        rate = r.get(("all", f"{m} rate while alive"), float("nan"))
        pa = r.get(("all", f"{m} P(alive)"), float("nan"))
        live = r.get(("still customers", f"{m} forecast"), float("nan"))
        out.append(
            f"{display_name(m)}: its forecasts rank customers by their true rate with a rank "
            "correlation of "
            f"{fc:.2f} (naive x/T {naive:.2f}); its rate while alive alone reaches {rate:.2f} and "
            f"its P(alive) {pa:.2f}; among those really still customers the forecast reaches "
            f"{live:.2f}."
            + (
                " The forecast multiplies the rate by P(alive), so a customer judged gone ranks "
                "low whatever their rate: the ranking is lost in P(alive), not in the rate."
                if rate > fc + 0.05
                else ""
            )
        )
    actual = r.get(("all", "actual holdout purchases"), float("nan"))
    if np.isfinite(actual):
        out.append(
            f"The purchases customers actually made in the holdout rank them by true rate at "
            f"{actual:.2f}: the ceiling a forecast of holdout purchases is judged against."
        )
    return out
