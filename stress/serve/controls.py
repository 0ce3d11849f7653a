"""The page's controls, generated from the scenario schema.

One control per config key, grouped by section, with the key's description, type,
default and allowed values exactly as the README's config reference states them (the
reference's own functions read them from the schema), and the loaded scenario's value.
A control's ``key`` is the dotted path ``--set`` takes; breach classes and tiers are
addressed by name (``breaches.classes.major.probability``, ``tiers.tier2.threshold``),
as in a message about them. Each tier of the plan is a section of its own, with every
field of a tier; a tier added on the page shows the values it starts with.

The kind of control follows the type: a slider (with a number box) for a number with a
lower and an upper bound not far apart, a number box for other numbers, a select for an
enumeration, a class name or an earlier tier, a switch for true/false, a text box for
text. A key the scenario may omit shows an empty box (or an "omitted" choice) when it
is omitted.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import asdict, dataclass, field
from typing import Any, Collection, Sequence

from pydantic import BaseModel

from stress.config import reference
from stress.config.schema import BreachClass, Config, Tier

# Keys whose value names a breach class (the schema checks them against the classes).
CLASS_KEYS = ("min_class",)
# Keys whose value names an earlier tier of the plan.
TIER_KEYS = ("after",)
# A bounded number is a slider when its range is at most this wide (probabilities, the
# horizon), a number box otherwise (a count of up to a million).
SLIDER_SPAN = 1000.0


@dataclass(frozen=True)
class Control:
    key: str                    # the dotted path, as --set takes it
    label: str
    kind: str                   # slider, number, integer, select, switch, text or fixed
    value: Any                  # the loaded scenario's value (None: omitted)
    description: str
    type: str                   # as the config reference writes it
    allowed: str                # as the config reference writes it ("" when anything goes)
    default: str                # the schema's default, as the config reference writes it
    optional: bool = False      # may be omitted
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    options: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Section:
    title: str                  # as in the config reference: [feedback], [[breaches.classes]] major, [[tiers]] tier2
    controls: list[Control]
    tier: str | None = None     # a tier's section: its name
    added: bool = False         # a tier added on the page

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "tier": self.tier, "added": self.added,
                "controls": [c.to_dict() for c in self.controls]}


def sections(config: Config, *, caps: dict[str, float] | None = None) -> list[Section]:
    """Every key of the schema as a control, with ``config``'s values: its tables, its
    breach classes, then its tiers. ``caps`` lowers the upper end of keys the page
    limits (``{"scenario.horizon_days": 730}``)."""
    caps = caps or {}
    values = config.model_dump()
    classes = [c.name for c in config.breaches.classes]
    names = Names(classes, [t.name for t in config.tiers])
    out: list[Section] = []
    for name, info in Config.model_fields.items():
        if name == "tiers":
            continue
        out += _table_sections(name, reference.section_model(info.annotation), values[name], names, caps)
        if name == "breaches":
            for item in values["breaches"]["classes"]:
                prefix = f"breaches.classes.{item['name']}"
                out.append(Section(f"[[breaches.classes]] {item['name']}",
                                   [c for key, f in BreachClass.model_fields.items()
                                    for c in _controls(f"{prefix}.{key}", key, f, item[key], classes, caps,
                                                       fixed=key == "name")]))
    return out + tier_sections(config.tiers, classes, caps=caps)


def tier_sections(tiers: Sequence[Tier], classes: list[str], *, added: Collection[str] = (),
                  caps: dict[str, float] | None = None) -> list[Section]:
    """One section per tier of a plan (in order), every field of a tier a control
    ``tiers.<name>.<field>``; ``added`` names the tiers added on the page."""
    caps = caps or {}
    out = []
    for i, tier in enumerate(tiers):
        earlier = [t.name for t in tiers[:i]]
        values = tier.model_dump()
        out.append(Section(f"[[tiers]] {tier.name}",
                           [c for key, f in Tier.model_fields.items()
                            for c in _controls(f"tiers.{tier.name}.{key}", key, f, values[key], classes, caps,
                                               fixed=key == "name", tiers=earlier)],
                           tier=tier.name, added=tier.name in added))
    return out


@dataclass(frozen=True)
class Names:
    """What a table by name is keyed by: the breach classes, the plan's tiers."""
    classes: list[str]
    tiers: list[str]


def _table_sections(path: str, model: type[BaseModel], value: dict[str, Any] | None, names: Names,
                    caps: dict[str, float]) -> list[Section]:
    """A table's section (``[adversary]``), then a section for each key that is a table
    itself (``[adversary.threshold]``). A table the scenario omits shows its defaults,
    which are what omitting it means."""
    value = value if value is not None else model().model_dump()
    controls, nested = [], []
    for key, f in model.model_fields.items():
        if key == "classes":
            continue
        inner = reference.section_model(f.annotation)
        if inner is not None:
            nested += _table_sections(f"{path}.{key}", inner, value[key], names, caps)
        else:
            controls += _controls(f"{path}.{key}", key, f, value[key], names.classes, caps, names=names)
    return ([Section(f"[{path}]", controls)] if controls else []) + nested


def _controls(key: str, label: str, info: Any, value: Any, classes: list[str], caps: dict[str, float],
              fixed: bool = False, tiers: list[str] | None = None, names: Names | None = None) -> list[Control]:
    kind_text = reference.type_text(info)
    common = dict(description=info.description or "", type=kind_text, allowed=reference._constraint(info),
                  default=reference._default(info), optional=not info.is_required() and info.default is None)
    if fixed or kind_text.startswith("list of") or (isinstance(value, dict) and kind_text.startswith("text")):
        # a class's or a tier's name (renaming is a change of structure), a list, a strategy's
        # weights: shown, changed in the file
        return [Control(key, label, "fixed", value, **common)]
    keyed = {"table by class": classes, "number or table by class": classes,
             "number or table by tier": names.tiers if names else []}.get(kind_text)
    if keyed is not None and (isinstance(value, dict) or value is None):
        # one control per class or tier (an omitted table: each box empty)
        low, high, _ = _bounds(common["allowed"])
        table = value or {}
        return [Control(f"{key}.{name}", f"{label}: {name}", "slider" if _slider(low, high) else "number",
                        table.get(name), **{**common, "optional": value is None}, minimum=low, maximum=high,
                        step=_step(table.get(name), low, high, False))
                for name in keyed]
    annotation = _plain(info.annotation)
    if label in CLASS_KEYS:
        return [Control(key, label, "select", value, **common, options=_with(classes, value))]
    if label in TIER_KEYS and tiers is not None:
        # a value no longer among the earlier tiers (one removed) stays shown, for the schema to refuse
        return [Control(key, label, "select", value, **common, options=_with(tiers, value))]
    if typing.get_origin(annotation) is typing.Literal:
        return [Control(key, label, "select", value, **common, options=[str(a) for a in typing.get_args(annotation)])]
    if annotation is bool:
        return [Control(key, label, "switch", value, **common)]
    if annotation is str:
        return [Control(key, label, "text", value, **common)]
    whole = annotation is int
    low, high, allowed = _bounds(common["allowed"], caps.get(key))
    common["allowed"] = allowed
    kind = "slider" if _slider(low, high) else ("integer" if whole else "number")
    return [Control(key, label, kind, value, **common, minimum=low, maximum=high, step=_step(value, low, high, whole))]


def _plain(annotation: Any) -> Any:
    """``float | None`` and ``Annotated[float, ...] | None`` -> ``float``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and args:
        annotation = args[0]
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _bounds(allowed: str, cap: float | None = None) -> tuple[float | None, float | None, str]:
    """The lower and upper end of the reference's "allowed" text (">= 0, < 1"), and that
    text with a cap added."""
    low = high = None
    for part in filter(None, (p.strip() for p in allowed.split(","))):
        symbol, number = part.split()
        if symbol in (">=", ">"):
            low = float(number)
        else:
            high = float(number)
    if cap is not None and (high is None or cap < high):
        high = float(cap)
        allowed = ", ".join(filter(None, [allowed, f"<= {cap:g} here"]))
    return low, high, allowed


def _bounded(low: float | None, high: float | None) -> bool:
    return low is not None and high is not None


def _slider(low: float | None, high: float | None) -> bool:
    return _bounded(low, high) and high - low <= SLIDER_SPAN


def _with(options: list[str], value: Any) -> list[str]:
    return [*options, value] if isinstance(value, str) and value not in options else list(options)


def _step(value: Any, low: float | None, high: float | None, whole: bool) -> float:
    """A step for arrows and sliders: 1 for whole numbers, a hundredth of a bounded
    range up to 1 wide, else one tenth of the value's leading digit (72 -> 1, 0.15 -> 0.01)."""
    if whole:
        return 1.0
    if _bounded(low, high) and high - low <= 1.0:
        return (high - low) / 100
    size = abs(value) if isinstance(value, (int, float)) and value else 1.0
    return 10.0 ** (math.floor(math.log10(size)) - 1)
