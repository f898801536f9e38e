"""Synthetic customer bases drawn from each model's own generative process.

Used to check that the fitters recover the parameters that generated the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def bgnbd_sample(params, T: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Customers observed for ``T`` each, buying and dropping out as BG/NBD says.

    Each customer's purchase rate is Gamma(r, 1/alpha) and their drop-out probability after
    each purchase Beta(a, b); the first purchase is at time 0 and is not counted.
    """
    r, alpha, a, b = params
    T = np.asarray(T, dtype=float)
    n = len(T)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n, dtype=np.int64)
    tx = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > T[i]:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def paretonbd_sample(params, T: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Customers observed for ``T`` each, with Poisson purchases while alive (Pareto/NBD)."""
    r, alpha, s, beta = params
    T = np.asarray(T, dtype=float)
    n = len(T)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    life = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * life)
    # given x purchases in (0, life], their times are uniform; the last is the max
    tx = np.where(x > 0, life * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def gammagamma_sample(params, frequency: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mean transaction value of customers with the given numbers of transactions."""
    p, q, g = params
    x = np.asarray(frequency)
    nu = rng.gamma(q, 1.0 / g, len(x))
    # the sum of x Gamma(p, nu) values is Gamma(p x, nu)
    return rng.gamma(p * x, 1.0 / nu) / x


def mbgnbd_sample(params, T: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Customers observed for ``T`` each under MBG/NBD.

    A drop-out chance follows every purchase, the first (at time 0) included.
    """
    r, alpha, a, b = params
    T = np.asarray(T, dtype=float)
    n = len(T)
    lam = rng.gamma(r, 1.0 / np.asarray(alpha, dtype=float), n)
    p = rng.beta(a, b, n)
    x = np.zeros(n, dtype=np.int64)
    tx = np.zeros(n)
    for i in range(n):
        if rng.random() < p[i]:
            continue  # gone right after the first purchase
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > T[i]:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def bgnbd_paths(params, T: np.ndarray, horizon: float, rng: np.random.Generator) -> pd.DataFrame:
    """BG/NBD customers followed past ``T`` for ``horizon``.

    Gives the calibration summary and the purchases made in (T, T + horizon], for checking
    forecasts against what happened. ``params`` may hold one value per customer (covariates).
    """
    r, alpha, a, b = (np.broadcast_to(np.asarray(v, dtype=float), (len(T),)) for v in params)
    T = np.asarray(T, dtype=float)
    n = len(T)
    lam = rng.gamma(r, 1.0 / alpha)
    p = rng.beta(a, b)
    x = np.zeros(n, dtype=np.int64)
    tx = np.zeros(n)
    later = np.zeros(n, dtype=np.int64)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > T[i] + horizon:
                break
            if t <= T[i]:
                x[i] += 1
                tx[i] = t
            else:
                later[i] += 1
            if rng.random() < p[i]:
                break
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T, "frequency_holdout": later})
