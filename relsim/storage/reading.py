"""Reading a user's input file: only a regular file, and at most a bounded number of bytes.

A device (``/dev/zero`` never ends), a pipe (blocks until someone writes) or a folder given
where a file is expected is refused before it is opened, and a file larger than its kind can
be is refused instead of read into memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from relsim.errors import InputError


def check_regular(path: str | Path, what: str, error: type[InputError]) -> os.stat_result:
    """Refuse ``path`` unless it is a regular file (a symbolic link to one is fine).

    Raises
    ------
    InputError
        Of class ``error``: missing, a folder, a device or pipe, or unreadable.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise error(f"{p}: no such {what} file") from None
    except OSError as err:
        raise error(f"{p}: cannot read {what} file ({err.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p}: a folder, not a {what} file")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{p}: a device or pipe, not a {what} file; relsim reads only regular files")
    return st


def read_bounded(path: str | Path, what: str, error: type[InputError], limit: int) -> bytes:
    """The bytes of the regular file ``path``, refused if it holds more than ``limit``.

    Raises
    ------
    InputError
        Of class ``error``: see :func:`check_regular`, or the file is too large.
    """
    p = Path(path)
    check_regular(p, what, error)

    def too_large(n: int) -> InputError:
        return error(f"{p}: {n:,} bytes or more; a {what} file is at most {limit:,} bytes")

    try:
        with p.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as err:
        raise error(f"{p}: cannot read {what} file ({err.strerror})") from None
    if len(data) > limit:
        raise too_large(len(data))
    return data
