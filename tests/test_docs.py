"""The documentation site's sources: every page's includes and every path the README names."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: Files the site's build writes before it reads the pages (docs/conf.py).
GENERATED = {DOCS / "_generated" / "odd.md"}


def test_every_include_of_a_page_is_a_file_or_made_by_the_build():
    for page in DOCS.rglob("*.md"):
        if "_build" in page.parts:
            continue
        for target in re.findall(r"```\{include\} (\S+)", page.read_text()):
            path = (page.parent / target).resolve()
            assert path.exists() or path in GENERATED, f"{page}: includes {target}"


def test_every_page_is_in_the_sites_table_of_contents():
    index = (DOCS / "index.md").read_text()
    listed = set(re.findall(r"(?m)^([\w/.-]+)$", index))
    pages = {
        str(p.relative_to(DOCS).with_suffix(""))
        for p in DOCS.rglob("*.md")
        if not {"_build", "_generated", "api", "measured"} & set(p.parts) and p.name != "index.md"
    }
    assert pages <= listed, pages - listed


def test_the_paths_the_readme_names_exist():
    text = (ROOT / "README.md").read_text()
    for path in re.findall(r"`((?:docs|tests|experiments|scenarios|benchmarks)/[\w./-]+)`", text):
        assert (ROOT / path).exists() or "_build" in path, path
    for img in re.findall(r"!\[[^]]*\]\(([^)]+)\)", text):
        assert (ROOT / img).exists(), img
    assert len(text.splitlines()) <= 200  # a landing page; the site holds the rest
