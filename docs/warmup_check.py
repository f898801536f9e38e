"""Measure the warm-up checks of a scenario: one run's MSER-5 against the replications' test.

    python docs/warmup_check.py relsim:baseline 9101 9102 9103 --reps 5 --workers 2
        [--out warmup_baseline]   (also writes docs/measured/warmup_baseline.md)

For each seed, ``--reps`` replications of the scenario: the latest MSER-5 cut of each single
run (the information a run's manifest keeps) and the verdict of the bias test that a study
applies to the replications (:func:`relsim.analysis.warmup.replication_warmup`).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

import relsim
from relsim.analysis.warmup import replication_warmup


def _one(args: tuple[str, int, int]) -> tuple[int, pd.DataFrame, float, float]:
    name, seed, rep = args
    sc = relsim.load_scenario(name)
    res = relsim.simulate(sc, seed=seed, replication=rep)
    batches = res.warmup.batches.assign(replication=rep)
    return seed, batches, res.warmup.longest, float(sc.simulation.warmup_days)


def main() -> None:
    """Print one line per seed, and the test's table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("seeds", nargs="+", type=int)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", help="also write docs/measured/OUT.md, for the site's pages")
    a = ap.parse_args()
    print(f"relsim {relsim.__version__}, {a.scenario}, {a.reps} replications a seed")
    tasks = [(a.scenario, s, r) for s in a.seeds for r in range(a.reps)]
    with ProcessPoolExecutor(a.workers) as ex:
        out = list(ex.map(_one, tasks))
    rows = []
    for s in a.seeds:
        mine = [o for o in out if o[0] == s]
        verdict = replication_warmup(pd.concat([o[1] for o in mine]), mine[0][3])
        cuts = ", ".join(f"{o[2]:g}" for o in mine)
        print(f"seed {s}: one-run MSER-5 latest cut (days): {cuts}")
        print(f"  study: {verdict.message()}")
        print(verdict.tests.round(4).to_string(index=False))
        t = verdict.tests
        rows.append(
            f"| {s} | {mine[0][3]:g} | {cuts} | {len(verdict.biased)} of {len(t)} | "
            f"{t['p'].min():.3g} | {verdict.threshold:.3g} |"
        )
    if a.out:
        from measured import write

        body = (
            f"{a.scenario}, {a.reps} replications a seed.\n\n"
            "| seed | warm-up (days) | one run's MSER-5 latest cut (days), per replication | "
            "series biased | smallest p | threshold |\n|---|---|---|---|---|---|\n"
            + "\n".join(rows)
        )
        argv = " ".join(sys.argv[1:])
        print("written to", write(a.out, f"python docs/warmup_check.py {argv}", body))


if __name__ == "__main__":
    main()
