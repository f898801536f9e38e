"""Replicated what-if comparisons with common random numbers: a design on the engine.

Every scenario of a comparison is an *arm*, and every arm runs the same replications:
replication *i* of every arm draws from the streams ``SeedSequence(seed, spawn_key=(i,
mechanism))``, so the arms meet the same people, the same purchase and failure draws and the
same luck, and their differences are paired: the noise common to both cancels and the
interval of a difference is far narrower than the intervals of the two means. The
replications go through :func:`relsim.experiments.engine.execute` into a
:class:`~relsim.experiments.store.Store`, so an interrupted comparison keeps what it finished
and a rerun computes only the rest, on any backend, with the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsim.analysis.statistics import mean_ci, mean_ci_columns, paired
from relsim.analysis.warmup import WarmupVerdict, replication_warmup
from relsim.config.schema import Scenario
from relsim.errors import InputError
from relsim.experiments.backends import Backend
from relsim.experiments.engine import Status, execute, pending_tasks
from relsim.experiments.replication import WARMUP, replicate
from relsim.experiments.store import METRICS, Store, read_table
from relsim.storage.provenance import digest

LEDGER = "ledger"


@dataclass(frozen=True)
class Arm:
    """One scenario of a comparison, under the name its results are filed by."""

    name: str
    scenario: Scenario
    source: str = ""


def fingerprint(arms: Sequence[Arm], seed: int) -> str:
    """A digest of the arms' names and scenarios and the seed: what decides the numbers."""
    return digest({"arms": [[a.name, a.scenario.to_dict()] for a in arms], "seed": seed})


def open_store(
    folder: Path, arms: Sequence[Arm], seed: int, kind: str = "comparison", option: str = "--out"
) -> Store:
    """Open (create or resume) the store of a comparison in ``folder``."""
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise InputError(f"arm names must be distinct, got {names}")
    store = Store(
        folder, kind, fingerprint(arms, seed), (LEDGER, WARMUP, METRICS), option, (WARMUP,)
    )
    return store.open(arms=names, seed=seed)


def run_arms(
    store: Store,
    arms: Sequence[Arm],
    reps: int,
    seed: int,
    backend: Backend | None = None,
    on_progress: Callable[[Status], None] | None = None,
) -> Status:
    """Run ``reps`` replications of every arm into ``store``, skipping those it holds.

    Parameters
    ----------
    store : Store
        From :func:`open_store`.
    arms : sequence of Arm
        The scenarios, the reference first.
    reps : int
        Replications per arm.
    seed : int
        Root seed shared by every arm (common random numbers).
    backend : Backend, optional
        Where to compute (default: this process).
    on_progress : callable, optional
        Progress callback (see :func:`relsim.experiments.engine.execute`).

    Returns
    -------
    Status
    """
    data = [a.scenario.to_dict() for a in arms]
    finished = store.finished()
    found = sum(1 for u, r in finished if u < len(arms) and r < reps)

    def make_call(unit: int, rep: int):
        return replicate, (data[unit], seed, rep)

    def decorate(unit: int, rep: int, tables: dict[str, Any]) -> dict[str, Any]:
        for df in tables.values():
            df.insert(0, "replication", rep)
            df.insert(0, "arm", arms[unit].name)
        return tables

    return execute(
        store,
        pending_tasks(len(arms), reps, finished),
        make_call,
        backend,
        total=len(arms) * reps,
        found=found,
        on_progress=on_progress,
        decorate=decorate,
    )


def load_replications(
    folder: Path, arms: Sequence[Arm], reps: int, focal_only: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The finished replications' figures and ledgers, in arm and replication order.

    Only replications that every arm has finished are kept, so every difference is paired.
    With ``focal_only`` each arm's focal firm alone is kept (one row per arm and replication).
    """
    metrics = read_table(folder, METRICS, range(len(arms)), reps)
    ledgers = read_table(folder, LEDGER, range(len(arms)), reps)
    if metrics.empty:
        return metrics, ledgers
    common = set.intersection(
        *(set(metrics.loc[metrics["arm"] == a.name, "replication"]) for a in arms)
    )
    metrics = metrics[metrics["replication"].isin(common)].reset_index(drop=True)
    ledgers = ledgers[ledgers["replication"].isin(common)].reset_index(drop=True)
    if focal_only:
        return focal_rows(metrics, ledgers, arms)
    return metrics, ledgers


def warmup_checks(
    folder: Path, arms: Sequence[Arm], replications: pd.DataFrame
) -> dict[str, WarmupVerdict]:
    """Each arm's warm-up tested for initialisation bias on its finished replications.

    ``replications`` holds the rows :func:`load_replications` kept (``arm``,
    ``replication``); replications filed before the batch means were kept are left out of
    the test. The false-alarm rate of 5% is shared by every series of every arm (Bonferroni).
    """
    batches = read_table(folder, WARMUP, range(len(arms)))
    out: dict[str, WarmupVerdict] = {}
    if batches.empty or replications.empty:
        return out
    for a in arms:
        kept = set(replications.loc[replications["arm"] == a.name, "replication"])
        own = batches[(batches["arm"] == a.name) & batches["replication"].isin(kept)]
        if len(own):
            out[a.name] = replication_warmup(
                own, float(a.scenario.simulation.warmup_days), alpha=0.05 / len(arms)
            )
    return out


def focal_rows(
    metrics: pd.DataFrame, ledgers: pd.DataFrame, arms: Sequence[Arm]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each arm's focal firm's rows of the figures and ledgers (without the firm columns)."""
    if metrics.empty:
        return metrics, ledgers
    focal = {a.name: a.scenario.market.focal for a in arms}
    metrics = metrics[metrics["firm"] == metrics["arm"].map(focal)]
    ledgers = ledgers[ledgers["firm"] == ledgers["arm"].map(focal)]
    metrics = metrics.drop(columns=["firm", "focal"]).reset_index(drop=True)
    ledgers = ledgers.drop(columns=["firm"]).reset_index(drop=True)
    return metrics, ledgers


def summarize(
    replications: pd.DataFrame, baseline: str, metrics: Sequence[str] | None = None
) -> pd.DataFrame:
    """Each arm's mean and 95% interval per metric, and its paired difference to ``baseline``.

    Differences pair replication *i* of the arm with replication *i* of the baseline (common
    random numbers), so their interval is that of the mean of the paired differences.

    Returns
    -------
    pandas.DataFrame
        ``arm, metric, n, mean, ci_low, ci_high, diff, diff_low, diff_high, diff_pct``.
    """
    cols = [
        c
        for c in replications.columns
        if c not in ("arm", "replication")
        and pd.api.types.is_numeric_dtype(replications[c])
        and not pd.api.types.is_bool_dtype(replications[c])
    ]
    if metrics is not None:
        cols = [c for c in cols if c in set(metrics)]
    base = replications[replications["arm"] == baseline].set_index("replication")[cols]
    bmean = base.mean() if len(base) else pd.Series(math.nan, index=cols)
    frames = []
    for arm, df in replications.groupby("arm", sort=False):
        df = df.set_index("replication")[cols]
        own = mean_ci_columns(df)
        if arm == baseline:
            d = pd.DataFrame(math.nan, index=cols, columns=["mean", "ci_low", "ci_high"])
        else:
            d = mean_ci_columns(paired(df, base))
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(bmean.to_numpy() != 0, d["mean"] / bmean.abs(), math.nan)
        frames.append(
            pd.DataFrame(
                {
                    "arm": arm,
                    "metric": cols,
                    "n": own["n"].to_numpy(dtype=int),
                    "mean": own["mean"].to_numpy(),
                    "ci_low": own["ci_low"].to_numpy(),
                    "ci_high": own["ci_high"].to_numpy(),
                    "diff": d["mean"].to_numpy(),
                    "diff_low": d["ci_low"].to_numpy(),
                    "diff_high": d["ci_high"].to_numpy(),
                    "diff_pct": pct,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def pairwise_differences(replications: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """Paired differences for every ordered pair of arms, every firm and every metric.

    ``replications`` holds one row per arm, replication and firm (``firm`` column). For arms
    *a* and *b* the difference of a metric is the mean over replications of *a*'s value minus
    *b*'s in the same replication (common random numbers), with its 95% interval; a firm is
    compared wherever both arms have it.

    Returns
    -------
    pandas.DataFrame
        ``arm, against, firm, metric, n, mean, ci_low, ci_high``.
    """
    cols = [
        c
        for c in replications.columns
        if c not in ("arm", "replication", "firm", "focal")
        and pd.api.types.is_numeric_dtype(replications[c])
        and not pd.api.types.is_bool_dtype(replications[c])
    ]
    wide = replications.set_index(["arm", "firm", "replication"])[cols].sort_index()
    names = ["arm", "against", "firm", "metric", "n", "mean", "ci_low", "ci_high"]
    frames = []
    for firm in pd.unique(replications["firm"]):
        for a in arms:
            for b in arms:
                if a == b or (a, firm) not in wide.index or (b, firm) not in wide.index:
                    continue
                d = mean_ci_columns(paired(wide.loc[(a, firm)], wide.loc[(b, firm)]))
                frames.append(
                    pd.DataFrame(
                        {
                            "arm": a,
                            "against": b,
                            "firm": firm,
                            "metric": cols,
                            "n": d["n"].to_numpy(dtype=int),
                            "mean": d["mean"].to_numpy(),
                            "ci_low": d["ci_low"].to_numpy(),
                            "ci_high": d["ci_high"].to_numpy(),
                        }
                    )
                )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=names)


def payback(ledgers: pd.DataFrame, arm: str, baseline: str) -> dict[str, Any]:
    """When an arm's extra spending has paid for itself against the baseline.

    The cumulative paired profit difference is averaged over replications; the payback period
    is the first period from which it stays at or above zero to the end of the run.

    Returns
    -------
    dict
        ``periods`` (the payback period of the mean path, counted from the start, 1 = the
        first; NaN if never), ``per_replication`` (each replication's own payback period),
        ``paid_back_share`` (the share of replications that paid back within the run) and
        ``path`` (a DataFrame of the mean cumulative difference and its interval).
    """

    def cum(name: str) -> pd.DataFrame:
        df = ledgers[ledgers["arm"] == name].pivot(
            index="period", columns="replication", values="profit"
        )
        return df.cumsum()

    # replications are the columns here: paired along them
    diff = paired(cum(arm).T, cum(baseline).T).T
    rows = [
        dict(zip(("mean", "ci_low", "ci_high"), mean_ci(diff.loc[p].to_numpy()), strict=True))
        for p in diff.index
    ]
    path = pd.DataFrame(rows, index=diff.index).reset_index()
    per_rep = np.array([_payback_period(diff[r].to_numpy()) for r in diff.columns])
    share = float(np.isfinite(per_rep).mean()) if len(per_rep) else math.nan
    return {
        "periods": _payback_period(path["mean"].to_numpy()),
        "paid_back_share": share,
        "path": path,
        "per_replication": per_rep,
    }


def _payback_period(cumulative: np.ndarray) -> float:
    """First period (1-based) from which a cumulative difference stays at or above zero."""
    if not len(cumulative) or cumulative[-1] < 0:
        return math.nan
    below = np.flatnonzero(cumulative < 0)
    return float(below[-1] + 2) if len(below) else 1.0
