"""Tolerances from sampling error, for the statistical tests.

Each statistical test states what theory predicts and checks the simulation against it with a
tolerance derived from the standard error of what it measured. The level is per check: a
correct model fails a check at level 0.999 one time in a thousand seeds (the seeds are fixed,
so a test either passes or fails for good; the level says how surprising a failure is).
Two-sided where theory gives a value; one-sided only where theory gives a direction.
"""

from __future__ import annotations

import math

from scipy import stats

LEVEL = 0.999


def z_two(level: float = LEVEL) -> float:
    """The normal quantile of a two-sided interval at ``level``."""
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def z_one(level: float = LEVEL) -> float:
    """The normal quantile of a one-sided bound at ``level``."""
    return float(stats.norm.ppf(level))


def t_two(df: int, level: float = LEVEL) -> float:
    """The Student-t quantile of a two-sided interval with ``df`` degrees of freedom."""
    return float(stats.t.ppf(1 - (1 - level) / 2, df))


def t_one(df: int, level: float = LEVEL) -> float:
    """The Student-t quantile of a one-sided bound with ``df`` degrees of freedom."""
    return float(stats.t.ppf(level, df))


def assert_near(observed: float, expected: float, se: float, level: float = LEVEL) -> None:
    """Two-sided: ``observed`` is ``expected`` up to sampling error ``se``."""
    assert abs(observed - expected) <= z_two(level) * se, (observed, expected, se)


def assert_above(a: float, b: float, se: float, level: float = LEVEL) -> None:
    """One-sided (a direction claim): ``a`` exceeds ``b`` by more than sampling error ``se``
    of the difference can explain."""
    assert a - b > z_one(level) * se, (a, b, se)


def rate_se(events: float, exposure: float) -> tuple[float, float]:
    """A Poisson rate per unit of exposure and its standard error."""
    return events / exposure, math.sqrt(max(events, 1.0)) / exposure


def mean_difference_se(a, b) -> float:
    """The standard error of the difference of two independent samples' means (Welch)."""
    return math.hypot(a.std(ddof=1) / math.sqrt(len(a)), b.std(ddof=1) / math.sqrt(len(b)))


def proportion_se(p: float, n: float) -> float:
    """The standard error of a proportion ``p`` of ``n`` independent trials."""
    return math.sqrt(max(p * (1 - p), 1.0 / n) / n)
