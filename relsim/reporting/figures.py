"""Plotly figures of one run, built from its tables alone (the model knows nothing of them).

The run report and the teaching app draw the same figures: the ladder's stock over time, the
leaky bucket (inflow against outflow by cause), the cause mix, the Lorenz curve of revenue
with the 20/80 point, the value-by-frequency groups (lecture notes, Table 7.2), the distribution
of realised customer lifetime value and the money ledger.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from relsim.analysis.economics import COST_LINES
from relsim.analysis.tables import stored_money, sums_by_key
from relsim.model.causes import CAUSE_LABELS
from relsim.model.ladder import RELATIONSHIP_RUNGS
from relsim.reporting.style import (
    CAUSE_COLOURS,
    CHANNEL_NAMES,
    DEFAULT_CURRENCY,
    RUNG_COLOURS,
    label,
)


def ladder_figure(ts: pd.DataFrame, firm: str) -> go.Figure:
    """Customers on each rung of the ladder over time (stacked area)."""
    own = ts[ts["firm"] == firm]
    fig = go.Figure()
    for r in RELATIONSHIP_RUNGS:
        colour = RUNG_COLOURS[r.label]
        fig.add_trace(
            go.Scatter(
                x=own["date"],
                y=own[r.label],
                name=r.label,
                stackgroup="one",
                mode="lines",
                line={"width": 0.5, "color": colour},
            )
        )
    fig.update_layout(
        title=f"{firm}: customers on each rung of the ladder",
        yaxis_title="customers",
        hovermode="x unified",
    )
    return fig


def bucket_figure(ts: pd.DataFrame, firm: str, freq: str = "W") -> go.Figure:
    """The leaky bucket: the level of customers, and inflow against outflow by cause.

    The level is drawn above; below it, customers won (up) and lost by cause (down) per
    period, on one time axis.
    """
    own = ts[ts["firm"] == firm].iloc[1:]  # row 0 holds the initial customers
    acq = [
        c
        for c in own.columns
        if c.startswith("acquired_") and not c.endswith("to_date") and c != "acquired_initial"
    ]
    per = own.set_index("date").resample(freq).sum(numeric_only=True)
    unit = {"W": "week", "MS": "month", "M": "month"}.get(freq, freq)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.35, 0.65], vertical_spacing=0.06
    )
    fig.add_trace(
        go.Scatter(
            x=own["date"], y=own["active"], name="customers", mode="lines", line={"color": "black"}
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(x=per.index, y=per[acq].sum(axis=1), name="won", marker_color="#2a9d8f"),
        row=2,
        col=1,
    )
    for cause in CAUSE_LABELS:
        fig.add_trace(
            go.Bar(
                x=per.index,
                y=-per[f"lost_{cause}"],
                name=f"lost: {cause}",
                marker_color=CAUSE_COLOURS.get(cause),
            ),
            row=2,
            col=1,
        )
    fig.update_layout(
        barmode="relative",
        hovermode="x unified",
        height=560,
        title=f"{firm}: the leaky bucket, its level and customers won and lost by cause per {unit}",
    )
    fig.update_yaxes(title_text="customers", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=f"won and lost per {unit}", row=2, col=1)
    return fig


def cause_mix_figure(customers: pd.DataFrame, firm: str) -> go.Figure:
    """Relationships ended for each cause, and the category purchases they took with them.

    The second panel (when the table records each relationship's share of wallet) weighs
    each ending by the purchases a year the firm lost with it: the person's category rate
    times the firm's share of it when it ended.
    """
    ended = customers[(customers["firm"] == firm) & customers["cause"].notna()]
    counts = ended["cause"].value_counts().reindex(CAUSE_LABELS, fill_value=0)
    share = counts / max(1, counts.sum())
    colours = [CAUSE_COLOURS.get(c) for c in counts.index]
    title = f"{firm}: why customers left ({int(counts.sum()):,} defections)"
    bar = go.Bar(
        x=counts.index,
        y=counts.to_numpy(),
        text=[f"{s:.0%}" for s in share],
        textposition="outside",
        marker_color=colours,
        name="relationships ended",
        showlegend=False,
    )
    if "share_of_wallet" not in ended.columns:
        fig = go.Figure(bar)
        fig.update_layout(title=title, yaxis_title="relationships ended")
        return fig
    lost = (
        (ended["true_purchases_per_year"] * ended["share_of_wallet"])
        .groupby(ended["cause"].astype(str))
        .sum()
        .reindex(CAUSE_LABELS, fill_value=0.0)
    )
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("relationships ended", "share of wallet lost"),
        horizontal_spacing=0.12,
    )
    fig.add_trace(bar, row=1, col=1)
    fig.add_trace(
        go.Bar(
            x=lost.index,
            y=lost.to_numpy(),
            text=[f"{v / max(1e-12, lost.sum()):.0%}" for v in lost],
            textposition="outside",
            marker_color=colours,
            name="share of wallet lost",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    fig.update_yaxes(title_text="relationships ended", row=1, col=1)
    fig.update_yaxes(title_text="category purchases a year lost with them", row=1, col=2)
    fig.update_layout(title=title)
    return fig


def lorenz_points(transactions: pd.DataFrame, firm: str) -> pd.DataFrame:
    """Share of revenue from the top share of buyers, largest buyers first."""
    mine = (transactions["firm"] == firm).to_numpy()  # no copy of the firm's rows
    amount, cents = stored_money(transactions, "amount")
    rev = sums_by_key(transactions["customer_id"].to_numpy(), amount, mask=mine, cents=cents)
    rev = np.sort(rev["sum"].to_numpy())[::-1]
    n = len(rev)
    cum = np.concatenate([[0.0], np.cumsum(rev)])
    return pd.DataFrame(
        {"buyers": np.arange(n + 1) / max(1, n), "revenue": cum / max(float(rev.sum()), 1e-12)}
    )


def lorenz_figure(transactions: pd.DataFrame, firm: str) -> go.Figure:
    """The concentration curve of revenue over buyers, with the top-20% point marked."""
    pts = lorenz_points(transactions, firm)
    at20 = float(np.interp(0.2, pts["buyers"], pts["revenue"]))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=pts["buyers"],
            y=pts["revenue"],
            mode="lines",
            name="revenue",
            line={"color": "#264653"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="equal spend",
            line={"dash": "dot", "color": "#999"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0.2],
            y=[at20],
            mode="markers+text",
            name="top 20%",
            text=[f"top 20% of buyers: {at20:.0%} of revenue"],
            textposition="bottom right",
            marker={"size": 11, "color": "#e76f51"},
        )
    )
    fig.update_layout(
        title=f"{firm}: concentration of revenue (the 20/80 rule)",
        xaxis={"title": "share of buyers, largest first", "tickformat": ".0%"},
        yaxis={"title": "share of revenue", "tickformat": ".0%"},
    )
    return fig


def value_frequency_figure(groups: pd.DataFrame) -> go.Figure:
    """The four value-by-frequency groups: share of buyers against share of revenue."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=groups["group"],
            y=groups["share_of_buyers"],
            name="share of buyers",
            marker_color="#8d99ae",
        )
    )
    fig.add_trace(
        go.Bar(
            x=groups["group"],
            y=groups["share_of_revenue"],
            name="share of revenue",
            marker_color="#2a9d8f",
        )
    )
    fig.update_layout(
        title="Buyers by value and frequency (lecture notes, Table 7.2)",
        barmode="group",
        yaxis_tickformat=".0%",
    )
    return fig


def clv_figure(clv: pd.DataFrame, currency: str = DEFAULT_CURRENCY) -> go.Figure:
    """Distribution of realised lifetime value per relationship, by acquisition channel."""
    fig = go.Figure()
    lo, hi = np.nanpercentile(clv["clv"], [1, 99]) if len(clv) else (0, 1)
    for ch, df in clv.groupby("channel"):
        fig.add_trace(
            go.Histogram(
                x=df["clv"].clip(lo, hi),
                name=CHANNEL_NAMES.get(str(ch), str(ch)),
                opacity=0.7,
                xbins={"start": lo, "end": hi, "size": (hi - lo) / 60},
            )
        )
    fig.update_layout(
        barmode="overlay",
        title="Realised customer lifetime value per relationship (discounted "
        "margin less the relationship's own costs; 1st-99th percentile)",
        xaxis_title=f"realised lifetime value ({currency})",
        yaxis_title="relationships",
    )
    return fig


def money_figure(
    ledger: pd.DataFrame, firm: str, period: str, currency: str = DEFAULT_CURRENCY
) -> go.Figure:
    """Gross margin, each cost line (Table 7.3) and profit per period."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=ledger["period"],
            y=ledger["gross_margin"],
            name="gross margin",
            marker_color="#2a9d8f",
        )
    )
    for line in COST_LINES:
        if ledger[line].abs().sum() > 0:
            fig.add_trace(go.Bar(x=ledger["period"], y=-ledger[line], name=label(line)))
    fig.add_trace(
        go.Scatter(
            x=ledger["period"],
            y=ledger["profit"],
            name="profit",
            mode="lines+markers",
            line={"color": "black"},
        )
    )
    fig.update_layout(
        barmode="relative",
        hovermode="x unified",
        title=f"{firm}: margin, cost lines (Table 7.3) and profit per {period}",
        yaxis_title=f"{currency} per {period} (costs below zero)",
    )
    return fig
