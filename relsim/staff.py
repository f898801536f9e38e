"""Capacity-limited staff: account managers who pay attention, a service desk for complaints.

Attention is the scarce resource behind neglect (main seed: 65-70% of defections come from
"lack of attention and interest"). A firm's contact policy asks for a contact with each
customer every so many days by rung; its account managers work through the due contacts in
order of due date, one at a time each. When the book of customers outgrows the team, contacts
fall behind, time since attention grows and the neglect hazard with it: the leaky bucket
emerges from capacity, not from a rule.

The account managers are a k-server queue run by one dispatcher process over a due-date
queue, rather than a ``simpy.Resource`` request per contact: that costs one event per contact
instead of three (timer, request, release), and contacts are the model's most frequent staff
work. The service desk, whose complaints arrive at random and may give up
waiting, is a ``simpy.Resource`` with reneging.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import simpy

if TYPE_CHECKING:
    from relsim.firm import Firm
    from relsim.model import Market
    from relsim.relationship import Relationship

#: Longest an idle account manager waits before looking at the queue again, in days.
IDLE_POLL_DAYS = 1.0


class AccountTeam:
    """A firm's account managers and their queue of due contacts.

    One dispatcher process hands each due contact, in order of due date, to the manager who
    is free first; the contact starts when both the contact is due and that manager is free,
    occupies the manager for ``contact_duration_days``, and counts as attention from its
    start. This is a k-server queue with one SimPy event per contact.

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
        self.duration = firm.rates.contact_duration
        self.queue: list[tuple[float, int, Relationship]] = []
        self.free_at = [0.0] * self.managers  # a heap: when each manager is next free
        self._tickets = 0
        self.served = 0
        self.delay_sum = 0.0  # total days contacts started after their due date
        if self.managers:
            market.env.process(self._dispatch())

    def schedule(self, rel: Relationship, due: float) -> None:
        """Ask for a contact with ``rel`` at time ``due`` (replacing any pending one)."""
        if self.managers == 0:
            return
        self._tickets += 1
        rel.contact_ticket = self._tickets
        heapq.heappush(self.queue, (due, self._tickets, rel))

    def _dispatch(self):
        env, queue, free_at, attend = self.market.env, self.queue, self.free_at, self.market.attend
        while True:
            if not queue:
                yield env.timeout(IDLE_POLL_DAYS)
                continue
            due, ticket, rel = queue[0]
            now = env.now
            start = max(due, free_at[0])
            if start > now:
                # New contacts are due at least a cadence ahead, so a bounded nap misses little.
                yield env.timeout(min(start - now, IDLE_POLL_DAYS))
                continue
            heapq.heappop(queue)
            if not rel.active or rel.contact_ticket != ticket:
                continue  # the customer left, or the contact was rescheduled
            rel.contact_ticket = -1
            heapq.heapreplace(free_at, now + self.duration)
            self.served += 1
            self.delay_sum += now - due
            attend(rel, now)


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

    def file(self, rel: Relationship) -> None:
        """A customer complains; the complaint is handled by its own process."""
        self.market.env.process(self._complaint(rel))

    def _complaint(self, rel: Relationship):
        env, m = self.market.env, self.market
        resolved = False
        if self.resource is not None:
            with self.resource.request() as req:
                outcome = yield req | env.timeout(self.patience)
                if req in outcome:
                    yield env.timeout(m.service_stream.exponential(1.0 / self.handling_days))
                    resolved = True
        else:
            yield env.timeout(self.patience)
        if rel.active:
            m.complaint_outcome(rel, env.now, resolved)
