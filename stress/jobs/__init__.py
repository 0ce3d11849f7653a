"""Kinds of job, each a small module on the one pipeline (``stress.jobs.pipeline``)."""

from __future__ import annotations

from importlib import import_module

# kind -> module and class; imported when a job of that kind is resumed
_KINDS = {"run": ("stress.jobs.run", "RunJob"), "sweep": ("stress.jobs.sweep", "SweepJob"),
          "compare": ("stress.jobs.compare", "CompareJob"), "explore": ("stress.jobs.explore", "ExploreJob"),
          "sensitivity": ("stress.jobs.sensitivity", "SensitivityJob"), "robust": ("stress.jobs.robust", "RobustJob"),
          "optimize": ("stress.jobs.optimize", "OptimizeJob")}
KINDS = tuple(_KINDS)


def job_class(kind: str):
    module, name = _KINDS[kind]
    return getattr(import_module(module), name)


def all_kinds() -> dict:
    return {kind: job_class(kind) for kind in _KINDS}
