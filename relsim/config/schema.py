"""The scenario schema: a market, its people and the firms' strategies, as validated data.

A scenario is a TOML file (:mod:`relsim.config.loading` reads it). Every section is a
:class:`Spec`: a frozen ``msgspec`` struct that refuses unknown keys and non-finite numbers,
checks ranges and cross-field rules, and says which key was wrong. Rates are per year and
durations in days, as people state them; the model converts (:mod:`relsim.model.rates`).
``msgspec`` validates in microseconds and imports in milliseconds, which keeps
``relsim validate`` and every command's start-up fast.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta, field

from relsim.storage.names import SLUG_RULE, check_slug

NonNeg = Annotated[float, Meta(ge=0.0)]
Pos = Annotated[float, Meta(gt=0.0)]
Prob = Annotated[float, Meta(ge=0.0, le=1.0)]
Fraction = Annotated[float, Meta(ge=0.0, lt=1.0)]  # a discount or depth: below 100%


class Spec(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base of every relsim file schema: unknown keys, NaN and infinities are errors.

    A subclass names in :attr:`UNBOUNDED` the float fields that may be infinite (never NaN)
    and states its cross-field rules in :meth:`check`.
    """

    UNBOUNDED: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            values = value if isinstance(value, tuple | list) else (value,)
            for v in values:
                if isinstance(v, float) and not math.isfinite(v):
                    if math.isnan(v) or name not in self.UNBOUNDED:
                        raise ValueError(f"{name}: expected a finite number (not nan or inf)")
        self.check()

    def check(self) -> None:
        """Cross-field rules; raise ``ValueError`` saying what was expected."""

    def to_dict(self) -> dict[str, Any]:
        """The section as plain JSON-ready data (dates as ISO strings)."""
        return msgspec.to_builtins(self)


def _rung_name(value: str, key: str) -> None:
    if value not in RUNG_KEYS:
        raise ValueError(f"{key}: expected one of {', '.join(RUNG_KEYS)} (got {value!r})")


def _slug(value: str, key: str) -> None:
    try:
        check_slug(value)
    except ValueError:
        raise ValueError(f"{key}: expected {SLUG_RULE} (got {value!r})") from None


class RungTable(Spec, kw_only=True, frozen=True):
    """One non-negative value per relationship rung."""

    customer: NonNeg
    client: NonNeg
    supporter: NonNeg
    advocate: NonNeg
    partner: NonNeg

    def as_dict(self) -> dict[str, float]:
        """Values keyed by rung label."""
        return {k: getattr(self, k) for k in self.__struct_fields__}


#: The rungs a relationship can stand on, lowest first (the model's ladder follows these).
RUNG_KEYS: tuple[str, ...] = RungTable.__struct_fields__


class ProbRungTable(RungTable, kw_only=True, frozen=True):
    """One probability per relationship rung."""

    customer: Prob
    client: Prob
    supporter: Prob
    advocate: Prob
    partner: Prob


class Simulation(Spec, kw_only=True, frozen=True):
    """How much to simulate, and for how long before measuring."""

    people: Annotated[int, Meta(ge=1, le=10_000_000)] = 10_000
    days: Annotated[float, Meta(gt=0.0, le=36_500.0)] = 1095.0
    # Simulated before day 0 and left out of every table, figure and report, so that what is
    # measured starts from the market's steady state, not from the initial one.
    warmup_days: Annotated[int, Meta(ge=0, le=36_500)] = 0  # whole days: rounds are daily
    start_date: dt.date = dt.date(2024, 1, 1)
    seed: Annotated[int, Meta(ge=0)] = 1


class Segment(Spec, kw_only=True, frozen=True):
    """A purchase-frequency segment of the population."""

    share: Prob
    purchases_per_year: Pos
    basket: Pos


class Population(Spec, kw_only=True, frozen=True):
    """Who the people are: purchase habits, spend, price sensitivity, complaint propensity."""

    segments: dict[str, Segment]
    rate_shape: Pos = 8.0
    basket_sigma: NonNeg = 0.9
    spend_cv: NonNeg = 0.4
    price_sensitivity_shape: Pos = 2.0
    complaint_propensity_mean: Annotated[float, Meta(gt=0.0, lt=1.0)] = 0.25
    complaint_propensity_concentration: Pos = 4.0
    # Trial: a prospect reached by paid acquisition buys with probability
    # logistic(trial_logit + coupon_response * price_sensitivity * coupon depth).
    trial_logit: float = -2.1972  # logit(0.10): one in ten tries without a coupon
    coupon_response: NonNeg = 3.7

    def check(self) -> None:
        """Segments exist and their shares sum to one."""
        if not self.segments:
            raise ValueError("segments: expected at least one segment")
        total = sum(s.share for s in self.segments.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segments: expected shares summing to 1, got {total:g}")


class Ladder(Spec, kw_only=True, frozen=True):
    """What each rung means: share of wallet, bond strength, barriers, moves, referrals."""

    share_of_wallet: ProbRungTable
    bond: RungTable
    price_barrier: RungTable
    promote_on_attention: ProbRungTable
    demote_on_failure: Prob = 0.5
    referrals_per_year: RungTable


class Switching(Spec, kw_only=True, frozen=True):
    """Hazards and mechanisms of the switching causes (rates per year, durations in days)."""

    relocation_per_year: NonNeg = 0.02
    other_per_year: NonNeg = 0.01
    neglect_max_per_year: NonNeg = 2.0
    neglect_ramp_days: NonNeg = 365.0
    dissatisfaction_base_per_year: NonNeg = 0.0
    dissatisfaction_per_grievance_per_year: NonNeg = 0.5
    grievance_memory_days: Pos = 90.0
    price_occasions_per_year: NonNeg = 4.0
    price_intercept: float = -4.0
    price_slope: NonNeg = 10.0
    # Someone who tried at an offer's price judges the next purchase against that price (a
    # reference price): weight of that comparison, 0 (none) to 1 (like a rival's offer).
    reference_price_weight: Prob = 1.0
    defector_joins_rival: Prob = 0.7
    # Defectors who look for another seller choose among the rivals by a logit of what they
    # offer: the price (weighted by price_slope and the person's sensitivity) and the service,
    # this many logit units per percentage point of service failures.
    rival_service_weight: NonNeg = 0.5


class Recovery(Spec, kw_only=True, frozen=True):
    """Service recovery: what handling a complaint does to the grievance behind it.

    A complaint resolved after ``t`` days undoes its grievance with probability
    ``slow + (quick - slow) * exp(-t / quick_days)``; one nobody picks up within
    ``patience_days`` undoes it with probability ``abandoned``.
    """

    quick: Prob = 0.86
    slow: Prob = 0.50
    abandoned: Prob = 0.12
    quick_days: Pos = 1.0
    patience_days: Pos = 3.0

    def check(self) -> None:
        """A quick resolution recovers at least as often as a slow one."""
        if self.quick < self.slow:
            raise ValueError(
                "quick: expected quick >= slow (a quick resolution recovers at "
                "least as often as a slow one)"
            )


class Promotion(Spec, kw_only=True, frozen=True):
    """A periodic price promotion: ``depth`` off for ``length_days`` every ``every_days``."""

    depth: Fraction = 0.0
    every_days: Pos = 91.0
    length_days: NonNeg = 14.0
    offset_days: NonNeg = 0.0

    def check(self) -> None:
        """The promotion fits its period."""
        if self.length_days > self.every_days:
            raise ValueError("length_days: expected length_days <= every_days")


class LoyaltyDiscount(Spec, kw_only=True, frozen=True):
    """A discount for people on or above a rung."""

    depth: Fraction = 0.0
    from_rung: str = "supporter"

    def check(self) -> None:
        """The rung exists."""
        _rung_name(self.from_rung, "from_rung")


class Coupon(Spec, kw_only=True, frozen=True):
    """Coupons handed to prospects that paid acquisition reaches: ``depth`` off the trial."""

    depth: Fraction = 0.0
    cost_per_coupon: NonNeg = 0.0  # printing and distribution, per prospect reached


class WinBack(Spec, kw_only=True, frozen=True):
    """Offers to former customers who are nobody's customer now."""

    budget_per_year: NonNeg = 0.0
    cost_per_offer: Pos = 20.0
    depth: Fraction = 0.2  # off the first purchase back


class Targeting(Spec, kw_only=True, frozen=True):
    """Whom to look after: "hold on with all your might, watch closely, or let go".

    People are ranked by expected annual spend; the top ``hold_share`` are contacted at
    ``hold_cadence_factor`` times their rung's interval, the bottom ``let_go_share`` are not
    contacted at all, and the rest are watched at their rung's cadence.
    """

    hold_share: Prob = 0.0
    hold_cadence_factor: Pos = 1.0
    let_go_share: Prob = 0.0

    def check(self) -> None:
        """The tiers fit in the population."""
        if self.hold_share + self.let_go_share > 1.0:
            raise ValueError("hold_share: expected hold_share + let_go_share <= 1")


class ContactPolicy(Spec, kw_only=True, frozen=True):
    """How account managers spend their time beyond the contacts that fall due.

    Contacts fall due by the rung's ``contact_every_days``; the team makes those first, oldest
    first. Capacity left over goes to ``spare`` contacts: the customers most at ``risk``
    (the highest neglect hazard now), the most valuable (``value``, expected annual spend),
    or nobody (``none``). A spare contact goes only to someone last contacted at least
    ``365 / max_per_year`` days ago; due contacts follow their cadence.
    """

    spare: Literal["risk", "value", "none"] = "risk"
    max_per_year: Annotated[float, Meta(gt=0.0, le=365.0)] = 12.0


class Partnership(Spec, kw_only=True, frozen=True):
    """A partnership programme for people on or above ``from_rung``."""

    from_rung: str = "partner"
    bond_factor: Annotated[float, Meta(gt=0.0, le=1.0)] = 1.0  # multiplies members' hazards
    referral_factor: NonNeg = 1.0  # multiplies members' referrals
    cost_per_member_per_year: NonNeg = 0.0
    fixed_cost_per_year: NonNeg = 0.0

    def check(self) -> None:
        """The rung exists."""
        _rung_name(self.from_rung, "from_rung")


class Costs(Spec, kw_only=True, frozen=True):
    """What the relationship costs, after the lecture notes' Table 7.3, and what staff earn."""

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


class Strategy(Spec, kw_only=True, frozen=True):
    """What a firm controls, and what each lever costs."""

    price_index: Pos = 1.0
    promotion: Promotion = field(default_factory=Promotion)
    loyalty_discount: LoyaltyDiscount = field(default_factory=LoyaltyDiscount)
    acquisition_budget_per_year: NonNeg = 0.0
    cost_per_acquisition: Pos = 50.0
    account_managers: Annotated[int, Meta(ge=0, le=100_000)] = 0
    contact_every_days: RungTable
    contact_duration_days: Pos = 0.0625
    contact_policy: ContactPolicy = field(default_factory=ContactPolicy)
    service_failure_prob: Prob = 0.03
    service_desk_staff: Annotated[int, Meta(ge=0, le=100_000)] = 1
    complaint_handling_days: Pos = 0.25
    initial_customers: Annotated[int, Meta(ge=0)] = 0
    coupon: Coupon = field(default_factory=Coupon)
    win_back: WinBack = field(default_factory=WinBack)
    targeting: Targeting = field(default_factory=Targeting)
    partnership: Partnership = field(default_factory=Partnership)
    costs: Costs = field(default_factory=Costs)


#: Reporting periods and their pandas frequency aliases (period starts).
PERIODS = {"month": "MS", "quarter": "QS", "year": "YS"}


class Economics(Spec, kw_only=True, frozen=True):
    """How money is accounted: the discount rate for NPV, the period and the currency.

    The currency is the name reports give amounts (a symbol such as ``$`` or a code such as
    ``EUR``); amounts are the scenario's own, nothing is converted.
    """

    discount_rate_per_year: Annotated[float, Meta(ge=0.0, lt=1.0)] = 0.10
    period: Literal["month", "quarter", "year"] = "month"
    currency: Annotated[str, Meta(min_length=1, max_length=5, pattern=r"^\S+$")] = "$"


def _unit_rungs() -> RungTable:
    return RungTable(customer=1.0, client=1.0, supporter=1.0, advocate=1.0, partner=1.0)


class Repertoire(Spec, kw_only=True, frozen=True):
    """A repertoire market: people split their category purchases over several firms.

    Each person draws choice propensities over the firms from a Dirichlet distribution with
    parameters ``concentration * shares[firm]`` (Goodhardt, Ehrenberg & Chatfield 1984: the
    concentration is their ``S``); each category purchase goes to one firm of the person's
    repertoire with probability proportional to propensity times the weight of the
    relationship's rung (``rung_weight``; all 1: the ladder moves no share of wallet) and by
    ``grievance_weight`` for every grievance the relationship still remembers (1: grievances
    move no share; below 1, a failed episode shifts the person's purchases to the other firms
    of the repertoire until the grievance fades or a handled complaint undoes it).
    """

    concentration: Pos = 1.0
    shares: dict[str, Annotated[float, Meta(gt=0.0, le=1.0)]] = {}
    rung_weight: RungTable = field(default_factory=_unit_rungs)
    grievance_weight: Annotated[float, Meta(gt=0.0, le=1.0)] = 1.0


class Market(Spec, kw_only=True, frozen=True):
    """The market as a whole, and how its customers stand on the ladder at the start.

    ``choice`` is ``exclusive`` (a person is a customer of at most one firm at a time) or
    ``repertoire`` (every person buys from a repertoire of firms: :class:`Repertoire`).

    ``initial_rung_shares_by_segment`` (optional, by purchase-frequency segment) overrides the
    market-wide shares for people of that segment: the steady state sorts people by rung.
    """

    focal: str
    initial_rung_shares: ProbRungTable
    initial_rung_shares_by_segment: dict[str, ProbRungTable] = {}
    choice: Literal["exclusive", "repertoire"] = "exclusive"
    repertoire: Repertoire = field(default_factory=Repertoire)

    def check(self) -> None:
        """Each table of shares sums to one."""
        for name, table in self.initial_rung_shares_by_segment.items():
            total = sum(table.as_dict().values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(
                    f"initial_rung_shares_by_segment: {name}: expected shares "
                    f"summing to 1, got {total:g}"
                )


class Scenario(Spec, kw_only=True, frozen=True):
    """A whole scenario: simulation size, people, ladder, switching, market and firms."""

    name: str = "scenario"
    description: str = ""
    simulation: Simulation = field(default_factory=Simulation)
    population: Population
    ladder: Ladder
    switching: Switching = field(default_factory=Switching)
    recovery: Recovery = field(default_factory=Recovery)
    market: Market
    firms: dict[str, Strategy]
    economics: Economics = field(default_factory=Economics)

    def check(self) -> None:
        """The name is a slug; the focal firm exists; the initial state fits the market."""
        _slug(self.name, "name")
        if not self.firms:
            raise ValueError("firms: expected at least one firm under [firms]")
        for name in self.firms:
            _slug(name, f"firms.{name}")
        if self.market.focal not in self.firms:
            raise ValueError(
                f"market.focal: names '{self.market.focal}', expected one of the "
                f"firms: {', '.join(self.firms)}"
            )
        initial = sum(f.initial_customers for f in self.firms.values())
        if initial > self.simulation.people:
            raise ValueError(
                f"firms: initial_customers add up to {initial}, more than "
                f"simulation.people = {self.simulation.people}"
            )
        unknown = set(self.market.initial_rung_shares_by_segment) - set(self.population.segments)
        if unknown:
            raise ValueError(
                f"market.initial_rung_shares_by_segment: no segment "
                f"{', '.join(sorted(unknown))} (segments: "
                f"{', '.join(self.population.segments)})"
            )
        shares = sum(self.market.initial_rung_shares.as_dict().values())
        if abs(shares - 1.0) > 1e-6:
            raise ValueError(
                f"market.initial_rung_shares: expected shares summing to 1, got {shares:g}"
            )
        if self.market.choice == "repertoire":
            self._check_repertoire()

    def _check_repertoire(self) -> None:
        if len(self.firms) < 2:
            raise ValueError(
                "market.choice: a repertoire market needs at least two firms under [firms]"
            )
        given = self.market.repertoire.shares
        missing = [f for f in self.firms if f not in given]
        extra = [f for f in given if f not in self.firms]
        if missing or extra:
            parts = [f"no share for {', '.join(missing)}"] if missing else []
            parts += [f"no firm {', '.join(extra)}"] if extra else []
            what = "; ".join(parts)
            raise ValueError(
                f"market.repertoire.shares: expected one share for every firm ({what})"
            )
        total = sum(given.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"market.repertoire.shares: expected shares summing to 1, got {total:g}"
            )
        placed = [f for f, st in self.firms.items() if st.initial_customers]
        if placed:
            raise ValueError(
                f"firms.{placed[0]}.initial_customers: expected 0 in a repertoire market "
                "(every person starts with the firms of their repertoire)"
            )


def validate(data: Any, spec: type[Spec]) -> Any:
    """Validate plain data (parsed TOML or JSON) into ``spec`` (``msgspec.ValidationError``)."""
    return msgspec.convert(data, spec)
