"""Benchmark: ``relsim forecast`` of a big transaction log, time and peak memory.

Writes synthetic logs of 200,000 and 2,000,000 rows (``make_log.py``: a retailer's export with
six columns, three of which the models need), then, each in a fresh process, best of
``--repeats``:

- ``relsim forecast LOG`` as a user runs it (BG/NBD, Pareto/NBD, Gamma-Gamma, per-customer
  intervals, tracking, the aggregate forecasts and the report);
- the same with ``--intervals 0``;
- lifetimes on the same file: ``pandas.read_csv``, ``summary_data_from_transaction_data``,
  BG/NBD and Gamma-Gamma fits and each customer's expected purchases and CLV (less work than
  relsim's run: no Pareto/NBD, intervals, tracking or report).

Printed per size and side: wall seconds, rows per second and peak resident memory (the
child's maximum resident set, from ``wait4``).

    pip install -e '.[bench]' && python benchmarks/bench_forecast_log.py [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from make_log import make_log  # noqa: E402

LIFETIMES = """
import sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
df = pd.read_csv(sys.argv[1], usecols=["customer_id", "date", "amount"], parse_dates=["date"])
s = summary_data_from_transaction_data(df, "customer_id", "date", "amount", freq="W")
bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
s["expected"] = bg.conditional_expected_number_of_purchases_up_to_time(
    52, s["frequency"], s["recency"], s["T"])
rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
s["clv"] = gg.customer_lifetime_value(bg, rep["frequency"], rep["recency"], rep["T"],
    rep["monetary_value"], time=12, freq="W")
"""


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200_000, 2_000_000])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-lifetimes", action="store_true")
    args = ap.parse_args()
    print(f"{'rows':>10s} {'what':34s} {'seconds':>8s} {'rows/s':>9s} {'peak MB':>8s}")
    with tempfile.TemporaryDirectory(prefix="relsim-bench-log-") as tmp:
        for rows in args.sizes:
            log = Path(tmp) / f"log{rows}.csv"
            make_log(rows, np.random.default_rng(1)).to_csv(log, index=False)
            relsim = [sys.executable, "-m", "relsim.cli", "forecast", str(log), "--out"]
            best: dict[str, tuple[float, float]] = {}
            for i in range(args.repeats):  # the sides alternate within each round
                sides = {
                    "relsim forecast": [*relsim, f"{tmp}/f{rows}-{i}"],
                    "relsim forecast --intervals 0": [
                        *relsim,
                        f"{tmp}/g{rows}-{i}",
                        "--intervals",
                        "0",
                    ],
                }
                if not args.no_lifetimes:
                    sides["lifetimes (BG/NBD, Gamma-Gamma)"] = [
                        sys.executable,
                        "-c",
                        LIFETIMES,
                        str(log),
                    ]
                for name, cmd in sides.items():
                    s, mb = measure(cmd)
                    old = best.get(name, (float("inf"), float("inf")))
                    best[name] = (min(old[0], s), min(old[1], mb))
            for name, (s, mb) in best.items():
                print(f"{rows:10,d} {name:34s} {s:8.1f} {rows / s:9,.0f} {mb:8.0f}", flush=True)


if __name__ == "__main__":
    main()
