"""A store of replications: one results folder, one Parquet file per replication and table.

Comparisons, experiments, sweeps and calibrations all keep their replications here. A
replication of *unit* ``u`` (an arm, a point) number ``r`` is written as
``<table>/uUUUUU-rRRRR.parquet`` for each of its tables, ``metrics`` last. The metrics file
carries, in its Parquet metadata, the store's fingerprint, its unit and replication and the
SHA-256 digest of each of the replication's other files: a replication is finished only when
its metrics file says so and every file it names is there, unchanged. One that is not (a file
deleted, replaced or damaged) is set aside and computed again. The files of one table are
one Parquet dataset (``pandas.read_parquet(folder / "metrics")`` or DuckDB's
``read_parquet('metrics/*.parquet')``).

The folder carries relsim's marker with the *fingerprint* of everything that decides the
numbers (the units' scenarios, the seed, what is computed): a folder of another study is
refused rather than mixed, and a rerun of the same study computes only what is missing. While
a process writes the folder it holds its lock, so it can clean up what killed processes left
(temporary files) and set aside replication files it cannot trust (a crash mid-write on a
file system without ordered writes, a disk that filled up, a file changed by hand), which are
then computed again. A table's folder that is a symbolic link is refused: relsim writes only
into folders it made.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from relsim.errors import OutputError
from relsim.storage.atomic import PARTIAL, write_file_atomically, write_text_atomically
from relsim.storage.ownership import FolderLock, check_output, read_marker, write_marker

METRICS = "metrics"
FAILED = "failed"
SET_ASIDE = "set_aside"
_NAME = re.compile(r"^u(\d{5,})-r(\d{4,})\.parquet$")
#: Key of the Parquet metadata entry that makes a metrics file a finished replication.
PROOF = b"relsim.replication"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def stem(unit: int, rep: int) -> str:
    """File stem of one replication (``u00003-r0001``)."""
    return f"u{unit:05d}-r{rep:04d}"


class Store:
    """A results folder of replications, opened for writing by one process at a time.

    Parameters
    ----------
    folder : str or Path
        The results folder.
    kind : str
        What the folder holds (``comparison``, ``experiment``, ``sweep``, ``calibration``).
    fingerprint : str
        Digest of everything that decides the numbers (not the number of replications).
    tables : sequence of str
        The tables each replication writes; ``metrics`` must be among them (written last).
    option : str
        How the user named the folder, for messages.
    optional : sequence of str
        Tables that a replication filed before they existed may lack: it stays finished
        without them.
    """

    def __init__(
        self,
        folder: str | Path,
        kind: str,
        fingerprint: str,
        tables: Iterable[str] = (METRICS,),
        option: str = "--out",
        optional: Iterable[str] = (),
    ) -> None:
        self.folder = Path(folder)
        self.kind = kind
        self.fingerprint = fingerprint
        self.tables = [t for t in tables if t != METRICS] + [METRICS]
        # Tables a replication filed by an earlier relsim may lack (it still counts).
        self.required = set(self.tables[:-1]) - set(optional)
        self.option = option
        self._lock = FolderLock(self.folder)
        self.set_aside: list[Path] = []

    # -- opening ----------------------------------------------------------------------------

    def open(self, **marker_info: Any) -> Store:
        """Check, lock and prepare the folder; see the module docstring.

        Raises
        ------
        OutputError
            If the folder is not relsim's, holds another study, or another process writes it.
        """
        existing = check_output(self.folder, self.kind, self.option)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            from relsim.storage.atomic import output_error

            raise output_error(self.folder, err) from None
        self._lock.acquire()
        try:
            if existing:
                old = (read_marker(self.folder) or {}).get("fingerprint")
                if old != self.fingerprint:
                    raise OutputError(
                        f"{self.option} {self.folder}: holds the results of a different "
                        f"{self.kind} (fingerprint {old}; this one is {self.fingerprint}): "
                        "choose another folder, or remove that one yourself"
                    )
            else:
                write_marker(self.folder, self.kind, fingerprint=self.fingerprint, **marker_info)
            self._check_folders()
            for t in [*self.tables, FAILED]:
                (self.folder / t).mkdir(exist_ok=True)
            self._clean_partials()
            self._check_files()
        except BaseException:
            self._lock.release()
            raise
        return self

    def close(self) -> None:
        """Release the folder's lock."""
        self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _clean_partials(self) -> None:
        # With the lock held, a temporary file here belongs to a process that died mid-write.
        for sub in [self.folder, *(self.folder / t for t in [*self.tables, FAILED])]:
            for p in sub.glob(f".*{PARTIAL}"):
                if p.is_file():
                    p.unlink(missing_ok=True)

    def _check_folders(self) -> None:
        for t in [*self.tables, FAILED, SET_ASIDE]:
            d = self.folder / t
            if d.is_symlink() or (d.exists() and not d.is_dir()):
                raise OutputError(
                    f"{self.option} {self.folder}: {d} is not the folder relsim made (a "
                    f"{'symbolic link' if d.is_symlink() else 'file'}); relsim writes only into "
                    "folders it made: remove it yourself, and the replications are computed again"
                )

    def _check_files(self) -> None:
        for t in self.tables:
            for p in sorted((self.folder / t).glob("u*-r*.parquet")):
                if not _is_regular(p):
                    self._set_aside(p)
        for p in sorted((self.folder / METRICS).glob("u*-r*.parquet")):
            m = _NAME.match(p.name)
            if m and not self._proves(p, int(m.group(1)), int(m.group(2))):
                self._set_aside(p)

    def _proves(self, metrics: Path, unit: int, rep: int) -> bool:
        """Whether ``metrics`` is the last file of a complete, unchanged replication."""
        import pyarrow.parquet as pq

        try:
            meta = pq.read_schema(metrics).metadata or {}
            proof = json.loads(meta[PROOF])
        except Exception:  # noqa: BLE001 - unreadable, not Parquet, or not relsim's
            return False
        if (proof.get("fingerprint"), proof.get("unit"), proof.get("rep")) != (
            self.fingerprint,
            unit,
            rep,
        ):
            return False
        digests = proof.get("files", {})
        # A table the store gained since the replication was filed (the warm-up's batch
        # means, say) is not asked for: the replication's own files are what it vouches for.
        for t in [t for t in self.tables[:-1] if t in digests or t in self.required]:
            path = self.path(t, unit, rep)
            try:
                ok = _is_regular(path) and digests.get(t) == _sha256(path)
            except OSError:
                ok = False
            if not ok:
                return False
        return True

    def _set_aside(self, path: Path) -> None:
        dest = self.folder / SET_ASIDE / path.parent.name
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / path.name
        k = 1
        while target.exists():
            target = dest / f"{path.stem}.{k}{path.suffix}"
            k += 1
        os.replace(path, target)
        self.set_aside.append(target)
        # A replication is complete only with all its tables: its other files go too.
        if path.parent.name == METRICS:
            for t in self.tables[:-1]:
                other = self.folder / t / path.name
                if other.exists() or other.is_symlink():
                    self._set_aside(other)
        else:
            m = self.folder / METRICS / path.name
            if m.exists() or m.is_symlink():
                self._set_aside(m)

    # -- replications -----------------------------------------------------------------------

    def path(self, table: str, unit: int, rep: int) -> Path:
        """Where one replication's table is kept."""
        return self.folder / table / f"{stem(unit, rep)}.parquet"

    def finished(self) -> set[tuple[int, int]]:
        """The (unit, replication) pairs whose metrics are on disk."""
        found = set()
        d = self.folder / METRICS
        if d.is_dir():
            for p in d.iterdir():
                m = _NAME.match(p.name)
                if m:
                    found.add((int(m.group(1)), int(m.group(2))))
        return found

    def forget(self, unit: int) -> int:
        """Remove every stored replication of ``unit``, to compute it afresh; returns the count."""
        n = 0
        for t in self.tables:
            for p in (self.folder / t).glob(f"u{unit:05d}-r*.parquet"):
                if _NAME.match(p.name):
                    p.unlink()
                    n += 1
        return n

    def write(self, unit: int, rep: int, tables: dict[str, Any]) -> None:
        """File one replication's tables (DataFrames), the metrics last, with its proof."""
        digests = {}
        for t in self.tables[:-1]:
            path = write_file_atomically(self.path(t, unit, rep), _parquet_writer(tables[t]))
            digests[t] = _sha256(path)
        proof = {"fingerprint": self.fingerprint, "unit": unit, "rep": rep, "files": digests}
        write_file_atomically(
            self.path(METRICS, unit, rep), _parquet_writer(tables[METRICS], proof)
        )
        (self.folder / FAILED / f"{stem(unit, rep)}.txt").unlink(missing_ok=True)

    def write_failure(self, unit: int, rep: int, err: BaseException) -> Path:
        """Record a replication that raised, with its traceback."""
        path = self.folder / FAILED / f"{stem(unit, rep)}.txt"
        write_text_atomically(path, "".join(traceback.format_exception(err)))
        return path

    def failures(self) -> list[Path]:
        """Tracebacks of the replications that failed and were not computed since."""
        return sorted((self.folder / FAILED).glob("u*-r*.txt"))


def _parquet_writer(df: Any, proof: dict[str, Any] | None = None) -> Callable[[Path], object]:
    if proof is None:
        return lambda p: df.to_parquet(p, index=False)
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = {**(table.schema.metadata or {}), PROOF: json.dumps(proof).encode()}
    table = table.replace_schema_metadata(meta)
    return lambda p: pq.write_table(table, p)


def read_table(
    folder: str | Path,
    table: str = METRICS,
    units: Iterable[int] | None = None,
    reps: int | None = None,
) -> Any:
    """One table of every finished replication in a store folder, ordered by unit and rep.

    Parameters
    ----------
    folder : str or Path
        A store folder (it need not be open: reading takes no lock).
    table : str
        Which table.
    units : iterable of int, optional
        Only these units.
    reps : int, optional
        Only replications below this number.

    Returns
    -------
    pandas.DataFrame
        Empty when nothing is finished.
    """
    import pandas as pd

    d = Path(folder) / table
    finished = Path(folder) / METRICS
    keep = set(units) if units is not None else None
    frames = []
    if d.is_dir():
        for p in sorted(d.glob("u*-r*.parquet")):
            m = _NAME.match(p.name)
            if not m or not (finished / p.name).exists():
                continue
            u, r = int(m.group(1)), int(m.group(2))
            if (keep is not None and u not in keep) or (reps is not None and r >= reps):
                continue
            try:
                frames.append(pd.read_parquet(p))
            except Exception as err:  # noqa: BLE001 - pyarrow raises several types
                from relsim.errors import RunDirError

                first = str(err).splitlines()[0] if str(err) else type(err).__name__
                raise RunDirError(
                    f"{p}: damaged ({first}); run the command that wrote {folder} again: it "
                    "sets the file aside and computes that replication again"
                ) from None
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)
