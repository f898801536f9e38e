"""``relsim describe``: the model's ODD description for a scenario, written from the code."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "describe",
        help="write the model's ODD description for a scenario",
        description="Write the ODD protocol description (Grimm et al. 2006, "
        "2020) of the model, with the scenario's values, from the code's own "
        "registry of submodels.",
    )
    p.add_argument(
        "scenario", nargs="?", help="scenario TOML or relsim:NAME (default: relsim:baseline)"
    )
    p.add_argument(
        "--targets",
        help="targets file whose facts are the patterns (default: the bundled baseline's)",
    )
    p.add_argument("--out", help="write the Markdown to this file instead of the console")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    from pathlib import Path

    from relsim.config.loading import load_scenario
    from relsim.config.targets import default_targets_path, load_targets
    from relsim.reporting.odd import odd_markdown

    sc = load_scenario(args.scenario)
    facts = load_targets(args.targets or default_targets_path()).facts
    text = odd_markdown(sc, facts)
    if args.out:
        from relsim.storage.signature import write_signed_text

        out = Path(args.out)
        write_signed_text(out, text, "--out")
        print(f"ODD description of '{sc.name}' written to {out}")
    else:
        print(text)
    return 0
