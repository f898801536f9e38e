"""The repertoire market docks with the NBD-Dirichlet where no marketing acts.

``relsim:toothpaste_1973`` holds Goodhardt, Ehrenberg & Chatfield's published inputs (M = 1.456,
K = 0.78, S = 1.295, the brands' shares) and no mechanism but purchasing. The SimPy model
makes every purchase from its own mechanisms: gamma purchase rates, Dirichlet propensities
drawn per person, each relationship's purchases a Poisson stream at the person's rate times
the firm's share of the repertoire. The theory says the measures over a quarter are the
Dirichlet's: each is checked within four standard errors (delta method over the 20,000
independent people; about 110 comparisons, so a false alarm about once in 150 seeds), and
against the published table to its two printed decimals plus that Monte Carlo error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relsim
import relsim.cli
from published import TOOTHPASTE_1973 as T
from relsim.analysis.brands import observed_measures
from relsim.analysis.dirichlet import Dirichlet


def _ratio_se(a: np.ndarray, b: np.ndarray) -> float:
    r = a.sum() / b.sum()
    return float(np.sqrt(((a - r * b) ** 2).sum()) / b.sum())


@pytest.fixture(scope="module")
def toothpaste():
    scenario = relsim.load_scenario("relsim:toothpaste_1973")
    result = relsim.simulate(scenario)
    firms = list(scenario.firms)
    shares = [scenario.market.repertoire.shares[f] for f in firms]
    tx = result.transactions
    people = scenario.simulation.people
    code = {f: i for i, f in enumerate(firms)}
    x = np.zeros((people, len(firms)))
    np.add.at(x, (tx["customer_id"].to_numpy(), tx["firm"].astype(str).map(code).to_numpy()), 1)
    observed, _ = observed_measures(tx[["customer_id", "firm"]], people, firms)
    return scenario, firms, shares, x, observed


def test_the_toothpaste_market_has_the_dirichlets_measures(toothpaste):
    scenario, firms, shares, x, observed = toothpaste
    days = scenario.simulation.days
    M = scenario.population.segments["all"].purchases_per_year * days / 365.0
    theory = Dirichlet(M, scenario.population.rate_shape, 1.295, shares, firms).measures()
    n = x.sum(axis=1)
    for j, name in enumerate(firms):
        bought = (x[:, j] > 0).astype(float)
        cases = {
            "market_share": (x[:, j], n),
            "penetration": (bought, np.ones_like(n)),
            "purchases_per_buyer": (x[:, j], bought),
            "category_purchases_per_buyer": (n * bought, bought),
            "scr": (x[:, j], n * bought),
            "sole_buyers": (bought * (x[:, j] == n), bought),
        }
        for k, other in enumerate(firms):
            if k != j:
                cases[f"dup_{other}"] = (bought * (x[:, k] > 0), bought)
        for measure, (a, b) in cases.items():
            got, want = observed.loc[name, measure], theory.loc[name, measure]
            assert abs(got - want) <= 4 * _ratio_se(a, b), (name, measure, got, want)


def test_the_toothpaste_market_reproduces_the_published_table(toothpaste):
    _, firms, _, x, observed = toothpaste
    brands = firms[:8]  # the eight named brands, in the paper's order
    n = x.sum(axis=1)
    colgate = (x[:, 0] > 0).astype(float)
    published = {
        "penetration": T["penetration"],
        "purchases_per_buyer": T["purchases_per_buyer"],
        "category_purchases_per_buyer": T["category_purchases_per_buyer"],
    }
    for j, name in enumerate(brands):
        bought = (x[:, j] > 0).astype(float)
        se = {
            "penetration": _ratio_se(bought, np.ones_like(n)),
            "purchases_per_buyer": _ratio_se(x[:, j], bought),
            "category_purchases_per_buyer": _ratio_se(n * bought, bought),
        }
        for measure, values in published.items():
            got = observed.loc[name, measure]
            assert abs(got - values[j]) <= 0.005 + 4 * se[measure], (name, measure, got)
        if j:
            got = observed.loc["colgate_dc", f"dup_{name}"]
            se_dup = _ratio_se(colgate * bought, colgate)
            want = T["duplication_with_colgate"][j]
            assert abs(got - want) <= 0.005 + 4 * se_dup, (name, "dup", got)


def test_a_repertoire_market_needs_shares_for_every_firm(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'extends = "relsim:toothpaste_1973"\nmarket.repertoire.shares = { colgate_dc = 1.0 }\n'
    )
    assert relsim.cli.main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "market.repertoire.shares: expected shares summing to 1, got 1.75" in err
    bad.write_text(
        'extends = "relsim:toothpaste_1973"\n[firms.newbrand]\n'
        "contact_every_days = { customer = 0, client = 0, supporter = 0, advocate = 0, "
        "partner = 0 }\n"
    )
    assert relsim.cli.main(["validate", str(bad)]) == 2
    assert (
        "market.repertoire.shares: expected one share for every firm (no share for newbrand)"
        in (capsys.readouterr().err)
    )
    bad.write_text('extends = "relsim:toothpaste_1973"\nmarket.repertoire.concentration = 0\n')
    assert relsim.cli.main(["validate", str(bad)]) == 2
    assert "concentration" in capsys.readouterr().err
    bad.write_text('extends = "relsim:toothpaste_1973"\nfirms.boots.initial_customers = 10\n')
    assert relsim.cli.main(["validate", str(bad)]) == 2
    assert "initial_customers: expected 0 in a repertoire market" in capsys.readouterr().err


def test_the_exclusive_market_is_unchanged_by_the_repertoire_code(small_run):
    """The exclusive default keeps one relationship per person at a time."""
    cu = small_run.customers
    open_rels = cu[cu["end_day"].isna()]
    assert not open_rels["customer_id"].duplicated().any()
    assert isinstance(small_run.transactions, pd.DataFrame)
