"""Declared experiments: scenarios, what varies, replications, and the claim they test.

An experiment file (TOML, validated like a scenario) names its arms (a scenario file plus
overrides), the number of replications, the seed, and its claims: a figure, where it comes
from, and the range the sources give. ``relsim experiment FILE`` runs the arms with common
random numbers (:mod:`relsim.compare`), writes ``results/<experiment>/`` and says whether each
claim held. A claim is evaluated on one of these quantities, per replication, then averaged:

- ``value``: an arm's metric;
- ``difference``: an arm's metric minus another arm's (paired by replication), or minus
  another metric of the other arm when ``against_metric`` is given;
- ``relative``: that difference over the other arm's mean;
- ``per_step``: the relative difference of ``metric`` per ``step`` of the difference of
  ``per`` (e.g. the profit gain per 5 points of retention);
- ``payback``: periods until the arm's extra spending has paid for itself, on the mean
  cumulative paired difference (the interval is that of the replications' own periods).

``test = "mean"`` asks that the mean lie in the range; ``test = "interval"`` asks that its
whole 95% confidence interval does (a direction of effect that the noise cannot explain).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from relsim.compare import Arm, mean_ci, payback
from relsim.scenario import ScenarioError, load_model_file, load_scenario


class ExperimentError(ValueError):
    """An experiment file that does not validate, or a claim that cannot be evaluated."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArmSpec(_Strict):
    """One arm: a scenario file and the values this arm changes in it."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    scenario: str = "relsim:baseline"
    set: dict[str, Any] = {}
    description: str = ""


class Claim(_Strict):
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
    test: Literal["mean", "interval"] = "mean"

    @model_validator(mode="after")
    def _complete(self) -> Claim:
        if self.range[0] > self.range[1]:
            raise ValueError("range: expected [low, high] with low <= high")
        if self.kind != "value" and self.against is None:
            raise ValueError(f"a '{self.kind}' claim needs 'against' (the arm to compare with)")
        if self.kind == "per_step" and (self.per is None or self.step == 0):
            raise ValueError("a 'per_step' claim needs 'per' (a metric) and a non-zero 'step'")
        return self


class Experiment(_Strict):
    """A declared experiment."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    description: str = ""
    replications: Annotated[int, Field(ge=1, le=10_000)] = 10
    seed: Annotated[int, Field(ge=0)] = 20240101
    arms: Annotated[list[ArmSpec], Field(min_length=1)]
    metrics: list[str] = []
    claims: list[Claim] = []

    @model_validator(mode="after")
    def _arms_named(self) -> Experiment:
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError(f"arms: names must be distinct, got {names}")
        for c in self.claims:
            for ref in (c.arm, c.against):
                if ref is not None and ref not in names:
                    raise ValueError(f"claim '{c.name}': no arm named '{ref}' "
                                     f"(arms: {', '.join(names)})")
        return self


def load_experiment(path: str | Path) -> tuple[Experiment, list[Arm]]:
    """Read and validate an experiment file and load its arms' scenarios.

    Scenario paths are relative to the experiment file (``relsim:baseline`` is the bundled
    default). Every error names the file and the key.

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
        sc_path = None if spec.scenario == "relsim:baseline" else p.parent / spec.scenario
        overrides = [f"{k}={_toml_value(v)}" for k, v in spec.set.items()]
        try:
            sc = load_scenario(sc_path, overrides)
        except ScenarioError as err:
            raise ExperimentError(f"{p}: arms[{i}] ('{spec.name}'): {err}") from None
        arms.append(Arm(spec.name, sc, f"{spec.scenario} {' '.join(overrides)}".strip()))
    return exp, arms


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def _per_rep(replications: pd.DataFrame, arm: str, metric: str) -> pd.Series:
    df = replications[replications["arm"] == arm]
    if metric not in df.columns:
        raise ExperimentError(f"metric '{metric}' is not measured (see the columns of "
                              "replications.parquet for the metrics there are)")
    return df.set_index("replication")[metric].astype(float)


def evaluate_claim(claim: Claim, replications: pd.DataFrame,
                   ledgers: pd.DataFrame) -> dict[str, Any]:
    """Evaluate one claim on the finished replications.

    Returns
    -------
    dict
        The claim's fields with ``value, ci_low, ci_high, n, holds`` and, when it could not be
        evaluated, ``holds = None`` and ``why``.
    """
    out: dict[str, Any] = {"claim": claim.name, "source": claim.source, "kind": claim.kind,
                           "metric": claim.metric, "arm": claim.arm,
                           "against": claim.against or "", "low": claim.range[0],
                           "high": claim.range[1], "test": claim.test}
    try:
        if claim.kind == "payback":
            pb = payback(ledgers, claim.arm, claim.against or "")
            value = pb["periods"]
            if math.isnan(value):
                raise ExperimentError("the arm's extra spending had not paid for itself by "
                                      "the end of the run")
            # The interval is that of the replications' own payback periods (those that paid
            # back within the run).
            own = pb["per_replication"]
            _, lo, hi = mean_ci(own)
            n = int(np.isfinite(own).sum())
        else:
            x = _per_rep(replications, claim.arm, claim.metric)
            if claim.kind == "value":
                v = x
            else:
                y = _per_rep(replications, claim.against or "",
                             claim.against_metric or claim.metric)
                reps = x.index.intersection(y.index)
                v = x[reps] - y[reps]
                if claim.kind in ("relative", "per_step"):
                    base = float(y[reps].mean())
                    if not base:
                        raise ExperimentError(f"the mean of '{claim.metric}' in arm "
                                              f"'{claim.against}' is zero")
                    v = v / abs(base)
                if claim.kind == "per_step":
                    px = _per_rep(replications, claim.arm, claim.per or "")
                    py = _per_rep(replications, claim.against or "", claim.per or "")
                    moved = (px[reps] - py[reps]) / claim.step
                    if float(moved.mean()) == 0.0:
                        raise ExperimentError(f"'{claim.per}' did not move between the arms")
                    # A ratio of means over replications: the per-replication ratio would be
                    # unstable where the denominator is small.
                    value = float(v.mean() / moved.mean())
                    lo, hi = _ratio_ci(v.to_numpy(), moved.to_numpy())
                    n = len(reps)
                    return _verdict(out, claim, value, lo, hi, n)
            n = int(np.isfinite(v.to_numpy()).sum())
            if n == 0:
                raise ExperimentError(f"'{claim.metric}' is undefined in every replication "
                                      f"of arm '{claim.arm}'")
            value, lo, hi = mean_ci(v.to_numpy())
        return _verdict(out, claim, value, lo, hi, n)
    except ExperimentError as err:
        out.update({"value": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0,
                    "holds": None, "why": str(err)})
        return out


def _ratio_ci(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """95% interval of mean(num) / mean(den) by the delta method over replications."""
    n = len(num)
    if n < 2:
        return math.nan, math.nan
    mx, my = num.mean(), den.mean()
    r = mx / my
    cov = np.cov(num, den, ddof=1) / n
    var = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (my * my)
    from scipy import stats

    half = float(stats.t.ppf(0.975, n - 1) * math.sqrt(max(var, 0.0)))
    return r - half, r + half


def _verdict(out: dict[str, Any], claim: Claim, value: float, lo: float, hi: float,
             n: int) -> dict[str, Any]:
    low, high = claim.range
    if claim.test == "interval":
        if math.isnan(lo):
            out.update({"value": value, "ci_low": lo, "ci_high": hi, "n": n, "holds": None,
                        "why": "an interval needs at least two replications"})
            return out
        holds = low <= lo and hi <= high
    else:
        holds = low <= value <= high
    out.update({"value": value, "ci_low": lo, "ci_high": hi, "n": n, "holds": bool(holds),
                "why": ""})
    return out


def evaluate(exp: Experiment, replications: pd.DataFrame,
             ledgers: pd.DataFrame) -> pd.DataFrame:
    """Evaluate every claim of an experiment; one row per claim."""
    return pd.DataFrame([evaluate_claim(c, replications, ledgers) for c in exp.claims])
