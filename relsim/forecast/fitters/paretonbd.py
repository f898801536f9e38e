"""Pareto/NBD: Schmittlein, Morrison & Colombo (1987), as implemented by Fader & Hardie.

While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); their
lifetime is exponential with rate mu ~ Gamma(s, beta). The likelihood of (x, t_x, T) is

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [ (alpha+T)^-(r+x) (beta+T)^-s  +  s * Int_{t_x}^{T} (alpha+tau)^-(r+x)
                                                   (beta+tau)^-(s+1) dtau ]

(alive at T, or dropped out at tau after the last purchase). The closed form of the integral
uses Gauss hypergeometric functions that overflow for heavy buyers; here the integral is taken
by Gauss-Legendre quadrature in log space, which stays finite for any data, and the gradient
is differentiated under the integral.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from relsim.forecast.fitters.base import BTYDModel, Params, Rows, Stats

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a), axis=1)) for finite rows; scipy's version spends more on checks."""
    top = a.max(axis=1)
    return top + np.log(np.exp(a - top[:, None]).sum(axis=1))


class ParetoNBDModel(BTYDModel):
    """Pareto/NBD as a statsmodels likelihood model.

    Parameters
    ----------
    frequency, recency, T : array_like
        Repeat purchases, time of the last purchase and age of each customer (same unit).
    """

    param_names = ("r", "alpha", "s", "beta")
    default_start = (1.0, 1.0, 1.0, 1.0)
    purchase_param = "alpha"
    dropout_param = "beta"

    def __init__(self, frequency, recency, T, **kwds) -> None:
        self.x = np.asarray(frequency, dtype=float)
        self.tx = np.asarray(recency, dtype=float)
        self.T = np.asarray(T, dtype=float)
        super().__init__(self.x, self.tx, self.T, **kwds)

    @staticmethod
    def _parts(params, stats):
        """Log terms of the bracket: alive at T, and the quadrature of dropping out."""
        r, alpha, s, beta = (np.asarray(v, dtype=float) for v in params)
        x, tx, T = (c[:, None] for c in stats)
        # alpha and beta may differ by customer (covariates): as columns against the nodes
        alpha = alpha[:, None] if alpha.ndim else alpha
        beta = beta[:, None] if beta.ndim else beta
        # Integrate in w = log(c + tau), c = min(alpha, beta): the integrand decays about
        # exponentially in w, which Gauss-Legendre handles well over any span.
        c = np.minimum(alpha, beta)
        lo, hi = np.log(c + tx), np.log(c + T)
        w = 0.5 * (hi - lo) * _NODES[None, :] + 0.5 * (hi + lo)
        tau = np.exp(w) - c
        log_a, log_b = np.log(alpha + tau), np.log(beta + tau)
        log_g = -(r + x) * log_a - (s + 1) * log_b + w  # integrand times dtau/dw = c + tau
        log_q = np.log(0.5 * (hi - lo) * _WEIGHTS[None, :] + 1e-300) + log_g  # weighted nodes
        log_alive = (-(r + x) * np.log(alpha + T) - s * np.log(beta + T))[:, 0]
        bracket = np.logaddexp(log_alive, np.log(s) + _logsumexp_rows(log_q))
        return log_alive, log_q, log_a, log_b, tau, bracket

    def _evaluate(self, params: Params, stats: Stats, grad: bool) -> Rows:
        """Each row's log-likelihood and (optionally) its gradient, under the integral."""
        r, alpha, s, beta = (np.asarray(v, dtype=float) for v in params)
        x, _, T = stats
        log_alive, log_q, log_a, log_b, tau, bracket = self._parts(params, stats)
        al = alpha[:, None] if alpha.ndim else alpha
        be = beta[:, None] if beta.ndim else beta
        ll = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + bracket
        if not grad:
            return ll, None
        wa = np.exp(log_alive - bracket)  # share of the bracket from "alive at T"
        wq = np.exp(np.log(s) + log_q - bracket[:, None])  # shares of each quadrature node
        xs = x[:, None]
        d_r = (
            digamma(r + x)
            - digamma(r)
            + np.log(alpha)
            - wa * np.log(alpha + T)
            - (wq * log_a).sum(axis=1)
        )
        d_alpha = r / alpha - wa * (r + x) / (alpha + T) - (wq * (r + xs) / (al + tau)).sum(axis=1)
        d_s = np.log(beta) - wa * np.log(beta + T) + (wq * (1.0 / s - log_b)).sum(axis=1)
        d_beta = s / beta - wa * s / (beta + T) - (wq * (s + 1) / (be + tau)).sum(axis=1)
        return ll, np.vstack([d_r, d_alpha, d_s, d_beta])

    def probability_alive(self, params) -> np.ndarray:
        """P(alive at T | x, t_x, T) for the model's customers (no covariates)."""
        return probability_alive(params, self.x, self.tx, self.T)


def probability_alive(params, frequency, recency, T) -> np.ndarray:
    """P(alive at T | x, t_x, T) under Pareto/NBD; ``params`` may hold one value per customer."""
    x = np.atleast_1d(np.asarray(frequency, dtype=float))
    tx = np.broadcast_to(np.asarray(recency, dtype=float), x.shape)
    T = np.broadcast_to(np.asarray(T, dtype=float), x.shape)
    log_alive, *_, bracket = ParetoNBDModel._parts(params, (x, tx, T))
    return np.exp(log_alive - bracket)


def conditional_expected_purchases(params, t, frequency, recency, T) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] under Pareto/NBD.

    The factor ``(1 - ((beta+T)/(beta+T+t))^(s-1)) / (s-1)`` is taken at its limit, a
    logarithm, when s = 1.
    """
    r, alpha, s, beta = params
    x = np.asarray(frequency, dtype=float)
    T = np.asarray(T, dtype=float)
    alive = probability_alive(params, x, recency, T)
    # (1 - u^(s-1)) / (s-1) with log u = -log1p(t/(beta+T)): expm1 keeps it exact near s = 1
    log_u = -np.log1p(t / (beta + T))
    if abs(s - 1.0) < 1e-12:
        factor = -log_u
    else:
        factor = -np.expm1((s - 1) * log_u) / (s - 1)
    return (r + x) * (beta + T) / (alpha + T) * factor * alive


def fit_paretonbd(summary: pd.DataFrame, **fit_kwds):
    """Fit Pareto/NBD to an RFM summary (``frequency``, ``recency``, ``T``)."""
    return ParetoNBDModel(summary["frequency"], summary["recency"], summary["T"]).fit(**fit_kwds)


_PMF_NODES, _PMF_WEIGHTS = np.polynomial.legendre.leggauss(64)


def expected_purchases(params, t) -> np.ndarray:
    """E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] (log limit at s = 1)."""
    r, alpha, s, beta = params
    t = np.asarray(t, dtype=float)
    log_u = -np.log1p(t / beta)
    factor = -log_u if abs(s - 1.0) < 1e-12 else -np.expm1((s - 1) * log_u) / (s - 1)
    return r * beta / alpha * factor


def probability_of_purchases(params, t, x: int) -> np.ndarray:
    """P(X(t) = x): NBD counts over the part of (0, t] the customer is alive.

    The lifetime is Pareto (Lomax) with shape s and scale beta, so ``P = (beta/(beta+t))^s
    NBD(x; t) + Int_0^t NBD(x; tau) f(tau) dtau``, the integral by Gauss-Legendre quadrature.
    """
    r, alpha, s, beta = params
    t = np.atleast_1d(np.asarray(t, dtype=float))

    def log_nbd(tau: np.ndarray) -> np.ndarray:
        lq = x * (np.log(np.maximum(tau, 1e-300)) - np.log(alpha + tau)) if x else 0.0
        return (
            gammaln(r + x) - gammaln(r) - gammaln(x + 1) + r * (np.log(alpha) - np.log(alpha + tau))
        ) + lq

    survive = np.exp(s * (np.log(beta) - np.log(beta + t)) + log_nbd(t))
    tau = 0.5 * t[:, None] * (_PMF_NODES[None, :] + 1.0)
    log_f = np.log(s) - np.log(beta) - (s + 1) * np.log1p(tau / beta)
    inside = (0.5 * t[:, None] * _PMF_WEIGHTS[None, :] * np.exp(log_nbd(tau) + log_f)).sum(axis=1)
    return survive + inside


def conditional_probability_of_purchases(params, t, n: int, frequency, recency, T):
    """P(n purchases in (T, T + t] | x, t_x, T) under Pareto/NBD.

    A living customer's rate is Gamma(r + x, alpha + T) and their drop-out rate
    Gamma(s, beta + T), so the future is a new customer's with those parameters.
    """
    r, alpha, s, beta = params
    x = np.atleast_1d(np.asarray(frequency, dtype=float))
    T = np.broadcast_to(np.asarray(T, dtype=float), x.shape)
    alive = probability_alive(params, x, recency, T)
    pmf = np.array(
        [
            probability_of_purchases((r + xi, a_i, s, b_i), [t], n)[0]
            for xi, a_i, b_i in zip(
                x,
                np.broadcast_to(alpha + T, x.shape),
                np.broadcast_to(beta + T, x.shape),
                strict=True,
            )
        ]
    )
    return alive * pmf + (1.0 - alive) * (n == 0)
