"""Where replications run: this process, local processes, or a Dask cluster.

Every backend takes the same picklable task (a scenario as plain data, a seed and a
replication number) and returns the same record, so the numbers never depend on where they
were computed: the random streams are keyed by seed and replication, not by worker. Workers
only compute; the process that runs the sweep writes every result, so a cluster needs no
shared file system.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any


class Backend:
    """Runs tasks and reports which have finished (the interface shared by every backend)."""

    #: Tasks that can run at the same time.
    workers: int = 1
    #: A short description for progress lines and the manifest.
    label: str = ""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)``; return a future with ``result()``."""
        raise NotImplementedError

    def wait_any(self, futures: Iterable[Any]) -> set[Any]:
        """Block until at least one of ``futures`` has finished; return the finished ones."""
        raise NotImplementedError

    def running(self, futures: Iterable[Any]) -> int:
        """How many of ``futures`` are being computed now (not queued, not finished)."""
        return min(sum(1 for f in futures if not f.done()), self.workers)

    def restart(self) -> None:
        """Replace workers that died (local processes); other backends do this themselves."""

    def close(self) -> None:
        """Release the workers."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcess(Backend):
    """Runs tasks in this process, one at a time, as their results are asked for.

    A task runs when :meth:`wait_any` is called, oldest first, so each result is filed before
    the next task starts (no start-up cost, nothing computed ahead of being stored).
    """

    label = "this process"

    def __init__(self) -> None:
        self._todo: dict[Future, tuple[Callable[..., Any], tuple[Any, ...]]] = {}

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """See :meth:`Backend.submit`."""
        fut: Future = Future()
        self._todo[fut] = (fn, args)
        return fut

    def wait_any(self, futures: Iterable[Any]) -> set[Any]:
        """See :meth:`Backend.wait_any`."""
        futures = set(futures)
        done = {f for f in futures if f.done()}
        if done:
            return done
        fut = next(f for f in self._todo if f in futures)
        fn, args = self._todo.pop(fut)
        try:
            fut.set_result(fn(*args))
        except Exception as err:  # noqa: BLE001 - a failed task is reported, not fatal
            fut.set_exception(err)
        return {fut}

    def running(self, futures: Iterable[Any]) -> int:
        """See :meth:`Backend.running`: nothing runs between two calls of :meth:`wait_any`."""
        return 0


def exit_with_parent(parent: int) -> None:
    """In a worker: end this process as soon as the process that started it is gone.

    A worker whose parent was killed (SIGKILL leaves no chance to clean up) would otherwise
    compute on for nobody; it is re-parented, so its parent id changes.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="relsim-parent-watch", daemon=True).start()


class LocalProcesses(Backend):
    """A pool of spawned local processes (no fork: pyarrow and BLAS threads do not survive it).

    Each worker ends by itself when the process that started it dies.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.label = f"{workers} local processes"
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=get_context("spawn"),
            initializer=exit_with_parent,
            initargs=(os.getpid(),),
        )

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """See :meth:`Backend.submit`."""
        return self._pool.submit(fn, *args)

    def wait_any(self, futures: Iterable[Any]) -> set[Any]:
        """See :meth:`Backend.wait_any`."""
        done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
        return set(done)

    def running(self, futures: Iterable[Any]) -> int:
        """See :meth:`Backend.running`."""
        return min(sum(1 for f in futures if f.running()), self.workers)

    def restart(self) -> None:
        """See :meth:`Backend.restart`."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._start()

    def close(self) -> None:
        """See :meth:`Backend.close`."""
        self._pool.shutdown(wait=True, cancel_futures=True)


#: Dask settings for workers that run long CPU-bound Python tasks, one at a time. Measured on
#: a replication of the default market (benchmarks/bench_sweep.py): with Dask's defaults a
#: task takes 15-20% more CPU inside a worker than in a plain process, because the nanny
#: sets MALLOC_TRIM_THRESHOLD_=65536 for its workers (setting it at all turns off glibc's
#: adaptive mmap threshold, so every array above 128 kB is mapped and unmapped afresh: six
#: times the page faults of a plain process), and because the statistical profiler walks the
#: task's stack every 10 ms while the event loop's 20 ms tick and the system and memory
#: monitors wake the worker's main thread, which then takes the GIL from the task. The
#: thread counts of OpenMP, MKL and OpenBLAS stay at one per worker, as Dask sets them.
QUIET_WORKERS: dict[str, Any] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


class DaskCluster(Backend):
    """A Dask distributed cluster: an existing scheduler, or a LocalCluster started here.

    Parameters
    ----------
    address : str, optional
        Scheduler address, e.g. ``tcp://10.0.0.5:8786``.
    local_workers : int, optional
        Start a LocalCluster of this many single-threaded worker processes instead.
    config : mapping, optional
        Dask settings for a LocalCluster started here (default :data:`QUIET_WORKERS`; an
        empty mapping keeps Dask's own defaults, for comparison).
    """

    def __init__(
        self,
        address: str | None = None,
        local_workers: int | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        import dask
        from distributed import Client, LocalCluster

        from relsim.errors import InputError

        self._cluster: Any = None
        self._client: Any = None
        try:
            if address is None:
                n = local_workers or 1
                with dask.config.set(dict(QUIET_WORKERS if config is None else config)):
                    self._cluster = LocalCluster(
                        n_workers=n,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                self._client = Client(self._cluster)
                self.label = f"Dask LocalCluster of {n} workers"
            else:
                try:
                    self._client = Client(address, timeout="30s")
                except (OSError, TimeoutError, ValueError) as err:
                    raise InputError(
                        f"--scheduler {address}: cannot reach a Dask scheduler there ({err})"
                    ) from None
                self.label = f"Dask scheduler {address}"
            try:
                self._client.wait_for_workers(1, timeout=120)
            except (OSError, TimeoutError) as err:
                raise InputError(
                    f"{self.label}: no worker joined within two minutes ({type(err).__name__})"
                ) from None
        except BaseException:
            self.close()
            raise
        self.workers = max(1, sum(self._client.nthreads().values()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """See :meth:`Backend.submit`."""
        # pure=False: a resumed sweep may resubmit the same arguments and must get a new task.
        return self._client.submit(fn, *args, pure=False)

    def wait_any(self, futures: Iterable[Any]) -> set[Any]:
        """See :meth:`Backend.wait_any`."""
        from distributed import wait as dask_wait

        done, _ = dask_wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done)

    def close(self) -> None:
        """See :meth:`Backend.close`."""
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_backend(
    workers: int = 1, scheduler: str | None = None, dask_local: int | None = None
) -> Backend:
    """The backend the command line asked for.

    Parameters
    ----------
    workers : int
        Local processes (1 runs in this process).
    scheduler : str, optional
        Address of a Dask scheduler; takes precedence over ``workers``.
    dask_local : int, optional
        Workers of a Dask LocalCluster started for this sweep.
    """
    if scheduler is not None or dask_local is not None:
        return DaskCluster(scheduler, dask_local)
    return InProcess() if workers <= 1 else LocalProcesses(workers)
