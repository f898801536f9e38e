"""A study on disk: the replications of several arms, their summaries, report and manifest.

``relsim compare`` and ``relsim experiment`` both run arms with :func:`relsim.compare.run_arms`
and then call :func:`write_study`, which stacks the finished replications into
``replications.parquet`` (one row per arm and replication) and ``ledgers.parquet`` (one row
per arm, replication and period), and writes ``summary.csv`` (means, intervals, paired
differences), ``strategy.csv`` (payback and ROI of each arm against the first),
``claims.csv`` for an experiment, ``manifest.json`` and ``report.html``. Each file is
written to a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from relsim.compare import Arm, load_replications, payback, roi, summarize
from relsim.comparison_report import write_comparison_report
from relsim.runio import write_file_atomically as _atomic
from relsim.simulation import package_versions


@dataclass
class Study:
    """What a study wrote, for printing."""

    out: Path
    replications: pd.DataFrame
    ledgers: pd.DataFrame
    summary: pd.DataFrame
    strategy: pd.DataFrame
    claims: pd.DataFrame | None = None


def strategy_table(replications: pd.DataFrame, ledgers: pd.DataFrame,
                   arms: list[str]) -> pd.DataFrame:
    """Payback period and ROI of every arm against the first, paired by replication."""
    rows = []
    for arm in arms[1:]:
        pb = payback(ledgers, arm, arms[0])
        r = roi(replications, arm, arms[0])
        rows.append({"arm": arm, "against": arms[0], "payback_periods": pb["periods"],
                     "paid_back_share": pb["paid_back_share"], "roi": r[0],
                     "roi_low": r[1], "roi_high": r[2]})
    return pd.DataFrame(rows, columns=["arm", "against", "payback_periods", "paid_back_share",
                                       "roi", "roi_low", "roi_high"])


def write_study(out: Path, arms: list[Arm], reps: int, seed: int, title: str,
                description: str = "", claims_fn=None, metrics: list[str] | None = None,
                extra: dict[str, Any] | None = None) -> Study:
    """Summarise the finished replications of ``arms`` in ``out`` and write the study files.

    Parameters
    ----------
    out : Path
        The study directory (holding ``reps/``).
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

    Returns
    -------
    Study
    """
    t0 = time.perf_counter()
    replications, ledgers = load_replications(out, arms, reps)
    names = [a.name for a in arms]
    summary = summarize(replications, names[0])
    strategy = strategy_table(replications, ledgers, names)
    claims = claims_fn(replications, ledgers) if claims_fn is not None else None
    _atomic(out / "replications.parquet", lambda p: replications.to_parquet(p, index=False))
    _atomic(out / "ledgers.parquet", lambda p: ledgers.to_parquet(p, index=False))
    _atomic(out / "summary.csv", lambda p: summary.to_csv(p, index=False))
    _atomic(out / "strategy.csv", lambda p: strategy.to_csv(p, index=False))
    if claims is not None:
        _atomic(out / "claims.csv", lambda p: claims.to_csv(p, index=False))
    # The page writer is atomic itself.
    write_comparison_report(out / "report.html", title, description, replications, ledgers,
                            summary, names, claims, metrics)
    manifest = {
        "title": title, "description": description, "seed": seed,
        "replications_requested": reps, "metrics": metrics,
        "replications_finished": {a: int((replications["arm"] == a).sum()) for a in names},
        "arms": [{"name": a.name, "source": a.source, "fingerprint": a.fingerprint(seed),
                  "scenario": a.scenario.to_dict()} for a in arms],
        "versions": package_versions(), "summary_seconds": time.perf_counter() - t0,
        **(extra or {}),
    }
    _atomic(out / "manifest.json",
            lambda p: p.write_text(json.dumps(manifest, indent=2, default=str) + "\n"))
    return Study(out, replications, ledgers, summary, strategy, claims)
