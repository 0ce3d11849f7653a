"""What a job will cost, estimated from its parameters before anything runs."""

from __future__ import annotations

import math

from stress.model import clock
from stress.model.params import Params

# SimPy engine, one core of the project's machine: about 0.84 ms per replication plus
# 21 us per expected breach (default scenario 1.78 ms per replication with 44.7 expected
# breaches, configs/high-intensity.toml 38.6 ms with 1,770; measured 2026-11-30). Only
# the ratio to the compiled engine's load time matters (engines.AUTO_SIMPY_SECONDS).
SIMPY_SECONDS_PER_REPLICATION = 0.84e-3
SIMPY_SECONDS_PER_BREACH = 21e-6


def expected_breaches(params: Params) -> float:
    """Expected breaches in one replication without feedback (m(t) = 1): a Hawkes
    process that starts with no excitation has E N(T) = mu T / (1 - a)
    - mu a (1 - exp(-b (1 - a) T)) / (b (1 - a)^2)."""
    k, horizon = params.clock, params.horizon
    mu, alpha, beta = k[clock.MU], k[clock.ALPHA], k[clock.BETA]
    if alpha == 0.0:
        return mu * horizon
    settle = beta * (1.0 - alpha)
    return mu * horizon / (1.0 - alpha) - mu * alpha * -math.expm1(-settle * horizon) / (settle * (1.0 - alpha))


def simpy_seconds(params: Params, replications: int) -> float:
    """Rough CPU seconds of ``replications`` on the SimPy engine."""
    per_replication = SIMPY_SECONDS_PER_REPLICATION + SIMPY_SECONDS_PER_BREACH * (
        expected_breaches(params) + params.false_rate * params.horizon)
    return replications * per_replication
