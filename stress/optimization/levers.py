"""Levers: the config keys an optimisation may set, each with the values it may take.

``KEY=LOW:HIGH`` (any number from LOW to HIGH), ``KEY=LOW:HIGH:int`` (the whole numbers
from LOW to HIGH), ``KEY=LOW:HIGH:STEP`` (LOW, LOW + STEP, ... up to HIGH) or
``KEY=V1,V2,...`` (a choice: numbers, true/false or names, such as a class or a rule).
Any key ``--set`` takes may be a lever. The search moves each lever's *position*: the
number itself for a continuous lever, the index of its value otherwise.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from typing import Any, NamedTuple, Sequence

from stress.config.keys import canonical, field_type
from stress.errors import UsageError

# Every combination of the levers' ends is validated before anything runs when there
# are at most this many (each alone always is).
CORNERS = 1024


class Lever(NamedTuple):
    key: str
    low: float | None = None
    high: float | None = None
    step: float | None = None                # with low and high: values LOW + i STEP; None: any number
    choices: tuple[Any, ...] | None = None   # or one of these values

    @property
    def continuous(self) -> bool:
        return self.choices is None and self.step is None

    @property
    def count(self) -> int:
        """How many values a discrete lever has."""
        if self.choices is not None:
            return len(self.choices)
        return int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1

    def bounds(self) -> tuple[float, float]:
        """The range of the lever's position in the search."""
        return (self.low, self.high) if self.continuous else (0.0, float(self.count - 1))

    def value(self, position: float) -> Any:
        """The config value at a position of the search (a discrete lever's position is
        rounded to its nearest value)."""
        if self.continuous:
            return float(min(max(position, self.low), self.high))
        index = int(min(max(round(position), 0), self.count - 1))
        if self.choices is not None:
            return self.choices[index]
        value = self.low + index * self.step
        whole = all(float(v).is_integer() for v in (self.low, self.step))
        return int(round(value)) if whole else round(value, 12)

    def ends(self) -> list[Any]:
        """The values every candidate's lies between (or every choice)."""
        return list(self.choices) if self.choices is not None else [self.value(x) for x in self.bounds()]

    def text(self) -> str:
        if self.choices is not None:
            return f"{self.key}={','.join(_show(c) for c in self.choices)}"
        if self.continuous:
            return f"{self.key}={self.low:g}:{self.high:g}"
        return f"{self.key}={self.low:g}:{self.high:g}:{'int' if self.step == 1 else f'{self.step:g}'}"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in zip(self._fields, (self.key, self.low, self.high, self.step,
                                                    list(self.choices) if self.choices is not None else None))
                if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Lever":
        choices = data.get("choices")
        return cls(data["key"], data.get("low"), data.get("high"), data.get("step"),
                   tuple(choices) if choices is not None else None)


def _show(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _number(text: str) -> float | None:
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return None
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _choice(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()   # a bare word: a name


def parse_lever(text: str) -> Lever:
    """A lever from ``--lever`` text (see the module's description)."""
    key, sep, body = text.partition("=")
    key, body = key.strip(), body.strip()
    usage = (f"--lever {text!r}: expected KEY=LOW:HIGH, KEY=LOW:HIGH:int, KEY=LOW:HIGH:STEP or KEY=V1,V2,...; "
             f"for example tier2.threshold=1:6:int or tier2.window_days=7:28:7")
    if not sep or not key or not body:
        raise UsageError(usage)
    if "," in body:
        choices = tuple(_choice(part) for part in body.split(",") if part.strip())
        if len(choices) < 2 or len(set(map(repr, choices))) != len(choices):
            raise UsageError(f"--lever {text!r}: a choice needs at least two different values")
        return Lever(key, choices=choices)
    parts = body.split(":")
    if len(parts) not in (2, 3):
        raise UsageError(usage)
    low, high = _number(parts[0]), _number(parts[1])
    if low is None or high is None or not math.isfinite(low) or not math.isfinite(high):
        raise UsageError(usage)
    if not low < high:
        raise UsageError(f"--lever {text!r}: LOW must be below HIGH")
    if len(parts) == 2:
        return Lever(key, float(low), float(high))
    if parts[2].strip() == "int":
        if not (float(low).is_integer() and float(high).is_integer()):
            raise UsageError(f"--lever {text!r}: with :int, LOW and HIGH are whole numbers")
        return Lever(key, float(low), float(high), 1.0)
    step = _number(parts[2])
    if step is None or not math.isfinite(step) or step <= 0:
        raise UsageError(f"--lever {text!r}: STEP must be a number above 0 (or 'int' for the whole numbers)")
    return Lever(key, float(low), float(high), float(step))


def check_levers(levers: Sequence[Lever], scenario) -> None:
    """Every lever's key is settable and every value it can take is allowed there (its
    ends, or every choice, validated like ``--set`` values), whole-number keys get whole
    numbers, no key is a lever twice, and every combination of the ends is valid too
    (when there are at most CORNERS). ``scenario``: a ``config.loading.Scenario``."""
    if not levers:
        raise UsageError("name at least one lever: --lever KEY=LOW:HIGH[:int] (any key --set takes)")
    keys = [canonical(lever.key) for lever in levers]
    repeated = sorted({lever.key for lever, k in zip(levers, keys) if keys.count(k) > 1})
    if repeated:
        raise UsageError(f"a key is a lever twice (under either of its spellings): {', '.join(repeated)}")
    for lever in levers:
        label = f"--lever {lever.text()}"
        if field_type(lever.key) is int and lever.choices is None and not (
                lever.step is not None and float(lever.step).is_integer() and float(lever.low).is_integer()):
            raise UsageError(f"{label}: {lever.key} takes whole numbers; write {lever.key}="
                             f"{math.ceil(lever.low)}:{math.floor(lever.high)}:int (or a whole STEP)")
        for value in lever.ends():
            scenario.with_values([(lever.key, value)], label)
    ends = [lever.ends() for lever in levers]
    if len(levers) > 1 and math.prod(len(e) for e in ends) <= CORNERS:
        for values in itertools.product(*ends):
            scenario.with_values(list(zip((lever.key for lever in levers), values)),
                                 "the levers together at " + ", ".join(f"{lever.key}={_show(v)}"
                                                                      for lever, v in zip(levers, values)))
