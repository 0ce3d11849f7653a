"""The shared rules (stress.model.rules) at their edges, as plain Python (the SimPy
engine's use) and compiled (the fast engine's)."""

import math
from collections import deque

import numpy as np
import pytest
from numba import njit

from stress.model import jit, rules

jit.register_with_numba()  # the rules compile into the functions below, as into the fast engine

NAN = math.nan


@njit
def _compiled_window_sums(buf, head, tail):
    return rules.window_sums(buf[head:tail])


@njit
def _compiled_may_trigger(t, done, pending, open_at, requires_lower, lower_reached_at):
    return rules.may_trigger(t, done, pending, open_at, requires_lower, lower_reached_at)


@pytest.mark.parametrize("may_trigger", [rules.may_trigger, _compiled_may_trigger], ids=["python", "compiled"])
def test_may_trigger_blocks_while_done_pending_cooling_down_or_below_the_lower_tier(may_trigger):
    assert may_trigger(10.0, False, False, 0.0, False, NAN)
    assert not may_trigger(10.0, True, False, 0.0, False, NAN)   # decided / initiated once
    assert not may_trigger(10.0, False, True, 0.0, False, NAN)   # a decision or start pending
    assert not may_trigger(10.0, False, False, 10.5, False, NAN)  # in the cooldown
    assert may_trigger(10.5, False, False, 10.5, False, NAN)     # the cooldown is over at open_at
    assert not may_trigger(10.0, False, False, 0.0, True, NAN)   # the lower tier never reached
    assert not may_trigger(10.0, False, False, 0.0, True, 10.5)  # reached, but later
    assert may_trigger(10.0, False, False, 0.0, True, 10.0)      # reached at the same time


def test_a_threshold_is_reached_at_equality_and_rests_on_false_reports_when_the_real_ones_fall_short():
    assert rules.reaches(3.0, 3) and not rules.reaches(2.0, 3)
    assert rules.rests_on_false(2.0, 3) and not rules.rests_on_false(3.0, 3)


def test_the_window_is_half_open_and_classes_count_from_min_class():
    assert rules.out_of_window(5.0, 12.0, 7.0)       # exactly one window ago: out of (t - w, t]
    assert not rules.out_of_window(5.0 + 1e-9, 12.0, 7.0)
    assert rules.at_least(1, 1) and rules.at_least(2, 1) and not rules.at_least(0, 1)
    assert not rules.quiet_reset(5.0, -math.inf, math.inf)  # no quiet reset: never forgets
    assert rules.quiet_reset(20.0, 9.0, 10.0) and not rules.quiet_reset(19.0, 9.0, 10.0)


def test_window_sums_add_one_at_a_time_in_both_engines():
    # ten severities of 0.1 make 0.9999999999999999 added in order (Python 3.12's sum()
    # of floats would give 1.0); the deque of tuples (SimPy) and the compiled array
    # slice (fast engine) must both give exactly that
    entries = [(float(i), 0.1, i == 3) for i in range(10)]
    total, real = rules.window_sums(deque(entries))
    assert total == 0.9999999999999999 and total != 1.0
    buf = np.zeros((14, 3))
    buf[2:12] = [(t, w, 1.0 if f else 0.0) for t, w, f in entries]
    assert _compiled_window_sums(buf, 2, 12) == (total, real)
    in_order = 0.0
    for _, weight, is_false in entries:
        in_order += 0.0 if is_false else weight
    assert real == in_order and real < total  # the false report (i = 3) left out


def test_race_outcome_ties_go_to_the_response():
    # a stand-down at the very time the response starts does not cancel it, and an
    # objective reached as it starts was not reached first
    assert rules.race_outcome(72.0, 72.0, math.inf) == (False, False)
    assert rules.race_outcome(72.0, 50.0, 60.0) == (True, False)
    assert rules.race_outcome(72.0, math.inf, 60.0) == (False, True)
    assert rules.race_outcome(72.0, 80.0, 72.0) == (False, False)


def test_a_response_starts_after_its_delay_within_its_deadline_and_never_before_the_decision():
    assert rules.response_start(10.0, 72.0, 0.0, 0.0, 12.0) == 82.0        # 72 h after the breach at 10 h
    assert rules.response_start(10.0, 0.0, 0.0, 0.0, 12.0) == 12.0         # not before the decision at 12 h
    assert rules.response_start(12.0, 0.0, 0.5, 24.0, 12.0) == 24.0        # halfway through a 24 h deadline
    assert rules.response_start(12.0, 0.0, 0.75, 0.0, 12.0) == 12.0        # no deadline: the draw moves nothing


def _plan_row(hours_columns, on_false_columns):
    from stress.model import plan
    ints = np.full((len(hours_columns), plan.N_INTS), plan.NONE, dtype=np.int64)
    ints[:, plan.C_HOURS] = hours_columns
    ints[:, plan.C_ON_FALSE] = on_false_columns
    return ints


def test_highest_tier_and_false_escalation():
    ints = _plan_row([0, 1, 2, 3], [-1, 4, 5, -1])  # a four-tier plan; the first and last repeat
    row = lambda *values: np.array(values, dtype=float)  # noqa: E731
    assert rules.highest_tier(row(NAN, NAN, NAN, NAN, 0, 0), ints) == 0
    assert rules.highest_tier(row(5.0, NAN, NAN, NAN, 0, 0), ints) == 1
    assert rules.highest_tier(row(5.0, 9.0, NAN, NAN, 0, 0), ints) == 2
    assert rules.highest_tier(row(NAN, NAN, NAN, 9.0, 0, 0), ints) == 4  # a later tier need not wait for the others
    assert rules.false_escalation(row(NAN, NAN, 3.0, NAN, 0, 1), ints)
    assert not rules.false_escalation(row(NAN, NAN, 3.0, NAN, 0, 0), ints)


def test_a_report_at_the_window_end_is_in_its_window_whatever_the_length():
    from stress.model.rules import out_of_window
    # a window shorter than the clock's resolution at t: t - length rounds to t
    assert not out_of_window(1000.0, 1000.0, 1e-322)
    assert out_of_window(999.0, 1000.0, 1e-322)
    assert out_of_window(990.0, 1000.0, 10.0) and not out_of_window(990.1, 1000.0, 10.0)
