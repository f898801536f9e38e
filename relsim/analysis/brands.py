"""Brand performance measures of a purchase panel, observed and as the NBD-Dirichlet predicts.

A panel is a set of people watched over a window, buyers or not, and the purchases they made
in it: one row a purchase, with the person and the firm (store or brand) it went to. The
measures are those of Ehrenberg's repeat-buying tables (Ehrenberg, Uncles & Goodhardt 2004):
market share, penetration, purchases per buyer, category purchases per buyer, share of
category requirements, sole buyers and duplication of purchase. A simulated run and a real
panel go through the same function; :func:`brand_table` puts the Dirichlet's values, fitted to
the same window (:func:`relsim.analysis.dirichlet.fit_dirichlet`), beside the observed ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsim.analysis.dirichlet import MEASURES, DirichletFit, fit_dirichlet


class PanelError(ValueError):
    """A panel whose measures cannot be taken, or to which no Dirichlet can be fitted."""


@dataclass(frozen=True)
class Category:
    """The category over the window: who bought it and how often."""

    panel_size: int
    buyers: int
    purchases: int

    @property
    def penetration(self) -> float:
        """Share of the panel who bought the category at least once."""
        return self.buyers / self.panel_size

    @property
    def buy_rate(self) -> float:
        """Category purchases per category buyer."""
        return self.purchases / self.buyers


def observed_measures(
    purchases: pd.DataFrame, panel_size: int, firms: Sequence[str] | None = None
) -> tuple[pd.DataFrame, Category]:
    """The brand performance measures of a window's purchases.

    Parameters
    ----------
    purchases : pandas.DataFrame
        One row a purchase, columns ``customer_id`` and ``firm``; only the window's.
    panel_size : int
        People in the panel, buyers or not (penetration counts those who bought nothing).
    firms : sequence of str, optional
        The firms, in the order of the table (default: by market share, largest first).
        A firm nobody bought from has penetration 0 and undefined per-buyer measures.

    Returns
    -------
    (pandas.DataFrame, Category)
        One row per firm (index ``firm``): :data:`~relsim.analysis.dirichlet.MEASURES` and
        ``dup_<firm>`` for every firm (in firm ``i``'s row, the share of ``i``'s buyers who
        also bought that firm); and the category's summary.
    """
    if len(purchases) == 0:
        raise PanelError("no purchases in the window")
    ids = purchases["customer_id"]
    people = (ids.astype(str) if ids.dtype == object else ids).to_numpy()
    firm = purchases["firm"]
    # a categorical's labels are mapped once, not per purchase
    brand = (
        firm.cat.rename_categories(str)
        if isinstance(firm.dtype, pd.CategoricalDtype)
        else firm.astype(str)
    )
    if firms is None:
        counts = brand.value_counts()
        firms = sorted(counts.index, key=lambda f: (-counts[f], f))
    firms = [str(f) for f in firms]
    unknown = sorted(set(brand.unique()) - set(firms))
    if unknown:
        raise PanelError(f"purchases of firms not listed: {', '.join(unknown[:3])}")
    person_codes, person_index = np.unique(people, return_inverse=True)
    n_people = len(person_codes)
    if n_people > panel_size:
        raise PanelError(
            f"{n_people:,} people bought in the window, more than the panel of {panel_size:,}"
        )
    firm_index = pd.Categorical(brand, categories=firms).codes.astype(np.int64)
    k = len(firms)
    # purchases of each person at each firm: people x firms, dense (a panel has few firms)
    counts = np.zeros((n_people, k))
    np.add.at(counts, (person_index, firm_index), 1.0)
    category = counts.sum(axis=1)
    bought = counts > 0
    buyers = bought.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_buyer = counts.sum(axis=0) / buyers
        cat_of_buyers = (bought * category[:, None]).sum(axis=0)
        table = pd.DataFrame(
            {
                "market_share": counts.sum(axis=0) / category.sum(),
                "penetration": buyers / panel_size,
                "purchases_per_buyer": per_buyer,
                "category_purchases_per_buyer": cat_of_buyers / buyers,
                "scr": counts.sum(axis=0) / cat_of_buyers,
                "sole_buyers": (bought & (bought.sum(axis=1) == 1)[:, None]).sum(axis=0) / buyers,
            },
            index=pd.Index(firms, name="firm"),
        )
        both = bought.T.astype(float) @ bought.astype(float)
        dup = both / buyers[:, None]
    for j, name in enumerate(firms):
        table[f"dup_{name}"] = dup[:, j]
    return table, Category(int(panel_size), int(n_people), int(category.sum()))


def static_panel(
    transactions: pd.DataFrame, events: pd.DataFrame, people: int, start: float, end: float
) -> tuple[pd.DataFrame, int]:
    """A run's purchases in the window [``start``, ``end``) by its static panel.

    The panel is the people in the market for the whole window, as the Dirichlet's sources
    measure it: those who arrived or left inside the window are left out with their purchases.

    Parameters
    ----------
    transactions, events : pandas.DataFrame
        The run's tables (columns ``customer_id``, ``firm``, ``day``; ``customer_id``,
        ``day``, ``event``).
    people : int
        People in the market at any time (a newcomer replaces everyone who leaves).
    start, end : float
        The window, in measured days.

    Returns
    -------
    (pandas.DataFrame, int)
        The panel's purchases (``customer_id``, ``firm``) and its size.
    """
    day = events["day"].to_numpy()
    inside = (day > start) & (day < end)
    who = events["customer_id"].to_numpy()
    entered = np.unique(who[inside & _is(events["event"], "entered_market")])
    left = np.unique(who[inside & _is(events["event"], "left_market")])
    # people there when the window opened and gone before it closed
    gone = np.setdiff1d(left, entered, assume_unique=True)
    out = np.union1d(entered, left)
    t = transactions["day"].to_numpy()
    rows = np.flatnonzero((t >= start) & (t < end))  # the window's rows, then its panel's
    rows = rows[~np.isin(transactions["customer_id"].to_numpy()[rows], out)]
    # column by column: a frame of the two columns first would copy them whole
    panel = pd.DataFrame(
        {c: transactions[c].iloc[rows].reset_index(drop=True) for c in ("customer_id", "firm")}
    )
    return panel, people - len(gone)


def _is(labels: pd.Series, value: str) -> np.ndarray:
    """Where a column of labels equals ``value``, by codes when it is categorical."""
    if isinstance(labels.dtype, pd.CategoricalDtype):
        cats = labels.cat.categories
        if value not in cats:
            return np.zeros(len(labels), dtype=bool)
        return labels.cat.codes.to_numpy() == cats.get_loc(value)
    return (labels.astype(str) == value).to_numpy()


def dirichlet_for(observed: pd.DataFrame, category: Category) -> DirichletFit:
    """The NBD-Dirichlet fitted to an observed table (as NBDdirichlet fits a period's summary).

    Raises
    ------
    PanelError
        If the panel has fewer than two firms with buyers, or no repeat buyers of the
        category (the NBD then has no shape to fit).
    """
    bought = observed[observed["penetration"] > 0]
    if len(bought) < 2:
        raise PanelError(
            f"{len(bought)} firm(s) with buyers in the window; the Dirichlet needs at least two"
        )
    if category.purchases <= category.buyers:
        raise PanelError("no repeat buyers of the category in the window; no NBD fits")
    try:
        return fit_dirichlet(
            category.penetration,
            category.buy_rate,
            bought["market_share"].tolist(),
            bought["penetration"].tolist(),
            [str(f) for f in bought.index],
        )
    except ValueError as err:
        raise PanelError(str(err)) from None


def brand_table(observed: pd.DataFrame, fit: DirichletFit) -> pd.DataFrame:
    """Observed and theoretical measures in one long table: one row per firm and ``source``.

    Columns ``firm, source, market_share, penetration, purchases_per_buyer,
    category_purchases_per_buyer, scr, sole_buyers`` and ``dup_<firm>``; ``source`` is
    ``observed`` or ``dirichlet``. A firm without buyers has no theoretical row values.
    """
    theory = fit.model.measures().reindex(index=observed.index, columns=observed.columns)
    rows = []
    for firm in observed.index:
        rows.append({"firm": firm, "source": "observed", **observed.loc[firm].to_dict()})
        rows.append({"firm": firm, "source": "dirichlet", **theory.loc[firm].to_dict()})
    return pd.DataFrame(rows, columns=["firm", "source", *observed.columns])


def deviations(observed: pd.DataFrame, fit: DirichletFit) -> pd.DataFrame:
    """Observed minus theoretical, per firm and measure (excess loyalty where positive)."""
    theory = fit.model.measures().reindex(index=observed.index)
    cols = [c for c in MEASURES if c != "market_share"]
    return observed[cols] - theory[cols]
