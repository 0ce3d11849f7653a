"""Component 1: the violator's breach process.

A Hawkes process with exponential kernel and baseline ``m(t) * mu``, simulated
exactly by random time change: the baseline part and the self-excited part each run
a unit-exponential clock against their own compensator, and whichever runs out first
produces the next breach. No clock ticking, no thinning.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Generator

import simpy

from stress.model.params import Params
from stress.model.rules import (baseline_mass, baseline_wait, capped_multiplier, categorical,
                                excitation_mass, excitation_wait, exponential, lognormal,
                                multiplier_after)

if TYPE_CHECKING:
    from stress.model.replication import Replication

BASELINE, EXCITATION = 0, 1


class BreachClock:
    """The state of the breach process at time ``t_ref``; it changes only at
    breaches and when the multiplier changes."""

    def __init__(self, params: Params, draw) -> None:
        self.p = params
        self.t_ref = 0.0
        self.m_ref = 1.0
        self.excitation = 0.0
        self.baseline_left = exponential(draw())
        self.excitation_left = exponential(draw())

    def multiplier(self, t: float) -> float:
        return multiplier_after(t - self.t_ref, self.m_ref, self.p.relax_rate)

    def next_breach(self) -> tuple[float, int]:
        """Time and source (baseline or excitation) of the next breach, if nothing
        changes the multiplier before then."""
        p = self.p
        wait_baseline = baseline_wait(self.baseline_left, p.mu, self.m_ref, p.relax_rate)
        wait_excitation = excitation_wait(self.excitation_left, self.excitation, p.beta)
        if wait_baseline <= wait_excitation:
            return self.t_ref + wait_baseline, BASELINE
        return self.t_ref + wait_excitation, EXCITATION

    def _advance(self, t: float, fired: int, draw) -> None:
        p = self.p
        tau = t - self.t_ref
        if fired == BASELINE:
            self.baseline_left = exponential(draw())
        else:
            self.baseline_left -= baseline_mass(tau, p.mu, self.m_ref, p.relax_rate)
        if fired == EXCITATION:
            self.excitation_left = exponential(draw())
        else:
            self.excitation_left -= excitation_mass(tau, self.excitation, p.beta)
        self.m_ref = multiplier_after(tau, self.m_ref, p.relax_rate)
        self.excitation *= math.exp(-p.beta * tau)
        self.t_ref = t

    def breach(self, t: float, source: int, draw) -> None:
        """A breach at ``t``: the clock that fired is redrawn, excitation jumps."""
        self._advance(t, source, draw)
        self.excitation += self.p.alpha * self.p.beta

    def scale(self, t: float, factor: float) -> None:
        """A response takes effect at ``t``: the multiplier is scaled by ``factor``."""
        self._advance(t, -1, None)
        self.m_ref = capped_multiplier(self.m_ref, factor, self.p.max_multiplier)


def violator(env: simpy.Environment, rep: "Replication") -> Generator:
    """The SimPy process of the violator: waits for the next breach, commits it and
    hands it to the monitors. An interrupt means the multiplier changed: re-plan."""
    clock = rep.clock
    draw = rep.draw_breach
    p = rep.params
    while True:
        t, source = clock.next_breach()
        try:
            # Past the horizon nothing happens unless a change of multiplier pulls
            # the next breach forward, so wait for an interrupt only.
            yield env.timeout(max(t - env.now, 0.0)) if t < p.horizon else env.event()
        except simpy.Interrupt:
            continue
        breach_class = categorical(draw(), p.class_cumulative)
        objective_hours = lognormal(draw(), p.t3_objective_median, p.t3_objective_spread)
        clock.breach(t, source, draw)
        rep.on_breach(t, breach_class, objective_hours)
