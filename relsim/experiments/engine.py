"""The execution engine: replications of units, on any backend, into a resumable store.

Every design (a comparison's arms, a sweep's points, a calibration's candidates) is a list of
*units*, each a scenario, run for replications ``0 .. n-1``. Replication ``r`` of every unit
draws from the streams ``SeedSequence(seed, spawn_key=(r, mechanism))``, so units meet the
same people and the same luck (common random numbers) and the numbers never depend on which
worker, or how many, computed them.

:func:`execute` submits the replications that are not in the store yet, a bounded number at
a time, and files each result as it arrives. A replication that
raises is recorded with its traceback and the rest go on; workers that die are replaced and
their replications resubmitted (up to :data:`MAX_RESTARTS` times); Ctrl-C propagates after the
finished replications are safely on disk. Progress is reported through a callback, so the
library draws no progress bars of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from relsim.errors import RelsimError
from relsim.experiments.backends import Backend, InProcess
from relsim.experiments.store import Store

#: The public names (the type aliases Stats, Rows and Call are for annotations).
__all__ = ["AbortedError", "MAX_RESTARTS", "Status", "execute", "pending_tasks"]

#: A worker pool that keeps dying (a replication that exhausts memory, say) is not retried
#: for ever.
MAX_RESTARTS = 3


class AbortedError(RelsimError):
    """The work could not go on (its workers keep dying); what finished is kept."""


@dataclass
class Status:
    """What a call of :func:`execute` did, updated as it goes (for progress reports)."""

    total: int
    found: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0
    seconds: float = 0.0
    restarts: int = 0

    @property
    def finished(self) -> int:
        """Replications on disk or failed: the progress so far."""
        return self.found + self.done + self.failed


#: A task: a picklable function and its arguments, returning the replication's tables.
Call = tuple[Callable[..., dict[str, Any]], tuple[Any, ...]]


def pending_tasks(
    units: int, reps: int, finished: set[tuple[int, int]], first_rep: int = 0
) -> Iterator[tuple[int, int]]:
    """The (unit, replication) pairs not yet finished, replication-major.

    Replication-major order means an interrupted study holds whole replications of every unit
    first, so its paired differences can already be computed.
    """
    for rep in range(first_rep, reps):
        for unit in range(units):
            if (unit, rep) not in finished:
                yield unit, rep


def execute(
    store: Store,
    tasks: Iterable[tuple[int, int]],
    make_call: Callable[[int, int], Call],
    backend: Backend | None = None,
    total: int | None = None,
    found: int = 0,
    on_progress: Callable[[Status], None] | None = None,
    decorate: Callable[[int, int, dict[str, Any]], dict[str, Any]] | None = None,
) -> Status:
    """Run ``tasks`` on ``backend`` and file each result in ``store`` as it arrives.

    Parameters
    ----------
    store : Store
        An open store.
    tasks : iterable of (unit, replication)
        What to compute (typically :func:`pending_tasks`).
    make_call : callable
        ``make_call(unit, rep) -> (function, args)``: the picklable work of one task.
    backend : Backend, optional
        Where to compute (default: this process).
    total, found : int
        For progress: replications the study has in all, and those found finished.
    on_progress : callable, optional
        Called with the :class:`Status` after every finished or failed replication.
    decorate : callable, optional
        ``decorate(unit, rep, tables) -> tables``, applied before filing (adds the unit's
        columns, for instance).

    Returns
    -------
    Status

    Raises
    ------
    AbortedError
        If the worker processes keep dying.
    KeyboardInterrupt
        On Ctrl-C, once the workers are told to stop; finished replications are on disk.
    """
    backend = backend or InProcess()
    queue = iter(tasks)
    status = Status(total=total if total is not None else 0, found=found)
    pending: dict[Any, tuple[int, int]] = {}
    window = 2 * backend.workers + 2  # enough to keep workers busy, bounded memory
    t0 = time.perf_counter()

    def submit(unit: int, rep: int) -> None:
        fn, args = make_call(unit, rep)
        pending[backend.submit(fn, *args)] = (unit, rep)

    def fill() -> None:
        while len(pending) < window:
            nxt = next(queue, None)
            if nxt is None:
                return
            submit(*nxt)

    def report() -> None:
        status.seconds = time.perf_counter() - t0
        status.running = backend.running(pending)
        if on_progress is not None:
            on_progress(status)

    fill()
    report()
    while pending:
        for fut in backend.wait_any(pending):
            unit, rep = pending.pop(fut)
            try:
                tables = fut.result()
            except BrokenProcessPool:
                # A worker died (killed, out of memory): every task in flight is lost with it.
                status.restarts += 1
                if status.restarts > MAX_RESTARTS:
                    raise AbortedError(
                        f"worker processes died {status.restarts} times; "
                        "finished replications are kept, rerun to resume"
                    ) from None
                lost = [(unit, rep), *pending.values()]
                pending.clear()
                backend.restart()
                for task in lost:
                    submit(*task)
                break
            except Exception as err:  # noqa: BLE001 - one failed replication stops nothing
                store.write_failure(unit, rep, err)
                status.failed += 1
            else:
                if decorate is not None:
                    tables = decorate(unit, rep, tables)
                store.write(unit, rep, tables)
                status.done += 1
            report()
        fill()
    report()
    return status
