"""Writing a validated scenario back out as TOML (the resolved config of a run)."""

from __future__ import annotations

import json
from typing import Any

from stress.config.schema import Config


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):  # a list of names ([adversary.threshold] tiers)
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps(config: Config) -> str:
    lines: list[str] = []
    for section, body in config.model_dump(exclude_none=True).items():
        if isinstance(body, list):  # an array of tables: the plan's [[tiers]]
            for item in body:
                lines.append(f"[[{section}]]")
                lines += [f"{k} = {_value(v)}" for k, v in item.items()]
                lines.append("")
            continue
        tables = {k: v for k, v in body.items() if isinstance(v, list)}
        lines.append(f"[{section}]")
        lines += [f"{k} = {_value(v)}" for k, v in body.items() if k not in tables]
        lines.append("")
        for key, items in tables.items():
            for item in items:
                lines.append(f"[[{section}.{key}]]")
                lines += [f"{k} = {_value(v)}" for k, v in item.items()]
                lines.append("")
    return "\n".join(lines)
