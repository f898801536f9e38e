"""Calibration in the open, validation out of sample: ``relsim calibrate``.

A *targets file* names a scenario, the values left free (each with bounds), and the facts
(:mod:`relsim.analysis.facts`) with their roles. Calibration fits the free values to the
*calibrated* facts and to nothing else:

1. **Fit.** Nelder-Mead (:func:`scipy.optimize.minimize`) searches the free values, scaled to
   their bounds, to minimise the sum over calibrated facts of ``((mean - centre) /
   half-width)^2``, each mean taken over the fit replications. Every candidate runs the same
   replications of the fit seed (common random numbers), so candidates differ by their
   values, not their luck. Each candidate is a unit of the engine's store, so an interrupted
   calibration resumes where it stopped (the search is deterministic and finds its earlier
   candidates on disk).
2. **Steady state.** One long run (``fit.steady_years``, ten by default) of the fitted
   scenario gives its stationary stock by rung and firm, which becomes its initial state, so
   runs start close to the steady state.
   With ``fit.rounds`` above one, the fit is repeated from that state (a narrower search from
   the last best), since the measured shares depend on the mix of rungs, and the steady
   state is found again at the end.
3. **Validation.** The calibrated scenario, and the variants that facts compare with it, run
   on replications of a *different* seed. Every fact, calibrated, predicted and input alike,
   is judged on the 95% interval of its measure there.

It writes ``calibrated.toml`` (``extends`` the input scenario and sets only the fitted
values and the initial state), ``validation.csv`` (fact, role, low, high, value, ci_low,
ci_high, holds, ...), ``fit.csv`` (every candidate and its loss) and ``manifest.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsim.analysis.facts import check_measures, fact_values, facts_frame, judge
from relsim.analysis.warmup import WarmupVerdict, replication_warmup
from relsim.config.loading import (
    BUNDLED_PREFIX,
    bundled_dir,
    get_dotted,
    read_scenario_data,
    resolve_reference,
    scenario_from_dict,
)
from relsim.config.schema import Scenario
from relsim.config.targets import Targets, load_targets
from relsim.errors import CalibrationError, ScenarioError
from relsim.experiments.backends import Backend
from relsim.experiments.engine import Status, execute
from relsim.experiments.replication import WARMUP, replicate
from relsim.experiments.store import METRICS, Store, read_table
from relsim.model.ladder import RELATIONSHIP_RUNGS
from relsim.storage.provenance import digest

#: Units of the store: fit candidates count from 0, validation runs from here.
VALIDATION_UNITS = 1_000_000


@dataclass
class Plan:
    """A validated calibration: the targets, the base scenario data and where it came from."""

    targets: Targets
    source: Path
    scenario_path: Path
    base: dict[str, Any]
    extends: str

    @property
    def fingerprint(self) -> str:
        """A digest of what decides the numbers: the base scenario and the targets.

        Not the number of candidates or of validation replications: more of either extends
        the same deterministic work, so what is on disk stays valid.
        """
        targets = self.targets.to_dict()
        targets["fit"].pop("max_evaluations", None)
        targets["validation"].pop("replications", None)
        if targets["fit"].get("steady_years") == 10.0:
            # the default, as before the setting existed: calibrations made then stay valid
            targets["fit"].pop("steady_years")
        targets.pop("description", None)
        for fact in targets["facts"]:
            fact.pop("note", None)  # words about a fact do not change its numbers
        return digest({"base": self.base, "targets": targets})

    def scenario(self, values: dict[str, Any]) -> Scenario:
        """The base scenario with ``values`` (dotted keys) set."""
        return scenario_from_dict(self.base, str(self.scenario_path), values=values)


def plan_calibration(path: str | Path, scenario: str | None = None) -> Plan:
    """Load a targets file and its scenario, and check every free value's bounds.

    Parameters
    ----------
    path : str or Path
        The targets file.
    scenario : str, optional
        The scenario to calibrate, overriding the targets file's.

    Raises
    ------
    CalibrationError
        If the file, its scenario or a bound does not validate.
    """
    p = Path(path)
    targets = load_targets(p)
    check_measures(targets.facts, str(p))
    ref = scenario or targets.scenario
    try:
        sc_path = resolve_reference(
            ref, p.parent if scenario is None else None, CalibrationError, f"{p}: scenario: "
        )
        base = read_scenario_data(sc_path)
        plan = Plan(targets, p, sc_path, base, _extends_reference(sc_path))
        for f in targets.free:
            for bound in (f.low, f.high):
                plan.scenario({f.key: bound})
        plan.scenario({})
    except ScenarioError as err:
        raise CalibrationError(f"{p}: {err}") from None
    return plan


def _extends_reference(sc_path: Path) -> str:
    """How ``calibrated.toml`` names its base: ``relsim:NAME`` if bundled, else the path."""
    try:
        rel = sc_path.resolve().relative_to(bundled_dir().resolve())
        if rel.parent == Path("."):
            return f"{BUNDLED_PREFIX}{rel.stem}"
    except ValueError:
        pass
    return str(sc_path.resolve())


def start_values(plan: Plan) -> np.ndarray:
    """The free values the scenario holds now, scaled to [0, 1] within their bounds."""
    sc = plan.scenario({}).to_dict()
    x = []
    for f in plan.targets.free:
        v = float(get_dotted(sc, f.key))
        x.append(min(max((v - f.low) / (f.high - f.low), 0.0), 1.0))
    return np.array(x)


def values_of(plan: Plan, x: np.ndarray) -> dict[str, float]:
    """Scaled free values back to scenario values (clipped to their bounds)."""
    # Six significant digits: what is fitted is exactly what calibrated.toml will say.
    return {
        f.key: float(f"{f.low + min(max(v, 0.0), 1.0) * (f.high - f.low):.6g}")
        for f, v in zip(plan.targets.free, x, strict=True)
    }


def loss(plan: Plan, metrics: pd.DataFrame) -> float:
    """Sum over calibrated facts of ((mean - centre) / half-width)^2."""
    total = 0.0
    for f in plan.targets.calibrated:
        mean = float(metrics[f.measure].mean())
        half = 0.5 * (f.high - f.low)
        centre = 0.5 * (f.high + f.low)
        if not math.isfinite(mean):
            return math.inf
        total += ((mean - centre) / half) ** 2 if half > 0 else (mean - centre) ** 2
    return total


@dataclass
class Calibration:
    """What a calibration found."""

    values: dict[str, float]
    initial: dict[str, Any]
    fit: pd.DataFrame
    validation: pd.DataFrame
    evaluations: int
    #: The fitted scenario's warm-up tested for bias on the validation replications.
    warmup: WarmupVerdict | None


def _focal_rows(df: pd.DataFrame, focal: str) -> pd.DataFrame:
    return df[df["firm"] == focal].reset_index(drop=True)


def stationary_state(
    plan: Plan, values: dict[str, Any], seed: int, years: float = 10.0, last_years: float = 3.0
) -> dict[str, Any]:
    """Initial customers and rung shares of the fitted market's steady state.

    One long run of the fitted scenario (``years``, no warm-up: the top rungs fill up over
    years) is averaged over its last ``last_years``: each firm's mean stock becomes its
    ``initial_customers`` and the pooled mix of rungs the market's ``initial_rung_shares``.
    The mix within each purchase-frequency segment at the end of the run becomes
    ``initial_rung_shares_by_segment``, since the steady state sorts people (frequent buyers
    meet more failed episodes and are demoted more often).
    """
    from relsim.analysis.simulation import simulate

    if plan.scenario(values).market.choice == "repertoire":
        # Everyone arrives with a repertoire and the relationships' rungs are drawn on
        # arrival: there are no initial customers to place, and the warm-up thins the
        # repertoires to their steady state.
        return {}
    long = {**values, "simulation.days": years * 365.0, "simulation.warmup_days": 0}
    res = simulate(plan.scenario(long), seed=seed)
    ts = res.timeseries
    tail = ts[ts["day"] >= (years - last_years) * 365.0]
    rungs = [r.label for r in RELATIONSHIP_RUNGS]

    def shares_of(counts: np.ndarray) -> dict[str, float]:
        sh = np.round(counts / counts.sum(), 4)
        sh[int(np.argmax(sh))] += round(1.0 - float(sh.sum()), 4)  # sum to exactly 1
        return dict(zip(rungs, map(float, sh), strict=True))

    out: dict[str, Any] = {
        "market.initial_rung_shares": shares_of(tail[rungs].to_numpy(dtype=float).sum(axis=0))
    }
    active = res.customers[res.customers["end_day"].isna()]
    by_segment = {}
    for seg, rows in active.groupby("segment", observed=True):
        counts = rows["rung"].astype(str).value_counts().reindex(rungs, fill_value=0)
        if counts.sum() >= 100:  # too few to say: the market-wide mix stands
            by_segment[str(seg)] = shares_of(counts.to_numpy(dtype=float))
    out["market.initial_rung_shares_by_segment"] = by_segment
    for firm, rows in tail.groupby("firm", observed=True):
        out[f"firms.{firm}.initial_customers"] = int(round(rows["active"].mean()))
    return out


def run_calibration(
    plan: Plan,
    store: Store,
    backend: Backend | None = None,
    on_progress: Callable[[str, Status], None] | None = None,
    log: Callable[[str], None] = print,
) -> Calibration:
    """Fit, find the steady state and validate (see the module docstring).

    Parameters
    ----------
    plan : Plan
        From :func:`plan_calibration`.
    store : Store
        An open store (kind ``calibration``) for every run.
    backend : Backend, optional
        Where to compute.
    on_progress : callable, optional
        ``on_progress(stage, status)`` after every finished replication.
    log : callable
        Where to say what the fit is doing.

    Returns
    -------
    Calibration
    """
    from scipy.optimize import minimize

    t = plan.targets
    focal = plan.scenario({}).market.focal
    cache: dict[tuple[float, ...], float] = {}
    rows: list[dict[str, Any]] = []
    candidates: dict[int, dict[str, Any]] = _read_candidates(store)

    initial: dict[str, Any] = {}  # the initial state candidates start from (by round)
    round_no = [0]

    def evaluate(x: np.ndarray) -> float:
        key = (round_no[0], *np.round(np.clip(x, 0.0, 1.0), 12))
        if key in cache:
            return cache[key]
        unit = len(rows)
        values = values_of(plan, np.array(key[1:]))
        full = {**values, **initial}
        if unit in candidates and candidates[unit] != full:
            _forget_units(store, [unit])  # our own runs of another candidate: compute afresh
        candidates[unit] = full
        _write_candidates(store, candidates)
        data = plan.scenario(full).to_dict()
        _run_units(
            store,
            {unit: data},
            t.fit.seed,
            t.fit.replications,
            backend,
            lambda s: on_progress("fit", s) if on_progress else None,
        )
        metrics = _focal_rows(read_table(store.folder, METRICS, [unit], t.fit.replications), focal)
        value = loss(plan, metrics)
        row = {"evaluation": unit, "round": round_no[0] + 1, **values, "loss": value}
        for f in t.calibrated:
            row[f.measure] = float(metrics[f.measure].mean())
        rows.append(row)
        log(
            f"  fit {unit + 1} (round {round_no[0] + 1}): loss {value:.4g} at "
            + ", ".join(f"{k.rsplit('.', 1)[-1]}={v:.4g}" for k, v in values.items())
        )
        cache[key] = value
        return value

    values: dict[str, float] = {}
    steady = (t.fit.steady_years, 0.3 * t.fit.steady_years)  # averaged over its last 30%
    if t.free:
        x = start_values(plan)
        n = len(x)
        budget = _round_budgets(t.fit.max_evaluations, t.fit.rounds)
        for r in range(t.fit.rounds):
            round_no[0] = r
            if r:
                # The fitted market's own steady state: measured shares depend on the mix of
                # rungs, so later rounds fit from the state the market settles into.
                initial = stationary_state(plan, values, t.fit.seed, *steady)
                if initial:
                    log(f"  steady state of round {r}'s best: one {steady[0]:g}-year run")
            # A first simplex spanning a fifth of each range, later ones a twentieth, so the
            # steps are not lost in the noise of the replications.
            step = 0.2 if r == 0 else 0.05
            simplex = np.vstack(
                [x]
                + [
                    np.clip(x + step * np.eye(n)[i] * (1 if x[i] < 1 - step else -1), 0.0, 1.0)
                    for i in range(n)
                ]
            )
            start = len(rows)
            minimize(
                evaluate,
                x,
                method="Nelder-Mead",
                bounds=[(0.0, 1.0)] * n,
                options={
                    "maxfev": budget[r],
                    "initial_simplex": simplex,
                    "xatol": 1e-3,
                    "fatol": 1e-3,
                },
            )
            best = start + int(np.argmin([row["loss"] for row in rows[start:]]))
            values = {k: rows[best][k] for k in values_of(plan, x)}
            x = np.array([(values[f.key] - f.low) / (f.high - f.low) for f in t.free])
    else:
        evaluate(np.zeros(0))
    if plan.scenario(values).market.choice != "repertoire":
        log(f"  steady state: one {steady[0]:g}-year run of the fitted market")
    initial = stationary_state(plan, values, t.fit.seed, *steady)
    final = {**values, **initial}

    # Validation on another seed: the calibrated scenario and every variant.
    scenarios = {VALIDATION_UNITS: plan.scenario(final).to_dict()}
    variants = t.variants()
    for i, v in enumerate(variants, start=1):
        scenarios[VALIDATION_UNITS + i] = plan.scenario({**final, **v}).to_dict()
    _forget_stale(store, scenarios)
    _run_units(
        store,
        scenarios,
        t.validation.seed,
        t.validation.replications,
        backend,
        lambda s: on_progress("validation", s) if on_progress else None,
    )
    val = read_table(store.folder, METRICS, list(scenarios), t.validation.replications)
    val = _focal_rows(val, focal)
    base_rows = val[val["unit"] == VALIDATION_UNITS]
    judged = []
    for f in t.facts:
        var_rows = None
        if f.variant:
            k = VALIDATION_UNITS + 1 + variants.index(dict(f.variant))
            var_rows = val[val["unit"] == k]
        judged.append(judge(f, fact_values(f, base_rows, var_rows)))
    # The fitted scenario's warm-up, tested on its validation replications.
    batches = read_table(store.folder, WARMUP, [VALIDATION_UNITS], t.validation.replications)
    warmup_days = float(plan.scenario(final).simulation.warmup_days)
    warmup = replication_warmup(batches, warmup_days) if len(batches) else None
    return Calibration(values, initial, pd.DataFrame(rows), facts_frame(judged), len(rows), warmup)


def _run_units(
    store: Store,
    scenarios: dict[int, dict[str, Any]],
    seed: int,
    reps: int,
    backend: Backend | None,
    on_progress: Callable[[Status], None],
) -> Status:
    units = sorted(scenarios)
    finished = store.finished()
    todo = [(u, r) for r in range(reps) for u in units if (u, r) not in finished]
    found = len(units) * reps - len(todo)

    def make_call(unit: int, rep: int):
        return replicate, (scenarios[unit], seed, rep, "all", False)

    def decorate(unit: int, rep: int, tables: dict[str, Any]) -> dict[str, Any]:
        for df in tables.values():
            df.insert(0, "replication", rep)
            df.insert(0, "unit", unit)
        return tables

    status = execute(
        store,
        todo,
        make_call,
        backend,
        total=len(units) * reps,
        found=found,
        on_progress=on_progress,
        decorate=decorate,
    )
    if status.failed:
        raise CalibrationError(
            f"{status.failed} replications failed; their tracebacks are in "
            f"{store.folder / 'failed'}"
        )
    return status


def _forget_units(store: Store, units: list[int]) -> None:
    """Remove the stored runs of ``units`` (relsim's own files, in its own store)."""
    for unit in units:
        store.forget(unit)


def _forget_stale(store: Store, scenarios: dict[int, dict[str, Any]]) -> None:
    """Remove stored runs of validation units whose scenario has changed since (our files)."""
    from relsim.storage.atomic import write_text_atomically

    p = store.folder / "validation.json"
    old = _read_json_or_nothing(p)
    now = {str(u): digest(d, 64) for u, d in scenarios.items()}
    # changed, or of unknown origin: compute afresh
    _forget_units(store, [int(u) for u, digest in now.items() if old.get(u) != digest])
    write_text_atomically(p, json.dumps(now, indent=1))


def _round_budgets(total: int, rounds: int) -> list[int]:
    """Candidates per round: the first round gets the largest share (it travels furthest)."""
    if rounds == 1:
        return [total]
    first = max(1, round(total * 0.6))
    rest = total - first
    return [first] + [max(1, rest // (rounds - 1))] * (rounds - 1)


def _read_candidates(store: Store) -> dict[int, dict[str, Any]]:
    data = _read_json_or_nothing(store.folder / "candidates.json")
    try:
        return {int(k): v for k, v in data.items()}
    except (TypeError, ValueError):
        return {}  # damaged: every candidate is computed afresh (and checked against disk)


def _read_json_or_nothing(path: Path) -> dict[str, Any]:
    """A JSON object relsim wrote, or nothing if it is missing or damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_candidates(store: Store, candidates: dict[int, dict[str, Any]]) -> None:
    from relsim.storage.atomic import write_text_atomically

    write_text_atomically(
        store.folder / "candidates.json",
        json.dumps({str(k): v for k, v in candidates.items()}, indent=1),
    )


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(float(f"{v:.6g}"))
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return json.dumps(v)


#: Keys of calibrated.toml whose values are tables set as a whole.
WHOLE_TABLES = ("market.initial_rung_shares", "market.initial_rung_shares_by_segment")


def written_values(parsed: dict[str, Any]) -> dict[str, Any]:
    """What a parsed ``calibrated.toml`` sets, as dotted keys (not its extends, name, text)."""
    flat: dict[str, Any] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for k, v in node.items():
            key = f"{prefix}{k}"
            if key in WHOLE_TABLES or not isinstance(v, dict):
                if key not in ("extends", "name", "description"):
                    flat[key] = v
            else:
                walk(v, key + ".")

    walk(parsed, "")
    return flat


def values_digest(values: dict[str, Any]) -> str:
    """A digest of what calibration set, written into ``calibrated.toml`` to show it untouched."""
    return digest(values, 16)


def calibrated_toml(plan: Plan, cal: Calibration, command: str) -> str:
    """The text of ``calibrated.toml``: the base scenario plus what calibration set.

    Its header records the plan's fingerprint and a digest of the values as written
    (:func:`written_values`), so anyone can check that the file is what calibration wrote
    from these inputs and targets.
    """
    import tomllib

    t = plan.targets
    body = [f'extends = "{plan.extends}"', f'name = "{t.name}"']
    if "description" in plan.base:
        body.append(f"description = {json.dumps(plan.base['description'])}")
    body.append("")
    body.append("# calibrated (free values fitted to the calibrated facts)")
    body += [f"{k} = {_toml_value(v)}" for k, v in cal.values.items()]
    body.append("")
    if cal.initial:
        body.append("# derived: the steady state of the calibrated market")
        body += [f"{k} = {_toml_value(v)}" for k, v in cal.initial.items()]
    text = "\n".join(body) + "\n"
    written = written_values(tomllib.loads(text))  # the writer only writes what TOML reads
    header = [
        f"# Written by `{command}`.",
        f"# Targets: {plan.source.name} ({len(t.calibrated)} calibrated facts); fit on "
        f"seed {t.fit.seed} x {t.fit.replications} replications, {cal.evaluations} "
        f"candidates in {t.fit.rounds} round(s) of Nelder-Mead;",
        f"# validated on seed {t.validation.seed} x {t.validation.replications} "
        "replications (see validation.csv). "
        + (
            "The initial state is the steady state of a "
            f"{'ten' if t.fit.steady_years == 10 else f'{t.fit.steady_years:g}'}-year run of "
            "the fitted market."
            if cal.initial
            else "Everyone arrives with a repertoire; the warm-up is to bring the steady "
            "state (warmup.csv tests whether it did)."
        ),
        f"# fingerprint {plan.fingerprint}; values digest {values_digest(written)}",
        "",
    ]
    return "\n".join(header) + "\n" + text
