"""Take the documentation's screenshots with Playwright and Debian's Chromium.

    python docs/screenshots.py RUN_DIR [SWEEP_DIR]

RUN_DIR is a run directory (``relsim run`` writes results/runs/baseline-seed20240101); the
app is started on a free port for the occasion. Images go to docs/img/.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUT = Path(__file__).parent / "img"


def main() -> None:
    """Start the app, open the reports and the page, and save the three images."""
    run_dir = Path(sys.argv[1])
    sweep_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = subprocess.Popen(
        [sys.executable, "-m", "relsim.cli", "app", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = b.new_page(viewport={"width": 1280, "height": 1500})
            page.goto((run_dir / "report.html").resolve().as_uri())
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 7", timeout=60000
            )
            page.locator("h2", has_text="The ladder").scroll_into_view_if_needed()
            page.screenshot(
                path=OUT / "report.png",
                clip={"x": 0, "y": 0, "width": 1280, "height": 1500},
                full_page=True,
            )
            if sweep_dir is not None:
                page.goto((sweep_dir / "report.html").resolve().as_uri())
                page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60000)
                page.screenshot(path=OUT / "sweep.png", full_page=False)
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            # The teaching page as a projector shows it: 1280x720, the first run drawn.
            page.set_viewport_size({"width": 1280, "height": 720})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("Number(document.body.dataset.run) >= 1", timeout=120000)
            page.screenshot(path=OUT / "app.png", full_page=False)
            b.close()
    finally:
        app.terminate()


if __name__ == "__main__":
    main()
