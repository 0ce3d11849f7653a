"""Loading scenarios: TOML file -> overrides -> validated ``Config``.

Every problem becomes one ``ConfigError`` whose message names the source (file or
``--set``), the key path, the offending value and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, NamedTuple

from pydantic import BaseModel, ValidationError

from stress.config import legacy
from stress.config.keys import refuse_repeated
from stress.config.schema import FieldProblem, Config
from stress.errors import UserError

DEFAULT_SCENARIO = "ceasefire.toml"
# Tables of a scenario file that define a study over the scenario, not the scenario.
STUDY_TABLES = ("sweep", "uncertain")


class ConfigError(UserError):
    """A scenario that cannot be used; the message says where and why."""


class Scenario(NamedTuple):
    """A scenario as loaded: its raw TOML (overrides applied, any ``[sweep]`` table
    dropped), where it came from, and the validated config."""
    raw: dict[str, Any]
    source: str
    config: Config
    overridden: tuple[str, ...] = ()

    def with_values(self, assignments: Iterable[tuple[str, Any]], label: str = "", via: str = "--set") -> Config:
        """The scenario with more keys set (a sweep point, a variant), validated;
        ``label`` says which in a message, ``via`` how the keys were set."""
        assignments = list(assignments)
        try:
            return validate(apply_overrides(self.raw, assignments, self.source), self.source,
                            [*self.overridden, *(key for key, _ in assignments)], via)
        except ConfigError as exc:
            raise ConfigError(f"{label}: {exc}" if label else str(exc)) from None


def default_config_text() -> str:
    """The TOML text of the default scenario shipped inside the package."""
    return resources.files("stress.scenarios").joinpath(DEFAULT_SCENARIO).read_text(encoding="utf-8")


def read_raw(path: str | Path | None) -> tuple[dict[str, Any], str]:
    """The parsed TOML of ``path`` (None: the packaged default) and a name for messages."""
    if path is None:
        return tomllib.loads(default_config_text()), f"<default {DEFAULT_SCENARIO}>"
    source = str(path)
    try:
        # utf-8-sig: a byte-order mark (some Windows editors write one) is not TOML, and
        # tomllib's "Invalid statement (line 1, column 1)" would not say so
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a folder, expected a TOML scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot be read ({exc})") from None
    try:
        return tomllib.loads(text), source
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None


def parse_assignment(text: str) -> tuple[str, Any]:
    """``'tier2.threshold=4'`` -> ``('tier2.threshold', 4)``; values are TOML values,
    and a bare word that is not one is taken as a string."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, for example tier2.threshold=4")
    try:
        return key, tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        if value and all(ch.isalnum() or ch in "_-" for ch in value):
            return key, value
        raise ConfigError(f"--set {text!r}: {value!r} is not a valid value (numbers, true/false, \"text\")") from None


def apply_overrides(raw: dict[str, Any], assignments: Iterable[tuple[str, Any]],
                    source: str = "<scenario>") -> dict[str, Any]:
    """A copy of ``raw`` with each dotted key set. List items are addressed by index
    or, for tables with a ``name``, by that name (``breaches.classes.major.probability``,
    ``tiers.tier2.threshold``). A key of the plan's first form (``tier2.threshold``)
    sets what it means on a plan of tiers, and a key of today's form turns a plan in
    the first form into tiers first (``stress.config.legacy``); ``<tier>.<field>``
    is short for ``tiers.<tier>.<field>``. Only the tables and
    lists on a key's path are copied (``raw`` is left as it is, and a sweep of 10,000
    points does not copy the whole scenario 10,000 times)."""
    raw = dict(raw)
    for key, value in assignments:
        head = key.split(".", 1)[0]
        if legacy.is_legacy(raw):
            if head != "tiers":  # the first form's keys set its tables, as they always did
                raw = _set(raw, key, value, source=source)
                continue
            raw = _translated(raw, source)
        if head not in SECTIONS and _tier_named(raw, head):
            try:
                assignments_ = tier_assignments(key, value, raw.get("tiers"))
            except FieldProblem as exc:
                raise ConfigError(f"{source}, --set {key}: {exc.key} = {_show(exc.value)}: {exc}") from None
            for target, target_value in assignments_:
                raw = _set(raw, target, target_value, shown=key, source=source)
        else:
            raw = _set(raw, key, value, source=source)
    return raw


# The top-level tables of a scenario; any other first part of a key names a tier.
SECTIONS = (*Config.model_fields, *STUDY_TABLES)


def _tier_named(raw: dict[str, Any], name: str) -> bool:
    tiers = raw.get("tiers")
    return isinstance(tiers, list) and any(isinstance(t, dict) and t.get("name") == name for t in tiers)


def tier_assignments(key: str, value: Any, tiers: list[Any]) -> list[tuple[str, Any]]:
    """``<tier>.<field>`` is short for ``tiers.<tier>.<field>``; for the first form's
    tiers its keys keep their meaning (``stress.config.legacy``)."""
    if legacy.is_alias(key):
        return legacy.alias(key, value, tiers)
    return [(f"tiers.{key}", value)]


def _set(raw: dict[str, Any], key: str, value: Any, shown: str | None = None,
         source: str = "<scenario>") -> dict[str, Any]:
    """``raw`` (a copy the caller owns) with one dotted key set; ``shown`` is the key as
    the user gave it, for messages, ``source`` the scenario's file."""
    shown = shown or key
    node: Any = raw
    parts = key.split(".")
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            index = _list_index(node, part)
            if index is None:
                raise ConfigError(f"{source}, --set {shown}: no item {part!r} in {'.'.join(parts[:depth])}"
                                  + _items_named(node))
            if last:
                node[index] = _own(value)
            else:
                node[index] = node = _copied(node[index])
        elif isinstance(node, dict):
            if last:
                node[part] = _own(value)
            else:
                node[part] = node = _copied(node.get(part, {}))
        else:
            raise ConfigError(f"{source}, --set {shown}: {'.'.join(parts[:depth])} is a value, not a table, so {where} "
                              f"cannot be set")
    return raw


def _items_named(items: list[Any]) -> str:
    names = [str(item["name"]) for item in items if isinstance(item, dict) and "name" in item]
    return f" (items: {', '.join(names)})" if names else ""


def _own(value: Any) -> Any:
    """A value to store in the raw scenario: a copy if it is a table or list."""
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def _copied(node: Any) -> Any:
    """A shallow copy of a table or list on an override's path (the caller's raw
    scenario stays as it was)."""
    if isinstance(node, dict):
        return dict(node)
    if isinstance(node, list):
        return list(node)
    return node


def _list_index(items: list[Any], part: str) -> int | None:
    if part.isdigit():
        return int(part) if int(part) < len(items) else None
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    return None


def validate(raw: dict[str, Any], source: str, overridden: Iterable[str] = (), via: str = "--set") -> Config:
    """Validate a raw scenario; the first problem becomes a ``ConfigError``. A plan in
    the first form (three fixed tables, ``stress.config.legacy``) is validated as such
    and translated."""
    if legacy.is_legacy(raw):
        raw = _translated(raw, source, overridden, via)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, raw, source, set(overridden), via)) from None


def _translated(raw: dict[str, Any], source: str, overridden: Iterable[str] = (), via: str = "--set") -> dict[str, Any]:
    """A scenario in the plan's first form, validated with that form's messages, in today's form."""
    if "tiers" in raw:
        raise ConfigError(f"{source}: tiers: a plan is either [[tiers]] tables or the older "
                          f"{', '.join(f'[{t}]' for t in legacy.TABLES)} tables, not both")
    try:
        old = legacy.LegacyConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, raw, source, set(overridden), via, legacy.LegacyConfig)) from None
    return legacy.translate(old)


def load_scenario(path: str | Path | None = None, overrides: Iterable[str] = ()) -> Scenario:
    """Load a scenario file (None: the packaged default) with ``--set`` style overrides."""
    raw, source = read_raw(path)
    for study in STUDY_TABLES:  # definitions of studies ride along in a scenario file
        raw.pop(study, None)
    assignments = [parse_assignment(o) for o in overrides]
    refuse_repeated([key for key, _ in assignments], "--set")
    raw = apply_overrides(raw, assignments, source)
    keys = tuple(key for key, _ in assignments)
    return Scenario(raw, source, validate(raw, source, keys), keys)


def file_table(path: str | Path | None, name: str) -> Any:
    """A study table (``[sweep]``, ``[uncertain]``) of a scenario file, or None."""
    if path is None:
        return None
    raw, _ = read_raw(path)
    return raw.get(name)


def scenario_of(config: Config, overrides: Iterable[str] = (), source: str = "<config>") -> Scenario:
    """A config object as a scenario, with ``--set`` style overrides."""
    assignments = [parse_assignment(o) for o in overrides]
    refuse_repeated([key for key, _ in assignments], "--set")
    raw = apply_overrides(config.model_dump(exclude_none=True), assignments)
    keys = tuple(key for key, _ in assignments)
    return Scenario(raw, source, validate(raw, source, keys) if assignments else config, keys)


def load_config(path: str | Path | None = None, overrides: Iterable[str] = ()) -> Config:
    """Load a scenario file (None: the packaged default) with ``--set`` style overrides."""
    return load_scenario(path, overrides).config


# --- messages ---------------------------------------------------------------

def _describe(exc: ValidationError, raw: dict[str, Any], source: str, overridden: set[str], via: str,
              model: type[BaseModel] = Config) -> str:
    lines = []
    for error in exc.errors():
        if _in_other_union_branch(raw, error["loc"]):
            continue
        lines.append(_describe_one(error, raw, source, overridden, via, model))
    # One message per distinct problem, first problem first.
    return "\n".join(dict.fromkeys(lines))


def _describe_one(error: dict[str, Any], raw: dict[str, Any], source: str, overridden: set[str], via: str,
                  model: type[BaseModel]) -> str:
    loc = [str(p) for p in error["loc"]]
    original = (error.get("ctx") or {}).get("error")
    if isinstance(original, FieldProblem):
        key = original.key
        value = original.value
        message = str(original)
    else:
        key = ".".join(_readable_loc(raw, error["loc"]))
        value = error.get("input")
        message = _rule(error, loc)
    related = [k for k in overridden if _related(legacy.canonical(k), key) or _related(k, key)]
    origin = f"{source}, {via} {related[0]}" if related else source
    if error["type"] == "missing":
        return f"{origin}: {key}: required key is missing"
    if error["type"] == "extra_forbidden":
        return f"{origin}: {key}: unknown key{_suggestion(loc, model)}"
    if value is None:
        return f"{origin}: {key or '(top level)'}: {message}"
    return f"{origin}: {key or '(top level)'} = {_show(value)}: {message}"


def _related(overridden: str, key: str) -> bool:
    return overridden == key or overridden.startswith(key + ".") or key.startswith(overridden + ".")


def _in_other_union_branch(raw: Any, loc: tuple[Any, ...]) -> bool:
    """Whether this error belongs to a union branch (``float | dict``) that does not
    match the type the user actually gave, so it would only confuse."""
    node = raw
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(part, str):
            label = part.split("[", 1)[0]
            wants_table = label == "dict"
            wants_number = label in ("float", "int", "constrained-float", "constrained-int")
            if wants_table:
                return not isinstance(node, dict)
            if wants_number:
                return isinstance(node, (dict, list))
            return False
        else:
            return False
    return False


def _readable_loc(raw: Any, loc: tuple[Any, ...]) -> list[str]:
    """The key path with list indices replaced by item names where items have one, and
    pydantic's union-branch labels dropped."""
    out: list[str] = []
    node = raw
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            item = node[part]
            name = item.get("name") if isinstance(item, dict) else None
            out.append(str(name) if isinstance(name, str) else str(part))
            node = item
        elif isinstance(node, dict) and part in node:
            out.append(str(part))
            node = node[part]
        elif isinstance(part, str) and ("[" in part or part in ("float", "int", "str")):
            continue  # a union-branch label, not a key
        else:
            out.append(str(part))
            node = None
    return out


_RULES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "finite_number": "must be a finite number (not nan or inf)",
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be text in quotes",
    "dict_type": "must be a table",
    "list_type": "must be a list of tables",
    "model_type": "must be a table",
    "too_short": "must have at least {min_length} item(s)",
    "string_pattern_mismatch": "must be an identifier (letters, digits, underscore)",
    "literal_error": "must be one of {expected}",
}


def _rule(error: dict[str, Any], loc: list[str]) -> str:
    ctx = error.get("ctx") or {}
    template = _RULES.get(error["type"])
    if template is not None:
        try:
            return template.format(**ctx)
        except KeyError:
            pass
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message


def _suggestion(loc: list[str], root: type[BaseModel]) -> str:
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        model = _submodel(model, part)
        if model is None:
            return ""
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(loc[-1], allowed, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (allowed: {', '.join(allowed)})"


def _submodel(model: type[BaseModel] | None, part: str) -> type[BaseModel] | None:
    if model is None:
        return None
    if part.isdigit():
        return model
    field = model.model_fields.get(part)
    if field is None:
        return None
    annotation = field.annotation
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
