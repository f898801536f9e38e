"""Benchmark: relsim's model fits against lifetimes' on the same data, best of N each.

- BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma on the full CDNOW master (23,570 customers,
  39-week calibration ending 1997-09-30), the data set shipped with lifetimes;
- BG/BB on the donations data (11,104 donors, weighted patterns);
- Pareto/NBD on 200,000 simulated customers (relsim only unless --big-lifetimes: lifetimes
  had not finished after 460 s when this was first measured).

The calls alternate within one run, each a full fit including the standard errors; the best
time of each side (a busy machine only ever slows a fit down), their ratio and both sets of
estimates are printed.

    pip install -e ".[bench]" && python benchmarks/bench_forecast.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd


def best_of(n: int, ours, theirs) -> tuple[float, float, object, object]:
    """Alternate the two calls n times; the best wall time of each and the last results."""
    ours(), theirs()  # warm up both (imports, caches)
    t_ours, t_theirs = [], []
    r1 = r2 = None
    for _ in range(n):
        t0 = time.perf_counter()
        r1 = ours()
        t1 = time.perf_counter()
        r2 = theirs() if theirs is not None else None
        t2 = time.perf_counter()
        t_ours.append(t1 - t0)
        t_theirs.append(t2 - t1)
    return min(t_ours), min(t_theirs), r1, r2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--big-lifetimes", action="store_true", help="also time lifetimes on 200k")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    import lifetimes

    from relsim.forecast.data import Columns, calibration_holdout, read_transactions
    from relsim.forecast.fitters.bgbb import fit_bgbb
    from relsim.forecast.fitters.bgnbd import fit_bgnbd
    from relsim.forecast.fitters.gammagamma import fit_gamma_gamma
    from relsim.forecast.fitters.mbgnbd import fit_mbgnbd
    from relsim.forecast.fitters.paretonbd import fit_paretonbd
    from relsim.forecast.synthetic import paretonbd_sample

    folder = os.path.join(os.path.dirname(lifetimes.__file__), "datasets")
    tx = read_transactions(
        os.path.join(folder, "CDNOW_master.txt"),
        Columns("customer_id", "date", "dollar_value"),
        "%Y%m%d",
        sep=r"\s+",
    )
    s = calibration_holdout(tx, "1997-09-30")
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    f, r, age = s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy()
    don = pd.read_csv(os.path.join(folder, "donations.csv"))
    cases = {
        "BG/NBD": (lambda: fit_bgnbd(s), lambda: lifetimes.BetaGeoFitter().fit(f, r, age)),
        "MBG/NBD": (
            lambda: fit_mbgnbd(s),
            lambda: lifetimes.ModifiedBetaGeoFitter().fit(f, r, age),
        ),
        "Pareto/NBD": (
            lambda: fit_paretonbd(s),
            lambda: lifetimes.ParetoNBDFitter().fit(f, r, age),
        ),
        "Gamma-Gamma": (
            lambda: fit_gamma_gamma(s),
            lambda: lifetimes.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"]),
        ),
        "BG/BB": (
            lambda: fit_bgbb(don),
            lambda: lifetimes.BetaGeoBetaBinomFitter().fit(
                don["frequency"], don["recency"], don["periods"], weights=don["weights"]
            ),
        ),
    }
    print(f"CDNOW master: {len(s):,} customers; donations: {int(don['weights'].sum()):,} donors")
    print(
        f"{'model':<12} {'relsim s':>9} {'lifetimes s':>12} {'ratio':>6}  "
        "estimates (relsim | lifetimes)"
    )
    for name, (ours, theirs) in cases.items():
        mo, mt, r1, r2 = best_of(a.repeats, ours, theirs)
        est1 = np.round(np.asarray(r1.params), 4)  # type: ignore[union-attr]
        est2 = np.round(r2.params_.to_numpy(), 4)  # type: ignore[union-attr]
        print(f"{name:<12} {mo:>9.3f} {mt:>12.3f} {mo / mt:>6.2f}  {est1} | {est2}")
    rng = np.random.default_rng(0)
    ages = rng.integers(0, 273, 200_000) / 7 + 1  # first purchases spread over 39 weeks, by day
    big = paretonbd_sample((0.6, 11.6, 0.52, 8.8), ages, rng)
    big["recency"] = np.floor(big["recency"] * 7) / 7
    theirs = (
        (lambda: lifetimes.ParetoNBDFitter().fit(big["frequency"], big["recency"], big["T"]))
        if a.big_lifetimes
        else None
    )
    t0 = time.perf_counter()
    res = fit_paretonbd(big)
    first = time.perf_counter() - t0
    line = f"Pareto/NBD on 200,000 simulated customers: relsim {first:.1f} s"
    if theirs is not None:
        t0 = time.perf_counter()
        theirs()
        line += f", lifetimes {time.perf_counter() - t0:.1f} s"
    print(f"{line} (one fit; truth 0.6, 11.6, 0.52, 8.8; estimates {np.round(res.params, 3)})")
    print(
        "ratio = relsim best / lifetimes best (targets: Pareto/NBD <= 0.5, BG/BB and MBG/NBD "
        "<= 1); relsim times include the statsmodels results (standard errors from the Hessian)"
    )


if __name__ == "__main__":
    main()
