"""Declared experiments: arms, replications, a seed, and the claims they test.

An experiment file (TOML, validated like a scenario) names its arms (a scenario plus the
values it changes), the number of replications, the seed, and its claims: a figure, where it
comes from, and the range the source gives. ``relsim experiment FILE`` runs the arms with
common random numbers (:mod:`relsim.experiments.comparison`) and judges each claim on the 95%
interval of its quantity over replications:

- *held* when the whole interval lies in the claimed range;
- *not held* when the whole interval lies outside it;
- *inconclusive* otherwise, with the number of replications that would decide it.

The quantities, per replication, then averaged:

- ``value``: an arm's metric;
- ``difference``: an arm's metric minus another arm's (paired by replication), or minus
  another metric of the other arm when ``against_metric`` is given;
- ``relative``: that difference over the other arm's mean;
- ``per_step``: the relative difference of ``metric`` per ``step`` of the difference of
  ``per`` (a ratio of means, e.g. the profit gain per 5 points of retention);
- ``payback``: periods until the arm's extra spending has paid for itself in each
  replication (one that never paid back counts as the period after the run).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from msgspec import Meta

from relsim.analysis.statistics import (
    IN_RANGE,
    INCONCLUSIVE,
    NOT_EVALUATED,
    OUT_OF_RANGE,
    mean_ci,
    paired,
    range_verdict,
    ratio_ci,
    replications_needed,
)
from relsim.config.loading import load_model_file, load_scenario, resolve_reference
from relsim.config.schema import Spec, _slug
from relsim.errors import ExperimentError, ScenarioError
from relsim.experiments.comparison import Arm, payback

# The verdicts are those of every range judged on an interval (relsim.analysis.statistics).


class ArmSpec(Spec, kw_only=True, frozen=True):
    """One arm: a scenario (a path relative to the file, or ``relsim:NAME``) and its changes."""

    name: str
    scenario: str = "relsim:baseline"
    set: dict[str, Any] = {}
    description: str = ""

    def check(self) -> None:
        """The name is a slug (it becomes a folder name)."""
        _slug(self.name, "name")


class Claim(Spec, kw_only=True, frozen=True):
    """A claim from the sources and how to check it."""

    name: str
    source: str
    kind: Literal["value", "difference", "relative", "per_step", "payback"] = "value"
    metric: str = "profit"
    arm: str
    against: str | None = None
    against_metric: str | None = None
    per: str | None = None
    step: float = 1.0
    range: tuple[float, float]
    # What holding shows: "input" (the scenario was set from the figure: a read-back),
    # "calibrated" (a target of the fit) or "predicted" (never a target: evidence).
    role: Literal["input", "calibrated", "predicted"] = "predicted"

    #: A one-sided claim has an infinite bound.
    UNBOUNDED: ClassVar[tuple[str, ...]] = ("range",)

    def check(self) -> None:
        """The range is ordered; each kind has the fields it needs; the source is registered."""
        from relsim.config.sources import sources

        if self.source not in sources():
            raise ValueError(
                f"source: no source '{self.source}' in the sources register "
                "(relsim/config/sources.toml)"
            )
        if self.range[0] > self.range[1]:
            raise ValueError("range: expected [low, high] with low <= high")
        if self.kind != "value" and self.against is None:
            raise ValueError(f"against: a '{self.kind}' claim needs the arm to compare with")
        if self.kind == "per_step" and (self.per is None or self.step == 0):
            raise ValueError("per: a 'per_step' claim needs 'per' (a metric) and a non-zero 'step'")

    def metrics_used(self) -> list[str]:
        """The run metrics the claim reads."""
        if self.kind == "payback":
            return []
        return [m for m in (self.metric, self.against_metric, self.per) if m]


class Experiment(Spec, kw_only=True, frozen=True):
    """A declared experiment."""

    name: str
    description: str = ""
    replications: Annotated[int, Meta(ge=2, le=10_000)] = 10
    seed: Annotated[int, Meta(ge=0)] = 20240101
    arms: Annotated[list[ArmSpec], Meta(min_length=1)]
    metrics: list[str] = []
    claims: list[Claim] = []

    def check(self) -> None:
        """Arms are distinct; claims name arms and metrics that exist."""
        from relsim.analysis.metrics import metric_names

        _slug(self.name, "name")
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError(f"arms: names must be distinct, got {names}")
        known = set(metric_names())
        unknown = [m for m in self.metrics if m not in known]
        for c in self.claims:
            for ref in (c.arm, c.against):
                if ref is not None and ref not in names:
                    raise ValueError(
                        f"claims: claim '{c.name}' names no arm '{ref}' (arms: {', '.join(names)})"
                    )
            unknown += [f"{m} (claim '{c.name}')" for m in c.metrics_used() if m not in known]
        if unknown:
            raise ValueError(
                f"metrics: unknown metric(s) {', '.join(unknown)}; see "
                "relsim.analysis.metrics.metric_names()"
            )


def load_experiment(path: str | Path) -> tuple[Experiment, list[Arm]]:
    """Read and validate an experiment file and load its arms' scenarios.

    Scenario paths are relative to the experiment file (``relsim:NAME`` names a bundled
    scenario). Every error names the file and the key.

    Returns
    -------
    Experiment
    list of Arm
        The arms with their validated scenarios, in the file's order (the first is the
        reference that summaries compare against).

    Raises
    ------
    ExperimentError
    """
    p = Path(path)
    exp = load_model_file(p, Experiment, "experiment", "experiments/*.toml", ExperimentError)
    arms = []
    for i, spec in enumerate(exp.arms):
        where = f"{p}: arms[{i}] ('{spec.name}'): "
        try:
            sc_path = resolve_reference(spec.scenario, p.parent, ExperimentError, where)
            sc = load_scenario(sc_path, values=spec.set)
        except ScenarioError as err:
            raise ExperimentError(f"{where}{err}") from None
        changes = " ".join(f"{k}={v!r}" for k, v in spec.set.items())
        arms.append(Arm(spec.name, sc, f"{spec.scenario} {changes}".strip()))
    return exp, arms


def _per_rep(replications: pd.DataFrame, arm: str, metric: str) -> pd.Series:
    df = replications[replications["arm"] == arm]
    return df.set_index("replication")[metric].astype(float)


def evaluate_claim(
    claim: Claim, replications: pd.DataFrame, ledgers: pd.DataFrame
) -> dict[str, Any]:
    """Evaluate one claim on the finished replications.

    Returns
    -------
    dict
        The claim's fields with ``value, ci_low, ci_high, n, verdict, replications_needed``
        and ``why`` (why it could not be evaluated, or why it is inconclusive).
    """
    from relsim.config.sources import source

    src = source(claim.source)
    out: dict[str, Any] = {
        "claim": claim.name,
        "role": claim.role,
        "source": src.short,
        "grade": src.grade,
        "source_id": claim.source,
        "kind": claim.kind,
        "metric": claim.metric,
        "arm": claim.arm,
        "against": claim.against or "",
        "low": claim.range[0],
        "high": claim.range[1],
    }
    try:
        if claim.kind == "payback":
            pb = payback(ledgers, claim.arm, claim.against or "")
            own = np.asarray(pb["per_replication"], dtype=float)
            periods = float(ledgers["period"].nunique())
            never = int(np.isnan(own).sum())
            # A replication that never paid back is counted as paying back just after the
            # run (censored at the horizon): leaving it out would flatter the claim.
            own = np.where(np.isnan(own), periods + 1.0, own)
            value, lo, hi = mean_ci(own)
            res = _verdict(out, claim, value, lo, hi, own)
            if never:
                res["why"] = (
                    f"{never} of {len(own)} replications had not paid back by the "
                    f"end of the run (counted as period {periods + 1:g})"
                    + (f"; {res['why']}" if res["why"] else "")
                )
            return res
        x = _per_rep(replications, claim.arm, claim.metric)
        if claim.kind == "value":
            v = x
        else:
            y = _per_rep(replications, claim.against or "", claim.against_metric or claim.metric)
            v = paired(x, y)
            reps = v.index
            if claim.kind in ("relative", "per_step"):
                base = float(y[reps].mean())
                if not base:
                    raise ExperimentError(
                        f"the mean of '{claim.metric}' in arm '{claim.against}' is zero"
                    )
                v = v / abs(base)
            if claim.kind == "per_step":
                px = _per_rep(replications, claim.arm, claim.per or "")
                py = _per_rep(replications, claim.against or "", claim.per or "")
                moved = paired(px, py).reindex(reps) / claim.step
                if float(moved.mean()) == 0.0:
                    raise ExperimentError(f"'{claim.per}' did not move between the arms")
                value, lo, hi = ratio_ci(v.to_numpy(), moved.to_numpy())
                resid = (v.to_numpy() - value * moved.to_numpy()) / moved.mean() + value
                return _verdict(out, claim, value, lo, hi, resid)
        values = v.to_numpy()
        if not np.isfinite(values).any():
            raise ExperimentError(
                f"'{claim.metric}' is undefined in every replication of arm '{claim.arm}'"
            )
        value, lo, hi = mean_ci(values)
        return _verdict(out, claim, value, lo, hi, values)
    except ExperimentError as err:
        out.update(
            {
                "value": math.nan,
                "ci_low": math.nan,
                "ci_high": math.nan,
                "n": 0,
                "verdict": NOT_EVALUATED,
                "replications_needed": math.nan,
                "why": str(err),
            }
        )
        return out


def _verdict(
    out: dict[str, Any], claim: Claim, value: float, lo: float, hi: float, values: np.ndarray
) -> dict[str, Any]:
    low, high = claim.range
    n = int(np.isfinite(values).sum())
    need, why = math.nan, ""
    verdict = range_verdict(low, high, value, lo, hi)
    if verdict == NOT_EVALUATED:
        why = "the value is undefined"
    elif verdict in (IN_RANGE, OUT_OF_RANGE):  # a claim is never judged on one run's point
        verdict, why = NOT_EVALUATED, "an interval needs at least two replications"
    elif verdict == INCONCLUSIVE:
        # The interval straddles a bound: it decides once its half-width is below the
        # distance from the mean to that bound (if the mean stays where it is).
        bounds = [b for b in (low, high) if math.isfinite(b)]
        gap = min(abs(value - b) for b in bounds) if bounds else math.nan
        need = replications_needed(values, gap) if gap > 0 else math.nan
        why = (
            f"the interval straddles the range's edge; about {need:.0f} replications "
            "would decide it"
            if math.isfinite(need)
            else "the mean lies on the range's edge: more replications will not decide it"
        )
    out.update(
        {
            "value": value,
            "ci_low": lo,
            "ci_high": hi,
            "n": n,
            "verdict": verdict,
            "replications_needed": need,
            "why": why,
        }
    )
    return out


def evaluate(exp: Experiment, replications: pd.DataFrame, ledgers: pd.DataFrame) -> pd.DataFrame:
    """Evaluate every claim of an experiment; one row per claim."""
    return pd.DataFrame([evaluate_claim(c, replications, ledgers) for c in exp.claims])
