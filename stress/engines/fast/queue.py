"""The compiled engine's event queue: SimPy's order of events in preallocated arrays.

SimPy runs events by clock reading, then in the order in which they were scheduled.
Here a binary heap holds (key, sequence number, slot) rows; the slot indexes the
event's record (its time, kind and fields; ``stress.engines.fast.state.EVENT``). Slots
are given back after their event is handled and reused, so the arrays only need to
hold the events pending at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

# The queue's counters, an int64 array (a record array would cost a few microseconds
# more to allocate, per call without a workspace): live heap entries, the next
# sequence number, the slots given back (on the stack free[:N_FREE]) and the first
# never-used slot.
SIZE, NEXT_SEQ, N_FREE, FRESH = range(4)
N_COUNTERS = 4
KEY, SEQ, SLOT = 0, 1, 2  # heap columns


class Queue(NamedTuple):
    heap: np.ndarray      # (n, 3) float64: KEY, SEQ, SLOT
    events: np.ndarray    # (n,) event records, indexed by slot
    free: np.ndarray      # (n,) int64: slots given back
    counters: np.ndarray  # (N_COUNTERS,) int64: SIZE, NEXT_SEQ, N_FREE, FRESH


@njit(inline='always')
def _before(heap, i, j):
    return heap[i, KEY] < heap[j, KEY] or (heap[i, KEY] == heap[j, KEY] and heap[i, SEQ] < heap[j, SEQ])


@njit(inline='always')
def _swap(heap, i, j):
    for c in range(3):
        tmp = heap[i, c]
        heap[i, c] = heap[j, c]
        heap[j, c] = tmp


# The heap's push and pop (and state.window_push) take plain arrays and numbers, so
# they are compiled once and LLVM inlines them (forceinline): numba's own inlining
# (inline='always') would copy their loops into each of a dozen call sites, which
# made the kernel's first compile ~40% longer.
@njit(_nrt=False, forceinline=True)
def _heap_push(heap, size, key, seq, slot):
    heap[size, KEY] = key
    heap[size, SEQ] = seq
    heap[size, SLOT] = slot
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if not _before(heap, i, parent):
            break
        _swap(heap, i, parent)
        i = parent
    return size + 1


@njit(_nrt=False, forceinline=True)
def _heap_pop(heap, size):
    """Removes the top entry (the caller has read it); returns the new size."""
    size -= 1
    for c in range(3):
        heap[0, c] = heap[size, c]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and _before(heap, left + 1, left):
            child = left + 1
        if not _before(heap, child, i):
            break
        _swap(heap, i, child)
        i = child
    return size


@njit(inline='always')
def clear(q):
    for i in range(N_COUNTERS):
        q.counters[i] = 0


@njit(inline='always')
def has_room(q, n):
    """Whether the next event's handler can schedule ``n`` events (its own slot is
    given back only after it returns, so it counts as taken)."""
    return q.counters[SIZE] + n <= q.heap.shape[0]


@njit(inline='always')
def next_key(q):
    """The clock reading of the next event (infinite if none)."""
    return q.heap[0, KEY] if q.counters[SIZE] > 0 else np.inf


@njit(inline='always')
def schedule(q, now, when, kind):
    """Replication.schedule: an event of ``kind`` at ``when`` (within the horizon, the
    caller has checked), keyed as SimPy keys it, by the clock reading now plus the
    delay, and after every event scheduled before it at the same key. Returns its
    record, for the caller's fields."""
    c = q.counters
    if c[N_FREE] > 0:
        c[N_FREE] -= 1
        slot = q.free[c[N_FREE]]
    else:
        slot = c[FRESH]
        c[FRESH] += 1
    event = q.events[slot]
    event.time = when
    event.kind = kind
    c[SIZE] = _heap_push(q.heap, c[SIZE], now + max(when - now, 0.0), c[NEXT_SEQ], slot)
    c[NEXT_SEQ] += 1
    return event


@njit(inline='always')
def pop(q):
    """The next event's slot, removed from the heap; give it back with ``release``
    once its handler has read its record."""
    slot = int(q.heap[0, SLOT])
    q.counters[SIZE] = _heap_pop(q.heap, q.counters[SIZE])
    return slot


@njit(inline='always')
def release(q, slot):
    q.free[q.counters[N_FREE]] = slot
    q.counters[N_FREE] += 1
