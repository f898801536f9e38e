"""Per-customer 95% intervals cover what they claim, on data drawn from the model.

Two claims, two checks:

- the prediction interval of a customer's purchases in the holdout holds the count they
  actually make as often as the predictive distribution says it should (at least 95%, being
  discrete): the observed share is compared with the predictive mass inside the intervals,
  computed from fresh draws, within four standard errors of a sum of Bernoullis;
- the interval of P(alive) holds the P(alive) of the true parameters in 95% of data sets
  (parameter uncertainty): binomial over repeated data sets, two-sided, at the suite's level
  (tests/sampling.py). Eighty data sets can see a gross failure, not a small one: the
  pooled check fails for a coverage below about 0.90, so a coverage of 0.93 passes it. The
  coverage itself is measured on many more data sets by ``docs/forecast_validation.py``.
"""

import numpy as np
import pandas as pd
from sampling import z_one, z_two

from relsim.forecast.intervals import _with, customer_intervals, parameter_draws, simulate_future
from relsim.forecast.models import FittedModel, fit_model
from relsim.forecast.synthetic import bgnbd_paths, bgnbd_sample

TRUTH = (0.8, 5.0, 1.2, 2.5)


def test_purchase_intervals_cover_the_holdout_as_predicted():
    rng = np.random.default_rng(2024)
    data = bgnbd_paths(TRUTH, rng.uniform(30, 52, 3000), 39.0, rng)
    fit = fit_model("bgnbd", data)
    band = customer_intervals(fit, data, 39.0, np.random.default_rng(1), draws=200)
    low, high = band["expected_purchases_low"], band["expected_purchases_high"]
    inside = ((data["frequency_holdout"] >= low) & (data["frequency_holdout"] <= high)).mean()
    # the predictive mass inside each interval, from 400 independent draws
    fresh = np.random.default_rng(2)
    x, tx, T = (data[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    draws = parameter_draws(fit, 400, fresh)
    hits = np.zeros(len(data))
    for v in draws.values:
        one = _with(fit, v)
        counts = simulate_future(one, 39.0, x, tx, T, one.p_alive(x, tx, T), fresh)
        hits += (counts >= low.to_numpy()) & (counts <= high.to_numpy())
    c = hits / len(draws.values)
    se = np.sqrt((c * (1 - c)).sum()) / len(c) + np.sqrt(0.05 * 0.95 / 400 / len(c))
    assert abs(inside - c.mean()) <= z_two() * se, (inside, c.mean(), se)
    # a discrete count's 95% interval holds at least 95% of its predictive mass: one-sided
    # because theory gives a bound, not a value
    assert c.mean() >= 0.95 - z_one() * np.sqrt(0.05 * 0.95 / 400)


def test_p_alive_intervals_cover_the_truth_in_95_percent_of_data_sets():
    rng = np.random.default_rng(77)
    probe = pd.DataFrame(
        {"frequency": [1.0, 4.0, 10.0], "recency": [5.0, 30.0, 20.0], "T": [40.0, 40.0, 40.0]}
    )
    truth = FittedModel("bgnbd", pd.Series(TRUTH, index=["r", "alpha", "a", "b"]), None, 0, 1)  # type: ignore[arg-type]
    true_alive = truth.p_alive(probe["frequency"], probe["recency"], probe["T"])
    reps = 80
    covered = np.zeros(len(probe))
    hits_by_set = []
    for _ in range(reps):
        data = bgnbd_sample(TRUTH, rng.uniform(20, 52, 800), rng)
        fit = fit_model("bgnbd", data)
        band = customer_intervals(fit, probe, 10.0, rng, draws=400)
        hit = (band["p_alive_low"] <= true_alive) & (true_alive <= band["p_alive_high"])
        covered += hit
        hits_by_set.append(int(hit.sum()))
    share = covered / reps
    se = np.sqrt(0.95 * 0.05 / reps)
    assert (np.abs(share - 0.95) <= z_two() * se).all(), share  # each probe: 0.95 +- 0.08
    # The three probes pooled. Their hits in one data set are correlated, so the standard
    # error is that of the per-data-set share across the independent data sets.
    per_set = np.array(hits_by_set) / len(probe)
    pooled_se = max(per_set.std(ddof=1), np.sqrt(0.95 * 0.05 / len(probe))) / np.sqrt(reps)
    assert abs(per_set.mean() - 0.95) <= z_two() * pooled_se, (per_set.mean(), pooled_se)
