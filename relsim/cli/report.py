"""``relsim report``: rebuild the report of a results folder from its files."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "report",
        help="rebuild report.html of a run, comparison, experiment or sweep folder from its files",
        description="Rebuild report.html of a results folder from the tables "
        "it holds, without simulating again.",
    )
    p.add_argument("dir", help="a results folder")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    from relsim.reporting.rebuild import rebuild_report

    print(f"report written to {rebuild_report(args.dir)}")
    return 0
