"""``relsim app``: an interactive leaky-bucket page for teaching (Dash, served on 127.0.0.1).

Sliders set the focal firm's levers in a small market (3,000 people over two years); each
change reruns the simulation (about a second) and redraws the bucket, the ladder and profit
from the run's tables with the figures of :mod:`relsim.reporting.figures`. Every setting is
run with the same seed, so the class compares like with like: the same people and the same
luck, only the levers differ. The page is a separate layer: the model knows nothing of it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import plotly.graph_objects as go

from relsim.analysis.economics import daily_ledger, period_ledger
from relsim.analysis.metrics import run_metrics
from relsim.analysis.simulation import simulate
from relsim.config.loading import load_scenario
from relsim.config.schema import Scenario
from relsim.reporting.figures import TEMPLATE, bucket_figure, ladder_figure

SEED = 20240101
# The default scenario at 30% of its size: staff, budgets and fixed costs scaled alike.
MARKET = [
    "simulation.people=3000",
    "simulation.days=730",
    *[
        f"firms.{f}.{k}"
        for f in ("focal", "rival")
        for k in (
            "initial_customers=900",
            "account_managers=1",
            "acquisition_budget_per_year=27000",
            "costs.other_per_year=75000",
        )
    ],
]
BASE_CADENCE = {"customer": 30, "client": 90, "supporter": 60, "advocate": 45, "partner": 45}
# Spending on service quality: each percentage point of failures below the default 3% costs
# this much a year (the levers experiment's "better service" arm, scaled to this market).
QUALITY_COST_PER_POINT = 4000.0

SLIDERS: dict[str, dict[str, Any]] = {
    "budget": {
        "label": "Acquisition spend per year",
        "min": 0,
        "max": 90000,
        "step": 4500,
        "value": 27000,
        "marks": {0: "0", 27000: "27k", 54000: "54k", 90000: "90k"},
    },
    "managers": {
        "label": "Account managers",
        "min": 0,
        "max": 4,
        "step": 1,
        "value": 1,
        "marks": {i: str(i) for i in range(5)},
    },
    "cadence": {
        "label": "Contact a client every ... days (other rungs in proportion)",
        "min": 30,
        "max": 180,
        "step": 15,
        "value": 90,
        "marks": {30: "30", 90: "90", 180: "180"},
    },
    "failures": {
        "label": "Service failures per 100 purchases (fewer costs "
        f"{QUALITY_COST_PER_POINT:,.0f} a year per point below 3)",
        "min": 1,
        "max": 8,
        "step": 0.5,
        "value": 3,
        "marks": {1: "1", 3: "3", 5: "5", 8: "8"},
    },
    "price": {
        "label": "Price index against the rival",
        "min": 0.9,
        "max": 1.1,
        "step": 0.01,
        "value": 1.0,
        "marks": {0.9: "0.90", 1.0: "1.00", 1.1: "1.10"},
    },
    "loyalty": {
        "label": "Loyalty discount from supporter up (%)",
        "min": 0,
        "max": 15,
        "step": 1,
        "value": 0,
        "marks": {0: "0", 5: "5", 10: "10", 15: "15"},
    },
}
# The two strategies of scenarios/transactional.toml and scenarios/relationship.toml, in the
# spirit of those files and on this page's levers: fill the bucket faster, or plug its holes.
PRESETS = {
    "transactional": {
        "budget": 81000,
        "managers": 1,
        "cadence": 90,
        "failures": 3,
        "price": 0.97,
        "loyalty": 0,
    },
    "relationship": {
        "budget": 18000,
        "managers": 2,
        "cadence": 45,
        "failures": 2,
        "price": 1.0,
        "loyalty": 5,
    },
}
EXPLANATION = """
**What you are looking at.** A market of 3,000 people and two firms, simulated day by day
for two years. Every customer of the focal firm sits on a rung of the relationship ladder
(customer, client, supporter, advocate, partner) and can leave for a reason: a cheaper
rival (*price*), too long without a contact from an account manager (*neglect*), a service
failure that was not put right (*dissatisfaction*), moving away (*relocation*), or something
else.

**The leaky bucket.** Acquisition pours customers in (green bars, up); defections drain them
out, coloured by cause (bars below zero). The black line is the level in the bucket. A firm
that only spends on filling the bucket keeps paying to replace the customers it loses.

**Try it.** Raise the acquisition spend and watch the inflow grow, and the costs with it.
Then take one account manager away and watch the orange *neglect* outflow. Compare the two
presets: *transactional* fills the bucket, *relationship* plugs the holes. Every setting runs
with the same people and the same luck, so what changes is caused by the levers.
"""


def scenario_for(
    budget: float, managers: int, cadence: float, failures: float, price: float, loyalty: float
) -> Scenario:
    """The page's market with the focal firm's levers set as the sliders say."""
    factor = cadence / BASE_CADENCE["client"]
    every = ", ".join(f"{k} = {v * factor:g}" for k, v in BASE_CADENCE.items())
    quality = QUALITY_COST_PER_POINT * max(0.0, 3.0 - failures)
    return load_scenario(
        overrides=[
            *MARKET,
            f"firms.focal.acquisition_budget_per_year={budget}",
            f"firms.focal.account_managers={int(managers)}",
            f"firms.focal.contact_every_days={{{every}}}",
            f"firms.focal.service_failure_prob={failures / 100}",
            f"firms.focal.costs.service_quality_per_year={quality}",
            f"firms.focal.price_index={price}",
            f"firms.focal.loyalty_discount.depth={loyalty / 100}",
        ]
    )


@lru_cache(maxsize=64)
def run_levers(
    budget: float, managers: int, cadence: float, failures: float, price: float, loyalty: float
) -> dict[str, Any]:
    """Simulate one setting of the levers; the figures and key numbers of the run (cached)."""
    sc = scenario_for(budget, managers, cadence, failures, price, loyalty)
    result = simulate(sc, seed=SEED)
    tables = result.tables()
    firm = sc.market.focal
    ledger = period_ledger(daily_ledger(sc, tables, firm), "month")
    return {
        "bucket": bucket_figure(tables["timeseries"], firm, freq="MS"),
        "ladder": ladder_figure(tables["timeseries"], firm),
        "profit": profit_figure(ledger),
        "metrics": run_metrics(sc, tables),
    }


def profit_figure(ledger) -> go.Figure:
    """Monthly profit (bars) and cumulative profit (line)."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=ledger["period"], y=ledger["profit"], name="profit per month", marker_color="#8d99ae"
        )
    )
    fig.add_trace(
        go.Scatter(
            x=ledger["period"],
            y=ledger["profit"].cumsum(),
            name="cumulative profit",
            mode="lines",
            line={"color": "#264653", "width": 3},
        )
    )
    fig.update_layout(
        title="focal: profit after every cost line, per month and to date",
        hovermode="x unified",
        template=TEMPLATE,
    )
    return fig


def key_figures(m: dict[str, float]) -> list[tuple[str, str]]:
    """The numbers shown beside the figures."""
    return [
        ("profit over two years", f"{m['profit']:,.0f}"),
        ("customers: start, end", f"{m['customers_start']:,.0f} to {m['customers_end']:,.0f}"),
        ("won, lost", f"{m['acquired_new']:,.0f}, {m['lost_total']:,.0f}"),
        ("customers kept a year", f"{m['retention_rate']:.0%}"),
        ("cost per customer won", f"{m['cost_per_acquired']:,.0f}"),
        (
            "lost to neglect / price / dissatisfaction",
            f"{m['lost_neglect']:,.0f} / {m['lost_price']:,.0f} / {m['lost_dissatisfaction']:,.0f}",
        ),
        ("account managers busy", f"{m['account_manager_utilisation']:.0%}"),
        ("contacts per customer a year", f"{m['contacts_per_customer_year']:.1f}"),
    ]


def create_app():
    """The Dash application (not yet serving)."""
    from dash import Dash, Input, Output, ctx, dcc, html

    app = Dash(__name__, title="relsim: the leaky bucket")
    controls = []
    for key, s in SLIDERS.items():
        controls += [
            html.Label(s["label"], htmlFor=f"slider-{key}"),
            dcc.Slider(
                id=f"slider-{key}",
                min=s["min"],
                max=s["max"],
                step=s["step"],
                value=s["value"],
                marks=s["marks"],
                updatemode="mouseup",
                tooltip={"placement": "bottom", "always_visible": False},
            ),
        ]
    presets = [
        html.Button(
            f"{name} strategy", id=f"preset-{name}", n_clicks=0, style={"marginRight": "8px"}
        )
        for name in PRESETS
    ]
    app.layout = html.Div(
        style={
            "fontFamily": "system-ui, sans-serif",
            "maxWidth": "1250px",
            "margin": "auto",
            "padding": "0 1em",
        },
        children=[
            html.H1("The leaky bucket: filling it or plugging it"),
            dcc.Markdown(EXPLANATION),
            html.Div(
                style={"display": "flex", "gap": "2em"},
                children=[
                    html.Div(
                        style={"flex": "0 0 360px"},
                        children=[
                            html.H3("Levers of the focal firm"),
                            *presets,
                            html.Hr(),
                            *controls,
                            html.H3("This run"),
                            html.Table(id="key-figures"),
                        ],
                    ),
                    html.Div(
                        style={"flex": "1"},
                        children=[
                            dcc.Loading(
                                children=[
                                    dcc.Graph(id="bucket"),
                                    dcc.Graph(id="ladder"),
                                    dcc.Graph(id="profit"),
                                ]
                            )
                        ],
                    ),
                ],
            ),
        ],
    )
    keys = list(SLIDERS)

    @app.callback(
        *[Output(f"slider-{k}", "value") for k in keys],
        *[Input(f"preset-{name}", "n_clicks") for name in PRESETS],
        prevent_initial_call=True,
    )
    def apply_preset(*_clicks):
        chosen = PRESETS[ctx.triggered_id.removeprefix("preset-")]
        return tuple(chosen[k] for k in keys)

    @app.callback(
        Output("bucket", "figure"),
        Output("ladder", "figure"),
        Output("profit", "figure"),
        Output("key-figures", "children"),
        *[Input(f"slider-{k}", "value") for k in keys],
    )
    def update(*values):
        res = run_levers(*values)
        rows = [
            html.Tr([html.Th(k, style={"textAlign": "left"}), html.Td(v)])
            for k, v in key_figures(res["metrics"])
        ]
        return res["bucket"], res["ladder"], res["profit"], rows

    return app


def serve(port: int = 8050, debug: bool = False) -> None:
    """Serve the page on http://127.0.0.1:PORT until interrupted."""
    print(f"relsim app: open http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    create_app().run(host="127.0.0.1", port=port, debug=debug)
