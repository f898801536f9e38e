"""Capacity-limited staff: account managers who pay attention, a service desk for complaints.

Attention is the scarce resource behind neglect (main seed: 65-70% of defections come from
"lack of attention and interest"). A firm's contact policy asks for a contact with each
customer every so many days by rung; its account managers work through the due contacts in
order of due date, one at a time each. When the book of customers outgrows the team, contacts
fall behind, time since attention grows and the neglect hazard with it: the leaky bucket
emerges from capacity, not from a rule.

The account managers work through a due-date queue by the day (one SimPy event a day for
the team) rather than with a ``simpy.Resource`` request per contact, which would cost three
events per contact (timer, request, release): contacts are the model's most frequent staff
work, and day resolution is fine for cadences of weeks. The service desk, whose complaints
arrive at random and may give up waiting, is a ``simpy.Resource`` with reneging.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import simpy

if TYPE_CHECKING:
    from relsim.model.firm import Firm
    from relsim.model.market import Market
    from relsim.model.relationship import Relationship

class AccountTeam:
    """A firm's account managers and their queue of due contacts.

    The team works by the day, the way account managers plan their calls: each day it takes
    the contacts that have fallen due, oldest first, as many as its capacity allows
    (managers / contact duration; a fraction of a contact carries to the next day), and
    whatever it cannot reach waits in the backlog. Attention therefore comes with day
    resolution, against contact cadences of weeks; the queue and its backlog are exact. One
    SimPy event a day serves the whole day's contacts.

    Parameters
    ----------
    market : Market
        The market, for its clock and its handlers.
    firm : Firm
        The firm whose customers the team looks after.
    """

    def __init__(self, market: Market, firm: Firm) -> None:
        self.market = market
        self.managers = firm.rates.account_managers
        self.per_day = self.managers / firm.rates.contact_duration
        self.queue: list[tuple[float, int, Relationship]] = []
        self._tickets = 0
        self.served = 0
        self.delay_sum = 0.0  # total days contacts were made after their due date
        if self.managers:
            market.env.process(self._workday())

    def schedule(self, rel: Relationship, due: float) -> None:
        """Ask for a contact with ``rel`` at time ``due`` (replacing any pending one)."""
        if self.managers == 0:
            return
        self._tickets += 1
        rel.contact_ticket = self._tickets
        heapq.heappush(self.queue, (due, self._tickets, rel))

    def _workday(self):
        env, queue, attend = self.market.env, self.queue, self.market.attend
        carry = 0.0
        while True:
            now = env.now
            allowance = self.per_day + carry
            while queue and allowance >= 1.0 and queue[0][0] <= now:
                due, ticket, rel = heapq.heappop(queue)
                if not rel.active or rel.contact_ticket != ticket:
                    continue  # the customer left, or the contact was rescheduled
                rel.contact_ticket = -1
                allowance -= 1.0
                self.served += 1
                self.delay_sum += now - due
                attend(rel, now)
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

    def file(self, rel: Relationship, grievance: float) -> None:
        """A customer complains about ``grievance`` (its fade time identifies it)."""
        self.market.env.process(self._complaint(rel, grievance))

    def _complaint(self, rel: Relationship, grievance: float):
        env, m = self.market.env, self.market
        resolved = False
        if self.resource is not None:
            with self.resource.request() as req:
                if req.triggered:
                    served = True  # someone is free: no need to time the caller's patience
                    yield req
                else:
                    served = req in (yield req | env.timeout(self.patience))
                if served:
                    yield env.timeout(m.service_stream.exponential(1.0 / self.handling_days))
                    resolved = True
        else:
            yield env.timeout(self.patience)
        if rel.active:
            m.complaint_outcome(rel, env.now, resolved, grievance)
