"""A scenario's inputs as flat keys, for the report's STRESS-DES answers: every key the
scenario sets (named as ``--set`` names it), its value and its meaning, and how two
scenarios differ.

The keys come from the what-if page's controls (``stress.serve.controls``), which read
each key's meaning from the schema as the config reference does, so the three cannot
disagree.
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
    """Every key the scenario sets, in the config reference's order. Keys it omits (an
    optional delay, a table such as ``[adversary]``) are not inputs of it."""
    from stress.serve.controls import sections
    values = config.model_dump()
    out = {}
    for section in sections(config):
        if _omitted(values, section.title):
            continue
        for control in section.controls:
            # a class's or tier's name is in its key already
            if control.value is not None and not (control.kind == "fixed" and control.label == "name"):
                out[control.key] = Input(control.key, control.value, control.description)
    return out


def _omitted(values: dict[str, Any], title: str) -> bool:
    """Whether a section's table (``[adversary.payoff]``) is absent from the scenario: the
    controls show the defaults of an omitted table, which mean "not used" here."""
    if title.startswith("[["):
        return False
    node: Any = values
    for part in title.strip("[]").split("."):
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return True
    return False


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
