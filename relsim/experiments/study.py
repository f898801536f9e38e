"""What a comparison or experiment leaves beside its replications: tables and a manifest.

``relsim compare`` and ``relsim experiment`` run arms with
:func:`relsim.experiments.comparison.run_arms`; then :func:`write_study` stacks the finished
replications into ``replications.parquet`` (one row per arm and replication, the focal firm's
figures) and ``ledgers.parquet`` (one row per arm, replication and period), and writes
``summary.csv`` (means, intervals, paired differences to the first arm), ``differences.csv``
(paired differences for every ordered pair of arms and every firm), ``ranking.csv`` (the arms
ranked on the objective, with the probability of being best and how many replications would
separate those not yet separated), ``investments.csv`` (payback and ROI of the arms that spend
more on the levers than the first), ``claims.csv`` for an experiment and ``manifest.json``,
each through a temporary file renamed into place. The report is drawn
from these files by :mod:`relsim.reporting.study_report`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from relsim.analysis.warmup import WarmupVerdict
from relsim.errors import RelsimError
from relsim.experiments.comparison import (
    Arm,
    fingerprint,
    focal_rows,
    load_replications,
    pairwise_differences,
    summarize,
    warmup_checks,
)
from relsim.experiments.verdict import DEFAULT_OBJECTIVE, Objective, investments, ranking
from relsim.storage.atomic import write_file_atomically, write_text_atomically
from relsim.storage.provenance import provenance

MANIFEST = "manifest.json"


class NothingFinishedError(RelsimError):
    """No replication of a study finished, so there is nothing to summarise."""


@dataclass
class Study:
    """What a study wrote, for printing and reporting."""

    out: Path
    arms: list[str]
    replications: pd.DataFrame
    ledgers: pd.DataFrame
    summary: pd.DataFrame
    ranking: pd.DataFrame
    investments: pd.DataFrame
    manifest: dict[str, Any]
    claims: pd.DataFrame | None = None
    objective: Objective = Objective(DEFAULT_OBJECTIVE)
    #: Each arm's warm-up, tested for initialisation bias on its replications.
    warmup: dict[str, WarmupVerdict] = field(default_factory=dict)

    @property
    def period(self) -> str:
        """The ledgers' period (month, quarter or year), from the reference arm's scenario."""
        arms = self.manifest.get("arms") or [{}]
        return str(arms[0].get("scenario", {}).get("economics", {}).get("period", "period"))


def _with_seed(data: dict[str, Any], seed: int) -> dict[str, Any]:
    sim = dict(data.get("simulation", {}))
    sim["seed"] = seed
    return {**data, "simulation": sim}


def write_study(
    out: Path,
    arms: list[Arm],
    reps: int,
    seed: int,
    title: str,
    description: str = "",
    claims_fn: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None,
    metrics: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    objective: Objective | None = None,
) -> Study:
    """Summarise the finished replications of ``arms`` in ``out`` and write the study files.

    Parameters
    ----------
    out : Path
        The study folder (a store of the arms' replications).
    arms : list of Arm
        The arms, the reference first.
    reps, seed : int
        Replications asked for, and the root seed.
    title, description : str
        For the report.
    claims_fn : callable, optional
        ``claims_fn(replications, ledgers) -> DataFrame`` evaluating an experiment's claims.
    metrics : list of str, optional
        Metrics the report's summary shows.
    extra : dict, optional
        More manifest entries.
    objective : Objective, optional
        What the arms are ranked by (default: profit plus customer equity).

    Returns
    -------
    Study
    """
    t0 = time.perf_counter()
    all_firms, all_ledgers = load_replications(out, arms, reps, focal_only=False)
    replications, ledgers = focal_rows(all_firms, all_ledgers, arms)
    names = [a.name for a in arms]
    if replications.empty:
        raise NothingFinishedError(
            f"{out}: no replication finished for every arm; the "
            f"tracebacks of those that failed are in {out / 'failed'}"
        )
    summary = summarize(replications, names[0])
    differences = pairwise_differences(all_firms, names)
    objective = objective or Objective(DEFAULT_OBJECTIVE)
    ranked = ranking(replications, names, objective)
    invest = investments(replications, ledgers, names, objective)
    claims = claims_fn(replications, ledgers) if claims_fn is not None else None
    warmup = warmup_checks(out, arms, replications)
    write_file_atomically(
        out / "replications.parquet", lambda p: replications.to_parquet(p, index=False)
    )
    write_file_atomically(out / "ledgers.parquet", lambda p: ledgers.to_parquet(p, index=False))
    write_file_atomically(out / "summary.csv", lambda p: summary.to_csv(p, index=False))
    write_file_atomically(out / "ranking.csv", lambda p: ranked.to_csv(p, index=False))
    write_file_atomically(out / "investments.csv", lambda p: invest.to_csv(p, index=False))
    write_file_atomically(out / "differences.csv", lambda p: differences.to_csv(p, index=False))
    if claims is not None:
        write_file_atomically(out / "claims.csv", lambda p: claims.to_csv(p, index=False))
    manifest = {
        "title": title,
        "description": description,
        "seed": seed,
        "replications_requested": reps,
        "metrics": metrics,
        "objective": str(objective),
        "replications_finished": {
            a: int((replications["arm"] == a).sum()) if len(replications) else 0 for a in names
        },
        "fingerprint": fingerprint(arms, seed),
        # Each arm's scenario as simulated: with the seed actually used (--seed may differ).
        "arms": [
            {"name": a.name, "source": a.source, "scenario": _with_seed(a.scenario.to_dict(), seed)}
            for a in arms
        ],
        **provenance(),
        "warmup_check": {
            a: {
                "short": w.short,
                "message": w.message(),
                # JSON has no infinity: a series that never varies has t = inf, written null
                "tests": w.tests.astype(object)
                .where(w.tests.map(lambda v: not isinstance(v, float) or math.isfinite(v)), None)
                .to_dict("records"),
            }
            for a, w in warmup.items()
        },
        "summary_seconds": time.perf_counter() - t0,
        **(extra or {}),
    }
    write_text_atomically(out / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")
    return Study(
        out,
        names,
        replications,
        ledgers,
        summary,
        ranked,
        invest,
        manifest,
        claims,
        objective,
        warmup,
    )
