"""The ``relsim`` command line: run, validate, facts, forecast, compare, experiment, sweep.

Every command is a thin layer over the Python API; bad input ends with a message naming the
file, the key and what was expected, exit status 2, and nothing written.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path

import pandas as pd

from relsim.economics import daily_ledger, npv
from relsim.experiment import ExperimentError
from relsim.facts import facts_frame, measure
from relsim.forecast.data import ForecastDataError
from relsim.runio import RunDirError, read_run, write_run
from relsim.scenario import Scenario, ScenarioError, load_scenario
from relsim.simulation import SimulationResult, simulate
from relsim.sweep.spec import SweepError

EXIT_BAD_INPUT = 2


def _progress(days: float):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None, None
    bar = tqdm(total=int(days), unit="day", desc="simulating", disable=None, leave=False)

    def on_day(now: float) -> None:
        bar.update(int(now) - bar.n)

    return bar, on_day


def _summary(result: SimulationResult, out: Path | None, seconds: float) -> str:
    ts = result.timeseries
    lines = [f"relsim run: scenario '{result.scenario.name}', seed {result.seed}, "
             f"{result.scenario.simulation.people} people, "
             f"{result.scenario.simulation.days:g} days, {seconds:.1f} s"]
    for firm, own in ts.groupby("firm", observed=True):
        first, last = own.iloc[0], own.iloc[-1]
        acquired = int(last["acquired_to_date"] - first["acquired_to_date"])
        lost = own[[c for c in own.columns if c.startswith("lost_") and c != "lost_to_date"]]
        by_cause = lost.iloc[1:].sum()
        total_lost = int(by_cause.sum())
        mix = ", ".join(f"{c[5:]} {v / total_lost:.0%}" for c, v in by_cause.items()
                        if total_lost)
        focal = " (focal)" if firm == result.focal else ""
        led = daily_ledger(result.scenario, result.tables(), str(firm))
        money = (f"; profit {led['profit'].sum():,.0f} (NPV "
                 f"{npv(led, result.scenario.economics.discount_rate_per_year):,.0f})")
        lines.append(f"  {firm}{focal}: customers {int(first['active'])} -> {int(last['active'])}"
                     f"; acquired {acquired}, lost {total_lost} ({mix}); "
                     f"revenue {own['revenue'].sum():,.0f}{money}")
    facts = measure(result.customers, result.transactions, result.focal,
                    result.scenario.simulation.days)
    held = sum(f.holds for f in facts)
    lines.append(f"  source figures reproduced: {held} of {len(facts)} (see `relsim facts`)")
    if out is not None:
        lines.append(f"  written to {out}/ (report.html, manifest.json, *.parquet)")
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.set)
    seed = scenario.simulation.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else Path("results") / "runs" / f"{scenario.name}-seed{seed}"
    bar, on_day = _progress(scenario.simulation.days)
    t0 = time.perf_counter()
    try:
        result = simulate(scenario, seed=seed, on_day=on_day)
    finally:
        if bar is not None:
            bar.close()
    extra = {"command": ["relsim", *sys.argv[1:]],
             "scenario_file": str(args.scenario) if args.scenario else "(bundled default)",
             "wall_seconds": time.perf_counter() - t0}
    write_run(result, out, extra=extra, report=not args.no_report)
    print(_summary(result, out, time.perf_counter() - t0))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    sc: Scenario = load_scenario(args.scenario, args.set)
    print(f"{args.scenario}: valid scenario '{sc.name}' ({sc.simulation.people} people, "
          f"{sc.simulation.days:g} days, firms: {', '.join(sc.firms)}; focal {sc.market.focal})")
    return 0


def _cmd_facts(args: argparse.Namespace) -> int:
    tables, meta = read_run(args.run_dir)
    scenario = meta["scenario"]
    firm = args.firm or scenario["market"]["focal"]
    if firm not in scenario["firms"]:
        raise RunDirError(f"--firm {firm}: no such firm in {args.run_dir} "
                          f"(firms: {', '.join(scenario['firms'])})")
    facts = measure(tables["customers"], tables["transactions"], firm,
                    float(scenario["simulation"]["days"]))
    df = facts_frame(facts)
    df["run"] = df["run"].map(lambda v: f"{v:.1%}" if pd.notna(v) else "n/a")
    df["holds"] = df["holds"].map({True: "yes", False: "NO"})
    print(f"Source figures beside run {args.run_dir} (firm '{firm}', seed {meta['seed']}):")
    print(df.to_string(index=False))
    return 0


def _cmd_forecast(args: argparse.Namespace) -> int:
    from relsim.forecast.data import Columns, read_transactions
    from relsim.forecast.predict import accuracy, forecast, forecast_from_summary
    from relsim.forecast.runner import read_summary, write_forecast

    source = Path(args.source)
    models = tuple(args.model) if args.model else ("bgnbd", "paretonbd", "gammagamma")
    if args.summary:
        summary = read_summary(source)
        horizon = args.horizon or (52.0 if args.unit == "weeks" else 364.0)
        result = forecast_from_summary(summary, horizon, args.unit, models, args.margin,
                                       args.discount_rate, source=str(source))
        transactions = None
    else:
        cols = Columns(args.customer_col, args.date_col, args.amount_col or None)
        transactions = read_transactions(source, cols, args.date_format, args.firm,
                                         sep=args.sep, header=not args.no_header)
        result = forecast(transactions, args.calibration_end, args.horizon, args.unit, models,
                          args.margin, args.discount_rate, source=str(source))
    out = Path(args.out) if args.out else Path("results") / "forecasts" / source.stem
    write_forecast(result, transactions, out, source, args.calibration_end, args.firm)
    acc = accuracy(result)
    print(f"relsim forecast: {source}, {len(result.summary)} customers, "
          f"horizon {result.horizon:g} {result.unit}")
    for name, res in result.fits.items():
        params = ", ".join(f"{p}={v:.4g}" for p, v in zip(res.model.param_names, res.params,
                                                           strict=True))
        flag = "" if res.mle_retvals["converged"] else "  (DID NOT CONVERGE)"
        print(f"  {name}: {params}; log-likelihood {res.llf:.1f}{flag}")
    for _, row in acc[acc["measure"].isin(["mae_purchases", "total_predicted",
                                            "total_actual"])].iterrows():
        print(f"  {row['model']} {row['measure']}: {row['value']:.3f}")
    print(f"  written to {out}/ (parameters.csv, customers.parquet, accuracy.csv, report.html)")
    return 0


COMPARE_PRINTED = ("profit", "npv", "revenue", "customers_end", "retention_rate",
                   "cost_per_acquired", "cost_per_retained_customer_year",
                   "defections_neglect_per_customer_year", "defections_price_per_customer_year",
                   "defections_dissatisfaction_per_customer_year")


def _print_summary(study, metrics: tuple[str, ...] | list[str]) -> None:
    from relsim.comparison_report import summary_table

    table = summary_table(study.summary, metrics)
    if len(table):
        print(table.to_string(index=False))
    for _, r in study.strategy.iterrows():
        pb = (f"pays back in period {r['payback_periods']:g}"
              if pd.notna(r["payback_periods"]) else "does not pay back within the run")
        roi = "" if pd.isna(r["roi"]) else f"; ROI {r['roi']:.2f} [{r['roi_low']:.2f}, " \
                                            f"{r['roi_high']:.2f}]"
        print(f"  {r['arm']} against {r['against']}: {pb}{roi}")


def _run_study(arms, reps: int, seed: int, out: Path, workers: int, title: str,
               description: str, claims_fn=None, metrics=None, extra=None):
    from relsim.compare import run_arms
    from relsim.study import write_study

    t0 = time.perf_counter()
    try:
        done, found = run_arms(arms, reps, seed, out, workers)
    except KeyboardInterrupt:
        kept = sum(1 for a in arms for _ in (out / "reps" / a.name).glob("metrics-*.parquet"))
        print(f"relsim: interrupted; the {kept} finished replications are kept in "
              f"{out / 'reps'}; rerun the same command to compute only the rest",
              file=sys.stderr)
        raise SystemExit(130) from None
    extra = {"command": ["relsim", *sys.argv[1:]], "workers": workers,
             "wall_seconds": time.perf_counter() - t0, **(extra or {})}
    study = write_study(out, arms, reps, seed, title, description, claims_fn, metrics, extra)
    print(f"{title}: {len(arms)} arms x {reps} replications (seed {seed}; {done} run now, "
          f"{found} found finished), {time.perf_counter() - t0:.0f} s")
    return study


def _cmd_compare(args: argparse.Namespace) -> int:
    from relsim.compare import Arm

    arms: list[Arm] = []
    for path in args.scenarios:
        sc = load_scenario(path, args.set)
        name = sc.name
        k = 2
        while name in {a.name for a in arms}:
            name = f"{sc.name}-{k}"
            k += 1
        arms.append(Arm(name, sc, str(path)))
    seed = arms[0].scenario.simulation.seed if args.seed is None else args.seed
    if args.reps < 1 or args.workers < 1:
        print("relsim: error: --reps and --workers: expected positive integers",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    label = "-vs-".join(a.name for a in arms)
    out = Path(args.out) if args.out else Path("results") / "compare" / label
    study = _run_study(arms, args.reps, seed, out, args.workers, f"Comparison: {label}",
                       "Each arm's mean and 95% interval over replications, and the paired "
                       f"difference to '{arms[0].name}'.")
    _print_summary(study, COMPARE_PRINTED)
    print(f"  written to {out}/ (summary.csv, strategy.csv, replications.parquet, "
          "ledgers.parquet, report.html, manifest.json)")
    return 0


def _cmd_experiment(args: argparse.Namespace) -> int:
    from relsim.experiment import evaluate, load_experiment

    exp, arms = load_experiment(args.file)
    reps = args.reps or exp.replications
    seed = exp.seed if args.seed is None else args.seed
    if reps < 1 or args.workers < 1:
        print("relsim: error: --reps and --workers: expected positive integers",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out) if args.out else Path("results") / exp.name
    study = _run_study(arms, reps, seed, out, args.workers, f"Experiment: {exp.name}",
                       exp.description, lambda r, lg: evaluate(exp, r, lg),
                       exp.metrics or None, {"experiment_file": str(args.file),
                                             "experiment": exp.model_dump()})
    claims = study.claims
    metrics = exp.metrics or sorted({c.metric for c in exp.claims})
    _print_summary(study, metrics)
    for _, c in claims.iterrows():
        verdict = {True: "HELD", False: "DID NOT HOLD"}.get(c["holds"], "NOT EVALUATED")
        ci = ("" if pd.isna(c["ci_low"]) else f" [{c['ci_low']:.4g}, {c['ci_high']:.4g}]")
        why = f" ({c['why']})" if c["why"] else ""
        print(f"  claim: {c['claim']}: {verdict}: {c['value']:.4g}{ci} against "
              f"[{c['low']:g}, {c['high']:g}] ({c['test']}){why}")
    print(f"  written to {out}/ (claims.csv, summary.csv, report.html, manifest.json, ...)")
    held = claims["holds"].map(lambda v: v is True)
    return 0 if held.all() or not args.strict else 1


def _sweep_progress(total: int, label: str):
    from tqdm import tqdm

    bar = tqdm(total=total, unit="run", desc=f"sweep on {label}",
               dynamic_ncols=True, mininterval=0.5)

    def on_progress(status) -> None:
        bar.n = status.found + status.done + status.failed
        bar.set_postfix(running=status.running, failed=status.failed, refresh=False)
        bar.refresh()

    return bar, on_progress


def _cmd_sweep(args: argparse.Namespace) -> int:
    from relsim.sweep import load_sweep, make_backend, plan_sweep, run_sweep, summarise_sweep
    from relsim.sweep.runner import SweepAbortedError, finished_runs
    from relsim.sweep.sensitivity import sensitivity_table

    sweep = load_sweep(args.spec)
    for name in ("reps", "workers", "dask_local"):
        v = getattr(args, name)
        if v is not None and v < 1:
            print(f"relsim: error: --{name.replace('_', '-')}: expected a positive integer",
                  file=sys.stderr)
            return EXIT_BAD_INPUT
    plan = plan_sweep(sweep, args.spec)
    reps = args.reps or sweep.replications
    out = Path(args.out) if args.out else Path("results") / "sweeps" / sweep.name
    total = len(plan.points) * reps
    t0 = time.perf_counter()
    with make_backend(args.workers, args.scheduler, args.dask_local) as backend:
        bar, on_progress = _sweep_progress(total, backend.label)
        try:
            status = run_sweep(plan, out, backend, reps, on_progress)
        except KeyboardInterrupt:
            bar.close()
            kept = len(finished_runs(out))
            print(f"relsim: interrupted; the {kept} finished replications are kept in "
                  f"{out / 'runs'}; rerun the same command to compute only the rest",
                  file=sys.stderr)
            raise SystemExit(130) from None
        except SweepAbortedError as err:
            bar.close()
            print(f"relsim: error: {err}", file=sys.stderr)
            return 1
        bar.close()
        label = backend.label
    res = summarise_sweep(plan, out, reps, status, report=not args.no_report,
                          extra={"command": ["relsim", *sys.argv[1:]], "backend": label,
                                 "wall_seconds": time.perf_counter() - t0})
    print(f"Sweep {sweep.name}: {len(plan.points)} points x {reps} replications "
          f"({sweep.design.method}, seed {sweep.seed}) on {label}: {status.done} run now, "
          f"{status.found} found finished, {status.failed} failed, "
          f"{time.perf_counter() - t0:.0f} s")
    table = sensitivity_table(res["indices"])
    if len(table):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for note in res["notes"]:
        print(f"  note: {note}")
    print(f"  written to {out}/ (runs/ Parquet dataset, points.parquet, point_means.parquet, "
          "sensitivity.csv, report.html, manifest.json)")
    if status.failed:
        print(f"relsim: {status.failed} replications failed; their tracebacks are in "
              f"{out / 'failed'}; rerun to retry them", file=sys.stderr)
        return 1
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from relsim.rebuild import rebuild_report

    path = rebuild_report(args.dir)
    print(f"report written to {path}")
    return 0


def _cmd_app(args: argparse.Namespace) -> int:
    from relsim.app import serve

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", args.port))
        except OSError as err:
            print(f"relsim: error: --port {args.port}: cannot listen on 127.0.0.1 "
                  f"({err.strerror}); choose another port", file=sys.stderr)
            return EXIT_BAD_INPUT
    serve(port=args.port, debug=args.debug)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``relsim`` command."""
    p = argparse.ArgumentParser(prog="relsim", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="simulate a scenario and write its run directory")
    run.add_argument("scenario", nargs="?", help="scenario TOML (default: the bundled baseline)")
    run.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    run.add_argument("--out", help="run directory (default: results/runs/<scenario>-seed<N>)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario value, e.g. firms.focal.account_managers=8")
    run.add_argument("--no-report", action="store_true", help="skip report.html")
    run.set_defaults(func=_cmd_run)

    val = sub.add_parser("validate", help="check a scenario file and say what is wrong")
    val.add_argument("scenario", help="scenario TOML")
    val.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    val.set_defaults(func=_cmd_validate)

    facts = sub.add_parser("facts", help="the sources' figures beside what a run produced")
    facts.add_argument("run_dir", help="a run directory written by `relsim run`")
    facts.add_argument("--firm", help="firm to measure (default: the focal firm)")
    facts.set_defaults(func=_cmd_facts)

    fc = sub.add_parser("forecast", help="fit BG/NBD, Pareto/NBD and Gamma-Gamma to a "
                        "transaction log and forecast each customer")
    fc.add_argument("source", help="a run directory, a transactions CSV/Parquet, or (with "
                    "--summary) an RFM summary CSV")
    fc.add_argument("--calibration-end", help="end of the calibration period (YYYY-MM-DD); "
                    "what follows is the holdout")
    fc.add_argument("--horizon", type=float, help="forecast horizon in --unit (default: the "
                    "holdout's length, or a year)")
    fc.add_argument("--model", action="append", choices=["bgnbd", "paretonbd", "gammagamma"],
                    help="a model to fit (repeatable; default all three)")
    fc.add_argument("--unit", choices=["weeks", "days"], default="weeks")
    fc.add_argument("--out", help="output directory (default: results/forecasts/<source>)")
    fc.add_argument("--summary", action="store_true", help="SOURCE is an RFM summary "
                    "(columns frequency, recency, T, optionally monetary_value)")
    fc.add_argument("--customer-col", default="customer_id")
    fc.add_argument("--date-col", default="date")
    fc.add_argument("--amount-col", default="amount", help="'' if the data have no amounts")
    fc.add_argument("--date-format", help="strftime format of the dates, e.g. %%Y%%m%%d")
    fc.add_argument("--sep", default=",", help="CSV separator (a regex such as '\\s+' for "
                    "whitespace)")
    fc.add_argument("--no-header", action="store_true", help="the CSV has no header line; "
                    "name columns by number (--customer-col 0 ...)")
    fc.add_argument("--firm", help="in a run directory, whose customers (default: focal)")
    fc.add_argument("--margin", type=float, default=0.3, help="margin share of spend for CLV")
    fc.add_argument("--discount-rate", type=float, default=0.01,
                    help="discount rate per 4 weeks for CLV")
    fc.set_defaults(func=_cmd_forecast)

    cmp_ = sub.add_parser("compare", help="run scenarios side by side, replicated with common "
                          "random numbers, and compare their money and dynamics")
    cmp_.add_argument("scenarios", nargs="+", help="scenario TOML files; the first is the "
                      "reference the others are compared with")
    cmp_.add_argument("--reps", type=int, default=10, help="replications per scenario")
    cmp_.add_argument("--seed", type=int, help="root seed (default: the first scenario's)")
    cmp_.add_argument("--workers", type=int, default=1, help="local processes")
    cmp_.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                      help="override a value in every scenario")
    cmp_.add_argument("--out", help="output directory (default: results/compare/<names>)")
    cmp_.set_defaults(func=_cmd_compare)

    ex = sub.add_parser("experiment", help="run a declared experiment and check its claims")
    ex.add_argument("file", help="experiment TOML (see experiments/)")
    ex.add_argument("--reps", type=int, help="replications (default: the file's)")
    ex.add_argument("--seed", type=int, help="root seed (default: the file's)")
    ex.add_argument("--workers", type=int, default=1, help="local processes")
    ex.add_argument("--out", help="output directory (default: results/<experiment>)")
    ex.add_argument("--strict", action="store_true",
                    help="exit with status 1 when a claim does not hold")
    ex.set_defaults(func=_cmd_experiment)

    sw = sub.add_parser("sweep", help="sweep scenario values over a grid or a sampled design, "
                        "with replications, resume and sensitivity indices")
    sw.add_argument("spec", help="sweep TOML (see experiments/sweeps/)")
    sw.add_argument("--reps", type=int, help="replications per point (default: the file's)")
    sw.add_argument("--out", help="results directory (default: results/sweeps/<name>)")
    where = sw.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=1, help="local processes (default 1)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on a Dask distributed cluster, e.g. tcp://host:8786")
    where.add_argument("--dask-local", type=int, metavar="N",
                       help="run on a Dask LocalCluster of N worker processes")
    sw.add_argument("--no-report", action="store_true", help="skip report.html")
    sw.set_defaults(func=_cmd_sweep)

    rp = sub.add_parser("report", help="rebuild report.html of a run, comparison, experiment "
                        "or sweep directory from its files")
    rp.add_argument("dir", help="a results directory")
    rp.set_defaults(func=_cmd_report)

    app = sub.add_parser("app", help="serve the interactive leaky-bucket page (Dash) on "
                         "127.0.0.1")
    app.add_argument("--port", type=int, default=8050)
    app.add_argument("--debug", action="store_true", help="Dash's debug mode (reloads)")
    app.set_defaults(func=_cmd_app)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``relsim`` console script."""
    args = build_parser().parse_args(argv)
    if getattr(args, "seed", None) is not None and args.seed < 0:
        print("relsim: error: --seed: expected a non-negative integer", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return args.func(args)
    except (ScenarioError, RunDirError, ForecastDataError, ExperimentError, SweepError) as err:
        print(f"relsim: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("relsim: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
