"""Benchmark: parallel efficiency of a sweep on 1 and 2 local processes and a Dask LocalCluster.

One sweep (a grid of price index values, a few replications each, every run about a second) is
timed several ways in the same run:

- a bare loop calling ``simulate`` and ``run_metrics`` (the baseline: no sweep machinery);
- the sweep in this process (1 worker: what writing, resume and progress cost);
- the sweep on 1 and on 2 spawned local processes;
- the sweep on a Dask LocalCluster of 2 single-threaded workers, with relsim's worker
  settings (``relsim.experiments.backends.QUIET_WORKERS``), and (``--dask-defaults``) with
  Dask's own.

Parallel efficiency is T(1 worker) / (2 x T(2 workers)), where T(1 worker) is the sweep on one
spawned local process (a fresh worker like the others: the benchmark's own process, which has
run everything before, can be slower or faster than a fresh one), with the start-up of the
workers counted in both (the honest figure for a user) and also given without it.

This machine's speed drifts by 10-20% over minutes, more than the differences measured, so
every round runs every side once, in an order rotated from round to round and reversed every
other round (no side is always first, last, or after the same side), and the two 2-worker
sides then run again at the end of the round, in turn (``--pair-runs``), because theirs is
the closest comparison. The comparisons are given two ways: the best run of each side (best
of N; the efficiencies from each side's first run of a round, so that every side has had the
same number of tries), and the ratio of two sides within each round (paired: both saw the
same minutes of the machine), as the median and the range over the rounds. Every sweep must
produce the same numbers; the script checks that too.

    python benchmarks/bench_sweep.py                 # 6 points x 8 replications, 3 rounds
    python benchmarks/bench_sweep.py --points 4 --reps 2 --people 2000 --repeats 2
"""

from __future__ import annotations

import argparse
import atexit
import os
import resource
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


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user and system) of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=6)
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--people", type=int, default=3000)
    ap.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="rounds; each side runs once a round, in a rotated order",
    )
    ap.add_argument(
        "--dask-defaults",
        action="store_true",
        help="also time a Dask LocalCluster with Dask's own worker settings",
    )
    ap.add_argument(
        "--pair-runs",
        type=int,
        default=2,
        help="runs of each 2-worker side a round (the Dask-against-local comparison)",
    )
    args = ap.parse_args()
    if args.repeats < 1 or args.pair_runs < 1:
        ap.error("--repeats and --pair-runs must be at least 1")

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

    backends = [
        ("1 process (in this one)", InProcess),
        # The baseline of the efficiencies: the same kind of fresh worker process as the
        # two-worker sides, so that a long-lived benchmark process does not weigh on it.
        ("1 local process", lambda: LocalProcesses(1)),
        ("2 local processes", lambda: LocalProcesses(2)),
        ("Dask LocalCluster, 2 workers", lambda: DaskCluster(local_workers=2)),
    ]
    if args.dask_defaults:
        # Dask's own worker settings. Its nanny writes its workers' environment
        # (MALLOC_TRIM_THRESHOLD_ among it) into this process's, which is put back after
        # every side so that the next one does not inherit it.
        backends.append(
            ("Dask, its default settings", lambda: DaskCluster(local_workers=2, config={}))
        )
    bare_label = "bare loop, no sweep machinery"
    sides = [bare_label, *(label for label, _ in backends)]
    make_of = dict(backends)
    one, local, dask = "1 local process", "2 local processes", "Dask LocalCluster, 2 workers"

    def run_side(label: str, name: str) -> tuple[float, float]:
        """One sweep on one side: (wall with start-up and shut-down, the sweep alone)."""
        if label == bare_label:
            seconds = bare_loop()
            return seconds, seconds
        out = tmp / name
        environ = dict(os.environ)
        cpu0 = cpu_seconds()
        t0 = time.perf_counter()
        with make_of[label]() as backend, open_sweep_store(plan, out) as store:
            if not isinstance(backend, InProcess):
                # Start-up is the same thing on every side: the worker processes are up
                # (a process pool spawns its workers at the first tasks, Dask beforehand).
                ready = [backend.submit(os.getpid) for _ in range(backend.workers)]
                while ready:
                    done = backend.wait_any(ready)
                    ready = [f for f in ready if f not in done]
            started = time.perf_counter()
            run_sweep(plan, store, backend)
            computed = time.perf_counter() - started
        wall = time.perf_counter() - t0
        # The workers have been waited for when the backend closed, so their CPU time is in
        # RUSAGE_CHILDREN (start-up, imports and shut-down included).
        cpu_of[label].append(tuple(b - a for a, b in zip(cpu0, cpu_seconds(), strict=True)))
        os.environ.clear()
        os.environ.update(environ)
        tables[name] = read_runs(out)
        shutil.rmtree(out)
        return wall, computed

    # cpu_of[side] = [(CPU seconds of this process, of the workers), ...]
    cpu_of: dict[str, list[tuple[float, ...]]] = {label: [] for label in sides}
    # rounds[r][side] = [(wall with start-up, sweep alone), ...]: one run of every side, the
    # two 2-worker sides --pair-runs times.
    rounds: list[dict[str, list[tuple[float, float]]]] = []
    tables: dict[str, pd.DataFrame] = {}
    for round_ in range(args.repeats):
        # Rotated, and reversed every other round, so that no side always follows another:
        # run in a fixed order, Dask always came right after the two local processes and
        # measured 11-21% slower; in this order the sign of the difference varies.
        shift = round_ % len(sides)
        order = sides[shift:] + sides[:shift]
        order = order[::-1] if round_ % 2 else order
        # The two 2-worker sides run again at the end of the round, in turn and each time in
        # the order opposite to the last (A B ... B A A B ...), so that both meet the same
        # minutes of the machine as often.
        pair = [label for label in order if label in (local, dask)]
        for _ in range(args.pair_runs - 1):
            pair = pair[::-1]
            order = order + pair
        times: dict[str, list[tuple[float, float]]] = {label: [] for label in sides}
        for k, label in enumerate(order):
            name = f"{round_}-{k}-{label.replace(' ', '-').replace(',', '').lower()}"
            times[label].append(run_side(label, name))
        rounds.append(times)
        print(
            f"round {round_ + 1}: "
            + ", ".join(
                f"{label} " + " / ".join(f"{wall:.1f}" for wall, _ in times[label]) + " s"
                for label in sides
            ),
            flush=True,
        )

    def best(label: str, part: int = 0, first: bool = False) -> float:
        """The best run of a side over all rounds (``first``: each round's first run only)."""
        return min(t[part] for r in rounds for t in (r[label][:1] if first else r[label]))

    def total(r: dict[str, list[tuple[float, float]]], label: str, part: int = 0) -> float:
        return sum(t[part] for t in r[label])

    def paired(values: list[float]) -> str:
        v = sorted(values)
        mid = (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2
        return f"{mid:7.1%} (range {v[0]:.1%} to {v[-1]:.1%})"

    first_table = next(iter(tables.values()))
    same = all(t.equals(first_table) for t in tables.values())
    print(
        f"\n{'best of ' + str(args.repeats) + ' rounds':32s} {'wall s':>8s} {'per run s':>10s} "
        f"{'efficiency':>11s} {'(no start-up)':>14s}"
    )
    for label in sides:
        # Every side by its best first run of a round: the same number of tries on every side.
        wall, computed = best(label, first=True), best(label, 1, first=True)
        if label == bare_label:
            print(f"{label:32s} {wall:8.2f} {wall / tasks:10.3f}")
            continue
        workers = 1 if label.startswith("1 ") else 2
        eff = best(one) / (workers * wall)
        eff_run = best(one, 1) / (workers * computed)
        print(f"{label:32s} {wall:8.2f} {wall / tasks:10.3f} {eff:10.1%} {eff_run:13.1%}")
    print(
        f"sweep machinery overhead against the bare loop: "
        f"{best(backends[0][0]) / best(bare_label) - 1:+.1%} (best of each)"
    )
    runs = args.repeats * args.pair_runs
    print(
        f"\nDask LocalCluster against 2 local processes, best of {runs} runs of each: "
        f"{best(dask) / best(local) - 1:+.1%} wall ({best(dask):.2f} s against "
        f"{best(local):.2f} s), {best(dask, 1) / best(local, 1) - 1:+.1%} the sweep alone"
    )
    print(f"\npaired within each round, median of {args.repeats}:")
    lines = {
        "parallel efficiency, 2 local processes": [
            r[one][0][0] / (2 * r[local][0][0]) for r in rounds
        ],
        "parallel efficiency, Dask LocalCluster": [
            r[one][0][0] / (2 * r[dask][0][0]) for r in rounds
        ],
        "Dask against 2 local processes, wall": [
            total(r, dask) / total(r, local) - 1 for r in rounds
        ],
        "the same, the sweep alone (no start-up)": [
            total(r, dask, 1) / total(r, local, 1) - 1 for r in rounds
        ],
    }
    for what, values in lines.items():
        print(f"  {what + ':':41s} {paired(values)}")
    fixed = {}
    for label in (local, dask):
        walls = sorted(t[0] - t[1] for r in rounds for t in r[label])
        fixed[label] = f"{walls[len(walls) // 2]:.2f} s median ({walls[0]:.2f} s at best)"
    print(f"  {'start-up and shut-down, 2 local processes:':41s} {fixed[local]}")
    print(f"  {'the same, Dask LocalCluster:':41s} {fixed[dask]}")
    print("\nCPU seconds a sweep, median (this process / the workers, start-up included):")
    for label in sides[1:]:
        main_cpu = sorted(c[0] for c in cpu_of[label])
        workers_cpu = sorted(c[1] for c in cpu_of[label])
        print(
            f"  {label + ':':41s} {main_cpu[len(main_cpu) // 2]:6.2f} / "
            f"{workers_cpu[len(workers_cpu) // 2]:6.2f}"
        )
    print(f"identical tables on every backend: {same}")


if __name__ == "__main__":
    main()
