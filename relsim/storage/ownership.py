"""Output folders relsim owns, and locks that keep two processes from writing one of them.

Every results folder relsim writes carries a marker file, :data:`MARKER`, naming what kind
of results it holds and the folder's own identity (its inode number, kept by renames but
not by copies). relsim replaces, resumes into or deletes inside only such folders: a folder
at ``--out`` without the marker (a user's own), with a marker copied from another folder, a
file, or the current folder is refused with a message that says how to proceed. A folder
written as a whole lists its files in the marker; replacing it is refused while it holds a
file relsim did not write, and the message names that file. A lock file held while writing
stops a second relsim process from writing the same folder at the same time; the operating
system releases it when the process ends, however it ends.
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


#: The marker's entry that holds the folder's identity.
IDENTITY = "folder_id"
#: The marker's entry that lists the files of a folder written as a whole.
FILES = "files"
#: Largest marker relsim reads (a marker is a few hundred bytes; files lists are longer).
_MARKER_BYTES = 4 << 20


def _raw_marker(folder: Path) -> dict[str, Any] | None:
    p = folder / MARKER
    try:
        if not p.is_file() or p.is_symlink():
            return None
        with p.open("rb") as f:
            data = json.loads(f.read(_MARKER_BYTES).decode("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "kind" in data else None


def folder_id(folder: str | Path) -> int | None:
    """The identity relsim records for ``folder``: its inode number (None if unreadable)."""
    try:
        return os.stat(folder).st_ino
    except OSError:
        return None


def marker_problem(folder: str | Path) -> str | None:
    """Why the marker in ``folder`` does not prove relsim made it, or None if it does.

    A marker proves ownership when it records the identity of the folder it sits in. One
    copied from another folder records that folder's, and one from relsim 0.2 or earlier (or
    written by hand) records none.
    """
    data = _raw_marker(Path(folder))
    if data is None:
        return None
    recorded = data.get(IDENTITY)
    if recorded is None:
        return (
            f"its {MARKER} marker does not record which folder it was made for (written by "
            "relsim 0.2 or earlier, or by hand), so relsim cannot tell that it wrote this folder"
        )
    if recorded != folder_id(folder):
        return (
            f"its {MARKER} marker was made for another folder (copied here, or the folder was "
            "copied or moved to another disk), so relsim cannot tell that it wrote this one"
        )
    return None


def read_marker(folder: str | Path) -> dict[str, Any] | None:
    """The marker of a relsim results folder, or None if it has none that proves ownership.

    See :func:`marker_problem` for what proves it.
    """
    folder = Path(folder)
    data = _raw_marker(folder)
    if data is None or marker_problem(folder) is not None:
        return None
    return data


def marker_text(kind: str, folder: str | Path | None = None, **info: Any) -> str:
    """The content of a marker file for a folder of ``kind`` results.

    ``folder`` is the folder the marker goes into: its identity is recorded.
    """
    from relsim._version import __version__

    data: dict[str, Any] = {
        "relsim": __version__,
        "kind": kind,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if folder is not None:
        data[IDENTITY] = folder_id(folder)
    data.update(info)
    return json.dumps(data, indent=2, default=str) + "\n"


def write_marker(folder: str | Path, kind: str, **info: Any) -> None:
    """Mark ``folder`` as relsim's own results folder of ``kind``."""
    write_text_atomically(Path(folder) / MARKER, marker_text(kind, folder, **info))


def _is_cwd_or_above(path: Path) -> bool:
    try:
        here = Path.cwd().resolve()
    except OSError:  # the current folder was deleted: nothing can be at or above it
        return False
    target = path.resolve()
    return target == here or target in here.parents


def files_of(folder: Path) -> list[str]:
    """Every file under ``folder`` (relative, POSIX), but the marker, the lock and temporaries."""
    from relsim.storage.atomic import OLD, PARTIAL

    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.endswith((PARTIAL, OLD))]
        for f in files:
            rel = (Path(root) / f).relative_to(folder).as_posix()
            if rel in (MARKER, LOCK) or f.endswith((PARTIAL, OLD)):
                continue
            out.append(rel)
    for root, dirs, _files in os.walk(folder):
        # an empty folder or a symbolic link to one is the user's too
        for d in dirs:
            p = Path(root) / d
            if p.is_symlink() or not any(p.iterdir()):
                out.append(p.relative_to(folder).as_posix() + "/")
    return sorted(out)


def add_files(folder: Path, names: list[str]) -> None:
    """Record in the marker of a folder written as a whole that relsim wrote ``names`` too."""
    marker = read_marker(folder)
    if marker is None or FILES not in marker:
        return
    marker[FILES] = sorted(set(marker[FILES]) | set(names))
    info = {k: v for k, v in marker.items() if k not in ("relsim", "kind", "created", IDENTITY)}
    write_text_atomically(folder / MARKER, marker_text(marker["kind"], folder, **info))


def foreign_files(folder: Path, marker: dict[str, Any]) -> list[str]:
    """Files in a folder written as a whole that its marker does not list (the user's)."""
    listed = set(marker.get(FILES) or [])
    return [f for f in files_of(folder) if f not in listed]


def check_output(out: str | Path, kind: str, option: str = "--out", whole: bool = False) -> bool:
    """Check that relsim may write its ``kind`` results at ``out``.

    Parameters
    ----------
    out : str or Path
        The output folder asked for.
    kind : str
        What will be written there (``run``, ``comparison``, ``sweep``, ...).
    option : str
        How the user named the folder, for messages.
    whole : bool
        The folder is replaced as a whole (:func:`write_owned_dir`): then a file in it that
        relsim did not write is refused too.

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
    if p.is_symlink():
        raise OutputError(
            f"{option} {p}: a symbolic link is there; relsim writes its results into a "
            "folder of its own: name a real folder, or a new path"
        )
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
    problem = marker_problem(p)
    if problem is not None:
        raise OutputError(
            f"{option} {p}: {problem}; relsim will not touch it: choose another path, or move "
            "that folder away yourself"
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
    theirs = foreign_files(p, marker) if whole else []
    if theirs:
        more = f" and {len(theirs) - 1} more" if len(theirs) > 1 else ""
        raise OutputError(
            f"{option} {p}: holds {p / theirs[0]}{more}, which relsim did not write; "
            "relsim replaces this folder whole, so it will not: move that away, or choose "
            "another path"
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
    locked, cleaned of what interrupted writes left, filled in a temporary sibling and renamed
    into place. The marker lists the files written; an existing folder holding any other
    file (the user's) is refused, naming it, and stays as it was.

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
    if not check_output(out, kind, option, whole=True):
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise output_error(out, err) from None
        write_marker(out, kind, **marker_info)
    with FolderLock(out):
        remove_partials(out)
        check_output(out, kind, option, whole=True)  # again, now that no one else writes

        def full(tmp: Path) -> None:
            (tmp / MARKER).write_text(marker_text(kind, tmp, **marker_info), encoding="utf-8")
            fill(tmp)
            listed = {**marker_info, FILES: files_of(tmp)}
            (tmp / MARKER).write_text(marker_text(kind, tmp, **listed), encoding="utf-8")

        return replace_dir_atomically(out, full)
