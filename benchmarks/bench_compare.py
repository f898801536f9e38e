"""Benchmark: how much of a comparison's time is spent outside the simulations.

The question of the README's worked example (hire two account managers, or double the
acquisition budget?) as a 3-arm, 6-replication comparison of the default scenario on 2
local processes, timed two ways in the same run, best of ``--repeats`` rounds on each side:

- **simulations only**: the same 18 replications (same scenarios, seeds and streams) on a
  pool of 2 spawned processes, each just ``relsim.simulate``: the model and the tables of
  what happened in it (ordinary purchases are drawn in bulk when the transactions table is
  built, so the tables are part of simulating). Also timed: ``Market.run`` alone, the
  model's event loop without any table;
- **relsim compare**: the command itself, into a fresh folder (tables, metrics for every firm,
  customer equity, ledgers, the store, every pair of differences, the verdict, the report).

The share outside the simulations is 1 - T(simulations only) / T(relsim compare), given
against both baselines.

    python benchmarks/bench_compare.py               # 3 arms x 6 replications, 2 rounds
    python benchmarks/bench_compare.py --reps 2 --repeats 1
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ARMS = [
    ("baseline", []),
    ("hire", ["firms.focal.account_managers=5"]),
    ("spend", ["firms.focal.acquisition_budget_per_year=180000"]),
]


def simulate_only(overrides: list[str], seed: int, rep: int, tables: bool) -> float:
    """One replication's simulation (with its tables or without) and nothing else."""
    from relsim.analysis.simulation import result_of
    from relsim.config.loading import load_scenario
    from relsim.model.market import Market

    sc = load_scenario("relsim:baseline", overrides)
    t0 = time.perf_counter()
    market = Market(sc, seed, rep)
    market.run()
    if tables:
        result_of(market)
    return time.perf_counter() - t0


def main() -> None:
    """Time both sides and print the figures."""
    from relsim.cli import main as relsim

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    seed = 20240101
    bare, loop, full = [], [], []
    for rnd in range(args.repeats):
        for with_tables, times in ((True, bare), (False, loop)):
            jobs = [(o, seed, r, with_tables) for _, o in ARMS for r in range(args.reps)]
            t0 = time.perf_counter()
            with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
                list(pool.map(simulate_only, *zip(*jobs, strict=True)))
            times.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            argv = ["compare", "relsim:baseline", "--reps", str(args.reps), "--workers", "2"]
            for name, o in ARMS[1:]:
                argv += [f"--arm={name}:{o[0]}"]
            argv += ["--out", str(Path(tmp) / "cmp")]
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                assert relsim(argv) == 0
            full.append(time.perf_counter() - t0)
        print(
            f"round {rnd + 1}: simulate {bare[-1]:.1f} s, Market.run {loop[-1]:.1f} s, "
            f"relsim compare {full[-1]:.1f} s"
        )
    b, lp, f = min(bare), min(loop), min(full)
    print(
        f"{len(ARMS)} arms x {args.reps} replications of the default scenario on 2 processes, "
        f"best of {args.repeats}:"
    )
    print(f"  simulations (relsim.simulate)       {b:7.1f} s")
    print(f"  the event loop alone (Market.run)   {lp:7.1f} s")
    print(f"  relsim compare (everything)         {f:7.1f} s")
    print(f"  outside the simulations             {1 - b / f:7.1%} (target: at most 10%)")
    print(f"  outside the event loop              {1 - lp / f:7.1%}")


if __name__ == "__main__":
    main()
