"""stress: Monte Carlo stress-testing of tiered responses to ceasefire violations."""

from stress.api import RunResult, as_config, resume, run, trace
from stress.config.loading import ConfigError, load_config
from stress.config.schema import Config
from stress.summary import RunSummary

__all__ = ["Config", "ConfigError", "RunResult", "RunSummary", "as_config", "load_config", "resume", "run",
           "trace"]
