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
    from relsim.studies import sweep

    out_arg = Path(args.out) if args.out else None
    t0 = time.perf_counter()

    bars: list[Any] = []  # the progress bar, made once the sweep's size is known

    def on_plan(n: int, reps: int) -> None:
        print(
            f"relsim sweep: {n:,} points x {reps:,} replications = {n * reps:,} simulations; "
            "checking every point's scenario first",
            flush=True,
        )
        bars.extend(progress_bar(n * reps, "sweep"))

    def progress(status: Any) -> None:
        bars[1](status)

    def close() -> None:
        if bars:
            bars[0].close()

    # The backend starts once the sweep is planned and its store is open.
    try:
        result = sweep(
            args.spec,
            args.reps,
            out_arg,
            backend=lambda: make_backend(args),
            on_progress=progress,
            on_plan=on_plan,
            report=not args.no_report,
            log=lambda line: print(f"relsim: {line}", flush=True),
        )
    except KeyboardInterrupt:
        close()
        from relsim.experiments.store import Store
        from relsim.experiments.sweeps import load_sweep

        out = out_arg or Path("results") / "sweeps" / load_sweep(args.spec).name
        kept = len(Store(out, "sweep", "").finished()) if out.is_dir() else 0
        raise interrupted_in_store(out / "metrics", kept) from None
    finally:
        close()
    out, plan, status = result.folder, result.plan, result.status
    label = result.summary.manifest.get("backend", "")
    spec = plan.sweep
    print(
        f"Sweep {spec.name}: {len(plan.points)} points x {result.reps} replications "
        f"({spec.design.method}, seed {spec.seed}) on {label}: {status.done} run "
        f"now, {status.found} found finished, {status.failed} failed, "
        f"{time.perf_counter() - t0:.0f} s"
    )
    table = result.sensitivity()
    if len(table):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for note in result.summary.notes:
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
