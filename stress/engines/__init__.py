"""The engines that turn (params, seed, replication range) into records.

``simpy`` is the readable reference (``stress.engines.simpy``); ``fast`` is the
compiled event loop (``stress.engines.fast``) that reproduces it record for record.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Callable, ContextManager, Sequence

import numpy as np

from stress.errors import UsageError
from stress.model.params import Params

ENGINES = ("auto", "fast", "simpy")
# "auto" takes the SimPy engine for a job it finishes in about this long (by the
# estimate of stress.model.cost, which runs high): loading the compiled engine from its
# cache takes about 0.4 s on the project's machine, and the SimPy engine's whole command
# is as fast up to about 500 replications of the default scenario.
AUTO_SIMPY_SECONDS = 1.0


def simulate_chunk(engine: str, params: Params, seed: int, start: int, count: int,
                   workspace: Any = None) -> np.ndarray:
    """Records of replications ``start .. start + count - 1``. ``workspace`` (from
    ``new_workspace``) lets many calls in one thread share the engine's scratch arrays."""
    if engine == "fast":
        from stress.engines.fast import simulate_range
        return simulate_range(params, seed, start, count, workspace)
    if engine == "simpy":
        from stress.engines.simpy.replication import simulate
        names = [f"class {k}" for k in range(params.n_classes)]  # only traces name them
        values = np.zeros((count, params.width))
        for row in range(count):
            values[row] = simulate(params, names, seed, start + row)
        return values
    raise UsageError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def new_workspace(engine: str) -> Any:
    """Scratch space for ``simulate_chunk`` calls of ``engine`` (None where it needs none)."""
    if engine == "fast":
        from stress.engines.fast import new_workspace as fast_workspace
        return fast_workspace()
    return None


def choose(engine: str, params: list[Params], replications: int) -> str:
    """The engine to run: ``engine`` itself, or for "auto" the one that finishes first
    (both give the same records; see AUTO_SIMPY_SECONDS)."""
    if engine != "auto":
        return engine
    import sys
    if "stress.engines.fast" in sys.modules:  # loaded in this process already: nothing to wait for
        return "fast"
    from stress.model.cost import simpy_seconds
    return "simpy" if sum(simpy_seconds(p, replications) for p in params) <= AUTO_SIMPY_SECONDS else "fast"


def prepare(engine: str, params: Params | Sequence[Params],
            status: Callable[[str], ContextManager] | None = None) -> None:
    """Make the engine ready in this process before the clock starts: the compiled
    engine is loaded from its disk cache, or compiled the very first time, which takes
    a while; ``status(message)`` shows that meanwhile. A plan whose violator reads it
    needs a kernel of its own: every one that ``params`` need is made ready."""
    if engine != "fast":
        return
    from stress.engines import fast
    kernels = {}  # one params for each kernel needed
    for p in [params] if isinstance(params, Params) else params:
        kernels.setdefault(fast.reads_plan(p), p)
    for p in kernels.values():
        if fast.is_compiled(p):
            continue
        with (status or (lambda _: nullcontext()))(
                "Loading the compiled engine (the very first time it compiles: ~15 s, ~30 s with a violator that "
                "reads the plan)"):
            fast.warm_up(p)
