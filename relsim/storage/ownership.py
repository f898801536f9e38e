"""Output folders relsim owns, and locks that keep two processes from writing one of them.

Every results folder relsim writes carries a marker file, :data:`MARKER`, naming what kind
of results it holds. relsim replaces, resumes into or deletes inside only such folders: a
folder at ``--out`` without the marker (a user's own), a file, or the current folder is
refused with a message that says how to proceed. A lock file held while writing stops a
second relsim process from writing the same folder at the same time; the operating system
releases it when the process ends, however it ends.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from relsim.errors import OutputError
from relsim.storage.atomic import write_text_atomically

#: The marker file at the top of every results folder relsim writes.
MARKER = ".relsim"
#: Lock file inside a results folder while a process writes it.
LOCK = ".relsim-lock"


def read_marker(folder: str | Path) -> dict[str, Any] | None:
    """The marker of a relsim results folder, or None if ``folder`` has none."""
    p = Path(folder) / MARKER
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "kind" in data else None


def marker_text(kind: str, **info: Any) -> str:
    """The content of a marker file for a folder of ``kind`` results."""
    from relsim._version import __version__

    data = {
        "relsim": __version__,
        "kind": kind,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        **info,
    }
    return json.dumps(data, indent=2, default=str) + "\n"


def write_marker(folder: str | Path, kind: str, **info: Any) -> None:
    """Mark ``folder`` as relsim's own results folder of ``kind``."""
    write_text_atomically(Path(folder) / MARKER, marker_text(kind, **info))


def _is_cwd_or_above(path: Path) -> bool:
    here = Path.cwd().resolve()
    target = path.resolve()
    return target == here or target in here.parents


def check_output(out: str | Path, kind: str, option: str = "--out") -> bool:
    """Check that relsim may write its ``kind`` results at ``out``.

    Parameters
    ----------
    out : str or Path
        The output folder asked for.
    kind : str
        What will be written there (``run``, ``comparison``, ``sweep``, ...).
    option : str
        How the user named the folder, for messages.

    Returns
    -------
    bool
        True if ``out`` already holds relsim results of this kind (to be replaced or resumed),
        False if it does not exist yet or is an empty folder.

    Raises
    ------
    OutputError
        If ``out`` is a file, the current folder or one above it, a folder relsim did not
        write, or relsim results of another kind.
    """
    p = Path(out)
    if not p.exists() and not p.is_symlink():
        return False
    if not p.is_dir():
        raise OutputError(
            f"{option} {p}: a file is there, not a folder; relsim writes its "
            "results into a folder of its own: choose another path"
        )
    if _is_cwd_or_above(p):
        raise OutputError(
            f"{option} {p}: the current folder (or one above it); relsim "
            "writes its results into a folder of its own: name a new one"
        )
    marker = read_marker(p)
    if marker is None:
        if any(p.iterdir()):
            raise OutputError(
                f"{option} {p}: the folder exists and relsim did not write it (it has no "
                f"{MARKER} marker), so relsim will not touch it: choose another path, or move "
                "that folder away yourself"
            )
        return False
    if marker.get("kind") != kind:
        raise OutputError(
            f"{option} {p}: holds relsim {marker.get('kind')} results, not "
            f"{kind} results: choose another path"
        )
    return True


class FolderLock:
    """An exclusive, non-blocking lock on a results folder, released when the process ends.

    The lock file lives inside the folder. A folder replaced as a whole keeps the lock of the
    old folder until the new one is renamed into place, its last step.

    Parameters
    ----------
    folder : str or Path
        The results folder (it must exist).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        """Take the lock, or raise :class:`OutputError` if another process holds it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            from relsim.storage.atomic import output_error

            raise output_error(self.path, err) from None
        if not _try_lock(fd):
            os.close(fd)
            raise OutputError(
                f"{self.folder}: another relsim process is writing it now "
                f"(lock {self.path}); wait for it to finish, or choose another "
                "output folder"
            )
        self._fd = fd
        return self

    def release(self) -> None:
        """Let go of the lock (the file stays; removing it would race with a waiting process)."""
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


try:  # POSIX
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


def write_owned_dir(
    out: str | Path, kind: str, fill: Any, option: str = "--out", **marker_info: Any
) -> Path:
    """Write a results folder of ``kind`` as a whole, replacing an earlier one of relsim's.

    The folder is checked (:func:`check_output`), created empty with its marker if new,
    locked, cleaned of what interrupted writes left, filled in a temporary sibling (marker
    first) and renamed into place.

    Parameters
    ----------
    out : str or Path
        The results folder.
    kind : str
        What it holds.
    fill : callable
        Writes the folder's files into the path it is given.
    option : str
        How the user named the folder, for messages.
    **marker_info
        More entries for the marker.

    Returns
    -------
    Path
    """
    from relsim.storage.atomic import (
        output_error,
        remove_partials,
        replace_dir_atomically,
        restore_interrupted,
    )

    out = Path(out)
    restore_interrupted(out)  # a replacement killed between its two renames
    if not check_output(out, kind, option):
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise output_error(out, err) from None
        write_marker(out, kind, **marker_info)
    with FolderLock(out):
        remove_partials(out)
        check_output(out, kind, option)

        def full(tmp: Path) -> None:
            (tmp / MARKER).write_text(marker_text(kind, **marker_info), encoding="utf-8")
            fill(tmp)

        return replace_dir_atomically(out, full)
