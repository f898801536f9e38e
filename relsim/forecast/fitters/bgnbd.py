"""BG/NBD: the beta-geometric/negative-binomial model of Fader, Hardie & Lee (2005).

"Counting Your Customers the Easy Way: An Alternative to the Pareto/NBD Model", Marketing
Science 24(2), 275-284. While alive a customer buys as a Poisson process with rate
lambda ~ Gamma(r, alpha); after each purchase they drop out with probability p ~ Beta(a, b).
Data per customer: x repeat purchases, recency t_x, age T.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp1f1, hyp2f1

from relsim.forecast.fitters.base import BTYDModel, Params, Rows, Stats

#: Beyond this shape the gamma mixing of purchase rates is indistinguishable from none.
RATE_LIMIT = 1e5


class BetaGeoModel(BTYDModel):
    """BG/NBD as a statsmodels likelihood model.

    Parameters
    ----------
    frequency, recency, T : array_like
        Repeat purchases, time of the last purchase and age of each customer (same unit).
    """

    param_names = ("r", "alpha", "a", "b")
    default_start = (1.0, 1.0, 1.0, 1.0)
    purchase_param = "alpha"
    dropout_param = "b"

    def _evaluate(self, params: Params, stats: Stats, grad: bool) -> Rows:
        """Each row's log-likelihood and (optionally) its gradient."""
        r, alpha, a, b = params
        x, tx, T = stats
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        log_at, log_atx = np.log(alpha + T), np.log(alpha + tx)
        alive = betaln(a, b + x) - betaln(a, b) - (r + x) * log_at
        repeat = x > 0
        xs = np.where(repeat, x, 1.0)  # keeps the dropped-out term finite where it is unused
        dropped = np.where(
            repeat, betaln(a + 1, b + xs - 1) - betaln(a, b) - (r + x) * log_atx, -np.inf
        )
        total = np.logaddexp(alive, dropped)
        ll = common + total
        if not grad:
            return ll, None
        w = np.exp(alive - total)  # share of the likelihood from "still alive"
        v = 1.0 - w
        dab, dabx = digamma(a + b), digamma(a + b + x)
        d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w * log_at - v * log_atx
        d_alpha = r / alpha - (r + x) * (w / (alpha + T) + v / (alpha + tx))
        d_a = w * (dab - dabx) + v * (digamma(a + 1) - dabx - digamma(a) + dab)
        d_b = w * (digamma(b + x) - dabx - digamma(b) + dab) + v * (
            digamma(b + xs - 1) - dabx - digamma(b) + dab
        )
        return ll, np.vstack([d_r, d_alpha, d_a, d_b])


def probability_alive(params, frequency, recency, T) -> np.ndarray:
    """P(alive | x, t_x, T) under BG/NBD (Fader, Hardie & Lee 2005, eq. 11)."""
    r, alpha, a, b = params
    x = np.asarray(frequency, dtype=float)
    tx, T = np.asarray(recency, dtype=float), np.asarray(T, dtype=float)
    xs = np.where(x > 0, x, 1.0)
    # log((alpha+T)/(alpha+t_x)) as log1p: exact when alpha is huge (a fit at its bound)
    log_ratio = np.log(a) - np.log(b + xs - 1) + (r + x) * np.log1p((T - tx) / (alpha + tx))
    with np.errstate(over="ignore"):
        return np.where(x > 0, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)


def conditional_expected_purchases(params, t, frequency, recency, T) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] under BG/NBD (Fader, Hardie & Lee 2005, eq. 10).

    The paper's ``((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)`` overflows for heavy
    buyers; by Euler's transformation it equals ``(1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``,
    whose series converges ever faster as x grows, so the forecast stays finite for any x.
    """
    r, alpha, a, b = params
    x = np.asarray(frequency, dtype=float)
    tx, T = np.asarray(recency, dtype=float), np.asarray(T, dtype=float)
    if np.all(np.asarray(a) + np.asarray(b) > RATE_LIMIT):
        return fixed_dropout_purchases(params, t, x, T) * probability_alive(params, x, tx, T)
    head = (a + b + x - 1) / (a - 1)
    if np.all(np.asarray(r) > RATE_LIMIT):
        # No heterogeneity in the purchase rate (a fit at its bound): with r, alpha -> inf
        # and r/alpha = lambda, 2F1 tends to 1F1 and, by Kummer's transformation,
        # the bracket is 1 - 1F1(a-1; a+b+x-1; -lambda t).
        tail = 1.0 - hyp1f1(a - 1, a + b + x - 1, -(r / alpha) * t)
    else:
        z = t / (alpha + T + t)
        tail = 1.0 - (1.0 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    return head * tail * probability_alive(params, x, tx, T)


def fixed_dropout_purchases(params, t, x, T) -> np.ndarray:
    """Purchases in the next t of a living customer when everyone's drop-out p is the same.

    The limit a, b -> inf with p = a/(a+b) (a fit at that boundary): with a rate
    lambda ~ Gamma(r + x, alpha + T) and a drop-out chance p after each purchase the
    expectation is ``(1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p``, computed with expm1 and
    log1p so that it stays exact when r is at its bound too.
    """
    r, alpha, a, b = params
    p = a / (a + b)
    return -np.expm1(-(r + x) * np.log1p(p * t / (alpha + T))) / p


def expected_purchases(params, t) -> np.ndarray:
    """E[X(t)]: expected repeat purchases of a new customer within t (eq. 9)."""
    t = np.asarray(t, dtype=float)
    zero = np.zeros_like(t)
    return conditional_expected_purchases(params, t, zero, zero, zero)


def probability_of_purchases(params, t, x: int) -> np.ndarray:
    """P(X(t) = x): probability of exactly x repeat purchases within t (eq. 8).

    Parameters
    ----------
    params : array_like
        (r, alpha, a, b).
    t : array_like
        Time since the first purchase (one value per customer).
    x : int
        Number of repeat purchases.
    """
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    log_p0 = r * (np.log(alpha) - np.log(alpha + t))
    # t = 0 (first purchase on the last day): floor it so that 0 * log(0) terms stay 0
    log_q = np.log(np.maximum(t, 1e-300)) - np.log(alpha + t) if x else np.zeros_like(t)
    nbd = np.exp(gammaln(r + x) - gammaln(r) - gammaln(x + 1) + log_p0 + x * log_q)
    alive = np.exp(betaln(a, b + x) - betaln(a, b)) * nbd
    if x == 0:
        return alive
    j = np.arange(x)[:, None]
    terms = np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + log_p0 + j * log_q)
    return alive + np.exp(betaln(a + 1, b + x - 1) - betaln(a, b)) * (1.0 - terms.sum(axis=0))


def fit_bgnbd(summary: pd.DataFrame, **fit_kwds):
    """Fit BG/NBD to an RFM summary (``frequency``, ``recency``, ``T``).

    Returns
    -------
    statsmodels results
        ``params`` (r, alpha, a, b), ``bse``, ``conf_int()``, ``llf``, ``aic``, ``summary()``.
    """
    model = BetaGeoModel(summary["frequency"], summary["recency"], summary["T"])
    return model.fit(**fit_kwds)


def _log_nbd(r, alpha, t, n: int):
    """Log-probability P(N = n) for N ~ NBD: Poisson(lambda t) with lambda ~ Gamma(r, alpha)."""
    log_q = np.log(np.maximum(t, 1e-300)) - np.log(alpha + t) if n else 0.0
    return (
        gammaln(r + n)
        - gammaln(r)
        - gammaln(n + 1)
        + r * (np.log(alpha) - np.log(alpha + t))
        + n * log_q
    )


def future_count_pmf(r, alpha, a, b, t, n: int):
    """P(n purchases in the next t | alive), rate ~ Gamma(r, alpha), drop-out p ~ Beta(a, b).

    A purchase is followed by drop-out with probability p, so with N ~ NBD arrivals and G the
    first drop-out, the count is min(N, G): ``P(n) = P(N=n) E[(1-p)^(n-1)] + P(N>n)
    E[p (1-p)^(n-1)]`` for n >= 1, and ``P(N=0)`` for n = 0.
    """
    if n == 0:
        return np.exp(_log_nbd(r, alpha, t, 0))
    below = sum(np.exp(_log_nbd(r, alpha, t, j)) for j in range(n + 1))
    survive = np.exp(betaln(a, b + n - 1) - betaln(a, b))
    drop = np.exp(betaln(a + 1, b + n - 1) - betaln(a, b))
    return np.exp(_log_nbd(r, alpha, t, n)) * survive + np.clip(1.0 - below, 0.0, 1.0) * drop


def conditional_probability_of_purchases(params, t, n: int, frequency, recency, T):
    """P(n purchases in (T, T + t] | x, t_x, T) under BG/NBD.

    Dead customers make none; a living one has the posterior rate Gamma(r + x, alpha + T) and
    drop-out Beta(a, b + x).
    """
    r, alpha, a, b = params
    x = np.asarray(frequency, dtype=float)
    tx, T = np.asarray(recency, dtype=float), np.asarray(T, dtype=float)
    alive = probability_alive(params, x, tx, T)
    pmf = future_count_pmf(r + x, alpha + T, a, b + x, t, n)
    return alive * pmf + (1.0 - alive) * (n == 0)
