"""The compiled engine: the model as one numba event loop (``kernel``), with a handler
per kind of event (``handlers``), its event queue (``queue``) and its named state and
arrays (``state``)."""

from stress.model import clock, compensators, jit, rules, streams, variates  # noqa: F401  (every marked function)

jit.register_with_numba()  # before any kernel compiles: they call the model's functions

from stress.engines.fast.kernel import Workspace, is_compiled, new_workspace, reads_plan, simulate_range, warm_up

__all__ = ["Workspace", "is_compiled", "new_workspace", "reads_plan", "simulate_range", "warm_up"]
