"""The reports and the teaching page in a real browser: Debian's headless Chromium driven by
Playwright. Reports are opened offline (every network request is refused) and must draw
every figure. The teaching page has its own tests (test_app.py)."""

from __future__ import annotations

from pathlib import Path

from chromium import figures_drawn, open_offline, require_chromium

from conftest import small

require_chromium()


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
