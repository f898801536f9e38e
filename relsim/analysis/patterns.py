"""The measures of the sources' patterns that are not plain run figures.

Purchase-frequency classes, the revenue share of the top fifth, the first year's defections
against the later years', and the like, measured on a run's tables the way the sources state
them (:func:`fact_measures`). :mod:`relsim.analysis.metrics` adds them to a run's figures;
:mod:`relsim.analysis.facts` judges them against the sources' ranges.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from relsim.analysis.tables import stored_money, sums_by_key
from relsim.model.causes import Cause
from relsim.model.rates import YEAR

#: Purchases per year separating monthly from weekly and weekly from twice-weekly buyers
#: (geometric midpoints of 12, 52 and 104).
FREQUENCY_CUTS = (float(np.sqrt(12 * 52)), float(np.sqrt(52 * 104)))
FREQUENCY_CLASSES = ("monthly", "weekly", "twice_weekly")
#: Shortest stay in the window whose purchase frequency is classified, in days.
MIN_DAYS_FOR_FREQUENCY = 90.0


def observed_frequency(customers: pd.DataFrame, horizon_days: float) -> pd.Series:
    """Purchases per year in the window of each relationship there for at least 90 days."""
    end = customers["end_day"].fillna(horizon_days)
    days = end - customers["start_day"].clip(lower=0.0)
    keep = days >= MIN_DAYS_FOR_FREQUENCY
    return customers.loc[keep, "purchases"] / (days[keep] / YEAR)


def frequency_classes(per_year: pd.Series) -> pd.Series:
    """Classify purchase rates as monthly, weekly or twice_weekly buyers."""
    labels = np.array(FREQUENCY_CLASSES)
    return pd.Series(labels[np.digitize(per_year.to_numpy(), FREQUENCY_CUTS)], index=per_year.index)


def top_share(values: pd.Series | np.ndarray, top: float = 0.2) -> float:
    """Share of the total held by the largest ``top`` fraction of the values."""
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    if v.sum() <= 0 or not len(v):
        return math.nan
    k = max(int(round(top * len(v))), 1)
    return float(v[:k].sum() / v.sum())


def first_year_defection_ratio(customers: pd.DataFrame, horizon_days: float) -> float:
    """Defection rate in a relationship's first year over the rate after it (per customer-year).

    Each relationship's time in the window is split at its first anniversary; exits to
    relocation and death (which no relationship causes) are left out. Above 1: newcomers
    leave faster than the established, as measured retention curves show.
    """
    start = customers["start_day"].to_numpy()
    end = customers["end_day"].fillna(horizon_days).to_numpy()
    cause = customers["cause"].astype(str).to_numpy()
    own = ~np.isin(cause, [Cause.RELOCATION.label, Cause.OTHER.label]) & (cause != "nan")
    ended = customers["end_day"].notna().to_numpy() & own
    lo = np.maximum(start, 0.0)
    anniversary = start + YEAR
    young = np.clip(np.minimum(end, anniversary) - lo, 0.0, None)
    old = np.clip(end - np.maximum(lo, anniversary), 0.0, None)
    died_young = ended & (end < anniversary)
    died_old = ended & (end >= anniversary)
    if young.sum() <= 0 or old.sum() <= 0 or died_old.sum() == 0:
        return math.nan
    return float((died_young.sum() / young.sum()) / (died_old.sum() / old.sum()))


def fact_measures(
    tables: dict[str, pd.DataFrame], firm: str, horizon_days: float
) -> dict[str, float]:
    """The measures of :data:`FACT_MEASURES` for one firm of a run.

    Parameters
    ----------
    tables : dict of pandas.DataFrame
        The run's ``transactions`` and ``customers``.
    firm : str
        Whose figures.
    horizon_days : float
        Length of the measured window.

    Returns
    -------
    dict of str to float
    """
    cu = tables["customers"]
    own = cu[cu["firm"] == firm]
    m: dict[str, float] = {}
    per_year = observed_frequency(own, horizon_days)
    classes = frequency_classes(per_year)
    mix = classes.value_counts(normalize=True)
    for label in FREQUENCY_CLASSES:
        m[f"buyers_share_{label}"] = float(mix.get(label, 0.0)) if len(classes) else math.nan
    revenue = own.loc[classes.index, "revenue"]
    m["revenue_share_monthly_buyers"] = (
        float(revenue[classes == "monthly"].sum() / revenue.sum()) if revenue.sum() else math.nan
    )
    tx = tables["transactions"]
    mine = (tx["firm"] == firm).to_numpy()  # the firm's rows, without copying any column
    amount, cents = stored_money(tx, "amount")
    by_customer = sums_by_key(tx["customer_id"].to_numpy(), amount, mask=mine, cents=cents)
    m["revenue_share_top20"] = top_share(by_customer["sum"], 0.2)
    dissatisfied = own[own["cause"] == Cause.DISSATISFACTION.label]
    m["silent_share_of_dissatisfied_leavers"] = (
        float((dissatisfied["complaints"] == 0).mean()) if len(dissatisfied) else math.nan
    )
    m["first_year_defection_ratio"] = first_year_defection_ratio(own, horizon_days)
    return m


#: Names of the measures :func:`fact_measures` adds to a run's figures.
FACT_MEASURES = (
    *(f"buyers_share_{c}" for c in FREQUENCY_CLASSES),
    "revenue_share_monthly_buyers",
    "revenue_share_top20",
    "silent_share_of_dissatisfied_leavers",
    "first_year_defection_ratio",
)
