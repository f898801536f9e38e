"""Run directories on disk: Parquet tables, ``manifest.json`` and the report.

A run directory is written into a temporary sibling and renamed into place only when every
file is complete, so an interrupted or failed run never leaves a half-written result, and a
rerun replaces the old directory in one step.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from relsim.simulation import TABLES, SimulationResult, manifest

MANIFEST = "manifest.json"


class RunDirError(ValueError):
    """A directory that is not a complete relsim run directory."""


def write_atomically(out: Path, fill: Callable[[Path], None]) -> Path:
    """Create directory ``out`` by filling a temporary sibling and renaming it into place.

    Parameters
    ----------
    out : Path
        Final directory; an existing one is replaced only once the new one is complete.
    fill : callable
        Writes the directory's files into the path it is given.

    Returns
    -------
    Path
        ``out``.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        fill(tmp)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def write_file_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write one file through a temporary sibling renamed into place when complete.

    Parameters
    ----------
    path : Path
        The final file.
    write : callable
        Writes the file's content to the path it is given.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_run(result: SimulationResult, out: Path, extra: dict[str, Any] | None = None,
              report: bool = True) -> Path:
    """Write a run's tables, manifest and (optionally) HTML report to directory ``out``.

    Parameters
    ----------
    result : SimulationResult
        What :func:`relsim.simulate` returned.
    out : Path
        The run directory.
    extra : dict, optional
        More manifest entries (the command line, for instance).
    report : bool
        Whether to write ``report.html``.

    Returns
    -------
    Path
    """
    def fill(tmp: Path) -> None:
        for name, df in result.tables().items():
            df.to_parquet(tmp / f"{name}.parquet", index=False)
        if report:
            from relsim.report import write_run_report

            write_run_report(result, tmp / "report.html")
        data = manifest(result, extra)
        (tmp / MANIFEST).write_text(json.dumps(data, indent=2, default=str) + "\n")

    return write_atomically(Path(out), fill)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """A run directory's manifest.

    Raises
    ------
    RunDirError
        If it is missing or not JSON.
    """
    mpath = Path(path) / MANIFEST
    try:
        return json.loads(mpath.read_text())
    except FileNotFoundError:
        raise RunDirError(f"{mpath}: missing (is {Path(path)} a run directory from "
                          "`relsim run`?)") from None
    except json.JSONDecodeError as err:
        raise RunDirError(f"{mpath}: not valid JSON ({err})") from None


def focal_firm(meta: dict[str, Any]) -> str:
    """The focal firm named in a manifest's scenario."""
    return meta["scenario"]["market"]["focal"]


def read_run(path: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read a run directory's tables and manifest.

    Parameters
    ----------
    path : str or Path
        A directory written by :func:`write_run`.

    Returns
    -------
    tables : dict of pandas.DataFrame
    manifest : dict

    Raises
    ------
    RunDirError
        If the directory or one of its files is missing or unreadable.
    """
    p = Path(path)
    if not p.is_dir():
        raise RunDirError(f"{p}: not a directory (expected a run directory from `relsim run`)")
    meta = read_manifest(p)
    tables = {}
    for name in TABLES:
        f = p / f"{name}.parquet"
        try:
            tables[name] = pd.read_parquet(f)
        except FileNotFoundError:
            raise RunDirError(f"{f}: missing table '{name}'") from None
        except Exception as err:  # pyarrow raises several types for a damaged file
            raise RunDirError(f"{f}: cannot read table '{name}' ({err})") from None
    return tables, meta
