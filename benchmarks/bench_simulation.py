"""Benchmark: the model against bare SimPy loops doing a known share of its work.

Sides, each in a fresh subprocess (so peak memory is its own), best of ``--repeats``:

- **model**: ``relsim.simulate`` of the default scenario scaled to ``people`` (warm-up, event
  loop and tables);
- **bare, one event per purchase**: a SimPy loop with one process per active customer that
  does nothing but ``yield env.timeout(...)`` once per purchase, as many purchases as the
  model made: what simulating every purchase as an event would cost;
- **bare, same drawing**: the same number of SimPy events as the model's, spread over the
  same number of processes, plus the model's own way of drawing purchases in bulk (Poisson
  counts per segment, uniform times, gamma spend) for as many purchases: the cost of the
  model's machinery without its logic. ``model / same drawing`` is the price of the logic;
- **previous version** (``--baseline-src DIR``, a checkout of an earlier relsim): its
  ``simulate`` of its own default scenario, for regressions; and of the same scenario run
  for as many days as this version's default simulates (warm-up included), so that the
  ratio compares the same simulated time.

    python benchmarks/bench_simulation.py                      # 10k and 100k people
    python benchmarks/bench_simulation.py --sizes 10000 --repeats 3 --baseline-src /tmp/old
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def scaled_overrides(people: int, scenario: str | None = None) -> list[str]:
    """A scenario (the default one if None) with everything proportional to the market scaled
    with it."""
    import relsim

    base = relsim.load_scenario(scenario)
    k = people / base.simulation.people
    sets = [f"simulation.people={people}"]
    for name, st in base.firms.items():
        sets += [
            f"firms.{name}.initial_customers={int(st.initial_customers * k)}",
            f"firms.{name}.acquisition_budget_per_year={st.acquisition_budget_per_year * k}",
            f"firms.{name}.account_managers={max(1, round(st.account_managers * k))}",
            f"firms.{name}.service_desk_staff={max(1, round(st.service_desk_staff * k))}",
        ]
    return sets


def measure_model(people: int) -> dict:
    import relsim

    sc = relsim.load_scenario(overrides=scaled_overrides(people))
    t0 = time.perf_counter()
    res = relsim.simulate(sc)
    seconds = time.perf_counter() - t0
    rels = len(res.customers)
    return {
        "seconds": seconds,
        "purchases": len(res.transactions),
        "events": int(res.timings["simpy_events"]),
        "relationships": rels,
        "days": sc.simulation.days + sc.simulation.warmup_days,
    }


def measure_bare_per_purchase(processes: int, events: int, days: float) -> dict:
    import numpy as np
    import simpy

    rate = events / (processes * days)
    env = simpy.Environment()
    rng = np.random.default_rng(1)
    count = [0]

    def customer(waits):
        i = 0
        while True:  # pre-drawn waits: the loop measures SimPy and nothing else
            if i == len(waits):
                waits, i = rng.exponential(1.0 / rate, 256).tolist(), 0
            yield env.timeout(waits[i])
            i += 1
            count[0] += 1

    t0 = time.perf_counter()
    for _ in range(processes):
        env.process(customer(rng.exponential(1.0 / rate, 256).tolist()))
    env.run(until=days)
    return {"seconds": time.perf_counter() - t0, "purchases": count[0]}


def measure_bare_same_drawing(processes: int, events: int, purchases: int, days: float) -> dict:
    import numpy as np
    import simpy

    rng = np.random.default_rng(2)
    env = simpy.Environment()
    rate = events / (processes * days)

    def relationship(waits):
        i = 0
        while True:
            if i == len(waits):
                waits, i = rng.exponential(1.0 / rate, 256).tolist(), 0
            yield env.timeout(waits[i])
            i += 1

    t0 = time.perf_counter()
    for _ in range(processes):
        env.process(relationship(rng.exponential(1.0 / rate, 256).tolist()))
    env.run(until=days)
    # The model's bulk drawing, for as many purchases over as many segments.
    segments = max(processes * 3, 1)
    start = rng.random(segments) * days
    length = rng.random(segments) * (days - start)
    seg_rate = purchases / max(length.sum(), 1e-9)
    counts = rng.poisson(seg_rate * length)
    which = np.repeat(np.arange(segments), counts)
    t = start[which] + rng.random(len(which)) * length[which]
    order = np.lexsort((which, t))
    amount = np.round(rng.gamma(6.25, 1 / 6.25, len(t)) * 10.0, 2)[order]
    return {"seconds": time.perf_counter() - t0, "purchases": int(len(amount))}


def measure_previous(src: str, days: int = 0) -> dict:
    sys.path.insert(0, src)
    import relsim

    assert os.path.realpath(os.path.dirname(relsim.__file__)).startswith(os.path.realpath(src))
    sc = relsim.load_scenario(None, [f"simulation.days={days}"] if days else None)
    t0 = time.perf_counter()
    res = relsim.simulate(sc)
    return {"seconds": time.perf_counter() - t0, "purchases": len(res.transactions)}


def child(kind: str, *args: object) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    """The fastest run, with the largest peak memory of all (both are what a user meets)."""
    fastest = min(runs, key=lambda r: r["seconds"])
    return {**fastest, "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline-src", help="a checkout of an earlier relsim to compare with")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, *rest = a.child
        if kind == "model":
            res = measure_model(int(rest[0]))
        elif kind == "per_purchase":
            res = measure_bare_per_purchase(int(rest[0]), int(rest[1]), float(rest[2]))
        elif kind == "same_drawing":
            res = measure_bare_same_drawing(
                int(rest[0]), int(rest[1]), int(rest[2]), float(rest[3])
            )
        else:
            res = measure_previous(rest[0], int(rest[1]))
        res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return

    print(f"best of {a.repeats}; seconds and peak MB per side")
    print(
        f"{'people':>8} {'purchases':>10} {'events':>8} {'model s':>8} {'MB':>6} "
        f"{'per-purchase s':>14} {'MB':>6} {'same-drawing s':>14} {'MB':>6} "
        f"{'model/same':>10}"
    )
    for people in a.sizes:
        models, per, same = [], [], []
        for _ in range(a.repeats):  # the sides alternate, so load affects them alike
            m = child("model", people)
            models.append(m)
            per.append(child("per_purchase", m["relationships"], m["purchases"], m["days"]))
            same.append(
                child("same_drawing", m["relationships"], m["events"], m["purchases"], m["days"])
            )
        m, p, s = best(models), best(per), best(same)
        print(
            f"{people:>8} {m['purchases']:>10} {m['events']:>8} {m['seconds']:>8.2f} "
            f"{m['peak_rss_mb']:>6.0f} {p['seconds']:>14.2f} {p['peak_rss_mb']:>6.0f} "
            f"{s['seconds']:>14.2f} {s['peak_rss_mb']:>6.0f} "
            f"{m['seconds'] / s['seconds']:>10.2f}"
        )
    if a.baseline_src:
        import relsim

        sim = relsim.load_scenario().simulation
        days = int(sim.warmup_days + sim.days)
        now, before, same_days = [], [], []
        for _ in range(a.repeats):
            now.append(child("model", 10_000))
            before.append(child("previous", a.baseline_src, 0))
            same_days.append(child("previous", a.baseline_src, days))
        n, b, d = best(now), best(before), best(same_days)
        print(
            f"default scenario: this version {n['seconds']:.2f} s ({n['peak_rss_mb']:.0f} MB) "
            f"for {days} days; previous {b['seconds']:.2f} s ({b['peak_rss_mb']:.0f} MB) for "
            f"its {sim.days} days: {n['seconds'] / b['seconds'] - 1:+.0%}; previous run for "
            f"{days} days {d['seconds']:.2f} s ({d['peak_rss_mb']:.0f} MB): "
            f"{n['seconds'] / d['seconds'] - 1:+.0%}"
        )


if __name__ == "__main__":
    main()
