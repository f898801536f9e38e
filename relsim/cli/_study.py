"""Running a comparison or an experiment from the command line: the shared part."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import pandas as pd

from relsim.cli._common import interrupted_in_store, make_backend, progress_bar

#: Metrics ``relsim compare`` prints.
COMPARE_PRINTED = ("profit", "npv", "revenue", "customers_end", "retention_rate",
                   "cost_per_acquired", "cost_per_retained_customer_year",
                   "defections_neglect_per_customer_year", "defections_price_per_customer_year",
                   "defections_dissatisfaction_per_customer_year")


def run_study(args: argparse.Namespace, arms: list[Any], reps: int, seed: int, out: Path,
              kind: str, title: str, description: str, claims_fn: Any = None,
              metrics: list[str] | None = None, extra: dict[str, Any] | None = None) -> Any:
    """Run the arms into the store at ``out``, then write the study's files and report."""
    from relsim.experiments.comparison import open_store, run_arms
    from relsim.experiments.study import write_study
    from relsim.reporting.study_report import write_study_report

    t0 = time.perf_counter()
    with open_store(out, arms, seed, kind) as store:
        for p in store.set_aside:
            print(f"relsim: {p.name} could not be read; set aside in {p.parent} and computed "
                  "again")
        with make_backend(args) as backend:
            bar, on_progress = progress_bar(len(arms) * reps, "replications")
            try:
                status = run_arms(store, arms, reps, seed, backend, on_progress)
            except KeyboardInterrupt:
                bar.close()
                raise interrupted_in_store(out / "metrics", len(store.finished())) from None
            finally:
                bar.close()
            label = backend.label
        extra = {"backend": label, "wall_seconds": time.perf_counter() - t0, **(extra or {})}
        study = write_study(out, arms, reps, seed, title, description, claims_fn, metrics,
                            extra)
        if not getattr(args, "no_report", False):
            write_study_report(study)
    print(f"{title}: {len(arms)} arms x {reps} replications (seed {seed}; {status.done} run "
          f"now, {status.found} found finished, {status.failed} failed), "
          f"{time.perf_counter() - t0:.0f} s on {label}")
    if status.failed:
        print(f"relsim: {status.failed} replications failed; their tracebacks are in "
              f"{out / 'failed'}; rerun to retry them")
    return study, status


def print_summary(study: Any, metrics: tuple[str, ...] | list[str]) -> None:
    """The console table of a study: each arm's means and paired differences."""
    from relsim.reporting.study_report import summary_table

    table = summary_table(study.summary, metrics)
    if len(table):
        print(table.to_string(index=False))
    for _, r in study.strategy.iterrows():
        pb = (f"pays back in period {r['payback_periods']:g}"
              if pd.notna(r["payback_periods"]) else "does not pay back within the run")
        roi = "" if pd.isna(r["roi"]) else (f"; ROI {r['roi']:.2f} [{r['roi_low']:.2f}, "
                                            f"{r['roi_high']:.2f}]")
        print(f"  {r['arm']} against {r['against']}: {pb}{roi}")
