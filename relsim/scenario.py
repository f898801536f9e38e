"""Scenarios: a market, its people and the firms' strategies, as validated data.

A scenario is a TOML file. It is validated on load (types, ranges, unknown keys, cross-field
rules) with pydantic, and every error names the file, the key and what was expected. Values
can be overridden from the command line with ``--set KEY=VALUE`` (dotted keys, TOML values).
Rates in files are per year and durations in days, as people state them; the model converts.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from relsim.ladder import RELATIONSHIP_RUNGS

NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]
Prob = Annotated[float, Field(ge=0.0, le=1.0)]
RUNG_KEYS = tuple(r.label for r in RELATIONSHIP_RUNGS)


def _rung_name(value: str) -> str:
    if value not in RUNG_KEYS:
        raise ValueError(f"expected one of {', '.join(RUNG_KEYS)}")
    return value


RungName = Annotated[str, AfterValidator(_rung_name)]


class ScenarioError(ValueError):
    """A scenario file or override that does not validate; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RungTable(_Strict):
    """One non-negative value per relationship rung."""

    customer: NonNeg
    client: NonNeg
    supporter: NonNeg
    advocate: NonNeg
    partner: NonNeg

    def as_dict(self) -> dict[str, float]:
        """Values keyed by rung label."""
        return self.model_dump()


class ProbRungTable(RungTable):
    """One probability per relationship rung."""

    customer: Prob
    client: Prob
    supporter: Prob
    advocate: Prob
    partner: Prob


class Simulation(_Strict):
    """How much to simulate."""

    people: Annotated[int, Field(ge=1, le=10_000_000)] = 10_000
    days: Annotated[float, Field(gt=0.0, le=36_500.0)] = 1095.0
    start_date: dt.date = dt.date(2024, 1, 1)
    seed: Annotated[int, Field(ge=0)] = 1


class Segment(_Strict):
    """A purchase-frequency segment of the population."""

    share: Prob
    purchases_per_year: Pos
    basket: Pos


class Population(_Strict):
    """Who the people are: purchase habits, spend, price sensitivity, complaint propensity."""

    segments: dict[str, Segment]
    rate_shape: Pos = 8.0
    basket_sigma: NonNeg = 0.9
    spend_cv: NonNeg = 0.4
    price_sensitivity_shape: Pos = 2.0
    complaint_propensity_mean: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.25
    complaint_propensity_concentration: Pos = 4.0
    # Trial: a prospect reached by paid acquisition buys with probability
    # logistic(trial_logit + coupon_response * price_sensitivity * coupon depth).
    trial_logit: float = -2.1972  # logit(0.10): one in ten tries without a coupon
    coupon_response: NonNeg = 3.7

    @field_validator("segments")
    @classmethod
    def _shares_sum_to_one(cls, value: dict[str, Segment]) -> dict[str, Segment]:
        if not value:
            raise ValueError("expected at least one segment")
        total = sum(s.share for s in value.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"expected segment shares summing to 1, got {total:g}")
        return value


class Ladder(_Strict):
    """What each rung means: share of wallet, bond strength, barriers, moves, referrals."""

    share_of_wallet: ProbRungTable
    bond: RungTable
    price_barrier: RungTable
    promote_on_attention: ProbRungTable
    demote_on_failure: Prob = 0.5
    referrals_per_year: RungTable


class Switching(_Strict):
    """Hazards and mechanisms of the switching causes (rates per year, durations in days)."""

    relocation_per_year: NonNeg = 0.02
    other_per_year: NonNeg = 0.01
    neglect_max_per_year: NonNeg = 2.0
    neglect_ramp_days: NonNeg = 365.0
    dissatisfaction_base_per_year: NonNeg = 0.0
    dissatisfaction_per_grievance_per_year: NonNeg = 0.5
    grievance_memory_days: Pos = 90.0
    unresolved_complaint_grievances: Annotated[int, Field(ge=0, le=10)] = 1
    complaint_patience_days: Pos = 3.0
    price_occasions_per_year: NonNeg = 4.0
    price_intercept: float = -4.0
    price_slope: NonNeg = 10.0
    defector_joins_rival: Prob = 0.7


class Promotion(_Strict):
    """A periodic price promotion: ``depth`` off for ``length_days`` every ``every_days``."""

    depth: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    every_days: Pos = 91.0
    length_days: NonNeg = 14.0
    offset_days: NonNeg = 0.0

    @model_validator(mode="after")
    def _length_fits(self) -> Promotion:
        if self.length_days > self.every_days:
            raise ValueError("expected length_days <= every_days")
        return self


class LoyaltyDiscount(_Strict):
    """A discount for people on or above a rung."""

    depth: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    from_rung: RungName = "supporter"


class Coupon(_Strict):
    """Coupons handed to prospects that paid acquisition reaches: ``depth`` off the trial."""

    depth: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    cost_per_coupon: NonNeg = 0.0  # printing and distribution, per prospect reached


class WinBack(_Strict):
    """Offers to former customers who are nobody's customer now."""

    budget_per_year: NonNeg = 0.0
    cost_per_offer: Pos = 20.0
    depth: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.2  # off the first purchase back


class Targeting(_Strict):
    """Whom to look after: "hold on with all your might, watch closely, or let go".

    People are ranked by expected annual spend; the top ``hold_share`` are contacted at
    ``hold_cadence_factor`` times their rung's interval, the bottom ``let_go_share`` are not
    contacted at all, and the rest are watched at their rung's cadence.
    """

    hold_share: Prob = 0.0
    hold_cadence_factor: Pos = 1.0
    let_go_share: Prob = 0.0

    @model_validator(mode="after")
    def _shares_fit(self) -> Targeting:
        if self.hold_share + self.let_go_share > 1.0:
            raise ValueError("expected hold_share + let_go_share <= 1")
        return self


class Partnership(_Strict):
    """A partnership programme for people on or above ``from_rung``."""

    from_rung: RungName = "partner"
    bond_factor: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0  # multiplies members' hazards
    referral_factor: NonNeg = 1.0  # multiplies members' referrals
    cost_per_member_per_year: NonNeg = 0.0
    fixed_cost_per_year: NonNeg = 0.0


class Costs(_Strict):
    """What the relationship costs, after the main seed's Table 7.3, and what staff earn."""

    gross_margin: Prob = 0.25  # Table 7.3 line 4: profit from sales, as a share of revenue
    delivery_per_purchase: NonNeg = 0.0  # 5.1.1
    staff_bonus_share: Prob = 0.0  # 5.1.2: bonuses to store staff, share of revenue
    returns_per_failure: NonNeg = 0.0  # 5.1.3: goods taken back after a failed episode
    database_per_customer_year: NonNeg = 0.0
    account_manager_salary_per_year: NonNeg = 0.0  # sales managers' salaries
    desk_staff_salary_per_year: NonNeg = 0.0
    service_quality_per_year: NonNeg = 0.0  # running the service at its failure rate
    other_per_year: NonNeg = 0.0
    setup_cost: NonNeg = 0.0  # one-off on day 0, e.g. a CRM system


class Strategy(_Strict):
    """What a firm controls, and what each lever costs."""

    price_index: Pos = 1.0
    promotion: Promotion = Promotion()
    loyalty_discount: LoyaltyDiscount = LoyaltyDiscount()
    acquisition_budget_per_year: NonNeg = 0.0
    cost_per_acquisition: Pos = 50.0
    account_managers: Annotated[int, Field(ge=0, le=100_000)] = 0
    contact_every_days: RungTable
    contact_duration_days: Pos = 0.0625
    service_failure_prob: Prob = 0.03
    service_desk_staff: Annotated[int, Field(ge=0, le=100_000)] = 1
    complaint_handling_days: Pos = 0.25
    initial_customers: Annotated[int, Field(ge=0)] = 0
    coupon: Coupon = Coupon()
    win_back: WinBack = WinBack()
    targeting: Targeting = Targeting()
    partnership: Partnership = Partnership()
    costs: Costs = Costs()


#: Reporting periods and their pandas frequency aliases (period starts).
PERIODS = {"month": "MS", "quarter": "QS", "year": "YS"}


class Economics(_Strict):
    """How money is accounted: the discount rate for NPV and the reporting period."""

    discount_rate_per_year: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.10
    period: Literal["month", "quarter", "year"] = "month"


class Market(_Strict):
    """The market as a whole."""

    focal: str
    initial_rung_shares: ProbRungTable


class Scenario(_Strict):
    """A whole scenario: simulation size, people, ladder, switching, market and firms."""

    name: str = "scenario"
    description: str = ""
    simulation: Simulation = Simulation()
    population: Population
    ladder: Ladder
    switching: Switching = Switching()
    market: Market
    firms: dict[str, Strategy]
    economics: Economics = Economics()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if not self.firms:
            raise ValueError("expected at least one firm under [firms]")
        if self.market.focal not in self.firms:
            raise ValueError(
                f"market.focal names '{self.market.focal}', expected one of the firms: "
                + ", ".join(self.firms)
            )
        initial = sum(f.initial_customers for f in self.firms.values())
        if initial > self.simulation.people:
            raise ValueError(
                f"firms' initial_customers add up to {initial}, more than "
                f"simulation.people = {self.simulation.people}"
            )
        shares = sum(self.market.initial_rung_shares.as_dict().values())
        if abs(shares - 1.0) > 1e-6:
            raise ValueError(f"market.initial_rung_shares must sum to 1, got {shares:g}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """The scenario as plain JSON-ready data (dates as ISO strings)."""
        return self.model_dump(mode="json")


DEFAULT_SCENARIO = "baseline"


def default_scenario_path() -> Path:
    """Path of the bundled default scenario (shipped inside the package)."""
    return Path(str(resources.files("relsim") / "data" / f"{DEFAULT_SCENARIO}.toml"))


def _format_errors(source: str, err: ValidationError, what: str = "scenario",
                   examples: str = "scenarios/baseline.toml") -> str:
    lines = [f"{source}: invalid {what}"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = f"unknown key (check the spelling; see {examples} for every key)"
        elif e["type"] == "missing":
            msg = "required key is missing"
        quiet = e["type"] in ("missing", "extra_forbidden") or isinstance(e["input"], dict)
        got = "" if quiet else f" (got {e['input']!r})"
        lines.append(f"  {key}: {msg}{got}")
    return "\n".join(lines)


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            prefix = ".".join(parts[: i + 1])
            raise ScenarioError(f"--set {key}: '{prefix}' is a value, not a table")
        node = child
    node[parts[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one ``KEY=VALUE`` override; the value is read as TOML, else taken as a string.

    Parameters
    ----------
    text : str
        For example ``firms.focal.account_managers=8`` or ``name="big staff"``.

    Returns
    -------
    tuple
        The dotted key and the parsed value.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not p for p in key.split(".")):
        raise ScenarioError(f"--set {text!r}: expected KEY=VALUE with a dotted key, e.g. "
                            "firms.focal.account_managers=8")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def scenario_from_dict(
    data: dict[str, Any], source: str = "<scenario>", overrides: list[str] | None = None,
    values: dict[str, Any] | None = None,
) -> Scenario:
    """Validate scenario data, after applying ``KEY=VALUE`` overrides and dotted-key values.

    Parameters
    ----------
    data : dict
        Parsed TOML.
    source : str
        Where the data came from, for error messages.
    overrides : list of str, optional
        ``KEY=VALUE`` strings applied before validation.
    values : dict, optional
        Dotted keys and their values, applied after ``overrides``.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With every problem listed by key.
    """
    data = copy.deepcopy(data)
    if overrides:
        source = f"{source} with --set {' '.join(overrides)}"
        for text in overrides:
            _set_dotted(data, *parse_override(text))
    for key, value in (values or {}).items():
        _set_dotted(data, key, value)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_errors(source, err)) from None


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def read_toml(p: Path, what: str = "scenario",
              error: type[ValueError] = ScenarioError) -> dict[str, Any]:
    """A TOML file's data; ``error`` names the file when it is unreadable or not TOML."""
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise error(f"{p}: cannot read {what} file ({err.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{p}: not valid TOML: {err}") from None


def load_model_file(path: str | Path, model: type[BaseModel], what: str, examples: str,
                    error: type[ValueError]) -> Any:
    """Read a TOML file into a pydantic ``model`` (its ``name`` defaults to the file's stem).

    Every problem is raised as one ``error`` naming the file, each key and what was expected.
    """
    p = Path(path)
    data = read_toml(p, what, error)
    data.setdefault("name", p.stem)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise error(_format_errors(str(p), err, what, examples)) from None


def read_scenario_data(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file's data with its ``extends`` chain resolved (not yet validated).

    A scenario may say ``extends = "baseline.toml"`` (a path relative to its own file, or
    ``"relsim:baseline"`` for the bundled default) and then give only what differs: its
    tables are merged key by key over the base's.

    Raises
    ------
    ScenarioError
        If a file in the chain is missing or not TOML, or the chain loops.
    """
    p = Path(path)
    if p.resolve() in _seen:
        chain = " -> ".join(str(x) for x in (*_seen, p.resolve()))
        raise ScenarioError(f"{p}: extends: the chain loops ({chain})")
    data = read_toml(p)
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str) or not base:
        raise ScenarioError(f"{p}: extends: expected the path of a scenario file, got {base!r}")
    if base == f"relsim:{DEFAULT_SCENARIO}":
        base_path = default_scenario_path()
    else:
        base_path = p.parent / base
        if not base_path.exists():
            raise ScenarioError(f"{p}: extends: no scenario file {base_path}")
    parent = read_scenario_data(base_path, (*_seen, p.resolve()))
    parent.pop("name", None)
    parent.pop("description", None)
    return _deep_merge(parent, data)


def load_scenario(path: str | Path | None = None, overrides: list[str] | None = None) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path : str or Path, optional
        A TOML scenario (which may extend another, see :func:`read_scenario_data`); the
        bundled default scenario when omitted.
    overrides : list of str, optional
        ``KEY=VALUE`` overrides (dotted keys, TOML values).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        If the file is missing, not TOML, or does not validate.
    """
    p = default_scenario_path() if path is None else Path(path)
    data = read_scenario_data(p)
    data.setdefault("name", p.stem)
    return scenario_from_dict(data, str(p), overrides)
