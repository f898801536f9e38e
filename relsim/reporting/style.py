"""One look for every report and the teaching page.

The plotly template, the colours of rungs, causes and channels, plain labels for the code's
names, and numbers without exponents.

Every figure of a report passes through :func:`relsim.reporting.page.page_html`, which gives
it :data:`TEMPLATE`; tables are labelled and formatted there too, so a report cannot show
``sales_managers`` or ``1.353e+04``.
"""

from __future__ import annotations

import math
import re

import plotly.graph_objects as go
import plotly.io as pio

from relsim.analysis.economics import COST_LINES
from relsim.config.schema import Economics
from relsim.forecast.models import BENCHMARK_NAMES, SPECS
from relsim.model.ladder import RELATIONSHIP_RUNGS

#: What money is in when a folder or file does not say (the scenario schema's default).
DEFAULT_CURRENCY = Economics().currency
#: Okabe and Ito's colour-blind safe palette, for series with no colour of their own.
COLOURWAY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
_white = pio.templates["plotly_white"]
#: The one plotly template of relsim's reports (plotly_white, the palette above, a plain font).
TEMPLATE = go.layout.Template(_white)
TEMPLATE.layout.update(
    colorway=COLOURWAY,
    font={"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 14},
    title={"font": {"size": 17}},
    legend={"title": {"text": ""}},
)

#: The rungs light to dark (viridis: distinct and in order, readable without colour vision).
RUNG_COLOURS: dict[str, str] = dict(
    zip(
        (r.label for r in RELATIONSHIP_RUNGS),
        ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"),
        strict=True,
    )
)
CAUSE_COLOURS = {
    "relocation": "#8c6d31",
    "price": "#d62728",
    "dissatisfaction": "#e377c2",
    "neglect": "#ff7f0e",
    "other": "#7f7f7f",
}
CHANNEL_COLOURS = {
    "paid": "#1f77b4",
    "referral": "#2ca02c",
    "switched from the rival": "#17becf",
    "won back": "#bcbd22",
}
#: How a relationship began (the run's ``channel`` column) in words.
CHANNEL_NAMES = {
    "initial": "a customer at the start",
    "paid": "paid acquisition",
    "coupon": "paid, with a coupon",
    "referral": "referral",
    "switch": "switched from the rival",
    "win_back": "won back",
    "new": "every new customer",
}
#: Forecasting models and benchmarks in words.
MODEL_NAMES = {**{k: spec.title for k, spec in SPECS.items()}, **BENCHMARK_NAMES}
_COSTS = {
    "acquisition": "acquisition budget",
    "coupons": "coupons",
    "win_back": "win-back offers",
    "delivery": "delivery",
    "staff_bonuses": "staff bonuses",
    "returns": "returns",
    "database": "customer database",
    "sales_managers": "account managers",
    "service_desk": "service desk",
    "service_quality": "service quality",
    "partnership": "partnership",
    "other": "other costs",
    "setup": "set-up",
}
LABELS: dict[str, str] = {
    **_COSTS,
    **MODEL_NAMES,
    "gross_margin": "gross margin",
    "total_costs": "total costs",
    "npv": "net present value",
    "profit_margin": "profit margin",
    "customers_start": "customers at the start",
    "customers_end": "customers at the end",
    "customer_years": "customer-years",
    "churn_per_customer_year": "defections per customer-year",
    "retention_rate": "retention rate",
    "account_manager_utilisation": "account managers busy",
    "acquisition_retention_cost_ratio": "cost to win a customer / cost to keep one a year",
    "cost_per_acquired": "cost per customer won (paid)",
    "cost_per_retained_customer_year": "cost of keeping a customer a year",
    "cost_per_win_back": "cost per customer won back",
    "acquisition_spend": "spent on acquisition",
    "retention_spend": "spent on retention",
    "customer_equity": "customer equity at the end",
    "customer_equity_npv": "customer equity at the end (discounted to the start)",
    "equity_per_customer": "equity per customer",
    "profit_plus_equity": "profit + customer equity",
    "npv_plus_equity": "NPV + customer equity",
    "revenue_share_top20": "revenue from the top 20%",
    "first_year_defection_ratio": "first-year defection ratio",
    "silent_share_of_dissatisfied_leavers": "dissatisfied leavers who never complained",
    "std_error": "standard error",
    "ci_low": "95% interval from",
    "ci_high": "95% interval to",
    "loglik": "log-likelihood",
    "aic": "AIC",
    "bic": "BIC",
    "mae_purchases": "mean absolute error (purchases)",
    "rmse_purchases": "root mean square error (purchases)",
    "brier_p_alive_vs_truth": "Brier score of P(alive) against the truth",
    "mu_star": "mu* (mean absolute elementary effect)",
    "brand_scr": "share of category requirements (last quarter)",
    "dirichlet_scr": "share of category requirements, Dirichlet (last quarter)",
    "excess_scr": "share of category requirements minus Dirichlet (last quarter)",
    "dirichlet_S": "Dirichlet S (last quarter)",
}
#: Names whose values are money (given in the scenario's currency).
MONEY = frozenset(
    [
        *COST_LINES,
        "revenue",
        "gross_margin",
        "total_costs",
        "profit",
        "npv",
        "discounts",
        "loyalty_discounts",
        "offer_discounts",
        "acquisition_spend",
        "retention_spend",
        "cost_per_acquired",
        "cost_per_retained_customer_year",
        "cost_per_win_back",
        "customer_equity",
        "customer_equity_npv",
        "equity_per_customer",
        "profit_plus_equity",
        "npv_plus_equity",
    ]
)
_PATTERNS = (
    (re.compile(r"^defections_(\w+)_per_customer_year$"), "defections by {} per customer-year"),
    (re.compile(r"^cause_share_(\w+)$"), "share of defections: {}"),
    (re.compile(r"^customers_end_(\w+)$"), "{}s at the end"),
    (re.compile(r"^lost_(\w+)$"), "lost: {}"),
    (re.compile(r"^acquired_(\w+)$"), "won: {}"),
    (re.compile(r"^clv_(\w+)$"), "lifetime value: {}"),
    (re.compile(r"^value_(\w+)$"), "value of a {}"),
    (re.compile(r"^second_purchase_rate_(\w+)$"), "second-purchase rate: {}"),
    (re.compile(r"^wallet_lost_(\w+)$"), "purchases a year lost: {}"),
    (re.compile(r"^wallet_share_(\w+)$"), "share of wallet lost: {}"),
    (re.compile(r"^brand_(\w+)$"), "{} (last quarter)"),
    (re.compile(r"^dirichlet_(\w+)$"), "{}, Dirichlet (last quarter)"),
    (re.compile(r"^excess_(\w+)$"), "{} minus Dirichlet (last quarter)"),
)


def label(name: str) -> str:
    """A plain label for a column, metric, cost line, model or scenario key.

    Parameters
    ----------
    name : str
        A code name such as ``sales_managers``, ``cause_share_price`` or
        ``firms.focal.account_managers``.

    Returns
    -------
    str
        Words: ``account managers``, ``share of defections: price``,
        ``focal: account managers``. Unknown names lose their underscores.
    """
    if name in LABELS:
        return LABELS[name]
    if "." in name:
        parts = name.split(".")
        if parts[0] == "firms" and len(parts) > 2:
            return f"{parts[1]}: {label('.'.join(parts[2:]))}"
        return label(parts[-1])
    for pattern, words in _PATTERNS:
        m = pattern.match(name)
        if m:
            inner = m.group(1)
            return words.format(CHANNEL_NAMES.get(inner, inner.replace("_", " ")))
    return name.replace("_per_customer_year", " per customer-year").replace("_", " ")


def is_money(name: str) -> bool:
    """Whether a metric or cost line is an amount of money."""
    return name in MONEY or name.startswith(("clv_", "value_")) or name.split(".")[-1] in MONEY


def with_unit(name: str, currency: str) -> str:
    """:func:`label`, with the currency in brackets when the values are money."""
    text = label(name)
    return f"{text} ({currency or 'money'})" if is_money(name) else text


def number(value: float, digits: int = 4) -> str:
    """A number for a table, without an exponent.

    Thousands are separated and about ``digits`` significant digits kept: ``13,530``,
    ``0.0931``, ``-2,861``.

    Parameters
    ----------
    value : float
        The number; NaN gives an empty string, infinities a sign and "inf".
    digits : int
        Significant digits kept below ``10**(digits - 1)``; from there on numbers are whole.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    v = float(value)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0 or abs(v) >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    decimals = min(8, digits - 1 - math.floor(math.log10(abs(v))))
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: float, currency: str) -> str:
    """An amount in the scenario's currency: ``$555,500``, ``EUR 1,204``, ``-$31,000``."""
    sign = "-" if value < 0 else ""
    amount = f"{abs(value):,.0f}"
    if not currency:
        return f"{sign}{amount}"
    return f"{sign}{currency}{amount}" if len(currency) == 1 else f"{sign}{currency} {amount}"
