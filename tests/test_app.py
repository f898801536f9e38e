"""The teaching page in Debian's headless Chromium (Playwright), live and exported.

Every test opens the page with the network cut off (only 127.0.0.1 and file:// load) and
checks what a lecturer would see: bad values refused on the page and by the server, one run
per Apply, runs pinned side by side on fixed axes, the animation stepped week by week against
the run's own series, the lesson's steps, and the projector layout at 1280x720. The tests
share one server (one xdist group), which starts computing the lesson's runs as it starts.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from chromium import figures_drawn, open_offline, require_chromium

require_chromium()

pytestmark = pytest.mark.xdist_group("app")


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
    end = time.monotonic() + 120
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
    proc.communicate(timeout=10)  # reaps it and closes its stderr pipe


def _run(url: str, **levers) -> dict:
    q = "&".join(f"{k}={v}" for k, v in levers.items())
    with urllib.request.urlopen(f"{url}api/run?{q}", timeout=300) as r:
        return json.load(r)


def _open(browser, url, width=1280, height=1600):
    page, errors, refused = open_offline(browser, url)
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function("Number(document.body.dataset.run) >= 1", timeout=180000)
    return page, errors, refused


def _apply_and_wait(page) -> None:
    before = int(page.evaluate("document.body.dataset.run"))
    page.click("#apply")
    page.wait_for_function(f"Number(document.body.dataset.run) > {before}", timeout=180000)


def _figure(page, label: str) -> str:
    row = page.locator("#key-figures tr", has_text=label)
    return row.locator("td").inner_text()


def test_bad_values_get_a_message_on_the_page_and_from_the_server(browser, app_url):
    page, errors, refused = _open(browser, app_url)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/run" in r.url else None)
    box = page.locator("#in-managers")
    for typed, says in (
        ("", "no value given"),
        ("99", "out of range"),
        ("-3", "out of range"),
        ("2.5", "not a whole number"),
    ):
        box.fill(typed)
        assert says in page.inner_text("#err-managers")
        assert box.get_attribute("aria-invalid") == "true"
        assert page.locator("#apply").is_disabled()
    box.fill("2")
    page.locator("#in-price").fill("0.5")
    assert "out of range" in page.inner_text("#err-price")
    assert page.locator("#apply").is_disabled()
    page.locator("#in-price").press("Enter")  # Enter does not get round the check
    assert "out of range" in page.inner_text("#msg")
    assert requests == []  # nothing bad reached the server
    # The server checks again, for anyone who calls it without the page.
    for query, says in (
        ("managers=2.5", "not a whole number"),
        ("managers=", "no value given"),
        ("price=0.5", "out of range"),
        ("budget=nan", "out of range"),
        ("colour=red", "unknown lever"),
    ):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{app_url}api/run?{query}", timeout=60)
        assert err.value.code == 400
        assert says in json.loads(err.value.read())["error"]
    assert not errors and not refused, (errors, refused)
    page.close()


def test_no_managers_reads_in_words_and_several_levers_cost_one_run(browser, app_url):
    page, errors, _ = _open(browser, app_url)
    flows_range = page.evaluate("document.querySelector('#flows').layout.yaxis.range")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/run" in r.url else None)
    page.locator("#in-managers").fill("0")
    page.locator("#in-cadence").fill("120")
    page.locator("#in-budget").fill("9000")
    _apply_and_wait(page)
    assert len(requests) == 1
    for lever, value in (("managers", "0"), ("cadence", "120"), ("budget", "9000")):
        assert f"{lever}={value}" in requests[0]
    assert _figure(page, "Account managers busy") == "no managers"
    text = page.inner_text("body")
    assert not re.search(r"\bnan\b|\bNaN\b|undefined|null", text)
    # Axes are fixed across runs: they may grow to fit a run, never shrink, so the default
    # run drawn again sits on the scale of the run without managers.
    grown = page.evaluate("document.querySelector('#flows').layout.yaxis.range")
    assert grown[1] >= flows_range[1] and grown[0] <= flows_range[0]
    before = int(page.evaluate("document.body.dataset.run"))
    page.click("#preset-default")
    page.wait_for_function(f"Number(document.body.dataset.run) > {before}", timeout=180000)
    assert page.locator("#in-managers").input_value() == "1"
    assert page.evaluate("document.querySelector('#flows').layout.yaxis.range") == grown
    names = page.evaluate("document.querySelector('#level')._fullData.map(t => t.name)")
    assert "previous run (all rungs)" in names
    assert not errors
    page.close()


def _money(x: float) -> str:
    """An amount as the page shows it (positive amounts; a one-character symbol)."""
    from relsim.app.levers import CURRENCY

    assert x >= 0 and len(CURRENCY) == 1
    return f"{CURRENCY}{x:,.0f}"


def test_pinned_runs_sit_side_by_side(browser, app_url):
    page, errors, _ = _open(browser, app_url)
    page.click("#pin")
    page.click("#preset-relationship")
    page.wait_for_function(
        "document.querySelector('#msg').innerText.includes('relationship strategy')",
        timeout=180000,
    )
    rows = page.locator("#pinned tr")
    assert rows.count() == 3  # header, the pinned default run, the relationship run
    default = _run(app_url)
    relationship = _run(app_url, budget=18000, managers=2, cadence=45, failures=2, loyalty=5)
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in (1, 2)]
    assert cells[0][1] == f"{default['figures']['customers_end']:,.0f}"
    assert cells[1][1] == f"{relationship['figures']['customers_end']:,.0f}"
    assert cells[0][2] == _money(default["figures"]["profit"])
    # value kept over ten years, the default horizon
    assert cells[1][3] == _money(relationship["equity"]["value"][9])
    names = page.evaluate("document.querySelector('#level')._fullData.map(t => t.name)")
    assert "pin 1" in names
    assert rows.nth(1).locator("td").first.inner_text().endswith("pin 1: default levers")
    ticks = page.evaluate("document.querySelector('#money')._fullData[0].x")
    assert list(ticks) == ["pin 1", "now"]
    # what advertising cost, over the new customers it won (referrals and switchers are
    # free, win-back has its own line): the run's own cost per acquired customer
    f = relationship["figures"]
    bought = f["won_by_channel"]["paid"]
    assert f["bought"] == bought < f["won"]
    assert _figure(page, f"each of the {bought:,.0f} new customers they won") == _money(
        f["spent_winning"] / bought
    )
    assert _figure(page, "Spent on win-back offers") == _money(f["spent_winning_back"])
    assert _figure(page, "Given away in discounts") == _money(f["discounts"])
    # a shorter horizon values the customers kept over fewer years
    page.select_option("#horizon", "2")
    assert page.locator("#pinned tr").nth(2).locator("td").nth(3).inner_text() == (
        _money(relationship["equity"]["value"][1])
    )
    for _ in range(3):
        page.click("#pin")
    assert page.locator("#pin").is_disabled()  # four pinned: the most the table shows
    page.locator("#pinned button.unpin").first.click()
    assert page.locator("#pinned tr").count() == 5
    assert not errors
    page.close()


def test_the_animation_steps_through_the_runs_weeks(browser, app_url):
    page, errors, _ = _open(browser, app_url)
    run = _run(app_url)
    last = len(run["weeks"]) - 1
    assert page.evaluate("document.querySelector('#bucket').dataset.week") == str(last)
    for _ in range(3):
        page.click("#step-back")
    week = last - 3
    level = sum(run["stock"][r][week] for r in run["stock"])
    assert page.evaluate("document.querySelector('#bucket').dataset.week") == str(week)
    assert page.evaluate("document.querySelector('#bucket').dataset.level") == str(level)
    assert f"{level:,} customers" in page.locator("#bucket").text_content()
    page.click("#step")
    assert page.evaluate("document.querySelector('#people').dataset.week") == str(week + 1)
    # the people view puts each sampled person on the rung the run says
    rows = page.evaluate(
        """() => [...document.querySelectorAll('#people-dots circle')]
            .map(c => c.style.transform)"""
    )
    states = [row[week + 1] for row in run["people"]["state"]]
    ys = [float(t.split(",")[1].strip(" px)")) for t in rows]
    for i, s in enumerate(states):
        for j, t in enumerate(states):
            if s == t and (i >= 30) == (j >= 30):
                assert ys[i] == ys[j]
    # play runs from the start and pause holds the frame
    page.click("#play")
    page.wait_for_function(
        "Number(document.querySelector('#bucket').dataset.week) >= 2", timeout=30000
    )
    page.click("#play")
    # From here the page's timers run on Playwright's clock, paused: time is advanced, not
    # waited for. Playing at the default 6 weeks a second moves exactly 6 weeks in a second
    # of it, and a paused page does not move however long the clock runs.
    week_now = "Number(document.querySelector('#bucket').dataset.week)"
    page.clock.install(time=0)
    page.clock.pause_at(3_600_000)
    held = page.evaluate(week_now)
    page.clock.run_for(10_000)
    assert page.evaluate(week_now) == held
    page.evaluate("document.querySelector('#week').value = 0")
    page.dispatch_event("#week", "input")
    page.click("#play")
    page.clock.run_for(1_000)
    assert page.evaluate(week_now) == 6
    page.click("#play")
    page.clock.run_for(10_000)
    assert page.evaluate(week_now) == 6
    assert not errors
    page.close()


def test_the_lesson_steps_set_the_levers_and_ask(browser, app_url):
    from relsim.app.lessons import STEPS

    page, errors, _ = _open(browser, app_url)
    for i, step in enumerate(STEPS[:3]):
        before = int(page.evaluate("document.body.dataset.run"))
        page.click("#lesson-next")
        page.wait_for_function(f"Number(document.body.dataset.run) > {before}", timeout=180000)
        assert page.inner_text("#lesson-question") == step["question"]
        for key, value in step["levers"].items():
            assert float(page.locator(f"#in-{key}").input_value()) == value
        assert f"{i + 1}/{len(STEPS)}" in page.inner_text("#lesson-title")
    # the class's own levers leave the lesson: its question no longer stands over the run
    page.locator("#in-managers").fill("3")
    _apply_and_wait(page)
    assert page.locator("#lesson-band").is_hidden()
    assert "left at step 3" in page.inner_text("#lesson-title")
    before = int(page.evaluate("document.body.dataset.run"))
    page.click("#lesson-next")  # and the lesson goes on where it was left
    page.wait_for_function(f"Number(document.body.dataset.run) > {before}", timeout=180000)
    assert page.inner_text("#lesson-question") == STEPS[3]["question"]
    assert "neglect" in page.inner_text("#glossary-list")
    assert not errors
    page.close()


def test_projector_layout_at_1280_by_720(browser, app_url, tmp_path):
    page, errors, _ = _open(browser, app_url, 1280, 720)
    # Two animation frames: the resize's relayout has been painted (the check is of layout).
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    boxes = {
        sel: page.locator(sel).bounding_box()
        for sel in (
            "#levers-panel",
            "#apply",
            "#bucket",
            "#people",
            "#key-figures",
            "#flows",
            "#week-label",
        )
    }
    for sel, b in boxes.items():
        assert b["x"] >= 0 and b["x"] + b["width"] <= 1280, sel
        assert b["y"] >= 0 and b["y"] + b["height"] <= 720, sel
    # the three columns do not overlap
    assert boxes["#levers-panel"]["x"] + boxes["#levers-panel"]["width"] <= boxes["#bucket"]["x"]
    assert boxes["#bucket"]["x"] + boxes["#bucket"]["width"] <= boxes["#key-figures"]["x"]
    # the player's date stays in the middle column, clear of the key figures
    assert boxes["#week-label"]["x"] + boxes["#week-label"]["width"] <= boxes["#key-figures"]["x"]
    # money in the scenario's currency
    from relsim.app.levers import CURRENCY, scenario_for

    assert scenario_for({}).economics.currency == CURRENCY
    assert CURRENCY in page.locator("#key-figures").inner_text()
    assert page.locator(".modebar").count() == 0  # no online buttons
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    page.screenshot(path=tmp_path / "projector.png")
    assert not errors
    page.close()


def test_exported_page_opens_without_python(browser, tmp_path):
    from relsim.cli import main

    out = tmp_path / "page"
    assert main(["app", "--export", str(out), "--runs", "lessons"]) == 0
    page, errors, refused = open_offline(browser, (out / "index.html").as_uri())
    page.wait_for_function("Number(document.body.dataset.run) >= 1", timeout=60000)
    assert all(n > 0 for n in figures_drawn(page))
    page.click("#preset-relationship")
    page.wait_for_function("Number(document.body.dataset.run) >= 2", timeout=60000)
    assert _figure(page, "Account managers busy") != ""
    page.locator("#in-budget").fill("31500")  # not precomputed
    page.click("#apply")
    page.wait_for_function(
        "document.querySelector('#msg').innerText.includes('Not in this exported page')",
        timeout=60000,
    )
    assert page.locator("#in-budget").input_value() == "31500"
    assert not errors and not refused, (errors, refused)
    page.close()
    # an export never replaces a folder relsim did not write
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert main(["app", "--export", str(mine), "--runs", "lessons"]) == 2
    assert (mine / "notes.txt").read_text() == "keep me"
