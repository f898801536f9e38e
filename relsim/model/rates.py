"""Scenario values turned into the per-day rates and per-rung tuples the model runs on.

Scenario files speak in rates per year and rung names; the event loop wants per-day floats
indexed by :class:`~relsim.model.ladder.Rung`. Converting once here keeps the hot loop plain.
"""

from __future__ import annotations

from dataclasses import dataclass

from relsim.config.schema import Scenario, Strategy
from relsim.model.ladder import Rung, per_rung

YEAR = 365.0


@dataclass(frozen=True, slots=True)
class MarketRates:
    """Per-day hazards and per-rung tables shared by every firm in the market."""

    relocation: float
    other: float
    neglect_max: float
    neglect_ramp_days: float
    dissatisfaction_base: float
    dissatisfaction_per_grievance: float
    grievance_fade: float
    price_occasions: float
    price_intercept: float
    price_slope: float
    reference_price_weight: float
    defector_joins_rival: float
    rival_service_weight: float  # logit units per unit of failure probability
    recovery_quick: float
    recovery_slow: float
    recovery_abandoned: float
    recovery_quick_days: float
    complaint_patience_days: float
    share_of_wallet: tuple[float, ...]
    bond: tuple[float, ...]
    price_barrier: tuple[float, ...]
    promote_on_attention: tuple[float, ...]
    demote_on_failure: float
    referrals: tuple[float, ...]
    spend_shape: float

    @property
    def exit(self) -> float:
        """Hazard of leaving the market (relocation plus other), per day."""
        return self.relocation + self.other

    @classmethod
    def from_scenario(cls, sc: Scenario) -> MarketRates:
        """Derive the market's rates from a scenario."""
        sw, ld, rc = sc.switching, sc.ladder, sc.recovery
        cv = sc.population.spend_cv
        return cls(
            relocation=sw.relocation_per_year / YEAR,
            other=sw.other_per_year / YEAR,
            neglect_max=sw.neglect_max_per_year / YEAR,
            neglect_ramp_days=sw.neglect_ramp_days,
            dissatisfaction_base=sw.dissatisfaction_base_per_year / YEAR,
            dissatisfaction_per_grievance=sw.dissatisfaction_per_grievance_per_year / YEAR,
            grievance_fade=1.0 / sw.grievance_memory_days,
            price_occasions=sw.price_occasions_per_year / YEAR,
            price_intercept=sw.price_intercept,
            price_slope=sw.price_slope,
            reference_price_weight=sw.reference_price_weight,
            defector_joins_rival=sw.defector_joins_rival,
            rival_service_weight=sw.rival_service_weight * 100.0,  # per point -> per unit
            recovery_quick=rc.quick,
            recovery_slow=rc.slow,
            recovery_abandoned=rc.abandoned,
            recovery_quick_days=rc.quick_days,
            complaint_patience_days=rc.patience_days,
            share_of_wallet=per_rung(ld.share_of_wallet.as_dict()),
            bond=per_rung(ld.bond.as_dict()),
            price_barrier=per_rung(ld.price_barrier.as_dict()),
            promote_on_attention=per_rung(ld.promote_on_attention.as_dict()),
            demote_on_failure=ld.demote_on_failure,
            referrals=tuple(v / YEAR for v in per_rung(ld.referrals_per_year.as_dict())),
            spend_shape=1.0 / (cv * cv) if cv > 0 else 0.0,
        )


@dataclass(frozen=True, slots=True)
class FirmRates:
    """Per-day figures of one firm's strategy."""

    price_index: float
    promo_depth: float
    promo_every: float
    promo_length: float
    promo_offset: float
    loyalty_depth: float
    loyalty_from: int
    acquisition_spend: float  # per day
    cost_per_acquisition: float
    account_managers: int
    contact_every: tuple[float, ...]  # days by rung; 0 means never
    contact_duration: float
    spare_contacts: str  # "risk", "value" or "none": who gets the capacity left over
    min_contact_gap: float  # days: nobody is contacted more often
    failure_prob: float
    desk_staff: int
    complaint_handling_days: float
    coupon_depth: float
    win_back_spend: float  # per day
    win_back_cost: float
    win_back_depth: float

    @classmethod
    def from_strategy(cls, st: Strategy) -> FirmRates:
        """Derive a firm's figures from its strategy."""
        return cls(
            price_index=st.price_index,
            promo_depth=st.promotion.depth,
            promo_every=st.promotion.every_days,
            promo_length=st.promotion.length_days,
            promo_offset=st.promotion.offset_days,
            loyalty_depth=st.loyalty_discount.depth,
            loyalty_from=int(Rung[st.loyalty_discount.from_rung.upper()]),
            acquisition_spend=st.acquisition_budget_per_year / YEAR,
            cost_per_acquisition=st.cost_per_acquisition,
            account_managers=st.account_managers,
            contact_every=per_rung(st.contact_every_days.as_dict()),
            contact_duration=st.contact_duration_days,
            spare_contacts=st.contact_policy.spare,
            min_contact_gap=YEAR / st.contact_policy.max_per_year,
            failure_prob=st.service_failure_prob,
            desk_staff=st.service_desk_staff,
            complaint_handling_days=st.complaint_handling_days,
            coupon_depth=st.coupon.depth,
            win_back_spend=st.win_back.budget_per_year / YEAR,
            win_back_cost=st.win_back.cost_per_offer,
            win_back_depth=st.win_back.depth,
        )

    def promotion_active(self, t: float) -> bool:
        """Whether the firm runs its promotion at time ``t`` (days)."""
        if self.promo_depth <= 0.0:
            return False
        return (t - self.promo_offset) % self.promo_every < self.promo_length

    def offer_price(self, t: float) -> float:
        """The price a newcomer pays at time ``t``: list price less any promotion."""
        return self.price_index * (1.0 - self.promo_depth if self.promotion_active(t) else 1.0)

    def price_for(self, rung: int, t: float) -> float:
        """The price a customer on ``rung`` pays at time ``t`` (with the loyalty discount)."""
        p = self.offer_price(t)
        return p * (1.0 - self.loyalty_depth) if rung >= self.loyalty_from else p
