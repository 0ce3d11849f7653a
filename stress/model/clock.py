"""The breach process's state and its exact updates, shared by both engines.

A Hawkes process with exponential kernel and baseline ``m(t) * mu`` is simulated by
random time change: the baseline part and the self-excited part each run a
unit-exponential clock against their own compensator, and whichever runs out first
gives the next breach. Only the part that fired draws a new clock, so a change of
``m(t)`` moves later breaches smoothly instead of reshuffling them.

The state is a small float array (``numba`` compiles these functions into the fast
engine; the SimPy engine calls them as plain Python):
"""

from __future__ import annotations

import math

from numba.extending import register_jitable

from stress.model.rules import (baseline_mass, baseline_wait, capped_multiplier, excitation_wait, expm1,
                                multiplier_after)

# Baseline part: its clock's remaining mass and m(t), both as of time BASE_REF.
BASE_REF, BASE_LEFT, M_REF = 0, 1, 2
# Self-excited part: its intensity and its clock's remaining mass as of EXC_REF.
EXC_REF, EXCITATION, EXC_LEFT = 3, 4, 5
# Cached due times of the two clocks.
BASE_DUE, EXC_DUE = 6, 7
SIZE = 8

BASELINE, EXCITED = 0, 1


@register_jitable
def start(state, baseline_mass_drawn, excitation_mass_drawn, mu, relax_rate):
    """The state at t = 0: no excitation, m = 1, two fresh clocks."""
    state[BASE_REF] = 0.0
    state[BASE_LEFT] = baseline_mass_drawn
    state[M_REF] = 1.0
    state[EXC_REF] = 0.0
    state[EXCITATION] = 0.0
    state[EXC_LEFT] = excitation_mass_drawn
    state[BASE_DUE] = baseline_wait(baseline_mass_drawn, mu, 1.0, relax_rate)
    state[EXC_DUE] = math.inf


@register_jitable
def next_breach(state):
    """Time and source of the next breach if nothing changes m(t) before then."""
    if state[BASE_DUE] <= state[EXC_DUE]:
        return state[BASE_DUE], BASELINE
    return state[EXC_DUE], EXCITED


@register_jitable
def breach(state, t, source, fresh_mass, mu, alpha, beta, relax_rate):
    """A breach at ``t`` from ``source``: that clock restarts with ``fresh_mass``,
    the excitation jumps by alpha * beta."""
    decay = expm1(-beta * (t - state[EXC_REF]))  # exp(-beta tau) - 1
    if source == EXCITED:
        state[EXC_LEFT] = fresh_mass
    else:
        state[EXC_LEFT] += state[EXCITATION] * decay / beta  # minus the mass used up
        state[M_REF] = multiplier_after(t - state[BASE_REF], state[M_REF], relax_rate)
        state[BASE_REF] = t
        state[BASE_LEFT] = fresh_mass
        state[BASE_DUE] = t + baseline_wait(fresh_mass, mu, state[M_REF], relax_rate)
    state[EXCITATION] = state[EXCITATION] * (1.0 + decay) + alpha * beta
    state[EXC_REF] = t
    state[EXC_DUE] = t + excitation_wait(state[EXC_LEFT], state[EXCITATION], beta)


@register_jitable
def scale(state, t, factor, mu, relax_rate, max_multiplier):
    """A response takes effect at ``t``: m(t) is multiplied by ``factor``."""
    tau = t - state[BASE_REF]
    # max(): a response just before the baseline clock runs out must not overdraw it
    state[BASE_LEFT] = max(state[BASE_LEFT] - baseline_mass(tau, mu, state[M_REF], relax_rate), 0.0)
    state[M_REF] = capped_multiplier(multiplier_after(tau, state[M_REF], relax_rate), factor, max_multiplier)
    state[BASE_REF] = t
    state[BASE_DUE] = t + baseline_wait(state[BASE_LEFT], mu, state[M_REF], relax_rate)


@register_jitable
def multiplier(state, t, relax_rate):
    return multiplier_after(t - state[BASE_REF], state[M_REF], relax_rate)


def new_state() -> list[float]:
    """A state for plain-Python use (the SimPy engine): a list keeps every value a
    Python float, which is faster there than numpy scalars and never warns on an
    overflow that the compiled engine takes silently."""
    return [0.0] * SIZE
