"""What a sweep leaves beside its runs: point means, sensitivity indices, report, manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from relsim.runio import write_file_atomically
from relsim.simulation import package_versions
from relsim.sweep.report import write_sweep_report
from relsim.sweep.runner import FAILED, SweepStatus, read_runs
from relsim.sweep.sensitivity import analyse, point_means
from relsim.sweep.spec import SweepPlan


def summarise_sweep(plan: SweepPlan, out: Path, replications: int,
                    status: SweepStatus | None = None, report: bool = True,
                    extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``point_means.parquet``, ``sensitivity.csv``, ``report.html`` and ``manifest.json``.

    Parameters
    ----------
    plan : SweepPlan
        The sweep.
    out : Path
        The sweep's results directory.
    replications : int
        Replications per point the sweep asked for.
    status : SweepStatus, optional
        What the last call of :func:`relsim.sweep.runner.run_sweep` did.
    report : bool
        Write ``report.html``.
    extra : dict, optional
        Added to the manifest (the command, the backend, ...).

    Returns
    -------
    dict
        ``indices`` (DataFrame), ``notes``, ``means`` (DataFrame) and ``counts``.
    """
    out = Path(out)
    outputs = list(plan.sweep.outputs)
    runs = read_runs(out)
    if len(runs):
        runs = runs[runs["replication"] < replications]
    means, used = point_means(runs, outputs, len(plan.points))
    indices, notes = analyse(plan, means, outputs)
    counts = {"points": len(plan.points), "replications": replications,
              "finished": len(runs),
              "failed": sum(1 for _ in (out / FAILED).glob("*.txt"))}
    write_file_atomically(out / "point_means.parquet",
                          lambda p: means.reset_index().to_parquet(p, index=False))
    write_file_atomically(out / "sensitivity.csv", lambda p: indices.to_csv(p, index=False))
    if report:
        write_sweep_report(out / "report.html", plan, means, indices, notes, counts, used)
    meta = {"name": plan.sweep.name, "fingerprint": plan.fingerprint, "source": plan.source,
            "seed": plan.sweep.seed, "counts": counts, "replications_averaged": used,
            "notes": notes, "versions": package_versions(),
            "last_call": None if status is None else {
                "computed": status.done, "found": status.found, "failed": status.failed,
                "seconds": round(status.seconds, 3), "worker_restarts": status.restarts},
            **(extra or {})}
    write_file_atomically(out / "manifest.json",
                          lambda p: p.write_text(json.dumps(meta, indent=2, default=str) + "\n"))
    return {"indices": indices, "notes": notes, "means": means, "counts": counts}

