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
alone. The measures that are not plain run figures are computed in
:mod:`relsim.analysis.patterns`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from relsim.analysis.metrics import metric_names, run_metrics
from relsim.config.targets import Fact


def check_measures(facts: list[Fact], where: str) -> None:
    """Raise ``CalibrationError`` naming the first fact whose measure relsim does not measure."""
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
    from relsim.analysis.statistics import HELD, IN_RANGE, mean_ci, range_verdict
    from relsim.config.sources import source

    mean, lo, hi = mean_ci(values)
    verdict = range_verdict(fact.low, fact.high, mean, lo, hi)  # one run: a point's verdict
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
        "holds": verdict in (HELD, IN_RANGE),
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
