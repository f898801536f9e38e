"""``relsim validate``: check a scenario file and say what is wrong with it."""

from __future__ import annotations

import argparse
from typing import Any

from relsim.cli._common import add_set


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "validate",
        help="check a scenario file and say what is wrong",
        description="Validate a scenario file (with its extends chain and any "
        "--set overrides) without simulating it.",
    )
    p.add_argument("scenario", help="scenario TOML, or relsim:NAME for a bundled one")
    add_set(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    from relsim.config.loading import load_scenario

    sc = load_scenario(args.scenario, args.set)
    print(
        f"{args.scenario}: valid scenario '{sc.name}' ({sc.simulation.people:,} people, "
        f"{sc.simulation.days:g} days, firms: {', '.join(sc.firms)}; focal "
        f"{sc.market.focal})"
    )
    return 0
