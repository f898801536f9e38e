"""Warm-up: where a run's initial transient ends, by MSER-5.

MSER-5 (White 1997; White, Cobb & Spratt 2000; Franklin & White 2008) batches a series into
means of 5 observations, ``Z_1 .. Z_k``, and truncates the first ``d`` batches that minimise

    MSER(d) = sum_{j > d} (Z_j - mean(Z_{d+1..k}))^2 / (k - d)^2,

searching ``d`` over the first half of the series (a minimum in the second half means the
series has no steady state within the run). relsim applies it to each firm's number of
customers on each rung, day by day from the start of the warm-up, and warns when the
truncation point falls after the warm-up the scenario chose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BATCH = 5


def mser5(series: np.ndarray, batch: int = BATCH) -> tuple[int, bool]:
    """The MSER-5 truncation point of a series.

    Parameters
    ----------
    series : numpy.ndarray
        Observations in time order (one a day, say).
    batch : int
        Batch size (5 for MSER-5).

    Returns
    -------
    tuple
        The number of leading observations to truncate, and whether the minimum lies in the
        first half of the series (False: no steady state was reached).
    """
    x = np.asarray(series, dtype=float)
    k = len(x) // batch
    if k < 4:
        return 0, False
    z = x[: k * batch].reshape(k, batch).mean(axis=1)
    # Sums over the tail z[d:], for every d at once, from reversed cumulative sums.
    tail_n = np.arange(k, 0, -1, dtype=float)
    tail_sum = np.cumsum(z[::-1])[::-1]
    tail_sq = np.cumsum((z * z)[::-1])[::-1]
    sse = tail_sq - tail_sum**2 / tail_n
    mser = sse / tail_n**2
    half = k // 2
    d = int(np.argmin(mser[: half + 1]))
    return d * batch, d < half


@dataclass(frozen=True)
class WarmupCheck:
    """MSER-5 truncation points of a run's key series, against the warm-up it had."""

    warmup_days: float
    points: pd.DataFrame  # firm, series, truncation_day, steady

    @property
    def longest(self) -> float:
        """The latest truncation point over every series, in days from the run's start."""
        return float(self.points["truncation_day"].max()) if len(self.points) else 0.0

    @property
    def short(self) -> bool:
        """Whether some series settles only after the warm-up ended (or never)."""
        p = self.points
        return bool(len(p)) and bool(
            ((p["truncation_day"] > self.warmup_days) | ~p["steady"]).any()
        )

    def message(self) -> str:
        """One line for the console and the manifest."""
        p = self.points
        late = p[(p["truncation_day"] > self.warmup_days) | ~p["steady"]]
        if late.empty:
            return (
                f"warm-up of {self.warmup_days:g} days covers the MSER-5 truncation points "
                f"(latest day {self.longest:g})"
            )
        worst = late.sort_values("truncation_day").iloc[-1]
        return (
            f"warm-up of {self.warmup_days:g} days is shorter than MSER-5 finds for "
            f"{len(late)} series (latest: {worst['firm']} {worst['series']}, day "
            f"{worst['truncation_day']:g}{'' if worst['steady'] else ', not steady'}); "
            "raise simulation.warmup_days"
        )


def warmup_check(
    snapshots: pd.DataFrame, firm_names: list[str], warmup_days: float, series: list[str]
) -> WarmupCheck:
    """MSER-5 on each firm's daily series, from the start of the warm-up to the end.

    Parameters
    ----------
    snapshots : pandas.DataFrame
        The run's daily snapshots (:func:`relsim.analysis.tables.snapshot_frame`), warm-up
        included, with ``firm_index`` and ``day``.
    firm_names : list of str
        Firm names by index.
    warmup_days : float
        The warm-up the run had.
    series : list of str
        Columns to check (customers on each rung, say).
    """
    rows = []
    for idx, own in snapshots.groupby("firm_index", sort=True):
        own = own.sort_values("day")
        for col in series:
            point, steady = mser5(own[col].to_numpy())
            rows.append(
                {
                    "firm": firm_names[int(idx)],
                    "series": col,
                    "truncation_day": float(own["day"].iloc[point]) if len(own) else 0.0,
                    "steady": steady,
                }
            )
    return WarmupCheck(
        warmup_days, pd.DataFrame(rows, columns=["firm", "series", "truncation_day", "steady"])
    )
