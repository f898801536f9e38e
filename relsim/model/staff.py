"""Capacity-limited staff: account managers who spend their attention, a service desk.

**Attention is a scarce resource that is spent.** A firm's account managers can make
``managers / contact_duration`` contacts a day. Each day they first make the contacts that
have fallen due under the contact policy (every so many days by rung, oldest due date
first); whatever capacity is left goes to *spare* contacts, by the firm's policy to the
customers most at risk (the highest neglect hazard now) or the most valuable, never more
often than the policy's ceiling allows. So more staff means more attention, with
diminishing returns as gaps approach the ceiling; a book of customers that outgrows the team
means contacts fall behind, time since attention grows and the neglect hazard with it: the
leaky bucket emerges from capacity, not from a rule. The team works by the day (one SimPy
event a day for all its contacts), which is fine for gaps of weeks.

**Service recovery.** Complaints queue at the service desk, a ``simpy.Resource``; a
complainer gives up if nobody picks the complaint up within their patience. A complaint
resolved quickly mostly undoes the grievance behind it, one resolved late or never mostly
does not (the complaint studies of TARP for the US Office of Consumer Affairs: most
complainers stay when their complaint is resolved, nearly all when it is resolved quickly).
Waiting at the desk is what turns a failure into a lasting grievance, so desk capacity moves
dissatisfaction defections.
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

import simpy

from relsim.model.causes import neglect_hazard_fraction
from relsim.model.ladder import Rung

#: Enrolments between two compactions of the team's queues, at the least: a compaction costs
#: a pass over the queues, so it waits for as many enrolments as the team has customers.
COMPACT_EVERY = 50_000

if TYPE_CHECKING:
    from relsim.model.firm import Firm
    from relsim.model.market import Market
    from relsim.model.relationship import Relationship


class AccountTeam:
    """A firm's account managers: due contacts first, spare capacity by the contact policy.

    Each relationship the team looks after is *enrolled* under a ticket: an entry in the
    due-date queue and one that becomes *ready* for a spare contact once the ceiling's
    minimum gap since the last contact has passed. A contact or a move to another rung
    enrols it again under a new ticket; entries under old tickets are skipped when met.

    Parameters
    ----------
    market : Market
        The market, for its clock and its handlers.
    firm : Firm
        The firm whose customers the team looks after.
    """

    def __init__(self, market: Market, firm: Firm) -> None:
        self.market = market
        self.firm = firm
        rates = firm.rates
        self.managers = rates.account_managers
        self.per_day = self.managers / rates.contact_duration
        self.policy = rates.spare_contacts
        self.min_gap = rates.min_contact_gap
        self.due: list[tuple[float, int, Relationship]] = []
        self.cooling: list[tuple[float, int, Relationship]] = []
        # ready for a spare contact: by rung, longest since attention first ("risk"), or one
        # queue by value, highest first ("value")
        self.ready: list[list[tuple[float, int, Relationship]]] = [[] for _ in Rung]
        self._tickets = 0
        self._since_compact = 0
        self._compact_after = COMPACT_EVERY
        self.served = 0  # contacts made
        self.spare_served = 0  # of which spare contacts
        self.delay_sum = 0.0  # days due contacts were made after their due date
        if self.managers:
            market.env.process(self._workday())

    def enrol(self, rel: Relationship, due: float) -> None:
        """Enrol ``rel`` under a new ticket: next due at ``due``."""
        if self.managers == 0:
            return
        self._tickets += 1
        ticket = self._tickets
        rel.contact_ticket = ticket
        heapq.heappush(self.due, (due, ticket, rel))
        if self.policy == "risk":
            # Ordered by last attention, each rung's queue has its cooled entries first, so
            # its head says whether anyone in the rung may have a spare contact yet.
            heapq.heappush(self.ready[rel.rung], (rel.last_attention, ticket, rel))
        elif self.policy == "value":
            heapq.heappush(self.cooling, (rel.last_attention + self.min_gap, ticket, rel))
        self._since_compact += 1
        # Every compaction passes over the queues: waiting for as many enrolments as there are
        # customers keeps its cost per enrolment constant however big the market (a fixed
        # interval made it grow with the market). Which stale entries remain never changes
        # what the team does: they are skipped when met, and live entries leave the heaps in
        # the same order (keys with unique tickets), so the run is the same.
        if self._since_compact >= self._compact_after:
            self._since_compact = 0
            self._compact()
            self._compact_after = max(COMPACT_EVERY, len(self.due))  # the live entries

    def _compact(self) -> None:
        """Drop entries of old tickets, which a busy team or the value policy may never reach.

        Every enrolment leaves the previous one's entries behind; they are skipped when met,
        but queues the team never empties would otherwise grow for the whole run.
        """

        def live(
            heap: list[tuple[float, int, Relationship]],
        ) -> list[tuple[float, int, Relationship]]:
            kept = [e for e in heap if e[2].active and e[2].contact_ticket == e[1]]
            heapq.heapify(kept)
            return kept

        self.due = live(self.due)
        self.cooling = live(self.cooling)
        self.ready = [live(h) for h in self.ready]

    def _ready_up(self, now: float) -> None:
        """Value policy: move the entries whose minimum gap has passed to the value queue."""
        cooling, ready = self.cooling, self.ready
        while cooling and cooling[0][0] <= now:
            _, ticket, rel = heapq.heappop(cooling)
            if rel.active and rel.contact_ticket == ticket:
                value = rel.person.rate * rel.person.basket
                heapq.heappush(ready[0], (-value, ticket, rel))

    def _next_spare(self, now: float) -> Relationship | None:
        """The relationship a spare contact goes to now, by the policy (None: nobody)."""
        ready = self.ready
        if self.policy == "value":
            heap = ready[0]
            while heap:
                _, ticket, rel = heapq.heappop(heap)
                if rel.active and rel.contact_ticket == ticket:
                    return rel
            return None
        # Most at risk: the highest neglect hazard now, bond times the ramp's fraction, among
        # the longest-neglected of each rung.
        bond, ramp = self.firm.bond, self.market.rates.neglect_ramp_days
        best, best_hazard = -1, -math.inf
        for rung, heap in enumerate(ready):
            while heap:
                last, ticket, rel = heap[0]
                if rel.active and rel.contact_ticket == ticket and rel.rung == rung:
                    if last + self.min_gap > now:
                        break  # the longest-neglected of this rung is still cooling
                    hazard = bond[rung] * neglect_hazard_fraction(now - rel.last_attention, ramp)
                    if hazard > best_hazard:
                        best, best_hazard = rung, hazard
                    break
                heapq.heappop(heap)
        if best < 0:
            return None
        return heapq.heappop(ready[best])[2]

    def _workday(self):
        env, attend = self.market.env, self.market.attend
        carry = 0.0
        while True:
            now = env.now
            allowance = self.per_day + carry
            # self.due is read afresh each time: a compaction may replace the list meanwhile.
            while self.due and allowance >= 1.0 and self.due[0][0] <= now:
                when, ticket, rel = heapq.heappop(self.due)
                if not rel.active or rel.contact_ticket != ticket:
                    continue  # the customer left, or was contacted or moved since
                allowance -= 1.0
                self.served += 1
                self.delay_sum += now - when
                attend(rel, now)
            if allowance >= 1.0 and self.policy != "none":
                if self.policy == "value":
                    self._ready_up(now)
                while allowance >= 1.0:
                    spare = self._next_spare(now)
                    if spare is None:
                        break
                    allowance -= 1.0
                    self.served += 1
                    self.spare_served += 1
                    attend(spare, now)
            carry = min(allowance, 1.0)  # idle hours are not banked beyond a contact's worth
            yield env.timeout(1.0)


class ServiceDesk:
    """A firm's complaint desk: a ``simpy.Resource`` whose callers give up after a while.

    Parameters
    ----------
    market : Market
        The market, for its clock, its service stream and its handlers.
    firm : Firm
        The firm the desk belongs to.
    """

    def __init__(self, market: Market, firm: Firm) -> None:
        self.market = market
        staff = firm.rates.desk_staff
        self.resource = simpy.Resource(market.env, capacity=staff) if staff > 0 else None
        self.handling_days = firm.rates.complaint_handling_days
        self.patience = market.rates.complaint_patience_days
        self.filed = 0
        self.wait_sum = 0.0  # days complaints waited before someone picked them up
        self.resolution_sum = 0.0  # days from filing to resolution, over resolved complaints
        self.resolved = 0
        self.abandoned = 0

    def file(self, rel: Relationship, grievance: float) -> None:
        """A customer complains about ``grievance`` (its fade time identifies it)."""
        self.filed += 1
        self.market.env.process(self._complaint(rel, grievance))

    def _complaint(self, rel: Relationship, grievance: float):
        env, m = self.market.env, self.market
        filed = env.now
        resolved = False
        if self.resource is not None:
            with self.resource.request() as req:
                if req.triggered:
                    served = True  # someone is free: no need to time the caller's patience
                    yield req
                else:
                    served = req in (yield req | env.timeout(self.patience))
                if served:
                    self.wait_sum += env.now - filed
                    yield env.timeout(m.service_stream.exponential(1.0 / self.handling_days))
                    resolved = True
        else:
            yield env.timeout(self.patience)
        if resolved:
            self.resolved += 1
            self.resolution_sum += env.now - filed
        else:
            self.abandoned += 1
            self.wait_sum += env.now - filed
        if rel.active:
            m.complaint_outcome(rel, env.now, env.now - filed if resolved else math.inf, grievance)


def recovery_probability(
    days_to_resolve: float, quick: float, slow: float, abandoned: float, quick_days: float
) -> float:
    """Chance that handling a complaint undoes the grievance behind it.

    ``slow + (quick - slow) exp(-t / quick_days)`` for a complaint resolved after ``t`` days,
    ``abandoned`` for one nobody resolved (``t`` infinite).

    Parameters
    ----------
    days_to_resolve : float
        Days from filing to resolution; ``inf`` if the complainer gave up.
    quick, slow, abandoned : float
        Recovery probabilities of a quick, a late and an abandoned complaint.
    quick_days : float
        Time scale of "quickly", in days.

    Returns
    -------
    float
    """
    if math.isinf(days_to_resolve):
        return abandoned
    return slow + (quick - slow) * math.exp(-days_to_resolve / quick_days)
