"""Component 2: the monitoring mission.

Each breach is detected with its class's probability, verified after a lognormal
delay and attributed with some probability; only verified, attributed reports reach
the policy. False reports arrive as their own Poisson process and are verified like
real ones. The detection stream draws three numbers for every breach, used or not,
so a change of one probability does not shift the luck of later breaches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generator

import simpy

from stress.model.rules import NO_OBJECTIVE
from stress.model.variates import categorical, exponential, lognormal

if TYPE_CHECKING:
    from stress.engines.simpy.replication import Replication


def observe(rep: "Replication", t: float, breach_class: int, u_objective: float, detection) -> None:
    """The monitors' view of a breach at ``t``: maybe a verified report later.
    ``detection``: the three uniforms its clock drew for it (detected, delay, attributed)."""
    p = rep.params
    u_detected, u_delay, u_attributed = detection
    detected = u_detected < p.detection[breach_class]
    attributed = u_attributed < p.attribution
    if detected:
        rep.count("detected")
    if detected and attributed:
        due = t + lognormal(u_delay, p.delay_median, p.delay_spread)
        rep.schedule(due, rep.policy.on_report, breach_class, False, t, u_objective)
    rep.log(t, "breach", f"{rep.class_names[breach_class]} breach"
            + ("" if detected else ", not detected")
            + (f", report due at {due:.2f} h" if detected and attributed else "")
            + (", not attributed" if detected and not attributed else ""))


def false_reporter(env: simpy.Environment, rep: "Replication") -> Generator:
    """The SimPy process of false reports (misattributed or staged incidents)."""
    p = rep.params
    draw = rep.draw_false
    if p.false_rate == 0.0:
        return
    cumulative = p.false_class_cumulative.tolist()  # Python floats compare faster than numpy's
    t = exponential(draw()) / p.false_rate
    while t < p.horizon:
        yield env.timeout(max(t - env.now, 0.0))
        report_class = categorical(draw(), cumulative)
        delay = lognormal(draw(), p.delay_median, p.delay_spread)
        rep.log(t, "false incident", f"{rep.class_names[report_class]} false incident, report due at {t + delay:.2f} h")
        rep.schedule(t + delay, rep.policy.on_report, report_class, True, t, NO_OBJECTIVE)
        t += exponential(draw()) / p.false_rate
