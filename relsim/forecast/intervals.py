"""Per-customer 95% intervals: parameter uncertainty, and the purchase process itself.

Parameter uncertainty comes from the asymptotic distribution of the maximum-likelihood
estimates: parameter vectors are drawn from a normal with the estimated covariance, on the log
scale for the positive parameters (where the likelihood is closer to quadratic and a draw
cannot go negative). Each draw gives every customer a P(alive), an expected number of
purchases and a CLV; their 2.5% and 97.5% quantiles are the intervals of those expectations.

The interval for the *count* of purchases a customer will make adds the purchase process:
with each parameter draw one future is simulated from the customer's posterior, which the
models give in closed form: alive with probability P(alive), and if so a purchase rate
``lambda ~ Gamma(r + x, alpha + T)`` and a drop-out propensity updated the same way (BG/NBD:
``p ~ Beta(a, b + x)``; Pareto/NBD: ``mu ~ Gamma(s, beta + T)``). The quantiles of those
counts form a prediction interval; being discrete, it covers at least 95%.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from relsim.forecast.models import FittedModel

LEVEL = 0.95


@dataclass
class Draws:
    """Parameter vectors drawn from the fit's asymptotic distribution (one per row)."""

    values: np.ndarray
    exact: bool  # False when the covariance was unusable and the estimate was repeated


def parameter_draws(fit: FittedModel, n: int, rng: np.random.Generator) -> Draws:
    """``n`` parameter vectors from the asymptotic normal (log scale for positive ones)."""
    est = fit.params.to_numpy()
    cov = fit.cov.to_numpy()
    k = len(fit.spec.model_class.param_names)
    if not np.isfinite(cov).all():
        return Draws(np.tile(est, (n, 1)), False)
    scale = np.ones_like(est)
    scale[:k] = 1.0 / est[:k]  # delta method: Cov(log theta) = D Cov(theta) D, D = 1/theta
    cov_log = cov * np.outer(scale, scale)
    if np.linalg.eigvalsh(0.5 * (cov_log + cov_log.T)).min() < -1e-10 * np.abs(cov_log).max():
        return Draws(np.tile(est, (n, 1)), False)  # not a covariance: a boundary fit
    centre = est.copy()
    centre[:k] = np.log(est[:k])
    z = rng.multivariate_normal(centre, cov_log, size=n, method="eigh")
    z[:, :k] = np.exp(z[:, :k])
    return Draws(z, True)


def _with(fit: FittedModel, values: np.ndarray) -> FittedModel:
    """The same fit with other parameter values (for one draw)."""
    return FittedModel(
        fit.name,
        pd.Series(values, index=fit.params.index),
        fit.cov,
        fit.loglik,
        fit.nobs,
        covariates=fit.covariates,
    )


def simulate_future(
    fit: FittedModel,
    t: float,
    x: np.ndarray,
    tx: np.ndarray,
    T: np.ndarray,
    alive_prob: np.ndarray,
    rng: np.random.Generator,
    covariates=None,
) -> np.ndarray:
    """One draw of each customer's purchases in the next ``t`` from their posterior."""
    p = fit.individual(covariates)
    n = len(x)
    alive = rng.random(n) < alive_prob
    if fit.name in ("bgnbd", "mbgnbd", "paretonbd"):
        r, alpha = p[0], p[1]
        lam = rng.gamma(r + x, 1.0 / (alpha + T))
        if fit.name == "paretonbd":
            s, beta = p[2], p[3]
            mu = rng.gamma(np.broadcast_to(s, n), 1.0 / (beta + T))
            life = np.minimum(rng.exponential(1.0 / np.maximum(mu, 1e-300)), t)
            count = rng.poisson(lam * life)
        else:
            a, b = p[2], p[3]
            # alive after x repeat purchases: (1-p)^x (BG/NBD) or (1-p)^(x+1) (MBG/NBD)
            drop = rng.beta(np.broadcast_to(a, n), b + x + (fit.name == "mbgnbd"))
            purchases = rng.poisson(lam * t)
            # each purchase is followed by a drop-out chance: the last one is the first "yes"
            count = np.minimum(purchases, rng.geometric(np.clip(drop, 1e-12, 1.0)))
    elif fit.name == "bgbb":
        al, be, ga, de = p
        # T holds the opportunities n; alive at n + 1 with probability alive_prob
        pt = rng.beta(al + x, be + T - x)
        theta = rng.beta(np.broadcast_to(ga, n), de + T + 1)
        living = np.minimum(rng.geometric(np.clip(theta, 1e-12, 1.0)), int(t))
        count = rng.binomial(living, pt)
    else:
        raise ValueError(f"no purchase process for {fit.name}")
    return np.where(alive, count, 0)


def customer_intervals(
    fit: FittedModel,
    summary: pd.DataFrame,
    horizon: float,
    rng: np.random.Generator,
    draws: int = 200,
    spend_fit: FittedModel | None = None,
    clv_steps: tuple[np.ndarray, np.ndarray] | None = None,
    margin: float = 0.3,
    covariates: pd.DataFrame | None = None,
    spend: np.ndarray | None = None,
) -> pd.DataFrame:
    """95% intervals of each customer's purchases, P(alive) and (with spend) CLV.

    Parameters
    ----------
    fit : FittedModel
        A fitted BG/NBD, MBG/NBD, Pareto/NBD or BG/BB.
    summary : pandas.DataFrame
        ``frequency``, ``recency``, ``T`` (or ``periods``) and, for CLV, ``monetary_value``.
    horizon : float
        Forecast horizon.
    rng : numpy.random.Generator
        Source of the draws.
    draws : int
        Parameter draws (each also one simulated future per customer).
    spend_fit : FittedModel, optional
        Gamma-Gamma fit, for CLV (its parameters are drawn too).
    clv_steps : (edges, discount), optional
        Step ends and their discount factors, as in :func:`relsim.forecast.predict.clv`.
    margin : float
        Margin share of spend, for CLV.
    covariates : pandas.DataFrame, optional
        Each customer's covariates, if the model has them.
    spend : numpy.ndarray, optional
        Each customer's expected spend per purchase: used as it is when there is no
        ``spend_fit`` (Gamma-Gamma stepped aside), and for customers whose amounts are unusable.

    Returns
    -------
    pandas.DataFrame
        ``expected_purchases_low/_high`` (prediction interval of the count),
        ``p_alive_low/_high``, and ``clv_low/_high`` when spend is known; indexed like
        ``summary``.
    """
    age = "periods" if fit.spec.kind == "discrete" else "T"
    cols = ["frequency", "recency", age]
    with_clv = clv_steps is not None and (spend_fit is not None or spend is not None)
    base = summary[cols].to_numpy(dtype=float)
    extra = [] if covariates is None else [covariates.to_numpy(dtype=float)]
    if with_clv:
        m = summary["monetary_value"].to_numpy(dtype=float)
        known = np.isfinite(m)
        fixed = np.asarray(spend, dtype=float) if spend is not None else np.full(len(m), np.nan)
        extra += [np.where(known, m, 0.0)[:, None], known[:, None], fixed[:, None]]
    # P(alive) and CLV depend only on a customer's summary: computed once per distinct row
    rows, inverse = np.unique(np.column_stack([base, *extra]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    ux, utx, uT = rows[:, 0], rows[:, 1], rows[:, 2]
    ucov = (
        None
        if covariates is None
        else pd.DataFrame(rows[:, 3 : 3 + covariates.shape[1]], columns=covariates.columns)
    )
    x, tx, T = base[:, 0], base[:, 1], base[:, 2]
    theta = parameter_draws(fit, draws, rng)
    spend_draws = parameter_draws(spend_fit, draws, rng) if spend_fit is not None else None
    n, u = len(x), len(rows)
    counts = np.empty((draws, n), dtype=np.int32)
    alive = np.empty((draws, u), dtype=np.float32)
    clv = np.empty((draws, u), dtype=np.float64) if with_clv else None
    q = ((1 - LEVEL) / 2, (1 + LEVEL) / 2)
    for k in range(draws):
        one = _with(fit, theta.values[k])
        with np.errstate(all="ignore"):
            pa = one.p_alive(ux, utx, uT, ucov)
            alive[k] = pa
            counts[k] = simulate_future(one, horizon, x, tx, T, pa[inverse], rng, covariates)
            if clv is not None and clv_steps is not None:
                edges, discount = clv_steps
                spec = one.spec
                assert spec.conditional is not None
                cum = spec.conditional(one.individual(ucov), edges[:, None], ux, utx, uT)
                steps = np.diff(np.vstack([np.zeros(u), cum]), axis=0)
                um, uknown, ufixed = rows[:, -3], rows[:, -2] > 0, rows[:, -1]
                if spend_draws is not None and spend_fit is not None:
                    drawn = _with(spend_fit, spend_draws.values[k]).expected_spend(
                        np.maximum(ux, 0), np.where(uknown, um, 0.0)
                    )
                    value = np.where(uknown & np.isfinite(drawn), drawn, ufixed)
                else:
                    value = ufixed
                clv[k] = margin * value * (steps * discount[:, None]).sum(axis=0)
    out = pd.DataFrame(index=summary.index)
    lo, hi = _column_quantiles(counts, q, method="inverted_cdf")
    out["expected_purchases_low"], out["expected_purchases_high"] = lo, hi
    lo, hi = _column_quantiles(alive, q)
    out["p_alive_low"], out["p_alive_high"] = lo[inverse], hi[inverse]
    if clv is not None:
        lo, hi = _column_quantiles(clv, q, nan=True)
        out["clv_low"], out["clv_high"] = lo[inverse], hi[inverse]
    return out


#: Customers whose quantiles are taken at once: numpy copies what it sorts (nanquantile more
#: than that), so a block bounds the copies; each column's quantiles are its own either way.
QUANTILE_BLOCK = 16_384


def _column_quantiles(
    a: np.ndarray,
    q: tuple[float, float],
    nan: bool = False,
    method: Literal["linear", "inverted_cdf"] = "linear",
) -> np.ndarray:
    """``np.quantile(a, q, axis=0)`` (``nanquantile`` with ``nan``), by blocks of columns."""
    out = np.empty((len(q), a.shape[1]))
    for j in range(0, a.shape[1], QUANTILE_BLOCK):
        block = a[:, j : j + QUANTILE_BLOCK]
        if nan:
            out[:, j : j + QUANTILE_BLOCK] = np.nanquantile(block, q, axis=0, method=method)
        else:
            out[:, j : j + QUANTILE_BLOCK] = np.quantile(block, q, axis=0, method=method)
    return out
