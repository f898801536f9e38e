"""The model's own registry of its submodels, for its ODD description (Grimm et al. 2006, 2020).

Each :class:`Submodel` points at the code that implements it (whose docstring is the
description), says when it runs, and lists the scenario values it reads, as dotted keys
(``firms.*`` for a value every firm has). :mod:`relsim.reporting.odd` writes the ODD protocol
from this registry and a scenario's values, and a test checks that every key here exists in
the schema and every scenario value is read by some submodel, so the description cannot
drift from the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from relsim.model import causes, firm, market, population, relationship, staff


@dataclass(frozen=True)
class Submodel:
    """One process of the model."""

    name: str
    code: Callable[..., Any] | type
    schedule: str
    parameters: tuple[str, ...]


SUBMODELS: tuple[Submodel, ...] = (
    Submodel(
        "People and their traits",
        population.PersonFactory,
        "when a person enters the market (at the start and to replace every leaver)",
        (
            "population.segments",
            "population.rate_shape",
            "population.basket_sigma",
            "population.spend_cv",
            "population.price_sensitivity_shape",
            "population.complaint_propensity_mean",
            "population.complaint_propensity_concentration",
        ),
    ),
    Submodel(
        "The initial market",
        market.Market._populate,
        "once, at the start of the warm-up",
        (
            "simulation.people",
            "market.initial_rung_shares",
            "market.initial_rung_shares_by_segment",
            "firms.*.initial_customers",
            "market.focal",
        ),
    ),
    Submodel(
        "Repertoire: who buys where",
        market.Market._reshare,
        "whenever a relationship of the person begins, ends or changes rung, or one of its "
        "grievances arises, fades or is undone (repertoire market)",
        ("market.choice", "market.repertoire"),
    ),
    Submodel(
        "Paid acquisition and trial",
        firm.Firm.reach_rate,
        "every day, for each firm",
        (
            "firms.*.acquisition_budget_per_year",
            "firms.*.cost_per_acquisition",
            "population.trial_logit",
            "population.coupon_response",
            "firms.*.coupon",
        ),
    ),
    Submodel(
        "Referrals",
        firm.Firm.referral_rate,
        "every day, for each firm",
        ("ladder.referrals_per_year", "firms.*.partnership"),
    ),
    Submodel(
        "Win-back offers",
        market.Market._win_back,
        "every day, for each firm",
        ("firms.*.win_back",),
    ),
    Submodel(
        "The life of a relationship",
        relationship.life,
        "a SimPy process per relationship: waits for its next event, drawn from competing hazards",
        (
            "ladder.share_of_wallet",
            "ladder.bond",
            "ladder.demote_on_failure",
            "firms.*.service_failure_prob",
            "switching.relocation_per_year",
            "switching.other_per_year",
            "switching.reference_price_weight",
        ),
    ),
    Submodel(
        "Neglect",
        causes.neglect_wait,
        "inside the life process",
        ("switching.neglect_max_per_year", "switching.neglect_ramp_days"),
    ),
    Submodel(
        "Dissatisfaction and grievances",
        market.Market.service_failure,
        "at each failed purchase episode",
        (
            "switching.dissatisfaction_base_per_year",
            "switching.dissatisfaction_per_grievance_per_year",
            "switching.grievance_memory_days",
        ),
    ),
    Submodel(
        "Price comparisons",
        causes.price_switch_probability,
        "at comparison occasions, inside the life process",
        (
            "switching.price_occasions_per_year",
            "switching.price_intercept",
            "switching.price_slope",
            "ladder.price_barrier",
            "firms.*.price_index",
            "firms.*.promotion",
            "firms.*.loyalty_discount",
        ),
    ),
    Submodel(
        "Where defectors go",
        market.Market.choose_rival,
        "at each defection",
        ("switching.defector_joins_rival", "switching.rival_service_weight"),
    ),
    Submodel(
        "Account managers' attention",
        staff.AccountTeam,
        "one SimPy event a day per firm: due contacts first, then spare ones",
        (
            "firms.*.account_managers",
            "firms.*.contact_every_days",
            "firms.*.contact_duration_days",
            "firms.*.contact_policy",
            "firms.*.targeting",
            "ladder.promote_on_attention",
        ),
    ),
    Submodel(
        "The service desk",
        staff.ServiceDesk,
        "a SimPy process per complaint, queueing for the desk's staff",
        ("firms.*.service_desk_staff", "firms.*.complaint_handling_days", "recovery.patience_days"),
    ),
    Submodel(
        "Service recovery",
        staff.recovery_probability,
        "when a complaint ends",
        ("recovery.quick", "recovery.slow", "recovery.abandoned", "recovery.quick_days"),
    ),
    Submodel(
        "The market's daily round",
        market.Market._daily,
        "one SimPy event a day: counters, acquisition, referrals, win-back, exits from the pool",
        ("simulation.days", "simulation.warmup_days", "simulation.start_date", "simulation.seed"),
    ),
)

#: Scenario values read by no process but by the accounts of a run (relsim.analysis).
ACCOUNTING = ("firms.*.costs", "economics", "name", "description")
