"""Running a sweep: every point times every replication, streamed to a Parquet dataset.

Each finished replication becomes one file ``runs/pPPPPP-rRRRR.parquet`` (one row: the point,
the replication, the factor values and every figure of :func:`relsim.metrics.run_metrics`),
written through a temporary file renamed into place. The files together are one Parquet
dataset: ``pandas.read_parquet(out / "runs")`` or DuckDB's ``read_parquet('runs/*.parquet')``
read it whole. A sweep interrupted in any way (Ctrl-C, a killed worker, a killed process) keeps
every file it finished; rerun with the same file, it computes only the missing ones. Only a
bounded number of tasks is in flight at a time and results go to disk as they arrive, so
memory does not grow with the size of the sweep.
"""

from __future__ import annotations

import json
import re
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from relsim.metrics import run_metrics
from relsim.runio import write_file_atomically
from relsim.scenario import Scenario
from relsim.simulation import package_versions, simulate
from relsim.sweep.backends import Backend, InProcess
from relsim.sweep.spec import SweepError, SweepPlan

RUNS = "runs"
FAILED = "failed"
SPEC_FILE = "sweep.json"
_RUN_NAME = re.compile(r"^p(\d{5,})-r(\d{4,})\.parquet$")
# A worker pool that keeps dying (a replication that exhausts memory, say) is not retried
# for ever.
MAX_RESTARTS = 3


class SweepAbortedError(RuntimeError):
    """The sweep could not go on (its workers keep dying); what finished is kept."""


def simulate_replication(scenario_data: dict[str, Any], seed: int, rep: int) -> dict[str, float]:
    """Simulate one replication of one point and return its figures (runs on a worker).

    Parameters
    ----------
    scenario_data : dict
        The point's scenario as plain data.
    seed : int
        The sweep's root seed; replication ``rep`` draws from ``SeedSequence(seed, (rep, ...))``
        at every point (common random numbers).
    rep : int
        Replication number.

    Returns
    -------
    dict
        :func:`relsim.metrics.run_metrics` of the run, as floats.
    """
    sc = Scenario.model_validate(scenario_data)
    tables = simulate(sc, seed=seed, replication=rep).tables()
    return {k: float(v) for k, v in run_metrics(sc, tables).items()}


def _stem(point: int, rep: int) -> str:
    return f"p{point:05d}-r{rep:04d}"


def run_path(out: Path, point: int, rep: int) -> Path:
    """Where one replication's row is stored."""
    return out / RUNS / f"{_stem(point, rep)}.parquet"


def finished_runs(out: Path) -> set[tuple[int, int]]:
    """The (point, replication) pairs already on disk."""
    found = set()
    runs = out / RUNS
    if runs.is_dir():
        for p in runs.iterdir():
            m = _RUN_NAME.match(p.name)
            if m:
                found.add((int(m.group(1)), int(m.group(2))))
    return found


@dataclass
class SweepStatus:
    """What a call of :func:`run_sweep` did."""

    total: int
    found: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0
    seconds: float = 0.0
    restarts: int = 0


def prepare_output(plan: SweepPlan, out: Path) -> None:
    """Create the results directory, or check that an existing one holds this very sweep.

    Raises
    ------
    SweepError
        If ``out`` holds the results of a different sweep (another scenario, design or seed):
        mixing them would give a dataset that belongs to neither.
    """
    spec_path = out / SPEC_FILE
    if spec_path.exists():
        try:
            old = json.loads(spec_path.read_text())
        except (OSError, json.JSONDecodeError):
            old = {}
        if old.get("fingerprint") != plan.fingerprint:
            raise SweepError(f"{out} holds the results of a different sweep ('{old.get('name')}', "
                             f"fingerprint {old.get('fingerprint')}; this one is "
                             f"{plan.fingerprint}): choose another --out or delete it")
    (out / RUNS).mkdir(parents=True, exist_ok=True)
    for stale in (out / RUNS).glob(".*.partial"):  # left by a process killed mid-write
        stale.unlink(missing_ok=True)
    meta = {"name": plan.sweep.name, "fingerprint": plan.fingerprint, "source": plan.source,
            "points": len(plan.points), "spec": plan.sweep.model_dump(mode="json"),
            "base_scenario": plan.base, "versions": package_versions()}
    write_file_atomically(spec_path, lambda p: p.write_text(json.dumps(meta, indent=2) + "\n"))
    write_file_atomically(out / "points.parquet",
                          lambda p: plan.points.to_parquet(p, index=False))


def _tasks(plan: SweepPlan, reps: int, done: set[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    # Replication-major: an interrupted sweep has whole replications of every point first.
    for rep in range(reps):
        for point in range(len(plan.points)):
            if (point, rep) not in done:
                yield point, rep


def _write_row(plan: SweepPlan, out: Path, point: int, rep: int,
               metrics: dict[str, float]) -> None:
    row = plan.points.iloc[[point]].reset_index(drop=True)
    row.insert(1, "replication", rep)
    row = pd.concat([row, pd.DataFrame([metrics])], axis=1)
    write_file_atomically(run_path(out, point, rep), lambda p: row.to_parquet(p, index=False))
    (out / FAILED / f"{_stem(point, rep)}.txt").unlink(missing_ok=True)


def _write_failure(out: Path, point: int, rep: int, err: BaseException) -> None:
    (out / FAILED).mkdir(exist_ok=True)
    text = "".join(traceback.format_exception(err))
    write_file_atomically(out / FAILED / f"{_stem(point, rep)}.txt",
                          lambda p: p.write_text(text))


def run_sweep(plan: SweepPlan, out: Path, backend: Backend | None = None,
              replications: int | None = None,
              on_progress: Callable[[SweepStatus], None] | None = None) -> SweepStatus:
    """Run every replication of every point that is not on disk yet.

    Parameters
    ----------
    plan : SweepPlan
        The validated sweep.
    out : Path
        Results directory.
    backend : Backend, optional
        Where to compute (default: this process).
    replications : int, optional
        Replications per point (default: the sweep file's).
    on_progress : callable, optional
        Called with the status after every finished or failed replication.

    Returns
    -------
    SweepStatus

    Raises
    ------
    SweepError
        If ``out`` holds a different sweep.
    SweepAbortedError
        If the worker processes keep dying.
    """
    out = Path(out)
    backend = backend or InProcess()
    reps = replications or plan.sweep.replications
    prepare_output(plan, out)
    done = finished_runs(out)
    status = SweepStatus(total=len(plan.points) * reps,
                         found=sum(1 for p, r in done if p < len(plan.points) and r < reps))
    tasks = _tasks(plan, reps, done)
    pending: dict[Any, tuple[int, int]] = {}
    window = 2 * backend.workers + 2
    t0 = time.perf_counter()

    def submit(point: int, rep: int) -> None:
        fut = backend.submit(simulate_replication, plan.scenario_data(point), plan.sweep.seed,
                             rep)
        pending[fut] = (point, rep)

    def fill() -> None:
        while len(pending) < window:
            nxt = next(tasks, None)
            if nxt is None:
                return
            submit(*nxt)

    def report() -> None:
        status.seconds = time.perf_counter() - t0
        status.running = backend.running(pending)
        if on_progress:
            on_progress(status)

    fill()
    while pending:
        for fut in backend.wait_any(pending):
            point, rep = pending.pop(fut)
            try:
                metrics = fut.result()
            except BrokenProcessPool:
                # A worker died (killed, or out of memory): every task in flight is lost with
                # it. Start new workers and submit them again.
                status.restarts += 1
                if status.restarts > MAX_RESTARTS:
                    raise SweepAbortedError(f"worker processes died {status.restarts} times; "
                                     "finished replications are kept, rerun to resume") from None
                lost = [(point, rep), *pending.values()]
                pending.clear()
                backend.restart()
                for task in lost:
                    submit(*task)
                break
            except Exception as err:  # noqa: BLE001 - one failed replication does not stop a sweep
                _write_failure(out, point, rep, err)
                status.failed += 1
            else:
                _write_row(plan, out, point, rep, metrics)
                status.done += 1
            report()
        fill()
    report()
    return status


def read_runs(out: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The sweep's finished replications as one table, ordered by point and replication."""
    runs = Path(out) / RUNS
    if not any(finished_runs(Path(out))):
        return pd.DataFrame()
    df = pd.read_parquet(runs, columns=None if columns is None else
                         ["point", "replication", *columns])
    return df.sort_values(["point", "replication"], ignore_index=True)
