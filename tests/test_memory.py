"""Handing freed memory back to the system (relsim.memory), in fresh processes: the settings
belong to a whole process, so each case runs in its own."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="the settings are glibc's",
)

# A block of rows freed under a later allocation, after a bigger array has been freed (which
# raises glibc's own mmap threshold above the block's size). Prints the MB the free returned
# at once, then the MB give_back() returned on top.
CASE = """
import sys
import numpy as np
from relsim.memory import give_back, map_big_blocks

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096

if sys.argv[1] == "fixed":
    assert map_big_blocks()
big = np.ones(16 << 17)  # 16 MB, mapped on its own, then freed
del big
block = np.ones(4 << 17)  # 4 MB
pin = [bytearray(200_000) for _ in range(3)]  # allocated after it
before = rss()
del block
freed = rss()
give_back()
print((before - freed) / 2**20, (freed - rss()) / 2**20)
"""


def _returned(mode: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", CASE, mode], capture_output=True, text=True, check=True
    ).stdout
    at_once, later = (float(x) for x in out.split())
    return at_once, later


def test_a_block_freed_goes_back_at_once_when_big_blocks_are_mapped():
    at_once, _ = _returned("fixed")
    assert at_once == pytest.approx(4.0, abs=0.1)


def test_without_it_the_block_stays_in_the_heap_until_given_back():
    at_once, later = _returned("default")
    assert at_once < 0.5  # the hole glibc keeps
    assert later == pytest.approx(4.0, abs=0.5)  # malloc_trim returns its pages
