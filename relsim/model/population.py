"""The people of the market: heterogeneous purchase habits, spend and temperaments.

Each person belongs to a purchase-frequency segment (lecture notes: 20% buy monthly, 50% weekly,
30% twice a week) with a personal purchase rate around the segment's, a personal mean basket
(log-normal, so a few people spend a lot), a price sensitivity and a propensity to complain.
People enter the market, may be customers of at most one firm at a time, and leave it when
they relocate or die; a newcomer replaces each leaver, so the population turns over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from relsim.config.schema import Population

if TYPE_CHECKING:
    from relsim.model.relationship import Relationship


class Person:
    """One person in the market, with the latent traits the model draws for them."""

    __slots__ = (
        "id",
        "segment",
        "rate",
        "basket",
        "price_sensitivity",
        "complaint_propensity",
        "entered",
        "rel",
        "past_firms",
        "propensity",
        "rels",
    )

    def __init__(
        self,
        pid: int,
        segment: int,
        rate: float,
        basket: float,
        price_sensitivity: float,
        complaint_propensity: float,
        entered: float,
    ) -> None:
        self.id = pid
        self.segment = segment
        self.rate = rate  # purchases per day at a full share of wallet
        self.basket = basket  # mean spend per purchase at price index 1
        self.price_sensitivity = price_sensitivity
        self.complaint_propensity = complaint_propensity
        self.entered = entered
        self.rel: Relationship | None = None
        self.past_firms = 0  # bit mask of firms this person has bought from
        # In a repertoire market: choice propensities over the firms, and the relationship
        # with each firm of the repertoire (None where the firm is not in it).
        self.propensity: tuple[float, ...] = ()
        self.rels: list[Relationship | None] = []


class PersonFactory:
    """Draws new people, a block of attributes at a time, from one random stream.

    Parameters
    ----------
    spec : Population
        The scenario's population section.
    rng : numpy.random.Generator
        The population stream.
    block : int
        People drawn per block.
    """

    def __init__(
        self,
        spec: Population,
        rng: np.random.Generator,
        block: int = 4096,
        choice: tuple[np.random.Generator, np.ndarray] | None = None,
    ) -> None:
        self.segment_names = tuple(spec.segments)
        segs = list(spec.segments.values())
        self._shares = np.array([s.share for s in segs])
        self._rates = np.array([s.purchases_per_year / 365.0 for s in segs])
        self._baskets = np.array([s.basket for s in segs])
        self._spec = spec
        self._rng = rng
        self._block = block
        self._rows: list[tuple[int, float, float, float, float]] = []
        # a repertoire market's choice stream and Dirichlet parameters (one per firm)
        self._choice = choice
        self._propensities: list[tuple[float, ...]] = []
        self.next_id = 0

    def _refill(self) -> None:
        spec, rng, n = self._spec, self._rng, self._block
        seg = rng.choice(len(self._shares), size=n, p=self._shares)
        rate = self._rates[seg] * rng.gamma(spec.rate_shape, 1.0 / spec.rate_shape, n)
        sigma = spec.basket_sigma
        basket = self._baskets[seg] * rng.lognormal(-0.5 * sigma * sigma, sigma, n)
        sens = rng.gamma(spec.price_sensitivity_shape, 1.0 / spec.price_sensitivity_shape, n)
        m, c = spec.complaint_propensity_mean, spec.complaint_propensity_concentration
        complain = rng.beta(m * c, (1.0 - m) * c, n)
        rows = list(
            zip(
                seg.tolist(),
                rate.tolist(),
                basket.tolist(),
                sens.tolist(),
                complain.tolist(),
                strict=True,
            )
        )
        rows.reverse()  # handed out with pop(), in drawing order
        self._rows = rows
        if self._choice is not None:
            choice_rng, alpha = self._choice
            props = [tuple(p) for p in choice_rng.dirichlet(alpha, n).tolist()]
            props.reverse()
            self._propensities = props

    def discard_drawn(self) -> None:
        """Drop the people drawn ahead; the next newcomer starts the generator's next block."""
        self._rows = []
        self._propensities = []

    def new(self, now: float) -> Person:
        """A newcomer entering the market at time ``now`` (days)."""
        if not self._rows:
            self._refill()
        seg, rate, basket, sens, complain = self._rows.pop()
        p = Person(self.next_id, seg, rate, basket, sens, complain, now)
        if self._choice is not None:
            p.propensity = self._propensities.pop()
        self.next_id += 1
        return p


class Pool:
    """People who are nobody's customer: the reachable pool that acquisition draws from.

    A list with swap-removal, so that adding, removing and drawing at random are O(1) and the
    order (hence every draw) is reproducible.
    """

    def __init__(self) -> None:
        self._people: list[Person] = []
        self._where: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._people)

    def add(self, person: Person) -> None:
        """Put a person in the pool."""
        self._where[person.id] = len(self._people)
        self._people.append(person)

    def contains(self, person: Person) -> bool:
        """Whether ``person`` is in the pool."""
        return person.id in self._where

    def remove(self, person: Person) -> None:
        """Take a given person out of the pool."""
        i = self._where.pop(person.id)
        last = self._people.pop()
        if last is not person:
            self._people[i] = last
            self._where[last.id] = i

    def draw(self, k: int, rng: np.random.Generator) -> list[Person]:
        """Take ``k`` distinct people at random out of the pool (fewer if it holds fewer)."""
        k = min(k, len(self._people))
        if k <= 0:
            return []
        idx = rng.choice(len(self._people), size=k, replace=False)
        chosen = [self._people[i] for i in idx.tolist()]
        for p in chosen:
            self.remove(p)
        return chosen
