"""``relsim experiment``: run a declared experiment and judge its claims on their intervals."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from relsim.cli._common import (
    add_backend,
    add_precision,
    non_negative_int,
    positive_int,
    precision_note,
)


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "experiment",
        help="run a declared experiment and check its claims",
        description="Run an experiment file's arms with common random numbers "
        "and judge each claim on its 95% interval: held, not held or "
        "inconclusive.",
    )
    p.add_argument("file", nargs="?", help="experiment TOML (see experiments/)")
    p.add_argument(
        "--rerun",
        metavar="DIR",
        help="rerun the experiment an output folder "
        "records (its resolved scenarios, seed and replications) and check that "
        "its claims and summary come out exactly the same",
    )
    p.add_argument("--reps", type=positive_int, help="replications (default: the file's)")
    p.add_argument("--seed", type=non_negative_int, help="root seed (default: the file's)")
    add_backend(p)
    p.add_argument("--out", help="output folder (default: results/<experiment>)")
    add_precision(p)
    p.add_argument("--no-report", action="store_true", help="skip report.html")
    p.add_argument(
        "--strict", action="store_true", help="exit with status 1 unless every claim held"
    )
    p.set_defaults(func=main)


def _rerun(args: argparse.Namespace) -> int:
    """Rerun a recorded experiment from its manifest: ``relsim rerun`` on its folder."""
    from relsim.cli import rerun
    from relsim.errors import InputError, RunDirError
    from relsim.storage.rundir import read_json

    src = Path(args.rerun)
    for name in ("manifest.json", "claims.csv", "summary.csv"):
        if not (src / name).is_file():
            raise RunDirError(
                f"{src / name}: missing (expected the output folder of relsim experiment)"
            )
    if "experiment" not in read_json(src / "manifest.json", "manifest"):
        raise RunDirError(f"{src / 'manifest.json'}: not the manifest of a relsim experiment")
    if args.reps is not None or args.seed is not None or args.precision is not None:
        raise InputError(
            "--rerun: reruns with the recorded seed and replications; drop "
            "--reps, --seed and --precision"
        )
    return int(rerun.main(argparse.Namespace(**{**vars(args), "folder": args.rerun})))


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    import pandas as pd

    from relsim.analysis.statistics import HELD
    from relsim.cli._study import print_summary, run_study
    from relsim.experiments.claims import evaluate, load_experiment
    from relsim.studies import claims_precision

    precision_note(args)
    if args.rerun:
        return _rerun(args)
    if not args.file:
        from relsim.errors import InputError

        raise InputError("expected an experiment file, or --rerun DIR")
    exp, arms = load_experiment(args.file)
    reps = exp.replications if args.reps is None else args.reps
    seed = exp.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else Path("results") / exp.name
    study, failed = run_study(
        args,
        arms,
        reps,
        seed,
        out,
        "experiment",
        f"Experiment: {exp.name}",
        exp.description,
        lambda r, lg: evaluate(exp, r, lg),
        exp.metrics or None,
        {"experiment_file": str(args.file), "experiment": exp.to_dict()},
        precision_of=claims_precision,
    )
    claims = study.claims
    print_summary(
        study,
        exp.metrics or sorted({m for c in exp.claims for m in c.metrics_used()}),
        verdict=False,
    )
    for _, c in claims.iterrows():
        ci = "" if pd.isna(c["ci_low"]) else f" [{c['ci_low']:.4g}, {c['ci_high']:.4g}]"
        why = f" ({c['why']})" if c["why"] else ""
        print(
            f"  claim: {c['claim']}: {c['verdict'].upper()}: {c['value']:.4g}{ci} against "
            f"[{c['low']:g}, {c['high']:g}]{why}"
        )
    files = (
        "claims.csv, ranking.csv, investments.csv, summary.csv, differences.csv, "
        "replications.parquet, ledgers.parquet, manifest.json, odd.md"
    )
    print(f"  written to {out}/ ({files}{'' if args.no_report else ', report.html'})")
    if failed:
        return 1
    return 1 if args.strict and not (claims["verdict"] == HELD).all() else 0
