"""Benchmark: how long everyday commands take to start, against bare Python, best of N.

- ``relsim --help`` and ``relsim validate relsim:baseline``, whole commands;
- ``relsim run`` start-up: everything before the first simulated day (the imports the
  command makes, loading the default scenario and its targets, building the market), in a
  fresh interpreter;
- baselines in the same run: ``python -c pass`` and ``python -c "import pandas"``.

    python benchmarks/bench_cli.py --repeats 7
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

RUN_STARTUP = """
from relsim.cli._progress import day_bar
from relsim.config.loading import load_scenario
from relsim.config.targets import default_targets_path, load_targets
from relsim.model.market import Market
from relsim.storage.ownership import check_output
sc = load_scenario()
check_output("results/runs/bench-startup-never-written", "run")
load_targets(default_targets_path())
Market(sc, sc.simulation.seed)
"""


def wall(cmd: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    py = sys.executable
    rows = [
        ("python -c pass", [py, "-c", "pass"]),
        ("python -c 'import pandas'", [py, "-c", "import pandas"]),
        ("relsim --help", [py, "-m", "relsim", "--help"]),
        ("relsim validate relsim:baseline", [py, "-m", "relsim", "validate", "relsim:baseline"]),
        ("relsim run: start-up to day 0", [py, "-c", RUN_STARTUP]),
    ]
    print(f"best of {a.repeats}, wall seconds")
    for label, cmd in rows:
        print(f"  {label:<34} {wall(cmd, a.repeats):6.3f}")


if __name__ == "__main__":
    main()
