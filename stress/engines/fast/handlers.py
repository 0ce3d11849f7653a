"""What each event does in the compiled engine: one handler per kind of event.

Each handler mirrors the SimPy code it names, draw for draw and rule for rule (the
rules themselves are ``stress.model.rules``, shared); a change to one must be made to
the other, and ``tests/test_equivalence.py`` checks that they agree. Every handler
takes the params ``p``, the arrays ``ws`` (``stress.engines.fast.state.Arrays``) and the
record row being filled in; scheduled events also get the clock reading ``now`` they
were keyed at and their own record ``event``, whose ``time`` is the exact time (the
key may differ from it in the last bit, as SimPy's ``env.now`` does).

All are inlined into the kernel's loop by numba (``inline='always'``): a call would
pass the arrays and params as dozens of scalar arguments, which cost more than most
handlers do.
"""

from __future__ import annotations

import math

from numba import njit

from stress.engines.fast import queue
from stress.engines.fast.state import (COUNTED_FULL, FITS, FORCES_ARRIVE, OBJECTIVE, REPORT, RESPONSE_STARTS,
                                       SEVERE_FULL, STAND_DOWN, TIER2_DECISION, TIER3_STARTS, window_push)
from stress.model import clock, records
from stress.model.rules import (NO_OBJECTIVE, at_least, false_escalation, highest_tier, may_trigger, quiet_reset,
                                reaches, response_start, rests_on_false, tier1_warns, tier3_outcome, tier3_times,
                                window_sums)
from stress.model.streams import BREACHES, DETECTION, FALSE_REPORTS, RESPONSES, next_double, seed_pcg64
from stress.model.variates import categorical, exponential, lognormal

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


# --- the replication (stress.engines.simpy.replication) ---------------------------

@njit(inline='always')
def begin(p, prefix, index, row, ws):
    """Replication.__init__ and Policy.__init__: the streams of replication ``index``,
    its breach clock and false-report clock, and a policy with nothing counted or
    pending."""
    for c in range(row.shape[0]):
        row[c] = 0.0
    row[C_REPLICATION] = index
    for c in (C_T1, C_T2, C_T3, C_ARRIVED, C_T3_LATENCY):
        row[c] = math.nan
    seed_pcg64(prefix, index, BREACHES, ws.breach_rng)
    seed_pcg64(prefix, index, DETECTION, ws.detection_rng)
    seed_pcg64(prefix, index, FALSE_REPORTS, ws.false_rng)
    seed_pcg64(prefix, index, RESPONSES, ws.response_rng)
    s = ws.state[0]
    clock.start(ws.clock, exponential(next_double(ws.breach_rng)), exponential(next_double(ws.breach_rng)), p.clock)
    _violator_plans(s, ws.clock, 0.0)
    # monitoring.false_reporter: its first incident
    s.next_false = math.inf if p.false_rate == 0.0 else exponential(next_double(ws.false_rng)) / p.false_rate
    s.false_now = 0.0
    s.tier1_open_at = 0.0
    s.counted_head = 0
    s.counted_tail = 0
    s.last_counted = -math.inf
    s.tier2_pending = False
    s.tier2_decided = False
    s.tier2_open_at = 0.0
    s.severe_head = 0
    s.severe_tail = 0
    s.tier3_pending = False
    s.tier3_initiated = False
    s.tier3_open_at = 0.0
    s.latency_sum = 0.0
    s.genuine_responses = 0
    queue.clear(ws.queue)


@njit(inline='always')
def finish(p, row, ws):
    """Replication.run: the record's summary fields."""
    row[C_HIGHEST] = highest_tier(row[C_T1], row[C_T2], row[C_T3])
    row[C_FALSE_ESC] = false_escalation(row[C_T2_FALSE] != 0.0, row[C_T3_FALSE] != 0.0)
    s = ws.state[0]
    row[C_LATENCY] = s.latency_sum / s.genuine_responses if s.genuine_responses > 0 else math.nan
    row[C_FINAL_M] = clock.multiplier(ws.clock, p.horizon, p.clock)


@njit(inline='always')
def _violator_plans(s, clock_state, now):
    """The violator (re)starts its wait for the next breach at clock reading ``now``:
    until the loop needs the breach's exact time, only a bound on it, which costs no
    root-finding."""
    s.violator_now = now
    s.next_breach = clock.next_breach_not_before(clock_state)
    s.breach_planned = False


@njit(inline='always')
def _take_effect(p, ws, now, t, factor):
    """Replication.take_effect: a response multiplies the violator's baseline rate by
    ``factor``, and the interrupted violator plans again."""
    if factor != 1.0:
        clock.scale(ws.clock, t, factor, p.clock)
        _violator_plans(ws.state[0], ws.clock, now)


@njit(inline='always')
def _reach(row, column, t):
    """Replication.reach: a tier's time is when it was first reached."""
    if math.isnan(row[column]):
        row[column] = t


# --- the breach process and the monitors (breaches.py, monitoring.py) -------------

@njit(inline='always')
def on_breach(p, ws, row, now):
    """breaches.violator, Replication.on_breach and monitoring.observe: a breach at
    the planned time, the monitors' view of it, and the violator's next plan."""
    s = ws.state[0]
    t = s.next_breach
    rng = ws.breach_rng
    cls = categorical(next_double(rng), p.class_cumulative)
    u_objective = next_double(rng)
    clock.breach(ws.clock, t, s.breach_source, exponential(next_double(rng)), p.clock)
    row[C_BREACHES] += 1
    row[N_FIXED + cls] += 1
    rng = ws.detection_rng
    detected = next_double(rng) < p.detection[cls]
    u_delay = next_double(rng)
    attributed = next_double(rng) < p.attribution
    if detected:
        row[C_DETECTED] += 1
    if detected and attributed:
        _report_due(p, ws, now, t + lognormal(u_delay, p.delay_median, p.delay_spread), cls, False, t, u_objective)
    _violator_plans(s, ws.clock, now)


@njit(inline='always')
def on_false_incident(p, ws, row, now):
    """monitoring.false_reporter: a false incident, its report, the next incident."""
    s = ws.state[0]
    t = s.next_false
    rng = ws.false_rng
    cls = categorical(next_double(rng), p.false_class_cumulative)
    delay = lognormal(next_double(rng), p.delay_median, p.delay_spread)
    _report_due(p, ws, now, t + delay, cls, True, t, NO_OBJECTIVE)
    s.next_false = t + exponential(next_double(rng)) / p.false_rate
    s.false_now = now


@njit(inline='always')
def _report_due(p, ws, now, due, cls, is_false, t_incident, u_objective):
    if due < p.horizon:
        event = queue.schedule(ws.queue, now, due, REPORT)
        event.report_class = cls
        event.report_is_false = is_false
        event.report_incident = t_incident
        event.report_u_objective = u_objective


# --- the policy (policy.py) ---------------------------------------------------------

@njit(inline='always')
def on_report(p, ws, row, now, event):
    """Policy.on_report: a verified report; returns FITS, or which window was too
    small for it (the replication is then run again with a larger one)."""
    t = event.time
    cls = event.report_class
    is_false = event.report_is_false
    t_incident = event.report_incident
    # the six uniforms every report draws, in Policy's order (U_MILITARY ...)
    rng = ws.response_rng
    u_military = next_double(rng)
    u_response_time = next_double(rng)
    u_tier2 = next_double(rng)
    u_tier3 = next_double(rng)
    u_backstop = next_double(rng)
    u_stand_down = next_double(rng)
    row[C_FALSE if is_false else C_REPORTS] += 1
    _tier1(p, ws, row, now, t, cls, is_false, t_incident, u_military, u_response_time)
    if not _tier2(p, ws, row, now, t, cls, is_false, u_tier2):
        return COUNTED_FULL
    if not _tier3(p, ws, row, now, t, cls, is_false, t_incident, event.report_u_objective, u_tier3, u_backstop,
                  u_stand_down):
        return SEVERE_FULL
    return FITS


@njit(inline='always')
def _tier1(p, ws, row, now, t, cls, is_false, t_incident, u_military, u_response_time):
    """Policy._tier1: a warning, and maybe a military response."""
    s = ws.state[0]
    if not tier1_warns(cls, t, p.t1_min_class, s.tier1_open_at):
        return
    s.tier1_open_at = t + p.t1_cooldown
    row[C_WARNINGS] += 1
    _reach(row, C_T1, t)
    if u_military < p.t1_response_p:
        start = response_start(t, u_response_time, p.t1_within)
        if start < p.horizon:
            row[C_RESPONSES] += 1
            if not is_false:
                s.latency_sum += start - t_incident
                s.genuine_responses += 1
            # Policy._military_response_starts only matters if it changes the rate; a
            # scheduled no-op would change nothing (the sequence numbers keep the
            # other events' order)
            if p.t1_factor != 1.0:
                queue.schedule(ws.queue, now, start, RESPONSE_STARTS)


@njit(inline='always')
def _tier2(p, ws, row, now, t, cls, is_false, u_tier2):
    """Policy._tier2: count the report; maybe ask for a deployment decision. False if
    the window's array is full."""
    if not at_least(cls, p.t2_min_class):
        return True
    s = ws.state[0]
    if quiet_reset(t, s.last_counted, p.t2_quiet_reset):
        s.counted_head = 0
        s.counted_tail = 0
    s.last_counted = t
    head, tail = window_push(ws.counted, s.counted_head, s.counted_tail, t, 1.0, is_false, p.t2_window)
    if tail < 0:
        return False
    s.counted_head = head
    s.counted_tail = tail
    if not may_trigger(t, s.tier2_decided, s.tier2_pending, s.tier2_open_at, p.t2_requires_lower, row[C_T1]):
        return True
    count, real = window_sums(ws.counted[head:tail])
    if not reaches(count, p.t2_threshold):
        return True
    s.tier2_pending = True
    when = t + p.t2_decision_delay
    if when < p.horizon:
        event = queue.schedule(ws.queue, now, when, TIER2_DECISION)
        event.decision_deploys = u_tier2 < p.t2_decision_p
        event.decision_on_false = rests_on_false(real, p.t2_threshold)
    return True


@njit(inline='always')
def _tier3(p, ws, row, now, t, cls, is_false, t_incident, u_objective, u_tier3, u_backstop, u_stand_down):
    """Policy._tier3: maybe decide the coordinated response. False if the severity
    window's array is full."""
    s = ws.state[0]
    if p.t3_by_severity:
        head, tail = window_push(ws.severe, s.severe_head, s.severe_tail, t, p.severity[cls], is_false, p.t3_window)
        if tail < 0:
            return False
        s.severe_head = head
        s.severe_tail = tail
    if not may_trigger(t, s.tier3_initiated, s.tier3_pending, s.tier3_open_at, p.t3_requires_lower, row[C_T2]):
        return True
    if p.t3_by_severity:
        total, real = window_sums(ws.severe[s.severe_head:s.severe_tail])
        if not reaches(total, p.t3_severity_threshold):
            return True
        on_false = rests_on_false(real, p.t3_severity_threshold)
    else:
        if not at_least(cls, p.t3_min_class):
            return True
        on_false = is_false
    if not u_tier3 < p.t3_decision_p:
        s.tier3_open_at = t + p.t3_cooldown
        row[C_T3_DECLINED] += 1
        return True
    start, stand_down, objective = tier3_times(t, t_incident, p.t3_delay, p.t3_from_incident, p.t3_stand_down_rate,
                                               u_stand_down, u_objective, p.t3_objective_median,
                                               p.t3_objective_spread)
    stands_down, objective_first = tier3_outcome(start, stand_down, objective)
    s.tier3_pending = True
    if stands_down:
        if stand_down < p.horizon:
            queue.schedule(ws.queue, now, stand_down, STAND_DOWN)
    elif start < p.horizon:
        event = queue.schedule(ws.queue, now, start, TIER3_STARTS)
        event.start_backstop = u_backstop < p.t3_backstop_p
        event.start_on_false = on_false
        event.start_incident = t_incident
    if objective_first:
        # an attack may have reached its objective before its report even came in
        when = max(objective, t)
        if when < p.horizon:
            queue.schedule(ws.queue, now, when, OBJECTIVE)
    return True


@njit(inline='always')
def on_response_starts(p, ws, row, now, event):
    """Policy._military_response_starts."""
    _take_effect(p, ws, now, event.time, p.t1_factor)


@njit(inline='always')
def on_tier2_decision(p, ws, row, now, event):
    """Policy._tier2_decision."""
    t = event.time
    s = ws.state[0]
    s.tier2_pending = False
    if not event.decision_deploys:
        s.tier2_open_at = t + p.t2_cooldown
        row[C_T2_DECLINED] += 1
        return
    s.tier2_decided = True
    row[C_DEPLOYED] = 1.0
    row[C_T2_FALSE] = event.decision_on_false
    _reach(row, C_T2, t)
    when = t + p.t2_deployment_delay
    if when < p.horizon:
        queue.schedule(ws.queue, now, when, FORCES_ARRIVE)


@njit(inline='always')
def on_forces_arrive(p, ws, row, now, event):
    """Policy._forces_arrive."""
    row[C_ARRIVED] = event.time
    _take_effect(p, ws, now, event.time, p.t2_factor)


@njit(inline='always')
def on_tier3_starts(p, ws, row, now, event):
    """Policy._tier3_starts."""
    t = event.time
    s = ws.state[0]
    s.tier3_pending = False
    s.tier3_initiated = True
    row[C_INITIATED] = 1.0
    row[C_BACKSTOP] = event.start_backstop
    row[C_T3_FALSE] = event.start_on_false
    row[C_T3_LATENCY] = t - event.start_incident
    _reach(row, C_T3, t)
    _take_effect(p, ws, now, t, p.t3_factor)


@njit(inline='always')
def on_stand_down(p, ws, row, now, event):
    """Policy._stand_down."""
    s = ws.state[0]
    s.tier3_pending = False
    s.tier3_open_at = event.time + p.t3_cooldown
    row[C_STOOD_DOWN] = 1.0


@njit(inline='always')
def on_objective(p, ws, row, now, event):
    """Policy._objective_reached."""
    row[C_OBJECTIVE] = 1.0
