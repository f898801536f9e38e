"""Time from Apply to updated charts on the teaching page, in Debian's headless Chromium.

    python benchmarks/bench_app.py [N]

Starts ``relsim app`` on a free port, waits for the runs it computes ahead (presets and lesson
steps), then sets the acquisition budget to N values the server has not computed yet and, for
each, clicks Apply and waits until every chart and figure is redrawn. The page itself measures
the time (from the click to the frame after the last chart is drawn). Beside it, in the same
process and on the same settings: the simulation alone (``simulate`` of the page's scenario,
the floor under any page), the server's compute time for the run, and Apply on a setting
already computed (a preset or lesson step: drawing only).
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

from relsim.analysis.simulation import simulate
from relsim.app.lessons import PRESETS, precomputed_settings
from relsim.app.levers import DEFAULTS, SEED, scenario_for

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    budgets = [31500 + 4500 * i for i in range(n)]  # none of them precomputed
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    app = subprocess.Popen(
        [sys.executable, "-m", "relsim.cli", "app", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        for setting in precomputed_settings(lessons_only=True):  # wait for the warm-up
            q = "&".join(f"{k}={v}" for k, v in setting.items())
            urllib.request.urlopen(f"{url}api/run?{q}", timeout=600).read()
        cold, server, warm = [], [], []
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = b.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url)
            page.wait_for_function("Number(document.body.dataset.run) >= 1", timeout=120000)

            def apply() -> float:
                before = int(page.evaluate("document.body.dataset.run"))
                page.click("#apply")
                page.wait_for_function(
                    f"Number(document.body.dataset.run) > {before}", timeout=120000
                )
                return float(page.evaluate("document.body.dataset.ms")) / 1000

            for budget in budgets:
                page.locator("#in-budget").fill(str(budget))
                cold.append(apply())
                q = f"{url}api/run?budget={budget}"
                server.append(json.load(urllib.request.urlopen(q, timeout=60))["seconds"])
            for name in [*PRESETS, *PRESETS]:
                before = int(page.evaluate("document.body.dataset.run"))
                page.click(f"#preset-{name}")
                page.wait_for_function(
                    f"Number(document.body.dataset.run) > {before}", timeout=120000
                )
                warm.append(float(page.evaluate("document.body.dataset.ms")) / 1000)
            b.close()
    finally:
        app.terminate()
        app.wait(timeout=30)
    sims = []
    for budget in budgets[:3]:
        sc = scenario_for({**DEFAULTS, "budget": budget})
        t0 = time.perf_counter()
        simulate(sc, seed=SEED)
        sims.append(time.perf_counter() - t0)
    print(f"teaching page, {n} settings not computed before (acquisition budget changed):")
    print(
        f"  Apply to updated charts, median   {statistics.median(cold):6.2f} s  "
        f"(min {min(cold):.2f}, max {max(cold):.2f})"
    )
    print(f"  server compute of the run, median {statistics.median(server):6.2f} s")
    print(f"  simulation alone, best of 3       {min(sims):6.2f} s")
    print(f"Apply on a computed run (presets), median {statistics.median(warm):.2f} s")


if __name__ == "__main__":
    main()
