"""Random streams: one seed, one ``numpy.random.Generator`` per replication and mechanism.

Following the practice of Ciw and the NHS SimPy templates, every mechanism draws from its own
stream, keyed ``SeedSequence(seed, spawn_key=(replication, mechanism))``, so replication *i*
of every scenario sees the same draws for the same mechanism (common random numbers) and the
numbers do not depend on how many processes run the replications. No global random state is
ever touched.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np


class Mechanism(IntEnum):
    """The model's random mechanisms, each with its own stream."""

    POPULATION = 0
    INITIAL = 1
    LIFE = 2
    ACQUISITION = 3
    SERVICE = 4
    PURCHASES = 5
    CHOICE = 6  # the repertoire market's choice propensities


def generator(seed: int, mechanism: Mechanism, replication: int = 0) -> np.random.Generator:
    """The generator of one mechanism in one replication.

    Parameters
    ----------
    seed : int
        The root seed of the study.
    mechanism : Mechanism
        Which mechanism draws from it.
    replication : int
        Replication index.

    Returns
    -------
    numpy.random.Generator
    """
    ss = np.random.SeedSequence(seed, spawn_key=(replication, int(mechanism)))
    return np.random.Generator(np.random.PCG64(ss))


class UniformStream:
    """Scalar uniforms drawn in blocks from a generator.

    The event loop needs many single draws; asking numpy for one number at a time costs about
    a microsecond each, so numbers are drawn a block at a time and handed out from a list.
    The sequence is the generator's own, hence fully reproducible.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the numbers.
    block : int
        How many numbers to draw at a time.
    """

    __slots__ = ("_rng", "_block", "_buf")

    def __init__(self, rng: np.random.Generator, block: int = 8192) -> None:
        self._rng = rng
        self._block = block
        self._buf: list[float] = []

    def uniform(self) -> float:
        """A uniform number in [0, 1)."""
        buf = self._buf
        if not buf:
            buf.extend(self._rng.random(self._block).tolist())
        return buf.pop()

    def discard_drawn(self) -> None:
        """Drop the numbers drawn ahead; the stream goes on with the generator's next block."""
        self._buf = []

    def exponential(self, rate: float) -> float:
        """An exponential waiting time with the given rate (``inf`` for a zero rate)."""
        if rate <= 0.0:
            return math.inf
        return -math.log1p(-self.uniform()) / rate
