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


def test_every_measured_file_names_its_script_and_is_quoted_by_a_page():
    # measured tables come from scripts (docs/measured.py writes them), never by hand
    pages = "\n".join(p.read_text() for p in DOCS.rglob("*.md") if "measured" not in p.parts)
    measured = sorted((DOCS / "measured").glob("*.md"))
    assert measured
    for table in measured:
        head = table.read_text().splitlines()[0]
        m = re.match(r"Measured with `python (\S+)[^`]*` on relsim \S+ \(commit \w+\)\.", head)
        assert m, f"{table}: {head}"
        assert (ROOT / m.group(1)).exists(), f"{table}: {m.group(1)} is gone"
        assert f"measured/{table.name}" in pages, f"{table} is quoted by no page"


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
