"""Self-contained HTML report of a forecast (plotly, plotly.js inlined: works offline)."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from relsim.forecast.fitters import bgnbd
from relsim.forecast.predict import FREQUENCY_MODELS, ForecastResult


def _frequency_histogram(result: ForecastResult) -> go.Figure:
    """Holdout purchases, actual against each model's expectation, by calibration frequency."""
    cust = result.customers.copy()
    cust["bucket"] = cust["frequency"].clip(upper=7)
    fig = go.Figure()
    target = "frequency_holdout" if result.has_holdout else None
    if target:
        actual = cust.groupby("bucket")[target].mean()
        fig.add_trace(go.Bar(x=actual.index, y=actual.to_numpy(), name="actual"))
    for m in FREQUENCY_MODELS:
        col = f"{m}_expected_purchases"
        if col in cust:
            pred = cust.groupby("bucket")[col].mean()
            fig.add_trace(go.Bar(x=pred.index, y=pred.to_numpy(), name=m))
    fig.update_layout(title=f"Purchases in the next {result.horizon:g} {result.unit}, mean by "
                      "repeat purchases in calibration (7 = 7+)", barmode="group",
                      xaxis_title="repeat purchases in calibration",
                      yaxis_title="purchases per customer")
    return fig


def _calibration_histogram(result: ForecastResult) -> go.Figure | None:
    """Customers by repeat purchases in calibration: actual and BG/NBD's expectation."""
    if "bgnbd" not in result.fits:
        return None
    params = np.asarray(result.fits["bgnbd"].params)
    ages = result.summary["T"].to_numpy()
    top = 7
    expected = [float(bgnbd.probability_of_purchases(params, ages, x).sum())
                for x in range(top)]
    expected.append(len(ages) - sum(expected))
    actual = result.summary["frequency"].clip(upper=top).value_counts().reindex(
        range(top + 1), fill_value=0)
    labels = [str(x) for x in range(top)] + [f"{top}+"]
    fig = go.Figure([go.Bar(x=labels, y=actual.to_numpy(), name="actual"),
                     go.Bar(x=labels, y=expected, name="bgnbd")])
    fig.update_layout(title="Customers by repeat purchases in the calibration period: actual "
                      "and BG/NBD", barmode="group", xaxis_title="repeat purchases",
                      yaxis_title="customers")
    return fig


def _p_alive_matrix(result: ForecastResult, model: str) -> go.Figure:
    cust = result.customers
    col = f"{model}_p_alive"
    grid = cust.assign(f=cust["frequency"].clip(upper=20),
                       rec=(cust["recency"] // max(cust["T"].max() / 20, 1e-9)).astype(int))
    table = grid.pivot_table(index="f", columns="rec", values=col, aggfunc="mean")
    fig = go.Figure(go.Heatmap(z=table.to_numpy(), x=table.columns * cust["T"].max() / 20,
                               y=table.index, colorscale="Viridis", zmin=0, zmax=1,
                               colorbar={"title": "P(alive)"}))
    fig.update_layout(title=f"{model}: mean probability alive by frequency and recency",
                      xaxis_title=f"recency ({result.unit})", yaxis_title="repeat purchases")
    return fig


def _aggregate(weekly: pd.DataFrame, ahead: pd.DataFrame, column: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=weekly.index, y=weekly[column], name="actual", mode="lines"))
    fig.add_trace(go.Scatter(x=np.concatenate([ahead.index, ahead.index[::-1]]),
                             y=np.concatenate([ahead["pi_upper"], ahead["pi_lower"][::-1]]),
                             fill="toself", line={"width": 0}, name="95% prediction interval",
                             opacity=0.3))
    fig.add_trace(go.Scatter(x=ahead.index, y=ahead["mean"], name="ETS forecast",
                             mode="lines"))
    fig.update_layout(title=f"Weekly {column}: ETS forecast with 95% prediction interval",
                      yaxis_title=column)
    return fig


def _tracking(track: pd.DataFrame, calibration_end) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=track["date"], y=track["actual"], name="actual", mode="lines",
                             line={"color": "black"}))
    for col in track.columns.drop(["date", "actual"]):
        fig.add_trace(go.Scatter(x=track["date"], y=track[col], name=col, mode="lines",
                                 line={"dash": "dash"}))
    if calibration_end is not None:
        fig.add_vline(x=pd.Timestamp(calibration_end), line_dash="dot")
    fig.update_layout(title="Cumulative repeat purchases of the calibration cohort: actual and "
                      "model (dotted line: end of calibration)", yaxis_title="repeat purchases")
    return fig


def write_forecast_report(result: ForecastResult, parameters: pd.DataFrame,
                          accuracy: pd.DataFrame, aggregates: dict[str, tuple], path: Path,
                          source: str, track: pd.DataFrame | None = None,
                          calibration_end=None) -> None:
    """Write the forecast's HTML report.

    Parameters
    ----------
    result : ForecastResult
        The fitted forecast.
    parameters, accuracy : pandas.DataFrame
        What ``parameters.csv`` and ``accuracy.csv`` hold.
    aggregates : dict
        ``{column: (weekly actuals, forecast frame)}`` for the aggregate plots.
    path : Path
        Where to write.
    source : str
        The data's name, for the title.
    track : pandas.DataFrame, optional
        Cumulative purchases, actual and per model (:func:`relsim.forecast.predict.tracking`).
    calibration_end : date-like, optional
        Marked on the tracking plot.
    """
    figs = [f for f in (_calibration_histogram(result), _frequency_histogram(result)) if f]
    if track is not None:
        figs.append(_tracking(track, calibration_end))
    figs += [_p_alive_matrix(result, m) for m in FREQUENCY_MODELS
             if f"{m}_p_alive" in result.customers]
    figs += [_aggregate(weekly[[col]], ahead, col) for col, (weekly, ahead) in aggregates.items()]
    parts = [figs[0].to_html(full_html=False, include_plotlyjs=True)]
    parts += [f.to_html(full_html=False, include_plotlyjs=False) for f in figs[1:]]
    fmt = {"estimate": "{:.4g}".format, "std_error": "{:.3g}".format,
           "ci_low": "{:.4g}".format, "ci_high": "{:.4g}".format}
    body = f"""<!doctype html><html><head><meta charset="utf-8">
<title>relsim forecast: {html.escape(source)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px}}</style>
</head><body><h1>relsim forecast: {html.escape(source)}</h1>
<p>{len(result.summary)} customers; horizon {result.horizon:g} {result.unit}
{'(the holdout period)' if result.has_holdout else ''}.</p>
<h2>Parameters</h2>{parameters.to_html(index=False, formatters=fmt)}
<h2>Accuracy</h2>{accuracy.to_html(index=False) if len(accuracy) else '<p>No holdout.</p>'}
{''.join(parts)}</body></html>"""
    Path(path).write_text(body, encoding="utf-8")
