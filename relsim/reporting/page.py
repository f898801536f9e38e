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

from relsim.reporting.style import LABELS, MODEL_NAMES, TEMPLATE, label, number
from relsim.storage.signature import write_signed_text

STYLE = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1150px;
margin:auto;padding:0 1em;color:#1d2b36}div.table{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:90%;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f1f4f6}
td:first-child,th:first-child{text-align:left}
p.note{color:#555;font-size:92%}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
.warning{background:#fff4e5;border-left:4px solid #e69f00;padding:.4em .8em;margin:.5em 0}"""

Part: TypeAlias = go.Figure | pd.DataFrame | str
# Cells that are code names get words; plain words ("other", "price") are left as they are.
_CELL_WORDS = frozenset(MODEL_NAMES) | {k for k in LABELS if "_" in k}


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return number(value)
    if isinstance(value, str):
        return label(value) if value in _CELL_WORDS else value
    return str(value)


def table_html(df: pd.DataFrame) -> str:
    """A table as escaped HTML: plain column labels, numbers without exponents, "yes"/"no".

    Integers keep their digits (with thousands separators); floats get about four
    significant digits; a cell holding a known code name (a model, a cost line) gets its label.
    """
    shown = df.copy()
    shown.columns = [label(str(c)) for c in df.columns]
    for name, col in zip(shown.columns, df.columns, strict=True):
        values = df[col]
        if pd.api.types.is_bool_dtype(values):
            shown[name] = values.map(_cell)
        elif pd.api.types.is_integer_dtype(values):
            shown[name] = values.map(lambda v: f"{v:,}")
        else:
            shown[name] = values.map(lambda v: "" if v is None or v is pd.NA else _cell(v))
    body = shown.to_html(index=False, escape=True, na_rep="")
    return f'<div class="table">{body}</div>'


class EmbeddedFigure:
    """A plotly figure for a page that loads plotly.js itself (a notebook, the docs site).

    Its ``_repr_html_`` is the figure's ``<div>`` in relsim's template, without plotly.js and
    without MathJax, so nothing is fetched from the network.
    """

    def __init__(self, figure: go.Figure) -> None:
        self.figure = figure

    def _repr_html_(self) -> str:
        self.figure.update_layout(template=TEMPLATE)
        return str(
            self.figure.to_html(
                full_html=False,
                include_plotlyjs=False,
                include_mathjax=False,
                config={"displaylogo": False},
            )
        )


def page_html(title: str, parts: Sequence[Part]) -> str:
    """The page: a heading, then each part (a figure, a table, or HTML text) in order.

    Parameters
    ----------
    title : str
        Page title and top heading (escaped).
    parts : sequence
        ``plotly.graph_objects.Figure`` (given relsim's one template), ``pandas.DataFrame``
        (through :func:`table_html`) or a string of HTML (trusted: callers escape what they
        insert).
    """
    body, inlined = [], False
    for part in parts:
        if isinstance(part, go.Figure):
            part.update_layout(template=TEMPLATE)  # one look for every report
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
    """Write :func:`page_html` to ``path`` atomically, signed as relsim's.

    An existing file at ``path`` is replaced only if relsim wrote it and it is unchanged
    (:func:`relsim.storage.signature.write_signed_text`).
    """
    write_signed_text(Path(path), page_html(title, parts))
