"""``relsim calibrate``: fit free values to calibrated facts; validate every fact out of sample."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from relsim.cli._common import add_backend


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "calibrate",
        help="fit a scenario's free values to target facts and validate every fact out of sample",
        description="Fit the free values a targets file declares to its "
        "calibrated facts (Nelder-Mead, common random numbers), set the initial "
        "state to the fitted steady state, and judge every fact (input, "
        "calibrated, predicted) on replications of another seed.",
    )
    p.add_argument("scenario", help="the scenario to calibrate (TOML or relsim:NAME)")
    p.add_argument(
        "--targets", required=True, help="targets file (see scenarios/baseline.targets.toml)"
    )
    p.add_argument(
        "--out",
        required=True,
        help="output folder (calibrated.toml, validation.csv, fit.csv, manifest.json)",
    )
    add_backend(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    import json

    from relsim.cli._common import Interrupted, make_backend, progress_bar
    from relsim.experiments.calibration import (
        calibrated_toml,
        plan_calibration,
        run_calibration,
    )
    from relsim.experiments.replication import WARMUP
    from relsim.experiments.store import METRICS, Store
    from relsim.storage.atomic import write_file_atomically, write_text_atomically
    from relsim.storage.provenance import command_line, provenance

    plan = plan_calibration(args.targets, args.scenario)
    t = plan.targets
    out = Path(args.out)
    t0 = time.perf_counter()
    with Store(out, "calibration", plan.fingerprint, (WARMUP, METRICS), optional=(WARMUP,)).open(
        targets=str(args.targets)
    ) as store:
        with make_backend(args) as backend:
            bars: dict[str, Any] = {}

            def on_progress(stage: str, status: Any) -> None:
                if stage not in bars:
                    bars[stage] = progress_bar(status.total, stage)
                bar, move = bars[stage]
                move(status)
                if status.finished >= status.total:
                    bar.close()
                    bars.pop(stage)

            print(
                f"relsim calibrate: {len(t.free)} free values, {len(t.calibrated)} "
                f"calibrated facts, up to {t.fit.max_evaluations} candidates x "
                f"{t.fit.replications} replications, on {backend.label}"
            )
            try:
                cal = run_calibration(plan, store, backend, on_progress)
            except KeyboardInterrupt:
                raise Interrupted(
                    f"the finished runs are kept in {out}; rerun the same command to resume"
                ) from None
            finally:
                for bar, _ in bars.values():
                    bar.close()
        text = calibrated_toml(plan, cal, " ".join(command_line()))
        write_text_atomically(out / "calibrated.toml", text)
        write_file_atomically(
            out / "validation.csv", lambda p: cal.validation.to_csv(p, index=False)
        )
        write_file_atomically(out / "fit.csv", lambda p: cal.fit.to_csv(p, index=False))
        warm = cal.warmup.tests if cal.warmup is not None else None
        if warm is not None:
            write_file_atomically(out / "warmup.csv", lambda p: warm.to_csv(p, index=False))
        meta = {
            "targets": str(args.targets),
            "scenario": str(plan.scenario_path),
            "fingerprint": plan.fingerprint,
            "values": cal.values,
            "initial": cal.initial,
            "evaluations": cal.evaluations,
            "wall_seconds": time.perf_counter() - t0,
            **provenance(),
        }
        write_text_atomically(out / "manifest.json", json.dumps(meta, indent=2, default=str) + "\n")
    from relsim.analysis.facts import headline

    print(
        f"fitted in {cal.evaluations} candidates: "
        + ", ".join(f"{k} = {v:g}" for k, v in cal.values.items())
    )
    table = cal.validation[["fact", "role", "low", "high", "value", "ci_low", "ci_high", "verdict"]]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"validation on seed {t.validation.seed}: {headline(cal.validation)}")
    if cal.warmup is not None:
        flag = "warning: " if cal.warmup.short else ""
        print(f"  {flag}{cal.warmup.message()}")
    print(
        f"  written to {out}/ (calibrated.toml, validation.csv, fit.csv, "
        f"{'warmup.csv, ' if cal.warmup is not None else ''}"
        f"manifest.json), {time.perf_counter() - t0:.0f} s"
    )
    return 0
