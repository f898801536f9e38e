"""
A what-if: hire account managers?
=================================

The strategist's question: would three more account managers at the focal firm (four in all)
pay for their salaries? :func:`relsim.compare` runs the default market with and without them
on the same simulated customers (common random numbers) and answers in money, with
intervals. A market of 4,000 people over two years, with its budgets, fixed costs and staff
scaled down with it (and two years of warm-up, to settle at that scale), keeps the example
to seconds; the full market is the same call without
``sets``.
"""

# %%
import tempfile
from pathlib import Path

import plotly.graph_objects as go

import relsim
from relsim.reporting.page import EmbeddedFigure

SMALL = [
    "simulation.people=4000",
    "simulation.days=730",
    *(f"firms.{f}.initial_customers=1200" for f in ("focal", "rival")),
    *(f"firms.{f}.acquisition_budget_per_year=36000" for f in ("focal", "rival")),
    *(f"firms.{f}.costs.other_per_year=100000" for f in ("focal", "rival")),
    *(f"firms.{f}.account_managers=1" for f in ("focal", "rival")),
    "simulation.warmup_days=730",
]
folder = Path(tempfile.mkdtemp()) / "hire"
study = relsim.compare(
    "relsim:baseline",
    arms={"hire": ["firms.focal.account_managers=4"]},
    reps=4,
    seed=11,
    sets=SMALL,
    out=folder,
    report=False,
)
print(study.verdict())

# %%
# Each arm's mean and 95% interval over the four replications (money in the scenario's
# currency, defections per customer-year):
study.summary(["profit", "customer_equity", "defections_neglect_per_customer_year"])[
    ["arm", "metric", "mean", "ci_low", "ci_high"]
]

# %%
# The paired differences (hire minus baseline, replication by replication) are far narrower
# than the two intervals: the arms met the same customers.
d = study.differences("focal")
d = d[(d["arm"] == "hire") & d["metric"].isin(["profit", "lost_neglect", "revenue"])]
d[["metric", "mean", "ci_low", "ci_high"]]

# %%
# Profit by replication, for each arm:
reps = study.replications
fig = go.Figure(
    [
        go.Scatter(x=g["replication"], y=g["profit"], mode="markers+lines", name=arm)
        for arm, g in reps.groupby("arm")
    ]
)
fig.update_layout(xaxis_title="replication", yaxis_title="profit over the year (currency)")
EmbeddedFigure(fig)
