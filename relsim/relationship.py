"""A relationship between one person and one firm, and the process that lives it.

The life process (a SimPy process per relationship) waits for the next thing that changes the
relationship's state, drawn from competing hazards:

- the first repeat purchase (customer -> client), and later the service failures, which are
  the failed share of purchase episodes (thinning of the purchase process);
- a grievance fading from memory;
- the switching causes of :mod:`relsim.causes`: constant hazards for relocation, other and
  dissatisfaction (given the grievances), and thinning for the two that vary continuously:
  neglect (candidate times at the ceiling rate, kept with probability hazard/ceiling given
  the time since attention at that moment) and price (comparison occasions that read the
  rivals' prices of that moment).

Because every hazard is either constant between the process's own events or thinned against a
constant ceiling, the waiting time is exact; when another process changes the state (a contact
lifts the rung, a complaint is resolved) it interrupts the life process, which draws anew.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import simpy

from relsim.causes import Cause, neglect_hazard_fraction
from relsim.ladder import Rung

if TYPE_CHECKING:
    from relsim.firm import Firm
    from relsim.model import Market
    from relsim.population import Person


class Relationship:
    """The state of one person's relationship with one firm."""

    __slots__ = (
        "id",
        "person",
        "firm",
        "start",
        "channel",
        "returning",
        "rung",
        "max_rung",
        "grievances",
        "failures",
        "complaints",
        "last_attention",
        "active",
        "end",
        "cause",
        "proc",
        "segment",
        "contact_ticket",
    )

    def __init__(self, rid: int, person: Person, firm: Firm, start: float, channel: int,
                 rung: int, returning: bool) -> None:
        self.id = rid
        self.person = person
        self.firm = firm
        self.start = start
        self.channel = channel
        self.returning = returning
        self.rung = rung
        self.max_rung = rung
        self.grievances = 0  # unresolved service failures still remembered
        self.failures = 0
        self.complaints = 0
        self.last_attention = start
        self.active = True
        self.end = math.nan
        self.cause = -1
        self.proc: simpy.Process | None = None
        self.segment = -1  # index of the open bulk-purchase segment, -1 if none
        self.contact_ticket = -1  # ticket of the pending contact, -1 if none


def life(m: Market, rel: Relationship):
    """The SimPy process of one relationship, from acquisition to defection.

    Parameters
    ----------
    m : Market
        The market the relationship lives in.
    rel : Relationship
        Its state; the process ends when the relationship does.
    """
    env = m.env
    uniform = m.life_stream.uniform
    r8 = m.rates
    person = rel.person
    firm = rel.firm
    q = firm.rates.failure_prob
    sow, bond = r8.share_of_wallet, r8.bond
    fade, dis0, dis1 = r8.grievance_fade, r8.dissatisfaction_base, r8.dissatisfaction_per_grievance
    neg_max, ramp, occasions = r8.neglect_max, r8.neglect_ramp_days, r8.price_occasions
    exit_rate, relocation = r8.exit, r8.relocation
    customer = int(Rung.CUSTOMER)
    log1p = math.log1p
    while True:
        rung = rel.rung
        g = rel.grievances
        b = bond[rung]
        lam = person.rate * sow[rung]
        # On the customer rung the next purchase is the first repeat, a state change; above it
        # only failed episodes are events and the rest are drawn in bulk (records.RunLog).
        h_buy = lam if rung == customer else lam * q
        h_fade = g * fade
        h_neg = neg_max * b
        h_dis = (dis0 + dis1 * g) * b
        total = h_buy + h_fade + h_neg + occasions + h_dis + exit_rate
        try:
            if total > 0.0:
                yield env.timeout(-log1p(-uniform()) / total)
            else:
                yield env.event()  # nothing can happen until another process interrupts
        except simpy.Interrupt:
            continue
        now = env.now
        x = uniform() * total
        if x < h_buy:
            if rung == customer:
                m.repeat_purchase(rel, now, uniform() < q)
            else:
                m.service_failure(rel, now, record_purchase=True)
            continue
        x -= h_buy
        if x < h_fade:
            m.grievance_fades(rel, now)
            continue
        x -= h_fade
        if x < h_neg:
            if uniform() < neglect_hazard_fraction(now - rel.last_attention, ramp):
                m.defect(rel, Cause.NEGLECT, now)
                return
            continue
        x -= h_neg
        if x < occasions:
            rival = m.price_comparison(rel, now)
            if rival is not None:
                m.defect(rel, Cause.PRICE, now, to_firm=rival)
                return
            continue
        x -= occasions
        if x < h_dis:
            m.defect(rel, Cause.DISSATISFACTION, now)
            return
        cause = Cause.RELOCATION if uniform() * exit_rate < relocation else Cause.OTHER
        m.defect(rel, cause, now)
        return
