"""Source facts: figures the literature reports, measured on runs the way the source states them.

A *fact* names a measure of a run (any of :func:`relsim.analysis.metrics.metric_names`), the
range a source gives, the source (an id of the register, :mod:`relsim.config.sources`) and a
*role*, which says what reproducing it is evidence of:

- ``input``: the scenario was set from this figure, so the run reads it back;
- ``calibrated``: a target the free values were fitted to (``relsim calibrate``);
- ``predicted``: never a target; only these are evidence that the mechanisms work.

A fact may compare the scenario with a *variant* (a few values changed): its measure is then
the variant's minus the base's, paired replication by replication. Facts are judged on the 95%
interval of their measure over replications (held, not held, inconclusive), never on a mean
alone. The measures that are not plain run figures are computed here (:func:`fact_measures`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from relsim.analysis.tables import stored_money, sums_by_key
from relsim.config.targets import Fact
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


def check_measures(facts: list[Fact], where: str) -> None:
    """Raise ``CalibrationError`` naming the first fact whose measure relsim does not measure."""
    from relsim.analysis.metrics import metric_names
    from relsim.errors import CalibrationError

    known = set(metric_names())
    for i, fact in enumerate(facts):
        for m in (fact.measure, fact.against_measure):
            if m is not None and m not in known:
                raise CalibrationError(
                    f"{where}: facts.{i} ('{fact.name}'): unknown measure "
                    f"'{m}'; see relsim.analysis.metrics.metric_names()"
                )


def run_facts(
    tables: dict[str, pd.DataFrame],
    firm: str,
    horizon_days: float,
    scenario: Any,
    facts: list[Fact],
    metrics: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The facts a single run can show (those without a variant), judged as points.

    Parameters
    ----------
    tables : dict of pandas.DataFrame
        The run's tables.
    firm : str
        Whose figures.
    horizon_days : float
        Length of the measured window.
    scenario : Scenario
        The run's scenario.
    facts : list of Fact
        The facts (a targets file's).
    metrics : dict, optional
        The firm's :func:`relsim.analysis.metrics.run_metrics`, if already computed.
    """
    from relsim.analysis.metrics import run_metrics

    m = metrics if metrics is not None else run_metrics(scenario, tables, firm)
    row = pd.DataFrame([{"replication": 0, **m}])
    return facts_frame([judge(f, fact_values(f, row, None)) for f in facts if not f.compares])


def fact_values(fact: Fact, base: pd.DataFrame, variant: pd.DataFrame | None) -> np.ndarray:
    """The fact's measure in each replication (paired with the variant's, if it has one).

    Parameters
    ----------
    fact : Fact
        The fact.
    base, variant : pandas.DataFrame
        One row per replication (``replication`` and the measures) of the base scenario and,
        for a fact with a variant, of the variant.
    """
    if not fact.compares:
        return base[fact.measure].to_numpy(dtype=float)
    assert variant is not None
    if fact.kind == "value":
        return variant[fact.measure].to_numpy(dtype=float)
    from relsim.analysis.statistics import paired

    b = base.set_index("replication")[fact.against_measure or fact.measure]
    v = variant.set_index("replication")[fact.measure]
    return paired(v, b).to_numpy(dtype=float)


def judge(fact: Fact, values: np.ndarray) -> dict[str, Any]:
    """A fact's row of a validation table: mean, 95% interval, verdict."""
    from relsim.analysis.statistics import mean_ci
    from relsim.config.sources import source

    mean, lo, hi = mean_ci(values)
    if math.isnan(mean):
        verdict = "not evaluated"
    elif math.isnan(lo):  # one run: a point, not an interval
        verdict = "in range" if fact.low <= mean <= fact.high else "out of range"
    elif fact.low <= lo and hi <= fact.high:
        verdict = "held"
    elif hi < fact.low or lo > fact.high:
        verdict = "not held"
    else:
        verdict = "inconclusive"
    src = source(fact.source)
    return {
        "fact": fact.name,
        "role": fact.role,
        "measure": fact.measure,
        "low": fact.low,
        "high": fact.high,
        "value": mean,
        "ci_low": lo,
        "ci_high": hi,
        "n": int(np.isfinite(values).sum()),
        "verdict": verdict,
        "holds": verdict in ("held", "in range"),
        "source": src.short,
        "grade": src.grade,
        "source_id": src.id,
        "variant": " ".join(f"{k}={v}" for k, v in fact.variant.items()),
    }


VALIDATION_COLUMNS = [
    "fact",
    "role",
    "measure",
    "low",
    "high",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "verdict",
    "holds",
    "source",
    "grade",
    "source_id",
    "variant",
]


def facts_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Judged facts as a table with the validation columns."""
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)


def headline(table: pd.DataFrame) -> str:
    """How many calibrated and predicted facts held (inputs are read back, so not counted)."""
    parts = []
    single = bool(len(table)) and bool((table["n"] <= 1).all())
    word = "in range" if single else "held"
    for role in ("calibrated", "predicted"):
        sel = table[table["role"] == role]
        if len(sel):
            parts.append(f"{role} {int(sel['holds'].sum())} of {len(sel)} {word}")
    text = "; ".join(parts) if parts else "no calibrated or predicted facts"
    return text + (" (one run: a point, not an interval)" if single else "")


def _range_words(low: float, high: float, fmt: Any) -> str:
    """A fact's range as people say it: "at least 1" rather than "1 to inf"."""
    if math.isinf(high) and high > 0 and math.isfinite(low):
        return f"at least {fmt(low)}"
    if math.isinf(low) and low < 0 and math.isfinite(high):
        return f"at most {fmt(high)}"
    return f"{fmt(low)} to {fmt(high)}"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """Judged facts as text for people: range, value, verdict, role, source and its grade."""
    rows = []
    for _, r in table.iterrows():
        share = "share" in r["measure"] or r["measure"].endswith("_rate")

        def fmt(v: float, share: bool = share) -> str:
            if not math.isfinite(v):
                return "-inf" if v < 0 else ("inf" if v > 0 else "n/a")
            return f"{v:.1%}" if share else f"{v:.3g}"

        ci = "" if not math.isfinite(r["ci_low"]) else f" [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]"
        folklore = " (folklore)" if r["grade"] == "untraced folklore" else ""
        rows.append(
            {
                "fact": r["fact"],
                "role": r["role"],
                "range": _range_words(r["low"], r["high"], fmt),
                "value": (fmt(r["value"]) + ci) if math.isfinite(r["value"]) else "n/a",
                "verdict": r["verdict"],
                "source": f"{r['source']}{folklore}",
                "grade": r["grade"],
            }
        )
    return pd.DataFrame(rows)
