"""Names that become file or folder names: scenarios, arms, experiments, sweeps.

A name is a *slug*: letters, digits, ``_``, ``.`` and ``-``, starting with a letter or digit,
at most :data:`MAX_LENGTH` characters. So a name can never climb out of its folder (``..``,
``/``), never be absolute, and never make a path component too long for the file system.
"""

from __future__ import annotations

import re

MAX_LENGTH = 64
SLUG = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_.-]{{0,{MAX_LENGTH - 1}}}$")
SLUG_RULE = (
    f"a name of at most {MAX_LENGTH} letters, digits, '_', '.' or '-', starting with "
    "a letter or digit"
)


def check_slug(value: str) -> str:
    """Return ``value`` if it is a slug, else raise ``ValueError`` saying what is expected."""
    if not SLUG.match(value):
        raise ValueError(f"expected {SLUG_RULE}")
    return value


def slugify(text: str, default: str = "scenario") -> str:
    """A slug made from ``text`` (a file's stem, say): other characters become ``-``."""
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-._")[:MAX_LENGTH].rstrip("-._")
    return s if s and SLUG.match(s) else default
