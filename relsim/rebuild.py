"""``relsim report DIR``: rebuild the HTML report of any results directory from its files.

A run directory (``relsim run``), a comparison or experiment directory (``relsim compare``,
``relsim experiment``) and a sweep directory (``relsim sweep``) each keep the tables their
report is drawn from, so the report can be rebuilt (after an upgrade, say) without
simulating anything again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from relsim.runio import MANIFEST, RunDirError, read_run
from relsim.scenario import Scenario


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise RunDirError(f"{path}: not valid JSON ({err})") from None


def _rebuild_run(d: Path) -> None:
    from relsim.report import write_tables_report

    tables, meta = read_run(d)
    sc = Scenario.model_validate(meta["scenario"])
    write_tables_report(tables, sc, int(meta["seed"]), d / "report.html")


def _rebuild_study(d: Path) -> None:
    from relsim.comparison_report import write_comparison_report

    meta = _json(d / MANIFEST)
    replications = pd.read_parquet(d / "replications.parquet")
    ledgers = pd.read_parquet(d / "ledgers.parquet")
    summary = pd.read_csv(d / "summary.csv")
    claims = pd.read_csv(d / "claims.csv") if (d / "claims.csv").exists() else None
    if claims is not None:
        claims["holds"] = claims["holds"].map({True: True, False: False, "True": True,
                                               "False": False})
    arms = [a["name"] for a in meta.get("arms", [])] or list(dict.fromkeys(
        replications["arm"]))
    description = meta.get("description") or meta.get("experiment", {}).get("description", "")
    write_comparison_report(d / "report.html", meta.get("title", d.name), description,
                            replications, ledgers, summary, arms, claims,
                            meta.get("metrics"))


def _rebuild_sweep(d: Path) -> None:
    from relsim.sweep.spec import Sweep, SweepPlan, draw_design, point_values
    from relsim.sweep.summary import summarise_sweep

    meta = _json(d / "sweep.json")
    sweep = Sweep.model_validate(meta["spec"])
    design = draw_design(sweep)
    plan = SweepPlan(sweep, meta.get("source", ""), meta["base_scenario"], design,
                     point_values(sweep, design))
    if plan.fingerprint != meta.get("fingerprint"):
        raise RunDirError(f"{d / 'sweep.json'}: the design drawn now differs from the one "
                          "the runs were made with (another SALib version?)")
    reps = sweep.replications
    if (d / MANIFEST).exists():
        reps = _json(d / MANIFEST).get("counts", {}).get("replications", reps)
    summarise_sweep(plan, d, reps)


def rebuild_report(path: str | Path) -> Path:
    """Rebuild ``report.html`` in a results directory.

    Parameters
    ----------
    path : str or Path
        A run, comparison, experiment or sweep directory.

    Returns
    -------
    Path
        The report written.

    Raises
    ------
    RunDirError
        If the directory is none of those, or its files are unreadable.
    """
    d = Path(path)
    if not d.is_dir():
        raise RunDirError(f"{d}: not a directory (expected the results directory of relsim "
                          "run, compare, experiment or sweep)")
    if (d / "sweep.json").exists():
        _rebuild_sweep(d)
    elif (d / "replications.parquet").exists() and (d / "ledgers.parquet").exists():
        _rebuild_study(d)
    elif (d / MANIFEST).exists() and (d / "timeseries.parquet").exists():
        _rebuild_run(d)
    else:
        raise RunDirError(f"{d}: no results to report on (expected the files of relsim run, "
                          "compare, experiment or sweep: manifest.json with timeseries.parquet, "
                          "replications.parquet, or sweep.json)")
    return d / "report.html"
