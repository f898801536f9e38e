"""Single files relsim writes at a path a user chose: signed, so relsim replaces only its own.

A Markdown or HTML file relsim writes ends with a comment that holds the SHA-256 digest of
everything above it. Writing such a file again is allowed only when the file already there
carries a digest that matches its content: relsim wrote it and nobody has changed it since.
A file of the user's (or one the user edited), a symbolic link, a folder, a device or a pipe
at that path is refused, and stays as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from relsim.errors import OutputError
from relsim.storage.atomic import output_error, write_text_atomically

_LINE = re.compile(r"<!-- written by relsim [^;]*; sha256 ([0-9a-f]{64}) -->\n?\Z")
#: Largest file relsim reads to check its signature (reports with plotly.js are ~5 MB).
_MAX_BYTES = 256 << 20


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def sign(text: str) -> str:
    """``text`` with the closing comment that shows relsim wrote it, unchanged."""
    from relsim._version import __version__

    if not text.endswith("\n"):
        text += "\n"
    return f"{text}<!-- written by relsim {__version__}; sha256 {_digest(text)} -->\n"


def is_signed(path: str | Path) -> bool:
    """Whether the regular file at ``path`` is one relsim wrote, unchanged since."""
    p = Path(path)
    try:
        st = os.lstat(p)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_BYTES:
            return False
        with p.open("rb") as f:
            data = f.read(_MAX_BYTES)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    cut = text.rfind("<!-- written by relsim ")
    if cut < 0:
        return False
    m = _LINE.match(text, cut)
    return m is not None and m.group(1) == _digest(text[:cut])


def check_signed_target(path: str | Path, option: str = "") -> None:
    """Refuse ``path`` unless nothing is there or it holds a signed file of relsim's.

    Raises
    ------
    OutputError
        If a file relsim did not write (or one changed since), a symbolic link, a folder, a
        device or a pipe is at ``path``.
    """
    p = Path(path)
    name = f"{option} {p}".strip()
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return
    except OSError as err:
        raise output_error(p, err) from None
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(
            f"{name}: a symbolic link is there; relsim replaces only files it wrote: choose "
            "another name"
        )
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{name}: a folder is there; name the file to write")
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(
            f"{name}: a device or pipe is there, not a regular file; relsim writes only regular "
            "files: choose another name"
        )
    if not is_signed(p):
        raise OutputError(
            f"{name}: a file relsim did not write is there (or one changed since relsim wrote "
            "it), so relsim will not replace it: choose another name, or move it away yourself"
        )


def write_signed_text(path: str | Path, text: str, option: str = "") -> Path:
    """Write ``text`` signed (:func:`sign`) to ``path``, atomically, if the path allows it.

    Parameters
    ----------
    path : str or Path
        The file to write.
    text : str
        Markdown or HTML (the signature is an HTML comment, invisible in both).
    option : str
        How the user named the path, for messages.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        See :func:`check_signed_target`; or the disk refused the write.
    """
    check_signed_target(path, option)
    return write_text_atomically(path, sign(text))
