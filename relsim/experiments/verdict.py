"""The verdict of a comparison: which arm is best on an objective, how sure, and why.

Arms are ranked by the mean of the objective over replications. Because replication *i* of
every arm shares its random streams, the replications also give a direct reading of how
often each arm came out best: the **probability of being best** is the share of replications
in which the arm had the best value (ties shared), the frequentist counterpart of the
"probability of being the best system" of ranking-and-selection (Kim & Nelson 2006,
*Handbooks in OR & MS* 13). Each arm's difference to the leader is paired, and when its
interval still contains zero the arms are not separated: the verdict says so and, from the
spread of the paired differences, about how many replications would separate them if the
difference is as large as estimated (the fixed-width rule of Law 2015, *Simulation Modeling
and Analysis*, 5th ed., section 9.4.1).

Payback and return on investment only mean something for an arm that spends more on the
strategy levers than the reference: :func:`investments` reports them for those arms alone,
with the extra spending they refer to.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsim.analysis.statistics import mean_ci, paired, ratio_ci, replications_needed
from relsim.errors import InputError

#: The default objective: profit over the run plus the equity of the customers left.
DEFAULT_OBJECTIVE = "profit_plus_equity"

#: Cost lines a firm chooses to spend on (the levers), as against running costs that follow
#: from how much it sells (delivery, bonuses, returns, the database, other overheads).
LEVER_LINES = (
    "acquisition",
    "coupons",
    "win_back",
    "sales_managers",
    "service_desk",
    "service_quality",
    "partnership",
    "setup",
)

#: The figures that explain differences between arms, with plain labels.
MECHANISMS = {
    "customers_end": "customers at the end",
    "customer_equity": "customer equity at the end",
    "acquired_paid": "acquired by paid acquisition",
    "acquired_coupon": "acquired with coupons",
    "acquired_referral": "acquired by referral",
    "acquired_switch": "won from a rival (switching)",
    "acquired_win_back": "won back",
    "lost_total": "customers lost",
    "contacts_per_customer_year": "contacts per customer-year",
    "account_manager_utilisation": "account manager utilisation",
    "contact_delay_days": "contact delay (days)",
    "defections_neglect_per_customer_year": "neglect defections per customer-year",
    "complaint_wait_days": "complaint wait (days)",
    "complaints_abandoned_share": "complaints abandoned (share)",
    "lost_price": "lost to price comparisons",
    "lost_to_rivals": "lost to the rival(s)",
}


@dataclass(frozen=True)
class Objective:
    """A metric to rank arms by, and whether more is better."""

    metric: str
    larger_is_better: bool = True

    @classmethod
    def parse(cls, text: str, known: Sequence[str]) -> Objective:
        """Read ``METRIC``, ``METRIC:max`` or ``METRIC:min``.

        Raises
        ------
        InputError
            When the metric is not one of ``known`` or the direction is not max or min.
        """
        metric, _, direction = text.partition(":")
        if metric not in known:
            close = [k for k in known if metric and metric in k][:5]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise InputError(
                f"--objective {text}: expected a metric of `relsim compare`'s "
                f"replications.parquet, e.g. {DEFAULT_OBJECTIVE}, npv or customers_end{hint}"
            )
        if direction not in ("", "max", "min"):
            raise InputError(f"--objective {text}: the direction after ':' must be max or min")
        return cls(metric, direction != "min")

    def __str__(self) -> str:
        return self.metric if self.larger_is_better else f"{self.metric}:min"


def _wide(replications: pd.DataFrame, metric: str, arms: Sequence[str]) -> pd.DataFrame:
    """One column per arm, one row per replication every arm finished."""
    wide = replications.pivot(index="replication", columns="arm", values=metric)
    return wide[list(arms)].dropna()


def ranking(replications: pd.DataFrame, arms: Sequence[str], objective: Objective) -> pd.DataFrame:
    """Rank the arms on the objective, best first.

    Parameters
    ----------
    replications : pandas.DataFrame
        One row per arm and replication (``arm, replication`` and the metrics).
    arms : sequence of str
        The arms, the reference first.
    objective : Objective
        What to rank by.

    Returns
    -------
    pandas.DataFrame
        ``rank, arm, n, mean, ci_low, ci_high, p_best`` and, against the leader (the first
        row), the paired ``gap, gap_low, gap_high`` (arm minus leader, so negative when more
        is better), ``separated`` (the gap's interval excludes zero) and
        ``replications_to_separate`` (about how many replications would make the gap's
        interval exclude zero if the gap is as large as estimated; NaN for the leader or a
        separated arm, ``inf`` when the arms never differed).
    """
    wide = _wide(replications, objective.metric, arms)
    sign = 1.0 if objective.larger_is_better else -1.0
    values = wide.to_numpy(dtype=float)
    n = len(wide)
    # Probability of being best: ties in a replication share the win equally.
    best = (sign * values) == (sign * values).max(axis=1, keepdims=True)
    p_best = (best / best.sum(axis=1, keepdims=True)).mean(axis=0) if n else np.full(len(arms), 0.0)
    means = values.mean(axis=0) if n else np.full(len(arms), math.nan)
    order = np.argsort(-sign * means, kind="stable")
    leader = wide.columns[order[0]]
    rows = []
    for rank, k in enumerate(order, start=1):
        arm = wide.columns[k]
        mean, lo, hi = mean_ci(wide[arm].to_numpy())
        row = {
            "rank": rank,
            "arm": arm,
            "n": n,
            "mean": mean,
            "ci_low": lo,
            "ci_high": hi,
            "p_best": float(p_best[k]),
            "gap": math.nan,
            "gap_low": math.nan,
            "gap_high": math.nan,
            "separated": True,
            "replications_to_separate": math.nan,
        }
        if arm != leader:
            d = paired(wide[arm], wide[leader]).to_numpy(dtype=float)
            g, glo, ghi = mean_ci(d)
            separated = bool(glo > 0 or ghi < 0) if math.isfinite(glo) else False
            need = math.nan
            if not separated:
                need = math.inf if g == 0 else replications_needed(d, abs(g))
            row.update(
                gap=g, gap_low=glo, gap_high=ghi, separated=separated, replications_to_separate=need
            )
        rows.append(row)
    return pd.DataFrame(rows)


def mechanism_table(summary: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """Each arm's mean of the :data:`MECHANISMS` figures (rows) side by side (columns)."""
    rows = summary[summary["metric"].isin(MECHANISMS)]
    table = rows.pivot(index="metric", columns="arm", values="mean")
    table = table.reindex([m for m in MECHANISMS if m in table.index])[list(arms)]
    table.index = pd.Index([MECHANISMS[m] for m in table.index])
    table.columns.name = None
    return table


def investments(
    replications: pd.DataFrame,
    ledgers: pd.DataFrame,
    arms: Sequence[str],
    objective: Objective,
) -> pd.DataFrame:
    """Payback and return of every arm that spends more on the levers than the reference.

    An arm qualifies when its extra spending on :data:`LEVER_LINES` against the first arm is
    positive with a paired interval above zero (the same spending in every replication has no
    interval and qualifies when positive). ROI is the ratio of the mean gain in the objective
    to the mean extra spending, with a delta-method interval; payback is when the cumulative
    paired profit difference turns and stays non-negative
    (:func:`relsim.experiments.comparison.payback`).

    Returns
    -------
    pandas.DataFrame
        ``arm, against, extra_spend, extra_spend_low, extra_spend_high, gain, gain_low,
        gain_high, roi, roi_low, roi_high, payback_periods, paid_back_share``.
    """
    from relsim.experiments.comparison import payback

    lines = [c for c in LEVER_LINES if c in replications.columns]
    spend = replications.assign(lever_spend=replications[lines].sum(axis=1))
    base = arms[0]
    rows = []
    for arm in arms[1:]:
        s = _wide(spend, "lever_spend", [arm, base])
        extra = (s[arm] - s[base]).to_numpy(dtype=float)
        e, elo, ehi = mean_ci(extra)
        spends_more = e > 0 and (not math.isfinite(elo) or elo > 0 or np.ptp(extra) == 0)
        if not spends_more:
            continue
        o = _wide(replications, objective.metric, [arm, base])
        gain = (o[arm] - o[base]).to_numpy(dtype=float)
        if not objective.larger_is_better:
            gain = -gain
        g, glo, ghi = mean_ci(gain)
        r, rlo, rhi = ratio_ci(gain, extra)
        pb = payback(ledgers, arm, base)
        rows.append(
            {
                "arm": arm,
                "against": base,
                "extra_spend": e,
                "extra_spend_low": elo,
                "extra_spend_high": ehi,
                "gain": g,
                "gain_low": glo,
                "gain_high": ghi,
                "roi": r,
                "roi_low": rlo,
                "roi_high": rhi,
                "payback_periods": pb["periods"],
                "paid_back_share": pb["paid_back_share"],
            }
        )
    cols = [
        "arm",
        "against",
        "extra_spend",
        "extra_spend_low",
        "extra_spend_high",
        "gain",
        "gain_low",
        "gain_high",
        "roi",
        "roi_low",
        "roi_high",
        "payback_periods",
        "paid_back_share",
    ]
    return pd.DataFrame(rows, columns=cols)
