"""A relationship between one person and one firm, and the process that lives it.

The life process (a SimPy process per relationship) waits for the next thing that changes the
relationship's state, drawn from competing hazards:

- the first repeat purchase (customer -> client), and later the service failures, which are
  the failed share of purchase episodes (thinning of the purchase process);
- the switching causes of :mod:`relsim.model.causes`: constant hazards for relocation and other;
  dissatisfaction, whose hazard grows with the grievances still remembered (each fades at a
  random time drawn when it arises); neglect, whose hazard grows with time since
  attention, by inverting its cumulative hazard from the current time since attention (a
  contact in between is accounted for by thinning: the candidate is kept with probability
  actual hazard / planned hazard); price, by thinning the comparison occasions against the
  highest switch probability the rivals' deepest promotions could cause, each candidate kept
  with probability p(prices of that moment) / bound.

Other processes can only lower these hazards (a contact resets the neglect clock or lifts the
rung; a handled complaint settles a grievance), so the process plans with the hazards of the
moment it draws and, when the time comes, keeps the event with probability actual hazard /
planned hazard: thinning, which keeps every draw exact without waking the process at each
change; nothing another process does raises a hazard, so the process never needs waking.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from relsim.model.causes import (
    Cause,
    neglect_hazard_fraction,
    neglect_wait,
    price_switch_probability,
)
from relsim.model.ladder import Rung

if TYPE_CHECKING:
    from relsim.model.firm import Firm
    from relsim.model.market import Market
    from relsim.model.population import Person


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
        "segment",
        "contact_ticket",
        "offer",
        "share",
    )

    def __init__(
        self,
        rid: int,
        person: Person,
        firm: Firm,
        start: float,
        channel: int,
        rung: int,
        returning: bool,
    ) -> None:
        self.id = rid
        self.person = person
        self.firm = firm
        self.start = start
        self.channel = channel
        self.returning = returning
        self.rung = rung
        self.max_rung = rung
        # When each remembered grievance fades, ascending; most relationships never have one,
        # so the list is made at the first (an empty list per relationship is 56 bytes).
        self.grievances: list[float] | tuple[()] = ()
        self.failures = 0
        self.complaints = 0
        self.last_attention = start
        self.active = True
        self.end = math.nan
        self.cause = -1
        self.segment = -1  # index of the open bulk-purchase segment, -1 if none
        self.contact_ticket = -1  # ticket of the pending contact, -1 if none
        self.offer = 0.0  # discount of the coupon or win-back offer that began it
        # The firm's share of the person's purchases: a repertoire market's as it moves, an
        # exclusive market's set when the relationship ends (the share of wallet it took).
        self.share = 0.0


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
    timeout = env.timeout
    uniform = m.life_stream.uniform
    grievances_now = m.grievances_now
    r8 = m.rates
    person, firm = rel.person, rel.firm
    q = firm.rates.failure_prob
    # Per-rung figures are computed when needed from figures the market and the firm share,
    # not held in lists by each of the (many) suspended processes. Other processes can only
    # move the relationship up (contacts), which lowers every hazard but the failure rate
    # (more share of wallet), so failures are planned at the highest rate of the rungs above:
    # (rate * s) * q grows with s, so its largest value is at the largest share, to the bit.
    rate = person.rate
    share, share_above = r8.share_of_wallet, m.share_of_wallet_above
    repertoire = m.repertoire
    if repertoire:
        # The firm's share of the person's purchases rises when another firm leaves the
        # repertoire: the purchase hazards are planned at a share of one and thinned.
        share = share_above = (1.0,) * len(share)
    bond = firm.bond  # the market's bond, strengthened for partnership members
    neg_by_rung = firm.neglect_by_rung
    occasions = r8.price_occasions
    max_saving, sensitivity = firm.max_saving, person.price_sensitivity
    barriers, intercept, slope = r8.price_barrier, r8.price_intercept, r8.price_slope
    no_rival = not max_saving > -math.inf
    pmax_rung, pmax = -1, 0.0  # the price bound of the rung it was last computed for
    dis0, dis1 = r8.dissatisfaction_base, r8.dissatisfaction_per_grievance
    ramp = r8.neglect_ramp_days
    # a repertoire market draws each person's exit once, in its daily round
    exit_rate, relocation = (0.0 if repertoire else r8.exit), r8.relocation
    customer = int(Rung.CUSTOMER)
    # Someone who tried at an offer's price compares the next purchase with the price they
    # paid, their reference price (Winer 1986; Kalyanaram & Winer 1995): the full price looks
    # dear by the offer's depth, and the comparison can end the relationship over price.
    saving = r8.reference_price_weight * rel.offer
    lapse = (
        price_switch_probability(
            saving,
            person.price_sensitivity,
            r8.price_barrier[customer],
            r8.price_intercept,
            r8.price_slope,
        )
        if saving > 0.0
        else 0.0
    )
    log1p = math.log1p
    inf = math.inf
    while True:
        rung = rel.rung
        g = grievances_now(rel, env.now)
        # On the customer rung the next purchase is the first repeat, a state change; above it
        # only failed episodes are events and the rest are drawn in bulk (records.RunLog).
        h_buy = rate * share[rung] if rung == customer else (rate * share_above[rung]) * q
        h_dis = (dis0 + dis1 * g) * bond[rung] if g or dis0 else 0.0
        if rung != pmax_rung and not no_rival:
            pmax_rung = rung
            barrier = barriers[rung]
            pmax = price_switch_probability(max_saving, sensitivity, barrier, intercept, slope)
        h_price = occasions * pmax
        total = h_buy + h_price + h_dis + exit_rate
        wait = -log1p(-uniform()) / total if total > 0.0 else inf
        tau = env.now - rel.last_attention
        neg_ceiling = neg_by_rung[rung]
        neglect = neglect_wait(tau, neg_ceiling, ramp, -log1p(-uniform()))
        if neglect < wait:
            yield timeout(neglect)
        elif wait < inf:
            yield timeout(wait)
        else:
            return  # every hazard is zero, and nothing can raise one: nothing ever happens
        if not rel.active:
            return  # ended meanwhile: its person left a repertoire market
        now = env.now
        now_rung = rel.rung
        if neglect < wait:
            # Drawn for the hazard at tau + neglect on the planned rung; a contact since then
            # lowered it (thinning: keep with probability actual / planned).
            planned = neg_ceiling * neglect_hazard_fraction(tau + neglect, ramp)
            actual = neg_by_rung[now_rung] * neglect_hazard_fraction(now - rel.last_attention, ramp)
            if uniform() * planned < actual:
                m.defect(rel, Cause.NEGLECT, now)
                return
            continue
        x = uniform() * total
        if x < h_buy:
            if rung == customer:
                if repertoire and uniform() >= rel.share:
                    continue  # thinned: the purchase went to another firm of the repertoire
                if lapse and uniform() < lapse:
                    m.reference_price_lapse(rel, now)
                    return
                m.repeat_purchase(rel, now, uniform() < q)
            elif uniform() * h_buy < (rate * (rel.share if repertoire else share[now_rung])) * q:
                m.service_failure(rel, now, record_purchase=True)
            continue
        x -= h_buy
        if x < h_price:
            # A price comparison that could end in a switch; keep it with p(now) / pmax.
            rival, p = m.price_comparison(rel, now)
            if rival is not None and uniform() * pmax < p:
                m.defect(rel, Cause.PRICE, now, to_firm=rival)
                return
            continue
        x -= h_price
        if x < h_dis:
            # Grievances fade and complaints get resolved meanwhile: thin against the plan.
            actual = (dis0 + dis1 * grievances_now(rel, now)) * bond[now_rung]
            if uniform() * h_dis < actual:
                m.defect(rel, Cause.DISSATISFACTION, now)
                return
            continue
        cause = Cause.RELOCATION if uniform() * exit_rate < relocation else Cause.OTHER
        m.defect(rel, cause, now)
        return
