"""Running replications in chunks, on this machine or on a Dask cluster.

Work is cut into chunks of ``CHUNK`` consecutive replications whatever the number of
workers; a replication's seeds depend only on (root seed, index), and chunk results
are combined in chunk order, so the numbers are the same for any number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, NamedTuple

import numpy as np

from stress.engines import simulate_chunk
from stress.model import records
from stress.model.params import Params
from stress.statistics.summary import Tally

CHUNK = 1000


class ChunkTask(NamedTuple):
    point: int            # sweep point or variant (0 for a plain run)
    index: int            # chunk number within the point
    engine: str
    params: Params
    class_names: list[str]
    seed: int
    start: int
    count: int
    keep_records: bool


class ChunkResult(NamedTuple):
    point: int
    index: int
    tally: Tally
    values: np.ndarray | None   # the records, when kept
    highest: np.ndarray         # highest tier per replication (int8): pairs variants in a comparison
    seconds: float


def chunk_tasks(point: int, engine: str, params: Params, class_names: list[str], seed: int,
                n: int, keep_records: bool, first: int = 0) -> list[ChunkTask]:
    """Tasks for replications ``first .. n - 1`` of one point."""
    return [ChunkTask(point, start // CHUNK, engine, params, class_names, seed, start,
                      min(CHUNK, n - start), keep_records)
            for start in range(first, n, CHUNK)]


def run_chunk(task: ChunkTask) -> ChunkResult:
    began = time.perf_counter()
    values = simulate_chunk(task.engine, task.params, task.class_names, task.seed, task.start, task.count)
    return ChunkResult(task.point, task.index, Tally.of(values, task.params.horizon),
                       values if task.keep_records else None,
                       values[:, records.COLUMN["highest_tier"]].astype(np.int8), time.perf_counter() - began)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _worker_init(main_pid: int) -> None:
    # Ctrl-C is the main process's to handle; it stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # If the main process is killed outright (kill -9) nobody stops the workers: each
    # watches it and exits when it is gone, instead of lingering as an orphan.
    threading.Thread(target=_exit_with, args=(main_pid,), daemon=True).start()
    from stress.engines import fast  # noqa: F401  (load the compiled engine once per worker)


def _exit_with(main_pid: int) -> None:
    while _alive(main_pid):
        time.sleep(0.5)
    os._exit(1)


def _alive(pid: int) -> bool:
    """Whether a process runs (a killed one may linger as a zombie until reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a job that writes a result folder: ``partial`` keeps what finished."""

    def __init__(self, partial) -> None:
        super().__init__(str(partial))
        self.partial = partial


class LocalPool:
    """A process pool on this machine; ``workers == 1`` runs in this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        if workers > 1:
            # fork on Linux: workers start at once with the compiled engine already in
            # memory (forkserver costs ~0.8 s per pool, which a sweep's speed-up feels);
            # the parent holds no locks a worker needs. Elsewhere fork is unsafe: spawn.
            context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
            self._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                                                 initargs=(os.getpid(),))

    @property
    def slots(self) -> int:
        return self.workers

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._executor is None:
            done: Future = Future()
            done.set_result(fn(*args))
            return done
        return self._executor.submit(fn, *args)

    def close(self, cancel: bool = False) -> None:
        if self._executor is None:
            return
        if cancel:
            # Workers ignore Ctrl-C; stop them now rather than after their chunks.
            for process in list((getattr(self._executor, "_processes", None) or {}).values()):
                process.terminate()
        # Wait even when cancelling: the pool's manager thread must see its workers gone
        # before the interpreter exits, or it prints a traceback at shutdown.
        self._executor.shutdown(wait=True, cancel_futures=cancel)


class DaskPool:
    """The same work on a Dask distributed cluster: ``address`` is a scheduler
    (tcp://host:port) or "local" for a LocalCluster of ``workers`` processes. Dask
    re-runs the chunk of a worker that dies; chunks are pure, so the result is the same."""

    def __init__(self, address: str, workers: int) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ValueError('--scheduler needs the cluster extra: pip install ".[cluster]"') from None
        self._cluster = None
        if address == "local":
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0")
            self.client = Client(self._cluster)
        else:
            try:
                self.client = Client(address, timeout="10s")
            except OSError as exc:
                raise ValueError(f"--scheduler {address}: cannot connect ({exc})") from None
        self.slots = max(1, sum(self.client.nthreads().values()))

    @property
    def dashboard(self) -> str | None:
        return getattr(self.client, "dashboard_link", None)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def close(self, cancel: bool = False) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


@contextmanager
def running(pool: Any, partial: Any = None) -> Iterator[Any]:
    """Use ``pool`` for a job and close it. On any error the workers are stopped at
    once; Ctrl-C in a job that writes a result folder becomes ``Interrupted`` (which
    names the ``.partial`` folder to resume)."""
    try:
        yield pool
    except BaseException as exc:
        pool.close(cancel=True)
        if isinstance(exc, KeyboardInterrupt) and partial is not None:
            raise Interrupted(partial) from None
        raise
    pool.close()


def check_scheduler(scheduler: str | None) -> None:
    """Fail early, before any result folder exists, if the cluster cannot be used."""
    if scheduler is None:
        return
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise ValueError('--scheduler needs the cluster extra: pip install ".[cluster]"') from None
    if scheduler != "local":
        DaskPool(scheduler, 1).close()


def make_pool(workers: int | None, scheduler: str | None, engine: str, n_tasks: int):
    """The pool for ``n_tasks`` chunks. Unless told, small fast-engine jobs stay in
    this process: they finish before a pool would have started."""
    if scheduler is not None:
        return DaskPool(scheduler, workers or default_workers())
    if workers is None:
        workers = 1 if engine == "fast" and n_tasks * CHUNK <= SMALL_FAST_JOB else default_workers()
    return LocalPool(max(1, min(workers, n_tasks)))


SMALL_FAST_JOB = 50_000


def run_chunks(tasks: list[ChunkTask]) -> list[ChunkResult]:
    return [run_chunk(task) for task in tasks]


# Chunks sent to a worker at a time: the compiled engine runs a chunk in milliseconds,
# so it gets them in tens (fewer round trips, and the parent, which shares the cores
# with the workers, has less to do). Results are still per chunk, so batching changes
# no number.
BATCH = {"fast": 10, "simpy": 1}


def _batches(tasks: Iterable[ChunkTask]) -> Iterator[list[ChunkTask]]:
    batch: list[ChunkTask] = []
    for task in tasks:
        if batch and len(batch) >= BATCH.get(task.engine, 1):
            yield batch
            batch = []
        batch.append(task)
    if batch:
        yield batch


def execute(tasks: Iterable[ChunkTask], pool: Any) -> Iterator[ChunkResult]:
    """Results in task order. At most two batches per worker are in flight, so memory
    stays bounded however many tasks there are."""
    window: deque = deque()
    pending = _batches(tasks)
    for batch in pending:
        window.append(pool.submit(run_chunks, batch))
        if len(window) >= 2 * pool.slots:
            break
    while window:
        results = window.popleft().result()
        for batch in pending:
            window.append(pool.submit(run_chunks, batch))
            break
        yield from results
