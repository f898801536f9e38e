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


def _precision(study: Any) -> tuple[float, str]:
    """The widest claim interval relative to its value, and which claim it is."""
    from relsim.cli._study import widest_interval

    return widest_interval(
        study.claims, "value", "ci_low", "ci_high", lambda r: f"claim '{r['claim']}'"
    )


def _rerun(args: argparse.Namespace) -> int:
    """Rerun a recorded experiment from its manifest and compare its tables exactly."""
    import msgspec
    import pandas as pd

    from relsim.cli._study import run_study
    from relsim.config.schema import Scenario, validate
    from relsim.errors import InputError, RunDirError
    from relsim.experiments.claims import Experiment, evaluate
    from relsim.experiments.comparison import Arm
    from relsim.storage.rundir import read_json

    src = Path(args.rerun)
    for name in ("manifest.json", "claims.csv", "summary.csv"):
        if not (src / name).is_file():
            raise RunDirError(
                f"{src / name}: missing (expected the output folder of relsim experiment)"
            )
    meta = read_json(src / "manifest.json", "manifest")
    try:
        exp = validate(meta["experiment"], Experiment)
        arms = [
            Arm(a["name"], validate(a["scenario"], Scenario), a.get("source", ""))
            for a in meta["arms"]
        ]
        seed = int(meta["seed"])
        reps = min(int(v) for v in meta["replications_finished"].values())
    except (KeyError, TypeError, ValueError, msgspec.ValidationError) as err:
        raise RunDirError(
            f"{src / 'manifest.json'}: not the manifest of a relsim experiment ({err})"
        ) from None
    if args.reps is not None or args.seed is not None or args.precision is not None:
        raise InputError(
            "--rerun: reruns with the recorded seed and replications; drop "
            "--reps, --seed and --precision"
        )
    out = Path(args.out) if args.out else src.with_name(src.name + "-rerun")
    if out.exists():
        # A rerun that found its replications on disk would prove nothing: compute afresh.
        raise InputError(
            f"--out {out}: already exists; a rerun computes every replication "
            "again, so name a folder that does not exist yet"
        )
    study, failed = run_study(
        args,
        arms,
        reps,
        seed,
        out,
        "experiment",
        f"Experiment: {exp.name} (rerun of {src})",
        exp.description,
        lambda r, lg: evaluate(exp, r, lg),
        exp.metrics or None,
        {"rerun_of": str(src), "experiment": exp.to_dict()},
    )
    if failed:
        return 1
    same = True
    for name in ("claims.csv", "summary.csv"):
        a, b = pd.read_csv(src / name), pd.read_csv(out / name)
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            print(f"  {name}: identical to {src / name}")
        except AssertionError as err:
            same = False
            print(f"  {name}: DIFFERS from {src / name}: {str(err).splitlines()[0]}")
    return 0 if same else 1


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    import pandas as pd

    from relsim.cli._study import print_summary, run_study
    from relsim.experiments.claims import HELD, evaluate, load_experiment

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
        precision_of=_precision,
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
