"""The compiled engine's violator: its breach clock, the monitors' first look at each
breach, and the mind of a violator that reads the plan.

Each function mirrors the SimPy code it names (``stress.engines.simpy.breaches``,
``replication``, ``monitoring`` and ``adversary``) draw for draw; the decisions'
arithmetic is ``stress.model.adversary``'s, shared. Inlined into the kernel's loop
like every handler (``stress.engines.fast.handlers`` explains why); the mind's code only
into the kernel compiled for a violator that reads the plan (``when_reading``).
"""

from __future__ import annotations

import math

from numba import njit, types
from numba.extending import overload

from stress.engines.fast import queue
from stress.engines.fast.state import (ADV_HEAD, ADV_TAIL, BELIEVED, DECIDED, DECLINED, DONE, FITS, HELD, REPORT,
                                       RUNAWAY, WINDOW_FULL, window_push)
from stress.model import adversary as adv
from stress.model import clock, plan, records
from stress.model.adversary import LEARNING, MONITORING, THRESHOLD, TIMING
from stress.model.cost import SAME_INSTANT_CAP
from stress.model.rules import at_least, out_of_window
from stress.model.streams import next_double
from stress.model.variates import INF, categorical, exponential, lognormal

C_BREACHES, C_DETECTED = records.COLUMN["breaches"], records.COLUMN["detected"]


@njit(inline='always')
def violator_plans(s, clock_state, now):
    """The violator (re)starts its wait for the next breach at clock reading ``now``:
    until the loop needs the breach's exact time, only a bound on it, which costs no
    root-finding."""
    s.violator_now = now
    s.next_breach = clock.next_breach_not_before(clock_state)
    s.breach_planned = False


@njit(inline='always')
def take_effect(p, ws, now, t, factor):
    """Replication.take_effect: a response (or the violator's boldness) multiplies the
    baseline rate by ``factor``, and the interrupted violator plans again."""
    if factor != 1.0:
        clock.scale(ws.clock, t, factor, p.clock)
        violator_plans(ws.state[0], ws.clock, now)


@njit(inline='always')
def add(row, column, amount):
    """Replication.add: a column the record may not have."""
    if column >= 0:
        row[column] += amount


@njit(inline='always')
def payoff(p, row, amount):
    """Replication.payoff."""
    add(row, p.adversary_ints[adv.C_PAYOFF], amount)


# --- the replication's start (Violator.__init__, Violator.start) ---------------------

@njit(inline='always')
def begin_mind(p, ws, row):
    """The violator's behaviour and beliefs, from its own stream, and a learning
    violator's boldness from its prior: before its first plan."""
    s = ws.state[0]
    s.behaviour = adv.BLIND
    s.multiplier = 1.0
    if p.adversary_ints[adv.ACTIVE]:
        _read_mind_if_compiled(ws.reads, p, ws, row)


# The mind's code is typed once and inlined by LLVM (forceinline), not re-typed at every
# call site by numba (inline='always'), which took the first compile from 26 to 38 s
# (before the blind violator had a kernel of its own).
# A plain call is no cheaper to compile and 6x slower to run for a violator that reads
# the plan: the plan and workspace tuples are passed by value.
MIND = dict(_nrt=False, nogil=True, forceinline=True)


def when_reading(reading, blind):
    """A function the kernel calls as ``f(ws.reads, *args)``: ``reading(*args)`` in the
    kernel compiled for a violator that reads the plan, ``blind(*args)`` in the one
    compiled for a blind violator (``ws.reads`` is None there). So a plan without
    [adversary] never compiles the mind's code (numba types only the function chosen):
    a first compile of about half the time, and a blind breach without its branches."""
    def dispatch(reads, *args):
        raise TypeError("for compiled code only")

    @overload(dispatch, jit_options=MIND)
    def _typed(reads, *args):
        chosen = blind if isinstance(reads, types.NoneType) else reading
        return lambda reads, *args: chosen(*args)
    return dispatch


@njit(**MIND)
def _nothing(*args):
    return None


@njit(**MIND)
def _fits(*args):
    return FITS


@njit(**MIND)
def _read_mind(p, ws, row):
    """begin_mind of a violator that reads the plan."""
    s = ws.state[0]
    rng = ws.adversary_rng
    f = p.adversary_floats
    s.behaviour = categorical(next_double(rng), f[adv.W_BLIND:adv.W_MONITORING + 1])
    for j in range(len(p.tier_ints)):
        ws.tier_floats[j, BELIEVED] = adv.believed_threshold(p.tier_floats[j, plan.THRESHOLD], f[adv.KNOWLEDGE_ERROR],
                                                             next_double(rng))
        ws.tier_ints[j, ADV_HEAD] = 0
        ws.tier_ints[j, ADV_TAIL] = 0
        ws.tier_ints[j, DECIDED] = 0
        ws.tier_ints[j, DECLINED] = 0
    column = p.adversary_ints[adv.C_BEHAVIOUR]
    if column >= 0:
        row[column] = s.behaviour
    if s.behaviour == LEARNING:
        _learn(p, ws, 0.0, 0.0, False)


# --- a breach the clock brings (breaches.violator, Replication.clock_ran_out) -------

@njit(inline='always')
def on_breach(p, ws, row, now):
    """The violator's clock ran out: a breach of the class it draws, the monitors' three
    draws for it, and the violator makes it now or holds it back. Returns FITS, or
    WINDOW_FULL / RUNAWAY (the kernel grows an array and runs the replication again,
    or stops)."""
    if not p.adversary_ints[adv.ACTIVE]:
        return _blind_breach(p, ws, row, now)
    return _reading_breach_if_compiled(ws.reads, p, ws, row, now)


@njit(**MIND)
def _reading_breach(p, ws, row, now):
    """on_breach of a violator that reads the plan."""
    s = ws.state[0]
    t = s.next_breach
    rng = ws.breach_rng
    cls = categorical(next_double(rng), p.adversary_cumulative if s.behaviour == MONITORING else p.class_cumulative)
    u_objective = next_double(rng)
    fresh = exponential(next_double(rng))
    if s.multiplier != 1.0 and s.breach_source == clock.BASELINE:
        fresh /= s.multiplier  # a bolder violator's baseline clock (clock.embolden)
    rng = ws.detection_rng
    u_detected = next_double(rng)
    u_delay = next_double(rng)
    u_attributed = next_double(rng)
    made, made_class, until = decide(p, ws, t, cls, u_objective)
    status = FITS
    if made:
        clock.breach(ws.clock, t, s.breach_source, fresh, p.clock)
        status = _made(p, ws, row, now, t, made_class, u_objective, u_detected, u_delay, u_attributed,
                       made_class != cls)
    else:
        clock.skip(ws.clock, t, s.breach_source, fresh, p.clock)
        _hold(p, ws, row, now, t, cls, u_objective, u_detected, u_delay, u_attributed, until, True)
    violator_plans(s, ws.clock, now)
    return status


@njit(inline='always')
def _blind_breach(p, ws, row, now):
    """on_breach of a violator that does not read the plan (no [adversary]): the same
    draws in the same order, without the mind's branches, the hot path of most runs."""
    s = ws.state[0]
    t = s.next_breach
    rng = ws.breach_rng
    cls = categorical(next_double(rng), p.class_cumulative)
    u_objective = next_double(rng)
    clock.breach(ws.clock, t, s.breach_source, exponential(next_double(rng)), p.clock)
    rng = ws.detection_rng
    u_detected = next_double(rng)
    u_delay = next_double(rng)
    u_attributed = next_double(rng)
    if not _counted(p, ws, row, t, cls):
        return RUNAWAY
    _observed(p, ws, row, now, t, cls, u_objective, u_detected, u_delay, u_attributed)
    violator_plans(s, ws.clock, now)
    return FITS


@njit(**MIND)
def _on_held(p, ws, row, now, event):
    """Replication._held_breach: a held-back breach is reconsidered."""
    t = event.time
    cls = event.report_class
    made, made_class, until = decide(p, ws, t, cls, event.u_objective)
    if not made:
        _hold(p, ws, row, now, t, cls, event.u_objective, event.u_detected, event.u_delay, event.u_attributed, until,
              False)
        return FITS
    clock.excite(ws.clock, t, p.clock)
    status = _made(p, ws, row, now, t, made_class, event.u_objective, event.u_detected, event.u_delay,
                   event.u_attributed, made_class != cls)
    violator_plans(ws.state[0], ws.clock, now)  # the excitation changed: it plans again
    return status


@njit(**MIND)
def _hold(p, ws, row, now, t, cls, u_objective, u_detected, u_delay, u_attributed, until, first):
    """Replication._hold."""
    if first:
        add(row, p.adversary_ints[adv.C_HELD], 1)
    if until < p.horizon:
        event = queue.schedule(ws.queue, now, until, HELD)
        event.report_class = cls
        event.u_objective = u_objective
        event.u_detected = u_detected
        event.u_delay = u_delay
        event.u_attributed = u_attributed
    else:
        add(row, p.adversary_ints[adv.C_DROPPED], 1)


@njit(**MIND)
def _made(p, ws, row, now, t, cls, u_objective, u_detected, u_delay, u_attributed, downgraded):
    """Replication.on_breach and monitoring.observe: a breach is made at ``t``."""
    if not _counted(p, ws, row, t, cls):
        return RUNAWAY
    if downgraded:
        add(row, p.adversary_ints[adv.C_DOWNGRADED], 1)
    payoff(p, row, p.adversary_classes[cls, adv.UNANSWERED])
    if not _enter_windows(p, ws, t, cls):
        return WINDOW_FULL
    _observed(p, ws, row, now, t, cls, u_objective, u_detected, u_delay, u_attributed)
    return FITS


@njit(inline='always')
def _counted(p, ws, row, t, cls):
    """Replication.on_breach: a breach made at ``t`` is counted; False if the
    replication ran away (more breaches than its cap, or too many at one instant)."""
    s = ws.state[0]
    row[C_BREACHES] += 1
    s.same_instant = s.same_instant + 1 if t == s.last_breach else 0
    s.last_breach = t
    if row[C_BREACHES] > p.max_breaches or s.same_instant > SAME_INSTANT_CAP:
        return False
    row[p.class_start + cls] += 1
    return True


@njit(inline='always')
def _observed(p, ws, row, now, t, cls, u_objective, u_detected, u_delay, u_attributed):
    """monitoring.observe: the monitors' three draws decide whether the breach is
    detected, and attributed, and when its report comes in."""
    if u_detected < p.detection[cls]:
        row[C_DETECTED] += 1
        if u_attributed < p.attribution:
            report_due(p, ws, now, t + lognormal(u_delay, p.delay_median, p.delay_spread), cls, False, t, u_objective)


@njit(inline='always')
def report_due(p, ws, now, due, cls, is_false, t_incident, u_objective):
    if due < p.horizon:
        event = queue.schedule(ws.queue, now, due, REPORT)
        event.report_class = cls
        event.is_false = is_false
        event.incident = t_incident
        event.u_objective = u_objective


# --- the mind's decisions (adversary.Violator) ----------------------------------------

@njit(**MIND)
def decide(p, ws, t, cls, u_objective):
    """Violator.decide: (made now?, of what class, else held until when)."""
    behaviour = ws.state[0].behaviour
    if behaviour == THRESHOLD:
        return _threshold(p, ws, t, cls)
    if behaviour == TIMING:
        return _timing(p, ws, t, cls, u_objective)
    return True, cls, math.nan


@njit(inline='always')
def _weight(p, j, cls):
    weight = p.adversary_classes[cls, adv.BELIEVED_WEIGHT]
    if p.tier_ints[j, plan.TRIGGER] == plan.SEVERITY:
        weight *= p.severity[cls]
    return weight


@njit(inline='always')
def _limit(p, ws, j):
    return ws.tier_floats[j, BELIEVED] - p.adversary_floats[adv.MARGIN]


@njit(inline='always')
def _blocked(p, ws, t, cls, until_wanted):
    """Violator._blocking, and (``until_wanted``) _threshold's hold: whether a breach of
    ``cls`` at ``t`` would trigger a gamed tier, and when every such tier's window lets
    it pass (INF: never)."""
    blocked = False
    until = -INF
    for j in range(len(p.tier_ints)):
        if p.adversary_tiers[j, adv.GAMED] == 0.0 or not at_least(cls, p.tier_ints[j, plan.MIN_CLASS]):
            continue
        if p.tier_ints[j, plan.TRIGGER] == plan.REPORT:
            blocked = True
            until = INF
            continue
        window = ws.adversary_windows[j]
        length = p.tier_floats[j, plan.WINDOW_HOURS]
        head, tail = ws.tier_ints[j, ADV_HEAD], ws.tier_ints[j, ADV_TAIL]
        while head < tail and out_of_window(window[head, 0], t, length):
            head += 1
        ws.tier_ints[j, ADV_HEAD] = head
        total = 0.0
        for i in range(head, tail):
            total += window[i, 1]
        weight = _weight(p, j, cls)
        limit = _limit(p, ws, j)
        if total + weight >= limit:
            blocked = True
            if until_wanted and until < INF:
                until = max(until, adv.release_time(window[head:tail], length, weight, limit))
    return blocked, until


@njit(inline='always')
def _threshold(p, ws, t, cls):
    blocked, until = _blocked(p, ws, t, cls, False)
    if not blocked:
        return True, cls, math.nan
    if not p.adversary_ints[adv.DEFER]:
        for lower in range(cls - 1, -1, -1):
            if not _blocked(p, ws, t, lower, False)[0]:
                return True, lower, math.nan
    blocked, until = _blocked(p, ws, t, cls, True)
    return False, cls, until


@njit(inline='always')
def _timing(p, ws, t, cls, u_objective):
    f = p.adversary_floats
    losing = -1
    for j in range(len(p.tier_ints)):
        if p.adversary_tiers[j, adv.TIMED] == 0.0 or not at_least(cls, p.tier_ints[j, plan.MIN_CLASS]) \
                or ws.tier_ints[j, DONE] != 0:
            continue
        ints, floats = p.tier_ints[j], p.tier_floats[j]
        start = adv.response_estimate(t, f[adv.BELIEVED_DELAY], ints[plan.RESPONSE_FROM], ints[plan.DECISION_EVENT] != 0,
                                      floats[plan.DECISION_DELAY], floats[plan.RESPONSE_DELAY], floats[plan.WITHIN])
        needs = lognormal(u_objective, floats[plan.OBJECTIVE_MEDIAN], floats[plan.OBJECTIVE_SPREAD])
        believed = lognormal(next_double(ws.adversary_rng), needs, f[adv.PLANNING_ERROR])
        if not t + believed < start:
            lowest = ints[plan.MIN_CLASS]
            losing = lowest if losing < 0 else min(losing, lowest)
    if losing < 0:
        return True, cls, math.nan
    if not p.adversary_ints[adv.POSTPONE] and losing > 0:
        return True, losing - 1, math.nan
    return False, cls, t + f[adv.POSTPONE_HOURS]


@njit(inline='always')
def _enter_windows(p, ws, t, cls):
    """Violator.made: a breach enters the violator's windows of the tiers it games.
    False if a window's array is full."""
    if ws.state[0].behaviour != THRESHOLD:
        return True
    for j in range(len(p.tier_ints)):
        if p.adversary_tiers[j, adv.GAMED] == 0.0 or p.tier_ints[j, plan.TRIGGER] == plan.REPORT \
                or not at_least(cls, p.tier_ints[j, plan.MIN_CLASS]):
            continue
        head, tail = window_push(ws.adversary_windows[j], ws.tier_ints[j, ADV_HEAD], ws.tier_ints[j, ADV_TAIL], t,
                                 _weight(p, j, cls), False, p.tier_floats[j, plan.WINDOW_HOURS])
        if tail < 0:
            return False
        ws.tier_ints[j, ADV_HEAD] = head
        ws.tier_ints[j, ADV_TAIL] = tail
    return True


@njit(inline='always')
def saw_decision(p, ws, now, t, j, taken):
    """Violator.saw_decision."""
    if ws.state[0].behaviour == LEARNING and p.adversary_tiers[j, adv.WATCHED] != 0.0:
        _saw_if_compiled(ws.reads, p, ws, now, t, j, taken)


@njit(**MIND)
def _saw(p, ws, now, t, j, taken):
    """saw_decision of a learning violator that watches tier ``j``."""
    if taken:
        ws.tier_ints[j, DECIDED] += 1
    else:
        ws.tier_ints[j, DECLINED] += 1
    _learn(p, ws, now, t, True)


@njit(inline='always')
def _learn(p, ws, now, t, started):
    """Violator._learn and Replication.embolden: the boldness its belief of the will
    gives; the violator plans again if it has started."""
    f = p.adversary_floats
    s = ws.state[0]
    total = 0.0
    watched = 0
    for j in range(len(p.tier_ints)):
        if p.adversary_tiers[j, adv.WATCHED] != 0.0:
            total += adv.posterior_mean(f[adv.PRIOR_A], f[adv.PRIOR_B], ws.tier_ints[j, DECIDED],
                                        ws.tier_ints[j, DECLINED])
            watched += 1
    will = total / watched if watched > 0 else adv.posterior_mean(f[adv.PRIOR_A], f[adv.PRIOR_B], 0, 0)
    multiplier = adv.boldness_factor(f[adv.BOLDNESS], will)
    factor = multiplier / s.multiplier
    s.multiplier = multiplier
    if factor != 1.0:
        clock.embolden(ws.clock, t, factor, p.clock)
        if started:
            violator_plans(s, ws.clock, now)


# The entry points into the mind, compiled only into the kernel of a violator that reads
# the plan (when_reading). The kernel of a blind one never reaches them: it has no
# [adversary] (ACTIVE is 0) and holds nothing back (no HELD event comes).
_read_mind_if_compiled = when_reading(_read_mind, _nothing)
_reading_breach_if_compiled = when_reading(_reading_breach, _fits)
on_held = when_reading(_on_held, _fits)
_saw_if_compiled = when_reading(_saw, _nothing)
