"""The warm-up: MSER-5 finds a transient, and the replications' bias test judges it.

MSER-5 on one run is information; a study judges the warm-up by testing, over independent
replications, whether the first fifth of the measured window differs from the rest. Theory
for that test: under no bias each replication's difference has mean 0 and the replications are
independent, so the t statistic has a Student-t law with R - 1 degrees of freedom and the
test rejects at its stated rate, however autocorrelated the series is within a run.
"""

import math

import numpy as np
import pandas as pd
from sampling import assert_near, proportion_se, z_two
from scipy import signal

from relsim.analysis.warmup import BATCH, mser5, replication_warmup


def ar1(rng, n, phi, sd=1.0, burn=2000):
    """A stationary AR(1) path with marginal standard deviation ``sd``."""
    e = rng.normal(0.0, sd * math.sqrt(1 - phi**2), n + burn)
    e[0] = rng.normal(0.0, sd)  # x_0 from the stationary law
    return signal.lfilter([1.0], [1.0, -phi], e)[burn:]


def batches_of(paths, warmup_days=0.0):
    """The replications' 5-day batch means, as a study reads them."""
    rows = []
    for r, x in enumerate(paths):
        k = len(x) // BATCH
        z = x[: k * BATCH].reshape(k, BATCH).mean(axis=1)
        rows.append(
            pd.DataFrame(
                {
                    "firm": "f",
                    "series": "s",
                    "batch": np.arange(k),
                    "day": np.arange(k) * float(BATCH),
                    "mean": z,
                    "replication": r,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_mser5_cuts_a_step_where_it_ends():
    # 100 observations 10 standard deviations high, then white noise: the cut is at 100 exactly
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, 1000)
    x[:100] += 10
    assert mser5(x) == (100, True)


def test_the_bias_test_rejects_at_its_stated_rate_on_a_wandering_stationary_series():
    # Slow wandering (lag-1 autocorrelation 0.99, as a rung's head count): 400 studies of five
    # replications, each series tested alone at 5%. The rejection rate is Binomial(400, 0.05)/400.
    rng = np.random.default_rng(7)
    rejected = 0
    for _ in range(400):
        paths = [ar1(rng, 1000, 0.99) for _ in range(5)]
        rejected += replication_warmup(batches_of(paths), 0.0).short
    assert_near(rejected / 400, 0.05, proportion_se(0.05, 400))


def test_mser5_on_the_mean_of_replications_cuts_as_late_as_on_one_run():
    # The mean of independent copies of a stationary Gaussian series is the same series
    # scaled, and MSER-5 does not depend on scale: the share of cuts past the first fifth is the
    # same on one run and on the mean of five (which is why a study tests, and does not take
    # MSER-5's point on the mean as its verdict).
    rng = np.random.default_rng(8)
    late_one = late_mean = 0
    n = 300
    for _ in range(n):
        paths = [ar1(rng, 1000, 0.99) for _ in range(5)]
        late_one += mser5(paths[0])[0] > 200
        late_mean += mser5(np.mean(paths, axis=0))[0] > 200
    p1, p5 = late_one / n, late_mean / n
    pooled = (late_one + late_mean) / (2 * n)
    se = math.sqrt(2 * pooled * (1 - pooled) / n)
    assert abs(p1 - p5) <= z_two() * se, (p1, p5)
    assert p1 > 0.1  # and it is a common event, not a curiosity


def test_the_bias_test_finds_a_transient_and_not_once_it_has_passed():
    # A transient of 6 standard deviations decaying over 100 days. Measured from day 0, the
    # window's first fifth (280 days) is biased by 6 * 100 / 280 = 2.1 standard deviations of
    # the level; a replication's difference has sd about 0.42 (AR(1), lag-1 correlation 0.95,
    # means over 280 and 1,120 days), so t is about 11 against 2.78, the 5% critical value
    # with 4 degrees of freedom: the power is 1 to many places.
    rng = np.random.default_rng(9)
    t = np.arange(1400, dtype=float)
    paths = [6.0 * np.exp(-t / 100.0) + ar1(rng, len(t), 0.95) for _ in range(5)]
    early = replication_warmup(batches_of(paths), 0.0)
    assert early.short and early.judged
    # two replications give no verdict, so no warning, however large the bias
    two = replication_warmup(batches_of(paths[:2]), 0.0)
    assert not two.judged and not two.short
    assert early.tests["mser_day"].iloc[0] > 100
    late = replication_warmup(batches_of(paths), 1000.0)  # 6 exp(-10): nothing left
    assert not late.short


LONG_WARMUP = 1460


def test_a_study_of_a_market_that_fills_from_empty_warns(tmp_path, capsys):
    # Nobody is a customer on day 0 and the firms buy customers from then on: the first
    # months of the window have fewer customers on every rung than the rest. Without a warm-up
    # the comparison warns; after a long warm-up it does not.
    from relsim.cli import main

    sets = {
        "simulation.people": 1500,
        "simulation.days": 365,
        "simulation.warmup_days": 0,
        "firms.focal.initial_customers": 0,
        "firms.rival.initial_customers": 0,
        "firms.focal.acquisition_budget_per_year": 20000,
        "firms.rival.acquisition_budget_per_year": 20000,
    }
    base = tmp_path / "empty.toml"
    base.write_text(
        'extends = "relsim:baseline"\nname = "empty"\n'
        + "".join(f"{k} = {v}\n" for k, v in sets.items())
    )
    out = tmp_path / "cmp"
    argv = ["compare", str(base), "--reps", "4"]
    assert main([*argv, "--out", str(out), "--no-report"]) == 0
    text = capsys.readouterr().out
    assert "warning: empty: warm-up of 0 days leaves a bias" in text
    out2 = tmp_path / "cmp2"
    argv2 = [*argv, "--set", f"simulation.warmup_days={LONG_WARMUP}"]
    assert main([*argv2, "--out", str(out2), "--no-report"]) == 0
    assert "leaves a bias" not in capsys.readouterr().out
