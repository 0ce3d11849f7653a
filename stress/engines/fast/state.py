"""What the compiled engine works on: named records and preallocated arrays.

A replication's state is one numpy record (``STATE``), so a handler reads and writes
``s.tier2_pending`` instead of threading a local through every call; each scheduled
event is a record too (``EVENT``), with fields of its own per kind. ``Buffers`` are
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
from stress.model.rules import out_of_window

f8, i8, b1 = np.float64, np.int64, np.bool_

# Kinds of scheduled events: a verified report, and the policy's actions
# (stress.engines.simpy.policy).
REPORT, RESPONSE_STARTS, TIER2_DECISION, FORCES_ARRIVE, TIER3_STARTS, STAND_DOWN, OBJECTIVE = range(7)

# A scheduled event: its time and kind, then each kind's own fields (kinds not named
# here have none).
EVENT = np.dtype([
    ("time", f8), ("kind", i8),
    # REPORT: a verified report of a class-``report_class`` incident at ``report_incident``,
    # whose attack would need the lognormal of ``report_u_objective`` to reach its objective
    ("report_class", i8), ("report_is_false", b1), ("report_incident", f8), ("report_u_objective", f8),
    # TIER2_DECISION: whether it deploys, and whether its trigger rested on false reports
    ("decision_deploys", b1), ("decision_on_false", b1),
    # TIER3_STARTS: whether the backstop joins, whether the trigger was false, the incident's time
    ("start_backstop", b1), ("start_on_false", b1), ("start_incident", f8),
], align=True)
MAX_NEW_EVENTS = 4  # most events one handler schedules (a report: tiers 1, 2, 3, objective)

STATE = np.dtype([
    # the violator (stress.engines.simpy.breaches): the clock reading when it last
    # planned (SimPy's env.now then); the next breach's time once planned, before that
    # only a lower bound on it; which part of the breach clock fires it
    ("violator_now", f8), ("next_breach", f8), ("breach_planned", b1), ("breach_source", i8),
    # the false reporter (stress.engines.simpy.monitoring): its next incident, and the
    # clock reading when it last acted
    ("next_false", f8), ("false_now", f8),
    # tier 1
    ("tier1_open_at", f8),
    # tier 2: its counted reports are counted[counted_head:counted_tail]
    ("counted_head", i8), ("counted_tail", i8), ("last_counted", f8),
    ("tier2_pending", b1), ("tier2_decided", b1), ("tier2_open_at", f8),
    # tier 3: its severity window is severe[severe_head:severe_tail]
    ("severe_head", i8), ("severe_tail", i8),
    ("tier3_pending", b1), ("tier3_initiated", b1), ("tier3_open_at", f8),
    # for the record: the latency of military responses to real breaches
    ("latency_sum", f8), ("genuine_responses", i8),
], align=True)

# What the kernel reports when a workspace array was too small for a replication.
FITS, HEAP_FULL, COUNTED_FULL, SEVERE_FULL, RUNAWAY = 0, 1, 2, 3, 4


class Buffers(NamedTuple):
    """Every array the kernel writes, as the caller makes them and hands them over,
    one argument each: numba's dispatcher types an array argument in C, but a
    namedtuple of them in Python, which cost ~8 us a call."""
    heap: np.ndarray      # (n, 3) float64: the event queue (stress.engines.fast.queue)
    events: np.ndarray    # (n,) EVENT
    free: np.ndarray      # (n,) int64
    counters: np.ndarray  # (N_COUNTERS,) int64
    counted: np.ndarray   # (m, 3) tier 2's window, rows of (time, weight 1, is_false)
    severe: np.ndarray    # (k, 3) tier 3's severity window, rows of (time, severity, is_false)
    rng: np.ndarray       # (N_STREAMS, 4) uint64: each component stream's PCG64 state
    clock: np.ndarray     # (clock.SIZE,) the breach clock
    state: np.ndarray     # (1,) STATE


def new_buffers(events: int = 64, counted: int = 32, severe: int = 32) -> Buffers:
    return Buffers(np.empty((events, 3)), np.empty(events, dtype=EVENT), np.empty(events, dtype=np.int64),
                   np.zeros(N_COUNTERS, dtype=np.int64), np.empty((counted, 3)), np.empty((severe, 3)),
                   np.empty((streams.N_STREAMS, 4), dtype=np.uint64), np.zeros(clock.SIZE), np.zeros(1, dtype=STATE))


def grown(buffers: Buffers, full: int) -> Buffers:
    """``buffers`` with the ones that were too small (``full``) four times larger; the
    kernel restarts the replication, so nothing needs copying."""
    if full == HEAP_FULL:
        rows = 4 * buffers.heap.shape[0]
        return buffers._replace(heap=np.empty((rows, 3)), events=np.empty(rows, dtype=EVENT),
                                free=np.empty(rows, dtype=np.int64))
    if full == COUNTED_FULL:
        return buffers._replace(counted=np.empty((4 * buffers.counted.shape[0], 3)))
    if full == SEVERE_FULL:
        return buffers._replace(severe=np.empty((4 * buffers.severe.shape[0], 3)))
    raise ValueError(f"full must be HEAP_FULL, COUNTED_FULL or SEVERE_FULL, got {full}")


class Arrays(NamedTuple):
    """The buffers as the handlers see them, named inside the kernel (``arrays``)."""
    queue: Queue
    counted: np.ndarray
    severe: np.ndarray
    breach_rng: np.ndarray     # rows of Buffers.rng, made views once per kernel call:
    detection_rng: np.ndarray  # none in the loop
    false_rng: np.ndarray
    response_rng: np.ndarray
    clock: np.ndarray
    state: np.ndarray


@njit(inline='always')
def arrays(buffers):
    """``Arrays`` from the buffers, a tuple in ``Buffers``' order."""
    heap, events, free, counters, counted, severe, rng, clock_state, state = buffers
    return Arrays(Queue(heap, events, free, counters), counted, severe, rng[streams.BREACHES],
                  rng[streams.DETECTION], rng[streams.FALSE_REPORTS], rng[streams.RESPONSES], clock_state, state)


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
