"""What the compiled engine works on: named records and preallocated arrays.

The violator's and the false reporter's state is one numpy record (``STATE``), each
tier's a row of two small arrays (``OPEN_AT``, ``PENDING``, ...), so a handler reads
and writes named places instead of threading locals through every call; each scheduled
event is a record too (``EVENT``), with the fields its kind reads. ``Buffers`` are
every array the kernel writes, all made by the caller (the kernel is compiled without
numba's runtime: no reference counting, no allocation); ``Arrays`` names them for the
handlers inside the kernel.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from stress.engines.fast.queue import N_COUNTERS, Queue
from stress.model import clock, streams
from stress.model.plan import MAX_TIERS, N_DRAW_KINDS
from stress.model.rules import out_of_window

MAX_DRAWS = MAX_TIERS * N_DRAW_KINDS

f8, i8, b1 = np.float64, np.int64, np.bool_

# Kinds of scheduled events: a verified report, and a tier's actions
# (stress.engines.simpy.policy).
REPORT, DECISION, START, EFFECT, ARRIVAL, STAND_DOWN, OBJECTIVE, HELD = range(8)

# A scheduled event: its time and kind, and the fields its kind reads.
EVENT = np.dtype([
    ("time", f8), ("kind", i8),
    # every kind but REPORT: the tier it belongs to
    ("tier", i8),
    # REPORT: a verified report of a class-``report_class`` incident at ``incident``, whose
    # attack would need the lognormal of ``u_objective`` to reach its objective
    ("report_class", i8),
    # DECISION: whether it is taken, then what the response needs (the report's draws)
    ("decides", b1), ("on_false", b1), ("is_false", b1), ("t_report", f8), ("incident", f8), ("u_objective", f8),
    ("u_response", f8), ("u_within", f8), ("u_partner", f8), ("u_stand_down", f8),
    # START: whether the partner joins (and on_false, is_false, incident as above)
    ("partner", b1),
    # HELD: a breach the violator held back, of class report_class and u_objective as above,
    # with the monitors' three draws for it
    ("u_detected", f8), ("u_delay", f8), ("u_attributed", f8),
], align=True)

STATE = np.dtype([
    # the violator (stress.engines.simpy.breaches): the clock reading when it last
    # planned (SimPy's env.now then); the next breach's time once planned, before that
    # only a lower bound on it; which part of the breach clock fires it
    ("violator_now", f8), ("next_breach", f8), ("breach_planned", b1), ("breach_source", i8),
    # the false reporter (stress.engines.simpy.monitoring): its next incident, and the
    # clock reading when it last acted
    ("next_false", f8), ("false_now", f8),
    # the runaway guard (stress.model.cost): the last breach's time, breaches made at it
    ("last_breach", f8), ("same_instant", i8),
    # the violator's mind (stress.engines.simpy.adversary): its behaviour, its boldness
    ("behaviour", i8), ("multiplier", f8),
], align=True)

# Each tier's state (stress.engines.simpy.policy.TierState, and what the violator's
# mind keeps of it): its numbers ...
OPEN_AT, LAST_COUNTED, LATENCY_SUM, BELIEVED = range(4)
N_TIER_FLOATS = 4
# ... and whole numbers; its window is windows[w, head:tail] (w: the tier's WINDOW),
# the violator's own of it adversary_windows[j, adv_head:adv_tail]
PENDING, DONE, HEAD, TAIL, GENUINE_RESPONSES, ADV_HEAD, ADV_TAIL, DECIDED, DECLINED = range(9)
N_TIER_INTS = 9

# What the kernel reports when a workspace array was too small for a replication.
FITS, HEAP_FULL, WINDOW_FULL, RUNAWAY = 0, 1, 2, 3


class Buffers(NamedTuple):
    """Every array the kernel writes, as the caller makes them and hands them over,
    one argument each: numba's dispatcher types an array argument in C, but a
    namedtuple of them in Python, which cost ~8 us a call."""
    heap: np.ndarray        # (n, 3) float64: the event queue (stress.engines.fast.queue)
    events: np.ndarray      # (n,) EVENT
    free: np.ndarray        # (n,) int64
    counters: np.ndarray    # (N_COUNTERS,) int64
    windows: np.ndarray     # (MAX_TIERS, m, 3) each windowed tier's reports, rows of (time, weight, is_false)
    adversary_windows: np.ndarray  # (MAX_TIERS, m, 3) the violator's own breaches in each tier's window
    tier_floats: np.ndarray  # (MAX_TIERS, N_TIER_FLOATS) each tier's state
    tier_ints: np.ndarray   # (MAX_TIERS, N_TIER_INTS)
    draws: np.ndarray       # (MAX_DRAWS,) a report's uniforms
    rng: np.ndarray         # (N_STREAMS, 4) uint64: each component stream's PCG64 state
    clock: np.ndarray       # (clock.SIZE,) the breach clock
    state: np.ndarray       # (1,) STATE


def new_buffers(events: int = 64, window: int = 32) -> Buffers:
    return Buffers(np.empty((events, 3)), np.empty(events, dtype=EVENT), np.empty(events, dtype=np.int64),
                   np.zeros(N_COUNTERS, dtype=np.int64), np.empty((MAX_TIERS, window, 3)),
                   np.empty((MAX_TIERS, window, 3)),
                   np.zeros((MAX_TIERS, N_TIER_FLOATS)), np.zeros((MAX_TIERS, N_TIER_INTS), dtype=np.int64),
                   np.zeros(MAX_DRAWS), np.empty((streams.N_STREAMS, 4), dtype=np.uint64), np.zeros(clock.SIZE),
                   np.zeros(1, dtype=STATE))


def grown(buffers: Buffers, full: int) -> Buffers:
    """``buffers`` with the ones that were too small (``full``) four times larger; the
    kernel restarts the replication, so nothing needs copying."""
    if full == HEAP_FULL:
        rows = 4 * buffers.heap.shape[0]
        return buffers._replace(heap=np.empty((rows, 3)), events=np.empty(rows, dtype=EVENT),
                                free=np.empty(rows, dtype=np.int64))
    if full == WINDOW_FULL:
        rows = 4 * buffers.windows.shape[1]
        return buffers._replace(windows=np.empty((MAX_TIERS, rows, 3)), adversary_windows=np.empty((MAX_TIERS, rows, 3)))
    raise ValueError(f"full must be HEAP_FULL or WINDOW_FULL, got {full}")


class Arrays(NamedTuple):
    """The buffers as the handlers see them, named inside the kernel (``arrays``)."""
    queue: Queue
    windows: np.ndarray
    adversary_windows: np.ndarray
    tier_floats: np.ndarray
    tier_ints: np.ndarray
    draws: np.ndarray
    breach_rng: np.ndarray     # rows of Buffers.rng, made views once per kernel call:
    detection_rng: np.ndarray  # none in the loop
    false_rng: np.ndarray
    response_rng: np.ndarray
    adversary_rng: np.ndarray
    clock: np.ndarray
    state: np.ndarray
    reads: object              # None in the kernel of a blind violator (violator.when_reading)


@njit(inline='always')
def arrays(buffers, reads):
    """``Arrays`` from the buffers, a tuple in ``Buffers``' order, and ``reads``."""
    heap, events, free, counters, windows, adversary_windows, tier_floats, tier_ints, draws, rng, clock_state, state = \
        buffers
    return Arrays(Queue(heap, events, free, counters), windows, adversary_windows, tier_floats, tier_ints, draws,
                  rng[streams.BREACHES], rng[streams.DETECTION], rng[streams.FALSE_REPORTS],
                  rng[streams.RESPONSES], rng[streams.ADVERSARY], clock_state, state, reads)


@njit(_nrt=False, forceinline=True)  # compiled once, inlined by LLVM: see queue._heap_push
def window_push(buf, head, tail, t, weight, is_false, length):
    """Append (t, weight, is_false) to a trailing window held in ``buf[head:tail]``,
    compacting it when it reaches the end of ``buf``, and drop the entries that have
    left (t - length, t]; returns the new (head, tail), or tail -1 if ``buf`` is full."""
    if tail == buf.shape[0]:
        if head == 0:
            return head, -1
        for i in range(tail - head):  # a loop, not a slice copy: no allocation
            for column in range(3):
                buf[i, column] = buf[head + i, column]
        tail -= head
        head = 0
    buf[tail, 0] = t
    buf[tail, 1] = weight
    buf[tail, 2] = 1.0 if is_false else 0.0
    while out_of_window(buf[head, 0], t, length):
        head += 1
    return head, tail + 1
