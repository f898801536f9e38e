"""The market model: people, firms and relationships in one SimPy environment.

A finite population turns over (relocation and other exits, each replaced by a newcomer). At
any moment a person is a customer of at most one firm (lecture notes: "in conditions of unlimited
supply he goes to another seller"). Firms acquire people from the pool of non-customers with
their budgets and through referrals; relationships climb the ladder through repeat purchases
and attention, slide down after service failures, and end by one of the switching causes. A
person who defects over price goes to the cheaper rival; one who leaves over neglect or
dissatisfaction looks for another seller, choosing among the rivals by what they offer (price
and service), or goes back to the pool, from where any firm may win them back.

The market runs a warm-up (``simulation.warmup_days``) before the measured window; the tables
leave it out. This module holds the state transitions; :mod:`relsim.model.relationship`
decides when they happen and :mod:`relsim.analysis.tables` turns the run's records into tables.
"""

from __future__ import annotations

import bisect
import gc
import math
from collections.abc import Callable

import numpy as np
import simpy

from relsim.config.schema import Scenario
from relsim.memory import give_back
from relsim.model.causes import LEAVES_MARKET, Cause, price_switch_probability
from relsim.model.firm import Firm
from relsim.model.ladder import RELATIONSHIP_RUNGS, Rung, per_rung
from relsim.model.population import Person, PersonFactory, Pool
from relsim.model.rates import MarketRates
from relsim.model.records import NO_ID, Channel, EventKind, RunLog
from relsim.model.relationship import Relationship, life
from relsim.model.staff import recovery_probability
from relsim.model.streams import Mechanism, UniformStream, generator

NO_FIRM = -1


class Market:
    """A market ready to run: build it, then call :meth:`run`.

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    seed : int
        Root seed.
    replication : int
        Replication index (selects independent streams under the same seed).
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0) -> None:
        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        #: Simulated days before the measured window, and the whole simulated span.
        self.warmup = float(scenario.simulation.warmup_days)
        self.horizon = self.warmup + float(scenario.simulation.days)
        self.env = simpy.Environment()
        self.rates = MarketRates.from_scenario(scenario)
        sow = self.rates.share_of_wallet
        #: The largest share of wallet on each rung or above (the failures' planning bound).
        self.share_of_wallet_above = tuple(max(sow[r:]) for r in range(len(sow)))
        self.log = RunLog()
        self.life_stream = UniformStream(generator(seed, Mechanism.LIFE, replication))
        self.service_stream = UniformStream(generator(seed, Mechanism.SERVICE, replication))
        self.acquisition_rng = generator(seed, Mechanism.ACQUISITION, replication)
        self.initial_rng = generator(seed, Mechanism.INITIAL, replication)
        self.purchases_rng = generator(seed, Mechanism.PURCHASES, replication)
        #: A repertoire market (people split purchases over firms) or an exclusive one.
        self.repertoire = scenario.market.choice == "repertoire"
        rp = scenario.market.repertoire
        choice = None
        if self.repertoire:
            alpha = np.array([rp.concentration * rp.shares[f] for f in scenario.firms])
            choice = (generator(seed, Mechanism.CHOICE, replication), alpha)
        self.rung_weight = per_rung(rp.rung_weight.as_dict())
        #: A repertoire relationship's weight per grievance remembered (1: none moves share).
        self.grievance_weight = rp.grievance_weight if self.repertoire else 1.0
        self.factory = PersonFactory(
            scenario.population,
            generator(seed, Mechanism.POPULATION, replication),
            choice=choice,
        )
        self.pool = Pool()
        self.everyone = Pool()  # a repertoire market's people (its exits are drawn from them)
        self.simpy_events = 0  # events SimPy scheduled, known once the run is over
        self.relationships: list[Relationship] = []
        self._register: dict[str, np.ndarray] | None = None
        self.firms = [
            Firm(i, name, st, self) for i, (name, st) in enumerate(scenario.firms.items())
        ]
        for firm in self.firms:
            # Largest relative saving a rival's offer can ever show against this firm's list
            # price: the bound the price-comparison thinning works against (-inf: no rival).
            floors = [
                f.rates.price_index * (1.0 - f.rates.promo_depth)
                for f in self.firms
                if f is not firm
            ]
            firm.max_saving = 1.0 - min(floors) / firm.rates.price_index if floors else -math.inf

    # -- people -----------------------------------------------------------------------------

    def _newcomer(self, now: float) -> Person:
        p = self.factory.new(now)
        self.log.event(now, p.id, NO_ID, NO_FIRM, EventKind.ENTERED_MARKET)
        if self.repertoire:
            p.rels = [None] * len(self.firms)
            self.everyone.add(p)
            for firm in self.firms:
                firm.prospects.add(p)
        return p

    def _leave_market(self, person: Person, now: float, cause: int) -> None:
        self.log.event(now, person.id, NO_ID, NO_FIRM, EventKind.LEFT_MARKET, cause=cause)
        newcomer = self._newcomer(now)
        if self.repertoire:
            self._join(newcomer, now)
        else:
            self.pool.add(newcomer)

    # -- the repertoire market --------------------------------------------------------------

    def _initial_rung(self, person: Person, u: float) -> int:
        cdf = self._rung_cdfs[person.segment]
        i = min(int(np.searchsorted(cdf, u * cdf[-1], side="right")), len(RELATIONSHIP_RUNGS) - 1)
        return int(RELATIONSHIP_RUNGS[i])

    def _join(self, person: Person, now: float) -> None:
        """A person's repertoire on arrival: every firm they have a propensity for.

        The relationships begin on rungs drawn from the initial shares, with the account
        teams' contacts spread out as for the initial customers of an exclusive market.
        """
        rng = self.initial_rng
        firms = [f for f in self.firms if person.propensity[f.index] > 0.0]
        u, lag, phase = (rng.random(len(firms)).tolist() for _ in range(3))
        for firm, ui, li, fi in zip(firms, u, lag, phase, strict=True):
            rung = self._initial_rung(person, ui)
            cadence = firm.cadence(person, rung)
            span = cadence if cadence > 0.0 else 30.0
            self.start_relationship(
                person,
                firm,
                Channel.INITIAL,
                now,
                rung,
                last_attention=now - li * span,
                first_contact=now + fi * span,
                reshare=False,
            )
        self._reshare(person, now)

    def _reshare(self, person: Person, now: float, moved: Relationship | None = None) -> None:
        """Each firm's share of the person's category purchases, from propensities and rungs.

        A relationship whose share changed (and ``moved``, whose rung did) gets a new purchase
        segment from now: the firms of the repertoire share the person's purchases in
        proportion to propensity times rung weight, times the grievance weight for every
        grievance the relationship still remembers.
        """
        weight, gw = self.rung_weight, self.grievance_weight
        props = person.propensity
        active = [r for r in person.rels if r is not None]
        if gw == 1.0:
            pulls = [props[r.firm.index] * weight[r.rung] for r in active]
        else:  # grievances still remembered at ``now`` (ascending fade times)
            pulls = [
                props[r.firm.index]
                * weight[r.rung]
                * gw ** (len(r.grievances) - bisect.bisect_right(r.grievances, now))
                for r in active
            ]
        total = sum(pulls)
        for r, pull in zip(active, pulls, strict=True):
            share = pull / total if total > 0.0 else 0.0
            if share != r.share or r is moved:
                r.share = share
                self._close_segment(r, now)
                self._open_segment(r, now)

    def _leave_repertoire_market(self, person: Person, now: float, cause: int) -> None:
        """A person moves away or dies: every relationship ends for that cause."""
        for rel in person.rels:
            if rel is not None:
                self._end(rel, Cause(cause), now)
        person.rels = []
        for firm in self.firms:
            if firm.prospects.contains(person):
                firm.prospects.remove(person)
        if self.pool.contains(person):
            self.pool.remove(person)
        self._leave_market(person, now, cause)

    # -- relationships ----------------------------------------------------------------------

    def start_relationship(
        self,
        person: Person,
        firm: Firm,
        channel: Channel,
        now: float,
        rung: int = Rung.CUSTOMER,
        last_attention: float | None = None,
        first_contact: float | None = None,
        offer: float = 0.0,
        reshare: bool = True,
    ) -> Relationship:
        """Make ``person`` a customer of ``firm``; a new customer buys for the first time now.

        ``offer`` is the discount a coupon or win-back offer gave on that first purchase. In
        a repertoire market the firm joins the person's repertoire and the purchases are
        shared anew (unless ``reshare`` is False: the caller will).
        """
        returning = bool(person.past_firms & firm.bit)
        person.past_firms |= firm.bit
        rel = Relationship(len(self.relationships), person, firm, now, channel, rung, returning)
        rel.offer = offer
        if last_attention is not None:
            rel.last_attention = last_attention
        self.relationships.append(rel)
        if self.repertoire:
            person.rels[firm.index] = rel
            if firm.prospects.contains(person):
                firm.prospects.remove(person)
            if self.pool.contains(person):
                self.pool.remove(person)
        else:
            person.rel = rel
        firm.active_by_rung[rung] += 1
        firm.acquired[channel] += 1
        self.log.event(
            now, person.id, rel.id, firm.index, EventKind.ACQUIRED, rung_to=rung, channel=channel
        )
        if channel != Channel.INITIAL:
            self.log.purchase(rel.id, now, rung, False, offer)
        if not self.repertoire:
            self._open_segment(rel, now)
        elif reshare:
            self._reshare(person, now)
        cadence = firm.cadence(person, rung)
        if cadence > 0.0:
            firm.team.enrol(rel, now + cadence if first_contact is None else first_contact)
        self.env.process(life(self, rel))
        return rel

    def _reenrol(self, rel: Relationship) -> None:
        """Put ``rel`` on its account team's books again: next due a cadence after attention."""
        cadence = rel.firm.cadence(rel.person, rel.rung)
        if cadence > 0.0:
            rel.firm.team.enrol(rel, rel.last_attention + cadence)
        else:
            rel.contact_ticket = -1  # let go: every entry on the team's books is void

    def _open_segment(self, rel: Relationship, now: float) -> None:
        # Purchases other than failed episodes are drawn in bulk from the client rung up.
        if rel.rung >= Rung.CLIENT and rel.active:
            share = rel.share if self.repertoire else self.rates.share_of_wallet[rel.rung]
            rate = rel.person.rate * share
            rate *= 1.0 - rel.firm.rates.failure_prob
            rel.segment = self.log.open_segment(rel.id, now, rate, rel.rung)
        else:
            rel.segment = -1

    def _close_segment(self, rel: Relationship, now: float) -> None:
        if rel.segment >= 0:
            self.log.close_segment(rel.segment, now)
            rel.segment = -1

    def set_rung(self, rel: Relationship, rung: int, now: float, enrol: bool = True) -> None:
        """Move a relationship one rung up or down.

        Only the life process moves a relationship down; a move up by another process lowers
        the hazards the life process planned with, which it allows for by thinning. The
        relationship is enrolled again with the account team under its new rung's cadence
        (unless ``enrol`` is False: the caller will).
        """
        old = rel.rung
        if rung == old:
            return
        firm = rel.firm
        firm.active_by_rung[old] -= 1
        firm.active_by_rung[rung] += 1
        rel.rung = rung
        rel.max_rung = max(rel.max_rung, rung)
        kind = EventKind.RUNG_UP if rung > old else EventKind.RUNG_DOWN
        self.log.event(now, rel.person.id, rel.id, firm.index, kind, old, rung)
        if self.repertoire:
            self._reshare(rel.person, now, moved=rel)
        else:
            self._close_segment(rel, now)
            self._open_segment(rel, now)
        if enrol:
            self._reenrol(rel)

    def repeat_purchase(self, rel: Relationship, now: float, failed: bool) -> None:
        """The first repeat purchase: a customer becomes a client."""
        self.log.purchase(rel.id, now, rel.rung, failed)
        self.set_rung(rel, Rung.CLIENT, now)
        if failed:
            self.service_failure(rel, now, record_purchase=False)

    def service_failure(self, rel: Relationship, now: float, record_purchase: bool) -> None:
        """A purchase episode goes wrong: a grievance, maybe a complaint, maybe a step down."""
        if record_purchase:
            self.log.purchase(rel.id, now, rel.rung, True)
        uniform = self.life_stream.uniform
        fades = now + self.life_stream.exponential(self.rates.grievance_fade)
        if rel.grievances:
            bisect.insort(rel.grievances, fades)
        else:
            rel.grievances = [fades]
        rel.failures += 1
        pid, firm = rel.person.id, rel.firm
        self.log.event(now, pid, rel.id, firm.index, EventKind.SERVICE_FAILURE, rel.rung, rel.rung)
        if uniform() < rel.person.complaint_propensity:
            rel.complaints += 1
            self.log.event(now, pid, rel.id, firm.index, EventKind.COMPLAINT, rel.rung, rel.rung)
            firm.desk.file(rel, fades)
        if rel.rung > Rung.CLIENT and uniform() < self.rates.demote_on_failure:
            self.set_rung(rel, rel.rung - 1, now)
        if self.grievance_weight != 1.0:
            # The grievance weighs on the firm's share until it fades (an event, so the
            # share comes back when it does) or a handled complaint undoes it.
            self._reshare(rel.person, now)
            fade = self.env.timeout(fades - now, value=rel.person)
            fade.callbacks.append(self._grievance_faded)

    def _grievance_faded(self, event: simpy.Event) -> None:
        """A grievance's fade time: the person's repertoire is shared anew without it."""
        person = event.value
        if person is not None and person.rels:  # still in the market
            self._reshare(person, self.env.now)

    def grievances_now(self, rel: Relationship, now: float) -> int:
        """How many grievances ``rel`` still remembers at ``now``; faded ones are logged."""
        pending = rel.grievances
        while pending and pending[0] <= now:
            self.log.event(
                pending.pop(0),
                rel.person.id,
                rel.id,
                rel.firm.index,
                EventKind.GRIEVANCE_FADED,
                rel.rung,
                rel.rung,
            )
        return len(pending)

    def complaint_outcome(
        self, rel: Relationship, now: float, days_to_resolve: float, grievance: float
    ) -> None:
        """A complaint was resolved after ``days_to_resolve`` days, or given up on (``inf``).

        Handling may undo the grievance behind it (:func:`relsim.model.staff.recovery_probability`:
        likely when quick, less so when late, rarely when nobody picked it up); a resolved
        complaint is also attention, so the neglect clock restarts. Either only lowers hazards,
        which the life process allows for by thinning.
        """
        r8 = self.rates
        resolved = not math.isinf(days_to_resolve)
        p = recovery_probability(
            days_to_resolve,
            r8.recovery_quick,
            r8.recovery_slow,
            r8.recovery_abandoned,
            r8.recovery_quick_days,
        )
        pid, firm = rel.person.id, rel.firm.index
        kind = EventKind.COMPLAINT_RESOLVED if resolved else EventKind.COMPLAINT_ABANDONED
        self.log.event(now, pid, rel.id, firm, kind, rel.rung, rel.rung)
        if self.service_stream.uniform() < p and rel.grievances and grievance in rel.grievances:
            rel.grievances.remove(grievance)
            self.log.event(now, pid, rel.id, firm, EventKind.RECOVERED, rel.rung, rel.rung)
            if self.grievance_weight != 1.0 and rel.active:
                self._reshare(rel.person, now)
        if resolved:
            rel.last_attention = now
            self._reenrol(rel)

    def attend(self, rel: Relationship, now: float) -> None:
        """An account manager's contact: the neglect clock restarts; a content person may climb."""
        rel.last_attention = now
        rung = rel.rung
        self.log.event(now, rel.person.id, rel.id, rel.firm.index, EventKind.CONTACT, rung, rung)
        if (
            Rung.CLIENT <= rung < Rung.PARTNER
            and self.grievances_now(rel, now) == 0
            and self.service_stream.uniform() < self.rates.promote_on_attention[rung]
        ):
            self.set_rung(rel, rung + 1, now, enrol=False)
        self._reenrol(rel)

    def price_comparison(self, rel: Relationship, now: float) -> tuple[Firm | None, float]:
        """A price comparison: the cheapest rival now and the chance the person switches to it."""
        best: Firm | None = None
        best_price = math.inf
        for f in self.firms:
            if f is not rel.firm:
                price = f.rates.offer_price(now)
                if price < best_price:
                    best, best_price = f, price
        if best is None:
            return None, 0.0
        own = rel.firm.rates.price_for(rel.rung, now)
        r8 = self.rates
        p = price_switch_probability(
            (own - best_price) / own,
            rel.person.price_sensitivity,
            r8.price_barrier[rel.rung],
            r8.price_intercept,
            r8.price_slope,
        )
        return best, p

    def reference_price_lapse(self, rel: Relationship, now: float) -> None:
        """Someone who tried at an offer's price found the full price dear: a price defection.

        The comparison was with the price they paid (their reference price); they go to the
        cheapest rival if it is cheaper than this firm's price now, else back to the pool.
        """
        rival, _ = self.price_comparison(rel, now)
        own = rel.firm.rates.price_for(rel.rung, now)
        cheaper = rival is not None and rival.rates.offer_price(now) < own
        self.defect(rel, Cause.PRICE, now, to_firm=rival if cheaper else None, look=False)

    def choose_rival(self, rel: Relationship, now: float) -> Firm | None:
        """Where a defector over neglect or dissatisfaction goes: a rival, or nowhere (None).

        A share ``defector_joins_rival`` looks for another seller and chooses among the rivals
        by a multinomial logit of what each offers: its price now (weighted by the price slope
        and the person's sensitivity) and its service failures.
        """
        others = [f for f in self.firms if f is not rel.firm]
        if self.repertoire:  # a new seller: one not in the repertoire already
            others = [f for f in others if rel.person.rels[f.index] is None]
        uniform = self.life_stream.uniform
        if not others or uniform() >= self.rates.defector_joins_rival:
            return None
        if len(others) == 1:
            return others[0]
        r8, sens = self.rates, rel.person.price_sensitivity
        utility = [
            -r8.price_slope * sens * f.rates.offer_price(now)
            - r8.rival_service_weight * f.rates.failure_prob
            for f in others
        ]
        top = max(utility)
        weights = [math.exp(u - top) for u in utility]
        x = uniform() * sum(weights)
        for f, w in zip(others, weights, strict=True):
            x -= w
            if x < 0.0:
                return f
        return others[-1]

    def defect(
        self,
        rel: Relationship,
        cause: Cause,
        now: float,
        to_firm: Firm | None = None,
        look: bool = True,
    ) -> None:
        """End a relationship for ``cause`` and send the person where that cause takes them.

        ``to_firm`` is where a price defector goes; with ``look`` a defector without one may
        look for another seller (:meth:`choose_rival`).
        """
        firm, person = rel.firm, rel.person
        self._end(rel, cause, now)
        if self.repertoire:
            person.rels[firm.index] = None
            firm.prospects.add(person)
            firm.lapsed.append(person)
            if to_firm is None and look:
                to_firm = self.choose_rival(rel, now)
            if to_firm is not None and person.rels[to_firm.index] is None:
                self.start_relationship(person, to_firm, Channel.SWITCH, now)
            else:  # the rest of the repertoire shares the purchases
                self._reshare(person, now)
            if all(r is None for r in person.rels):
                self.pool.add(person)
            return
        person.rel = None
        if cause in LEAVES_MARKET:
            self._leave_market(person, now, cause)
            return
        if to_firm is None and look:
            to_firm = self.choose_rival(rel, now)
        if to_firm is None:
            self.pool.add(person)
            firm.lapsed.append(person)
        else:
            self.start_relationship(person, to_firm, Channel.SWITCH, now)

    def _end(self, rel: Relationship, cause: Cause, now: float) -> None:
        """The relationship ends for ``cause``: its records close and its firm counts the loss."""
        firm, person = rel.firm, rel.person
        self.grievances_now(rel, now)  # log the grievances that faded before the end
        rel.active = False
        rel.end = now
        rel.cause = int(cause)
        rel.contact_ticket = -1
        if not self.repertoire:  # what the firm lost of the person's purchases
            rel.share = self.rates.share_of_wallet[rel.rung]
        self._close_segment(rel, now)
        firm.active_by_rung[rel.rung] -= 1
        firm.lost[cause] += 1
        self.log.event(
            now,
            person.id,
            rel.id,
            firm.index,
            EventKind.DEFECTED,
            rel.rung,
            Rung.PROSPECT,
            cause=cause,
        )

    # -- the market's daily round -----------------------------------------------------------

    def _populate(self) -> None:
        """The market at time zero: everyone enters; the firms' initial customers are placed."""
        sc = self.scenario
        rng = self.initial_rng
        self._set_rung_cdfs()
        people = [self._newcomer(0.0) for _ in range(sc.simulation.people)]
        values = np.fromiter((p.rate * p.basket for p in people), dtype=float, count=len(people))
        for firm in self.firms:
            firm.set_value_tiers(values)
        if self.repertoire:
            for person in people:
                self._join(person, 0.0)
                if all(r is None for r in person.rels):
                    self.pool.add(person)
            return
        order = rng.permutation(len(people))
        # Rungs by segment where the scenario gives them: the steady state sorts people, so
        # frequent buyers (more failed episodes, more demotions) are rarer on the top rungs.
        k = 0
        for firm in self.firms:
            n = firm.strategy.initial_customers
            u = rng.random(n).tolist()
            # Existing customers were last attended and are next due at spread-out times, so
            # the run does not open with every contact falling due on the same day.
            lag = rng.random(n).tolist()
            phase = rng.random(n).tolist()
            for j in range(n):
                person = people[order[k]]
                k += 1
                rung = self._initial_rung(person, u[j])
                cadence = firm.cadence(person, rung)
                span = cadence if cadence > 0.0 else 30.0
                self.start_relationship(
                    person,
                    firm,
                    Channel.INITIAL,
                    0.0,
                    rung,
                    last_attention=-lag[j] * span,
                    first_contact=phase[j] * span,
                )
        for i in order[k:].tolist():
            self.pool.add(people[i])

    def _set_rung_cdfs(self) -> None:
        """Cumulative initial rung shares by segment (the repertoire's arrivals use them)."""
        sc = self.scenario
        base = sc.market.initial_rung_shares.as_dict()
        by_segment = sc.market.initial_rung_shares_by_segment
        self._rung_cdfs = []
        for name in self.factory.segment_names:
            shares = by_segment[name].as_dict() if name in by_segment else base
            self._rung_cdfs.append(np.cumsum([shares[r.label] for r in RELATIONSHIP_RUNGS]))

    def snapshot(self, now: float) -> None:
        """Record each firm's counters (the time series is built from these)."""
        for f in self.firms:
            team, desk = f.team, f.desk
            self.log.snapshots.extend(
                (
                    now,
                    f.index,
                    *f.active_by_rung[1:],
                    *f.acquired,
                    *f.lost,
                    team.served,
                    team.spare_served,
                    team.delay_sum,
                    desk.filed,
                    desk.resolved,
                    desk.abandoned,
                    desk.wait_sum,
                    desk.resolution_sum,
                    f.reached,
                    f.offers,
                    len(self.pool),
                )
            )

    def _acquire(self, firm: Firm, now: float, step: float) -> None:
        """Paid acquisition: the budget reaches prospects, and some of them try the firm."""
        rng = self.acquisition_rng
        pool = firm.prospects if self.repertoire else self.pool
        n_reach = int(rng.poisson(firm.reach_rate(len(pool)) * step))
        if n_reach <= 0:
            return
        reached = pool.draw(n_reach, rng)
        firm.reached += len(reached)
        depth = firm.rates.coupon_depth
        channel = Channel.COUPON if depth > 0.0 else Channel.PAID
        tries = rng.random(len(reached)).tolist()
        declined = []
        for person, u in zip(reached, tries, strict=True):
            if u < firm.trial_probability(person, depth):
                self.start_relationship(person, firm, channel, now, offer=depth)
            else:
                declined.append(person)
        for person in declined:
            pool.add(person)

    def _win_back(self, firm: Firm, now: float, step: float) -> None:
        """Win-back offers to former customers who are nobody's customer now."""
        fr = firm.rates
        if fr.win_back_spend <= 0.0 or not firm.lapsed:
            return
        rng = self.acquisition_rng
        n = int(rng.poisson(fr.win_back_spend / fr.win_back_cost * step))
        targets = firm.draw_lapsed(n, rng, firm.prospects if self.repertoire else self.pool)
        firm.offers += len(targets)
        for person, u in zip(targets, rng.random(len(targets)).tolist(), strict=True):
            if u < firm.trial_probability(person, fr.win_back_depth):
                if not self.repertoire:
                    self.pool.remove(person)
                self.start_relationship(
                    person, firm, Channel.WIN_BACK, now, offer=fr.win_back_depth
                )

    def _daily(self, days: float, on_day: Callable[[float], None] | None):
        env, rng, pool, r8 = self.env, self.acquisition_rng, self.pool, self.rates
        people = self.scenario.simulation.people
        while True:
            now = env.now
            self.snapshot(now)
            if on_day is not None:
                on_day(now)
            step = min(1.0, days - now)
            if step <= 0.0:
                return
            for firm in self.firms:
                self._acquire(firm, now, step)
                reachable = firm.prospects if self.repertoire else pool
                n_ref = rng.poisson(firm.referral_rate(len(reachable) / people) * step)
                for person in reachable.draw(int(n_ref), rng):
                    self.start_relationship(person, firm, Channel.REFERRAL, now)
                self._win_back(firm, now, step)
            if self.repertoire:
                # Everyone relocates and dies at the same rates, whatever their repertoire.
                if r8.exit > 0.0:
                    n_exit = rng.binomial(len(self.everyone), -math.expm1(-r8.exit * step))
                    for person in self.everyone.draw(int(n_exit), rng):
                        moved = rng.random() * r8.exit < r8.relocation
                        cause = Cause.RELOCATION if moved else Cause.OTHER
                        self._leave_repertoire_market(person, now, cause)
            # People in the pool relocate and die too; a newcomer takes each one's place.
            elif r8.exit > 0.0 and len(pool):
                n_exit = rng.binomial(len(pool), -math.expm1(-r8.exit * step))
                for person in pool.draw(int(n_exit), rng):
                    moved = rng.random() * r8.exit < r8.relocation
                    cause = Cause.RELOCATION if moved else Cause.OTHER
                    self._leave_market(person, now, cause)
            yield env.timeout(step)

    def run(self, on_day: Callable[[float], None] | None = None) -> None:
        """Simulate the warm-up and the measured window.

        Parameters
        ----------
        on_day : callable, optional
            Called with the simulated time (days since the warm-up began) at each daily
            round (for progress bars).
        """
        # The run makes and drops many small objects (events, finished processes) among a
        # growing mass of long-lived ones (people, relationships, their suspended processes):
        # at the collector's default young threshold its full collections rescan the long-lived
        # ones so often that they took a third of a large repertoire market's time. The
        # threshold is raised for the run and put back after; no number depends on it.
        thresholds = gc.get_threshold()
        if thresholds[0]:  # 0: the caller turned automatic collection off; leave it so
            gc.set_threshold(max(thresholds[0], GC_YOUNG_THRESHOLD), *thresholds[1:])
        try:
            self._populate()
            done = self.env.process(self._daily(self.horizon, on_day))
            self.env.run(until=done)
        finally:
            gc.set_threshold(*thresholds)
        for rel in self.relationships:
            if rel.active:
                self._close_segment(rel, self.horizon)
        # SimPy numbers its events as it schedules them: the count is the next number.
        self.simpy_events = next(self.env._eid)

    def register(self) -> dict[str, np.ndarray]:
        """Every relationship of the run as typed columns, row ``i`` being relationship ``i``.

        What the tables read of the relationships and their people: ``person``, ``firm``,
        ``start``, ``end``, ``channel``, ``returning``, ``cause``, ``rung`` (-1 once ended),
        ``max_rung``, ``share`` (the firm's share of the person's category purchases at the end,
        or now while open), and the person's ``segment``, ``rate``, ``basket``,
        ``price_sensitivity`` and ``complaint_propensity``. About 60 bytes a relationship
        against the kilobytes of its objects, so :meth:`release` can let the objects go.
        """
        if self._register is None:
            rels = self.relationships
            n = len(rels)
            ids = np.int32 if self.factory.next_id < 2**31 else np.int64

            def col(values, dtype) -> np.ndarray:
                return np.fromiter(values, dtype=dtype, count=n)

            self._register = {
                "person": col((r.person.id for r in rels), ids),
                "firm": col((r.firm.index for r in rels), np.int8),
                "start": col((r.start for r in rels), np.float64),
                "end": col((r.end for r in rels), np.float64),
                "channel": col((r.channel for r in rels), np.int8),
                "returning": col((r.returning for r in rels), np.bool_),
                "cause": col((r.cause for r in rels), np.int8),
                "rung": col((r.rung if r.active else -1 for r in rels), np.int8),
                "max_rung": col((r.max_rung for r in rels), np.int8),
                "share": col((self._share(r) for r in rels), np.float64),
                "segment": col((r.person.segment for r in rels), np.int16),
                "rate": col((r.person.rate for r in rels), np.float64),
                "basket": col((r.person.basket for r in rels), np.float64),
                "price_sensitivity": col((r.person.price_sensitivity for r in rels), np.float64),
                "complaint_propensity": col(
                    (r.person.complaint_propensity for r in rels), np.float64
                ),
            }
        return self._register

    def _share(self, rel: Relationship) -> float:
        """The firm's share of the person's purchases: at the end, or now if still open."""
        if self.repertoire or not rel.active:
            return rel.share
        return self.rates.share_of_wallet[rel.rung]

    def release(self) -> None:
        """Let go of the model's objects, keeping the records; the market cannot run on.

        The relationships become their :meth:`register` first. Then the events still
        scheduled (every open relationship's suspended life process), the firms' account
        teams and service desks (a released firm has neither), the pool, the lapsed customers
        and the relationships themselves go: in a big market most of the memory the
        simulation held, none of which the tables read. Releasing twice does nothing more.
        """
        big = len(self.relationships) >= COLLECT_FROM
        self.register()
        self.env._queue.clear()  # SimPy keeps no public way to drop the pending events
        for firm in self.firms:
            firm.lapsed = []
            # The account team and the service desk go whole: their queues, the processes of
            # the complaints waiting or in hand, and the counters the run last set. Those are
            # small objects made late in the run, in the arenas the model filled; any one of
            # them alive keeps its arena (a megabyte) from going back to the system: 17 of
            # them at 100,000 people. The snapshots already hold what the tables read of them.
            vars(firm).pop("team", None)
            vars(firm).pop("desk", None)
        self.pool = Pool()
        self.everyone = Pool()
        for firm in self.firms:
            firm.prospects = Pool()
        self.relationships = []
        # Numbers drawn ahead are small objects strewn over the allocator's arenas: while
        # they live, the arenas the model's objects filled cannot go back to the system.
        self.factory.discard_drawn()
        self.life_stream.discard_drawn()
        self.service_stream.discard_drawn()
        # People and their relationships, processes and their events point at each other:
        # only the collector frees them. A full collection costs tens of milliseconds however
        # small the market (it visits every object of the process), a tenth of a small
        # replication in a sweep: below COLLECT_FROM relationships, the collector's own
        # schedule frees them soon enough.
        if big:
            gc.collect()
            give_back()


#: The collector's young-generation threshold while a market runs (Python's default: 700).
GC_YOUNG_THRESHOLD = 20_000
#: Relationships from which :meth:`Market.release` collects the model's objects at once.
COLLECT_FROM = 20_000
