"""Self-contained HTML report of a run (plotly, with plotly.js inlined: works offline).

The report reads only the run's tables: the model knows nothing of it.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from relsim.causes import CAUSE_LABELS
from relsim.economics import COST_LINES, daily_ledger, period_ledger, value_frequency_groups
from relsim.facts import facts_frame, measure
from relsim.ladder import RELATIONSHIP_RUNGS
from relsim.simulation import SimulationResult


def _ladder_figure(ts: pd.DataFrame, firm: str) -> go.Figure:
    own = ts[ts["firm"] == firm]
    fig = go.Figure()
    for r in RELATIONSHIP_RUNGS:
        fig.add_trace(go.Scatter(x=own["date"], y=own[r.label], name=r.label, stackgroup="one",
                                 mode="lines", line={"width": 0.5}))
    fig.update_layout(title=f"{firm}: customers on each rung of the ladder",
                      yaxis_title="customers", hovermode="x unified")
    return fig


def _bucket_figure(ts: pd.DataFrame, firm: str) -> go.Figure:
    own = ts[ts["firm"] == firm].iloc[1:]  # row 0 holds the initial customers
    weekly = own.set_index("date").resample("W").sum(numeric_only=True)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=weekly.index, y=weekly["acquired_total_flow"], name="acquired",
                         marker_color="#2a9d8f"))
    for cause in CAUSE_LABELS:
        fig.add_trace(go.Bar(x=weekly.index, y=-weekly[f"lost_{cause}"], name=f"lost: {cause}"))
    fig.add_trace(go.Scatter(x=own["date"], y=own["active"], name="customers", mode="lines",
                             line={"color": "black"}), secondary_y=True)
    fig.update_layout(barmode="relative", title=f"{firm}: the leaky bucket, weekly inflow and "
                      "outflow by cause", hovermode="x unified")
    fig.update_yaxes(title_text="per week", secondary_y=False)
    fig.update_yaxes(title_text="customers", secondary_y=True)
    return fig


def _money_figure(ledger: pd.DataFrame, firm: str, period: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Bar(x=ledger["period"], y=ledger["gross_margin"], name="gross margin",
                         marker_color="#2a9d8f"))
    for line in COST_LINES:
        if ledger[line].abs().sum() > 0:
            fig.add_trace(go.Bar(x=ledger["period"], y=-ledger[line], name=line))
    fig.add_trace(go.Scatter(x=ledger["period"], y=ledger["profit"], name="profit",
                             mode="lines+markers", line={"color": "black"}))
    fig.update_layout(barmode="relative", title=f"{firm}: margin, cost lines (Table 7.3) and "
                      f"profit per {period}", hovermode="x unified")
    return fig


def write_run_report(result: SimulationResult, path: Path) -> None:
    """Write the HTML report of one run.

    Parameters
    ----------
    result : SimulationResult
        The run.
    path : Path
        Where to write ``report.html``.
    """
    firm = result.focal
    ts = result.timeseries.copy()
    acq_cols = [c for c in ts.columns if c.startswith("acquired_") and not c.endswith("to_date")]
    ts["acquired_total_flow"] = ts[acq_cols].sum(axis=1)
    facts = facts_frame(measure(result.customers, result.transactions, firm,
                                result.scenario.simulation.days))
    facts["run"] = facts["run"].map(lambda v: f"{v:.1%}")
    facts["holds"] = facts["holds"].map({True: "yes", False: "NO"})
    sc = result.scenario
    ledger = period_ledger(daily_ledger(sc, result.tables(), firm), sc.economics.period)
    groups = value_frequency_groups(result.transactions, firm, sc.simulation.days)
    for col in ("share_of_buyers", "share_of_revenue"):
        groups[col] = groups[col].map(lambda v: f"{v:.1%}")
    groups = groups.round(2)
    figs = [_ladder_figure(ts, firm), _bucket_figure(ts, firm),
            _money_figure(ledger, firm, sc.economics.period)]
    parts = [figs[0].to_html(full_html=False, include_plotlyjs=True)]
    parts += [f.to_html(full_html=False, include_plotlyjs=False) for f in figs[1:]]
    body = f"""<!doctype html><html><head><meta charset="utf-8">
<title>relsim run: {html.escape(sc.name)} (seed {result.seed})</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px}}</style>
</head><body>
<h1>relsim run: {html.escape(sc.name)}, seed {result.seed}</h1>
<p>{html.escape(sc.description)}</p>
<p>{sc.simulation.people} people, {sc.simulation.days:g} days from {sc.simulation.start_date};
focal firm <b>{html.escape(firm)}</b>.</p>
<h2>Source figures beside this run</h2>
{facts.to_html(index=False, escape=True)}
{''.join(parts)}
<h2>Buyers by value and frequency (main seed, Table 7.2)</h2>
<p>Split at the medians of purchases per month and mean purchase value.</p>
{groups.to_html(index=False, escape=True)}
</body></html>"""
    Path(path).write_text(body, encoding="utf-8")
