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
from stress.engines.fast.state import (ARRIVAL, DECISION, DONE, EFFECT, FITS, GENUINE_RESPONSES, HEAD, LAST_COUNTED,
                                       LATENCY_SUM, OBJECTIVE, OPEN_AT, PENDING, STAND_DOWN, START, TAIL,
                                       WINDOW_FULL, window_push)
from stress.engines.fast.violator import begin_mind, payoff, report_due, saw_decision, take_effect, violator_plans
from stress.model import adversary as adv
from stress.model import clock, plan, records
from stress.model.plan import (AFTER, ARRIVAL_DELAY, C_ARRIVED, C_DECLINED, C_HOURS, C_LATENCY, C_OBJECTIVE,
                               C_ON_FALSE, C_PARTNER, C_RESPONSES, C_STOOD_DOWN, C_TIMES_REACHED, COOLDOWN,
                               DECISION_DELAY, DECISION_EVENT, DECISION_P, FORCE, MIN_CLASS, OBJECTIVE_MEDIAN,
                               OBJECTIVE_SPREAD, PARTNER_P, QUIET_HOURS, RATE_FACTOR, REACHED_AT_START, REPEATS,
                               RESPONSE_DELAY, RESPONSE_FROM, RESPONSE_P, STAND_DOWN_RATE, START_EVENT, THRESHOLD,
                               TRIGGER, U_DECISION, U_PARTNER, U_RESPONSE, U_STAND_DOWN, U_WITHIN, WINDOW,
                               WINDOW_HOURS, WITHIN)
from stress.model.rules import (NO_OBJECTIVE, at_least, false_escalation, highest_tier, may_trigger, quiet_reset,
                                race_outcome, race_times, reaches, response_start, rests_on_false, window_sums)
from stress.model.streams import ADVERSARY, BREACHES, DETECTION, FALSE_REPORTS, RESPONSES, next_double, seed_pcg64
from stress.model.variates import categorical, exponential, lognormal

_C = records.COLUMN
C_REPLICATION, C_HIGHEST, C_FINAL_M = _C["replication"], _C["highest_tier"], _C["final_multiplier"]
C_REPORTS, C_FALSE = _C["reports"], _C["false_reports"]
C_FALSE_ESC = _C["false_escalation"]


# --- the replication (stress.engines.simpy.replication) ---------------------------

@njit(inline='always')
def begin(p, prefix, index, row, ws):
    """Replication.__init__ and Policy.__init__: the streams of replication ``index``,
    its breach clock and false-report clock, and tiers with nothing counted or
    pending."""
    for c in range(row.shape[0]):
        row[c] = 0.0
    row[C_REPLICATION] = index
    for j in range(len(p.tier_ints)):
        for c in (C_HOURS, C_ARRIVED, C_LATENCY):
            column = p.tier_ints[j, c]
            if column >= 0:
                row[column] = math.nan
        ws.tier_floats[j, OPEN_AT] = 0.0
        ws.tier_floats[j, LAST_COUNTED] = -math.inf
        ws.tier_floats[j, LATENCY_SUM] = 0.0
        for c in (PENDING, DONE, HEAD, TAIL, GENUINE_RESPONSES):
            ws.tier_ints[j, c] = 0
    seed_pcg64(prefix, index, BREACHES, ws.breach_rng)
    seed_pcg64(prefix, index, DETECTION, ws.detection_rng)
    seed_pcg64(prefix, index, FALSE_REPORTS, ws.false_rng)
    seed_pcg64(prefix, index, RESPONSES, ws.response_rng)
    if p.adversary_ints[adv.ACTIVE]:  # a blind violator draws nothing of its own
        seed_pcg64(prefix, index, ADVERSARY, ws.adversary_rng)
    s = ws.state[0]
    s.last_breach = -1.0
    s.same_instant = 0
    clock.start(ws.clock, exponential(next_double(ws.breach_rng)), exponential(next_double(ws.breach_rng)), p.clock)
    begin_mind(p, ws, row)
    violator_plans(s, ws.clock, 0.0)
    # monitoring.false_reporter: its first incident
    s.next_false = math.inf if p.false_rate == 0.0 else exponential(next_double(ws.false_rng)) / p.false_rate
    s.false_now = 0.0
    queue.clear(ws.queue)


@njit(inline='always')
def finish(p, row, ws):
    """Replication.run and Policy.finish: the record's summary fields."""
    for j in range(len(p.tier_ints)):
        if p.tier_ints[j, REPEATS]:
            genuine = ws.tier_ints[j, GENUINE_RESPONSES]
            row[p.tier_ints[j, C_LATENCY]] = ws.tier_floats[j, LATENCY_SUM] / genuine if genuine > 0 else math.nan
    row[C_HIGHEST] = highest_tier(row, p.tier_ints)
    row[C_FALSE_ESC] = false_escalation(row, p.tier_ints)
    row[C_FINAL_M] = clock.multiplier(ws.clock, p.horizon, p.clock)


@njit(inline='always')
def _reach(row, column, t):
    """Replication.reach: a time column keeps the first time it was set."""
    if math.isnan(row[column]):
        row[column] = t


# --- the false reporter (monitoring.py) --------------------------------------------

@njit(inline='always')
def on_false_incident(p, ws, row, now):
    """monitoring.false_reporter: a false incident, its report, the next incident."""
    s = ws.state[0]
    t = s.next_false
    rng = ws.false_rng
    cls = categorical(next_double(rng), p.false_class_cumulative)
    delay = lognormal(next_double(rng), p.delay_median, p.delay_spread)
    report_due(p, ws, now, t + delay, cls, True, t, NO_OBJECTIVE)
    s.next_false = t + exponential(next_double(rng)) / p.false_rate
    s.false_now = now


# --- the policy (policy.py) ---------------------------------------------------------

@njit(inline='always')
def on_report(p, ws, row, now, event):
    """Policy.on_report: a verified report, offered to every tier in plan order; returns
    FITS, or WINDOW_FULL if a window was too small for it (the replication is then run
    again with larger ones)."""
    rng = ws.response_rng
    for k in range(p.draws):  # the report's uniforms (stress.model.plan)
        ws.draws[k] = next_double(rng)
    row[C_FALSE if event.is_false else C_REPORTS] += 1
    answered = False
    for j in range(len(p.tier_ints)):
        triggered = _trigger(p, ws, row, now, j, event.time, event.report_class, event.is_false, event.incident,
                             event.u_objective)
        if triggered < 0:
            return WINDOW_FULL
        answered |= triggered > 0
    if answered and not event.is_false:  # a breach some tier answered is worth nothing to the violator
        payoff(p, row, -p.adversary_classes[event.report_class, adv.UNANSWERED])
    return FITS


@njit(inline='always')
def _draw(ws, slot):
    return ws.draws[slot] if slot >= 0 else 0.0


@njit(inline='always')
def _trigger(p, ws, row, now, j, t, cls, is_false, t_incident, u_objective):
    """Policy._trigger: tier ``j`` counts the report and maybe triggers: 1 if it did, 0
    if not, -1 if its window's array is full."""
    ints, floats = p.tier_ints[j], p.tier_floats[j]
    if not at_least(cls, ints[MIN_CLASS]):
        return 0
    state, counts = ws.tier_floats[j], ws.tier_ints[j]
    trigger = ints[TRIGGER]
    if trigger != plan.REPORT:
        if quiet_reset(t, state[LAST_COUNTED], floats[QUIET_HOURS]):
            counts[HEAD] = 0
            counts[TAIL] = 0
        state[LAST_COUNTED] = t
        weight = 1.0 if trigger == plan.COUNT else p.severity[cls]
        window = ws.windows[ints[WINDOW]]
        head, tail = window_push(window, counts[HEAD], counts[TAIL], t, weight, is_false, floats[WINDOW_HOURS])
        if tail < 0:
            return -1
        counts[HEAD] = head
        counts[TAIL] = tail
    after = ints[AFTER]
    after_reached = row[p.tier_ints[after, C_HOURS]] if after >= 0 else math.nan
    if not may_trigger(t, counts[DONE] != 0, counts[PENDING] != 0, state[OPEN_AT], after >= 0, after_reached):
        return 0
    if trigger == plan.REPORT:
        on_false = is_false
    else:
        total, real = window_sums(ws.windows[ints[WINDOW]][counts[HEAD]:counts[TAIL]])
        if not reaches(total, floats[THRESHOLD]):
            return 0
        on_false = rests_on_false(real, floats[THRESHOLD])
    decides = _draw(ws, ints[U_DECISION]) < floats[DECISION_P]
    u_response, u_within = _draw(ws, ints[U_RESPONSE]), _draw(ws, ints[U_WITHIN])
    u_partner, u_stand_down = _draw(ws, ints[U_PARTNER]), _draw(ws, ints[U_STAND_DOWN])
    if ints[DECISION_EVENT]:
        counts[PENDING] = 1
        when = t + floats[DECISION_DELAY]
        if when < p.horizon:
            event = queue.schedule(ws.queue, now, when, DECISION)
            event.tier = j
            event.decides = decides
            event.on_false = on_false
            event.is_false = is_false
            event.t_report = t
            event.incident = t_incident
            event.u_objective = u_objective
            event.u_response = u_response
            event.u_within = u_within
            event.u_partner = u_partner
            event.u_stand_down = u_stand_down
    else:
        _decide(p, ws, row, now, j, t, decides, on_false, is_false, t, t_incident, u_objective, u_response, u_within,
                u_partner, u_stand_down)
    return 1


@njit(inline='always')
def on_decision(p, ws, row, now, event):
    """Policy._decide, as an event of its own."""
    _decide(p, ws, row, now, event.tier, event.time, event.decides, event.on_false, event.is_false, event.t_report,
            event.incident, event.u_objective, event.u_response, event.u_within, event.u_partner, event.u_stand_down)


@njit(inline='always')
def _decide(p, ws, row, now, j, t, decides, on_false, is_false, t_report, t_incident, u_objective, u_response,
            u_within, u_partner, u_stand_down):
    """Policy._decide: tier ``j``'s decision at ``t``, and the response it orders."""
    ints, floats = p.tier_ints[j], p.tier_floats[j]
    state, counts = ws.tier_floats[j], ws.tier_ints[j]
    counts[PENDING] = 0
    state[OPEN_AT] = t + floats[COOLDOWN]
    saw_decision(p, ws, now, t, j, decides)
    if not decides:
        row[ints[C_DECLINED]] += 1
        return
    if not ints[REACHED_AT_START]:
        _reached(p, ws, row, j, ints, t, on_false)
    if not u_response < floats[RESPONSE_P]:
        return
    source = ints[RESPONSE_FROM]
    base = t_incident if source == plan.FROM_BREACH else t_report if source == plan.FROM_REPORT else t
    start = response_start(base, floats[RESPONSE_DELAY], u_within, floats[WITHIN], t)
    partner = u_partner < floats[PARTNER_P]
    if ints[START_EVENT]:
        stand_down, objective = race_times(t, t_incident, floats[STAND_DOWN_RATE], u_stand_down, u_objective,
                                           floats[OBJECTIVE_MEDIAN], floats[OBJECTIVE_SPREAD])
        stands_down, objective_first = race_outcome(start, stand_down, objective)
        counts[PENDING] = 1
        if stands_down:
            if stand_down < p.horizon:
                event = queue.schedule(ws.queue, now, stand_down, STAND_DOWN)
                event.tier = j
        elif start < p.horizon:
            event = queue.schedule(ws.queue, now, start, START)
            event.tier = j
            event.partner = partner
            event.on_false = on_false
            event.is_false = is_false
            event.incident = t_incident
        if objective_first:
            # an attack may have reached its objective before its report even came in
            when = max(objective, t)
            if when < p.horizon:
                event = queue.schedule(ws.queue, now, when, OBJECTIVE)
                event.tier = j
        return
    # nothing can cancel it: counted when ordered, only what it does later scheduled
    if start < p.horizon:
        _responded(ws, row, j, ints, start, partner, is_false, t_incident)
    if ints[FORCE]:
        when = start + floats[ARRIVAL_DELAY]
        if when < p.horizon:
            event = queue.schedule(ws.queue, now, when, ARRIVAL)
            event.tier = j
    elif floats[RATE_FACTOR] != 1.0 and start < p.horizon:
        # a response that leaves the rate alone needs no event (the sequence numbers
        # keep the other events' order)
        event = queue.schedule(ws.queue, now, start, EFFECT)
        event.tier = j


@njit(inline='always')
def _reached(p, ws, row, j, ints, t, on_false):
    """Policy._reached."""
    _reach(row, ints[C_HOURS], t)
    payoff(p, row, -p.adversary_tiers[j, adv.COST])
    if ints[REPEATS]:
        row[ints[C_TIMES_REACHED]] += 1
    else:
        ws.tier_ints[j, DONE] = 1
        row[ints[C_ON_FALSE]] = on_false


@njit(inline='always')
def _responded(ws, row, j, ints, start, partner, is_false, t_incident):
    """Policy._responded: a response that starts at ``start``."""
    if ints[REPEATS]:
        row[ints[C_RESPONSES]] += 1
        if not is_false:
            ws.tier_floats[j, LATENCY_SUM] += start - t_incident
            ws.tier_ints[j, GENUINE_RESPONSES] += 1
    else:
        row[ints[C_LATENCY]] = start - t_incident
    if ints[C_PARTNER] >= 0 and partner:
        row[ints[C_PARTNER]] = 1.0


@njit(inline='always')
def on_start(p, ws, row, now, event):
    """Policy._start."""
    j = event.tier
    t = event.time
    ints = p.tier_ints[j]
    ws.tier_ints[j, PENDING] = 0
    if ints[REACHED_AT_START]:
        _reached(p, ws, row, j, ints, t, event.on_false)
    _responded(ws, row, j, ints, t, event.partner, event.is_false, event.incident)
    if ints[FORCE]:
        when = t + p.tier_floats[j, ARRIVAL_DELAY]
        if when < p.horizon:
            arrival = queue.schedule(ws.queue, now, when, ARRIVAL)
            arrival.tier = j
    else:
        take_effect(p, ws, now, t, p.tier_floats[j, RATE_FACTOR])


@njit(inline='always')
def on_arrival(p, ws, row, now, event):
    """Policy._arrive."""
    _reach(row, p.tier_ints[event.tier, C_ARRIVED], event.time)
    take_effect(p, ws, now, event.time, p.tier_floats[event.tier, RATE_FACTOR])


@njit(inline='always')
def on_effect(p, ws, row, now, event):
    """Policy._take_effect."""
    take_effect(p, ws, now, event.time, p.tier_floats[event.tier, RATE_FACTOR])


@njit(inline='always')
def on_stand_down(p, ws, row, now, event):
    """Policy._stand_down."""
    j = event.tier
    ws.tier_ints[j, PENDING] = 0
    ws.tier_floats[j, OPEN_AT] = event.time + p.tier_floats[j, COOLDOWN]
    row[p.tier_ints[j, C_STOOD_DOWN]] = 1.0


@njit(inline='always')
def on_objective(p, ws, row, now, event):
    """Policy._objective_reached."""
    row[p.tier_ints[event.tier, C_OBJECTIVE]] = 1.0
    payoff(p, row, p.adversary_floats[adv.OBJECTIVE_VALUE])
