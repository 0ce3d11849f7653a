"""The config reference (Markdown) generated from the schema, so it cannot drift.

The README embeds it between markers; ``tests/test_readme.py`` checks they agree.
Regenerate with ``python -m stress.config.reference``.
"""

from __future__ import annotations

import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from stress.config import legacy
from stress.config.schema import TRIGGER_KEYS, BreachClass, Config

BEGIN = "<!-- config-reference:begin -->"
END = "<!-- config-reference:end -->"


def _type_name(annotation) -> str:
    text = str(annotation)
    if annotation is float:
        return "number"
    if annotation is int:
        return "integer"
    if annotation is bool:
        return "true/false"
    if annotation is str:
        return "text"
    if typing.get_origin(annotation) is typing.Literal:
        return " or ".join(f'"{a}"' for a in typing.get_args(annotation))
    args = typing.get_args(annotation)
    if float in args and any(typing.get_origin(a) is dict for a in args):
        return "number or table by class"
    if typing.get_origin(annotation) is dict or any(typing.get_origin(a) is dict for a in args):
        return "table by class"
    if typing.get_origin(annotation) is list:
        item = typing.get_args(annotation)[0]
        if typing.get_origin(item) is typing.Annotated:
            item = typing.get_args(item)[0]
        return "list of names" if item is str else "list of tables"
    args = [a for a in args if a is not type(None)]
    if args:
        return _type_name(args[0])
    return text


def type_text(field) -> str:
    """A key's type in words; a field may say it itself (``type_name``) where the
    annotation cannot (a table by tier, not by class)."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return extra.get("type_name") or _type_name(field.annotation)


def _bounds(items) -> list[str]:
    """Numeric bounds found in pydantic/annotated-types metadata, recursively."""
    parts = []
    for item in items:
        for name, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(item, name, None)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parts.append(f"{symbol} {value:g}")
        parts += _bounds(getattr(item, "metadata", ()) or ())
    return parts


def _constraint(field) -> str:
    parts = _bounds(field.metadata)
    for arg in typing.get_args(field.annotation):
        parts += _bounds(getattr(arg, "__metadata__", ()))
        for inner in typing.get_args(arg):  # dict[str, Probability]
            parts += _bounds(getattr(inner, "__metadata__", ()))
    return ", ".join(dict.fromkeys(parts))


def _default(field) -> str:
    if field.is_required():
        return "required"
    if field.default is PydanticUndefined or field.default is None:
        return "omitted"
    value = field.default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def section_model(annotation) -> type[BaseModel] | None:
    """The model of a field that is a table of its own (``Payoff | None`` -> Payoff)."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _table(title: str, model: type[BaseModel], intro: str | None = None) -> list[str]:
    """The table of ``model``'s keys, then a table of each key that is a table itself."""
    lines = [f"#### `{title}`", ""] + ([intro, ""] if intro else [])
    lines += ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    nested = []
    for name, field in model.model_fields.items():
        if name == "classes":
            continue
        inner = section_model(field.annotation)
        if inner is not None:
            nested.append((f"{title[1:-1]}.{name}", inner, field))
            continue
        lines.append(f"| `{name}` | {type_text(field)} | {_default(field)} | "
                     f"{_constraint(field)} | {field.description} |")
    lines.append("")
    for path, inner, field in nested:
        lines += _table(f"[{path}]", inner, field.description)
    return lines


def _triggers() -> list[str]:
    lines = ["Which keys each trigger takes (any other of them is an error, since it would be ignored):", "",
             "| trigger | needs | may take |", "|---|---|---|"]
    for kind, keys in TRIGGER_KEYS.items():
        lines.append(f"| `\"{kind}\"` | {', '.join(f'`{k}`' for k in keys['needs'])} | "
                     f"{', '.join(f'`{k}`' for k in keys['may']) or '-'} |")
    return lines + [""]


def _first_form() -> list[str]:
    tables = ", ".join(f"`[{t}]`" for t in legacy.TABLES)
    lines = [f"The plan's first form, the tables {tables}, is still read: they become tiers of the same names "
             "that behave exactly as before. Their keys (in files, `--set`, sweeps, `[uncertain]` and variants) "
             "set these keys of the tiers:", "", "| first form | tier key |", "|---|---|"]
    for key, target, note in legacy.key_table():
        lines.append(f"| `{key}` | `{target}`{note} |")
    return lines + [""]


def markdown() -> str:
    lines: list[str] = []
    for section, field in Config.model_fields.items():
        model = typing.get_args(field.annotation)[0] if typing.get_args(field.annotation) else field.annotation
        if section == "tiers":
            lines += _table("[[tiers]]", model) + _triggers() + _first_form()
            continue
        lines += _table(f"[{section}]", model)
        if section == "breaches":
            lines += _table("[[breaches.classes]]", BreachClass)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(markdown())
