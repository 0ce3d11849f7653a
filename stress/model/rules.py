"""The response rules' small pure functions, shared by both engines.

The SimPy policy (``stress.engines.simpy.policy``) calls them as plain Python; the
fast engine compiles them in (``register_jitable``), so a rule is written once.
"""

from __future__ import annotations

import math

from numba.extending import register_jitable

from stress.model.variates import INF, exponential, lognormal

# Stands in for the objective draw of a false report: no attack, no objective.
NO_OBJECTIVE = -1.0


@register_jitable
def tier3_times(t_report: float, t_incident: float, delay: float, from_incident: bool,
                stand_down_per_hour: float, u_stand_down: float, u_objective: float,
                objective_median: float, objective_spread: float):
    """When a decided tier-3 response would start, when the violator would stand
    down, and when the triggering attack would reach its objective.

    The response starts ``delay`` after the incident (or after the report, for the
    variant), never before the report itself; the stand-down clock starts at the
    report, when the response is announced. A negative ``u_objective`` marks a false
    report: no attack, no objective."""
    base = t_incident if from_incident else t_report
    start = max(base + delay, t_report)
    stand_down = INF if stand_down_per_hour == 0.0 else t_report + exponential(u_stand_down) / stand_down_per_hour
    objective = INF if u_objective < 0.0 else t_incident + lognormal(u_objective, objective_median, objective_spread)
    return start, stand_down, objective


@register_jitable
def capped_multiplier(m: float, factor: float, cap: float) -> float:
    """The violator's multiplier after a response with ``factor`` takes effect."""
    return min(m * factor, cap)
