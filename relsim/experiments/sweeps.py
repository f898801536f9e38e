"""A sweep specification and its design: which scenario values vary, over which points.

A sweep varies scenario values (dotted keys, as ``--set`` takes them) over a design: a full
factorial *grid*, a Latin hypercube (*lhs*), Saltelli's extension of a Sobol' sequence
(*sobol*, for variance-based indices) or Morris trajectories (*morris*, for elementary
effects). Every point is run for the same replications with the same random streams (common
random numbers), so two points differ only by the values the sweep sets. The design is drawn
from the sweep's seed, so the same file always gives the same points.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from msgspec import Meta, field

from relsim.config.loading import (
    load_model_file,
    read_scenario_data,
    resolve_reference,
    scenario_from_dict,
)
from relsim.config.schema import Spec, _slug
from relsim.errors import ScenarioError, SweepError
from relsim.experiments.backends import Backend
from relsim.experiments.engine import Status, execute, pending_tasks
from relsim.experiments.replication import replicate
from relsim.experiments.store import METRICS, Store, read_table
from relsim.storage.atomic import write_file_atomically, write_text_atomically
from relsim.storage.provenance import digest

# The outputs a sweep analyses unless its file says otherwise: money, retention and the mix
# of causes the customers left for.
DEFAULT_OUTPUTS = (
    "profit",
    "retention_rate",
    "cause_share_price",
    "cause_share_neglect",
    "cause_share_dissatisfaction",
    "cause_share_relocation",
)

#: The sweep's own record beside its runs: its spec, fingerprint and base scenario.
SPEC_FILE = "sweep.json"

# spawn_key of the design's own stream, apart from every simulation stream (which start with
# the replication number).
DESIGN_STREAM = 0xD351


Scalar = bool | int | float | str


_KEY = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
_COLUMN = re.compile(r"^[A-Za-z0-9_]+$")


class Factor(Spec, kw_only=True, frozen=True):
    """One scenario value the sweep varies."""

    key: str
    name: str | None = None
    values: list[Scalar] | None = None
    low: float | None = None
    high: float | None = None
    levels: Annotated[int, Meta(ge=2)] | None = None
    integer: bool = False

    def check(self) -> None:
        """A key and a column name; either values, or a range low < high."""
        if not _KEY.match(self.key):
            raise ValueError(
                f"key: expected a dotted scenario key such as "
                f"firms.focal.account_managers (got {self.key!r})"
            )
        if self.name is not None and not _COLUMN.match(self.name):
            raise ValueError(f"name: expected letters, digits and '_' (got {self.name!r})")
        if self.values is not None:
            if not self.values:
                raise ValueError("values: expected at least one value")
            if self.low is not None or self.high is not None:
                raise ValueError("values: give either values or low and high, not both")
        elif self.low is None or self.high is None:
            raise ValueError("low: expected values = [...] or both low and high")
        elif not self.low < self.high:
            raise ValueError(f"low: expected low < high, got low={self.low:g}, high={self.high:g}")

    @property
    def column(self) -> str:
        """The factor's column name in the results (its ``name``, else the key with ``_``)."""
        return self.name or self.key.replace(".", "_")

    def grid_values(self) -> list[Scalar]:
        """The values a grid takes: ``values``, or ``levels`` evenly spaced from low to high."""
        if self.values is not None:
            return list(self.values)
        assert self.low is not None and self.high is not None and self.levels is not None
        return [self.apply(v) for v in np.linspace(self.low, self.high, self.levels)]

    def apply(self, raw: float) -> Scalar:
        """The scenario value for a sampled number (rounded for an integer factor)."""
        return int(round(raw)) if self.integer else float(raw)


class Design(Spec, kw_only=True, frozen=True):
    """How the points are chosen."""

    method: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: Annotated[int, Meta(ge=1, le=1_000_000)] = 16
    levels: Annotated[int, Meta(ge=2, le=100)] = 4


class Sweep(Spec, kw_only=True, frozen=True):
    """A declared sweep."""

    name: str
    description: str = ""
    scenario: str = "relsim:baseline"
    set: dict[str, Any] = {}
    replications: Annotated[int, Meta(ge=1, le=100_000)] = 2
    seed: Annotated[int, Meta(ge=0)] = 20240101
    outputs: list[str] = field(default_factory=lambda: list(DEFAULT_OUTPUTS))
    design: Design = field(default_factory=Design)
    factors: Annotated[list[Factor], Meta(min_length=1)]

    def check(self) -> None:
        """Distinct factors that fit the design, and outputs that are measured."""
        from relsim.analysis.metrics import metric_names

        _slug(self.name, "name")
        cols = [f.column for f in self.factors]
        if len(set(cols)) != len(cols):
            raise ValueError(f"factors: names must be distinct, got {cols}")
        keys = [f.key for f in self.factors]
        if len(set(keys)) != len(keys):
            raise ValueError(f"factors: each key may be swept once, got {keys}")
        clash = set(cols) & {"point", "replication", "firm", "focal"}
        if clash:
            raise ValueError(f"factors: {sorted(clash)} is reserved; give the factor a name")
        for i, f in enumerate(self.factors):
            if self.design.method == "grid":
                if f.values is None and f.levels is None:
                    raise ValueError(
                        f"factors: factors[{i}] ({f.key}): a grid needs values = "
                        "[...] or levels with low and high"
                    )
            elif f.values is not None:
                raise ValueError(
                    f"factors: factors[{i}] ({f.key}): design "
                    f"'{self.design.method}' samples a range: expected low and "
                    "high, not values"
                )
        if not self.outputs:
            raise ValueError(
                "outputs: empty; name at least one metric to analyse, or leave the key out "
                "for the default ones"
            )
        unknown = [o for o in self.outputs if o not in set(metric_names())]
        if unknown:
            raise ValueError(
                f"outputs: unknown metric(s) {', '.join(unknown)}; see "
                "relsim.analysis.metrics.metric_names()"
            )
        n = self.design.samples
        if self.design.method == "lhs" and n < 8:
            raise ValueError(
                f"design: samples: a Latin hypercube for RBD-FAST needs at least 8 points, got {n}"
            )
        if self.design.method == "sobol" and n & (n - 1):
            raise ValueError(f"design: samples: Sobol' sampling needs a power of 2, got {n}")

    def problem(self) -> dict[str, Any]:
        """The SALib problem: factor names and bounds."""
        return {
            "num_vars": len(self.factors),
            "names": [f.column for f in self.factors],
            "bounds": [[f.low, f.high] for f in self.factors],
        }

    def design_seed(self) -> int:
        """Seed of the design's sampler, derived from the sweep's seed."""
        ss = np.random.SeedSequence(self.seed, spawn_key=(DESIGN_STREAM,))
        return int(ss.generate_state(1, dtype=np.uint32)[0]) or 1


#: Most simulations (points x replications) one command starts: beyond it a plan is a typo or
#: a tampered file (100,000 runs of the default scenario take about four days on two cores).
MAX_SIMULATIONS = 100_000


def design_size(sweep: Sweep) -> int:
    """How many points the sweep's design has, computed without drawing it."""
    method, n, k = sweep.design.method, sweep.design.samples, len(sweep.factors)
    if method == "grid":
        return int(np.prod([len(f.grid_values()) for f in sweep.factors], dtype=object))
    if method == "sobol":
        return n * (k + 2)  # Saltelli without second order: A, B and one AB per factor
    if method == "morris":
        return n * (k + 1)  # one trajectory of k + 1 points per sample
    return n


def check_workload(simulations: int, what: str) -> None:
    """Refuse a command that would start more than :data:`MAX_SIMULATIONS` simulations.

    Raises
    ------
    SweepError
    """
    if simulations > MAX_SIMULATIONS:
        raise SweepError(
            f"{what}: {simulations:,} simulations, more than the {MAX_SIMULATIONS:,} one "
            "command runs; fewer points or replications, or several smaller studies"
        )


def draw_design(sweep: Sweep) -> np.ndarray:
    """The design matrix: one row per point, one column per factor, as sampled (unrounded).

    A grid holds the index of each factor's value; the sampling designs hold the sampled
    numbers, which :meth:`Factor.apply` turns into scenario values.
    """
    method, n = sweep.design.method, sweep.design.samples
    if method == "grid":
        sizes = [len(f.grid_values()) for f in sweep.factors]
        return np.array(list(np.ndindex(*sizes)), dtype=float).reshape(-1, len(sizes))
    from SALib.sample import latin, morris, sobol

    problem, seed = sweep.problem(), sweep.design_seed()
    if method == "lhs":
        return latin.sample(problem, n, seed=seed)
    if method == "sobol":
        return sobol.sample(problem, n, calc_second_order=False, seed=seed)
    return morris.sample(problem, n, num_levels=sweep.design.levels, seed=seed)


def point_values(sweep: Sweep, design: np.ndarray) -> pd.DataFrame:
    """The scenario value of every factor at every point (column per factor)."""
    cols: dict[str, list[Scalar]] = {}
    for j, f in enumerate(sweep.factors):
        if sweep.design.method == "grid":
            levels = f.grid_values()
            cols[f.column] = [levels[int(i)] for i in design[:, j]]
        else:
            cols[f.column] = [f.apply(v) for v in design[:, j]]
    df = pd.DataFrame(cols)
    df.insert(0, "point", np.arange(len(df), dtype=np.int64))
    return df


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: its base scenario, its points and the fingerprint of both."""

    sweep: Sweep
    source: str
    base: dict[str, Any]
    design: np.ndarray
    points: pd.DataFrame

    @property
    def fingerprint(self) -> str:
        """A digest of everything that decides the results (not the replication count)."""
        return digest(
            {
                "base": self.base,
                "factors": [f.to_dict() for f in self.sweep.factors],
                "design": self.sweep.design.to_dict(),
                "seed": self.sweep.seed,
            },
            16,
        )

    def values(self, point: int) -> dict[str, Any]:
        """The dotted scenario keys and values of one point."""
        # Column by column: a row of mixed columns would turn integers into floats.
        return {f.key: _plain(self.points[f.column].iloc[point]) for f in self.sweep.factors}

    def scenario_data(self, point: int) -> dict[str, Any]:
        """The validated scenario of one point, as plain data for a worker."""
        return scenario_from_dict(self.base, self.source, values=self.values(point)).to_dict()


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; errors name the file and the key."""
    return load_model_file(path, Sweep, "sweep", "experiments/sweeps/*.toml", SweepError)


def plan_sweep(sweep: Sweep, path: str | Path) -> SweepPlan:
    """Resolve a sweep's scenario and check that every point is a valid scenario.

    Parameters
    ----------
    sweep : Sweep
        The validated sweep file.
    path : str or Path
        The sweep file; its ``scenario`` is relative to it (``relsim:baseline`` is the
        bundled default).

    Returns
    -------
    SweepPlan

    Raises
    ------
    SweepError
        If the scenario does not load, or a point gives an invalid scenario (the message names
        the point and its values).
    """
    p = Path(path)
    try:
        sc_path = resolve_reference(sweep.scenario, p.parent, SweepError, f"{p}: scenario: ")
        data = read_scenario_data(sc_path)
        base = scenario_from_dict(data, f"{p}: scenario", values=sweep.set).to_dict()
    except ScenarioError as err:
        raise SweepError(str(err)) from None
    design = draw_design(sweep)
    points = point_values(sweep, design)
    plan = SweepPlan(sweep, str(p), base, design, points)
    for i in range(len(points)):
        try:
            plan.scenario_data(i)
        except ScenarioError as err:
            vals = ", ".join(f"{k}={v!r}" for k, v in plan.values(i).items())
            raise SweepError(f"{p}: point {i} ({vals}) is not a valid scenario:\n{err}") from None
    return plan


def open_sweep_store(plan: SweepPlan, folder: str | Path, option: str = "--out") -> Store:
    """Open (create or resume) the store of a sweep and record its spec and points.

    Raises
    ------
    OutputError
        If the folder is not relsim's, holds another sweep, or another process writes it.
    """
    folder = Path(folder)
    store = Store(folder, "sweep", plan.fingerprint, (METRICS,), option).open(sweep=plan.sweep.name)
    meta = {
        "name": plan.sweep.name,
        "fingerprint": plan.fingerprint,
        "source": plan.source,
        "points": len(plan.points),
        "spec": plan.sweep.to_dict(),
        "base_scenario": plan.base,
    }
    try:
        write_text_atomically(folder / SPEC_FILE, json.dumps(meta, indent=2) + "\n")
        write_file_atomically(
            folder / "points.parquet", lambda p: plan.points.to_parquet(p, index=False)
        )
    except BaseException:
        store.close()
        raise
    return store


def run_sweep(
    plan: SweepPlan,
    store: Store,
    backend: Backend | None = None,
    replications: int | None = None,
    on_progress: Callable[[Status], None] | None = None,
) -> Status:
    """Run every replication of every point that ``store`` does not hold yet.

    Each replication is one row of ``metrics/``: the point, its factor values, the
    replication and the focal firm's figures.

    Parameters
    ----------
    plan : SweepPlan
        The validated sweep.
    store : Store
        From :func:`open_sweep_store`.
    backend : Backend, optional
        Where to compute (default: this process).
    replications : int, optional
        Replications per point (default: the sweep file's).
    on_progress : callable, optional
        Progress callback.

    Returns
    -------
    Status
    """
    reps = replications or plan.sweep.replications
    finished = store.finished()
    n = len(plan.points)
    found = sum(1 for u, r in finished if u < n and r < reps)

    def make_call(unit: int, rep: int):
        return replicate, (plan.scenario_data(unit), plan.sweep.seed, rep, "focal", False)

    def decorate(unit: int, rep: int, tables: dict[str, Any]) -> dict[str, Any]:
        row = plan.points.iloc[[unit]].reset_index(drop=True)
        row.insert(1, "replication", rep)
        metrics = tables[METRICS].drop(columns=["firm", "focal"]).reset_index(drop=True)
        return {METRICS: pd.concat([row, metrics], axis=1)}

    return execute(
        store,
        pending_tasks(n, reps, finished),
        make_call,
        backend,
        total=n * reps,
        found=found,
        on_progress=on_progress,
        decorate=decorate,
    )


def read_runs(folder: str | Path, replications: int | None = None) -> pd.DataFrame:
    """A sweep's finished replications as one table, ordered by point and replication."""
    df = read_table(folder, METRICS, reps=replications)
    if df.empty:
        return df
    return df.sort_values(["point", "replication"], ignore_index=True)
