"""``relsim run``: simulate a scenario and write its run folder (tables, manifest, report)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from relsim.cli._common import add_set, non_negative_int


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "run",
        help="simulate a scenario and write its run folder",
        description="Simulate a scenario (the bundled default when none is "
        "given) and write a run folder with its tables, manifest and report.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        help="scenario TOML, relsim:NAME for a bundled one, "
        "or a run's manifest.json to rerun it (default: relsim:baseline)",
    )
    p.add_argument("--seed", type=non_negative_int, help="root seed (default: the scenario's)")
    p.add_argument("--out", help="run folder (default: results/runs/<scenario>-seed<N>)")
    add_set(p)
    p.add_argument("--no-report", action="store_true", help="skip report.html")
    p.set_defaults(func=main)


def summary_lines(result: Any, metrics: dict[str, dict[str, float]]) -> list[str]:
    """The console summary of a run: customers, flows, causes and money per firm."""
    from relsim.model.causes import CAUSE_LABELS

    sc = result.scenario
    lines = [
        f"relsim run: scenario '{sc.name}', seed {result.seed}, "
        f"{sc.simulation.people:,} people, {sc.simulation.days:g} days"
    ]
    for firm, m in metrics.items():
        lost = m["lost_total"]
        mix = ", ".join(f"{c} {m[f'cause_share_{c}']:.0%}" for c in CAUSE_LABELS)
        wallet = ", ".join(f"{c} {m[f'wallet_share_{c}']:.0%}" for c in CAUSE_LABELS)
        # the relationships ended by cause, and the share of the purchases they took
        causes = f" (ended by cause: {mix}; purchases lost: {wallet})" if lost else ""
        focal = " (focal)" if firm == sc.market.focal else ""
        lines.append(
            f"  {firm}{focal}: customers {m['customers_start']:,.0f} -> "
            f"{m['customers_end']:,.0f}; won {m['acquired_new']:,.0f}, lost "
            f"{lost:,.0f}{causes}; revenue "
            f"{m['revenue']:,.0f}; profit "
            f"{m['profit']:,.0f} (NPV {m['npv']:,.0f}); customer equity at the end "
            f"{m['customer_equity']:,.0f}"
        )
    return lines


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    # Only what the simulation needs is imported before it starts (pandas comes after).
    from relsim.cli._progress import day_bar
    from relsim.config.loading import load_scenario
    from relsim.config.targets import default_targets_path, load_targets
    from relsim.memory import give_back, map_big_blocks
    from relsim.model.market import Market
    from relsim.storage.ownership import check_output, write_owned_dir

    scenario, seed = _scenario_and_seed(args, load_scenario)
    out = Path(args.out) if args.out else default_out(scenario, seed, bool(args.set))
    check_output(out, "run", whole=True)  # refuse a folder that is not ours before simulating
    targets = load_targets(default_targets_path())
    t0 = time.perf_counter()
    market = Market(scenario, seed)
    with day_bar(scenario.simulation.warmup_days + scenario.simulation.days) as on_day:
        market.run(on_day)
    simulated = time.perf_counter() - t0
    # The model's objects go before pandas and the analysis are imported: objects made by an
    # import would sit among the model's and keep its memory from going back to the system.
    market.release()
    # The tables are built and read a block of rows at a time: each block's arrays mapped on
    # their own go back to the system when freed, instead of leaving holes in the heap.
    map_big_blocks()

    from relsim.analysis.facts import headline, run_facts
    from relsim.analysis.metrics import brand_metrics, run_metrics
    from relsim.analysis.simulation import manifest, result_of
    from relsim.reporting.odd import odd_markdown

    # Compact tables: no dates, 32-bit ids, money in cents; restored group by group when written.
    result = result_of(market, simulated, compact=True)
    del market  # the tables hold all that follows needs
    give_back()  # what building them freed
    tables = result.tables()
    brands = brand_metrics(scenario, tables)  # the market's: one Dirichlet for every firm
    metrics = {f: run_metrics(scenario, tables, f, brands=brands[f]) for f in scenario.firms}
    facts = run_facts(
        result.tables(),
        result.focal,
        scenario.simulation.days,
        scenario,
        targets.facts,
        metrics[result.focal],
    )
    give_back()  # what the measures freed, before the tables are written
    extra = {
        "scenario_file": str(args.scenario) if args.scenario else "relsim:baseline",
        "wall_seconds": time.perf_counter() - t0,
    }

    def fill(tmp: Path) -> None:
        import json

        from relsim.analysis.tables import as_written
        from relsim.storage.rundir import write_table

        start = scenario.simulation.start_date
        for name, df in result.tables().items():
            write_table(df, tmp / f"{name}.parquet", shape=as_written(name, start))
            give_back()  # the writer's buffers, before the next table's
        (tmp / "manifest.json").write_text(
            json.dumps(manifest(result, extra), indent=2, default=str) + "\n", encoding="utf-8"
        )
        (tmp / "odd.md").write_text(odd_markdown(scenario, targets.facts), encoding="utf-8")
        if not args.no_report:
            from relsim.reporting.run_report import write_run_report

            write_run_report(result, tmp / "report.html", facts)

    write_owned_dir(out, "run", fill)
    lines = summary_lines(result, metrics)
    lines.append(f"  source facts: {headline(facts)} (see `relsim facts {out}`)")
    # One run's MSER-5 point is information (in the manifest), not a warning: on a stock
    # that wanders it also cuts at a dip of the noise (relsim.analysis.warmup).
    files = "manifest.json, odd.md, *.parquet" + ("" if args.no_report else ", report.html")
    lines.append(f"  written to {out}/ ({files}), {time.perf_counter() - t0:.1f} s")
    print("\n".join(lines))
    return 0


def default_out(scenario: Any, seed: int, changed: bool) -> Path:
    """``results/runs/<name>-seed<N>``, with a digest of the scenario when --set changed it.

    So a run with other values never replaces the plain scenario's run of the same name.
    """
    name = f"{scenario.name}-seed{seed}"
    if changed:
        from relsim.storage.provenance import digest

        name += f"-{digest(scenario.to_dict(), 8)}"
    return Path("results") / "runs" / name


def _scenario_and_seed(args: argparse.Namespace, load_scenario: Any) -> tuple[Any, int]:
    """The scenario and seed to run: from a file with ``--set``, or from a run's manifest."""
    if args.scenario and str(args.scenario).endswith(".json"):
        from relsim.config.loading import scenario_from_dict
        from relsim.storage.rundir import read_manifest

        manifest_path = Path(args.scenario)
        folder = manifest_path.parent if manifest_path.name == "manifest.json" else None
        if folder is None:
            from relsim.errors import InputError

            raise InputError(f"{manifest_path}: expected a run folder's manifest.json")
        meta = read_manifest(folder)
        seed = meta["seed"] if args.seed is None else args.seed
        sc = scenario_from_dict(
            meta["scenario"], str(manifest_path), [*args.set, f"simulation.seed={seed}"]
        )
        return sc, seed
    sc = load_scenario(args.scenario, args.set)
    if args.seed is not None and args.seed != sc.simulation.seed:
        # The scenario the manifest records carries the seed actually used.
        sc = load_scenario(args.scenario, [*args.set, f"simulation.seed={args.seed}"])
    return sc, sc.simulation.seed


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: relsim run")
