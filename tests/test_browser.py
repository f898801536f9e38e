"""The reports and the teaching page in a real browser: Debian's headless Chromium driven by
Playwright. Reports are opened offline (every network request is refused) and must draw
every figure; the app must redraw when a slider moves, in the direction the model says."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import small

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("RELSIM_REQUIRE_BROWSER"):
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium package"
        )
    pytest.skip("Chromium is not installed (Debian package 'chromium')", allow_module_level=True)

import playwright.sync_api as playwright  # noqa: E402 - a test dependency: missing is an error


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def open_offline(browser, url: str):
    """A page in which only file:// and 127.0.0.1 load: a CDN would fail here."""
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    refused: list[str] = []

    def route(r):
        u = r.request.url
        if u.startswith(("file://", "http://127.0.0.1", "data:")):
            r.continue_()
        else:
            refused.append(u)
            r.abort()

    page.route("**/*", route)
    page.goto(url)
    return page, errors, refused


def figures_drawn(page) -> list[int]:
    """Number of drawn traces of every plotly figure on the page."""
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .map(d => d.querySelector('.main-svg') && d._fullData ? d._fullData.length : 0)""")


def _check_report(browser, path: Path, at_least: int) -> None:
    page, errors, refused = open_offline(browser, path.as_uri())
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {at_least}",
        timeout=30000,
    )
    drawn = figures_drawn(page)
    assert len(drawn) >= at_least and all(n > 0 for n in drawn), drawn
    assert not errors, errors
    assert not refused, refused
    page.close()


def test_run_report_draws_every_figure_offline(browser, tmp_path):
    import relsim
    from relsim.reporting.run_report import write_run_report

    (tmp_path / "run").mkdir()
    write_run_report(relsim.simulate(small(), seed=3), tmp_path / "run" / "report.html")
    # ladder, bucket, cause mix, Lorenz, value-frequency, money, CLV
    _check_report(browser, tmp_path / "run" / "report.html", 7)


def test_comparison_and_rebuilt_reports_draw_offline(browser, tmp_path):
    from relsim.cli import main

    out = tmp_path / "cmp"
    sets = [
        "--set",
        "simulation.people=1500",
        "--set",
        "simulation.days=365",
        "--set",
        "firms.focal.initial_customers=400",
        "--set",
        "firms.rival.initial_customers=400",
    ]
    root = Path(__file__).resolve().parents[1] / "scenarios"
    assert (
        main(
            [
                "compare",
                str(root / "baseline.toml"),
                str(root / "relationship.toml"),
                "--reps",
                "2",
                "--out",
                str(out),
                *sets,
            ]
        )
        == 0
    )
    report = out / "report.html"
    report.unlink()
    assert main(["report", str(out)]) == 0  # rebuilt from the directory's files
    # profit, costs, customers, payback, causes, cost lines
    _check_report(browser, report, 6)


@pytest.fixture(scope="module")
def app_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "relsim.cli", "app", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    end = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < end, "relsim app did not start"
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    proc.wait(timeout=10)


def _trace_total(page, graph: str, name: str) -> float:
    return page.evaluate(f"""() => {{
        const t = document.querySelector('#{graph} .js-plotly-plot')._fullData
            .find(t => t.name === {json.dumps(name)});
        return Array.from(t.y).reduce((a, b) => a + Math.abs(b), 0); }}""")


def _contacts(page) -> float:
    row = page.locator("#key-figures tr", has_text="contacts per customer a year")
    return float(row.locator("td").inner_text())


def test_app_redraws_when_a_slider_moves(browser, app_url):
    page, errors, refused = open_offline(browser, app_url)
    page.wait_for_selector("#bucket .main-svg", timeout=60000)
    page.wait_for_function("document.querySelector('#key-figures').innerText.includes('profit')")
    lost_before = _trace_total(page, "bucket", "lost: neglect")
    contacts_before = _contacts(page)
    table_before = page.inner_text("#key-figures")
    thumb = page.locator("#slider-managers [role=slider]")
    thumb.focus()
    thumb.press("ArrowRight")  # one account manager more
    page.wait_for_function(
        "(before) => document.querySelector('#key-figures').innerText !== before",
        arg=table_before,
        timeout=60000,
    )
    # The bucket was redrawn from the new run. One manager is below the contact ceiling and
    # spends every spare hour on the customers most at risk, so the team is at capacity and
    # a second doubles the contacts made; they reach each customer more often, but less than
    # twice as often, because the firm keeps more customers to share them.
    assert _trace_total(page, "bucket", "lost: neglect") != lost_before
    assert contacts_before < _contacts(page) < 2 * contacts_before
    assert page.locator("#slider-managers input").input_value() == "2"
    assert all(n > 0 for n in figures_drawn(page))
    assert not errors and not refused, (errors, refused)
    page.close()


def test_app_presets_set_the_levers(browser, app_url):
    from relsim.app.page import PRESETS

    page, errors, _ = open_offline(browser, app_url)
    page.wait_for_selector("#bucket .main-svg", timeout=60000)
    page.click("#preset-relationship")
    want = str(PRESETS["relationship"]["managers"])
    page.wait_for_function(
        f"document.querySelector('#slider-managers input').value === '{want}'", timeout=60000
    )
    assert page.locator("#slider-cadence input").input_value() == str(
        PRESETS["relationship"]["cadence"]
    )
    assert not errors
    page.close()
