"""``relsim compare``: scenarios side by side, replicated with common random numbers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from relsim.cli._common import (
    add_backend,
    add_precision,
    add_set,
    non_negative_int,
    positive_int,
    precision_note,
)
from relsim.errors import InputError


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "compare",
        help="run scenarios side by side, replicated with common "
        "random numbers, and compare their money and dynamics",
        description="Run every scenario for the same replications (common "
        "random numbers) and compare them; the first is the reference. An arm can also be "
        "the first scenario with some values changed: --arm NAME:KEY=VALUE (repeat it with "
        "the same NAME to change several values of one arm), e.g. "
        "relsim compare relsim:baseline --arm hire:firms.focal.account_managers=5 "
        "--arm spend:firms.focal.acquisition_budget_per_year=200000",
    )
    p.add_argument(
        "scenarios",
        nargs="+",
        help="scenario TOML files or relsim:NAME; the first "
        "is the reference the others are compared with",
    )
    p.add_argument(
        "--arm",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE",
        help="an arm made from the first scenario with KEY set to VALUE (repeatable; the "
        "same NAME collects several values)",
    )
    p.add_argument("--reps", type=positive_int, default=10, help="replications per scenario")
    p.add_argument(
        "--objective",
        default="profit_plus_equity",
        metavar="METRIC[:min]",
        help="what the arms are ranked by (default: profit_plus_equity, the profit over the "
        "run plus the equity of the customers left at its end; add :min when lower is "
        "better, e.g. churn_per_customer_year:min)",
    )
    p.add_argument(
        "--seed", type=non_negative_int, help="root seed (default: the first scenario's)"
    )
    add_backend(p)
    add_set(p, "every scenario")
    p.add_argument("--out", help="output folder (default: results/compare/<names>-<digest>)")
    add_precision(p)
    p.add_argument("--no-report", action="store_true", help="skip report.html")
    p.set_defaults(func=main)


def arm_overrides(specs: list[str]) -> dict[str, list[str]]:
    """Group ``NAME:KEY=VALUE`` options by arm name, in the order the names first appear.

    Raises
    ------
    InputError
        When an option lacks the ``NAME:`` part, the name is not a slug or the rest is not
        ``KEY=VALUE``.
    """
    from relsim.config.loading import parse_override
    from relsim.storage.names import SLUG, SLUG_RULE

    arms: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, rest = spec.partition(":")
        if not sep or "=" in name:
            raise InputError(f"--arm {spec}: expected NAME:KEY=VALUE")
        if not SLUG.match(name):
            raise InputError(f"--arm {spec}: the name must be {SLUG_RULE}")
        if "=" not in rest:
            raise InputError(
                f"--arm {spec}: expected NAME:KEY=VALUE, with a KEY=VALUE after the colon "
                "(e.g. hire:firms.focal.account_managers=5)"
            )
        try:
            parse_override(rest)
        except InputError as err:
            # said in the option the user wrote, not in --set
            raise InputError(
                f"--arm {spec}: {str(err).split(': ', 1)[-1]}"
            ) from None  # a clear message now, before any scenario is read
        arms.setdefault(name, []).append(rest)
    return arms


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    from relsim.analysis.metrics import metric_names
    from relsim.cli._study import print_summary, run_study
    from relsim.experiments.verdict import Objective
    from relsim.studies import (
        COMPARE_PRINTED,
        comparison_arms,
        comparison_precision,
        comparison_texts,
        default_compare_folder,
    )

    precision_note(args)
    objective = Objective.parse(args.objective, metric_names())
    arms = comparison_arms(args.scenarios, arm_overrides(args.arm), args.set)
    seed = arms[0].scenario.simulation.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else default_compare_folder(arms, seed)
    study, failed = run_study(
        args,
        arms,
        args.reps,
        seed,
        out,
        "comparison",
        *comparison_texts(arms),
        precision_of=comparison_precision,
        objective=objective,
    )
    print_summary(study, COMPARE_PRINTED)
    files = (
        "ranking.csv, investments.csv, summary.csv, differences.csv, replications.parquet, "
        "ledgers.parquet, manifest.json, odd.md"
    )
    print(f"  written to {out}/ ({files}{'' if args.no_report else ', report.html'})")
    return 1 if failed else 0
