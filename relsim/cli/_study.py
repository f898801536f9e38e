"""Running a comparison or an experiment from the command line: the shared part."""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

from relsim.cli._common import interrupted_in_store, make_backend, progress_bar

#: Metrics ``relsim compare`` prints.
COMPARE_PRINTED = (
    "profit_plus_equity",
    "profit",
    "customer_equity",
    "npv",
    "revenue",
    "customers_end",
    "retention_rate",
    "cost_per_acquired",
    "cost_per_retained_customer_year",
    "defections_neglect_per_customer_year",
    "defections_price_per_customer_year",
    "defections_dissatisfaction_per_customer_year",
)


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
    """Run the arms into the store at ``out``, then write the study's files and report.

    With ``args.precision``, replications are added (sequentially, with common random
    numbers) until ``precision_of(study)`` (the largest relative half-width of the intervals
    the study reports) is at most the target for ``n`` and for the look-ahead of Hoad,
    Robinson & Davies (2010) beyond it, or ``args.max_reps`` is reached.
    """
    from relsim.analysis.statistics import look_ahead
    from relsim.experiments.comparison import open_store, run_arms
    from relsim.experiments.study import write_study
    from relsim.experiments.sweeps import check_workload
    from relsim.reporting.study_report import write_study_report

    t0 = time.perf_counter()
    target = getattr(args, "precision", None)
    cap = getattr(args, "max_reps", None) or reps
    check_workload(
        len(arms) * max(cap, reps), f"{kind}: {len(arms)} arms x {max(cap, reps):,} replications"
    )
    done = found = failed = 0
    stop_note = ""
    with open_store(out, arms, seed, kind) as store:
        for p in store.set_aside:
            print(f"relsim: {p.name} could not be read; set aside in {p.parent} and computed again")
        with make_backend(args) as backend:
            n, first_ok = reps, None
            while True:
                bar, on_progress = progress_bar(len(arms) * n, "replications")
                # (the first pass may have fewer than two replications: no interval yet)
                try:
                    status = run_arms(store, arms, n, seed, backend, on_progress)
                except KeyboardInterrupt:
                    bar.close()
                    raise interrupted_in_store(out / "metrics", len(store.finished())) from None
                finally:
                    bar.close()
                done, found, failed = done + status.done, found or status.found, status.failed
                if target is None or status.failed:
                    break
                study = write_study(
                    out, arms, n, seed, title, description, claims_fn, metrics, {}, objective
                )
                worst, where = precision_of(study)
                if worst <= target:
                    first_ok = n if first_ok is None else first_ok
                    if n >= first_ok + look_ahead(first_ok) or n >= cap:
                        n = first_ok
                        stop_note = (
                            f"precision reached: every interval within "
                            f"{target:.1%} of its mean at {n} replications (checked "
                            f"{look_ahead(n)} further)"
                        )
                        break
                else:
                    first_ok = None
                if n >= cap:
                    stop_note = (
                        f"--max-reps {cap} reached before the precision: the widest "
                        f"interval is {worst:.1%} of its mean ({where})"
                    )
                    break
                n += 1
            reps = n
            label = backend.label
        extra = {
            "backend": label,
            "wall_seconds": time.perf_counter() - t0,
            "replications_rule": stop_note or None,
            **(extra or {}),
        }
        study = write_study(
            out, arms, reps, seed, title, description, claims_fn, metrics, extra, objective
        )
        # The model's description for a reviewer, with the reference arm's values.
        from relsim.config.targets import default_targets_path, load_targets
        from relsim.reporting.odd import odd_markdown
        from relsim.storage.atomic import write_text_atomically

        write_text_atomically(
            out / "odd.md",
            odd_markdown(arms[0].scenario, load_targets(default_targets_path()).facts),
        )
        if not getattr(args, "no_report", False):
            write_study_report(study)
    print(
        f"{title}: {len(arms)} arms x {reps} replications (seed {seed}; {done} run now, "
        f"{found} found finished, {failed} failed), {time.perf_counter() - t0:.0f} s on "
        f"{label}"
    )
    if stop_note:
        print(f"  {stop_note}")
    for arm, check in study.warmup.items():
        if check.short and check.judged:
            print(f"  warning: {arm}: {check.message()}")
    if failed:
        print(
            f"relsim: {failed} replications failed; their tracebacks are in "
            f"{out / 'failed'}; rerun to retry them"
        )
    return study, failed


def widest_interval(rows: Any, value: str, low: str, high: str, label: Any) -> tuple[float, str]:
    """The widest interval relative to its mean, over rows with a finite, non-zero mean.

    Rows whose mean is undefined or zero (a figure that does not arise, a difference of
    nothing) can never reach a relative precision, so they are left out; so are rows with no
    interval yet (one replication).
    """
    from relsim.analysis.statistics import relative_half_width

    worst, where = 0.0, ""
    for _, r in rows.iterrows():
        rel = relative_half_width(r[value], r[low], r[high])
        if math.isfinite(rel) and rel > worst:
            worst, where = rel, label(r)
    return worst, where


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
