"""Breach classes from a severity column: which class each event falls in, and the
class probabilities with 95% intervals.

A spec reads ``COLUMN:name=lo-hi,name=lo-hi,...`` (``lo-`` or ``lo-inf``: no upper
limit; ``v``: exactly v), for example ``best:minor=0-1,major=2-9,offensive=10-``
for UCDP deaths. Ranges include both ends, are listed in increasing order and do not
overlap; every event must fall in one.

The counts are multinomial. Intervals are Goodman's (1965) simultaneous 95%
intervals by default: all classes' intervals hold together with probability 95%,
which is what a scenario's set of probabilities needs; Wilson's score intervals
(each on its own) on request. Both come from the same score formula, Goodman's with
the chi-square quantile at level 0.05 / k.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from stress.errors import UsageError

METHODS = ("goodman", "wilson")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)"
_RANGE = re.compile(rf"^({_NUMBER})(?:\s*-\s*({_NUMBER}|inf)?)?$")


@dataclass(frozen=True)
class ClassSpec:
    """Classes by ranges of a severity column, in increasing order."""

    column: str
    names: tuple[str, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]

    def ranges(self) -> str:
        return ", ".join(f"{n}={_show(lo)}-{'' if hi == math.inf else _show(hi)}"
                         for n, lo, hi in zip(self.names, self.lows, self.highs))


def _show(value: float) -> str:
    return f"{value:g}"


def parse_classes(spec: "str | ClassSpec | None", default_column: str | None = None) -> ClassSpec | None:
    """A ``ClassSpec`` from its text (``default_column`` if the text names none)."""
    if spec is None or isinstance(spec, ClassSpec):
        return spec
    text = str(spec).strip()
    column, sep, body = text.partition(":")
    if not sep:
        column, body = default_column or "", text
    column = column.strip()
    if not column:
        raise UsageError(f"classes {text!r}: name the severity column first, as COLUMN:name=lo-hi,..., "
                         f"for example best:minor=0-1,major=2-9,offensive=10-")
    names, lows, highs = [], [], []
    for part in body.split(","):
        name, eq, bounds = part.partition("=")
        name = name.strip()
        match = _RANGE.match(bounds.strip()) if eq else None
        if not eq or match is None:
            raise UsageError(f"classes {text!r}: {part.strip()!r} is not name=lo-hi (for example minor=0-1, "
                             f"offensive=10-)")
        if not _NAME.match(name):
            raise UsageError(f"classes {text!r}: class name {name!r} must be an identifier (letters, digits, "
                             f"underscore)")
        low = float(match.group(1))
        dash = "-" in bounds.strip()[len(match.group(1)):]
        high = low if not dash else (math.inf if match.group(2) in (None, "inf") else float(match.group(2)))
        if high < low:
            raise UsageError(f"classes {text!r}: class {name}: range {bounds.strip()} runs backwards")
        names.append(name)
        lows.append(low)
        highs.append(high)
    if len(set(names)) != len(names):
        raise UsageError(f"classes {text!r}: class names must be unique")
    for i in range(1, len(names)):
        if lows[i] <= highs[i - 1]:
            raise UsageError(f"classes {text!r}: class {names[i]} ({_show(lows[i])}-) must start above the end of "
                             f"{names[i - 1]} ({_show(highs[i - 1])}): ranges in increasing order, not overlapping")
    return ClassSpec(column, tuple(names), tuple(lows), tuple(highs))


@dataclass(frozen=True)
class ClassRow:
    name: str
    low: float
    high: float
    events: int
    probability: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ClassFit:
    """Class probabilities with their 95% intervals."""

    column: str
    rows: tuple[ClassRow, ...]
    events: int
    method: str  # how the intervals were made

    @property
    def probabilities(self) -> tuple[float, ...]:
        return tuple(r.probability for r in self.rows)


def classify(severity: np.ndarray, spec: ClassSpec, source: str) -> np.ndarray:
    """The class index of each event; a value in no class is an error."""
    index = np.full(severity.shape, -1, dtype=np.int64)
    for k, (low, high) in enumerate(zip(spec.lows, spec.highs)):
        index[(severity >= low) & (severity <= high)] = k
    outside = severity[index < 0]
    if outside.size:
        values = ", ".join(f"{v:g}" for v in np.unique(outside)[:5])
        raise UsageError(f"{source}: classes: {outside.size} event(s) with {spec.column} = {values} fall in no "
                         f"class; the classes cover {spec.ranges()}")
    return index


def fit_classes(severity: np.ndarray, spec: ClassSpec, source: str, method: str = "goodman",
                confidence: float = 0.95) -> ClassFit:
    """Multinomial class probabilities (the observed shares) with intervals."""
    from scipy.stats import chi2

    if method not in METHODS:
        raise UsageError(f"class interval method {method!r}: use one of {', '.join(METHODS)}")
    index = classify(severity, spec, source)
    k = len(spec.names)
    counts = np.bincount(index, minlength=k)
    total = int(counts.sum())
    alpha = 1.0 - confidence
    a = float(chi2.ppf(1.0 - alpha / k, 1)) if method == "goodman" else float(chi2.ppf(confidence, 1))
    rows = []
    for name, low, high, x in zip(spec.names, spec.lows, spec.highs, counts):
        x = int(x)
        centre = a + 2.0 * x
        half = math.sqrt(a * (a + 4.0 * x * (total - x) / total)) if total else 0.0
        denominator = 2.0 * (total + a)
        p = x / total if total else math.nan
        rows.append(ClassRow(name, low, high, x, p, max(0.0, (centre - half) / denominator),
                             min(1.0, (centre + half) / denominator)))
    label = ("Goodman (1965) simultaneous" if method == "goodman" else "Wilson score") + f" {confidence:.0%}"
    return ClassFit(spec.column, tuple(rows), total, label)
