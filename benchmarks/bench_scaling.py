"""Benchmark: how the cost of a run grows with the market.

``relsim run --no-report`` of each scenario (by default the exclusive default market and the
repertoire market of five grocery stores, ``relsim:grocery_inputs``) scaled to each size
(people, initial customers, acquisition budgets, account managers and desk staff in
proportion, as ``bench_simulation.py`` scales it), each in a fresh process, best of
``--repeats``. Printed per size: wall time and peak memory (the process's maximum resident
set, from ``wait4``), and both per simulated person-year (people x years simulated, warm-up
included) and per purchase in the measured window. Close to linear means the per-unit
figures stay flat as the market grows; the fixed cost of starting Python and importing the
libraries shows at the small end.

    python benchmarks/bench_scaling.py                         # 1k, 10k and 100k people
    python benchmarks/bench_scaling.py --sizes 1000 10000 100000 1000000 --repeats 1
    python benchmarks/bench_scaling.py --scenarios relsim:baseline --sizes 10000

Every market runs over the default market's horizon (one year of warm-up, three measured).
The two markets differ in how many purchases a person makes a year (a repertoire market's
people all shop; in the exclusive one those between firms buy nothing), so compare them per
purchase (us/purchase, B/purchase), the unit the issue's budget is stated in.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_simulation import scaled_overrides  # noqa: E402


def run_once(scenario: str, people: int, out: Path) -> dict:
    """One ``relsim run`` in a child process: wall seconds, peak RSS, and the run's size."""
    import relsim

    # Every market over the default market's horizon (warm-up and measured days), so that a
    # purchase costs the same share of warm-up in each.
    sim = relsim.load_scenario().simulation
    horizon = [f"simulation.days={sim.days}", f"simulation.warmup_days={sim.warmup_days}"]
    sets = [x for kv in [*scaled_overrides(people, scenario), *horizon] for x in ("--set", kv)]
    cmd = [sys.executable, "-m", "relsim.cli", "run", scenario, "--no-report", "--out", str(out)]
    cmd += sets
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"relsim run failed for {people} people:\n{err[-2000:]}")
    meta = json.loads((out / "manifest.json").read_text())
    sim = meta["scenario"]["simulation"]
    years = (sim["days"] + sim.get("warmup_days", 0)) / 365.0
    return {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,
        "person_years": people * years,
        "purchases": int(meta["rows"]["transactions"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--scenarios", nargs="+", default=["relsim:baseline", "relsim:grocery_inputs"])
    args = ap.parse_args()
    print(
        f"{'scenario':<22s} {'people':>9s} {'purchases':>11s} {'wall s':>8s} {'peak MB':>8s} "
        f"{'ms/person-yr':>12s} {'kB/person-yr':>12s} {'us/purchase':>11s} {'B/purchase':>10s}"
    )
    with tempfile.TemporaryDirectory(prefix="relsim-bench-scaling-") as tmp:
        for scenario, people in ((sc, n) for n in args.sizes for sc in args.scenarios):
            where = Path(tmp) / scenario.replace(":", "_")
            runs = [
                run_once(scenario, people, where / f"{people}-{i}") for i in range(args.repeats)
            ]
            best = min(runs, key=lambda r: r["seconds"])
            peak = min(r["peak_mb"] for r in runs)
            py, n = best["person_years"], best["purchases"]
            print(
                f"{scenario:<22s} {people:9,d} {n:11,d} {best['seconds']:8.1f} {peak:8.0f} "
                f"{1000 * best['seconds'] / py:12.2f} {1024 * peak / py:12.1f} "
                f"{1e6 * best['seconds'] / n:11.2f} {peak * 2**20 / n:10.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
