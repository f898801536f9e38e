"""Self-contained HTML report of a forecast (plotly, plotly.js inlined: works offline)."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from relsim.forecast.fitters import bgnbd
from relsim.forecast.output import ForecastOutputs
from relsim.forecast.predict import FREQUENCY_MODELS, ForecastResult
from relsim.reporting.page import Part, write_page


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
    fig.update_layout(
        title=f"Purchases in the next {result.horizon:g} {result.unit}, mean by "
        "repeat purchases in calibration (7 = 7+)",
        barmode="group",
        xaxis_title="repeat purchases in calibration",
        yaxis_title="purchases per customer",
    )
    return fig


def _calibration_histogram(result: ForecastResult) -> go.Figure | None:
    """Customers by repeat purchases in calibration: actual and BG/NBD's expectation."""
    if "bgnbd" not in result.fits:
        return None
    params = result.fits["bgnbd"].individual(result.covariates)  # per customer with covariates
    ages = result.summary["T"].to_numpy()
    top = 7
    expected = [float(bgnbd.probability_of_purchases(params, ages, x).sum()) for x in range(top)]
    expected.append(len(ages) - sum(expected))
    actual = (
        result.summary["frequency"]
        .clip(upper=top)
        .value_counts()
        .reindex(range(top + 1), fill_value=0)
    )
    labels = [str(x) for x in range(top)] + [f"{top}+"]
    fig = go.Figure(
        [
            go.Bar(x=labels, y=actual.to_numpy(), name="actual"),
            go.Bar(x=labels, y=expected, name="bgnbd"),
        ]
    )
    fig.update_layout(
        title="Customers by repeat purchases in the calibration period: actual and BG/NBD",
        barmode="group",
        xaxis_title="repeat purchases",
        yaxis_title="customers",
    )
    return fig


def _p_alive_matrix(result: ForecastResult, model: str) -> go.Figure:
    cust = result.customers
    col = f"{model}_p_alive"
    grid = cust.assign(
        f=cust["frequency"].clip(upper=20),
        rec=(cust["recency"] // max(cust["T"].max() / 20, 1e-9)).astype(int),
    )
    table = grid.pivot_table(index="f", columns="rec", values=col, aggfunc="mean")
    fig = go.Figure(
        go.Heatmap(
            z=table.to_numpy(),
            x=table.columns * cust["T"].max() / 20,
            y=table.index,
            colorscale="Viridis",
            zmin=0,
            zmax=1,
            colorbar={"title": "P(alive)"},
        )
    )
    fig.update_layout(
        title=f"{model}: mean probability alive by frequency and recency",
        xaxis_title=f"recency ({result.unit})",
        yaxis_title="repeat purchases",
    )
    return fig


def _aggregate(weekly: pd.DataFrame, ahead: pd.DataFrame, column: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=weekly.index, y=weekly[column], name="actual", mode="lines"))
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([ahead.index, ahead.index[::-1]]),
            y=np.concatenate([ahead["pi_upper"], ahead["pi_lower"][::-1]]),
            fill="toself",
            line={"width": 0},
            name="95% prediction interval",
            opacity=0.3,
        )
    )
    fig.add_trace(
        go.Scatter(x=ahead.index, y=ahead["median"], name="ETS forecast (median)", mode="lines")
    )
    fig.update_layout(
        title=f"Weekly {column}: ETS forecast (log scale) with 95% prediction interval, "
        "from the end of calibration",
        yaxis_title=column,
    )
    return fig


def _tracking(track: pd.DataFrame, calibration_end) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=track["date"], y=track["actual"], name="actual", mode="lines", line={"color": "black"}
        )
    )
    for col in track.columns.drop(["date", "actual"]):
        fig.add_trace(
            go.Scatter(x=track["date"], y=track[col], name=col, mode="lines", line={"dash": "dash"})
        )
    if calibration_end is not None:
        fig.add_vline(x=pd.Timestamp(calibration_end), line_dash="dot")
    fig.update_layout(
        title="Cumulative repeat purchases of the calibration cohort: actual and "
        "model (dotted line: end of calibration)",
        yaxis_title="repeat purchases",
    )
    return fig


def write_forecast_report(out: ForecastOutputs, path: Path) -> None:
    """Write the forecast's HTML report (one offline page, like every relsim report).

    Parameters
    ----------
    out : ForecastOutputs
        What :func:`relsim.forecast.output.prepare_outputs` computed.
    path : Path
        Where to write.
    """
    result = out.result
    if out.cohort is not None or "bgbb" in result.fits:
        _write_discrete(out, path)
        return
    figs = [f for f in (_calibration_histogram(result), _frequency_histogram(result)) if f]
    if out.tracking is not None:
        figs.append(_tracking(out.tracking, out.calibration_end))
    figs += [
        _p_alive_matrix(result, m) for m in FREQUENCY_MODELS if f"{m}_p_alive" in result.customers
    ]
    figs += [
        _aggregate(weekly[[col]], ahead, col) for col, (weekly, ahead) in out.aggregates.items()
    ]
    from relsim.forecast.ranking import ranking_sentences

    parts: list[Part] = [
        f"<p>{len(result.summary):,} customers; horizon {result.horizon:g} {result.unit}"
        f"{' (the holdout period)' if result.has_holdout else ''}. Each customer's forecast "
        "in customers.parquet has a 95% interval: for purchases a prediction interval (parameter "
        "uncertainty and the purchase process), for P(alive) and CLV parameter uncertainty.</p>",
        *_sentences("Verdict", out.verdict),
        *_sentences("Notes", result.notes),
        "<h2>Parameters</h2>",
        out.parameters,
    ]
    if len(result.tests):
        parts += ["<h2>Do the covariates matter? (likelihood-ratio tests)</h2>", result.tests]
    parts += [
        "<h2>Accuracy (models and naive benchmarks)</h2>",
        _wide(out.accuracy) if len(out.accuracy) else "<p>No holdout.</p>",
    ]
    if out.by_frequency is not None and len(out.by_frequency):
        parts += [
            "<h2>Calibration against holdout: mean holdout purchases by calibration purchases</h2>",
            out.by_frequency,
        ]
    if out.ranking is not None:
        parts += [
            "<h2>How well the forecasts rank customers by their true rate (simulated run)</h2>",
            *[f"<p>{s}</p>" for s in ranking_sentences(out.ranking)],
            out.ranking,
        ]
    parts += figs
    write_page(path, f"forecast of {out.source}", parts)


def _wide(acc: pd.DataFrame) -> pd.DataFrame:
    """One row per model or benchmark, one column per measure, in their first-seen order."""
    table = acc.pivot_table(index="model", columns="measure", values="value", sort=False)
    return table.rename_axis(None, axis=1).reset_index()


def _sentences(title: str, lines: list[str]) -> list[Part]:
    if not lines:
        return []
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return [f"<h2>{title}</h2><ul>{items}</ul>"]


def _write_discrete(out: ForecastOutputs, path: Path) -> None:
    """The report of a BG/BB summary or an sBG cohort."""
    result = out.result
    figs: list[Part] = []
    if out.cohort is not None:
        c = out.cohort
        fig = go.Figure()
        if "expected_low" in c:
            fig.add_trace(
                go.Scatter(
                    x=np.concatenate([c["period"], c["period"][::-1]]),
                    y=np.concatenate([c["expected_high"], c["expected_low"][::-1]]),
                    fill="toself",
                    line={"width": 0},
                    opacity=0.3,
                    name="95% interval (parameters)",
                )
            )
        fig.add_trace(go.Scatter(x=c["period"], y=c["expected_survivors"], name="sBG"))
        fig.add_trace(
            go.Scatter(x=c["period"], y=c["survivors"], name="actual", mode="markers+lines")
        )
        last = int(c.loc[c["calibration"], "period"].max())
        fig.add_vline(x=last, line_dash="dot")
        fig.update_layout(
            title="Survivors of the cohort: actual and sBG projection (dotted: end of data)",
            xaxis_title="period",
            yaxis_title="customers still there",
        )
        ret = go.Figure(
            [
                go.Scatter(x=c["period"], y=c["retention_observed"], name="actual", mode="markers"),
                go.Scatter(x=c["period"], y=c["retention_expected"], name="sBG"),
            ]
        )
        ret.update_layout(
            title="Retention rate by tenure: it rises although no one's own rate does",
            xaxis_title="period",
            yaxis_title="share of last period's survivors renewing",
        )
        figs += [fig, ret, "<h2>Survival table</h2>", c]
    if out.by_frequency is not None and len(out.by_frequency):
        t = out.by_frequency
        fig = go.Figure(
            [
                go.Bar(x=t["transactions"], y=t["actual"], name="actual"),
                go.Bar(x=t["transactions"], y=t["bgbb"], name="BG/BB"),
            ]
        )
        fig.update_layout(
            title="Customers by number of transactions in calibration: actual and BG/BB",
            barmode="group",
            xaxis_title="transactions",
            yaxis_title="customers",
        )
        figs += [fig]
    parts: list[Part] = [
        *_sentences("Verdict", out.verdict),
        *_sentences("Notes", result.notes),
        "<h2>Parameters</h2>",
        out.parameters,
        *figs,
    ]
    write_page(path, f"forecast of {out.source}", parts)
