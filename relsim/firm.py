"""Firms: symmetric agents, each run by its own strategy.

The focal firm is the one a user studies; the rest of the market is one rival or several.
A firm holds its strategy's figures, its account team and service desk, and the counters the
time series is built from (active customers by rung, acquisitions by channel, losses by cause).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from relsim.causes import Cause
from relsim.ladder import Rung
from relsim.rates import FirmRates
from relsim.records import Channel
from relsim.scenario import Strategy
from relsim.staff import AccountTeam, ServiceDesk

if TYPE_CHECKING:
    from relsim.model import Market


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
        self.team = AccountTeam(market, self)
        self.desk = ServiceDesk(market, self)
        self.max_saving = -math.inf  # set by the market once all firms exist

    def paid_acquisition_rate(self, pool_size: int) -> float:
        """Expected acquisitions per day from the acquisition budget.

        Spend reaches the pool with diminishing returns: at cost per acquisition ``c`` and daily
        spend ``s``, each of the ``P`` people in the pool is converted with probability
        ``1 - exp(-s / (c P))``, so the rate is ``s / c`` while the pool is large and falls as
        it thins.

        Parameters
        ----------
        pool_size : int
            People who are nobody's customer.

        Returns
        -------
        float
        """
        s, c = self.rates.acquisition_spend, self.rates.cost_per_acquisition
        if pool_size <= 0 or s <= 0.0:
            return 0.0
        return pool_size * -math.expm1(-s / (c * pool_size))

    def referral_rate(self, referrals: tuple[float, ...], reachable_share: float) -> float:
        """Expected referral acquisitions per day.

        Advocates and partners recommend the firm at their rung's rate; a recommendation wins a
        customer when it reaches someone who is nobody's customer yet.
        """
        by_rung = self.active_by_rung
        return reachable_share * sum(n * r for n, r in zip(by_rung, referrals, strict=True))
