"""The shifted-beta-geometric model of contractual retention (Fader & Hardie 2007).

"How to project customer retention", Journal of Interactive Marketing 21(1), 76-90. Each
customer renews every period with their own churn probability theta ~ Beta(alpha, beta), so
the cohort's retention rate rises with tenure although no one's does. Data: a cohort's
survivors at the start (period 0) and after each period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma

from relsim.errors import ForecastDataError
from relsim.forecast.fitters.base import BTYDModel, Params, Rows, Stats


class ShiftedBetaGeometricModel(BTYDModel):
    """sBG as a statsmodels likelihood model over a cohort's survivors.

    Rows are (t, censored) with a weight: ``S(t-1) - S(t)`` customers who left in period t,
    and ``S(k)`` still there after the last observed period k (right-censored).
    """

    param_names = ("alpha", "beta")
    default_start = (1.0, 1.0)

    def _evaluate(self, params: Params, stats: Stats, grad: bool) -> Rows:
        """Log P(T = t) for churners, log S(t) for the censored, and their gradients."""
        alpha, beta = params
        t, censored = stats
        c = censored > 0
        u = np.where(c, alpha, alpha + 1)  # P(T=t) = B(a+1, b+t-1)/B(a,b); S(t) = B(a, b+t)/B(a,b)
        v = np.where(c, beta + t, beta + t - 1)
        ll = betaln(u, v) - betaln(alpha, beta)
        if not grad:
            return ll, None
        dab = digamma(alpha + beta)
        duv = digamma(u + v)
        d_alpha = digamma(u) - duv - digamma(alpha) + dab
        d_beta = digamma(v) - duv - digamma(beta) + dab
        return ll, np.vstack([d_alpha, d_beta])


def cohort_rows(survivors: np.ndarray) -> pd.DataFrame:
    """The (t, censored, weight) rows of the likelihood from survivors S(0), ..., S(k)."""
    s = np.asarray(survivors, dtype=float)
    lost = -np.diff(s)
    k = len(s) - 1
    return pd.DataFrame(
        {
            "t": np.append(np.arange(1, k + 1), k).astype(float),
            "censored": np.append(np.zeros(k), 1.0),
            "weight": np.append(lost, s[-1]),
        }
    )


def check_cohort(frame: pd.DataFrame, source: str = "<data>") -> np.ndarray:
    """Survivors ordered by period from a table with ``period`` and ``survivors``.

    Raises
    ------
    ForecastDataError
        Without those columns, with periods that are not 0, 1, 2, ..., or with survivors that
        grow, are negative or are not numbers.
    """
    for col in ("period", "survivors"):
        if col not in frame.columns:
            raise ForecastDataError(
                f"{source}: missing column '{col}' (a cohort has columns period, survivors)"
            )
    period = pd.to_numeric(frame["period"], errors="coerce")
    surv = pd.to_numeric(frame["survivors"], errors="coerce")
    if period.isna().any() or surv.isna().any():
        raise ForecastDataError(f"{source}: columns period and survivors must hold numbers")
    order = np.argsort(period.to_numpy(), kind="stable")
    p, s = period.to_numpy()[order], surv.to_numpy()[order]
    if not np.array_equal(p, np.arange(len(p))):
        raise ForecastDataError(f"{source}: column 'period': expected 0, 1, 2, ... without gaps")
    if len(s) < 3:
        raise ForecastDataError(f"{source}: at least the start and two periods are needed")
    if (s < 0).any() or (np.diff(s) > 0).any() or s[0] <= 0:
        raise ForecastDataError(
            f"{source}: column 'survivors': expected a positive start that never grows"
        )
    return s


def fit_sbg(survivors, **fit_kwds):
    """Fit the sBG model to a cohort's survivors S(0), ..., S(k)."""
    rows = cohort_rows(np.asarray(survivors, dtype=float))
    rows = rows[rows["weight"] > 0]
    model = ShiftedBetaGeometricModel(rows["t"], rows["censored"], weights=rows["weight"])
    return model.fit(**fit_kwds)


def survival(params, periods) -> np.ndarray:
    """S(t) = B(alpha, beta + t) / B(alpha, beta): share of the cohort left after t periods."""
    alpha, beta = params
    t = np.asarray(periods, dtype=float)
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def retention_rate(params, periods) -> np.ndarray:
    """r(t) = (beta + t - 1) / (alpha + beta + t - 1): share of period t-1's survivors renewing."""
    alpha, beta = params
    t = np.asarray(periods, dtype=float)
    return (beta + t - 1) / (alpha + beta + t - 1)
