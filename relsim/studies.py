"""Studies from Python: comparisons, experiments and sweeps that return their results.

The command line's ``relsim compare``, ``relsim experiment`` and ``relsim sweep`` are thin
layers over these functions: the same store in the same folder, the same resume after an
interruption and the same numbers for the same seed, whether a study runs from a shell or a
notebook.

>>> import relsim
>>> study = relsim.compare(                               # doctest: +SKIP
...     ["relsim:baseline"], arms={"hire": ["firms.focal.account_managers=5"]}, reps=10
... )
>>> study.verdict()                                       # doctest: +SKIP
>>> study.differences()                                   # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from relsim.experiments.backends import Backend, make_backend
from relsim.experiments.comparison import Arm
from relsim.experiments.engine import Status
from relsim.experiments.study import Study
from relsim.experiments.verdict import DEFAULT_OBJECTIVE, Objective

#: The figures whose intervals ``precision`` watches in a comparison (and the CLI prints).
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

#: The most replications ``precision`` adds when no ``max_reps`` is given.
DEFAULT_MAX_REPS = 200

ProgressFn = Callable[[Status], None]


@dataclass
class StudyResult:
    """A finished comparison or experiment: its files on disk and its tables in memory.

    Attributes
    ----------
    study : relsim.experiments.study.Study
        The tables the study wrote (replications, ledgers, summary, ranking, investments,
        claims, warm-up verdicts, manifest).
    done, found, failed : int
        Replications run now, found finished in the folder, and failed.
    stop_note : str
        Why a ``precision`` study stopped where it did ("" without ``precision``).
    set_aside : list of Path
        Damaged files the store set aside and computed again.
    """

    study: Study
    done: int = 0
    found: int = 0
    failed: int = 0
    stop_note: str = ""
    set_aside: list[Path] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        """The study's folder."""
        return self.study.out

    @property
    def arms(self) -> list[str]:
        """The arms' names, the reference first."""
        return self.study.arms

    @property
    def replications(self) -> pd.DataFrame:
        """One row per arm and replication: the focal firm's figures."""
        return self.study.replications

    @property
    def ledgers(self) -> pd.DataFrame:
        """One row per arm, replication and period: the focal firm's ledger."""
        return self.study.ledgers

    @property
    def ranking(self) -> pd.DataFrame:
        """The arms ranked on the objective, with the probability of being best."""
        return self.study.ranking

    @property
    def claims(self) -> pd.DataFrame | None:
        """An experiment's claims with their verdicts (None for a comparison)."""
        return self.study.claims

    def summary(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Each arm's mean and 95% interval of every figure, and the difference to the first.

        Only ``metrics`` if given; the differences are paired (common random numbers).
        """
        s = self.study.summary
        return s if metrics is None else s[s["metric"].isin(list(metrics))].reset_index(drop=True)

    def differences(self, firm: str | None = None) -> pd.DataFrame:
        """Paired differences for every ordered pair of arms, every firm (or ``firm``)."""
        d = pd.read_csv(self.folder / "differences.csv")
        return d if firm is None else d[d["firm"] == firm].reset_index(drop=True)

    def verdict(self) -> str:
        """The verdict in words: which arm is best on the objective, and how sure."""
        from relsim.reporting.verdict_text import verdict_lines

        return "\n".join(verdict_lines(self.study.ranking, self.study.objective))

    def warmup_warnings(self) -> list[str]:
        """One line per arm whose warm-up leaves a bias its replications detect."""
        return [f"{a}: {w.message()}" for a, w in self.study.warmup.items() if w.short]

    def report(self, path: str | Path | None = None) -> Path:
        """Write the study's report (default: ``report.html`` in its folder)."""
        from relsim.reporting.study_report import write_study_report

        return write_study_report(self.study, None if path is None else Path(path))


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


def comparison_precision(study: Study) -> tuple[float, str]:
    """The widest interval of the watched figures, relative to its mean, and where it is."""
    rows = study.summary[study.summary["metric"].isin(COMPARE_PRINTED)]
    return widest_interval(
        rows, "mean", "ci_low", "ci_high", lambda r: f"{r['metric']} of {r['arm']}"
    )


def claims_precision(study: Study) -> tuple[float, str]:
    """The widest claim interval relative to its value, and which claim it is."""
    return widest_interval(
        study.claims, "value", "ci_low", "ci_high", lambda r: f"claim '{r['claim']}'"
    )


#: Where to compute: a backend the caller opened, or a function that makes one when needed.
BackendArg = Backend | Callable[[], Backend] | None


@contextmanager
def _backend(backend: BackendArg, workers: int) -> Iterator[Backend]:
    if isinstance(backend, Backend):
        yield backend  # the caller's: it opens and closes it
        return
    with backend() if backend is not None else make_backend(workers) as b:
        yield b


def _set_aside_note(path: Path) -> str:
    return f"{path.name} could not be read; set aside in {path.parent} and computed again"


def run_arms_study(
    arms: list[Arm],
    reps: int,
    seed: int,
    out: Path,
    kind: str,
    title: str,
    description: str = "",
    claims_fn: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None,
    metrics: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    objective: Objective | None = None,
    precision: float | None = None,
    max_reps: int | None = None,
    precision_of: Callable[[Study], tuple[float, str]] | None = None,
    workers: int = 1,
    backend: BackendArg = None,
    on_progress: ProgressFn | None = None,
    report: bool = True,
    log: Callable[[str], None] | None = None,
) -> StudyResult:
    """Run ``arms`` into the store at ``out`` and write the study's files (the shared part).

    With ``precision``, replications are added (sequentially, with common random numbers)
    until ``precision_of(study)`` (the largest relative half-width of the intervals the
    study reports) is at most ``precision`` for ``n`` and for the look-ahead of Hoad,
    Robinson & Davies (2010) beyond it, or ``max_reps`` is reached.

    Parameters
    ----------
    arms : list of Arm
        The scenarios, the reference first.
    reps : int
        Replications per arm (the first pass, with ``precision``).
    seed : int
        Root seed shared by every arm.
    out : Path
        The study's folder (created, or resumed if it holds this study).
    kind, title, description : str
        What the store and the report call it.
    claims_fn, metrics, extra, objective
        As :func:`relsim.experiments.study.write_study` takes them.
    precision, max_reps : optional
        The sequential rule's target and cap (default cap 200).
    precision_of : callable, optional
        How wide the study's intervals are (needed with ``precision``).
    workers : int
        Local processes, when no ``backend`` is given.
    backend : Backend or callable, optional
        Where to compute: a backend the caller opens and closes, or a function that makes
        one once the store is open.
    on_progress : callable, optional
        Called with the engine's :class:`~relsim.experiments.engine.Status` as it goes.
    report : bool
        Also write ``report.html``.
    log : callable, optional
        Called with a line for each damaged file the store set aside, as it opens.

    Returns
    -------
    StudyResult
    """
    from relsim.analysis.statistics import look_ahead
    from relsim.config.targets import default_targets_path, load_targets
    from relsim.experiments.comparison import open_store, run_arms
    from relsim.experiments.study import write_study
    from relsim.experiments.sweeps import check_workload
    from relsim.reporting.odd import odd_markdown
    from relsim.storage.atomic import write_text_atomically

    if precision is not None and precision_of is None:
        raise ValueError("precision needs precision_of")
    if max_reps is not None and precision is None:
        raise ValueError("max_reps is the sequential rule's cap: give precision too")
    t0 = time.perf_counter()
    cap = (max_reps or DEFAULT_MAX_REPS) if precision is not None else reps
    check_workload(
        len(arms) * max(cap, reps), f"{kind}: {len(arms)} arms x {max(cap, reps):,} replications"
    )
    done = found = failed = 0
    stop_note = ""
    with open_store(out, arms, seed, kind) as store:
        set_aside = list(store.set_aside)
        for p in set_aside:
            if log is not None:
                log(_set_aside_note(p))
        with _backend(backend, workers) as be:
            n, first_ok = reps, None
            while True:
                # (the first pass may have fewer than two replications: no interval yet)
                status = run_arms(store, arms, n, seed, be, on_progress)
                done, found, failed = done + status.done, found or status.found, status.failed
                if precision is None or status.failed:
                    break
                assert precision_of is not None
                study = write_study(
                    out, arms, n, seed, title, description, claims_fn, metrics, {}, objective
                )
                worst, where = precision_of(study)
                if worst <= precision:
                    first_ok = n if first_ok is None else first_ok
                    if n >= first_ok + look_ahead(first_ok) or n >= cap:
                        n = first_ok
                        stop_note = (
                            f"precision reached: every interval within "
                            f"{precision:.1%} of its mean at {n} replications (checked "
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
            label = be.label
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
        write_text_atomically(
            out / "odd.md",
            odd_markdown(arms[0].scenario, load_targets(default_targets_path()).facts),
        )
        result = StudyResult(study, done, found, failed, stop_note, set_aside)
        if report:
            result.report()
    return result


def comparison_arms(
    scenarios: Sequence[str | Path],
    arms: Mapping[str, Sequence[str]] | None = None,
    sets: Sequence[str] = (),
) -> list[Arm]:
    """The arms of a comparison: each scenario, then each named set of changes to the first.

    Parameters
    ----------
    scenarios : sequence of str or Path
        Scenario files or ``relsim:NAME``; the first is the reference. Repeated names get a
        ``-2``, ``-3`` suffix.
    arms : mapping, optional
        Arm name -> ``KEY=VALUE`` changes to the first scenario.
    sets : sequence of str
        ``KEY=VALUE`` changes to every scenario.

    Returns
    -------
    list of Arm
    """
    from relsim.config.loading import load_scenario
    from relsim.errors import InputError

    if not scenarios:
        raise InputError("compare: expected at least one scenario")
    out: list[Arm] = []
    for path in scenarios:
        sc = load_scenario(path, list(sets))
        name, k = sc.name, 2
        while name in {a.name for a in out}:
            name, k = f"{sc.name}-{k}", k + 1
        out.append(Arm(name, sc, str(path)))
    for name, overrides in (arms or {}).items():
        if name in {a.name for a in out}:
            raise InputError(f"--arm {name}: an arm of that name exists already; choose another")
        # the first scenario with this arm's values, under the arm's name
        sc = load_scenario(scenarios[0], [*sets, *overrides, f'name="{name}"'])
        out.append(Arm(name, sc, f"{scenarios[0]} with {' '.join(overrides)}"))
    return out


def default_compare_folder(arms: Sequence[Arm], seed: int) -> Path:
    """``results/compare/<names>-<digest>``: other questions never share a folder."""
    from relsim.experiments.comparison import fingerprint

    label = comparison_label(arms)
    return Path("results") / "compare" / f"{label}-{fingerprint(arms, seed)[:8]}"


def comparison_texts(arms: Sequence[Arm]) -> tuple[str, str]:
    """A comparison's title and description, for its report."""
    return (
        f"Comparison: {comparison_label(arms)}",
        "Each arm's mean and 95% interval over replications, and the "
        f"paired difference to '{arms[0].name}'.",
    )


def comparison_label(arms: Sequence[Arm]) -> str:
    """The arms' names joined, or the first and a count when that is long."""
    label = "-vs-".join(a.name for a in arms)
    return label if len(label) <= 80 else f"{arms[0].name}-and-{len(arms) - 1}-more"


def compare(
    scenarios: str | Path | Sequence[str | Path],
    arms: Mapping[str, Sequence[str]] | None = None,
    reps: int = 10,
    seed: int | None = None,
    out: str | Path | None = None,
    workers: int = 1,
    precision: float | None = None,
    max_reps: int | None = None,
    objective: str = DEFAULT_OBJECTIVE,
    sets: Sequence[str] = (),
    backend: BackendArg = None,
    on_progress: ProgressFn | None = None,
    report: bool = True,
) -> StudyResult:
    """Run scenarios side by side with common random numbers and compare them.

    The same study as ``relsim compare``: the same folder, resume and numbers.

    Parameters
    ----------
    scenarios : str, Path or sequence of them
        Scenario files or ``relsim:NAME``; the first is the reference.
    arms : mapping, optional
        More arms: name -> ``KEY=VALUE`` changes to the first scenario, e.g.
        ``{"hire": ["firms.focal.account_managers=5"]}``.
    reps : int
        Replications per arm.
    seed : int, optional
        Root seed (default: the first scenario's).
    out : str or Path, optional
        The study's folder (default ``results/compare/<names>-<digest>``).
    workers : int
        Local processes.
    precision, max_reps : optional
        Add replications until every watched interval is within ``precision`` of its mean
        (Hoad, Robinson & Davies 2010), at most ``max_reps``.
    objective : str
        What the arms are ranked by (``METRIC`` or ``METRIC:min``).
    sets : sequence of str
        ``KEY=VALUE`` changes to every scenario.
    backend : Backend, optional
        Where to compute (a Dask cluster, say); overrides ``workers``.
    on_progress : callable, optional
        Called with the engine's status as replications finish.
    report : bool
        Also write ``report.html``.

    Returns
    -------
    StudyResult
    """
    from relsim.analysis.metrics import metric_names

    paths = [scenarios] if isinstance(scenarios, str | Path) else list(scenarios)
    obj = Objective.parse(objective, metric_names())
    arm_list = comparison_arms(paths, arms, sets)
    seed = arm_list[0].scenario.simulation.seed if seed is None else seed
    folder = Path(out) if out is not None else default_compare_folder(arm_list, seed)
    return run_arms_study(
        arm_list,
        reps,
        seed,
        folder,
        "comparison",
        *comparison_texts(arm_list),
        objective=obj,
        precision=precision,
        max_reps=max_reps,
        precision_of=comparison_precision,
        workers=workers,
        backend=backend,
        on_progress=on_progress,
        report=report,
    )


def experiment(
    path: str | Path,
    reps: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    workers: int = 1,
    precision: float | None = None,
    max_reps: int | None = None,
    backend: BackendArg = None,
    on_progress: ProgressFn | None = None,
    report: bool = True,
) -> StudyResult:
    """Run a declared experiment's arms and judge its claims (``relsim experiment``).

    Parameters
    ----------
    path : str or Path
        The experiment file.
    reps, seed : int, optional
        Override the file's replications and seed.
    out : str or Path, optional
        The study's folder (default ``results/<experiment name>``).
    workers, precision, max_reps, backend, on_progress, report
        As for :func:`compare`; ``precision`` watches the claims' intervals.

    Returns
    -------
    StudyResult
        With ``claims``: one row per claim, its value, interval and verdict.
    """
    from relsim.experiments.claims import evaluate, load_experiment

    exp, arm_list = load_experiment(path)
    return run_arms_study(
        arm_list,
        exp.replications if reps is None else reps,
        exp.seed if seed is None else seed,
        Path(out) if out is not None else Path("results") / exp.name,
        "experiment",
        f"Experiment: {exp.name}",
        exp.description,
        lambda r, lg: evaluate(exp, r, lg),
        exp.metrics or None,
        {"experiment_file": str(path), "experiment": exp.to_dict()},
        precision=precision,
        max_reps=max_reps,
        precision_of=claims_precision,
        workers=workers,
        backend=backend,
        on_progress=on_progress,
        report=report,
    )


@dataclass
class SweepResult:
    """A finished sweep: its points, their means and the sensitivity indices.

    Attributes
    ----------
    folder : Path
        The sweep's folder (a Parquet dataset of every replication, and the summaries).
    plan : relsim.experiments.sweeps.SweepPlan
        The design: the sweep's points.
    summary : relsim.experiments.sweep_summary.SweepSummary
        Point means, sensitivity indices and notes.
    status : relsim.experiments.engine.Status
        Replications run, found and failed.
    reps : int
        Replications per point.
    set_aside : list of Path
        Damaged files the store set aside and computed again.
    """

    folder: Path
    plan: Any
    summary: Any
    status: Status
    reps: int
    set_aside: list[Path] = field(default_factory=list)

    @property
    def points(self) -> pd.DataFrame:
        """One row per point: its factors' values."""
        return self.plan.points

    @property
    def means(self) -> pd.DataFrame:
        """Each point's mean of every output over the replications every point finished."""
        return self.summary.means

    def sensitivity(self) -> pd.DataFrame:
        """The sensitivity indices, one row per output, factor and measure."""
        from relsim.experiments.sensitivity import sensitivity_table

        return sensitivity_table(self.summary.indices)

    def runs(self) -> pd.DataFrame:
        """Every finished replication's figures (the ``metrics`` dataset)."""
        from relsim.experiments.sweeps import read_runs

        return read_runs(self.folder)

    def report(self, path: str | Path | None = None) -> Path:
        """Write the sweep's report (default: ``report.html`` in its folder)."""
        from relsim.reporting.sweep_report import write_sweep_report

        target = self.folder / "report.html" if path is None else Path(path)
        write_sweep_report(target, self.plan, self.summary)
        return target


def sweep(
    path: str | Path,
    reps: int | None = None,
    out: str | Path | None = None,
    workers: int = 1,
    backend: BackendArg = None,
    on_progress: ProgressFn | None = None,
    on_plan: Callable[[int, int], None] | None = None,
    report: bool = True,
    log: Callable[[str], None] | None = None,
) -> SweepResult:
    """Run a sweep file's design and analyse its sensitivity (``relsim sweep``).

    Parameters
    ----------
    path : str or Path
        The sweep file.
    reps : int, optional
        Override the file's replications per point.
    out : str or Path, optional
        The sweep's folder (default ``results/sweeps/<sweep name>``).
    workers, backend, on_progress, report
        As for :func:`compare`.
    on_plan : callable, optional
        Called with the number of points and of replications before the points' scenarios
        are checked (the slow part of planning a big sweep).
    log : callable, optional
        Called with a line for each damaged file the store set aside, as it opens.

    Returns
    -------
    SweepResult
    """
    from relsim.experiments.sweep_summary import summarise_sweep
    from relsim.experiments.sweeps import (
        check_workload,
        design_size,
        load_sweep,
        open_sweep_store,
        plan_sweep,
        run_sweep,
    )

    spec = load_sweep(path)
    reps = reps or spec.replications
    n = design_size(spec)
    check_workload(n * reps, f"{path}: {n:,} points x {reps:,} replications")
    if on_plan is not None:
        on_plan(n, reps)
    plan = plan_sweep(spec, path)
    folder = Path(out) if out is not None else Path("results") / "sweeps" / spec.name
    t0 = time.perf_counter()
    with open_sweep_store(plan, folder) as store:
        set_aside = list(store.set_aside)
        for p in set_aside:
            if log is not None:
                log(_set_aside_note(p))
        with _backend(backend, workers) as be:
            status = run_sweep(plan, store, be, reps, on_progress)
            label = be.label
        summary = summarise_sweep(
            plan,
            folder,
            reps,
            status,
            extra={"backend": label, "wall_seconds": time.perf_counter() - t0},
        )
        result = SweepResult(folder, plan, summary, status, reps, set_aside)
        if report:
            result.report()
    return result
