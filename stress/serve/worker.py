"""A process of its own for the simulations the page asks for.

The server stays responsive while a run computes, and a run can always be stopped:
a superseded one cooperatively (after every task of its job the run looks for a stop
request on a second pipe, and stops), one past its deadline by killing the process,
which is started again for the next job. Jobs run one at a time, in order.

The child is a fresh ``python -m stress.serve.worker`` that inherits the two pipe
ends (not a ``multiprocessing`` child: those re-import the parent's main script, which
fails when there is none, as in ``python -`` or a notebook), imports this same copy of
stress, and ends when the server's end of the pipe closes.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any, Callable

from stress.errors import UserError

_tokens = itertools.count(1)


class Cancelled(Exception):
    """The job was superseded by a newer one and stopped (or never started)."""


class TimedOut(Exception):
    """The job took longer than its deadline and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s and was stopped")
        self.seconds = seconds


class WorkerFailed(RuntimeError):
    """The job failed with an error that is not the user's (a bug): its traceback."""


@dataclass
class Job:
    """One call of a function in ``HANDLERS`` with keyword arguments."""
    kind: str
    arguments: dict[str, Any]
    token: int = field(default_factory=lambda: next(_tokens))
    cancelled: bool = False


class Worker:
    """One child process; ``run(job, timeout)`` blocks until the job's answer."""

    def __init__(self, name: str = "stress-serve-worker") -> None:
        self.name = name
        self._lock = threading.Lock()        # one job at a time in the pipe
        self._state = threading.Lock()       # guards _running and the stop pipe
        self._process: subprocess.Popen | None = None
        self._jobs: Connection | None = None
        self._stops: Connection | None = None
        self._running: Job | None = None

    def start(self) -> None:
        with self._lock:
            self._ensure()

    @property
    def running(self) -> Job | None:
        """The job the process is working on now, if any."""
        with self._state:
            return self._running

    def _ensure(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        jobs, child_jobs = Pipe()
        stops, child_stops = Pipe()
        package_root = str(Path(__file__).resolve().parents[2])   # this copy of stress, whatever sys.path says
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        fds = (child_jobs.fileno(), child_stops.fileno())
        self._process = subprocess.Popen([sys.executable, "-m", "stress.serve.worker", *map(str, fds)],
                                         pass_fds=fds, stdin=subprocess.DEVNULL, env=env)
        child_jobs.close()
        child_stops.close()
        self._jobs, self._stops = jobs, stops

    def run(self, job: Job, timeout: float) -> Any:
        """The job's return value; raises ``Cancelled``, ``TimedOut``, ``UserError``
        (with the job's message) or ``WorkerFailed``. ``timeout`` counts from the job's
        start."""
        with self._lock:
            with self._state:
                if job.cancelled:
                    raise Cancelled()
                self._running = job
            try:
                self._ensure()
                self._jobs.send((job.token, job.kind, job.arguments))
                status, value = self._wait(job, timeout)
            finally:
                with self._state:
                    self._running = None
        if status == "ok":
            return value
        if status == "cancelled":
            raise Cancelled()
        if status == "user":
            raise UserError(value)
        raise WorkerFailed(value)

    def _wait(self, job: Job, timeout: float) -> tuple[str, Any]:
        if self._jobs.poll(timeout):
            return self._receive(job)
        # Past the deadline: ask it to stop, then stop it.
        with self._state:
            self._stop(job)
        if self._jobs.poll(1.0):
            self._receive(job)
        else:
            self._kill()
        raise TimedOut(timeout)

    def _receive(self, job: Job) -> tuple[str, Any]:
        try:
            token, status, value = self._jobs.recv()
        except (EOFError, OSError):
            self._kill()
            raise WorkerFailed("the worker process ended unexpectedly") from None
        assert token == job.token, "answers come in the order of the jobs"
        return status, value

    def cancel(self, job: Job) -> None:
        """Stop ``job``: now if it runs, before it starts if it waits."""
        with self._state:
            job.cancelled = True
            if self._running is job:
                self._stop(job)

    def _stop(self, job: Job) -> None:
        try:
            self._stops.send(job.token)
        except (OSError, AttributeError):   # the process is gone already
            pass

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
        for conn in (self._jobs, self._stops):
            if conn is not None:
                conn.close()
        self._process = self._jobs = self._stops = None

    def close(self) -> None:
        """End the process: at once if it is idle, after stopping its job if not."""
        with self._state:
            if self._running is not None:
                self._stop(self._running)
        for conn in (self._jobs, self._stops):
            if conn is not None:
                conn.close()            # the child ends at its next receive
        if self._process is not None:
            try:
                self._process.wait(3)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
        self._process = self._jobs = self._stops = None


# --- the child ---------------------------------------------------------------

def _main(jobs: Connection, stops: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the server's; it closes the pipe
    stopped: set[int] = set()
    while True:
        try:
            token, kind, arguments = jobs.recv()
        except (EOFError, OSError):
            return
        stopped = {t for t in stopped if t > token}

        def check(*_progress: Any, token: int = token) -> None:
            while stops.poll():
                stopped.add(stops.recv())
            if token in stopped:
                raise Cancelled()
        try:
            check()
            reply = ("ok", HANDLERS[kind](**arguments, check=check))
        except Cancelled:
            reply = ("cancelled", None)
        except UserError as exc:
            reply = ("user", str(exc))
        except Exception:
            reply = ("bug", traceback.format_exc())
        try:
            jobs.send((token, *reply))
        except (EOFError, OSError):
            return


def what_if(reference, variant, n: int, seed: int, check: Callable) -> dict[str, Any]:
    from stress.serve.answers import what_if as answer
    began = time.perf_counter()
    result = answer(reference, variant, n=n, seed=seed, progress=check)
    result["seconds"] = time.perf_counter() - began
    return result


LADDER = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)


def calibrate(reference, budget: float, check: Callable) -> dict[str, Any]:
    """Load the compiled engine, then the largest N on ``LADDER`` whose answer took at
    most ``budget`` seconds here (the mean of two; at least the smallest N)."""
    from stress.config.loading import scenario_of
    from stress.serve.answers import what_if as answer
    # Compile or load the engine, and load what a comparison with differences needs (the
    # exact test imports scipy.stats): a variant without breaches differs wherever the
    # reference reaches a tier.
    quiet = scenario_of(reference, ["breaches.baseline_per_day=0", "monitoring.false_reports_per_day=0"]).config
    answer(reference, quiet, n=LADDER[0], seed=0, progress=check)
    chosen, seconds = LADDER[0], {}
    for n in LADDER:
        if budget < 0:
            break
        times = []
        for _ in range(2):
            began = time.perf_counter()
            answer(reference, reference, n=n, seed=0, progress=check)
            times.append(time.perf_counter() - began)
        seconds[n] = sum(times) / len(times)
        if seconds[n] > budget:
            break
        chosen = n
    return {"n": chosen, "seconds": seconds}


def full_run(config, n: int, seed: int, results: str, check: Callable) -> dict[str, Any]:
    """A normal result folder in ``results`` and its HTML report."""
    import stress
    result = stress.run(config, n=n, seed=seed, results_dir=results, progress=check)
    report = stress.report(result.path)
    return {"folder": str(result.path), "report": str(report)}


def warm(config, check: Callable) -> None:
    """Load what a run in full and its report need (the engine, matplotlib), so that the
    first one is as quick as the next."""
    from stress.engines import prepare
    from stress.model.params import compile_params
    from stress.output import reports  # noqa: F401
    prepare("fast", compile_params(config))


def report(folder: str, check: Callable) -> str:
    import stress
    return str(stress.report(folder))


HANDLERS: dict[str, Callable[..., Any]] = {"what_if": what_if, "calibrate": calibrate, "full_run": full_run,
                                           "report": report, "warm": warm}


if __name__ == "__main__":
    _main(Connection(int(sys.argv[1])), Connection(int(sys.argv[2])))
