"""The brands report: double jeopardy and the brand performance measures beside the Dirichlet's."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from relsim.analysis.brands import Category
from relsim.analysis.dirichlet import Dirichlet, DirichletFit
from relsim.reporting.page import write_page


def double_jeopardy_figure(observed: pd.DataFrame, model: Dirichlet) -> go.Figure:
    """Penetration against purchases per buyer: the firms, and the Dirichlet's line.

    The line is the theoretical pair for a brand of every share from nearly nothing to a bit
    above the largest firm's, at the fitted ``M``, ``K`` and ``S``: double jeopardy says the
    firms lie near it, small ones low on both axes.
    """
    top = float(observed["market_share"].max())
    shares = np.linspace(top / 200.0, min(1.0, top * 1.15), 60)
    line = [Dirichlet(model.M, model.K, model.S, (float(s),)) for s in shares]
    fig = go.Figure()
    fig.add_scatter(
        x=[float(d.penetration()[0]) for d in line],
        y=[float(d.purchases_per_buyer()[0]) for d in line],
        mode="lines",
        name="NBD-Dirichlet (fitted)",
        line={"color": "#888", "dash": "dash"},
    )
    fig.add_scatter(
        x=observed["penetration"],
        y=observed["purchases_per_buyer"],
        mode="markers+text",
        text=[str(f) for f in observed.index],
        textposition="top center",
        name="observed",
        marker={"size": 11},
    )
    fig.update_layout(
        title="Double jeopardy: smaller firms have fewer buyers, who buy them less often",
        xaxis_title="penetration (share of the panel who bought the firm)",
        yaxis_title="purchases per buyer in the window",
        xaxis_tickformat=".0%",
        height=460,
    )
    return fig


def write_brands_report(
    path: Path,
    source: str,
    days: float,
    observed: pd.DataFrame,
    category: Category,
    fit: DirichletFit,
    table: pd.DataFrame,
) -> None:
    """Write the brands report (one self-contained page) to ``path``."""
    d = fit.model
    intro = (
        f"<p>{category.panel_size:,} panel members over {days:g} days of "
        f"{html.escape(source)}: {category.buyers:,} bought the category "
        f"({category.penetration:.1%}), {category.buy_rate:.2f} times each on average. "
        f"The NBD-Dirichlet fitted to the same window: M = {d.M:.3f}, K = {d.K:.3f}, "
        f"S = {d.S:.3f} (M and K from the category's penetration and buying rate, S from the "
        "firms' penetrations, as the NBDdirichlet package fits them).</p>"
    )
    note = (
        '<p class="note">One row per firm and source: observed in the window, or the '
        "Dirichlet's theoretical value. dup_X: the share of the row firm's buyers who also "
        "bought X. A firm whose observed sole buyers or purchases per buyer exceed the "
        "Dirichlet's shows excess loyalty.</p>"
    )
    write_page(
        path,
        "brand performance measures",
        [intro, double_jeopardy_figure(observed, d), "<h2>Measures</h2>", note, table],
    )
