"""The README's manager and desk curves, from the two sweeps, as a table and an image.

    relsim sweep experiments/sweeps/manager_curve.toml --workers 2
    relsim sweep experiments/sweeps/desk_curve.toml --workers 2
    python docs/staffing_figure.py results/sweeps/manager_curve results/sweeps/desk_curve

Prints a Markdown table of each curve (means and 95% intervals over replications) and writes
docs/img/staffing.png (an offline page drawn in Debian's Chromium).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from relsim.analysis.statistics import mean_ci
from relsim.experiments.sweeps import read_runs
from relsim.reporting.page import write_page

OUT = Path(__file__).parent / "img" / "staffing.png"


def curve(folder: Path, factor: str, outputs: list[str]) -> pd.DataFrame:
    """Each output's mean and 95% interval at each value of the factor."""
    runs = read_runs(folder)
    rows = []
    for value, df in runs.groupby(factor):
        row: dict[str, float] = {factor: value, "n": len(df)}
        for o in outputs:
            row[o], row[f"{o}_low"], row[f"{o}_high"] = mean_ci(df[o].to_numpy())
        rows.append(row)
    return pd.DataFrame(rows)


def cell(r: pd.Series, o: str) -> str:
    """Mean [low, high]; money in thousands; an undefined figure says so."""
    if pd.isna(r[o]):
        return "none"
    if o == "profit":
        return f"{r[o] / 1e3:,.0f}k [{r[o + '_low'] / 1e3:,.0f}k, {r[o + '_high'] / 1e3:,.0f}k]"
    return f"{r[o]:.3g} [{r[o + '_low']:.3g}, {r[o + '_high']:.3g}]"


def table(c: pd.DataFrame, factor: str, outputs: dict[str, str]) -> str:
    """The curve as a Markdown table: mean [low, high] for each output."""
    head = f"| {factor.replace('_', ' ')} | " + " | ".join(outputs.values()) + " |"
    lines = [head, "|" + "---|" * (len(outputs) + 1)]
    for _, r in c.iterrows():
        cells = [cell(r, o) for o in outputs]
        lines.append(f"| {r[factor]:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def panel(fig: go.Figure, c: pd.DataFrame, factor: str, output: str, row: int, col: int) -> None:
    """One curve with its 95% interval as error bars."""
    fig.add_trace(
        go.Scatter(
            x=c[factor],
            y=c[output],
            mode="lines+markers",
            showlegend=False,
            line={"color": "#264653"},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": c[f"{output}_high"] - c[output],
                "arrayminus": c[output] - c[f"{output}_low"],
            },
        ),
        row=row,
        col=col,
    )


def screenshot(fig: go.Figure, out: Path) -> None:
    """Draw ``fig`` on an offline page in Debian's Chromium and save it as the PNG ``out``."""
    from playwright.sync_api import sync_playwright
    from screenshots import FLAGS  # the browser flags of docs/screenshots.py

    page = Path(tempfile.mkdtemp()) / f"{out.stem}.html"
    write_page(page, out.stem, [fig])
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        tab = b.new_page(viewport={"width": 1440, "height": 840})
        tab.goto(page.resolve().as_uri())
        tab.wait_for_selector(".js-plotly-plot .main-svg", timeout=60000)
        tab.locator(".js-plotly-plot").screenshot(path=str(out))
        b.close()
    print(f"\nwritten {out}")


def main() -> None:
    """Print the tables and draw the image."""
    managers, desk = Path(sys.argv[1]), Path(sys.argv[2])
    m_out = {
        "defections_neglect_per_customer_year": "neglect defections per customer-year",
        "days_between_contacts": "days between contacts",
        "cause_share_neglect": "neglect's share of defections",
        "profit": "profit over 3 years",
    }
    d_out = {
        "complaint_wait_days": "days a complaint waits",
        "complaints_recovered_share": "complaints that undo their grievance",
        "defections_dissatisfaction_per_customer_year": (
            "dissatisfaction defections per customer-year"
        ),
        "profit": "profit over 3 years",
    }
    mc = curve(managers, "account_managers", list(m_out))
    dc = curve(desk, "desk_staff", list(d_out))
    print(table(mc, "account_managers", m_out))
    print()
    print(table(dc, "desk_staff", d_out))
    fig = make_subplots(
        rows=2, cols=4, subplot_titles=[*m_out.values(), *d_out.values()], vertical_spacing=0.16
    )
    for i, o in enumerate(m_out, start=1):
        panel(fig, mc, "account_managers", o, 1, i)
        fig.update_xaxes(title_text="account managers (focal firm)", row=1, col=i)
    for i, o in enumerate(d_out, start=1):
        panel(fig, dc, "desk_staff", o, 2, i)
        fig.update_xaxes(title_text="service desk staff (focal firm)", row=2, col=i)
    fig.update_layout(
        template="plotly_white",
        height=720,
        width=1400,
        margin={"t": 60, "l": 60, "r": 20, "b": 60},
        title="The default market: staff against the causes they act on "
        "(means and 95% intervals over replications)",
    )
    screenshot(fig, OUT)


if __name__ == "__main__":
    main()
