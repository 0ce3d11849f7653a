"""The output of the kinds of result beyond run, sweep and compare.

Each such kind is one module with the same functions, so a new kind touches no
generic code: ``title(view)``, ``reading(view)`` (plain-language sentences),
``headline(view)`` (one line for ``stress results``), ``table(view, metrics)`` (a
``tables.ResultTable``), ``brief(view)`` (the statistics text formats show by default),
``figures(view)`` (name -> matplotlib Figure) and ``render(console, view)``. What a
study of the kind did, for the report's STRESS-DES answers, is its function in
``stress.output.designs``.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

_MODULES = {"calibration": "stress.output.calibration", "explore": "stress.output.explore",
            "sensitivity": "stress.output.sensitivity", "discover": "stress.output.discover",
            "robust": "stress.output.robust", "adversary": "stress.output.adversary"}


def module_for(kind: str) -> ModuleType | None:
    """The output module of ``kind``, or None for run, sweep and compare."""
    name = _MODULES.get(kind)
    return import_module(name) if name is not None else None
