"""Where tasks run: in this process, in a pool of local processes, or on a Dask cluster.

Every pool has ``slots`` (tasks it runs at once), ``submit(fn, *args)`` returning a
future, and ``close(cancel)``. Results do not depend on the pool: tasks are pure.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import re
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from stress.errors import UsageError
from stress.storage.locks import alive


STOP_SECONDS = 2.0   # how long stopping workers may wait for each step


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# The work is CPU-bound: more workers than this per core only wait for one another
# (1,000 forked on 2 cores took 13.5 s for a job of 1.5 s). --workers above it is capped.
MAX_WORKERS_PER_CORE = 2


def max_workers() -> int:
    return MAX_WORKERS_PER_CORE * default_workers()


def capped_workers(workers: int | None) -> int | None:
    return None if workers is None else min(workers, max_workers())


def _worker_init(main_pid: int, engine: str) -> None:
    # Ctrl-C is the main process's to handle; it stops the workers itself. SIGTERM and
    # SIGHUP end a worker as they end any process (not by the parent's handlers, which
    # fork copied).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    # If the main process is killed outright (kill -9) nobody stops the workers: on Linux
    # the kernel kills each with it (it forked them from the thread that runs the job,
    # which outlives the pool); elsewhere each watches it and exits when it is gone.
    _die_with_parent()
    if os.getppid() != main_pid:  # it died before the line above took effect
        os._exit(1)
    threading.Thread(target=_exit_with, args=(main_pid,), daemon=True).start()
    if engine == "fast":
        from stress.engines import fast  # noqa: F401  (load the compiled engine once per worker)


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent ends (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: the watcher thread remains
        pass


def _exit_with(main_pid: int) -> None:
    while alive(main_pid):
        time.sleep(0.5)
    os._exit(1)


HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C for a short step of the main thread that must not be cut in two; a
    Ctrl-C meanwhile is raised once the step is done. (Python's handler, not a signal
    mask: the kernel hands a process's SIGINT to any thread that does not block it, such
    as a progress bar's, and the main thread would then be interrupted all the same.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, Any]] = []
    # SIGINT, and SIGTERM and SIGHUP where they are handled as it is (the command line does)
    held = [number for number in HELD_SIGNALS if number == signal.SIGINT or callable(signal.getsignal(number))]
    previous = {number: signal.signal(number, lambda number, frame: caught.append((number, frame)))
                for number in held}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if caught and callable(previous[caught[0][0]]):
        previous[caught[0][0]](*caught[0])


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a job that writes a result folder: ``partial`` keeps what finished."""

    def __init__(self, partial) -> None:
        super().__init__(str(partial))
        self.partial = partial


class InProcessPool:
    """Tasks run one after another on a daemon thread of this process. The main thread
    only waits for them, so Ctrl-C reaches it at once even while the compiled engine
    (which releases the GIL) works on a long task; the thread is abandoned then, not
    waited for."""
    slots = 1

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="stress-task", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # the waiting thread raises it
                future.set_exception(exc)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        future: Future = Future()
        self._queue.put((future, fn, args))
        return future

    def close(self, cancel: bool = False) -> None:
        self._queue.put(None)
        if not cancel:
            self._thread.join()


class LocalPool:
    """A process pool on this machine; ``workers == 1`` runs in this process."""

    def __init__(self, workers: int, engine: str = "fast") -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._thread: InProcessPool | None = InProcessPool() if workers == 1 else None
        self._started = False
        if workers > 1:
            # fork on Linux: workers start at once with the compiled engine already in
            # memory (forkserver costs ~0.8 s per pool, which a sweep's speed-up feels);
            # the parent holds no locks a worker needs. Elsewhere fork is unsafe: spawn.
            context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
            self._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                                                 initargs=(os.getpid(), engine))

    @property
    def slots(self) -> int:
        return self.workers

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._thread is not None:
            return self._thread.submit(fn, *args)
        if self._started:
            return self._executor.submit(fn, *args)
        # The first submit forks the workers. A Ctrl-C inside fork's handlers is swallowed
        # ("Exception ignored"), so hold it until the workers exist; it is raised just after.
        with interrupts_held():
            self._started = True
            return self._executor.submit(fn, *args)

    def close(self, cancel: bool = False) -> None:
        if self._thread is not None:
            self._thread.close(cancel)
            return
        if not cancel:
            self._executor.shutdown(wait=True)
            return
        # Workers ignore Ctrl-C; stop them now rather than after their chunks, and reap
        # them here, with time limits.
        processes = list((getattr(self._executor, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(STOP_SECONDS)
        # A worker stopped while sending a result leaves half a message on the result pipe,
        # which the pool's manager thread would wait on for ever. With the workers gone, the
        # parent holds the pipe's last writer: closing it turns that wait into an end of file.
        writer = getattr(getattr(self._executor, "_result_queue", None), "_writer", None)
        if writer is not None:
            writer.close()
        manager = getattr(self._executor, "_executor_manager_thread", None)
        self._executor.shutdown(wait=False, cancel_futures=True)
        if manager is not None:
            # It must be gone before the interpreter exits (which joins it without a limit).
            manager.join(STOP_SECONDS)


class DaskPool:
    """The same work on a Dask distributed cluster: ``address`` is a scheduler
    (tcp://host:port) or "local" for a LocalCluster of ``workers`` processes. Dask
    re-runs the chunk of a worker that dies; chunks are pure, so the result is the same."""

    def __init__(self, address: str, workers: int) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise UsageError('--scheduler needs the cluster extra: pip install ".[cluster]"') from None
        self._cluster = None
        if address == "local":
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0")
            self.client = Client(self._cluster)
        else:
            try:
                self.client = Client(address, timeout="10s")
            except (OSError, ValueError) as exc:  # ValueError: an address Dask cannot parse
                raise UsageError(f"--scheduler {address}: cannot connect ({exc})") from None
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


# what Dask would connect to (it raises a ValueError, or waits to time out, on anything else)
SCHEDULER_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]@]+)"
                               r":(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$")


def check_scheduler(scheduler: str | None) -> None:
    """Fail early, before any result folder exists, if the cluster cannot be used."""
    if scheduler is None:
        return
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise UsageError('--scheduler needs the cluster extra: pip install ".[cluster]"') from None
    if scheduler != "local":
        if not SCHEDULER_ADDRESS.match(scheduler):
            raise UsageError(f"--scheduler {scheduler!r}: expected 'local' or a Dask scheduler's address, "
                             f"tcp://HOST:PORT (or tls://, ws://, wss://, ucx://) with a port from 1 to 65535")
        DaskPool(scheduler, 1).close()


def make_pool(workers: int | None, scheduler: str | None, small: bool, engine: str = "fast") -> Any:
    """The pool for a job. Unless told, a ``small`` job stays in this process: it
    finishes before a pool would have started. ``workers`` is capped (MAX_WORKERS_PER_CORE)."""
    workers = capped_workers(workers)
    if scheduler is not None:
        return DaskPool(scheduler, workers or default_workers())
    if workers is None:
        workers = 1 if small else default_workers()
    return LocalPool(workers, engine)
