"""Running a comparison or an experiment from the command line: the shared part."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from relsim.cli._common import interrupted_in_store, make_backend, progress_bar


def run_study(
    args: argparse.Namespace,
    arms: list[Any],
    reps: int,
    seed: int,
    out: Path,
    kind: str,
    title: str,
    description: str,
    claims_fn: Any = None,
    metrics: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    precision_of: Any = None,
    objective: Any = None,
) -> Any:
    """Run a study with the console's progress bar and messages.

    :func:`relsim.studies.run_arms_study` does the work; this returns its
    :class:`~relsim.experiments.study.Study` and the number of failed replications.
    """
    from relsim.studies import run_arms_study

    t0 = time.perf_counter()
    bar, on_progress = progress_bar(len(arms) * reps, "replications")

    def progress(status: Any) -> None:
        bar.total = status.total  # the sequential rule adds replications as it goes
        on_progress(status)

    try:
        # The backend starts once the store is open: a bad folder costs no cluster.
        result = run_arms_study(
            arms,
            reps,
            seed,
            out,
            kind,
            title,
            description,
            claims_fn,
            metrics,
            extra,
            objective,
            precision=getattr(args, "precision", None),
            max_reps=getattr(args, "max_reps", None),
            precision_of=precision_of,
            backend=lambda: make_backend(args),
            on_progress=progress,
            report=not getattr(args, "no_report", False),
            log=lambda line: print(f"relsim: {line}", flush=True),
        )
    except KeyboardInterrupt:
        bar.close()
        from relsim.experiments.store import Store

        kept = len(Store(out, kind, "").finished()) if out.is_dir() else 0
        raise interrupted_in_store(out / "metrics", kept) from None
    finally:
        bar.close()
    study = result.study
    label = study.manifest.get("backend", "")
    reps = int(study.manifest.get("replications_requested", reps))
    print(
        f"{title}: {len(arms)} arms x {reps} replications (seed {seed}; {result.done} run now, "
        f"{result.found} found finished, {result.failed} failed), "
        f"{time.perf_counter() - t0:.0f} s on {label}"
    )
    if result.stop_note:
        print(f"  {result.stop_note}")
    for line in result.warmup_warnings():
        print(f"  warning: {line}")
    if result.failed:
        print(
            f"relsim: {result.failed} replications failed; their tracebacks are in "
            f"{out / 'failed'}; rerun to retry them"
        )
    return study, result.failed


def print_summary(study: Any, metrics: tuple[str, ...] | list[str], verdict: bool = True) -> None:
    """The console report of a study: the verdict, its reasons, investments, then the table."""
    from relsim.experiments.verdict import mechanism_table
    from relsim.reporting.study_report import summary_table
    from relsim.reporting.verdict_text import investment_lines, mechanism_text, verdict_lines

    if verdict and len(study.arms) > 1:
        print("\n".join(verdict_lines(study.ranking, study.objective)))
        mech = mechanism_table(study.summary, study.arms)
        if len(mech):
            print("Why (the mechanisms behind the differences, mean per replication):")
            print("\n".join("  " + line for line in mechanism_text(mech).splitlines()))
        print(
            "\n".join(
                investment_lines(study.investments, study.arms[0], study.objective, study.period)
            )
        )
    table = summary_table(study.summary, metrics)
    if len(table):
        print(table.to_string(index=False))
