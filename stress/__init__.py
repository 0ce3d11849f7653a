"""stress: Monte Carlo stress-testing of tiered responses to ceasefire violations.

The public names below are imported on first use, so ``import stress`` (and the
command line's ``--help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Type checkers and IDEs read these; at run time the names below are imported lazily.
if TYPE_CHECKING:
    from stress.api import (adversary, as_config, calibrate, compare, discover, explore, optimize, resume, robust,
                            run, sensitivity, sweep, trace)
    from stress.jobs.run import RunResult
    from stress.config.loading import ConfigError, load_config
    from stress.config.schema import Config, Tier
    from stress.output.plots import plot
    from stress.output.reports import report
    from stress.output.tables import export
    from stress.statistics.summary import RunSummary
    from stress.output.listing import results
    from stress.storage.reading import load_result

_EXPORTS = {
    "Config": "stress.config.schema",
    "Tier": "stress.config.schema",
    "ConfigError": "stress.config.loading",
    "load_config": "stress.config.loading",
    "RunResult": "stress.jobs.run",
    "as_config": "stress.api",
    "resume": "stress.api",
    "run": "stress.api",
    "trace": "stress.api",
    "sweep": "stress.api",
    "compare": "stress.api",
    "calibrate": "stress.api",
    "explore": "stress.api",
    "sensitivity": "stress.api",
    "discover": "stress.api",
    "robust": "stress.api",
    "adversary": "stress.api",
    "optimize": "stress.api",
    "RunSummary": "stress.statistics.summary",
    "load_result": "stress.storage.reading",
    "results": "stress.output.listing",
    "export": "stress.output.tables",
    "plot": "stress.output.plots",
    "report": "stress.output.reports",
}

# Written out for type checkers; a test keeps it equal to the exports.
__all__ = ["Config", "ConfigError", "RunResult", "RunSummary", "Tier", "adversary", "as_config", "calibrate",
           "compare", "discover", "explore", "export", "load_config", "load_result", "optimize", "plot", "report",
           "results", "resume", "robust", "run", "sensitivity", "sweep", "trace"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'stress' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
