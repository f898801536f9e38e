"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

"RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", Journal of Marketing Research
42(4), 415-430; and "The Gamma-Gamma Model of Monetary Value" (2013 note). Each transaction's
value is Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers; a customer with x
transactions of mean value m is summarised by (x, m). Fitted on customers with x > 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from relsim.errors import ForecastDataError
from relsim.forecast.fitters.base import BTYDModel, Params, Rows, Stats


class GammaGammaModel(BTYDModel):
    """Gamma-Gamma spend model as a statsmodels likelihood model.

    Parameters
    ----------
    frequency : array_like
        Number of transactions whose values are averaged (x > 0).
    monetary_value : array_like
        Mean value of those transactions (> 0).
    """

    param_names = ("p", "q", "gamma")
    default_start = (1.0, 1.0, 1.0)

    def __init__(self, frequency, monetary_value, **kwds) -> None:
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        if (x <= 0).any() or (m <= 0).any():
            raise ForecastDataError(
                "Gamma-Gamma needs customers with at least one repeat "
                "transaction and a positive mean value"
            )
        super().__init__(x, m, **kwds)

    def _evaluate(self, params: Params, stats: Stats, grad: bool) -> Rows:
        """Each row's log-likelihood of its mean spend and (optionally) its gradient."""
        p, q, g = params
        x, m = stats
        px = p * x
        log_big = np.log(g + m * x)
        log_m, log_x = np.log(m), np.log(x)
        dpq = digamma(px + q) if grad else None
        ll = (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(g)
            + (px - 1) * log_m
            + px * log_x
            - (px + q) * log_big
        )
        if not grad:
            return ll, None
        d_p = x * (dpq - digamma(px) + log_m + log_x - log_big)
        d_q = dpq - digamma(q) + np.log(g) - log_big
        d_g = q / g - (px + q) / (g + m * x)
        return ll, np.vstack([d_p, d_q, d_g])


def conditional_expected_spend(params, frequency, monetary_value) -> np.ndarray:
    """E[value of a transaction | x, m] = p (gamma + x m) / (p x + q - 1).

    This is a weighted mean of the population mean ``p gamma / (q - 1)`` and the customer's
    own mean ``m``; for customers without repeat transactions it is the population mean,
    which exists only when q > 1 (NaN otherwise: heavy-tailed spend has no mean).
    """
    p, q, g = params
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    denom = p * x + q - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        value = p * (g + x * m) / denom
    return np.where(denom > 0, value, np.nan)


def fit_gamma_gamma(summary: pd.DataFrame, **fit_kwds):
    """Fit Gamma-Gamma to the customers of an RFM summary with repeat purchases."""
    if "monetary_value" not in summary.columns:
        raise ForecastDataError("the data have no amounts, so spend cannot be modelled")
    rep = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(rep) < 3:
        raise ForecastDataError("too few customers with repeat purchases to model spend")
    return GammaGammaModel(rep["frequency"], rep["monetary_value"]).fit(**fit_kwds)
