"""The engines that turn (params, seed, replication range) into records.

``simpy`` is the readable reference (stress.model); ``fast`` is the compiled event
loop (stress.engines.fast) that reproduces it record for record.
"""

from __future__ import annotations

import numpy as np

from stress.model import records
from stress.model.params import Params

ENGINES = ("fast", "simpy")


def simulate_chunk(engine: str, params: Params, class_names: list[str], seed: int,
                   start: int, count: int) -> np.ndarray:
    """Records of replications ``start .. start + count - 1``."""
    if engine == "simpy":
        from stress.engines.simpy.replication import simulate
        values = records.empty(count, len(class_names))
        for row in range(count):
            values[row] = simulate(params, class_names, seed, start + row)
        return values
    if engine == "fast":
        from stress.engines.fast import simulate_range
        return simulate_range(params, len(class_names), seed, start, count)
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
