"""The response rules' small pure functions, shared by both engines.

The SimPy policy (``stress.engines.simpy.policy``) calls them as plain Python; the
fast engine compiles them in (``stress.model.jit``), so a rule is written once: every
comparison that decides whether a tier acts lives here, and the engines only keep
their own state (deques there, preallocated arrays here) and call these.
"""

from __future__ import annotations

import math

from stress.model.jit import jitable

from stress.model.plan import C_HOURS, C_ON_FALSE
from stress.model.variates import INF, exponential, lognormal

# Stands in for the objective draw of a false report: no attack, no objective.
NO_OBJECTIVE = -1.0


@jitable
def at_least(cls: int, min_class: int) -> bool:
    """Whether a report of class ``cls`` counts for a rule of ``min_class`` (classes are
    indexed in order of severity)."""
    return cls >= min_class


# --- triggers: reports, counting windows and severity sums -----------------------

@jitable
def quiet_reset(t: float, last_counted: float, quiet: float) -> bool:
    """Whether a tier's window forgets its reports: more than ``quiet`` hours have passed
    since the last counted one (``quiet`` is infinite when the rule is off)."""
    return t - last_counted > quiet


@jitable
def out_of_window(t_entry: float, t: float, length: float) -> bool:
    """Whether a report at ``t_entry`` has left the trailing window (t - length, t]. A
    report at t itself never has (a window shorter than the clock's resolution at t
    would otherwise round t - length to t and drop it, leaving the window empty)."""
    return t_entry <= t - length and t_entry < t


@jitable
def window_sums(entries):
    """The total weight of a window's reports and that of the real ones alone.
    ``entries`` are (time, weight, is_false) in window order: a deque of tuples in the
    SimPy engine, rows of an array slice in the fast one. A count trigger weighs each
    report 1 (the sums are counts), a severity trigger by its class's severity.

    Added one at a time in window order, in both engines: Python 3.12's ``sum()``
    compensates rounding for Python floats, so ten severities of 0.1 would make 1.0
    there and 0.9999999999999999 here, on either side of a threshold of 1."""
    total = 0.0
    real = 0.0
    for entry in entries:
        total += entry[1]
        if not entry[2]:
            real += entry[1]
    return total, real


@jitable
def may_trigger(t: float, done: bool, pending: bool, open_at: float, requires_lower: bool,
                lower_reached_at: float) -> bool:
    """Whether a tier may trigger at ``t``: not once it is done (a tier that does not
    repeat, once reached), not while its decision or its response's start is pending,
    not in the cooldown after a decision or a cancellation (until ``open_at``), and, if
    it comes after another tier, only once that tier was reached (``lower_reached_at``:
    NaN if not)."""
    if done or pending or t < open_at:
        return False
    return not requires_lower or lower_reached_at <= t  # NaN compares False


@jitable
def reaches(amount: float, threshold: float) -> bool:
    """Whether a window's count or severity sum triggers the tier."""
    return amount >= threshold


@jitable
def rests_on_false(real_amount: float, threshold: float) -> bool:
    """Whether a trigger that counted false reports rests on them: the real reports
    alone would not have reached the threshold."""
    return not reaches(real_amount, threshold)


# --- the response: when it starts, and the race against it ----------------------

@jitable
def response_start(base: float, delay: float, u_within: float, within: float, t_decision: float) -> float:
    """When a decided response starts: ``delay`` after its base (the breach, the report
    or the decision), uniformly within the deadline ``within`` after that (0: at once),
    never before the decision itself."""
    return max(base + delay + u_within * within, t_decision)


@jitable
def race_times(t_decision: float, t_incident: float, stand_down_per_hour: float, u_stand_down: float,
               u_objective: float, objective_median: float, objective_spread: float):
    """When the violator would stand down, and when the triggering attack would reach
    its objective (infinite: never). The stand-down clock starts at the decision, when
    the response is announced. A negative ``u_objective`` marks a false report: no
    attack, no objective."""
    stand_down = INF if stand_down_per_hour == 0.0 else t_decision + exponential(u_stand_down) / stand_down_per_hour
    objective = INF if u_objective < 0.0 else t_incident + lognormal(u_objective, objective_median, objective_spread)
    return stand_down, objective


@jitable
def race_outcome(start: float, stand_down: float, objective: float):
    """Of a decided response's three times: whether the violator stands down before it
    starts (which cancels it), and whether the attack reaches its objective before
    either (which is recorded; the response still starts unless cancelled)."""
    return stand_down < start, objective < min(start, stand_down)


# --- feedback and the record's summary --------------------------------------------

@jitable
def capped_multiplier(m: float, factor: float, cap: float) -> float:
    """The violator's multiplier after a response with ``factor`` takes effect."""
    return min(m * factor, cap)


@jitable
def highest_tier(row, tier_ints) -> int:
    """The position in the plan (1 = first) of the highest tier reached, from the times
    each was first reached (NaN: not); 0 if none was."""
    for j in range(len(tier_ints) - 1, -1, -1):
        if not math.isnan(row[tier_ints[j, C_HOURS]]):
            return j + 1
    return 0


@jitable
def false_escalation(row, tier_ints) -> bool:
    """Whether the replication escalated on a false report: a tier that is reached once
    rested on one."""
    for j in range(len(tier_ints)):
        column = tier_ints[j, C_ON_FALSE]
        if column >= 0 and row[column] != 0.0:
            return True
    return False
