"""Dotted config keys (``tiers.tier2.threshold``, or ``tier2.threshold`` in the plan's
first form), as ``--set``, sweeps and ``[uncertain]`` name them."""

from __future__ import annotations

import functools
import types
import typing
from typing import Any, Iterable

from pydantic import BaseModel

from stress.config import legacy
from stress.config.schema import Config
from stress.errors import UsageError


def refuse_repeated(keys: Iterable[str], option: str) -> None:
    """Each key once per option: a second --grid (--set, --uncertain, ...) of a key
    would silently replace the first."""
    seen: dict[str, str] = {}
    for key in keys:
        same = canonical(key)  # two spellings of one key are one key
        if same in seen:
            if seen[same] == key:
                raise UsageError(f"{option}: {key} is given twice; give each key once")
            raise UsageError(f"{option}: {seen[same]} and {key} name one key; give it once")
        seen[same] = key


def canonical(key: str) -> str:
    """The key in today's form: two spellings of one key compare equal after this
    (``tier2.deployment_delay_hours``, ``tiers.tier2.arrival_delay_hours``; ``sanctions.threshold``,
    ``tiers.sanctions.threshold``)."""
    head = key.split(".", 1)[0]
    if head in legacy.TABLES:
        return legacy.canonical(key)
    if head in Config.model_fields or head in ("sweep", "uncertain"):
        return key
    return f"tiers.{key}"


@functools.lru_cache(maxsize=None)
def field_type(key: str) -> Any:
    """The type of a dotted config key's values, ``Optional`` and constraints taken off
    (None where it is not a fixed field). A list's item is named by its index or name
    (``tiers.tier2.threshold``, ``breaches.classes.major.severity``)."""
    model: Any = Config
    annotation = None
    in_list = False
    for part in canonical(key).split("."):
        if in_list:  # the item's name or index
            in_list = False
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return None
        annotation = _bare(fields[part].annotation)
        in_list = typing.get_origin(annotation) is list
        inner = typing.get_args(annotation)[0] if in_list else annotation
        model = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
    return annotation


def _bare(annotation: Any) -> Any:
    """``Annotated[int, ...] | None`` -> ``int``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def assignments(config: Config) -> list[tuple[str, Any, str]]:
    """Every key a scenario sets, named as ``--set`` names it (list items by their name:
    ``tiers.tier2.threshold``, ``breaches.classes.major.probability``; a table by class
    or tier a key per entry), with its value and the schema's description of it. Keys
    left out (an optional delay, a table such as ``[adversary]``) are not among them."""
    out: list[tuple[str, Any, str]] = []

    def walk(prefix: str, node: BaseModel, listed: bool = False) -> None:
        for name, field in type(node).model_fields.items():
            value, key = getattr(node, name), f"{prefix}{name}"
            if value is None or (listed and name == "name"):  # a list item's name is in its key
                continue
            if isinstance(value, BaseModel):
                walk(f"{key}.", value)
            elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
                for item in value:
                    walk(f"{key}.{item.name}.", item, listed=True)
            elif isinstance(value, dict):
                out.extend((f"{key}.{entry}", v, field.description or "") for entry, v in value.items())
            else:
                out.append((key, value, field.description or ""))

    walk("", config)
    return out
