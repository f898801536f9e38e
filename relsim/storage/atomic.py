"""Atomic writes: a file or folder is written under a temporary name and renamed into place.

Every file is flushed to disk (``fsync``) before the rename and the folder after it, so a
crash, a killed process or a power cut leaves either the previous version or the new one,
never half of one. Temporary names are short (a digest of the final name, the process id and
a random token), so a long but legal final name never becomes an illegal temporary one, and
stale temporaries can be recognised and removed by the next process that holds the lock.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

from relsim.errors import OutputError

#: Suffix of every temporary file or folder relsim writes.
PARTIAL = ".relsim-partial"
#: Suffix of a folder being replaced, for the moment between two renames.
OLD = ".relsim-old"

_DISK = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def _tag(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:10]


def partial_name(final: Path, suffix: str = PARTIAL) -> Path:
    """A fresh temporary sibling of ``final`` (``.<digest>.<pid>.<token>.relsim-partial``)."""
    return final.with_name(f".{_tag(final.name)}.{os.getpid()}.{secrets.token_hex(3)}{suffix}")


def partials_of(final: Path, suffix: str = PARTIAL) -> list[Path]:
    """Temporary siblings that writes of ``final`` left behind (for cleaning, under a lock)."""
    parent = final.parent
    if not parent.is_dir():
        return []
    return sorted(parent.glob(f".{_tag(final.name)}.*{suffix}"))


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def restore_interrupted(final: Path) -> bool:
    """Put back a folder set aside for replacement when the process died between the renames.

    Returns whether one was put back (only when ``final`` is missing: then the folder set
    aside is the last complete version).
    """
    if final.exists():
        return False
    old = partials_of(final, OLD)
    if not old:
        return False
    os.replace(old[-1], final)
    return True


def remove_partials(final: Path) -> int:
    """Remove what interrupted writes of ``final`` left; returns how many leftovers there were.

    Call only while holding the lock that guards ``final``, after
    :func:`restore_interrupted`: then no live writer owns them and a folder set aside is
    an older version than ``final``.
    """
    n = 0
    for p in [*partials_of(final), *partials_of(final, OLD)]:
        _remove(p)
        n += 1
    return n


def output_error(path: Path, err: OSError) -> OutputError:
    """An :class:`OutputError` that says plainly why ``path`` could not be written."""
    why = _DISK.get(err.errno or 0, err.strerror or str(err))
    return OutputError(
        f"{path}: cannot write ({why}); finished work is kept, nothing half-written is left"
    )


def fsync_path(path: Path) -> None:
    """Flush a file, or every file in a folder tree and the folders, to disk."""
    if path.is_dir():
        for root, _dirs, files in os.walk(path):
            for f in files:
                _fsync_file(Path(root) / f)
            _fsync_dir(Path(root))
    else:
        _fsync_file(path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse to sync folders
        pass
    finally:
        os.close(fd)


def refuse_special(path: Path) -> None:
    """Refuse to replace a symbolic link, folder, device or pipe at ``path``.

    relsim replaces only regular files; anything else at a path it means to write is the
    user's, or the system's.

    Raises
    ------
    OutputError
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as err:
        raise output_error(path, err) from None
    if stat.S_ISREG(mode):
        return
    what = (
        "a symbolic link"
        if stat.S_ISLNK(mode)
        else "a folder"
        if stat.S_ISDIR(mode)
        else "a device or pipe"
    )
    raise OutputError(
        f"{path}: {what} is there, not a regular file; relsim replaces only files it wrote: "
        "move it away, or choose another path"
    )


def write_file_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write one file through a temporary sibling, flushed, then renamed into place.

    Parameters
    ----------
    path : str or Path
        The final file.
    write : callable
        Writes the content to the path it is given.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        If the disk is full, read-only or not writable; the previous file stays as it was.
    """
    path = Path(path)
    refuse_special(path)
    tmp = partial_name(path)
    try:
        write(tmp)
        _fsync_file(tmp)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as err:
        raise output_error(path, err) from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_text_atomically(path: str | Path, text: str) -> Path:
    """Write a text file (UTF-8) atomically; see :func:`write_file_atomically`."""
    return write_file_atomically(path, lambda p: p.write_text(text, encoding="utf-8"))


def replace_dir_atomically(out: str | Path, fill: Callable[[Path], object]) -> Path:
    """Create folder ``out`` by filling a temporary sibling and renaming it into place.

    An existing ``out`` is replaced only once the new one is complete. The caller must have
    checked that ``out`` is relsim's own (:func:`relsim.storage.ownership.claim_output`) and
    hold its lock.

    Parameters
    ----------
    out : str or Path
        The final folder.
    fill : callable
        Writes the folder's files into the path it is given.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        If the disk is full, read-only or not writable; the previous folder stays as it was.
    """
    out = Path(out)
    tmp = partial_name(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        fill(tmp)
        fsync_path(tmp)
        if out.exists():
            old = partial_name(out, OLD)
            os.replace(out, old)
            try:
                os.replace(tmp, out)
            except OSError:
                os.replace(old, out)  # the previous version stays as it was
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
        _fsync_dir(out.parent)
    except OSError as err:
        raise output_error(out, err) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out
