"""``relsim facts``: the sources' figures beside what a run produced, with roles and grades."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "facts",
        help="the sources' figures beside what a run produced",
        description="Measure the figures the sources report on a run folder "
        "and set each beside the source's range, with its role (input, "
        "calibrated, predicted) and the source's evidence grade.",
    )
    p.add_argument("run_dir", help="a run folder written by `relsim run`")
    p.add_argument("--firm", help="firm to measure (default: the focal firm)")
    p.add_argument(
        "--targets",
        help="targets file with the facts (default: the bundled scenarios/baseline.targets.toml)",
    )
    p.add_argument(
        "--format",
        choices=["table", "csv"],
        default="table",
        help="a table for reading (default) or CSV on standard output",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    import msgspec

    from relsim.analysis.facts import check_measures, display_table, headline, run_facts
    from relsim.config.schema import Scenario, validate
    from relsim.config.targets import default_targets_path, load_targets
    from relsim.errors import RunDirError
    from relsim.storage.rundir import read_run

    tables, meta = read_run(args.run_dir)
    try:
        scenario = validate(meta["scenario"], Scenario)
    except msgspec.ValidationError as err:
        raise RunDirError(
            f"{args.run_dir}: its manifest's scenario does not validate ({err})"
        ) from None
    firm = args.firm or scenario.market.focal
    if firm not in scenario.firms:
        raise RunDirError(
            f"--firm {firm}: no such firm in {args.run_dir} (firms: {', '.join(scenario.firms)})"
        )
    path = args.targets or default_targets_path()
    targets = load_targets(path)
    check_measures(targets.facts, str(path))
    table = run_facts(tables, firm, scenario.simulation.days, scenario, targets.facts)
    if args.format == "csv":
        print(table.to_csv(index=False), end="")
        return 0
    print(
        f"Source facts beside run {args.run_dir} (firm '{firm}', seed {meta['seed']}): "
        f"{headline(table)}"
    )
    print(display_table(table).to_string(index=False))
    skipped = [f.name for f in targets.facts if f.compares]
    if skipped:
        print(
            f"  not shown: {len(skipped)} facts compare the scenario with a variant "
            f"({'; '.join(skipped)}); `relsim calibrate` judges them"
        )
    return 0
