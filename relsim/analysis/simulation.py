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
    RUNG_COLUMNS,
    customers_table,
    events_table,
    snapshot_frame,
    timeseries_table,
    transactions_table,
)
from relsim.analysis.warmup import WarmupCheck, warmup_check
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
    warmup: WarmupCheck | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def focal(self) -> str:
        """Name of the focal firm."""
        return self.scenario.market.focal

    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables by name."""
        return {name: getattr(self, name) for name in TABLES}

    def metrics(self, firm: str | None = None) -> dict[str, float]:
        """The run's figures for one firm (default: the focal firm), as a study measures them.

        Parameters
        ----------
        firm : str, optional
            Whose figures.

        Returns
        -------
        dict
            Metric name -> value (:func:`relsim.analysis.metrics.metric_names` lists them),
            brand measures and the NBD-Dirichlet's included.
        """
        from relsim.analysis.metrics import brand_metrics, run_metrics

        firm = self.focal if firm is None else firm
        if firm not in self.scenario.firms:
            raise KeyError(f"no firm '{firm}' in scenario '{self.scenario.name}'")
        tables = self.tables()
        brands = brand_metrics(self.scenario, tables)  # the market's Dirichlet, fitted once
        return run_metrics(self.scenario, tables, firm, brands=brands[firm])

    def ledger(self, period: str | None = None, firm: str | None = None) -> pd.DataFrame:
        """The firm's profit and loss by period: revenue, every cost line and profit.

        Parameters
        ----------
        period : {"day", "month", "quarter", "year"}, optional
            The rows (default: the scenario's ``economics.period``); "day" gives the daily
            ledger itself.
        firm : str, optional
            Whose ledger (default: the focal firm).

        Returns
        -------
        pandas.DataFrame
        """
        from relsim.analysis.economics import daily_ledger, period_ledger

        firm = self.focal if firm is None else firm
        daily = daily_ledger(self.scenario, self.tables(), firm)
        if period == "day":
            return daily
        return period_ledger(daily, period or self.scenario.economics.period)

    def event_counts(self) -> dict[str, int]:
        """How many events of each kind, and how many purchases, the measured window had."""
        counts = self.events["event"].value_counts()
        out = {k.label: int(counts.get(k.label, 0)) for k in EventKind}
        out["purchases"] = len(self.transactions)
        return out


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    on_day: Callable[[float], None] | None = None,
) -> SimulationResult:
    """Simulate a scenario and return the tables of its measured window.

    Parameters
    ----------
    scenario : Scenario
        From :func:`relsim.load_scenario`.
    seed : int, optional
        Root seed; the scenario's ``simulation.seed`` when omitted.
    replication : int
        Replication index: independent streams under the same seed.
    on_day : callable, optional
        Called with the simulated time (days since the warm-up began) at each daily round.

    Returns
    -------
    SimulationResult
        With the MSER-5 check of the warm-up (:mod:`relsim.analysis.warmup`).
    """
    seed = scenario.simulation.seed if seed is None else seed
    t0 = time.perf_counter()
    market = Market(scenario, seed, replication)
    market.run(on_day)
    return result_of(market, time.perf_counter() - t0)


def result_of(
    market: Market, simulate_seconds: float = float("nan"), compact: bool = False
) -> SimulationResult:
    """The tables of a market that has run (what :func:`simulate` returns).

    The market's objects are released first (:meth:`Market.release`) and each of its
    records once tabled, so a market is tabled once. ``compact``
    tables (for writing, :func:`relsim.analysis.tables.as_written`) leave out the purchases'
    and events' dates and hold ids in 32 bits.

    The command line runs the :class:`~relsim.model.market.Market` itself, so that pandas is
    not even imported before the simulation is under way, and then calls this.
    """
    t1 = time.perf_counter()
    market.release()
    # Each record goes once its table holds it: a big run's memory peaks here.
    events = events_table(market, compact)
    market.log.drop_events()
    tx = transactions_table(market, compact)
    market.log.drop_purchases()
    snapshots = snapshot_frame(market)
    result = SimulationResult(
        scenario=market.scenario,
        seed=market.seed,
        replication=market.replication,
        transactions=tx,
        events=events,
        customers=customers_table(market, tx, events),
        timeseries=timeseries_table(market, tx, snapshots),
        warmup=warmup_check(snapshots, [f.name for f in market.firms], market.warmup, RUNG_COLUMNS),
    )
    result.timings = {
        "simulate_seconds": simulate_seconds,
        "tables_seconds": time.perf_counter() - t1,
        "simpy_events": float(market.simpy_events),
    }
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
    if result.warmup is not None:
        data["warmup_check"] = {
            "warmup_days": result.warmup.warmup_days,
            "short": result.warmup.short,
            "message": result.warmup.message(),
            "points": result.warmup.points.to_dict(orient="records"),
        }
    if extra:
        data.update(extra)
    return data
