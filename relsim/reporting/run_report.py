"""Self-contained HTML report of a run (plotly, with plotly.js inlined: works offline).

The report reads only the run's tables (figures from :mod:`relsim.reporting.figures`): the
model knows nothing of it, and ``relsim report DIR`` rebuilds it from a run folder alone.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from relsim.analysis.economics import (
    daily_ledger,
    period_ledger,
    realised_clv,
    value_frequency_groups,
)
from relsim.analysis.facts import display_table, headline, run_facts
from relsim.analysis.simulation import SimulationResult
from relsim.config.schema import Scenario
from relsim.config.targets import default_targets_path, load_targets
from relsim.reporting.figures import (
    bucket_figure,
    cause_mix_figure,
    clv_figure,
    ladder_figure,
    lorenz_figure,
    money_figure,
    value_frequency_figure,
)
from relsim.reporting.page import Part, write_page
from relsim.reporting.style import money


def write_run_report(
    result: SimulationResult, path: Path, facts: pd.DataFrame | None = None
) -> None:
    """Write the HTML report of one run.

    Parameters
    ----------
    result : SimulationResult
        The run.
    path : Path
        Where to write ``report.html``.
    facts : pandas.DataFrame, optional
        The run's judged facts (:func:`relsim.analysis.facts.run_facts`), if already made.
    """
    write_tables_report(result.tables(), result.scenario, result.seed, path, facts)


def write_tables_report(
    tables: dict[str, pd.DataFrame],
    sc: Scenario,
    seed: int,
    path: Path,
    facts_table: pd.DataFrame | None = None,
) -> None:
    """Write the HTML report of one run from its tables (also what ``relsim report`` does).

    Parameters
    ----------
    tables : dict of pandas.DataFrame
        The run's tables (:data:`relsim.storage.rundir.TABLES`).
    sc : Scenario
        The run's scenario.
    seed : int
        Its seed.
    path : Path
        Where to write ``report.html``.
    facts_table : pandas.DataFrame, optional
        The run's judged facts, if already made (else they are measured here).
    """
    firm = sc.market.focal
    currency = sc.economics.currency
    ts, tx, cu = tables["timeseries"], tables["transactions"], tables["customers"]
    days = sc.simulation.days
    if facts_table is None:
        facts_table = run_facts(tables, firm, days, sc, load_targets(default_targets_path()).facts)
    facts = display_table(facts_table)
    ledger = period_ledger(daily_ledger(sc, tables, firm), sc.economics.period)
    groups = value_frequency_groups(tx, firm, days)
    shown = groups.copy()
    for col in ("share_of_buyers", "share_of_revenue"):
        shown[col] = shown[col].map(lambda v: f"{v:.1%}")
    parts: list[Part] = [
        f"<p>{html.escape(sc.description)}</p>",
        f"<p>{sc.simulation.people:,} people, {days:,.0f} days from "
        f"{sc.simulation.start_date}; focal firm <b>{html.escape(firm)}</b>; seed {seed}. "
        f"Profit over the run {html.escape(money(ledger['profit'].sum(), currency))}.</p>",
        "<h2>Source figures beside this run</h2>",
        "<p class='note'>Each figure's role says what reproducing it shows: an <i>input</i> was "
        "set from the figure, a <i>calibrated</i> one was a target of the fit, only a "
        "<i>predicted</i> one is evidence for the mechanisms. The grade says how far the source "
        "can be trusted; <i>folklore</i> has no primary study. One run gives a point; "
        f"<code>relsim calibrate</code> judges intervals. {html.escape(headline(facts_table))}."
        "</p>",
        facts,
        "<h2>The ladder and the leaky bucket</h2>",
        ladder_figure(ts, firm),
        bucket_figure(ts, firm),
        cause_mix_figure(cu, firm),
        "<h2>Who brings the revenue</h2>",
        lorenz_figure(tx, firm),
        value_frequency_figure(groups),
        "<p class='note'>Split at the medians of purchases per month and mean purchase value.</p>",
        shown.rename(
            columns={
                "purchases_per_month": "purchases per month",
                "mean_purchase_value": f"mean purchase ({currency})",
                "revenue_per_buyer_year": f"revenue per buyer-year ({currency})",
            }
        ),
        "<h2>Money</h2>",
        money_figure(ledger, firm, sc.economics.period, currency),
        clv_figure(realised_clv(sc, tables, firm), currency),
    ]
    write_page(path, f"relsim run: {sc.name}, seed {seed}", parts)
