"""Parameter sweeps: one scenario, many values of its open numbers.

A sweep is a base scenario plus a definition: grid axes (``key = values``), and/or a
design over ranges (Latin hypercube or Sobol, scipy.stats.qmc). Every point runs on
the same root seed, so points meet the same breaches (common random numbers) and
differ only by the effect of their parameters.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from pydantic import ValidationError

from stress.config.keys import field_type, refuse_repeated
from stress.config.loading import Scenario
from stress.config.sweep import SweepSpec
from stress.config.uncertain import unit_design
from stress.errors import UsageError
from stress.jobs.pipeline import CHUNK, Outcome
from stress.jobs.points import PointsJob, PointTable, check_point_count
from stress.statistics import intervals as stats
from stress.storage import folders


def parse_values(text: str, limit: int | None = None) -> list[Any]:
    """``'2,3,4'`` -> [2, 3, 4]; ``'24:96:24'`` -> [24, 48, 72, 96] (both ends
    included); values are TOML values, bare words strings. A range of more than
    ``limit`` values (default: the points limit) is refused before it is made."""
    text = text.strip()
    if text.count(":") == 2 and "," not in text:
        low, high, step = (_toml_value(part) for part in text.split(":"))
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high, step)) or step <= 0:
            raise UsageError(f"{text!r}: a range is low:high:step with numbers and step > 0")
        count = int(math.floor((high - low) / step + 1e-9)) + 1
        if count < 1:
            raise UsageError(f"{text!r}: high is below low")
        check_point_count(count, limit, f"axis {text!r}")
        values = [low + i * step for i in range(count)]
        if all(isinstance(v, int) for v in (low, high, step)):
            return [int(v) for v in values]
        return [round(v, 12) for v in values]
    return [_toml_value(part) for part in text.split(",") if part.strip()]


def _toml_value(text: str) -> Any:
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_axis(text: str, option: str = "--grid") -> tuple[str, str]:
    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise UsageError(f"{option} {text!r}: expected KEY=VALUES, for example tier2.threshold=2,3,4")
    return key.strip(), values.strip()


Grid = Mapping[str, Sequence[Any]] | Iterable[str]
Ranges = Mapping[str, tuple[float, float]] | Iterable[str]


def spec_from_options(file_spec: dict[str, Any] | None, grid: Grid = (), design: str | None = None,
                      samples: int | None = None, ranges: Ranges = (), n: int | None = None,
                      seed: int | None = None, precision: float | None = None, max_n: int | None = None,
                      max_points: int | None = None, source: str = "<scenario>") -> SweepSpec:
    """A sweep definition from a file's ``[sweep]`` table (of the file ``source``),
    extended and overridden by options: ``grid`` and ``ranges`` as Python values
    (``{"tier2.threshold": [2, 3]}``, ``{"tier2.window_days": (7, 30)}``) or as
    command-line text (``["tier2.threshold=2,3"]``, ``["tier2.window_days=7:30"]``)."""
    data = dict(_table(file_spec, f"{source}: [sweep]", "KEY = VALUE"))
    grid_values = dict(_table(data.get("grid"), f"{source}: [sweep] grid", 'KEY = [VALUES] or KEY = "LOW:HIGH:STEP"'))
    for key, values in grid_values.items():
        if isinstance(values, str):
            grid_values[key] = _parsed(values, f"[sweep] grid.{key}", max_points)
    data["grid"] = grid_values | grid_axes(grid, max_points)
    range_values = {k: tuple(v) if isinstance(v, list) else v for k, v in
                    _table(data.get("ranges"), f"{source}: [sweep] ranges", "KEY = [LOW, HIGH]").items()}
    data["ranges"] = range_values | range_axes(ranges)
    for name, value in (("design", design), ("samples", samples), ("n", n), ("seed", seed),
                        ("precision", precision), ("max_n", max_n), ("max_points", max_points)):
        if value is not None:
            data[name] = value
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        raise UsageError(f"sweep definition: {where + ': ' if where else ''}{message}") from None


def grid_axes(grid: Grid, max_points: int | None = None) -> dict[str, list[Any]]:
    """The axes of ``--grid`` texts, or of a mapping of key -> values."""
    if isinstance(grid, Mapping):
        refuse_repeated([str(key) for key in grid], "grid")
        return {str(key): _values(values, f"grid {key}") for key, values in grid.items()}
    texts = list(grid)
    refuse_repeated([parse_axis(text)[0] for text in texts], "--grid")
    return {key: _parsed(values, f"--grid {text}", max_points)
            for text in texts for key, values in [parse_axis(text)]}


def range_axes(ranges: Ranges) -> dict[str, tuple[float, float]]:
    """The ranges of ``--range`` texts, or of a mapping of key -> (low, high)."""
    if isinstance(ranges, Mapping):
        refuse_repeated([str(key) for key in ranges], "ranges")
        out = {}
        for key, bounds in ranges.items():
            values = _values(bounds, f"ranges {key}")
            if len(values) != 2 or not all(_is_number(v) for v in values):
                raise UsageError(f"ranges {key} = {bounds!r}: expected (low, high) with numbers")
            out[str(key)] = (float(values[0]), float(values[1]))
        return out
    texts = list(ranges)
    refuse_repeated([parse_axis(text, "--range")[0] for text in texts], "--range")
    out = {}
    for text in texts:
        key, values = parse_axis(text, "--range")
        try:
            low, high = (float(p) for p in values.split(":"))
        except ValueError:
            raise UsageError(f"--range {text!r}: expected KEY=LOW:HIGH with numbers") from None
        out[key] = (low, high)
    return out


def _values(values: Any, where: str) -> list[Any]:
    """A sequence of values as plain Python values (NumPy's scalars are not JSON)."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise UsageError(f"{where} = {values!r}: expected a sequence of values")
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _table(value: Any, where: str, shape: str) -> dict[str, Any]:
    """A table of the file's [sweep] (none: empty), checked before it is read as one."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UsageError(f"{where} = {value!r}: must be a table of {shape}")
    return value


def _parsed(values: str, where: str, limit: int | None) -> list[Any]:
    try:
        return parse_values(values, limit)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None


def points(spec: SweepSpec) -> list[dict[str, Any]]:
    """Every point of the sweep as {key: value}, grid axes varying slowest-first."""
    check_point_count(math.prod(len(v) for v in spec.grid.values()) * (spec.samples or 1), spec.max_points, "sweep")
    grid_points = [dict(zip(spec.grid, combo)) for combo in itertools.product(*spec.grid.values())] or [{}]
    design_points: list[dict[str, Any]] = [{}]
    if spec.design != "grid":
        keys = list(spec.ranges)
        unit = unit_design(spec.design, spec.samples, len(keys), spec.seed)
        design_points = []
        for row in unit:
            point = {}
            for key, u in zip(keys, row):
                low, high = spec.ranges[key]
                value = low + float(u) * (high - low)
                if field_type(key) is int:
                    value = int(min(math.floor(low + float(u) * (math.floor(high) - math.ceil(low) + 1)),
                                    math.floor(high)))
                point[key] = value
            design_points.append(point)
    return [g | d for g in grid_points for d in design_points]


def needed_n(p: np.ndarray, ci_low: np.ndarray, ci_high: np.ndarray, precision: float, n_now: int,
             max_n: int) -> int:
    """Replications a point needs for every tier's 95% half-width (``p`` and its
    interval, per tier) to be at most ``precision``: by the normal approximation at the
    current estimate, rounded up to whole chunks, at least one chunk more than now."""
    wide = np.maximum(p - ci_low, ci_high - p) > precision
    if not wide.any():
        return n_now
    clipped = np.clip(p[wide], 1.0 / n_now, 1 - 1.0 / n_now)
    worst = float(np.max(stats.z_value() ** 2 * clipped * (1 - clipped) / precision ** 2))
    want = max(int(math.ceil(worst / CHUNK)) * CHUNK, n_now + CHUNK)
    return min(want, max_n)


class SweepJob(PointsJob):
    kind = "sweep"

    def __init__(self, scenario: Scenario, spec: SweepSpec, *, engine: str, records: bool = False) -> None:
        super().__init__(scenario, points(spec), n=spec.n, seed=spec.seed, engine=engine, records=records,
                         what="sweep point")
        self.spec = spec

    def target(self, group: int, done: int, totals) -> int:
        if done == 0 or self.spec.precision is None:
            return self.n if done == 0 else done
        p, low, high = stats.wilson_intervals(totals.reached[group], done)
        return needed_n(p, low, high, self.spec.precision, done, self.spec.max_n or max(self.spec.n, 1_000_000))

    def manifest(self) -> dict[str, Any]:
        return {"sweep": self.spec.model_dump(), **super().manifest()}

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> "SweepJob":
        try:
            spec = SweepSpec.model_validate(manifest["sweep"])
        except ValidationError as exc:
            raise folders.ResultError(f"{partial / folders.MANIFEST}: 'sweep' is not a sweep definition "
                                      f"({exc.errors()[0]['msg']})") from None
        return cls(cls.base_of(partial), spec, engine=manifest["engine"], records=manifest["records"])

    def finish(self, outcome: Outcome, folder: Path | None) -> "SweepResult":
        result = SweepResult(**vars(self.point_table(outcome)), spec=self.spec, notes=self.short_of_precision(outcome))
        if folder is not None:
            self.write_table(folder, result, outcome)
        return result


    def short_of_precision(self, outcome: Outcome) -> list[str]:
        """The points that stopped at max_n before every tier's half-width reached the precision."""
        if self.spec.precision is None:
            return []
        p, low, high = outcome.tiers.p, outcome.tiers.ci_low, outcome.tiers.ci_high
        wide = (np.maximum(p - low, high - p) > self.spec.precision).any(axis=1)
        if not wide.any():
            return []
        return [f"{int(wide.sum())} of {len(wide)} points stopped at --max-n {int(outcome.totals.n[wide].max()):,} "
                f"replications before every tier's 95% half-width reached {self.spec.precision:g} (the widest is "
                f"{float(np.maximum(p - low, high - p)[wide].max()):.3g}); raise --max-n to reach it"]


@dataclass(frozen=True)
class SweepResult(PointTable):
    """A finished sweep: its table (``PointTable``) and its definition."""
    spec: SweepSpec | None = None
    notes: list[str] | None = None
