"""One self-contained HTML page of plotly figures and tables (no CDN: it works offline).

Every relsim report is written through :func:`write_page`: plotly.js is inlined once, at the
first figure, and the page is written atomically, so a report is either whole or absent.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

import pandas as pd
import plotly.graph_objects as go

from relsim.storage.atomic import write_file_atomically

STYLE = """body{font-family:system-ui,sans-serif;max-width:1150px;margin:auto;padding:0 1em;
color:#1d2b36}table{border-collapse:collapse;font-size:90%;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f1f4f6}
p.note{color:#555;font-size:92%}h2{margin-top:1.6em;border-bottom:1px solid #ddd}"""

Part: TypeAlias = go.Figure | pd.DataFrame | str


def table_html(df: pd.DataFrame) -> str:
    """A table as escaped HTML."""
    return df.to_html(index=False, escape=True, na_rep="", float_format=lambda v: f"{v:.4g}")


def page_html(title: str, parts: Sequence[Part]) -> str:
    """The page: a heading, then each part (a figure, a table, or HTML text) in order.

    Parameters
    ----------
    title : str
        Page title and top heading (escaped).
    parts : sequence
        ``plotly.graph_objects.Figure``, ``pandas.DataFrame`` or a string of HTML (trusted:
        callers escape what they insert).
    """
    body, inlined = [], False
    for part in parts:
        if isinstance(part, go.Figure):
            body.append(
                part.to_html(
                    full_html=False, include_plotlyjs=not inlined, config={"displaylogo": False}
                )
            )
            inlined = True
        elif isinstance(part, pd.DataFrame):
            body.append(table_html(part))
        else:
            body.append(part)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>relsim: {html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_page(path: Path, title: str, parts: Sequence[Part]) -> None:
    """Write :func:`page_html` to ``path`` atomically."""
    text = page_html(title, parts)
    write_file_atomically(Path(path), lambda p: p.write_text(text, encoding="utf-8"))
