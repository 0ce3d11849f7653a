"""Running replications in chunks, on this machine or on a Dask cluster.

Work is cut into chunks of ``CHUNK`` consecutive replications whatever the number of
workers; a replication's seeds depend only on (root seed, index), and chunk results
are combined in chunk order, so the numbers are the same for any number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Callable, Iterable, Iterator, NamedTuple

import numpy as np

from stress.engines import simulate_chunk
from stress.model.params import Params
from stress.summary import Tally

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
    values: np.ndarray | None
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
    return ChunkResult(task.point, task.index, Tally.of(values), values if task.keep_records else None,
                       time.perf_counter() - began)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's to handle; workers just stop when the pool shuts down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from stress.engines import fast  # noqa: F401  (compile or load the engine once per worker)


class LocalPool:
    """A process pool; ``workers == 1`` runs in this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        if workers > 1:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["stress.runner", "stress.engines.fast"])
            self._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_sigint)

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
        if self._executor is not None:
            self._executor.shutdown(wait=not cancel, cancel_futures=cancel)
            if cancel:
                for process in list(getattr(self._executor, "_processes", {}).values()):
                    process.terminate()


def execute(tasks: Iterable[ChunkTask], pool: Any) -> Iterator[ChunkResult]:
    """Results in task order. At most two tasks per worker are in flight, so memory
    stays bounded however many tasks there are."""
    window: deque = deque()
    pending = iter(tasks)
    for task in pending:
        window.append(pool.submit(run_chunk, task))
        if len(window) >= 2 * pool.slots:
            break
    while window:
        result = window.popleft().result()
        for task in pending:
            window.append(pool.submit(run_chunk, task))
            break
        yield result
