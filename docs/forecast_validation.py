"""Forecast validation: published fits reproduced and per-customer interval coverage.

Prints, for the closing note and the documentation:

- each published fit next to relsim's estimate (CDNOW: BG/NBD, Pareto/NBD, Gamma-Gamma;
  donations: BG/BB; Fader & Hardie 2007's two cohorts: sBG);
- the share of CDNOW customers whose holdout purchases fall in their 95% prediction interval
  (real data: the models are approximations, so this can fall short);
- the same on data drawn from BG/NBD itself, next to the coverage the predictive distribution
  claims, and the coverage of the P(alive) intervals over repeated data sets.

    python docs/forecast_validation.py [--out forecast_validation]
        (--out also writes docs/measured/forecast_validation.md, for the site's pages)
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data")
sys.path.insert(0, os.path.join(HERE, "..", "tests"))


def main() -> None:
    """Print the published fits next to relsim's and the coverage of the intervals."""
    from published import (
        BGBB_DONATIONS,
        BGNBD_CDNOW,
        GAMMAGAMMA_CDNOW,
        PARETONBD_CDNOW,
        SBG_HIGH_END,
        SBG_REGULAR,
    )
    from relsim.forecast import forecast
    from relsim.forecast.data import Columns, read_transactions
    from relsim.forecast.intervals import customer_intervals
    from relsim.forecast.models import FittedModel, fit_model
    from relsim.forecast.synthetic import bgnbd_paths, bgnbd_sample

    s = pd.read_csv(os.path.join(DATA, "cdnow_customers_summary_with_transactions.csv"))
    cdnow = pd.DataFrame(
        {"frequency": s["x"], "recency": s["t_x"], "T": s["T"], "monetary_value": s["zbar"]}
    )
    cases = [
        ("BG/NBD, CDNOW (Fader, Hardie & Lee 2005)", "bgnbd", cdnow, BGNBD_CDNOW),
        ("Pareto/NBD, CDNOW (same paper)", "paretonbd", cdnow, PARETONBD_CDNOW),
        ("Gamma-Gamma, CDNOW (Fader & Hardie 2013)", "gammagamma", cdnow, GAMMAGAMMA_CDNOW),
        (
            "BG/BB, donations (Fader, Hardie & Shang 2010)",
            "bgbb",
            pd.read_csv(os.path.join(DATA, "donations.csv")),
            BGBB_DONATIONS,
        ),
    ]
    for label, cohort in (("regular", SBG_REGULAR), ("high end", SBG_HIGH_END)):
        frame = pd.DataFrame(
            {"period": range(len(cohort["survivors"])), "survivors": cohort["survivors"]}
        )
        published = {k: v for k, v in cohort.items() if k != "survivors"}
        cases.append((f"sBG, {label} (Fader & Hardie 2007)", "sbg", frame, published))
    print("Published fits (published | relsim):")
    for label, name, data, published in cases:
        fit = fit_model(name, data)
        cells = [
            f"loglik {v:.1f} | {fit.loglik:.1f}"
            if k == "loglik"
            else f"{k} {v:g} | {fit.params[k]:.4g}"
            for k, v in published.items()
        ]
        print(f"  {label}: " + "; ".join(cells))

    tx = read_transactions(
        os.path.join(DATA, "CDNOW_sample.txt"),
        Columns("1", "2", "4"),
        "%Y%m%d",
        sep=r"\s+",
        header=False,
    )
    res = forecast(tx, "1997-09-30", models=("bgnbd", "mbgnbd", "paretonbd", "gammagamma"))
    cust = res.customers
    print("CDNOW 1/10 sample, 39-week holdout: share of customers inside their 95% interval")
    for m in ("bgnbd", "mbgnbd", "paretonbd"):
        lo, hi = cust[f"{m}_expected_purchases_low"], cust[f"{m}_expected_purchases_high"]
        share = ((cust["frequency_holdout"] >= lo) & (cust["frequency_holdout"] <= hi)).mean()
        print(f"  {m}: {share:.3f} of {len(cust):,}")

    truth = (0.8, 5.0, 1.2, 2.5)
    rng = np.random.default_rng(2024)
    data = bgnbd_paths(truth, rng.uniform(30, 52, 3000), 39.0, rng)
    fit = fit_model("bgnbd", data)
    band = customer_intervals(fit, data, 39.0, np.random.default_rng(1), draws=200)
    inside = (data["frequency_holdout"] >= band["expected_purchases_low"]) & (
        data["frequency_holdout"] <= band["expected_purchases_high"]
    )
    se = np.sqrt(inside.mean() * (1 - inside.mean()) / len(inside))
    print(
        f"BG/NBD data (3,000 customers, truth {truth}): holdout purchases inside the 95% "
        f"interval for {inside.mean():.3f} (standard error {se:.3f})"
    )
    probe = pd.DataFrame(
        {"frequency": [1.0, 4.0, 10.0], "recency": [5.0, 30.0, 20.0], "T": [40.0] * 3}
    )
    names = ["r", "alpha", "a", "b"]
    true_fit = FittedModel("bgnbd", pd.Series(truth, index=names), pd.DataFrame(), 0.0, 1.0)
    true_alive = true_fit.p_alive(probe["frequency"], probe["recency"], probe["T"])
    reps, covered = 200, np.zeros(3)
    for _ in range(reps):
        sample = bgnbd_sample(truth, rng.uniform(20, 52, 800), rng)
        b = customer_intervals(fit_model("bgnbd", sample), probe, 10.0, rng, draws=400)
        covered += (b["p_alive_low"] <= true_alive) & (true_alive <= b["p_alive_high"])
    share = covered / reps
    print(
        f"P(alive) intervals over {reps} data sets of 800 customers: coverage "
        + ", ".join(f"{c:.3f}" for c in share)
        + f" for three profiles (standard error {np.sqrt(0.95 * 0.05 / reps):.3f})"
    )


if __name__ == "__main__":
    import contextlib
    import io

    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main()
    print(buffer.getvalue(), end="")
    if out:
        from measured import write

        command = "python docs/forecast_validation.py --out " + out
        print("written to", write(out, command, "```text\n" + buffer.getvalue() + "```"))
