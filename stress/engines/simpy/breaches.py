"""Component 1: the violator's breach process, as a SimPy process.

The process itself is exact simulation by random time change (``stress.model.clock``,
shared with the fast engine): no clock ticking, no thinning. What a violator that reads
the plan does with a breach its clock brings is its mind's (``adversary.Violator``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generator

import simpy

from stress.model import clock
from stress.model.variates import categorical, exponential

if TYPE_CHECKING:
    from stress.engines.simpy.replication import Replication


def violator(env: simpy.Environment, rep: "Replication") -> Generator:
    """Waits for the next breach, commits it and hands it to the monitors. An
    interrupt means a response changed the breach rate: plan again."""
    p = rep.params
    state = rep.clock
    draw = rep.draw_breach
    cumulative = rep.mind.cumulative  # its class mix (shifted, for a violator that games the monitors)
    while True:
        t, source = clock.next_breach(state, p.clock)
        try:
            # Past the horizon nothing happens unless a change of the rate pulls the
            # next breach forward, so then wait for an interrupt only.
            yield env.timeout(max(t - env.now, 0.0)) if t < p.horizon else env.event()
        except simpy.Interrupt:
            continue
        breach_class = categorical(draw(), cumulative)
        u_objective = draw()  # how long this attack would need to reach its objective
        fresh = exponential(draw())
        if rep.mind.multiplier != 1.0 and source == clock.BASELINE:
            fresh /= rep.mind.multiplier  # a bolder violator's baseline clock (clock.embolden)
        rep.clock_ran_out(t, source, breach_class, u_objective, fresh)
