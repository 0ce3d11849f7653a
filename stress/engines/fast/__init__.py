"""The compiled engine: the model as one numba event loop (``kernel``)."""

from stress.engines.fast.kernel import is_compiled, simulate_range, warm_up

__all__ = ["is_compiled", "simulate_range", "warm_up"]
