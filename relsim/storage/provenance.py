"""Provenance for manifests: package versions, the git commit, the command line."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = (
    "relsim",
    "simpy",
    "numpy",
    "pandas",
    "pyarrow",
    "msgspec",
    "scipy",
    "statsmodels",
    "plotly",
    "SALib",
)


def package_versions() -> dict[str, str | None]:
    """Versions of Python and of the packages a result depends on."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    return versions


def git_commit() -> str | None:
    """The commit of the relsim source tree in use (with ``+dirty`` if it has changes).

    None when relsim is not run from a git checkout (an installed wheel, say) or git is
    missing.
    """
    src = Path(__file__).resolve().parents[2]
    if not (src / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(src), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "") if head else None


def digest(obj: Any, length: int = 12) -> str:
    """A short SHA-256 digest of JSON-ready data (keys sorted): what fingerprints are made of."""
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


_COMMAND: list[str] | None = None


def set_command(argv: list[str]) -> None:
    """Record the arguments the command line was given (:func:`relsim.cli.main` calls it)."""
    global _COMMAND
    _COMMAND = list(argv)


def command_line() -> list[str]:
    """The command as the user typed it (``relsim`` and its arguments)."""
    return ["relsim", *(sys.argv[1:] if _COMMAND is None else _COMMAND)]


def provenance() -> dict[str, object]:
    """What every manifest records about how a result was made."""
    return {"command": command_line(), "git_commit": git_commit(), "versions": package_versions()}
