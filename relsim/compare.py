"""Replicated what-if comparisons with common random numbers.

Every scenario (an *arm*) runs the same replications: replication *i* of every arm draws from
the streams ``SeedSequence(seed, spawn_key=(i, mechanism))`` (:mod:`relsim.streams`), so the
arms meet the same people, the same purchase and failure draws and the same luck, and their
differences are paired: the noise common to both cancels and the interval of a difference is
far narrower than the intervals of the two means. Replications run on local processes; each
one's figures (:func:`relsim.metrics.run_metrics`) and period ledger are written to disk
atomically as soon as it finishes, so an interrupted comparison keeps what it finished and a
rerun computes only the rest. The numbers do not depend on the number of processes.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from relsim.economics import daily_ledger, period_ledger
from relsim.metrics import run_metrics
from relsim.runio import write_file_atomically
from relsim.scenario import Scenario
from relsim.simulation import simulate

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Arm:
    """One scenario of a comparison, under the name its results are filed by."""

    name: str
    scenario: Scenario
    source: str = ""

    def fingerprint(self, seed: int) -> str:
        """A digest of the scenario and seed: stored replications are reused only if it matches."""
        text = json.dumps({"scenario": self.scenario.to_dict(), "seed": seed}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _rep_paths(arm_dir: Path, rep: int) -> tuple[Path, Path]:
    return arm_dir / f"metrics-{rep:05d}.parquet", arm_dir / f"ledger-{rep:05d}.parquet"


def run_replication(arm_name: str, scenario_data: dict[str, Any], seed: int, rep: int,
                    arm_dir: str) -> int:
    """Simulate one replication of one arm and file its figures (runs in a worker process).

    The ledger is written first and the metrics row last: a metrics file on disk means the
    replication is complete.

    Returns
    -------
    int
        ``rep``.
    """
    sc = Scenario.model_validate(scenario_data)
    result = simulate(sc, seed=seed, replication=rep)
    tables = result.tables()
    metrics = run_metrics(sc, tables)
    ledger = period_ledger(daily_ledger(sc, tables, sc.market.focal), sc.economics.period)
    metrics_path, ledger_path = _rep_paths(Path(arm_dir), rep)
    ledger.insert(0, "replication", rep)
    ledger.insert(0, "arm", arm_name)
    write_file_atomically(ledger_path, lambda p: ledger.to_parquet(p, index=False))
    row = pd.DataFrame([{"arm": arm_name, "replication": rep, **metrics}])
    write_file_atomically(metrics_path, lambda p: row.to_parquet(p, index=False))
    return rep


def _prepare_arm_dir(out: Path, arm: Arm, seed: int) -> Path:
    arm_dir = out / "reps" / arm.name
    stamp = arm_dir / "arm.json"
    fp = arm.fingerprint(seed)
    if arm_dir.exists():
        try:
            same = json.loads(stamp.read_text()).get("fingerprint") == fp
        except (OSError, json.JSONDecodeError):
            same = False
        if not same:
            shutil.rmtree(arm_dir)  # results of a different scenario or seed: not reusable
    arm_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"arm": arm.name, "source": arm.source, "seed": seed,
                                 "fingerprint": fp}, indent=2) + "\n")
    return arm_dir


def run_arms(arms: Sequence[Arm], reps: int, seed: int, out: Path, workers: int = 1,
             progress: bool = True,
             on_done: Callable[[str, int], None] | None = None) -> tuple[int, int]:
    """Run ``reps`` replications of every arm, skipping those already on disk.

    Parameters
    ----------
    arms : sequence of Arm
        The scenarios; names must be distinct.
    reps : int
        Replications per arm.
    seed : int
        Root seed shared by every arm (common random numbers).
    out : Path
        Comparison directory; replications go to ``out/reps/<arm>/``.
    workers : int
        Local processes (1 runs in this process).
    progress : bool
        Show a progress bar.
    on_done : callable, optional
        Called with (arm name, replication) as each one finishes.

    Returns
    -------
    tuple of int
        Replications computed now, and replications found already finished.
    """
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise ValueError(f"arm names must be distinct, got {names}")
    todo: list[tuple[Arm, int, Path]] = []
    found = 0
    for arm in arms:
        arm_dir = _prepare_arm_dir(out, arm, seed)
        for rep in range(reps):
            if _rep_paths(arm_dir, rep)[0].exists():
                found += 1
            else:
                todo.append((arm, rep, arm_dir))
    # Replication-major order: the first replications of every arm finish first, so an
    # interrupted comparison still has paired results.
    todo.sort(key=lambda t: (t[1], names.index(t[0].name)))
    from tqdm import tqdm

    bar = tqdm(total=len(todo) + found, initial=found, unit="run", desc="replications",
               disable=not progress or None, leave=False)
    try:
        if workers <= 1:
            for arm, rep, arm_dir in todo:
                run_replication(arm.name, arm.scenario.to_dict(), seed, rep, str(arm_dir))
                bar.update()
                if on_done:
                    on_done(arm.name, rep)
        else:
            ctx = get_context("spawn")  # no fork: pyarrow and BLAS threads do not survive it
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                pending = {pool.submit(run_replication, arm.name, arm.scenario.to_dict(), seed,
                                       rep, str(arm_dir)): arm.name
                           for arm, rep, arm_dir in todo}
                try:
                    while pending:
                        done, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for fut in done:
                            name = pending.pop(fut)
                            rep = fut.result()
                            bar.update()
                            if on_done:
                                on_done(name, rep)
                except BaseException:
                    for fut in pending:
                        fut.cancel()
                    raise
    finally:
        bar.close()
    return len(todo), found


def load_replications(out: Path, arms: Sequence[Arm], reps: int) -> tuple[pd.DataFrame,
                                                                          pd.DataFrame]:
    """The finished replications' figures and ledgers of the given arms, in a fixed order."""
    metric_frames, ledger_frames = [], []
    for arm in arms:
        arm_dir = out / "reps" / arm.name
        for rep in range(reps):
            mpath, lpath = _rep_paths(arm_dir, rep)
            if mpath.exists():
                metric_frames.append(pd.read_parquet(mpath))
                ledger_frames.append(pd.read_parquet(lpath))
    if not metric_frames:
        return pd.DataFrame(), pd.DataFrame()
    return (pd.concat(metric_frames, ignore_index=True),
            pd.concat(ledger_frames, ignore_index=True))


def mean_ci(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replications (NaNs dropped)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(v.mean())
    if n == 1:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def summarize(replications: pd.DataFrame, baseline: str,
              metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Each arm's mean and 95% interval per metric, and its paired difference to ``baseline``.

    Differences pair replication *i* of the arm with replication *i* of the baseline (common
    random numbers), so their interval is that of the mean of the paired differences.

    Returns
    -------
    pandas.DataFrame
        ``arm, metric, n, mean, ci_low, ci_high, diff, diff_low, diff_high, diff_pct``.
    """
    cols = [c for c in replications.columns if c not in ("arm", "replication")]
    if metrics is not None:
        cols = [c for c in cols if c in set(metrics)]
    base = replications[replications["arm"] == baseline].set_index("replication")
    rows = []
    for arm, df in replications.groupby("arm", sort=False):
        df = df.set_index("replication")
        paired = df.index.intersection(base.index)
        for col in cols:
            mean, lo, hi = mean_ci(df[col].to_numpy())
            if arm == baseline:
                d = (math.nan, math.nan, math.nan)
            else:
                d = mean_ci((df.loc[paired, col] - base.loc[paired, col]).to_numpy())
            bmean = float(base[col].mean()) if len(base) else math.nan
            rows.append({"arm": arm, "metric": col, "n": int(df[col].notna().sum()),
                         "mean": mean, "ci_low": lo, "ci_high": hi,
                         "diff": d[0], "diff_low": d[1], "diff_high": d[2],
                         "diff_pct": d[0] / abs(bmean) if bmean else math.nan})
    return pd.DataFrame(rows)


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
        df = ledgers[ledgers["arm"] == name].pivot(index="period", columns="replication",
                                                   values="profit")
        return df.cumsum()

    a, b = cum(arm), cum(baseline)
    reps = a.columns.intersection(b.columns)
    diff = a[reps] - b[reps]
    rows = [dict(zip(("mean", "ci_low", "ci_high"), mean_ci(diff.loc[p].to_numpy()),
                     strict=True)) for p in diff.index]
    path = pd.DataFrame(rows, index=diff.index).reset_index()
    per_rep = np.array([_payback_period(diff[r].to_numpy()) for r in diff.columns])
    share = float(np.isfinite(per_rep).mean()) if len(per_rep) else math.nan
    return {"periods": _payback_period(path["mean"].to_numpy()), "paid_back_share": share,
            "path": path, "per_replication": per_rep}


def _payback_period(cumulative: np.ndarray) -> float:
    """First period (1-based) from which a cumulative difference stays at or above zero."""
    if not len(cumulative) or cumulative[-1] < 0:
        return math.nan
    below = np.flatnonzero(cumulative < 0)
    return float(below[-1] + 2) if len(below) else 1.0


def roi(replications: pd.DataFrame, arm: str, baseline: str) -> tuple[float, float, float]:
    """Return on the arm's extra spending: paired (profit gain / extra costs), mean and interval.

    Replications in which the arm spends no more than the baseline have no ROI and are left out.
    """
    a = replications[replications["arm"] == arm].set_index("replication")
    b = replications[replications["arm"] == baseline].set_index("replication")
    reps = a.index.intersection(b.index)
    extra = a.loc[reps, "total_costs"] - b.loc[reps, "total_costs"]
    gain = a.loc[reps, "profit"] - b.loc[reps, "profit"]
    ok = extra > 0
    return mean_ci((gain[ok] / extra[ok]).to_numpy())
