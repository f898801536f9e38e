"""The reports and the teaching page in a real browser: Debian's headless Chromium driven by
Playwright. Reports are opened offline (every network request is refused) and must draw
every figure. The teaching page has its own tests (test_app.py)."""

from __future__ import annotations

import re
from pathlib import Path

from chromium import figures_drawn, open_offline, require_chromium

from conftest import small

require_chromium()


# Visible words, without <code>, scripts and styles: what a reader sees.
_VISIBLE_TEXT = """() => {
  const skip = new Set(['CODE', 'SCRIPT', 'STYLE']);
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: n => {
      for (let e = n.parentElement; e; e = e.parentElement)
        if (skip.has(e.tagName)) return NodeFilter.FILTER_REJECT;
      return NodeFilter.FILTER_ACCEPT;
    }});
  const out = [];
  while (walk.nextNode()) out.push(walk.currentNode.textContent);
  return out.join(' ');
}"""
_CODE_NAME = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")  # sales_managers, share_of_buyers
_EXPONENT = re.compile(r"\d(\.\d+)?e[+-]?\d", re.IGNORECASE)  # 1.353e+04


def _check_report(browser, path: Path, at_least: int) -> None:
    """Every figure drawn offline, in one template, in words, without exponents, page-wide."""
    page, errors, refused = open_offline(browser, path.as_uri())
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {at_least}",
        timeout=30000,
    )
    drawn = figures_drawn(page)
    assert len(drawn) >= at_least and all(n > 0 for n in drawn), drawn
    assert not errors, errors
    assert not refused, refused
    looks = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(d =>
        JSON.stringify([d._fullLayout.colorway, d._fullLayout.font.family,
                        d._fullLayout.plot_bgcolor]))""")
    assert len(set(looks)) == 1, set(looks)
    # file paths are the user's words (a clone's folder may be called ci_clone)
    text = re.sub(r"\S*/\S*", " ", page.evaluate(_VISIBLE_TEXT))
    assert not _CODE_NAME.findall(text), sorted(set(_CODE_NAME.findall(text)))
    assert not _EXPONENT.search(text), _EXPONENT.search(text)
    # Nothing wider than the window: wide tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
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


def test_forecast_report_reads_in_words_and_fits_the_page(browser, tmp_path):
    from test_forecast_cli import CDNOW, CDNOW_ARGS

    from relsim.cli import main

    out = tmp_path / "fc"
    args = ["forecast", CDNOW, *CDNOW_ARGS, "--calibration-end", "1997-09-30", "--currency", "$"]
    assert main([*args, "--out", str(out)]) == 0
    # customers by repeat purchases, holdout by calibration purchases, tracking, two P(alive)
    # maps, weekly purchases and revenue
    _check_report(browser, out / "report.html", 7)
    assert "revenue ($)" in (out / "report.html").read_text()
