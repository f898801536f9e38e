"""Why customers leave: switching causes as competing risks, each with its own mechanism.

Each cause has its own mechanism, so a strategy acts on the cause it addresses and the mix of
causes emerges from the run:

- relocation: exogenous constant hazard; the person leaves the market;
- price: at price-comparison occasions the person weighs the best rival offer against the
  own firm's price, their price sensitivity and switching barriers (rung, loyalty discount);
- dissatisfaction: a hazard that grows with unresolved service failures (grievances);
- neglect: a hazard that grows with time since the firm last paid the person attention;
- other (death, closure): small constant hazard; the person leaves the market.
"""

from __future__ import annotations

import math
from enum import IntEnum


class Cause(IntEnum):
    """Why a relationship ended."""

    RELOCATION = 0
    PRICE = 1
    DISSATISFACTION = 2
    NEGLECT = 3
    OTHER = 4

    @property
    def label(self) -> str:
        """Lower-case name, as used in tables."""
        return self.name.lower()


CAUSE_LABELS: tuple[str, ...] = tuple(c.label for c in Cause)

#: Causes after which the person leaves the market altogether (and a newcomer replaces them).
LEAVES_MARKET: frozenset[Cause] = frozenset({Cause.RELOCATION, Cause.OTHER})


def neglect_hazard_fraction(days_since_attention: float, ramp_days: float) -> float:
    """Neglect hazard as a fraction of its ceiling.

    The hazard rises linearly with time since the firm last paid attention and saturates
    after ``ramp_days``: a neglected person drifts away at an ever higher rate, up to a limit.

    Parameters
    ----------
    days_since_attention : float
        Days since the last contact, handled complaint or acquisition.
    ramp_days : float
        Days over which the hazard climbs to its ceiling.

    Returns
    -------
    float
        A number in [0, 1].
    """
    if ramp_days <= 0.0:
        return 1.0
    x = days_since_attention / ramp_days
    return x if x < 1.0 else 1.0


def neglect_wait(
    days_since_attention: float, ceiling: float, ramp_days: float, exposure: float
) -> float:
    """Days until the neglect hazard accumulates ``exposure``, if no attention comes first.

    Inverts the cumulative hazard of ``ceiling * min(tau / ramp_days, 1)`` from the current
    ``tau``; with ``exposure`` a standard exponential draw this is an exact sample of the time
    to a neglect defection for a person nobody contacts meanwhile.

    Parameters
    ----------
    days_since_attention : float
        Current time since attention (``tau``).
    ceiling : float
        Hazard ceiling per day.
    ramp_days : float
        Days for the hazard to reach its ceiling.
    exposure : float
        Cumulative hazard to accumulate (a standard exponential draw).

    Returns
    -------
    float
        Days from now; ``inf`` when the ceiling is zero.
    """
    if ceiling <= 0.0:
        return math.inf
    tau = days_since_attention if days_since_attention > 0.0 else 0.0
    if tau >= ramp_days:
        return exposure / ceiling
    slope = ceiling / ramp_days
    to_ceiling = 0.5 * slope * (ramp_days * ramp_days - tau * tau)
    if exposure <= to_ceiling:
        return math.sqrt(tau * tau + 2.0 * exposure / slope) - tau
    return (ramp_days - tau) + (exposure - to_ceiling) / ceiling


def price_switch_probability(
    relative_saving: float, sensitivity: float, barrier: float, intercept: float, slope: float
) -> float:
    """Probability that a price comparison ends in a switch (logistic choice).

    Parameters
    ----------
    relative_saving : float
        ``(own price - best rival price) / own price``; positive when a rival is cheaper.
    sensitivity : float
        The person's price sensitivity (mean 1 in the population).
    barrier : float
        Switching barrier of the person's rung on the logit scale.
    intercept, slope : float
        Logit intercept and the weight of the sensitivity-scaled saving.

    Returns
    -------
    float
        Switch probability in (0, 1).
    """
    z = intercept + slope * sensitivity * relative_saving - barrier
    return 1.0 / (1.0 + math.exp(-z))
