"""Calibrating the breach process to event data: the library behind ``stress
calibrate``.

``calibrate`` reads an event log (or counts per period), fits a Poisson and a Hawkes
process by maximum likelihood, tests and checks them, validates them on a later
period, and writes the fit into a scenario. Modules, one concept each:

- ``reading``, ``selection``, ``events``, ``counts``, ``dataset``: the data
- ``classes``: class probabilities from a severity column
- ``likelihood``, ``fit``, ``profile``, ``hawkes``, ``bootstrap``: estimation and tests
- ``simulate``: the fitted process, run on the engines' breach clock
- ``goodness``, ``predictive``: checks of the fit and out-of-sample validation
- ``scenario``, ``notes``, ``result``, ``plots``: what comes out

Public names are imported on first use, so importing the package stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "calibrate": "stress.calibration.api",
    "CalibrationResult": "stress.calibration.result",
    "ClassSpec": "stress.calibration.classes",
    "parse_classes": "stress.calibration.classes",
    "parse_where": "stress.calibration.selection",
    "example_path": "stress.calibration.reading",
    "DONBAS_DYADS": "stress.calibration.reading",
    "figures": "stress.calibration.plots",
    "simulate_times": "stress.calibration.simulate",
    "simulate_counts": "stress.calibration.simulate",
    "fit_hawkes_events": "stress.calibration.hawkes",
    "fit_hawkes_counts": "stress.calibration.hawkes",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'stress.calibration' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
