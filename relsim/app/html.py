"""The teaching page as one HTML document: the same page is served live and exported.

The page's script, style and configuration are package files filled into one template;
plotly.js comes from the installed plotly package and is served (or written) beside the page,
so nothing is loaded from the network, and the page has no online buttons.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from relsim.app.lessons import GLOSSARY, PRESETS, STEPS
from relsim.app.levers import CURRENCY, PEOPLE, lever_spec
from relsim.app.runs import CHANNELS
from relsim.model.causes import CAUSE_LABELS
from relsim.model.ladder import RELATIONSHIP_RUNGS
from relsim.reporting.style import CAUSE_COLOURS, CHANNEL_COLOURS, RUNG_COLOURS

#: Rungs: viridis, light (customer) to dark (partner): ordered, and distinct in print, on a
#: projector and for the common colour-vision deficiencies.
ABOUT = f"""
<p>A market of {PEOPLE:,} people and two firms, simulated day by day for two years with the
agent-based model of <code>relsim</code> (the default scenario at 30% of its size: one
account manager for about 900 customers). Every customer of the focal firm stands on a rung
of the relationship ladder (Payne, Christopher, Clark &amp; Peck, 1997) and can leave for a
cause: a cheaper rival, too long without a contact, a service failure not put right, moving
away, or something else. Each cause has its own mechanism, so each lever acts on the cause it
addresses, and the mix of causes is an outcome of the run, not an input.</p>
<p>Every run starts from the same market today, the steady state of the default levers, and
the levers take effect on day one: the page shows what a change sets off over the next two
years, including the transition (take the account manager away and watch the bucket drain).</p>
<p>Every run meets the same people with the same random draws (common random numbers): a
difference between two runs is caused by the levers. It is still one history of a small
market; differences of a few customers are within what chance alone would give another
seed.</p>
<p><b>Value of the customers kept</b> is customer equity at the end of the run (Gupta,
Lehmann &amp; Stuart, 2004): the customers on each rung times what a customer on that rung is
expected to bring over the chosen horizon, their margin less the cost of keeping them,
discounted, from the run's own rates of moving between rungs and leaving in its last year
(a Markov chain on the ladder, Pfeifer &amp; Carraway, 2000). It assumes the firm keeps its
retention spending per customer and stops acquiring. Profit over two years alone ignores the
customers a strategy leaves behind: cutting retention looks profitable until they are
valued.</p>
<p><b>Spent on ads, coupons, win-back</b> is everything the firm paid to win customers;
<b>each of the customers they won</b> divides it by the customers those channels brought in (paid,
with or without a coupon, and won back). Referrals and customers who switched from the rival
cost no channel money, so they are counted among the customers won but not in that
division. To see what growth costs, pin a run and compare: the extra spending over the extra
customers kept at the end.</p>
"""


def _static(name: str) -> str:
    return files("relsim.app").joinpath("static", name).read_text(encoding="utf-8")


def page_config() -> dict[str, Any]:
    """What the page's script needs to know: levers, presets, lesson, glossary, colours."""
    return {
        "currency": CURRENCY,
        "levers": lever_spec(),
        "presets": PRESETS,
        "steps": STEPS,
        "glossary": GLOSSARY,
        "rungs": [r.label for r in RELATIONSHIP_RUNGS],
        "causes": list(CAUSE_LABELS),
        "channels": list(CHANNELS),
        "colours": {"rungs": RUNG_COLOURS, "causes": CAUSE_COLOURS, "channels": CHANNEL_COLOURS},
        "about": ABOUT,
    }


def _script_json(doc: Any) -> str:
    # "</" could close the script element early; "<\/" is the same JSON string.
    return json.dumps(doc, separators=(",", ":")).replace("</", "<\\/")


def page_html(runs: list[dict[str, Any]] | None = None) -> bytes:
    """The page; with ``runs`` a static page that needs no server (it holds those runs).

    Parameters
    ----------
    runs : list of dict, optional
        Documents of :func:`relsim.app.runs.run_payload` to embed.

    Returns
    -------
    bytes
        UTF-8 HTML; it loads ``plotly.min.js`` from beside itself.
    """
    if runs is not None and not runs:
        raise ValueError("a static page needs at least one run")
    script = _static("page.js").replace("/*__CONFIG__*/null", _script_json(page_config()))
    embedded = (
        "" if runs is None else f"<script>window.RELSIM_RUNS = {_script_json(runs)};</script>"
    )
    html = (
        _static("page.html")
        .replace("/*__CSS__*/", _static("page.css"))
        .replace("/*__JS__*/", script)
        .replace("<!--__RUNS__-->", embedded)
    )
    return html.encode("utf-8")


def plotly_js() -> bytes:
    """plotly.js as bundled with the installed plotly package."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")
