"""Firms: symmetric agents, each run by its own strategy.

The focal firm is the one a user studies; the rest of the market is one rival or several.
A firm holds its strategy's figures, its account team and service desk, and the counters the
time series is built from (active customers by rung, acquisitions by channel, losses by cause).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from relsim.config.schema import Strategy
from relsim.model.causes import Cause
from relsim.model.ladder import Rung
from relsim.model.population import Pool
from relsim.model.rates import FirmRates
from relsim.model.records import Channel
from relsim.model.staff import AccountTeam, ServiceDesk

if TYPE_CHECKING:
    from relsim.model.market import Market
    from relsim.model.population import Person


def logistic(x: float) -> float:
    """The logistic function, safe for large arguments."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class Firm:
    """One firm in the market.

    Parameters
    ----------
    index : int
        Position in the market's list of firms.
    name : str
        The firm's name in the scenario.
    strategy : Strategy
        What the firm controls.
    market : Market
        The market it competes in.
    """

    def __init__(self, index: int, name: str, strategy: Strategy, market: Market) -> None:
        self.index = index
        self.bit = 1 << index
        self.name = name
        self.strategy = strategy
        self.rates = FirmRates.from_strategy(strategy)
        self.active_by_rung = [0] * len(Rung)
        self.acquired = [0] * len(Channel)
        self.lost = [0] * len(Cause)
        self.reached = 0  # prospects paid acquisition reached (each got a coupon, if any)
        self.offers = 0  # win-back offers made
        self.lapsed: list[Person] = []  # former customers sent to the pool: win-back targets
        # In a repertoire market: the people in the market who do not have this firm in their
        # repertoire, whom its acquisition and referrals reach.
        self.prospects = Pool()
        self.team = AccountTeam(market, self)
        self.desk = ServiceDesk(market, self)
        self.max_saving = -math.inf  # set by the market once all firms exist
        mr, pop = market.rates, market.scenario.population
        # The partnership programme strengthens its members' bond and referrals.
        ps = strategy.partnership
        members = int(Rung[ps.from_rung.upper()])
        self.bond = tuple(
            b * (ps.bond_factor if r >= members else 1.0) for r, b in enumerate(mr.bond)
        )
        #: The neglect hazard's ceiling on each rung, per day (the life processes share it).
        self.neglect_by_rung = tuple(mr.neglect_max * b for b in self.bond)
        self.referrals = tuple(
            x * (ps.referral_factor if r >= members else 1.0) for r, x in enumerate(mr.referrals)
        )
        # Trial: the budget buys reach at the cost that wins one customer per
        # cost_per_acquisition when nobody holds a coupon.
        self.trial_logit = pop.trial_logit
        self.coupon_response = pop.coupon_response
        self.cost_per_reach = self.rates.cost_per_acquisition * logistic(pop.trial_logit)
        # Targeting by value tier; the cut points are set once the population exists.
        tg = strategy.targeting
        self.hold_factor = tg.hold_cadence_factor
        self.targeted = tg.hold_share > 0.0 or tg.let_go_share > 0.0
        self.let_go_below = -math.inf
        self.hold_from = math.inf

    def set_value_tiers(self, annual_values: np.ndarray) -> None:
        """Fix the value-tier cut points from the expected annual spend of the population."""
        tg = self.strategy.targeting
        if tg.let_go_share > 0.0:
            self.let_go_below = float(np.quantile(annual_values, tg.let_go_share))
        if tg.hold_share > 0.0:
            self.hold_from = float(np.quantile(annual_values, 1.0 - tg.hold_share))

    def cadence(self, person: Person, rung: int) -> float:
        """Days between contacts with ``person`` on ``rung`` (0: never), by value tier."""
        base = self.rates.contact_every[rung]
        if not self.targeted or base <= 0.0:
            return base
        value = person.rate * person.basket
        if value < self.let_go_below:
            return 0.0  # let go
        if value >= self.hold_from:
            return base * self.hold_factor  # hold on with all your might
        return base  # watch closely

    def trial_probability(self, person: Person, depth: float) -> float:
        """Chance that a reached prospect buys, with an offer of ``depth`` off."""
        return logistic(self.trial_logit + self.coupon_response * person.price_sensitivity * depth)

    def draw_lapsed(self, k: int, rng: np.random.Generator, pool: Pool) -> list[Person]:
        """Take up to ``k`` former customers who are still in the pool, each offered once."""
        out: list[Person] = []
        lapsed = self.lapsed
        while len(out) < k and lapsed:
            i = int(rng.integers(len(lapsed)))
            person = lapsed[i]
            lapsed[i] = lapsed[-1]
            lapsed.pop()
            if person.rel is None and pool.contains(person):
                out.append(person)
        return out

    def reach_rate(self, pool_size: int) -> float:
        """Expected prospects reached per day by the acquisition budget.

        Spend reaches the pool with diminishing returns: at cost per reached prospect ``c`` and
        daily spend ``s``, each of the ``P`` people in the pool is reached with probability
        ``1 - exp(-s / (c P))``, so the rate is ``s / c`` while the pool is large and falls as
        it thins. A reached prospect then tries the firm or not (:meth:`trial_probability`).

        Parameters
        ----------
        pool_size : int
            People who are nobody's customer.

        Returns
        -------
        float
        """
        s, c = self.rates.acquisition_spend, self.cost_per_reach
        if pool_size <= 0 or s <= 0.0:
            return 0.0
        return pool_size * -math.expm1(-s / (c * pool_size))

    def referral_rate(self, reachable_share: float) -> float:
        """Expected referral acquisitions per day.

        Advocates and partners recommend the firm at their rung's rate (raised for members of
        a partnership programme); a recommendation wins a customer when it reaches someone who
        is nobody's customer yet.
        """
        by_rung = self.active_by_rung
        return reachable_share * sum(n * r for n, r in zip(by_rung, self.referrals, strict=True))
