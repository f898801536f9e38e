"""``relsim experiment``: run a declared experiment and judge its claims on their intervals."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from relsim.cli._common import add_backend, non_negative_int, positive_int


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser("experiment", help="run a declared experiment and check its claims",
                       description="Run an experiment file's arms with common random numbers "
                       "and judge each claim on its 95% interval: held, not held or "
                       "inconclusive.")
    p.add_argument("file", help="experiment TOML (see experiments/)")
    p.add_argument("--reps", type=positive_int, help="replications (default: the file's)")
    p.add_argument("--seed", type=non_negative_int, help="root seed (default: the file's)")
    add_backend(p)
    p.add_argument("--out", help="output folder (default: results/<experiment>)")
    p.add_argument("--no-report", action="store_true", help="skip report.html")
    p.add_argument("--strict", action="store_true",
                   help="exit with status 1 unless every claim held")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    import pandas as pd

    from relsim.cli._study import print_summary, run_study
    from relsim.experiments.claims import HELD, evaluate, load_experiment

    exp, arms = load_experiment(args.file)
    reps = exp.replications if args.reps is None else args.reps
    seed = exp.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else Path("results") / exp.name
    study, status = run_study(args, arms, reps, seed, out, "experiment",
                              f"Experiment: {exp.name}", exp.description,
                              lambda r, lg: evaluate(exp, r, lg), exp.metrics or None,
                              {"experiment_file": str(args.file),
                               "experiment": exp.to_dict()})
    claims = study.claims
    print_summary(study, exp.metrics or sorted({m for c in exp.claims
                                                for m in c.metrics_used()}))
    for _, c in claims.iterrows():
        ci = "" if pd.isna(c["ci_low"]) else f" [{c['ci_low']:.4g}, {c['ci_high']:.4g}]"
        why = f" ({c['why']})" if c["why"] else ""
        print(f"  claim: {c['claim']}: {c['verdict'].upper()}: {c['value']:.4g}{ci} against "
              f"[{c['low']:g}, {c['high']:g}]{why}")
    print(f"  written to {out}/ (claims.csv, summary.csv, manifest.json, ...)")
    if status.failed:
        return 1
    return 1 if args.strict and not (claims["verdict"] == HELD).all() else 0
