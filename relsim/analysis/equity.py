"""Customer equity at the horizon: what the customers a firm still has are expected to be worth.

Profit over a run ignores the customers left at its end, so a strategy that runs the base
down (cutting retention spending, say) looks better than it is. Customer equity values that
base, in the manner of Gupta, Lehmann & Stuart (2004, *Journal of Marketing Research* 41(1),
7-18): each customer is worth the discounted margin the firm can expect from them, net of
what it costs to keep them, until they leave.

The model is a continuous-time Markov chain on the relationship ladder, the customer
migration model of Pfeifer & Carraway (2000, *Journal of Interactive Marketing* 14(2),
43-55) in continuous time. Everything in it is estimated from the run itself, from what a
firm's own database would hold, never from the agents' hidden traits:

* **states**: the rungs customer, client, supporter, advocate and partner, and an absorbing
  state *gone* (defected for any cause, or left the market);
* **rates**: the rate of moving from rung *i* to rung *j* (or to *gone*) is the number of such
  moves in the measured window divided by the customer-years spent on rung *i* (the maximum
  likelihood estimate of a time-homogeneous chain);
* **rewards**: on rung *i* a customer yields, per year, the net margin of the purchases made
  on that rung (gross margin less staff bonuses, delivery and returns, as in
  :func:`relsim.analysis.economics.realised_clv`; the first purchase of a relationship is left
  out, being the act of acquisition) divided by the customer-years on that rung, less the
  database cost per customer-year, the partnership cost per member-year on member rungs, and
  the firm's other retention spending (account managers, service desk, service quality, the
  partnership's fixed cost) per customer-year: the firm is assumed to keep its retention
  policy at its cost per customer and to stop acquiring;
* **discounting**: continuous, at ``delta = ln(1 + r)`` for the scenario's yearly rate *r*.

With generator ``Q`` (off-diagonal: the rates between rungs; diagonal: minus every rate out
of the rung, *gone* included) and reward rates ``m``, the expected discounted value of a
customer on each rung solves ``(delta I - Q) v = m``; over a finite horizon of *H* years it is
``(delta I - Q)^-1 (I - exp((Q - delta I) H)) m``. Equity is the sum of ``v`` over the
customers on each rung at the horizon, in money of the horizon date.

What the model leaves out, and so gets wrong by: durations within a rung (a neglected
customer's hazard grows with the time since the last contact, which a rung-level rate
averages over), heterogeneity between customers on the same rung (those still there at the
end are, on average, the more loyal), and the value of future referrals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import expm

from relsim.analysis.tables import SALES_BLOCK, firm_rows, label_codes, money
from relsim.config.schema import Scenario
from relsim.model.ladder import RELATIONSHIP_RUNGS, Rung
from relsim.model.rates import YEAR

#: The chain's transient states, in order.
STATES = tuple(r.label for r in RELATIONSHIP_RUNGS)


@dataclass(frozen=True)
class LadderChain:
    """The estimated customer migration chain of one firm.

    Attributes
    ----------
    generator : numpy.ndarray
        ``Q``: rates per year between the rungs of :data:`STATES`; each row sums to minus
        the rate of leaving (``exit_rates``).
    exit_rates : numpy.ndarray
        Rate per year of leaving the firm from each rung.
    margins : numpy.ndarray
        Net margin of the purchases per customer-year on each rung (money per year).
    costs : numpy.ndarray
        Cost of keeping a customer a year on each rung (money per year).
    exposure_years : numpy.ndarray
        Customer-years observed on each rung.
    delta : float
        Continuous discount rate per year.
    """

    generator: np.ndarray
    exit_rates: np.ndarray
    margins: np.ndarray
    costs: np.ndarray
    exposure_years: np.ndarray
    delta: float

    @property
    def rewards(self) -> np.ndarray:
        """Net value per customer-year on each rung: margins less costs."""
        return self.margins - self.costs

    def values(self, years: float = math.inf, rewards: np.ndarray | None = None) -> np.ndarray:
        """Expected discounted value of a customer on each rung, over ``years`` from now.

        Parameters
        ----------
        years : float
            The horizon of the valuation; infinite by default.
        rewards : numpy.ndarray, optional
            Other reward rates per rung (1 on every rung gives discounted customer-years).

        Returns
        -------
        numpy.ndarray
            One value per rung of :data:`STATES`.
        """
        m = self.rewards if rewards is None else np.asarray(rewards, dtype=float)
        a = self.delta * np.eye(len(m)) - self.generator
        v = np.linalg.solve(a, m)
        if math.isinf(years):
            return v
        return np.linalg.solve(a, m - expm(-a * years) @ m)


def estimate_chain(
    scenario: Scenario,
    tables: dict[str, pd.DataFrame],
    firm: str,
    until: float | None = None,
    window: float = math.inf,
) -> LadderChain:
    """Estimate a firm's ladder chain from a run's tables, over days 0 to ``until``.

    Parameters
    ----------
    scenario : Scenario
        The scenario the run simulated (costs, discount rate).
    tables : dict of pandas.DataFrame
        The run's ``transactions``, ``events``, ``customers`` and ``timeseries``.
    firm : str
        Whose customers.
    until : float, optional
        Last day of the estimation window; the end of the run by default.
    window : float
        Length of the estimation window in days, ending on ``until`` (and starting no
        earlier than day 0); the whole measured window by default.

    Returns
    -------
    LadderChain
    """
    horizon = float(scenario.simulation.days if until is None else until)
    since = max(0.0, horizon - window)
    st, c = scenario.firms[firm], scenario.firms[firm].costs
    n = len(STATES)
    ts = tables["timeseries"]
    ts = ts[(ts["firm"] == firm) & (ts["day"] >= since) & (ts["day"] <= horizon)].sort_values("day")
    day = ts["day"].to_numpy(dtype=float)
    counts = ts[list(STATES)].to_numpy(dtype=float)
    # Customer-years on each rung: the trapezoid over the daily counts.
    exposure = (0.5 * (counts[:-1] + counts[1:]) * np.diff(day)[:, None]).sum(axis=0) / YEAR

    ev = tables["events"]
    # only the columns read here are copied with the firm's rows
    inside = (ev["firm"] == firm) & (ev["day"] > since) & (ev["day"] <= horizon)
    ev = ev.loc[inside, ["event", "rung_from", "rung_to"]]
    moves = np.zeros((n, n))
    kind = label_codes(ev["event"], ("rung_up", "rung_down", "defected"))
    step = ev[(kind == 0) | (kind == 1)]
    src, dst = label_codes(step["rung_from"], STATES), label_codes(step["rung_to"], STATES)
    ok = (src >= 0) & (dst >= 0)
    np.add.at(moves, (src[ok], dst[ok]), 1.0)
    gone = label_codes(ev.loc[kind == 2, "rung_from"], STATES)
    exits = np.bincount(gone[gone >= 0], minlength=n).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(exposure[:, None] > 0, moves / exposure[:, None], 0.0)
        exit_rates = np.where(exposure > 0, exits / exposure, 0.0)
    np.fill_diagonal(rates, 0.0)
    q = rates - np.diag(rates.sum(axis=1) + exit_rates)

    all_tx = tables["transactions"]
    a, b = 0, len(all_tx)
    if all_tx["day"].is_monotonic_increasing:
        # in time order (as runs are): the window (since, horizon] is one slice
        a, b = np.searchsorted(all_tx["day"].to_numpy(), [since, horizon], side="right")
    cu = tables["customers"]
    ids = cu["relationship_id"].to_numpy()
    rel_all = all_tx["relationship_id"].to_numpy()
    started = np.full(int(max(rel_all.max(initial=-1), ids.max(initial=-1))) + 1, np.nan)
    started[ids] = cu["start_day"].to_numpy()
    # A block of rows at a time, each added in row order (np.add.at adds one value after
    # another, as one bincount of the window would): the same sums, a block's temporaries.
    margin = np.zeros(n)
    for lo in range(int(a), int(b), SALES_BLOCK):
        tx = firm_rows(all_tx.iloc[lo : min(lo + SALES_BLOCK, int(b))], firm)
        day = tx["day"].to_numpy()
        inside = (day > since) & (day <= horizon)
        first = day == started[tx["relationship_id"].to_numpy()]
        net = (
            (c.gross_margin - c.staff_bonus_share) * money(tx, "amount")
            - c.delivery_per_purchase
            - c.returns_per_failure * tx["failed"].to_numpy()
        )
        rung = label_codes(tx["rung"], STATES)
        keep = inside & ~first & (rung >= 0)
        np.add.at(margin, rung[keep], net[keep])
    with np.errstate(divide="ignore", invalid="ignore"):
        margins = np.where(exposure > 0, margin / exposure, 0.0)
    members_from = int(Rung[st.partnership.from_rung.upper()])
    member = np.array([r >= members_from for r in RELATIONSHIP_RUNGS])
    fixed = (
        c.account_manager_salary_per_year * st.account_managers
        + c.desk_staff_salary_per_year * st.service_desk_staff
        + c.service_quality_per_year
        + st.partnership.fixed_cost_per_year
    )
    total_years = float(exposure.sum())
    costs = (
        c.database_per_customer_year
        + st.partnership.cost_per_member_per_year * member
        + (fixed / total_years if total_years else 0.0)
    )
    delta = math.log1p(scenario.economics.discount_rate_per_year)
    return LadderChain(q, exit_rates, margins, costs, exposure, delta)


def customer_equity(
    scenario: Scenario,
    tables: dict[str, pd.DataFrame],
    firm: str,
    until: float | None = None,
    years: float = math.inf,
    window: float = YEAR,
) -> dict[str, float]:
    """The expected discounted value of the customers a firm has on day ``until``.

    Parameters
    ----------
    scenario : Scenario
        The scenario the run simulated.
    tables : dict of pandas.DataFrame
        The run's tables.
    firm : str
        Whose customers.
    until : float, optional
        The day of the valuation (the chain is estimated from days 0 to ``until``); the end
        of the run by default.
    years : float
        How far ahead to value; infinite by default.
    window : float
        Days before ``until`` the chain is estimated from: the last year by default, so
        the rates are those of the policy as it runs at the end rather than of the run's
        start (within the measured window; all of it when the run is shorter).

    Returns
    -------
    dict of str to float
        ``customer_equity`` (money of the day of the valuation), ``customer_equity_npv`` (the
        same discounted to day 0), ``equity_per_customer`` and ``value_<rung>`` (the value of
        one customer on each rung).
    """
    horizon = float(scenario.simulation.days if until is None else until)
    chain = estimate_chain(scenario, tables, firm, horizon, window)
    v = chain.values(years)
    ts = tables["timeseries"]
    ts = ts[(ts["firm"] == firm) & (ts["day"] <= horizon)]
    last = ts.loc[ts["day"].idxmax(), list(STATES)].to_numpy(dtype=float)
    equity = float(last @ v)
    n = float(last.sum())
    out = {
        "customer_equity": equity,
        "customer_equity_npv": equity * math.exp(-chain.delta * horizon / YEAR),
        "equity_per_customer": equity / n if n else math.nan,
    }
    for label, value in zip(STATES, v, strict=True):
        out[f"value_{label}"] = float(value)
    return out


#: The figures :func:`customer_equity` returns, in its order.
EQUITY_MEASURES = (
    "customer_equity",
    "customer_equity_npv",
    "equity_per_customer",
    *(f"value_{label}" for label in STATES),
)
