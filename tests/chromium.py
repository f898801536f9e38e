"""Debian's headless Chromium for the browser tests: where it is, its flags, and helpers to
open a page with the network cut off. Test modules call ``require_chromium()`` first; the
``browser`` fixture lives in conftest.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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


def require_chromium() -> None:
    """Skip the calling module without Chromium, unless CI demands it (then fail)."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("RELSIM_REQUIRE_BROWSER"):
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium package"
        )
    pytest.skip("Chromium is not installed (Debian package 'chromium')", allow_module_level=True)


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
