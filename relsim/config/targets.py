"""Targets files: a scenario's free values and the source facts it is calibrated and validated on.

A *fact* names a measure of a run (any of :func:`relsim.analysis.metrics.metric_names`), the
range a source gives, the source (an id of the register, :mod:`relsim.config.sources`) and a
*role*, which says what reproducing it is evidence of:

- ``input``: the scenario was set from this figure, so the run reads it back;
- ``calibrated``: a target the free values were fitted to (``relsim calibrate``);
- ``predicted``: never a target; only these are evidence that the mechanisms work.

A fact may compare the scenario with a *variant* (a few values changed). The measuring and
judging of facts is :mod:`relsim.analysis.facts`; fitting is
:mod:`relsim.experiments.calibration`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta, field

from relsim.config.loading import load_model_file
from relsim.config.schema import Spec, _slug
from relsim.errors import CalibrationError


class Fact(Spec, kw_only=True, frozen=True):
    """A figure from a source, how to measure it on runs, and what reproducing it shows."""

    name: str
    measure: str
    low: float
    high: float
    role: Literal["input", "calibrated", "predicted"]
    source: str
    note: str = ""
    # A variant of the scenario (dotted keys and values): the fact is then the variant's
    # measure minus the base's (``against_measure`` of the base, if given), or with
    # kind = "value" the variant's measure itself.
    variant: dict[str, Any] = {}
    kind: Literal["difference", "value"] = "difference"
    against_measure: str | None = None

    UNBOUNDED: ClassVar[tuple[str, ...]] = ("low", "high")

    def check(self) -> None:
        """An ordered range and a registered source (measures: ``check_measures``)."""
        from relsim.config.sources import sources

        if not self.low <= self.high:
            raise ValueError("low: expected low <= high")
        if self.source not in sources():
            raise ValueError(f"source: no source '{self.source}' in the sources register")
        if self.against_measure is not None and not self.variant:
            raise ValueError("against_measure: only a fact with a variant compares measures")

    @property
    def compares(self) -> bool:
        """Whether the fact needs a variant run beside the base."""
        return bool(self.variant)


class Free(Spec, kw_only=True, frozen=True):
    """A scenario value the fit may move, within bounds."""

    key: str
    low: float
    high: float

    def check(self) -> None:
        """An ordered range."""
        if not self.low < self.high:
            raise ValueError(f"low: expected low < high, got {self.low:g}, {self.high:g}")


class Stage(Spec, kw_only=True, frozen=True):
    """Seed and replications of a stage (fit or validation)."""

    seed: Annotated[int, Meta(ge=0)]
    replications: Annotated[int, Meta(ge=1, le=1000)]


class FitSettings(Stage, kw_only=True, frozen=True):
    """How the fit searches."""

    max_evaluations: Annotated[int, Meta(ge=1, le=10_000)] = 80
    # Rounds of fitting, each from the steady state of the previous round's best.
    rounds: Annotated[int, Meta(ge=1, le=5)] = 1
    # Years of the one long run whose last 30% gives the fitted market's steady state (the
    # top rungs of a big market take years to fill; a small test market settles sooner).
    steady_years: Annotated[float, Meta(ge=1.0, le=50.0)] = 10.0


class Targets(Spec, kw_only=True, frozen=True):
    """A targets file: the scenario, its free values and the facts, with their roles."""

    name: str
    description: str = ""
    scenario: str
    fit: FitSettings
    validation: Stage
    free: list[Free] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def check(self) -> None:
        """Distinct free keys; calibrated facts to fit them to; seeds that differ."""
        _slug(self.name, "name")
        keys = [f.key for f in self.free]
        if len(set(keys)) != len(keys):
            raise ValueError(f"free: each key may be free once, got {keys}")
        if self.free and not any(f.role == "calibrated" for f in self.facts):
            raise ValueError("facts: free values need at least one calibrated fact to fit")
        if self.fit.seed == self.validation.seed:
            raise ValueError(
                "validation: expected a seed other than the fit's, so that "
                "validation is out of sample"
            )
        names = [f.name for f in self.facts]
        if len(set(names)) != len(names):
            raise ValueError("facts: names must be distinct")

    @property
    def calibrated(self) -> list[Fact]:
        """The facts the fit aims at."""
        return [f for f in self.facts if f.role == "calibrated"]

    def variants(self) -> list[dict[str, Any]]:
        """The distinct variants the facts compare with, in order of first mention."""
        out: list[dict[str, Any]] = []
        for f in self.facts:
            if f.variant and f.variant not in out:
                out.append(dict(f.variant))
        return out


def load_targets(path: str | Path) -> Targets:
    """Read and validate a targets file; errors name the file and the key."""
    return load_model_file(
        path, Targets, "targets file", "scenarios/baseline.targets.toml", CalibrationError
    )


def default_targets_path() -> Path:
    """The bundled default scenario's targets file."""
    from relsim.config.loading import bundled_dir

    return bundled_dir() / "baseline.targets.toml"
