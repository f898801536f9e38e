"""The verdict of a comparison in words: the console's opening lines and the report's."""

from __future__ import annotations

import math

import pandas as pd

from relsim.experiments.verdict import Objective
from relsim.reporting.style import label
from relsim.reporting.style import number as plain_number

#: Plain descriptions of the objectives people usually choose.
OBJECTIVE_TEXT = {
    "profit_plus_equity": "profit over the run plus the equity of the customers left at its end",
    "npv_plus_equity": "NPV of the run's profit plus the equity of the customers left, "
    "discounted to the start",
    "profit": "profit over the run (the customers left at the end count for nothing)",
    "npv": "NPV of the run's profit (the customers left at the end count for nothing)",
}


def number(v: float) -> str:
    """A figure for reading: thousands separated, four significant digits below 1000."""
    if v is None or not math.isfinite(v):
        return "n/a" if v is None or math.isnan(v) else ("inf" if v > 0 else "-inf")
    return plain_number(v)


def interval(mean: float, low: float, high: float) -> str:
    """``mean [low, high]``, or the mean alone when there is no interval."""
    if not (math.isfinite(low) and math.isfinite(high)) or low == high:
        return number(mean)
    return f"{number(mean)} [{number(low)}, {number(high)}]"


def verdict_lines(
    ranking: pd.DataFrame, objective: Objective, name: str | None = None
) -> list[str]:
    """The ranking and, for arms not separated from the leader, how many replications would.

    Parameters
    ----------
    ranking : pandas.DataFrame
        From :func:`relsim.experiments.verdict.ranking`.
    objective : Objective
        What the arms were ranked by.
    name : str, optional
        The objective in words (default: its metric's code name, as typed on the command line).

    Returns
    -------
    list of str
        Lines without trailing newlines; the first is the heading.
    """
    if ranking.empty:
        return []
    n = int(ranking["n"].iloc[0])
    better = "higher" if objective.larger_is_better else "lower"
    what = OBJECTIVE_TEXT.get(objective.metric, label(objective.metric))
    name = name or objective.metric
    lines = [
        f"Verdict on {name} ({what}; {better} is better), mean and 95% interval "
        f"over {n} replications:"
    ]
    leader = ranking["arm"].iloc[0]
    width = max(len(a) for a in ranking["arm"])
    for _, r in ranking.iterrows():
        value = interval(r["mean"], r["ci_low"], r["ci_high"])
        line = (
            f"  {int(r['rank'])}. {r['arm']:<{width}}  {value}; best in {r['p_best']:.0%} of "
            "replications"
        )
        if r["arm"] != leader:
            line += f"; {interval(r['gap'], r['gap_low'], r['gap_high'])} against {leader}"
        lines.append(line)
    for _, r in ranking.iloc[1:].iterrows():
        if r["separated"]:
            continue
        need = r["replications_to_separate"]
        if math.isinf(need):
            lines.append(
                f"  {r['arm']} and {leader} gave the same {name} in every "
                "replication: nothing separates them."
            )
        elif n < 2:
            lines.append(
                f"  Too few replications: with {n} there is no interval; run at least 2 "
                f"(--reps) to see whether {r['arm']} and {leader} differ."
            )
        else:
            lines.append(
                f"  Too few replications to tell {r['arm']} from {leader}: the interval of their "
                f"difference contains 0. About {number(need)} replications would separate them "
                f"if the difference is as large as estimated (now {n}; rerun with --reps "
                f"{number(need)} and the same --out: finished replications are kept)."
            )
    return lines


def investment_lines(
    investments: pd.DataFrame,
    reference: str,
    objective: Objective,
    period: str = "period",
    name: str | None = None,
) -> list[str]:
    """Payback and ROI of the arms that spend more on the levers than ``reference``.

    ``period`` names the ledger's period (month, quarter or year) the payback is counted in;
    ``name`` the objective (default: its metric's code name, as typed on the command line).
    """
    name = name or objective.metric
    if investments.empty:
        return [
            f"No arm spends more on the strategy levers than {reference}: no payback or return "
            "on investment to report."
        ]
    lines = [
        f"Investments (arms spending more on the strategy levers than {reference}; ROI is the "
        f"gain in {name} per unit of extra spending):"
    ]
    for _, r in investments.iterrows():
        extra = interval(r["extra_spend"], r["extra_spend_low"], r["extra_spend_high"])
        gain = interval(r["gain"], r["gain_low"], r["gain_high"])
        roi = interval(r["roi"], r["roi_low"], r["roi_high"])
        if pd.notna(r["payback_periods"]):
            pb = f"profit pays back in {period} {number(r['payback_periods'])} of the run"
        else:
            pb = "profit does not pay back within the run"
        share = r["paid_back_share"]
        lines.append(
            f"  {r['arm']}: spends {extra} more; gains {gain}; ROI {roi}; {pb} "
            f"({share:.0%} of replications paid back)"
        )
    return lines


def mechanism_text(table: pd.DataFrame) -> str:
    """The mechanism table with readable numbers."""
    return table.map(number).to_string()
