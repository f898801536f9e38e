"""The scenario schema: a market, its people and the firms' strategies, as validated data.

A scenario is a TOML file (:mod:`relsim.config.loading` reads it). Every section is a
pydantic model that forbids unknown keys and non-finite numbers, checks ranges and
cross-field rules, and is frozen once built. Rates are per year and durations in days, as
people state them; the model converts (:mod:`relsim.model.rates`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from relsim.storage.names import check_slug

NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]
Prob = Annotated[float, Field(ge=0.0, le=1.0)]


def _rung_name(value: str) -> str:
    if value not in RUNG_KEYS:
        raise ValueError(f"expected one of {', '.join(RUNG_KEYS)}")
    return value


RungName = Annotated[str, AfterValidator(_rung_name)]
#: A name that becomes part of a file or folder name (see :mod:`relsim.storage.names`).
Slug = Annotated[str, AfterValidator(check_slug)]


class Strict(BaseModel):
    """Base of every relsim file schema: unknown keys, NaN and infinities are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RungTable(Strict):
    """One non-negative value per relationship rung."""

    customer: NonNeg
    client: NonNeg
    supporter: NonNeg
    advocate: NonNeg
    partner: NonNeg

    def as_dict(self) -> dict[str, float]:
        """Values keyed by rung label."""
        return self.model_dump()


#: The rungs a relationship can stand on, lowest first (the model's ladder follows these).
RUNG_KEYS: tuple[str, ...] = tuple(RungTable.model_fields)


class ProbRungTable(RungTable):
    """One probability per relationship rung."""

    customer: Prob
    client: Prob
    supporter: Prob
    advocate: Prob
    partner: Prob


class Simulation(Strict):
    """How much to simulate."""

    people: Annotated[int, Field(ge=1, le=10_000_000)] = 10_000
    days: Annotated[float, Field(gt=0.0, le=36_500.0)] = 1095.0
    start_date: dt.date = dt.date(2024, 1, 1)
    seed: Annotated[int, Field(ge=0)] = 1


class Segment(Strict):
    """A purchase-frequency segment of the population."""

    share: Prob
    purchases_per_year: Pos
    basket: Pos


class Population(Strict):
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


class Ladder(Strict):
    """What each rung means: share of wallet, bond strength, barriers, moves, referrals."""

    share_of_wallet: ProbRungTable
    bond: RungTable
    price_barrier: RungTable
    promote_on_attention: ProbRungTable
    demote_on_failure: Prob = 0.5
    referrals_per_year: RungTable


class Switching(Strict):
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


class Promotion(Strict):
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


class LoyaltyDiscount(Strict):
    """A discount for people on or above a rung."""

    depth: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    from_rung: RungName = "supporter"


class Coupon(Strict):
    """Coupons handed to prospects that paid acquisition reaches: ``depth`` off the trial."""

    depth: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    cost_per_coupon: NonNeg = 0.0  # printing and distribution, per prospect reached


class WinBack(Strict):
    """Offers to former customers who are nobody's customer now."""

    budget_per_year: NonNeg = 0.0
    cost_per_offer: Pos = 20.0
    depth: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.2  # off the first purchase back


class Targeting(Strict):
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


class Partnership(Strict):
    """A partnership programme for people on or above ``from_rung``."""

    from_rung: RungName = "partner"
    bond_factor: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0  # multiplies members' hazards
    referral_factor: NonNeg = 1.0  # multiplies members' referrals
    cost_per_member_per_year: NonNeg = 0.0
    fixed_cost_per_year: NonNeg = 0.0


class Costs(Strict):
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


class Strategy(Strict):
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


class Economics(Strict):
    """How money is accounted: the discount rate for NPV and the reporting period."""

    discount_rate_per_year: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.10
    period: Literal["month", "quarter", "year"] = "month"


class Market(Strict):
    """The market as a whole."""

    focal: str
    initial_rung_shares: ProbRungTable


class Scenario(Strict):
    """A whole scenario: simulation size, people, ladder, switching, market and firms."""

    name: Slug = "scenario"
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


