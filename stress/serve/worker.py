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


class Stopped(Exception):
    """The worker was closed (the server is stopping) before the job's answer came."""


@dataclass
class Job:
    """One call of a function in ``HANDLERS`` with keyword arguments."""
    kind: str
    arguments: dict[str, Any]
    token: int = field(default_factory=lambda: next(_tokens))
    cancelled: bool = False


@dataclass
class _Child:
    """A running child and the server's ends of its two pipes."""
    process: subprocess.Popen
    jobs: Connection
    stops: Connection

    def end(self, kill: bool) -> None:
        if kill:
            self.process.kill()
        for conn in (self.jobs, self.stops):
            conn.close()                 # an idle child ends at its next receive
        try:
            self.process.wait(3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


class Worker:
    """One child process; ``run(job, timeout)`` blocks until the job's answer."""

    def __init__(self, name: str = "stress-serve-worker") -> None:
        self.name = name
        self._lock = threading.Lock()        # one job at a time in the pipe
        self._state = threading.Lock()       # guards _child and _running
        self._child: _Child | None = None
        self._running: Job | None = None
        self._closed = False

    def start(self) -> None:
        with self._lock:
            self._ensure()

    @property
    def running(self) -> Job | None:
        """The job the process is working on now, if any."""
        with self._state:
            return self._running

    def _ensure(self) -> _Child:
        with self._state:
            child = self._child
        if child is not None and child.process.poll() is None:
            return child
        if child is not None:
            self._discard(child, kill=True)
        jobs, child_jobs = Pipe()
        stops, child_stops = Pipe()
        package_root = str(Path(__file__).resolve().parents[2])   # this copy of stress, whatever sys.path says
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        fds = (child_jobs.fileno(), child_stops.fileno())
        process = subprocess.Popen([sys.executable, "-m", "stress.serve.worker", *map(str, fds)],
                                   pass_fds=fds, stdin=subprocess.DEVNULL, env=env)
        child_jobs.close()
        child_stops.close()
        child = _Child(process, jobs, stops)
        with self._state:
            self._child = child
        return child

    def run(self, job: Job, timeout: float) -> Any:
        """The job's return value; raises ``Cancelled``, ``TimedOut``, ``UserError``
        (with the job's message) or ``WorkerFailed``. ``timeout`` counts from the job's
        start."""
        with self._lock:
            with self._state:
                if self._closed:
                    raise Stopped()
                if job.cancelled:
                    raise Cancelled()
                self._running = job
            try:
                child = self._ensure()
                child.jobs.send((job.token, job.kind, job.arguments))
                status, value = self._wait(child, job, timeout)
            except (OSError, EOFError, WorkerFailed):
                if self._closed:
                    raise Stopped() from None
                raise
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

    def _wait(self, child: _Child, job: Job, timeout: float) -> tuple[str, Any]:
        if child.jobs.poll(timeout):
            return self._receive(child, job)
        # Past the deadline: ask it to stop, then stop it.
        with self._state:
            self._stop(job)
        if child.jobs.poll(1.0):
            self._receive(child, job)
        else:
            self._discard(child, kill=True)
        raise TimedOut(timeout)

    def _receive(self, child: _Child, job: Job) -> tuple[str, Any]:
        try:
            token, status, value = child.jobs.recv()
        except (EOFError, OSError):
            self._discard(child, kill=True)
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
        """Ask the child to stop ``job`` (the caller holds ``_state``)."""
        if self._child is None:
            return
        try:
            self._child.stops.send(job.token)
        except OSError:   # the process is gone already
            pass

    def _discard(self, child: _Child, kill: bool) -> None:
        with self._state:
            if self._child is child:
                self._child = None
        child.end(kill)

    def close(self) -> None:
        """End the process: at once if it is idle; if it runs a job, by killing it (which
        also wakes the thread waiting for that job: its pipe reaches its end)."""
        with self._state:
            child, busy = self._child, self._running is not None
            self._child = None
            self._closed = True
        if child is None:
            return
        if busy:
            child.process.kill()
            child.process.wait(10)       # the waiting thread closes the pipes
        else:
            child.end(kill=False)


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
    prepare_kernels(reference)
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


def prepare_kernels(config) -> None:
    """Load (the first time: compile) the compiled engine's kernel for the plan with a
    blind violator and the one for a violator that reads it: a change on the page may
    add an [adversary], and compiling its kernel then would outlast the answer's time."""
    from stress.config.adversary import Adversary
    from stress.engines import prepare
    from stress.model.params import compile_params
    prepare("fast", [compile_params(config.model_copy(update={"adversary": None})),
                     compile_params(config.model_copy(update={"adversary": config.adversary or Adversary()}))])


def warm(config, check: Callable) -> None:
    """Load what a run in full and its report need (the engine, matplotlib), so that the
    first one is as quick as the next."""
    from stress.output import reports  # noqa: F401
    prepare_kernels(config)


def report(folder: str, check: Callable) -> str:
    import stress
    return str(stress.report(folder))


HANDLERS: dict[str, Callable[..., Any]] = {"what_if": what_if, "calibrate": calibrate, "full_run": full_run,
                                           "report": report, "warm": warm}


if __name__ == "__main__":
    _main(Connection(int(sys.argv[1])), Connection(int(sys.argv[2])))
