"""Self-contained HTML report of a forecast (plotly, plotly.js inlined: works offline)."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from relsim.forecast.fitters import bgnbd
from relsim.forecast.output import ForecastOutputs
from relsim.forecast.predict import FREQUENCY_MODELS, ForecastResult
from relsim.reporting.page import Part, write_page
from relsim.reporting.style import COLOURWAY, MODEL_NAMES, label


def frequency_bins(most: int) -> list[tuple[int, int]]:
    """Bins of repeat purchases that double in width: 0, 1, 2-3, 4-7, ... up to ``most``.

    A frequent-buyer market puts most customers far above 7, where a fixed "7+" bar would
    hold nearly everyone; doubling bins keep every range of buyers visible.
    """
    bins, low = [(0, 0)], 1
    while low <= most:
        bins.append((low, 2 * low - 1))
        low *= 2
    return bins


def _bin_labels(bins: list[tuple[int, int]]) -> list[str]:
    return [str(a) if a == b else f"{a}-{b}" for a, b in bins]


def _bin_of(values: pd.Series, bins: list[tuple[int, int]]) -> pd.Series:
    edges = [b[0] for b in bins[1:]]
    return pd.Series(np.searchsorted(edges, values.to_numpy(), side="right"), index=values.index)


def _frequency_histogram(result: ForecastResult) -> go.Figure:
    """Holdout purchases, actual against each model's expectation, by calibration frequency."""
    cust = result.customers.copy()
    bins = frequency_bins(int(cust["frequency"].max()))
    labels = _bin_labels(bins)
    cust["bucket"] = _bin_of(cust["frequency"], bins)
    fig = go.Figure()
    target = "frequency_holdout" if result.has_holdout else None
    if target:
        actual = cust.groupby("bucket")[target].mean()
        fig.add_trace(
            go.Bar(x=[labels[i] for i in actual.index], y=actual.to_numpy(), name="actual")
        )
    for m in FREQUENCY_MODELS:
        col = f"{m}_expected_purchases"
        if col in cust:
            pred = cust.groupby("bucket")[col].mean()
            fig.add_trace(
                go.Bar(x=[labels[i] for i in pred.index], y=pred.to_numpy(), name=label(m))
            )
    fig.update_layout(
        title=f"Purchases in the next {result.horizon:g} {result.unit}: mean per customer, by "
        "repeat purchases in calibration",
        barmode="group",
        xaxis={"title": "repeat purchases in calibration", "type": "category"},
        yaxis_title="purchases per customer",
    )
    return fig


def _calibration_histogram(result: ForecastResult) -> go.Figure | None:
    """Customers by repeat purchases in calibration: actual and BG/NBD's expectation."""
    if "bgnbd" not in result.fits:
        return None
    params = result.fits["bgnbd"].individual(result.covariates)  # per customer with covariates
    ages = result.summary["T"].to_numpy()
    freq = result.summary["frequency"]
    bins = frequency_bins(int(freq.max()))
    # Expected customers per bin: the model's probabilities of each count, summed over the
    # bin; the last bin takes everything above (so expectations add up to the customers).
    expected = [
        float(sum(bgnbd.probability_of_purchases(params, ages, x).sum() for x in range(a, b + 1)))
        for a, b in bins[:-1]
    ]
    expected.append(len(ages) - sum(expected))
    actual = _bin_of(freq, bins).value_counts().reindex(range(len(bins)), fill_value=0)
    labels = _bin_labels(bins)
    labels[-1] = f"{bins[-1][0]}+"
    fig = go.Figure(
        [
            go.Bar(x=labels, y=actual.to_numpy(), name="actual"),
            go.Bar(x=labels, y=expected, name="BG/NBD"),
        ]
    )
    fig.update_layout(
        title="Customers by repeat purchases in the calibration period: actual and BG/NBD",
        barmode="group",
        xaxis={"title": "repeat purchases", "type": "category"},
        yaxis_title="customers",
    )
    return fig


def _p_alive_matrix(result: ForecastResult, model: str) -> go.Figure:
    """Mean P(alive) by repeat purchases (doubling bins) and recency (20 bands)."""
    cust = result.customers
    col = f"{model}_p_alive"
    bins = frequency_bins(int(cust["frequency"].max()))
    band = max(float(cust["T"].max()) / 20, 1e-9)
    grid = cust.assign(
        f=_bin_of(cust["frequency"], bins), rec=(cust["recency"] // band).astype(int)
    )
    table = grid.pivot_table(index="f", columns="rec", values=col, aggfunc="mean")
    labels = _bin_labels(bins)
    fig = go.Figure(
        go.Heatmap(
            z=table.to_numpy(),
            x=(table.columns + 0.5) * band,
            y=[labels[i] for i in table.index],
            colorscale="Viridis",
            zmin=0,
            zmax=1,
            colorbar={"title": "P(alive)"},
        )
    )
    fig.update_layout(
        title=f"{label(model)}: mean probability alive by repeat purchases and recency",
        xaxis_title=f"recency: time from first to last purchase ({result.unit})",
        yaxis={"title": "repeat purchases", "type": "category"},
    )
    return fig


def _aggregate(
    weekly: pd.DataFrame, ahead: pd.DataFrame, column: str, currency: str = ""
) -> go.Figure:
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
        yaxis_title=f"{column} ({currency})" if column == "revenue" and currency else column,
    )
    return fig


def _tracking(track: pd.DataFrame, calibration_end) -> go.Figure:
    """Cumulative repeat purchases above, the week's own below; actual and each model."""
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.06
    )
    models = [
        c for c in track.columns.drop("date") if not c.startswith("weekly_") and c != "actual"
    ]
    for row, prefix in ((1, ""), (2, "weekly_")):
        fig.add_trace(
            go.Scatter(
                x=track["date"],
                y=track[f"{prefix}actual"],
                name="actual",
                mode="lines",
                line={"color": "black"},
                legendgroup="actual",
                showlegend=row == 1,
            ),
            row=row,
            col=1,
        )
        for i, m in enumerate(models):
            if f"{prefix}{m}" in track:
                fig.add_trace(
                    go.Scatter(
                        x=track["date"],
                        y=track[f"{prefix}{m}"],
                        name=label(m),
                        mode="lines",
                        line={"dash": "dash", "color": COLOURWAY[i % len(COLOURWAY)]},
                        legendgroup=m,
                        showlegend=row == 1,
                    ),
                    row=row,
                    col=1,
                )
    if calibration_end is not None:
        fig.add_vline(x=pd.Timestamp(calibration_end), line_dash="dot")
    fig.update_layout(
        title="Repeat purchases of the calibration cohort: actual and model "
        "(dotted line: end of calibration)",
        height=560,
        hovermode="x unified",
    )
    fig.update_yaxes(title_text="cumulative", row=1, col=1)
    fig.update_yaxes(title_text="per week", row=2, col=1)
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
        _aggregate(weekly[[col]], ahead, col, out.currency)
        for col, (weekly, ahead) in out.aggregates.items()
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
        *fit_warnings(out.parameters),
        _named(out.parameters),
    ]
    if len(result.tests):
        parts += ["<h2>Do the covariates matter? (likelihood-ratio tests)</h2>", result.tests]
    parts += [
        "<h2>Accuracy (models and naive benchmarks)</h2>",
        _by_measure(out.accuracy) if len(out.accuracy) else "<p>No holdout.</p>",
    ]
    if out.by_frequency is not None and len(out.by_frequency):
        parts += [
            "<h2>Calibration against holdout: mean holdout purchases by calibration purchases</h2>",
            out.by_frequency.rename(columns=lambda c: label(str(c))),
        ]
    if out.ranking is not None:
        parts += [
            "<h2>How well the forecasts rank customers by their true rate (simulated run)</h2>",
            *[f"<p>{html.escape(s)}</p>" for s in ranking_sentences(out.ranking)],
            out.ranking.assign(predictor=out.ranking["predictor"].map(_predictor)),
        ]
    parts += figs
    write_page(path, f"forecast of {out.source}", parts)


def _by_measure(acc: pd.DataFrame) -> pd.DataFrame:
    """One row per measure, one column per model or benchmark (narrow enough for a page)."""
    table = acc.pivot_table(index="measure", columns="model", values="value", sort=False)
    table = table.rename(columns=lambda m: label(str(m)), index=lambda m: label(str(m)))
    return table.rename_axis(None, axis=1).rename_axis("measure").reset_index()


def _predictor(text: str) -> str:
    model, _, rest = str(text).partition(" ")
    return f"{label(model)} {rest}" if model in MODEL_NAMES else str(text)


def _named(parameters: pd.DataFrame) -> pd.DataFrame:
    """The parameter table with the models named in words."""
    return parameters.assign(model=parameters["model"].map(lambda m: label(str(m))))


def fit_warnings(parameters: pd.DataFrame) -> list[Part]:
    """A warning for each model whose fit failed or has no standard errors.

    Shown beside the parameter table: a fit that did not converge or sits on a bound gives
    numbers that are not estimates, and one without standard errors has unidentified parts.

    Parameters
    ----------
    parameters : pandas.DataFrame
        :meth:`relsim.forecast.predict.ForecastResult.parameters`.

    Returns
    -------
    list of str
        HTML paragraphs (class ``warning``), one per model with a problem.
    """
    out: list[Part] = []
    for model, rows in parameters.groupby("model", sort=False):
        name = html.escape(label(str(model)))
        boundary = ",".join(str(b) for b in rows["boundary"].dropna() if str(b))
        if not bool(rows["converged"].all()):
            why = (
                f"parameter(s) {html.escape(boundary)} at a bound of the search"
                if boundary
                else "the optimiser stopped before the likelihood's maximum"
            )
            out.append(
                f'<p class="warning"><b>{name} did not converge</b>: {why}. Its estimates and '
                "forecasts are not maximum-likelihood estimates; read them as a failed fit.</p>"
            )
        elif rows["std_error"].isna().any():
            out.append(
                f'<p class="warning"><b>{name}</b>: no standard errors (the information '
                "matrix is singular, so some parameters are not identified by these data); "
                "its intervals show the purchase process only.</p>"
            )
    return out


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
        *fit_warnings(out.parameters),
        _named(out.parameters),
        *figs,
    ]
    write_page(path, f"forecast of {out.source}", parts)
