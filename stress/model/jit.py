"""Marking the model's small functions for the compiled engine without importing numba.

The shared functions (``variates``, ``compensators``, ``clock``, ``streams``, ``rules``)
are plain Python for the SimPy engine. ``@jitable`` only records them; the compiled
engine calls ``register_with_numba`` when it loads, which makes numba compile them into
its kernels (``numba.extending.register_jitable``, applied late). So a run on the SimPy
engine never imports numba, which costs a second of start-up.
"""

from __future__ import annotations

from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)

_JITABLE: list[Callable] = []
_registered = 0


def jitable(fn: F) -> F:
    """Mark ``fn`` for compilation into the fast engine; returns it unchanged."""
    _JITABLE.append(fn)
    return fn


def register_with_numba() -> None:
    """Register every marked function with numba (idempotent)."""
    global _registered
    from numba.extending import register_jitable
    for fn in _JITABLE[_registered:]:
        register_jitable(fn)
    _registered = len(_JITABLE)
