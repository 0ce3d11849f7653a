"""The breach process's state and its exact updates, shared by both engines.

A Hawkes process with exponential kernel and baseline ``m(t) * mu`` is simulated by
random time change: the baseline part and the self-excited part each run a
unit-exponential clock against their own compensator, and whichever runs out first
gives the next breach. Only the part that fired draws a new clock, so a change of
``m(t)`` moves later breaches smoothly instead of reshuffling them.

The state is a small float array (``numba`` compiles these functions into the fast
engine; the SimPy engine calls them as plain Python), the process's constants a tuple
made once by ``constants``.
"""

from __future__ import annotations

import math

from stress.model.jit import jitable

from stress.model.compensators import baseline_wait, excitation_wait, relax
from stress.model.rules import capped_multiplier
from stress.model.variates import expm1

# Baseline part: its clock's remaining mass and m(t), both as of time BASE_REF; when
# the clock runs out if nothing changes m(t) first (NaN until worked out), m(t) then,
# and a lower bound on that time (the time itself once worked out).
BASE_REF, BASE_LEFT, M_REF, BASE_DUE, M_DUE, BASE_SOON = 0, 1, 2, 3, 4, 5
# Self-excited part: its intensity and its clock's remaining mass as of EXC_REF; when
# the clock runs out.
EXC_REF, EXCITATION, EXC_LEFT, EXC_DUE = 6, 7, 8, 9
SIZE = 10

BASELINE, EXCITED = 0, 1

# Positions in the constants tuple.
MU, INV_MU, ALPHA, BETA, INV_BETA, RELAX, INV_RELAX, CAP = range(8)


def constants(mu: float, alpha: float, beta: float, relax_rate: float, max_multiplier: float) -> tuple:
    """The process's constants with the reciprocals the updates need, divided once
    here rather than at every breach."""
    return (mu, math.inf if mu == 0.0 else 1.0 / mu, alpha, beta, 1.0 / beta,
            relax_rate, math.inf if relax_rate == 0.0 else 1.0 / relax_rate, max_multiplier)


@jitable
def _replan_baseline(state, k):
    """The baseline clock's state changed. Its due time is worked out (a root-finding)
    only when asked for: a third of the time a breach or a response changes the state
    again first. Until then a bound at a division's cost: the rate never exceeds
    mu * max(m, 1) (m moves monotonically toward 1), less a margin for rounding."""
    state[BASE_DUE] = math.nan
    m0 = state[M_REF]
    soonest = state[BASE_LEFT] * k[INV_MU] * (1.0 - 1e-9) if k[MU] > 0.0 else math.inf  # not 0 * inf
    state[BASE_SOON] = state[BASE_REF] + (soonest if m0 <= 1.0 else soonest / m0)


@jitable
def _baseline_due(state, k):
    """When the baseline clock runs out if nothing changes m(t) first."""
    if math.isnan(state[BASE_DUE]):
        tau, m_due = baseline_wait(state[BASE_LEFT], k[MU], k[INV_MU], state[M_REF], k[RELAX], k[INV_RELAX])
        state[BASE_DUE] = state[BASE_REF] + tau
        state[M_DUE] = m_due
        state[BASE_SOON] = state[BASE_DUE]
    return state[BASE_DUE]


@jitable
def start(state, baseline_mass_drawn, excitation_mass_drawn, k):
    """The state at t = 0: no excitation, m = 1, two fresh clocks."""
    state[BASE_REF] = 0.0
    state[BASE_LEFT] = baseline_mass_drawn
    state[M_REF] = 1.0
    _replan_baseline(state, k)
    state[EXC_REF] = 0.0
    state[EXCITATION] = 0.0
    state[EXC_LEFT] = excitation_mass_drawn
    state[EXC_DUE] = math.inf


@jitable
def next_breach(state, k):
    """Time and source of the next breach if nothing changes m(t) before then."""
    if state[EXC_DUE] < state[BASE_SOON]:
        return state[EXC_DUE], EXCITED  # no need to work out the baseline's due time
    base_due = _baseline_due(state, k)
    if base_due <= state[EXC_DUE]:
        return base_due, BASELINE
    return state[EXC_DUE], EXCITED


@jitable
def next_breach_not_before(state):
    """A lower bound on ``next_breach``'s time that costs no root-finding."""
    return min(state[BASE_SOON], state[EXC_DUE])


@jitable
def breach(state, t, source, fresh_mass, k):
    """A breach at ``t``, the due time ``next_breach`` gave for ``source``: that clock
    restarts with ``fresh_mass``, the excitation jumps by alpha * beta."""
    beta = k[BETA]
    decay = expm1(-beta * (t - state[EXC_REF]))  # exp(-beta tau) - 1
    if source == EXCITED:
        state[EXC_LEFT] = fresh_mass
    else:
        state[EXC_LEFT] += state[EXCITATION] * decay * k[INV_BETA]  # minus the mass used up
        state[M_REF] = state[M_DUE]  # t is BASE_DUE, worked out by next_breach
        state[BASE_REF] = t
        state[BASE_LEFT] = fresh_mass
        _replan_baseline(state, k)
    state[EXCITATION] = state[EXCITATION] * (1.0 + decay) + k[ALPHA] * beta
    state[EXC_REF] = t
    state[EXC_DUE] = t + excitation_wait(state[EXC_LEFT], state[EXCITATION], beta, k[INV_BETA])


@jitable
def skip(state, t, source, fresh_mass, k):
    """The clock of ``source`` ran out at ``t`` (``next_breach``) but the violator holds
    the breach back: that clock restarts with ``fresh_mass`` as in ``breach``, and the
    excitation runs on without a jump (it comes with the breach, when it is made:
    ``excite``)."""
    beta = k[BETA]
    decay = expm1(-beta * (t - state[EXC_REF]))
    if source == EXCITED:
        state[EXC_LEFT] = fresh_mass
    else:
        state[EXC_LEFT] += state[EXCITATION] * decay * k[INV_BETA]
        state[M_REF] = state[M_DUE]
        state[BASE_REF] = t
        state[BASE_LEFT] = fresh_mass
        _replan_baseline(state, k)
    state[EXCITATION] = state[EXCITATION] * (1.0 + decay)
    state[EXC_REF] = t
    state[EXC_DUE] = t + excitation_wait(state[EXC_LEFT], state[EXCITATION], beta, k[INV_BETA])


@jitable
def excite(state, t, k):
    """A held-back breach is made at ``t``: the excitation jumps by alpha * beta; no
    clock restarts (none ran out)."""
    beta = k[BETA]
    decay = expm1(-beta * (t - state[EXC_REF]))
    # minus the mass used up (never below 0: the clock would have run out first)
    state[EXC_LEFT] = max(state[EXC_LEFT] + state[EXCITATION] * decay * k[INV_BETA], 0.0)
    state[EXCITATION] = state[EXCITATION] * (1.0 + decay) + k[ALPHA] * beta
    state[EXC_REF] = t
    state[EXC_DUE] = t + excitation_wait(state[EXC_LEFT], state[EXCITATION], beta, k[INV_BETA])


@jitable
def scale(state, t, factor, k):
    """A response takes effect at ``t``: m(t) is multiplied by ``factor``."""
    used, m = relax(t - state[BASE_REF], k[MU], state[M_REF], k[RELAX], k[INV_RELAX])
    # max(): a response just before the baseline clock runs out must not overdraw it
    state[BASE_LEFT] = max(state[BASE_LEFT] - used, 0.0)
    state[M_REF] = capped_multiplier(m, factor, k[CAP])
    state[BASE_REF] = t
    _replan_baseline(state, k)


@jitable
def embolden(state, t, factor, k):
    """A learning violator's boldness multiplies its baseline rate by ``factor`` from
    ``t`` (m(t), and its relaxation toward 1, are left as they are). A rate L times
    higher uses up a unit-exponential clock as fast as the rate itself would use up one
    of 1 / L: so the baseline clock's remaining mass is divided by ``factor`` here, and
    every fresh mass it draws later by the boldness then (the engines do that), and the
    clock's own arithmetic, which every breach runs, stays as it is."""
    used, m = relax(t - state[BASE_REF], k[MU], state[M_REF], k[RELAX], k[INV_RELAX])
    state[BASE_LEFT] = max(state[BASE_LEFT] - used, 0.0) / factor
    state[M_REF] = m
    state[BASE_REF] = t
    _replan_baseline(state, k)


@jitable
def multiplier(state, t, k):
    """m(t), for t at or after BASE_REF."""
    return relax(t - state[BASE_REF], 0.0, state[M_REF], k[RELAX], k[INV_RELAX])[1]


def new_state() -> list[float]:
    """A state for plain-Python use (the SimPy engine): a list keeps every value a
    Python float, which is faster there than numpy scalars and never warns on an
    overflow that the compiled engine takes silently."""
    return [0.0] * SIZE
