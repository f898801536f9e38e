"""
Brands and the NBD-Dirichlet
============================

Where shoppers split their purchases over several brands, the NBD-Dirichlet (Goodhardt,
Ehrenberg & Chatfield 1984) predicts each brand's penetration and loyalty from its share
alone: smaller brands have fewer buyers who are also a little less loyal (double jeopardy).
relsim's repertoire market, with no marketing acting, should follow it. This is the
toothpaste market of 1973 on 2,000 people.
"""

# %%
import pandas as pd
import plotly.graph_objects as go

import relsim
from relsim.reporting.page import EmbeddedFigure

sc = relsim.load_scenario(
    "relsim:toothpaste_1973", ["simulation.people=2000", "simulation.days=182"]
)
res = relsim.simulate(sc, seed=3)
rows = []
for firm in sc.firms:
    m = res.metrics(firm)
    rows.append(
        {
            "brand": firm,
            "share": m["brand_market_share"],
            "penetration": m["brand_penetration"],
            "Dirichlet penetration": m["dirichlet_penetration"],
            "purchases per buyer": m["brand_purchases_per_buyer"],
            "Dirichlet purchases per buyer": m["dirichlet_purchases_per_buyer"],
        }
    )
table = pd.DataFrame(rows).sort_values("share", ascending=False)
table.round(3)

# %%
# Double jeopardy: penetration and purchases per buyer fall together with share.
fig = go.Figure(
    [
        go.Scatter(
            x=table["penetration"],
            y=table["purchases per buyer"],
            mode="markers+text",
            text=table["brand"],
            textposition="top center",
            name="simulated",
        ),
        go.Scatter(
            x=table["Dirichlet penetration"],
            y=table["Dirichlet purchases per buyer"],
            mode="markers",
            marker={"symbol": "x"},
            name="NBD-Dirichlet",
        ),
    ]
)
fig.update_layout(
    xaxis_title="penetration (share of people buying)", yaxis_title="purchases per buyer"
)
EmbeddedFigure(fig)
