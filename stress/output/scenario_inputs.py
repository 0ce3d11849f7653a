"""A scenario's inputs as flat keys, for the report's STRESS-DES answers: every key the
scenario sets (named as ``--set`` names it), its value and its meaning, and how two
scenarios differ.

The keys and their meanings come from the schema, as the config reference's and the
what-if page's do, so they cannot disagree.
"""

from __future__ import annotations

import tomllib
from typing import Any, NamedTuple

from stress.config.schema import Config
from stress.config.toml import _value as toml_value


class Input(NamedTuple):
    key: str            # tiers.tier2.threshold, breaches.classes.major.probability
    value: Any
    meaning: str


def read_config(text: str, name: str) -> Config:
    """The scenario a result folder holds (``UserError`` if this version cannot read it)."""
    from stress.config.loading import ConfigError, validate
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    return validate(raw, name)


def inputs(config: Config) -> dict[str, Input]:
    """Every key the scenario sets (``stress.config.keys.assignments``)."""
    from stress.config.keys import assignments
    return {key: Input(key, value, meaning) for key, value, meaning in assignments(config)}


def shown(value: Any) -> str:
    """A value as a scenario file writes it."""
    return toml_value(value)


def differences(base: Config, other: Config) -> list[tuple[str, str, str]]:
    """(key, value in ``base``, value in ``other``) for every key that differs, "omitted"
    where one of them does not set it."""
    a, b = inputs(base), inputs(other)
    keys = list(a) + [k for k in b if k not in a]
    return [(k, shown(a[k].value) if k in a else "omitted", shown(b[k].value) if k in b else "omitted")
            for k in keys if (a[k].value if k in a else None) != (b[k].value if k in b else None)]
