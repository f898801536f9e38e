"""The NBD-Dirichlet's theoretical measures: against the publication, and against its own process.

Two independent checks of :mod:`relsim.analysis.dirichlet`. The published one: Goodhardt,
Ehrenberg & Chatfield's toothpaste parameters give the table NBDdirichlet prints, to its two
decimals, and the package's estimator (M, K and S from a period's summary) gives the
parameters it prints. The Monte Carlo one: a panel drawn here from the model's generative
process (gamma rates, Poisson counts, Dirichlet choice probabilities, multinomial brand
choice), written with numpy in this file, measured by :func:`relsim.analysis.brands
.observed_measures`, agrees with the theory within four standard errors of each measure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from published import TOOTHPASTE_1973, TOOTHPASTE_1973_PACKAGE_FIT
from relsim.analysis.brands import PanelError, dirichlet_for, observed_measures
from relsim.analysis.dirichlet import Dirichlet, fit_dirichlet, fit_K

T = TOOTHPASTE_1973


def toothpaste() -> Dirichlet:
    M = T["M"]
    return Dirichlet(M, fit_K(M, T["category_penetration"]), T["S"], T["shares"], T["brands"])


def test_the_published_table_to_its_printed_precision() -> None:
    d = toothpaste()
    half = 0.005 + 1e-9  # a value printed to two decimals is within half a unit of the last
    for measure, got in [
        ("penetration", d.penetration()),
        ("purchases_per_buyer", d.purchases_per_buyer()),
        ("category_purchases_per_buyer", d.category_purchases_per_buyer()),
        ("duplication_with_colgate", d.duplication()[0]),
    ]:
        assert np.abs(got - np.array(T[measure])).max() <= half, (measure, got.round(3))


def test_the_package_estimator_gives_its_printed_parameters() -> None:
    fit = fit_dirichlet(
        T["category_penetration"], T["category_buy_rate"], T["shares"], T["penetration_observed"]
    )
    for name, value in TOOTHPASTE_1973_PACKAGE_FIT.items():
        assert abs(getattr(fit.model, name) - value) <= 0.005 + 1e-9, name
    assert fit.used.all() and not fit.at_bound
    # and the NBD it chose has the panel's category penetration and buying rate
    assert fit.model.category_penetration == pytest.approx(T["category_penetration"], abs=1e-9)
    assert fit.model.category_buy_rate == pytest.approx(T["category_buy_rate"], abs=1e-9)


def test_double_jeopardy_and_few_sole_buyers() -> None:
    """What the theory says qualitatively: smaller brands, fewer buyers who buy them less often."""
    d = toothpaste()
    b, w = d.penetration(), d.purchases_per_buyer()
    order = np.argsort(-np.array(T["shares"]), kind="stable")
    assert np.all(np.diff(b[order]) <= 1e-12) and np.all(np.diff(w[order]) <= 1e-12)
    assert np.all(d.sole_buyers() < 0.5) and np.all(d.scr() < 0.6)


def _panel(d: Dirichlet, people: int, rng: np.random.Generator) -> pd.DataFrame:
    """Purchases of a panel drawn from the NBD-Dirichlet's process (a rest-of-market brand too)."""
    alpha = d.S * np.append(d.shares, 1.0 - sum(d.shares))
    rates = rng.gamma(d.K, d.M / d.K, size=people)
    n = rng.poisson(rates)
    p = rng.dirichlet(alpha, size=people)
    x = np.array([rng.multinomial(k, q) for k, q in zip(n, p, strict=True)])
    names = [*d.names, "rest"]
    person, brand = np.nonzero(x)
    reps = x[person, brand]
    return pd.DataFrame(
        {
            "customer_id": np.repeat(person, reps).astype(str),
            "firm": np.repeat(np.array(names)[brand], reps),
        }
    ), x


def _ratio_se(a: np.ndarray, b: np.ndarray) -> float:
    """Standard error of ``sum(a) / sum(b)`` over independent people (delta method)."""
    r = a.sum() / b.sum()
    return float(np.sqrt(((a - r * b) ** 2).sum()) / b.sum())


def test_a_panel_drawn_from_the_process_matches_the_theory() -> None:
    """About 110 comparisons at four standard errors: a false alarm about once in 150 seeds."""
    d = Dirichlet(1.456, 0.78, 1.295, T["shares"], T["brands"])
    people = 40_000
    purchases, x = _panel(d, people, np.random.default_rng(20260129))
    observed, category = observed_measures(purchases, people, [*d.names, "rest"])
    theory = d.measures()
    n = x.sum(axis=1)
    for j, name in enumerate(d.names):
        bought = (x[:, j] > 0).astype(float)
        one = np.ones(people)
        cases = {
            "market_share": (x[:, j], n),
            "penetration": (bought, one),
            "purchases_per_buyer": (x[:, j], bought),
            "category_purchases_per_buyer": (n * bought, bought),
            "scr": (x[:, j], n * bought),
            "sole_buyers": (bought * (x[:, j] == n), bought),
        }
        for k, other in enumerate(d.names):
            cases[f"dup_{other}"] = (bought * (x[:, k] > 0), bought)
        for measure, (a, b) in cases.items():
            got, want = observed.loc[name, measure], theory.loc[name, measure]
            assert got == pytest.approx(a.sum() / b.sum())  # the table measures what it says
            if measure != f"dup_{name}":
                assert abs(got - want) <= 4 * _ratio_se(a, b), (name, measure, got, want)
    assert category.penetration == pytest.approx(d.category_penetration, abs=4 * 0.0025)


def test_a_fit_to_the_drawn_panel_recovers_the_parameters() -> None:
    """The estimator recovers the parameters within four of its standard deviations.

    Its spread on panels of 40,000 people, measured over 20 seeds: 0.7% for M, 0.8% for K,
    2.0% for S (mean 0.99 of the true S).
    """
    d = Dirichlet(1.456, 0.78, 1.295, T["shares"], T["brands"])
    purchases, _ = _panel(d, 40_000, np.random.default_rng(7))
    observed, category = observed_measures(purchases, 40_000)
    fit = dirichlet_for(observed, category)
    assert fit.model.M == pytest.approx(d.M, rel=4 * 0.007)
    assert fit.model.K == pytest.approx(d.K, rel=4 * 0.008)
    assert fit.model.S == pytest.approx(d.S, rel=4 * 0.020)


def test_panels_that_cannot_be_fitted_say_why() -> None:
    one_brand = pd.DataFrame({"customer_id": ["a", "a", "b"], "firm": ["x", "x", "x"]})
    observed, category = observed_measures(one_brand, 10)
    with pytest.raises(PanelError, match="at least two"):
        dirichlet_for(observed, category)
    no_repeat = pd.DataFrame({"customer_id": ["a", "b", "c"], "firm": ["x", "y", "x"]})
    observed, category = observed_measures(no_repeat, 10)
    with pytest.raises(PanelError, match="no repeat buyers"):
        dirichlet_for(observed, category)
    with pytest.raises(PanelError, match="more than the panel"):
        observed_measures(no_repeat, 2)
    with pytest.raises(ValueError, match="positive"):
        Dirichlet(1.0, 1.0, 0.0, [0.5, 0.5])
    with pytest.raises(ValueError, match="shares"):
        Dirichlet(1.0, 1.0, 1.0, [0.7, 0.5])
