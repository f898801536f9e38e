"""The README's repertoire figures: double jeopardy, and the loyalty managers buy beyond it.

From a run of the grocery market (its last quarter) and the account-manager sweep:

    relsim run relsim:grocery --out results/runs/grocery
    relsim sweep experiments/sweeps/repertoire_managers.toml --workers 2
    python docs/repertoire_figure.py results/runs/grocery results/sweeps/repertoire_managers

Prints a Markdown table of the sweep (means and 95% intervals over replications) and writes
docs/img/repertoire.png (an offline page drawn in Debian's Chromium).
"""

from __future__ import annotations

import sys
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots
from staffing_figure import curve, panel, screenshot, table

from relsim.analysis.brands import dirichlet_for, observed_measures, static_panel
from relsim.analysis.dirichlet import Dirichlet
from relsim.analysis.metrics import BRAND_WINDOW_DAYS
from relsim.storage.rundir import read_manifest, read_table

OUT = Path(__file__).parent / "img" / "repertoire.png"

OUTPUTS = {
    "brand_scr": "share of its buyers' requirements",
    "excess_purchases_per_buyer": "purchases per buyer minus Dirichlet",
    "excess_sole_buyers": "sole buyers minus Dirichlet",
    "defections_neglect_per_customer_year": "neglect endings per customer-year",
    "brand_market_share": "market share",
    "profit": "profit over 2 years",
}


def double_jeopardy(run: Path, fig: go.Figure) -> str:
    """The run's last quarter: each store and the fitted Dirichlet's line, in panel (1, 1)."""
    meta = read_manifest(run)
    sim = meta["scenario"]["simulation"]
    days = float(sim["days"])
    tx = read_table(run, "transactions", ["customer_id", "firm", "day"])
    ev = read_table(run, "events", ["customer_id", "day", "event"])
    purchases, size = static_panel(
        tx, ev, int(sim["people"]), max(0.0, days - BRAND_WINDOW_DAYS), days
    )
    observed, category = observed_measures(purchases, size, list(meta["scenario"]["firms"]))
    d = dirichlet_for(observed, category).model
    top = float(observed["market_share"].max())
    line = [Dirichlet(d.M, d.K, d.S, (s,)) for s in [top * k / 60 for k in range(1, 70)]]
    fig.add_trace(
        go.Scatter(
            x=[float(x.penetration()[0]) for x in line],
            y=[float(x.purchases_per_buyer()[0]) for x in line],
            mode="lines",
            line={"color": "#888", "dash": "dash"},
            name="NBD-Dirichlet (fitted)",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=observed["penetration"],
            y=observed["purchases_per_buyer"],
            mode="markers+text",
            text=list(observed.index),
            textposition="top center",
            marker={"size": 10, "color": "#264653"},
            name="stores (observed)",
        ),
        row=1,
        col=1,
    )
    fig.update_xaxes(title_text="penetration in the quarter", tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title_text="purchases per buyer in the quarter", row=1, col=1)
    return f"M = {d.M:.2f}, K = {d.K:.2f}, S = {d.S:.2f}"


def main() -> None:
    """Print the table and draw the image."""
    run, sweep = Path(sys.argv[1]), Path(sys.argv[2])
    c = curve(sweep, "account_managers", list(OUTPUTS))
    print(table(c, "account_managers", OUTPUTS))
    fig = make_subplots(
        rows=2,
        cols=4,
        specs=[[{"rowspan": 2, "colspan": 2}, None, {}, {}], [None, None, {}, {}]],
        subplot_titles=["double jeopardy (last quarter)", *list(OUTPUTS.values())[:4]],
        vertical_spacing=0.16,
        horizontal_spacing=0.08,
    )
    fit = double_jeopardy(run, fig)
    for o, (row, col) in zip(list(OUTPUTS)[:4], [(1, 3), (1, 4), (2, 3), (2, 4)], strict=True):
        panel(fig, c, "account_managers", o, row, col)
        fig.update_xaxes(title_text="account managers (focal store)", row=row, col=col)
    fig.update_layout(
        template="plotly_white",
        height=720,
        width=1400,
        margin={"t": 100, "l": 60, "r": 30, "b": 60},
        showlegend=False,
        title="The grocery repertoire market: stores on the fitted NBD-Dirichlet's line "
        f"({fit}),<br>and the loyalty the focal store's account managers buy beyond it "
        "(means and 95% intervals over 4 replications)",
    )
    screenshot(fig, OUT)


if __name__ == "__main__":
    main()
