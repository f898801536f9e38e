"""
Forecasting a real export
=========================

The analyst's question: how many purchases will each customer make, and who is still active?
This is the CDNOW sample of Fader, Hardie & Lee (2005): 2,357 customers' CD purchases, fitted
on the first 39 weeks and judged on the next 39. The same code reads a simulated run.
"""

# %%
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

import relsim
from relsim.forecast import forecast
from relsim.reporting.page import EmbeddedFigure

data = Path(relsim.__file__).resolve().parents[1] / "tests" / "data" / "CDNOW_sample.txt"
df = pd.read_csv(
    data, sep=r"\s+", header=None, dtype=str, names=["id", "cust", "when", "cds", "value"]
)
res = forecast(
    df,
    columns={"customer": "cust", "date": "when", "amount": "value"},
    date_format="%Y%m%d",
    calibration_end="1997-09-30",
)
fit = res.fits["bgnbd"]
fit.params.round(4)  # r 0.243, alpha 4.414, a 0.793, b 2.426 in the publication

# %%
# Each customer's expected purchases in the holdout against what they bought, by how often
# they had bought in the calibration period:
c = res.customers
by = c.groupby(c["frequency"].clip(upper=7)).agg(
    predicted=("bgnbd_expected_purchases", "mean"), actual=("frequency_holdout", "mean")
)
fig = go.Figure(
    [
        go.Bar(x=by.index, y=by["actual"], name="actual"),
        go.Bar(x=by.index, y=by["predicted"], name="BG/NBD"),
    ]
)
fig.update_layout(
    barmode="group",
    xaxis_title="repeat purchases in the first 39 weeks (7 = 7 or more)",
    yaxis_title="mean purchases in the next 39 weeks",
)
EmbeddedFigure(fig)
