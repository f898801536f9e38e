"""Reading a run folder back: its manifest and its four Parquet tables, checked.

A run folder (written by ``relsim run``) holds ``transactions``, ``events``, ``customers``
and ``timeseries`` as Parquet, ``manifest.json`` and the :data:`~relsim.storage.ownership.MARKER`.
Reading checks that the manifest names a scenario and a seed and that each table has the
columns relsim needs, so a damaged or tampered folder is one clear error, not a traceback
further down.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from relsim.errors import RunDirError

MANIFEST = "manifest.json"
TABLES = ("transactions", "events", "customers", "timeseries")
#: Columns each table must have for relsim's analyses.
REQUIRED_COLUMNS = {
    "transactions": (
        "customer_id",
        "firm",
        "date",
        "amount",
        "relationship_id",
        "day",
        "rung",
        "failed",
    ),
    "events": ("day", "customer_id", "relationship_id", "firm", "event", "cause", "channel"),
    "customers": (
        "relationship_id",
        "customer_id",
        "firm",
        "start_day",
        "end_day",
        "channel",
        "cause",
        "purchases",
        "revenue",
        "complaints",
    ),
    "timeseries": ("day", "date", "firm", "active", "contacts"),
}


def read_json(path: str | Path, what: str = "file") -> dict[str, Any]:
    """A JSON object from a file, or :class:`RunDirError` saying what is wrong with it."""
    from relsim.storage.reading import read_bounded

    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise RunDirError(f"{p}: missing")
    try:
        data = json.loads(read_bounded(p, what, RunDirError, 256 << 20).decode("utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise RunDirError(f"{p}: cannot read {what} ({err})") from None
    except json.JSONDecodeError as err:
        raise RunDirError(f"{p}: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise RunDirError(f"{p}: expected a JSON object")
    return data


def read_manifest(path: str | Path) -> dict[str, Any]:
    """A run folder's manifest, checked for the entries relsim reads back.

    Raises
    ------
    RunDirError
        If it is missing, not JSON, or lacks a scenario (with a focal firm) or a seed.
    """
    mpath = Path(path) / MANIFEST
    if not mpath.exists():
        raise RunDirError(
            f"{mpath}: missing (is {Path(path)} a run folder written by `relsim run`?)"
        )
    meta = read_json(mpath, "manifest")
    sc = meta.get("scenario")
    if (
        not isinstance(sc, dict)
        or not isinstance(sc.get("market"), dict)
        or not isinstance(sc.get("firms"), dict)
        or not isinstance(sc.get("simulation"), dict)
    ):
        raise RunDirError(
            f"{mpath}: 'scenario' must hold the run's scenario (with market, firms and simulation)"
        )
    if not isinstance(meta.get("seed"), int) or isinstance(meta.get("seed"), bool):
        raise RunDirError(f"{mpath}: 'seed' must be an integer")
    focal = sc["market"].get("focal")
    if not isinstance(focal, str) or focal not in sc["firms"]:
        raise RunDirError(f"{mpath}: scenario.market.focal must name one of the firms")
    return meta


def focal_firm(meta: dict[str, Any]) -> str:
    """The focal firm named in a manifest's scenario."""
    return str(meta["scenario"]["market"]["focal"])


#: Rows per Parquet row group when a table is written: a group is converted and written at a
#: time, so writing a table holds one group's Arrow copy beside it, not the whole table's
#: (half pyarrow's default: a group of purchases is about 25 MB in Arrow).
ROW_GROUP = 512 * 1024


def dictionary_columns(columns: Any) -> list[str]:
    """The columns written dictionary-encoded: all but the times (``day``, ``*_date``, ...).

    The times are ``day``, ``date`` and the columns ending ``_day`` or ``_date``. A time is
    almost never repeated, so its dictionary only grows until Parquet gives it up, and the
    hash table behind it cost about 35 MB a column while writing half a million purchases,
    for a file no smaller.
    """
    return [
        str(c) for c in columns if not (c in ("day", "date") or str(c).endswith(("_day", "_date")))
    ]


def write_table(df: Any, path: Path, rows_per_group: int = ROW_GROUP, shape: Any = None) -> None:
    """Write a run's table to Parquet in row groups, without the index.

    The same file as ``df.to_parquet(path, index=False, row_group_size=rows_per_group,
    use_dictionary=dictionary_columns(df.columns))`` writes (same columns, dtypes and
    categories: every group carries the column's whole dictionary), converting one group at
    a time. ``shape``, if given, turns each group into the form written (a compact table's
    dates put back, say: :func:`relsim.analysis.tables.as_written`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def group(start: int) -> Any:
        part = df.iloc[start : start + rows_per_group]
        return part if shape is None else shape(part)

    first = pa.Table.from_pandas(group(0), preserve_index=False)
    with pq.ParquetWriter(
        path, first.schema, use_dictionary=dictionary_columns(first.column_names)
    ) as writer:
        writer.write_table(first, row_group_size=rows_per_group)
        del first
        for start in range(rows_per_group, len(df), rows_per_group):
            writer.write_table(
                pa.Table.from_pandas(group(start), schema=writer.schema, preserve_index=False),
                row_group_size=rows_per_group,
            )


def read_table(path: Path, name: str, columns: list[str] | None = None) -> Any:
    """One of a run's tables, with its required columns checked."""
    import pandas as pd

    f = Path(path) / f"{name}.parquet"
    try:
        df = pd.read_parquet(f, columns=columns)
    except FileNotFoundError:
        raise RunDirError(f"{f}: missing table '{name}'") from None
    except Exception as err:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise RunDirError(
            f"{f}: cannot read table '{name}' ({type(err).__name__}: "
            f"{str(err).splitlines()[0] if str(err) else ''})"
        ) from None
    need = [c for c in REQUIRED_COLUMNS.get(name, ()) if columns is None or c in columns]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise RunDirError(f"{f}: table '{name}' lacks column(s) {', '.join(missing)}")
    return df


def read_run(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a run folder's tables and manifest.

    Parameters
    ----------
    path : str or Path
        A folder written by ``relsim run``.

    Returns
    -------
    tables : dict of pandas.DataFrame
    manifest : dict

    Raises
    ------
    RunDirError
        If the folder or one of its files is missing, unreadable or incomplete.
    """
    p = Path(path)
    if not p.is_dir():
        raise RunDirError(f"{p}: not a folder (expected a run folder from `relsim run`)")
    meta = read_manifest(p)
    return {name: read_table(p, name) for name in TABLES}, meta
