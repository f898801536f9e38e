"""One replication of one scenario, as the engine's workers compute it.

The work is a plain function of picklable arguments (the scenario as data, the seed and the
replication number), so any backend can run it; it returns the replication's tables, which
the process that runs the study files.
"""

from __future__ import annotations

from typing import Any

#: The table of each replication's batch means of its rung counts.
WARMUP = "warmup"


def replicate(
    scenario_data: dict[str, Any], seed: int, rep: int, firms: str = "all", ledger: bool = True
) -> dict[str, Any]:
    """Simulate replication ``rep`` of a scenario and measure it.

    Parameters
    ----------
    scenario_data : dict
        The scenario as plain data (``Scenario.to_dict()``).
    seed : int
        The study's root seed.
    rep : int
        Replication number: the streams ``SeedSequence(seed, (rep, mechanism))``.
    firms : {"all", "focal"}
        Whose figures to measure.
    ledger : bool
        Also return each measured firm's period ledger.

    Returns
    -------
    dict of pandas.DataFrame
        ``metrics`` (one row per firm: ``firm``, ``focal``, the figures of
        :func:`relsim.analysis.metrics.run_metrics` and the MSER-5 check of the warm-up:
        ``warmup_days``, ``warmup_truncation_day``, ``warmup_steady``) and, if asked,
        ``ledger`` (one row per firm and period); always ``warmup``, the 5-day batch means
        of each measured firm's rung counts from the start of the warm-up, which a study
        averages over its replications to judge the warm-up
        (:func:`relsim.analysis.warmup.replication_warmup`).
    """
    import pandas as pd

    from relsim.analysis.economics import daily_ledger, period_ledger
    from relsim.analysis.metrics import brand_metrics, run_metrics
    from relsim.analysis.simulation import simulate
    from relsim.analysis.tables import firm_rows
    from relsim.config.schema import Scenario, validate

    sc = validate(scenario_data, Scenario)
    result = simulate(sc, seed=seed, replication=rep)
    tables = result.tables()
    focal = sc.market.focal
    names = list(sc.firms) if firms == "all" else [focal]
    rows, frames = [], []
    brands = brand_metrics(sc, tables)  # the market's: one Dirichlet for every firm
    for f in names:
        # The firm's purchases and daily ledger, once, for the figures and the ledger.
        own = {**tables, "transactions": firm_rows(tables["transactions"], f)}
        daily = daily_ledger(sc, own, f)
        m = run_metrics(sc, own, f, daily, brands[f])
        rows.append({"firm": f, "focal": f == focal, **m, **_warmup_columns(result, f)})
        if ledger:
            lg = period_ledger(daily, sc.economics.period)
            lg.insert(0, "firm", f)
            frames.append(lg)
    assert result.warmup is not None and result.warmup.batches is not None  # simulate() sets it
    batches = result.warmup.batches
    out: dict[str, Any] = {
        "metrics": pd.DataFrame(rows),
        WARMUP: batches[batches["firm"].isin(names)].reset_index(drop=True),
    }
    if ledger:
        out["ledger"] = pd.concat(frames, ignore_index=True)
    return out


def _warmup_columns(result: Any, firm: str) -> dict[str, Any]:
    """The run's warm-up and the latest MSER-5 truncation point of the firm's series."""
    points = result.warmup.points
    own = points[points["firm"] == firm]
    return {
        "warmup_days": float(result.warmup.warmup_days),
        "warmup_truncation_day": float(own["truncation_day"].max()) if len(own) else 0.0,
        "warmup_steady": bool(own["steady"].all()) if len(own) else True,
    }
