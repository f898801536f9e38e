"""``relsim report DIR``: rebuild the HTML report of any results folder from its files.

A run folder (``relsim run``), a comparison or experiment folder (``relsim compare``,
``relsim experiment``) and a sweep folder (``relsim sweep``) each keep the tables their report
is drawn from, so the report can be rebuilt (after an upgrade, say) without simulating again.
A folder that another relsim process is writing is left alone, and a rebuilt sweep summary
keeps the provenance (command, backend, timings) its manifest recorded.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from relsim.errors import InputError, RunDirError
from relsim.experiments.verdict import DEFAULT_OBJECTIVE, Objective
from relsim.storage.ownership import MARKER, FolderLock, add_files, marker_problem, read_marker
from relsim.storage.rundir import MANIFEST, read_json, read_run


def _rebuild_run(d: Path) -> None:
    import msgspec

    from relsim.config.schema import Scenario, validate
    from relsim.reporting.run_report import write_tables_report

    tables, meta = read_run(d)
    try:
        sc = validate(meta["scenario"], Scenario)
    except (msgspec.ValidationError, ValueError) as err:
        raise RunDirError(
            f"{d / MANIFEST}: its scenario does not validate ({str(err).splitlines()[0]})"
        ) from None
    write_tables_report(tables, sc, int(meta["seed"]), d / "report.html")


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise RunDirError(f"{path}: missing") from None
    except Exception as err:  # noqa: BLE001 - pyarrow raises several types for damaged files
        raise RunDirError(f"{path}: cannot read ({type(err).__name__})") from None


def _rebuild_study(d: Path) -> None:
    from relsim.experiments.study import Study
    from relsim.experiments.verdict import investments, ranking
    from relsim.reporting.study_report import write_study_report

    meta = read_json(d / MANIFEST, "manifest")
    replications = _read_parquet(d / "replications.parquet")
    ledgers = _read_parquet(d / "ledgers.parquet")
    try:
        summary = pd.read_csv(d / "summary.csv")
        claims = (
            pd.read_csv(d / "claims.csv", keep_default_na=False, na_values=[""])
            if (d / "claims.csv").exists()
            else None
        )
    except (OSError, ValueError) as err:
        raise RunDirError(f"{d}: cannot read its summary files ({err})") from None
    need = {"arm", "replication"}
    if not need <= set(replications.columns) or "period" not in ledgers.columns:
        raise RunDirError(f"{d}: replications.parquet or ledgers.parquet lacks its columns")
    if claims is not None and "why" in claims.columns:
        claims["why"] = claims["why"].fillna("")
    arms = [a["name"] for a in meta.get("arms", []) if isinstance(a, dict) and "name" in a] or list(
        dict.fromkeys(replications["arm"])
    )
    # The verdict is recomputed from the replications, on the objective the study recorded.
    objective = _objective(meta, replications, d)
    ranked = ranking(replications, arms, objective)
    invest = investments(replications, ledgers, arms, objective)
    write_study_report(
        Study(d, arms, replications, ledgers, summary, ranked, invest, meta, claims, objective)
    )


def _objective(meta: dict, replications: pd.DataFrame, d: Path) -> Objective:
    """The objective a study recorded (profit plus equity for studies from before it did)."""
    text = str(meta.get("objective") or DEFAULT_OBJECTIVE)
    try:
        return Objective.parse(text, list(replications.columns))
    except InputError:
        fallback = DEFAULT_OBJECTIVE if DEFAULT_OBJECTIVE in replications.columns else "profit"
        if fallback not in replications.columns:
            raise RunDirError(f"{d}: replications.parquet has no {text} to rank by") from None
        return Objective(fallback)


def _rebuild_sweep(d: Path) -> None:
    import msgspec

    from relsim.config.schema import validate
    from relsim.experiments.sweep_summary import summarise_sweep
    from relsim.experiments.sweeps import SPEC_FILE, Sweep, SweepPlan, draw_design, point_values
    from relsim.reporting.sweep_report import write_sweep_report

    meta = read_json(d / SPEC_FILE, "sweep record")
    try:
        sweep = validate(meta["spec"], Sweep)
    except (KeyError, ValueError, msgspec.ValidationError) as err:
        raise RunDirError(
            f"{d / SPEC_FILE}: not a sweep record relsim can read ({str(err).splitlines()[0]})"
        ) from None
    design = draw_design(sweep)
    plan = SweepPlan(
        sweep,
        meta.get("source", ""),
        meta.get("base_scenario", {}),
        design,
        point_values(sweep, design),
    )
    if plan.fingerprint != meta.get("fingerprint"):
        raise RunDirError(
            f"{d / SPEC_FILE}: the design drawn now differs from the one the "
            "runs were made with (another SALib version?)"
        )
    reps = sweep.replications
    if (d / MANIFEST).exists():
        reps = read_json(d / MANIFEST, "manifest").get("counts", {}).get("replications", reps)
    summary = summarise_sweep(plan, d, int(reps))
    write_sweep_report(d / "report.html", plan, summary)


def rebuild_report(path: str | Path) -> Path:
    """Rebuild ``report.html`` in a results folder.

    Parameters
    ----------
    path : str or Path
        A run, comparison, experiment or sweep folder.

    Returns
    -------
    Path
        The report written.

    Raises
    ------
    RunDirError
        If the folder is none of those, or its files are unreadable.
    OutputError
        If another relsim process is writing the folder now, or it cannot be written.
    """
    d = Path(path)
    if not d.is_dir():
        raise RunDirError(
            f"{d}: not a folder (expected the results folder of relsim run, "
            "compare, experiment or sweep)"
        )
    problem = marker_problem(d)
    if problem is not None:
        raise RunDirError(f"{d}: {problem}; relsim writes no report into it")
    marker = read_marker(d)
    if marker is None:
        # Only the marker proves the folder is relsim's: a user's copy of a run folder may
        # hold a report.html of the user's that must not be replaced.
        raise RunDirError(
            f"{d}: relsim did not write this folder (it has no {MARKER} marker), so relsim "
            "writes no report into it; rebuild the report in the folder relsim wrote"
        )
    kind = marker.get("kind")
    rebuild = {
        "sweep": _rebuild_sweep,
        "comparison": _rebuild_study,
        "experiment": _rebuild_study,
        "run": _rebuild_run,
    }.get(kind or "")
    if rebuild is None:
        raise RunDirError(
            f"{d}: no report to rebuild (expected the folder of relsim run, "
            f"compare, experiment or sweep{'' if kind is None else ', not ' + kind})"
        )
    with FolderLock(d):  # refused if another relsim process is writing the folder
        rebuild(d)
        add_files(d, ["report.html"])
    return d / "report.html"
