"""``relsim rerun``: compute a results folder again from its manifest and check it byte for byte.

A run folder (``relsim run``), a comparison (``relsim compare``) or an experiment
(``relsim experiment``) records in ``manifest.json`` everything its numbers depend on: the
resolved scenarios, the seed actually used, the replications, the objective, and the package
versions and git commit they were made with. ``relsim rerun DIR`` computes every table again
into a new folder, from that record alone, and compares the files byte for byte. A Parquet
table whose bytes differ is compared value by value: a table written with other row groups
or encodings (by another relsim or pyarrow version) holds the same numbers.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

from relsim.cli._common import add_backend

#: The files compared, by kind of folder: the tables, not the reports or the manifest (which
#: records timings and the command line).
RUN_FILES = ("transactions.parquet", "events.parquet", "customers.parquet", "timeseries.parquet")
STUDY_FILES = (
    "replications.parquet",
    "ledgers.parquet",
    "summary.csv",
    "differences.csv",
    "ranking.csv",
    "investments.csv",
    "claims.csv",
)


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "rerun",
        help="compute a run, comparison or experiment folder again and check it byte for byte",
        description="Compute a results folder again from its manifest.json (the resolved "
        "scenarios, the seed used, the replications) into a new folder, and compare every "
        "table byte for byte (a Parquet table that differs in bytes, value by value). "
        "Exit status 0 when all hold the same values, 1 when any differs.",
    )
    p.add_argument("folder", help="a folder written by relsim run, compare or experiment")
    p.add_argument("--out", help="where to compute (default: FOLDER-rerun; must not exist)")
    add_backend(p)
    p.add_argument("--no-report", action="store_true", help="skip report.html")
    p.set_defaults(func=main)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def same_values(a: Path, b: Path) -> bool:
    """Whether two Parquet files hold the same columns, types and values, however encoded.

    Compared a column at a time, so never more than two columns are in memory.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        sa, sb = pq.read_schema(a), pq.read_schema(b)
    except Exception:  # noqa: BLE001 - a damaged or foreign file holds no comparable values
        return False
    if not sa.equals(sb, check_metadata=False):
        return False

    def values(path: Path, column: str) -> Any:
        col = pq.read_table(path, columns=[column]).column(0)
        # a categorical's values, whatever dictionary each row group carries them in
        return col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col

    return all(values(a, c).equals(values(b, c)) for c in sa.names)


def compare_files(src: Path, out: Path, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(name, verdict)`` for every file of ``names`` that ``src`` holds.

    The verdict is ``identical`` (byte for byte), ``same values`` (a Parquet table written
    another way: other row groups or encodings, as another relsim or pyarrow version may
    write it) or ``DIFFERS``.
    """
    out_list = []
    for name in names:
        if not (src / name).is_file():
            continue
        a, b = src / name, out / name
        if b.is_file() and _sha256(a) == _sha256(b):
            verdict = "identical"
        elif b.is_file() and name.endswith(".parquet") and same_values(a, b):
            verdict = "same values"
        else:
            verdict = "DIFFERS"
        out_list.append((name, verdict))
    return out_list


def _provenance_notes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between the versions a folder was made with and those of the rerun."""
    notes = []
    old, new = before.get("versions") or {}, after.get("versions") or {}
    for pkg in sorted(set(old) | set(new)):
        if old.get(pkg) != new.get(pkg):
            notes.append(f"{pkg} {old.get(pkg)} -> {new.get(pkg)}")
    if before.get("git_commit") != after.get("git_commit"):
        notes.append(f"git commit {before.get('git_commit')} -> {after.get('git_commit')}")
    return notes


def _rerun_run(src: Path, out: Path, args: argparse.Namespace) -> None:
    from relsim.cli import run

    run.main(
        argparse.Namespace(
            scenario=str(src / "manifest.json"),
            seed=None,
            out=str(out),
            set=[],
            no_report=args.no_report,
        )
    )


def _rerun_study(src: Path, out: Path, meta: dict[str, Any], args: argparse.Namespace) -> None:
    import msgspec

    from relsim.analysis.metrics import metric_names
    from relsim.cli._study import run_study
    from relsim.config.schema import Scenario, validate
    from relsim.errors import InputError, RunDirError
    from relsim.experiments.claims import Experiment, evaluate
    from relsim.experiments.comparison import Arm
    from relsim.experiments.verdict import DEFAULT_OBJECTIVE, Objective

    kind = "experiment" if "experiment" in meta else "comparison"
    try:
        arms = [
            Arm(a["name"], validate(a["scenario"], Scenario), a.get("source", ""))
            for a in meta["arms"]
        ]
        seed = int(meta["seed"])
        reps = min(int(v) for v in meta["replications_finished"].values())
        exp = validate(meta["experiment"], Experiment) if kind == "experiment" else None
        objective = Objective.parse(str(meta.get("objective") or DEFAULT_OBJECTIVE), metric_names())
    except (KeyError, TypeError, ValueError, InputError, msgspec.ValidationError) as err:
        raise RunDirError(
            f"{src / 'manifest.json'}: not the manifest of a relsim {kind} "
            f"({str(err).splitlines()[0]})"
        ) from None
    claims_fn = None if exp is None else (lambda r, lg: evaluate(exp, r, lg))
    run_study(
        args,
        arms,
        reps,
        seed,
        out,
        kind,
        f"{str(meta.get('title') or kind.title())} (rerun of {src})",
        str(meta.get("description") or ""),
        claims_fn,
        meta.get("metrics"),
        {"rerun_of": str(src), **({"experiment": meta["experiment"]} if exp else {})},
        objective=objective,
    )


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    from relsim.errors import InputError, RunDirError
    from relsim.storage.rundir import read_json

    src = Path(args.folder)
    if not (src / "manifest.json").is_file():
        raise RunDirError(
            f"{src / 'manifest.json'}: missing (expected a folder written by relsim run, "
            "compare or experiment)"
        )
    meta = read_json(src / "manifest.json", "manifest")
    out = Path(args.out) if args.out else src.with_name(src.name + "-rerun")
    if out.exists():
        # A rerun that found replications on disk would prove nothing: compute afresh.
        raise InputError(
            f"--out {out}: already exists; a rerun computes everything again, so name a "
            "folder that does not exist yet"
        )
    names: tuple[str, ...]
    if "arms" in meta:
        _rerun_study(src, out, meta, args)
        names = STUDY_FILES
    elif "scenario" in meta and "seed" in meta:
        _rerun_run(src, out, args)
        names = RUN_FILES
    else:
        raise RunDirError(
            f"{src / 'manifest.json'}: not the manifest of a relsim run, comparison or "
            "experiment (sweeps and calibrations rerun by running their command again)"
        )
    results = compare_files(src, out, names)
    if not results:
        raise RunDirError(f"{src}: holds none of the tables a rerun is compared on")
    print(f"Rerun of {src} in {out}, compared byte for byte:")
    for name, verdict in results:
        extra = " (written another way: other row groups or encodings)"
        print(f"  {name}: {verdict}{extra if verdict == 'same values' else ''}")
    same_all = all(verdict != "DIFFERS" for _, verdict in results)
    notes = _provenance_notes(meta, read_json(out / "manifest.json", "manifest"))
    if notes:
        print(f"  made with other versions than the original: {'; '.join(notes)}")
    if all(verdict == "identical" for _, verdict in results):
        print(f"  all {len(results)} tables identical")
    elif same_all:
        print(f"  all {len(results)} tables hold the same values")
    else:
        print("  some tables differ" + (" (the versions above may explain it)" if notes else ""))
    return 0 if same_all else 1
