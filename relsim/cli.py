"""The ``relsim`` command line: run, validate, facts.

Every command is a thin layer over the Python API; bad input ends with a message naming the
file, the key and what was expected, exit status 2, and nothing written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from relsim.facts import facts_frame, measure
from relsim.runio import RunDirError, read_run, write_run
from relsim.scenario import Scenario, ScenarioError, load_scenario
from relsim.simulation import SimulationResult, simulate

EXIT_BAD_INPUT = 2


def _progress(days: float):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None, None
    bar = tqdm(total=int(days), unit="day", desc="simulating", disable=None, leave=False)

    def on_day(now: float) -> None:
        bar.update(int(now) - bar.n)

    return bar, on_day


def _summary(result: SimulationResult, out: Path | None, seconds: float) -> str:
    ts = result.timeseries
    lines = [f"relsim run: scenario '{result.scenario.name}', seed {result.seed}, "
             f"{result.scenario.simulation.people} people, "
             f"{result.scenario.simulation.days:g} days, {seconds:.1f} s"]
    for firm, own in ts.groupby("firm", observed=True):
        first, last = own.iloc[0], own.iloc[-1]
        acquired = int(last["acquired_to_date"] - first["acquired_to_date"])
        lost = own[[c for c in own.columns if c.startswith("lost_") and c != "lost_to_date"]]
        by_cause = lost.iloc[1:].sum()
        total_lost = int(by_cause.sum())
        mix = ", ".join(f"{c[5:]} {v / total_lost:.0%}" for c, v in by_cause.items()
                        if total_lost)
        focal = " (focal)" if firm == result.focal else ""
        lines.append(f"  {firm}{focal}: customers {int(first['active'])} -> {int(last['active'])}"
                     f"; acquired {acquired}, lost {total_lost} ({mix}); "
                     f"revenue {own['revenue'].sum():,.0f}")
    facts = measure(result.customers, result.transactions, result.focal,
                    result.scenario.simulation.days)
    held = sum(f.holds for f in facts)
    lines.append(f"  source figures reproduced: {held} of {len(facts)} (see `relsim facts`)")
    if out is not None:
        lines.append(f"  written to {out}/ (report.html, manifest.json, *.parquet)")
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.set)
    seed = scenario.simulation.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else Path("results") / "runs" / f"{scenario.name}-seed{seed}"
    bar, on_day = _progress(scenario.simulation.days)
    t0 = time.perf_counter()
    try:
        result = simulate(scenario, seed=seed, on_day=on_day)
    finally:
        if bar is not None:
            bar.close()
    extra = {"command": ["relsim", *sys.argv[1:]],
             "scenario_file": str(args.scenario) if args.scenario else "(bundled default)",
             "wall_seconds": time.perf_counter() - t0}
    write_run(result, out, extra=extra, report=not args.no_report)
    print(_summary(result, out, time.perf_counter() - t0))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    sc: Scenario = load_scenario(args.scenario, args.set)
    print(f"{args.scenario}: valid scenario '{sc.name}' ({sc.simulation.people} people, "
          f"{sc.simulation.days:g} days, firms: {', '.join(sc.firms)}; focal {sc.market.focal})")
    return 0


def _cmd_facts(args: argparse.Namespace) -> int:
    tables, meta = read_run(args.run_dir)
    scenario = meta["scenario"]
    firm = args.firm or scenario["market"]["focal"]
    if firm not in scenario["firms"]:
        raise RunDirError(f"--firm {firm}: no such firm in {args.run_dir} "
                          f"(firms: {', '.join(scenario['firms'])})")
    facts = measure(tables["customers"], tables["transactions"], firm,
                    float(scenario["simulation"]["days"]))
    df = facts_frame(facts)
    df["run"] = df["run"].map(lambda v: f"{v:.1%}" if pd.notna(v) else "n/a")
    df["holds"] = df["holds"].map({True: "yes", False: "NO"})
    print(f"Source figures beside run {args.run_dir} (firm '{firm}', seed {meta['seed']}):")
    print(df.to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``relsim`` command."""
    p = argparse.ArgumentParser(prog="relsim", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="simulate a scenario and write its run directory")
    run.add_argument("scenario", nargs="?", help="scenario TOML (default: the bundled baseline)")
    run.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    run.add_argument("--out", help="run directory (default: results/runs/<scenario>-seed<N>)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario value, e.g. firms.focal.account_managers=8")
    run.add_argument("--no-report", action="store_true", help="skip report.html")
    run.set_defaults(func=_cmd_run)

    val = sub.add_parser("validate", help="check a scenario file and say what is wrong")
    val.add_argument("scenario", help="scenario TOML")
    val.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    val.set_defaults(func=_cmd_validate)

    facts = sub.add_parser("facts", help="the sources' figures beside what a run produced")
    facts.add_argument("run_dir", help="a run directory written by `relsim run`")
    facts.add_argument("--firm", help="firm to measure (default: the focal firm)")
    facts.set_defaults(func=_cmd_facts)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``relsim`` console script."""
    args = build_parser().parse_args(argv)
    if getattr(args, "seed", None) is not None and args.seed < 0:
        print("relsim: error: --seed: expected a non-negative integer", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return args.func(args)
    except (ScenarioError, RunDirError) as err:
        print(f"relsim: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("relsim: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
