"""Write a measured table into ``docs/measured/``, the files the site's pages include.

A measurement script calls :func:`write` with the command that produced the table; the file
opens with that command and the relsim version and commit it was measured on, so a page never
quotes a figure pasted by hand, and ``tests/test_docs.py`` checks that every measured file
names a script that exists and is included by a page.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import relsim

FOLDER = Path(__file__).resolve().parent / "measured"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(FOLDER.parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write(name: str, command: str, body: str) -> Path:
    """Write ``docs/measured/<name>.md``: a header naming ``command``, then ``body``.

    Parameters
    ----------
    name : str
        The file's stem (the pages include ``measured/<name>.md``).
    command : str
        The command that measured it, as a reader would type it (``python docs/...``).
    body : str
        Markdown: a table, or a fenced block of the script's output.
    """
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit(f"--out {name}: expected a name of lower-case letters, digits and _")
    FOLDER.mkdir(exist_ok=True)
    path = FOLDER / f"{name}.md"
    if path.exists() and not path.read_text(encoding="utf-8").startswith("Measured with `"):
        raise SystemExit(f"{path}: not a measured table (it would be replaced); choose another")
    head = f"Measured with `{command}` on relsim {relsim.__version__} (commit {_commit()}).\n\n"
    path.write_text(head + body.rstrip() + "\n", encoding="utf-8")
    return path
