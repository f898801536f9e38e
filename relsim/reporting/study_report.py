"""Self-contained HTML report of a comparison or experiment (plotly, works offline).

It reads only the stacked replications and ledgers that :mod:`relsim.experiments.comparison`
wrote. A comparison's report opens with the verdict: the arms ranked on the objective with
their intervals and probability of being best, the mechanism figures behind the differences
and, for arms that spend more, payback and ROI. Then profit, costs and customers over time
with their 95% bands, the cumulative paired profit difference against the first arm (where
payback shows), the defection rate by cause, the cost lines, the summary table and, for an
experiment, the claims with their verdicts.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from relsim.analysis.economics import COST_LINES
from relsim.analysis.statistics import mean_ci
from relsim.experiments.comparison import payback
from relsim.experiments.study import Study
from relsim.experiments.verdict import Objective, mechanism_table
from relsim.model.causes import CAUSE_LABELS
from relsim.reporting.page import Part, write_page
from relsim.reporting.style import DEFAULT_CURRENCY, label, number, with_unit

HEADLINE = (
    "profit_plus_equity",
    "profit",
    "customer_equity",
    "npv",
    "revenue",
    "total_costs",
    "customers_end",
    "retention_rate",
    "cost_per_acquired",
    "cost_per_retained_customer_year",
    "acquisition_retention_cost_ratio",
    "clv_new",
    "repeat_purchase_rate",
    "tenure_existing_days",
    "trial_rate",
)
COLOURS = ("#264653", "#e76f51", "#2a9d8f", "#e9c46a", "#8d99ae", "#6a4c93", "#f4a261", "#1982c4")


def _band(fig: go.Figure, x, mean, lo, hi, name: str, colour: str) -> None:
    fig.add_trace(
        go.Scatter(
            x=list(x) + list(x)[::-1],
            y=list(hi) + list(lo)[::-1],
            fill="toself",
            fillcolor=colour,
            opacity=0.2,
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=name,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=list(x),
            y=list(mean),
            name=name,
            mode="lines",
            line={"color": colour},
            legendgroup=name,
        )
    )


def _over_time(ledgers: pd.DataFrame, column: str, title: str, ytitle: str) -> go.Figure:
    fig = go.Figure()
    for i, (arm, df) in enumerate(ledgers.groupby("arm", sort=False)):
        wide = df.pivot(index="period", columns="replication", values=column)
        stats = np.array([mean_ci(wide.loc[p].to_numpy()) for p in wide.index])
        lo = np.where(np.isnan(stats[:, 1]), stats[:, 0], stats[:, 1])
        hi = np.where(np.isnan(stats[:, 2]), stats[:, 0], stats[:, 2])
        _band(fig, wide.index, stats[:, 0], lo, hi, arm, COLOURS[i % len(COLOURS)])
    fig.update_layout(title=title, yaxis_title=ytitle, hovermode="x unified")
    return fig


def _payback_figure(ledgers: pd.DataFrame, arms: list[str], currency: str) -> go.Figure:
    fig = go.Figure()
    for i, arm in enumerate(arms[1:], start=1):
        path = payback(ledgers, arm, arms[0])["path"]
        lo = path["ci_low"].fillna(path["mean"])
        hi = path["ci_high"].fillna(path["mean"])
        _band(fig, path["period"], path["mean"], lo, hi, arm, COLOURS[i % len(COLOURS)])
    fig.add_hline(y=0, line={"color": "black", "width": 1})
    fig.update_layout(
        title=f"Cumulative profit against {arms[0]} (paired by replication, 95% "
        "band): payback where it crosses zero for good",
        yaxis_title=f"cumulative profit difference ({currency})",
        hovermode="x unified",
    )
    return fig


def _causes_figure(replications: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for i, (arm, df) in enumerate(replications.groupby("arm", sort=False)):
        stats = [mean_ci(df[f"defections_{c}_per_customer_year"].to_numpy()) for c in CAUSE_LABELS]
        mean = [s[0] for s in stats]
        err = [0.0 if np.isnan(s[2]) else s[2] - s[0] for s in stats]
        fig.add_trace(
            go.Bar(
                x=list(CAUSE_LABELS),
                y=mean,
                name=arm,
                error_y={"type": "data", "array": err},
                marker_color=COLOURS[i % len(COLOURS)],
            )
        )
    fig.update_layout(
        title="Defections per customer-year by cause (95% intervals)",
        barmode="group",
        yaxis_title="defections per customer-year",
    )
    return fig


def _costs_figure(replications: pd.DataFrame, currency: str) -> go.Figure:
    means = replications.groupby("arm", sort=False)[list(COST_LINES)].mean()
    fig = go.Figure()
    for line in COST_LINES:
        if means[line].abs().sum() > 0:
            fig.add_trace(go.Bar(x=means.index, y=means[line], name=label(line)))
    fig.update_layout(
        title="Where the money goes: cost lines over the run (mean of replications)",
        barmode="stack",
        yaxis_title=f"cost over the run ({currency})",
    )
    return fig


def summary_table(
    summary: pd.DataFrame, metrics: tuple[str, ...] | list[str], currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """Headline metrics as text: mean [95% interval] and the paired difference to the first arm.

    Metrics are named in words, with the currency after those that are money.
    """
    rows = []
    for _, r in summary[summary["metric"].isin(metrics)].iterrows():
        diff = (
            ""
            if np.isnan(r["diff"])
            else f"{number(r['diff'])} [{number(r['diff_low'])}, {number(r['diff_high'])}]"
        )
        # A figure with no cases (no win-backs, say) is undefined, not zero or blank.
        mean = (
            "undefined"
            if pd.isna(r["mean"])
            else number(r["mean"])
            if pd.isna(r["ci_low"])
            else f"{number(r['mean'])} [{number(r['ci_low'])}, {number(r['ci_high'])}]"
        )
        rows.append(
            {
                "metric": r["metric"],
                "arm": r["arm"],
                "mean [95% CI]": mean,
                "difference to first arm [95% CI]": diff,
            }
        )
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    order = {m: i for i, m in enumerate(metrics)}
    df = df.sort_values("metric", key=lambda s: s.map(order), kind="stable")
    return df.assign(metric=df["metric"].map(lambda m: with_unit(m, currency)))


def claims_table(claims: pd.DataFrame) -> pd.DataFrame:
    """Claims as text with their verdicts (held, not held, inconclusive) and intervals."""
    rows = []
    for _, c in claims.iterrows():
        ci = "" if pd.isna(c["ci_low"]) else f" [{number(c['ci_low'])}, {number(c['ci_high'])}]"
        value = "" if pd.isna(c["value"]) else f"{number(c['value'])}{ci}"
        rows.append(
            {
                "claim": c["claim"],
                "role": c.get("role", ""),
                "source": f"{c['source']} ({c.get('grade', '')})",
                "claimed range": f"{number(c['low'])} to {number(c['high'])}",
                "measured, mean [95% CI]": value,
                "verdict": c["verdict"],
                "note": c.get("why", "") if isinstance(c.get("why", ""), str) else "",
            }
        )
    return pd.DataFrame(rows)


def _objective_figure(ranking: pd.DataFrame, objective: Objective, currency: str) -> go.Figure:
    """The arms' means of the objective with their 95% intervals, best first."""
    err_hi = (ranking["ci_high"] - ranking["mean"]).fillna(0.0)
    err_lo = (ranking["mean"] - ranking["ci_low"]).fillna(0.0)
    fig = go.Figure(
        go.Scatter(
            x=ranking["mean"],
            y=ranking["arm"],
            mode="markers",
            marker={"size": 11, "color": COLOURS[0]},
            error_x={"type": "data", "array": err_hi, "arrayminus": err_lo},
            text=[f"best in {p:.0%} of replications" for p in ranking["p_best"]],
            hovertemplate="%{y}: %{x:,.0f}<br>%{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{label(objective.metric)} by arm: mean and 95% interval over replications",
        xaxis_title=with_unit(objective.metric, currency),
        yaxis={"autorange": "reversed", "title": "arm, best first"},
        height=160 + 50 * len(ranking),
    )
    return fig


def verdict_parts(study: Study) -> list[Part]:
    """The report's opening section: ranking, reasons, investments (empty for one arm)."""
    from relsim.reporting.verdict_text import investment_lines, verdict_lines

    if len(study.arms) < 2 or study.ranking.empty:
        return []
    lines = verdict_lines(study.ranking, study.objective, label(study.objective.metric))
    parts: list[Part] = [
        "<h2>Verdict</h2>",
        f"<p>{html.escape(lines[0])}</p>",
        "<ol>"
        + "".join(
            f"<li>{html.escape(x.split('. ', 1)[1])}</li>"
            for x in lines[1:]
            if x.strip()[:1].isdigit()
        )
        + "</ol>",
    ]
    parts += [
        f'<p class="note">{html.escape(x.strip())}</p>'
        for x in lines[1:]
        if not x.strip()[:1].isdigit()
    ]
    currency = study_currency(study.manifest)
    parts.append(_objective_figure(study.ranking, study.objective, currency))
    mech = mechanism_table(study.summary, study.arms)
    if len(mech):
        mech = mech.map(number).rename_axis("figure").reset_index()
        parts += [
            "<h3>Why: the mechanisms behind the differences (mean per replication)</h3>",
            mech.assign(figure=mech["figure"].map(lambda m: with_unit(str(m), currency))),
        ]
    inv = investment_lines(
        study.investments,
        study.arms[0],
        study.objective,
        study.period,
        label(study.objective.metric),
    )
    parts += ["<h3>Investments</h3>", f"<p>{html.escape(inv[0])}</p>"]
    if len(inv) > 1:
        parts.append(
            "<ul>" + "".join(f"<li>{html.escape(x.strip())}</li>" for x in inv[1:]) + "</ul>"
        )
    return parts


def study_currency(manifest: dict) -> str:
    """The currency of a study's scenarios (its first arm's; the default for older folders)."""
    try:
        return str(manifest["arms"][0]["scenario"]["economics"]["currency"])
    except (KeyError, IndexError, TypeError):
        return DEFAULT_CURRENCY


def write_study_report(study: Study, path: Path | None = None) -> Path:
    """Write a study's report from what ``write_study`` wrote; returns its path.

    ``path`` defaults to ``report.html`` in the study's folder.
    """
    path = study.out / "report.html" if path is None else path
    m = study.manifest
    write_comparison_report(
        path,
        m.get("title", study.out.name),
        m.get("description", ""),
        study.replications,
        study.ledgers,
        study.summary,
        study.arms,
        study.claims,
        m.get("metrics"),
        verdict_parts(study) if study.claims is None else [],
        study_currency(m),
    )
    return path


def write_comparison_report(
    path: Path,
    title: str,
    description: str,
    replications: pd.DataFrame,
    ledgers: pd.DataFrame,
    summary: pd.DataFrame,
    arms: list[str],
    claims: pd.DataFrame | None = None,
    metrics: list[str] | None = None,
    lead: list[Part] | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> None:
    """Write ``report.html`` for a comparison or an experiment.

    Parameters
    ----------
    path : Path
        Where to write.
    title, description : str
        Heading and text under it.
    replications, ledgers, summary : pandas.DataFrame
        As written by :func:`relsim.experiments.study.write_study`.
    arms : list of str
        Arm names, the reference first.
    claims : pandas.DataFrame, optional
        An experiment's evaluated claims.
    metrics : list of str, optional
        Metrics for the summary table (default: the headline ones).
    lead : list, optional
        Parts that open the report after the arms (a comparison's verdict).
    currency : str
        What the scenarios' money is in (``economics.currency``).
    """
    shown = tuple(metrics) if metrics else HEADLINE
    figs: list[go.Figure] = [
        _over_time(
            ledgers, "profit", "Profit per period (mean and 95% band)", f"profit ({currency})"
        ),
        _over_time(
            ledgers,
            "total_costs",
            "Costs per period, all lines (mean and 95% band)",
            f"costs ({currency})",
        ),
        _over_time(ledgers, "customers", "Customers (mean per period, 95% band)", "customers"),
    ]
    if len(arms) > 1:
        figs.append(_payback_figure(ledgers, arms, currency))
    figs += [_causes_figure(replications), _costs_figure(replications, currency)]
    n = replications.groupby("arm")["replication"].nunique()
    listed = ", ".join(f"<b>{html.escape(a)}</b> ({int(n.get(a, 0))} replications)" for a in arms)
    parts: list[Part] = [
        f"<p>{html.escape(description)}</p>",
        f"<p>Arms: {listed}. Replication <i>i</i> of every arm shares its random streams "
        "(common random numbers), so differences are paired.</p>",
    ]
    parts += lead or []
    if claims is not None and len(claims):
        parts += ["<h2>Claims</h2>", claims_table(claims)]
    parts += ["<h2>Summary</h2>", summary_table(summary, shown, currency), *figs]
    write_page(Path(path), title, parts)
