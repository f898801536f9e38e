"""The sweep's report: sensitivity indices and each output against each factor (plotly)."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from relsim.experiments.sensitivity import sensitivity_table
from relsim.experiments.sweep_summary import SweepSummary
from relsim.experiments.sweeps import SweepPlan
from relsim.reporting.page import Part, write_page
from relsim.reporting.style import DEFAULT_CURRENCY, label, with_unit

COLOURS = {"S1": "#2a9d8f", "ST": "#264653", "mu_star": "#e76f51"}
MEASURE_LABELS = {
    "S1": "first-order index S1",
    "ST": "total index ST",
    "mu_star": "mu* (mean |elementary effect|)",
}


def sensitivity_figure(indices: pd.DataFrame, method: str) -> go.Figure | None:
    """Bars of each output's indices per factor (with 95% intervals), or Morris' mu*-sigma map."""
    if indices.empty:
        return None
    outputs = list(dict.fromkeys(indices["output"]))
    fig = make_subplots(
        rows=len(outputs),
        cols=1,
        subplot_titles=[label(o) for o in outputs],
        vertical_spacing=min(0.08, 0.5 / len(outputs)),
    )
    for i, out in enumerate(outputs, start=1):
        df = indices[indices["output"] == out]
        if method == "morris":
            mu = df[df["measure"] == "mu_star"].set_index("factor")
            sd = df[df["measure"] == "sigma"].set_index("factor")
            fig.add_trace(
                go.Scatter(
                    x=mu["value"],
                    y=sd.loc[mu.index, "value"],
                    mode="markers+text",
                    text=[label(f) for f in mu.index],
                    textposition="top center",
                    name=out,
                    showlegend=False,
                    error_x={"type": "data", "array": mu["conf"]},
                    marker={"color": COLOURS["mu_star"], "size": 10},
                ),
                row=i,
                col=1,
            )
            fig.update_xaxes(title_text="mu*", rangemode="tozero", row=i, col=1)
            # Head room for the labels above the highest point.
            fig.update_yaxes(
                title_text="sigma", range=[0, 1.25 * float(sd["value"].max())], row=i, col=1
            )
            continue
        for measure in ("S1", "ST"):
            m = df[df["measure"] == measure]
            if m.empty:
                continue
            fig.add_trace(
                go.Bar(
                    x=[label(f) for f in m["factor"]],
                    y=m["value"],
                    name=MEASURE_LABELS[measure],
                    marker_color=COLOURS[measure],
                    legendgroup=measure,
                    showlegend=i == 1,
                    error_y={"type": "data", "array": m["conf"].fillna(0)},
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(title_text="share of variance", row=i, col=1)
    title = (
        "Morris screening: mu* against sigma (far right: influential; high: "
        "non-linear or interacting)"
        if method == "morris"
        else "Sensitivity indices (95% bootstrap intervals)"
    )
    fig.update_layout(title=title, barmode="group", height=260 * len(outputs) + 80)
    return fig


def effects_figure(plan: SweepPlan, means: pd.DataFrame, outputs: list[str]) -> go.Figure:
    """Each output's point means against each factor's value, with the mean per value."""
    factors = plan.sweep.factors
    fig = make_subplots(
        rows=len(outputs),
        cols=len(factors),
        shared_yaxes=True,
        column_titles=[label(f.column) for f in factors],
        row_titles=[label(o) for o in outputs],
        horizontal_spacing=0.03,
        vertical_spacing=0.06,
    )
    pts = plan.points.set_index("point").loc[means.index]
    for i, out in enumerate(outputs, start=1):
        for j, f in enumerate(factors, start=1):
            x = pts[f.column]
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=means[out],
                    mode="markers",
                    showlegend=False,
                    marker={"size": 5, "color": "#8d99ae", "opacity": 0.6},
                    hovertemplate=f"{label(f.column)}=%{{x}}<br>{label(out)}=%{{y:,.4~r}}<extra></extra>",
                ),
                row=i,
                col=j,
            )
            if x.nunique() <= 12:  # a grid or an integer factor: join the means per value
                avg = means[out].groupby(x.to_numpy()).mean()
                fig.add_trace(
                    go.Scatter(
                        x=avg.index,
                        y=avg.to_numpy(),
                        mode="lines+markers",
                        showlegend=False,
                        line={"color": "#e76f51"},
                    ),
                    row=i,
                    col=j,
                )
    fig.update_layout(
        title="Each output against each factor (a dot per point: mean over replications)",
        height=260 * len(outputs) + 100,
    )
    return fig


def write_sweep_report(path: Path, plan: SweepPlan, summary: SweepSummary) -> None:
    """Write the sweep's ``report.html``.

    Parameters
    ----------
    path : Path
        Where to write.
    plan : SweepPlan
        The sweep.
    summary : SweepSummary
        Its point means, indices, notes and counts
        (:func:`relsim.experiments.sweep_summary.summarise_sweep`).
    """
    means, indices, notes = summary.means, summary.indices, summary.notes
    counts, reps_used = summary.counts, summary.used
    sw = plan.sweep
    factors = "".join(
        f"<li><code>{html.escape(f.key)}</code> as <b>{html.escape(f.column)}</b>: "
        + (
            html.escape(", ".join(map(str, f.grid_values())))
            if sw.design.method == "grid"
            else f"{f.low:g} to {f.high:g}{' (integer)' if f.integer else ''}"
        )
        + "</li>"
        for f in sw.factors
    )
    parts: list[Part] = [
        f"<p>{html.escape(sw.description)}</p>",
        f"<p>Design <b>{sw.design.method}</b>: {counts['points']} points x "
        f"{counts['replications']} replications (seed {sw.seed}); {counts['finished']} "
        f"finished, {counts['failed']} failed. Replication <i>i</i> of every point shares its "
        "random streams (common random numbers), so points differ only by the factors. "
        f"Means over replications {_ranges(reps_used)}.</p><ul>{factors}</ul>",
    ]
    shown = [o for o in sw.outputs if o in means.columns][:3]
    # With one factor every index is 1 by construction: nothing to show but the curves.
    fig = sensitivity_figure(indices, sw.design.method) if len(sw.factors) > 1 else None
    if fig is not None:
        parts += ["<h2>Sensitivity</h2>", fig]
        table = sensitivity_table(indices)
        parts.append(table.assign(**{c: table[c].map(label) for c in ("output", "factor")}))
    if notes:
        parts.append("<p class='note'>" + "<br>".join(html.escape(n) for n in notes) + "</p>")
    if len(means) and shown:
        parts += ["<h2>Outputs against factors</h2>", effects_figure(plan, means, shown)]
        best = means.sort_values(shown[0], ascending=False).head(10)
        table = plan.points.set_index("point").loc[best.index].join(best).reset_index()
        currency = str(plan.base.get("economics", {}).get("currency", DEFAULT_CURRENCY))
        table = table.rename(columns={o: with_unit(o, currency) for o in means.columns})
        parts += [f"<h2>The ten points with the highest {html.escape(label(shown[0]))}</h2>", table]
    write_page(path, f"Sweep: {sw.name}", parts)


def _ranges(reps: list[int]) -> str:
    if not reps:
        return "(none complete at every point: all finished ones)"
    r = np.asarray(reps)
    return f"{r.min()}-{r.max()}" if len(r) == r.max() - r.min() + 1 else ", ".join(map(str, r))
