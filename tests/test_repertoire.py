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


def test_the_metric_names_are_what_a_run_measures(small_run):
    """Claims and sweeps check names against metric_names() before any run: it must be whole."""
    from relsim.analysis.metrics import metric_names, run_metrics

    got = run_metrics(small_run.scenario, small_run.tables())
    others = {f"lost_to_{f}" for f in small_run.scenario.firms if f != small_run.focal}
    assert [k for k in got if k not in others] == metric_names()


def test_the_share_of_wallet_lost_to_moves_is_the_movers_purchases():
    """Moves take a person's whole repertoire: the store loses its share of their purchases.

    With relocation the only mechanism (a hazard of 0.5 a year per person, everyone replaced),
    the moves in a year are Poisson with mean 0.5 N, and each takes from the focal brand its
    purchases a year, rate x share, rate ~ Gamma(K, mean m) and share ~ Beta(S a, S (1 - a))
    independent of it. The purchases a year lost are compound Poisson: mean 0.5 N m a and
    variance 0.5 N E[rate^2] E[share^2]; checked within four standard errors, two-sided.
    """
    from relsim.analysis.metrics import run_metrics

    people, lam = 4000, 0.5
    sc = relsim.load_scenario(
        "relsim:toothpaste_1973",
        [
            f"simulation.people={people}",
            "simulation.days=365",
            f"switching.relocation_per_year={lam}",
        ],
    )
    got = run_metrics(sc, relsim.simulate(sc, seed=11).tables())
    m = sc.population.segments["all"].purchases_per_year
    k, s, a = sc.population.rate_shape, sc.market.repertoire.concentration, 0.25
    moves = lam * people * sc.simulation.days / 365.0
    mean = moves * m * a
    e_rate2 = m * m * (1.0 + 1.0 / k)
    e_share2 = a * (s * a + 1.0) / (s + 1.0)
    se = float(np.sqrt(moves * e_rate2 * e_share2))
    assert abs(got["wallet_lost_relocation"] - mean) <= 4 * se, (
        got["wallet_lost_relocation"],
        mean,
        se,
    )
    assert got["wallet_share_relocation"] == 1.0
    assert got["cause_share_relocation"] == 1.0


def _grocery(**values: object) -> relsim.Scenario:
    """The grocery repertoire market, small: 1,500 people, one year after a year's warm-up."""
    sets = ["simulation.people=1500", "simulation.days=365", "simulation.warmup_days=365"]
    sets += [f"{k}={v}" for k, v in values.items()]
    return relsim.load_scenario("relsim:grocery_inputs", sets)


def _store_panel(result: relsim.SimulationResult, firm: str) -> pd.DataFrame:
    """Purchases at ``firm`` (``x``) and in the category (``n``) per person, last quarter."""
    from relsim.analysis.brands import static_panel

    sc = result.scenario
    days = float(sc.simulation.days)
    tables = result.tables()
    panel, _ = static_panel(
        tables["transactions"], tables["events"], sc.simulation.people, days - 91, days
    )
    at = (panel["firm"].astype(str) == firm).astype(float)
    return pd.DataFrame({"x": at, "n": 1.0}).groupby(panel["customer_id"].to_numpy()).sum()


def _paired_ratio_gap(a: pd.DataFrame, b: pd.DataFrame, den: str) -> tuple[float, float]:
    """Ratio sum(x) / sum(den) of panel ``a`` minus that of ``b``, and its standard error.

    The same seed draws the same people in both runs (common random numbers), so the
    difference is linearised person by person (delta method), people missing from one
    panel counting zero there.
    """
    both = a.add_suffix("_a").join(b.add_suffix("_b"), how="outer").fillna(0.0)
    ra = both["x_a"].sum() / both[f"{den}_a"].sum()
    rb = both["x_b"].sum() / both[f"{den}_b"].sum()
    z = (both["x_a"] - ra * both[f"{den}_a"]) / both[f"{den}_a"].sum()
    z -= (both["x_b"] - rb * both[f"{den}_b"]) / both[f"{den}_b"].sum()
    return float(ra - rb), float(np.sqrt((z**2).sum()))


def test_account_managers_win_a_store_more_of_its_buyers_purchases():
    """Account managers win a store a larger share of its buyers' purchases.

    Attention climbs the ladder and higher rungs weigh more in the repertoire: a store with
    ample account managers (12 against none, the same seed) takes a larger share of its
    buyers' category requirements, and neglect ends fewer of its relationships per
    customer-year. The mechanism gives the sign (one-sided); the margin is four standard
    errors of the difference (delta method over the people of the two runs, paired by
    person, for the share of requirements; Poisson counts for the endings).
    """
    from relsim.analysis.metrics import run_metrics

    runs = {
        n: relsim.simulate(_grocery(**{"firms.focal.account_managers": n}), seed=5) for n in (0, 12)
    }
    panels = {}
    for n, result in runs.items():
        p = _store_panel(result, "focal")
        p["req"] = p["n"] * (p["x"] > 0)  # the category purchases of the store's buyers
        panels[n] = p
    gap, se = _paired_ratio_gap(panels[12], panels[0], "req")
    assert gap > 4 * se, (gap, se)
    m = {n: run_metrics(r.scenario, r.tables()) for n, r in runs.items()}
    lost = {n: m[n]["lost_neglect"] for n in runs}
    years = {n: m[n]["customer_years"] for n in runs}
    rate = {n: lost[n] / years[n] for n in runs}
    rate_se = np.hypot(np.sqrt(lost[0]) / years[0], np.sqrt(lost[12]) / years[12])
    assert rate[0] - rate[12] > 4 * rate_se, (rate, rate_se)


def _year_panel(result: relsim.SimulationResult, firm: str) -> pd.DataFrame:
    """Purchases at ``firm`` (``x``) and in the category (``n``) per person, all measured days."""
    tx = result.tables()["transactions"]
    at = (tx["firm"].astype(str) == firm).astype(float)
    return pd.DataFrame({"x": at, "n": 1.0}).groupby(tx["customer_id"].to_numpy()).sum()


def test_a_rivals_price_cut_takes_share_by_price_comparisons():
    """A rival's price cut takes share from the focal store by price comparisons.

    The rival a quarter cheaper (the same seed): the focal store loses more relationships to
    price and a smaller share of the category's purchases over the year goes to it. One-sided,
    as the mechanism gives the sign; four standard errors (Poisson counts; the delta method
    over people, paired by person, for the market share).
    """
    from relsim.analysis.metrics import run_metrics

    runs = {
        p: relsim.simulate(_grocery(**{"firms.rival.price_index": p}), seed=6) for p in (1.0, 0.75)
    }
    gap, se = _paired_ratio_gap(
        _year_panel(runs[1.0], "focal"), _year_panel(runs[0.75], "focal"), "n"
    )
    assert gap > 4 * se, (gap, se)
    lost = {p: run_metrics(r.scenario, r.tables())["lost_price"] for p, r in runs.items()}
    assert lost[0.75] - lost[1.0] > 4 * np.sqrt(lost[0.75] + lost[1.0]), lost


def test_grievances_move_a_shoppers_trips_to_the_rest_of_the_repertoire():
    """A remembered grievance weighs on the store's share until it fades or is put right.

    The focal store fails one episode in seven; with ``grievance_weight`` 0.5 against 1 (the
    same seed) each remembered grievance halves its pull in the shopper's repertoire, so a
    smaller share of the category's purchases over the year goes to it. Dissatisfaction
    endings are switched off in both arms to isolate the share mechanism: with them, fewer
    trips to the store also mean fewer failed episodes and fewer endings, which gives back
    part of the share. One-sided, as the mechanism gives the sign; four standard errors
    (delta method over people, paired).
    """
    runs = {
        w: relsim.simulate(
            _grocery(
                **{
                    "firms.focal.service_failure_prob": 0.15,
                    "market.repertoire.grievance_weight": w,
                    "switching.dissatisfaction_per_grievance_per_year": 0.0,
                }
            ),
            seed=8,
        )
        for w in (1.0, 0.5)
    }
    gap, se = _paired_ratio_gap(
        _year_panel(runs[1.0], "focal"), _year_panel(runs[0.5], "focal"), "n"
    )
    assert gap > 4 * se, (gap, se)


def test_studies_measure_the_brands_over_the_whole_market():
    """A comparison's or sweep's replication measures each firm on its own purchases, but the
    Dirichlet is the market's: its brand measures are those of the run's full tables."""
    from relsim.analysis.metrics import brand_metric_names, run_metrics
    from relsim.experiments.replication import replicate

    sc = relsim.load_scenario("relsim:toothpaste_1973", ["simulation.people=2000"])
    rows = replicate(sc.to_dict(), 3, 0, ledger=False)["metrics"].set_index("firm")
    tables = relsim.simulate(sc, seed=3).tables()
    for firm in ("colgate_dc", "boots"):
        whole = run_metrics(sc, tables, firm)
        for name in brand_metric_names():
            assert rows.at[firm, name] == pytest.approx(whole[name], rel=1e-12), (firm, name)
        assert 0.0 < whole["brand_penetration"] < 1.0


def test_the_observed_brand_measures_stand_when_no_dirichlet_fits():
    """Everyone buys in the quarter (a category penetration of 1): no NBD has that zero class,
    so the theoretical values are missing, and the observed ones are still measured."""
    from relsim.analysis.metrics import run_metrics

    sc = relsim.load_scenario(
        "relsim:toothpaste_1973",
        [
            "simulation.people=500",
            "population.segments.all.purchases_per_year=400",
            "population.rate_shape=50",  # nobody a light buyer: P(no purchase) ~ e^-100
        ],
    )
    m = run_metrics(sc, relsim.simulate(sc, seed=2).tables())
    assert 0.0 < m["brand_penetration"] < 1.0 and m["brand_purchases_per_buyer"] > 1.0
    assert np.isnan(m["dirichlet_penetration"]) and np.isnan(m["excess_sole_buyers"])
