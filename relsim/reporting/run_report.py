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
    if sc.market.choice == "repertoire":
        parts += brands_parts(tables, sc)
    write_page(path, f"relsim run: {sc.name}, seed {seed}", parts)


def brands_parts(tables: dict[str, pd.DataFrame], sc: Scenario) -> list[Part]:
    """The repertoire market's brand measures over the run's last quarter, and the Dirichlet's.

    The same window and panel as the run's ``brand_*`` metrics
    (:func:`relsim.analysis.metrics.brand_metrics`); a line saying why when no Dirichlet can
    be fitted.
    """
    from relsim.analysis.brands import PanelError, dirichlet_for, observed_measures, static_panel
    from relsim.analysis.metrics import BRAND_MEASURES, BRAND_WINDOW_DAYS
    from relsim.reporting.brands_report import double_jeopardy_figure

    days = float(sc.simulation.days)
    start = max(0.0, days - BRAND_WINDOW_DAYS)
    purchases, size = static_panel(
        tables["transactions"], tables["events"], sc.simulation.people, start, days
    )
    try:
        observed, category = observed_measures(purchases, size, list(sc.firms))
        fit = dirichlet_for(observed, category)
    except PanelError as err:
        return ["<h2>Brands and the NBD-Dirichlet</h2>", f"<p>{html.escape(str(err))}</p>"]
    d = fit.model
    theory = d.measures().reindex(observed.index)
    # The Dirichlet takes the market shares as given: only the other measures are predicted.
    table = pd.DataFrame(
        {"firm": observed.index, "market share": observed["market_share"]}
    ).reset_index(drop=True)
    for m in BRAND_MEASURES[1:]:
        table[f"{m.replace('_', ' ')} (observed)"] = observed[m].to_numpy()
        table[f"{m.replace('_', ' ')} (Dirichlet)"] = theory[m].to_numpy()
    return [
        "<h2>Brands and the NBD-Dirichlet</h2>",
        f"<p>Days {start:g} to {days:g} of the run ({size:,} people in the market throughout, "
        f"{category.penetration:.1%} of them bought; {category.buy_rate:.2f} purchases per "
        f"buyer). The NBD-Dirichlet fitted to the same window, as the NBDdirichlet package "
        f"fits a period's summary: M = {d.M:.3f}, K = {d.K:.3f}, S = {d.S:.3f}. Where a "
        "firm's relationships make it more loyal than its size alone would, it lies above the "
        "line (excess loyalty).</p>",
        double_jeopardy_figure(observed, d),
        table.round(3),
    ]
