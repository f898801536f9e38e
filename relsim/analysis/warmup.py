"""Warm-up: where a run's initial transient ends, by MSER-5.

MSER-5 (White 1997; White, Cobb & Spratt 2000; Franklin & White 2008) batches a series into
means of 5 observations, ``Z_1 .. Z_k``, and truncates the first ``d`` batches that minimise

    MSER(d) = sum_{j > d} (Z_j - mean(Z_{d+1..k}))^2 / (k - d)^2,

searching ``d`` over the first half of the series (a minimum in the second half means the
series has no steady state within the run). relsim applies it to each firm's number of
customers on each rung, day by day from the start of the warm-up.

On one run MSER-5 is information, not a verdict: on a stationary stock that wanders slowly
(a rung's head count, say) it often settles on a dip of the noise, deep in the run. Hoad,
Robinson & Davies (2010, *Journal of the Operational Research Society* 61, 1389-1403) apply it
to the mean of several replications, which averages that wandering away and leaves the
transient. Averaging does not help against the wandering itself, though: the mean of
independent stationary series is the same kind of series, scaled, and MSER-5 does not depend
on scale. So a study (``relsim compare``, ``experiment``, ``calibrate``) judges the
warm-up with a test that the wandering cannot fool: :func:`replication_warmup` sets each
replication's first fifth of the measured window against the rest and tests the mean
difference over the independent replications, and the study warns only when that bias is
beyond chance.
"""

from __future__ import annotations

import math
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
    d, steady = mser_of_batches(batch_means(x, batch))
    return d * batch, steady


def batch_means(series: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """Means of consecutive batches of ``batch`` observations (a last partial batch dropped)."""
    x = np.asarray(series, dtype=float)
    k = len(x) // batch
    return x[: k * batch].reshape(k, batch).mean(axis=1)


def mser_of_batches(z: np.ndarray) -> tuple[int, bool]:
    """The MSER truncation point, in batches, of a series of batch means.

    Returns the number of leading batches to truncate and whether the minimum lies in the
    first half (see :func:`mser5`).
    """
    z = np.asarray(z, dtype=float)
    k = len(z)
    if k < 4:
        return 0, False
    # Sums over the tail z[d:], for every d at once, from reversed cumulative sums.
    tail_n = np.arange(k, 0, -1, dtype=float)
    tail_sum = np.cumsum(z[::-1])[::-1]
    tail_sq = np.cumsum((z * z)[::-1])[::-1]
    sse = tail_sq - tail_sum**2 / tail_n
    mser = sse / tail_n**2
    half = k // 2
    d = int(np.argmin(mser[: half + 1]))
    return d, d < half


@dataclass(frozen=True)
class WarmupCheck:
    """MSER-5 truncation points of a run's (or a study's) key series, against its warm-up."""

    warmup_days: float
    points: pd.DataFrame  # firm, series, truncation_day, steady
    #: The series' 5-day batch means (firm, series, batch, day, mean), for averaging over
    #: replications (:func:`replication_warmup`).
    batches: pd.DataFrame | None = None

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
        on = "MSER-5 on this run"
        if late.empty:
            return (
                f"warm-up of {self.warmup_days:g} days covers the truncation points of {on} "
                f"(latest day {self.longest:g})"
            )
        worst = late.sort_values("truncation_day").iloc[-1]
        where = (
            f"{len(late)} series (latest: {worst['firm']} {worst['series']}, day "
            f"{worst['truncation_day']:g}{'' if worst['steady'] else ', not steady'})"
        )
        return (
            f"warm-up of {self.warmup_days:g} days; {on} cuts later for {where}: "
            "information, not a verdict (one run's MSER-5 also cuts at dips of a stock "
            "that wanders; `relsim compare` with 3 or more replications tests the warm-up)"
        )


def warmup_check(
    snapshots: pd.DataFrame, firm_names: list[str], warmup_days: float, series: list[str]
) -> WarmupCheck:
    """MSER-5 on each firm's daily series of one run, from the start of the warm-up to the end.

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

    Returns
    -------
    WarmupCheck
        Information (``basis`` "one run"), with the batch means a study averages.
    """
    batches = []
    for idx, own in snapshots.groupby("firm_index", sort=True):
        own = own.sort_values("day")
        days = own["day"].to_numpy(dtype=float)
        for col in series:
            z = batch_means(own[col].to_numpy())
            batches.append(
                pd.DataFrame(
                    {
                        "firm": firm_names[int(idx)],
                        "series": col,
                        "batch": np.arange(len(z), dtype=np.int32),
                        "day": days[: len(z) * BATCH : BATCH],
                        "mean": z,
                    }
                )
            )
    frame = (
        pd.concat(batches, ignore_index=True)
        if batches
        else pd.DataFrame(columns=["firm", "series", "batch", "day", "mean"])
    )
    rows = []
    for (firm, col), own in frame.groupby(["firm", "series"], sort=False):
        d, steady = mser_of_batches(own["mean"].to_numpy())
        day = float(own["day"].iloc[d]) if len(own) else 0.0
        rows.append({"firm": firm, "series": col, "truncation_day": day, "steady": steady})
    points = pd.DataFrame(rows, columns=["firm", "series", "truncation_day", "steady"])
    return WarmupCheck(warmup_days, points, frame)


#: The first share of the measured window that the bias test sets against the rest.
HEAD_SHARE = 0.2


@dataclass(frozen=True)
class WarmupVerdict:
    """Whether a scenario's warm-up leaves a bias its replications can detect.

    ``tests`` has a row per firm and series: the mean over replications of the difference
    between the series' mean over the first fifth of the measured window and over the rest,
    its standard error, the t statistic, the two-sided p-value and MSER-5's truncation day on
    the replications' mean series (where the transient ends, if there is one).
    """

    warmup_days: float
    replications: int
    alpha: float
    tests: pd.DataFrame  # firm, series, difference, se, t, p, mser_day

    @property
    def threshold(self) -> float:
        """The p-value below which a series is biased: ``alpha`` over the series tested."""
        return self.alpha / max(len(self.tests), 1)

    @property
    def biased(self) -> pd.DataFrame:
        """The series whose first fifth differs from the rest beyond chance."""
        return self.tests[self.tests["p"] < self.threshold]

    @property
    def short(self) -> bool:
        """Whether the warm-up is too short for some series (never without a verdict)."""
        return self.judged and bool(len(self.biased))

    @property
    def judged(self) -> bool:
        """Whether there were replications enough (3) to judge."""
        return self.replications >= 3 and bool(len(self.tests))

    def message(self) -> str:
        """One line for the console and the manifest."""
        on = (
            f"{self.replications} replications, the first {HEAD_SHARE:.0%} of the window "
            f"against the rest, t-test at {self.alpha:g} over {len(self.tests)} series"
        )
        if not self.judged:
            return f"warm-up of {self.warmup_days:g} days not judged: fewer than 3 replications"
        if not self.short:
            return f"warm-up of {self.warmup_days:g} days: no bias detected ({on})"
        b = self.biased.sort_values("p").iloc[0]
        return (
            f"warm-up of {self.warmup_days:g} days leaves a bias in {len(self.biased)} series "
            f"({on}; largest: {b['firm']} {b['series']}, {b['difference']:+.3g} customers, "
            f"MSER-5 on the mean cuts at day {b['mser_day']:g}); raise simulation.warmup_days"
        )


def replication_warmup(
    batches: pd.DataFrame, warmup_days: float, alpha: float = 0.05
) -> WarmupVerdict:
    """Test a scenario's warm-up for initialisation bias on its replications.

    If the warm-up is long enough, each series is stationary over the measured window, so in
    every replication the mean over the window's first fifth and over the rest have the same
    expectation. The replications are independent, so their differences are too, and a
    two-sided t-test with ``R - 1`` degrees of freedom tests that expectation, whatever the
    series' autocorrelation within a run (the multiple-replication route of Hoad, Robinson &
    Davies 2010, with a test in place of a judgement by eye). The series are tested at
    ``alpha`` over their number (Bonferroni). MSER-5 on the mean of the replications' series
    says where a transient ends.

    Parameters
    ----------
    batches : pandas.DataFrame
        The replications' batch means (:attr:`WarmupCheck.batches` of each, with a
        ``replication`` column), of one scenario.
    warmup_days : float
        The scenario's warm-up.
    alpha : float
        Family-wise false-alarm rate.

    Returns
    -------
    WarmupVerdict
    """
    from scipy import stats

    reps = int(batches["replication"].nunique()) if len(batches) else 0
    rows = []
    for (firm, col), own in batches.groupby(["firm", "series"], sort=False):
        wide = own.pivot_table(index="batch", columns="replication", values="mean").dropna()
        days = own.groupby("batch")["day"].first().reindex(wide.index).to_numpy()
        window = wide[days >= warmup_days].to_numpy()
        d, _ = mser_of_batches(wide.to_numpy().mean(axis=1))
        mser_day = float(days[d]) if len(days) else 0.0
        head = max(int(round(HEAD_SHARE * len(window))), 1)
        if len(window) < 2 * head or reps < 2:
            continue
        diff = window[:head].mean(axis=0) - window[head:].mean(axis=0)
        mean, sd = float(diff.mean()), float(diff.std(ddof=1))
        se = sd / np.sqrt(len(diff))
        if se > 0:
            t = mean / se
            p = float(2 * stats.t.sf(abs(t), len(diff) - 1))
        else:  # a series that never moves (a rung nobody reaches) has no bias
            t, p = (0.0, 1.0) if mean == 0 else (math.copysign(math.inf, mean), 0.0)
        rows.append(
            {
                "firm": firm,
                "series": col,
                "difference": mean,
                "se": se,
                "t": t,
                "p": p,
                "mser_day": mser_day,
            }
        )
    cols = ["firm", "series", "difference", "se", "t", "p", "mser_day"]
    return WarmupVerdict(warmup_days, reps, alpha, pd.DataFrame(rows, columns=cols))
