"""Benchmark: the full model against a bare SimPy loop emitting as many purchase events.

For each market size the default scenario is scaled (initial customers, budgets and staff in
proportion) and simulated; in the same run a bare SimPy loop, one process per average active
customer doing nothing but ``yield env.timeout(...)`` once per purchase, emits the same number
of purchase events over the same horizon. Each measurement runs in a fresh subprocess so its
peak memory is its own; model and baseline alternate, and the medians are reported.

    python benchmarks/bench_simulation.py            # 10k and 100k people, 3 repeats
    python benchmarks/bench_simulation.py --sizes 10000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def scaled_overrides(people: int) -> list[str]:
    k = people / 10_000
    sets = [f"simulation.people={people}"]
    for firm in ("focal", "rival"):
        sets += [f"firms.{firm}.initial_customers={int(3000 * k)}",
                 f"firms.{firm}.acquisition_budget_per_year={15000 * k}",
                 f"firms.{firm}.account_managers={max(1, round(5 * k))}",
                 f"firms.{firm}.service_desk_staff={max(1, round(1 * k))}"]
    return sets


def measure_model(people: int) -> dict:
    import relsim
    from relsim.analysis.tables import transactions_table
    from relsim.model.market import Market

    sc = relsim.load_scenario(overrides=scaled_overrides(people))
    t0 = time.perf_counter()
    m = Market(sc, seed=sc.simulation.seed)
    m.run()
    t1 = time.perf_counter()
    tx = transactions_table(m)
    t2 = time.perf_counter()
    days = sc.simulation.days
    customer_days = sum((min(r.end, days) if r.end == r.end else days) - r.start
                        for r in m.relationships)
    return {"seconds": t2 - t0, "event_loop_seconds": t1 - t0, "bulk_purchase_seconds": t2 - t1,
            "purchases": len(tx), "simpy_events": next(m.env._eid),
            "customer_years": customer_days / 365.0, "days": days,
            "mean_active": customer_days / days}


def measure_bare(processes: int, events: int, days: float) -> dict:
    import numpy as np
    import simpy

    rate = events / (processes * days)
    env = simpy.Environment()
    rng = np.random.default_rng(1)
    count = [0]

    def customer(waits):
        # Pre-drawn waits, so the loop measures SimPy and nothing else.
        i = 0
        while True:
            if i == len(waits):
                waits, i = rng.exponential(1.0 / rate, 256).tolist(), 0
            yield env.timeout(waits[i])
            i += 1
            count[0] += 1

    for _ in range(processes):
        env.process(customer(rng.exponential(1.0 / rate, 256).tolist()))
    t0 = time.perf_counter()
    env.run(until=days)
    return {"seconds": time.perf_counter() - t0, "purchases": count[0]}


def child(kind: str, args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, *rest = a.child
        res = measure_model(int(rest[0])) if kind == "model" else measure_bare(
            int(rest[0]), int(rest[1]), float(rest[2]))
        res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return

    print(f"{'people':>8} {'purchases':>10} {'SimPy ev':>9} {'cust-yr/s':>10} {'purch/s':>10} "
          f"{'bare purch/s':>12} {'ratio':>6} {'model MB':>9} {'bare MB':>8}")
    for people in a.sizes:
        models, bares = [], []
        for _ in range(a.repeats):
            m = child("model", [str(people)])
            models.append(m)
            bares.append(child("bare", [str(round(m["mean_active"])), str(m["purchases"]),
                                        str(m["days"])]))
        m_s = statistics.median(x["seconds"] for x in models)
        b_s = statistics.median(x["seconds"] for x in bares)
        m0, b0 = models[0], bares[0]
        model_rate = m0["purchases"] / m_s
        bare_rate = b0["purchases"] / b_s
        print(f"{people:>8} {m0['purchases']:>10} {m0['simpy_events']:>9} "
              f"{m0['customer_years'] / m_s:>10.0f} {model_rate:>10.0f} {bare_rate:>12.0f} "
              f"{model_rate / bare_rate:>6.2f} {max(x['peak_rss_mb'] for x in models):>9.0f} "
              f"{max(x['peak_rss_mb'] for x in bares):>8.0f}")
    print("model time = event loop + drawing the bulk purchases (the transactions table); "
          "ratio = model purchases/s over bare-loop purchases/s (>= 1 means no slower)")


if __name__ == "__main__":
    main()
