"""Statistics over replications: means, intervals, paired differences, how many runs.

Replications of a scenario are independent draws of its figures, so a figure's mean over
``n`` replications has the Student-t interval ``mean +- t(n-1) s / sqrt(n)``. Replication
``i`` of two scenarios shares its random streams (common random numbers), so their difference
is taken pair by pair and its interval is that of the mean of the paired differences.
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy.special import stdtrit

PairedT = TypeVar("PairedT", pd.Series, pd.DataFrame)

CONFIDENCE = 0.95

#: The verdicts of a range judged on an interval (a source fact, an experiment's claim).
HELD, NOT_HELD, INCONCLUSIVE, NOT_EVALUATED = ("held", "not held", "inconclusive", "not evaluated")
#: The verdicts of a range judged on one run's point value.
IN_RANGE, OUT_OF_RANGE = ("in range", "out of range")


def range_verdict(low: float, high: float, mean: float, lo: float, hi: float) -> str:
    """Whether a range holds a measure, judged on the measure's whole interval.

    *held* if the interval ``[lo, hi]`` lies inside ``[low, high]``, *not held* if it lies
    wholly outside, *inconclusive* if it straddles an edge; *not evaluated* without a mean.
    With a mean and no interval (one run) the point is *in range* or *out of range*.
    """
    if math.isnan(mean):
        return NOT_EVALUATED
    if math.isnan(lo) or math.isnan(hi):
        return IN_RANGE if low <= mean <= high else OUT_OF_RANGE
    if low <= lo and hi <= high:
        return HELD
    if hi < low or lo > high:
        return NOT_HELD
    return INCONCLUSIVE


def t_quantile(df: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided Student-t critical value for ``df`` degrees of freedom."""
    return float(stdtrit(df, 0.5 + confidence / 2))


def mean_ci(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replications (NaNs dropped).

    Returns
    -------
    tuple of float
        ``(mean, low, high)``; the bounds are NaN with fewer than two finite values.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(v.mean())
    if n == 1:
        return mean, math.nan, math.nan
    half = t_quantile(n - 1, confidence) * float(v.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def mean_ci_columns(frame: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """:func:`mean_ci` of every column of ``frame`` (rows are replications).

    Returns
    -------
    pandas.DataFrame
        Indexed by the columns: ``n`` (finite values), ``mean``, ``ci_low``, ``ci_high``.
    """
    x = frame.to_numpy(dtype=float)
    stats = [mean_ci(x[:, j], confidence) for j in range(x.shape[1])]
    mean, low, high = (np.array([s[i] for s in stats], dtype=float) for i in range(3))
    return pd.DataFrame(
        {"n": np.isfinite(x).sum(axis=0), "mean": mean, "ci_low": low, "ci_high": high},
        index=frame.columns,
    )


def paired(a: PairedT, b: PairedT) -> PairedT:
    """``a - b`` replication by replication, for the replications both have (common numbers).

    The one rule for a paired difference everywhere in relsim: values are matched by their
    index (the replication number); a replication only one side has is left out, and one
    where either value is missing gives a missing difference, which :func:`mean_ci` drops.

    Parameters
    ----------
    a, b : pandas.Series or pandas.DataFrame
        Indexed by replication (a DataFrame: one column per metric).
    """
    reps = a.index.intersection(b.index)
    return a.loc[reps] - b.loc[reps]


def ratio_ci(
    num: np.ndarray, den: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """``mean(num) / mean(den)`` over paired replications, with a delta-method interval.

    A ratio of means is stable where the per-replication ratio is not (a denominator near
    zero in one replication); its variance is that of ``(num - r den) / mean(den)``.
    """
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    ok = np.isfinite(num) & np.isfinite(den)
    num, den = num[ok], den[ok]
    n = len(num)
    if n == 0 or den.mean() == 0:
        return math.nan, math.nan, math.nan
    r = float(num.mean() / den.mean())
    if n < 2:
        return r, math.nan, math.nan
    resid = (num - r * den) / den.mean()
    half = t_quantile(n - 1, confidence) * float(resid.std(ddof=1)) / math.sqrt(n)
    return r, r - half, r + half


def replications_needed(
    values: np.ndarray, half_width: float, confidence: float = CONFIDENCE
) -> float:
    """Replications for the interval's half-width to fall below ``half_width``.

    Uses the sample standard deviation of ``values`` as the truth and solves
    ``t(n-1) s / sqrt(n) <= half_width`` for the smallest ``n`` (at least two).

    Returns
    -------
    float
        NaN with fewer than two finite values or a non-positive target; ``inf`` never
        happens for a positive target.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 2 or not half_width > 0:
        return math.nan
    s = float(v.std(ddof=1))
    if s == 0.0:
        return 2.0
    n = max(2, math.ceil((1.96 * s / half_width) ** 2))
    while t_quantile(n - 1, confidence) * s / math.sqrt(n) > half_width:
        n += 1
    return float(n)


def look_ahead(n: int) -> int:
    """Replications the sequential rule looks ahead before it stops at ``n``.

    Hoad, Robinson & Davies (2010), "Automated selection of the number of replications for a
    discrete-event simulation", JORS 61(11): five, or 5% of ``n`` once ``n`` passes 100.
    """
    return 5 if n <= 100 else math.floor(0.05 * n)


def relative_half_width(mean: float, low: float, high: float) -> float:
    """Half the interval's width over the mean's size (``inf`` when undefined)."""
    if not (math.isfinite(low) and math.isfinite(high)) or mean == 0 or math.isnan(mean):
        return math.inf
    return 0.5 * (high - low) / abs(mean)
