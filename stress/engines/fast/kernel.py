"""The compiled engine's event loop: pick the next event, hand it to its handler.

It reproduces ``stress.engines.simpy.replication`` record for record: the same streams,
the same draws in the same order, the same rules (``stress.model.rules``, compiled in),
and the same order of simultaneous events (SimPy's: by clock reading, then by the
order in which events were scheduled). What each event does is in ``handlers``; the
queue of scheduled events in ``queue``; the named state and the arrays in ``state``.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numba
import numpy as np
from numba import njit

from stress.engines.fast import handlers, queue, state, violator
from stress.engines.fast.state import (ARRIVAL, DECISION, EFFECT, FITS, HELD, OBJECTIVE, REPORT, STAND_DOWN, START,
                                       Buffers)
from stress.model import clock
from stress.model import params as _params_module
from stress.model import adversary, compensators, cost, plan, records, rules, streams, variates
from stress.model.cost import runaway
from stress.model.params import Params
from stress.model.streams import seed_prefix, seed_words

# Where the next event comes from: the violator, the false reporter (the two SimPy
# processes with a clock of their own), or the queue of scheduled events.
BREACH, FALSE_INCIDENT, QUEUED = range(3)


def _cache_dir() -> str:
    """Where compiled code is cached. numba keys its cache on the file of the cached
    function alone, but the kernel compiles in every module of this package and the
    shared model code; a folder per hash of all their sources means an edit to any of
    them can never load stale machine code."""
    digest = hashlib.sha256(numba.__version__.encode())
    shared = [Path(m.__file__) for m in (variates, compensators, rules, streams, records, clock, _params_module,
                                         cost, plan, adversary)]
    for path in shared + sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    base = os.environ.get("STRESS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "stress")
    return os.path.join(base, f"numba-{digest.hexdigest()[:16]}")


# numba reads CACHE_DIR when each function below is decorated; restored at the end.
_previous_cache_dir = numba.config.CACHE_DIR
numba.config.CACHE_DIR = _cache_dir()


@njit(inline='always')
def _next_event(p, ws):
    """The clock reading of the next event and where it comes from (BREACH,
    FALSE_INCIDENT or QUEUED, taken in that order at equal readings); infinite when
    nothing is left before the horizon."""
    s = ws.state[0]
    horizon = p.horizon
    key_false = s.false_now + max(s.next_false - s.false_now, 0.0) if s.next_false < horizon else math.inf
    key_queued = queue.next_key(ws.queue)
    key_breach = s.violator_now + max(s.next_breach - s.violator_now, 0.0) if s.next_breach < horizon else math.inf
    if not s.breach_planned and key_breach <= min(key_false, key_queued):
        # the breach may come first: work out exactly when (the key is monotone in
        # the time, so a bound on one bounds the other)
        s.next_breach, s.breach_source = clock.next_breach(ws.clock, p.clock)
        s.breach_planned = True
        key_breach = s.violator_now + max(s.next_breach - s.violator_now, 0.0) if s.next_breach < horizon else math.inf
    now = min(key_breach, key_false, key_queued)
    if key_breach == now:
        return now, BREACH
    if key_false == now:
        return now, FALSE_INCIDENT
    return now, QUEUED


# nogil: a job run in the main process computes on a thread, and the main thread must
# be free to take Ctrl-C meanwhile (stress.execution.pools.InProcessPool)
@njit(cache=True, _nrt=False, nogil=True)
def _simulate_range(params_fields, prefix, start, count, out, reads, *buffers):
    """Fill ``out[r]`` for replications start + r. Compiled without numba's runtime
    (``_nrt=False``): every array, scratch ones included, comes from the caller
    (``buffers``, in ``Buffers``' order), so nothing in the loop counts references
    (that cost ~200 atomic operations per replication, one pair per call of a helper
    taking an array). The buffers are fixed in size; if one is too small for a
    replication, returns (r, which) so the caller can grow it and continue from that
    replication. Otherwise (count, FITS).

    The params come as a plain tuple and are named here: numba's dispatcher types a
    plain tuple in C but a namedtuple in Python (~4 us a call, most of a call's
    overhead when it runs one replication).

    ``reads``: True if the violator may read the plan, else None, which compiles a
    kernel of its own without the mind's code (``violator.when_reading``)."""
    p = Params(*params_fields)
    ws = state.arrays(buffers, reads)
    for r in range(count):
        row = out[r]
        handlers.begin(p, prefix, start + r, row, ws)
        while True:
            if not queue.has_room(ws.queue, p.max_new_events):
                return r, state.HEAP_FULL
            now, source = _next_event(p, ws)
            if not now < p.horizon:
                break
            if source == BREACH:
                status = violator.on_breach(p, ws, row, now)
                if status != FITS:
                    return r, status
            elif source == FALSE_INCIDENT:
                handlers.on_false_incident(p, ws, row, now)
            else:
                slot = queue.pop(ws.queue)
                event = ws.queue.events[slot]
                kind = event.kind
                if kind == REPORT:
                    full = handlers.on_report(p, ws, row, now, event)
                    if full != FITS:
                        return r, full
                elif kind == DECISION:
                    handlers.on_decision(p, ws, row, now, event)
                elif kind == START:
                    handlers.on_start(p, ws, row, now, event)
                elif kind == EFFECT:
                    handlers.on_effect(p, ws, row, now, event)
                elif kind == ARRIVAL:
                    handlers.on_arrival(p, ws, row, now, event)
                elif kind == STAND_DOWN:
                    handlers.on_stand_down(p, ws, row, now, event)
                elif kind == OBJECTIVE:
                    handlers.on_objective(p, ws, row, now, event)
                elif kind == HELD:
                    status = violator.on_held(ws.reads, p, ws, row, now, event)
                    if status != FITS:
                        return r, status
                queue.release(ws.queue, slot)  # only now: the handler has read the event's record
        handlers.finish(p, row, ws)
    return count, FITS


@njit(cache=True)
def _prefix(root_words):
    """seed_prefix, compiled: it allocates, which the kernel itself cannot."""
    return seed_prefix(root_words)


numba.config.CACHE_DIR = _previous_cache_dir


class Workspace:
    """The arrays the kernel works in, kept from one ``simulate_range`` call to the
    next (and grown when a replication needs more room), and the seed prefix of the
    last root seed used. A call with count=1 then allocates only its result. Records
    do not depend on what a workspace held before: every replication starts afresh.
    Not for two threads at once."""

    def __init__(self) -> None:
        self.buffers: Buffers = state.new_buffers()
        self._seed: int | None = None
        self._prefix: np.ndarray | None = None

    def prefix(self, seed: int) -> np.ndarray:
        """``seed_prefix`` of the root seed, worked out once per seed in a row."""
        if seed != self._seed:
            self._prefix = _prefix(seed_words(seed))
            self._seed = seed
        return self._prefix

    def grow(self, full: int) -> None:
        self.buffers = state.grown(self.buffers, full)


def new_workspace() -> Workspace:
    """A workspace to pass to many ``simulate_range`` calls in one thread."""
    return Workspace()


def simulate_range(params: Params, seed: int, start: int, count: int,
                   workspace: Workspace | None = None) -> np.ndarray:
    """Records of replications ``start .. start + count - 1`` under root ``seed`` (rows
    of the plan's ``records.layout``). ``workspace`` (``new_workspace()``) saves
    allocating the kernel's arrays on every call, which matters when each call runs few
    replications."""
    ws = workspace if workspace is not None else Workspace()
    out = np.zeros((count, params.width))
    prefix = ws.prefix(seed)
    fields = tuple(params)
    reads = reads_plan(params)
    done = 0
    while done < count:
        finished, full = _simulate_range(fields, prefix, start + done, count - done, out[done:], reads, *ws.buffers)
        done += finished
        if full == state.RUNAWAY:
            raise runaway(params, start + done, seed)
        if full != FITS:
            ws.grow(full)
    return out


def reads_plan(params: Params) -> bool | None:
    """The kernel's ``reads`` argument for ``params`` (which of the two kernels they need)."""
    return True if params.adversary_ints[adversary.ACTIVE] else None


def is_compiled(params: Params) -> bool:
    """Whether the kernel that ``params`` need is ready in this process (compiled or
    loaded from cache)."""
    wanted = numba.typeof(reads_plan(params))
    return any(signature[5] == wanted for signature in _simulate_range.signatures)


def warm_up(params: Params) -> None:
    """Compile the kernel, or load it from the disk cache, by running one replication."""
    simulate_range(params, 0, 0, 1)
