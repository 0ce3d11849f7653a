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

from numba.extending import register_jitable

from stress.model.rules import baseline_wait, capped_multiplier, excitation_wait, expm1, relax

# Baseline part: its clock's remaining mass and m(t), both as of time BASE_REF; when
# the clock runs out if nothing changes m(t) first, and m(t) then.
BASE_REF, BASE_LEFT, M_REF, BASE_DUE, M_DUE = 0, 1, 2, 3, 4
# Self-excited part: its intensity and its clock's remaining mass as of EXC_REF; when
# the clock runs out.
EXC_REF, EXCITATION, EXC_LEFT, EXC_DUE = 5, 6, 7, 8
SIZE = 9

BASELINE, EXCITED = 0, 1

# Positions in the constants tuple.
MU, INV_MU, ALPHA, BETA, INV_BETA, RELAX, INV_RELAX, CAP = range(8)


def constants(mu: float, alpha: float, beta: float, relax_rate: float, max_multiplier: float) -> tuple:
    """The process's constants with the reciprocals the updates need, divided once
    here rather than at every breach."""
    return (mu, math.inf if mu == 0.0 else 1.0 / mu, alpha, beta, 1.0 / beta,
            relax_rate, math.inf if relax_rate == 0.0 else 1.0 / relax_rate, max_multiplier)


@register_jitable
def _plan_baseline(state, k):
    """The baseline clock's due time and m(t) then, from its state as of BASE_REF."""
    tau, m_due = baseline_wait(state[BASE_LEFT], k[MU], k[INV_MU], state[M_REF], k[RELAX], k[INV_RELAX])
    state[BASE_DUE] = state[BASE_REF] + tau
    state[M_DUE] = m_due


@register_jitable
def start(state, baseline_mass_drawn, excitation_mass_drawn, k):
    """The state at t = 0: no excitation, m = 1, two fresh clocks."""
    state[BASE_REF] = 0.0
    state[BASE_LEFT] = baseline_mass_drawn
    state[M_REF] = 1.0
    _plan_baseline(state, k)
    state[EXC_REF] = 0.0
    state[EXCITATION] = 0.0
    state[EXC_LEFT] = excitation_mass_drawn
    state[EXC_DUE] = math.inf


@register_jitable
def next_breach(state):
    """Time and source of the next breach if nothing changes m(t) before then."""
    if state[BASE_DUE] <= state[EXC_DUE]:
        return state[BASE_DUE], BASELINE
    return state[EXC_DUE], EXCITED


@register_jitable
def breach(state, t, source, fresh_mass, k):
    """A breach at ``t``, the due time ``next_breach`` gave for ``source``: that clock
    restarts with ``fresh_mass``, the excitation jumps by alpha * beta."""
    beta = k[BETA]
    decay = expm1(-beta * (t - state[EXC_REF]))  # exp(-beta tau) - 1
    if source == EXCITED:
        state[EXC_LEFT] = fresh_mass
    else:
        state[EXC_LEFT] += state[EXCITATION] * decay * k[INV_BETA]  # minus the mass used up
        state[M_REF] = state[M_DUE]  # t is BASE_DUE
        state[BASE_REF] = t
        state[BASE_LEFT] = fresh_mass
        _plan_baseline(state, k)
    state[EXCITATION] = state[EXCITATION] * (1.0 + decay) + k[ALPHA] * beta
    state[EXC_REF] = t
    state[EXC_DUE] = t + excitation_wait(state[EXC_LEFT], state[EXCITATION], beta, k[INV_BETA])


@register_jitable
def scale(state, t, factor, k):
    """A response takes effect at ``t``: m(t) is multiplied by ``factor``."""
    used, m = relax(t - state[BASE_REF], k[MU], state[M_REF], k[RELAX], k[INV_RELAX])
    # max(): a response just before the baseline clock runs out must not overdraw it
    state[BASE_LEFT] = max(state[BASE_LEFT] - used, 0.0)
    state[M_REF] = capped_multiplier(m, factor, k[CAP])
    state[BASE_REF] = t
    _plan_baseline(state, k)


@register_jitable
def multiplier(state, t, k):
    """m(t), for t at or after BASE_REF."""
    return relax(t - state[BASE_REF], 0.0, state[M_REF], k[RELAX], k[INV_RELAX])[1]


def new_state() -> list[float]:
    """A state for plain-Python use (the SimPy engine): a list keeps every value a
    Python float, which is faster there than numpy scalars and never warns on an
    overflow that the compiled engine takes silently."""
    return [0.0] * SIZE
