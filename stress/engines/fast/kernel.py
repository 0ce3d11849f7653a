"""The compiled engine: the SimPy model as one numba event loop.

It reproduces ``stress.engines.simpy.replication`` record for record: the same streams, the
same draws in the same order, the same rules (``stress.model.rules``, compiled in),
and the same order of simultaneous events (SimPy's: by clock reading, then by the
order in which events were scheduled). Each block below names the SimPy code it
mirrors; a change to one must be made to the other, and ``tests/test_equivalence.py``
checks that they agree.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numba
import numpy as np
from numba import njit

from stress.model import clock
from stress.model import params as _params_module
from stress.model import compensators, records, rules, streams, variates
from stress.model.params import Params
from stress.model.rules import NO_OBJECTIVE, tier3_times
from stress.model.variates import categorical, exponential, lognormal
from stress.model.streams import (BREACHES, DETECTION, FALSE_REPORTS, RESPONSES, next_double,
                                  seed_pcg64, seed_prefix, seed_words)



def _cache_dir() -> str:
    """Where compiled code is cached. numba keys its cache on this file alone, but the
    kernel also compiles in the shared rules; a folder per hash of every source it
    depends on means an edit to any of them can never load stale machine code."""
    digest = hashlib.sha256(numba.__version__.encode())
    for module in (variates, compensators, rules, streams, records, clock, _params_module):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(Path(__file__).read_bytes())
    base = os.environ.get("STRESS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "stress")
    return os.path.join(base, f"numba-{digest.hexdigest()[:16]}")


# numba reads CACHE_DIR when each function below is decorated; restored at the end.
_previous_cache_dir = numba.config.CACHE_DIR
numba.config.CACHE_DIR = _cache_dir()

_C = records.COLUMN
C_REPLICATION, C_HIGHEST = _C["replication"], _C["highest_tier"]
C_T1, C_T2, C_T3, C_ARRIVED = _C["tier1_hours"], _C["tier2_hours"], _C["tier3_hours"], _C["forces_arrived_hours"]
C_BREACHES, C_DETECTED, C_REPORTS, C_FALSE = _C["breaches"], _C["detected"], _C["reports"], _C["false_reports"]
C_WARNINGS, C_RESPONSES = _C["warnings"], _C["military_responses"]
C_T2_DECLINED, C_T3_DECLINED = _C["tier2_declined"], _C["tier3_declined"]
C_DEPLOYED, C_INITIATED, C_BACKSTOP = _C["tier2_deployed"], _C["tier3_initiated"], _C["backstop_joined"]
C_STOOD_DOWN, C_OBJECTIVE = _C["tier3_stood_down"], _C["tier3_objective_first"]
C_T2_FALSE, C_T3_FALSE, C_FALSE_ESC = _C["tier2_on_false_report"], _C["tier3_on_false_report"], _C["false_escalation"]
C_LATENCY, C_T3_LATENCY, C_FINAL_M = _C["mean_response_latency_hours"], _C["tier3_latency_hours"], _C["final_multiplier"]
N_FIXED = records.N_FIXED

# Event kinds (the policy's scheduled actions) and their payload columns.
VERIFY, RESPONSE1, DECISION2, ARRIVAL2, START3, STAND_DOWN3, OBJECTIVE3 = range(7)
P_TIME, P_KIND, P_CLASS, P_FLAG1, P_FLAG2, P_A, P_B = range(7)
N_PAYLOAD = 7
MAX_NEW_EVENTS = 4  # most events one handler schedules (a report: tiers 1, 2, 3, objective)


# --- event queue: a binary heap of (clock reading, sequence, payload slot) ---------

@njit(cache=True, inline='always')
def _before(heap, i, j):
    return heap[i, 0] < heap[j, 0] or (heap[i, 0] == heap[j, 0] and heap[i, 1] < heap[j, 1])


@njit(cache=True, inline='always')
def _swap(heap, i, j):
    for c in range(3):
        tmp = heap[i, c]
        heap[i, c] = heap[j, c]
        heap[j, c] = tmp


@njit(cache=True, inline='always')
def _heap_push(heap, size, key, seq, slot):
    heap[size, 0] = key
    heap[size, 1] = seq
    heap[size, 2] = slot
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if not _before(heap, i, parent):
            break
        _swap(heap, i, parent)
        i = parent
    return size + 1


@njit(cache=True, inline='always')
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


@njit(cache=True, inline='always')
def _window_push(buf, head, tail, a, b, c, window):
    """Append (a, b, c) to a FIFO of (time, ...) held in ``buf[head:tail]``, compacting
    it when it reaches the end, and drop the entries at or before a - window; returns
    the new (head, tail), or tail -1 if it is full."""
    if tail == buf.shape[0]:
        if head == 0:
            return head, -1
        for i in range(tail - head):  # a loop, not a slice copy: no allocation
            for column in range(3):
                buf[i, column] = buf[head + i, column]
        tail -= head
        head = 0
    buf[tail, 0] = a
    buf[tail, 1] = b
    buf[tail, 2] = c
    while buf[head, 0] <= a - window:
        head += 1
    return head, tail + 1


@njit(cache=True, inline='always')
def _take_slot(free, n_free, fresh):
    """A payload slot: one given back if any, else a never-used one."""
    if n_free > 0:
        return free[n_free - 1], n_free - 1, fresh
    return fresh, n_free, fresh + 1


@njit(cache=True, inline='always')
def _schedule(heap, size, payload, free, n_free, fresh, seq, now, when, kind):
    """Replication.schedule: an event of ``kind`` at ``when`` (within the horizon, the
    caller has checked), keyed as SimPy keys it, by the clock reading now plus the
    delay, and after every event scheduled before it at the same key. Returns its
    payload slot, for the caller's fields, and the new size, slot and sequence state."""
    slot, n_free, fresh = _take_slot(free, n_free, fresh)
    payload[slot, P_TIME] = when
    payload[slot, P_KIND] = kind
    size = _heap_push(heap, size, now + max(when - now, 0.0), seq, slot)
    return slot, size, n_free, fresh, seq + 1.0


@njit(cache=True)
def _prefix(root_words):
    """seed_prefix, compiled: it allocates, which the kernel itself cannot."""
    return seed_prefix(root_words)


# What _simulate_range reports when a workspace array was too small for a replication.
FITS, HEAP_FULL, COUNTED_FULL, SEVERE_FULL = 0, 1, 2, 3


@njit(cache=True, _nrt=False)
def _simulate_range(p, prefix, start, count, out, heap, payload, free, counted, severe,
                    breach_rng, detect_rng, false_rng, response_rng, state):
    """Fill ``out[r]`` for replications start + r. Compiled without numba's runtime
    (``_nrt=False``): every array, scratch ones included, comes from the caller, so
    nothing in the loop counts references (that cost ~200 atomic operations per
    replication, one pair per call of a helper taking an array). The workspace arrays
    are fixed in size; if one is too small for a replication, returns (r, which) so the
    caller can grow it and continue from that replication. Otherwise (count, FITS)."""
    horizon = p.horizon
    constants = p.clock
    class_cumulative = p.class_cumulative
    false_class_cumulative = p.false_class_cumulative
    detection = p.detection
    severity = p.severity

    for r in range(count):
        index = start + r
        for c in range(out.shape[1]):
            out[r, c] = 0.0
        out[r, C_REPLICATION] = index
        out[r, C_T1] = np.nan
        out[r, C_T2] = np.nan
        out[r, C_T3] = np.nan
        out[r, C_ARRIVED] = np.nan
        out[r, C_T3_LATENCY] = np.nan
        seed_pcg64(prefix, index, BREACHES, breach_rng)
        seed_pcg64(prefix, index, DETECTION, detect_rng)
        seed_pcg64(prefix, index, FALSE_REPORTS, false_rng)
        seed_pcg64(prefix, index, RESPONSES, response_rng)

        # Replication.__init__: the breach clock
        clock.start(state, exponential(next_double(breach_rng)), exponential(next_double(breach_rng)), constants)
        plan_now = 0.0  # clock reading when the violator last planned (SimPy's env.now)

        # false_reporter
        if p.false_rate == 0.0:
            t_false = math.inf
        else:
            t_false = exponential(next_double(false_rng)) / p.false_rate
        false_now = 0.0

        # Policy.__init__
        tier1_open_at = 0.0
        c_head = 0
        c_tail = 0
        last_counted = -math.inf
        tier2_pending = False
        tier2_decided = False
        tier2_open_at = 0.0
        s_head = 0
        s_tail = 0
        tier3_pending = False
        tier3_initiated = False
        tier3_open_at = 0.0

        latency_sum = 0.0
        genuine_responses = 0
        size = 0
        seq = 0.0
        n_free = 0  # slots given back, on the stack free[:n_free]
        fresh = 0   # slots from fresh on have never been used in this replication

        # The violator's plan: t_breach is the next breach's time once worked out
        # (planned), before that only a lower bound on it.
        t_breach = clock.next_breach_not_before(state)
        planned = False
        fired = clock.BASELINE

        while True:
            if size + MAX_NEW_EVENTS > heap.shape[0]:
                return r, HEAP_FULL
            key_false = false_now + max(t_false - false_now, 0.0) if t_false < horizon else math.inf
            key_event = heap[0, 0] if size > 0 else math.inf
            key_breach = plan_now + max(t_breach - plan_now, 0.0) if t_breach < horizon else math.inf
            if not planned and key_breach <= min(key_false, key_event):
                # the breach may come first: work out exactly when (the key is
                # monotone in the time, so a bound on one bounds the other)
                t_breach, fired = clock.next_breach(state, constants)
                planned = True
                key_breach = plan_now + max(t_breach - plan_now, 0.0) if t_breach < horizon else math.inf
            now = min(key_breach, key_false, key_event)
            if not now < horizon:
                break

            if key_breach == now and key_breach <= key_false and key_breach <= key_event:
                # breaches.violator: a breach
                t = t_breach
                cls = categorical(next_double(breach_rng), class_cumulative)
                u_objective = next_double(breach_rng)
                clock.breach(state, t, fired, exponential(next_double(breach_rng)), constants)
                out[r, C_BREACHES] += 1
                out[r, N_FIXED + cls] += 1
                # monitoring.observe
                detected = next_double(detect_rng) < detection[cls]
                u_delay = next_double(detect_rng)
                attributed = next_double(detect_rng) < p.attribution
                if detected:
                    out[r, C_DETECTED] += 1
                if detected and attributed:
                    due = t + lognormal(u_delay, p.delay_median, p.delay_spread)
                    if due < horizon:
                        slot, size, n_free, fresh, seq = _schedule(heap, size, payload, free, n_free, fresh, seq, now,
                                                                   due, VERIFY)
                        payload[slot, P_CLASS] = cls
                        payload[slot, P_FLAG1] = 0.0
                        payload[slot, P_A] = t
                        payload[slot, P_B] = u_objective
                plan_now = now
                t_breach = clock.next_breach_not_before(state)
                planned = False
                continue

            if key_false == now and key_false <= key_event:
                # monitoring.false_reporter
                t = t_false
                cls = categorical(next_double(false_rng), false_class_cumulative)
                delay = lognormal(next_double(false_rng), p.delay_median, p.delay_spread)
                if t + delay < horizon:
                    slot, size, n_free, fresh, seq = _schedule(heap, size, payload, free, n_free, fresh, seq, now,
                                                               t + delay, VERIFY)
                    payload[slot, P_CLASS] = cls
                    payload[slot, P_FLAG1] = 1.0
                    payload[slot, P_A] = t
                    payload[slot, P_B] = NO_OBJECTIVE
                t_false = t + exponential(next_double(false_rng)) / p.false_rate
                false_now = now
                continue

            # a scheduled policy event
            slot = int(heap[0, 2])
            size = _heap_pop(heap, size)
            t = payload[slot, P_TIME]
            kind = int(payload[slot, P_KIND])
            factor = 1.0

            if kind == VERIFY:
                # Policy.on_report
                cls = int(payload[slot, P_CLASS])
                is_false = payload[slot, P_FLAG1] != 0.0
                t_incident = payload[slot, P_A]
                u_objective = payload[slot, P_B]
                # the six uniforms every report draws, in Policy's order (U_MILITARY ...)
                u_military = next_double(response_rng)
                u_response_time = next_double(response_rng)
                u_tier2 = next_double(response_rng)
                u_tier3 = next_double(response_rng)
                u_backstop = next_double(response_rng)
                u_stand_down = next_double(response_rng)
                if is_false:
                    out[r, C_FALSE] += 1
                else:
                    out[r, C_REPORTS] += 1
                # Policy._tier1
                if cls >= p.t1_min_class and t >= tier1_open_at:
                    tier1_open_at = t + p.t1_cooldown
                    out[r, C_WARNINGS] += 1
                    if math.isnan(out[r, C_T1]):
                        out[r, C_T1] = t
                    if u_military < p.t1_response_p:
                        when = t + u_response_time * p.t1_within
                        if when < horizon:
                            out[r, C_RESPONSES] += 1
                            if not is_false:
                                latency_sum += when - t_incident
                                genuine_responses += 1
                            # Policy._military_response_starts only matters if it changes
                            # the rate; a scheduled no-op would change nothing (the
                            # sequence numbers keep the other events' order)
                            if p.t1_factor != 1.0:
                                _, size, n_free, fresh, seq = _schedule(heap, size, payload, free, n_free, fresh, seq, now,
                                                                        when, RESPONSE1)
                # Policy._tier2
                if cls >= p.t2_min_class:
                    if t - last_counted > p.t2_quiet_reset:
                        c_head = 0
                        c_tail = 0
                    last_counted = t
                    c_head, c_tail = _window_push(counted, c_head, c_tail, t, 1.0 if is_false else 0.0, 0.0, p.t2_window)
                    if c_tail < 0:
                        return r, COUNTED_FULL
                    eligible = not (tier2_decided or tier2_pending or t < tier2_open_at)
                    if eligible and p.t2_requires_lower and not out[r, C_T1] <= t:
                        eligible = False
                    if eligible and c_tail - c_head >= p.t2_threshold:
                        real = 0
                        for i in range(c_head, c_tail):
                            if counted[i, 1] == 0.0:
                                real += 1
                        tier2_pending = True
                        when = t + p.t2_decision_delay
                        if when < horizon:
                            s, size, n_free, fresh, seq = _schedule(heap, size, payload, free, n_free, fresh, seq, now,
                                                                    when, DECISION2)
                            payload[s, P_FLAG1] = 1.0 if u_tier2 < p.t2_decision_p else 0.0
                            payload[s, P_FLAG2] = 1.0 if real < p.t2_threshold else 0.0
                # Policy._tier3
                if p.t3_by_severity:
                    s_head, s_tail = _window_push(severe, s_head, s_tail, t, severity[cls], 1.0 if is_false else 0.0,
                                                  p.t3_window)
                    if s_tail < 0:
                        return r, SEVERE_FULL
                triggered = not (tier3_initiated or tier3_pending or t < tier3_open_at)
                if triggered and p.t3_requires_lower and not out[r, C_T2] <= t:
                    triggered = False
                on_false = False
                if triggered:
                    if p.t3_by_severity:
                        total = 0.0
                        real_total = 0.0
                        for i in range(s_head, s_tail):
                            total += severe[i, 1]
                            if severe[i, 2] == 0.0:
                                real_total += severe[i, 1]
                        triggered = total >= p.t3_severity_threshold
                        on_false = real_total < p.t3_severity_threshold
                    else:
                        triggered = cls >= p.t3_min_class
                        on_false = is_false
                if triggered:
                    if not u_tier3 < p.t3_decision_p:
                        tier3_open_at = t + p.t3_cooldown
                        out[r, C_T3_DECLINED] += 1
                    else:
                        begin, stand_down, objective = tier3_times(
                            t, t_incident, p.t3_delay, p.t3_from_incident, p.t3_stand_down_rate, u_stand_down, u_objective,
                            p.t3_objective_median, p.t3_objective_spread)
                        tier3_pending = True
                        stands_down = stand_down < begin
                        when = stand_down if stands_down else begin
                        if when < horizon:
                            s, size, n_free, fresh, seq = _schedule(heap, size, payload, free, n_free, fresh, seq, now,
                                                                    when, STAND_DOWN3 if stands_down else START3)
                            if not stands_down:
                                payload[s, P_FLAG1] = 1.0 if u_backstop < p.t3_backstop_p else 0.0
                                payload[s, P_FLAG2] = 1.0 if on_false else 0.0
                                payload[s, P_A] = t_incident
                        if objective < min(begin, stand_down):
                            when = max(objective, t)
                            if when < horizon:
                                _, size, n_free, fresh, seq = _schedule(heap, size, payload, free, n_free, fresh, seq, now,
                                                                        when, OBJECTIVE3)
            elif kind == RESPONSE1:
                # Policy._military_response_starts
                factor = p.t1_factor
            elif kind == DECISION2:
                # Policy._tier2_decision
                tier2_pending = False
                if payload[slot, P_FLAG1] == 0.0:
                    tier2_open_at = t + p.t2_cooldown
                    out[r, C_T2_DECLINED] += 1
                else:
                    tier2_decided = True
                    out[r, C_DEPLOYED] = 1.0
                    out[r, C_T2_FALSE] = payload[slot, P_FLAG2]
                    if math.isnan(out[r, C_T2]):
                        out[r, C_T2] = t
                    when = t + p.t2_deployment_delay
                    if when < horizon:
                        _, size, n_free, fresh, seq = _schedule(heap, size, payload, free, n_free, fresh, seq, now,
                                                                when, ARRIVAL2)
            elif kind == ARRIVAL2:
                out[r, C_ARRIVED] = t
                factor = p.t2_factor
            elif kind == START3:
                # Policy._tier3_starts
                tier3_pending = False
                tier3_initiated = True
                out[r, C_INITIATED] = 1.0
                out[r, C_BACKSTOP] = payload[slot, P_FLAG1]
                out[r, C_T3_FALSE] = payload[slot, P_FLAG2]
                out[r, C_T3_LATENCY] = t - payload[slot, P_A]
                if math.isnan(out[r, C_T3]):
                    out[r, C_T3] = t
                factor = p.t3_factor
            elif kind == STAND_DOWN3:
                tier3_pending = False
                tier3_open_at = t + p.t3_cooldown
                out[r, C_STOOD_DOWN] = 1.0
            else:  # OBJECTIVE3
                out[r, C_OBJECTIVE] = 1.0
            free[n_free] = slot  # only now: the handler may have read its payload
            n_free += 1

            if factor != 1.0:
                # Replication.take_effect -> clock.scale, then the violator re-plans
                clock.scale(state, t, factor, constants)
                plan_now = now
                t_breach = clock.next_breach_not_before(state)
                planned = False

        # Replication.run: the record's summary fields
        highest = 0
        if not math.isnan(out[r, C_T1]):
            highest = 1
        if not math.isnan(out[r, C_T2]):
            highest = 2
        if not math.isnan(out[r, C_T3]):
            highest = 3
        out[r, C_HIGHEST] = highest
        out[r, C_FALSE_ESC] = 1.0 if (out[r, C_T2_FALSE] != 0.0 or out[r, C_T3_FALSE] != 0.0) else 0.0
        out[r, C_LATENCY] = latency_sum / genuine_responses if genuine_responses > 0 else np.nan
        out[r, C_FINAL_M] = clock.multiplier(state, horizon, constants)
    return count, FITS


def simulate_range(params: Params, n_classes: int, seed: int, start: int, count: int) -> np.ndarray:
    """Records of replications ``start .. start + count - 1`` under root ``seed``."""
    out = records.empty(count, n_classes)
    prefix = _prefix(seed_words(seed))
    space = {"heap": 64, "counted": 32, "severe": 32}
    done = 0
    while done < count:
        arrays = (np.empty((space["heap"], 3)), np.empty((space["heap"], N_PAYLOAD)),
                  np.empty(space["heap"], dtype=np.int64), np.empty((space["counted"], 3)),
                  np.empty((space["severe"], 3)))
        # one PCG64 state per component stream (separate arrays: no views in the loop),
        # the breach clock
        scratch = (np.zeros(4, dtype=np.uint64), np.zeros(4, dtype=np.uint64), np.zeros(4, dtype=np.uint64),
                   np.zeros(4, dtype=np.uint64), np.zeros(clock.SIZE))
        finished, full = _simulate_range(params, prefix, start + done, count - done, out[done:], *arrays, *scratch)
        done += finished
        if full != FITS:
            key = {HEAP_FULL: "heap", COUNTED_FULL: "counted", SEVERE_FULL: "severe"}[full]
            space[key] *= 4
    return out


numba.config.CACHE_DIR = _previous_cache_dir


def is_compiled() -> bool:
    """Whether the kernel is ready in this process (compiled or loaded from cache)."""
    return bool(_simulate_range.signatures)


def warm_up(params: Params, n_classes: int) -> None:
    """Compile the kernel, or load it from the disk cache, by running one replication."""
    simulate_range(params, n_classes, 0, 0, 1)
