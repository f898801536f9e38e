"""Benchmark: parallel efficiency of a sweep on 1 and 2 local processes and a Dask LocalCluster.

One sweep (a grid of price index values, a few replications each, every run about a second) is
timed six ways in the same run:

- a bare loop calling ``simulate`` and ``run_metrics`` (the baseline: no sweep machinery),
  timed in every round like the others, best round reported;
- the sweep in this process (1 worker: what writing, resume and progress cost);
- the sweep on 1 and on 2 spawned local processes;
- the sweep on a Dask LocalCluster of 2 single-threaded workers, with relsim's worker
  settings (``relsim.experiments.backends.QUIET_WORKERS``) and with Dask's defaults.

Parallel efficiency is T(1 worker) / (2 x T(2 workers)), where T(1 worker) is the sweep on one
spawned local process (a fresh worker like the others: the benchmark's own process, which has
run everything before, can be slower or faster than a fresh one), with the start-up of the
workers counted in both (the honest figure for a user) and also given without it. Every
sweep must produce the same numbers; the script checks that too.

    python benchmarks/bench_sweep.py                 # 6 points x 4 replications, 2 rounds
    python benchmarks/bench_sweep.py --points 4 --reps 2 --people 2000
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

SPEC = """name = "bench"
seed = 3
replications = {reps}
outputs = ["profit"]
[design]
method = "grid"
[set]
"simulation.people" = {people}
"simulation.days" = 730
"simulation.warmup_days" = 0
"firms.focal.initial_customers" = {initial}
"firms.rival.initial_customers" = {initial}
[[factors]]
key = "firms.focal.price_index"
values = {values}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=6)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--people", type=int, default=3000)
    ap.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="rounds; each backend's fastest round is reported (a noisy machine "
        "only ever slows a round down)",
    )
    args = ap.parse_args()

    from relsim.analysis.metrics import run_metrics
    from relsim.analysis.simulation import simulate
    from relsim.config.schema import Scenario, validate
    from relsim.experiments.backends import DaskCluster, InProcess, LocalProcesses
    from relsim.experiments.sweeps import (
        load_sweep,
        open_sweep_store,
        plan_sweep,
        read_runs,
        run_sweep,
    )

    tmp = Path(tempfile.mkdtemp(prefix="relsim-bench-sweep-"))
    atexit.register(shutil.rmtree, tmp, True)  # the sweeps' folders go when the script ends
    values = [round(0.9 + 0.2 * i / max(1, args.points - 1), 4) for i in range(args.points)]
    spec = tmp / "bench.toml"
    spec.write_text(
        SPEC.format(
            reps=args.reps, people=args.people, initial=int(0.3 * args.people), values=values
        )
    )
    plan = plan_sweep(load_sweep(spec), spec)
    tasks = len(plan.points) * args.reps
    print(
        f"sweep: {len(plan.points)} points x {args.reps} replications = {tasks} runs "
        f"({args.people} people, 730 days); best of {args.repeats} rounds"
    )

    def bare_loop() -> float:
        t0 = time.perf_counter()
        for rep in range(args.reps):
            for point in range(len(plan.points)):
                sc = validate(plan.scenario_data(point), Scenario)
                run_metrics(sc, simulate(sc, seed=plan.sweep.seed, replication=rep).tables())
        return time.perf_counter() - t0

    bare = float("inf")
    timings: dict[str, tuple[float, float]] = {}
    tables: dict[str, pd.DataFrame] = {}
    backends = [
        ("1 process (in this one)", InProcess),
        # The baseline of the efficiencies: the same kind of fresh worker process as the
        # two-worker sides, so that a long-lived benchmark process does not weigh on it.
        ("1 local process", lambda: LocalProcesses(1)),
        ("2 local processes", lambda: LocalProcesses(2)),
        ("Dask LocalCluster, 2 workers", lambda: DaskCluster(local_workers=2)),
        # Dask's own worker settings, last in each round: its nanny writes its workers'
        # environment (MALLOC_TRIM_THRESHOLD_ among it) into this process's, which is put
        # back afterwards so the next round's local processes do not inherit it.
        ("Dask, its default settings", lambda: DaskCluster(local_workers=2, config={})),
    ]
    for round_ in range(args.repeats):
        bare = min(bare, bare_loop())  # the baseline is best of N too, in the same rounds
        for label, make in backends:
            out = tmp / f"{round_}-{label.replace(' ', '-').replace(',', '').lower()}"
            environ = dict(os.environ)
            t0 = time.perf_counter()
            with make() as backend, open_sweep_store(plan, out) as store:
                started = time.perf_counter()
                run_sweep(plan, store, backend)
                computed = time.perf_counter() - started
            wall = time.perf_counter() - t0
            os.environ.clear()
            os.environ.update(environ)
            best = timings.get(label, (float("inf"), float("inf")))
            timings[label] = (min(best[0], wall), min(best[1], computed))
            tables[f"{round_} {label}"] = read_runs(out)

    first = next(iter(tables.values()))
    same = all(t.equals(first) for t in tables.values())
    serial, serial_run = timings["1 local process"]
    print(
        f"{'how':32s} {'wall s':>8s} {'per run s':>10s} {'efficiency':>11s} {'(no start-up)':>14s}"
    )
    print(f"{'bare loop, no sweep machinery':32s} {bare:8.2f} {bare / tasks:10.3f}")
    for label, (wall, computed) in timings.items():
        workers = 1 if label.startswith("1 ") else 2
        eff = serial / (workers * wall)
        eff_run = serial_run / (workers * computed)
        print(f"{label:32s} {wall:8.2f} {wall / tasks:10.3f} {eff:10.1%} {eff_run:13.1%}")
    in_process = timings["1 process (in this one)"][0]
    print(f"sweep machinery overhead against the bare loop: {in_process / bare - 1:+.1%}")
    local = timings["2 local processes"][0]
    dask = timings["Dask LocalCluster, 2 workers"][0]
    print(f"Dask LocalCluster against 2 local processes: {dask / local - 1:+.1%} wall time")
    print(f"identical tables on every backend: {same}")


if __name__ == "__main__":
    main()
