"""How well customer equity predicts what the customers left at the horizon go on to yield.

The equity of :mod:`relsim.analysis.equity` values the customers a firm has at the end of a
run with a Markov chain on the ladder, estimated from the run's last year. Here the run goes
on for ``--years`` more: the chain, estimated at the usual horizon (day 1095) from days
730-1095, predicts the discounted customer-years and net margin the customers active on day
1095 yield over the next ``--years`` years (the finite-horizon value of the chain), and the
continuation shows what they actually yielded. Nothing is fitted to the continuation, so the
prediction could be off by any amount; the script prints by how much, per staffing level
(0 account managers runs the base down, 3 is the default, 6 is more than it needs).

Usage: ``python docs/equity_validation.py [--seeds 4] [--years 3] [--workers 2]``
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np

HORIZON = 1095.0


def one(managers: int, seed: int, years: float) -> dict[str, float]:
    """Predicted and realised discounted customer-years and margin of one run's end cohort."""
    import relsim
    from relsim.analysis.equity import STATES, estimate_chain
    from relsim.config.loading import load_scenario
    from relsim.model.rates import YEAR

    sc = load_scenario(
        "relsim:baseline",
        [
            f"simulation.days={HORIZON + years * YEAR}",
            f"firms.focal.account_managers={managers}",
        ],
    )
    tables = relsim.simulate(sc, seed=seed).tables()
    firm = sc.market.focal
    chain = estimate_chain(sc, tables, firm, HORIZON, YEAR)
    ts = tables["timeseries"]
    ts = ts[ts["firm"] == firm]
    counts = ts.loc[ts["day"] == HORIZON, list(STATES)].to_numpy(dtype=float)[0]
    c = sc.firms[firm].costs
    cu = tables["customers"]
    cu = cu[(cu["firm"] == firm) & (cu["start_day"] <= HORIZON) & ~(cu["end_day"] <= HORIZON)]
    end = HORIZON + years * YEAR
    tx = tables["transactions"]
    tx = tx[
        (tx["firm"] == firm)
        & (tx["day"] > HORIZON)
        & (tx["day"] <= end)
        & tx["relationship_id"].isin(set(cu["relationship_id"]))
    ]
    net = (
        (c.gross_margin - c.staff_bonus_share) * tx["amount"]
        - c.delivery_per_purchase
        - c.returns_per_failure * tx["failed"]
    )
    d = chain.delta
    real_margin = float((net * np.exp(-d * (tx["day"] - HORIZON) / YEAR)).sum())
    stay = (cu["end_day"].fillna(end).clip(upper=end).to_numpy() - HORIZON) / YEAR
    real_years = float(((1.0 - np.exp(-d * stay)) / d).sum())
    return {
        "managers": managers,
        "seed": seed,
        "customers": float(counts.sum()),
        "years_predicted": float(counts @ chain.values(years, np.ones(len(STATES)))),
        "years_realised": real_years,
        "margin_predicted": float(counts @ chain.values(years, chain.margins)),
        "margin_realised": real_margin,
    }


def main() -> None:
    """Run the check and print the table."""
    import pandas as pd
    from scipy import stats

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--years", type=float, default=3.0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    jobs = [(m, 9000 + s, a.years) for m in (0, 3, 6) for s in range(a.seeds)]
    with ProcessPoolExecutor(a.workers) as pool:
        rows = list(pool.map(one, *zip(*jobs, strict=True)))
    df = pd.DataFrame(rows)
    print(
        f"Customers active on day {HORIZON:g}, followed {a.years:g} more years; prediction "
        f"error of the ladder chain (mean over {a.seeds} seeds, 95% interval):"
    )
    for m, g in df.groupby("managers"):
        parts = [f"  {m} account managers ({g['customers'].mean():,.0f} customers):"]
        for what in ("years", "margin"):
            err = (g[f"{what}_predicted"] / g[f"{what}_realised"] - 1.0).to_numpy()
            half = stats.t.ppf(0.975, len(err) - 1) * err.std(ddof=1) / np.sqrt(len(err))
            label = "discounted customer-years" if what == "years" else "discounted net margin"
            parts.append(
                f"{label} {err.mean():+.1%} [{err.mean() - half:+.1%}, {err.mean() + half:+.1%}]"
            )
        print(" ".join(parts[:1]) + " " + "; ".join(parts[1:]))


if __name__ == "__main__":
    main()
