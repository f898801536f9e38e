"""BG/BB: the beta-geometric/beta-binomial model of Fader, Hardie & Shang (2010).

"Customer-Base Analysis in a Discrete-Time Noncontractual Setting", Marketing Science 29(6),
1086-1108. In each of n discrete opportunities (years, events) a living customer transacts
with probability p ~ Beta(alpha, beta), and at the start of each opportunity after the first
they may have died, with probability theta ~ Beta(gamma, delta) per opportunity. Data per
customer: x transactions in n opportunities, the last in opportunity t_x (0 without any),
usually given as counts of customers sharing each (x, t_x, n) pattern.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln

from relsim.forecast.fitters.base import BTYDModel, Params, Rows, Stats


def _terms(params, x, tx, n):
    """Log terms of the likelihood: alive through n, then dead after t_x + i, i < n - t_x."""
    alpha, beta, gamma, delta = params
    lab, lgd = betaln(alpha, beta), betaln(gamma, delta)
    alive = betaln(alpha + x, beta + n - x) - lab + betaln(gamma, delta + n) - lgd
    width = int(np.max(n - tx)) if len(n) else 0
    i = np.arange(max(width, 1))[None, :]
    valid = i < (n - tx)[:, None]
    ii = np.where(valid, i, 0)
    dead = (
        betaln(alpha + x[:, None], beta + (tx - x)[:, None] + ii)
        - lab
        + betaln(gamma + 1, delta + tx[:, None] + ii)
        - lgd
    )
    dead = np.where(valid, dead, -np.inf)
    return alive, dead, ii, valid


class BetaGeoBetaBinomModel(BTYDModel):
    """BG/BB as a statsmodels likelihood model.

    Parameters
    ----------
    frequency, recency, periods : array_like
        Transactions x, the opportunity of the last one t_x, and opportunities n.
    weights : array_like, optional
        Customers sharing each row (the usual form of BG/BB data).
    """

    param_names = ("alpha", "beta", "gamma", "delta")
    default_start = (1.0, 1.0, 1.0, 1.0)

    def _evaluate(self, params: Params, stats: Stats, grad: bool) -> Rows:
        """Each row's log-likelihood and (optionally) its gradient."""
        alpha, beta, gamma, delta = params
        x, tx, n = stats
        alive, dead, ii, valid = _terms(params, x, tx, n)
        ll = np.logaddexp(alive, np.logaddexp.reduce(dead, axis=1))
        if not grad:
            return ll, None
        wa = np.exp(alive - ll)
        wd = np.where(valid, np.exp(dead - ll[:, None]), 0.0)
        dab, dgd = digamma(alpha + beta), digamma(gamma + delta)
        # d betaln(u, v)/du = psi(u) - psi(u + v)
        ta = digamma(alpha + x) - digamma(alpha + beta + n) - digamma(alpha) + dab
        tb = digamma(beta + n - x) - digamma(alpha + beta + n) - digamma(beta) + dab
        tg = digamma(gamma) - digamma(gamma + delta + n) - digamma(gamma) + dgd
        td = digamma(delta + n) - digamma(gamma + delta + n) - digamma(delta) + dgd
        xc, txc = x[:, None], tx[:, None]
        s_ab = digamma(alpha + beta + txc + ii)
        s_gd = digamma(gamma + delta + 1 + txc + ii)
        da = (digamma(alpha + xc) - s_ab - digamma(alpha) + dab) * wd
        db = (digamma(beta + txc - xc + ii) - s_ab - digamma(beta) + dab) * wd
        dg = (digamma(gamma + 1) - s_gd - digamma(gamma) + dgd) * wd
        dd = (digamma(delta + txc + ii) - s_gd - digamma(delta) + dgd) * wd
        return ll, np.vstack(
            [
                wa * ta + da.sum(axis=1),
                wa * tb + db.sum(axis=1),
                wa * tg + dg.sum(axis=1),
                wa * td + dd.sum(axis=1),
            ]
        )


def _as_arrays(frequency, recency, periods):
    x = np.atleast_1d(np.asarray(frequency, dtype=float))
    tx = np.broadcast_to(np.asarray(recency, dtype=float), x.shape).copy()
    n = np.broadcast_to(np.asarray(periods, dtype=float), x.shape).copy()
    return x, tx, n


def probability_alive(params, frequency, recency, periods) -> np.ndarray:
    """P(alive at opportunity n + 1 | x, t_x, n) (Fader, Hardie & Shang 2010, eq. 11)."""
    alpha, beta, gamma, delta = params
    x, tx, n = _as_arrays(frequency, recency, periods)
    alive, dead, *_ = _terms(params, x, tx, n)
    ll = np.logaddexp(alive, np.logaddexp.reduce(dead, axis=1))
    # alive at n + 1 rather than at n: one more survival factor (delta + n)/(gamma + delta + n)
    return np.exp(alive - ll + np.log(delta + n) - np.log(gamma + delta + n))


def conditional_expected_purchases(params, future, frequency, recency, periods) -> np.ndarray:
    """E[transactions in opportunities n+1 .. n+n* | x, t_x, n] (Fader, Hardie & Shang, eq. 13)."""
    alpha, beta, gamma, delta = params
    x, tx, n = _as_arrays(frequency, recency, periods)
    alive, dead, *_ = _terms(params, x, tx, n)
    ll = np.logaddexp(alive, np.logaddexp.reduce(dead, axis=1))
    log_head = (
        betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta) + gammaln(gamma + delta) - ll
    )
    # delta/(gamma-1) * [G(1+d+n)/G(g+d+n) - G(1+d+n+n*)/G(g+d+n+n*)] / G(1+d): both factors
    # change sign together at gamma = 1, so the product is positive either way
    first = np.exp(gammaln(1 + delta + n) - gammaln(gamma + delta + n) - gammaln(1 + delta))
    second = np.exp(
        gammaln(1 + delta + n + future) - gammaln(gamma + delta + n + future) - gammaln(1 + delta)
    )
    return np.exp(log_head) * delta / (gamma - 1) * (first - second)


def expected_purchases(params, periods) -> np.ndarray:
    """E[X(n)]: expected transactions of a new customer in n opportunities (eq. 7)."""
    alpha, beta, gamma, delta = params
    n = np.asarray(periods, dtype=float)
    ratio = np.exp(gammaln(gamma + delta) - gammaln(gamma + delta + n))
    ratio = ratio * np.exp(gammaln(1 + delta + n) - gammaln(1 + delta))
    return alpha / (alpha + beta) * delta / (gamma - 1) * (1.0 - ratio)


def probability_of_purchases(params, periods: int, x: int) -> float:
    """P(X(n) = x): probability of x transactions in n opportunities (eq. 6)."""
    alpha, beta, gamma, delta = params
    n = int(periods)
    lab, lgd = betaln(alpha, beta), betaln(gamma, delta)

    def log_choose(a: float, b: float) -> float:
        return float(gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1))

    total = np.exp(
        log_choose(n, x) + betaln(alpha + x, beta + n - x) - lab + betaln(gamma, delta + n) - lgd
    )
    for i in range(x, n):
        total += np.exp(
            log_choose(i, x)
            + betaln(alpha + x, beta + i - x)
            - lab
            + betaln(gamma + 1, delta + i)
            - lgd
        )
    return float(total)


def fit_bgbb(summary: pd.DataFrame, **fit_kwds):
    """Fit BG/BB to ``frequency``, ``recency``, ``periods`` and optional ``weights``."""
    weights = summary["weights"] if "weights" in summary.columns else None
    model = BetaGeoBetaBinomModel(
        summary["frequency"], summary["recency"], summary["periods"], weights=weights
    )
    return model.fit(**fit_kwds)
