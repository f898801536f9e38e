"""Simulate a scenario and get its tables: the Python face of ``relsim run``.

>>> import relsim
>>> result = relsim.simulate(relsim.load_scenario(), seed=7)   # doctest: +SKIP
>>> result.transactions.head()                                  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from relsim.analysis.tables import (
    customers_table,
    events_table,
    timeseries_table,
    transactions_table,
)
from relsim.config.schema import Scenario
from relsim.model.market import Market
from relsim.model.records import EventKind
from relsim.storage.rundir import TABLES


@dataclass
class SimulationResult:
    """The tables of one run, with what is needed to trace and rerun it."""

    scenario: Scenario
    seed: int
    replication: int
    transactions: pd.DataFrame
    events: pd.DataFrame
    customers: pd.DataFrame
    timeseries: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def focal(self) -> str:
        """Name of the focal firm."""
        return self.scenario.market.focal

    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables by name."""
        return {name: getattr(self, name) for name in TABLES}

    def event_counts(self) -> dict[str, int]:
        """How many events of each kind, and how many purchases, the run produced."""
        counts = self.events["event"].value_counts()
        out = {k.label: int(counts.get(k.label, 0)) for k in EventKind}
        out["purchases"] = len(self.transactions)
        return out


def simulate(scenario: Scenario, seed: int | None = None, replication: int = 0,
             on_day: Callable[[float], None] | None = None) -> SimulationResult:
    """Simulate a scenario and return its tables as DataFrames.

    Parameters
    ----------
    scenario : Scenario
        From :func:`relsim.load_scenario`.
    seed : int, optional
        Root seed; the scenario's ``simulation.seed`` when omitted.
    replication : int
        Replication index: independent streams under the same seed.
    on_day : callable, optional
        Called with the simulated time at each daily round (progress reporting).

    Returns
    -------
    SimulationResult
    """
    seed = scenario.simulation.seed if seed is None else seed
    t0 = time.perf_counter()
    market = Market(scenario, seed, replication)
    market.run(on_day)
    t1 = time.perf_counter()
    tx = transactions_table(market)
    result = SimulationResult(
        scenario=scenario,
        seed=seed,
        replication=replication,
        transactions=tx,
        events=events_table(market),
        customers=customers_table(market, tx),
        timeseries=timeseries_table(market, tx),
    )
    t2 = time.perf_counter()
    result.timings = {"simulate_seconds": t1 - t0, "tables_seconds": t2 - t1}
    return result


def manifest(result: SimulationResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a run folder's ``manifest.json`` says: enough to trace and rerun the run."""
    from relsim.storage.provenance import provenance

    data = {
        "scenario": result.scenario.to_dict(),
        "seed": result.seed,
        "replication": result.replication,
        **provenance(),
        "timings": result.timings,
        "event_counts": result.event_counts(),
        "rows": {name: len(df) for name, df in result.tables().items()},
    }
    if extra:
        data.update(extra)
    return data
