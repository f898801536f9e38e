"""What a sweep leaves beside its runs: point means, sensitivity indices and a manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from relsim.experiments.engine import Status
from relsim.experiments.sensitivity import analyse, point_means
from relsim.experiments.store import FAILED
from relsim.experiments.sweeps import SweepPlan, read_runs
from relsim.storage.atomic import write_file_atomically, write_text_atomically
from relsim.storage.provenance import provenance

MANIFEST = "manifest.json"
#: Manifest entries that say how the runs were made; a rebuilt summary keeps them.
PROVENANCE_KEYS = ("command", "backend", "wall_seconds", "last_call", "git_commit")


@dataclass
class SweepSummary:
    """A sweep's point means, sensitivity indices, notes and counts."""

    means: pd.DataFrame
    used: list[int]
    indices: pd.DataFrame
    notes: list[str]
    counts: dict[str, int]
    manifest: dict[str, Any]


def summarise_sweep(
    plan: SweepPlan,
    out: Path,
    replications: int,
    status: Status | None = None,
    extra: dict[str, Any] | None = None,
) -> SweepSummary:
    """Write ``point_means.parquet``, ``sensitivity.csv`` and ``manifest.json``.

    Parameters
    ----------
    plan : SweepPlan
        The sweep.
    out : Path
        The sweep's results folder.
    replications : int
        Replications per point the sweep asked for.
    status : Status, optional
        What the last run of the sweep did.
    extra : dict, optional
        Added to the manifest (the command, the backend, ...). Without it (a summary rebuilt
        from the files), the provenance of the existing manifest is kept.

    Returns
    -------
    SweepSummary
    """
    out = Path(out)
    outputs = list(plan.sweep.outputs)
    runs = read_runs(out, replications)
    means, used = point_means(runs, outputs, len(plan.points))
    indices, notes = analyse(plan, means, outputs)
    counts = {
        "points": len(plan.points),
        "replications": replications,
        "finished": len(runs),
        "failed": sum(1 for _ in (out / FAILED).glob("*.txt")),
    }
    write_file_atomically(
        out / "point_means.parquet", lambda p: means.reset_index().to_parquet(p, index=False)
    )
    write_file_atomically(out / "sensitivity.csv", lambda p: indices.to_csv(p, index=False))
    kept: dict[str, Any] = {}
    if extra is None and (out / MANIFEST).exists():
        try:
            old = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
            kept = {k: old[k] for k in PROVENANCE_KEYS if k in old}
        except (OSError, ValueError):
            kept = {}
    meta = {
        "name": plan.sweep.name,
        "fingerprint": plan.fingerprint,
        "source": plan.source,
        "seed": plan.sweep.seed,
        "counts": counts,
        "replications_averaged": used,
        "notes": notes,
        **provenance(),
        **kept,
        **(
            {}
            if status is None
            else {
                "last_call": {
                    "computed": status.done,
                    "found": status.found,
                    "failed": status.failed,
                    "seconds": round(status.seconds, 3),
                    "worker_restarts": status.restarts,
                }
            }
        ),
        **(extra or {}),
    }
    write_text_atomically(out / MANIFEST, json.dumps(meta, indent=2, default=str) + "\n")
    return SweepSummary(means, used, indices, notes, counts, meta)
