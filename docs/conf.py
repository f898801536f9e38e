"""Sphinx configuration of relsim's documentation site.

Build it with ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (the README
names the command and ``.ci/run`` runs it). Nothing is fetched from the network: no
intersphinx, and plotly.js is copied from the installed plotly package.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import plotly

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the docs' own helper scripts (claims_table, ...)

import relsim  # noqa: E402

project = "relsim"
author = "the relsim developers"
copyright = "2026, the relsim developers"  # noqa: A001 - Sphinx's name
version = release = relsim.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "**/*.py", "examples/README.rst", "measured/*.md", "_generated/*.md"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

autosummary_generate = True
autosummary_imported_members = False
autosummary_ignore_module_all = False  # a module's __all__, where it has one, is its public API
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_typehints = "none"  # the numpydoc sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/.*\.py$",  # every example is executed when the site is built
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "image_scrapers": (),
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "reset_modules": (),  # nothing to reset: the examples draw with plotly, not matplotlib
}

html_theme = "pydata_sphinx_theme"
html_title = f"relsim {release}"
html_static_path = ["_static"]
html_js_files = ["plotly.min.js"]  # the examples' figures, offline
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars: dict[str, list[str]] = {}
suppress_warnings = ["config.cache"]  # sphinx-gallery's callables are not picklable


def _copy_plotly(app: object) -> None:
    static = HERE / "_static"
    static.mkdir(exist_ok=True)
    src = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    shutil.copyfile(src, static / "plotly.min.js")


def _write_odd(app: object) -> None:
    """The ODD description of the default scenario, generated, not copied."""
    from relsim.config.targets import default_targets_path, load_targets
    from relsim.reporting.odd import odd_markdown

    gen = HERE / "_generated"
    gen.mkdir(exist_ok=True)
    text = odd_markdown(relsim.load_scenario(), load_targets(default_targets_path()).facts)
    (gen / "odd.md").write_text(text, encoding="utf-8")


def setup(app: object) -> None:
    """Generate the files the pages include before reading them."""
    app.connect("builder-inited", _copy_plotly)  # type: ignore[attr-defined]
    app.connect("builder-inited", _write_odd)  # type: ignore[attr-defined]
