"""Handing a big run's freed memory back to the system (glibc and Arrow; elsewhere nothing).

A big run's tables are built and read a block of rows at a time. Two allocators keep what
those blocks free:

- glibc raises its ``mmap`` threshold each time a block-sized array is freed, so later
  blocks come from the heap, and the heap keeps the holes they leave. A fixed threshold
  (:func:`map_big_blocks`) gives every array of a megabyte or more its own mapping, which
  goes back to the system the moment the array is freed.
- Arrow's default pool (mimalloc) keeps the pages of the Parquet writer's buffers for
  reuse; :func:`give_back` asks it, and glibc, to return what is free.

The threshold is a setting of the whole process, so only the command line's ``relsim run``
makes it; the library leaves the process's settings as it finds them (:func:`give_back`
changes none, and ``Market.release`` calls it after letting a big market go).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: glibc's ``mallopt`` parameter for the size from which an allocation gets its own mapping.
_M_MMAP_THRESHOLD = -3
#: Arrays from this size on are mapped on their own: a block of rows' columns (8 MB for a
#: million float64s) is far above it, Python's small objects far below.
BIG_BLOCK = 1 << 20


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    # glibc has both; another C library (musl) may have neither
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def map_big_blocks(threshold: int = BIG_BLOCK) -> bool:
    """Give every allocation of ``threshold`` bytes or more its own mapping (glibc).

    Returns whether the setting was made (glibc only).
    """
    libc = _libc()
    return bool(libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, threshold))


def give_back() -> None:
    """Return freed memory to the system: glibc's free heap pages and Arrow's unused pool."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:  # never imported only for this
        arrow.default_memory_pool().release_unused()
