"""The verdict of a comparison: ranking, probability of being best, replications, investments."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from relsim.analysis.statistics import t_quantile
from relsim.errors import InputError
from relsim.experiments.verdict import Objective, investments, ranking
from relsim.reporting.verdict_text import verdict_lines


def frame(values: dict[str, np.ndarray], metric: str = "v") -> pd.DataFrame:
    rows = [
        {"arm": arm, "replication": i, metric: float(x)}
        for arm, xs in values.items()
        for i, x in enumerate(xs)
    ]
    return pd.DataFrame(rows)


def test_probability_of_being_best_estimates_the_normal_theory_value():
    # Paired replications: b - a ~ Normal(0.3, 1), so P(b beats a) = Phi(0.3) = 0.618 by theory.
    rng = np.random.default_rng(2024)
    n = 2000
    common = rng.normal(10.0, 5.0, n)  # luck both arms share (common random numbers)
    a = common
    b = common + rng.normal(0.3, 1.0, n)
    r = ranking(frame({"a": a, "b": b}), ["a", "b"], Objective("v")).set_index("arm")
    p = stats.norm.cdf(0.3)
    se = math.sqrt(p * (1 - p) / n)
    assert abs(r.loc["b", "p_best"] - p) < 4 * se
    assert r.loc["b", "rank"] == 1 and r.loc["a", "p_best"] == pytest.approx(
        1 - r.loc["b", "p_best"]
    )
    # The shared luck cancels in the paired gap: its interval is that of N(0.3, 1) / sqrt(n).
    assert r.loc["a", "gap_high"] - r.loc["a", "gap_low"] < 2 * 2.0 / math.sqrt(n) * 1.1
    assert bool(r.loc["a", "separated"])


def test_lower_is_better_reverses_the_ranking_and_ties_share_the_win():
    reps = frame({"a": np.array([1.0, 2.0, 3.0]), "b": np.array([1.0, 5.0, 0.0])})
    r = ranking(reps, ["a", "b"], Objective("v", larger_is_better=False)).set_index("arm")
    assert r.loc["a", "rank"] == 1  # mean 2 against 2: the first arm keeps its place
    # replication 0 is a tie (half each), 1 goes to a, 2 to b
    assert r.loc["a", "p_best"] == pytest.approx(0.5) == r.loc["b", "p_best"]


def test_replications_to_separate_is_the_smallest_n_whose_interval_excludes_zero():
    rng = np.random.default_rng(7)
    a = rng.normal(0, 1, 5)
    b = a + rng.normal(-0.4, 1.0, 5)  # a small gap, not separated by 5 replications
    r = ranking(frame({"a": a, "b": b}), ["a", "b"], Objective("v")).set_index("arm")
    loser = r.index[1]
    row = r.loc[loser]
    assert not row["separated"]
    d = (b - a) if loser == "b" else (a - b)
    s, g = np.std(d, ddof=1), abs(np.mean(d))
    n = int(row["replications_to_separate"])
    # n is enough for a half-width below the gap, and n - 1 is not.
    assert t_quantile(n - 1) * s / math.sqrt(n) <= g < t_quantile(n - 2) * s / math.sqrt(n - 1)
    text = "\n".join(verdict_lines(r.reset_index(), Objective("v")))
    assert f"About {n} replications would separate them" in text


def test_identical_arms_are_never_separated_and_say_so():
    x = np.array([1.0, 2.0, 4.0])
    r = ranking(frame({"a": x, "b": x.copy()}), ["a", "b"], Objective("v"))
    assert math.isinf(r["replications_to_separate"].iloc[1])
    assert "gave the same v in every replication" in "\n".join(verdict_lines(r, Objective("v")))


def test_investments_only_for_arms_that_spend_more_on_the_levers():
    reps = pd.DataFrame(
        {
            "arm": ["base"] * 3 + ["hire"] * 3 + ["cut"] * 3 + ["same"] * 3,
            "replication": [0, 1, 2] * 4,
            # levers: salaries; delivery is a running cost and does not count as investment
            "sales_managers": [100.0] * 3 + [150.0] * 3 + [80.0] * 3 + [100.0] * 3,
            "delivery": [10.0, 11.0, 12.0, 30.0, 31.0, 32.0, 5.0, 5.0, 5.0, 90.0, 90.0, 90.0],
            "v": [10.0, 12.0, 14.0, 30.0, 40.0, 38.0, 0.0, 1.0, 2.0, 10.0, 12.0, 14.0],
        }
    )
    periods = pd.date_range("2024-01-01", periods=2, freq="MS")
    ledgers = pd.DataFrame(
        [
            {"arm": a, "replication": r, "period": p, "profit": 1.0}
            for a in ("base", "hire", "cut", "same")
            for r in range(3)
            for p in periods
        ]
    )
    inv = investments(reps, ledgers, ["base", "hire", "cut", "same"], Objective("v"))
    assert list(inv["arm"]) == ["hire"]  # "same" spends more only on deliveries
    row = inv.iloc[0]
    assert row["extra_spend"] == pytest.approx(50.0)
    # ROI is the ratio of the mean gain to the mean extra spending: (20 + 28 + 24) / 3 / 50.
    assert row["roi"] == pytest.approx(24.0 / 50.0)


def test_an_unknown_objective_is_one_clear_error():
    with pytest.raises(InputError, match="--objective profits: expected a metric"):
        Objective.parse("profits", ["profit", "npv"])
    with pytest.raises(InputError, match="must be max or min"):
        Objective.parse("profit:down", ["profit"])
    assert Objective.parse("churn:min", ["churn"]) == Objective("churn", False)
