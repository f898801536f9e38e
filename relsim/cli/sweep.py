"""``relsim sweep``: scenario values over a design, replicated, with sensitivity indices."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from relsim.cli._common import add_backend, positive_int


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "sweep",
        help="sweep scenario values over a grid or a sampled design, "
        "with replications, resume and sensitivity indices",
        description="Run a sweep file's points x replications into a resumable "
        "Parquet dataset and compute sensitivity indices.",
    )
    p.add_argument("spec", help="sweep TOML (see experiments/sweeps/)")
    p.add_argument("--reps", type=positive_int, help="replications per point (default: the file's)")
    p.add_argument("--out", help="results folder (default: results/sweeps/<name>)")
    add_backend(p)
    p.add_argument("--no-report", action="store_true", help="skip report.html")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    from relsim.cli._common import interrupted_in_store, make_backend, progress_bar
    from relsim.experiments.engine import AbortedError
    from relsim.experiments.sensitivity import sensitivity_table
    from relsim.experiments.sweep_summary import summarise_sweep
    from relsim.experiments.sweeps import (
        check_workload,
        design_size,
        load_sweep,
        open_sweep_store,
        plan_sweep,
        run_sweep,
    )

    sweep = load_sweep(args.spec)
    reps = args.reps or sweep.replications
    n = design_size(sweep)
    check_workload(n * reps, f"{args.spec}: {n:,} points x {reps:,} replications")
    print(
        f"relsim sweep: {n:,} points x {reps:,} replications = {n * reps:,} simulations; "
        "checking every point's scenario first",
        flush=True,
    )
    plan = plan_sweep(sweep, args.spec)
    out = Path(args.out) if args.out else Path("results") / "sweeps" / sweep.name
    t0 = time.perf_counter()
    with open_sweep_store(plan, out) as store:
        for p in store.set_aside:
            print(f"relsim: {p.name} could not be read; set aside in {p.parent} and computed again")
        with make_backend(args) as backend:
            bar, on_progress = progress_bar(len(plan.points) * reps, f"sweep on {backend.label}")
            try:
                status = run_sweep(plan, store, backend, reps, on_progress)
            except KeyboardInterrupt:
                bar.close()
                raise interrupted_in_store(out / "metrics", len(store.finished())) from None
            except AbortedError:
                bar.close()
                raise
            bar.close()
            label = backend.label
        summary = summarise_sweep(
            plan,
            out,
            reps,
            status,
            extra={"backend": label, "wall_seconds": time.perf_counter() - t0},
        )
        if not args.no_report:
            from relsim.reporting.sweep_report import write_sweep_report

            write_sweep_report(out / "report.html", plan, summary)
    print(
        f"Sweep {sweep.name}: {len(plan.points)} points x {reps} replications "
        f"({sweep.design.method}, seed {sweep.seed}) on {label}: {status.done} run now, "
        f"{status.found} found finished, {status.failed} failed, "
        f"{time.perf_counter() - t0:.0f} s"
    )
    table = sensitivity_table(summary.indices)
    if len(table):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for note in summary.notes:
        print(f"  note: {note}")
    files = (
        "metrics/ Parquet dataset, points.parquet, point_means.parquet, sensitivity.csv, "
        "manifest.json" + ("" if args.no_report else ", report.html")
    )
    print(f"  written to {out}/ ({files})")
    if status.failed:
        print(
            f"relsim: {status.failed} replications failed; their tracebacks are in "
            f"{out / 'failed'}; rerun to retry them"
        )
        return 1
    return 0
