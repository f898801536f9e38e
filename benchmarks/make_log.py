"""A synthetic transaction log shaped like a retailer's export, for the forecasting benchmarks.

Each customer buys at a gamma-distributed rate while alive and has an exponential lifetime
with a gamma-distributed death rate (a Pareto/NBD population), over two years; a row holds a
text customer id, an ISO date and time, an amount, and the store and product columns a real
export carries and ``relsim forecast`` does not need.

    python benchmarks/make_log.py ROWS OUT.csv [--seed 1]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd


def make_log(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """``rows`` purchases (to one customer's) of a Pareto/NBD population over 730 days, by time."""
    span = 730.0
    per_customer = 20.0  # about: customers are drawn in excess and cut at ``rows``
    n = max(1, int(1.5 * rows / per_customer))  # more than needed: cut at ``rows`` below
    rate = rng.gamma(0.9, 1.0 / 0.9, n) * (per_customer * 1.6 / span)
    life = rng.exponential(1.0, n) / rng.gamma(1.2, 1.0 / (1.2 * 550.0), n)  # mean 1.5 years
    first = rng.uniform(0.0, span * 0.5, n)
    active = np.clip(np.minimum(life, span - first), 0.0, None)
    counts = 1 + rng.poisson(rate * active)
    n = max(1, int(np.searchsorted(np.cumsum(counts), rows, side="right")))
    rate, first, active, counts = rate[:n], first[:n], active[:n], counts[:n]
    who = np.repeat(np.arange(n), counts)
    t = first[who] + rng.random(len(who)) * active[who]
    t[np.r_[0, np.cumsum(counts)[:-1]]] = first  # the first purchase opens the relationship
    order = np.argsort(t, kind="stable")
    who, t = who[order], t[order]
    basket = rng.lognormal(3.0, 0.6, n)
    amount = np.round(basket[who] * rng.gamma(4.0, 0.25, len(who)), 2)
    when = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.round(t * 86400), unit="s")
    return pd.DataFrame(
        {
            "transaction_id": np.arange(len(who)) + 10_000_000,
            "customer_id": pd.Series(who).map(lambda i: f"C{i:08d}"),
            "date": when.strftime("%Y-%m-%d %H:%M:%S"),
            "store": rng.integers(1, 400, len(who)),
            "product": rng.integers(1, 25_000, len(who)),
            "amount": amount,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    df = make_log(args.rows, np.random.default_rng(args.seed))
    df.to_csv(args.out, index=False)
    print(f"{args.out}: {len(df):,} rows, {df['customer_id'].nunique():,} customers")


if __name__ == "__main__":
    main()
