"""The plan as arrays: one row per tier, the form both engines read it in.

A tier's whole numbers (its trigger kind, classes, switches, where its draws and record
columns are) are a row of ``ints``; its quantities (thresholds, windows in hours, delays,
probabilities, rates per hour) a row of ``floats``. The compiled kernel loops over the
rows; the SimPy policy reads them through ``TierRule``. No tier is written by hand in
either engine.

**The draws of a report.** Every verified report draws, from the responses stream, one
uniform for each of these keys that a tier sets, tier by tier in plan order, whatever
their values and whether they are used: ``decision_probability``,
``response_probability``, ``response_within_hours``, ``partner_probability``,
``stand_down_per_day``. So plans that set the same keys meet the same political luck
report by report (the first form's three tiers draw exactly its six numbers).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from stress.config.schema import MAX_TIERS  # noqa: F401  (the engines size their arrays by it)
from stress.model.records import Layout

# Trigger kinds, and what the response delay counts from.
REPORT, COUNT, SEVERITY = 0, 1, 2
FROM_BREACH, FROM_REPORT, FROM_DECISION = 0, 1, 2
NONE = -1

# Columns of a tier's row of whole numbers.
(TRIGGER, MIN_CLASS, AFTER, REPEATS, DECISION_EVENT, START_EVENT, REACHED_AT_START, RESPONSE_FROM, FORCE, RACE,
 WINDOW,
 # where its draws are among a report's (NONE: the key is not set, nothing is drawn)
 U_DECISION, U_RESPONSE, U_WITHIN, U_PARTNER, U_STAND_DOWN,
 # its record columns (NONE: it has no such column; records.TIER_FIELDS)
 C_HOURS, C_ARRIVED, C_TIMES_REACHED, C_RESPONSES, C_DECLINED, C_PARTNER, C_STOOD_DOWN, C_OBJECTIVE, C_ON_FALSE,
 C_LATENCY) = range(26)
N_INTS = 26
# Columns of a tier's row of quantities.
(THRESHOLD, WINDOW_HOURS, QUIET_HOURS, COOLDOWN, DECISION_P, DECISION_DELAY, RESPONSE_P, RESPONSE_DELAY, WITHIN,
 ARRIVAL_DELAY, RATE_FACTOR, PARTNER_P, STAND_DOWN_RATE, OBJECTIVE_MEDIAN, OBJECTIVE_SPREAD) = range(15)
N_FLOATS = 15

# The draws a tier may take per report, in their order, with the key that asks for each.
DRAWS = ((U_DECISION, "decision_probability"), (U_RESPONSE, "response_probability"),
         (U_WITHIN, "response_within_hours"), (U_PARTNER, "partner_probability"),
         (U_STAND_DOWN, "stand_down_per_day"))
N_DRAW_KINDS = len(DRAWS)
_COLUMNS = ((C_HOURS, "hours"), (C_ARRIVED, "arrived_hours"), (C_TIMES_REACHED, "times_reached"),
            (C_RESPONSES, "responses"), (C_DECLINED, "declined"), (C_PARTNER, "partner_joined"),
            (C_STOOD_DOWN, "stood_down"), (C_OBJECTIVE, "objective_first"), (C_ON_FALSE, "on_false_report"),
            (C_LATENCY, "latency_hours"))
_TRIGGERS = {"report": REPORT, "count": COUNT, "severity": SEVERITY}
_FROM = {"breach": FROM_BREACH, "report": FROM_REPORT, "decision": FROM_DECISION}


class CompiledPlan(NamedTuple):
    ints: np.ndarray       # (T, N_INTS) int64
    floats: np.ndarray     # (T, N_FLOATS) float64
    draws: int             # uniforms every report draws
    windows: int           # tiers that keep a trailing window


def _after(tiers, names: list[str], tier) -> int:
    """The index of the tier that must come first: the one ``tier`` is after, or, where
    that one is absent, the one it is after in turn (NONE: none)."""
    while tier.after is not None:
        tier = tiers[names.index(tier.after)]
        if tier.present:
            return names.index(tier.name)
    return NONE


def compile_plan(config, layout: Layout) -> CompiledPlan:
    """The config's tiers as rows, its record columns from ``layout`` (the plan's own)."""
    classes = {c.name: i for i, c in enumerate(config.breaches.classes)}
    names = [t.name for t in config.tiers]
    ints = np.full((len(config.tiers), N_INTS), NONE, dtype=np.int64)
    floats = np.zeros((len(config.tiers), N_FLOATS), dtype=np.float64)
    draws = windows = 0
    for j, t in enumerate(config.tiers):
        row = ints[j]
        race = t.stand_down_per_day is not None or t.objective_median_hours is not None
        row[TRIGGER] = _TRIGGERS[t.trigger]
        # an absent tier: no class is severe enough for it (len(classes))
        row[MIN_CLASS] = len(classes) if not t.present else classes[t.min_class] if t.min_class is not None else 0
        row[AFTER] = _after(config.tiers, names, t)
        row[REPEATS] = t.repeats
        row[DECISION_EVENT] = t.decision_delay_hours is not None
        # A response's start is an event of its own when something happens then that the
        # decision cannot settle: the tier is reached, or the race may cancel it first.
        row[START_EVENT] = t.reached_at == "start" or race
        row[REACHED_AT_START] = t.reached_at == "start"
        row[RESPONSE_FROM] = _FROM[t.response_from]
        row[FORCE] = t.arrival_delay_hours is not None
        row[RACE] = race
        if t.trigger != "report":
            row[WINDOW] = windows
            windows += 1
        for column, key in DRAWS:
            if getattr(t, key) is not None:
                row[column] = draws
                draws += 1
        for column, suffix in _COLUMNS:
            row[column] = layout.tier_column(t.name, suffix)
        q = floats[j]
        q[THRESHOLD] = t.threshold if t.trigger == "count" else (t.severity_threshold or 0.0)
        q[WINDOW_HOURS] = (t.window_days or 0.0) * 24.0
        q[QUIET_HOURS] = math.inf if t.reset_after_quiet_days is None else t.reset_after_quiet_days * 24.0
        q[COOLDOWN] = t.cooldown_hours
        q[DECISION_P] = 1.0 if t.decision_probability is None else t.decision_probability
        q[DECISION_DELAY] = t.decision_delay_hours or 0.0
        q[RESPONSE_P] = 1.0 if t.response_probability is None else t.response_probability
        q[RESPONSE_DELAY] = t.response_delay_hours
        q[WITHIN] = t.response_within_hours or 0.0
        q[ARRIVAL_DELAY] = t.arrival_delay_hours or 0.0
        q[RATE_FACTOR] = t.rate_factor
        q[PARTNER_P] = t.partner_probability or 0.0
        q[STAND_DOWN_RATE] = (t.stand_down_per_day or 0.0) / 24.0
        q[OBJECTIVE_MEDIAN] = math.inf if t.objective_median_hours is None else t.objective_median_hours
        q[OBJECTIVE_SPREAD] = t.objective_spread
    return CompiledPlan(ints, floats, draws, windows)


def most_new_events(n_tiers: int) -> int:
    """The most events one handler schedules: a report, two per tier (a decision or the
    response's start or stand-down, and the objective)."""
    return 2 * n_tiers


class TierRule(NamedTuple):
    """One tier's row, named, as the SimPy policy reads it (Python numbers)."""
    index: int
    name: str
    trigger: int
    min_class: int
    after: int
    repeats: bool
    decision_event: bool
    start_event: bool
    reached_at_start: bool
    response_from: int
    force: bool
    race: bool
    window: int
    u_decision: int
    u_response: int
    u_within: int
    u_partner: int
    u_stand_down: int
    c_hours: int
    c_arrived: int
    c_times_reached: int
    c_responses: int
    c_declined: int
    c_partner: int
    c_stood_down: int
    c_objective: int
    c_on_false: int
    c_latency: int
    threshold: float
    window_hours: float
    quiet_hours: float
    cooldown: float
    decision_p: float
    decision_delay: float
    response_p: float
    response_delay: float
    within: float
    arrival_delay: float
    rate_factor: float
    partner_p: float
    stand_down_rate: float
    objective_median: float
    objective_spread: float


_FLAGS = (REPEATS, DECISION_EVENT, START_EVENT, REACHED_AT_START, FORCE, RACE)


def tier_rules(params, names=None) -> list[TierRule]:
    """The plan's tiers of ``params`` as ``TierRule``s (``names``: for traces)."""
    rules = []
    for j, (ints, floats) in enumerate(zip(params.tier_ints.tolist(), params.tier_floats.tolist())):
        values = [bool(v) if k in _FLAGS else v for k, v in enumerate(ints)]
        rules.append(TierRule(j, names[j] if names else f"tier {j + 1}", *values, *floats))
    return rules
