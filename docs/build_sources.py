"""Write docs/sources.md, the readable page of relsim's sources register.

    python docs/build_sources.py

The register itself is data (relsim/config/sources.toml); a test checks that the page is
up to date with it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from relsim.config.sources import GRADES, sources

PAGE = Path(__file__).with_name("sources.md")


def page() -> str:
    """The Markdown text of the register, grouped by evidence grade, strongest first."""
    reg = sources()
    lines = [
        "# Sources register",
        "",
        "Every literature figure relsim's default values rest on, or that its facts are "
        "judged against, with the original statement, the evidence grade and the known "
        "disputes. Generated from `relsim/config/sources.toml` by "
        "`python docs/build_sources.py`; `relsim facts`, the reports and "
        "`relsim describe` show these grades beside the figures.",
        "",
        "Grades, strongest first: " + "; ".join(f"*{g}*" for g in GRADES) + ".",
        "",
    ]
    for grade in GRADES:
        entries = [s for s in reg.values() if s.grade == grade]
        if not entries:
            continue
        lines += [f"## {grade[0].upper()}{grade[1:]}", ""]
        for s in entries:
            seen = "verified" if s.verified else "not verified"
            lines += [f"### `{s.id}`", "", s.citation, "", f"> {s.statement}", ""]
            if s.disputes:
                lines += [f"*Disputes:* {s.disputes}", ""]
            lines += [f"*{seen.capitalize()}:* {s.verified_where}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    PAGE.write_text(page(), encoding="utf-8")
    sys.stdout.write(f"written {PAGE}\n")
