"""A progress bar over simulated days, for ``relsim run``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def day_bar(days: float) -> Iterator[Callable[[float], None]]:
    """A tqdm bar of simulated days and the callback that moves it (closed on exit)."""
    from tqdm import tqdm

    bar = tqdm(
        total=int(days), unit="day", desc="simulating", disable=None, leave=False, file=sys.stderr
    )

    def on_day(now: float) -> None:
        bar.update(int(now) - bar.n)

    try:
        yield on_day
    finally:
        bar.close()
