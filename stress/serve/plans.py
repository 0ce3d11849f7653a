"""The plan a what-if asks for: the loaded scenario's tiers kept or removed, tiers added.

A request names the plan as a list in order of escalation: a loaded tier by its name,
an added tier as ``{"name": ..., "trigger": ...}``, which starts with the keys its
trigger needs at the values of ``new_tier`` (everything else at the schema's defaults);
its other values are set like any other key (``tiers.<name>.<field>``). No list: the
loaded plan. The structure is checked here, before any key of it is set: names that
keys can be made of, none twice, 1 to ``MAX_TIERS`` tiers, and the tiers both plans
have in the same order (the answer pairs tiers by name, and 'at least' a tier must
mean the same in both). The values are checked by the schema with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from pydantic import TypeAdapter, ValidationError

from stress.config import legacy
from stress.config.loading import Scenario
from stress.config.schema import RESERVED_NAMES, TRIGGER_KEYS, Config, Tier, TierName
from stress.model.plan import MAX_TIERS
from stress.model.records import OrderConflict, merged_order

KEY = "tiers"                # where a problem with the plan's structure is shown
TRIGGERS = tuple(TRIGGER_KEYS)
_NAME = TypeAdapter(TierName)


class PlanError(ValueError):
    """The plan a request asks for cannot be made; one message per problem."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Plan:
    """The tiers of a what-if in order, and which of them were added on the page."""
    tiers: tuple[Tier, ...]
    raw: tuple[dict[str, Any], ...]   # their tables, as the scenario file has them
    added: frozenset[str]
    loaded: tuple[str, ...]           # the loaded scenario's tier names

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)

    @property
    def removed(self) -> tuple[str, ...]:
        """Loaded tiers the plan does not keep (one added under a loaded name replaces it)."""
        kept = {t.name for t in self.tiers if t.name not in self.added}
        return tuple(n for n in self.loaded if n not in kept)

    @property
    def changed(self) -> bool:
        return bool(self.added) or self.names != self.loaded

    def scenario(self, scenario: Scenario) -> Scenario:
        """``scenario`` with this plan's tiers (itself if the plan is the loaded one)."""
        if not self.changed:
            return scenario
        raw = scenario.raw
        if legacy.is_legacy(raw):   # a file in the first form: its plan as tiers
            raw = scenario.config.model_dump(exclude_none=True)
        return scenario._replace(raw={**raw, "tiers": [dict(t) for t in self.raw]})

    def describe(self, config: Config | None = None) -> str:
        """'added sanctions (count); removed tier2', or '' for the loaded plan (an added
        tier's trigger as ``config``, the plan with its values, has it)."""
        parts = []
        if self.added:
            tiers = config.tiers if config is not None else self.tiers
            parts.append("added " + ", ".join(f"{t.name} ({t.trigger})" for t in tiers if t.name in self.added))
        if self.removed:
            parts.append("removed " + ", ".join(self.removed))
        return "; ".join(parts)


def new_tier(name: str, trigger: str, config: Config) -> dict[str, Any]:
    """The table of a tier added on the page: its name, its trigger and the keys that
    trigger needs (any report of at least the first class counts; 3 reports, or three
    times the most severe class's weight, within 14 days); the rest as the schema's
    defaults (decided always at once, reached at the decision, no effect)."""
    classes = config.breaches.classes
    starting = {"min_class": classes[0].name, "threshold": 3, "window_days": 14.0,
                "severity_threshold": 3.0 * max(c.severity for c in classes) or 3.0}
    return {"name": name, "trigger": trigger, **{k: starting[k] for k in TRIGGER_KEYS[trigger]["needs"]}}


def plan(scenario: Scenario, spec: Any) -> Plan:
    """The plan ``spec`` asks for (None: the loaded one). Raises ``PlanError``."""
    config = scenario.config
    loaded = {t.name: t for t in config.tiers}
    if spec is None:
        return Plan(tuple(config.tiers), tuple(_tables(scenario)), frozenset(), tuple(loaded))
    source = scenario.source
    if not isinstance(spec, list):
        raise PlanError([(f"{source}, tiers: must be a list of the plan's tiers in order (a loaded tier by its "
                          "name, an added one as {name, trigger})")])
    problems: list[str] = []
    if not 1 <= len(spec) <= MAX_TIERS:
        problems.append(f"{source}, tiers: a plan has 1 to {MAX_TIERS} tiers, this one {len(spec)}")
    raw_of = dict(zip(loaded, _tables(scenario)))
    tiers: list[Tier] = []
    raw: list[dict[str, Any]] = []
    added: set[str] = set()
    for entry in spec[:MAX_TIERS + 1]:
        if isinstance(entry, str) and entry in loaded:
            tiers.append(loaded[entry])
            raw.append(raw_of[entry])
        elif isinstance(entry, str):
            problems.append(f"{source}, tiers: no tier named {entry!r} in the scenario (its tiers are: "
                            f"{', '.join(loaded)}); add a new one as {{name, trigger}}")
        elif isinstance(entry, Mapping) and set(entry) == {"name", "trigger"}:
            table, problem = _added(entry["name"], entry["trigger"], config, source)
            if problem:
                problems.append(problem)
            else:
                tiers.append(Tier.model_validate(table))
                raw.append(table)
                added.add(table["name"])
        else:
            problems.append(f"{source}, tiers: {_short(entry)}: each tier is a loaded tier's name or "
                            "{name, trigger} for a new one")
    names = [t.name for t in tiers]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"{source}, tiers: tier names must be unique; repeated: {', '.join(repeated)}")
    if not problems:
        try:   # the answer pairs tiers by name: both plans must order them alike
            merged_order([list(loaded), names])
        except OrderConflict as exc:
            problems.append(f"{source}, tiers: {exc}")
    if problems:
        raise PlanError(problems)
    return Plan(tuple(tiers), tuple(raw), frozenset(added), tuple(loaded))


def _added(name: Any, trigger: Any, config: Config, source: str) -> tuple[dict[str, Any], str | None]:
    """A new tier's table, or the problem with its name or trigger."""
    where = f"{source}, adding tier {_short(name)}"
    try:
        _NAME.validate_python(name, strict=True)
    except ValidationError:
        return {}, f"{where}: name = {_short(name)}: must be an identifier (letters, digits, underscore; at most 40)"
    if name in RESERVED_NAMES:
        return {}, (f"{where}: name = {name!r}: names a table of the scenario; name the tier otherwise "
                    f"(not {', '.join(RESERVED_NAMES)})")
    if trigger not in TRIGGERS:
        return {}, f"{where}: trigger = {_short(trigger)}: must be one of {', '.join(map(repr, TRIGGERS))}"
    return new_tier(name, trigger, config), None


def _tables(scenario: Scenario) -> list[dict[str, Any]]:
    """The loaded tiers' tables in today's form."""
    raw = scenario.raw
    if legacy.is_legacy(raw) or not isinstance(raw.get("tiers"), list):
        return scenario.config.model_dump(exclude_none=True)["tiers"]
    return raw["tiers"]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
