"""BG/NBD: the beta-geometric/negative-binomial model of Fader, Hardie & Lee (2005).

"Counting Your Customers the Easy Way: An Alternative to the Pareto/NBD Model", Marketing
Science 24(2), 275-284. While alive a customer buys as a Poisson process with rate
lambda ~ Gamma(r, alpha); after each purchase they drop out with probability p ~ Beta(a, b).
Data per customer: x repeat purchases, recency t_x, age T.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from relsim.forecast.fitters.base import BTYDModel


class BetaGeoModel(BTYDModel):
    """BG/NBD as a statsmodels likelihood model.

    Parameters
    ----------
    frequency, recency, T : array_like
        Repeat purchases, time of the last purchase and age of each customer (same unit).
    """

    param_names = ("r", "alpha", "a", "b")
    default_start = (1.0, 1.0, 1.0, 1.0)

    def __init__(self, frequency, recency, T, **kwds) -> None:
        self.x = np.asarray(frequency, dtype=float)
        self.tx = np.asarray(recency, dtype=float)
        self.T = np.asarray(T, dtype=float)
        super().__init__(self.x, **kwds)

    def _terms(self, params):
        r, alpha, a, b = params
        x, tx, T = self.x, self.tx, self.T
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
        repeat = x > 0
        xs = np.where(repeat, x, 1.0)  # keeps the dropped-out term finite where it is unused
        dropped = np.where(repeat, betaln(a + 1, b + xs - 1) - betaln(a, b)
                           - (r + x) * np.log(alpha + tx), -np.inf)
        total = np.logaddexp(alive, dropped)
        return common, alive, dropped, total

    def loglikeobs(self, params) -> np.ndarray:
        """Log-likelihood of each customer's (x, t_x, T)."""
        common, _, _, total = self._terms(params)
        return common + total

    def score(self, params) -> np.ndarray:
        """Analytic gradient of the total log-likelihood."""
        r, alpha, a, b = params
        x, tx, T = self.x, self.tx, self.T
        _, alive, _, total = self._terms(params)
        w = np.exp(alive - total)  # share of the likelihood from "still alive"
        v = 1.0 - w
        xs = np.where(x > 0, x, 1.0)
        d_r = digamma(r + x) - digamma(r) + np.log(alpha) \
            - w * np.log(alpha + T) - v * np.log(alpha + tx)
        d_alpha = r / alpha - w * (r + x) / (alpha + T) - v * (r + x) / (alpha + tx)
        dab = digamma(a + b)
        d_a = w * (dab - digamma(a + b + x)) + v * (digamma(a + 1) - digamma(a + b + x)
                                                    - digamma(a) + dab)
        d_b = w * (digamma(b + x) - digamma(a + b + x) - digamma(b) + dab) \
            + v * (digamma(b + xs - 1) - digamma(a + b + x) - digamma(b) + dab)
        return np.array([d_r.sum(), d_alpha.sum(), d_a.sum(), d_b.sum()])


def probability_alive(params, frequency, recency, T) -> np.ndarray:
    """P(alive | x, t_x, T) under BG/NBD (Fader, Hardie & Lee 2005, eq. 11)."""
    r, alpha, a, b = params
    x = np.asarray(frequency, dtype=float)
    tx, T = np.asarray(recency, dtype=float), np.asarray(T, dtype=float)
    xs = np.where(x > 0, x, 1.0)
    log_ratio = (np.log(a) - np.log(b + xs - 1)
                 + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)))
    return np.where(x > 0, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)


def conditional_expected_purchases(params, t, frequency, recency, T) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] under BG/NBD (Fader, Hardie & Lee 2005)."""
    r, alpha, a, b = params
    x = np.asarray(frequency, dtype=float)
    tx, T = np.asarray(recency, dtype=float), np.asarray(T, dtype=float)
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    tail = 1.0 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) \
        * hyp2f1(r + x, b + x, a + b + x - 1, z)
    return head * tail * probability_alive(params, x, tx, T)


def expected_purchases(params, t) -> np.ndarray:
    """E[X(t)]: expected repeat purchases of a new customer within t (eq. 9)."""
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    return (a + b - 1) / (a - 1) * (
        1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def fit_bgnbd(summary: pd.DataFrame, **fit_kwds):
    """Fit BG/NBD to an RFM summary (``frequency``, ``recency``, ``T``).

    Returns
    -------
    statsmodels results
        ``params`` (r, alpha, a, b), ``bse``, ``conf_int()``, ``llf``, ``aic``, ``summary()``.
    """
    model = BetaGeoModel(summary["frequency"], summary["recency"], summary["T"])
    return model.fit(**fit_kwds)
