"""MBG/NBD: the modified BG/NBD of Batislam, Denizel & Filiztekin (2007).

"Empirical validation and comparison of models for customer base analysis", International
Journal of Research in Marketing 24(3), 201-209. As BG/NBD, except that a customer may also
drop out right after the first purchase: drop-out chances come after every purchase, the
first included, so a customer without repeat purchases is no longer certainly alive.
Data per customer: x repeat purchases, recency t_x, age T.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from relsim.forecast.fitters.base import BTYDModel, Params, Rows, Stats
from relsim.forecast.fitters.bgnbd import RATE_LIMIT, fixed_dropout_purchases


class ModifiedBetaGeoModel(BTYDModel):
    """MBG/NBD as a statsmodels likelihood model.

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
        alive = betaln(a, b + x + 1) - betaln(a, b) - (r + x) * log_at
        dropped = betaln(a + 1, b + x) - betaln(a, b) - (r + x) * log_atx
        total = np.logaddexp(alive, dropped)
        ll = common + total
        if not grad:
            return ll, None
        w = np.exp(alive - total)
        v = 1.0 - w
        dab, dabx = digamma(a + b), digamma(a + b + x + 1)
        d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w * log_at - v * log_atx
        d_alpha = r / alpha - (r + x) * (w / (alpha + T) + v / (alpha + tx))
        d_a = w * (digamma(a) - dabx - digamma(a) + dab) + v * (
            digamma(a + 1) - dabx - digamma(a) + dab
        )
        d_b = w * (digamma(b + x + 1) - dabx - digamma(b) + dab) + v * (
            digamma(b + x) - dabx - digamma(b) + dab
        )
        return ll, np.vstack([d_r, d_alpha, d_a, d_b])


def probability_alive(params, frequency, recency, T) -> np.ndarray:
    """P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))."""
    r, alpha, a, b = params
    x = np.asarray(frequency, dtype=float)
    tx, T = np.asarray(recency, dtype=float), np.asarray(T, dtype=float)
    log_ratio = np.log(a) - np.log(b + x) + (r + x) * np.log1p((T - tx) / (alpha + tx))
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(log_ratio))


def conditional_expected_purchases(params, t, frequency, recency, T) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] under MBG/NBD (Batislam et al. 2007).

    ``(a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)] P(alive)``,
    with the bracket rewritten by Euler's transformation as ``1 - (1-z)^(a-1)
    2F1(a+b-r, a-1; a+b+x; z)``, finite for heavy buyers.
    """
    r, alpha, a, b = params
    x = np.asarray(frequency, dtype=float)
    tx, T = np.asarray(recency, dtype=float), np.asarray(T, dtype=float)
    if np.all(np.asarray(a) + np.asarray(b) > RATE_LIMIT):
        # the same drop-out p for everyone (a fit at that boundary): see BG/NBD's limit
        alive = probability_alive(params, x, tx, T)
        return fixed_dropout_purchases(params, t, x, T) * alive
    z = t / (alpha + T + t)
    tail = 1.0 - (1.0 - z) ** (a - 1) * hyp2f1(a + b - r, a - 1, a + b + x, z)
    return (a + b + x) / (a - 1) * tail * probability_alive(params, x, tx, T)


def expected_purchases(params, t) -> np.ndarray:
    """E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))].

    A new customer survives the first drop-out chance with probability 1 - p, so the
    prefactor is E[(1-p)/p] = b/(a-1); it equals the conditional expectation at x = t_x = T = 0.
    """
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return b / (a - 1) * (1.0 - (1.0 - z) ** (a - 1) * hyp2f1(a + b - r, a - 1, a + b, z))


def probability_of_purchases(params, t, x: int) -> np.ndarray:
    """P(X(t) = x): alive after x purchases with x in t, or dropped after the x-th purchase.

    ``B(a, b+x+1)/B(a,b) NBD(x; t) + B(a+1, b+x)/B(a,b) (1 - sum_{j<x} NBD(j; t))``.
    """
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    log_p0 = r * (np.log(alpha) - np.log(alpha + t))
    log_q = np.log(np.maximum(t, 1e-300)) - np.log(alpha + t)

    def nbd(j: int) -> np.ndarray:
        lq = j * log_q if j else 0.0
        return np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + log_p0 + lq)

    below = sum((nbd(j) for j in range(x)), np.zeros_like(t))
    return np.exp(betaln(a, b + x + 1) - betaln(a, b)) * nbd(x) + np.exp(
        betaln(a + 1, b + x) - betaln(a, b)
    ) * (1.0 - below)


def fit_mbgnbd(summary: pd.DataFrame, **fit_kwds):
    """Fit MBG/NBD to an RFM summary (``frequency``, ``recency``, ``T``)."""
    model = ModifiedBetaGeoModel(summary["frequency"], summary["recency"], summary["T"])
    return model.fit(**fit_kwds)


def conditional_probability_of_purchases(params, t, n: int, frequency, recency, T):
    """P(n purchases in (T, T + t] | x, t_x, T): as BG/NBD, drop-out Beta(a, b + x + 1)."""
    from relsim.forecast.fitters.bgnbd import future_count_pmf

    r, alpha, a, b = params
    x = np.asarray(frequency, dtype=float)
    tx, T = np.asarray(recency, dtype=float), np.asarray(T, dtype=float)
    alive = probability_alive(params, x, tx, T)
    pmf = future_count_pmf(r + x, alpha + T, a, b + x + 1, t, n)
    return alive * pmf + (1.0 - alive) * (n == 0)
