"""``relsim facts``: the sources' figures beside what a run produced."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser("facts", help="the sources' figures beside what a run produced",
                       description="Measure the figures the sources report on a run folder "
                       "and set each beside the source's range.")
    p.add_argument("run_dir", help="a run folder written by `relsim run`")
    p.add_argument("--firm", help="firm to measure (default: the focal firm)")
    p.add_argument("--format", choices=["table", "csv"], default="table",
                   help="a table for reading (default) or CSV on standard output")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    import pandas as pd

    from relsim.analysis.facts import facts_frame, measure
    from relsim.errors import RunDirError
    from relsim.storage.rundir import read_run

    tables, meta = read_run(args.run_dir)
    scenario = meta["scenario"]
    firm = args.firm or scenario["market"]["focal"]
    if firm not in scenario["firms"]:
        raise RunDirError(f"--firm {firm}: no such firm in {args.run_dir} "
                          f"(firms: {', '.join(scenario['firms'])})")
    facts = measure(tables["customers"], tables["transactions"], firm,
                    float(scenario["simulation"]["days"]))
    df = facts_frame(facts)
    if args.format == "csv":
        print(df.to_csv(index=False), end="")
        return 0
    df["run"] = df["run"].map(lambda v: f"{v:.1%}" if pd.notna(v) else "n/a")
    df["holds"] = df["holds"].map({True: "yes", False: "NO"})
    print(f"Source figures beside run {args.run_dir} (firm '{firm}', seed {meta['seed']}):")
    print(df.to_string(index=False))
    return 0
