"""The source documents' figures beside what a run produced (``relsim facts RUN_DIR``).

Each fact is measured from the run's tables for the focal firm, the way the source states
it, and set beside the source's range. The acceptance band is the source's range widened by
the tolerance the calibration promises (two points for the cause shares).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsim.model.causes import SOURCE_SHARES, Cause

#: Purchases per year separating monthly from weekly and weekly from twice-weekly buyers
#: (geometric midpoints of 12, 52 and 104).
FREQUENCY_CUTS = (float(np.sqrt(12 * 52)), float(np.sqrt(52 * 104)))
#: Shortest relationship whose purchase frequency is classified, in days.
MIN_DAYS_FOR_FREQUENCY = 90.0


@dataclass(frozen=True)
class Fact:
    """One source figure and the run's value."""

    name: str
    source: str
    low: float
    high: float
    value: float
    tolerance: float = 0.0

    @property
    def holds(self) -> bool:
        """Whether the run's value lies within the source range widened by the tolerance."""
        return bool(self.low - self.tolerance <= self.value <= self.high + self.tolerance)


def cause_shares(customers: pd.DataFrame, firm: str) -> pd.Series:
    """Share of the firm's ended relationships by cause (all causes, summing to 1)."""
    ended = customers[(customers["firm"] == firm) & customers["cause"].notna()]
    counts = ended["cause"].value_counts().reindex([c.label for c in Cause], fill_value=0)
    total = counts.sum()
    return counts / total if total else counts.astype(float)


def observed_frequency(customers: pd.DataFrame, horizon_days: float) -> pd.Series:
    """Purchases per year during each relationship lasting at least 90 days."""
    end = customers["end_day"].fillna(horizon_days)
    days = end - customers["start_day"].clip(lower=0.0)
    keep = days >= MIN_DAYS_FOR_FREQUENCY
    return customers.loc[keep, "purchases"] / (days[keep] / 365.0)


def frequency_classes(per_year: pd.Series) -> pd.Series:
    """Classify purchase rates as monthly, weekly or twice_weekly buyers."""
    labels = np.array(["monthly", "weekly", "twice_weekly"])
    return pd.Series(labels[np.digitize(per_year.to_numpy(), FREQUENCY_CUTS)],
                     index=per_year.index)


def top_share(values: pd.Series, top: float = 0.2) -> float:
    """Share of the total held by the largest ``top`` fraction of the values."""
    v = np.sort(values.to_numpy(dtype=float))[::-1]
    if v.sum() <= 0:
        return float("nan")
    k = max(int(round(top * len(v))), 1)
    return float(v[:k].sum() / v.sum())


def measure(customers: pd.DataFrame, transactions: pd.DataFrame, firm: str,
            horizon_days: float) -> list[Fact]:
    """Measure the design guide's source figures on one firm's relationships.

    Parameters
    ----------
    customers, transactions : pandas.DataFrame
        A run's tables.
    firm : str
        The firm to measure (normally the focal firm).
    horizon_days : float
        Length of the run, for relationships still open at its end.

    Returns
    -------
    list of Fact
    """
    facts: list[Fact] = []
    shares = cause_shares(customers, firm)
    src = "main seed, reasons for leaving"
    for cause, (lo, hi) in SOURCE_SHARES.items():
        facts.append(Fact(f"defections by {cause.label}", src, lo, hi,
                          float(shares[cause.label]), tolerance=0.02))
    lo = 1.0 - sum(h for _, h in SOURCE_SHARES.values())
    hi = 1.0 - sum(low for low, _ in SOURCE_SHARES.values())
    facts.append(Fact("defections by other (remainder)", src, lo, hi,
                      float(shares[Cause.OTHER.label]), tolerance=0.02))

    own = customers[customers["firm"] == firm]
    per_year = observed_frequency(own, horizon_days)
    classes = frequency_classes(per_year)
    mix = classes.value_counts(normalize=True)
    src = "main seed, frequency of purchases"
    for label, target in (("monthly", 0.2), ("weekly", 0.5), ("twice_weekly", 0.3)):
        facts.append(Fact(f"buyers {label.replace('_', ' ')}", src, target, target,
                          float(mix.get(label, 0.0)), tolerance=0.05))
    revenue = own.loc[classes.index, "revenue"]
    rare = float(revenue[classes == "monthly"].sum() / revenue.sum()) if revenue.sum() else np.nan
    facts.append(Fact("revenue from monthly buyers", src, 0.4, 0.6, rare))

    tx = transactions[transactions["firm"] == firm]
    per_customer = tx.groupby("customer_id")["amount"].sum()
    facts.append(Fact("revenue from the top 20% of customers", "main seed, Pareto principle",
                      0.75, 0.85, top_share(per_customer)))

    dissatisfied = own[own["cause"] == Cause.DISSATISFACTION.label]
    silent = float((dissatisfied["complaints"] == 0).mean()) if len(dissatisfied) else np.nan
    facts.append(Fact("dissatisfied leavers who never complained", "main seed, complaints",
                      0.65, 0.90, silent))
    return facts


def facts_frame(facts: list[Fact]) -> pd.DataFrame:
    """Facts as a table for printing or saving."""
    return pd.DataFrame([
        {"fact": f.name, "source": f.source, "source_range": _range(f), "run": f.value,
         "holds": f.holds}
        for f in facts
    ])


def _range(f: Fact) -> str:
    tol = f" (+/- {f.tolerance:.0%})" if f.tolerance else ""
    if f.low == f.high:
        return f"{f.low:.0%}{tol}"
    return f"{f.low:.0%}-{f.high:.0%}{tol}"
