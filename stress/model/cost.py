"""What a job will cost, estimated from its parameters before anything runs, and the
limits that keep a runaway config from occupying the machine.

A job whose estimate exceeds its budget is refused before it starts, with the
estimate and the option that raises the limit; inside a replication, a cap on the
number of breaches stops what no estimate foresaw (a provocation spiral, an
excitation shorter than the clock's resolution) with an error naming the config
values responsible.
"""

from __future__ import annotations

import math

from stress.errors import BudgetExceeded, UserError

# SimPy engine, one core of the project's machine: about 0.84 ms per replication plus
# 21 us per expected breach (default scenario 1.78 ms per replication with 44.7 expected
# breaches, configs/high-intensity.toml 38.6 ms with 1,770; measured 2026-11-30).
SIMPY_SECONDS_PER_REPLICATION = 0.84e-3
SIMPY_SECONDS_PER_BREACH = 21e-6
# The compiled engine on the same machine: 8.2 us per replication of the default
# scenario, 132 us of the high-intensity one.
FAST_SECONDS_PER_REPLICATION = 5e-6
FAST_SECONDS_PER_BREACH = 0.073e-6
# A job is refused above this many hours of CPU unless told (--budget).
DEFAULT_BUDGET_HOURS = 4.0
# A replication is stopped beyond this many breaches, or beyond this many times the
# breaches expected without feedback if that is more ...
BREACH_CAP = 100_000
BREACH_CAP_FACTOR = 100.0
# ... or beyond this many breaches at one clock reading: a continuous-time process
# never does that, a decay below the clock's resolution does (endlessly).
SAME_INSTANT_CAP = 1000


def expected_count(mu: float, alpha: float, beta: float, horizon: float) -> float:
    """Expected breaches over (0, horizon] of a Hawkes process with exponential kernel,
    baseline ``mu`` (per hour), branching ratio ``alpha`` and decay rate ``beta``, that
    starts with no excitation: mu T / (1 - a) - mu a (1 - exp(-b (1 - a) T)) / (b (1 - a)^2)."""
    if alpha == 0.0:
        return mu * horizon
    settle = beta * (1.0 - alpha)
    return mu * horizon / (1.0 - alpha) - mu * alpha * -math.expm1(-settle * horizon) / (settle * (1.0 - alpha))


def breach_cap(expected: float) -> float:
    # Always a float: the compiled kernel is typed on its params, and an int here for
    # light scenarios but a float for heavy ones compiled it twice.
    return float(max(BREACH_CAP, BREACH_CAP_FACTOR * expected))


def expected_breaches(params) -> float:
    """Expected breaches in one replication of ``params`` without feedback (m(t) = 1)."""
    from stress.model import clock
    k = params.clock
    return expected_count(k[clock.MU], k[clock.ALPHA], k[clock.BETA], params.horizon)


def seconds(params, replications: int, engine: str) -> float:
    """Rough CPU seconds of ``replications`` of ``params`` on ``engine``."""
    events = expected_breaches(params) + params.false_rate * params.horizon
    if engine == "simpy":
        return replications * (SIMPY_SECONDS_PER_REPLICATION + SIMPY_SECONDS_PER_BREACH * events)
    return replications * (FAST_SECONDS_PER_REPLICATION + FAST_SECONDS_PER_BREACH * events)


def simpy_seconds(params, replications: int) -> float:
    return seconds(params, replications, "simpy")


def check_budget(params: list, replications: int, engine: str, budget_hours: float | None, what: str) -> None:
    """Refuse a job expected to take more CPU than ``budget_hours`` (default
    DEFAULT_BUDGET_HOURS), before anything runs."""
    budget = DEFAULT_BUDGET_HOURS if budget_hours is None else budget_hours
    costs = [seconds(p, replications, engine) for p in params]
    total = sum(costs)
    if total <= budget * 3600.0:
        return
    worst = params[max(range(len(params)), key=costs.__getitem__)]
    size = f"{replications:,} replication{'s' if replications != 1 else ''}" if len(params) == 1 else \
        f"{len(params):,} points x {replications:,} replications"
    check_seconds(total, budget_hours, what, f"{size}, up to {expected_breaches(worst):.3g} expected breaches "
                                             f"each ({_describe(worst)})")


def check_seconds(total: float, budget_hours: float | None, what: str, why: str) -> None:
    """Refuse work estimated at ``total`` CPU seconds (``why``: what makes it so) over
    ``budget_hours`` (default DEFAULT_BUDGET_HOURS): every command that computes goes
    through here."""
    budget = DEFAULT_BUDGET_HOURS if budget_hours is None else budget_hours
    if total <= budget * 3600.0:
        return
    raise BudgetExceeded(f"this {what} would take about {_hours(total)} of CPU: {why}; the limit is {budget:g} hours",
                         "If you mean it, raise the limit with --budget HOURS (budget= in Python)")


# A trace keeps and prints every event of its replication (about 2.5 per breach, over
# 1 KB each in memory, 0.8 ms each in a table): it audits a replication of a plausible
# scenario, not one of millions of breaches. Refused above this many expected breaches,
# stopped above BREACH_CAP actual ones (a provocation spiral).
TRACE_BREACHES = 10_000


def check_trace(params, budget_hours: float | None = None):
    """Refuse a trace over the budget or too long to keep and print; returns ``params``
    with the trace's own cap on the breaches of its replication."""
    expected = expected_breaches(params)
    if expected > TRACE_BREACHES:
        raise BudgetExceeded(f"this trace would list about {expected:.3g} breaches of one replication "
                             f"({_describe(params)}); a trace lists at most {TRACE_BREACHES:,}",
                             "Shorten scenario.horizon_days or lower the breach rate, or use stress run "
                             "for the statistics of such a scenario")
    check_budget([params], 1, "simpy", budget_hours, "trace")
    return params._replace(max_breaches=float(min(params.max_breaches, BREACH_CAP)))


def _hours(seconds_: float) -> str:
    hours = seconds_ / 3600.0
    return f"{hours:.3g} hours" if hours < 1e6 else f"{hours:.2e} hours"


def _describe(params) -> str:
    """The config values that set the breach count."""
    from stress.model import clock
    k = params.clock
    return (f"scenario.horizon_days = {params.horizon / 24.0:g}, breaches.baseline_per_day = {k[clock.MU] * 24.0:g}, "
            f"breaches.self_excitation = {k[clock.ALPHA]:g}")


class RunawayReplication(UserError):
    """A replication grew beyond any plausible size and was stopped."""


def runaway(params, replication: int, seed: int) -> RunawayReplication:
    """The error for a replication stopped at its breach cap, naming the likely cause."""
    from stress.model import clock
    k = params.clock
    expected = expected_breaches(params)
    causes = []
    from stress.model.plan import RATE_FACTOR
    provoking = [f"the plan's tier {j + 1} has rate_factor = {f:g}"
                 for j, f in enumerate(params.tier_floats[:, RATE_FACTOR].tolist()) if f > 1.0]
    if provoking:
        causes.append(f"the responses provoke ({'; '.join(provoking)} > 1, up to feedback.max_multiplier = "
                      f"{k[clock.CAP]:g})")
    decay_hours = k[clock.INV_BETA]
    if decay_hours * 1e9 < params.horizon:
        causes.append(f"breaches.decay_hours = {decay_hours:g} is too short for the clock's resolution over "
                      f"scenario.horizon_days = {params.horizon / 24.0:g}")
    causes.append(_describe(params))
    return RunawayReplication(
        f"replication {replication} (seed {seed}) ran away and was stopped (over {params.max_breaches:,.0f} "
        f"breaches, against about {expected:.3g} expected without feedback, or over {SAME_INSTANT_CAP:,} at one "
        f"instant): {'; '.join(causes)}")
